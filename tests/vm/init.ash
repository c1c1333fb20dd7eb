#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init of the test VM, packed by tests/vm/run.sh.  Mounts what guest
# scripts rely on, runs each script named in /kt/scripts in turn with its
# output on the serial console between "VMTEST BEGIN name" and "VMTEST END
# name rc=N", shows the kernel log, and powers off.  As PID 1 it must not
# exit, hence no set -e.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
HOME=/root
export PATH HOME

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock
hostname ktvm

# printk on the console would split the scripts' lines; the kernel log is
# shown once at the end instead.  Panics still get through.
dmesg -n 1

. /kt/env

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# reap NAME: kill what script NAME left running, so that it cannot write
# into the next script's output or hold its files.  Kernel threads have
# no command line; busybox timeout leaves its watcher behind, which is no
# fault of the script's.
reap() {
	local p comm

	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = 1 ] && continue
		[ -n "$(tr -d '\0' < "/proc/$p/cmdline" 2>/dev/null)" ] ||
		    continue
		comm=$(cat "/proc/$p/comm" 2>/dev/null)
		[ "$comm" = timeout ] ||
		    echo "init: killing $p ($comm), left by $1"
		kill -9 "$p" 2>/dev/null
	done
}

for s in $(cat /kt/scripts); do
	echo "VMTEST BEGIN $s uptime=$(uptime_s) timeout=$VMTEST_SCRIPT_TIMEOUT"
	(cd /tmp && exec timeout "$VMTEST_SCRIPT_TIMEOUT" \
	    sh "$top_srcdir/tests/vm/$s") </dev/null 2>&1
	echo "VMTEST END $s rc=$? uptime=$(uptime_s)"
	reap "$s"
done

echo "VMTEST DMESG BEGIN"
dmesg
echo "VMTEST DMESG END"
poweroff -f
