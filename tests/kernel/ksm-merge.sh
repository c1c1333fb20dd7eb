#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real kernel: two simulated VMs' duplicate pages merge once the daemon
# knows of them (a kick where the control client exists, otherwise the
# daemon's own look for new mergeable memory), the boost ends once merging
# settles, and the knobs are the host's again when the daemon stops.
# Once with pages_to_scan as the actuator, once with the kernel's advisor
# (ksm.use_advisor) where the kernel has one.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
SIMVM="$top_builddir/tests/bench/simvm"
[ -x "$SIMVM" ] || skip "$SIMVM not built (make check builds it)"
kt_ksm_real
[ -e /proc/self/ksm_stat ] || skip "no /proc/PID/ksm_stat: kernel older than 6.1"

VMS=
KT_EXTRA_CLEANUP='kill $VMS 2>/dev/null; wait $VMS 2>/dev/null; ksm_put_back'
# Merged pages of this run's VMs: exact, where pages_sharing also counts
# the last run's VMs until ksmd notices they are gone.
merging() {
	local p n=0
	for p in $VMS; do
		n=$((n + $(cat "/proc/$p/ksm_merging_pages" 2>/dev/null || echo 0)))
	done
	echo $n
}
merged() { [ "$(merging)" -ge 36000 ]; }
advisor_on() { [ "$(ksm_knob advisor_mode)" = scan-time ]; }

# merge_run ACTUATOR
merge_run() {
	local what=$1 before i
	echo "{\"ksm\": {\"use_advisor\": $([ "$what" = advisor ] && echo true || echo false)}}" > "$T/kt.json"
	before=$(ksm_knobs)
	kt_start -c "$T/kt.json"
	# Two 128 MiB guests: 30 % zero pages, 40 % the same in both.  They
	# do not inherit the lock: one left behind must not hold it.
	for i in 1 2; do
		"$SIMVM" -m 128 -f 1000 -i $i > /dev/null 9>&- &
		VMS="$VMS $!"
	done
	[ -x "$KTCTL" ] && "$KTCTL" -s "$SOCK" kick
	# Of about 45900 mergeable: 70 % of 2 x 32768 pages.
	wait_for 30 merged || fail "$what: $(merging) pages merged, wanted 36000 within 30 s"
	kt_log_has "ksm: idle -> boosting" || fail "$what: no boost logged"
	ok "$what: duplicate pages of two simulated VMs merged ($(merging) pages)"
	if [ "$what" = advisor ]; then
		advisor_on || kt_log_has "ksm: advisor_mode scan-time" ||
		    fail "advisor_mode never set to scan-time"
		ok "advisor: the kernel's advisor drove the boost"
	fi

	wait_for 30 kt_log_has "ksm: settling -> idle" || fail "$what: boost did not end"
	[ "$(cat "$KSMD/sleep_millisecs")" -ge 20 ] || fail "$what: idle but sleep_millisecs $(cat "$KSMD/sleep_millisecs")"
	ok "$what: boost ended once merging settled"

	kill $VMS
	wait $VMS 2>/dev/null
	VMS=
	kt_stop
	assert_eq "$what: knobs after stop" "$before" "$(ksm_knobs)"
	ok "$what: knobs back to the host's after stop"
}

merge_run pages_to_scan
if [ -e "$KSMD/advisor_mode" ]; then
	merge_run advisor
else
	echo "# no $KSMD/advisor_mode (kernel older than 6.8): advisor run skipped"
fi
