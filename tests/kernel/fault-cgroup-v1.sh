#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real kernel, cgroup v1: cgroups removed while the memcg engine's pass
# works on them.  Eight children of the test's own cgroup hold page cache
# over cache_reclaim.threshold; the daemon is stopped (SIGSTOP) the
# moment its pass starts force_empty on the first, seven of the eight
# are removed, and it is let go.  The pass skips the removed ones (said,
# not counted as errors), reclaims the one left, drops the removed ones
# from the status, and runs on.  Touches only the cgroups it creates,
# and removes them however it ends.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
command -v jq >/dev/null || skip "jq is not installed"
MEM=/sys/fs/cgroup/memory
[ "$(id -u)" = 0 ] || skip "needs root to create cgroups under $MEM"
[ -e "$MEM/memory.force_empty" ] ||
    skip "no cgroup v1 memory controller at $MEM (a cgroup v2 host: see tests/integration/memcg-fake.sh)"
[ -e /sys/kernel/mm/lru_gen/enabled ] &&
    skip "this kernel has MGLRU: the engine would pick it, not force_empty"

NAME="kt-fault-$$"
PARENT="$MEM/$NAME"
WORKDIR=$(mktemp -d /var/tmp/kt-fault.XXXXXX)
fs=$(stat -f -c %T "$WORKDIR")
case $fs in
tmpfs|ramfs) rm -rf "$WORKDIR"; skip "/var/tmp is $fs: no page cache to reclaim" ;;
esac
cleanup_cgroups() {
	local c
	[ -n "$KT_PID" ] && kill -CONT "$KT_PID" 2>/dev/null
	for c in "$PARENT"/c*/; do [ -d "$c" ] && rmdir "$c"; done
	[ -d "$PARENT" ] && rmdir "$PARENT"
	rm -rf "$WORKDIR"
}
KT_EXTRA_CLEANUP=cleanup_cgroups

# cache CGROUP MIB: page cache charged to CGROUP, by a writer that exits
cache() {
	mkdir "$PARENT/$1" || fail "cannot create $PARENT/$1"
	sh -c 'echo $$ > "$1/cgroup.procs" &&
	    dd if=/dev/zero of="$2" bs=1M count="$3" conv=fsync status=none' \
	    - "$PARENT/$1" "$WORKDIR/$1" "$2" || fail "writer in $1 failed"
}
mkdir "$PARENT" || fail "cannot create $PARENT"
cache c1 300		# the first of the pass: a long force_empty
for i in 2 3 4 5 6 7 8; do cache c$i 8; done

# On cgroup v1 the PSI gate reads the whole host's pressure, which other
# tests running beside this one move: no gate here (memcg-fake.sh tests it).
cat > "$T/conf.json" <<JSON
{ "ksm": { "enabled": false }, "compact": { "disabled": true },
  "inputs": { "inotify": { "enabled": false } },
  "memcg": { "period_psi_percent_limit": 100,
    "cache_reclaim": { "parent": "$PARENT", "threshold": "4M",
    "interval_secs": 1, "cooldown_secs": 60 } } }
JSON
kt_start -c "$T/conf.json"
# A tight loop, not wait_for: the daemon must stop within c1's write.
end=$((SECONDS + 10))
until grep -q "memcg: /$NAME/c1: memory.force_empty" "$T/daemon.log"; do
	[ $SECONDS -lt $end ] || fail "the pass did not start on c1"
done
kill -STOP "$KT_PID"
for i in 1 2 3 4 5 6 7; do
	rmdir "$PARENT/c$i" || fail "cannot remove c$i mid-pass"
done
kill -CONT "$KT_PID"

wait_for 10 kt_log_has "/$NAME/c8: cache run reclaimed" || fail "c8 not reclaimed after the removals"
gone=$(grep -cE "/$NAME/c[1-7]: cgroup is gone, skipping it" "$T/daemon.log")
[ "$gone" -ge 1 ] || fail "no removed cgroup was skipped by the pass"
kt_log_has "/$NAME/c[1-7].*(force_empty, skipping|cannot read)" &&
    fail "a removed cgroup was taken for an error"
ok "7 of 8 cgroups removed mid-pass: $gone skipped as gone, the last reclaimed"

wait_for 5 st_is '.memcg.tracked' 1 || fail "tracked after the removals: $(st .memcg.tracked)"
assert_eq "errors counted" 0 "$(st .memcg.totals.errors)"
assert_eq "cgroups left" "[\"/$NAME/c8\"]" "$(ctl status --json | jq -c '.memcg.cgroups | keys')"
kt_alive || fail "daemon died"
kt_stop
ok "status: only the cgroup left, no errors; the daemon stops cleanly"
