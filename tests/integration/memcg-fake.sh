#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The memcg engine in the real daemon on fake cgroup trees: v1 with the
# cache-threshold policy (force_empty, cooldown, a PSI storm that skips
# runs, unreadable stats, a write the "kernel" refuses); v2 with period
# runs through memory.reclaim, a write that blocks (a FIFO) while the
# loop still answers, a cgroup removed mid-pass, PSI over the limit
# during a write that cancels it, live changes on SIGHUP; MGLRU turned
# on, aged, and turned off again at exit.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
V1="$ROOT/sys/fs/cgroup/memory"
V2="$ROOT/sys/fs/cgroup"

# status: SIGUSR1, then the JSON of the status line it logged, in $T/status.
status() {
	local n
	n=$(grep -c "status: " "$T/daemon.log")
	kill -USR1 "$KT_PID"
	wait_for 5 logged_more "status: " "$n" || fail "no status on SIGUSR1"
	grep "status: " "$T/daemon.log" | tail -n 1 | sed 's/.*status: //' \
	    > "$T/status"
}
# jget KEY: a scalar of the memcg status (its first occurrence).
jget() {
	sed 's/.*"memcg":{//' "$T/status" | grep -o "\"$1\":[^,}]*" |
	    head -n 1 | cut -d: -f2- | tr -d '"'
}
# cgget CGROUP KEY: a counter of one cgroup.
cgget() {
	grep -o "\"$1\":{[^}]*" "$T/status" | grep -o "\"$2\":[^,}]*" |
	    head -n 1 | cut -d: -f2- | tr -d '"'
}
# cgstop CGROUP REASON: how often a cgroup's runs stopped for a reason.
cgstop() {
	grep -o "\"$1\":{[^}]*}" "$T/status" | grep -o "\"$2\":[0-9]*" |
	    cut -d: -f2
}
# logged_more PATTERN N: the daemon logged more than N lines matching PATTERN.
logged_more() { [ "$(kt_log_count "$1")" -gt "$2" ]; }
# A PSI storm: the pressure file's total grows by a second every 50 ms.
storm() {
	local f=$1 t=0
	while :; do
		t=$((t + 1000000))
		printf 'some avg10=99.00 avg60=0.00 avg300=0.00 total=%s\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
		    "$t" > "$f.tmp" && mv "$f.tmp" "$f"
		sleep 0.05
	done
}
STORM=
storm_stop() { [ -n "$STORM" ] && kill "$STORM" 2>/dev/null; wait "$STORM" 2>/dev/null; STORM=; }
KT_EXTRA_CLEANUP='storm_stop'

# ---- cgroup v1, the cache-threshold policy (reference 003) ----------
# v1cg PATH CACHE_MIB LIMIT_MIB
v1cg() {
	mkdir -p "$V1$1"
	printf 'cache %s\nrss 4096\ninactive_file %s\nactive_file 0\n' \
	    $(($2 * MIB)) $(($2 * MIB)) > "$V1$1/memory.stat"
	echo $(($2 * MIB + 4096)) > "$V1$1/memory.usage_in_bytes"
	echo $(($3 * MIB)) > "$V1$1/memory.limit_in_bytes"
	: > "$V1$1/memory.force_empty"
}
mkdir -p "$V1"
printf 'cache 0\nrss 0\n' > "$V1/memory.stat"
v1cg /kt 0 4096
v1cg /kt/a 300 1024		# over 25 % of 1 GiB
v1cg /kt/b 10 1024		# under
v1cg /kt/c 0 1024		# not a leaf
v1cg /kt/c/d 500 1024		# over, two levels down
v1cg /kt/e 600 1024
echo "cache lots" > "$V1/kt/e/memory.stat"
v1cg /kt/f 900 1024
# A write the "kernel" refuses: /dev/full says ENOSPC.
ln -sf /dev/full "$V1/kt/f/memory.force_empty"
v1cg /kt/u 900 1024		# "no limit": a percentage does not apply
echo 9223372036854771712 > "$V1/kt/u/memory.limit_in_bytes"
cat > "$T/v1.json" <<'JSON'
{ "ksm": { "enabled": false },
  "memcg": { "cache_reclaim": { "parent": "/sys/fs/cgroup/memory/kt",
    "threshold": "25%", "interval_secs": 1, "cooldown_secs": 30 } } }
