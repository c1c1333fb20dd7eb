#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The unit as packaged, under a real systemd (a container booted with
# systemd-nspawn: tests/systemd/lib.sh says how, and what of the host it
# lends) on this host's real KSM knobs: the .deb is built and installed;
# the unit is active only once the daemon said READY=1, shows its STATUS=
# line, answers ksm-throttlerctl through its socket and turns the knobs
# under ProtectSystem=strict and the rest of its sandbox without one
# permission error; SIGKILL, and a watchdog timeout of a daemon that
# stops answering, are each followed by a restart that puts the host's
# knobs back and takes over; reload re-reads the file; stop leaves every
# knob as found.  Root; skips where no container can be booted.
. "$top_srcdir/tests/systemd/lib.sh"
sd_setup

pid_is_not() { [ "$(sd_prop MainPID)" != "$1" ]; }
restarts_above() { [ "$(sd_prop NRestarts)" -gt "$1" ]; }
reloaded() {
	sd_in ksm-throttlerctl config | grep -Eq '"boost_cpu_percent":[[:space:]]*37'
}

start=$(date +%s)
sd_deb
ok "built ${DEB##*/} ($(($(date +%s) - start)) s)"
sd_rootfs
kt_ksm_real
sd_host 0 1234 57
start=$(date +%s)
sd_boot
ok "the container's systemd is up ($(($(date +%s) - start)) s)"

# ---- install: dpkg enables and starts the unit ------------------------
sd_in dpkg -i "$DEB" > "$T/install.log" 2>&1 ||
    { cat "$T/install.log" >&2; fail "dpkg -i"; }
assert_eq "is-enabled" enabled "$(sd_ctl is-enabled $SD_UNIT)"
assert_eq "state after dpkg -i" "active running" "$(sd_state)"
assert_eq "Type" notify "$(sd_prop Type)"
# Ready means ready: the client is answered the moment start returned.
sd_in ksm-throttlerctl status > "$T/status" ||
    fail "ksm-throttlerctl status through the unit's socket"
ok "dpkg -i enables and starts the unit; ksm-throttlerctl status answers"

status=$(sd_prop StatusText)
echo "$status" | grep -qE '^KSM saves [0-9]+ MiB, policy [a-z]+$' ||
    fail "StatusText: '$status'"
sd_ctl status --lines=0 $SD_UNIT | grep -qF "Status: \"$status\"" ||
    fail "systemctl status does not show the STATUS= line"
ok "systemctl status shows STATUS=: $status"

wait_for 5 grep -qx 1 "$KSMD/run" || fail "the daemon did not start ksmd"
sd_no_denials
# What the sandbox left writable, as the daemon's mount namespace says:
# the lent KSM directory and compact_memory (a bind of its own, made
# read-write) must be; a cgroup hierarchy must be where the container's
# is.  systemd never clears a read-only flag it finds on a directory
# (namespace.c: "we only turn on the MS_RDONLY flag here, we never turn
# it off"), so under nspawn, which mounts cgroup v1 hierarchies
# read-only, they stay so; on a host they are read-write.
pid=$(sd_main_pid)
mnt() { sd_in findmnt ${2:+-N "$2"} -T "$1" -no OPTIONS | cut -d, -f1; }
for p in /sys/kernel/mm/ksm /proc/sys/vm/compact_memory; do
	assert_eq "the daemon's $p" rw "$(mnt $p "$pid")"
done
cg=/sys/fs/cgroup
sd_in test -d $cg/memory && cg=$cg/memory
for p in $cg /sys/fs/cgroup/unified; do
	sd_in test -e $p && [ "$(mnt $p)" = rw ] || continue
	assert_eq "the daemon's $p" rw "$(mnt $p "$pid")"
done
for p in / /etc /usr /proc/sys/kernel /sys/kernel/mm; do
	assert_eq "the daemon's $p" ro "$(mnt $p "$pid")"
done
ok "the daemon turns the host's KSM knobs under the unit's sandbox, no permission error"

