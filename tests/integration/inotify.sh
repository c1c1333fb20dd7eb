#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The inotify input on private directories below a fake --root: VMs there
# at start reported once; mkdir/rmdir bursts of hundreds of VMs, none
# lost, none doubled; a watched directory created late, deleted and
# re-created, moved away and back, its ancestors removed or moved away;
# directories added and dropped on SIGHUP, and the input switched off and
# on, reporting only what changed meanwhile.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/inotify.sh"
inotify_setup
SBS="$ROOT/run/vc/sbs"
LATE="$ROOT/late/a/b"
mkdir -p "$SBS/pre-1" "$SBS/pre-2" "$SBS/pre-3"
touch "$SBS/not-a-vm"
ln -s pre-1 "$SBS/link-not-a-vm"
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/run/vc/sbs", "/late/a/b/"] } } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"

expect 3 0
assert_eq "sbs at start" "watching - 3" "$(dir 0)"
assert_eq "late dir at start" "waiting / 0" "$(dir 1)"
assert_eq "socket input untouched" 0 "$(st .inputs.socket.events.created)"
ok "VMs present at start reported once; files and symlinks are not VMs"

(cd "$SBS" && mkdir $(seq -f 'vm-%g' 1 300))
expect 303 0
(cd "$SBS" && rmdir $(seq -f 'vm-%g' 1 100))
expect 303 100
(cd "$SBS" && for i in $(seq 101 150); do mkdir "burst-$i"; rmdir "vm-$i"; done)
expect 353 150
touch "$SBS/file-1"; rm "$SBS/file-1"
mv "$SBS/vm-151" "$SBS/vm-151-renamed"
expect 354 151
assert_eq "VMs known in sbs" "watching - 203" "$(dir 0)"
ok "bursts of hundreds of mkdir and rmdir: none lost, none doubled"

mkdir -p "$ROOT/late"
wait_for 5 st_is ".inputs.inotify.dirs[1].waiting_in" /late ||
    fail "did not move down to /late: $(dir 1)"
mkdir -p "$LATE/vm-l1" "$LATE/vm-l2"
expect 356 151
assert_eq "late dir, created" "watching - 2" "$(dir 1)"
kt_log_has "inotify: watching /late/a/b/" || fail "watching the late dir not logged"
ok "a directory created late, with its parents, is watched and scanned"

rm -rf "$LATE"
expect 356 153
wait_for 5 st_is ".inputs.inotify.dirs[1].state" waiting || fail "not waiting after rm: $(dir 1)"
assert_eq "late dir, deleted" "waiting /late/a 0" "$(dir 1)"
mkdir -p "$LATE/vm-r1"
expect 357 153
assert_eq "late dir, re-created" "watching - 1" "$(dir 1)"
ok "a watched directory deleted and re-created is watched again"

mv "$LATE" "$ROOT/late/a/b.away"
wait_for 5 st_is ".inputs.inotify.dirs[1].state" waiting || fail "not waiting after mv: $(dir 1)"
mv "$ROOT/late/a/b.away" "$LATE"
wait_for 5 st_is ".inputs.inotify.dirs[1].state" watching || fail "not watching after mv back"
expect 357 153
mv "$LATE" "$ROOT/late/a/b.away"
mkdir "$ROOT/late/a/b.away/vm-r2"
mv "$ROOT/late/a/b.away" "$LATE"
expect 358 153
ok "moved away and back: no events but what changed meanwhile"

rm -rf "$ROOT/late"
expect 358 155
assert_eq "ancestors gone" "waiting / 0" "$(dir 1)"
# Create and delete the whole chain over and over, racing the walk down.
for i in $(seq 1 30); do
	mkdir -p "$LATE/vm-race"
	rm -rf "$ROOT/late"
done
mkdir -p "$LATE/vm-final"
wait_for 10 st_is ".inputs.inotify.dirs[1].state" watching || fail "lost the late dir in races: $(dir 1)"
wait_for 10 st_is ".inputs.inotify.dirs[1].vms" 1 || fail "late dir VMs after races: $(dir 1)"
sleep 0.3
c=$(st .inputs.inotify.events.created); d=$(st .inputs.inotify.events.destroyed)
assert_eq "created minus destroyed after races" $((203 + 1)) $((c - d))
ok "ancestors removed and re-created in a race: watching again, counts balance"

mkdir -p "$ROOT/other/vm-o1" "$ROOT/other/vm-o2"
# Counted before the file changes: the daemon watches it, and may apply
# it before the SIGHUP below.
before=$(st .inputs.inotify.events.created)
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/run/vc/sbs", "/other"] } } }
JSON
kill -HUP "$KT_PID"
wait_for 5 st_is ".inputs.inotify.dirs | length" 2 || fail "dirs after SIGHUP"
wait_for 5 st_is ".inputs.inotify.events.created" $((before + 2)) ||
    fail "SIGHUP: expected only the new dir's 2 VMs, got $(( $(st .inputs.inotify.events.created) - before ))"
kt_log_has "no longer watching /late/a/b/ \(VMs forgotten: 1\)" || fail "dropped dir not logged"
mkdir "$SBS/vm-after-hup"
wait_for 5 st_is ".inputs.inotify.events.created" $((before + 3)) || fail "sbs not watched after SIGHUP"
ok "SIGHUP: a new dir reports its VMs, a kept dir is not rescanned, a dropped one forgotten"

cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "enabled": false } } }
JSON
kill -HUP "$KT_PID"
wait_for 5 st_is ".inputs.inotify.running" false || fail "inotify still running after disabling"
assert_eq "counts kept when stopped" $((before + 3)) "$(st .inputs.inotify.events.created)"
mkdir "$SBS/vm-unseen"
sleep 0.3
assert_eq "no events when stopped" $((before + 3)) "$(st .inputs.inotify.events.created)"
kt_stop
ok "inputs.inotify.enabled false on SIGHUP stops the input"

# Off and on again, or a directory dropped and added again: the VMs the
# registry holds from there are known, and only the difference is told.
hup() {
	printf '%s\n' "$1" > "$T/conf.json"
	kill -HUP "$KT_PID"
}
mkdir -p "$ROOT/y/vm0" "$ROOT/y/vm1" "$ROOT/z/vm-z"
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/y", "/z"] } } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"
expect 3 0
# vm-s told of by a hook on the socket first, then by its directory.
ctl event vm-s created || fail "socket event vm-s"
mkdir "$ROOT/y/vm-s"
expect 4 0
hup '{ "inputs": { "inotify": { "enabled": false, "dirs": ["/y", "/z"] } } }'
wait_for 10 st_is ".inputs.inotify.running" false || fail "inotify still running after disabling"
rmdir "$ROOT/y/vm0"
mkdir "$ROOT/y/vm2"
hup '{ "inputs": { "inotify": { "dirs": ["/y", "/z"] } } }'
wait_for 10 st_is ".inputs.inotify.running" true || fail "inotify not running after enabling"
expect 5 1
assert_eq "VMs after off and on" "vm-s vm-z vm1 vm2" "$(vms)"
ok "an input switched off and on reports only what changed meanwhile, VMs the socket told of first too"

hup '{ "inputs": { "inotify": { "dirs": ["/z"] } } }'
wait_for 10 st_is ".inputs.inotify.dirs | length" 1 || fail "/y not dropped"
rmdir "$ROOT/y/vm1"
mkdir "$ROOT/y/vm3"
hup '{ "inputs": { "inotify": { "dirs": ["/z", "/y/"] } } }'
wait_for 10 st_is ".inputs.inotify.dirs | length" 2 || fail "/y not added again"
expect 6 2
assert_eq "VMs after /y dropped and added again" "vm-s vm-z vm2 vm3" "$(vms)"
ok "a directory dropped and added again reports only what changed meanwhile"

# An ancestor of a watched directory renamed: the directory is waited
# for again at its path, and what appears there is seen.
mkdir -p "$ROOT/x/a/b/vm-x0"
hup '{ "inputs": { "inotify": { "dirs": ["/x/a/b"] } } }'
wait_for 10 st_is ".inputs.inotify.dirs[0].vms" 1 || fail "/x/a/b not watched: $(dir 0)"
c0=$(st .inputs.inotify.events.created); d0=$(st .inputs.inotify.events.destroyed)
mv "$ROOT/x/a" "$ROOT/x/a.old"
wait_for 10 st_is ".inputs.inotify.dirs[0].state" waiting ||
    fail "still $(dir 0) after its parent was renamed"
mkdir -p "$ROOT/x/a/b/vm-x1"
expect $((c0 + 1)) $((d0 + 1))
assert_eq "the new /x/a/b" "watching - 1" "$(dir 0)"
mv "$ROOT/x" "$ROOT/x.old"
wait_for 10 st_is ".inputs.inotify.dirs[0].state" waiting ||
    fail "still $(dir 0) after its grandparent was renamed"
mv "$ROOT/x.old" "$ROOT/x"
wait_for 10 st_is ".inputs.inotify.dirs[0].state" watching ||
    fail "not watching once its grandparent came back: $(dir 0)"
expect $((c0 + 1)) $((d0 + 1))
kt_stop
ok "an ancestor renamed: the directory is waited for again at its path"

# A directory whose name is not UTF-8 names no VM: it would break the
# status JSON and the metrics' labels.
mkdir -p "$ROOT/u"
echo '{ "inputs": { "inotify": { "dirs": ["/u"] } } }' > "$T/u.json"
kt_start --root "$ROOT" -c "$T/u.json"
mkdir "$ROOT/u/$(printf 'bad-\377')" "$ROOT/u/good"
wait_for 10 kt_log_has "inotify: a VM event whose VM id is not printable UTF-8" ||
    fail "a directory named in bytes that are not UTF-8 not refused"
wait_for 10 st_is '.vms | keys | join(" ")' good ||
    fail "VMs: $(st '.vms | keys | join(" ")')"
kt_stop
ok "a directory whose name is not UTF-8 is no VM; the daemon says so"

cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["relative/dir", "/a/../b", "/run/vc/sbs"] } } }
JSON
"$KTD" -n -c "$T/conf.json" > /dev/null 2> "$T/err" &&
    fail "a relative dir and one with .. taken"
grep -q 'inputs.inotify.dirs: entry 0: expected an absolute path' "$T/err" ||
    fail "relative dir not refused: $(cat "$T/err")"
sed 's|"relative/dir", ||' "$T/conf.json" > "$T/conf2.json"
"$KTD" -n -c "$T/conf2.json" > /dev/null 2> "$T/err" &&
    fail "a dir with .. taken"
grep -q 'inputs.inotify.dirs: entry 0: .*"\.\."' "$T/err" ||
    fail "dir with .. not refused: $(cat "$T/err")"
ok "relative dirs and dirs with .. are refused, naming the key"
