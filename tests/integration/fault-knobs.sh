#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# KSM knob writes refused, on a fake /sys.  EACCES for real: a knob file
# of mode 0444 and the daemon run as root without CAP_DAC_OVERRIDE.
# EBUSY from tests/lib/fault-inject.so: none of the knobs the daemon writes
# returns it on Linux, so nothing real provokes it.  (EINVAL from the
# kernel's advisor owning pages_to_scan, and EROFS, are real in
# tests/kernel/fault-advisor.sh.)  Each refusal is logged once with the
# knob and the reason, shown in the status, not taken as written, tried
# again until it works, and the host's knobs are back at exit, also
# when a knob refuses its restore (by the next start).
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
INJECT="$top_builddir/tests/lib/fault-inject.so"
[ -f "$INJECT" ] || fail "$INJECT not built"
K="$ROOT/sys/kernel/mm/ksm"
KS=/sys/kernel/mm/ksm
# err KNOB: what the status says fails about it, "-" for nothing
err() { st ".policy.errors[\"$KS/$1\"] // \"-\""; }
# kicks N: N kicks 0.2 s apart, each a step with new knob values
kicks() { local i; for i in $(seq "$1"); do ctl kick >/dev/null; sleep 0.2; done; }

echo 0 > "$K/run"; echo 123 > "$K/pages_to_scan"; echo 45 > "$K/sleep_millisecs"
before=$(kt_fake_knobs)
echo '{ "ksm": { "detect_interval_ms": 200 } }' > "$T/conf.json"
# ---- EBUSY (injected) ----------------------------------------------
touch "$T/busy"
KT_WRAPPER="env LD_PRELOAD=$INJECT KT_FAULT_PATH=kernel/mm/ksm/run KT_FAULT_ERRNO=EBUSY \
KT_FAULT_WHILE=$T/busy ASAN_OPTIONS=verify_asan_link_order=0" \
    kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 kt_log_has "$KS/run: cannot write 1, trying again at each step: Device or resource busy" ||
    fail "busy run not logged"
kicks 5
assert_eq "run, busy" 0 "$(cat "$K/run")"
assert_eq "log lines for the busy knob" 1 "$(kt_log_count "run: cannot write")"
assert_eq "status for run" "cannot write 1: Device or resource busy" "$(err run)"
[ "$(cat "$K/sleep_millisecs")" != 45 ] || fail "sleep_millisecs not written beside a busy run"
ok "EBUSY: logged once, in the status, not taken as written"

rm "$T/busy"
wait_for 5 grep -qx 1 "$K/run" || fail "run not written once no longer busy"
kt_log_has "$KS/run: written again \(1\)" || fail "recovery not logged"
assert_eq "status once written" - "$(err run)"
kt_stop
assert_eq "knobs after stop" "$before" "$(kt_fake_knobs)"
ok "no longer busy: written by itself at the next step; knobs as found after stop"

# ---- EACCES --------------------------------------------------------
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
[ "$(id -u)" = 0 ] || skip "needs root, to run the daemon as root without CAP_DAC_OVERRIDE"
NODAC="setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search --"
chmod 0444 "$K/pages_to_scan"
KT_WRAPPER=$NODAC kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 grep -qx 1 "$K/run" || fail "run not written"
wait_for 5 kt_log_has "$KS/pages_to_scan: cannot write [0-9]+, trying again at each step: Permission denied" ||
    fail "refused pages_to_scan not logged"
kicks 5
assert_eq "pages_to_scan, refused" 123 "$(cat "$K/pages_to_scan")"
assert_eq "log lines for the refused knob" 1 "$(kt_log_count "pages_to_scan: cannot write")"
case $(err pages_to_scan) in
"cannot write "*": Permission denied") ;;
*) fail "status for pages_to_scan: $(err pages_to_scan)" ;;
esac
[ "$(cat "$K/sleep_millisecs")" != 45 ] || fail "sleep_millisecs not written beside a refused pages_to_scan"
kt_alive || fail "daemon died"
ok "EACCES: knob, value and reason logged once over many steps, in the status; the others written"

chmod 0644 "$K/pages_to_scan"
wait_for 5 kt_log_has "$KS/pages_to_scan: written again" || fail "not retried once writable"
[ "$(cat "$K/pages_to_scan")" != 123 ] || fail "pages_to_scan still 123"
assert_eq "status once written" - "$(err pages_to_scan)"
ok "writable again: written at the next step, the status clear"

# A knob that refuses its restore: the state file stays, the next start
# puts it back.
chmod 0444 "$K/sleep_millisecs"
kt_stop
kt_log_has "$KS/sleep_millisecs: cannot restore: Permission denied" ||
    fail "refused restore not logged"
grep -qxF "\"$KS/sleep_millisecs\" \"45\"" "$T/run/host.state" || fail "state file gone with a knob not restored"
assert_eq "run restored" 0 "$(cat "$K/run")"
chmod 0644 "$K/sleep_millisecs"
kt_start --root "$ROOT" -c "$T/conf.json"
kt_log_has "restoring the KSM settings a previous run left changed" ||
    fail "next start did not restore"
kt_stop
assert_eq "knobs after the next start and stop" "$before" "$(kt_fake_knobs)"
ok "a knob refusing its restore: logged, state file kept, restored by the next start"
