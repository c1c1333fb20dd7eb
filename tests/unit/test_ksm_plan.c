/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the KSM engine's rules (ksm-plan.c) over hand-made
 * sequences: the order of knob writes against a kernel that refuses some
 * of them, and when /proc is walked or an event gets its own step.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ksm-plan.h"

/* The engine's loop, with a kernel that refuses the files in refuse. */
struct run {
	struct ksm_sample	s;
	int64_t			written[KSM_FILE_MAX];
	uint32_t		refuse;
	char			log[512];	/* "file=value ..." written */
};

static void
run_init(struct run *r, int advisor)
{
	int	f;

	memset(r, 0, sizeof(*r));
	for (f = 0; f < KSM_FILE_MAX; f++)
		r->written[f] = -1;
	for (f = 0; f < KSM_ADVISOR_MODE; f++)
		r->s.have |= 1U << f;
	if (advisor)
		r->s.have |= 1U << KSM_ADVISOR_MODE;
}

static void
run_plan(struct run *r, const struct policy_out *out)
{
	struct knob_plan	 pl;
	const struct knob_write	*w;
	const struct ksm_sample	*cur;
	size_t			 len;
	int			 i, ok;

	r->log[0] = '\0';
	knob_plan(out, &r->s, r->written, &pl);
	for (i = 0; i < pl.n; i++) {
		w = &pl.w[i];
		cur = knob_stale(&pl, w, r->written) ? NULL : &r->s;
		if (knob_holds(cur, r->written, w->f, w->v))
			continue;
		ok = !((r->refuse >> w->f) & 1);
		knob_written(r->written, w->f, w->v, ok);
		len = strlen(r->log);
		snprintf(r->log + len, sizeof(r->log) - len, "%s%s=%lld%s",
		    len > 0 ? " " : "", ksm_file_name(w->f), (long long)w->v,
		    ok ? "" : "!");
	}
}

static void
knobs_none(struct policy_out *out)
{
	memset(out, 0, sizeof(*out));
	policy_knobs_none(&out->knobs);
}

static void
test_nothing_blind(void **unused)
{
	struct policy_out	out;
	struct knob_plan	pl;
	int64_t			written[KSM_FILE_MAX];

	memset(written, 0xff, sizeof(written));
	knobs_none(&out);
	out.knobs.run = 1;
	out.knobs.pages_to_scan = 100;
	assert_int_equal(knob_plan(&out, NULL, written, &pl), 0);
	assert_int_equal(pl.n, 0);
}

static void
test_stop_writes_run_only(void **unused)
{
	struct policy_out	out;
	struct run		r;

	run_init(&r, 1);
	r.s.v[KSM_RUN] = 1;
	knobs_none(&out);
	out.knobs.run = 0;
	out.knobs.sleep_ms = 200;	/* not for a stopped ksmd */
	run_plan(&r, &out);
	assert_string_equal(r.log, "run=0");
}

static void
test_pages_to_scan_order(void **unused)
{
	struct policy_out	out;
	struct run		r;

	/* No advisor in this kernel: sleep, pages, then run. */
	run_init(&r, 0);
	r.s.v[KSM_SLEEP_MILLISECS] = 20;
	r.s.v[KSM_PAGES_TO_SCAN] = 100;
	knobs_none(&out);
	out.knobs.run = 1;
	out.knobs.sleep_ms = 200;
	out.knobs.pages_to_scan = 160;
	run_plan(&r, &out);
	assert_string_equal(r.log,
	    "sleep_millisecs=200 pages_to_scan=160 run=1");
	/* The kernel has them now: nothing to write. */
	r.s.v[KSM_SLEEP_MILLISECS] = 200;
	r.s.v[KSM_PAGES_TO_SCAN] = 160;
	r.s.v[KSM_RUN] = 1;
	run_plan(&r, &out);
	assert_string_equal(r.log, "");
}