# ---- active only after READY=1 ----------------------------------------
# The same unit with a shell in front of the daemon that waits 2 s, then
# execs it: under Type=notify the unit stays "activating" while its main
# process runs but has not said READY=1, and is "active" after.
mkdir -p "$T/slow"
printf '[Service]\nExecStart=\nExecStart=/bin/sh -c "sleep 2; exec %s"\n' \
    "$(sd_prop ExecStart | sed -n 's/.*argv\[\]=\([^;]*\) ;.*/\1/p')" \
    > "$T/slow/slow.conf"
sd_in mkdir -p $SD_DROPIN
sd_in cp /dev/stdin $SD_DROPIN/slow.conf < "$T/slow/slow.conf"
sd_ctl daemon-reload
sd_ctl restart --no-block $SD_UNIT
sleep 1
assert_eq "state 1 s into the start" "activating start" "$(sd_state)"
pid=$(sd_main_pid)
sd_in ksm-throttlerctl status > /dev/null ||
    fail "active, but the client is not answered"
sd_in rm $SD_DROPIN/slow.conf
sd_ctl daemon-reload
sd_ctl restart $SD_UNIT
sd_running || fail "not running after restart: $(sd_state)"
ok "the unit is activating until READY=1, active (running) after"

# ---- SIGKILL: restart, the host's knobs back, taken over again --------
sd_kick
pid=$(sd_main_pid)
sd_ctl kill -s KILL $SD_UNIT
wait_for 5 pid_is_not "$pid" || fail "SIGKILL did not kill"
sd_knobs_changed || fail "the knobs were back before the restart"
wait_for 20 restarts_above 0 ||
    fail "no restart after SIGKILL: $(sd_state)"
pid=$(sd_main_pid)
wait_for 5 grep -qx 1 "$KSMD/run" || fail "the restarted daemon did not take over"
sd_ctl stop $SD_UNIT
sd_knobs_are_host "after SIGKILL, the restart and a stop"
ok "SIGKILL: systemd restarts it, it puts the host's knobs back and takes over"

# ---- reload re-reads the file -----------------------------------------
sd_ctl start $SD_UNIT
pid=$(sd_main_pid)
conf=/etc/ksm-throttler/ksm-throttler.json
sd_in cp $conf /root/conf.orig
echo '{ "ksm": { "boost_cpu_percent": 37 } }' | sd_in cp /dev/stdin $conf
sd_ctl reload $SD_UNIT
wait_for 5 reloaded || fail "reload: the new value is not in force"
assert_eq "MainPID after reload" "$pid" "$(sd_prop MainPID)"
sd_in cp /root/conf.orig $conf
sd_ctl reload $SD_UNIT
ok "systemctl reload re-reads the file, same process"

# ---- the watchdog: a daemon that stops answering is killed, restarted --
printf '[Service]\nWatchdogSec=3s\n' |
    sd_in cp /dev/stdin $SD_DROPIN/watchdog.conf
sd_ctl daemon-reload
sd_ctl restart $SD_UNIT
restarts=$(sd_prop NRestarts)
sd_kick
pid=$(sd_main_pid)
sd_in kill -STOP "$pid"
wait_for 20 restarts_above "$restarts" ||
    fail "no restart after SIGSTOP: $(sd_state)"
sd_journal -o cat | grep -q "Failed with result 'watchdog'" ||
    fail "the restart was not the watchdog's"
npid=$(sd_main_pid)
[ "$npid" != "$pid" ] || fail "the same daemon after the watchdog"
wait_for 5 grep -qx 1 "$KSMD/run" || fail "the restarted daemon did not take over"
sd_ctl stop $SD_UNIT
sd_knobs_are_host "after a watchdog kill, the restart and a stop"
sd_in rm $SD_DROPIN/watchdog.conf
sd_ctl daemon-reload
ok "the watchdog kills a stopped daemon; the restart puts the host's knobs back"

# ---- stop leaves every knob as found ----------------------------------
sd_ctl start $SD_UNIT
sd_kick
sd_ctl stop $SD_UNIT
assert_eq "state after stop" "inactive dead" "$(sd_state)"
sd_knobs_are_host "after systemctl stop"
sd_no_denials
ok "systemctl stop leaves every KSM knob as found; still no permission error"
