#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package: contrib/debian/build-deb.sh builds the .deb with
# `dpkg-buildpackage -us -uc -b`; it installs with dpkg -i, holds what it
# should where it should, its ksm-throttlerd starts in the foreground
# (on a private socket and a fake /sys, so the host's KSM is not touched)
# and tells systemd it is ready; then the package is purged and the host
# is as it was.  Needs root, dpkg-dev and debhelper; skips otherwise, and
# when a ksm-throttler package is already installed.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
[ -z "${KT_IN_PACKAGE_BUILD:-}" ] && [ -z "${DEB_BUILD_ARCH:-}" ] ||
    skip "inside a package build"
[ "$(id -u)" = 0 ] || skip "needs root to install a package"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is not installed (Debian: dpkg-dev)"
dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q "install ok installed" ||
    skip "debhelper is not installed"
if dpkg-query -W -f='${Status}' ksm-throttler 2>/dev/null | grep -q "installed"; then
	skip "a ksm-throttler package is installed on this host; not replacing it"
fi

# One package test at a time on a host: they install the same package.
exec 8>/run/lock/ksm-throttler-package-test.lock
flock 8

purge() {
	dpkg-query -W -f='${Status}' ksm-throttler 2>/dev/null | grep -q . &&
	    dpkg --purge ksm-throttler > "$T/purge.log" 2>&1
	return 0
}
KT_EXTRA_CLEANUP='purge'

start=$(date +%s)
"$top_srcdir/contrib/debian/build-deb.sh" "$T/out" > "$T/build.log" 2>&1 ||
    { tail -40 "$T/build.log" >&2; fail "build-deb.sh failed (log: $T/build.log)"; }
deb=$(ls "$T"/out/ksm-throttler_*.deb)
ok "dpkg-buildpackage built $(basename "$deb") in $(($(date +%s) - start)) s"

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$T/contents"
for f in /usr/sbin/ksm-throttlerd /lib/systemd/system/ksm-throttlerd.service \
    /etc/ksm-throttler/ksm-throttler.json \
    /usr/share/man/man8/ksm-throttlerd.8.gz /usr/share/man/man8/ksm-throttlerctl.8.gz \
    /usr/share/man/man5/ksm-throttler.json.5.gz \
    /usr/share/bash-completion/completions/ksm-throttlerctl; do
	grep -qx "$f" "$T/contents" || fail "$f is not in the package"
done
dpkg-deb -f "$deb" Depends | grep -q libsystemd0 || fail "the package does not depend on libsystemd0"
ok "the package holds the daemon, unit, configuration, man pages and completion"

dpkg -i "$deb" > "$T/install.log" 2>&1 || { cat "$T/install.log" >&2; fail "dpkg -i"; }
grep -q "^ExecStart=/usr/sbin/ksm-throttlerd -f -c /etc/ksm-throttler/ksm-throttler.json$" \
    /lib/systemd/system/ksm-throttlerd.service || fail "the installed unit's ExecStart"
/usr/sbin/ksm-throttlerd -n -c /etc/ksm-throttler/ksm-throttler.json > /dev/null ||
    fail "the installed daemon refuses the installed configuration"
ok "dpkg -i installs it; the daemon accepts the shipped configuration"

# Start it as a service manager would, without one: the foreground, a
# private run directory, and a notify socket to hear READY=1 on.
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
kt_notify_listen
KT_EXTRA_CLEANUP='kill $LISTENER 2>/dev/null; purge'
KTD=/usr/sbin/ksm-throttlerd
KT_WRAPPER="env NOTIFY_SOCKET=$NS" kt_start --foreground \
    -c /etc/ksm-throttler/ksm-throttler.json --root "$ROOT"
wait_for 5 grep -qx "READY=1" "$T/notify.log" || fail "the packaged daemon sent no READY=1"
[ -S "$SOCK" ] || [ -f "$T/run/ksm-throttlerd.pid" ] || fail "no run directory contents"
kt_stop
ok "the packaged ksm-throttlerd starts in the foreground, is ready, stops on SIGTERM"

dpkg --purge ksm-throttler > "$T/purge.log" 2>&1 || { cat "$T/purge.log" >&2; fail "dpkg --purge"; }
for f in /usr/sbin/ksm-throttlerd /lib/systemd/system/ksm-throttlerd.service /etc/ksm-throttler \
    /etc/systemd/system/multi-user.target.wants/ksm-throttlerd.service; do
	[ -e "$f" ] && fail "$f is left after dpkg --purge"
done
ok "dpkg --purge leaves the host as it was"
