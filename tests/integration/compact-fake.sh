#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The compaction engine in the real daemon on a fake /proc: compaction
# triggered by fragments and by a fall of MemFree, skipped by threshold
# and by PSI, forced, stopped by PSI and by time (compact_memory is a FIFO
# there, so the write blocks as a long compaction would), stopped by
# disabling, per-node compaction where only one node needs it (and
# compact_memory once a node's file refused a write), live
# changes by SIGHUP, and inputs that are missing or garbage: the engine
# off with the reason, the daemon running.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
P="$ROOT/proc"
CM="$P/sys/vm/compact_memory"

# pagetypeinfo "FRAG BLOCKS" ["FRAG BLOCKS"...]: one Normal zone per node
# with FRAG free single movable pages and BLOCKS free order-10 blocks,
# each node's tables after its own header, as the kernel prints them.
pagetypeinfo() {
	local node=0 spec type a b
	{
	for spec in "$@"; do
		set -- $spec
		printf 'Page block order: 9\nPages per block:  512\n\n'
		printf 'Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 \n'
		for type in Unmovable Movable Reclaimable HighAtomic Isolate; do
			a=0 b=0
			[ $type = Movable ] && a=$1 b=$2
			printf 'Node %4d, zone   Normal, type %12s %6d      0      0      0      0      0      0      0      0      0 %6d \n' \
			    $node $type $a $b
		done
		printf '\nNumber of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n'
		printf 'Node %d, zone   Normal            1          100            0            0            0 \n' $node
		node=$((node + 1))
	done
	} > "$P/pagetypeinfo.new"
	mv "$P/pagetypeinfo.new" "$P/pagetypeinfo"
}

memfree() {
	printf 'MemTotal:        8000000 kB\nMemFree:  %14d kB\n' "$1" > "$P/meminfo.new"
	mv "$P/meminfo.new" "$P/meminfo"
}

# psi_add US: US more microseconds of memory stall.
psi_add() {
	local f="$P/pressure/memory" total
	total=$(sed -n 's/^some .*total=\([0-9]*\)$/\1/p' "$f")
	total=$((total + $1))
	printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=%d\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
	    "$total" > "$f.new"
	mv "$f.new" "$f"
}

# logged PATTERN N: the daemon logged more than N lines matching PATTERN.
logged() { [ "$(grep -c "$1" "$T/daemon.log")" -gt "$2" ]; }

# config JSON-OF-THE-COMPACT-SECTION: write the file and, once running,
# have the daemon reload it.
config() {
	local n
	printf '{ "compact": %s }\n' "$1" > "$T/conf.json"
	kt_alive || return 0
	# The daemon also watches the file: whichever of that and SIGHUP
	# comes second finds the configuration unchanged.
	n=$(grep -c 'configuration \(un\)\?changed' "$T/daemon.log")
	kill -HUP "$KT_PID"
	wait_for 5 logged 'configuration \(un\)\?changed' "$n" ||
	    fail "SIGHUP did not apply $1"
}

# status: S becomes the "compact" object of the status logged on SIGUSR1.
status() {
	local n
	n=$(grep -c 'status: ' "$T/daemon.log")
	kill -USR1 "$KT_PID"
	wait_for 5 logged 'status: ' "$n" || fail "no status logged on SIGUSR1"
	S=$(grep 'status: ' "$T/daemon.log" | tail -n 1 | sed -n 's/.*"compact":{//p')
}

# field NAME [TEXT]: one value of TEXT (default: S), the first match.
field() {
	printf '%s' "${2-$S}" | grep -o "\"$1\":[^,}]*" | head -n 1 |
	    cut -d: -f2- | tr -d '"'
}

# wait_field SECONDS NAME VALUE: until the field reads VALUE (or, for a
# number, at least VALUE).
wait_field() {
	local i v
	for i in $(seq $(($1 * 5))); do
		status
		v=$(field "$2")
		[ "$v" = "$3" ] && return 0
		case $v$3 in *[!0-9]*) ;; *) [ "$v" -ge "$3" ] && return 0 ;; esac
		sleep 0.2
	done
	fail "compact.$2 is '$v' after $1 s, wanted '$3': $S"
}

