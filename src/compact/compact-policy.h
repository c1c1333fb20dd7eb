/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When to compact and when to stop: mem-agent's compact rules as pure
 * functions of sampled counts and PSI samples, whose timestamps are the
 * clock.  compact.c only samples, calls and acts.
 */
#ifndef KT_COMPACT_POLICY_H
#define KT_COMPACT_POLICY_H

#include <stdint.h>

struct psi_sample;

/* compact_force_times' value for "never force". */
#define COMPACT_FORCE_NEVER	UINT64_MAX

/* The compact.* keys the rules use. */
struct compact_params {
	uint64_t	period_psi_percent_limit;
	uint64_t	compact_psi_percent_limit;
	uint64_t	compact_sec_max;
	uint64_t	compact_threshold;	/* pages */
	uint64_t	compact_force_times;	/* periods */
};

/*
 * One look at the host, in pages: free movable pages in blocks of orders
 * below compact_order, and MemFree.
 */
struct compact_counts {
	uint64_t	movable_below;
	uint64_t	memfree;
};

/* What a check decides, and why. */
enum compact_verdict {
	COMPACT_SKIP_PSI,	/* the wait was stalled too much */
	COMPACT_SKIP_THRESHOLD,	/* too few new fragments */
	COMPACT_RUN_FRAGMENTED,	/* fragments grew past the threshold */
	COMPACT_RUN_MEMFREE,	/* MemFree fell past the threshold */
	COMPACT_RUN_FORCED,	/* compact_force_times periods without */
	COMPACT_VERDICT_MAX
};

/* Whether a running compaction goes on. */
enum compact_stop {
	COMPACT_GO_ON,
	COMPACT_STOP_PSI,	/* a second stalled too much */
	COMPACT_STOP_TIME,	/* compact_sec_max reached */
	COMPACT_STOP_MAX
};

enum compact_verdict compact_decide(const struct compact_params *, uint64_t,
		    const struct compact_counts *,
		    const struct compact_counts *,
		    const struct psi_sample *, const struct psi_sample *);
enum compact_stop compact_check_run(const struct compact_params *, uint64_t,
		    const struct psi_sample *, const struct psi_sample *);
int		 compact_verdict_runs(enum compact_verdict);
const char	*compact_verdict_name(enum compact_verdict);
const char	*compact_stop_name(enum compact_stop);

#endif
