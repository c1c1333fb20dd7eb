#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Descriptors.  Every one the daemon holds, once every engine, the
# metrics listener and the inotify input run and clients are connected,
# is close-on-exec.  The children that carry out slow kernel writes (a
# compaction, a cgroup reclaim) hold only stdin, stdout, stderr, the root
# directory their path is opened below and their end of the result pipe:
# none of the daemon's sockets, clients, pid file or the other child's
# pipe.  The writes block here on FIFOs, so the children can be looked at.
. "$top_srcdir/tests/lib/lib.sh" || exit 99
kt_no_valgrind "valgrind holds descriptors of its own in the daemon and its children"
kt_setup
"$top_srcdir/tests/lib/fake-root.sh" "$ROOT"
command -v perl >/dev/null || skip "perl is not installed"
P="$ROOT/proc"
V2="$ROOT/sys/fs/cgroup"

# The compaction engine, forced every second; compact_memory a FIFO.
rm "$P/sys/vm/compact_memory"
mkfifo "$P/sys/vm/compact_memory"
# The memcg engine on cgroup v2; /vms/a's memory.reclaim a FIFO.
echo "cpu io memory pids" > "$V2/cgroup.controllers"
: > "$V2/memory.reclaim"
mkdir -p "$V2/vms/a"
printf 'anon 0\nfile 10485760\ninactive_anon 0\nactive_anon 0\ninactive_file 10485760\nactive_file 0\n' \
    > "$V2/vms/a/memory.stat"
echo 10489856 > "$V2/vms/a/memory.current"
echo max > "$V2/vms/a/memory.max"
echo "$PSI0" > "$V2/vms/a/memory.pressure"
echo "$PSI0" > "$V2/vms/a/io.pressure"
mkfifo "$V2/vms/a/memory.reclaim"
# The inotify input's default directory.
mkdir -p "$ROOT/run/vc/sbs"
PORT=$(kt_port)
cat > "$T/conf.json" <<JSON
{ "compact": { "period_secs": 1, "compact_force_times": 0 },
  "memcg": { "period_secs": 1, "eviction_run_aging_count_min": 0,
    "cgroups": ["/vms/*"] },
  "metrics": { "listen": "127.0.0.1:$PORT" } }
JSON

# The daemon starts with stdin, stdout and stderr alone, so that every
# other descriptor it has is its own.
alone() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	exec "$@"
}
CLIENT=
KT_EXTRA_CLEANUP='[ -n "$CLIENT" ] && kill $CLIENT 2>/dev/null; exec 3>&-'
KT_WRAPPER=alone kt_start --root "$ROOT" -c "$T/conf.json"
kt_log_has "inotify: watching /run/vc/sbs" || fail "inotify input not started"
kt_log_has "metrics on http://127.0.0.1:$PORT/metrics" || fail "metrics not started"
wait_for 10 kt_log_has "compact: writing 1 to /proc/sys/vm/compact_memory" ||
    fail "no compaction started"
wait_for 10 kt_log_has "/vms/a: memory.reclaim: " || fail "no reclaim started"

# children: the daemon's child processes, once both writes are blocked.
children() { cat /proc/"$KT_PID"/task/*/children; }
two() { [ "$(children | wc -w)" = 2 ]; }
wait_for 10 two || fail "children of the daemon: '$(children)', wanted two"

# link PID FD: what a descriptor refers to; flags PID FD: its open flags.
link() { readlink "/proc/$1/fd/$2"; }
flags() { awk '$1 == "flags:" { print $2 }' "/proc/$1/fdinfo/$2"; }
fds() { ls "/proc/$1/fd" | sort -n | tr '\n' ' '; }

# check_children: each child holds 0, 1, 2, the root and its pipe alone.
check_children() {
local c fd root pipe n what
for c in $(children); do
	root= pipe= n=0
	for fd in $(fds "$c"); do
		n=$((n + 1))
		what=$(link "$c" "$fd")
		case $fd:$what in
		0:*|1:*|2:*)
			assert_eq "child $c fd $fd" "$(link "$KT_PID" "$fd")" "$what" ;;
		*:"$ROOT")
			root=$fd
			assert_eq "child $c root fd" "$(link "$KT_PID" "$fd")" "$what" ;;
		*:pipe:*)
			pipe=$fd
			# Write-only, and the daemon reads its other end.
			assert_eq "child $c pipe access mode" 1 $(( 8#$(flags "$c" "$fd") & 3 ))
			ls -l /proc/"$KT_PID"/fd | grep -qF -- "-> $what" ||
			    fail "child $c: $what is not a pipe the daemon reads" ;;
		*)
			fail "child $c holds fd $fd -> $what: $(ls -l /proc/"$c"/fd)" ;;
		esac
	done
	[ -n "$root" ] && [ -n "$pipe" ] && [ $n = 5 ] ||
	    fail "child $c: fds $(fds "$c"), wanted 0 1 2, the root and a pipe"
done
}
check_children
ok "each writer child holds 0, 1, 2, the root directory and its own pipe, nothing else"

# A control client and a metrics client, connected while the daemon is
# looked at.
perl -MIO::Socket::UNIX -e '
	my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
	sleep 30' "$SOCK" 3>&- &
CLIENT=$!
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
sockets() { [ "$(ls -l /proc/"$KT_PID"/fd | grep -c 'socket:')" -ge 4 ]; }
wait_for 10 sockets || fail "not 4 sockets (2 listeners, 2 clients): $(ls -l /proc/"$KT_PID"/fd)"
kinds=
for fd in $(fds "$KT_PID"); do
	[ "$fd" -gt 2 ] || continue
	what=$(link "$KT_PID" "$fd")
	f=$(flags "$KT_PID" "$fd")
	(( 8#$f & 8#2000000 )) || fail "fd $fd -> $what lacks O_CLOEXEC (flags $f)"
	case $what in socket:*|pipe:*) what=${what%%:*} ;; esac
	kinds="$kinds $what"
done
for want in anon_inode:inotify 'anon_inode:[eventpoll]' socket pipe "$ROOT" \
    "$T/run" "$T/run/ksm-throttlerd.pid"; do
	case " $kinds " in *" $want "*) ;; *) fail "no $want among the daemon's fds:$kinds" ;; esac
done
ok "every fd of the daemon above 2 is close-on-exec: $(echo $kinds | wc -w) fds," \
    "$(echo " $kinds" | grep -o ' socket' | wc -l) sockets, $(echo " $kinds" | grep -o ' pipe' | wc -l) pipes"

exec 3>&-
kill $CLIENT; wait $CLIENT 2>/dev/null; CLIENT=
kt_stop

# The same without close_range(2) (before Linux 5.9, or a seccomp filter
# that predates it): the children close what /proc/self/fd lists.
INJECT="$top_builddir/tests/lib/fault-inject.so"
# (An --enable-asan build wants its runtime first: it is told not to mind.)
KT_WRAPPER="alone env LD_PRELOAD=$INJECT KT_FAULT_CLOSE_RANGE=ENOSYS
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
    kt_start --root "$ROOT" -c "$T/conf.json"
wait_for 10 kt_log_has "compact: writing 1 to /proc/sys/vm/compact_memory" ||
    fail "no compaction started without close_range"
wait_for 10 kt_log_has "/vms/a: memory.reclaim: " || fail "no reclaim started without close_range"
wait_for 10 two || fail "children of the daemon: '$(children)', wanted two"
check_children
kt_stop
ok "without close_range, each writer child holds the same descriptors alone"
