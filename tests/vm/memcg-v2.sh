#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Guest test (busybox ash, inside the test VM): the memcg engine on a real
# kernel with cgroup v2 and MGLRU.  A workload fills page cache from a
# disk-backed file system (ext2 on a zram disk) in a v2 cgroup;
#  1. MGLRU off at the start: the daemon turns it on, ages the cgroup
#     every period and then evicts its oldest generation, and turns MGLRU
#     off again at exit;
#  2. MGLRU off, memcg.backend "reclaim": period runs through
#     memory.reclaim;
#  3. the cache-threshold policy on v2: a leaf under cache_reclaim.parent
#     brought below its threshold.
# The workload keeps running throughout.  Prints ok / not ok lines and
# ends with VMTEST PASS, FAIL or SKIP.
# vm-modules: zram ext4 crc32c_generic
if [ -r "$top_srcdir/tests/vm/lib.ash" ]; then
	. "$top_srcdir/tests/vm/lib.ash"
else
	# Without the harness's library: tests/lib/lib.sh and the little needed.
	. "$top_srcdir/tests/lib/lib.sh"
	CG_ROOT=/sys/fs/cgroup
	LRU_GEN=/sys/kernel/mm/lru_gen/enabled
	LRU_GEN_DEBUG=/sys/kernel/debug/lru_gen
	fail() {
		echo "not ok - $*"
		[ -n "${T:-}" ] && [ -f "$T/daemon.log" ] &&
		    { echo "--- daemon log:"; tail -n 40 "$T/daemon.log"; }
		echo "VMTEST FAIL"
		exit 1
	}
	skip() { echo "VMTEST SKIP $*"; exit 0; }
	vm_pass() { echo "VMTEST PASS"; exit 0; }
	vm_cgroup() {
		local d=$CG_ROOT rest=$1 c
		while [ -n "$rest" ]; do
			c=${rest%%/*}
			[ "$c" = "$rest" ] && rest= || rest=${rest#*/}
			echo +memory > "$d/cgroup.subtree_control" || return 1
			d=$d/$c
			mkdir -p "$d" || return 1
		done
		echo "$d"
	}
	vm_cgroup_rm() {
		local p
		[ -d "$1" ] || return 0
		for p in $(cat "$1/cgroup.procs"); do
			echo "$p" > "$CG_ROOT/cgroup.procs"
		done 2>/dev/null
		rmdir "$1"
	}
fi

MIB=1048576
FILE_MIB=160
MNT=/tmp/kt-memcg-fs
PARENT=$CG_ROOT/kt-memcg
WORKLOAD=
LRU_WAS=

cleanup() {
	[ -n "$WORKLOAD" ] && kill "$WORKLOAD" 2>/dev/null
	sleep 0.2
	vm_cgroup_rm "$PARENT/vm1" 2>/dev/null
	vm_cgroup_rm "$PARENT/leaf" 2>/dev/null
	vm_cgroup_rm "$PARENT" 2>/dev/null
	umount "$MNT" 2>/dev/null
	[ -e /sys/block/zram1/reset ] && echo 1 > /sys/block/zram1/reset
	[ -n "$LRU_WAS" ] && echo "$LRU_WAS" > "$LRU_GEN"
}
kt_setup
KT_EXTRA_CLEANUP=cleanup

# ---- helpers --------------------------------------------------------
stat_of() { sed -n "s/^$2 //p" "$1/memory.stat"; }
file_mib() { echo $(( $(stat_of "$1" file) / MIB )); }
status() {
	local n
	n=$(grep -c "status: " "$T/daemon.log")
	kill -USR1 "$KT_PID"
	wait_for 10 logged_more "status: " "$n" || fail "no status on SIGUSR1"
	grep "status: " "$T/daemon.log" | tail -n 1 | sed 's/.*status: //' \
	    > "$T/status"
}
logged_more() { [ "$(grep -c "$1" "$T/daemon.log")" -gt "$2" ]; }
jget() {
	sed 's/.*"memcg":{//' "$T/status" | grep -o "\"$1\":[^,}]*" |
	    head -n 1 | cut -d: -f2- | tr -d '"'
}
cgget() {
	grep -o "\"$1\":{[^}]*" "$T/status" | grep -o "\"$2\":[^,}]*" |
	    head -n 1 | cut -d: -f2- | tr -d '"'
}
# below CGROUP MIB: its page cache is below MIB.
below() { [ "$(file_mib "$1")" -lt "$2" ]; }
# fill CGROUP: read the file from inside CGROUP, so its cache is charged there.
fill() {
	sh -c 'echo $$ > "$1/cgroup.procs" && cat "$2" > /dev/null' fill \
	    "$1" "$MNT/data" || fail "could not read $MNT/data in $1"
}
alive() { kill -0 "$WORKLOAD" 2>/dev/null || fail "the workload died"; }