/* Switching the advisor off resets pages_to_scan: the sample is stale. */
static void
test_advisor_off_rewrites_pages(void **unused)
{
	struct policy_out	out;
	struct run		r;

	run_init(&r, 1);
	r.s.v[KSM_RUN] = 1;
	r.s.v[KSM_SLEEP_MILLISECS] = 20;
	r.s.v[KSM_ADVISOR_MODE] = KSM_ADVISOR_SCAN_TIME;
	r.s.v[KSM_PAGES_TO_SCAN] = 20000;
	knobs_none(&out);
	out.knobs.run = 1;
	out.knobs.sleep_ms = 20;
	out.knobs.advisor = KSM_ADVISOR_NONE;
	out.knobs.pages_to_scan = 20000;
	run_plan(&r, &out);
	assert_string_equal(r.log, "advisor_mode=0 pages_to_scan=20000");
	/* Next step the kernel shows both: nothing more. */
	r.s.v[KSM_ADVISOR_MODE] = KSM_ADVISOR_NONE;
	run_plan(&r, &out);
	assert_string_equal(r.log, "");
	/*
	 * A refused advisor_mode resets nothing: pages_to_scan is judged
	 * by what was last written to it, then by the sample again.
	 */
	r.s.v[KSM_ADVISOR_MODE] = KSM_ADVISOR_SCAN_TIME;
	r.refuse = 1U << KSM_ADVISOR_MODE;
	run_plan(&r, &out);
	assert_string_equal(r.log, "advisor_mode=0!");
	assert_int_equal(r.written[KSM_ADVISOR_MODE], -1);
	r.s.v[KSM_PAGES_TO_SCAN] = 100;
	run_plan(&r, &out);
	assert_string_equal(r.log, "advisor_mode=0! pages_to_scan=20000");
}

static void
advisor_out(struct policy_out *out, int64_t min, int64_t max, int reseed)
{
	knobs_none(out);
	out->knobs.run = 1;
	out->knobs.sleep_ms = 20;
	out->knobs.advisor = KSM_ADVISOR_SCAN_TIME;
	out->knobs.adv_target_s = 1;
	out->knobs.adv_max_cpu = 100;
	out->knobs.adv_min_pages = min;
	out->knobs.adv_max_pages = max;
	out->reseed_advisor = reseed;
}

/* The kernel refuses a minimum above the maximum, and the reverse. */
static void
test_advisor_bounds_order(void **unused)
{
	struct policy_out	out;
	struct run		r;

	run_init(&r, 1);
	r.s.v[KSM_RUN] = 1;
	r.s.v[KSM_SLEEP_MILLISECS] = 20;
	r.s.v[KSM_ADVISOR_MODE] = KSM_ADVISOR_NONE;
	r.s.v[KSM_ADVISOR_MIN_PAGES_TO_SCAN] = 500;
	r.s.v[KSM_ADVISOR_MAX_PAGES_TO_SCAN] = 30000;
	r.s.v[KSM_ADVISOR_TARGET_SCAN_TIME] = 200;
	r.s.v[KSM_ADVISOR_MAX_CPU] = 70;
	/* A boost: the maximum is raised first, then the minimum. */
	advisor_out(&out, 40000, 160000, 1);
	run_plan(&r, &out);
	assert_string_equal(r.log, "advisor_max_pages_to_scan=160000 "
	    "advisor_min_pages_to_scan=40000 advisor_target_scan_time=1 "
	    "advisor_max_cpu=100 advisor_mode=1");
	r.s.v[KSM_ADVISOR_MIN_PAGES_TO_SCAN] = 40000;
	r.s.v[KSM_ADVISOR_MAX_PAGES_TO_SCAN] = 160000;
	r.s.v[KSM_ADVISOR_TARGET_SCAN_TIME] = 1;
	r.s.v[KSM_ADVISOR_MAX_CPU] = 100;
	r.s.v[KSM_ADVISOR_MODE] = KSM_ADVISOR_SCAN_TIME;
	/* Back to the trickle: the minimum is lowered first. */
	advisor_out(&out, 8, 100, 1);
	run_plan(&r, &out);
	assert_string_equal(r.log, "advisor_min_pages_to_scan=8 "
	    "advisor_max_pages_to_scan=100 advisor_mode=0 advisor_mode=1");
	/* No reseed: the mode is left as the kernel has it. */
	r.s.v[KSM_ADVISOR_MIN_PAGES_TO_SCAN] = 8;
	r.s.v[KSM_ADVISOR_MAX_PAGES_TO_SCAN] = 100;
	advisor_out(&out, 8, 100, 0);
	run_plan(&r, &out);
	assert_string_equal(r.log, "");
}

