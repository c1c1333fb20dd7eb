#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# memory.swap.max of a VM's cgroup whose class sets allowswap, on a fake
# cgroup v2 tree: its original is in the host ledger's state file,
# <rundir>/host.state, before the first write.  Killed (SIGKILL), the
# daemon leaves it there; the next start puts the original back and
# saves that same original again when it changes the file again.  A
# clean stop restores it and removes the file.  MGLRU turned on, then a
# SIGKILL: the next start turns it off again.  The memcg.state of the
# previous release is put back and removed; a corrupt or planted one is
# said and not trusted.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
V2="$ROOT/sys/fs/cgroup"
echo "cpu io memory pids" > "$V2/cgroup.controllers"
: > "$V2/memory.reclaim"
STATE="$T/run/host.state"
LEGACY="$T/run/memcg.state"
SM="$V2/vms/vm1/memory.swap.max"
kt_v2cg /vms/vm1 10
echo 1234567 > "$SM"
cat > "$T/conf.json" <<'JSON'
{ "ksm": { "enabled": false }, "compact": { "disabled": true },
  "memcg": { "classes": [{ "name": "noswap", "allowswap": false }] } }
JSON
swapmax() { cat "$SM"; }
bind() {
	ctl event vm1 created --cgroup /vms/vm1 --class noswap ||
	    fail "event"
	wait_for 5 grep -qx 0 "$SM" || fail "memory.swap.max: $(swapmax)"
}
saved() {
	grep -qxF '"/sys/fs/cgroup/vms/vm1/memory.swap.max" "1234567"' "$STATE" ||
	    fail "host.state: $(cat "$STATE" 2>&1)"
}

kt_start --root "$ROOT" -c "$T/conf.json"
bind
saved
kt_kill
assert_eq "memory.swap.max after SIGKILL" 0 "$(swapmax)"
saved
ok "allowswap false: memory.swap.max 0, its original in host.state, left there by SIGKILL"

kt_start --root "$ROOT" -c "$T/conf.json"
assert_eq "memory.swap.max after the restart" 1234567 "$(swapmax)"
grep -q memory.swap.max "$STATE" 2>/dev/null && fail "memory.swap.max still in host.state after it was restored"
kt_log_has "host.state: restoring the .* a previous run left changed" ||
    fail "restore not said"
ok "restart after SIGKILL: the original back, out of host.state, said"

# Bound again, then a clean stop.
bind
saved
kt_stop
assert_eq "memory.swap.max after stop" 1234567 "$(swapmax)"
[ -e "$STATE" ] && fail "host.state left after a clean stop"
ok "clean stop: the original back, host.state removed"

# Killed twice: the second run saves the host's original, not its own 0.
kt_start --root "$ROOT" -c "$T/conf.json"
bind
kt_kill
kt_start --root "$ROOT" -c "$T/conf.json"
bind
saved
kt_kill
kt_start --root "$ROOT" -c "$T/conf.json"
assert_eq "memory.swap.max after two kills" 1234567 "$(swapmax)"
kt_stop
ok "two kills in a row: the host's original survives"

# MGLRU turned on, then SIGKILL: the next start turns it off again.
mkdir -p "$ROOT/sys/kernel/mm/lru_gen" "$ROOT/sys/kernel/debug"
LG="$ROOT/sys/kernel/mm/lru_gen/enabled"
echo 0x0000 > "$LG"
printf 'memcg     1 /\n node     0\n          1     900000          0          0 \n' \
    > "$ROOT/sys/kernel/debug/lru_gen"
cat > "$T/mglru.json" <<'JSON'
{ "ksm": { "enabled": false }, "compact": { "disabled": true },
  "memcg": { "backend": "mglru" } }
JSON
kt_start --root "$ROOT" -c "$T/mglru.json"
wait_for 5 kt_log_has "MGLRU was off \(0x0000\), turned on" || fail "MGLRU not turned on"
assert_eq "lru_gen/enabled while running" y "$(cat "$LG")"
grep -qxF '"/sys/kernel/mm/lru_gen/enabled" "0x0000"' "$STATE" ||
    fail "lru_gen/enabled's original not in host.state: $(cat "$STATE" 2>&1)"
