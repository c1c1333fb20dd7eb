#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real kernel: fragment free memory (every other page of whole blocks,
# see fragment.c), let the daemon's compaction engine run, and see the
# free blocks of compact_order and above rise.  Then measure how fast SIGKILL stops a
# write to compact_memory, which is how the engine stops a compaction.
# Needs root; KSM is left alone (ksm.enabled false).
. "$top_srcdir/tests/lib/lib.sh"
kt_setup
[ "$(id -u)" = 0 ] || skip "needs root to write /proc/sys/vm/compact_memory"
[ -w /proc/sys/vm/compact_memory ] ||
    skip "/proc/sys/vm/compact_memory not writable (no CONFIG_COMPACTION?)"
[ -r /proc/pagetypeinfo ] || skip "/proc/pagetypeinfo not readable"
FRAGMENT="$top_builddir/tests/kernel/fragment"
[ -x "$FRAGMENT" ] || fail "$FRAGMENT not built"
# Not while another test fragments memory or runs ksmd flat out: the
# lock the KSM tests take too.
exec 9>/run/lock/ksm-throttler-tests.lock
flock 9

ORDER=9
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
MIB=2048
[ $((avail / 8)) -lt $MIB ] && MIB=$((avail / 8))
[ "$MIB" -ge 256 ] || skip "only $avail MiB available; the test needs 2 GiB or more"

# blocks: free blocks of 2^ORDER pages, a larger block counting as the
# ones it holds (">100000" is the kernel's cap on one list).
blocks() {
	awk -v o=$ORDER '$1 == "Node" && $5 == "type" {
		for (i = 7 + o; i <= NF; i++) { v = $i; sub(">", "", v); s += v * 2 ^ (i - 7 - o) }
	} END { print s + 0 }' /proc/pagetypeinfo
}

HOLDER=
holder_stop() {
	[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null && wait "$HOLDER" 2>/dev/null
	HOLDER=
}
KT_EXTRA_CLEANUP=holder_stop

# fragment: start a holder of MIB fragmented MiB; wait until it is ready.
# Nothing started here inherits the lock (fd 9).
fragment() {
	"$FRAGMENT" hold "$MIB" > "$T/holder.out" 2>&1 9>&- &
	HOLDER=$!
	wait_for 60 grep -q ready "$T/holder.out" ||
	    fail "fragment did not get ready: $(cat "$T/holder.out")"
}

# The PSI limits at their maximum: this host runs other tests meanwhile,
# and what is checked here is the kernel's answer, not the PSI gate (the
# fake-tree test checks that).
cat > "$T/conf.json" <<JSON
{ "ksm": { "enabled": false },
  "inputs": { "inotify": { "enabled": false } },
  "compact": { "period_secs": 1, "compact_force_times": 0,
               "compact_order": $ORDER, "period_psi_percent_limit": 100,
               "compact_psi_percent_limit": 100 } }
JSON

# What compaction achieves depends on the rest of the host, which other
# work keeps changing; five tries, each judged by the engine's own
# figures right before and after its first compaction.
for try in 1 2 3 4 5; do
	idle=$(blocks)
	fragment
	before=$(blocks)
	kt_start -c "$T/conf.json" 9>&-
	wait_for 60 kt_log_has "compact: [a-z_]* after [0-9.]* s: free blocks" ||
	    fail "no compaction within 60 s"
	kt_stop
	after=$(blocks)
	holder_stop
	line=$(grep -m1 -E "compact: [a-z_]* after" "$T/daemon.log")
	echo "# try $try: free order>=$ORDER blocks $idle;" \
	    "$(sed -n 's/^ready: \([0-9]*\) whole blocks.*/\1 blocks half freed/p' "$T/holder.out"):" \
	    "$before; daemon started, first run: ${line#* compact: }; daemon" \
	    "stopped: $after"
	run_before=$(echo "$line" | sed -n 's/.*: \([0-9]*\) -> \([0-9]*\)$/\1/p')
	run_after=$(echo "$line" | sed -n 's/.*: \([0-9]*\) -> \([0-9]*\)$/\2/p')
	case $line in *" completed after "*) ;; *) fail "first run did not complete: $line" ;; esac
	[ "$run_after" -gt "$run_before" ] && break
	[ $try = 5 ] && fail "free order-$ORDER blocks did not rise in five tries"
done
ok "compaction raised the free order>=$ORDER blocks from $run_before to $run_after (try $try)"

# SIGKILL against a compaction with work to do: fragment afresh for each
# try, kill the writer a little later each time it finished first.
lat=
for ms in 20 5 1 0; do
	fragment
	out=$("$FRAGMENT" kill-latency /proc/sys/vm/compact_memory $ms 9>&-)
	holder_stop
	echo "# kill-latency, SIGKILL after $ms ms: $out"
	case $out in killed*) lat=$(echo "$out" | sed -n 's/.*gone \([0-9.]*\) ms later/\1/p'); break ;; esac
done
if [ -z "$lat" ]; then
	ok "compaction always finished before the kill: latency not measured"
	exit 0
fi
awk -v l="$lat" 'BEGIN { exit !(l < 1000) }' || fail "SIGKILL took $lat ms to stop compact_memory"
ok "SIGKILL stops a running compact_memory write within $lat ms"
