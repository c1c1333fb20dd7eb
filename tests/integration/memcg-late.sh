#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The memcg engine on a host whose memory controller appears after the
# daemon started (a fake cgroup v2 tree without "memory" in
# cgroup.controllers, then with it): off with the reason, said once
# however often it looks; on within a period once the controller is
# there, taking up the VMs that came meanwhile but not one destroyed
# meanwhile; and a memcg-set naming a backend the host lacks, then one
# it has, turns it off and on again without a restart.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
V2="$ROOT/sys/fs/cgroup"
on() { [ "$(st .memcg.state)" != off ]; }
echo "cpu io pids" > "$V2/cgroup.controllers"
cat > "$T/conf.json" <<'JSON'
{ "ksm": { "enabled": false }, "compact": { "disabled": true },
  "memcg": { "period_secs": 1, "eviction_run_aging_count_min": 0 } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"
assert_eq "state" "off" "$(st .memcg.state)"
assert_eq "reason" "no memory cgroup controller is mounted" "$(st .memcg.reason)"
ctl event vm-a created --cgroup /vms/a || fail "event vm-a"
ctl event vm-b created --cgroup /vms/b || fail "event vm-b"
ctl event vm-b destroyed || fail "event vm-b destroyed"
ctl event vm-c created || fail "event vm-c"
sleep 3		# three looks at the host
assert_eq "times it said so" 1 "$(kt_log_count 'memcg: off: no memory cgroup controller is mounted; looking again every 1 s')"
kt_alive || fail "daemon died"
ok "no memory controller: off with the reason, said once, looking again"

kt_v2cg /vms/a 10
kt_v2cg /vms/b 10
: > "$V2/memory.reclaim"
echo "cpu io memory pids" > "$V2/cgroup.controllers"
wait_for 5 on ||
    fail "not on once the controller is there: $(st .memcg.state) $(st .memcg.reason)"
kt_log_has "memcg: backend reclaim, cgroup v2 at /sys/fs/cgroup" ||
    fail "the backend found is not logged"
assert_eq "cgroups looked after" "/vms/a" "$(st '.memcg.cgroups | keys | join(" ")')"
wait_for 5 kt_log_has '/vms/a: memory.reclaim: ' || fail "/vms/a not reclaimed"
ok "a controller mounted later: on within a period, VMs that came meanwhile taken up"

kt_stop

# The backend named at start is one the host lacks: memcg-set puts it right.
echo '{ "ksm": { "enabled": false }, "compact": { "disabled": true },
  "memcg": { "period_secs": 1, "backend": "force_empty" } }' > "$T/conf2.json"
kt_start --root "$ROOT" -c "$T/conf2.json"
assert_eq "state" "off" "$(st .memcg.state)"
assert_eq "reason" "memcg.backend names an interface this host does not have" \
    "$(st .memcg.reason)"
ctl event vm-a created --cgroup /vms/a || fail "event vm-a"
ctl memcg-set '{"backend": "auto"}' >/dev/null || fail "memcg-set auto"
on || fail "still off once the backend is one the host has: $(st .memcg.reason)"
assert_eq "cgroups looked after" "/vms/a" "$(st '.memcg.cgroups | keys | join(" ")')"
kt_stop
ok "memcg-set naming a backend the host has turns an engine that was off on"
