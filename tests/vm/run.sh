#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The VM test layer, host side.  Boots Debian's kernel (cgroup v2, MGLRU,
# KSM) under qemu TCG from a busybox initramfs that carries the built
# daemon and the guest scripts, runs every script in that one boot and reads
# the results off the serial console.
#
#   run.sh [-q] [-o LOG] [SCRIPT...]
#	boot once, run each SCRIPT in the guest (default: every tests/vm/*.sh
#	but this one), keep the serial console in LOG, print each result;
#	exit 0 when none failed, 1 when one did, 77 when no VM could be had
#   run.sh --verdict LOG SCRIPT
#	one script's output and result out of LOG, in the shape of an automake
#	test: exit 0 pass, 1 fail, 77 skip (with "SKIP: reason")
#
# Environment: top_builddir and top_srcdir as for every test;
#   KT_VM_KERNEL		a vmlinuz-VERSION to boot instead of Debian's; its
#				modules are looked for in ../lib/modules/VERSION
#   KT_VM_CACHE			where Debian's kernel package is unpacked
#				(default ~/.cache/ksm-throttler/vm)
#   KT_VM_TIMEOUT		seconds for the whole boot (default 300)
#   KT_VM_SCRIPT_TIMEOUT	seconds for one guest script (default 240)
#   KT_VM_APPEND, KT_VM_QEMU_ARGS	more kernel or qemu arguments
set -u
export LC_ALL=C

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/_build}"
VMDIR=$top_srcdir/tests/vm
CACHE=${KT_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ksm-throttler/vm}
TIMEOUT=${KT_VM_TIMEOUT:-300}
SCRIPT_TIMEOUT=${KT_VM_SCRIPT_TIMEOUT:-240}
QEMU=qemu-system-x86_64