JSON

kt_start --root "$ROOT" -c "$T/v1.json"
kt_log_has "memcg: backend force_empty, cgroup v1 at /sys/fs/cgroup/memory" ||
    fail "v1 backend not chosen"
wait_for 10 grep -qx 0 "$V1/kt/a/memory.force_empty" || fail "/kt/a not reclaimed"
wait_for 5 grep -qx 0 "$V1/kt/c/d/memory.force_empty" || fail "/kt/c/d not reclaimed"
[ -s "$V1/kt/b/memory.force_empty" ] && fail "/kt/b under the threshold was reclaimed"
[ -s "$V1/kt/c/memory.force_empty" ] && fail "/kt/c is not a leaf but was reclaimed"
[ -s "$V1/kt/u/memory.force_empty" ] && fail "/kt/u has no limit but was reclaimed"
kt_log_has "/kt/a: page cache 307200 KiB over the threshold of 262144 KiB" ||
    fail "no log of the threshold decision"
ok "v1: leaves over the threshold get force_empty, others are left alone"

wait_for 5 kt_log_has "/kt/e: cannot read its memory stats" || fail "garbage stat not reported"
wait_for 5 kt_log_has "/kt/f: memory.force_empty, skipping it this run: No space left on device" ||
    fail "refused write not reported"
sleep 2.5
assert_eq "garbage stat logged" 1 "$(kt_log_count '/kt/e: cannot read')"
assert_eq "refused write logged" 1 "$(kt_log_count '/kt/f: memory.force_empty, skipping')"
assert_eq "no limit logged" 1 "$(kt_log_count '/kt/u: no memory limit')"
status
assert_eq "backend" force_empty "$(jget backend)"
assert_eq "/kt/a cache_reclaims" 1 "$(cgget /kt/a cache_reclaims)"
[ "$(cgget /kt/e errors)" -ge 2 ] || fail "/kt/e errors not counted"
cgget /kt/f last_error | grep -q "memory.force_empty: No space left on device" ||
    fail "/kt/f last_error: $(cgget /kt/f last_error)"
ok "unreadable stats and refused writes: logged once, counted, the pass goes on"

# The cooldown: over the threshold again, but reclaimed 30 s ago.
: > "$V1/kt/a/memory.force_empty"
sleep 2.5
[ -s "$V1/kt/a/memory.force_empty" ] && fail "/kt/a reclaimed again within its cooldown"
ok "no second reclaim within the cooldown"

# A PSI storm: a new cgroup over the threshold waits until it is calm.
storm "$ROOT/proc/pressure/memory" & STORM=$!
v1cg /kt/g 700 1024
wait_for 10 kt_log_has "/kt/g: stalled .* over the wait, above 1%, skipping this cache run" ||
    fail "no PSI skip for /kt/g"
[ -s "$V1/kt/g/memory.force_empty" ] && fail "/kt/g reclaimed during the storm"
status
[ "$(cgget /kt/g psi_skips)" -ge 1 ] || fail "psi_skips of /kt/g: $(cgget /kt/g psi_skips)"
storm_stop
echo "$PSI0" > "$ROOT/proc/pressure/memory"
wait_for 10 grep -qx 0 "$V1/kt/g/memory.force_empty" || fail "/kt/g not reclaimed after the storm"
ok "PSI over the limit skips runs; once calm, the cgroup is reclaimed"

# A leaf that goes away is dropped, once.
rm -rf "$V1/kt/b"
sleep 2.5
status
grep -q '"/kt/b"' "$T/status" && fail "/kt/b still tracked after it went away"
kt_alive || fail "daemon died"
kt_stop
ok "a vanished leaf is no longer tracked"

# ---- cgroup v2, period runs through memory.reclaim ------------------
rm -rf "$V1"
echo "cpu io memory pids" > "$V2/cgroup.controllers"
: > "$V2/memory.reclaim"
kt_v2cg /vms 0
kt_v2cg /vms/a 10
kt_v2cg /vms/b 10
kt_v2cg /vms/c 100
kt_v2cg /other 10
# A cgroup whose name is not UTF-8 and holds an escape and a CR: left out.
BAD=$(printf '/vms/bad\377\033[31mX\r')
kt_v2cg "$BAD" 10
rm "$V2/vms/a/memory.reclaim"; mkfifo "$V2/vms/a/memory.reclaim"
cat > "$T/v2.json" <<'JSON'
{ "ksm": { "enabled": false },
  "memcg": { "period_secs": 1, "eviction_run_aging_count_min": 0,
    "cgroups": ["/vms/*"] } }
