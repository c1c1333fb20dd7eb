#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Prometheus endpoint: real scrapes, `promtool check metrics`, values
# equal to the fake sysfs, bad HTTP requests answered with errors, slow
# clients unable to stall the loop, and a real Prometheus server scraping;
# out of descriptors it neither spins nor floods the log, connections are
# capped and a request trickled byte by byte is cut off, and an address
# in use is listened on once it is free.
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
command -v curl >/dev/null || skip "curl not installed"
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
K="$ROOT/sys/kernel/mm/ksm"
echo 1234 > "$K/pages_sharing"
echo 56 > "$K/pages_shared"
echo 77 > "$K/full_scans"
echo -8192 > "$K/general_profit"
PORT=$(kt_port)
URL="http://127.0.0.1:$PORT/metrics"
printf '{"metrics": {"listen": "127.0.0.1:%s"}}\n' "$PORT" > "$T/conf.json"
kt_start --root "$ROOT" -c "$T/conf.json"
kt_log_has "metrics on http://127.0.0.1:$PORT/metrics" || fail "metrics not served"
# The daemon's own descriptors and CPU time (clock ticks).
nfds() { ls "/proc/$KT_PID/fd" | wc -l; }
fds_at_least() { [ "$(nfds)" -ge "$1" ]; }
fds_at_most() { [ "$(nfds)" -le "$1" ]; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$KT_PID/stat"; }
# A constant of src/views/metrics.c, so that the test follows it.
metrics_const() {
	sed -n "s/^#define $1[[:space:]]*\([0-9][0-9]*\).*/\1/p" \
	    "$top_srcdir/src/views/metrics.c"
}
IDLE_FDS=$(nfds)

curl -sf "$URL" > "$T/m1" || fail "scrape failed"
grep -qx 'ksm_throttler_ksm_pages_sharing 1234' "$T/m1" || fail "pages_sharing not 1234"
grep -qx 'ksm_throttler_ksm_pages_shared 56' "$T/m1" || fail "pages_shared not 56"
grep -qx 'ksm_throttler_ksm_full_scans_total 77' "$T/m1" || fail "full_scans_total not 77"
grep -qx 'ksm_throttler_ksm_general_profit_bytes -8192' "$T/m1" || fail "general_profit"
grep -qx 'ksm_throttler_ksmd_cpu_seconds_total 2' "$T/m1" || fail "ksmd cpu (200 ticks)"
grep -q '^ksm_throttler_policy_state{state="[a-z]*"} 1$' "$T/m1" || fail "policy state"
grep -q '^ksm_throttler_process_resident_bytes [1-9]' "$T/m1" || fail "daemon RSS"
ok "a scrape shows the fake sysfs values, policy state and the daemon's RSS"

grep -qx 'ksm_throttler_ksm_stable_node_chains_prune_millisecs 2000' "$T/m1" ||
    fail "stable_node_chains_prune_millisecs not 2000"
grep -qx 'ksm_throttler_ksm_advisor_min_pages_to_scan 500' "$T/m1" ||
    fail "advisor_min_pages_to_scan not 500"
grep -qx 'ksm_throttler_ksm_advisor_max_pages_to_scan 30000' "$T/m1" ||
    fail "advisor_max_pages_to_scan not 30000"
for c in checks runs forced node_runs skipped_threshold skipped_psi \
    completed aborted_psi aborted_time cancelled failed; do
	grep -qx "ksm_throttler_compact_${c}_total 0" "$T/m1" ||
	    fail "compaction counter $c not exported"
done
for k in sleep_millisecs advisor_target_scan_time; do
	grep -q "^# HELP ksm_throttler_ksm_$k \(Milli\)*[Ss]econds" "$T/m1" ||
	    fail "the help of ksm_throttler_ksm_$k does not say its unit"
done
if command -v jq >/dev/null; then
	"$KTCTL" --socket "$SOCK" status --json > "$T/status.json" ||
	    fail "status --json"
	for k in $(jq -r '.ksm | to_entries[] | select(.value | type ==
	    "number" or type == "boolean") | .key' "$T/status.json"); do
		# ksmd's is ksm_throttler_ksmd_cpu_seconds_total.
		[ "$k" = ksmd_cpu_seconds ] && continue
		grep -qE "^ksm_throttler_ksm_$k(_total|_bytes)? " "$T/m1" ||
		    fail "ksm.$k of the status is not a metric"
	done
else
	echo "# jq not installed: status and metrics not compared"
fi
ok "every KSM file in the status and every compaction counter is a metric"

echo 4321 > "$K/pages_sharing"
# A scrape shows a sample at most a second old.
scraped() { curl -sf "$URL" | grep -qx "$1"; }
wait_for 3 scraped 'ksm_throttler_ksm_pages_sharing 4321' ||
    fail "a later scrape does not follow sysfs"
ok "values follow sysfs from one scrape to the next"

if command -v promtool >/dev/null; then
	promtool check metrics < "$T/m1" > "$T/lint" 2>&1 ||
	    { cat "$T/lint"; fail "promtool check metrics"; }
	ok "promtool check metrics passes"
else
	echo "# promtool not installed: lint skipped"
fi

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
assert_eq "wrong path" 404 "$(code "http://127.0.0.1:$PORT/nope")"
assert_eq "POST" 501 "$(code -X POST -d x "$URL")"
big=$(head -c 20000 /dev/zero | tr '\0' a)
c=$(code -H "X-Big: $big" "$URL")
[ "$c" = 400 ] || [ "$c" = 413 ] || [ "$c" = 431 ] || [ "$c" = 000 ] ||
    fail "huge headers answered $c"
ok "wrong path 404, POST refused, huge headers refused"

# HEAD, then GET on the same connection: the HEAD sends no body that the
# GET's reply would be read from.
if command -v python3 >/dev/null; then
	python3 - "$PORT" <<'PY' || fail "HEAD then GET on one connection"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
c.request("HEAD", "/metrics")
r = c.getresponse()
assert r.status == 200, r.status
assert r.read() == b""
c.request("GET", "/metrics")
r = c.getresponse()
assert r.status == 200, r.status
assert b"ksm_throttler_" in r.read()
PY
	ok "HEAD then GET on one connection: no body after the HEAD"
fi

# Slow clients: connections that send half a request and stall.
for i in 1 2 3 4 5; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&$fd
	eval "slow$i=$fd"
done
curl -sf -m 5 "$URL" > /dev/null || fail "a scrape waited behind stalled clients"
kt_alive || fail "daemon died"
ok "stalled clients do not hold up other scrapes"
for i in 1 2 3 4 5; do eval "exec {slow$i}>&-"; done

if command -v prometheus >/dev/null; then
	PPORT=$(kt_port)
	cat > "$T/prom.yml" <<YML
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: ksm-throttler
    static_configs: [ { targets: ["127.0.0.1:$PORT"] } ]
YML
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
	    --web.listen-address="127.0.0.1:$PPORT" > "$T/prom.log" 2>&1 &
	PROM=$!
	KT_EXTRA_CLEANUP="kill $PROM 2>/dev/null; wait $PROM 2>/dev/null"
	q="http://127.0.0.1:$PPORT/api/v1/query?query=ksm_throttler_ksm_pages_sharing"
	wait_for 30 sh -c "curl -sf '$q' | grep -q '\"4321\"'" ||
	    { tail "$T/prom.log"; fail "Prometheus did not get ksm_throttler_ksm_pages_sharing"; }
	ok "a real Prometheus server scrapes it and its query API returns the series"
	# Its scrapes would count among the connections below.
	kill "$PROM"
	wait "$PROM"
	KT_EXTRA_CLEANUP=
else
	echo "# prometheus not installed: server scrape skipped"
fi

# Out of descriptors, accept fails while connections wait to be taken:
# the daemon stops accepting for a while, logs it once, and spins neither
# the CPU nor the log; once the connections are gone it serves again.
emfile() {
	local soft limit lines ticks hz i fd held=
	soft=$(prlimit --pid "$KT_PID" --nofile --output SOFT --noheadings)
	limit=$(($(nfds) + 4))
	prlimit --pid "$KT_PID" --nofile="$limit:" || fail "prlimit"
	for i in $(seq 20); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		held="$held $fd"
	done
	wait_for 10 fds_at_least "$limit" ||
	    fail "the daemon did not run out of descriptors"
	lines=$(wc -l < "$T/daemon.log")
	ticks=$(cpu_ticks)
	hz=$(getconf CLK_TCK)
	sleep 3
	ticks=$(($(cpu_ticks) - ticks))
	lines=$(($(wc -l < "$T/daemon.log") - lines))
	[ "$ticks" -lt $((3 * hz / 4)) ] ||
	    fail "out of descriptors, the daemon used $ticks ticks in 3 s"
	[ "$lines" -lt 100 ] ||
	    fail "out of descriptors, the daemon logged $lines lines in 3 s"
	assert_eq "accept failures logged" 1 "$(kt_log_count 'metrics: accept')"
	for fd in $held; do
		exec {fd}>&-
	done
	wait_for 20 curl -sf -m 3 -o /dev/null "$URL" ||
	    fail "no scrape once descriptors were free again"
	prlimit --pid "$KT_PID" --nofile="$soft:" || fail "prlimit"
}
if ! command -v prlimit >/dev/null; then
	echo "# prlimit not installed: running out of descriptors skipped"
else
	case ${KT_CHECKER:-} in
	valgrind*) echo "# running out of descriptors skipped under valgrind" ;;
	*)	emfile
		ok "out of descriptors it pauses, logs once, serves again" ;;
	esac
