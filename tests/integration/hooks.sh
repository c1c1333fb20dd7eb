#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The hypervisor hooks in contrib/hooks/, run as libvirt and Proxmox run
# them, against the real daemon: a guest that starts is in status with
# its QEMU pid, memory cgroup and memory size, and is gone once it has
# stopped.  A sleeping process stands in for QEMU; a hook whose daemon
# is not there still exits 0, saying why.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
command -v jq >/dev/null || skip "jq not installed"
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
printf '{"metrics": {"listen": ""}}\n' > "$T/conf.json"
kt_start --root "$ROOT" -c "$T/conf.json"
HOOKS="$top_srcdir/contrib/hooks"
export KSM_THROTTLER_SOCKET="$SOCK" KSM_THROTTLERCTL="$KTCTL"

sleep 300 &
QEMU=$!
KT_EXTRA_CLEANUP='kill $QEMU 2>/dev/null'
# What the hooks should find: the memory controller's cgroup (v1), else
# the unified one; none for the root cgroup.
CG=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { v1 = $3 } $1 == "0" && $2 == "" { v2 = $3 }
    END { print v1 != "" ? v1 : v2 }' "/proc/$QEMU/cgroup")
[ "$CG" = / ] && CG=null

vm() { "$KTCTL" -s "$SOCK" status --json | jq -c --arg id "$1" \
    '.vms[$id] | if . == null then null else [.pid, (.cgroup // null), (.memory_bytes // null), .state] end'; }

# libvirt: /etc/libvirt/hooks/qemu GUEST OPERATION SUB-OPERATION EXTRA,
# the domain XML on stdin, GUEST.pid in its run directory.
export LIBVIRT_QEMU_RUNDIR="$T/libvirt"
mkdir -p "$LIBVIRT_QEMU_RUNDIR"
cat > "$T/guest.xml" <<'XML'
<domain type='kvm' id='1'>
  <name>guest-1</name>
  <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>
  <memory unit='KiB'>2097152</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <memoryBacking>
    <nosharepages/>
  </memoryBacking>
  <vcpu placement='static'>2</vcpu>
</domain>
XML
lv() { "$HOOKS/libvirt-qemu" guest-1 "$@" - < "$T/guest.xml" 2>>"$T/hook.err"; }
lv prepare begin || fail "prepare begin exited $?"
assert_eq "after prepare" null "$(vm guest-1)"
lv start begin || fail "start begin exited $?"
assert_eq "after start" '[null,null,2147483648,"running"]' "$(vm guest-1)"
printf '%s' "$QEMU" > "$LIBVIRT_QEMU_RUNDIR/guest-1.pid"	# as libvirt: no newline
lv started begin || fail "started begin exited $?"
assert_eq "after started" "[$QEMU,$( [ "$CG" = null ] && echo null || echo "\"$CG\""),2147483648,\"running\"]" \
    "$(vm guest-1)"
ok "libvirt: a started guest is in status with its pid, cgroup and memory"
lv stopped end || fail "stopped end exited $?"
lv release end || fail "release end exited $?"
assert_eq "after stopped" null "$(vm guest-1)"
assert_eq "events" '[1,1,0,1]' "$("$KTCTL" -s "$SOCK" status --json |
    jq -c '.inputs.socket.events | [.creating, .created, .destroying, .destroyed]')"
ok "libvirt: a stopped guest is gone, one event per step"

# Proxmox: SCRIPT VMID PHASE, VMID.pid in /run/qemu-server, the VM's
# configuration in /etc/pve/qemu-server.
export PVE_QEMU_RUNDIR="$T/pve-run" PVE_QEMU_CONFDIR="$T/pve-conf"
mkdir -p "$PVE_QEMU_RUNDIR" "$PVE_QEMU_CONFDIR"
printf 'boot: order=scsi0\ncores: 2\nmemory: 4096\nname: web\n\n[snap1]\nmemory: 1024\n' \
    > "$PVE_QEMU_CONFDIR/101.conf"
pve() { "$HOOKS/proxmox-hookscript" 101 "$1" < /dev/null 2>>"$T/hook.err"; }
pve pre-start || fail "pre-start exited $?"
assert_eq "after pre-start" '[null,null,4294967296,"running"]' "$(vm 101)"
echo "$QEMU" > "$PVE_QEMU_RUNDIR/101.pid"
pve post-start || fail "post-start exited $?"
assert_eq "after post-start" "[$QEMU,$( [ "$CG" = null ] && echo null || echo "\"$CG\""),4294967296,\"running\"]" \
    "$(vm 101)"
ok "Proxmox: a started VM is in status with its pid, cgroup and memory"
state() { "$KTCTL" -s "$SOCK" status --json | jq -r --arg id "$1" '.vms[$id].state'; }
pve pre-stop || fail "pre-stop exited $?"
assert_eq "after pre-stop" destroying "$(state 101)"
# The shutdown timed out and the VM runs on; it is started again later.
pve pre-start || fail "pre-start exited $?"
assert_eq "a VM going that comes again" running "$(state 101)"
pve post-start || fail "post-start exited $?"
pve pre-stop || fail "pre-stop exited $?"
assert_eq "after pre-stop" destroying "$(state 101)"
pve post-stop || fail "post-stop exited $?"
assert_eq "after post-stop" null "$(vm 101)"
ok "Proxmox: a VM stopping, then stopped, then gone; one that comes again runs"
[ -s "$T/hook.err" ] && fail "the hooks complained: $(cat "$T/hook.err")"
kt_stop

# No daemon: the guest starts all the same.
lv started begin 2>/dev/null || fail "libvirt hook without a daemon exited $?"
"$HOOKS/libvirt-qemu" guest-1 started begin - < "$T/guest.xml" 2>&1 |
    grep -q 'failed, ignoring' || fail "the libvirt hook did not say the daemon was not there"
pve pre-start || fail "Proxmox hookscript without a daemon exited $?"
"$HOOKS/libvirt-qemu" < /dev/null 2>/dev/null || fail "the libvirt hook with no arguments exited $?"
ok "without a daemon the hooks exit 0 and say why"
