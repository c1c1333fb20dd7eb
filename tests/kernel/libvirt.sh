#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real libvirtd, real QEMU, real KSM: three transient domains (TCG, 256 MiB,
# Debian's kernel and a busybox initramfs) become VMs of the daemon through
# the libvirt input, with their QEMU pids, cgroups and per-VM series in
# /metrics; their identical pages merge; libvirtd killed and started again
# (one guest dying meanwhile) loses and doubles no event, nor does a
# guest started again while the daemon was stopped; `virsh destroy` ends
# the rest; the KSM knobs are the host's again at the end.
#
# libvirtd runs by hand (no systemd) with its sockets in the test's own
# directory; its QEMU driver still uses /run/libvirt/qemu and reads
# /etc/libvirt/qemu.conf, where a marked block (root, no security driver,
# no virtlogd: stdio_handler "file") is added and taken out again.  The
# libvirt-qemu user that driver insists on is created if missing, and
# removed again after.  Skips (77) where any of this cannot be had.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
[ -x "$KTCTL" ] || skip "$KTCTL not built"
grep -q '^#define HAVE_LIBVIRT 1' "$top_builddir/config.h" 2>/dev/null ||
    skip "built without libvirt (configure --with-libvirt; Debian: libvirt-dev)"
[ "$(id -u)" = 0 ] || skip "needs root to run libvirtd"
for c in libvirtd virsh qemu-system-x86_64 busybox jq curl; do
	command -v $c >/dev/null || skip "no $c (Debian: libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 busybox-static jq curl)"
done
[ -e /proc/self/ksm_stat ] || skip "no /proc/PID/ksm_stat: kernel older than 6.1"
if [ -s /run/libvirt/qemu/driver.pid ] &&
    kill -0 "$(cat /run/libvirt/qemu/driver.pid)" 2>/dev/null; then
	skip "a libvirtd already runs (pid $(cat /run/libvirt/qemu/driver.pid)): not starting another"
fi
VMDIR=$top_srcdir/tests/vm
CACHE=${KT_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ksm-throttler/vm}
. "$VMDIR/kernel.sh"
find_kernel || skip "$WHY"
kt_ksm_real

QEMUCONF=/etc/libvirt/qemu.conf
LV=$T/lv
URI="qemu:///system?socket=$LV/libvirt-sock"
NAMES="kt-lv-1 kt-lv-2 kt-lv-3"
LVPID= QPIDS= MADE_USER= QEMUCONF_WAS=
virsh_() { virsh -q -c "$URI" "$@"; }

# ---- putting the host back -------------------------------------------
lv_cleanup() {
	local p
	for p in $NAMES; do virsh_ destroy "$p" >/dev/null 2>&1; done
	[ -n "$LVPID" ] && kill -TERM "$LVPID" 2>/dev/null &&
	    { wait_for 10 eval '! kill -0 $LVPID' || kill -KILL "$LVPID"; }
	for p in $QPIDS; do kill -KILL "$p" 2>/dev/null; done
	qemuconf_restore
	[ -n "$MADE_USER" ] && { userdel libvirt-qemu; groupdel libvirt-qemu; } 2>/dev/null
	ksm_put_back
}
KT_EXTRA_CLEANUP=lv_cleanup

qemuconf_strip() { sed -i '/^# ksm-throttler test BEGIN$/,/^# ksm-throttler test END$/d' "$QEMUCONF"; }
# Idempotent: a block left by a run that was killed is replaced.
qemuconf_patch() {
	mkdir -p /etc/libvirt /var/log/libvirt || return 1
	if [ -e "$QEMUCONF" ]; then
		qemuconf_strip
		QEMUCONF_WAS=kept
	else
		QEMUCONF_WAS=absent
	fi
	cat >> "$QEMUCONF" <<-'EOF'
	# ksm-throttler test BEGIN
	user = "root"
	group = "root"
	security_driver = "none"
	stdio_handler = "file"
	namespaces = []
	# ksm-throttler test END
	EOF
}
qemuconf_restore() {
	case $QEMUCONF_WAS in
	kept) qemuconf_strip ;;
	absent) rm -f "$QEMUCONF" ;;
	esac
}

