#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The throttle policy driving the real daemon on a fake /sys and /proc:
# idle trickle at start, a boost when a mergeable process appears with no
# event, idle again once the fake ksmd's full scans show merging settled,
# the free-memory gate through a reload, every knob restored on SIGTERM.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
K="$ROOT/sys/kernel/mm/ksm"
P="$ROOT/proc"
knob() { cat "$K/$1"; }
# knob_is NAME OPERATOR VALUE: test(1) on the knob, read afresh (wait_for).
knob_is() { [ "$(knob "$1")" "$2" "$3" ]; }
before="$(knob run) $(knob pages_to_scan) $(knob sleep_millisecs)"

# meminfo MEMAVAILABLE_KB ANON_KB
meminfo() {
	printf 'MemTotal:       16000000 kB\nMemFree:        %s kB\nMemAvailable:   %s kB\nAnonPages:      %s kB\n' \
	    "$1" "$1" "$2" > "$P/meminfo"
}
ksm_stat() {
	printf 'ksm_rmap_items 0\nksm_zero_pages 0\nksm_merging_pages 0\nksm_process_profit 0\nksm_merge_any: no\nksm_mergeable: %s\n' "$1"
}
meminfo 2000000 500000
ksm_stat no > "$P/1/ksm_stat"
echo "2000 1000 200 10 0 500 0" > "$P/1/statm"
: > "$P/42/ksm_stat"

# The fake ksmd: a full scan every 200 ms, merging 5000 more pages in
# each while $T/growing exists.
put() { echo "$2" > "$K/$1.new" && mv "$K/$1.new" "$K/$1"; }
fake_ksmd() {
	local scans=0 sharing=0
	while :; do
		scans=$((scans + 1))
		[ -e "$T/growing" ] && sharing=$((sharing + 5000))
		put pages_sharing "$sharing"
		put pages_scanned $((scans * 131072))
		put full_scans "$scans"
		sleep 0.2
	done
}
fake_ksmd &
FAKE=$!
KT_EXTRA_CLEANUP='kill $FAKE 2>/dev/null'

cat > "$T/conf.json" <<'JSON'
{ "ksm": { "detect_interval_ms": 200 } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 grep -qx 1 "$K/run" || fail "ksmd not started"
assert_eq "idle trickle naps" 200 "$(knob sleep_millisecs)"
[ "$(knob pages_to_scan)" -le 1000 ] || fail "idle trickle above the kernel default: $(knob pages_to_scan) pages per 200 ms"
ok "idle at start: a trickle below the kernel's default rate"

# A VM that nobody announced: 512 MiB of mergeable memory appears.
touch "$T/growing"
mkdir -p "$P/4242"
ksm_stat yes > "$P/4242/ksm_stat"
echo "200000 131072 72 0 0 0 0" > "$P/4242/statm"
meminfo 1400000 1100000
wait_for 5 kt_log_has "idle -> boosting: 511 MiB of new mergeable memory with no event" ||
    fail "no boost for new mergeable memory"
wait_for 2 knob_is sleep_millisecs -lt 200 || fail "boost knobs not written"
[ "$(knob pages_to_scan)" -gt 1000 ] || fail "boost pages_to_scan $(knob pages_to_scan)"
ok "new mergeable memory with no event: boosted"

# Merging grows for a while, then stops: the boost must outlast growth.
sleep 4
kt_log_has "ksm: [a-z]+ -> idle" && fail "went idle while merging grew"
rm "$T/growing"
wait_for 10 kt_log_has "settling -> idle: merging settled: [0-9]+ full scans since memory stopped arriving" ||
    fail "did not settle once merging stopped"
wait_for 2 knob_is sleep_millisecs = 200 || fail "idle knobs not written"
ok "boost held while merging grew, idle once it settled"

kill -USR1 "$KT_PID"
wait_for 5 kt_log_has '"policy":\{"state":"idle"' || fail "status lacks policy.state"
kt_log_has '"history":\[\{"at_seconds"' || fail "status lacks the transitions"
kt_log_has '"mergeable_processes":1' || fail "status lacks the mergeable processes"
ok "status shows state, reason, transitions and targets"

# The gate closes above its value plus 2: 98 could never close it.
echo '{ "ksm": { "gate_free_percent": 98 } }' > "$T/gate98.json"
"$KTD" -n -c "$T/gate98.json" > /dev/null 2>&1 && fail "gate_free_percent 98 accepted"
echo '{ "ksm": { "gate_free_percent": 97 } }' > "$T/gate97.json"
"$KTD" -n -c "$T/gate97.json" > /dev/null || fail "gate_free_percent 97 refused"
ok "gate_free_percent: at most 97, where the gate can still close"

# The ksmtuned-style gate, switched on by a reload: plenty free, ksmd off.
meminfo 12000000 1100000
cat > "$T/conf.json" <<'JSON'
{ "ksm": { "detect_interval_ms": 200, "gate_free_percent": 50 } }
JSON
kill -HUP "$KT_PID"
wait_for 10 kt_log_has "ksm: idle -> gated: 75% of memory free" || fail "gate did not close"
wait_for 2 grep -qx 0 "$K/run" || fail "ksmd not stopped by the gate"
meminfo 4000000 1100000
wait_for 10 kt_log_has "gated -> boosting: free memory fell to 25%" || fail "gate did not open"
wait_for 2 grep -qx 1 "$K/run" || fail "ksmd not restarted"
ok "free-memory gate: ksmd stopped while memory is plentiful, back when it is not"

kt_stop
assert_eq "knobs after SIGTERM" "$before" "$(knob run) $(knob pages_to_scan) $(knob sleep_millisecs)"
ok "knobs restored on SIGTERM"