fi

# Clients that trickle a request a byte a second: no more than
# HTTP_MAX_CONNS are open at once, and each is cut off by the deadline,
# not kept alive by its bytes; a scrape gets through after.
CAP=$(metrics_const HTTP_MAX_CONNS)
[ -n "$CAP" ] || fail "no HTTP_MAX_CONNS in src/views/metrics.c"
# The connections of the tests above have gone.
wait_for 20 fds_at_most "$IDLE_FDS" || true
base=$(nfds)
perl -MIO::Socket::INET -MIO::Select -e '
	$SIG{PIPE} = "IGNORE";
	$| = 1;
	my ($port, $n, $secs) = @ARGV;
	my @s = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1",
	    PeerPort => $port) or die "connect: $!\n" } 1 .. $n;
	syswrite($_, "GET /metrics HTTP/1.1\r\nHost: x\r\n") for @s;
	print "connected $n\n";
	my @open = (1) x $n;
	for my $t (1 .. $secs) {
		sleep 1;
		for my $i (0 .. $n - 1) {
			next unless $open[$i];
			if (IO::Select->new($s[$i])->can_read(0) &&
			    !sysread($s[$i], my $b, 4096)) {
				$open[$i] = 0;
				print "closed $i after $t s\n";
				next;
			}
			syswrite($s[$i], "X");
		}
	}
