/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the KSM throttle policy over sample sequences, some of them
 * recorded on a real kernel, with an injected clock.  Nothing sleeps.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ksm-arrival.h"
#include "ksm-policy.h"
#include "mergeable.h"
#include "ksm-sizing.h"

struct sim {
	struct policy		*p;
	struct policy_params	 par;
	struct ksm_sample	 s;
	struct policy_input	 in;
	struct policy_out	 out;
	uint64_t		 now;
};

static void
defaults(struct policy_params *par)
{
	memset(par, 0, sizeof(*par));
	par->boost_cpu_pct = 100;
	par->budget_cpu_pct = 10;
	par->budget_window_ms = 600000;
	par->boost_pass_ms = 200;
	par->idle_pass_ms = 120000;
	par->settle_scans = 2;
	par->pace_factor = 2;
	par->detect_ms = 1000;
	par->page_size = 4096;
}

static struct sim *
sim_new(const struct policy_params *par)
{
	struct sim	*sm = calloc(1, sizeof(*sm));
	int		 f;

	sm->par = *par;
	sm->now = 1000000;
	sm->p = policy_new(par, sm->now);
	for (f = 0; f < KSM_ADVISOR_MODE; f++)
		sm->s.have |= 1U << f;
	sm->s.have_cpu = 1;
	return sm;
}

static void
sim_free(struct sim *sm)
{
	policy_free(sm->p);
	free(sm);
}

/* Set the counters, advance the clock to t ms, step once. */
static void
at(struct sim *sm, uint64_t t, int64_t scans, int64_t scanned,
    int64_t sharing, uint64_t cpu_ms)
{
	sm->now = 1000000 + t;
	sm->s.v[KSM_FULL_SCANS] = scans;
	sm->s.v[KSM_PAGES_SCANNED] = scanned;
	sm->s.v[KSM_PAGES_SHARING] = sharing;
	sm->s.ksmd_cpu_ms = cpu_ms;
	sm->in.now_ms = sm->now;
	sm->in.ksm = &sm->s;
	policy_step(sm->p, &sm->in, &sm->out);
	memset(&sm->in, 0, sizeof(sm->in));
}

/* A walk of /proc for the next step: one guest of so many pages. */
static void
walked(struct sim *sm, uint64_t pages)
{
	static struct mergeable	m;

	memset(&m, 0, sizeof(m));
	m.pages = pages;
	m.proc[0].pid = 100;
	m.proc[0].pages = pages;
	m.listed = 1;
	sm->in.have_mergeable = 1;
	sm->in.mergeable_pages = pages;
	sm->in.walk = &m;
}

static const char *
state(const struct sim *sm)
{
	return policy_state_name(policy_state(sm->p));
}

/* ksmd's rate in pages per second under the knobs just decided. */
static double
knob_rate(const struct policy_knobs *k)
{
	return (double)k->pages_to_scan * 1000.0 / (double)k->sleep_ms;
}

static void
test_event_boosts_at_once(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	sm = sim_new(&par);
	walked(sm, 0);
	at(sm, 0, 10, 1000, 0, 0);
	assert_string_equal(state(sm), "idle");
	sm->in.created = 1;
	at(sm, 5, 10, 1000, 0, 0);
	assert_string_equal(state(sm), "boosting");
	assert_string_equal(policy_reason(sm->p), "1 VM created");
	/* No mergeable memory yet: a pair of passes over what comes. */
	assert_int_equal(sm->out.knobs.run, 1);
	assert_true(sm->out.next_ms - sm->now <= 500);
	/* 2 GiB of mergeable memory arriving in 250 ms: flat out. */
	walked(sm, 524288);
	at(sm, 250, 10, 1000, 0, 0);
	assert_int_equal(sm->out.knobs.sleep_ms, 0);
	assert_true(sm->out.next_ms - sm->now <= 1000);
	sim_free(sm);
}

/* A full scan ending in the step of the event is from before it. */
static void
test_event_ignores_the_pass_before_it(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	sm = sim_new(&par);
	at(sm, 0, 10, 1000, 5000, 0);
	at(sm, 1000, 11, 2000, 5000, 0);
	sm->in.kicks = 1;
	at(sm, 1100, 12, 3000, 5000, 0);
	assert_string_equal(state(sm), "boosting");
	assert_string_equal(policy_reason(sm->p), "kick");
	assert_int_equal(policy_transitions(sm->p), 1);
	/* The first pass that began after it does count. */
	at(sm, 1200, 13, 4000, 5000, 0);
	assert_string_equal(state(sm), "settling");
	sim_free(sm);
}

/*
 * Recorded on Linux 6.18 (2 cores): four 512 MiB simulated VMs filled
 * over 3 s while ksmd ran flat out.  Every 500 ms: full_scans,
 * pages_scanned, pages_sharing, ksmd CPU ms.
 */
static const int64_t recorded[][4] = {
	{ 3, 49578, 7201, 90 },		{ 4, 129152, 18994, 260 },
	{ 5, 234300, 31119, 460 },	{ 5, 327295, 46298, 730 },
	{ 5, 392534, 60029, 970 },	{ 6, 473017, 76098, 1210 },
	{ 6, 578446, 91363, 1460 },	{ 6, 717160, 110059, 1820 },
	{ 7, 935254, 141019, 2300 },	{ 7, 1109264, 170903, 2800 },
	{ 7, 1198672, 203568, 3290 },	{ 7, 1296685, 238216, 3790 },
	{ 7, 1406006, 265855, 4240 },	{ 8, 1550826, 300831, 4730 },
	{ 8, 1734096, 310243, 5190 },	{ 8, 1898848, 311523, 5620 },
	{ 9, 2133862, 312920, 6110 },	{ 9, 2373346, 312920, 6600 },
	{ 10, 2751797, 312920, 7100 },	{ 11, 3107769, 312921, 7600 },
	{ 12, 3463474, 312922, 8090 },	{ 13, 4016981, 312922, 8590 },
	{ 14, 4399321, 312922, 9090 },	{ 16, 5115463, 312923, 9590 },
};

static void
test_recorded_wave_boosts_then_settles(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;
	size_t			 i;
	uint64_t		 settled = 0;

	defaults(&par);
	sm = sim_new(&par);
	at(sm, 0, 2, 0, 0, 0);
	sm->in.created = 4;
	at(sm, 1, 2, 0, 0, 0);
	for (i = 0; i < sizeof(recorded) / sizeof(recorded[0]); i++) {
		at(sm, 500 * (i + 1), recorded[i][0], recorded[i][1],
		    recorded[i][2], (uint64_t)recorded[i][3]);
		if (i < 15)	/* merging still growing: keep scanning fast */
			assert_true(policy_state(sm->p) != POLICY_IDLE);
		if (settled == 0 && policy_state(sm->p) == POLICY_IDLE)
			settled = 500 * (i + 1);
	}
	/* Flat from 8.5 s: idle two full scans later, well before 12 s. */
	assert_true(settled >= 9000 && settled <= 11000);
	assert_string_equal(policy_reason(sm->p),
	    "merging settled: 2 full scans since memory stopped arriving");
	assert_int_equal(sm->out.knobs.sleep_ms, 200);
	assert_true(knob_rate(&sm->out.knobs) <= 100 * 1000 / 20);
	assert_true(policy_transitions(sm->p) >= 2);
	sim_free(sm);
}

