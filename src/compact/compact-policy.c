/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compaction rules, as mem-agent (reference 001, and the code it
 * documents) defines them.  How we read them:
 *
 * - Each period ends with a check.  If the memory+io "some" stall share
 *   over the wait (from the end of the previous check or run to now)
 *   exceeds period_psi_percent_limit, nothing is done: not even a
 *   forced compaction runs on a host that is already stalling.
 * - Otherwise, once compact_force_times periods in a row have passed
 *   without a compaction, one is forced whatever the counts say
 *   (0: every period; 18446744073709551615: never).
 * - Otherwise the counts are compared with those taken right after the
 *   previous compaction (zero before the first one, so the first check
 *   compacts when more than compact_threshold fragments exist):
 *     - MemFree fell by more than compact_threshold pages: run.  The
 *       baseline was taken with more memory free; allocations since
 *       have eaten into it, so "fragments grew" no longer measures
 *       fragmentation and a compaction resets the baseline.  (001 says
 *       "decreased by compact_threshold"; mem-agent compares strictly,
 *       as the fragment rule's "more than" does.)
 *     - Free movable pages in blocks below compact_order grew by more
 *       than compact_threshold pages: run.  That growth is what reclaim
 *       and KSM gave back in pieces, and what compaction can gather.
 *     - Else skip: there are not enough new fragments to pay for it.
 *   (001's paragraph on compact_threshold runs its clauses together and
 *   ends with the skip case; mem-agent's code and its comment on the
 *   key settle the reading above.)
 * - While a compaction runs, each second's stall share is checked: above
 *   compact_psi_percent_limit it is stopped; and it is stopped once it
 *   has run compact_sec_max seconds.  001 says "bigger than"; mem-agent
 *   kills it after compact_sec_max one-second waits, which is this.  The
 *   engine counts a run's seconds in ticks of its one-second timer, which
 *   lands on whole seconds of the run whatever the clocks' granularity.
 *
 * "Exceeds" is a strict comparison of the exact share: 1.5 % exceeds a
 * limit of 1.  A skipped period (PSI or threshold) counts towards the
 * forced compaction; any compaction, even a stopped one, resets it.
 */
#include "config.h"

#include <stdint.h>

#include "compact-policy.h"
#include "psi.h"

#define USEC_PER_SEC	1000000ULL

static const char *verdict_names[COMPACT_VERDICT_MAX] = {
	[COMPACT_SKIP_PSI] = "skipped_psi",
	[COMPACT_SKIP_THRESHOLD] = "skipped_threshold",
	[COMPACT_RUN_FRAGMENTED] = "fragmented",
	[COMPACT_RUN_MEMFREE] = "memfree_fell",
	[COMPACT_RUN_FORCED] = "forced",
};

static const char *stop_names[COMPACT_STOP_MAX] = {
	[COMPACT_GO_ON] = "none",
	[COMPACT_STOP_PSI] = "psi",
	[COMPACT_STOP_TIME] = "time",
};

const char *
compact_verdict_name(enum compact_verdict v)
{
	return v < COMPACT_VERDICT_MAX ? verdict_names[v] : "unknown";
}

const char *
compact_stop_name(enum compact_stop s)
{
	return s < COMPACT_STOP_MAX ? stop_names[s] : "unknown";
}

int
compact_verdict_runs(enum compact_verdict v)
{
	return v == COMPACT_RUN_FRAGMENTED || v == COMPACT_RUN_MEMFREE ||
	    v == COMPACT_RUN_FORCED;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * The check at the end of a period.  idle: periods in a row without a
 * compaction; base: counts right after the last compaction (zeros before
 * the first); waited, now: PSI at the start of the wait and now.
 */
enum compact_verdict
compact_decide(const struct compact_params *p, uint64_t idle,
    const struct compact_counts *base, const struct compact_counts *cur,
    const struct psi_sample *waited, const struct psi_sample *now)
{
	if (psi_stall_percent(waited, now) >
	    (double)p->period_psi_percent_limit)
		return COMPACT_SKIP_PSI;
	if (p->compact_force_times != COMPACT_FORCE_NEVER &&
	    idle >= p->compact_force_times)
		return COMPACT_RUN_FORCED;
	if (base->memfree > add_sat(cur->memfree, p->compact_threshold))
		return COMPACT_RUN_MEMFREE;
	if (cur->movable_below > add_sat(base->movable_below,
	    p->compact_threshold))
		return COMPACT_RUN_FRAGMENTED;
	return COMPACT_SKIP_THRESHOLD;
}

/*
 * The check each second of a run: ran is how long it has run (µs), last
 * and now the PSI samples a second apart.
 */
enum compact_stop
compact_check_run(const struct compact_params *p, uint64_t ran,
    const struct psi_sample *last, const struct psi_sample *now)
{
	if (psi_stall_percent(last, now) >
	    (double)p->compact_psi_percent_limit)
		return COMPACT_STOP_PSI;
	if (ran >= p->compact_sec_max * USEC_PER_SEC)
		return COMPACT_STOP_TIME;
	return COMPACT_GO_ON;
}
