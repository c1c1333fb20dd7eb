/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM throttle policy.  Pure: no I/O, no clock but the one passed in.
 *
 * ksmd merges a page only after it has seen it unchanged on two passes,
 * so merging new memory takes at least two full passes over the set of
 * pages it scans, and ksmd is one thread: one core is its ceiling.  The
 * policy therefore
 *  - boosts at once on a VM event, or when mergeable memory grew with no
 *    event, or when the idle trickle found pages to merge, sizing the
 *    scan rate so that a pass over the set ksmd actually scans (measured
 *    as pages_scanned per full scan, and as the resident mergeable
 *    memory) takes boost_pass_ms, within the CPU it may use (the knobs
 *    for a rate are sized in ksm-sizing.c);
 *  - while mergeable memory still arrives, paces ksmd to it instead,
 *    since passes over memory being written are mostly wasted: pairs of
 *    passes, ksmd stopped between them, so that a page's second look
 *    comes right after its first; sprints once it stopped or a guest
 *    finished writing, and gives up at once if the paced passes merged
 *    nothing;
 *  - keeps boosting while a pass shows merging or the set growing;
 *  - settles once settle_scans passes went over a set that stopped
 *    growing, the last of them merging nothing, and then trickles at no
 *    more than the kernel's default rate;
 *  - holds ksmd to its CPU budget on what it measures: ksmd's CPU time
 *    over wall time gives its scan speed, from which the next knobs come,
 *    and a token bucket keeps its long-run average under the budget.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksm-arrival.h"
#include "ksm-policy.h"
#include "ksm-sizing.h"
#include "util.h"

/* Until ksmd shows its speed: pages per CPU ms on fresh pages (x86). */
#define SPEED_INIT		400.0
#define SPEED_MIN		10.0
#define SPEED_MAX		100000.0
/* CPU time is counted in 10 ms ticks: less than 4 of them is noise. */
#define SPEED_MIN_CPU_MS	40
/*
 * ksmd is one thread: between two samples it ran no longer than the wall
 * time between them, but for its utime and stime each rounded to a 10 ms
 * tick and the moments its times and the clock were read.  A delta past
 * that slack is a garbage reading, and would spend the budget.
 */
#define CPU_SLACK_MS		100
/* A boost is sized for at least this set: a VM on its way. */
#define BOOST_MIN_SET_BYTES	(256ULL << 20)
/* Merging or the set grew in a pass by this much, or 1/256 of the set. */
#define GROW_MIN_BYTES		(1ULL << 20)
#define GROW_SHIFT		8
/* New mergeable memory with no event: this, or 1/64 of the set. */
#define DETECT_MIN_BYTES	(32ULL << 20)
#define DETECT_SHIFT		6
/* Mergeable memory arrives when it grows by this much (ksm-arrival.c). */
#define ARRIVE_MIN_BYTES	(1ULL << 20)
/* A VMM touches guest memory within seconds of its CREATED event. */
#define EVENT_GRACE_MS		3000
/* New memory was seen arriving: two looks at it before calling it done. */
#define DETECT_GRACE_MS		(2 * PROBE_BOOST_MS)
/*
 * This many full scans while memory arrived and none merged anything:
 * every page was seen twice and found unique (encrypted guests), so
 * there is nothing to sprint for.
 */
#define FUTILE_SCANS		3
/*
 * Boosting and ksmd scanned nothing this long, with no mergeable memory
 * known to be there: nothing to merge.
 */
#define QUIET_MS		5000
/* Sample twice a pass while boosting, within these bounds. */
#define BOOST_SAMPLE_MIN_MS	100
#define BOOST_SAMPLE_MAX_MS	1000
/* Mergeable memory is walked for at most twice a second while boosting. */
#define PROBE_BOOST_MS		500
/* Walks this old are not coming any more: judge passes without them. */
#define WALK_STALE_MS		(4 * PROBE_BOOST_MS)
/*
 * Idle without detection (none configured, or no walks of /proc on this
 * kernel): trickle passes take minutes anyway.
 */
#define IDLE_SAMPLE_MS		30000
/* Free memory is checked this often while the gate holds ksmd. */
#define GATE_SAMPLE_MS		5000
/*
 * The gate stops ksmd above gate_free_pct plus this, and lets it run
 * again at gate_free_pct or below: the key's maximum leaves room for it.
 */
#define GATE_HYST_PCT		2
/* Once the budget is spent, a tenth of it must come back to boost. */
#define BUDGET_REARM_SHIFT	3
#define TRANSITIONS_KEPT	16
#define REASON_MAX		128

/* The set of pages ksmd scans, and whether the walks of /proc told it. */
struct set_fig {
	uint64_t	pages;
	int		walked;
};

struct transition {
	uint64_t		at_ms;
	enum policy_state	from;
	enum policy_state	to;
	char			reason[REASON_MAX];
};

struct policy {
	struct policy_params	 par;
	enum policy_state	 state;
	char			 reason[REASON_MAX];
	uint64_t		 start_ms;
	uint64_t		 since_ms;
	uint64_t		 transitions;
	struct transition	 hist[TRANSITIONS_KEPT];

	int			 have_prev;
	uint64_t		 prev_ms;
	struct ksm_sample	 prev;

