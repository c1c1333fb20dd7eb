#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real kernel, cgroup v1: a workload in a child of the memory controller
# fills page cache well over the threshold; the daemon, with
# cache_reclaim.parent set to the test's cgroup, brings the cache below
# the threshold with force_empty, and the workload runs on unharmed.
# Touches only the cgroups it creates, and removes them however it ends.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
MEM=/sys/fs/cgroup/memory
[ "$(id -u)" = 0 ] || skip "needs root to create cgroups under $MEM"
[ -e "$MEM/memory.force_empty" ] ||
    skip "no cgroup v1 memory controller at $MEM (a cgroup v2 host: see tests/vm/memcg-v2.sh)"
[ -e /sys/kernel/mm/lru_gen/enabled ] &&
    skip "this kernel has MGLRU: the engine would pick it, not force_empty"

MIB=1048576
LIMIT_MIB=512
FILE_MIB=300
PARENT="$MEM/kt-test-$$"
CG="$PARENT/work"
WORKDIR=$(mktemp -d /var/tmp/kt-memcg.XXXXXX)
case $(stat -f -c %T "$WORKDIR") in
tmpfs|ramfs) skip "$WORKDIR is $(stat -f -c %T "$WORKDIR"): its pages are not page cache that can be dropped" ;;
esac
WORKLOAD=
# Every process left in the test's cgroup is the workload's own.
cleanup_cgroups() {
	local i p
	[ -n "$WORKLOAD" ] && kill "$WORKLOAD" 2>/dev/null && wait "$WORKLOAD" 2>/dev/null
	for i in $(seq 50); do
		[ -d "$CG" ] || break
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		rmdir "$CG" 2>/dev/null && break
		sleep 0.1
	done
	[ -d "$PARENT" ] && rmdir "$PARENT"
	rm -rf "$WORKDIR"
}
KT_EXTRA_CLEANUP=cleanup_cgroups

mkdir "$PARENT" "$CG" || fail "cannot create $CG"
echo $((LIMIT_MIB * MIB)) > "$CG/memory.limit_in_bytes"
cache() { sed -n 's/^total_cache //p' "$CG/memory.stat"; }

# The workload: in the cgroup, writes a file (its page cache is charged
# to the cgroup), then reads it again every time it is asked to.
cat > "$WORKDIR/work.sh" <<'SH'
echo $$ > "$1/cgroup.procs"
dd if=/dev/zero of="$2/data" bs=1M count="$3" conv=fsync status=none
cat "$2/data" > /dev/null
echo ready > "$2/state"
while :; do
	if [ -e "$2/again" ]; then
		rm -f "$2/again"
		cat "$2/data" | wc -c > "$2/read"
	fi
	sleep 0.1
done
SH
sh "$WORKDIR/work.sh" "$CG" "$WORKDIR" "$FILE_MIB" & WORKLOAD=$!
wait_for 60 grep -q ready "$WORKDIR/state" || fail "the workload did not start"
before=$(cache)
threshold=$((LIMIT_MIB * MIB / 4))
[ "$before" -gt "$threshold" ] ||
    fail "workload cache $((before / MIB)) MiB not over the threshold of $((threshold / MIB)) MiB"
ok "workload holds $((before / MIB)) MiB of page cache in $CG (limit $LIMIT_MIB MiB)"

# On cgroup v1 the PSI gate reads the whole host's pressure, which other
# tests running beside this one move: no gate here (memcg-fake.sh tests it).
cat > "$T/conf.json" <<JSON
{ "ksm": { "enabled": false },
  "memcg": { "period_psi_percent_limit": 100,
    "cache_reclaim": { "parent": "$PARENT", "threshold": "25%",
    "interval_secs": 1, "cooldown_secs": 60 } } }
JSON
start=$(date +%s%N)
kt_start -c "$T/conf.json"
below() { [ "$(cache)" -lt "$threshold" ]; }
wait_for 20 below || fail "cache still $(( $(cache) / MIB )) MiB after 20 s"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
after=$(cache)
kt_log_has "memcg: backend force_empty" || fail "not the force_empty backend"
# The cache can drop before the daemon has heard back from its writer.
wait_for 10 kt_log_has "kt-test-$$/work: cache run reclaimed" ||
    fail "no reclaim logged"
ok "cache $((before / MIB)) MiB -> $((after / MIB)) MiB (threshold $((threshold / MIB)) MiB) within $ms ms of start"

kill -0 "$WORKLOAD" 2>/dev/null || fail "the workload died"
touch "$WORKDIR/again"
wait_for 30 test -s "$WORKDIR/read" || fail "the workload no longer reads its file"
assert_eq "bytes the workload read back" $((FILE_MIB * MIB)) "$(cat "$WORKDIR/read")"
kill -USR1 "$KT_PID"
wait_for 5 kt_log_has '"cache_reclaims":1' || fail "status does not count the reclaim"
kt_stop
ok "the workload runs on and reads its data back; the daemon exits cleanly"