JSON
kt_start --root "$ROOT" -c "$T/v2.json"
kt_log_has "memcg: backend reclaim, cgroup v2 at /sys/fs/cgroup" || fail "v2 backend not chosen"
wait_for 10 kt_log_has '/vms/a: memory.reclaim: "10485760 swappiness=0"' ||
    fail "no memory.reclaim write for /vms/a"
# /vms/a's write is blocked on the FIFO: the loop still answers.
status
assert_eq "state while a write blocks" running "$(jget state)"
assert_eq "tracked" 3 "$(jget tracked)"
grep -q '"/other"' "$T/status" && fail "/other is not in memcg.cgroups but is tracked"
ok "a blocked reclaim write does not block the loop"
kt_log_has "memcg: /vms: 1 cgroups whose names are not printable UTF-8 are left out" ||
    fail "the unfit cgroup name not said"
LC_ALL=C grep -q "$(printf '\033')" "$T/daemon.log" && fail "an escape reached the log"
iconv -f UTF-8 -t UTF-8 "$T/status" >/dev/null || fail "status is not UTF-8"
rm -rf "$V2$BAD"
ok "a cgroup named with bytes that are not printable UTF-8 is left out"

rm -rf "$V2/vms/b"
got=$(cat "$V2/vms/a/memory.reclaim")
rm "$V2/vms/a/memory.reclaim"; : > "$V2/vms/a/memory.reclaim"
assert_eq "what /vms/a got" "10485760 swappiness=0" "$got"
# Either the pass reaches /vms/b and finds it gone, or the glob walk
# before it drops it first: both leave it alone and go on.
wait_for 5 kt_log_has "/vms/b: cgroup is gone, skipping it|no longer tracking /vms/b" ||
    fail "vanished /vms/b neither skipped nor dropped"
wait_for 5 grep -qx "37748736 swappiness=0" "$V2/vms/c/memory.reclaim" ||
    fail "/vms/c after the vanished /vms/b: '$(cat "$V2/vms/c/memory.reclaim")'"
ok "a cgroup removed mid-pass is skipped, the pass goes on (64 MiB chunks)"

# PSI over the limit while a write runs: the write is cancelled.  The
# writer is frozen (cgroup v1 freezer) first, so that the SIGKILL takes
# effect only once it is thawed, as under the pressure that stopped it a
# reclaim may notice the signal late: the loop must not wait for it.
rm "$V2/vms/c/memory.reclaim"; mkfifo "$V2/vms/c/memory.reclaim"
n=$(kt_log_count '/vms/c: memory.reclaim: ')
wait_for 10 logged_more '/vms/c: memory.reclaim: ' "$n" || fail "no new write to /vms/c"
FRZ=
freeze_writer() {
	local f=/sys/fs/cgroup/freezer child
	[ -f "$f/cgroup.procs" ] || return 1
	wait_for 5 pgrep -P "$KT_PID" >/dev/null || fail "no writer child"
	child=$(pgrep -P "$KT_PID" | head -n 1)
	mkdir "$f/kt-test.$$" || return 1
	FRZ="$f/kt-test.$$"
	echo "$child" > "$FRZ/cgroup.procs" && echo FROZEN > "$FRZ/freezer.state"
}
thaw_writer() {
	[ -n "$FRZ" ] || return 0
	echo THAWED > "$FRZ/freezer.state"
	wait_for 5 sh -c "! grep -q . '$FRZ/cgroup.procs'"
	rmdir "$FRZ"
	FRZ=
}
KT_EXTRA_CLEANUP='storm_stop; thaw_writer'
freeze_writer || echo "# no cgroup v1 freezer here: the writer dies at once"
storm "$V2/vms/c/memory.pressure" & STORM=$!
wait_for 10 kt_log_has "/vms/c: stalled .* while reclaiming, above 1%, stopping" ||
    fail "eviction not stopped on PSI"