	double			 speed;		/* pages per CPU ms, boosting */
	double			 trickle_speed;	/* ... and trickling */
	uint64_t		 speed_cpu_ms;	/* where the next estimate starts */
	int64_t			 speed_scanned;
	int			 have_speed_mark;
	double			 cpu_frac;	/* ksmd's share of a core */
	int			 have_cpu_frac;
	double			 tokens_ms;	/* CPU above the average left */
	int			 exhausted;
	uint64_t		 pass_pages;	/* pages per full scan */
	uint64_t		 mergeable;
	int			 have_mergeable;
	uint64_t		 boost_floor;

	int			 has_advisor;	/* this kernel has advisor_mode */
	int			 walks_off;	/* no walks of /proc to come */
	int			 fast;		/* last knobs were a boost's */

	int			 have_mark;
	int64_t			 mark_scans;
	int64_t			 mark_sharing;
	struct set_fig		 mark_set;
	struct set_fig		 step_set;	/* the set at the last step */
	struct set_fig		 end_set;	/* ... at the step before the
						   last pass end */
	struct set_fig		 before_set;	/* end_set at the mark: the
						   pass began after it */
	uint64_t		 mark_ms;
	uint64_t		 walk_ms;	/* mergeable was last known right */
	uint64_t		 progress_ms;	/* ksmd last scanned something */
	uint64_t		 calm;		/* passes without growth */
	uint64_t		 still;		/* passes the set did not grow */
	int			 stale_pass;	/* the pass under way began
						   before the boost */
	uint64_t		 grace_until;
	uint64_t		 idle_base;	/* mergeable memory at idle */
	int64_t			 idle_peak;	/* pages_sharing's high while idle */
	int			 rebase;	/* take idle_base from a fresh walk */
	int			 futile_tail;	/* idle over guests found unique
						   that still write */

	struct arrival		 arr;		/* of mergeable memory */
	int			 pacing;	/* boosting at the arrival's pace */
	int			 paced;		/* a VM event began the boost */
	uint64_t		 pace_until;	/* its guest may not yet have
						   touched its memory */
	uint64_t		 stops_seen;	/* arr.stops at the event */
	int64_t			 boost_scans;	/* full_scans when it began */
	int64_t			 boost_sharing;	/* pages_sharing then */
	int			 pair;		/* paced: a pair of passes runs */
	int64_t			 pair_owed;	/* pages the pace starts owing */
	int64_t			 pair_end;	/* full_scans it ends at */
	uint64_t		 pair_ms;	/* it began then */
	int64_t			 pair_scanned;	/* pages_scanned then */

	struct policy_knobs	 knobs;
	double			 target_frac;
};

/* What one step saw, derived from the sample and the previous one. */
struct obs {
	uint64_t	dt_ms;
	int		boundary;	/* ksmd finished a pass since the mark */
	int64_t		passes;
	int64_t		gain;		/* pages_sharing over those passes */
	uint64_t	set_growth;
	int		set_known;	/* set_growth measured like with like */
	int		growing;	/* merging or the set grew */
	int		still;		/* the set did not grow while it ran */
};

static const char *policy_state_names[POLICY_STATE_MAX] = {
	[POLICY_IDLE] = "idle",
	[POLICY_BOOSTING] = "boosting",
	[POLICY_SETTLING] = "settling",
	[POLICY_GATED] = "gated",
};

const char *
policy_state_name(enum policy_state s)
{
	return s < POLICY_STATE_MAX ? policy_state_names[s] : "?";
}

static uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* BYTES in the host's pages (64 KiB on some arm64 kernels), at least one. */
static uint64_t
pages_of(const struct policy *p, uint64_t bytes)
{
	uint64_t	size = p->par.page_size > 0 ? p->par.page_size : 4096;

	return bytes >= size ? bytes / size : 1;
}

static uint64_t
set_pages(const struct policy *p)
{
	return max64(p->pass_pages, p->have_mergeable ? p->mergeable : 0);
}

