#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hostile clients on the control socket, with hand-made frames: oversized,
# undecodable, empty, unknown, wrong version, half a frame then silence,
# silence from the start, a stream of garbage, a flood of requests never
# read, more connections than allowed.  Each gets an error reply or a
# closed connection and a log line; the daemon and its other clients
# carry on.
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
cat > "$T/conf.json" <<'JSON'
{ "socket": { "max_frame_bytes": 1024, "max_clients": 8, "idle_timeout_secs": 2 },
  "inputs": { "inotify": { "enabled": false } } }
JSON
kt_start --root "$ROOT" -c "$T/conf.json"
# raw KTRAW-OPTIONS < REQUESTS: the requests are made in full before
# connecting, so that a loaded machine cannot make a client look stalled.
raw() { cat > "$T/req"; "$KTRAW" "$@" "$SOCK" < "$T/req"; }

# ---- frames ----
{ printf '\x00\x00\x07\xd0'; head -c 100 /dev/zero; } | raw > "$T/out"
grep -q "^BAD_REQUEST frame of 2000 bytes is larger than socket.max_frame_bytes (1024)" "$T/out" ||
    fail "oversized frame: $(cat "$T/out")"
tail -n 1 "$T/out" | grep -qE "^(EOF|RESET)$" || fail "oversized frame: not closed: $(cat "$T/out")"
printf '\xff\xff\xff\xff' | raw > "$T/out"
grep -q "^BAD_REQUEST frame of 4294967295 bytes" "$T/out" || fail "4 GiB frame: $(cat "$T/out")"
kt_log_has "frame of 2000 bytes is larger" || fail "oversized frame not logged"
ok "an oversized frame: error reply, connection closed, logged"

{ frame ffffff; frame ""; frame "$(req_status)"; } | raw -n 3 > "$T/out"
assert_eq "undecodable, empty, then good" "BAD_REQUEST BAD_REQUEST OK DONE" \
    "$(cut -d' ' -f1 "$T/out" | xargs)"
grep -q "frame of 3 bytes is not a Request" "$T/out" || fail "undecodable message: $(cat "$T/out")"
kt_log_has "frame of 3 bytes is not a Request" || fail "undecodable frame not logged"
ok "a frame that does not decode: error reply, the connection goes on"

{ frame 0801; frame 0801a20100; frame "$(pb_int 1 1; pb_bytes 9 "")"; } | raw -n 3 > "$T/out"
assert_eq "unknown requests" 3 "$(grep -c '^BAD_REQUEST unknown request' "$T/out")"
kt_log_has "unknown request" || fail "unknown request not logged"
ok "an unknown request: error reply"

{ frame "$(req_status 99)"; frame "$(req_kick 0)"; frame "$(req_status)"; } | raw -n 3 > "$T/out"
grep -q "^BAD_VERSION protocol version 99 is not spoken here (1 is)" "$T/out" ||
    fail "version 99: $(cat "$T/out")"
assert_eq "wrong versions, then good" "BAD_VERSION BAD_VERSION OK DONE" \
    "$(cut -d' ' -f1 "$T/out" | xargs)"
assert_eq "a kick with a wrong version counted" 0 "$(st .inputs.socket.events.kick)"
ok "a wrong version: BAD_VERSION, nothing done"

{ frame "$(pb_int 1 1; pb_bytes 3 "$(pb_str 1 vm; pb_int 2 9)")"
  frame "$(pb_int 1 1; pb_bytes 7 "$(pb_int 1 7; pb_str 2 '{}')")"; } | raw -n 2 > "$T/out"
grep -q "^BAD_REQUEST event: type: unknown event type" "$T/out" || fail "event type 9: $(cat "$T/out")"
grep -q "^BAD_REQUEST config_set: unknown section 7" "$T/out" || fail "section 7: $(cat "$T/out")"
ok "enum values out of range are refused"

# ---- strings ----
# ev_id HEX [MORE]: an event CREATED of the VM whose id is the bytes HEX,
# MORE the hex of further fields.
ev_id() { pb_int 1 1; pb_bytes 3 "$(pb_bytes 1 "$1"; pb_int 2 1; printf '%s' "${2:-}")"; }
# Not UTF-8: bytes that are no character, '/' overlong in two and in
# three bytes, a surrogate, past U+10FFFF, five bytes, a sequence cut short.
for h in 766d2dfffe c0af e080af eda080 f4908080 f888808080 766de282; do
	frame "$(ev_id "$h")"