static void
test_boost_extended_while_growing(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;
	uint64_t		 t;
	int64_t			 scans = 1, sharing = 0;

	defaults(&par);
	sm = sim_new(&par);
	at(sm, 0, scans, 0, 0, 0);
	sm->in.kicks = 1;
	at(sm, 1, scans, 0, 0, 0);
	/* A pass a second, each merging 5000 more pages, for a minute. */
	for (t = 1000; t <= 60000; t += 250) {
		if (t % 1000 == 0) {
			scans++;
			sharing += 5000;
		}
		at(sm, t, scans, scans * 300000, sharing, t);
		assert_string_equal(state(sm), "boosting");
	}
	/* Then flat: settled after two passes without growth. */
	for (; t <= 64000; t += 250) {
		if (t % 1000 == 0)
			scans++;
		at(sm, t, scans, scans * 300000, sharing, t);
	}
	assert_string_equal(state(sm), "idle");
	sim_free(sm);
}

/* A kick over a set of so many pages, sharing so many, walked. */
static struct sim *
kicked(uint64_t set, int64_t sharing)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	sm = sim_new(&par);
	walked(sm, set);
	at(sm, 0, 0, 0, sharing, 0);
	sm->in.kicks = 1;
	at(sm, 1, 0, 0, sharing, 0);
	return sm;
}

/*
 * A pass a second over a walked set: the set per pass end, and what
 * merging grew in each.  The state at each pass end.
 */
static void
passes(struct sim *sm, const uint64_t *set, const int64_t *gain,
    const char **want, size_t n)
{
	uint64_t	t = 250, cur = set[0];
	int64_t		scans = 0, sharing = 0;
	size_t		i = 0;

	for (; i < n; t += 250) {
		if (t % 1000 == 0) {
			/* The walk sees it with the pass end: it may have
			   come just after the next pass began. */
			cur = set[i];
			scans++;
			sharing += gain[i];
		}
		walked(sm, cur);
		at(sm, t, scans, scans * (int64_t)cur, sharing, t);
		if (t % 1000 == 0) {
			if (strcmp(state(sm), want[i]) != 0)
				fail_msg("pass %zu: %s, not %s: %s", i + 1,
				    state(sm), want[i], policy_reason(sm->p));
			i++;
		}
	}
}

/*
 * The pass that merges a wave's last pages is the first over memory that
 * stopped arriving: every page has been looked at twice once the next
 * one is done, and it merging nothing ends the boost.
 */
static void
test_settles_a_pass_after_the_last_merge(void **unused)
{
	struct sim	*sm;
	uint64_t	 set[] = { 524288, 524288, 524288, 524288, 524288 };
	int64_t		 gain[] = { 50000, 50000, 50000, 50000, 0 };
	const char	*want[] = { "boosting", "boosting", "boosting",
	    "boosting", "idle" };

	sm = kicked(set[0], 0);
	passes(sm, set, gain, want, 5);
	assert_string_equal(policy_reason(sm->p),
	    "merging settled: 4 full scans since memory stopped arriving");
	sim_free(sm);
}

/*
 * Memory that arrived just as a pass began may have been behind ksmd
 * already: looked at first in the pass after, it merges in the one after
 * that.  Passes are counted over still memory from before they began.
 */
static void
test_memory_at_a_pass_start_is_waited_for(void **unused)
{
	struct sim	*sm;
	uint64_t	 set[] = { 524288, 524288, 524288, 540672, 540672,
	    540672, 540672, 540672 };
	int64_t		 gain[] = { 50000, 50000, 50000, 0, 0, 0, 9000, 0 };
	const char	*want[] = { "boosting", "boosting", "boosting",
	    "boosting", "settling", "settling", "boosting", "idle" };

	sm = kicked(set[0], 0);
	passes(sm, set, gain, want, 8);
	sim_free(sm);
}

/* Idle yet?  Fails if it boosts again once settling: nothing grew. */
static int
settled_without_growth(const struct sim *sm, int *settling)
{
	if (policy_state(sm->p) == POLICY_IDLE)
		return 1;
	if (policy_state(sm->p) == POLICY_SETTLING)
		*settling = 1;
	else if (*settling)
		fail_msg("%s", policy_reason(sm->p));
	return 0;
}

/*
 * Settling over merged memory: smart_scan skips the unique pages, passes
 * are short, and a 250 ms sample holds one or two pass ends over 1.75
 * passes' pages.  The pages per pass read from a sample with one end is
 * above the resident mergeable memory: not growth, the walks say so.
 */
static void
test_short_passes_are_not_growth(void **unused)
{
	struct sim		*sm;
	uint64_t		 t;
	int64_t			 scanned = 0, sharing = 100000;
	int			 settling = 0;

	sm = kicked(262144, sharing);
	for (t = 250; t <= 10000; t += 250) {
		scanned += 350000;	/* a pass is 200000 pages */
		walked(sm, 262144);
		at(sm, t, scanned / 200000, scanned, sharing, t);
		if (settled_without_growth(sm, &settling))
			break;
	}
	assert_string_equal(state(sm), "idle");
	/* As soon as the 3 s a kick gives the guests to start is over. */
	assert_true(t <= 3500);
	sim_free(sm);
}

/*
 * Settling over a large merged set, as after a wave of 23 guests: a pass
 * takes 7 s and smart_scan makes it scan a third of the resident
 * mergeable memory, which a walk reads every 30 s while nothing moves.
 * A pass marked with one measure and ended with the other is no growth.
 */
static void
test_set_measures_are_not_mixed(void **unused)
{
	struct sim		*sm;
	uint64_t		 t;
	int64_t			 scanned = 0, sharing = 2000000;
	int			 settling = 0;

	sm = kicked(3000000, sharing);
	for (t = 250; t <= 120000; t += 250) {
		scanned += 1000000 / 28;	/* 1000000 pages a pass */
		if (t % 30000 == 20750)
			walked(sm, 3000000);
		at(sm, t, scanned / 1000000, scanned, sharing, t);
		if (settled_without_growth(sm, &settling))
			break;
	}
	assert_string_equal(state(sm), "idle");
	sim_free(sm);
}

static int
json_exhausted(const struct sim *sm)
{
	cJSON	*o = cJSON_CreateObject(), *b;
	int	 r;

	policy_json(sm->p, sm->now, o);
	b = cJSON_GetObjectItem(o, "budget");
	r = cJSON_IsTrue(cJSON_GetObjectItem(b, "exhausted"));
	cJSON_Delete(o);
	return r;
}