# ---- a guest -----------------------------------------------------------
# The initramfs: busybox, and an /init that fills 32 MiB of tmpfs with the
# same bytes in every guest, then idles.
initrd() {
	R=$T/initramfs
	mkdir -p "$R/proc" "$R/tmp" && add_elf "$(command -v busybox)" /bin/busybox || return 1
	cat > "$R/init" <<-'EOF'
	#!/bin/busybox sh
	/bin/busybox mount -t proc proc /proc
	/bin/busybox mount -t tmpfs -o size=64m tmpfs /tmp
	/bin/busybox yes ksm-throttler | /bin/busybox head -c 33554432 > /tmp/same
	echo KTGUEST FILLED
	while :; do /bin/busybox sleep 3600; done
	EOF
	chmod 755 "$R/init"
	(cd "$R" && find . | busybox cpio -o -H newc -R 0:0 > "$T/initrd.cpio" 2>/dev/null)
}

domain_xml() {
	cat <<-EOF
	<domain type='qemu'>
	  <name>$1</name>
	  <memory unit='MiB'>256</memory>
	  <vcpu>1</vcpu>
	  <metadata><kt:class xmlns:kt="https://ksm-throttler/1">gold</kt:class></metadata>
	  <os><type arch='x86_64' machine='pc'>hvm</type>
	    <kernel>$VMLINUZ</kernel><initrd>$T/initrd.cpio</initrd>
	    <cmdline>console=ttyS0 quiet panic=-1</cmdline></os>
	  <on_poweroff>destroy</on_poweroff><on_crash>destroy</on_crash>
	  <devices>
	    <emulator>$(command -v qemu-system-x86_64)</emulator>
	    <serial type='file'><source path='$T/$1.serial'/><target port='0'/></serial>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	EOF
}

libvirtd_start() {
	libvirtd -f "$T/libvirtd.conf" -p "$T/libvirtd.pid" >> "$T/libvirtd.out" 2>&1 9>&- &
	LVPID=$!
	wait_for 20 test -S "$LV/libvirt-sock" && wait_for 10 virsh_ list > /dev/null
}

# ---- what the daemon says --------------------------------------------
st() { "$KTCTL" -s "$SOCK" status --json > "$T/st.json" && jq -r "$1" "$T/st.json"; }
ev() { st ".inputs.libvirt.events.$1"; }
qpid() { cat "/run/libvirt/qemu/$1.pid" 2>/dev/null; }
# The memory cgroup of a process, as /proc/PID/cgroup says it.
memcg_of() {
	awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; f = 1; exit }
	    $1 == "0" && $2 == "" { v2 = $3 }
	    END { if (!f && v2 != "") print v2 }' "/proc/$1/cgroup"
}
merging() {
	local n=0 p
	for p in $QPIDS; do
		n=$((n + $(cat "/proc/$p/ksm_merging_pages" 2>/dev/null || echo 0)))
	done
	echo $n
}
vms_known() { [ "$(st '[.vms | keys[] | select(startswith("kt-lv-"))] | length')" = "$1" ]; }
connected() { [ "$(st .inputs.libvirt.state)" = connected ] && [ "$(st .inputs.libvirt.reconnects)" = "$1" ]; }

# ---- libvirtd --------------------------------------------------------
getent passwd libvirt-qemu >/dev/null || {
	groupadd -r libvirt-qemu 2>/dev/null
	useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu ||
	    skip "cannot create the libvirt-qemu user libvirtd's QEMU driver needs"
	MADE_USER=1
}
qemuconf_patch || skip "cannot write $QEMUCONF"
initrd || fail "could not build the initramfs"
mkdir -p "$LV"
cat > "$T/libvirtd.conf" <<EOF
unix_sock_dir = "$LV"
log_outputs = "3:file:$T/libvirtd.log"
EOF
libvirtd_start || skip "libvirtd did not start: $(grep -m1 ': error : ' "$T/libvirtd.log" "$T/libvirtd.out" | cut -c1-200)"
ok "libvirtd runs on $LV"

# ---- the daemon, and three guests --------------------------------------
PORT=$(kt_port)
# The inotify input watches libvirt's pid files too: the same VMs.
printf '{"inputs": {"libvirt": {"uri": "%s"}, "inotify": {"dirs": ["/run/libvirt/qemu/*.pid"]}}, "metrics": {"listen": "127.0.0.1:%s"}}\n' \
    "$URI" "$PORT" > "$T/kt.json"
