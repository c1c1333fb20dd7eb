#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Kernel files that vanish or turn to garbage while the daemon runs, on a
# fake /sys and /proc: KSM knobs and counters, /proc/pressure,
# /proc/pagetypeinfo, /proc/meminfo, a cgroup's memory.pressure.  Each
# is logged once, shown in the status, and the daemon runs on; when the
# file is back each engine picks up again by itself (no reload), and
# the host's KSM knobs are as found after stop, also a knob that was
# missing when the originals were saved.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
K="$ROOT/sys/kernel/mm/ksm"
KS=/sys/kernel/mm/ksm
P="$ROOT/proc"
V2="$ROOT/sys/fs/cgroup"
errs() { st '.policy.errors | keys | join(" ")'; }
# save FILE / put_back FILE: a copy aside, and back in one rename
save() { cp "$1" "$1.orig"; }
put_back() { cp "$1.orig" "$1.new" && mv "$1.new" "$1"; }

# A kernel that marks mergeable processes: idle, the daemon steps every
# detect_interval_ms (without, every 30 s), and sees a knob back soon.
printf 'ksm_rmap_items 0\nksm_mergeable: no\n' > "$P/1/ksm_stat"
echo "2000 1000 200 10 0 500 0" > "$P/1/statm"

# One cgroup v2 memcg under period runs.
echo "cpu io memory pids" > "$V2/cgroup.controllers"
: > "$V2/memory.reclaim"
mkdir -p "$V2/vms/a"
printf 'anon 4096\nfile 10485760\ninactive_anon 0\nactive_anon 4096\ninactive_file 10485760\nactive_file 0\n' \
    > "$V2/vms/a/memory.stat"
echo 10489856 > "$V2/vms/a/memory.current"
echo max > "$V2/vms/a/memory.max"
echo max > "$V2/vms/a/memory.swap.max"
echo "$PSI0" > "$V2/vms/a/memory.pressure"
echo "$PSI0" > "$V2/vms/a/io.pressure"
: > "$V2/vms/a/memory.reclaim"
cat > "$T/conf.json" <<'JSON'
{ "ksm": { "detect_interval_ms": 200 },
  "memcg": { "period_secs": 1, "eviction_run_aging_count_min": 0,
             "cgroups": ["/vms/a"] },
  "compact": { "period_secs": 1 } }
JSON

echo 0 > "$K/run"; echo 123 > "$K/pages_to_scan"; echo 45 > "$K/sleep_millisecs"
before=$(kt_fake_knobs)
# sleep_millisecs is missing when the daemon saves the host's knobs.
mv "$K/sleep_millisecs" "$T/sleep_millisecs"
kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 grep -qx 1 "$K/run" || fail "run not written"
grep -qF '"/sys/kernel/mm/ksm/sleep_millisecs"' "$T/run/host.state" && fail "state file has a knob that was not there"
mv "$T/sleep_millisecs" "$K/sleep_millisecs"
wait_for 5 grep -qxF '"/sys/kernel/mm/ksm/sleep_millisecs" "45"' "$T/run/host.state" ||
    fail "the knob that came back was not saved: $(cat "$T/run/host.state")"
wait_for 5 grep -qx 200 "$K/sleep_millisecs" || fail "sleep_millisecs not written once back"
ok "a knob missing at start is saved when it appears, before it is written"

wait_for 10 st_is .compact.state idle || fail "compact not idle: $(st .compact)"
wait_for 10 kt_log_has "/vms/a: memory.reclaim" || fail "memcg never ran on /vms/a"

# ---- KSM files --------------------------------------------------------
for f in run pages_sharing full_scans general_profit; do save "$K/$f"; done
rm "$K/run" "$K/pages_sharing"
: > "$K/full_scans"
printf '\x00\x01' > "$K/general_profit"
ctl kick >/dev/null
want="$KS/full_scans $KS/general_profit $KS/pages_sharing $KS/run"
wait_for 5 st_is '.policy.errors | keys | join(" ")' "$want" || fail "status errors: $(errs)"
kt_log_has "$KS/run: No such file or directory, ignoring it" || fail "vanished run not logged"
kt_log_has "$KS/full_scans: unexpected contents, ignoring it" || fail "empty full_scans not logged"
for i in 1 2 3 4 5; do ctl kick >/dev/null; sleep 0.2; done
assert_eq "log lines for vanished run" 1 "$(kt_log_count "$KS/run: No such file")"
assert_eq "log lines for garbage full_scans" 1 "$(kt_log_count "$KS/full_scans: unexpected")"
kt_alive || fail "daemon died"
ok "KSM knobs and counters gone or garbage: logged once each, in the status, daemon runs"

