#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The control socket under load: 1000 clients connected at once send
# 100000 VM events, pipelined and mixed with status requests, while one
# more client floods the daemon and reads its replies late.  ktload
# checks that every request got exactly one reply with the expected code,
# that status counts exactly what was sent (by type, by client name,
# refusals, connections, the VMs left and their states), and that the
# daemon's peak RSS stays under 64 MiB.  Its figures (events/s, latency,
# RSS) are printed, not asserted: the machine is shared.
#
# 64 MiB: the replies waiting in the daemon are held to 8 MiB in all;
# with 1000 clients' buffers and a status being built the daemon peaks
# at 24-28 MiB here.  Without that bound each client held its own status
# reply and the same run peaked at 124 MiB (near 400 MiB with twice the
# VMs left).  The flooder floods until the last normal client has all
# its replies, so a flood that starved them ends in ktload's timeout.
#
# The daemon starts with a soft limit of 512 open files, below its 1000
# clients, as a service under systemd starts with 1024 against
# socket.max_clients 1024: it must raise the limit to the hard one.
#
# KT_LOAD_FLAGS: more ktload options (make load LOAD_FLAGS=...).
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
KTLOAD="$top_builddir/tests/load/ktload"
[ -x "$KTLOAD" ] || fail "$KTLOAD not built"
CLIENTS=1000
EVENTS=100000
RSS=64
STATUS=40
LIMIT=1
# Under valgrind: fewer clients and events, the same checks but RSS
# (valgrind's own memory), and no open files limit to raise (valgrind
# keeps it).
case ${KT_CHECKER:-} in
valgrind*) CLIENTS=200 EVENTS=5000 RSS=0 STATUS=10 LIMIT=0 ;;
esac
# Under ASan the daemon's RSS is mostly the sanitizer's quarantine.
kt_sanitized && { RSS=0; echo "# ASan build: peak RSS printed, not bounded"; }
need=$((CLIENTS + 64))
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge $need ] ||
    skip "needs $need open files, the hard limit (ulimit -Hn) is $hard"
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
echo '{"metrics": {"listen": ""}}' > "$T/conf.json"

ulimit -Sn 512 || fail "ulimit -Sn 512"
KT_VERBOSE='' kt_start --root "$ROOT" -c "$T/conf.json"
ulimit -Sn $need || fail "ulimit -Sn $need"
if [ $LIMIT = 1 ]; then
	read -r soft dhard < <(awk '/^Max open files/ { print $4, $5 }' \
	    "/proc/$KT_PID/limits")
	assert_eq "the daemon's open files limit" "$dhard" "$soft"
	ok "the daemon raised its open files limit from 512 to $soft"
fi

start=$(date +%s%N)
# shellcheck disable=SC2086
"$KTLOAD" -c $CLIENTS -e $EVENTS -p "$KT_PID" -r $RSS -s $STATUS -t 100 \
    ${KT_LOAD_FLAGS:-} "$SOCK" > "$T/ktload.out" 2>&1
rc=$?
sed 's/^/# /' "$T/ktload.out"
echo "# ktload ran $((($(date +%s%N) - start) / 1000000)) ms"
[ $rc = 0 ] || fail "ktload: exit $rc"
assert_eq "ktload's verdict" PASS "$(tail -n 1 "$T/ktload.out")"
ok "$CLIENTS clients, $EVENTS events: every reply, exact counts$([ $RSS = 0 ] || echo ", peak RSS under $RSS MiB")"
kt_alive || fail "the daemon died under load"
kt_log_has "control: accept" &&
    fail "accept trouble: $(grep "control: accept" "$T/daemon.log")"
kt_stop
