#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# memory.swap.max of a VM's cgroup whose class sets allowswap, on a fake
# cgroup v2 tree: its original is in <rundir>/memcg.state before the
# first write.  Killed (SIGKILL), the daemon leaves it there; the next
# start puts the original back, removes the file, and saves that same
# original again when it changes the file again.  A clean stop restores
# and removes the file; a corrupt or planted one is said and not trusted.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
V2="$ROOT/sys/fs/cgroup"
echo "cpu io memory pids" > "$V2/cgroup.controllers"
: > "$V2/memory.reclaim"
STATE="$T/run/memcg.state"
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
	printf 'ksm-throttler-memcg-state 1\n/vms/vm1 1234567\n' |
	    cmp -s - "$STATE" || fail "memcg.state: $(cat "$STATE" 2>&1)"
}

kt_start --root "$ROOT" -c "$T/conf.json"
bind
saved
kt_kill
assert_eq "memory.swap.max after SIGKILL" 0 "$(swapmax)"
saved
ok "allowswap false: memory.swap.max 0, its original in memcg.state, left there by SIGKILL"

kt_start --root "$ROOT" -c "$T/conf.json"
assert_eq "memory.swap.max after the restart" 1234567 "$(swapmax)"
[ -e "$STATE" ] && fail "memcg.state left after it was restored"
kt_log_has "memcg.state: putting back the memory.swap.max values a previous run left changed" ||
    fail "restore not said"
kt_log_has "/vms/vm1: memory.swap.max back to 1234567" || fail "what was restored not said"
ok "restart after SIGKILL: the original back, memcg.state removed, said"

# Bound again, then a clean stop.
bind
saved
kt_stop
assert_eq "memory.swap.max after stop" 1234567 "$(swapmax)"
[ -e "$STATE" ] && fail "memcg.state left after a clean stop"
ok "clean stop: the original back, memcg.state removed"

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

# A listed cgroup that is gone is dropped; the others are put back.
echo 0 > "$SM"
printf 'ksm-throttler-memcg-state 1\n/vms/gone max\n/vms/vm1 1234567\n' > "$STATE"
kt_start --root "$ROOT" -c "$T/conf.json"
assert_eq "memory.swap.max" 1234567 "$(swapmax)"
kt_log_has "/vms/gone: cgroup is gone" || fail "gone cgroup not said"
[ -e "$STATE" ] && fail "memcg.state left"
kt_stop
ok "a cgroup gone since: dropped, the others put back"

# corrupt WHAT CONTENTS-COMMAND: not trusted, said, removed, the daemon runs.
corrupt() {
	local what=$1
	shift
	echo 0 > "$SM"
	"$@" > "$STATE"
	kt_start --root "$ROOT" -c "$T/conf.json"
	kt_log_has "memcg.state: corrupt state file, removing it" ||
	    fail "$what: not reported"
	assert_eq "$what: memory.swap.max" 0 "$(swapmax)"
	[ -e "$STATE" ] && fail "$what: memcg.state left"
	echo 1234567 > "$SM"
	bind
	saved
	kt_stop
	assert_eq "$what: memory.swap.max after stop" 1234567 "$(swapmax)"
	true
}
corrupt "wrong header" printf 'ksm-throttler-state 1\n/vms/vm1 1234567\n'
corrupt "header only" printf 'ksm-throttler-memcg-state 1\n'
corrupt "bad value" printf 'ksm-throttler-memcg-state 1\n/vms/vm1 banana\n'
corrupt "escape" printf 'ksm-throttler-memcg-state 1\n/vms/../../etc 5\n'
corrupt "twice" printf 'ksm-throttler-memcg-state 1\n/vms/vm1 5\n/vms/vm1 6\n'
corrupt "no value" printf 'ksm-throttler-memcg-state 1\n/vms/vm1\n'
corrupt "binary" head -c 300 /dev/urandom
corrupt "oversized" sh -c 'printf "ksm-throttler-memcg-state 1\n"; head -c 2000000 /dev/zero | tr "\0" "#"'
corrupt "empty" true
ok "corrupt memcg.state (9 kinds): said, removed, nothing written from it"

# A symlink planted there is not followed, nor is its target restored from.
printf 'ksm-throttler-memcg-state 1\n/vms/vm1 77\n' > "$T/elsewhere"
ln -s "$T/elsewhere" "$STATE"
echo 0 > "$SM"
kt_start --root "$ROOT" -c "$T/conf.json"
kt_log_has "memcg.state: a symlink, removing it" || fail "symlink not said"
assert_eq "memory.swap.max" 0 "$(swapmax)"
[ -e "$T/elsewhere" ] || fail "the symlink's target removed"
kt_stop
ok "a symlinked memcg.state: said, removed, not restored from"
