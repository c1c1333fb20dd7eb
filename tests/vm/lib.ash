# SPDX-License-Identifier: Apache-2.0
# Sourced by the guest scripts (tests/vm/*.sh) inside the test VM, under
# busybox ash.  tests/lib/lib.sh's helpers (kt_setup, kt_start, kt_stop, ok,
# assert_eq, wait_for, ksm_knobs, ...) with fail and skip ending in the
# VMTEST line that tests/vm/run.sh reads, and what guest scripts share:
# memory cgroups, MGLRU, swap on zram.  A script ends with vm_pass.

. "$top_srcdir/tests/lib/lib.sh"

CG_ROOT=/sys/fs/cgroup
LRU_GEN=/sys/kernel/mm/lru_gen/enabled
LRU_GEN_DEBUG=/sys/kernel/debug/lru_gen

fail() {
	echo "not ok - $*"
	if [ -n "${T:-}" ] && [ -f "$T/daemon.log" ]; then
		echo "--- daemon log:"
		tail -n 40 "$T/daemon.log"
	fi
	echo "VMTEST FAIL"
	exit 1
}
skip() { echo "VMTEST SKIP $*"; exit 0; }
vm_pass() { echo "VMTEST PASS"; exit 0; }

# vm_cgroup NAME: a cgroup $CG_ROOT/NAME (NAME may be a/b) with the memory
# controller on in it and its ancestors; its path on stdout.
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

# vm_cgroup_rm PATH: remove a cgroup made by vm_cgroup, its processes
# moved back to the root first.
vm_cgroup_rm() {
	local p

	[ -d "$1" ] || return 0
	for p in $(cat "$1/cgroup.procs"); do
		echo "$p" > "$CG_ROOT/cgroup.procs"
	done 2>/dev/null
	rmdir "$1"
}

# vm_run_in CGROUP COMMAND...: run COMMAND inside CGROUP, so that what it
# allocates is charged there.
vm_run_in() {
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' vm_run_in "$@"
}

# vm_memcg_id CGROUP: the memcg id MGLRU's debugfs file names CGROUP by.
vm_memcg_id() {
	awk -v p="${1#"$CG_ROOT"}" '$1 == "memcg" && $3 == p { print $2; exit }' \
	    "$LRU_GEN_DEBUG"
}

# vm_lru_gens CGROUP [NODE]: the generations MGLRU keeps for CGROUP on
# NODE (default 0), oldest first, one "gen age_ms nr_anon nr_file" a line.
vm_lru_gens() {
	awk -v p="${1#"$CG_ROOT"}" -v node="${2:-0}" '
	$1 == "memcg" { in_cg = ($3 == p); next }
	$1 == "node" { in_node = in_cg && $2 == node; next }
	in_node && NF >= 4 { print $1, $2, $3, $4 }' "$LRU_GEN_DEBUG"
}

# vm_lru_gen_on: MGLRU on, with every capability; vm_lru_gen_restore puts
# back what was there before.
vm_lru_gen_on() {
	[ -e "$LRU_GEN" ] || return 1
	VM_LRU_GEN_WAS=${VM_LRU_GEN_WAS:-$(cat "$LRU_GEN")}
	echo y > "$LRU_GEN"
}
vm_lru_gen_restore() {
	[ -n "${VM_LRU_GEN_WAS:-}" ] && echo "$VM_LRU_GEN_WAS" > "$LRU_GEN"
	VM_LRU_GEN_WAS=
}

# vm_swap_on SIZE: swap on /dev/zram0 of SIZE (512M, 1G, ...), so that
# anonymous and tmpfs pages can be reclaimed.  The script needs a
# "# vm-modules: zram" line for the harness to pack the module.
vm_swap_on() {
	modprobe zram num_devices=1 || return 1
	echo "$1" > /sys/block/zram0/disksize &&
	    mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
}
vm_swap_off() {
	grep -q '^/dev/zram0 ' /proc/swaps || return 0
	swapoff /dev/zram0 && echo 1 > /sys/block/zram0/reset
}
