/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How mergeable memory arrives.  A guest writes its memory as it boots:
 * its VMM's resident anonymous memory grows, then stops.  ksmd merges a
 * page only once two passes saw it unchanged, so passes over memory still
 * being written are mostly wasted; the policy paces ksmd to the rate
 * measured here (ksm.pace_factor times it), and sprints when a process that
 * grew stops: its memory is then worth merging at once, even while other
 * guests still write theirs.
 *
 * Growth is min_pages (1 MiB in the host's pages: the policy says so) or
 * more since the baseline; none for
 * ARRIVE_QUIET_MS is a stop.  Walks come every PACE_PROBE_MS while
 * pacing (a walk reads a small file per process: a few ms on a host of
 * thousands), so a stop is seen within three of them.
 */
#include "config.h"

#include <string.h>

#include "ksm-arrival.h"

/* At least the kernel's default rate, pages per ms. */
#define PACE_MIN_RATE		5.0
#define ARRIVE_QUIET_MS		250

/* The total: how fast it grows, and when it last did. */
static void
observe_total(struct arrival *a, uint64_t pages, uint64_t now)
{
	uint64_t	dt;

	if (!a->have || pages < a->pages || now < a->at_ms) {
		a->have = 1;
		a->pages = pages;
		a->at_ms = now;
		return;
	}
	dt = now - a->at_ms;
	if (pages >= a->pages + a->min_pages && dt > 0) {
		/* Walks are PACE_PROBE_MS apart: a closer one is a burst. */
		a->rate = (double)(pages - a->pages) /
		    (double)(dt > PACE_PROBE_MS ? dt : PACE_PROBE_MS);
		a->last_ms = now;
	} else if (dt < ARRIVE_QUIET_MS)
		return;
	else if (now - a->last_ms >= ARRIVE_QUIET_MS)
		a->rate = 0;
	a->pages = pages;
	a->at_ms = now;
}

/* One process: did it grow, or stop growing? */
static void
observe_proc(struct arrival *a, struct arrival_proc *e, uint64_t pages,
    uint64_t now)
{
	if (pages >= e->pages + a->min_pages) {
		e->grew_ms = now;
		e->growing = 1;
		e->pages = pages;
		e->at_ms = now;
		return;
	}
	if (e->growing && now - e->grew_ms >= ARRIVE_QUIET_MS) {
		e->growing = 0;
		a->stops++;
	}
	if (pages < e->pages || now - e->at_ms >= ARRIVE_QUIET_MS) {
		e->pages = pages;
		e->at_ms = now;
	}
}

static struct arrival_proc *
find_proc(struct arrival_proc *v, unsigned n, int pid)
{
	unsigned	i;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid)
			return &v[i];
	return NULL;
}

/*
 * The processes of a walk.  One that appears after a walk that listed
 * them all starts from nothing: its memory arrived since.  After one that
 * could not (more than MERGEABLE_LISTED), it may only have moved into the
 * list as another left it: it starts from what it has.  Those gone are
 * forgotten; those past MERGEABLE_LISTED count only in the total.
 */
static void
observe_procs(struct arrival *a, const struct mergeable *m, uint64_t now)
{
	struct arrival_proc	 next[MERGEABLE_LISTED], *e;
	unsigned		 i, n = 0;

	for (i = 0; i < m->listed; i++) {
		if ((e = find_proc(a->procs, a->nprocs, m->proc[i].pid)) ==
		    NULL) {
			e = &next[n];
			memset(e, 0, sizeof(*e));
			e->pid = m->proc[i].pid;
			e->pages = a->have_procs && a->all_listed ? 0 :
			    m->proc[i].pages;
			e->at_ms = now;
		} else
			next[n] = *e;
		observe_proc(a, &next[n], m->proc[i].pages, now);
		n++;
	}
	memcpy(a->procs, next, n * sizeof(next[0]));
	a->nprocs = n;
	a->have_procs = 1;
	a->all_listed = m->listed == m->procs && !m->truncated;
}

/* A fresh walk of /proc, taken at now; growth is min_pages or more. */
void
arrival_observe(struct arrival *a, const struct mergeable *m, uint64_t now,
    uint64_t min_pages)
{
	a->min_pages = min_pages;
	observe_total(a, m->pages, now);
	observe_procs(a, m, now);
}

/* The set grew lately. */
int
arrival_recent(const struct arrival *a, uint64_t now)
{
	return a->have && now - a->last_ms < ARRIVE_QUIET_MS;
}

/* ksmd's pace while memory arrives, pages per ms. */
double
arrival_pace(const struct arrival *a, uint64_t factor)
{
	double	rate = a->rate * (double)factor;

	return rate < PACE_MIN_RATE ? PACE_MIN_RATE : rate;
}
