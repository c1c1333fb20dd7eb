#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The inotify input and mounts: a file system mounted over a watched
# directory's ancestor, or over the directory itself, says nothing to
# inotify, yet the path names another directory from then on.  The input
# watches the mount table: the directory on the new file system is watched
# (or waited for there), told as a difference from the covered one, and
# VMs made there later are seen; unmounted, the covered directory is back,
# told as a difference again, none doubled.  A directory inotify refuses,
# or one waited for below a symbolic link, is tried again.  The test runs
# in a mount namespace of its own, the daemon too: nothing it mounts is
# the host's.
if [ -z "${KT_MOUNT_NS:-}" ] && [ "$(id -u)" = 0 ] &&
    unshare -m --propagation private true 2>/dev/null; then
	KT_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/inotify.sh"
inotify_setup
[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
[ -n "${KT_MOUNT_NS:-}" ] || skip "cannot have a mount namespace of its own (unshare -m)"
mkdir -p "$ROOT/run/vc/sbs/vm-old" "$ROOT/srv/pids"
MNT="$ROOT/run/vc"
mount -t tmpfs -o size=1m,mode=0755 kt-inotify-probe "$MNT" ||
    skip "cannot mount a tmpfs here"
wait_for 5 umount "$MNT" || fail "umount the probe"
KT_EXTRA_CLEANUP='umount "$MNT" 2>/dev/null; umount "$ROOT/srv/pids" 2>/dev/null; umount "$ROOT/srv/other" 2>/dev/null; true'
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/run/vc/sbs", "/srv/pids/*.pid"] } } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"

expect 1 0
assert_eq "at start" "vm-old" "$(vms)"

# A tmpfs over an ancestor: sbs is not there any more, and is waited for
# in the new file system, as after a move (its VMs stay known until it is
# there again); what appears there is seen.
mount -t tmpfs -o size=1m,mode=0755 kt-inotify "$MNT" || fail "mount over $MNT"
wait_for 5 st_is ".inputs.inotify.dirs[0].state" waiting ||
    fail "sbs under the mount: $(dir 0)"
assert_eq "waiting in the new file system" "waiting /run/vc 1" "$(dir 0)"
expect 1 0
mkdir -p "$MNT/sbs/vm-new"
expect 2 1
assert_eq "VMs on the new file system" "vm-new" "$(vms)"
mkdir "$MNT/sbs/vm-new2"
expect 3 1
kt_log_has "inotify: /run/vc/sbs: another file system there now" ||
    fail "the mount not logged"
ok "a file system mounted over an ancestor: the covered VMs gone, the new ones seen"

# Unmounted: the covered directory is back, with vm-old.
wait_for 5 umount "$MNT" || fail "umount $MNT"
expect 4 3
assert_eq "VMs after the unmount" "vm-old" "$(vms)"
mkdir "$ROOT/run/vc/sbs/vm-after"
expect 5 3
ok "unmounted: the covered directory watched again, only the difference told"

# A pid-file directory mounted over itself: files in the new one.
mkdir -p "$ROOT/proc/4301"		# a VMM, below the fake root
echo 4301 > "$ROOT/srv/pids/p1.pid"
expect 6 3
mount -t tmpfs -o size=1m,mode=0755 kt-inotify-pids "$ROOT/srv/pids" ||
    fail "mount over pids"
expect 6 4
echo 4301 > "$ROOT/srv/pids/p2.pid"
expect 7 4
assert_eq "VMs with the pid files covered" "p2 vm-after vm-old" "$(vms)"
wait_for 5 umount "$ROOT/srv/pids" || fail "umount pids"
expect 8 5
assert_eq "VMs after the pid files' unmount" "p1 vm-after vm-old" "$(vms)"
ok "a file system mounted over a watched directory itself, and unmounted"

# A file system mounted elsewhere, then a watched directory deleted, both
# while the daemon is stopped (epoll then says the mount table changed
# first): the deletions queued on the directory's watch are read before
# the mount change is looked at, not dropped with the watch as if the
# mount had covered the directory.
mkdir -p "$ROOT/srv/other"
covered=$(kt_log_count "/run/vc/sbs: another file system")
kill -STOP "$KT_PID"
mount -t tmpfs -o size=1m,mode=0755 kt-inotify-other "$ROOT/srv/other" ||
    { kill -CONT "$KT_PID"; fail "mount over other"; }
rm -rf "$ROOT/run/vc/sbs"
kill -CONT "$KT_PID"
expect 8 7
assert_eq "VMs after the deletion" "p1" "$(vms)"
wait_for 5 st_is ".inputs.inotify.dirs[0].state" waiting ||
    fail "sbs deleted: $(dir 0)"
assert_eq "sbs deleted, not covered" "$covered" \
    "$(kt_log_count "/run/vc/sbs: another file system")"
ok "a mount elsewhere, then a directory deleted: its VMs' deletions read first"

# A directory inotify refuses (a loop of symlinks) is off, said once; once
# mended it is watched: tried again at each mount change and every 10 s.
ln -s loop "$ROOT/srv/loop"
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/run/vc/sbs", "/srv/pids/*.pid",
  "/srv/loop"] } } }
JSON
kill -HUP "$KT_PID"
wait_for 5 st_is ".inputs.inotify.dirs[2].state" off ||
    fail "a loop of symlinks: $(dir 2)"
wait_for 5 kt_log_has "inotify: /srv/loop: inotify_add_watch, not watching it: Too many levels" ||
    fail "the loop not logged"
rm "$ROOT/srv/loop"
mkdir -p "$ROOT/srv/loop/vm-mended"
wait_for 15 st_is ".inputs.inotify.dirs[2].state" watching ||
    fail "mended, still $(dir 2)"
expect 9 7
assert_eq "the refusal said once" 1 "$(kt_log_count "/srv/loop: inotify_add_watch")"
ok "a directory refused, then mended: watched again, its VMs told"

# A directory waited for below a symbolic link that appears: followed.
mkdir -p "$ROOT/srv/real/sbs2/vm-linked"
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/run/vc/sbs", "/srv/pids/*.pid",
  "/srv/loop", "/srv/link/sbs2"] } } }
JSON
kill -HUP "$KT_PID"
wait_for 5 st_is ".inputs.inotify.dirs[3].state" waiting ||
    fail "below no link yet: $(dir 3)"
ln -s real "$ROOT/srv/link"
wait_for 15 st_is ".inputs.inotify.dirs[3].state" watching ||
    fail "below the link: $(dir 3)"
expect 10 7
ok "a directory waited for below a symbolic link that appears: watched"
