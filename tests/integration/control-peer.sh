#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Peer credentials on the control socket.  Another uid cannot connect to
# the 0660 socket at all (exit 4, "permission denied"); given a way in,
# it may read status and config but not kick, send events or change the
# configuration; members of socket.group, by primary or supplementary
# group, may.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
[ "$(id -u)" = 0 ] || skip "needs root to become another uid"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v jq >/dev/null || skip "jq is not installed"
group=users
gid=$(getent group "$group" | cut -d: -f3)
[ -n "$gid" ] || skip "no group '$group' to test socket.group with"
nobody=65534
chmod 755 "$T"
setpriv --reuid=$nobody --regid=$nobody --clear-groups test -x "$KTCTL" ||
    skip "$KTCTL is not reachable by uid $nobody"

# as [setpriv options...] -- ksm-throttlerctl arguments...
as() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	setpriv --reuid=$nobody "${opts[@]}" "$KTCTL" -s "$SOCK" "$@"
}
stranger() { as --regid=$nobody --clear-groups -- "$@"; }

cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "enabled": false } } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"
assert_eq "socket owner and mode" "root root 660" "$(stat -c '%U %G %a' "$SOCK")"
stranger status 2>"$T/err"; assert_eq "stranger on a 0660 socket: exit" 4 $?
grep -q "permission denied" "$T/err" || fail "no permission message: $(cat "$T/err")"
ok "another uid cannot connect to the 0660 socket: exit 4, says permission"

chmod 666 "$SOCK"	# let the stranger in, to test what the daemon allows
stranger status > /dev/null || fail "status refused to a non-root peer"
stranger status --json | jq -e .policy.state >/dev/null || fail "status --json as non-root"
stranger config > /dev/null || fail "config refused to a non-root peer"
stranger kick 2>"$T/err"; assert_eq "non-root kick: exit" 4 $?
grep -q "refused: kick: permission denied: only root may change the host" "$T/err" ||
    fail "kick refusal message: $(cat "$T/err")"
stranger event vm-1 created 2>/dev/null; assert_eq "non-root event: exit" 4 $?
stranger ksm-set '{"enabled": false}' 2>/dev/null; assert_eq "non-root ksm-set: exit" 4 $?
frame "$(req_register sneaky)" > "$T/reg"
setpriv --reuid=$nobody --regid=$nobody --clear-groups "$KTRAW" -n 1 "$SOCK" < "$T/reg" |
    grep -q "^PERMISSION_DENIED register" || fail "non-root register was not refused"
assert_eq "events after refusals" "0 0" \
    "$(st '.inputs.socket.events | "\(.kick) \(.created)"')"
assert_eq "ksm.enabled after a refused set" true "$(ctl config | jq .ksm.enabled)"
assert_eq "permission refusals counted" 4 "$(st .control.rejected.permission)"
kt_log_has "uid $nobody\): kick: permission denied" || fail "refusal not logged with the uid"
ok "a non-root peer: status and config yes; kick, event, register, *-set no"
kt_stop

cat > "$T/conf.json" <<JSON
{ "socket": { "group": "$group" }, "inputs": { "inotify": { "enabled": false } } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"
assert_eq "socket group" "root $group 660" "$(stat -c '%U %G %a' "$SOCK")"
as --regid=$nobody --groups=$gid -- kick || fail "kick from a supplementary member of $group"
as --regid=$gid --clear-groups -- kick || fail "kick from a primary member of $group"
as --regid=$gid --clear-groups -- event vm-1 created --pid 1 || fail "event from a member"
assert_eq "kicks from members" 2 "$(st .inputs.socket.events.kick)"
chmod 666 "$SOCK"
stranger kick 2>"$T/err"; assert_eq "non-member kick: exit" 4 $?
grep -q "only root and members of group $group may change the host" "$T/err" ||
    fail "non-member message: $(cat "$T/err")"
ok "members of socket.group, by primary or supplementary group, may change the host"

chmod 660 "$SOCK"
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "enabled": false } } }
JSON
kill -HUP "$KT_PID"
wait_for 5 sh -c "[ \"\$(stat -c %G '$SOCK')\" = root ]" ||
    fail "socket group after SIGHUP: $(stat -c %G "$SOCK")"
as --regid=$gid --clear-groups -- kick 2>/dev/null; assert_eq "former member kick: exit" 4 $?
kt_stop
ok "socket.group dropped on SIGHUP: the socket goes back to root's group"

cat > "$T/conf.json" <<'JSON'
{ "socket": { "group": "no-such-group-here" }, "inputs": { "inotify": { "enabled": false } } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"
kt_log_has "socket.group no-such-group-here: no such group; only root may change the host" ||
    fail "unknown group not reported"
ctl kick || fail "root kick with an unknown group"
kt_stop
ok "an unknown socket.group is logged; root only"