for f in run pages_sharing full_scans general_profit; do put_back "$K/$f"; done
wait_for 5 st_is '.policy.errors | length' 0 || fail "errors after the files came back: $(errs)"
kt_log_has "$KS/run: readable again" || fail "run back not logged"
wait_for 5 grep -qx 1 "$K/run" || fail "run not written again"
ok "files back: said, errors gone, knobs written again"

# ---- /proc/meminfo, /proc/pressure, /proc/pagetypeinfo ---------------
# One at a time: each turns the compaction engine off with its reason,
# and the engine is back by itself once the file is.
# broken FILE REASON SETUP...: run SETUP, expect compact off for REASON
broken() {
	local file=$1 reason=$2
	shift 2
	save "$file"
	"$@"
	wait_for 5 st_is .compact.reason "$reason" ||
	    fail "compact for $file: $(st '.compact | "\(.state): \(.reason)"')"
	assert_eq "compact state" off "$(st .compact.state)"
	grep -qF "compact: $reason: the engine is off, looking again every 1 s" \
	    "$T/daemon.log" || fail "compact off for $file not logged"
	# Once: a look again that fails the same way says nothing more.
	if [ -z "${looked_again:-}" ]; then
		sleep 1.2
		assert_eq "log lines, compact off for $file" 1 \
		    "$(grep -cF "compact: $reason: the engine is off" "$T/daemon.log")"
		looked_again=1
	fi
	put_back "$file"
	wait_for 5 st_is .compact.state idle || fail "compact not back after $file"
}
trunc() { : > "$1"; }

broken "$P/pagetypeinfo" "/proc/pagetypeinfo: unexpected contents" trunc "$P/pagetypeinfo"
broken "$P/pagetypeinfo" "/proc/pagetypeinfo: No such file or directory" rm "$P/pagetypeinfo"
kt_log_has "compact: inputs readable again, checking every 1 s" || fail "compact back not logged"
ok "pagetypeinfo empty, then gone: compact off with the reason, back by itself"

broken "$P/pressure/memory" "/proc/pressure (PSI): unexpected contents" trunc "$P/pressure/memory"
ok "PSI empty: compact off with the reason, back by itself"

broken "$P/meminfo" "/proc/meminfo MemFree: unexpected contents" trunc "$P/meminfo"
kt_log_has "/proc/meminfo: unexpected contents, going on without free memory" ||
    fail "the KSM engine did not say meminfo failed"
kt_log_has "/proc/meminfo: readable again" || fail "meminfo back not logged by the KSM engine"
assert_eq "status errors once meminfo is back" 0 "$(st '.policy.errors | length')"
ok "meminfo empty: both engines say so and pick up again"

# ---- a cgroup's memory.pressure ---------------------------------------
save "$V2/vms/a/memory.pressure"
trunc "$V2/vms/a/memory.pressure"
wait_for 5 kt_log_has "memcg: /vms/a: no PSI to gate on, its runs are skipped until there is" ||
    fail "memcg PSI failure not logged"
wait_for 5 st_is '.memcg.cgroups["/vms/a"].last_error' "PSI: Invalid argument" ||
    fail "memcg status: $(st '.memcg.cgroups["/vms/a"]')"
runs=$(st '.memcg.cgroups["/vms/a"].runs')
sleep 1.2
assert_eq "memcg runs without PSI" "$runs" "$(st '.memcg.cgroups["/vms/a"].runs')"
put_back "$V2/vms/a/memory.pressure"
wait_for 5 st_is "[.memcg.cgroups[\"/vms/a\"].runs > $runs] | .[0]" true ||
    fail "memcg did not run again once PSI was back"
assert_eq "memcg PSI log lines" 1 "$(kt_log_count "/vms/a: no PSI to gate on")"
ok "a cgroup's memory.pressure empty: its runs skip, said once, and go on once it is back"

kt_alive || fail "daemon died"
kt_stop
assert_eq "knobs after stop" "$before" "$(kt_fake_knobs)"
ok "knobs as found after stop"
