#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The control socket with the real client: status as a table and as JSON,
# events and kicks counted per input and per registered client, live
# config changes applied partially or refused whole, clear exits when the
# daemon is not there; the socket and run directory made safely (stale
# socket replaced, live one not stolen, planted symlinks refused).
. "$top_srcdir/tests/lib/lib.sh"
. "$top_srcdir/tests/lib/frames.sh"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$KTCTL" ] || fail "$KTCTL not built"
cat > "$T/conf.json" <<'JSON'
{ "inputs": { "inotify": { "enabled": false } } }
JSON
# Processes that call themselves ksmd, some of them before the kernel
# thread in /proc's order: their CPU time (9 s) is not ksmd's (2 s, below).
for pid in 10 11 12 13 14 15 16 17; do
	mkdir -p "$ROOT/proc/$pid"
	echo ksmd > "$ROOT/proc/$pid/comm"
	echo "$pid (ksmd) S 1 0 0 0 -1 4194560 0 0 0 0 800 100 0 0 20 0 1 0 30 0 0" \
	    > "$ROOT/proc/$pid/stat"
done
kt_start --root "$ROOT" -c "$T/conf.json"

# A listener that accepts nothing, its queue of connections full: the
# client gives up after its 30 s and says why.  Started now, so that the
# wait overlaps the rest; looked at last.
perl -MSocket -MFcntl -e '
	my ($path, $ready) = @ARGV;
	socket(my $l, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
	bind($l, pack_sockaddr_un($path)) or die "bind: $!";
	listen($l, 0) or die "listen: $!";
	my @queued;
	for (;;) {
		socket(my $c, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
		fcntl($c, F_SETFL, O_NONBLOCK) or die "fcntl: $!";
		last unless connect($c, pack_sockaddr_un($path));
		push @queued, $c;
		die "the queue does not fill" if @queued > 64;
	}
	$!{EAGAIN} or die "connect: $!";
	open(my $f, ">", $ready) or die "$ready: $!";
	close($f);
	sleep 300;
' "$T/full.sock" "$T/full.ready" &
FULL_LISTENER=$!
KT_EXTRA_CLEANUP='kill $FULL_LISTENER ${FULL_CTL:-} 2>/dev/null'
wait_for 10 test -e "$T/full.ready" || fail "the full listener did not start"
"$KTCTL" -s "$T/full.sock" status > /dev/null 2> "$T/full.err" &
FULL_CTL=$!

# ---- status ----
ctl status > "$T/status" || fail "status exited non-zero"
for line in '^ksm-throttlerd [0-9.]+, up ' '^KSM +running' '^  saving +[0-9.]+ MiB' \
    '^  ksmd CPU +2\.00 s' '^policy +(idle|boosting)' '^INPUT +STATE +CREATING' \
    '^socket +running +0 +0 +0 +0 +0' '^inotify +off' '^control +'; do
	grep -qE "$line" "$T/status" || fail "status table lacks /$line/: $(cat "$T/status")"
done
ok "status prints a table"
ctl status --json > "$T/status.json" || fail "status --json"
jq -e '.ksm.run == 1 and .ksm.pages_sharing == 0 and .ksm.ksmd_cpu_seconds == 2
    and (.policy.state | type == "string")
    and (.inputs.socket.events | keys == ["created","creating","destroyed","destroying","kick"])
    and .inputs.inotify.running == false and .control.clients == 1' \
    "$T/status.json" >/dev/null || fail "status --json: $(cat "$T/status.json")"
ok "status --json has ksm, policy, inputs and control"

# ---- events and kicks ----
ctl kick || fail "kick"
assert_eq "kicks" 1 "$(st .inputs.socket.events.kick)"
assert_eq "policy after a kick" boosting "$(st .policy.state)"
ctl event vm-1 creating --pid 4242 --cgroup /sys/fs/cgroup/vm-1 --class small \
    --memory 1073741824 || fail "event with every option"
ctl event vm-1 created || fail "event created"
ctl event vm-1 destroying || fail "event destroying"
ctl event vm-1 destroyed || fail "event destroyed"
assert_eq "socket events" "1 1 1 1 1" \
    "$(st '.inputs.socket.events | "\(.creating) \(.created) \(.destroying) \(.destroyed) \(.kick)"')"
kt_log_has "event creating vm-1 from socket" || fail "event not logged"
ok "kick and every event type reach the bus, counted"

# bad events: refused by the client (usage, 2) or by the daemon (1)
ctl event vm-2 exploded 2>"$T/err"; assert_eq "unknown type exit" 2 $?
grep -q "not an event type" "$T/err" || fail "unknown type message: $(cat "$T/err")"
ctl event vm-2 created --pid 0 2>"$T/err"; assert_eq "pid 0 exit" 2 $?
ctl event vm-2 2>/dev/null; assert_eq "missing type exit" 2 $?
ctl event "" created 2>"$T/err"; assert_eq "empty id exit" 1 $?
grep -q "refused: event: vm_id" "$T/err" || fail "empty id message: $(cat "$T/err")"
ctl event vm-2 created --cgroup relative/path 2>"$T/err"; assert_eq "relative cgroup exit" 1 $?
grep -q "cgroup: expected an absolute path" "$T/err" || fail "cgroup message: $(cat "$T/err")"
ctl event vm-2 created --class 'bad class!' 2>/dev/null; assert_eq "bad class exit" 1 $?
ctl event "$(printf 'vm\001')" created 2>/dev/null; assert_eq "control char exit" 1 $?
ctl event "$(printf 'vm-\377\376')" created --pid 1 2>"$T/err"; assert_eq "not UTF-8 exit" 1 $?
grep -q "refused: event: vm_id: not valid UTF-8" "$T/err" || fail "not UTF-8 message: $(cat "$T/err")"
ctl event "$(head -c 256 /dev/zero | tr '\0' x)" created 2>/dev/null
assert_eq "256-byte id exit" 1 $?
ctl event "$(head -c 255 /dev/zero | tr '\0' x)" created || fail "a 255-byte id is fine"
assert_eq "created after bad events" 2 "$(st .inputs.socket.events.created)"
ok "bad events are refused with the reason and not counted"

# ---- a registered event stream, one connection ----
{
	frame "$(req_register kata-runtime)"
	for i in $(seq 1 50); do frame "$(req_event "vm-s$i" 1)"; done
	frame "$(req_kick)"
} > "$T/stream"
"$KTRAW" -n 52 "$SOCK" < "$T/stream" > "$T/out"
assert_eq "replies to the stream" 52 "$(grep -c '^OK' "$T/out")"
assert_eq "registered counts" "50 1" \
    "$(st '.inputs.socket.registered["kata-runtime"] | "\(.created) \(.kick)"')"
assert_eq "socket created" 52 "$(st .inputs.socket.events.created)"
{ frame "$(req_register kata-runtime)"; frame "$(req_register again)"; } |
    "$KTRAW" -n 2 "$SOCK" > "$T/out"
grep -q "^BAD_REQUEST register: already registered as kata-runtime" "$T/out" ||
    fail "second register: $(cat "$T/out")"
frame "$(req_register 'no spaces')" | "$KTRAW" -n 1 "$SOCK" | grep -q "^BAD_REQUEST register: name" ||
    fail "a bad name was accepted"
ok "register, then a stream of events on one connection, counted under the name"

# ---- configuration ----
"$KTD" -n -c "$T/conf.json" --socket "$SOCK" > "$T/expected.json"
ctl config > "$T/config.json" || fail "config"
diff -u "$T/expected.json" "$T/config.json" || fail "config differs from -n"
ok "config prints the effective configuration, as -n does"

ctl ksm-set '{"enabled": false}' || fail "ksm-set"
assert_eq "policy after ksm-set enabled=false" off "$(st .policy.state)"
assert_eq "ksm.enabled" false "$(ctl config | jq .ksm.enabled)"
ctl ksm-set '{"enabled": true}' || fail "ksm-set back"
state=$(st .policy.state)
[ "$state" != off ] || fail "policy still off after ksm-set enabled=true"
ctl memcg-set '{"period_secs": 60, "swap": true}' || fail "memcg-set"
assert_eq "memcg after set" "60 true 1" \
    "$(ctl config | jq -r '.memcg | "\(.period_secs) \(.swap) \(.period_psi_percent_limit)"')"
ctl compact-set '{"compact_order": 10}' || fail "compact-set"
assert_eq "compact_order" 10 "$(ctl config | jq .compact.compact_order)"
ok "ksm-set, memcg-set and compact-set change only the keys given"

ctl config > "$T/before.json"
ctl memcg-set '{"period_secs": 30, "nosuch": 1}' 2>"$T/err"; assert_eq "bad key exit" 1 $?
grep -q "memcg.nosuch: unknown key" "$T/err" || fail "unknown key message: $(cat "$T/err")"
ctl ksm-set '{"enabled": 3}' 2>"$T/err"; assert_eq "bad value exit" 1 $?
grep -q "ksm.enabled: expected true or false" "$T/err" || fail "bad value message: $(cat "$T/err")"
ctl compact-set '{"compact_order": 11}' 2>"$T/err"; assert_eq "out of range exit" 1 $?
grep -q "compact.compact_order: expected an integer from 0 to 10" "$T/err" || fail "range message"
ctl compact-set 'not json' 2>"$T/err"; assert_eq "not JSON exit" 1 $?
grep -q "not valid JSON" "$T/err" || fail "not JSON message: $(cat "$T/err")"
ctl memcg-set '{"socket": {"group": "users"}}' 2>/dev/null; assert_eq "other section exit" 1 $?
ctl config > "$T/after.json"
diff -u "$T/before.json" "$T/after.json" || fail "a refused set changed something"
ok "a set with any bad key is refused whole, with the key and the reason"

# A set says what it changed, key by key; one that changes nothing says
# that.  A reload of the file puts back what a set changed, and says so
# key by key too.
kt_log_has "compact-set: compact.compact_order: [0-9]+ -> 10" ||
    fail "compact-set did not log the key it changed"
ctl compact-set '{"compact_order": 10}' || fail "compact-set, the same"
wait_for 5 kt_log_has "compact-set changes nothing" || fail "a set changing nothing not said"
kill -HUP "$KT_PID"
wait_for 5 kt_log_has "SIGHUP: compact.compact_order: 10 -> [0-9]+" ||
    fail "a reload undoing a set did not say so: $(grep -i 'sighup\|configuration' "$T/daemon.log" | tail -3)"
ok "a set and a reload say what they changed, key by key"

# ---- the client's own errors ----
ctl 2>/dev/null; assert_eq "no command exit" 2 $?
ctl frobnicate 2>"$T/err"; assert_eq "unknown command exit" 2 $?
grep -q usage "$T/err" || fail "no usage for an unknown command"
ctl kick extra 2>/dev/null; assert_eq "extra argument exit" 2 $?
KSM_THROTTLER_SOCKET="$SOCK" "$KTCTL" status >/dev/null || fail "KSM_THROTTLER_SOCKET not used"
"$KTCTL" -s "$T/nowhere.sock" status 2>"$T/err"; assert_eq "no daemon exit" 3 $?
grep -q "ksm-throttlerd is not running" "$T/err" || fail "no daemon message: $(cat "$T/err")"
ok "usage errors exit 2; no daemon exits 3 and says so"

# ---- the socket and its run directory ----
"$KTD" -f --socket "$SOCK" --root "$ROOT" > "$T/second.log" 2>&1 &&
    fail "a second daemon started on a live socket"
grep -q "another ksm-throttlerd runs" "$T/second.log" || fail "second daemon: $(cat "$T/second.log")"
ctl status >/dev/null || fail "the first daemon lost its socket to the second"
ok "a live socket is not stolen"

# ---- a status too large to send whole ----
# 4500 VMs with 253-byte ids and 3.9 KB cgroups: some 20 MB of status,
# more than a client takes.  The frames are made in one go by perl.
perl -e '
	sub varint {
		my ($n, $s) = (shift, "");
		for (; $n >= 128; $n >>= 7) { $s .= chr(($n & 127) | 128) }
		return $s . chr($n);
	}
	sub field { varint($_[0] << 3 | 2) . varint(length $_[1]) . $_[1] }
	for my $i (1 .. $ARGV[0]) {
		my $ev = field(1, sprintf("vm-big-%05d-", $i) . "x" x 240) .
		    chr(2 << 3) . chr(1) .
		    field(4, "/" . "c" x 3900 . "/$i");
		my $req = chr(1 << 3) . chr(1) . field(3, $ev);
		print pack("N", length $req), $req;
	}
' 4500 > "$T/many"
before=$(st '.vms | length')
"$KTRAW" -q -n 4500 -t 60 "$SOCK" < "$T/many" > "$T/out"
assert_eq "4500 events" "4500 replies DONE" "$(xargs < "$T/out")"
ctl status --json > "$T/big.json" || fail "status of $((before + 4500)) VMs"
size=$(stat -c %s "$T/big.json")
[ "$size" -le $((8 * 1024 * 1024 + 1)) ] || fail "status of $size bytes"
jq -e --argjson all $((before + 4500)) '.truncated.vms > 0
    and (.vms | length) + .truncated.vms == $all
    and .truncated.max_bytes == 8388608 and (.vms | has("vm-s1"))
    and (.vms | has("vm-big-04500-" + "x" * 240) | not)' "$T/big.json" >/dev/null ||
    fail "truncated status: $(jq -c '.truncated, (.vms | length)' "$T/big.json")"
ctl status > "$T/big" || fail "status table of $((before + 4500)) VMs"
grep -qE "^\([0-9]+ more left out of the status: it is cut to 8388608 bytes\)" "$T/big" ||
    fail "status table: $(grep more "$T/big")"
ok "a status too large to send whole lists the VMs that came first and says how many are left out"

# Two clients ask for that status (8 MiB each) and read nothing: the
# replies' total stays above its limit until they are dropped, and more
# statuses wait; a kick, whose reply is a few bytes, does not.
frame "$(req_status)" > "$T/status.frame"
# slow N: a client that asks for the status and reads nothing; once the
# reply begins to come (rendered and queued in the daemon), $T/slow.N.
slow() {
	perl -MSocket -e '
		socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
		connect($s, pack_sockaddr_un($ARGV[0])) or die "connect: $!";
		open(my $f, "<", $ARGV[1]) or die "$ARGV[1]: $!";
		local $/;
		my $req = <$f>;
		syswrite($s, $req) == length($req) or die "write: $!";
		my $rin = "";
		vec($rin, fileno($s), 1) = 1;
		select($rin, undef, undef, 60);
		open(my $m, ">", $ARGV[2]) or die "$ARGV[2]: $!";
		close($m);
		sleep 60;' "$SOCK" "$T/status.frame" "$T/slow.$1" &
	SLOW="${SLOW:-} $!"
}
KT_EXTRA_CLEANUP="$KT_EXTRA_CLEANUP"'; kill ${SLOW:-} 2>/dev/null'
slow 1
wait_for 30 test -e "$T/slow.1" || fail "the first status was not answered"
# The second is answered, or waits if the first filled the total alone.
slow 2
wait_for 3 test -e "$T/slow.2" || true
timeout $((5 * ${KT_SLOW:-1})) "$KTCTL" -s "$SOCK" kick ||
    fail "a kick waited behind unread statuses"
kill $SLOW; wait $SLOW 2>/dev/null; SLOW=
ok "clients that ask for large statuses and read nothing hold up no kick"

kt_stop
[ -e "$SOCK" ] && fail "socket left behind after a clean exit"
ctl status 2>/dev/null; assert_eq "exit after the daemon stopped" 3 $?
kt_start --root "$ROOT" -c "$T/conf.json"
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK"), not 660"
kt_kill
[ -S "$SOCK" ] || fail "SIGKILL should leave the socket file"
kt_start --root "$ROOT" -c "$T/conf.json"
kt_log_has "replacing the stale socket" || fail "stale socket not reported"
ctl status >/dev/null || fail "status after replacing a stale socket"
kt_stop
ok "a stale socket from a dead daemon is replaced"

# refuse ARGS... MESSAGE: the daemon must not start, and must say why
refuse() {
	local msg=${*: -1}
	"$KTD" -f --root "$ROOT" "${@:1:$#-1}" > "$T/refused.log" 2>&1 &&
	    fail "started where it should refuse ($msg)"
	grep -q -- "$msg" "$T/refused.log" || fail "wanted '$msg', got: $(cat "$T/refused.log")"
}
mkdir "$T/elsewhere"
ln -s "$T/elsewhere" "$T/planted"
refuse --socket "$T/planted/s.sock" "a symlink or not a directory, refusing"
[ -e "$T/elsewhere/ksm-throttlerd.pid" ] && fail "wrote through a planted symlink"
mkdir -m 0777 "$T/open"
refuse --socket "$T/open/s.sock" "writable by others (mode 0777), refusing"
mkdir "$T/theirs"
chown 65534 "$T/theirs"
refuse --socket "$T/theirs/s.sock" "owned by uid 65534, not by us"
mkdir "$T/file"
echo precious > "$T/file/s.sock"
refuse --socket "$T/file/s.sock" "exists and is not a socket: not replacing it"
assert_eq "file at the socket path" precious "$(cat "$T/file/s.sock")"
refuse --socket "$T/$(head -c 120 /dev/zero | tr '\0' s).sock" "longer than 107 bytes"
ok "planted symlinks, open or foreign run directories and non-sockets are refused"

wait "$FULL_CTL"
assert_eq "exit when no connection is accepted" 5 $?
FULL_CTL=
grep -q "ksm-throttlerd is not accepting connections on $T/full.sock" "$T/full.err" ||
    fail "full queue message: $(cat "$T/full.err")"
ok "a daemon that accepts no connection: exit 5 and says so"

# A reply whose code this client does not know (a newer daemon's): a
# protocol error, exit 5; INTERNAL, the daemon's failure, exit 1.
# answer SOCKET HEX: a one-shot server that reads a frame, sends HEX's frame.
answer() {
	frame "$2" > "$T/answer.bin"
	perl -MSocket -e '
		my ($path, $file) = @ARGV;
		socket(my $l, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
		bind($l, pack_sockaddr_un($path)) or die "bind: $!";
		listen($l, 1) or die "listen: $!";
		accept(my $c, $l) or die "accept: $!";
		read($c, my $len, 4) == 4 or die "no length";
		read($c, my $req, unpack("N", $len));
		open(my $f, "<", $file) or die "$file: $!";
		local $/;
		my $reply = <$f>;
		print {$c} $reply;
		close($c);
	' "$1" "$T/answer.bin" &
	ANSWER=$!
	wait_for 5 test -S "$1" || fail "the answering server did not start"
}
KT_EXTRA_CLEANUP="$KT_EXTRA_CLEANUP"'; kill ${ANSWER:-} 2>/dev/null'
answer "$T/future.sock" "$(pb_int 1 1; pb_int 2 99; pb_str 3 "from the future")"
"$KTCTL" -s "$T/future.sock" kick 2> "$T/future.err"
assert_eq "exit for an unknown reply code" 5 $?
wait "$ANSWER"
grep -q "reply code 99, unknown to this client" "$T/future.err" ||
    fail "unknown code message: $(cat "$T/future.err")"
answer "$T/internal.sock" "$(pb_int 1 1; pb_int 2 5; pb_str 3 "status too large")"
"$KTCTL" -s "$T/internal.sock" kick 2> "$T/internal.err"
assert_eq "exit for INTERNAL" 1 $?
wait "$ANSWER"
ANSWER=
grep -q "refused: status too large (INTERNAL)" "$T/internal.err" ||
    fail "INTERNAL message: $(cat "$T/internal.err")"
ok "an unknown reply code exits 5, INTERNAL exits 1"

# More tracked cgroups than 8 MiB of status holds, with no VM at all:
# the cgroups that come last are left out, and "truncated" says how many.
# 2500 cgroups below a parent 3000 bytes deep, about 3.7 KB each.
V2="$ROOT/sys/fs/cgroup"
echo "cpu io memory pids" > "$V2/cgroup.controllers"
: > "$V2/memory.reclaim"
deep=
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do deep="$deep/$(printf 'd%.0s' $(seq 249))"; done
mkdir -p "$V2$deep"
for i in $(seq 2500); do
	d="$V2$deep/c$i"
	mkdir "$d"
	printf 'anon 0\nfile 0\ninactive_anon 0\nactive_anon 0\ninactive_file 0\nactive_file 0\n' > "$d/memory.stat"
	echo 0 > "$d/memory.current"
	echo max > "$d/memory.max"
done
printf '{ "inputs": { "inotify": { "enabled": false } },\n  "memcg": { "cgroups": ["%s/*"] } }\n' \
    "$deep" > "$T/many-cgroups.json"
kt_start --root "$ROOT" -c "$T/many-cgroups.json"
tracked() { [ "$(st .memcg.tracked)" = 2500 ]; }
wait_for 30 tracked || fail "not 2500 cgroups tracked: $(st .memcg.tracked)"
ctl status --json > "$T/cgroups.json" || fail "status of 2500 long cgroups"
size=$(stat -c %s "$T/cgroups.json")
[ "$size" -le $((8 * 1024 * 1024 + 1)) ] || fail "status of $size bytes"
jq -e '.truncated.cgroups > 0 and .truncated.max_bytes == 8388608
    and (.memcg.cgroups | length) + .truncated.cgroups == 2500' \
    "$T/cgroups.json" >/dev/null ||
    fail "truncated status: $(jq -c '.truncated, (.memcg.cgroups | length)' "$T/cgroups.json")"
kt_stop
rm -rf "$V2${deep%%/d*}/$(printf 'd%.0s' $(seq 249))"
ok "2500 cgroups too many for 8 MiB of status: the last left out, and counted"