done | raw -n 7 > "$T/out"
assert_eq "ids not UTF-8 refused" 7 \
    "$(grep -c '^BAD_REQUEST event: vm_id: not valid UTF-8$' "$T/out")"
{ frame "$(ev_id 766d2d6367 "$(pb_bytes 4 2f766d2d6367ff)")"
  # memcg: {"cache_reclaim": {"parent": "/\xff"}}
  frame "$(pb_int 1 1; pb_bytes 7 "$(pb_int 1 1; pb_bytes 2 \
      "$(printf '{"cache_reclaim": {"parent": "/' | od -An -tx1 -v | tr -d ' \n')ff227d7d")")"
  frame "$(ev_id 766dc285)"	# U+0085, a C1 control character
} | raw -n 3 > "$T/out"
assert_eq "strings not UTF-8" "BAD_REQUEST event: cgroup: not valid UTF-8
BAD_REQUEST config_set: json: not valid UTF-8
BAD_REQUEST event: vm_id: expected 1 to 255 bytes, no control characters
DONE" "$(cat "$T/out")"
# é, U+FFFD and an emoji: UTF-8 of two, three and four bytes
for h in 766d2dc3a9 766d2defbfbd 766d2df09f9880; do
	frame "$(ev_id "$h")"
done | raw -n 3 > "$T/out"
assert_eq "UTF-8 ids" "OK OK OK DONE" "$(cut -d' ' -f1 "$T/out" | xargs)"
ctl status --json > "$T/status.json" || fail "status with UTF-8 ids"
assert_eq "UTF-8 ids in status" "vm-é vm-� vm-😀" \
    "$(jq -r '.vms | keys_unsorted | join(" ")' "$T/status.json")"
ok "strings that are not UTF-8, or hold a control character, are refused by name"

# A string with a NUL inside would reach the checks cut short at it.
{ frame "$(ev_id "$(printf 'vm-nul' | od -An -tx1 | tr -d ' \n')00010267617262616765")"
  frame "$(ev_id 766d2d6367 "$(pb_bytes 4 2f6f6b002f2e2e2f78)")"
  frame "$(pb_int 1 1; pb_bytes 2 "$(pb_bytes 1 6f6b00626164)")"
  # ksm: {"enabled": false} then a NUL and more
  frame "$(pb_int 1 1; pb_bytes 7 "$(pb_int 1 0; pb_bytes 2 \
      "$(printf '{"enabled": false}' | od -An -tx1 -v | tr -d ' \n')0078")")"
} | raw -n 4 > "$T/out"
assert_eq "strings with a NUL, by name" \
    "event.vm_id event.cgroup register.name config_set.json" \
    "$(sed -n 's/^BAD_REQUEST frame of [0-9]* bytes: \([a-z_.]*\) holds a NUL$/\1/p' "$T/out" | paste -sd' ')"
assert_eq "VMs after strings with a NUL" "vm-é vm-� vm-😀" "$(st '.vms | keys_unsorted | join(" ")')"
assert_eq "ksm.enabled after a json with a NUL" true "$(ctl config | jq .ksm.enabled)"
ok "a string with a NUL inside is refused by name, not cut short"

# ---- stalls ----
start=$(date +%s)
printf '\x00\x00\x00\x10\x08' | raw -t 10 > "$T/out"
took=$(( $(date +%s) - start ))
assert_eq "half a frame, then silence" EOF "$(tail -n 1 "$T/out")"
[ "$took" -le 5 ] || fail "a stalled client was dropped after ${took}s, timeout is 2s"
kt_log_has "no whole request within 2 s, closing" || fail "stall not logged"
raw -t 10 < /dev/null > "$T/out"
assert_eq "connect, then silence" EOF "$(tail -n 1 "$T/out")"
ok "half a frame then silence, or silence: closed after idle_timeout_secs"

frame "$(req_register quiet-runtime)" > "$T/register"
frame "$(req_status)" > "$T/status"
{ cat "$T/register"; sleep 3; cat "$T/status"; } | "$KTRAW" -n 2 -t 8 "$SOCK" > "$T/out"
assert_eq "silent between whole frames" "OK OK DONE" "$(cut -d' ' -f1 "$T/out" | xargs)"
ok "a client silent between whole frames keeps its connection"

for i in $(seq 1 40); do frame ffff; done | raw -t 5 > "$T/out"
assert_eq "replies to 40 bad frames" 32 "$(grep -c '^BAD_REQUEST' "$T/out")"
tail -n 1 "$T/out" | grep -qE "^(EOF|RESET)$" || fail "garbage stream not closed"
kt_log_has "32 bad requests, closing" || fail "garbage stream not logged"
kt_log_has "its further errors are only counted" || fail "no end to per-client logging"
ok "a stream of garbage: closed after 32 errors, logged 5 times"

# ---- floods ----
frame "$(req_status)" > "$T/one"
repeat 15 "$T/one" > "$T/flood"		# 32768 status requests, never read
"$KTRAW" -w 4 -q -t 2 "$SOCK" < "$T/flood" > "$T/flood.out" &
flooder=$!
sleep 0.5
for i in 1 2 3 4 5; do
	timeout 5 "$KTCTL" -s "$SOCK" status >/dev/null ||
	    fail "status while another client floods (round $i)"
done
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$KT_PID/status")
# Under valgrind or ASan the RSS is mostly the checker's own: printed.
case "${KT_CHECKER:-}" in
valgrind*) echo "# under valgrind: daemon RSS ${rss} kB while flooded" ;;
*)	kt_sanitized && echo "# ASan build: daemon RSS ${rss} kB while flooded" ||
	    [ "$rss" -lt 65536 ] || fail "daemon RSS ${rss} kB while flooded" ;;
