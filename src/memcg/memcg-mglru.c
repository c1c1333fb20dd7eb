/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MGLRU, as mem-agent drives it (reference 001): each run ages a memcg
 * ("+ memcg node max_seq swap force_scan" to /sys/kernel/debug/lru_gen),
 * and once it has been aged often enough evicts its oldest generation,
 * the pages untouched for that many runs ("- memcg node min_seq
 * swappiness nr"), in chunks, the engine checking PSI between them.
 * Stats and PSI come from the hierarchy beneath (v2, or v1).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memcg-hostset.h"
#include "memcg-backend.h"
#include "rootfs.h"
#include "util.h"

#define LRU_GEN_DEBUG	"/sys/kernel/debug/lru_gen"
/* Bit 0 of lru_gen/enabled: MGLRU on at all. */
#define LRU_GEN_CORE	0x1
/* lru_gen lists every memcg on every node; 16 MiB is thousands of them. */
#define LRU_GEN_MAX	(16 * 1024 * 1024)
/*
 * Pages asked for per eviction write: 32 MiB of 4 KiB pages.  mem-agent
 * evicts one page per write from a thread; a child process per write
 * wants bigger steps, and PSI is still looked at every chunk.
 */
#define EVICT_CHUNK_PAGES	8192

enum { MGLRU_AGE, MGLRU_EVICT };

/*
 * Reads only: MGLRU compiled in with debugfs mounted is usable;
 * MEMCG_DETECT_OFF when it is switched off, for the engine to turn on.
 */
static int
mglru_detect(const struct memcg_host *h)
{
	char		 buf[64];
	unsigned long	 caps;
	ssize_t		 n;
	int		 r;

	if ((n = rootfs_read(MEMCG_LRU_GEN_ENABLED, buf, sizeof(buf))) < 0)
		return (int)n;
	if ((r = lru_gen_enabled_parse(buf, &caps)) < 0)
		return r;
	if (!rootfs_exists(LRU_GEN_DEBUG))
		return -ENOENT;		/* debugfs not mounted */
	return caps & LRU_GEN_CORE ? 0 : MEMCG_DETECT_OFF;
}

/* The memcg's generations, fresh. */
static int
refresh(struct memcg_job *job)
{
	char		*text;
	unsigned	 id;
	size_t		 n;
	int		 r;

	if ((r = rootfs_read_alloc(LRU_GEN_DEBUG, &text, NULL,
	    LRU_GEN_MAX)) < 0)
		return r;
	r = lru_gen_parse(text, job->path, &id, job->gens, MEMCG_NODES_MAX,
	    &n);
	free(text);
	if (r < 0)
		return r;
	if (job->nnodes != 0 && (id != job->memcg_id || n != job->nnodes))
		return -ENOENT;		/* another memcg took the path */
	job->memcg_id = id;
	job->nnodes = n;
	return 0;
}

static int
mglru_begin(struct memcg_job *job)
{
	int	r;

	job->nnodes = 0;
	if ((r = refresh(job)) < 0)
		memcg_job_fail(job, r, LRU_GEN_DEBUG);
	return r;
}

static int
put(struct memcg_job *job, struct memcg_write *w, const char *what,
    int r)
{
	w->what = what;
	w->reclaims = job->phase == MGLRU_EVICT;
	if (r < 0 || xsnprintf(w->path, sizeof(w->path), "%s",
	    LRU_GEN_DEBUG) < 0) {
		memcg_job_fail(job, -ENAMETOOLONG, what);
		return 0;
	}
	return 1;
}

static int
age_step(struct memcg_job *job, struct memcg_write *w)
{
	const struct memcg_gens	*g;

	while (job->node < job->nnodes) {
		g = &job->gens[job->node++];
		if (!memcg_should_age(g->youngest_age_ms, job->set.period_secs))
			continue;
		return put(job, w, "lru_gen aging", xsnprintf(w->value,
		    sizeof(w->value), "+ %u %d %llu %d 1", job->memcg_id,
		    g->nid, (unsigned long long)g->max_seq, job->swap_ok));
	}
	if (job->aged)
		job->aging_count++;
	if (!memcg_may_evict(job->aged, job->aging_count,
	    job->set.eviction_run_aging_count_min)) {
		job->stop = job->aged ? MEMCG_STOP_AGING : MEMCG_STOP_FRESH;
		return 0;
	}
	job->phase = MGLRU_EVICT;
	job->node = 0;
	memset(&job->ev, 0, sizeof(job->ev));
	return -1;		/* go on with eviction */
}

static int
evict_step(struct memcg_job *job, struct memcg_write *w)
{
	const struct memcg_gens	*g;
	enum memcg_stop		 s = MEMCG_STOP_DONE;
	unsigned		 swappiness = 0;
	int			 r;

	while (job->node < job->nnodes) {
		if ((r = refresh(job)) < 0) {
			memcg_job_fail(job, r, LRU_GEN_DEBUG);
			return 0;
		}
		g = &job->gens[job->node];
		s = memcg_evict_next(g, &job->ev, job->swap_ok,
		    job->set.swappiness_max, &swappiness);
		if (s == MEMCG_STOP_NONE)
			return put(job, w, "lru_gen eviction", xsnprintf(
			    w->value, sizeof(w->value), "- %u %d %llu %u %d",
			    job->memcg_id, g->nid,
			    (unsigned long long)g->min_seq, swappiness,
			    EVICT_CHUNK_PAGES));
		job->evicted_pages += job->ev.pages;
		memset(&job->ev, 0, sizeof(job->ev));
		job->node++;
	}
	job->stop = s;
	return 0;
}

static int
mglru_step(struct memcg_job *job, struct memcg_write *w)
{
	int	r;

	if (job->phase == MGLRU_AGE && (r = age_step(job, w)) >= 0)
		return r;
	return evict_step(job, w);
}

static void
mglru_step_done(struct memcg_job *job, int err)
{
	if (err < 0) {
		memcg_job_fail(job, err, job->phase == MGLRU_AGE ?
		    "lru_gen aging" : "lru_gen eviction");
		return;
	}
	if (job->phase == MGLRU_AGE)
		job->aged = 1;
}

const struct memcg_method memcg_mglru = {
	.name = "mglru",
	.flags = MEMCG_METHOD_AGES | MEMCG_METHOD_LRU_GEN,
	.missing = "memcg.backend is mglru, but this kernel has no MGLRU "
	    "(or debugfs is not mounted)",
	.detect = mglru_detect,
	.begin = mglru_begin,
	.step = mglru_step,
	.step_done = mglru_step_done,
};
