#!/bin/bash
# Real kernel: two simulated VMs' duplicate pages merge once the daemon
# knows of them (a kick where the control client exists, otherwise the
# daemon's own look for new mergeable memory), the boost ends once merging
# settles, and the knobs are the host's again when the daemon stops.
. "$top_srcdir/tests/lib.sh"
kt_setup
SIMVM="$top_builddir/tests/bench/simvm"
[ -x "$SIMVM" ] || skip "$SIMVM not built (make check builds it)"
kt_ksm_real
[ -e /proc/self/ksm_stat ] || skip "no /proc/PID/ksm_stat: kernel older than 6.1"

before=$(ksm_knobs)
sharing0=$(cat "$KSMD/pages_sharing")
kt_start
VMS=
KT_EXTRA_CLEANUP='kill $VMS 2>/dev/null; wait $VMS 2>/dev/null; ksm_put_back'
# Two 128 MiB guests: 30 % zero pages, 40 % the same in both.  They do
# not inherit the lock: one left behind must not hold it.
for i in 1 2; do
	"$SIMVM" -m 128 -f 1000 -i $i > /dev/null 9>&- &
	VMS="$VMS $!"
done
[ -x "$KTCTL" ] && "$KTCTL" -s "$SOCK" kick
want=$((sharing0 + 25000))	# of about 32000 mergeable
merged() { [ "$(cat "$KSMD/pages_sharing")" -ge "$want" ]; }
wait_for 30 merged || fail "pages_sharing $(cat "$KSMD/pages_sharing"), wanted $want within 30 s"
kt_log_has "ksm: idle -> boosting" || fail "no boost logged"
ok "duplicate pages of two simulated VMs merged ($(cat "$KSMD/pages_sharing") sharing)"

wait_for 30 kt_log_has "ksm: settling -> idle" || fail "boost did not end"
[ "$(cat "$KSMD/sleep_millisecs")" -ge 20 ] || fail "idle but sleep_millisecs $(cat "$KSMD/sleep_millisecs")"
ok "boost ended once merging settled"

kill $VMS
wait $VMS 2>/dev/null
VMS=
kt_stop
assert_eq "knobs after stop" "$before" "$(ksm_knobs)"
ok "knobs back to the host's after stop"