static void
enter(struct policy *p, uint64_t now, enum policy_state s, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
enter(struct policy *p, uint64_t now, enum policy_state s, const char *fmt,
    ...)
{
	struct transition	*t;
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	if (s == p->state)
		return;
	t = &p->hist[p->transitions % TRANSITIONS_KEPT];
	t->at_ms = now;
	t->from = p->state;
	t->to = s;
	memcpy(t->reason, p->reason, sizeof(t->reason));
	p->transitions++;
	p->state = s;
	p->since_ms = now;
	p->futile_tail = 0;
	if (s == POLICY_IDLE) {
		p->idle_base = p->mergeable;
		p->rebase = 1;
		p->idle_peak = p->mark_sharing;
		p->boost_floor = 0;
		p->calm = p->still = 0;
	}
	if (s != POLICY_BOOSTING && s != POLICY_SETTLING)
		p->pacing = p->paced = 0;
}

struct policy *
policy_new(const struct policy_params *par, uint64_t now)
{
	struct policy	*p;

	p = xcalloc(1, sizeof(*p));
	p->par = *par;
	p->state = POLICY_IDLE;
	snprintf(p->reason, sizeof(p->reason), "started");
	p->start_ms = p->since_ms = p->progress_ms = now;
	p->speed = p->trickle_speed = SPEED_INIT;
	p->tokens_ms = (double)par->budget_cpu_pct / 100.0 *
	    (double)par->budget_window_ms;
	return p;
}

void
policy_free(struct policy *p)
{
	free(p);
}

void
policy_set_params(struct policy *p, const struct policy_params *par)
{
	double	cap = (double)par->budget_cpu_pct / 100.0 *
	    (double)par->budget_window_ms;

	p->par = *par;
	if (p->tokens_ms > cap)
		p->tokens_ms = cap;
}

/*
 * ksmd's speed, pages scanned per CPU ms, over enough CPU time to be
 * measured: in a boost that is one sample, in the trickle many.  The two
 * are kept apart: a boost's last passes rescan merged pages fast, while
 * the trickle's pages cost more each, and sizing the trickle from the
 * boost's speed would spend several times its share of a core until the
 * estimate came down.  The trickle's share is a ceiling, so a measure
 * below its estimate is taken at once: its first estimate, the speed of
 * fresh pages, can be forty times what rescanning merged zero pages
 * costs, and halving the gap at each measure spent the first idle
 * stretch's CPU for half a minute.  A measure above it is averaged in.
 */
static void
observe_speed(struct policy *p, const struct ksm_sample *s)
{
	uint64_t	dcpu;
	int64_t		dscan;
	double		*speed = p->fast ? &p->speed : &p->trickle_speed;
	double		measured;

	if (!KSM_HAVE(s, KSM_PAGES_SCANNED))
		return;
	if (!p->have_speed_mark || s->ksmd_cpu_ms < p->speed_cpu_ms ||
	    s->v[KSM_PAGES_SCANNED] < p->speed_scanned)
		goto mark;
	dcpu = s->ksmd_cpu_ms - p->speed_cpu_ms;
	if (dcpu < SPEED_MIN_CPU_MS)
		return;
	dscan = s->v[KSM_PAGES_SCANNED] - p->speed_scanned;
	if (dscan > 0) {
		measured = (double)dscan / (double)dcpu;
		if (p->fast || measured > *speed)
			measured = (*speed + measured) / 2;
		*speed = clampd(measured, SPEED_MIN, SPEED_MAX);
	}
mark:
	p->have_speed_mark = 1;
	p->speed_cpu_ms = s->ksmd_cpu_ms;
	p->speed_scanned = s->v[KSM_PAGES_SCANNED];
}

/* ksmd's CPU share and speed; the budget pays for what it used. */
static void
observe_cpu(struct policy *p, const struct ksm_sample *s, uint64_t dt)
{
	double		cap, frac = (double)p->par.budget_cpu_pct / 100.0;
	uint64_t	dcpu;

	if (!s->have_cpu || !p->prev.have_cpu || dt == 0 ||
	    s->ksmd_cpu_ms < p->prev.ksmd_cpu_ms)
		return;
	dcpu = s->ksmd_cpu_ms - p->prev.ksmd_cpu_ms;
	if (dcpu > dt + CPU_SLACK_MS)
		return;
	p->cpu_frac = (double)dcpu / (double)dt;
	p->have_cpu_frac = 1;
	cap = frac * (double)p->par.budget_window_ms;
	p->tokens_ms = clampd(p->tokens_ms + frac * (double)dt - (double)dcpu,
	    -cap, cap);
	if (p->tokens_ms <= 0)
		p->exhausted = 1;
	else if (p->tokens_ms >= cap / (1 << BUDGET_REARM_SHIFT))
		p->exhausted = 0;
	observe_speed(p, s);
}

/*
 * Whether the set grew over a pass is told by the walks of /proc where
 * they run: the resident mergeable memory, exact.  Its last figure holds
 * while the engine sees no reason to walk again (anonymous memory has not
 * moved), or for a little while after a walk.  Pages scanned per full
 * scan is an estimate from samples a pass apart or less: when one holds
 * more than a pass, it reads above the memory there is, and the short
 * passes over merged memory (smart_scan skipping the unique pages) make
 * that common; a pass that skips reads below it.  A pass end with no walk
 * since the last is judged with the next one that has a walk, and a pass
 * is judged only by the figure its start was marked with: the two are
 * not the same measure.
 */
static int
walks_current(const struct policy *p, uint64_t now)
{
	return p->have_mergeable && p->walk_ms > 0 &&
	    now - p->walk_ms < WALK_STALE_MS;
}

static struct set_fig
growth_set(const struct policy *p, uint64_t now)
{
	struct set_fig	f;

	f.walked = walks_current(p, now);
	f.pages = f.walked ? p->mergeable : p->pass_pages;
	return f;
}

static void
mark_pass(struct policy *p, const struct ksm_sample *s, uint64_t now)
{
	p->have_mark = 1;
	p->mark_ms = now;
	p->mark_scans = s->v[KSM_FULL_SCANS];
	p->mark_sharing = s->v[KSM_PAGES_SHARING];
	p->mark_set = growth_set(p, now);
	p->before_set = p->end_set;
}

/* At the end of each pass: did merging or the scanned set grow? */
static void
observe_pass(struct policy *p, const struct ksm_sample *s, uint64_t now,
    struct obs *o)
{
	int64_t		scans, dscan;
	struct set_fig	set;
	uint64_t	thr;

	if (!KSM_HAVE(s, KSM_FULL_SCANS) || !KSM_HAVE(s, KSM_PAGES_SHARING))
		return;
	scans = s->v[KSM_FULL_SCANS] - p->mark_scans;
	if (!p->have_mark || scans < 0) {
		mark_pass(p, s, now);
		p->idle_peak = p->mark_sharing;
		return;
	}
	if (scans == 0)
		return;
	if (KSM_HAVE(s, KSM_PAGES_SCANNED) &&
	    KSM_HAVE(&p->prev, KSM_PAGES_SCANNED) &&
	    s->v[KSM_FULL_SCANS] > p->prev.v[KSM_FULL_SCANS]) {
		dscan = s->v[KSM_PAGES_SCANNED] - p->prev.v[KSM_PAGES_SCANNED];
		if (dscan >= 0)
			p->pass_pages = (uint64_t)dscan / (uint64_t)
			    (s->v[KSM_FULL_SCANS] - p->prev.v[KSM_FULL_SCANS]);
	}
	if (walks_current(p, now) && p->walk_ms <= p->mark_ms)
		return;
	set = growth_set(p, now);
	thr = max64(pages_of(p, GROW_MIN_BYTES), set_pages(p) >> GROW_SHIFT);
	o->boundary = 1;
	o->passes = scans;
	o->gain = s->v[KSM_PAGES_SHARING] - p->mark_sharing;
	o->set_known = set.walked == p->mark_set.walked;
	o->set_growth = o->set_known && set.pages > p->mark_set.pages ?
	    set.pages - p->mark_set.pages : 0;
	o->growing = o->gain >= (int64_t)thr || o->set_growth >= thr;
	/*
	 * The pass before ended, and this one began, between two steps:
	 * memory the walks saw arrive between the step before and the mark
	 * may have come after ksmd passed its place, and is judged with this
	 * pass.  (Pages per full scan, an estimate, is not that exact.)
	 */
	o->still = o->set_known && o->set_growth < thr;
	if (o->still && set.walked && p->before_set.walked)
		o->still = set.pages < p->before_set.pages + thr;
	mark_pass(p, s, now);
}

static void
observe(struct policy *p, const struct policy_input *in, struct obs *o)
{
	const struct ksm_sample	*s = in->ksm;

	memset(o, 0, sizeof(*o));
	p->walks_off = in->walks_off;
	if (in->have_mergeable) {
		p->mergeable = in->mergeable_pages;
		p->have_mergeable = 1;
		if (p->mergeable < p->idle_base)
			p->idle_base = p->mergeable;
	}
	if (in->walk != NULL)
		arrival_observe(&p->arr, in->walk, in->now_ms,
		    pages_of(p, ARRIVE_MIN_BYTES));
	if (in->walk != NULL || in->mergeable_current)
		p->walk_ms = in->now_ms;
	if (s == NULL)
		return;
	p->has_advisor = KSM_HAVE(s, KSM_ADVISOR_MODE);
	if (p->have_prev && in->now_ms >= p->prev_ms) {
		o->dt_ms = in->now_ms - p->prev_ms;
		observe_cpu(p, s, o->dt_ms);
		if ((KSM_HAVE(s, KSM_PAGES_SCANNED) &&
		    s->v[KSM_PAGES_SCANNED] != p->prev.v[KSM_PAGES_SCANNED]) ||
		    s->v[KSM_FULL_SCANS] != p->prev.v[KSM_FULL_SCANS])
			p->progress_ms = in->now_ms;
	}
	if (!p->have_prev || s->v[KSM_FULL_SCANS] != p->prev.v[KSM_FULL_SCANS])
		p->end_set = p->step_set;
	observe_pass(p, s, in->now_ms, o);
	p->step_set = growth_set(p, in->now_ms);
	p->prev = *s;
	p->prev_ms = in->now_ms;
	p->have_prev = 1;
}

static void	boost(struct policy *, uint64_t, uint64_t, const char *,
		    uint64_t);

/* The ksmtuned-style gate: no merging while memory is plentiful. */
static int
decide_gate(struct policy *p, const struct policy_input *in)
{
	uint64_t	free_pct;
	char		why[REASON_MAX];

	if (p->par.gate_free_pct == 0) {
		if (p->state == POLICY_GATED)
			boost(p, in->now_ms, EVENT_GRACE_MS, "free-memory "
			    "gate turned off: merging what accumulated", 0);
		return 0;
	}
	/* Free memory unknown this step: nothing has changed for the gate. */
	if (!in->have_mem || in->mem_total_kb == 0)
		return p->state == POLICY_GATED;
	free_pct = in->mem_avail_kb * 100 / in->mem_total_kb;
	if (p->state != POLICY_GATED &&
	    free_pct > p->par.gate_free_pct + GATE_HYST_PCT) {
		enter(p, in->now_ms, POLICY_GATED, "%llu%% of memory free, "
		    "above the %llu%% gate: ksmd stopped",
		    (unsigned long long)free_pct,
		    (unsigned long long)p->par.gate_free_pct);
		return 1;
	}
	if (p->state == POLICY_GATED && free_pct <= p->par.gate_free_pct) {
		snprintf(why, sizeof(why), "free memory fell to %llu%%: "
		    "merging what accumulated", (unsigned long long)free_pct);
		boost(p, in->now_ms, EVENT_GRACE_MS, why, 0);
		return 0;
	}
	return p->state == POLICY_GATED;
}

static void
boost(struct policy *p, uint64_t now, uint64_t grace, const char *why,
    uint64_t announced)
{
	if ((p->state != POLICY_BOOSTING && p->state != POLICY_SETTLING) &&
	    p->have_prev) {
		p->boost_scans = p->prev.v[KSM_FULL_SCANS];
		p->boost_sharing = p->prev.v[KSM_PAGES_SHARING];
	}
	enter(p, now, POLICY_BOOSTING, "%s", why);
	p->calm = p->still = 0;
	p->stale_pass = 1;
	if (p->progress_ms < now)
		p->progress_ms = now;	/* give ksmd time to find it */
	if (p->have_prev)
		mark_pass(p, &p->prev, now);
	if (now + grace > p->grace_until)
		p->grace_until = now + grace;
	/* Memory is arriving: size the first passes for twice what is there. */
	p->boost_floor = max64(p->boost_floor, max64(pages_of(p,
	    BOOST_MIN_SET_BYTES), 2 * set_pages(p) + announced));
}

static void
decide_events(struct policy *p, const struct policy_input *in)
{
	char	why[REASON_MAX];

	if (in->created > 0) {
		snprintf(why, sizeof(why), "%u VM%s created", in->created,
		    in->created > 1 ? "s" : "");
		/* From idle, what is there was merged: see decide_pair(). */
		p->pair_owed = p->state == POLICY_BOOSTING ||
		    p->state == POLICY_SETTLING ? 0 : 2 * (int64_t)p->mergeable;
		boost(p, in->now_ms, EVENT_GRACE_MS, why, in->announced_pages);
		p->paced = 1;
		p->pace_until = in->now_ms + EVENT_GRACE_MS;
		p->stops_seen = p->arr.stops;
	} else if (in->kicks > 0)
		boost(p, in->now_ms, EVENT_GRACE_MS, "kick", 0);
}

/* Idle: new mergeable memory with no event, or the trickle merging. */
static void
decide_idle(struct policy *p, const struct policy_input *in,
    const struct obs *o)
{
	uint64_t	grown, thr;
	int64_t		sharing;
	char		why[REASON_MAX];

	/*
	 * The last walk may predate the end of the boost: what a fresh one
	 * sees on the first idle step is what was merged, not new memory.
	 */
	if (p->rebase) {
		p->rebase = 0;
		if (in->have_mergeable)
			p->idle_base = in->mergeable_pages;
	} else if (p->futile_tail) {
		/*
		 * Given up on guests whose pages were all unique while some
		 * still write theirs: what they write is more of the same,
		 * not new memory, until a fresh look finds no growth.
		 */
		if (p->mergeable > p->idle_base)
			p->idle_base = p->mergeable;
		else if (in->walk != NULL || in->mergeable_current)
			p->futile_tail = 0;
	} else if (p->have_mergeable && p->par.detect_ms > 0 &&
	    p->mergeable > p->idle_base) {
		grown = p->mergeable - p->idle_base;
		thr = max64(pages_of(p, DETECT_MIN_BYTES),
		    p->idle_base >> DETECT_SHIFT);
		if (grown >= thr) {
			snprintf(why, sizeof(why), "%llu MiB of new mergeable "
			    "memory with no event",
			    (unsigned long long)(grown * p->par.page_size >>
			    20));
			boost(p, in->now_ms, DETECT_GRACE_MS, why, 0);
			return;
		}
	}
	if (!o->boundary)
		return;
	/*
	 * pages_sharing wobbles by a few thousand pages as the kernel
	 * reshuffles its chains of duplicates: only a new high, by the
	 * margin that counts as new memory, is the trickle finding merges.
	 */
	sharing = p->mark_sharing;
	thr = max64(pages_of(p, DETECT_MIN_BYTES), set_pages(p) >> DETECT_SHIFT);
	if (sharing >= p->idle_peak + (int64_t)thr) {
		snprintf(why, sizeof(why), "the trickle merged %lld pages",
		    (long long)(sharing - p->idle_peak));
		boost(p, in->now_ms, 0, why, 0);
	} else if (sharing > p->idle_peak || sharing + (int64_t)thr <
	    p->idle_peak)
		p->idle_peak = sharing;
}

/*
 * A VM announced by an event is still arriving: right after the event,
 * or the set grew lately.  Memory found with no event is merged at once:
 * duplicates written late, in a block, are what that usually is.
 */
static int
arriving(const struct policy *p, uint64_t now)
{
	return now < p->pace_until || arrival_recent(&p->arr, now);
}

/* Full scans since the boost began, none of which merged anything. */
static int64_t
futile_scans(const struct policy *p)
{
	uint64_t	thr = max64(pages_of(p, GROW_MIN_BYTES),
			    set_pages(p) >> GROW_SHIFT);

	if (!p->have_prev || p->prev.v[KSM_PAGES_SHARING] >=
	    p->boost_sharing + (int64_t)thr)
		return 0;
	return p->prev.v[KSM_FULL_SCANS] - p->boost_scans;
}

/*
 * Paced, ksmd scans in pairs of passes at boost speed, then stops for as
 * long as the pace gives for the pages the pair scanned.  A page merges
 * on its second look: the memory that arrived while ksmd was stopped is
 * looked at twice in a row and merges within the pair, half a pause
 * after it came on the mean, where one slow pass after another at the
 * same mean rate, a pass taking a pause's half, merges it three quarters
 * of a pause after: the first look comes half a pass after it, the
 * second a pass later.  The pause runs from the pair's end, so that the
 * pace counts the time it rests, not the time it scans: where guests
 * write about as fast as ksmd scans, it rests about as long as it ran,
 * and leaves them the CPU.  From idle the pace starts as if a pair had
 * just gone over the mergeable memory there: a pair over guests merged
 * before the event would merge nothing new.  An event while ksmd sprints
 * or settles starts a pair at once: what is there is still to merge.
 * One between two pairs shortens the pause as its memory arrives.
 */
static void
decide_pair(struct policy *p, uint64_t now, int start)
{
	int64_t	scans = p->prev.v[KSM_FULL_SCANS];
	int64_t	scanned = p->prev.v[KSM_PAGES_SCANNED];
	double	pace = arrival_pace(&p->arr, p->par.pace_factor);

	if (start) {
		p->pair = 0;
		p->pair_ms = now;
		p->pair_scanned = scanned - p->pair_owed;
	} else if (p->pair) {
		if (scans < p->pair_end)
			return;
		p->pair = 0;
		p->pair_ms = now;
	}
	if ((double)(scanned - p->pair_scanned) >
	    pace * (double)(now - p->pair_ms))
		return;
	p->pair = 1;
	p->pair_end = scans + 2;
	p->pair_ms = now;
	p->pair_scanned = scanned;
}

/*
 * Pace ksmd to memory as it arrives, until nothing arrives any more or
 * the first guest stopped writing its memory: the others of its wave
 * follow soon, and its pages, looked at once while paced, merge on the
 * next look.  Then sprint, unless the paced scans merged nothing at all.
 */
static void
decide_pace(struct policy *p, uint64_t now)
{
	int	was = p->pacing, stopped;
	int64_t	futile;

	if (!p->paced)
		return;
	stopped = p->arr.stops != p->stops_seen;
	if (stopped || !arriving(p, now))
		p->paced = 0;
	/*
	 * Without walks of /proc nothing is known of it, nor without
	 * pages_scanned of ksmd's pace: no pace.
	 */
	p->pacing = p->paced && p->arr.have && p->have_prev &&
	    KSM_HAVE(&p->prev, KSM_PAGES_SCANNED);
	if (p->pacing)
		decide_pair(p, now, !was);
	if (!was || p->pacing)
		return;
	p->progress_ms = now;
	if ((futile = futile_scans(p)) >= FUTILE_SCANS) {
		enter(p, now, POLICY_IDLE, "%lld full scans while memory "
		    "arrived merged nothing", (long long)futile);
		p->futile_tail = 1;
	} else {
		p->stale_pass = 1;
		p->calm = p->still = 0;
		enter(p, now, POLICY_BOOSTING, "%s: scanning at full speed",
		    stopped ? "a guest stopped writing its memory" :
		    "mergeable memory stopped growing");
	}
}

/*
 * The set still: memory stopped arriving.  ksmd merges a page on its
 * second look at it unchanged, so once two passes went over a set that
 * did not grow, every page in it was looked at twice and what could
 * merge has merged: a pass over it that merged nothing more ends the
 * boost (settle_scans passes over the still set, the last of them calm).
 * A set that holds still while its pages change (a guest writing into
 * memory allocated up front) shows merging from pass to pass instead.
 */
static void
count_pass(struct policy *p, uint64_t now, const struct obs *o)
{
	uint64_t	n;

	/*
	 * A pass that was under way at the boost scanned little of what the
	 * boost is for: it counts neither as still nor as calm; nor does
	 * one whose set was measured two ways.
	 */
	n = (uint64_t)o->passes - (p->stale_pass ? 1 : 0);
	p->stale_pass = 0;
	if (o->still)
		p->still += n;
	else if (o->set_known)
		p->still = 0;
	if (o->growing) {
		p->calm = 0;
		if (p->state == POLICY_SETTLING)
			enter(p, now, POLICY_BOOSTING, "merging grew again: "
			    "%lld pages in %lld full scan%s", (long long)o->gain,
			    (long long)o->passes, o->passes > 1 ? "s" : "");
		return;
	}
	if (o->set_known)
		p->calm += n;
	if (p->state == POLICY_BOOSTING && p->calm > 0)
		enter(p, now, POLICY_SETTLING, "no growth over %llu full "
		    "scan%s", (unsigned long long)p->calm,
		    p->calm > 1 ? "s" : "");
}

static void
decide_fast(struct policy *p, const struct policy_input *in,
    const struct obs *o)
{
	uint64_t	now = in->now_ms;

	decide_pace(p, now);
	if (p->state == POLICY_IDLE)
		return;
	if (o->boundary)
		count_pass(p, now, o);
	if (now < p->grace_until || p->pacing)
		return;
	if (p->calm > 0 && p->still >= p->par.settle_scans)
		enter(p, now, POLICY_IDLE, "merging settled: %llu full scans "
		    "since memory stopped arriving", (unsigned long long)
		    p->still);
	else if (now - p->progress_ms >= QUIET_MS &&
	    !(p->have_mergeable && p->mergeable > 0))
		/*
		 * With mergeable memory there, ksmd is starved of CPU (guests
		 * writing theirs on every core; it runs at nice 5): wait.
		 */
		enter(p, now, POLICY_IDLE, "ksmd found nothing to scan");
}

static void
decide(struct policy *p, const struct policy_input *in, const struct obs *o)
{
	if (decide_gate(p, in))
		return;
	decide_events(p, in);
	switch (p->state) {
	case POLICY_IDLE:
		decide_idle(p, in, o);
		break;
	case POLICY_BOOSTING:
	case POLICY_SETTLING:
		decide_fast(p, in, o);
		break;
	default:
		break;
	}
}

static int
use_advisor(const struct policy *p)
{
	return p->par.use_advisor && p->has_advisor;
}

static double
allowed_frac(const struct policy *p)
{
	return (double)(p->exhausted ? p->par.budget_cpu_pct :
	    p->par.boost_cpu_pct) / 100.0;
}

/*
 * What the knobs are sized from, at ksmd's speed under such knobs, but for
 * the pass and the CPU allowed.
 */
static void
sizing_from(const struct policy *p, double speed, struct sizing *sz)
{
	memset(sz, 0, sizeof(*sz));
	sz->speed = speed;
	sz->set_pages = set_pages(p);
	sz->budget_cpu_pct = p->par.budget_cpu_pct;
	sz->advisor = use_advisor(p);
	sz->has_advisor = p->has_advisor;
}

static void
actuate_fast(struct policy *p, struct policy_knobs *k)
{
	struct sizing	sz;
	sizing_from(p, p->speed, &sz);
	sz.pass_ms = p->par.boost_pass_ms;
	sz.allowed_frac = allowed_frac(p);
	if (p->pacing && !p->pair) {
		k->run = 0;
		p->target_frac = 0;
		return;
	}
	sz.set_pages = max64(sz.set_pages, p->boost_floor);
	p->target_frac = size_boost(&sz, k);
}

static void
actuate_idle(struct policy *p, struct policy_knobs *k)
{
	struct sizing	sz;

	sizing_from(p, p->trickle_speed, &sz);
	sz.pass_ms = p->par.idle_pass_ms;
	p->target_frac = size_trickle(&sz, k);
}

static uint64_t
next_sample_ms(const struct policy *p)
{
	double		pass_ms;
	uint64_t	idle;

	switch (p->state) {
	case POLICY_BOOSTING:
	case POLICY_SETTLING:
		pass_ms = (double)max64(set_pages(p), 1) /
		    (p->speed * (p->target_frac > 0 ? p->target_frac : 0.01));
		return (uint64_t)clampd(pass_ms / 2, BOOST_SAMPLE_MIN_MS,
		    p->pacing ? PACE_PROBE_MS : BOOST_SAMPLE_MAX_MS);
	case POLICY_GATED:
		return GATE_SAMPLE_MS;
	default:
		idle = p->par.detect_ms > 0 && !p->walks_off ?
		    p->par.detect_ms : IDLE_SAMPLE_MS;
		if (p->par.gate_free_pct > 0 && idle > GATE_SAMPLE_MS)
			idle = GATE_SAMPLE_MS;
		return idle;
	}
}

/* Every knob left alone. */
void
policy_knobs_none(struct policy_knobs *k)
{
	k->run = k->pages_to_scan = k->sleep_ms = k->advisor = -1;
	k->adv_target_s = k->adv_max_cpu = k->adv_min_pages = -1;
	k->adv_max_pages = -1;
}

static void
actuate(struct policy *p, uint64_t now, struct policy_out *out)
{
	struct policy_knobs	*k = &out->knobs;
	int			 fast;

	policy_knobs_none(k);
	fast = p->state == POLICY_BOOSTING || p->state == POLICY_SETTLING;
	if (fast)
		actuate_fast(p, k);
	else if (p->state == POLICY_IDLE)
		actuate_idle(p, k);
	else {
		k->run = 0;
		p->target_frac = 0;
	}
	/* The advisor starts each run from its minimum: restart it on a step. */
	out->reseed_advisor = k->advisor == KSM_ADVISOR_SCAN_TIME &&
	    (p->knobs.advisor != KSM_ADVISOR_SCAN_TIME || fast != p->fast);
	p->knobs = *k;
	/* A speed is measured under one kind of knobs: start anew. */
	if (fast != p->fast)
		p->have_speed_mark = 0;
	p->fast = fast;
	out->next_ms = now + next_sample_ms(p);
	if (fast)
		/* Paced: a fresh walk at each step tells when it stops. */
		out->probe_ms = p->paced ? 0 : PROBE_BOOST_MS;
	else if (p->state == POLICY_IDLE && p->rebase)
		out->probe_ms = 0;		/* walk now, whatever changed */
	else if (p->state == POLICY_IDLE && p->par.detect_ms > 0)
		out->probe_ms = p->par.detect_ms;
	else
		out->probe_ms = UINT64_MAX;
}

void
policy_step(struct policy *p, const struct policy_input *in,
    struct policy_out *out)
{
	struct obs		o;
	uint64_t		before = p->transitions;

	memset(out, 0, sizeof(*out));
	observe(p, in, &o);
	decide(p, in, &o);
	out->changed = p->transitions != before;
	actuate(p, in->now_ms, out);
}

enum policy_state
policy_state(const struct policy *p)
{
	return p->state;
}

const char *
policy_reason(const struct policy *p)
{
	return p->reason;
}

uint64_t
policy_transitions(const struct policy *p)
{
	return p->transitions;
}

/* Transition number n (from 0), while it is among the last few kept. */
const char *
policy_transition(const struct policy *p, uint64_t n, enum policy_state *from,
    enum policy_state *to)
{
	const struct transition	*t;

	if (n >= p->transitions || p->transitions - n > TRANSITIONS_KEPT)
		return NULL;
	t = &p->hist[n % TRANSITIONS_KEPT];
	*from = t->from;
	*to = t->to;
	return t->reason;
}

static void
knobs_json(const struct policy_knobs *k, cJSON *o)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} f[] = {
		{ "run", offsetof(struct policy_knobs, run) },
		{ "pages_to_scan", offsetof(struct policy_knobs, pages_to_scan) },
		{ "sleep_millisecs", offsetof(struct policy_knobs, sleep_ms) },
		{ "advisor_target_scan_time",
		    offsetof(struct policy_knobs, adv_target_s) },
		{ "advisor_max_cpu", offsetof(struct policy_knobs, adv_max_cpu) },
		{ "advisor_min_pages_to_scan",
		    offsetof(struct policy_knobs, adv_min_pages) },
		{ "advisor_max_pages_to_scan",
		    offsetof(struct policy_knobs, adv_max_pages) },
	};
	const int64_t	*v;
	size_t		 i;

	for (i = 0; i < nitems(f); i++) {
		v = (const int64_t *)(const void *)((const char *)k + f[i].off);
		if (*v >= 0)
			cJSON_AddNumberToObject(o, f[i].name, (double)*v);
	}
	if (k->advisor >= 0)
		cJSON_AddStringToObject(o, "advisor_mode", k->advisor ==
		    KSM_ADVISOR_SCAN_TIME ? "scan-time" : "none");
}