static void
test_budget_honoured(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;
	uint64_t		 t, cpu = 0;
	int64_t			 scans = 1, sharing = 0, scanned = 0;
	double			 frac;

	defaults(&par);
	par.budget_window_ms = 20000;	/* 2 CPU-s above the average */
	sm = sim_new(&par);
	at(sm, 0, scans, 0, 0, 0);
	sm->in.created = 1;
	sm->in.announced_pages = 1 << 20;	/* a 4 GiB VM */
	at(sm, 1, scans, 0, 0, 0);
	assert_int_equal(sm->out.knobs.sleep_ms, 0);
	/* ksmd flat out, merging all along: the budget runs dry. */
	for (t = 250; t <= 10000; t += 250) {
		cpu += 250;
		scanned += 100000;
		sharing += 3000;
		if (t % 1000 == 0)
			scans++;
		at(sm, t, scans, scanned, sharing, cpu);
	}
	assert_string_equal(state(sm), "boosting");
	assert_true(json_exhausted(sm));
	/* Held to 10 % of a core: 20 ms naps, batches sized for that. */
	assert_int_equal(sm->out.knobs.sleep_ms, 20);
	frac = (double)sm->out.knobs.pages_to_scan / 400.0 /
	    ((double)sm->out.knobs.pages_to_scan / 400.0 + 20);
	assert_true(frac > 0.05 && frac < 0.15);
	/* Once ksmd idles the budget comes back and boosts are full again. */
	for (; t <= 40000; t += 1000)
		at(sm, t, scans, scanned, sharing, cpu);
	sm->in.kicks = 1;
	at(sm, t, scans, scanned, sharing, cpu);
	assert_false(json_exhausted(sm));
	assert_int_equal(sm->out.knobs.sleep_ms, 0);
	sim_free(sm);
}

static void
test_idle_trickle(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	sm = sim_new(&par);
	/* 10 M pages scanned per pass: capped at the kernel's default rate. */
	at(sm, 0, 1, 0, 0, 0);
	at(sm, 30000, 2, 10000000, 0, 0);
	assert_string_equal(state(sm), "idle");
	assert_true(knob_rate(&sm->out.knobs) <= 5000);
	assert_int_equal(sm->out.knobs.sleep_ms, 200);
	/* 100 000 pages: one pass per idle_pass_ms, about 833 pages/s. */
	at(sm, 60000, 3, 10100000, 0, 0);
	assert_true(knob_rate(&sm->out.knobs) >= 700 &&
	    knob_rate(&sm->out.knobs) <= 1000);
	/* An idle daemon sleeps for the detection interval. */
	assert_int_equal(sm->out.next_ms - sm->now, 1000);
	sim_free(sm);
	par.detect_ms = 0;
	sm = sim_new(&par);
	at(sm, 0, 1, 0, 0, 0);
	assert_true(sm->out.next_ms - sm->now >= 30000);
	assert_int_equal(sm->out.probe_ms, UINT64_MAX);
	sim_free(sm);
}

/*
 * A VM's event, then a boost over 4 GiB a pass at 2000 pages per CPU ms
 * until it settles: the policy is idle at *t, with the counters there.
 */
static struct sim *
boosted_to_idle(uint64_t *t, int64_t *scans, int64_t *scanned, uint64_t *cpu)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	sm = sim_new(&par);
	*t = 100;
	*scans = 1;
	*scanned = 0;
	*cpu = 0;
	at(sm, 0, 1, 0, 0, 0);
	sm->in.created = 1;
	at(sm, *t, *scans, *scanned, 0, *cpu);
	assert_string_equal(state(sm), "boosting");
	while (strcmp(state(sm), "idle") != 0 && *t < 30000) {
		*t += 1000;
		(*scans)++;
		*scanned += 1000000;
		*cpu += 500;
		at(sm, *t, *scans, *scanned, 0, *cpu);
	}
	assert_string_equal(state(sm), "idle");
	return sm;
}

/*
 * A boost whose passes ran at 2000 pages per CPU ms (merged pages,
 * rescanned fast) does not size the trickle that follows: its pages cost
 * more each, and until measured, the trickle assumes they cost as much
 * as fresh ones.
 */
static void
test_trickle_speed_apart(void **unused)
{
	struct sim		*sm;
	uint64_t		 t, cpu;
	int64_t			 scans, scanned;

	sm = boosted_to_idle(&t, &scans, &scanned, &cpu);
	/* A quarter of a percent of a core at 400 pages per CPU ms. */
	assert_int_equal(sm->out.knobs.sleep_ms, 200);
	assert_true(knob_rate(&sm->out.knobs) <= 1000);
	/* The trickle measures its own: 100 pages per CPU ms, then less. */
	cpu += 30;
	at(sm, t + 30000, scans, scanned + 3000, 0, cpu);
	cpu += 20;
	at(sm, t + 40000, scans, scanned + 5000, 0, cpu);
	assert_true(knob_rate(&sm->out.knobs) < 1000);
	sim_free(sm);
}

/*
 * The trickle's first estimate is the speed of fresh pages; rescanning
 * merged zero pages measured 10 pages per CPU ms.  Its share of a core is
 * a ceiling: at the first measure below the estimate, the knobs are sized
 * from the measure, not from the mean of the two (the mean ran the first
 * idle stretch at several times its share for half a minute).
 */
static void
test_trickle_slows_at_the_first_measure(void **unused)
{
	struct sim		*sm;
	uint64_t		 t, cpu;
	int64_t			 scans, scanned;

	sm = boosted_to_idle(&t, &scans, &scanned, &cpu);
	/* 1000 pages a second at the first estimate: 100 CPU ms a second. */
	t += 1000;
	at(sm, t, scans, scanned, 0, cpu);
	scanned += 1000;
	cpu += 100;
	at(sm, t + 1000, scans, scanned, 0, cpu);
	/* A quarter of a percent of a core at 10 pages per CPU ms. */
	assert_true(knob_rate(&sm->out.knobs) <= 25);
	/* Cheaper than that later: the estimate rises, by halves. */
	scanned += 2000;
	cpu += 50;
	at(sm, t + 60000, scans, scanned, 0, cpu);
	assert_true(knob_rate(&sm->out.knobs) > 25 &&
	    knob_rate(&sm->out.knobs) <= 0.0025 * 25 * 1000);
	sim_free(sm);
}

static void
test_new_mergeable_memory_without_event(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	sm = sim_new(&par);
	sm->in.have_mergeable = 1;
	sm->in.mergeable_pages = 100000;
	at(sm, 0, 1, 0, 0, 0);
	/* What is there at start is new to us: merge it once. */
	assert_string_equal(state(sm), "boosting");
	sim_free(sm);

	sm = sim_new(&par);
	at(sm, 0, 1, 0, 0, 0);
	sm->in.have_mergeable = 1;
	sm->in.mergeable_pages = 4000;		/* 16 MiB: not yet */
	at(sm, 2000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "idle");
	sm->in.have_mergeable = 1;
	sm->in.mergeable_pages = 40000;
	at(sm, 4000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "boosting");
	assert_string_equal(policy_reason(sm->p),
	    "156 MiB of new mergeable memory with no event");
	sim_free(sm);
}

