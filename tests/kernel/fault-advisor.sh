#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real kernel: the kernel's advisor owns pages_to_scan.  While
# advisor_mode is scan-time the kernel refuses every write of
# pages_to_scan (EINVAL).  The daemon normally switches the advisor off
# first, so here it runs in a private mount namespace where advisor_mode
# is a read-only bind mount (EROFS, for real), and the test, as an
# administrator would, turns the advisor on from outside.  Both refusals
# are logged once with the knob and the reason and shown in the status;
# once the advisor is off again pages_to_scan is written; the host's
# knobs are back after stop, and after a stop whose restore the advisor
# refused, by the next start.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
command -v jq >/dev/null || skip "jq is not installed"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
kt_ksm_real
[ -e "$KSMD/advisor_mode" ] || skip "no $KSMD/advisor_mode: kernel older than 6.8"

# The daemon's view: advisor_mode read-only, the rest as the host's.
cat > "$T/ro-advisor" <<SH
#!/bin/sh
mount --bind $KSMD/advisor_mode $KSMD/advisor_mode &&
    mount -o remount,bind,ro $KSMD/advisor_mode || exit 1
exec "\$@"
SH
chmod +x "$T/ro-advisor"
unshare -m --propagation private "$T/ro-advisor" true ||
    skip "cannot make a read-only bind mount in a private mount namespace"
RO="unshare -m --propagation private $T/ro-advisor"

err() { st ".policy.errors[\"$KSMD/$1\"] // \"-\""; }
advisor() { echo "$1" > "$KSMD/advisor_mode"; }

advisor none
echo 20 > "$KSMD/sleep_millisecs"
echo 100 > "$KSMD/pages_to_scan"
echo 0 > "$KSMD/run"
before=$(ksm_knobs)
echo '{ "ksm": { "detect_interval_ms": 200 } }' > "$T/conf.json"

KT_WRAPPER=$RO kt_start -c "$T/conf.json"
wait_for 5 grep -qx 1 "$KSMD/run" || fail "daemon did not start ksmd"
advisor scan-time
wait_for 5 kt_log_has "$KSMD/pages_to_scan: cannot write [0-9]+ while the kernel's advisor owns it .*: Invalid argument" ||
    fail "pages_to_scan refused by the advisor not logged"
kt_log_has "$KSMD/advisor_mode: cannot write none, trying again at each step: Read-only file system" ||
    fail "read-only advisor_mode not logged"
for i in 1 2 3 4 5; do ctl kick >/dev/null; sleep 0.2; done
assert_eq "pages_to_scan log lines" 1 "$(kt_log_count "pages_to_scan: cannot write")"
assert_eq "advisor_mode log lines" 1 "$(kt_log_count "advisor_mode: cannot write")"
case $(err pages_to_scan) in
"cannot write "*": Invalid argument") ;;
*) fail "status for pages_to_scan: $(err pages_to_scan)" ;;
esac
assert_eq "status for advisor_mode" "cannot write none: Read-only file system" "$(err advisor_mode)"
kt_alive || fail "daemon died"
ok "advisor on: EINVAL on pages_to_scan and EROFS on advisor_mode logged once each, in the status"

advisor none
wait_for 5 kt_log_has "$KSMD/pages_to_scan: written again" ||
    fail "pages_to_scan not written once the advisor is off"
kt_log_has "$KSMD/advisor_mode: none now, as wanted" || fail "advisor_mode back not logged"
assert_eq "status errors once it works" 0 "$(st ".policy.errors | length")"
kt_stop
assert_eq "knobs after stop" "$before" "$(ksm_knobs)"
ok "advisor off again: pages_to_scan written at the next step; knobs as found after stop"

# Stopped while the advisor holds pages_to_scan and advisor_mode is
# read-only: the restore is refused, the state file stays, and the next
# start (with a writable advisor_mode) puts the host's knobs back.
KT_WRAPPER=$RO kt_start -c "$T/conf.json"
wait_for 5 grep -qx 1 "$KSMD/run" || fail "daemon did not start ksmd"
advisor scan-time
wait_for 5 kt_log_has "pages_to_scan: cannot write" || fail "no refusal the second time"
kt_stop
kt_log_has "$KSMD/advisor_mode: cannot restore: Read-only file system" ||
    fail "refused restore not logged"
[ -f "$T/run/host.state" ] || fail "state file removed though the restore failed"
kt_start -c "$T/conf.json"
kt_log_has "restoring the KSM settings a previous run left changed" ||
    fail "next start did not restore"
kt_stop
assert_eq "knobs after a refused restore and the next start" "$before" "$(ksm_knobs)"
ok "restore refused at stop: state file kept, the next start puts every knob back"