static void
history_json(const struct policy *p, cJSON *o)
{
	const struct transition	*t;
	cJSON			*a, *e;
	uint64_t		 i, first;

	a = cJSON_AddArrayToObject(o, "history");
	first = p->transitions > TRANSITIONS_KEPT ?
	    p->transitions - TRANSITIONS_KEPT : 0;
	for (i = first; i < p->transitions; i++) {
		t = &p->hist[i % TRANSITIONS_KEPT];
		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "at_seconds",
		    (double)(t->at_ms - p->start_ms) / 1000.0);
		cJSON_AddStringToObject(e, "from", policy_state_name(t->from));
		cJSON_AddStringToObject(e, "to", policy_state_name(t->to));
		cJSON_AddStringToObject(e, "reason", t->reason);
		cJSON_AddItemToArray(a, e);
	}
}

void
policy_json(const struct policy *p, uint64_t now, cJSON *o)
{
	cJSON	*b;

	cJSON_AddStringToObject(o, "state", policy_state_name(p->state));
	cJSON_AddStringToObject(o, "reason", p->reason);
	cJSON_AddNumberToObject(o, "in_state_seconds",
	    (double)(now - p->since_ms) / 1000.0);
	cJSON_AddNumberToObject(o, "transitions", (double)p->transitions);
	knobs_json(&p->knobs, cJSON_AddObjectToObject(o, "targets"));
	cJSON_AddNumberToObject(o, "scanned_set_pages", (double)p->pass_pages);
	if (p->have_mergeable)
		cJSON_AddNumberToObject(o, "mergeable_pages",
		    (double)p->mergeable);
	cJSON_AddNumberToObject(o, "scan_pages_per_cpu_second",
	    p->speed * 1000.0);
	cJSON_AddNumberToObject(o, "calm_scans", (double)p->calm);
	cJSON_AddBoolToObject(o, "pacing", p->pacing);
	cJSON_AddBoolToObject(o, "pair", p->pacing && p->pair);
	cJSON_AddNumberToObject(o, "arriving_pages_per_second",
	    p->arr.rate * 1000.0);
	b = cJSON_AddObjectToObject(o, "budget");
	cJSON_AddNumberToObject(b, "boost_cpu_percent",
	    (double)p->par.boost_cpu_pct);
	cJSON_AddNumberToObject(b, "cpu_budget_percent",
	    (double)p->par.budget_cpu_pct);
	cJSON_AddNumberToObject(b, "window_seconds",
	    (double)p->par.budget_window_ms / 1000.0);
	cJSON_AddNumberToObject(b, "boost_left_cpu_seconds",
	    p->tokens_ms / 1000.0);
	cJSON_AddBoolToObject(b, "exhausted", p->exhausted);
	if (p->have_cpu_frac)
		cJSON_AddNumberToObject(b, "ksmd_cpu_percent",
		    p->cpu_frac * 100.0);
	cJSON_AddNumberToObject(b, "target_cpu_percent",
	    p->target_frac * 100.0);
	history_json(p, o);
}