kt_kill
assert_eq "lru_gen/enabled after SIGKILL" y "$(cat "$LG")"
# Restarted with a backend that does not turn MGLRU on again.
sed 's/"mglru"/"reclaim"/' "$T/mglru.json" > "$T/reclaim.json"
kt_start --root "$ROOT" -c "$T/reclaim.json"
assert_eq "lru_gen/enabled after the restart" 0x0000 "$(cat "$LG")"
kt_log_has "host.state: restoring the .* a previous run left changed" ||
    fail "MGLRU's restore not said"
kt_stop
assert_eq "lru_gen/enabled after stop" 0x0000 "$(cat "$LG")"
[ -e "$STATE" ] && fail "host.state left"
rm -rf "$ROOT/sys/kernel/mm/lru_gen" "$ROOT/sys/kernel/debug/lru_gen"
ok "MGLRU turned on, SIGKILL, restart, stop: lru_gen/enabled as found"

# The previous release's memcg.state: put back, a cgroup gone since
# dropped, the file removed.
echo 0 > "$SM"
printf 'ksm-throttler-memcg-state 1\n/vms/gone max\n/vms/vm1 1234567\n' > "$LEGACY"
kt_start --root "$ROOT" -c "$T/conf.json"
assert_eq "memory.swap.max" 1234567 "$(swapmax)"
kt_log_has "memcg.state: restoring the memory.swap.max values a previous run left changed" ||
    fail "memcg.state's restore not said"
kt_log_has "/vms/gone/memory.swap.max: gone, nothing to put back" || fail "gone cgroup not said"
[ -e "$LEGACY" ] && fail "memcg.state left"
kt_stop
ok "the previous release's memcg.state: put back, a cgroup gone since dropped, removed"

# corrupt WHAT CONTENTS-COMMAND: not trusted, said, removed, the daemon runs.
corrupt() {
	local what=$1
	shift
	echo 0 > "$SM"
	"$@" > "$LEGACY"
	kt_start --root "$ROOT" -c "$T/conf.json"
	kt_log_has "memcg.state: corrupt state file" ||
	    fail "$what: not reported"
	assert_eq "$what: memory.swap.max" 0 "$(swapmax)"
	[ -e "$LEGACY" ] && fail "$what: memcg.state left"
	echo 1234567 > "$SM"
	bind
	saved
	kt_stop
	assert_eq "$what: memory.swap.max after stop" 1234567 "$(swapmax)"
	true
}
corrupt "wrong header" printf 'ksm-throttler-state 1\n/vms/vm1 1234567\n'
corrupt "bad value" printf 'ksm-throttler-memcg-state 1\n/vms/vm1 banana\n'
corrupt "escape" printf 'ksm-throttler-memcg-state 1\n/vms/../../etc 5\n'
corrupt "twice" printf 'ksm-throttler-memcg-state 1\n/vms/vm1 5\n/vms/vm1 6\n'
corrupt "no value" printf 'ksm-throttler-memcg-state 1\n/vms/vm1\n'
corrupt "binary" head -c 300 /dev/urandom
corrupt "oversized" sh -c 'printf "ksm-throttler-memcg-state 1\n"; head -c 2000000 /dev/zero | tr "\0" "#"'
corrupt "empty" true
ok "corrupt memcg.state (8 kinds): said, removed, nothing written from it"

# A symlink planted there is not followed, nor is its target restored from.
printf 'ksm-throttler-memcg-state 1\n/vms/vm1 77\n' > "$T/elsewhere"
ln -s "$T/elsewhere" "$LEGACY"
echo 0 > "$SM"
kt_start --root "$ROOT" -c "$T/conf.json"
kt_log_has "memcg.state: a symlink, removing it" || fail "symlink not said"
assert_eq "memory.swap.max" 0 "$(swapmax)"
[ -e "$T/elsewhere" ] || fail "the symlink's target removed"
kt_stop
ok "a symlinked memcg.state: said, removed, not restored from"
