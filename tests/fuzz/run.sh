#!/bin/bash
# tests/fuzz/run.sh [SECONDS] [TARGET...]: build every libFuzzer target
# with clang, ASan and UBSan, and run each for SECONDS (default 60) over
# its seed corpus in tests/fuzz/corpus/TARGET.  A crash fails the run
# and leaves its input in the work directory, to become a regression
# test in tests/fuzz/regress/TARGET/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
build=${FUZZ_BUILD:-$top/_build-fuzz}
mkdir -p "$build"
cd "$build"

# The proto code, generated as the build does.
mkdir -p proto
protoc-c -I"$top/proto" --c_out=proto "$top/proto/ksm-throttler.proto"
printf '#define PACKAGE_VERSION "fuzz"\n#define KT_RUNDIR "/tmp"\n#define _GNU_SOURCE 1\n' > config.h

CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
-I. -Iproto -I$top/src -I$top/inputs $(pkg-config --cflags libevent libprotobuf-c libcjson)"
LIBS="$(pkg-config --libs libevent libprotobuf-c libcjson)"
# Everything but the programs' main().
srcs=$(ls "$top"/src/*.c "$top"/inputs/*.c 2>/dev/null |
    grep -v -e ksm-throttlerd.c -e ksm-throttlerctl.c) 
targets=${*:-$(cd "$here" && ls fuzz-*.c | sed 's/\.c$//')}
rc=0
for t in $targets; do
	clang $CFLAGS -include config.h -o "$t" "$here/$t.c" $srcs proto/*.c $LIBS
	corpus="$here/corpus/${t#fuzz-}"
	mkdir -p "work-$t"
	# Regression inputs first: each must run clean.
	if [ -d "$here/regress/${t#fuzz-}" ]; then
		./"$t" "$here/regress/${t#fuzz-}"/* >/dev/null 2>&1 ||
		    { echo "$t: a regression input crashes again"; rc=1; }
	fi
	echo "== $t: ${secs}s"
	if ./"$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
	    -artifact_prefix="work-$t/" "work-$t" "$corpus" > "$t.log" 2>&1; then
		grep -E '^(#[0-9]+.*DONE|Done [0-9]+ runs)' "$t.log" | tail -1
	else
		rc=1
		echo "$t: CRASH, input in $build/work-$t/; log: $build/$t.log"
		grep -m5 -E 'ERROR|runtime error' "$t.log"
	fi
done
exit $rc
