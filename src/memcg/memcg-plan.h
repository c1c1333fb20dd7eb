/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg engine's step, pure: what one run over one cgroup is to do,
 * from the cgroup's settings and state, what was sampled (PSI, memory
 * stats, swap) and an injected clock, and when discovery is due.  The
 * wiring (memcg-engine.c, memcg-track.c, memcg-job.c) samples, calls
 * these, acts on what they return and re-arms; unit tests call them
 * directly.  The rules they apply are memcg-policy.c's.
 */
#ifndef KT_MEMCG_PLAN_H
#define KT_MEMCG_PLAN_H

#include <stdint.h>

#include "memcg-parse.h"
#include "memcg-policy.h"
#include "psi.h"

enum memcg_job_kind {
	MEMCG_JOB_PERIOD,	/* mem-agent's run: age, evict cold pages */
	MEMCG_JOB_CACHE,	/* reference 003: page cache over threshold */
	MEMCG_JOB_KIND_MAX
};

/* The waiting period before a kind of run: its stall is measured from here. */
struct memcg_wait {
	struct psi_sample	start;
	int			have;
};

enum memcg_gate {
	MEMCG_GATE_RUN,
	MEMCG_GATE_BASELINE,	/* no start to measure from: it starts now */
	MEMCG_GATE_STALLED,	/* over the limit: skip this run */
	MEMCG_GATE_UNKNOWN,	/* the samples say nothing: skip */
	MEMCG_GATE_MAX
};

enum memcg_gate memcg_gate_step(struct memcg_wait *, const struct psi_sample *,
	    uint64_t, double *);

/* A cache run (reference 003): the page cache over the threshold? */
struct memcg_cache_in {
	const struct conf_size	*threshold;
	uint64_t		 cooldown_ms;
	uint64_t		 limit;		/* 0: none */
	uint64_t		 file;		/* page cache now */
	uint64_t		 now_ms;
	uint64_t		 last_reclaim_ms;
};

enum memcg_cache_verdict {
	MEMCG_CACHE_NO_LIMIT,	/* a threshold in percent of no limit */
	MEMCG_CACHE_KEEP,	/* under it, or cooling down */
	MEMCG_CACHE_RECLAIM,
	MEMCG_CACHE_VERDICT_MAX
};

struct memcg_cache_out {
	enum memcg_cache_verdict verdict;
	uint64_t		 threshold;	/* bytes */
	uint64_t		 target;	/* bytes to reclaim */
};

void	memcg_cache_step(const struct memcg_cache_in *, struct memcg_cache_out *);

/* A period run: how much, with what swappiness, and whether at all. */
struct memcg_period_in {
	const struct memcg_settings	*set;
	const struct memcg_stat		*before;
	int				 swap_avail;
	int				 method_ages;	/* MGLRU: it counts */
	int				 method_swaps;	/* force_empty: no say */
	uint64_t			 aging_count;
};

struct memcg_period_out {
	int		swap_ok;
	uint64_t	target;
	unsigned	swappiness;
	uint64_t	aging_count;
	int		aged;
	enum memcg_stop	stop;		/* MEMCG_STOP_NONE: run the method */
};

void	memcg_period_step(const struct memcg_period_in *,
	    struct memcg_period_out *);
uint64_t memcg_reclaimed(enum memcg_job_kind, const struct memcg_stat *,
	    const struct memcg_stat *);
uint64_t memcg_period_due(uint64_t, uint64_t, uint64_t);

/* Discovery: memcg.cgroups every period, the cache parent every interval. */
struct memcg_sched_params {
	int		globs;		/* memcg.cgroups not empty */
	int		cache;		/* memcg.cache_reclaim.parent set */
	uint64_t	discovery_ms;
	uint64_t	cache_ms;
};

struct memcg_sched {
	uint64_t	next_discovery_ms;
	uint64_t	next_cache_ms;
};

#define MEMCG_DISCOVER_GLOBS	0x1
#define MEMCG_DISCOVER_CACHE	0x2	/* and the cache runs are due */

void	 memcg_sched_start(struct memcg_sched *,
	    const struct memcg_sched_params *, uint64_t);
unsigned memcg_sched_step(struct memcg_sched *,
	    const struct memcg_sched_params *, uint64_t);
uint64_t memcg_sched_next(const struct memcg_sched *,
	    const struct memcg_sched_params *);

#endif
