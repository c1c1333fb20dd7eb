#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The real daemon on a fake /sys: knobs saved before the first write, put
# back on SIGTERM and after a SIGKILL; hostile sysfs contents and vanishing
# files do not stop it; a kernel without KSM leaves the daemon running.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
K="$ROOT/sys/kernel/mm/ksm"
knobs() { echo "$(cat "$K/run") $(cat "$K/pages_to_scan") $(cat "$K/sleep_millisecs") $(cat "$K/advisor_mode")"; }
STATE="$T/run/host.state"

echo 0 > "$K/run"; echo 123 > "$K/pages_to_scan"; echo 45 > "$K/sleep_millisecs"
before=$(knobs)
kt_start --root "$ROOT"
wait_for 5 grep -qx 1 "$K/run" || fail "daemon did not start ksmd"
[ -f "$STATE" ] || fail "no state file after the first write"
grep -qxF '"/sys/kernel/mm/ksm/pages_to_scan" "123"' "$STATE" ||
    fail "state file lacks the original pages_to_scan: $(cat "$STATE")"
ok "originals saved to the state file before the first write"
kt_stop
assert_eq "knobs after SIGTERM" "$before" "$(knobs)"
[ -e "$STATE" ] && fail "state file left behind after a clean exit"
[ -e "$T/run/ksm-throttlerd.pid" ] && fail "pid file left behind"
ok "SIGTERM restores every knob and removes the state file"

kt_start --root "$ROOT"
wait_for 5 grep -qx 1 "$K/run" || fail "daemon did not start ksmd"
kt_kill
[ "$(cat "$K/run")" = 1 ] || fail "kill -9 should leave the knobs changed"
kt_start --root "$ROOT"
kt_log_has "restoring the KSM settings a previous run left" ||
    fail "restart after a crash did not say it restores"
kt_stop
assert_eq "knobs after crash and restart" "$before" "$(knobs)"
ok "after SIGKILL a restart puts the originals back"

# A crash, and the configuration file broken meanwhile: the restart
# refuses the file and exits 1, but puts the originals back first.
kt_start --root "$ROOT"
wait_for 5 grep -qx 1 "$K/run" || fail "daemon did not start ksmd"
kt_kill
echo '{ "ksm": { "pace_factor": "banana" } }' > "$T/bad.json"
"$KTD" -f --socket "$SOCK" --root "$ROOT" -c "$T/bad.json" > "$T/bad.log" 2>&1 &&
    fail "a refused configuration file started the daemon"
grep -q "ksm.pace_factor" "$T/bad.log" || fail "the refusal does not say why: $(cat "$T/bad.log")"
grep -q "not started: the configuration file was refused" "$T/bad.log" ||
    fail "the refusal does not say the daemon did not start"
assert_eq "knobs after a crash and a refused file" "$before" "$(knobs)"
[ -e "$STATE" ] && fail "state file left once put back"
[ -e "$T/run/ksm-throttlerd.pid" ] && fail "pid file left by the refused start"
ok "a refused file at a restart after a crash still puts the originals back"

# A host found with run 2 (stopped, unmerged): put back as 0, since
# writing 2 would unmerge every merged page at once.
echo 2 > "$K/run"
kt_start --root "$ROOT"
wait_for 5 grep -qx 1 "$K/run" || fail "daemon did not start ksmd"
grep -qxF '"/sys/kernel/mm/ksm/run" "0"' "$STATE" ||
    fail "run 2 not saved as 0: $(cat "$STATE")"
kt_log_has "run is 2 \(stopped, unmerged\): it will be put back as 0" ||
    fail "run 2 not explained"
kt_stop
assert_eq "run after a start from 2" 0 "$(cat "$K/run")"
echo 0 > "$K/run"
ok "run found at 2 is put back as 0, not unmerging everything"

# The previous release's ksm.state, left by a crash: replayed, removed.
echo 1 > "$K/run"; echo 5000 > "$K/pages_to_scan"; echo 0 > "$K/sleep_millisecs"
printf 'ksm-throttler-state 1\nrun 0\npages_to_scan 123\nsleep_millisecs 45\n' > "$T/run/ksm.state"
echo '{ "ksm": { "enabled": false } }' > "$T/off.json"
kt_start --root "$ROOT" -c "$T/off.json"
kt_log_has "ksm.state: restoring the KSM settings a previous run left changed" ||
    fail "legacy ksm.state not replayed"
assert_eq "knobs from a legacy ksm.state" "$before" "$(knobs)"
[ -e "$T/run/ksm.state" ] && fail "legacy ksm.state left once replayed"
[ -e "$STATE" ] && fail "host.state left with nothing to keep"
kt_stop
assert_eq "knobs after stop" "$before" "$(knobs)"
ok "a ksm.state of the previous release is replayed and removed"

kt_start --root "$ROOT"
"$KTD" -f --socket "$SOCK" --root "$ROOT" > "$T/second.log" 2>&1 &&
    fail "a second daemon on the same run directory started"
grep -q "another ksm-throttlerd runs" "$T/second.log" || fail "second daemon message: $(cat "$T/second.log")"
ok "a second daemon on the same run directory is refused"

# Hostile contents while it runs.
echo "" > "$K/pages_sharing"
echo "garbage" > "$K/full_scans"
echo 99999999999999999999999999 > "$K/pages_shared"
printf '\x00\x01\x02' > "$K/pages_unshared"
rm -f "$K/pages_volatile" "$K/general_profit"
echo "42 (ksmd" > "$ROOT/proc/42/stat"
kill -HUP "$KT_PID"
kill -USR1 "$KT_PID"
wait_for 5 kt_log_has "status: " || fail "no status logged on SIGUSR1"
kt_alive || fail "daemon died on hostile sysfs contents"
# Status shows a sample at most a second old: one comes within that.
wait_for 5 kt_log_has "full_scans: unexpected contents, ignoring it" || fail "garbage not reported"
ok "garbage, huge numbers, empty and vanished files: logged, daemon runs"
kt_stop
assert_eq "knobs after hostile run" "$before" "$(knobs)"

# A state file that is not ours is not trusted, nor one of the previous
# release.
for f in "$STATE" "$T/run/ksm.state"; do
	echo "run 1" > "$f"
	kt_start --root "$ROOT"
	kt_log_has "$f: corrupt state file" || fail "corrupt $f not reported"
	kt_stop
	assert_eq "knobs after corrupt $f" "$before" "$(knobs)"
done
ok "a corrupt state file is reported and ignored"

# No CONFIG_KSM: the daemon still runs.
rm -rf "$K"
kt_start --root "$ROOT"
kt_log_has "not found \(kernel without CONFIG_KSM" || fail "missing KSM not reported"
sleep 0.2
kt_alive || fail "daemon exited without KSM"
kt_stop
ok "a kernel without KSM: clear log line, daemon keeps running"