/* Memory that finished arriving during the boost is not new once idle. */
static void
test_idle_rebases_on_a_fresh_walk(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;
	uint64_t		 t;
	int64_t			 scans = 1;

	defaults(&par);
	sm = sim_new(&par);
	sm->in.kicks = 1;
	sm->in.have_mergeable = 1;
	sm->in.mergeable_pages = 50000;		/* the last walk, mid-fill */
	at(sm, 0, scans, 0, 0, 0);
	for (t = 250; policy_state(sm->p) != POLICY_IDLE && t < 20000;
	    t += 250) {
		if (t % 500 == 0)
			scans++;
		at(sm, t, scans, scans * 50000, 0, t);
	}
	assert_string_equal(state(sm), "idle");
	assert_int_equal(sm->out.probe_ms, 0);	/* a fresh walk, please */
	sm->in.have_mergeable = 1;
	sm->in.mergeable_pages = 65536;		/* all of it, now resident */
	at(sm, t, scans, scans * 50000, 0, t);
	assert_string_equal(state(sm), "idle");
	assert_int_equal(sm->out.probe_ms, 1000);
	sm->in.have_mergeable = 1;
	sm->in.mergeable_pages = 65536 + 16384;	/* a new 64 MiB */
	at(sm, t + 1000, scans, scans * 50000, 0, t);
	assert_string_equal(state(sm), "boosting");
	sim_free(sm);
}

static void
test_sharing_wobble_stays_idle(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;
	int64_t			 scans = 1, wobble[] = { 312920, 315433,
	    323003, 312922, 318492, 312921, 322107, 312920 };
	size_t			 i;

	defaults(&par);
	sm = sim_new(&par);
	at(sm, 0, scans, 0, 312920, 0);
	for (i = 0; i < sizeof(wobble) / sizeof(wobble[0]); i++) {
		scans++;
		at(sm, 120000 * (i + 1), scans, 524288 * scans, wobble[i],
		    (uint64_t)(100 * i));
		assert_string_equal(state(sm), "idle");
	}
	/* A real rise, as when a guest's pages become mergeable again. */
	scans++;
	at(sm, 120000 * (i + 1), scans, 524288 * scans, 360000, 1000);
	assert_string_equal(state(sm), "boosting");
	sim_free(sm);
}

#define TOY_GUESTS	4

/*
 * A toy ksmd for the pacing tests: it scans at the rate of the knobs
 * last decided, at 400 pages per CPU ms, over a set that guests fill;
 * a pass merges what its share of a page's two looks allows: half of
 * the set as it was when the pass before began.
 */
struct toy {
	struct sim	*sm;
	uint64_t	 t;
	double		 scanned, pass_left, cpu;
	double		 unmerged;		/* pages not yet merged, * ms */
	int64_t		 scans, sharing, merge_next, merge_share;
	uint64_t	 set, walk_t;
	uint64_t	 guest[TOY_GUESTS];	/* each one's pages */
	struct mergeable walk;
};

static double
toy_rate(const struct policy_knobs *k)
{
	if (k->run != 1)
		return 0;
	if (k->sleep_ms == 0)
		return 400.0;		/* flat out: a core */
	return (double)k->pages_to_scan / ((double)k->pages_to_scan / 400.0 +
	    (double)k->sleep_ms);
}

/* Run ksmd for dt ms with the first guest grown by grow pages; step. */
static void
toy_step(struct toy *y, uint64_t dt, uint64_t grow)
{
	double		pages = toy_rate(&y->sm->out.knobs) * (double)dt;
	unsigned	i;

	y->guest[0] += grow;
	for (y->set = 0, i = 0; i < TOY_GUESTS; i++)
		y->set += y->guest[i];
	y->t += dt;
	if ((int64_t)y->set * y->merge_share / 100 > y->sharing)
		y->unmerged += (double)((int64_t)y->set * y->merge_share /
		    100 - y->sharing) * (double)dt;
	y->scanned += pages;
	y->cpu += pages / 400.0;
	y->pass_left -= pages;
	while (y->pass_left <= 0 && y->set > 0) {
		y->scans++;
		y->sharing += y->merge_next;
		y->merge_next = 0;
		if ((int64_t)y->set * y->merge_share / 100 > y->sharing)
			y->merge_next = (int64_t)y->set * y->merge_share /
			    100 - y->sharing;
		y->pass_left += (double)y->set;
	}
	/* The engine walks /proc when asked, at most every 500 ms else. */
	if (y->sm->out.probe_ms == 0 || y->t >= y->walk_t + 500) {
		y->walk.pages = y->set;
		for (y->walk.listed = 0, i = 0; i < TOY_GUESTS; i++) {
			if (y->guest[i] == 0)
				continue;
			y->walk.proc[y->walk.listed].pid = 100 + (int)i;
			y->walk.proc[y->walk.listed++].pages = y->guest[i];
		}
		y->walk_t = y->t;
		y->sm->in.walk = &y->walk;
	}
	y->sm->in.have_mergeable = 1;
	y->sm->in.mergeable_pages = y->walk.pages;
	at(y->sm, y->t, y->scans, (int64_t)y->scanned, y->sharing,
	    (uint64_t)y->cpu);
}

/* A policy with the default parameters over a toy ksmd. */
static struct sim *
toy_new(struct toy *y, int merge_share)
{
	struct policy_params	 par;

	defaults(&par);
	memset(y, 0, sizeof(*y));
	y->sm = sim_new(&par);
	y->merge_share = merge_share;
	y->scans = 1;
	y->pass_left = 1;
	y->sm->in.have_mergeable = 1;
	at(y->sm, 0, 1, 0, 0, 0);
	return y->sm;
}

/* Until the policy idles or limit ms pass; the CPU ms ksmd used. */
static double
toy_settle(struct toy *y, uint64_t limit)
{
	double	cpu = y->cpu;

	while (policy_state(y->sm->p) != POLICY_IDLE && y->t < limit)
		toy_step(y, 250, 0);
	return y->cpu - cpu;
}

/*
 * Steps the toy through guests writing grow pages each 250 ms until t ms;
 * the pages it scanned from 2 s on, per second, and how many steps had
 * ksmd stopped and how many at full speed.
 */
static double
toy_arrive(struct toy *y, uint64_t until, uint64_t grow, int *stopped,
    int *flat)
{
	double		from = 0;
	uint64_t	t0 = 0;

	*stopped = *flat = 0;
	while (y->t < until) {
		toy_step(y, 250, grow);
		assert_string_equal(state(y->sm), "boosting");
		if (y->t < 2000)
			continue;
		if (t0 == 0) {
			t0 = y->t;
			from = y->scanned;
		}
		assert_true(y->sm->out.next_ms - y->sm->now <= 250);
		*stopped += y->sm->out.knobs.run == 0;
		*flat += y->sm->out.knobs.run == 1 &&
		    y->sm->out.knobs.sleep_ms == 0;
	}
	return (y->scanned - from) * 1000.0 / (double)(y->t - t0);
}

/*
 * Guests filling 1 GiB over 20 s: ksmd keeps pace, in pairs of passes at
 * full speed with pauses between them, then sprints.
 */