# ---- what the kernel must have --------------------------------------
[ -e "$LRU_GEN" ] || skip "no $LRU_GEN: a kernel without CONFIG_LRU_GEN"
[ -r "$LRU_GEN_DEBUG" ] || skip "no $LRU_GEN_DEBUG: debugfs not mounted"
grep -qw memory "$CG_ROOT/cgroup.controllers" ||
    skip "no memory controller in $CG_ROOT/cgroup.controllers"
LRU_WAS=$(cat "$LRU_GEN")
echo n > "$LRU_GEN" || fail "cannot turn MGLRU off"
assert_eq "MGLRU before the daemon" 0x0000 "$(cat "$LRU_GEN")"

# Page cache wants a disk-backed file system: ext2 on a zram disk.
modprobe zram num_devices=2 2>/dev/null
[ -e /sys/block/zram1 ] || cat /sys/class/zram-control/hot_add >/dev/null
[ -e /sys/block/zram1 ] || skip "no zram disk for a file system (module zram)"
echo 512M > /sys/block/zram1/disksize || fail "zram1 disksize"
mke2fs /dev/zram1 >/dev/null 2>&1 || fail "mke2fs /dev/zram1"
# ext4 (which mounts ext2) asks the crypto API for crc32c when mounting.
modprobe crc32c_generic 2>/dev/null
modprobe ext4 2>/dev/null
mkdir -p "$MNT"
mount -t ext2 /dev/zram1 "$MNT" 2>/dev/null ||
    mount -t ext4 /dev/zram1 "$MNT" ||
    skip "cannot mount ext2 (modules ext4, crc32c_generic)"
ok "ext2 on /dev/zram1 at $MNT for page cache"

# The workload: writes its file from inside the cgroup, keeps running.
CG=$(vm_cgroup kt-memcg/vm1) || fail "cannot make $PARENT/vm1 with +memory"
sh -c 'echo $$ > "$1/cgroup.procs" &&
    dd if=/dev/zero of="$2" bs=1M count="$3" 2>/dev/null && sync &&
    cat "$2" > /dev/null && echo ready > "$2.state" && exec sleep 100000' \
    workload "$CG" "$MNT/data" "$FILE_MIB" &
WORKLOAD=$!
wait_for 120 test -e "$MNT/data.state" || fail "the workload did not start"
before=$(file_mib "$CG")
[ "$before" -ge $((FILE_MIB * 3 / 4)) ] ||
    fail "workload charged only $before MiB of page cache to $CG"
ok "workload holds $before MiB of page cache in $CG"

# ---- 1. MGLRU aging and eviction -----------------------------------
cat > "$T/mglru.json" <<'JSON'
{ "ksm": { "enabled": false },
  "memcg": { "period_secs": 2, "eviction_run_aging_count_min": 2,
    "cgroups": ["/kt-memcg/*"] } }
JSON
kt_start -c "$T/mglru.json"
kt_log_has "memcg: MGLRU was off \(0x0000\), turned on" || fail "MGLRU not turned on"
kt_log_has "memcg: backend mglru, cgroup v2 at /sys/fs/cgroup" || fail "not the mglru backend"
[ "$(cat "$LRU_GEN")" != 0x0000 ] || fail "MGLRU still off"
ok "the daemon turned MGLRU on ($(cat "$LRU_GEN")) and chose it"

wait_for 90 below "$CG" $((before / 2)) ||
    fail "page cache still $(file_mib "$CG") MiB after 90 s"
