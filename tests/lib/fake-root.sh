#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fake-root.sh DIR: a fake /sys and /proc with what ksm-throttlerd reads,
# values as a freshly booted 6.x host shows them.
set -eu
R=$1
K=$R/sys/kernel/mm/ksm
mkdir -p "$K" "$R/proc/pressure" "$R/proc/1" "$R/proc/42" \
    "$R/proc/sys/vm" "$R/sys/fs/cgroup"
for f in pages_shared pages_sharing pages_unshared pages_volatile \
    pages_skipped pages_scanned full_scans general_profit ksm_zero_pages \
    stable_node_chains stable_node_dups; do
	echo 0 > "$K/$f"
done
echo 0 > "$K/run"
echo 100 > "$K/pages_to_scan"
echo 20 > "$K/sleep_millisecs"
echo 0 > "$K/use_zero_pages"
echo 256 > "$K/max_page_sharing"
echo 1 > "$K/merge_across_nodes"
echo 2000 > "$K/stable_node_chains_prune_millisecs"
echo 1 > "$K/smart_scan"
echo "[none] scan-time" > "$K/advisor_mode"
echo 70 > "$K/advisor_max_cpu"
echo 500 > "$K/advisor_min_pages_to_scan"
echo 30000 > "$K/advisor_max_pages_to_scan"
echo 200 > "$K/advisor_target_scan_time"
echo init > "$R/proc/1/comm"
echo "1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 1 0 2 0 0" \
    > "$R/proc/1/stat"
echo ksmd > "$R/proc/42/comm"
echo "42 (ksmd) S 2 0 0 0 -1 2129984 0 0 0 0 150 50 0 0 25 5 1 0 30 0 0" \
    > "$R/proc/42/stat"
for p in memory io cpu; do
	printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
	    > "$R/proc/pressure/$p"
done
# Memory as the compact engine reads it: one node, little fragmentation.
printf 'MemTotal:        8000000 kB\nMemFree:         6000000 kB\nMemAvailable:    6500000 kB\nAnonPages:        500000 kB\n' \
    > "$R/proc/meminfo"
: > "$R/proc/sys/vm/compact_memory"
{
	printf 'Page block order: 9\nPages per block:  512\n\n'
	printf 'Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 \n'
	for t in Unmovable Movable Reclaimable HighAtomic Isolate; do
		printf 'Node    0, zone   Normal, type %12s     10      0      0      0      0      0      0      0      0      0     50 \n' "$t"
	done
} > "$R/proc/pagetypeinfo"
