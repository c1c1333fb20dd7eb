#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Per-VM KSM savings: a VM whose VMM pid an event names shows its
# ksm_stat in status, in the status table and in the metrics, labelled by
# VM id; a destroyed VM leaves no stale series; status --watch redraws.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
command -v curl >/dev/null || skip "curl not installed"
command -v jq >/dev/null || skip "jq not installed"
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
mkdir -p "$ROOT/proc/4242" "$ROOT/proc/4343"
printf 'ksm_rmap_items 300\nksm_zero_pages 7\nksm_merging_pages 25600\nksm_process_profit 90000000\nksm_merge_any: no\nksm_mergeable: yes\n' \
    > "$ROOT/proc/4242/ksm_stat"
printf 'ksm_rmap_items 10\nksm_zero_pages 0\nksm_merging_pages 512\nksm_process_profit -4096\n' \
    > "$ROOT/proc/4343/ksm_stat"
PORT=$(kt_port)
printf '{"metrics": {"listen": "127.0.0.1:%s"}}\n' "$PORT" > "$T/conf.json"
kt_start --root "$ROOT" -c "$T/conf.json"
ctl() { "$KTCTL" -s "$SOCK" "$@"; }

ctl event vm-big created --pid 4242 --cgroup /machine/vm-big || fail "event"
ctl event vm-small created --pid 4343 || fail "event"
ctl event vm-nopid created || fail "event"
ctl status --json > "$T/s.json" || fail "status --json"
assert_eq "vm-big" "4242 25600 300 90000000 /machine/vm-big" \
    "$(jq -r '.vms["vm-big"] | "\(.pid) \(.ksm_merging_pages) \(.ksm_rmap_items) \(.ksm_process_profit) \(.cgroup)"' "$T/s.json")"
assert_eq "vm-small's profit" -4096 "$(jq '.vms["vm-small"].ksm_process_profit' "$T/s.json")"
assert_eq "vm-nopid has no savings" null "$(jq '.vms["vm-nopid"].ksm_merging_pages' "$T/s.json")"
ok "status lists each VM with its VMM's ksm_stat"

ctl status > "$T/table" || fail "status"
grep -qE '^Saving .*MiB' "$T/table" || fail "no savings headline"
first=$(sed -n '/^VM /{n;p;q}' "$T/table" | awk '{print $1}')
assert_eq "the VM saving most comes first" vm-big "$first"
grep -qE '^vm-big +4242 +100\.0 +85\.8' "$T/table" || fail "vm-big row: $(grep vm-big "$T/table")"
grep -qE '^vm-nopid .* - +- ' "$T/table" || fail "a VM without pid shows no savings"
ok "the status table ranks VMs by savings"

curl -sf "http://127.0.0.1:$PORT/metrics" > "$T/m" || fail "scrape"
grep -qx 'ksm_throttler_vm_ksm_merging_pages{vm="vm-big"} 25600' "$T/m" || fail "vm-big metric"
grep -qx 'ksm_throttler_vm_ksm_profit_bytes{vm="vm-small"} -4096' "$T/m" || fail "vm-small profit metric"
grep -q 'vm="vm-nopid"' "$T/m" && fail "a VM without a pid has savings series"
if command -v promtool >/dev/null; then
	promtool check metrics < "$T/m" || fail "promtool check metrics"
fi
ok "per-VM savings are metrics labelled by VM id"

ctl event vm-big destroyed || fail "event"
curl -sf "http://127.0.0.1:$PORT/metrics" > "$T/m2" || fail "scrape"
grep -q 'vm="vm-big"' "$T/m2" && fail "stale series for a destroyed VM"
grep -q 'vm="vm-small"' "$T/m2" || fail "vm-small gone too"
rm -rf "$ROOT/proc/4343"
# Savings are read at most once a second.
no_series() { ! curl -sf "http://127.0.0.1:$PORT/metrics" | grep -q "vm=\"$1\""; }
wait_for 3 no_series vm-small || fail "series for a VMM that exited"
ok "a destroyed VM or an exited VMM leaves no stale series"

"$KTCTL" -s "$SOCK" status --watch 1 > "$T/watch" 2>&1 &
watcher=$!
screens() { grep -c 'ksm-throttlerd [0-9.]*, up' "$T/watch"; }
redrawn() { [ "$(screens)" -ge 2 ]; }
wait_for 5 redrawn ||
    fail "status --watch drew $(screens) screen(s) in 5 s"
kill "$watcher"
wait "$watcher" 2>/dev/null
ok "status --watch redraws"
kt_stop

# A VM the inotify input found, whose runtime recorded its VMM's pid.
mkdir -p "$ROOT/run/vc/sbs" "$ROOT/run/vc/vm/vm-kata" "$ROOT/proc/4545"
printf 'ksm_rmap_items 1\nksm_zero_pages 0\nksm_merging_pages 2048\nksm_process_profit 1000\n' \
    > "$ROOT/proc/4545/ksm_stat"
echo 4545 > "$ROOT/run/vc/vm/vm-kata/pid"
mkdir -p "$ROOT/run/vc/sbs/vm-kata" "$ROOT/run/vc/sbs/../evil"
kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 5 sh -c "'$KTCTL' -s '$SOCK' status --json | jq -e '.vms[\"vm-kata\"].ksm_merging_pages == 2048' >/dev/null" ||
    fail "the pid in /run/vc/vm/vm-kata/pid did not give vm-kata's savings: $(ctl status --json | jq -c .vms)"
ctl event ../../proc created >/dev/null 2>&1
[ "$(ctl status --json | jq -r '.vms["../../proc"].pid // "none"')" = none ] ||
    fail "a VM id with a path in it was used to find a pid file"
ok "a pid recorded by the runtime gives a VM found by inotify its savings"

# Its VMM gone and another recording its pid there: the file is read
# again, and the savings are the new one's.
rm -rf "$ROOT/proc/4545"
mkdir -p "$ROOT/proc/4646"
printf 'ksm_rmap_items 1\nksm_zero_pages 0\nksm_merging_pages 4096\nksm_process_profit 1000\n' \
    > "$ROOT/proc/4646/ksm_stat"
echo 4646 > "$ROOT/run/vc/vm/vm-kata/pid"
wait_for 10 sh -c "'$KTCTL' -s '$SOCK' status --json | jq -e '.vms[\"vm-kata\"] | .pid == 4646 and .ksm_merging_pages == 4096' >/dev/null" ||
    fail "a pid file's VMM gone, the new one's not read: $(ctl status --json | jq -c '.vms["vm-kata"]')"
ok "a pid file's VMM gone: the file read again, the new VMM's savings"
kt_stop
