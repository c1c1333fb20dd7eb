#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Under systemd (Type=notify): READY=1 once started, a STATUS= line with
# what KSM saves (pages_sharing times the page size) and the policy's
# state, sent again when that changes and only then, WATCHDOG=1 at half
# of WatchdogSec=, STOPPING=1 on SIGTERM; and
# none of it, with no timer, when $NOTIFY_SOCKET is not set.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
grep -q '^#define HAVE_SYSTEMD 1' "$top_builddir/config.h" ||
    skip "built without libsystemd (configure --with-systemd; Debian: libsystemd-dev)"
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
page=$(getconf PAGESIZE)
echo $((64 * 1024 * 1024 / page)) > "$ROOT/sys/kernel/mm/ksm/pages_sharing"

kt_notify_listen
KT_EXTRA_CLEANUP='kill $LISTENER 2>/dev/null'

# WatchdogSec=0.4s: a ping every 200 ms.
KT_WRAPPER="env NOTIFY_SOCKET=$NS WATCHDOG_USEC=400000" kt_start --root "$ROOT"
wait_for 5 grep -qx "READY=1" "$T/notify.log" || fail "no READY=1: $(cat "$T/notify.log")"
ok "READY=1 after start-up"
wait_for 5 grep -qx "STATUS=KSM saves 64 MiB, policy idle" "$T/notify.log" ||
    fail "no STATUS= line with the savings: $(cat "$T/notify.log")"
ok "STATUS= says what KSM saves and what the policy does"
echo $((128 * 1024 * 1024 / page)) > "$ROOT/sys/kernel/mm/ksm/pages_sharing"
ctl kick || fail "kick refused"
wait_for 5 grep -q "^STATUS=KSM saves 128 MiB" "$T/notify.log" ||
    fail "no new STATUS= line after the savings changed: $(grep STATUS "$T/notify.log")"
n=$(grep -c "^STATUS=" "$T/notify.log")
sleep 1
pings=$(grep -cx "WATCHDOG=1" "$T/notify.log")
[ "$pings" -ge 3 ] || fail "$pings watchdog pings in a second, wanted one every 200 ms"
ok "WATCHDOG=1 at half the watchdog interval ($pings in about a second)"
assert_eq "STATUS= lines while nothing changed" "$n" "$(grep -c "^STATUS=" "$T/notify.log")"
ok "STATUS= is sent again when the savings change, and only then"
kt_stop
wait_for 5 grep -qx "STOPPING=1" "$T/notify.log" || fail "no STOPPING=1"
ok "STOPPING=1 on SIGTERM"

# Without $NOTIFY_SOCKET: nothing sent, and no timer wakes the daemon.
: > "$T/notify.log"
KT_WRAPPER="env -u NOTIFY_SOCKET WATCHDOG_USEC=400000" kt_start --root "$ROOT"
sleep 0.6
kt_stop
[ -s "$T/notify.log" ] && fail "sent notifications without NOTIFY_SOCKET: $(cat "$T/notify.log")"
ok "without NOTIFY_SOCKET nothing is sent"
