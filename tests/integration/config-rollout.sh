#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A configuration rolled out with nobody to send SIGHUP: a directory laid
# out exactly as kubelet lays out a ConfigMap volume (a timestamped
# directory, a ..data symlink to it, the key a symlink into ..data),
# swapped atomically several times, to a bad file and back; then a plain
# file edited in place and replaced by rename.  A changed, valid file is
# applied; a bad one is refused, logged and counted in status and
# /metrics, the running configuration kept; no change, no reload, and
# once a change is read, no more reading.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
CM="$T/configmap"
mkdir -p "$CM"
n=0
# rollout JSON: what kubelet does when the ConfigMap changes
rollout() {
	local ts
	n=$((n + 1))
	ts="..2026_12_03_12_00_0$n.$$"
	mkdir "$CM/$ts"
	printf '%s\n' "$1" > "$CM/$ts/ksm-throttler.json"
	ln -s "$ts" "$CM/..data_tmp"
	mv -T "$CM/..data_tmp" "$CM/..data"
	[ -n "${old_ts:-}" ] && rm -rf "$CM/$old_ts"
	old_ts=$ts
}
PORT=$(kt_port)
# period PERIOD: a configuration with metrics on the test's port
period() {
	printf '{ "metrics": { "listen": "127.0.0.1:%s" }, "compact": { "period_secs": %s } }' \
	    "$PORT" "$1"
}
rollout "$(period 11)"
ln -s ..data/ksm-throttler.json "$CM/ksm-throttler.json"
kt_start --root "$ROOT" -c "$CM/ksm-throttler.json"
conf() { ctl config | jq -r "$1"; }
conf_is() { [ "$(conf "$1")" = "$2" ]; }
assert_eq "period at start" 11 "$(conf .compact.period_secs)"

rollout "$(period 12)"
wait_for 5 conf_is .compact.period_secs 12 || fail "rollout 1 not applied: $(conf .compact.period_secs)"
rollout "$(period 13)"
wait_for 5 conf_is .compact.period_secs 13 || fail "rollout 2 not applied"
assert_eq "reloads counted" "2 0" "$(st '.config | "\(.reloads) \(.refused)"')"
ok "ConfigMap swaps of ..data are applied, each once"

rollout "$(period 0)"
wait_for 5 st_is .config.refused 1 || fail "bad rollout not counted: $(st -c .config)"
kt_log_has "compact.period_secs: expected an integer" || fail "bad rollout's reason not logged"
st .config.last_error | grep -q "compact.period_secs" || fail "status lacks the reason: $(st .config.last_error)"
assert_eq "config kept" 13 "$(conf .compact.period_secs)"
rollout "$(period 14)"
wait_for 5 conf_is .compact.period_secs 14 || fail "good rollout after a bad one not applied"
assert_eq "counts" "3 1" "$(st '.config | "\(.reloads) \(.refused)"')"
command -v curl >/dev/null || skip "curl is not installed"
curl -fsS "http://127.0.0.1:$PORT/metrics" > "$T/m" || fail "no metrics"
grep -qx 'ksm_throttler_config_reloads_total 3' "$T/m" ||
    fail "applied reloads not in /metrics: $(grep config_reloads "$T/m")"
grep -qx 'ksm_throttler_config_refused_total 1' "$T/m" ||
    fail "refused reloads not in /metrics: $(grep config_reloads "$T/m")"
kt_alive || fail "daemon died"
ok "a bad rollout is refused and counted, the old configuration stays; the next good one applies"

rollout "$(period 14)"
sleep 1
assert_eq "same bytes: no reload" "3 1" "$(st '.config | "\(.reloads) \(.refused)"')"
ok "a rollout of the same file reloads nothing"
kt_stop

C="$T/plain.json"
echo '{ "compact": { "period_secs": 21 } }' > "$C"
kt_start --root "$ROOT" -c "$C"
echo '{ "compact": { "period_secs": 22 } }' > "$C"
wait_for 5 conf_is .compact.period_secs 22 || fail "an edit in place not applied"
echo '{ "compact": { "period_secs": 23 } }' > "$C.new"
mv "$C.new" "$C"
wait_for 5 conf_is .compact.period_secs 23 || fail "a replace by rename not applied"
rm "$C"
sleep 0.5
assert_eq "file gone: configuration kept" 23 "$(conf .compact.period_secs)"
echo '{ "compact": { "period_secs": 24 } }' > "$C"
wait_for 5 conf_is .compact.period_secs 24 || fail "the file back is not applied"
kill -HUP "$KT_PID"
sleep 0.5
assert_eq "SIGHUP of the same file changes nothing" 24 "$(conf .compact.period_secs)"
ok "a plain file edited in place, replaced by rename, removed and put back"

# Re-watching after a change must not look like a change itself: one
# touch is one read of the file, and then the watch sleeps.
reads() { kt_log_count "config watch: .*: quiet, reading it"; }
reads_more() { [ "$(reads)" -gt "$1" ]; }
n=$(reads)
touch "$C"
wait_for 5 reads_more "$n" || fail "a touch of the file not seen"
sleep 1
n=$(reads)
sleep 3
assert_eq "reads of the file in 3 idle seconds after a touch" "$n" "$(reads)"
kt_stop
ok "one change, one read: an idle watch stays idle"

# A change between the read of the file at start and the watch: strace
# holds the watch's inotify_init1 (the daemon's first) for two seconds,
# and the file changes meanwhile.  The watch's first look applies it.
command -v strace >/dev/null || skip "strace is not installed"
echo '{ "compact": { "period_secs": 31 } }' > "$C"
( wait_for 10 kt_log_has "compact: checking every 31 s" &&
    echo '{ "compact": { "period_secs": 32 } }' > "$C" ) &
CHANGER=$!
# Killing strace leaves the daemon running: it goes by its socket.
KT_EXTRA_CLEANUP='pkill -KILL -f -- "--socket $SOCK"'
# (LeakSanitizer, in an --enable-asan build, cannot work under ptrace.)
KT_WRAPPER="env ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
    strace -qq -f -o /dev/null -e trace=inotify_init1
    -e inject=inotify_init1:delay_enter=2000000:when=1" \
    kt_start --root "$ROOT" -c "$C"
wait "$CHANGER" || fail "the daemon did not get to its engines"
wait_for 5 conf_is .compact.period_secs 32 ||
    fail "a change made while the daemon started was not applied: $(conf .compact.period_secs)"
kt_log_has "changed since start: compact.period_secs: 31 -> 32" ||
    fail "the change since start is not logged"
# KT_PID is strace's: the daemon is its child.
kill -TERM "$(pgrep -P "$KT_PID")"
wait "$KT_PID" || fail "the daemon under strace did not exit 0"
KT_PID=
ok "a change while the daemon starts, before its watch, is applied"
