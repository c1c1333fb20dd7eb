#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real kernel: the daemon leaves every KSM knob exactly as it found it,
# after SIGTERM and after SIGKILL plus a restart, also when the host had
# non-default values in place.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
kt_ksm_real

# set_host RUN PAGES SLEEP: the host's own settings before the daemon starts.
set_host() {
	echo none > "$KSMD/advisor_mode" 2>/dev/null
	echo "$2" > "$KSMD/pages_to_scan"
	echo "$3" > "$KSMD/sleep_millisecs"
	echo "$1" > "$KSMD/run"
}

for host in "0 100 20" "0 1234 57" "1 321 200"; do
	set -- $host
	set_host "$@"
	[ -e "$KSMD/advisor_max_cpu" ] && echo 55 > "$KSMD/advisor_max_cpu"
	before=$(ksm_knobs)
	kt_start
	wait_for 5 grep -qx 1 "$KSMD/run" || fail "daemon did not start ksmd"
	kt_stop
	assert_eq "knobs after SIGTERM (host: $host)" "$before" "$(ksm_knobs)"
	ok "SIGTERM leaves the host as found (run pages sleep = $host)"

	kt_start
	# Make sure the daemon changed something before it dies.
	wait_for 5 test -f "$T/run/host.state" || fail "no state file"
	echo 777 > "$KSMD/pages_to_scan"
	kt_kill
	kt_start
	kt_log_has "restoring the KSM settings" || fail "no restore after kill -9"
	kt_stop
	assert_eq "knobs after kill -9 and restart (host: $host)" "$before" "$(ksm_knobs)"
	ok "kill -9 then restart puts the originals back (host: $host)"
done

if [ -e "$KSMD/advisor_mode" ]; then
	set_host 0 100 20
	echo scan-time > "$KSMD/advisor_mode"
	before=$(ksm_knobs)
	kt_start
	kt_stop
	assert_eq "knobs with the kernel advisor on" "$before" "$(ksm_knobs)"
	ok "a host with the kernel's advisor on keeps it"
fi
