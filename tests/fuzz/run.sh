#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/run.sh [SECONDS] [TARGET...]: build every libFuzzer target,
# tests/fuzz/fuzz-NAME.c, with clang, ASan and UBSan, and run each for
# SECONDS (default 60) over its seed corpus, tests/fuzz/corpus/NAME, at
# most FUZZ_JOBS (default: the number of CPUs) at once.  Each first runs
# its regression inputs, tests/fuzz/regress/NAME/*, which must run clean.
#
# In the build directory (FUZZ_BUILD, default _build-fuzz/) each target
# leaves TARGET.log and TARGET.trs, an automake test result that
# tests/lib/summary.sh counts, and work-TARGET/, the corpus it grew and the
# input of any crash, which becomes a regression input once fixed.
# fuzz-summary.txt has one line per target: the seconds it ran, its
# executions, its corpus and the coverage it reached.
#
# Exit: 0; 1 when a target failed; 77 when clang cannot build fuzzers.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-$(cd "$here" && ls fuzz-*.c | sed 's/\.c$//')}
jobs=${FUZZ_JOBS:-$(nproc)}
build=${FUZZ_BUILD:-$top/_build-fuzz}
mkdir -p "$build/obj" "$build/proto"
cd "$build" || exit 1
# The results of this run only (of a target since removed, too).
[ $# -eq 0 ] && rm -f fuzz-*.trs fuzz-*.log fuzz-*.result
for t in $targets; do
	rm -f "$t" "$t.log" "$t.trs" "$t.result"
done
rm -f fuzz-summary.txt

# trs TARGET RESULT: the target's result where automake would put it,
# and its line of fuzz-summary.txt from the figures in its log.
trs() {
	printf ':test-result: %s\n:global-test-result: %s\n:recheck: no\n:copy-in-global-log: no\n' \
	    "$2" "$2" > "$1.trs"
	# "Done 123 runs in 61 second(s)"; "#123 DONE cov: 4 ft: 5 corp: 6/7b ..."
	awk -v t="$1" -v r="$2" '
	    BEGIN { s = runs = corp = cov = "-" }
	    /^Done [0-9]+ runs in/ { runs = $2; s = $5 }
	    /DONE +cov:/ { for (i = 1; i < NF; i++) {
		if ($i == "cov:") cov = $(i + 1)
		if ($i == "corp:") { split($(i + 1), c, "/"); corp = c[1] } } }
	    END { printf "%-20s %-6s %7s %12s %7s %6s\n", t, r, s, runs, corp, cov }' \
	    "$1.log" > "$1.result"
}

# skip_all REASON: every target skips, saying why.
skip_all() {
	echo "SKIP: $1"
	for t in $targets; do
		echo "SKIP: $1" > "$t.log"
		trs "$t" SKIP
	done
	exit 77
}

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 $SAN -I. -Iproto $(for d in "$top"/src/*/ "$top"/inputs; do printf -- "-I%s " "$d"; done)
$(pkg-config --cflags libevent libprotobuf-c libcjson)"
LIBS="$(pkg-config --libs libevent libprotobuf-c libcjson)"

command -v clang >/dev/null || skip_all "clang not installed"
echo 'int LLVMFuzzerTestOneInput(const char *p, unsigned long n) { return 0; }' \
    > probe.c
clang -fsanitize=fuzzer $SAN -o probe probe.c >/dev/null 2>&1 ||
    skip_all "clang cannot link -fsanitize=fuzzer (Debian: libclang-rt-14-dev)"

# ---- build: every source but the programs' main(), once -------------
build_objs() {
	local srcs

	protoc-c -I"$top/proto" --c_out=proto "$top/proto/ksm-throttler.proto" ||
	    return 1
	printf '#define PACKAGE_VERSION "fuzz"\n#define KT_RUNDIR "/tmp"\n#define _GNU_SOURCE 1\n' \
	    > config.h
	# The libvirt input is built where libvirt is; nothing here parses
	# what it reads (libvirt does), so it is left out.
	srcs=$(ls "$top"/src/*/*.c "$top"/inputs/*.c proto/*.c |
	    grep -v -e /input-libvirt.c -e /libvirt-loop.c)
	rm -f obj/*.o
	echo "$srcs" | xargs -P "$jobs" -I{} sh -c 'clang $0 \
	    -fsanitize=fuzzer-no-link -include config.h -c "{}" \
	    -o "obj/$(basename "{}" .c).o"' "$CFLAGS"
}
if ! build_objs > build.log 2>&1; then
	echo "fuzz: the sources do not build (log: $build/build.log):"
	grep -m10 -E 'error|Error' build.log | sed 's/^/    /'
	for t in $targets; do
		cp build.log "$t.log"
		trs "$t" FAIL
	done
	exit 1
fi

# ---- run one target: regression inputs, then SECONDS of fuzzing -------
fuzz_one() {
	local t=$1 name=${1#fuzz-} r
	local regress=$here/regress/$name corpus=$here/corpus/$name
	mkdir -p "work-$t"
	if ! clang $CFLAGS -fsanitize=fuzzer -include config.h -o "$t" \
	    "$here/$t.c" obj/*.o $LIBS > "$t.log" 2>&1; then
		echo "$t: does not build; see $build/$t.log"
		trs "$t" FAIL
		return
	fi
	if [ -n "$(ls "$regress" 2>/dev/null)" ] &&
	    ! ./"$t" -artifact_prefix="work-$t/" "$regress"/* >> "$t.log" 2>&1; then
		echo "$t: a regression input fails again:" \
		    "$(sed -n 's/^Running: //p' "$t.log" | tail -1)"
		grep -m5 -E 'ERROR|runtime error|SUMMARY' "$t.log" | sed 's/^/    /'
		trs "$t" FAIL
		return
	fi
	[ -d "$corpus" ] || corpus=
	./"$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="work-$t/" \
	    "work-$t" $corpus >> "$t.log" 2>&1
	r=$?
	if [ $r -ne 0 ]; then
		echo "$t: CRASH on $build/$(sed -n \
		    's/.*Test unit written to \([^ ]*\).*/\1/p' "$t.log" | tail -1)"
		grep -m5 -E 'ERROR|runtime error|SUMMARY' "$t.log" | sed 's/^/    /'
		echo "    (log: $build/$t.log)"
		trs "$t" FAIL
		return
	fi
	trs "$t" PASS
}

echo "fuzz: ${secs} s per target, $jobs at once: $(echo $targets)"
running=0
for t in $targets; do
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	fuzz_one "$t" &
	running=$((running + 1))
done
wait

{
	printf '%-20s %-6s %7s %12s %7s %6s\n' target result seconds execs \
	    corpus cov
	for t in $targets; do
		[ -s "$t.result" ] && cat "$t.result"
	done
} > fuzz-summary.txt
cat fuzz-summary.txt
for t in $targets; do
	grep -q '^:test-result: PASS' "$t.trs" 2>/dev/null || exit 1
done
exit 0