static void
test_slow_arrival_paced(void **unused)
{
	struct toy		 y;
	struct sim		*sm;
	double			 rate;
	int			 stopped, flat;

	sm = toy_new(&y, 60);
	sm->in.created = 2;
	toy_step(&y, 1, 0);
	rate = toy_arrive(&y, 20000, 3200, &stopped, &flat);	/* 12.8 k/s */
	/* Twice the arrival, on the mean: a fraction of a core. */
	assert_true(rate >= 12800 * 1.5 && rate <= 12800 * 3);
	assert_true(stopped > 2 * flat && flat > 0);
	/* Merging kept up: what was there when the last pair began. */
	assert_true(y.sharing >= (int64_t)y.set * 60 / 100 / 3);
	/* Growth stopped: a sprint within a second and a half. */
	while (strcmp(policy_reason(sm->p), "a guest stopped writing its "
	    "memory: scanning at full speed") != 0 && y.t < 21500)
		toy_step(&y, 250, 0);
	assert_string_equal(policy_reason(sm->p), "a guest stopped writing "
	    "its memory: scanning at full speed");
	assert_int_equal(sm->out.knobs.run, 1);
	assert_int_equal(sm->out.knobs.sleep_ms, 0);
	/* Then the last pages merge and it settles in a few passes. */
	toy_settle(&y, 30000);
	assert_string_equal(state(sm), "idle");
	assert_int_equal(y.sharing, (int64_t)y.set * 60 / 100);
	/*
	 * ksmd spent what about six passes over the whole set cost: three
	 * while it arrived, the sprint, two to see it settled.
	 */
	assert_true(y.cpu <= 6.5 * (double)y.set / 400.0);
	sim_free(sm);
}

/* The same arrival at pace_factor 2 and 4: faster, so merged sooner. */
static void
test_pace_factor(void **unused)
{
	struct toy		 y;
	struct sim		*sm;
	double			 rate, unmerged[2];
	int			 i, stopped, flat;

	for (i = 0; i < 2; i++) {
		sm = toy_new(&y, 60);
		sm->par.pace_factor = 2 + 2 * (uint64_t)i;
		policy_set_params(sm->p, &sm->par);
		sm->in.created = 2;
		toy_step(&y, 1, 0);
		rate = toy_arrive(&y, 20000, 3200, &stopped, &flat);
		assert_true(rate >= 12800 * 0.75 * (double)sm->par.pace_factor &&
		    rate <= 12800 * 1.5 * (double)sm->par.pace_factor);
		unmerged[i] = y.unmerged;
		sim_free(sm);
	}
	assert_true(unmerged[1] < unmerged[0] * 0.8);
}

/* Run the toy dt ms while the second guest writes grow pages. */
static void
toy_second(struct toy *y, uint64_t dt, uint64_t grow)
{
	y->guest[1] += grow;
	toy_step(y, dt, 0);
}

/*
 * Two guests, the first done writing while the second still writes: the
 * wave is merged at full speed from then on, not paced any more.
 */
static void
test_stopped_guest_sprints(void **unused)
{
	struct toy		 y;
	struct sim		*sm;

	sm = toy_new(&y, 60);
	sm->in.created = 2;
	toy_step(&y, 1, 0);
	while (y.t < 6000) {
		y.guest[1] += 1600;
		toy_step(&y, 250, 1600);
		assert_string_equal(policy_reason(sm->p), "2 VMs created");
	}
	/* The first stopped: flat out within half a second... */
	while (strcmp(policy_reason(sm->p), "2 VMs created") == 0 &&
	    y.t < 6500)
		toy_second(&y, 250, 1600);
	assert_int_equal(sm->out.knobs.sleep_ms, 0);
	assert_string_equal(policy_reason(sm->p), "a guest stopped writing "
	    "its memory: scanning at full speed");
	/* ... and so while the second still writes. */
	while (y.t < 9000) {
		toy_second(&y, 250, 1600);
		assert_string_equal(state(sm), "boosting");
		assert_int_equal(sm->out.knobs.sleep_ms, 0);
	}
	/* The second stopped too: merged, settled. */
	toy_settle(&y, 30000);
	assert_string_equal(state(sm), "idle");
	assert_int_equal(y.sharing, (int64_t)y.set * 60 / 100);
	sim_free(sm);
}

/* A VM announced but slow to touch its memory: no sprint over nothing. */
static void
test_event_waits_for_memory(void **unused)
{
	struct toy		 y;
	struct sim		*sm;
	uint64_t		 t;

	sm = toy_new(&y, 60);
	toy_step(&y, 1000, 500000);		/* 2 GiB of older guests */
	toy_settle(&y, 60000);
	assert_string_equal(state(sm), "idle");
	sm->in.created = 1;
	toy_step(&y, 1, 0);
	for (t = y.t; y.t < t + 2750; ) {
		toy_step(&y, 250, 0);
		assert_string_equal(state(sm), "boosting");
		/* Not a pair over the guests that were there: stopped. */
		assert_int_equal(sm->out.knobs.run, 0);
	}
	sim_free(sm);
}

/*
 * VMs created one after the other (a host filling up): one created while
 * ksmd sprints over memory not yet merged starts its pace with a pair of
 * passes at once, where one created on an idle host does not.
 */
static void
test_event_during_a_boost_pairs_at_once(void **unused)
{
	struct toy		 y;
	struct sim		*sm;

	sm = toy_new(&y, 60);
	sm->in.created = 1;
	toy_step(&y, 1, 0);
	while (y.t < 3000)
		toy_step(&y, 250, 40000);	/* 625 MiB in 3 s */
	while (strcmp(policy_reason(sm->p), "1 VM created") == 0 &&
	    y.t < 4000)
		toy_step(&y, 250, 0);
	assert_string_equal(policy_reason(sm->p), "a guest stopped writing "
	    "its memory: scanning at full speed");
	sm->in.created = 1;
	toy_second(&y, 250, 1600);
	assert_string_equal(policy_reason(sm->p), "1 VM created");
	assert_int_equal(sm->out.knobs.run, 1);
	assert_true(y.sharing < (int64_t)y.set * 60 / 100);
	sim_free(sm);
}

/*
 * The ms from a second guest's event, sent while ksmd rests between two
 * pairs (or from the same moment, with no second guest) to the next pair.
 */
static uint64_t
toy_next_pair(int second)
{
	struct toy		 y;
	struct sim		*sm;
	uint64_t		 t;

	sm = toy_new(&y, 60);
	sm->in.created = 1;
	toy_step(&y, 1, 0);
	while ((y.t < 8000 || sm->out.knobs.run != 0) && y.t < 30000)
		toy_step(&y, 250, 3200);
	assert_string_equal(policy_reason(sm->p), "1 VM created");
	assert_int_equal(sm->out.knobs.run, 0);
	sm->in.created = second;
	t = y.t;
	do {
		y.guest[1] += second ? 3200 : 0;
		toy_step(&y, 250, 3200);
		assert_string_equal(state(sm), "boosting");
		/* Not a pair at once: what is there was looked at twice. */
		if (y.t == t + 250)
			assert_int_equal(sm->out.knobs.run, 0);
	} while (sm->out.knobs.run == 0 && y.t < t + 60000);
	assert_int_equal(sm->out.knobs.run, 1);
	sim_free(sm);
	return y.t - t;
}

/*
 * A VM created while ksmd rests between two pairs: the pause goes on,
 * shortened as the new guest's memory arrives, since the pace follows
 * the arrival.
 */
static void
test_event_between_pairs_shortens_the_pause(void **unused)
{
	uint64_t	alone = toy_next_pair(0), two = toy_next_pair(1);

	assert_true(alone > 250 && two > 250);
	assert_true((double)two < 0.8 * (double)alone);
}