expect() {
	local v
	v=$(field "$1")
	[ "$v" = "$2" ] || fail "compact.$1 is '$v', wanted '$2': $S"
}

# ---- triggered, skipped by threshold, triggered again ----------------
pagetypeinfo "5000 100"
memfree 6000000
config '{ "period_secs": 1 }'
kt_start --root "$ROOT" -c "$T/conf.json"
wait_field 5 completed 1
[ "$(cat "$CM")" = 1 ] || fail "compact_memory holds '$(cat "$CM")'"
status
expect runs 1
expect forced 0
S=${S#*\"last_run\":}
expect reason fragmented
expect result completed
expect free_blocks_before 200
expect free_blocks_after 200
expect nodes all
ok "5000 fragments from zero: compact_memory written, last run reported"

: > "$CM"
wait_field 5 skipped_threshold 2
status
expect runs 1
expect state idle
expect periods_without_run "$(field skipped_threshold)"
[ -s "$CM" ] && fail "compacted though nothing changed"
ok "no new fragments: skipped by threshold"

pagetypeinfo "6025 100"
wait_field 5 runs 2
status
S=${S#*\"last_run\":}
expect reason fragmented
ok "fragments grew by more than compact_threshold: compacted again"

memfree 5990000
wait_field 5 runs 3
status
expect periods_without_run 0
S=${S#*\"last_run\":}
expect reason memfree_fell
ok "MemFree fell by more than compact_threshold pages: compacted"

# ---- forced; skipped by PSI -----------------------------------------
config '{ "period_secs": 1, "compact_force_times": 0 }'
wait_field 5 forced 2
ok "compact_force_times 0: forced every period (live change by SIGHUP)"

# Forced runs keep the idle periods at 0 up to this change.
config '{ "period_secs": 1, "compact_force_times": 2 }'
status
skips=$(field skipped_threshold) forced=$(field forced)
wait_field 8 forced $((forced + 1))
status
[ "$(field skipped_threshold)" -ge $((skips + 2)) ] ||
    fail "forced before two idle periods: $S"
ok "compact_force_times 2: forced after two idle periods"

config '{ "period_secs": 1, "compact_force_times": 0 }'
( while :; do psi_add 200000; sleep 0.1; done ) &
STALL=$!
KT_EXTRA_CLEANUP="kill $STALL 2>/dev/null"
status
runs=$(field runs)
wait_field 5 skipped_psi 2
kill $STALL; wait $STALL 2>/dev/null
KT_EXTRA_CLEANUP=
status
[ "$(field runs)" -le $((runs + 1)) ] || fail "compacted while stalled: $S"
ok "a stalled wait skips even a forced compaction"

# ---- stopped by PSI, by time, by disabling --------------------------
rm -f "$CM"
mkfifo "$CM"
config '{ "period_secs": 1, "compact_force_times": 0 }'
wait_field 5 state running
psi_add 500000
wait_field 3 aborted_psi 1
kt_log_has "compact: stall [0-9.]*% in the last second exceeds 5%: stopping" ||
    fail "no log of the PSI stop"
kt_log_has "compact: aborted_psi after" || fail "no log of the aborted run"
ok "a second with 50% stall stops a running compaction"

config '{ "period_secs": 1, "compact_force_times": 0, "compact_sec_max": 1 }'
wait_field 8 aborted_time 2
secs=$(sed -n 's/.*compact: aborted_time after \([0-9.]*\) s.*/\1/p' "$T/daemon.log" | tail -n 1)
case $secs in 0.9*|1.0*) ;; *) fail "stopped after $secs s, wanted 1" ;; esac
ok "compact_sec_max 1 stops a compaction after $secs s"

config '{ "period_secs": 1, "compact_force_times": 0 }'
wait_field 5 state running
config '{ "period_secs": 1, "disabled": true }'
wait_field 3 cancelled 1
status
expect state off
expect reason "disabled by configuration"
checks=$(field checks)
sleep 2
status
expect checks "$checks"
pgrep -P "$KT_PID" >/dev/null && fail "a compaction child outlived the run"
ok "disabling stops a running compaction; a disabled engine checks nothing"
kt_stop
rm -f "$CM"
: > "$CM"

# ---- one node of two -------------------------------------------------
for n in 0 1; do
	mkdir -p "$ROOT/sys/devices/system/node/node$n"
	: > "$ROOT/sys/devices/system/node/node$n/compact"
done
N0="$ROOT/sys/devices/system/node/node0/compact"
N1="$ROOT/sys/devices/system/node/node1/compact"
pagetypeinfo "3000 10" "3000 20"
config '{ "period_secs": 1 }'
kt_start --root "$ROOT" -c "$T/conf.json"
wait_field 5 runs 1
[ "$(cat "$CM")" = 1 ] || fail "both nodes grew: compact_memory not written"
[ -s "$N0" ] || [ -s "$N1" ] && fail "both nodes grew, yet node files written"
: > "$CM"
pagetypeinfo "3000 10" "4500 20"
wait_field 5 runs 2
status
expect node_runs 1
[ "$(cat "$N1")" = 1 ] || fail "node1/compact holds '$(cat "$N1")'"
[ -s "$N0" ] && fail "node 0 compacted though its fragments did not grow"
[ -s "$CM" ] && fail "compact_memory written for a one-node run"
S=${S#*\"last_run\":}
case $S in *'"nodes":[1]'*) ;; *) fail "last run's nodes: $S" ;; esac
expect free_blocks_before 60
ok "only node 1 fragmented: only node1/compact written"

