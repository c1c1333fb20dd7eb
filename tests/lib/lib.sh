# SPDX-License-Identifier: Apache-2.0
# Shared by the integration and kernel tests: a private run directory and
# socket, the real daemon started and stopped, and small assertions.
# Each test sources this file, calls kt_setup, and exits 0 (pass), 1 (fail)
# or 77 (skip, with the reason printed).

set -u

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)/_build}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
KTD="$top_builddir/src/ksm-throttlerd"
KTCTL="$top_builddir/src/ksm-throttlerctl"
KT_PID=
KT_TESTNO=0
# Every time limit is multiplied by this: make check-valgrind sets it, as
# the daemon runs some ten times slower there.
KT_SLOW=${KT_SLOW:-1}

fail() { echo "not ok - $*" >&2; [ -n "${T:-}" ] && [ -f "$T/daemon.log" ] && \
	{ echo "--- daemon log:" >&2; tail -n 40 "$T/daemon.log" >&2; }; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
ok() { KT_TESTNO=$((KT_TESTNO + 1)); echo "ok $KT_TESTNO - $*"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $((limit * 20 * KT_SLOW)) ] && return 1
		sleep 0.05
	done
}

# Whatever the test's verdict, a checker's report fails it.
kt_cleanup() {
	local rc=$?
	kt_kill
	[ -n "${KT_EXTRA_CLEANUP:-}" ] && eval "$KT_EXTRA_CLEANUP"
	kt_reports || rc=1
	[ -n "${T:-}" ] && [ -z "${KT_KEEP:-}" ] && rm -rf "$T"
	exit $rc
}

# Checkers: every program a test runs reports to $KT_REPORTS, whether it
# was stopped cleanly, killed or run in passing.  The sanitizers of an
# --enable-asan build (ASan, its LeakSanitizer at exit, UBSan) are told
# where here; $KT_CHECKER (make check-valgrind: valgrind) is a command
# that every run of ksm-throttlerd and ksm-throttlerctl goes through,
# logging there itself.  World-writable: some tests run the client as
# another uid.
kt_checkers() {
	KT_REPORTS="$T/reports"
	mkdir -m 1777 "$KT_REPORTS"
	export KT_REPORTS
	local asan="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1"
	local ubsan="halt_on_error=1:print_stacktrace=1"
	# Options already in the environment come last, and so win.
	export ASAN_OPTIONS="log_path=$KT_REPORTS/san:$asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="log_path=$KT_REPORTS/san:$ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	[ -n "${KT_CHECKER:-}" ] || return 0
	mkdir -p "$T/bin"
	KTD=$(kt_checked "$KTD")
	KTCTL=$(kt_checked "$KTCTL")
}

# kt_checked PROGRAM: a script of the same name that runs it under
# $KT_CHECKER, and its path.
kt_checked() {
	local s="$T/bin/${1##*/}"
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$KT_CHECKER" "$1" > "$s"
	chmod 755 "$s"
	echo "$s"
}

# kt_reports: print every checker's report; false if there was one.
kt_reports() {
	local f found=
	[ -n "${KT_REPORTS:-}" ] || return 0
	for f in "$KT_REPORTS"/*; do
		[ -s "$f" ] || continue
		echo "not ok - ${f##*/}: a checker reported:" >&2
		cat "$f" >&2
		found=1
	done
	[ -z "$found" ]
}

kt_setup() {
	T=$(mktemp -d /tmp/kt-test.XXXXXX)
	ROOT="$T/root"
	SOCK="$T/run/ksm-throttler.sock"
	mkdir -p "$ROOT" "$T/run"
	trap kt_cleanup EXIT
	[ -x "$KTD" ] || fail "$KTD not built"
	kt_checkers
}

# kt_start [daemon options...]: start in the foreground, wait until ready.
# KT_VERBOSE= (empty) starts it without -v: no debug line per event.
kt_start() {
	: > "$T/daemon.log"
	${KT_WRAPPER:-} "$KTD" -f ${KT_VERBOSE--v} --socket "$SOCK" "$@" \
	    >>"$T/daemon.log" 2>&1 9>&- &
	KT_PID=$!
	# The daemon's own last start-up line, not an engine's "started".
	wait_for 10 grep -qE "ksm-throttlerd [^ ]+ started" "$T/daemon.log" ||
	    fail "daemon did not start"
}

kt_alive() { [ -n "$KT_PID" ] && kill -0 "$KT_PID" 2>/dev/null; }

# kt_stop: SIGTERM, and the daemon must exit 0 within 10 seconds.
kt_stop() {
	local rc
	kt_alive || fail "daemon died before it was stopped"
	kill -TERM "$KT_PID"
	wait "$KT_PID"
	rc=$?
	KT_PID=
	assert_eq "daemon exit status" 0 "$rc"
}

kt_kill() {
	[ -n "$KT_PID" ] || return 0
	kill -KILL "$KT_PID" 2>/dev/null
	wait "$KT_PID" 2>/dev/null
	KT_PID=
}

