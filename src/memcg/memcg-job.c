/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg engine's pass: the due cgroups one at a time, each run a
 * job.  A job is gated on PSI, planned (memcg-plan.c), and handed to its
 * reclaim method, whose writes run off the event loop (offload_write)
 * one at a time, PSI watched meanwhile: over eviction_psi_percent_limit
 * the write is cancelled and the job stops.  What it reclaimed is
 * measured from memory.stat before and after.  And when the next pass
 * is: the engine and a pass that ends alike re-arm the timer here.
 */
#include "config.h"

#include <sys/time.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "memcg-engine.h"
#include "offload.h"
#include "util.h"

/* While a reclaim write runs, PSI is looked at this often (as mem-agent). */
#define PSI_WATCH_MS		1000

static const char *kind_names[MEMCG_JOB_KIND_MAX] = {
	[MEMCG_JOB_PERIOD] = "period",
	[MEMCG_JOB_CACHE] = "cache",
};

static void	pass_continue(struct memcg *);
static void	pass_end(struct memcg *);

/* The cgroup is gone: say so once, stop looking for it where we can. */
static void
cg_vanished(struct memcg *m, struct memcg_cg *cg)
{
	if (!(cg->warned & WARN_GONE))
		log_info("memcg: %s: cgroup is gone, skipping it", cg->path);
	cg->warned |= WARN_GONE;
	memcg_untrack(m, cg, SRC_GLOB | SRC_CACHE);
}

static int
stat_read(struct memcg *m, struct memcg_cg *cg, struct memcg_stat *st,
    uint64_t *usage, uint64_t *limit)
{
	int	r;

	if ((r = m->host.hier->stat(&m->host, cg->path, st, usage,
	    limit)) == 0) {
		cg->warned &= ~(WARN_STAT | WARN_GONE);
		return 0;
	}
	if (r == -ENOENT) {
		cg_vanished(m, cg);
		return r;
	}
	BUMP(m, cg, errors, 1);
	memcg_cg_warn(cg, WARN_STAT, "memory stats", r,
	    "cannot read its memory stats, skipping it");
	return r;
}

/* mem-agent's gate: too much stall over the wait, no run this time. */
static int
job_gate(struct memcg *m, struct memcg_cg *cg, enum memcg_job_kind k,
    uint64_t limit, struct psi_sample *now)
{
	double	pct;

	if (memcg_psi_read(m, cg, now) < 0)
		return 0;
	switch (memcg_gate_step(&cg->wait[k], now, limit, &pct)) {
	case MEMCG_GATE_RUN:
		return 1;
	case MEMCG_GATE_STALLED:
		BUMP(m, cg, psi_skips, 1);
		log_info("memcg: %s: stalled %.2f%% over the wait, above %llu%%, "
		    "skipping this %s run", cg->path, pct,
		    (unsigned long long)limit, kind_names[k]);
		return 0;
	default:
		return 0;
	}
}

/* Reference 003: is the cgroup's page cache over the threshold? */
static int
cache_wanted(struct memcg *m, struct memcg_cg *cg, uint64_t limit,
    uint64_t now)
{
	const struct conf	*c = m->d->conf;
	struct memcg_cache_in	 in = {
		.threshold = &c->cache_reclaim_threshold,
		.cooldown_ms = c->cache_reclaim_cooldown_secs * 1000,
		.limit = limit,
		.file = m->before.file,
		.now_ms = now,
		.last_reclaim_ms = cg->last_cache_reclaim_ms,
	};
	struct memcg_cache_out	 out;

	BUMP(m, cg, cache_checks, 1);
	memcg_cache_step(&in, &out);
	if (out.verdict == MEMCG_CACHE_NO_LIMIT) {
		if (!(cg->warned & WARN_LIMIT))
			log_info("memcg: %s: no memory limit, a threshold in "
			    "percent does not apply to it", cg->path);
		cg->warned |= WARN_LIMIT;
		return 0;
	}
	cg->warned &= ~WARN_LIMIT;
	if (out.verdict != MEMCG_CACHE_RECLAIM)
		return 0;
	m->job.target = out.target;
	cg->last_cache_reclaim_ms = now;
	log_info("memcg: %s: page cache %llu KiB over the threshold of %llu "
	    "KiB, reclaiming", cg->path,
	    (unsigned long long)(m->before.file / 1024),
	    (unsigned long long)(out.threshold / 1024));
	return 1;
}

