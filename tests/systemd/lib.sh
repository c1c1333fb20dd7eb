# SPDX-License-Identifier: Apache-2.0
# Shared by the tests in tests/systemd/: the Debian package installed in
# a container that boots a real systemd, on this host's kernel.
#
# How the container is made and driven, and why so:
#  - Its root file system is a Debian minbase (debootstrap) of this host's
#    release, with systemd, dbus and the package's run-time libraries, so
#    that the .deb built here installs there with dpkg alone.  It is kept
#    in $KT_SYSTEMD_CACHE (default ~/.cache/ksm-throttler/systemd-rootfs)
#    and made again when missing or when the package set changes; it is
#    never written to: every boot runs on a tmpfs overlay of it
#    (systemd-nspawn --volatile=overlay), thrown away at shutdown.
#  - systemd-nspawn --boot --register=no --keep-unit: systemd need not be
#    PID 1 here and no systemd-machined need run; the container is not
#    registered, so `machinectl shell` and `systemd-run -M` cannot reach
#    it.  Commands run in it with nsenter into all the namespaces of its
#    PID 1 (sd_in), which systemctl and journalctl need: the mount
#    namespace holds /run/systemd/private and the journal.
#  - nspawn mounts /sys and /proc/sys read-only.  The test lends the
#    container the host's /sys/kernel/mm/ksm, read-write (--bind): the
#    knobs the daemon turns are the host's real ones, as on a VM host.
#    Nothing else is lent: the cgroup hierarchies stay read-only as nspawn
#    mounts them (systemd never makes a read-only mount read-write, so the
#    unit's ReadWritePaths=/sys/fs/cgroup cannot either), and the test
#    makes the daemon write no cgroup file.  /proc/sys/vm/compact_memory
#    is read-only in the container but read-write for the daemon: the
#    unit binds that one file afresh.
#  - It shares the host's network namespace: with --private-network
#    nspawn mounts a sysfs of its own, read-only, over the lent
#    /sys/kernel/mm/ksm.  So the daemon's metrics endpoint (127.0.0.1:9464)
#    may find its port taken on the host; it says so and goes on.
#  - It stops by SIGTERM to systemd-nspawn, which halts the container's
#    systemd; after 20 s its PID 1, and so every process in it, is killed.
# Each test takes the lock the kernel tests take (tests/lib/lib.sh,
# kt_ksm_real) before it boots, and puts every KSM knob back however it
# ends.

. "$top_srcdir/tests/lib/lib.sh"

# Compared before and after, and put back at the end: also the knobs the
# daemon only reads, so that "as found" means all of them.
KT_KNOBS="$KT_KNOBS use_zero_pages max_page_sharing merge_across_nodes smart_scan"
KT_KNOBS="$KT_KNOBS stable_node_chains_prune_millisecs"
SD_UNIT=ksm-throttlerd.service
SD_DROPIN=/run/systemd/system/$SD_UNIT.d
SD_NSPAWN=
SD_PID1=

# sd_setup: skip, saying why, where this host cannot run these tests.
sd_setup() {
	kt_setup
	[ -z "${KT_IN_PACKAGE_BUILD:-}" ] && [ -z "${DEB_BUILD_ARCH:-}" ] ||
	    skip "inside a package build"
	[ "$(id -u)" = 0 ] || skip "needs root to boot a container"
	local c
	for c in debootstrap:debootstrap systemd-nspawn:systemd-container \
	    nsenter:util-linux dpkg-buildpackage:dpkg-dev flock:util-linux; do
		command -v "${c%%:*}" >/dev/null ||
		    skip "${c%%:*} is not installed (Debian: ${c#*:})"
	done
	dpkg-query -W -f='${Status}' debhelper 2>/dev/null |
	    grep -q "install ok installed" || skip "debhelper is not installed"
	[ -w "$KSMD/run" ] ||
	    skip "$KSMD/run is not writable (no CONFIG_KSM, or read-only sysfs)"
	SD_SUITE=$(. /etc/os-release && [ "${ID:-}" = debian ] &&
	    echo "${VERSION_CODENAME:-}")
	[ -n "$SD_SUITE" ] || skip "not a Debian host: the container runs the" \
	    "package built here, so it must be this host's Debian release"
	mkdir -p "$T/debs"
}