' "$PORT" $((CAP + 10)) 60 > "$T/trickle.log" 2>&1 &
TR=$!
KT_EXTRA_CLEANUP="kill $TR 2>/dev/null; wait $TR 2>/dev/null"
wait_for 10 grep -q '^connected' "$T/trickle.log" ||
    fail "trickling clients did not connect: $(cat "$T/trickle.log")"
wait_for 10 fds_at_least $((base + CAP / 2)) ||
    fail "the daemon took no trickling clients"
for i in 1 2 3 4 5; do
	n=$(nfds)
	[ "$n" -le $((base + CAP + 2)) ] ||
	    fail "$n descriptors open with $((CAP + 10)) clients; $base before"
	sleep 0.5
done
ok "no more than $CAP metrics connections at once"
wait_for 40 grep -q '^closed' "$T/trickle.log" ||
    fail "a client trickling its request was never cut off"
curl -sf -m 60 -o /dev/null "$URL" || fail "no scrape after trickling clients"
kill "$TR"
wait "$TR"
KT_EXTRA_CLEANUP=
ok "a request trickled a byte a second is cut off, and scrapes follow"

# metrics.listen "" turns it off; a port in use is logged, the daemon runs.
kt_stop
printf '{"metrics": {"listen": ""}}\n' > "$T/off.json"
kt_start --root "$ROOT" -c "$T/off.json"
kt_log_has "metrics on" && fail "metrics served with an empty listen"
kt_stop
printf '{"metrics": {"listen": "127.0.0.1:%s"}}\n' "$PORT" > "$T/conf.json"
kt_start --root "$ROOT" -c "$T/conf.json"
KT_PID2=$KT_PID
KT_PID=
printf '{"metrics": {"listen": "127.0.0.1:%s"}}\n' "$PORT" > "$T/conf2.json"
mkdir -p "$T/run2"
"$KTD" -f --socket "$T/run2/s.sock" --root "$ROOT" -c "$T/conf2.json" > "$T/d2.log" 2>&1 &
D2=$!
wait_for 5 grep -q started "$T/d2.log" || fail "second daemon did not start"
KT_EXTRA_CLEANUP="kill $D2 2>/dev/null; wait $D2 2>/dev/null"
grep -q "cannot listen, metrics are off" "$T/d2.log" || fail "port in use not reported"
KT_PID=$KT_PID2
kt_stop
ok "empty listen turns metrics off; a port in use is reported and the daemon runs"

# Once the port is free the second daemon listens on it.
RETRY=$(metrics_const LISTEN_RETRY_SECS)
[ -n "$RETRY" ] || fail "no LISTEN_RETRY_SECS in src/views/metrics.c"
wait_for $((3 * RETRY)) grep -q "metrics on http://127.0.0.1:$PORT/" \
    "$T/d2.log" ||
    { cat "$T/d2.log"; fail "the freed port was not listened on"; }
curl -sf -m 10 -o /dev/null "$URL" || fail "no scrape from the second daemon"
assert_eq "failures to listen logged" 1 "$(grep -c 'cannot listen' "$T/d2.log")"
kill "$D2"
wait "$D2"
KT_EXTRA_CLEANUP=
ok "a port in use is listened on once it is free, one warning before"

# The Grafana board only uses metrics the daemon exports.
for name in $(grep -o 'ksm_throttler_[a-z_]*' "$top_srcdir/contrib/grafana/ksm-throttler-dashboard.json" | sort -u); do
	grep -q "\"$name\"" "$top_srcdir/src/views/metrics.c" ||
	    fail "the Grafana dashboard uses $name, which src/views/metrics.c does not export"
done
ok "every metric on the Grafana dashboard is exported"