static void
period_prepare(struct memcg *m, struct memcg_cg *cg)
{
	struct memcg_job	*job = &m->job;
	struct memcg_period_in	 in = {
		.set = &cg->set,
		.before = &m->before,
		.swap_avail = m->swap_avail,
		.method_ages = (m->job_ops->flags & MEMCG_METHOD_AGES) != 0,
		.method_swaps = memcg_method_swaps(&m->host, m->job_ops),
		.aging_count = job->aging_count,
	};
	struct memcg_period_out	 out;

	BUMP(m, cg, runs, 1);
	memcg_period_step(&in, &out);
	job->swap_ok = out.swap_ok;
	job->no_swap = in.swap_avail && !out.swap_ok;
	job->target = out.target;
	job->swappiness = out.swappiness;
	job->aging_count = out.aging_count;
	job->aged = out.aged;
	job->stop = out.stop;
}

/* Gates, stats and the decision; 1 if there is a job to run. */
static int
job_begin(struct memcg *m, struct memcg_item *it)
{
	struct memcg_cg		*cg = it->cg;
	struct memcg_job	*job = &m->job;
	struct psi_sample	 now_psi;
	uint64_t		 now = daemon_now(m->d), usage, limit, gate;

	if (cg->dead || cg->set.disabled)
		return 0;
	if (it->kind == MEMCG_JOB_PERIOD)
		cg->next_due_ms = now + cg->set.period_secs * 1000;
	gate = cg->set.period_psi_percent_limit;
	if (!job_gate(m, cg, it->kind, gate, &now_psi))
		return 0;
	if (stat_read(m, cg, &m->before, &usage, &limit) < 0)
		return 0;
	memset(job, 0, sizeof(*job));
	job->host = &m->host;
	job->kind = it->kind;
	job->set = cg->set;
	job->aging_count = cg->aging_count;
	if (xsnprintf(job->path, sizeof(job->path), "%s", cg->path) < 0)
		return 0;
	m->job_ops = it->kind == MEMCG_JOB_CACHE ? m->host.hier->reclaim :
	    m->host.method;
	if (it->kind == MEMCG_JOB_CACHE) {
		if (!cache_wanted(m, cg, limit, now))
			return 0;
	} else
		period_prepare(m, cg);
	m->job_cg = cg;
	m->job_psi = now_psi;
	m->job_started_ms = now;
	m->wrote = m->reclaimed = 0;
	if (job->stop == MEMCG_STOP_NONE && m->job_ops->begin != NULL)
		(void)m->job_ops->begin(job);
	return 1;
}

/* What the job measured, counted and logged once it is over. */
static void
job_account(struct memcg *m, struct memcg_cg *cg, uint64_t reclaimed)
{
	struct memcg_job	*job = &m->job;
	uint64_t		 ms = daemon_now(m->d) - m->job_started_ms;

	cg->aging_count = job->aging_count;
	if (job->aged)
		BUMP(m, cg, aging_runs, 1);
	if (m->reclaimed && job->kind == MEMCG_JOB_CACHE)
		BUMP(m, cg, cache_reclaims, 1);
	else if (m->reclaimed)
		BUMP(m, cg, reclaims, 1);
	BUMP(m, cg, reclaimed_bytes, reclaimed);
	BUMP(m, cg, evicted_pages, job->evicted_pages + job->ev.pages);
	BUMP(m, cg, stops[job->stop], 1);
	cg->last_stop = job->stop;
	if (job->stop == MEMCG_STOP_ERROR) {
		BUMP(m, cg, errors, 1);
		memcg_cg_note(cg, job->err_what, job->err);
		if (!(cg->warned & WARN_RUN)) {
			errno = -job->err;
			log_warn("memcg: %s: %s, skipping it this run",
			    cg->path, job->err_what);
		}
		cg->warned |= WARN_RUN;
	} else if (job->stop != MEMCG_STOP_VANISHED)
		cg->warned &= ~WARN_RUN;
	if (m->reclaimed)
		log_info("memcg: %s: %s run reclaimed %llu KiB in %llu ms, "
		    "stopped: %s", cg->path, kind_names[job->kind],
		    (unsigned long long)(reclaimed / 1024),
		    (unsigned long long)ms, memcg_stop_name(job->stop));
	else
		log_debug("memcg: %s: %s run: %s", cg->path,
		    kind_names[job->kind], memcg_stop_name(job->stop));
}