storm_stop
echo "$PSI0" > "$V2/vms/c/memory.pressure"
if [ -n "$FRZ" ]; then
	status
	assert_eq "state while the killed writer lingers" running "$(jget state)"
	ok "a killed writer that lingers does not hold the loop"
	thaw_writer
fi
rm "$V2/vms/c/memory.reclaim"; : > "$V2/vms/c/memory.reclaim"
psi_stopped() { status; [ "$(cgstop /vms/c psi)" -ge 1 ]; }
wait_for 5 psi_stopped || fail "psi stop of /vms/c not counted"
kt_alive || fail "daemon died"
ok "PSI over eviction_psi_percent_limit during a write cancels it"

# Live changes on SIGHUP: a longer period re-arms, a new glob tracks.
wait_for 5 kt_log_has "/vms/a: period run reclaimed" || fail "/vms/a never finished a run"
sed -e 's/"period_secs": 1/"period_secs": 3600/' \
    -e 's|"/vms/\*"|"/vms/*", "/other"|' "$T/v2.json" > "$T/v2b.json"
cp "$T/v2b.json" "$T/v2.json"
kill -HUP "$KT_PID"
wait_for 5 kt_log_has "configuration changed" || fail "SIGHUP not applied"
sleep 0.3
status
assert_eq "tracked after the new glob" 3 "$(jget tracked)"
grep -q '"/other"' "$T/status" || fail "/other not tracked after SIGHUP"
[ "$(cgget /vms/a period_secs)" = 3600 ] || fail "period of /vms/a: $(cgget /vms/a period_secs)"
[ "$(cgget /vms/a next_run_in_ms)" -gt 3000000 ] || fail "timer not re-armed: $(cgget /vms/a next_run_in_ms)"
runs=$(cgget /vms/a runs)
sleep 1.5
status
assert_eq "runs of /vms/a after the period grew" "$runs" "$(cgget /vms/a runs)"
ok "SIGHUP: the new period applies to tracked cgroups and re-arms the timer"

sed 's/"period_secs": 3600/"period_secs": 3600, "disabled": true/' "$T/v2.json" > "$T/v2c.json"
cp "$T/v2c.json" "$T/v2.json"
kill -HUP "$KT_PID"
wait_for 5 logged_more 'configuration changed' 1 || fail "second SIGHUP not applied"
status
assert_eq "state after disabling" disabled "$(jget state)"
ok "memcg.disabled on SIGHUP: the engine stops"

# Off and on again, and again: each start looks for what an earlier
# release left, and the daemon runs on.
for i in 1 2 3 4 5; do
	cp "$T/v2.json" "$T/v2c.json"
	sed 's/, "disabled": true//' "$T/v2c.json" > "$T/v2.json"
	kill -HUP "$KT_PID"
	wait_for 5 eval 'status; [ "$(jget state)" != disabled ]' ||
	    fail "memcg not on again (round $i): $(jget state)"
	cp "$T/v2c.json" "$T/v2.json"
	kill -HUP "$KT_PID"
	wait_for 5 eval 'status; [ "$(jget state)" = disabled ]' ||
	    fail "memcg not off again (round $i): $(jget state)"
done
kt_alive || fail "the daemon died switching memcg off and on"
kt_stop
ok "memcg switched off and on five times: the daemon runs on"

# A daemon killed mid-write takes the write with it: nothing reclaims
# unwatched.
rm "$V2/vms/a/memory.reclaim"; mkfifo "$V2/vms/a/memory.reclaim"
cat > "$T/kill.json" <<'JSON'
{ "ksm": { "enabled": false },
  "memcg": { "period_secs": 1, "eviction_run_aging_count_min": 0,
    "cgroups": ["/vms/a"] } }
JSON
kt_start --root "$ROOT" -c "$T/kill.json"
wait_for 10 kt_log_has '/vms/a: memory.reclaim: ' || fail "no write to /vms/a"
kt_kill
gone() { ! pgrep -f -- "--socket $SOCK" >/dev/null; }
wait_for 5 gone || fail "a write outlived the daemon: $(pgrep -a -f -- "--socket $SOCK")"
rm "$V2/vms/a/memory.reclaim"; : > "$V2/vms/a/memory.reclaim"
ok "kill -9 of the daemon mid-write leaves no writer behind"