# The run's counters are in once it is over.
wait_for 30 kt_log_has '/kt-memcg/vm1: period run reclaimed' ||
    fail "the eviction run did not end"
after=$(file_mib "$CG")
kt_log_has '/kt-memcg/vm1: lru_gen aging: "\+ ' || fail "no aging logged"
kt_log_has '/kt-memcg/vm1: lru_gen eviction: "- ' || fail "no eviction logged"
status
aged=$(cgget /kt-memcg/vm1 aging_runs)
evicted=$(cgget /kt-memcg/vm1 evicted_pages)
[ "$aged" -ge 2 ] || fail "aging_runs $aged"
[ "$evicted" -gt 0 ] || fail "evicted_pages $evicted"
[ "$(cgget /kt-memcg/vm1 reclaimed_bytes)" -gt 0 ] || fail "reclaimed_bytes 0"
alive
echo "# lru_gen of $CG now:"
awk -v p=/kt-memcg/vm1 '$1 == "memcg" { on = ($3 == p) } on' "$LRU_GEN_DEBUG" |
    sed 's/^/#   /'
ok "MGLRU: $aged agings, then eviction took the cache $before -> $after MiB ($evicted pages by generation counts); the workload runs"
kt_stop
assert_eq "MGLRU after the daemon exited" 0x0000 "$(cat "$LRU_GEN")"
ok "MGLRU is off again after exit, as found"

# ---- 2. memory.reclaim, MGLRU off -----------------------------------
fill "$CG"
before=$(file_mib "$CG")
[ "$before" -ge $((FILE_MIB * 3 / 4)) ] || fail "refill charged only $before MiB"
cat > "$T/reclaim.json" <<'JSON'
{ "ksm": { "enabled": false },
  "memcg": { "backend": "reclaim", "period_secs": 2,
    "eviction_run_aging_count_min": 1, "cgroups": ["/kt-memcg/*"] } }
JSON
kt_start -c "$T/reclaim.json"
kt_log_has "memcg: backend reclaim, cgroup v2" || fail "not the reclaim backend"
wait_for 60 below "$CG" $((before / 2)) ||
    fail "page cache still $(file_mib "$CG") MiB after 60 s"
wait_for 30 kt_log_has '/kt-memcg/vm1: period run reclaimed' ||
    fail "the memory.reclaim run did not end"
after=$(file_mib "$CG")
kt_log_has '/kt-memcg/vm1: memory.reclaim: "' || fail "no memory.reclaim write logged"
status
assert_eq "backend" reclaim "$(jget backend)"
[ "$(cgget /kt-memcg/vm1 reclaims)" -ge 1 ] || fail "reclaims not counted"
assert_eq "MGLRU with memcg.backend reclaim" 0x0000 "$(cat "$LRU_GEN")"
alive
kt_log_has "takes no swappiness=" && echo "# this kernel's memory.reclaim takes no swappiness="
ok "memory.reclaim: page cache $before -> $after MiB; MGLRU left off; the workload runs"
kt_stop

# ---- 3. the cache threshold on v2 ------------------------------------
LEAF=$(vm_cgroup kt-memcg/leaf) || fail "cannot make $PARENT/leaf"
echo $((256 * MIB)) > "$LEAF/memory.max" || fail "memory.max"
fill "$LEAF"
before=$(file_mib "$LEAF")
[ "$before" -gt 64 ] || fail "the leaf holds only $before MiB"
cat > "$T/cache.json" <<JSON
{ "ksm": { "enabled": false },
  "memcg": { "cache_reclaim": { "parent": "/kt-memcg", "threshold": "25%",
    "interval_secs": 1, "cooldown_secs": 60 } } }
JSON
kt_start -c "$T/cache.json"
wait_for 60 below "$LEAF" 64 || fail "leaf cache still $(file_mib "$LEAF") MiB"
after=$(file_mib "$LEAF")
kt_log_has "/kt-memcg/leaf: page cache .* over the threshold of 65536 KiB" ||
    fail "no threshold decision logged"
alive
ok "cache threshold on v2: the leaf's cache $before -> $after MiB (threshold 64 MiB)"
kt_stop

vm_pass