/* Guests whose every page is unique: the boost gives up as they finish. */
static void
test_nothing_mergeable(void **unused)
{
	struct toy		 y;
	struct sim		*sm;
	double			 cpu;

	sm = toy_new(&y, 0);
	sm->in.created = 4;
	toy_step(&y, 1, 0);
	while (y.t < 4500) {
		toy_step(&y, 250, 29000);	/* 2 GiB in 4.5 s */
		assert_string_equal(state(sm), "boosting");
	}
	cpu = toy_settle(&y, 7000);
	assert_string_equal(state(sm), "idle");
	assert_true(strstr(policy_reason(sm->p), "merged nothing") != NULL);
	/* No sprint: what it cost was the paced passes, a few of them. */
	assert_true(cpu < (double)y.set / 400.0);
	assert_true(y.cpu <= 4 * (double)y.set / 400.0);
	sim_free(sm);
}

/*
 * Unique guests given up on while they still write: the rest of what they
 * write is not new memory, but what comes once they are done is.
 */
static void
test_nothing_mergeable_tail(void **unused)
{
	struct toy		 y;
	struct sim		*sm;

	sm = toy_new(&y, 0);
	sm->in.created = 2;
	toy_step(&y, 1, 0);
	/* The first writes 384 MiB in 3 s, the second 896 MiB in 7 s. */
	while (y.t < 3000) {
		y.guest[1] += 8192;
		toy_step(&y, 250, 8192);
		assert_string_equal(state(sm), "boosting");
	}
	while (y.t < 4000 && policy_state(sm->p) != POLICY_IDLE) {
		y.guest[1] += 8192;
		toy_step(&y, 250, 0);
	}
	assert_string_equal(state(sm), "idle");
	assert_true(strstr(policy_reason(sm->p), "merged nothing") != NULL);
	while (y.t < 7000) {
		y.guest[1] += 8192;
		toy_step(&y, 250, 0);
		assert_string_equal(state(sm), "idle");
	}
	toy_step(&y, 1000, 0);
	toy_step(&y, 1000, 0);
	assert_string_equal(state(sm), "idle");
	/* 64 MiB more, unannounced, once they are done: found. */
	toy_step(&y, 250, 16384);
	toy_step(&y, 1000, 0);
	assert_string_equal(state(sm), "boosting");
	assert_true(strstr(policy_reason(sm->p), "no event") != NULL);
	sim_free(sm);
}

/* Duplicates written late, unannounced: found, merged, settled. */
static void
test_late_duplicates(void **unused)
{
	struct toy		 y;
	struct sim		*sm;
	uint64_t		 t;
	int64_t			 before;

	sm = toy_new(&y, 60);
	toy_step(&y, 1000, 500000);
	toy_settle(&y, 60000);
	for (t = y.t + 30000; y.t < t; )
		toy_step(&y, 1000, 0);
	assert_string_equal(state(sm), "idle");
	before = y.sharing;
	/* Four guests write 96 MiB each over a second and a half. */
	toy_step(&y, 500, 32768);
	toy_step(&y, 500, 32768);
	assert_string_equal(state(sm), "boosting");
	assert_string_equal(policy_reason(sm->p),
	    "128 MiB of new mergeable memory with no event");
	/* Written in a block, unannounced: merged flat out, not paced. */
	assert_int_equal(sm->out.knobs.sleep_ms, 0);
	for (t = y.t; y.t < t + 500; ) {
		toy_step(&y, 250, 16384);
		assert_int_equal(sm->out.knobs.sleep_ms, 0);
	}
	toy_settle(&y, t + 30000);
	assert_string_equal(state(sm), "idle");
	assert_int_equal(y.sharing, (int64_t)y.set * 60 / 100);
	assert_true(y.sharing - before >= 98304 * 60 / 100);
	sim_free(sm);
}

static void
test_nothing_to_scan(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;
	uint64_t		 t;

	defaults(&par);
	sm = sim_new(&par);
	at(sm, 0, 7, 500, 0, 0);
	sm->in.kicks = 1;
	at(sm, 1, 7, 500, 0, 0);
	for (t = 250; t < 3000; t += 250) {
		at(sm, t, 7, 500, 0, 0);
		assert_string_equal(state(sm), "boosting");	/* grace */
	}
	for (; t <= 6000; t += 250)
		at(sm, t, 7, 500, 0, 0);
	assert_string_equal(state(sm), "idle");
	assert_string_equal(policy_reason(sm->p), "ksmd found nothing to scan");
	sim_free(sm);
}

/*
 * ksmd scans nothing for seconds while mergeable memory is there: starved
 * of CPU by guests writing theirs, not done.  The boost waits for it.
 */
static void
test_starved_ksmd_is_waited_for(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;
	uint64_t		 t;

	defaults(&par);
	sm = sim_new(&par);
	walked(sm, 0);
	at(sm, 0, 7, 500, 0, 0);
	sm->in.kicks = 1;
	walked(sm, 262144);
	at(sm, 1, 7, 500, 0, 0);
	for (t = 250; t <= 10000; t += 250) {
		sm->in.have_mergeable = 1;
		sm->in.mergeable_pages = 262144;
		sm->in.mergeable_current = 1;
		at(sm, t, 7, 500, 0, 0);
		assert_string_equal(state(sm), "boosting");
	}
	/* The guests are gone: nothing left to scan. */
	walked(sm, 0);
	at(sm, t, 7, 500, 0, 0);
	assert_string_equal(state(sm), "idle");
	assert_string_equal(policy_reason(sm->p), "ksmd found nothing to scan");
	sim_free(sm);
}

static void
test_free_memory_gate(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	par.gate_free_pct = 50;
	sm = sim_new(&par);
	sm->in.have_mem = 1;
	sm->in.mem_total_kb = 1000;
	sm->in.mem_avail_kb = 900;
	at(sm, 0, 1, 0, 0, 0);
	assert_string_equal(state(sm), "gated");
	assert_int_equal(sm->out.knobs.run, 0);
	/* An event does not start ksmd while memory is plentiful. */
	sm->in.have_mem = 1;
	sm->in.mem_total_kb = 1000;
	sm->in.mem_avail_kb = 510;
	sm->in.created = 1;
	at(sm, 1000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "gated");
	sm->in.have_mem = 1;
	sm->in.mem_total_kb = 1000;
	sm->in.mem_avail_kb = 400;
	at(sm, 6000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "boosting");
	assert_int_equal(sm->out.knobs.run, 1);
	sim_free(sm);
}