# sd_deb [VERSION]: build the package (as VERSION: build-deb.sh,
# KT_DEB_VERSION) into $T/debs; its path in DEB.
sd_deb() {
	local out="$T/build${1:+-$1}"
	KT_DEB_VERSION=${1:-} "$top_srcdir/contrib/debian/build-deb.sh" \
	    "$out" > "$out.log" 2>&1 ||
	    { tail -n 30 "$out.log" >&2; fail "build-deb.sh failed ($out.log)"; }
	DEB=$(ls "$out"/ksm-throttler_*.deb)
	cp "$DEB" "$T/debs/"
	DEB=/debs/${DEB##*/}
}

# sd_rootfs: the cached root file system, made when missing or when the
# package set (systemd, dbus, the .deb's Depends) differs; in SD_ROOTFS.
sd_rootfs() {
	local cache=${KT_SYSTEMD_CACHE:-${HOME:-/root}/.cache/ksm-throttler/systemd-rootfs}
	local mirror=${KT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	local pkgs want start
	pkgs=$(dpkg-deb -f "$T$DEB" Depends | tr ',' '\n' |
	    sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep . | sort -u)
	want="$SD_SUITE systemd systemd-sysv dbus $(echo $pkgs)"
	SD_ROOTFS=$cache/rootfs
	mkdir -p "$cache"
	exec 7>"$cache/lock"
	flock 7
	if [ -x "$SD_ROOTFS/lib/systemd/systemd" ] &&
	    [ "$(cat "$cache/packages" 2>/dev/null)" = "$want" ]; then
		exec 7>&-
		return 0
	fi
	rm -rf "$SD_ROOTFS" "$cache/rootfs.new" "$cache/packages"
	start=$(date +%s)
	set -- $want
	shift
	debootstrap --variant=minbase --include="$(echo "$@" | tr ' ' ,)" \
	    "$SD_SUITE" "$cache/rootfs.new" "$mirror" > "$T/debootstrap.log" 2>&1 ||
	    { tail -n 5 "$T/debootstrap.log"; rm -rf "$cache/rootfs.new"
	      skip "debootstrap $SD_SUITE from $mirror failed (no network?)"; }
	mv "$cache/rootfs.new" "$SD_ROOTFS"
	echo "$want" > "$cache/packages"
	exec 7>&-
	ok "made the container's root file system in $cache ($(($(date +%s) - start)) s)"
}

# sd_in COMMAND...: run it in the container, in a clean environment.
sd_in() {
	nsenter --target "$SD_PID1" --all env -i \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= \
	    SYSTEMD_COLORS=0 "$@"
}
sd_ctl() { sd_in systemctl "$@"; }
# sd_prop PROPERTY: one property of the unit.
sd_prop() { sd_in systemctl show -P "$1" "$SD_UNIT"; }
sd_state() { echo "$(sd_prop ActiveState) $(sd_prop SubState)"; }
sd_running() { [ "$(sd_state)" = "active running" ]; }
sd_journal() { sd_in journalctl --no-pager -q -u "$SD_UNIT" "$@"; }
sd_booted() {
	case $(sd_in systemctl is-system-running 2>/dev/null) in
	running|degraded) return 0 ;;
	esac
	return 1
}

# sd_boot: boot the container; its systemd-nspawn in SD_NSPAWN, its PID 1
# (as the host sees it) in SD_PID1.
sd_boot() {
	local i
	SD_NAME=kt-systemd-$$
	KT_EXTRA_CLEANUP="sd_down; ${KT_EXTRA_CLEANUP:-}"
	systemd-nspawn -D "$SD_ROOTFS" --boot --register=no --keep-unit \
	    --volatile=overlay --machine="$SD_NAME" --console=read-only \
	    --bind=/sys/kernel/mm/ksm --bind-ro="$T/debs:/debs" \
	    < /dev/null > "$T/nspawn.log" 2>&1 &
	SD_NSPAWN=$!
	for i in $(seq 100); do
		# nspawn's children: a short-lived helper, then the
		# container's systemd.
		SD_PID1=$(ps -o pid=,comm= --ppid "$SD_NSPAWN" |
		    awk '$2 == "systemd" { print $1; exit }')
		[ -n "$SD_PID1" ] && break
		kill -0 "$SD_NSPAWN" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$SD_PID1" ]; then
		tail -n 10 "$T/nspawn.log"
		skip "systemd-nspawn cannot boot a container here (log above)"
	fi
	wait_for 60 sd_booted || { tail -n 20 "$T/nspawn.log" >&2
	    fail "the container's systemd did not finish booting"; }
}

# sd_down: halt the container; kill it if it does not go in 20 s.
sd_down() {
	[ -n "$SD_NSPAWN" ] || return 0
	# kt_cleanup's rc: a failed test shows the unit's journal.
	if [ "${rc:-0}" != 0 ] && [ "${rc:-0}" != 77 ]; then
		echo "--- the unit's journal:"
		sd_journal -o short-monotonic | tail -n 40
	fi >&2
	kill -TERM "$SD_NSPAWN" 2>/dev/null
	if ! wait_for 20 sd_nspawn_gone; then
		echo "# the container did not halt in 20 s: killing it"
		kill -KILL "$SD_PID1" "$SD_NSPAWN" 2>/dev/null
	fi
	wait "$SD_NSPAWN" 2>/dev/null
	kill -0 "$SD_PID1" 2>/dev/null && kill -KILL "$SD_PID1" 2>/dev/null
	# nspawn's own directories (mount propagation, image locks), if empty.
	rmdir "/run/systemd/nspawn/propagate/$SD_NAME" \
	    /run/systemd/nspawn/propagate /run/systemd/nspawn/locks \
	    /run/systemd/nspawn 2>/dev/null
	SD_NSPAWN=
}
sd_nspawn_gone() { ! kill -0 "$SD_NSPAWN" 2>/dev/null; }

# sd_host KNOBS: the host's own KSM settings before anything runs,
# "RUN PAGES SLEEP"; not the kernel's defaults, so that putting back the
# defaults is not mistaken for putting back the host's.
sd_host() {
	echo none > "$KSMD/advisor_mode" 2>/dev/null
	echo "$2" > "$KSMD/pages_to_scan"
	echo "$3" > "$KSMD/sleep_millisecs"
	echo "$1" > "$KSMD/run"
	HOST_KNOBS=$(ksm_knobs)
}

# sd_knobs_are_host WHAT: every knob as sd_host left it.
sd_knobs_are_host() { assert_eq "KSM knobs $1" "$HOST_KNOBS" "$(ksm_knobs)"; }
sd_knobs_changed() { [ "$(ksm_knobs)" != "$HOST_KNOBS" ]; }

# sd_boosted: the policy says boost (`ksm-throttlerctl status`).
sd_boosted() { sd_in ksm-throttlerctl status | grep -Eq '^policy +boost'; }

# sd_kick: boost, as a new VM would, and wait until the knobs show it.
sd_kick() {
	sd_in ksm-throttlerctl kick > /dev/null || fail "ksm-throttlerctl kick"
	wait_for 10 sd_boosted || fail "no boost after a kick"
	wait_for 5 sd_knobs_changed || fail "the daemon changed no KSM knob"
}

# sd_no_denials: the daemon's journal holds no permission error, nor
# systemd one about setting up its sandbox.
sd_no_denials() {
	sd_journal -o cat > "$T/journal"
	if grep -Ei "permission denied|operation not permitted|read-only file system|EACCES|EPERM|EROFS|Failed to set up|status=2[0-9][0-9]/" \
	    "$T/journal"; then
		fail "the unit's journal has the errors above"
	fi
}

# sd_main_pid: the daemon's pid as the container sees it; waits until the
# unit runs.
sd_main_pid() {
	wait_for 20 sd_running || { sd_ctl status "$SD_UNIT" >&2 || :
	    fail "$SD_UNIT is not active (running): $(sd_state)"; }
	sd_prop MainPID
}