# ---- reading results ------------------------------------------------
#
# /init prints "VMTEST BEGIN name" and "VMTEST END name rc=N" around each
# script, and the kernel log between "VMTEST DMESG BEGIN" and "... END";
# this script adds "VMHARNESS ..." lines about the boot itself.  A script
# passes when it ended with status 0, its last VMTEST line is "VMTEST PASS"
# and it printed no "not ok" line; "VMTEST SKIP reason" skips it.
verdict() {
	local log=$1 name=${2##*/} why

	if [ ! -r "$log" ]; then
		echo "FAIL: no serial log $log (make check-vm boots the VM)"
		return 1
	fi
	why=$(sed -n 's/^VMHARNESS SKIP //p' "$log" | head -n 1)
	if [ -n "$why" ]; then
		echo "SKIP: $why"
		return 77
	fi
	awk -v name="$name" '
	function uptime(field) { sub(/^[a-z]*=/, "", field); return field + 0 }
	$1 == "VMTEST" && $2 == "BEGIN" && $3 == name {
		on = seen = 1; from = uptime($4); timeout = uptime($5)
	}
	$1 == "VMTEST" && $2 == "END" && $3 == name {
		on = 0; ended = 1; rc = uptime($4); to = uptime($5); print; next
	}
	$0 == "VMTEST DMESG BEGIN" { indmesg = 1; next }
	$0 == "VMTEST DMESG END" { indmesg = 0; next }
	indmesg {
		# Kernel messages from while the script ran, the last 50.
		t = $0; sub(/^\[ */, "", t); t += 0
		if (seen && t >= from - 0.01 && (!ended || t <= to + 0.5))
			dmesg[nd++ % 50] = $0
		next
	}
	/^VMHARNESS / {
		if ($2 == "FAIL" || $2 == "TIMEOUT")
			harness = harness "\n" $0
		next
	}
	!on { next }
	{ print }
	/^not ok/ { notok++ }
	$1 == "VMTEST" && $2 ~ /^(PASS|FAIL|SKIP)$/ {
		res = $2; why = $0; sub(/^VMTEST SKIP */, "", why)
	}
	END {
		if (!seen)
			msg = "the guest never ran " name harness
		else if (!ended)
			msg = name " did not finish" harness
		else if (rc == 143)
			msg = "killed after " timeout " s (KT_VM_SCRIPT_TIMEOUT)"
		else if (notok)
			msg = notok " check(s) not ok"
		else if (res == "SKIP") {
			print "SKIP: " why
			exit 77
		} else if (res == "")
			msg = "no VMTEST PASS, FAIL or SKIP line (exit " rc ")"
		else if (res == "PASS" && rc == 0)
			exit 0
		else
			msg = "VMTEST " res ", exit " rc
		if (nd > 0) {
			print "--- the guest kernel log while " name " ran:"
			for (i = (nd > 50 ? nd - 50 : 0); i < nd; i++)
				print dmesg[i % 50]
		}
		print "FAIL: " msg
		exit 1
	}' "$log"
}

# ---- the kernel -----------------------------------------------------
# find_kernel, use_kernel, is_elf, add_elf: tests/vm/kernel.sh, shared
# with the tests that boot guests of their own (tests/kernel/libvirt.sh).
. "$VMDIR/kernel.sh"

# ---- the initramfs --------------------------------------------------

# add_modules NAME...: these kernel modules and what they depend on, with a
# modules.dep for busybox modprobe.
add_modules() {
	local m line f

	[ $# -gt 0 ] || return 0
	if [ -z "$MODDIR" ]; then
		echo "vm: no modules for $KVER, not packing: $*" >&2
		return 0
	fi
	mkdir -p "$R/lib/modules/$KVER"
	for m in "$@"; do
		line=$(awk -v m="$m" '
		    { n = $1; sub(/:$/, "", n); sub(/.*\//, "", n)
		      sub(/\.ko.*$/, "", n); gsub(/-/, "_", n); gsub(/-/, "_", m) }
		    n == m { print; exit }' "$MODDIR/modules.dep")
		if [ -z "$line" ]; then
			echo "vm: module $m is not in $MODDIR, not packing it" >&2
			continue
		fi
		for f in $(echo "$line" | tr -d :); do
			[ -e "$R/lib/modules/$KVER/$f" ] && continue
			mkdir -p "$R/lib/modules/$KVER/$(dirname "$f")"
			cp "$MODDIR/$f" "$R/lib/modules/$KVER/$f" || return 1
			grep "^$f:" "$MODDIR/modules.dep" >> "$R/lib/modules/$KVER/modules.dep"
		done
	done
}

# build_initramfs SCRIPT...: busybox and its applets, the built programs,
# tests/ from the source tree, the modules the scripts ask for, /init.
build_initramfs() {
	local f a mods

	rm -rf "$R" && mkdir -p "$R" && cd "$R" || return 1
	mkdir -p bin sbin usr/bin usr/sbin dev proc sys tmp run root etc \
	    kt/src/tests/vm kt/src/tests/lib kt/build
	add_elf "$(command -v busybox)" /bin/busybox || return 1
	for a in $(busybox --list-full); do
		[ -e "$a" ] || ln -s /bin/busybox "$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd
	echo 'root:x:0:' > etc/group
	cp "$VMDIR/init.ash" init && chmod 755 init || return 1

	cp "$top_srcdir"/tests/lib/*.sh kt/src/tests/lib/ &&
	    cp -r "$VMDIR"/. kt/src/tests/vm/ || return 1
	for f in "$@"; do
		cp "$f" kt/src/tests/vm/ && basename "$f" || return 1
	done > kt/scripts

	# Every program built in src/ and tests/vm/, at the same place below
	# /kt/build as below $top_builddir.
	for f in "$top_builddir"/src/* "$top_builddir"/tests/vm/*; do
		[ -f "$f" ] && [ -x "$f" ] && is_elf "$f" || continue
		add_elf "$f" "/kt/build/${f#"$top_builddir"/}" || return 1
	done
	[ -x kt/build/src/ksm-throttlerd ] || return 1
	ln -s /kt/build/src/ksm-throttlerd usr/sbin/ksm-throttlerd
	[ -x kt/build/src/ksm-throttlerctl ] &&
	    ln -s /kt/build/src/ksm-throttlerctl usr/bin/ksm-throttlerctl

	mods=$(sed -n 's/^# vm-modules://p' "$@")
	add_modules $mods || return 1

	cat > kt/env <<-EOF
	top_srcdir=/kt/src
	top_builddir=/kt/build
	VMTEST_SCRIPT_TIMEOUT=$SCRIPT_TIMEOUT
	export top_srcdir top_builddir VMTEST_SCRIPT_TIMEOUT
	EOF
	find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 \
	    > "$W/initramfs.cpio" 2>/dev/null
}

# ---- booting --------------------------------------------------------

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# boot: one boot of the guest; the serial console goes to $LOG, with
# VMHARNESS lines after it about how the boot went.
boot() {
	local t0 qpid rc up='' finished=''

	t0=$EPOCHREALTIME
	: > "$W/serial.raw"
	# Console on the first serial port and nothing else: no modules, no
	# disks, no network.  printk stays off the console (see init.ash).
	# panic=-1 with -no-reboot turns a guest panic into qemu's exit.
	timeout -k 10 "$TIMEOUT" "$QEMU" -accel tcg -m 2G -smp 2 \
	    -nodefaults -no-user-config -display none -no-reboot \
	    -serial "file:$W/serial.raw" \
	    -kernel "$VMLINUZ" -initrd "$W/initramfs.cpio" \
	    -append "console=ttyS0 panic=-1 quiet 8250.nr_uarts=1 mitigations=off cgroup_no_v1=all ${KT_VM_APPEND:-}" \
	    ${KT_VM_QEMU_ARGS:-} </dev/null >"$W/qemu.out" 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null; do
		[ -z "$up" ] && grep -q '^VMTEST BEGIN' "$W/serial.raw" &&
		    up=$(elapsed "$t0")
		sleep 0.2
	done
	wait "$qpid"
	rc=$?
	tr -d '\r' < "$W/serial.raw" > "$LOG"
	grep -q '^VMTEST DMESG END' "$LOG" && finished=1
	{
		case $rc in
		0) ;;
		124|137) echo "VMHARNESS TIMEOUT the guest ran out of its $TIMEOUT s (KT_VM_TIMEOUT)" ;;
		*) echo "VMHARNESS FAIL $QEMU exited $rc: $(head -c 300 "$W/qemu.out")" ;;
		esac
		[ -n "$finished" ] ||
		    echo "VMHARNESS FAIL the guest did not get to the end of /init"
		echo "VMHARNESS TIME first script after ${up:-?} s, boot total $(elapsed "$t0") s ($KVER)"
	} >> "$LOG"
	BOOT_UP=${up:-?}
	BOOT_TOTAL=$(elapsed "$t0")
}

# harness_skip REASON: no VM today; every script skips with REASON.
harness_skip() {
	echo "VMHARNESS SKIP $*" > "$LOG"
	echo "SKIP: $*"
	exit 77
}

harness_fail() {
	echo "VMHARNESS FAIL $*" > "$LOG"
	echo "FAIL: $*"
	exit 1
}

# ---- main -----------------------------------------------------------

if [ "${1:-}" = --verdict ]; then
	[ $# -eq 3 ] || { echo "usage: run.sh --verdict LOG SCRIPT" >&2; exit 2; }
	verdict "$2" "$3"
	exit
fi

QUIET=
LOG=
while getopts qo: opt; do
	case $opt in
	q) QUIET=1 ;;
	o) LOG=$OPTARG ;;
	*) echo "usage: run.sh [-q] [-o LOG] [SCRIPT...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
W=$top_builddir/tests/vm
mkdir -p "$W" || exit 1
W=$(cd "$W" && pwd)
R=$W/initramfs
: "${LOG:=$W/serial.log}"
case $LOG in /*) ;; *) LOG=$PWD/$LOG ;; esac
rm -f "$LOG"
if [ $# -eq 0 ]; then
	for f in "$VMDIR"/*.sh; do
		case ${f##*/} in run.sh|kernel.sh) ;; *) set -- "$@" "$f" ;; esac
	done
fi
for f in "$@"; do
	[ -r "$f" ] || harness_fail "no guest script $f"
done
scripts=()
for f in "$@"; do
	scripts+=("$(cd "$(dirname "$f")" && pwd)/${f##*/}")
done
set -- "${scripts[@]}"

command -v "$QEMU" >/dev/null ||
    harness_skip "no $QEMU (Debian: apt-get install qemu-system-x86)"
command -v busybox >/dev/null ||
    harness_skip "no busybox (Debian: apt-get install busybox-static)"
find_kernel || harness_skip "$WHY"
[ -x "$top_builddir/src/ksm-throttlerd" ] ||
    harness_fail "$top_builddir/src/ksm-throttlerd is not built"
t0=$EPOCHREALTIME
(build_initramfs "$@") || harness_fail "could not build the initramfs in $R"
[ -n "$QUIET" ] || echo "vm: initramfs built in $(elapsed "$t0") s, booting $KVER under TCG"
boot

rc=0
for f in "$@"; do
	verdict "$LOG" "$f" > "$W/${f##*/}.out"
	case $? in
	0) res=PASS ;;
	77) res="SKIP ($(sed -n 's/^SKIP: //p' "$W/${f##*/}.out"))" ;;
	*) res=FAIL; rc=1 ;;
	esac
	[ -n "$QUIET" ] && continue
	[ "$res" = FAIL ] && sed 's/^/    /' "$W/${f##*/}.out"
	echo "$res: ${f##*/}"
done
echo "vm: $KVER, first guest script after $BOOT_UP s, $# script(s) and power-off after $BOOT_TOTAL s; serial log $LOG"
exit $rc
