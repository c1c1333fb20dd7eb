#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# SIGHUP with a configuration file gone bad (check-config.sh covers what
# -n says of bad files; inotify.sh, memcg-fake.sh, compact-fake.sh and
# throttle-fake.sh good reloads): every bad file is refused naming the
# file and why, the old configuration stays in force and the engines run
# on; the next good file applies; a burst of SIGHUPs does no harm; with
# no file, SIGHUP says there is nothing to reload; a daemon detached with
# relative paths reloads the file they name.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
C="$T/conf.json"
count() { grep -cF "$1" "$T/daemon.log"; }
# logged_more TEXT N: more than N lines with TEXT (for wait_for)
logged_more() { [ "$(count "$1")" -gt "$2" ]; }
# hup: SIGHUP, and wait until the daemon has dealt with it
hup() {
	local n
	n=$(count "SIGHUP: reloading")
	kill -HUP "$KT_PID"
	wait_for 5 logged_more "SIGHUP: reloading" "$n" || fail "SIGHUP not seen"
	ctl status >/dev/null || fail "no status after SIGHUP"
}
conf() { ctl config | jq -c "$1"; }
conf_is() { [ "$(conf "$1")" = "$2" ]; }

echo '{ "compact": { "period_secs": 1, "compact_order": 7 } }' > "$C"
kt_start --root "$ROOT" -c "$C"
good=$(ctl config)
wait_for 5 st_is '.compact.checks > 0' true || fail "compact not checking"

# bad CONTENTS-COMMAND EXPECTED-REASON
bad() {
	local n checks
	n=$(count "reload refused, the old configuration stays")
	"${@:1:$#-1}"
	hup
	wait_for 5 logged_more "reload refused, the old configuration stays" "$n" ||
	    fail "not refused: ${*:1:$#-1}"
	grep "reload refused" "$T/daemon.log" | tail -n 1 | grep -qF "$C: ${!#}" ||
	    fail "reason for '${*:1:$#-1}': $(grep "reload refused" "$T/daemon.log" | tail -n 1)"
	[ "$(ctl config)" = "$good" ] || fail "configuration changed by a bad file: ${*:1:$#-1}"
}
put() { printf '%s' "$1" > "$C"; }
bad put '' "not valid JSON"
bad put '{ "compact": { "period_secs": 1, ' "not valid JSON"
bad put '{ "compact": { "period_secs": 0 } }' "compact.period_secs: expected an integer from 1"
bad put '{ "compact": { "nosuch": 1 } }' "compact.nosuch: unknown key"
bad put '{ "memcg": { "backend": "lru" } }' "memcg.backend: expected one of"
bad put '[]' "configuration: expected an object"
bad rm -f "$C" "No such file or directory"
bad mkdir "$C" "Is a directory"
rmdir "$C"
bad sh -c "head -c 2000000 /dev/zero | tr '\0' ' ' > '$C'" "larger than"
checks=$(st .compact.checks)
wait_for 5 st_is ".compact.checks > $checks" true || fail "compact stopped checking"
kt_alive || fail "daemon died"
ok "9 kinds of bad file on SIGHUP: refused with file and reason, old configuration in force, engines run"

echo '{ "compact": { "period_secs": 2, "compact_order": 8 } }' > "$C"
hup
wait_for 5 conf_is .compact.compact_order 8 || fail "good reload not applied"
assert_eq "period after the good reload" 2 "$(conf .compact.period_secs)"
ok "the next good file applies"

# A burst of SIGHUPs while the file changes under them.
for i in $(seq 1 40); do
	echo "{ \"compact\": { \"period_secs\": 2, \"compact_order\": $((i % 10 + 1)) } }" > "$C.new"
	mv "$C.new" "$C"
	kill -HUP "$KT_PID"
done
echo '{ "compact": { "period_secs": 2, "compact_order": 9 } }' > "$C"
hup
wait_for 5 conf_is .compact.compact_order 9 || fail "last reload of a burst not applied"
kt_alive || fail "daemon died in a burst of SIGHUPs"
kt_stop
ok "40 SIGHUPs in a burst: the last file applies, the daemon runs and stops cleanly"

kt_start --root "$ROOT"
kill -HUP "$KT_PID"
wait_for 5 kt_log_has "SIGHUP: no configuration file to reload" || fail "no-file SIGHUP not said"
kt_stop
ok "SIGHUP with no -c: says there is nothing to reload"

# Detached (no -f) with every path relative to the directory it was
# started in: daemon() changes to /, and the file, socket and root must
# still be the ones named.
mkdir "$T/cwd"
echo '{ "compact": { "period_secs": 3 } }' > "$T/cwd/c.json"
(cd "$T/cwd" && "$KTD" -c c.json --socket run/ksm-throttler.sock \
    --root ../root) || fail "the detached daemon did not start"
SOCK="$T/cwd/run/ksm-throttler.sock"
wait_for 10 test -s "$T/cwd/run/ksm-throttlerd.pid" || fail "no pid file"
KT_PID=$(cat "$T/cwd/run/ksm-throttlerd.pid")
wait_for 10 ctl status >/dev/null || fail "the detached daemon does not answer"
assert_eq "config path" "$T/cwd/c.json" "$(st .config.path)"
echo '{ "compact": { "period_secs": 4 } }' > "$T/cwd/c.json"
kill -HUP "$KT_PID"
wait_for 5 conf_is .compact.period_secs 4 || fail "SIGHUP reload not applied: $(st -c .config)"
echo '{ "compact": { "period_secs": 5 } }' > "$T/cwd/c.json"
wait_for 5 conf_is .compact.period_secs 5 || fail "change of the watched file not applied: $(st -c .config)"
assert_eq "refused" 0 "$(st .config.refused)"
gone() { ! kill -0 "$1" 2>/dev/null; }
kill -TERM "$KT_PID"
wait_for 10 gone "$KT_PID" || fail "the detached daemon did not stop"
KT_PID=
[ -e "$T/cwd/run/ksm-throttlerd.pid" ] && fail "pid file left: not a clean exit"
ok "detached, relative -c, --socket and --root: SIGHUP and the watch reload the file"
