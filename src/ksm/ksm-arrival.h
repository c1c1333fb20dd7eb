/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How mergeable memory arrives, pure: from successive walks of /proc,
 * the rate at which the resident mergeable memory grows, whether it grew
 * lately, and which of the processes that grew (guests writing their
 * memory) have stopped.  The policy paces ksmd to the first and sprints
 * for the last.
 */
#ifndef KT_KSM_ARRIVAL_H
#define KT_KSM_ARRIVAL_H

#include <stdint.h>

#include "mergeable.h"

/* While pacing, /proc is walked (and ksmd sampled) this often. */
#define PACE_PROBE_MS		100

/* One process that has mergeable memory, as the walks saw it. */
struct arrival_proc {
	int		pid;
	uint64_t	pages;		/* its memory at the baseline */
	uint64_t	at_ms;		/* ... taken then */
	uint64_t	grew_ms;	/* it last grew */
	int		growing;	/* and has not stopped since */
};

struct arrival {
	int			have;
	uint64_t		pages;	/* all of it at the baseline */
	uint64_t		at_ms;	/* ... taken then */
	uint64_t		last_ms; /* it last grew */
	double			rate;	/* pages per ms it grew at */

	struct arrival_proc	procs[MERGEABLE_LISTED];
	unsigned		nprocs;
	int			have_procs;
	int			all_listed; /* the last walk listed every one */
	uint64_t		stops;	/* processes that grew, then stopped */
	uint64_t		min_pages; /* growth, in the host's pages */
};

void	arrival_observe(struct arrival *, const struct mergeable *, uint64_t,
	    uint64_t);
int	arrival_recent(const struct arrival *, uint64_t);
double	arrival_pace(const struct arrival *, uint64_t);

#endif
