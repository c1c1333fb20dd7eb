#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Cgroups removed mid-pass on a fake cgroup v2 tree, where
# memcg-fake.sh removes one the pass has not reached yet: here the
# cgroup whose reclaim write is under way (memory.reclaim a FIFO, so the
# write blocks until the test lets it go), and one re-created under the
# same name while the pass runs.  The removed ones are skipped as gone,
# not counted as errors, the pass goes on, and the re-created one is
# reclaimed as it is now.  tests/kernel/fault-cgroup-v1.sh does this with real
# v1 cgroups.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
V2="$ROOT/sys/fs/cgroup"
echo "cpu io memory pids" > "$V2/cgroup.controllers"
: > "$V2/memory.reclaim"
cg() { ctl status --json | jq -r ".memcg.cgroups[\"$1\"] | $2"; }
kt_v2cg /vms/a 10
kt_v2cg /vms/b 10
kt_v2cg /vms/c 10
rm "$V2/vms/a/memory.reclaim"; mkfifo "$V2/vms/a/memory.reclaim"
cat > "$T/conf.json" <<'JSON'
{ "ksm": { "enabled": false }, "compact": { "disabled": true },
  "memcg": { "period_secs": 1, "eviction_run_aging_count_min": 0,
             "cgroups": ["/vms/*"] } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 10 kt_log_has '/vms/a: memory.reclaim: ' || fail "no write to /vms/a"

# While /vms/a's write blocks: /vms/a goes (all but the FIFO the writer
# holds), /vms/b goes and comes back as a new cgroup.
find "$V2/vms/a" -type f -delete
rm -rf "$V2/vms/b"
kt_v2cg /vms/b 20
cat "$V2/vms/a/memory.reclaim" > /dev/null	# the write completes
rm -rf "$V2/vms/a"
wait_for 5 kt_log_has "/vms/a: cgroup is gone, skipping it" || fail "/vms/a not skipped as gone"
wait_for 5 kt_log_has '/vms/c: memory.reclaim: ' || fail "the pass did not go on to /vms/c"
ok "the cgroup whose write was under way removed: skipped as gone, the pass goes on"

wait_for 5 st_is '.memcg.cgroups | keys | join(" ")' "/vms/b /vms/c" ||
    fail "tracked: $(st '.memcg.cgroups | keys')"
wait_for 5 kt_log_has '/vms/b: memory.reclaim: "20971520 ' ||
    fail "the re-created /vms/b was not reclaimed as itself"
assert_eq "errors counted" 0 "$(st .memcg.totals.errors)"
assert_eq "/vms/c's last error" "" "$(cg /vms/c .last_error)"
kt_alive || fail "daemon died"
kt_stop
ok "a cgroup re-created under its name mid-pass is reclaimed as it is now; no errors counted"