# Nothing to manage: idle, no timer.
echo '{"ksm": {"enabled": false}}' > "$T/idle.json"
kt_start --root "$ROOT" -c "$T/idle.json"
status
assert_eq "state with nothing to manage" idle "$(jget state)"
assert_eq "tracked" 0 "$(jget tracked)"
kt_stop
ok "an engine with nothing to manage is idle"

# ---- MGLRU: turned on, aged, turned back off ------------------------
mkdir -p "$ROOT/sys/kernel/mm/lru_gen" "$ROOT/sys/kernel/debug"
echo 0x0000 > "$ROOT/sys/kernel/mm/lru_gen/enabled"
lru() {
	printf 'memcg     1 /\n node     0\n          1     900000          0          0 \n'
	printf 'memcg    37 /vms/a\n node     0\n'
	for s in $(seq "$1" "$2"); do
		printf ' %10s %10s %10s %10s \n' "$s" 200000 10 1000
	done
}
lru 8 11 > "$ROOT/sys/kernel/debug/lru_gen"
cat > "$T/mglru.json" <<'JSON'
{ "ksm": { "enabled": false },
  "memcg": { "period_secs": 1, "eviction_run_aging_count_min": 1000,
    "cgroups": ["/vms/a"] } }
JSON
kt_start --root "$ROOT" -c "$T/mglru.json"
kt_log_has "memcg: MGLRU was off \(0x0000\), turned on" || fail "MGLRU not turned on"
assert_eq "lru_gen/enabled while running" y "$(cat "$ROOT/sys/kernel/mm/lru_gen/enabled")"
status
assert_eq "backend" mglru "$(jget backend)"
assert_eq "cache backend" reclaim "$(jget cache_backend)"
wait_for 10 grep -q "^+" "$ROOT/sys/kernel/debug/lru_gen" || fail "no aging written"
assert_eq "aging command" "+ 37 0 11 0 1" "$(cat "$ROOT/sys/kernel/debug/lru_gen")"
lru 9 12 > "$ROOT/sys/kernel/debug/lru_gen"
wait_for 10 grep -q "^+ 37 0 12" "$ROOT/sys/kernel/debug/lru_gen" || fail "no second aging"
lru 10 13 > "$ROOT/sys/kernel/debug/lru_gen"
status
[ "$(cgget /vms/a aging_runs)" -ge 2 ] || fail "aging_runs: $(cgget /vms/a aging_runs)"
kt_stop
assert_eq "lru_gen/enabled after exit" 0x0000 "$(cat "$ROOT/sys/kernel/mm/lru_gen/enabled")"
ok "MGLRU: turned on, each period ages the memcg, turned off at exit"

# memcg.disabled: nothing on the host changes, MGLRU's switch neither;
# enabled on SIGHUP it turns it on, disabled again it puts it back.
sed 's/"period_secs": 1,/"period_secs": 1, "disabled": true,/' \
    "$T/mglru.json" > "$T/mglru-off.json"
cp "$T/mglru-off.json" "$T/mglru-live.json"
kt_start --root "$ROOT" -c "$T/mglru-live.json"
status
assert_eq "state when disabled" disabled "$(jget state)"
assert_eq "lru_gen/enabled while disabled" 0x0000 \
    "$(cat "$ROOT/sys/kernel/mm/lru_gen/enabled")"
cp "$T/mglru.json" "$T/mglru-live.json"
kill -HUP "$KT_PID"
wait_for 5 kt_log_has "MGLRU was off" || fail "MGLRU not turned on once enabled"
assert_eq "lru_gen/enabled once enabled" y \
    "$(cat "$ROOT/sys/kernel/mm/lru_gen/enabled")"
status
assert_eq "tracked once enabled" 1 "$(jget tracked)"
cp "$T/mglru-off.json" "$T/mglru-live.json"
kill -HUP "$KT_PID"
wait_for 5 logged_more 'configuration changed' 1 || fail "second SIGHUP not applied"
status
assert_eq "state disabled again" disabled "$(jget state)"
assert_eq "tracked when disabled" 0 "$(jget tracked)"
assert_eq "lru_gen/enabled disabled again" 0x0000 \
    "$(cat "$ROOT/sys/kernel/mm/lru_gen/enabled")"
kt_stop
ok "memcg.disabled changes nothing on the host; live, it puts MGLRU back"
