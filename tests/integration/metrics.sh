#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Prometheus endpoint: real scrapes, `promtool check metrics`, values
# equal to the fake sysfs, bad HTTP requests answered with errors, slow
# clients unable to stall the loop, and a real Prometheus server scraping.
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

curl -sf "$URL" > "$T/m1" || fail "scrape failed"
grep -qx 'ksm_throttler_ksm_pages_sharing 1234' "$T/m1" || fail "pages_sharing not 1234"
grep -qx 'ksm_throttler_ksm_pages_shared 56' "$T/m1" || fail "pages_shared not 56"
grep -qx 'ksm_throttler_ksm_full_scans_total 77' "$T/m1" || fail "full_scans_total not 77"
grep -qx 'ksm_throttler_ksm_general_profit_bytes -8192' "$T/m1" || fail "general_profit"
grep -qx 'ksm_throttler_ksmd_cpu_seconds_total 2' "$T/m1" || fail "ksmd cpu (200 ticks)"
grep -q '^ksm_throttler_policy_state{state="[a-z]*"} 1$' "$T/m1" || fail "policy state"
grep -q '^ksm_throttler_process_resident_bytes [1-9]' "$T/m1" || fail "daemon RSS"
ok "a scrape shows the fake sysfs values, policy state and the daemon's RSS"

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
else
	echo "# prometheus not installed: server scrape skipped"
fi

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
grep -q "cannot listen, metrics are off" "$T/d2.log" || fail "port in use not reported"
kill "$D2"; wait "$D2"
KT_PID=$KT_PID2
kt_stop
ok "empty listen turns metrics off; a port in use is reported and the daemon runs"

# The Grafana board only uses metrics the daemon exports.
for name in $(grep -o 'ksm_throttler_[a-z_]*' "$top_srcdir/contrib/grafana/ksm-throttler-dashboard.json" | sort -u); do
	grep -q "\"$name\"" "$top_srcdir/src/views/metrics.c" ||
	    fail "the Grafana dashboard uses $name, which src/views/metrics.c does not export"
done
ok "every metric on the Grafana dashboard is exported"
