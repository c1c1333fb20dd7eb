#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The run directory and what is in it, against things planted there: a
# dangling symlink as the directory, a group-writable directory, symlinks
# at the socket, the pid file, the state file and its temporary name, a
# FIFO as the state file.  Each is refused with the reason, or not
# followed; nothing outside the directory is touched.  A FIFO as a VM's
# pid file does not stall the daemon.  And the modes the
# daemon makes things with, whatever its umask: the directory 0755, the
# socket 0660 (socket.group's members can connect even under umask 077),
# the pid file 0644, the state file 0600.  (control.sh covers a symlink
# to a directory, a world-writable or foreign directory and a plain file
# at the socket path.)
. "$top_srcdir/tests/lib/lib.sh" || exit 99
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
K="$ROOT/sys/kernel/mm/ksm"
before=$(kt_fake_knobs)
mkdir "$T/elsewhere"
echo precious > "$T/elsewhere/file"

# refuse DIR MESSAGE: no daemon on DIR/s.sock, and it says why.
refuse() {
	"$KTD" -f --root "$ROOT" --socket "$1/s.sock" > "$T/refused.log" 2>&1 &&
	    fail "started in $1 where it should refuse ($2)"
	grep -qF -- "$2" "$T/refused.log" || fail "wanted '$2', got: $(cat "$T/refused.log")"
}

ln -s "$T/elsewhere/new" "$T/dangling"
refuse "$T/dangling" "$T/dangling: a symlink or not a directory, refusing to use it"
[ -e "$T/elsewhere/new" ] && fail "a directory was made at a dangling symlink's target"
mkdir "$T/group"
chmod 0770 "$T/group"
refuse "$T/group" "writable by others (mode 0770), refusing"
ok "a dangling symlink as the run directory, a group-writable one: refused"

# A stale socket elsewhere, reached through a symlink, is not replaced.
perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 1) or die "$!"' \
    "$T/elsewhere/other.sock" || fail "cannot make a socket"
mkdir "$T/r1"
ln -s "$T/elsewhere/other.sock" "$T/r1/s.sock"
refuse "$T/r1" "$T/r1/s.sock exists and is not a socket: not replacing it"
[ -S "$T/elsewhere/other.sock" ] || fail "the socket behind the symlink was removed"
[ -L "$T/r1/s.sock" ] || fail "the symlink was removed"
mkdir "$T/r2"
ln -s "$T/elsewhere/file" "$T/r2/ksm-throttlerd.pid"
refuse "$T/r2" "$T/r2/ksm-throttlerd.pid: a symlink, refusing to use it"
assert_eq "file behind the pid file's symlink" precious "$(cat "$T/elsewhere/file")"
ok "symlinks at the socket and at the pid file: refused, their targets untouched"

# A state file elsewhere, as a crashed run would leave it; a symlink to
# it, and one at the name the state file is written under first; the
# previous release's ksm.state a symlink too.
printf 'ksm-throttler-host-state 1\n"/sys/kernel/mm/ksm/run" "1"\n"/sys/kernel/mm/ksm/sleep_millisecs" "7"\n' > "$T/elsewhere/state"
printf 'ksm-throttler-state 1\nrun 1\nsleep_millisecs 7\n' > "$T/elsewhere/legacy"
cp "$T/elsewhere/state" "$T/elsewhere/state.orig"
ln -s "$T/elsewhere/state" "$T/run/host.state"
ln -s "$T/elsewhere/file" "$T/run/host.state.tmp"
ln -s "$T/elsewhere/legacy" "$T/run/ksm.state"
kt_start --root "$ROOT"
kt_log_has "host.state: a symlink, removing it" || fail "symlinked state file not reported"
kt_log_has "ksm.state: a symlink, removing it" || fail "symlinked ksm.state not reported"
kt_log_has "restoring the (KSM )?settings" && fail "restored from a symlinked state file"
wait_for 5 grep -qx 1 "$K/run" || fail "the daemon did not start ksmd"
[ -f "$T/run/host.state" ] && [ ! -L "$T/run/host.state" ] ||
    fail "the state file is not a regular file: $(ls -l "$T/run")"
[ -e "$T/run/host.state.tmp" ] && fail "host.state.tmp left behind"
[ -e "$T/run/ksm.state" ] && fail "ksm.state symlink left behind"
cmp -s "$T/elsewhere/state" "$T/elsewhere/state.orig" || fail "the state file's target was changed"
assert_eq "file behind host.state.tmp" precious "$(cat "$T/elsewhere/file")"
kt_stop
assert_eq "knobs after stop" "$before" "$(kt_fake_knobs)"
ok "symlinks at host.state, host.state.tmp and ksm.state: not read, not written through, replaced"

mkfifo "$T/run/host.state"
kt_start --root "$ROOT"
kt_log_has "host.state: not a regular file, removing it" || fail "FIFO state file not reported"
wait_for 5 grep -qx 1 "$K/run" || fail "the daemon did not start ksmd"
[ -f "$T/run/host.state" ] || fail "no state file in place of the FIFO"
kt_stop
assert_eq "knobs after stop" "$before" "$(kt_fake_knobs)"
ok "a FIFO as host.state: not waited on, replaced"

# A runtime's directory for a VM whose pid file is a FIFO: read, it
# would block the loop.
mkdir -p "$ROOT/run/vc/sbs"
kt_start --root "$ROOT"
mkdir "$ROOT/run/vc/sbs/vm-1"
mkfifo "$ROOT/run/vc/sbs/vm-1/pid"
wait_for 5 kt_log_has "event created vm-1 from inotify" || fail "no event for vm-1"
timeout 10 "$KTCTL" -s "$SOCK" status --json > "$T/status.json" ||
    fail "no status with a FIFO as a VM's pid file (exit $?)"
grep -q '"vm-1"' "$T/status.json" || fail "vm-1 not in status"
kt_stop
ok "a FIFO as a VM's pid file: the VM listed without a pid, the daemon answering"

# ---- modes, whatever the umask ----
[ "$(id -u)" = 0 ] || skip "needs root to test socket.group and another uid"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
group=users
gid=$(getent group "$group" | cut -d: -f3)
[ -n "$gid" ] || skip "no group '$group' to test socket.group with"
chmod 755 "$T"
setpriv --reuid=65534 --regid="$gid" --clear-groups test -x "$KTCTL" ||
    skip "$KTCTL is not reachable by uid 65534"
cat > "$T/conf.json" <<JSON
{ "socket": { "group": "$group" }, "inputs": { "inotify": { "enabled": false } } }
JSON
SOCK="$T/fresh/ksm-throttler.sock"
for mask in 000 077; do
	rm -rf "$T/fresh"
	umask $mask
	kt_start --root "$ROOT" -c "$T/conf.json"
	umask 022
	wait_for 5 test -f "$T/fresh/host.state" || fail "no state file (umask $mask)"
	assert_eq "modes under umask $mask" \
	    "root root 755|root $group 660|root root 644|root root 600" \
	    "$(cd "$T/fresh" && stat -c '%U %G %a' . ksm-throttler.sock ksm-throttlerd.pid host.state | paste -sd'|')"
	setpriv --reuid=65534 --regid="$gid" --clear-groups "$KTCTL" -s "$SOCK" kick ||
	    fail "a member of $group cannot kick (umask $mask)"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KTCTL" -s "$SOCK" status \
	    2>/dev/null
	assert_eq "a stranger's status under umask $mask: exit" 4 $?
	kt_stop
done
ok "under umask 000 and 077 alike: run directory 0755, socket 0660 root:$group, pid file 0644, state file 0600"