static void
job_end(struct memcg *m)
{
	struct memcg_cg		*cg = m->job_cg;
	struct memcg_stat	 after;
	uint64_t		 usage, limit, reclaimed = 0;

	m->job_active = 0;
	if (m->job.stop == MEMCG_STOP_VANISHED)
		cg_vanished(m, cg);
	else if (stat_read(m, cg, &after, &usage, &limit) == 0)
		reclaimed = memcg_reclaimed(m->job.kind, &m->before, &after);
	job_account(m, cg, reclaimed);
	if (m->job.kind == MEMCG_JOB_PERIOD)
		cg->last_run_ms = daemon_now(m->d);
	/* The next waiting period starts when this run ends. */
	if (!cg->dead)
		memcg_wait_start(m, cg, m->job.kind);
}

/* PSI since the job began: over eviction_psi_percent_limit, it stops. */
static int
job_stalled(struct memcg *m)
{
	struct memcg_cg		*cg = m->job_cg;
	struct psi_sample	 now;
	double			 pct;
	int			 r;

	if ((r = m->host.hier->psi(&m->host, cg->path, &now)) < 0) {
		memcg_job_fail(&m->job, r, "PSI");
		return 1;
	}
	if (memcg_eviction_gate(&m->job_psi, &now,
	    cg->set.eviction_psi_percent_limit, &pct))
		return 0;
	log_info("memcg: %s: stalled %.2f%% while reclaiming, above %llu%%, "
	    "stopping", cg->path, pct,
	    (unsigned long long)cg->set.eviction_psi_percent_limit);
	m->job.stop = MEMCG_STOP_PSI;
	return 1;
}

/*
 * A write ended.  One killed for a stall (the job stopped already) counts
 * only if it was done before the signal came.
 */
static void
job_written(int err, uint64_t elapsed_ms, void *arg)
{
	struct memcg	*m = arg;
	enum memcg_stop	 stop = m->job.stop;

	m->off = NULL;
	evtimer_del(m->watch);
	log_debug("memcg: %s: write done in %llu ms: %s", m->job.path,
	    (unsigned long long)elapsed_ms, err ? strerror(-err) : "ok");
	if (stop == MEMCG_STOP_NONE || err == 0)
		m->job_ops->step_done(&m->job, err);
	if (stop != MEMCG_STOP_NONE)
		m->job.stop = stop;
	pass_continue(m);
}

/* 1: a write is under way; 0: the job is over. */
static int
job_step(struct memcg *m)
{
	struct memcg_job	*job = &m->job;
	struct memcg_write	 w;
	struct timeval		 tv = { 0, PSI_WATCH_MS * 1000 };

	if (job->stop != MEMCG_STOP_NONE)
		return 0;
	if (m->wrote && job_stalled(m))
		return 0;
	if (m->job_ops->step(job, &w) == 0)
		return 0;
	log_debug("memcg: %s: %s: \"%s\" to %s", job->path, w.what, w.value,
	    w.path);
	if ((m->off = offload_write(m->d->base, w.path, w.value, job_written,
	    m)) == NULL) {
		memcg_job_fail(job, -errno, "fork");
		return 0;
	}
	m->wrote = 1;
	m->reclaimed |= w.reclaims;
	evtimer_add(m->watch, &tv);
	return 1;
}

/*
 * While a write runs: stop it once the stall share is over the limit.
 * The child is killed, not waited for: under the pressure that stopped
 * it, the kernel may take its time to notice the signal, and the loop
 * goes on meanwhile; job_written() ends the job once it is gone.
 */
void
memcg_job_watch(evutil_socket_t fd, short what, void *arg)
{
	struct memcg	*m = arg;
	struct timeval	 tv = { 0, PSI_WATCH_MS * 1000 };

	if (m->off == NULL)
		return;
	if (!job_stalled(m)) {
		evtimer_add(m->watch, &tv);
		return;
	}
	offload_kill(m->off);
}