/* A step without a reading of free memory leaves the gate as it was. */
static void
test_gate_without_reading(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	par.gate_free_pct = 50;
	sm = sim_new(&par);
	sm->in.have_mem = 1;
	sm->in.mem_total_kb = 1000;
	sm->in.mem_avail_kb = 900;
	at(sm, 0, 1, 0, 0, 0);
	assert_string_equal(state(sm), "gated");
	at(sm, 5000, 1, 0, 0, 0);		/* /proc/meminfo unreadable */
	assert_string_equal(state(sm), "gated");
	assert_int_equal(sm->out.knobs.run, 0);
	sm->in.have_mem = 1;
	sm->in.mem_total_kb = 0;		/* ... or nonsense */
	at(sm, 10000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "gated");
	sm->in.have_mem = 1;
	sm->in.mem_total_kb = 1000;
	sm->in.mem_avail_kb = 900;
	at(sm, 15000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "gated");
	sm->in.have_mem = 1;
	sm->in.mem_total_kb = 1000;
	sm->in.mem_avail_kb = 400;
	at(sm, 20000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "boosting");
	sim_free(sm);

	/* Not gated, no reading: it does not gate either. */
	sm = sim_new(&par);
	at(sm, 0, 1, 0, 0, 0);
	assert_string_equal(state(sm), "idle");
	sim_free(sm);
}

/*
 * ksmd is one thread: a CPU time that grew by more than the wall time
 * is a garbage reading, and does not spend the budget.
 */
static void
test_garbage_cpu_time(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	sm = sim_new(&par);
	at(sm, 0, 1, 0, 0, 0);
	at(sm, 1000, 1, 0, 0, 1000000000);
	assert_false(json_exhausted(sm));
	at(sm, 2000, 1, 0, 0, 10);		/* back: gone backwards, ignored */
	at(sm, 3000, 1, 0, 0, 20);
	assert_false(json_exhausted(sm));
	/* A full core, and a few ticks of rounding, is no garbage. */
	at(sm, 4000, 1, 0, 0, 1090);
	at(sm, 5000, 1, 0, 0, 2090);
	assert_false(json_exhausted(sm));
	sm->in.kicks = 1;
	at(sm, 5100, 1, 0, 0, 2090);
	assert_string_equal(state(sm), "boosting");
	assert_false(json_exhausted(sm));
	sim_free(sm);
}

/* This kernel cannot say what is mergeable: idle sleeps long. */
static void
test_walks_off_idle_sleeps(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	sm = sim_new(&par);
	at(sm, 0, 1, 0, 0, 0);
	assert_string_equal(state(sm), "idle");
	assert_int_equal(sm->out.next_ms - sm->now, par.detect_ms);
	sm->in.walks_off = 1;
	at(sm, 1000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "idle");
	assert_int_equal(sm->out.next_ms - sm->now, 30000);
	/* The free-memory gate still wants its look every 5 s. */
	par.gate_free_pct = 50;
	policy_set_params(sm->p, &par);
	sm->in.walks_off = 1;
	at(sm, 31000, 1, 0, 0, 0);
	assert_int_equal(sm->out.next_ms - sm->now, 5000);
	sim_free(sm);
}

/* PAGES of new mergeable memory with no event, on pages of PAGE_SIZE. */
static void
boosts_for(uint64_t page_size, uint64_t pages, const char *why)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	par.page_size = page_size;
	sm = sim_new(&par);
	at(sm, 0, 1, 0, 0, 0);
	sm->in.have_mergeable = 1;
	sm->in.mergeable_pages = pages;
	at(sm, 2000, 1, 0, 0, 0);
	assert_string_equal(state(sm), "boosting");
	assert_string_equal(policy_reason(sm->p), why);
	sim_free(sm);
}

/* New memory is told in MiB of the host's pages, whatever their size. */
static void
test_page_size(void **unused)
{
	boosts_for(65536, 40000,
	    "2500 MiB of new mergeable memory with no event");
	/*
	 * Thresholds are in bytes: 48 MiB with no event boosts on 64 KiB
	 * pages (768 of them) as on 4 KiB ones, over the 32 MiB minimum.
	 */
	boosts_for(65536, 768, "48 MiB of new mergeable memory with no event");
	boosts_for(4096, 12288, "48 MiB of new mergeable memory with no event");
}

static void
test_advisor_actuator(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;

	defaults(&par);
	par.use_advisor = 1;
	sm = sim_new(&par);
	sm->s.have |= 1U << KSM_ADVISOR_MODE;
	at(sm, 0, 1, 0, 0, 0);
	assert_int_equal(sm->out.knobs.advisor, KSM_ADVISOR_SCAN_TIME);
	assert_int_equal(sm->out.knobs.pages_to_scan, -1);
	assert_int_equal(sm->out.knobs.adv_target_s, 120);
	assert_true(sm->out.knobs.adv_max_pages <= 100);
	assert_true(sm->out.reseed_advisor);
	at(sm, 2000, 1, 0, 0, 0);
	assert_false(sm->out.reseed_advisor);	/* same step: leave it be */
	sm->in.kicks = 1;
	at(sm, 2001, 1, 0, 0, 0);
	assert_true(sm->out.reseed_advisor);
	assert_int_equal(sm->out.knobs.adv_target_s, 1);
	assert_int_equal(sm->out.knobs.adv_max_cpu, 100);
	assert_true(sm->out.knobs.adv_min_pages > 1000);
	sim_free(sm);

	/* Asked for, but this kernel has no advisor: pages_to_scan it is. */
	sm = sim_new(&par);
	at(sm, 0, 1, 0, 0, 0);
	assert_int_equal(sm->out.knobs.advisor, -1);
	assert_true(sm->out.knobs.pages_to_scan > 0);
	sim_free(sm);
}

static void
test_status_json(void **unused)
{
	struct policy_params	 par;
	struct sim		*sm;
	cJSON			*o, *h;

	defaults(&par);
	sm = sim_new(&par);
	at(sm, 0, 1, 0, 0, 0);
	sm->in.kicks = 1;
	at(sm, 10, 1, 0, 0, 0);
	o = cJSON_CreateObject();
	policy_json(sm->p, sm->now, o);
	assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring,
	    "boosting");
	h = cJSON_GetObjectItem(o, "history");
	assert_int_equal(cJSON_GetArraySize(h), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(h, 0),
	    "reason")->valuestring, "kick");
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "targets"),
	    "pages_to_scan"));
	cJSON_Delete(o);
	sim_free(sm);
}

static void
test_sizing_boost(void **unused)
{
	struct sizing		sz;
	struct policy_knobs	k;
	double			frac;

	memset(&sz, 0, sizeof(sz));
	sz.speed = 400;
	sz.pass_ms = 200;
	sz.allowed_frac = 1.0;
	/* 2 GiB in 200 ms is more than a core: flat out. */
	sz.set_pages = 524288;
	policy_knobs_none(&k);
	frac = size_boost(&sz, &k);
	assert_true(frac == 1.0);
	assert_int_equal(k.run, 1);
	assert_int_equal(k.sleep_ms, 0);
	assert_int_equal(k.pages_to_scan, 20000);
	assert_int_equal(k.advisor, -1);
	/* 64 MiB: 20 % of a core, batches between 20 ms naps. */
	sz.set_pages = 16000;
	sz.has_advisor = 1;
	policy_knobs_none(&k);
	frac = size_boost(&sz, &k);
	assert_true(frac > 0.19 && frac < 0.21);
	assert_int_equal(k.sleep_ms, 20);
	assert_int_equal(k.advisor, KSM_ADVISOR_NONE);
	assert_int_equal(k.pages_to_scan, 1920);	/* 2000, 4 bits kept */
	/* Held to the budget's share. */
	sz.allowed_frac = 0.1;
	policy_knobs_none(&k);
	assert_true(size_boost(&sz, &k) == 0.1);
	/* The advisor: bounds around the rate, its target the pass. */
	sz.advisor = 1;
	policy_knobs_none(&k);
	size_boost(&sz, &k);
	assert_int_equal(k.advisor, KSM_ADVISOR_SCAN_TIME);
	assert_int_equal(k.pages_to_scan, -1);
	assert_int_equal(k.adv_target_s, 1);
	assert_int_equal(k.adv_max_cpu, 10);
	assert_int_equal(k.adv_max_pages, 4 * k.adv_min_pages);
}

