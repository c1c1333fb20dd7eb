/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg engine's step, pure (memcg-plan.h): the PSI gate of a run,
 * the cache and period runs' plans, what a run reclaimed, and when
 * discovery is due.  No I/O, no clock of its own.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "memcg-plan.h"

/*
 * mem-agent's gate: too much stall over the wait, no run this time.  The
 * wait starts again at every sample that says something.
 */
enum memcg_gate
memcg_gate_step(struct memcg_wait *w, const struct psi_sample *now,
    uint64_t limit, double *pct)
{
	int	pass;

	*pct = 0;
	if (!w->have) {
		w->start = *now;
		w->have = 1;
		return MEMCG_GATE_BASELINE;
	}
	if ((pass = memcg_period_gate(&w->start, now, limit, pct)) < 0)
		return MEMCG_GATE_UNKNOWN;
	w->start = *now;
	return pass ? MEMCG_GATE_RUN : MEMCG_GATE_STALLED;
}

void
memcg_cache_step(const struct memcg_cache_in *in, struct memcg_cache_out *out)
{
	memset(out, 0, sizeof(*out));
	if (memcg_cache_threshold(in->threshold, in->limit,
	    &out->threshold) < 0) {
		out->verdict = MEMCG_CACHE_NO_LIMIT;
		return;
	}
	if (!memcg_cache_should_reclaim(in->file, out->threshold, in->now_ms,
	    in->last_reclaim_ms, in->cooldown_ms)) {
		out->verdict = MEMCG_CACHE_KEEP;
		return;
	}
	out->verdict = MEMCG_CACHE_RECLAIM;
	out->target = memcg_cache_reclaim_bytes(in->file, out->threshold);
}

/*
 * A method that does not age (memory.reclaim, force_empty) leaves it to
 * the kernel's LRU: each run counts as an aging, and eviction waits for
 * as many as MGLRU would.  One that has no say in swapping (force_empty
 * takes every page it can) runs only where swapping is allowed or there
 * is no swap to swap to.
 */
void
memcg_period_step(const struct memcg_period_in *in,
    struct memcg_period_out *out)
{
	const struct memcg_settings	*set = in->set;
	const struct memcg_stat		*b = in->before;

	memset(out, 0, sizeof(*out));
	out->swap_ok = set->swap && set->allowswap != 0 && in->swap_avail;
	out->target = memcg_reclaim_target(b->inactive_file, b->inactive_anon,
	    out->swap_ok, set->swappiness_max);
	out->swappiness = memcg_swappiness(out->swap_ok, b->inactive_anon,
	    b->inactive_file, set->swappiness_max);
	out->aging_count = in->aging_count;
	out->stop = MEMCG_STOP_NONE;
	if (in->method_swaps && in->swap_avail && !out->swap_ok) {
		out->stop = MEMCG_STOP_WOULD_SWAP;
		return;
	}
	if (in->method_ages)
		return;
	out->aging_count++;
	out->aged = 1;
	if (!memcg_may_evict(1, out->aging_count,
	    set->eviction_run_aging_count_min))
		out->stop = MEMCG_STOP_AGING;
	else if (memcg_reclaim_chunk(out->target) == 0)
		out->stop = MEMCG_STOP_NO_COLD;
}

/* A cache run counts page cache only; a period run anon pages too. */
uint64_t
memcg_reclaimed(enum memcg_job_kind kind, const struct memcg_stat *before,
    const struct memcg_stat *after)
{
	uint64_t	was, now;

	if (kind == MEMCG_JOB_CACHE) {
		was = before->file;
		now = after->file;
	} else {
		was = before->file + before->anon;
		now = after->file + after->anon;
	}
	return was > now ? was - now : 0;
}

/* A new period counts from the last run; one already past is due now. */
uint64_t
memcg_period_due(uint64_t last_run_ms, uint64_t period_secs, uint64_t now_ms)
{
	uint64_t	due = last_run_ms + period_secs * 1000;

	return due < now_ms ? now_ms : due;
}

void
memcg_sched_start(struct memcg_sched *s, const struct memcg_sched_params *p,
    uint64_t now_ms)
{
	s->next_discovery_ms = now_ms + p->discovery_ms;
	s->next_cache_ms = now_ms + p->cache_ms;
}

/* Which discoveries are due now; their next ones counted from now. */
unsigned
memcg_sched_step(struct memcg_sched *s, const struct memcg_sched_params *p,
    uint64_t now_ms)
{
	unsigned	due = 0;

	if (p->globs && memcg_due(now_ms, s->next_discovery_ms)) {
		s->next_discovery_ms = now_ms + p->discovery_ms;
		due |= MEMCG_DISCOVER_GLOBS;
	}
	if (p->cache && memcg_due(now_ms, s->next_cache_ms)) {
		s->next_cache_ms = now_ms + p->cache_ms;
		due |= MEMCG_DISCOVER_CACHE;
	}
	return due;
}

/* The next discovery; UINT64_MAX: none configured. */
uint64_t
memcg_sched_next(const struct memcg_sched *s,
    const struct memcg_sched_params *p)
{
	uint64_t	next = UINT64_MAX;

	if (p->globs)
		next = s->next_discovery_ms;
	if (p->cache && s->next_cache_ms < next)
		next = s->next_cache_ms;
	return next;
}
