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
# when a knob refuses its restore (by the next start).  Walks of /proc
# refused the same way: the memory found before is not new once they
# work again, and another user's process left out is said once.
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

# ---- walks of /proc refused ----------------------------------------
# /proc that cannot be listed (mode 0111), then can again; a mergeable
# process whose ksm_stat is another user's, mode 0400.  A fake ksmd
# scans, so that the boost for the memory there at start settles.
P="$ROOT/proc"
ksm_stat() {
	printf 'ksm_rmap_items 0\nksm_zero_pages 0\nksm_merging_pages 0\nksm_process_profit 0\nksm_merge_any: no\nksm_mergeable: %s\n' "$1"
}
# meminfo ANON_KB: walks are due when anonymous memory moves
meminfo() {
	printf 'MemTotal:        8000000 kB\nMemFree:         6000000 kB\nMemAvailable:    6500000 kB\nAnonPages:      %s kB\n' \
	    "$1" > "$P/meminfo"
}
put() { echo "$2" > "$K/$1.new" && mv "$K/$1.new" "$K/$1"; }
fake_ksmd() {
	local scans=0
	while :; do
		scans=$((scans + 1))
		put pages_scanned $((scans * 131072))
		put full_scans "$scans"
		sleep 0.2
	done
}
NEW="of new mergeable memory with no event"
ksm_stat no > "$P/1/ksm_stat"
echo "2000 1000 200 10 0 500 0" > "$P/1/statm"
: > "$P/42/ksm_stat"
mkdir -p "$P/4242" "$P/4343"
ksm_stat yes > "$P/4242/ksm_stat"
echo "200000 131072 72 0 0 0 0" > "$P/4242/statm"
ksm_stat yes > "$P/4343/ksm_stat"
echo "200000 131072 72 0 0 0 0" > "$P/4343/statm"
chown 65534:65534 "$P/4343/ksm_stat"
chmod 0400 "$P/4343/ksm_stat"
meminfo 600000
fake_ksmd &
FAKE=$!
KT_EXTRA_CLEANUP='kill $FAKE 2>/dev/null; chmod 0755 "$P"'
KT_WRAPPER=$NODAC kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 kt_log_has "/proc: cannot read the ksm_stat of 1 processes, ignoring them: .*Permission denied" ||
    fail "a process left out of the walks not said"
wait_for 30 st_is .policy.state idle || fail "did not settle: $(st .policy.reason)"
assert_eq "mergeable processes seen" 1 "$(st .policy.mergeable_processes)"
ok "another user's ksm_stat: left out, said, the walks go on"

boosts=$(kt_log_count "$NEW")
chmod 0111 "$P"
meminfo 700000
wait_for 5 kt_log_has "/proc: cannot look for mergeable processes, trying again at each step: Permission denied" ||
    fail "refused walk not logged"
meminfo 800000
sleep 1
assert_eq "policy while walks fail" idle "$(st .policy.state)"
chmod 0755 "$P"
meminfo 900000
wait_for 5 kt_log_has "/proc: looking for mergeable processes again" || fail "walks not back"
sleep 1
assert_eq "boosts for memory found before" "$boosts" "$(kt_log_count "$NEW")"
assert_eq "policy once walks work" idle "$(st .policy.state)"
assert_eq "refused walks logged" 1 "$(kt_log_count "cannot look for mergeable processes")"
assert_eq "left-out processes logged" 1 "$(kt_log_count "cannot read the ksm_stat of")"
kt_log_has "does not mark mergeable processes" && fail "read errors taken for a kernel without ksm_mergeable"
ok "walks refused, then back: the memory there before is not new"
kill "$FAKE"
KT_EXTRA_CLEANUP=
kt_stop
