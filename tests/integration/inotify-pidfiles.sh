#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The inotify input on pid-file directories, as libvirt (/run/libvirt/qemu/
# NAME.pid) and Proxmox (/run/qemu-server/VMID.pid) lay them out, below a
# fake --root with fake /proc entries for the VMM pids: a file matching
# the pattern that names a live process is a VM with that pid; other
# files, dead pids and empty files are not; a file written after it was
# created, one removed, one written again with another VMM's pid or a
# dead one, a directory created late, and a dead pid file left behind at
# start.  libvirt's "emulator" child cgroup on v2 is counted in its parent.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/inotify.sh"
inotify_setup
LV="$ROOT/run/libvirt/qemu"
PX="$ROOT/run/qemu-server"
mkdir -p "$LV" "$ROOT/proc/4101" "$ROOT/proc/4102" "$ROOT/proc/4201"
echo 4101 > "$LV/guest1.pid"
printf '0::/machine.slice/machine-qemu\\x2d1\\x2dguest1.scope\n' > "$ROOT/proc/4101/cgroup"
printf '12:pids:/x\n4:cpu,memory:/machine/qemu-2-guest2.libvirt-qemu\n0::/\n' > "$ROOT/proc/4102/cgroup"
echo 4102 > "$LV/guest2.pid"
echo "<domstatus/>" > "$LV/guest1.xml"
echo 9999 > "$LV/stale.pid"		# no such process
echo 4101 > "$LV/driver.pid"		# libvirtd's own: inputs.inotify.ignore
mkdir "$LV/dir.pid"			# a directory is not a pid file
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/run/vc/sbs", "/run/libvirt/qemu/*.pid",
    "/run/qemu-server/*.pid"] } } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"

vm() { st ".vms[\"$1\"].pid // \"none\""; }

expect 2 0
assert_eq "guest1's pid" 4101 "$(vm guest1)"
assert_eq "guest2's pid" 4102 "$(vm guest2)"
assert_eq "guest1's cgroup (v2)" '/machine.slice/machine-qemu\x2d1\x2dguest1.scope' "$(st '.vms.guest1.cgroup')"
assert_eq "guest2's cgroup (v1)" /machine/qemu-2-guest2.libvirt-qemu "$(st '.vms.guest2.cgroup')"
assert_eq "a dead pid is no VM" none "$(vm stale)"
assert_eq "driver.pid is ignored" none "$(vm driver)"
assert_eq "libvirt dir" "watching pidfiles 2" \
    "$(st '.inputs.inotify.dirs[1] | "\(.state) \(.kind) \(.vms)"')"
assert_eq "Proxmox dir, not there yet" waiting "$(st '.inputs.inotify.dirs[2].state')"
ok "pid files at start: live pids are VMs with their pid and cgroup; dead pids, ignored names, other files, directories are not"

# libvirt creates the file, then writes the pid into it.
: > "$LV/guest3.pid"
sleep 0.3
assert_eq "an empty pid file is no VM yet" none "$(vm guest3)"
mkdir -p "$ROOT/proc/4103"
echo 4103 > "$LV/guest3.pid"
expect 3 0
assert_eq "guest3's pid" 4103 "$(vm guest3)"
assert_eq "no cgroup file, no cgroup" null "$(st '.vms.guest3.cgroup')"
echo 4103 > "$LV/guest3.pid"
touch "$LV/guest4.xml"
sleep 0.3
assert_eq "rewritten or other files: no news" "3 0" "$(counts)"
rm "$LV/guest1.pid"
expect 3 1
assert_eq "guest1 gone" none "$(vm guest1)"
ok "a pid file written after it was created is a VM; one removed is destroyed"

mkdir -p "$PX"
echo 4201 > "$PX/101.pid.tmp"
mv "$PX/101.pid.tmp" "$PX/101.pid"
expect 4 1
assert_eq "Proxmox VM 101's pid" 4201 "$(vm 101)"
ok "a pid-file directory created late is watched; a pid file moved in is a VM"

# A VMM restarted under the same pid file, QEMU holding it open as it
# does with -pidfile; then one that names a process that is gone.
mkdir -p "$ROOT/proc/4104"
printf '0::/machine.slice/machine-qemu\\x2d3\\x2dguest3.scope/libvirt/emulator\n' \
    > "$ROOT/proc/4104/cgroup"
exec 7>"$LV/guest3.pid"
echo 4104 >&7
expect 5 2
assert_eq "guest3's new pid" 4104 "$(vm guest3)"
assert_eq "guest3's cgroup, the emulator's parent" \
    '/machine.slice/machine-qemu\x2d3\x2dguest3.scope/libvirt' "$(st '.vms.guest3.cgroup')"
exec 7>&-
echo 9998 > "$LV/guest3.pid"		# no such process
expect 5 3
assert_eq "guest3 with a dead pid" none "$(vm guest3)"
echo 4103 > "$LV/guest3.pid"
expect 6 3
assert_eq "guest3 back" 4103 "$(vm guest3)"
ok "a pid file written again: another VMM is the VM gone and back, a dead pid the VM gone"

kt_stop
rm -rf "$ROOT/proc/4102"
kt_start --root "$ROOT" -c "$T/conf.json"
expect 2 0
assert_eq "guest2 left a dead pid behind" none "$(vm guest2)"
assert_eq "guest3 still there" 4103 "$(vm guest3)"
kt_stop
ok "at start a pid file whose process exited is not a VM"

cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "dirs": ["/run/*/qemu/*.pid", "/run/a*b*", "/run/qemu-server/*.pid"] } } }
JSON
"$KTD" -n -c "$T/conf.json" > /dev/null 2> "$T/err" &&
    fail "a * above the last component taken"
grep -q 'inputs.inotify.dirs: entry 0: a pattern has one "\*", in the last component' "$T/err" ||
    fail "a * above the last component not refused: $(cat "$T/err")"
sed 's|"/run/\*/qemu/\*.pid", ||' "$T/conf.json" > "$T/conf2.json"
"$KTD" -n -c "$T/conf2.json" > /dev/null 2> "$T/err" && fail "two * taken"
grep -q 'inputs.inotify.dirs: entry 0: a pattern has one "\*"' "$T/err" ||
    fail "two * not refused: $(cat "$T/err")"
ok "patterns with a * above the last component, or two, are refused, naming the key"