/* A pace is a page rate, whatever ksmd's speed is thought to be. */
/* Walks of two processes at t ms: a grows by da, b by db pages. */
static void
walk2(struct arrival *a, struct mergeable *m, uint64_t t, uint64_t da,
    uint64_t db)
{
	m->proc[0].pages += da;
	m->proc[1].pages += db;
	m->pages = m->proc[0].pages + m->proc[1].pages;
	if (m->procs < m->listed)
		m->procs = m->listed;
	arrival_observe(a, m, t, 256);
}

/* Each process's stop is counted once; one that goes is forgotten. */
static void
test_arrival_stops(void **unused)
{
	struct arrival		a;
	struct mergeable	m;
	uint64_t		t;

	memset(&a, 0, sizeof(a));
	memset(&m, 0, sizeof(m));
	m.proc[0].pid = 10;
	m.proc[0].pages = 100000;	/* there before: not arriving */
	m.listed = m.procs = 1;
	arrival_observe(&a, &m, 0, 256);
	/* A second one appears with 8 MiB: it arrived since. */
	m.proc[1].pid = 11;
	m.proc[1].pages = 2048;
	m.listed = 2;
	walk2(&a, &m, 100, 0, 0);
	assert_true(arrival_recent(&a, 100));
	for (t = 200; t <= 1000; t += 100)
		walk2(&a, &m, t, 0, 1024);
	assert_int_equal(a.stops, 0);
	assert_true(arrival_pace(&a, 2) >= 2 * 1024 / 100.0);
	/* It stops: one stop, 250 ms on, and no more. */
	for (t = 1100; t <= 2000; t += 100)
		walk2(&a, &m, t, 0, 0);
	assert_int_equal(a.stops, 1);
	assert_false(arrival_recent(&a, 2000));
	/* The first one grows a little now and then: no stop. */
	walk2(&a, &m, 2100, 100, 0);
	walk2(&a, &m, 2600, 100, 0);
	assert_int_equal(a.stops, 1);
	/* The second goes and comes back under the same pid: anew. */
	m.listed = m.procs = 1;
	walk2(&a, &m, 2700, 0, 0);
	assert_int_equal(a.nprocs, 1);
	m.listed = 2;
	walk2(&a, &m, 2800, 0, 0);
	walk2(&a, &m, 3200, 0, 0);
	assert_int_equal(a.stops, 2);
	/*
	 * More processes than are listed: one that moves into the list as
	 * another leaves it did not grow, and does not stop.
	 */
	m.procs = 5;
	m.listed = 1;
	walk2(&a, &m, 3300, 0, 0);
	m.listed = 2;
	m.proc[1].pid = 12;
	walk2(&a, &m, 3400, 0, 0);
	walk2(&a, &m, 3800, 0, 0);
	assert_int_equal(a.stops, 2);
}

static void
test_sizing_trickle(void **unused)
{
	struct sizing		sz;
	struct policy_knobs	k;

	memset(&sz, 0, sizeof(sz));
	sz.speed = 400;
	sz.pass_ms = 120000;
	sz.budget_cpu_pct = 10;
	/* A huge set: the kernel's default rate at most, 5 naps a second. */
	sz.speed = 4000;
	sz.set_pages = 100000000;
	policy_knobs_none(&k);
	assert_true(size_trickle(&sz, &k) == 5.0 / 4000);
	assert_int_equal(k.sleep_ms, 200);
	assert_int_equal(k.pages_to_scan, 960);	/* 1000, 4 bits kept */
	/* Slower: a quarter of a percent of a core at most. */
	sz.speed = 400;
	policy_knobs_none(&k);
	assert_true(size_trickle(&sz, &k) == 1.0 / 400);
	assert_int_equal(k.pages_to_scan, 192);
	/* A small set: one page per ms at least. */
	sz.speed = 4000;
	sz.set_pages = 1000;
	policy_knobs_none(&k);
	size_trickle(&sz, &k);
	assert_int_equal(k.pages_to_scan, 192);
	sz.speed = 400;
	/* The advisor: the default batch as its ceiling. */
	sz.advisor = 1;
	policy_knobs_none(&k);
	size_trickle(&sz, &k);
	assert_int_equal(k.advisor, KSM_ADVISOR_SCAN_TIME);
	assert_int_equal(k.adv_target_s, 120);
	assert_int_equal(k.adv_max_cpu, 10);
	assert_int_equal(k.adv_min_pages, 20);
	assert_int_equal(k.adv_max_pages, 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_boosts_at_once),
		cmocka_unit_test(test_event_ignores_the_pass_before_it),
		cmocka_unit_test(test_recorded_wave_boosts_then_settles),
		cmocka_unit_test(test_settles_a_pass_after_the_last_merge),
		cmocka_unit_test(test_memory_at_a_pass_start_is_waited_for),
		cmocka_unit_test(test_boost_extended_while_growing),
		cmocka_unit_test(test_short_passes_are_not_growth),
		cmocka_unit_test(test_set_measures_are_not_mixed),
		cmocka_unit_test(test_budget_honoured),
		cmocka_unit_test(test_idle_trickle),
		cmocka_unit_test(test_new_mergeable_memory_without_event),
		cmocka_unit_test(test_idle_rebases_on_a_fresh_walk),
		cmocka_unit_test(test_sharing_wobble_stays_idle),
		cmocka_unit_test(test_slow_arrival_paced),
		cmocka_unit_test(test_pace_factor),
		cmocka_unit_test(test_stopped_guest_sprints),
		cmocka_unit_test(test_event_waits_for_memory),
		cmocka_unit_test(test_event_during_a_boost_pairs_at_once),
		cmocka_unit_test(test_event_between_pairs_shortens_the_pause),
		cmocka_unit_test(test_nothing_mergeable),
		cmocka_unit_test(test_nothing_mergeable_tail),
		cmocka_unit_test(test_late_duplicates),
		cmocka_unit_test(test_nothing_to_scan),
		cmocka_unit_test(test_starved_ksmd_is_waited_for),
		cmocka_unit_test(test_free_memory_gate),
		cmocka_unit_test(test_gate_without_reading),
		cmocka_unit_test(test_garbage_cpu_time),
		cmocka_unit_test(test_walks_off_idle_sleeps),
		cmocka_unit_test(test_page_size),
		cmocka_unit_test(test_advisor_actuator),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_sizing_boost),
		cmocka_unit_test(test_arrival_stops),
		cmocka_unit_test(test_sizing_trickle),
		cmocka_unit_test(test_trickle_speed_apart),
		cmocka_unit_test(test_trickle_slows_at_the_first_measure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
