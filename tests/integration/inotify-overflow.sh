#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# An inotify queue overflow: the daemon is started with a tiny queue
# (fs.inotify.max_queued_events, lowered only while it starts, since the
# kernel reads it when the queue is made) and stopped while hundreds of
# VMs come and go.  The rescan must report exactly what the lost events
# would have: no VM lost, none doubled.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/inotify.sh"
inotify_setup
Q=/proc/sys/fs/inotify/max_queued_events
[ "$(id -u)" = 0 ] || skip "needs root to lower $Q"
[ -w "$Q" ] || skip "$Q is not writable here"
SBS="$ROOT/run/vc/sbs"
mkdir -p "$SBS"
(cd "$SBS" && mkdir $(seq -f 'pre-%g' 1 50))
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/run/vc/sbs"] } } }
JSON

host_q=$(cat "$Q")
KT_EXTRA_CLEANUP='echo "$host_q" > "$Q"'
echo 16 > "$Q"
kt_start --root "$ROOT" -c "$T/conf.json"
echo "$host_q" > "$Q"
assert_eq "$Q restored" "$host_q" "$(cat "$Q")"

expect 50 0

kill -STOP "$KT_PID"
(cd "$SBS" && mkdir $(seq -f 'vm-%g' 1 300))
(cd "$SBS" && rmdir $(seq -f 'pre-%g' 1 50))
(cd "$SBS" && mkdir $(seq -f 'late-%g' 1 20) && rmdir $(seq -f 'vm-%g' 1 10))
kill -CONT "$KT_PID"
expect 370 60
wait_for 5 kt_log_has "inotify: event queue overflowed, rescanning 1 directories" ||
    fail "no overflow logged"
[ "$(st .inputs.inotify.overflows)" -ge 1 ] || fail "overflow not counted"
assert_eq "VMs known" 310 "$(st '.inputs.inotify.dirs[0].vms')"
ok "after an overflow the rescan reports exactly the missed events"

# Bursts with the daemon running: wherever the queue overflows, every
# VM that appeared or went is reported once.
(cd "$SBS" && mkdir $(seq -f 'vm-%g' 301 700))
(cd "$SBS" && rmdir $(seq -f 'vm-%g' 11 210))
expect 770 260
assert_eq "VMs known" 510 "$(st '.inputs.inotify.dirs[0].vms')"
ok "bursts on a 16-event queue: exact counts"

# A VM that comes and goes entirely while events are lost leaves nothing
# a rescan can see: then only the balance is exact, never doubled.
(cd "$SBS" && for i in $(seq 1 200); do mkdir "churn-$i"; rmdir "churn-$i"; done)
wait_for 10 st_is '.inputs.inotify.events.created - .inputs.inotify.events.destroyed' 510 ||
    fail "balance after churn: $(st '.inputs.inotify.events')"
c=$(st .inputs.inotify.events.created)
[ "$c" -le 970 ] || fail "more VMs created ($c) than there were"
assert_eq "VMs known after churn" 510 "$(st '.inputs.inotify.dirs[0].vms')"
kt_stop
ok "churn on a 16-event queue: balance exact, nothing doubled"
