#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The benchmark end to end in about five minutes: the default timeline
# shrunk (--quick) for the oracle, ksm-throttler, a variant of it with
# another pace_factor and the same daemon run as a baseline, then the
# JSON checked (every row, the oracle's CPU its own floor, each guest's
# fill time, the targets judged), the tables
# printed again from it (--report), and the host's KSM knobs checked to
# be what they were.  Root; exit 77 without.
# Usage: smoke.sh BUILDDIR [more ksm-bench.py options]
set -u
here=$(cd "$(dirname "$0")" && pwd)
builddir=${1:-_build}
shift
ksm=/sys/kernel/mm/ksm
knobs() {
	local k
	for k in run pages_to_scan sleep_millisecs use_zero_pages advisor_mode; do
		[ -e "$ksm/$k" ] && echo "$k=$(cat "$ksm/$k")"
	done
}
if [ "$(id -u)" != 0 ] || [ ! -w "$ksm/run" ]; then
	echo "SKIP: needs root and a writable $ksm"
	exit 77
fi
out=$(mktemp -d /tmp/kt-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT
lock=/run/lock/ksm-throttler-tests.lock
# Read under the test lock: a kernel test may be moving them.
locked_knobs() {
	exec 9> "$lock"
	flock 9
	knobs
	exec 9>&-
}
before=$(locked_knobs)
python3 "$here/ksm-bench.py" --builddir "$builddir" --quick \
    --timeline default \
    --only oracle,ksm-throttler,ksm-throttler-pace-4,ksm-throttler-baseline \
    --variant 'pace 4={"ksm": {"pace_factor": 4}}' \
    --baseline "$builddir/src/ksm-throttlerd" \
    --json "$out/bench.json" "$@" || { echo "FAIL: ksm-bench.py: $?"; exit 1; }
after=$(locked_knobs)
[ "$before" = "$after" ] || {
	echo "FAIL: KSM knobs not put back:"; diff <(echo "$before") <(echo "$after")
	exit 1
}
python3 - "$out/bench.json" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))["timelines"]["default"]
r = d["results"]
assert set(r) == {"oracle", "ksm-throttler", "ksm-throttler (pace 4)",
                  "ksm-throttler (baseline)"}, r.keys()
assert r["oracle"]["vs_oracle"]["cpu_per_wave"] == [1.0, 1.0], r["oracle"]
assert all(w["plateau_pages"] > 0 for w in r["oracle"]["waves"]), r["oracle"]
assert all(w["latency_s"] is not None for w in r["oracle"]["waves"])
assert [x[2] for x in d["writes"]["oracle"]].count("filled") == 4
assert len(d["fills"]["oracle"]) == 4, d["fills"]
assert all(w["fill_s"] > 0 for w in r["oracle"]["waves"]), r["oracle"]
assert d["targets"]["ksm-throttler"], d["targets"]
assert d["targets"]["ksm-throttler (pace 4)"], d["targets"]
assert d["targets"]["ksm-throttler (baseline)"], d["targets"]
PY
again=$(python3 "$here/ksm-bench.py" --report "$out/bench.json") &&
    grep -q '^| ksm-throttler (pace 4) |' <<< "$again" &&
    grep -q '^| ksmd CPU per wave <= 1.3x' <<< "$again" ||
    { echo "FAIL: --report: $again"; exit 1; }
echo "PASS: bench smoke"
