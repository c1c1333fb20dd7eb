#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Upgrade and purge of the Debian package under a real systemd (a booted
# container: tests/systemd/lib.sh) on this host's real KSM knobs.
# Version N is installed and boosts; N+1 (the same source, a higher
# version: build-deb.sh, KT_DEB_VERSION) is unpacked while N runs, which
# must not stop it; N is then killed and the restart, N+1's binary, starts
# from N's state file; configuring N+1 restarts the unit (not a stop in
# prerm and a start in postinst); and when it stops the knobs are the
# host's from before N ran.  Purge, the daemon running, leaves no file, no
# unit and no changed knob.  The assertions are on the knobs' values,
# never on the state file's name.  Root; skips where no container boots.
. "$top_srcdir/tests/systemd/lib.sh"
sd_setup

pid_is_not() { [ "$(sd_prop MainPID)" != "$1" ]; }
restarts_above() { [ "$(sd_prop NRestarts)" -gt "$1" ]; }
# exe_of PID: the file the container's process PID runs.
exe_of() { sd_in readlink "/proc/$1/exe"; }
version() { sd_in dpkg-query -W -f='${Version}' ksm-throttler; }
# Everything of the package's name anywhere in the container.
ours() {
	sd_in find / -xdev \( -path /proc -o -path /sys -o -path /debs \) -prune \
	    -o -name '*ksm-throttler*' -print | sort
	sd_in find /run -xdev -name '*ksm-throttler*' | sort
}

start=$(date +%s)
sd_deb
old=$DEB
N=$(dpkg-deb -f "$T$old" Version)
sd_deb "$N+1"
new=$DEB
dpkg --compare-versions "$N+1" gt "$N" || fail "$N+1 is not above $N"
ok "built ${old##*/} and ${new##*/} ($(($(date +%s) - start)) s)"

# debhelper's maintainer scripts: the unit is stopped only on removal,
# and an upgrade (postinst configure with the old version) restarts it.
dpkg-deb -e "$T$new" "$T/ctl"
grep -q 'deb-systemd-invoke stop' "$T/ctl/prerm" &&
    ! grep -B2 'deb-systemd-invoke stop' "$T/ctl/prerm" | grep -q '"$1" = remove' &&
    fail "prerm stops the unit on upgrade"
grep -q '_dh_action=restart' "$T/ctl/postinst" ||
    fail "postinst does not restart the unit on upgrade"
ok "the maintainer scripts stop the unit on removal only, restart it on upgrade"

sd_rootfs
kt_ksm_real
sd_host 0 1234 57
sd_boot
ours > "$T/before"

# ---- N, boosting ------------------------------------------------------
sd_in dpkg -i "$old" > "$T/install.log" 2>&1 ||
    { cat "$T/install.log" >&2; fail "dpkg -i $old"; }
ours > "$T/installed"
# (/lib is /usr/lib on a merged /usr.)
for f in /sbin/ksm-throttlerd /lib/systemd/system/ksm-throttlerd.service \
    .wants/ksm-throttlerd.service /etc/ksm-throttler /run/ksm-throttler; do
	grep -q "$f\$" "$T/installed" || fail "no $f after dpkg -i"
done
sd_kick
pid=$(sd_main_pid)
ok "$N installed, running, boosting"

# ---- N+1 unpacked: N runs on --------------------------------------------
sd_in dpkg --unpack "$new" > "$T/unpack.log" 2>&1 ||
    { cat "$T/unpack.log" >&2; fail "dpkg --unpack $new"; }
assert_eq "MainPID after unpacking $N+1" "$pid" "$(sd_prop MainPID)"
sd_running || fail "unpacking $N+1 stopped the unit: $(sd_state)"
exe_of "$pid" | grep -q '(deleted)$' || fail "the old daemon's file was not replaced"
sd_knobs_changed || fail "unpacking $N+1 put the knobs back"
ok "unpacking $N+1 leaves $N running, its knobs as it set them"

# ---- N dies: the restart, N+1's binary, starts from N's state ----------
restarts=$(sd_prop NRestarts)
sd_ctl kill -s KILL $SD_UNIT
wait_for 20 restarts_above "$restarts" || fail "no restart after SIGKILL"
pid=$(sd_main_pid)
exe_of "$pid" | grep -q '(deleted)' && fail "the restart ran the old binary"
wait_for 5 grep -qx 1 "$KSMD/run" || fail "the restarted daemon did not take over"
ok "$N killed mid-upgrade: $N+1's daemon restarts in its place"

# ---- N+1 configured: a restart, the host's originals kept ---------------
sd_in dpkg --configure ksm-throttler > "$T/configure.log" 2>&1 ||
    { cat "$T/configure.log" >&2; fail "dpkg --configure"; }
assert_eq "installed version" "$N+1" "$(version)"
wait_for 5 pid_is_not "$pid" || fail "configuring $N+1 did not restart the unit"
sd_main_pid > /dev/null
sd_kick
sd_ctl stop $SD_UNIT
sd_knobs_are_host "after the upgrade to $N+1 and a stop"
ok "upgraded to $N+1 by a restart; stopped, the knobs are the host's from before $N"

# ---- an upgrade in one go (dpkg -i), as apt does it -----------------------
sd_in dpkg -i "$old" > "$T/downgrade.log" 2>&1 ||
    { cat "$T/downgrade.log" >&2; fail "dpkg -i $old over $N+1"; }
sd_kick
pid=$(sd_main_pid)
sd_in dpkg -i "$new" > "$T/upgrade.log" 2>&1 ||
    { cat "$T/upgrade.log" >&2; fail "dpkg -i $new"; }
pid_is_not "$pid" || fail "dpkg -i $new did not restart the unit"
sd_main_pid > /dev/null
sd_kick
sd_ctl stop $SD_UNIT
sd_knobs_are_host "after dpkg -i $N+1 over $N and a stop"
ok "dpkg -i $N+1 over a running $N: restarted; stopped, the knobs are the host's"

# ---- purge, running -----------------------------------------------------
sd_ctl start $SD_UNIT
sd_kick
sd_in dpkg --purge ksm-throttler > "$T/purge.log" 2>&1 ||
    { cat "$T/purge.log" >&2; fail "dpkg --purge"; }
sd_knobs_are_host "after dpkg --purge"
assert_eq "LoadState after purge" not-found "$(sd_prop LoadState)"
sd_in sh -c 'grep -lx ksm-throttlerd /proc/[0-9]*/comm' 2>/dev/null &&
    fail "a ksm-throttlerd runs after purge"
ours > "$T/after"
diff "$T/before" "$T/after" >&2 || fail "dpkg --purge left the files above"
ok "dpkg --purge stops it, leaves no file, no unit, no changed knob"