# A node file that refuses the write (a read-only sysfs attribute, which
# refuses even root): that run fails, and the engine goes on with
# compact_memory, where it used to turn itself off.
rm -f "$N1"
ln -s /sys/kernel/uevent_seqnum "$N1"
pagetypeinfo "3000 10" "6000 20"
wait_field 5 failed 1
wait_field 5 state idle
kt_log_has "compact: node 1's compact file: Permission denied: all memory" ||
    fail "the refused node write was not logged"
[ -s "$CM" ] && fail "compact_memory written for the node run"
pagetypeinfo "3000 10" "7500 20"
wait_field 5 runs 4
[ "$(cat "$CM")" = 1 ] || fail "after a node refused: compact_memory holds '$(cat "$CM")'"
status
expect failed 1
S=${S#*\"last_run\":}
expect nodes all
ok "a node's compact file refused: the engine compacts all memory instead"
kt_stop

# ---- inputs missing or garbage -------------------------------------
echo "Page block order: banana" > "$P/pagetypeinfo"
kt_start --root "$ROOT" -c "$T/conf.json"
status
expect state off
expect reason "/proc/pagetypeinfo: unexpected contents"
kt_log_has "compact: /proc/pagetypeinfo: unexpected contents: the engine is off" ||
    fail "garbage pagetypeinfo not logged"
case $(grep 'status: ' "$T/daemon.log" | tail -n 1) in
*'"policy":{"state":"'*) ;; *) fail "the KSM engine is not in the status" ;; esac
ok "garbage /proc/pagetypeinfo: engine off with the reason, daemon runs"

pagetypeinfo "3000 10"
config '{ "period_secs": 1, "disabled": true }'
config '{ "period_secs": 1 }'
wait_field 3 state idle
ok "re-enabling after the file is fixed brings the engine back"

rm -f "$P/pagetypeinfo"
wait_field 3 state off
status
expect reason "/proc/pagetypeinfo: No such file or directory"
ok "pagetypeinfo gone at a check: engine off with the reason"
kt_alive || fail "daemon died"
kt_stop

pagetypeinfo "3000 10"
rm -f "$CM"
kt_start --root "$ROOT" -c "$T/conf.json"
status
expect state off
case $(field reason) in
*"compact_memory not found"*) ;; *) fail "no-compaction reason: $S" ;; esac
kt_stop
ok "a kernel without compact_memory: engine off with the reason"