esac
wait $flooder
wait_for 5 kt_log_has "does not read its replies, closing" || fail "flooder not dropped"
kt_alive || fail "daemon died under a flood"
ok "a flooding client that does not read: others served, memory bounded, dropped"

{ frame "$(req_kick)"; } > "$T/kick"
repeat 10 "$T/kick" > "$T/kicks"	# 1024 kicks, read as they come
"$KTRAW" -q -n 1024 -t 10 "$SOCK" < "$T/kicks" > "$T/out" &
kicker=$!
timeout 5 "$KTCTL" -s "$SOCK" status >/dev/null || fail "status while kicks flood"
wait $kicker
assert_eq "kick flood" "1024 replies DONE" "$(xargs < "$T/out")"
assert_eq "kicks counted" 1024 "$(st .inputs.socket.events.kick)"
ok "1024 kicks on one connection: every one answered and counted"

# Eight clients hold every slot until released (or 30 s pass); each is
# seen connected (by its pid) before the next, and before the probe.
holders=
for i in $(seq 1 8); do
	{ cat "$T/status"
	  for j in $(seq 1 300); do [ -e "$T/release" ] && break; sleep 0.1; done
	} | "$KTRAW" -n 1 -t 30 "$SOCK" > /dev/null &
	holders="$holders $!"
	wait_for 10 kt_log_has "connected \(pid $!," || fail "holder $i not connected"
done
ctl status 2>"$T/err" >/dev/null && fail "a ninth client was served with max_clients 8"
grep -q "busy: too many clients (socket.max_clients is 8)" "$T/err" ||
    fail "busy message: $(cat "$T/err")"
kt_log_has "8 clients, socket.max_clients reached: refusing new ones" ||
    fail "max_clients not logged"
touch "$T/release"
wait $holders
ctl status >/dev/null || fail "status after the holders left"
kt_log_has "below socket.max_clients again" || fail "recovery not logged"
ok "more clients than max_clients: BUSY, then served again"

ctl status --json > "$T/status.json"
jq -e '.control.rejected | .oversized == 2 and .undecodable == 38
    and .bad_version == 2 and .bad_request == 15 and .timeout == 3 and .busy >= 1
    and .permission == 0' \
    "$T/status.json" >/dev/null || fail "rejections counted: $(jq -c .control "$T/status.json")"
kt_alive || fail "daemon died"
kt_stop
ok "every rejection counted in status; the daemon stops cleanly"