KNOBS_BEFORE=$(ksm_knobs)
SHARING_BEFORE=$(cat "$KSMD/pages_sharing")
kt_start -c "$T/kt.json"
wait_for 10 connected 0 || fail "the libvirt input did not connect: $(st .inputs.libvirt)"
ok "the libvirt input connected"
# Past the rescan 5 s after connecting: the guests below are told of by
# libvirt's lifecycle events, not found by that rescan.
sleep 6

for n in $NAMES; do
	domain_xml "$n" > "$T/$n.xml"
	virsh_ create "$T/$n.xml" > /dev/null || fail "virsh create $n: $(tail -n 3 "$T/libvirtd.log")"
	QPIDS="$QPIDS $(qpid "$n")"
done
wait_for 20 vms_known 3 || fail "the daemon knows $(st '.vms | keys | join(",")'), wanted $NAMES"
assert_eq "VMs the daemon knows" "$NAMES" "$(st '.vms | keys | join(" ")')"
for n in $NAMES; do
	p=$(qpid "$n")
	assert_eq "$n: pid" "$p" "$(st ".vms[\"$n\"].pid")"
	assert_eq "$n: cgroup" "$(memcg_of "$p")" "$(st ".vms[\"$n\"].cgroup // \"\"")"
	assert_eq "$n: memory" $((256 << 20)) "$(st ".vms[\"$n\"].memory_bytes")"
	assert_eq "$n: class" gold "$(st ".vms[\"$n\"].class")"
done
assert_eq "created events" 3 "$(ev created)"
ok "three domains are VMs by name, with their QEMU pids, cgroups, memory and class"
wait_for 10 eval '[ "$(st ".inputs.inotify.dirs[0].vms")" = 3 ]' ||
    fail "the pid files in /run/libvirt/qemu gave $(st .inputs.inotify.dirs[0].vms) VMs, wanted 3"
assert_eq "VMs created from pid files" 3 "$(st .inputs.inotify.events.created)"
ok "the inotify input sees the same three VMs from libvirt's pid files"

# 3 x 8192 identical pages of tmpfs; more of the guests' kernels.
wait_for 120 eval '[ "$(merging)" -ge 16384 ]' ||
    fail "$(merging) pages of the guests merged, wanted 16384 within 120 s"
[ "$(cat "$KSMD/pages_sharing")" -gt "$SHARING_BEFORE" ] ||
    fail "pages_sharing $(cat "$KSMD/pages_sharing"), was $SHARING_BEFORE"
ok "the guests' identical pages merged ($(merging) pages; pages_sharing $SHARING_BEFORE -> $(cat "$KSMD/pages_sharing"))"

# Each guest's own pages merge in turn, and a scrape shows savings read
# at most a second before: each is waited for.
scraped_merged() {
	curl -sf "http://127.0.0.1:$PORT/metrics" > "$T/metrics" &&
	    grep -q "^ksm_throttler_vm_ksm_merging_pages{vm=\"$1\"} [1-9]" "$T/metrics"
}
for n in $NAMES; do
	wait_for 60 scraped_merged "$n" ||
	    fail "no merged pages of $n in /metrics: $(grep "vm=\"$n\"" "$T/metrics")"
done
grep -q '^ksm_throttler_events_total{input="libvirt",type="created"} 3$' "$T/metrics" ||
    fail "libvirt's created events in /metrics"
ok "per-VM series in /metrics"

# ---- libvirtd killed; a guest dies meanwhile; libvirtd again -----------
kill -KILL "$LVPID"
wait "$LVPID" 2>/dev/null
LVPID=
wait_for 10 eval '[ "$(st .inputs.libvirt.state)" = connecting ]' ||
    fail "the input did not notice libvirtd was gone"
gone=$(qpid kt-lv-3)
kill -KILL "$gone"
wait_for 10 eval '! kill -0 $gone' || fail "qemu $gone did not die"
QPIDS=$(echo $QPIDS | tr ' ' '\n' | grep -vx "$gone")
assert_eq "destroyed while libvirtd is away" 0 "$(ev destroyed)"
libvirtd_start || fail "libvirtd did not start again"
wait_for 40 connected 1 || fail "no reconnect: $(st .inputs.libvirt)"
# libvirtd may list the dead guest until its reconnect thread gives it
# up, with no event: the input looks again 5 s after connecting.  (The
# pid file's removal may tell the registry first, through the inotify
# input: the libvirt input's own count is what is waited for.)
wait_for 15 eval '[ "$(ev destroyed)" = 1 ]' ||
    fail "destroyed after the reconnect: $(ev destroyed), wanted 1"