static void
pass_continue(struct memcg *m)
{
	for (;;) {
		if (!m->job_active) {
			if (m->item >= m->nitems) {
				pass_end(m);
				return;
			}
			if (!job_begin(m, &m->items[m->item++]))
				continue;
			m->job_active = 1;
		}
		if (job_step(m))
			return;
		job_end(m);
	}
}

static void
pass_add(struct memcg *m, struct memcg_cg *cg, enum memcg_job_kind k)
{
	m->items[m->nitems].cg = cg;
	m->items[m->nitems++].kind = k;
	cg->in_pass = 1;
}

static void
pass_end(struct memcg *m)
{
	struct memcg_cg	*cg, *tmp;
	size_t		 i;

	for (i = 0; i < m->nitems; i++)
		m->items[i].cg->in_pass = 0;
	if (m->nitems > 0)
		m->passes++;
	free(m->items);
	m->items = NULL;
	m->nitems = m->item = 0;
	TAILQ_FOREACH_SAFE(cg, &m->cgs, entry, tmp)
		if (cg->dead)
			memcg_cg_free(m, cg);
	memcg_arm(m);
}

/* A pass through the due cgroups; the cache runs too when CACHE_DUE. */
void
memcg_pass_start(struct memcg *m, unsigned cache_due, uint64_t now)
{
	struct memcg_cg	*cg;

	m->items = xcalloc(2 * m->ncgs + 1, sizeof(*m->items));
	m->nitems = m->item = 0;
	TAILQ_FOREACH(cg, &m->cgs, entry) {
		if (cg->set.disabled)
			continue;
		if ((cg->src & SRC_PERIOD) && memcg_due(now, cg->next_due_ms))
			pass_add(m, cg, MEMCG_JOB_PERIOD);
		if ((cg->src & SRC_CACHE) && cache_due)
			pass_add(m, cg, MEMCG_JOB_CACHE);
	}
	m->state = MEMCG_RUNNING;
	m->reason = "reclaiming";
	pass_continue(m);
}

/* Stop the pass where it is (disabled, shutting down). */
void
memcg_pass_cancel(struct memcg *m)
{
	if (m->items == NULL)
		return;
	if (m->off != NULL) {
		offload_cancel(m->off);
		m->off = NULL;
	}
	evtimer_del(m->watch);
	if (m->job_active) {
		m->job.stop = MEMCG_STOP_CANCELLED;
		job_end(m);
	}
	m->item = m->nitems;
	pass_end(m);
}

/* ---- scheduling: when the next pass is ------------------------------ */

struct memcg_sched_params *
memcg_sched_params(const struct memcg *m, struct memcg_sched_params *p)
{
	const struct conf	*c = m->d->conf;

	p->globs = cJSON_GetArraySize(c->memcg_cgroups) > 0;
	p->cache = *c->cache_reclaim_parent != '\0';
	p->discovery_ms = c->memcg_period_secs * 1000;
	p->cache_ms = c->cache_reclaim_interval_secs * 1000;
	return p;
}

void
memcg_arm(struct memcg *m)
{
	struct memcg_sched_params p;
	struct memcg_cg		*cg;
	uint64_t		 next, now = daemon_now(m->d);

	if (m->state == MEMCG_OFF || m->state == MEMCG_DISABLED) {
		evtimer_del(m->timer);
		return;
	}
	if (m->items != NULL)
		return;		/* the pass re-arms when it is over */
	next = memcg_sched_next(&m->sched, memcg_sched_params(m, &p));
	TAILQ_FOREACH(cg, &m->cgs, entry)
		if ((cg->src & SRC_PERIOD) && !cg->set.disabled &&
		    cg->next_due_ms < next)
			next = cg->next_due_ms;
	if (next == UINT64_MAX) {
		evtimer_del(m->timer);
		m->state = MEMCG_IDLE;
		m->reason = "nothing to manage";
		return;
	}
	(void)timer_in(m->timer, next > now ? next - now : 0);
	m->state = MEMCG_WAITING;
	m->reason = "waiting for the next run";
}