# kt_log_has PATTERN: the daemon logged a line matching PATTERN.
kt_log_has() { grep -qE "$1" "$T/daemon.log"; }
# kt_log_count PATTERN: how many lines of the daemon's log match it.
kt_log_count() { grep -cE "$1" "$T/daemon.log"; }
# kt_fake_knobs: run, pages_to_scan and sleep_millisecs of the fake tree.
kt_fake_knobs() {
	local k="$ROOT/sys/kernel/mm/ksm"
	echo "$(cat "$k/run") $(cat "$k/pages_to_scan") $(cat "$k/sleep_millisecs")"
}

# Real-kernel KSM tests: skip unless root with a writable KSM, serialise
# with every other test run that touches /sys/kernel/mm/ksm, and put the
# host's knobs back however the test ends.
KSMD=/sys/kernel/mm/ksm
KT_KNOBS="run pages_to_scan sleep_millisecs advisor_mode advisor_max_cpu advisor_target_scan_time"
ksm_knob() { sed -n 's/.*\[\(.*\)\].*/\1/p;t;p' "$KSMD/$1"; }
ksm_knobs() {
	local k
	for k in $KT_KNOBS; do
		[ -e "$KSMD/$k" ] && printf '%s=%s ' "$k" "$(ksm_knob "$k")"
	done
	echo
}
kt_ksm_real() {
	[ "$(id -u)" = 0 ] || skip "needs root to write $KSMD"
	[ -w "$KSMD/run" ] || skip "$KSMD/run is not writable (no CONFIG_KSM, or read-only sysfs)"
	exec 9>/run/lock/ksm-throttler-tests.lock
	flock 9
	KT_HOST_KNOBS=$(ksm_knobs)
	KT_EXTRA_CLEANUP='ksm_put_back'
}
ksm_put_back() {
	local kv
	echo none > "$KSMD/advisor_mode" 2>/dev/null
	for kv in $KT_HOST_KNOBS; do
		case ${kv%%=*} in run|advisor_mode) continue ;; esac
		echo "${kv#*=}" > "$KSMD/${kv%%=*}" 2>/dev/null
	done
	for kv in $KT_HOST_KNOBS; do
		case ${kv%%=*} in advisor_mode) echo "${kv#*=}" > "$KSMD/advisor_mode" ;; esac
	done
	for kv in $KT_HOST_KNOBS; do
		case ${kv%%=*} in run) echo "${kv#*=}" > "$KSMD/run" ;; esac
	done
}

# kt_port: a TCP port on loopback nobody listens on now, below the
# kernel's ephemeral range (32768 up by default), so that no client's
# connection elsewhere can take it before the daemon binds it.
kt_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# kt_notify_listen: a datagram socket standing in for systemd's at $NS,
# each message one line in $T/notify.log; its pid in $LISTENER.
kt_notify_listen() {
	NS="$T/notify.sock"
	perl -MIO::Socket::UNIX -e '
		$| = 1;
		my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM(),
		    Local => $ARGV[0]) or die "notify socket: $!";
		while (defined $s->recv(my $m, 4096)) {
			$m =~ s/\n/ /g;
			print "$m\n";
		}
	' "$NS" > "$T/notify.log" 2>&1 &
	LISTENER=$!
	wait_for 5 test -S "$NS" || fail "notify listener did not start"
}

# kt_no_valgrind REASON: skip a test that cannot mean anything under
# valgrind (make check-valgrind); it still runs plain and under ASan.
kt_no_valgrind() {
	case ${KT_CHECKER:-} in
	valgrind*) skip "not under valgrind: $*" ;;
	esac
}

# Fake cgroup v2 trees for the memcg tests, below $ROOT.
MIB=1048576
PSI0='some avg10=0.00 avg60=0.00 avg300=0.00 total=0
full avg10=0.00 avg60=0.00 avg300=0.00 total=0'
# kt_v2cg PATH INACTIVE_FILE_MIB: a cgroup holding that much page cache,
# all of it inactive, no pressure.
kt_v2cg() {
	local d="$ROOT/sys/fs/cgroup$1"
	mkdir -p "$d"
	printf 'anon 4096\nfile %s\ninactive_anon 0\nactive_anon 4096\ninactive_file %s\nactive_file 0\n' \
	    $(($2 * MIB)) $(($2 * MIB)) > "$d/memory.stat"
	echo $(($2 * MIB + 4096)) > "$d/memory.current"
	echo max > "$d/memory.max"
	echo max > "$d/memory.swap.max"
	echo "$PSI0" > "$d/memory.pressure"
	echo "$PSI0" > "$d/io.pressure"
	: > "$d/memory.reclaim"
}

# kt_sanitized: the build is --enable-asan, so its memory figures are the
# sanitizers' (shadow memory, quarantine), not the daemon's.
kt_sanitized() {
	grep -q '^SAN_CFLAGS = .*-fsanitize' "$top_builddir/Makefile" 2>/dev/null
}