static void
test_knob_holds_and_written(void **unused)
{
	struct ksm_sample	s;
	int64_t			written[KSM_FILE_MAX];

	memset(&s, 0, sizeof(s));
	memset(written, 0xff, sizeof(written));
	s.have = 1U << KSM_PAGES_TO_SCAN;
	s.v[KSM_PAGES_TO_SCAN] = 100;
	assert_true(knob_holds(&s, written, KSM_PAGES_TO_SCAN, 100));
	/* Without a sample of the knob, what was last written counts. */
	assert_false(knob_holds(&s, written, KSM_SLEEP_MILLISECS, 20));
	knob_written(written, KSM_SLEEP_MILLISECS, 20, 1);
	assert_true(knob_holds(&s, written, KSM_SLEEP_MILLISECS, 20));
	assert_true(knob_holds(NULL, written, KSM_SLEEP_MILLISECS, 20));
	knob_written(written, KSM_SLEEP_MILLISECS, 40, 0);
	assert_int_equal(written[KSM_SLEEP_MILLISECS], -1);
	knob_written(written, KSM_PAGES_TO_SCAN, 100, 1);
	knob_written(written, KSM_ADVISOR_MODE, KSM_ADVISOR_NONE, 1);
	assert_int_equal(written[KSM_PAGES_TO_SCAN], -1);
}

static void
test_walk_timing(void **unused)
{
	struct walk_sched	ws;
	uint64_t		t0 = 1000000;

	memset(&ws, 0, sizeof(ws));
	/* The first walk is due; none when the policy wants none. */
	assert_true(walk_due(&ws, 1000, t0, 1, 500000));
	assert_false(walk_due(&ws, UINT64_MAX, t0, 1, 500000));
	walk_done(&ws, t0, 1, 500000);
	/* Anonymous memory still: not due until the walk is 30 s old. */
	assert_false(walk_due(&ws, 1000, t0 + 5000, 1, 500000 + 16383));
	assert_false(walk_due(&ws, 1000, t0 + 29999, 1, 500000 - 16383));
	assert_true(walk_due(&ws, 1000, t0 + 30000, 1, 500000));
	/* Until then the last walk's figure holds. */
	assert_false(walk_needed(&ws, t0 + 29999, 1, 500000 + 16383));
	assert_true(walk_needed(&ws, t0 + 30000, 1, 500000));
	assert_true(walk_needed(&ws, t0 + 1, 1, 500000 + 16384));
	assert_true(walk_needed(&ws, t0 + 1, 0, 0));
	/* 16 MiB more or less, once probe_ms has passed. */
	assert_false(walk_due(&ws, 1000, t0 + 999, 1, 500000 + 16384));
	assert_true(walk_due(&ws, 1000, t0 + 1000, 1, 500000 + 16384));
	assert_true(walk_due(&ws, 1000, t0 + 1000, 1, 500000 - 16384));
	/* No meminfo: walk, as often as the policy allows. */
	assert_true(walk_due(&ws, 1000, t0 + 1000, 0, 0));
	/* A VM went. */
	ws.vm_went = 1;
	assert_false(walk_due(&ws, 500, t0 + 499, 1, 500000));
	assert_true(walk_due(&ws, 500, t0 + 500, 1, 500000));
	walk_done(&ws, t0 + 500, 0, 12345);
	assert_false(ws.vm_went);
	assert_int_equal(ws.anon_kb, 0);
	/* probe_ms 0: now, whatever changed. */
	assert_true(walk_due(&ws, 0, t0 + 500, 1, 0));
	/* This kernel cannot say: never. */
	ws.off = 1;
	assert_false(walk_due(&ws, 0, t0 + 60000, 0, 0));
}

static void
test_event_step_delay(void **unused)
{
	assert_int_equal(event_step_delay(1000, 1000), 20);
	assert_int_equal(event_step_delay(1000, 1005), 15);
	assert_int_equal(event_step_delay(1000, 1020), 0);
	assert_int_equal(event_step_delay(1000, 90000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_blind),
		cmocka_unit_test(test_stop_writes_run_only),
		cmocka_unit_test(test_pages_to_scan_order),
		cmocka_unit_test(test_advisor_off_rewrites_pages),
		cmocka_unit_test(test_advisor_bounds_order),
		cmocka_unit_test(test_knob_holds_and_written),
		cmocka_unit_test(test_walk_timing),
		cmocka_unit_test(test_event_step_delay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
