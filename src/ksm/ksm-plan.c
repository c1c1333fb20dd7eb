/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM engine's own rules, kept pure so that unit tests can call them:
 * the order of knob writes (the kernel refuses some values, or resets one
 * knob when another changes, depending on the order), what is known of a
 * knob after a write, and when to walk /proc or step on an event.
 */
#include "config.h"

#include <string.h>

#include "ksm-plan.h"

/* A knob the policy leaves alone (-1) is not in the plan. */
static void
plan_add(struct knob_plan *pl, enum ksm_file f, int64_t v,
    enum knob_basis basis)
{
	struct knob_write	*w;

	if (v < 0 || pl->n >= KNOB_PLAN_MAX)
		return;
	w = &pl->w[pl->n++];
	w->f = f;
	w->v = v;
	w->basis = basis;
}

static void
plan_advisor(const struct policy_out *out, const int64_t *written,
    struct knob_plan *pl)
{
	const struct policy_knobs	*k = &out->knobs;

	/* Raise the maximum before the minimum, lower it after. */
	if (k->adv_min_pages > written[KSM_ADVISOR_MAX_PAGES_TO_SCAN]) {
		plan_add(pl, KSM_ADVISOR_MAX_PAGES_TO_SCAN, k->adv_max_pages,
		    KNOB_SAMPLED);
		plan_add(pl, KSM_ADVISOR_MIN_PAGES_TO_SCAN, k->adv_min_pages,
		    KNOB_SAMPLED);
	} else {
		plan_add(pl, KSM_ADVISOR_MIN_PAGES_TO_SCAN, k->adv_min_pages,
		    KNOB_SAMPLED);
		plan_add(pl, KSM_ADVISOR_MAX_PAGES_TO_SCAN, k->adv_max_pages,
		    KNOB_SAMPLED);
	}
	plan_add(pl, KSM_ADVISOR_TARGET_SCAN_TIME, k->adv_target_s,
	    KNOB_SAMPLED);
	plan_add(pl, KSM_ADVISOR_MAX_CPU, k->adv_max_cpu, KNOB_SAMPLED);
	/* The advisor starts from its minimum only when switched on. */
	if (out->reseed_advisor) {
		plan_add(pl, KSM_ADVISOR_MODE, KSM_ADVISOR_NONE, KNOB_SAMPLED);
		plan_add(pl, KSM_ADVISOR_MODE, KSM_ADVISOR_SCAN_TIME,
		    KNOB_WRITTEN);
	} else
		plan_add(pl, KSM_ADVISOR_MODE, KSM_ADVISOR_SCAN_TIME,
		    KNOB_SAMPLED);
}

/*
 * The writes that bring the knobs to what the policy wants, in order,
 * given the sample (NULL: none this step) and what was last written
 * (-1: unknown), indexed by enum ksm_file.  Returns 0 when nothing is to
 * be written at all, 1 when the host's settings are to be saved and the
 * plan carried out.
 */
int
knob_plan(const struct policy_out *out, const struct ksm_sample *s,
    const int64_t *written, struct knob_plan *pl)
{
	const struct policy_knobs	*k = &out->knobs;

	memset(pl, 0, sizeof(*pl));
	pl->mode_before = written[KSM_ADVISOR_MODE];
	/* Nothing is written blind: run unreadable, so no sample. */
	if (s == NULL)
		return 0;
	if (k->run == 0) {
		plan_add(pl, KSM_RUN, 0, KNOB_SAMPLED);
		return 1;
	}
	plan_add(pl, KSM_SLEEP_MILLISECS, k->sleep_ms, KNOB_SAMPLED);
	if (k->advisor == KSM_ADVISOR_SCAN_TIME)
		plan_advisor(out, written, pl);
	else {
		/*
		 * pages_to_scan refuses writes while the advisor is on, and
		 * switching it off resets pages_to_scan: the sample is stale.
		 */
		plan_add(pl, KSM_ADVISOR_MODE, k->advisor, KNOB_SAMPLED);
		plan_add(pl, KSM_PAGES_TO_SCAN, k->pages_to_scan,
		    KNOB_AFTER_MODE);
	}
	plan_add(pl, KSM_RUN, k->run, KNOB_SAMPLED);
	return 1;
}

/* Whether the sample says nothing of this write's knob any more. */
int
knob_stale(const struct knob_plan *pl, const struct knob_write *w,
    const int64_t *written)
{
	switch (w->basis) {
	case KNOB_WRITTEN:
		return 1;
	case KNOB_AFTER_MODE:
		return written[KSM_ADVISOR_MODE] != pl->mode_before;
	default:
		return 0;
	}
}

/*
 * Whether knob f has v already: the kernel says so (s, when not stale),
 * or, without a sample of it, it is what was last written.
 */
int
knob_holds(const struct ksm_sample *s, const int64_t *written,
    enum ksm_file f, int64_t v)
{
	if (s != NULL && KSM_HAVE(s, f))
		return s->v[f] == v;
	return written[f] == v;
}

/* What is known after writing v to f: a refused write is not done. */
void
knob_written(int64_t *written, enum ksm_file f, int64_t v, int ok)
{
	if (!ok) {
		written[f] = -1;
		return;
	}
	written[f] = v;
	/* Changing advisor_mode resets pages_to_scan in the kernel. */
	if (f == KSM_ADVISOR_MODE)
		written[KSM_PAGES_TO_SCAN] = -1;
}

/*
 * A walk costs a read per process: it is needed only when anonymous
 * memory moved (have_anon: AnonPages was read, anon_kb), a VM went, or
 * the last walk is old.  While none is needed, the last one's figure
 * holds.
 */
int
walk_needed(const struct walk_sched *ws, uint64_t now, int have_anon,
    uint64_t anon_kb)
{
	return !ws->have || ws->vm_went ||
	    now - ws->at_ms >= WALK_MAX_AGE_MS || !have_anon ||
	    anon_kb >= ws->anon_kb + WALK_ANON_KB ||
	    anon_kb + WALK_ANON_KB <= ws->anon_kb;
}

/*
 * A walk is due when needed, no more often than the policy's freshness
 * probe_ms (0: walk at once; UINT64_MAX: no walks).  After a VM goes the
 * walk also lowers the policy's idea of what was there, so that its
 * replacement counts as new.
 */
int
walk_due(const struct walk_sched *ws, uint64_t probe_ms, uint64_t now,
    int have_anon, uint64_t anon_kb)
{
	if (ws->off || probe_ms == UINT64_MAX)
		return 0;
	if (probe_ms != 0 && !walk_needed(ws, now, have_anon, anon_kb))
		return 0;
	return !(ws->have && now - ws->at_ms < probe_ms);
}

void
walk_done(struct walk_sched *ws, uint64_t now, int have_anon,
    uint64_t anon_kb)
{
	ws->have = 1;
	ws->vm_went = 0;
	ws->at_ms = now;
	ws->anon_kb = have_anon ? anon_kb : 0;
}

/* How long an event waits for its step: 0, step now. */
uint64_t
event_step_delay(uint64_t last_step_ms, uint64_t now)
{
	if (now - last_step_ms >= EVENT_STEP_MIN_MS)
		return 0;
	return EVENT_STEP_MIN_MS - (now - last_step_ms);
}
