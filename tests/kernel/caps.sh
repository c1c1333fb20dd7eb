#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real kernel: the daemon as root with exactly the capabilities the
# systemd unit grants (CapabilityBoundingSet=, as systemd applies it: the
# bounding set, nothing inheritable, no new privileges) still does its
# work: it tunes KSM and boosts on a kick, reads ksmd's CPU time and the
# ksm_stat of a simulated VM that runs as another user, gives the socket
# to socket.group, compacts memory, and puts the knobs back at exit.  Then
# each capability is dropped in turn, and none at all: what it was for
# fails, with a log line that says so, and nothing else does.  Each run's
# warnings are printed as the measurement.
. "$top_srcdir/tests/lib/lib.sh" || exit 99
kt_setup
SIMVM="$top_builddir/tests/bench/simvm"
UNIT="$top_srcdir/contrib/systemd/ksm-throttlerd.service.in"
[ -x "$SIMVM" ] || skip "$SIMVM not built (make check builds it)"
[ -x "$KTCTL" ] || fail "$KTCTL not built"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v capsh >/dev/null || skip "capsh (libcap2-bin) is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ "$(id -u)" = 0 ] || skip "needs root"
setpriv --bounding-set=-all --inh-caps=-all --no-new-privs true 2>/dev/null ||
    skip "cannot drop capabilities here (no CAP_SETPCAP)"
[ -w /proc/sys/vm/compact_memory ] ||
    skip "/proc/sys/vm/compact_memory not writable (no CONFIG_COMPACTION?)"
group=users
getent group "$group" >/dev/null || skip "no group '$group' to test socket.group with"
kt_ksm_real
[ -e /proc/self/ksm_stat ] || skip "no /proc/PID/ksm_stat: kernel older than 6.1"

# The unit's set, as capsh names them: "cap_chown,cap_dac_read_search".
UNIT_CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z ' 'a-z\n' |
    sort | paste -sd,)
[ -n "$UNIT_CAPS" ] || fail "no CapabilityBoundingSet= in $UNIT"

# The VM, as libvirt runs qemu: another user.  Small; it need not merge.
cp "$SIMVM" "$T/simvm"
chmod 755 "$T" "$T/simvm"
setpriv --reuid=65534 --regid=65534 --clear-groups "$T/simvm" -m 32 -f 100 -t 300 \
    > /dev/null 9>&- &
VM=$!
KT_EXTRA_CLEANUP='kill $VM 2>/dev/null; wait $VM 2>/dev/null; ksm_put_back'
wait_for 5 test -e /proc/$VM/ksm_stat || fail "simvm did not start"

# Compaction forced every second, whatever the host's pressure.
cat > "$T/conf.json" <<JSON
{ "socket": { "group": "$group" }, "inputs": { "inotify": { "enabled": false } },
  "metrics": { "listen": "" },
  "compact": { "period_secs": 1, "compact_force_times": 0,
    "period_psi_percent_limit": 100, "compact_psi_percent_limit": 100 } }
JSON
ctl() { "$KTCTL" -s "$SOCK" "$@"; }
has() { case ,$1, in *,$2,*) return 0 ;; esac; return 1; }
before=$(ksm_knobs)

# run CAPS: the daemon with exactly CAPS ("cap_a,cap_b" or ""); checks
# what works with them, and that what needs a missing one fails loudly.
run() {
	local caps=$1 bset=-all c got
	for c in ${caps//,/ }; do bset="$bset,+${c#cap_}"; done
	KT_WRAPPER="setpriv --bounding-set=$bset --inh-caps=-all --no-new-privs" \
	    kt_start -c "$T/conf.json"
	got=$(capsh --decode="$(awk '/^CapEff:/ { print $2 }' /proc/$KT_PID/status)")
	assert_eq "the daemon's capabilities" "$caps" "${got#*=}"
	assert_eq "the daemon's bounding set" "$(awk '/^CapEff:/ { print $2 }' /proc/$KT_PID/status)" \
	    "$(awk '/^CapBnd:/ { print $2 }' /proc/$KT_PID/status)"

	ctl kick || fail "kick"
	wait_for 10 kt_log_has "ksm: idle -> boosting" || fail "no boost after a kick"
	wait_for 5 kt_log_has "ksm: pages_to_scan " || fail "no pages_to_scan written"
	assert_eq "KSM run" 1 "$(cat "$KSMD/run")"
	assert_eq "pages_to_scan" "$(sed -n 's/.*ksm: pages_to_scan //p' "$T/daemon.log" | tail -n 1)" \
	    "$(cat "$KSMD/pages_to_scan")"
	wait_for 10 kt_log_has "compact: completed after" || fail "no compaction completed"

	ctl event vm-1 created --pid $VM || fail "event"
	ctl status --json > "$T/status.json" || fail "status"
	got=$(jq '.ksm.ksmd_cpu_seconds' "$T/status.json")
	case $got in [0-9]*) ;; *) fail "no ksmd CPU time with {$caps}: $got" ;; esac
	got=$(jq '.vms["vm-1"].ksm_merging_pages' "$T/status.json")
	if has "$caps" cap_dac_read_search; then
		case $got in [0-9]*) ;; *) fail "no ksm_stat of the VM with $caps: $got" ;; esac
	else
		assert_eq "ksm_merging_pages without cap_dac_read_search" null "$got"
		kt_log_has "vms: vm-1: /proc/$VM/ksm_stat: Permission denied" ||
		    fail "the unreadable ksm_stat is not logged"
	fi
	if has "$caps" cap_chown; then
		assert_eq "socket group with $caps" "root $group 660" "$(stat -c '%U %G %a' "$SOCK")"
	else
		assert_eq "socket group without cap_chown" "root root 660" "$(stat -c '%U %G %a' "$SOCK")"
		kt_log_has "control: $SOCK: chown to group [0-9]+, ignoring: Operation not permitted" ||
		    fail "the failed chown is not logged"
	fi
	kt_stop
	assert_eq "knobs after stop" "$before" "$(ksm_knobs)"
	kt_log_has "KSM settings restored" || fail "no restore logged"
	echo "# with {$caps}: $(grep -E 'cannot|denied|not permitted|failed' "$T/daemon.log" |
	    sed 's/^[0-9:.]* //' | paste -sd';' | sed 's/^$/no warnings/')"
}

run "$UNIT_CAPS"
ok "with the unit's capabilities ($UNIT_CAPS): KSM tuned, boosted and restored, the VM's ksm_stat read, the socket given to $group, memory compacted"
for drop in ${UNIT_CAPS//,/ }; do
	rest=$(echo ",$UNIT_CAPS," | sed "s/,$drop,/,/; s/^,//; s/,$//")
	run "$rest"
	ok "without $drop: only what it is for fails, and is logged"
done
run ""
ok "with no capability at all: KSM tuning and compaction still work"