wait_for 5 vms_known 2 || fail "after the reconnect the daemon knows $(st '.vms | keys | join(",")')"
assert_eq "created after the reconnect" 3 "$(ev created)"
sleep 0.3
assert_eq "destroyed after the reconnect, a moment later" 1 "$(ev destroyed)"
[ "$(kt_log_count 'libvirt: lost the connection')" = 1 ] || fail "the loss was not logged once"
[ "$(kt_log_count 'retrying quietly')" -le 1 ] || fail "a retry was logged more than once"
ok "libvirtd restarted: the guest that died is destroyed once, none doubled"

# ---- a guest started again while the daemon was not looking ----------
# The daemon is stopped while libvirtd restarts and kt-lv-2 is destroyed
# and created again: the reconnect finds a domain of that name with
# another QEMU, which is the VM gone and come again, not the same one.
old=$(qpid kt-lv-2)
kill -STOP "$KT_PID"
kill -KILL "$LVPID"
wait "$LVPID" 2>/dev/null
LVPID=
libvirtd_start || { kill -CONT "$KT_PID"; fail "libvirtd did not start a third time"; }
# Just started, libvirtd takes its running domains back in a thread of
# its own, holding each for a moment: a destroy then may have to wait.
lv2_down() {
	virsh_ destroy kt-lv-2 > /dev/null 2>> "$T/virsh.err" ||
	    ! virsh_ list --name | grep -qx kt-lv-2
}
wait_for 20 lv2_down &&
    virsh_ create "$T/kt-lv-2.xml" > /dev/null 2>> "$T/virsh.err" ||
    { kill -CONT "$KT_PID"; fail "kt-lv-2 not started again: $(tr '\n' ' ' < "$T/virsh.err")"; }
new=$(qpid kt-lv-2)
QPIDS="$(echo $QPIDS | tr ' ' '\n' | grep -vx "$old") $new"
kill -CONT "$KT_PID"
[ -n "$old" ] && [ -n "$new" ] && [ "$new" != "$old" ] ||
    fail "kt-lv-2's QEMU: '$old', then '$new'"
wait_for 40 connected 2 || fail "no second reconnect: $(st .inputs.libvirt)"
wait_for 10 eval '[ "$(ev created)" = 4 ]' ||
    fail "created after kt-lv-2 came again: $(ev created), wanted 4"
assert_eq "destroyed after kt-lv-2 came again" 2 "$(ev destroyed)"
wait_for 10 eval '[ "$(st ".vms[\"kt-lv-2\"].pid")" = "$new" ]' ||
    fail "kt-lv-2's pid: $(st '.vms["kt-lv-2"].pid'), wanted $new"
assert_eq "VMs after kt-lv-2 came again" "kt-lv-1 kt-lv-2" \
    "$(st '[.vms | keys[] | select(startswith("kt-lv-"))] | join(" ")')"
ok "a domain started again while the daemon was away: gone and come again, with its new QEMU"

# ---- virsh destroy -----------------------------------------------------
virsh_ destroy kt-lv-1 > /dev/null && virsh_ destroy kt-lv-2 > /dev/null ||
    fail "virsh destroy"
wait_for 10 vms_known 0 || fail "destroyed domains still known: $(st '.vms | keys | join(",")')"
assert_eq "created at the end" 4 "$(ev created)"
assert_eq "destroyed at the end" 4 "$(ev destroyed)"
assert_eq "domains known" 0 "$(st .inputs.libvirt.domains_known)"
wait_for 10 eval '[ "$(st ".inputs.inotify.dirs[0].vms")" = 0 ]' ||
    fail "pid files still give $(st .inputs.inotify.dirs[0].vms) VMs"
ok "virsh destroy: the VMs went away (libvirt events and pid files alike)"

kt_stop
assert_eq "knobs after stop" "$KNOBS_BEFORE" "$(ksm_knobs)"
ok "KSM knobs back to the host's"

kill -TERM "$LVPID"
wait "$LVPID" 2>/dev/null
LVPID=
for p in $QPIDS; do
	kill -0 "$p" 2>/dev/null && fail "qemu $p still runs"
done
ok "no libvirtd or qemu of the test left"
