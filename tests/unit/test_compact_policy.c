/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the compaction rules over sampled counts, with the clock in
 * the PSI samples: the threshold (fragments grew, MemFree fell), forced
 * runs after compact_force_times periods (0: every period; the maximum:
 * never), the PSI gate over the wait, and the per-second PSI and time
 * limits of a run.  A small driver plays whole sequences of periods the
 * way compact.c does, without sleeping.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "compact-policy.h"
#include "psi.h"

#define SEC	1000000ULL

/* mem-agent's defaults. */
static const struct compact_params defaults = {
	.period_psi_percent_limit = 1,
	.compact_psi_percent_limit = 5,
	.compact_sec_max = 180,
	.compact_threshold = 1024,
	.compact_force_times = COMPACT_FORCE_NEVER,
};

/* PSI at t seconds with this much memory and io stall (µs) so far. */
static struct psi_sample
at(uint64_t t_us, uint64_t mem, uint64_t io)
{
	struct psi_sample	s = { t_us, mem, io };

	return s;
}

static enum compact_verdict
decide(const struct compact_params *p, uint64_t idle, uint64_t base_frag,
    uint64_t base_free, uint64_t frag, uint64_t free)
{
	struct compact_counts	base = { base_frag, base_free };
	struct compact_counts	cur = { frag, free };
	struct psi_sample	a = at(0, 0, 0), b = at(600 * SEC, 0, 0);

	return compact_decide(p, idle, &base, &cur, &a, &b);
}

static void
test_threshold(void **state)
{
	const struct compact_params	*p = &defaults;

	/* Before the first run the baseline is zero. */
	assert_int_equal(decide(p, 0, 0, 0, 1025, 5000000),
	    COMPACT_RUN_FRAGMENTED);
	assert_int_equal(decide(p, 0, 0, 0, 1024, 5000000),
	    COMPACT_SKIP_THRESHOLD);
	/* Growth since the last run, strictly more than the threshold. */
	assert_int_equal(decide(p, 0, 50000, 5000000, 51024, 5000000),
	    COMPACT_SKIP_THRESHOLD);
	assert_int_equal(decide(p, 0, 50000, 5000000, 51025, 5000000),
	    COMPACT_RUN_FRAGMENTED);
	/* Fewer fragments than after the last run: nothing to do. */
	assert_int_equal(decide(p, 0, 50000, 5000000, 100, 5000000),
	    COMPACT_SKIP_THRESHOLD);
}

static void
test_memfree_fell(void **state)
{
	const struct compact_params	*p = &defaults;

	assert_int_equal(decide(p, 0, 50000, 10000, 50000, 8976),
	    COMPACT_SKIP_THRESHOLD);
	assert_int_equal(decide(p, 0, 50000, 10000, 50000, 8975),
	    COMPACT_RUN_MEMFREE);
	/* More free memory is no reason. */
	assert_int_equal(decide(p, 0, 50000, 10000, 50000, 900000),
	    COMPACT_SKIP_THRESHOLD);
}

static void
test_threshold_zero_and_huge(void **state)
{
	struct compact_params	p = defaults;

	p.compact_threshold = 0;
	assert_int_equal(decide(&p, 0, 10, 100, 11, 100),
	    COMPACT_RUN_FRAGMENTED);
	assert_int_equal(decide(&p, 0, 10, 100, 10, 100),
	    COMPACT_SKIP_THRESHOLD);
	assert_int_equal(decide(&p, 0, 10, 100, 10, 99), COMPACT_RUN_MEMFREE);
	/* No overflow at the top of the range: never by threshold. */
	p.compact_threshold = UINT64_MAX;
	assert_int_equal(decide(&p, 0, 1, UINT64_MAX, UINT64_MAX, 0),
	    COMPACT_SKIP_THRESHOLD);
	p.compact_force_times = 0;
	assert_int_equal(decide(&p, 0, 1, UINT64_MAX, UINT64_MAX, 0),
	    COMPACT_RUN_FORCED);
}

static void
test_force_times(void **state)
{
	struct compact_params	p = defaults;

	p.compact_force_times = 0;
	assert_int_equal(decide(&p, 0, 50000, 100, 50000, 100),
	    COMPACT_RUN_FORCED);
	p.compact_force_times = 3;
	assert_int_equal(decide(&p, 2, 50000, 100, 50000, 100),
	    COMPACT_SKIP_THRESHOLD);
	assert_int_equal(decide(&p, 3, 50000, 100, 50000, 100),
	    COMPACT_RUN_FORCED);
	p.compact_force_times = COMPACT_FORCE_NEVER;
	assert_int_equal(decide(&p, UINT64_MAX - 1, 50000, 100, 50000, 100),
	    COMPACT_SKIP_THRESHOLD);
	assert_int_equal(decide(&p, UINT64_MAX, 50000, 100, 50000, 100),
	    COMPACT_SKIP_THRESHOLD);
}

static void
test_period_psi(void **state)
{
	struct compact_params	p = defaults;
	struct compact_counts	base = { 0, 0 }, cur = { 100000, 100 };
	struct psi_sample	a = at(1000 * SEC, 7 * SEC, 3 * SEC);
	struct psi_sample	ok = at(1600 * SEC, 10 * SEC, 6 * SEC);
	struct psi_sample	high = at(1600 * SEC, 10 * SEC, 6 * SEC + 1);

	/* 3 s memory + 3 s io stalled in 600 s: exactly 1 %, not above. */
	assert_int_equal(compact_decide(&p, 0, &base, &cur, &a, &ok),
	    COMPACT_RUN_FRAGMENTED);
	assert_int_equal(compact_decide(&p, 0, &base, &cur, &a, &high),
	    COMPACT_SKIP_PSI);
	/* A stalling host is not compacted, not even when it is due. */
	p.compact_force_times = 0;
	assert_int_equal(compact_decide(&p, 0, &base, &cur, &a, &high),
	    COMPACT_SKIP_PSI);
	/* Limit 0: any stall at all skips. */
	p.period_psi_percent_limit = 0;
	assert_int_equal(compact_decide(&p, 0, &base, &cur, &a,
	    &(struct psi_sample){ 1600 * SEC, 7 * SEC, 3 * SEC + 1 }),
	    COMPACT_SKIP_PSI);
	assert_int_equal(compact_decide(&p, 0, &base, &cur, &a,
	    &(struct psi_sample){ 1600 * SEC, 7 * SEC, 3 * SEC }),
	    COMPACT_RUN_FORCED);
	/* A clock that did not move is no stall. */
	assert_int_equal(compact_decide(&p, 0, &base, &cur, &a, &a),
	    COMPACT_RUN_FORCED);
}

static void
test_run_psi(void **state)
{
	const struct compact_params	*p = &defaults;
	struct psi_sample		 last = at(10 * SEC, 5 * SEC, 2 * SEC);

	/* 30 ms + 20 ms of a 1 s window: 5 %, the limit itself. */
	assert_int_equal(compact_check_run(p, 2 * SEC, &last,
	    &(struct psi_sample){ 11 * SEC, 5 * SEC + 30000, 2 * SEC + 20000 }),
	    COMPACT_GO_ON);
	assert_int_equal(compact_check_run(p, 2 * SEC, &last,
	    &(struct psi_sample){ 11 * SEC, 5 * SEC + 30000, 2 * SEC + 20001 }),
	    COMPACT_STOP_PSI);
	/* Memory alone or IO alone. */
	assert_int_equal(compact_check_run(p, 2 * SEC, &last,
	    &(struct psi_sample){ 11 * SEC, 5 * SEC + 60000, 2 * SEC }),
	    COMPACT_STOP_PSI);
	assert_int_equal(compact_check_run(p, 2 * SEC, &last,
	    &(struct psi_sample){ 11 * SEC, 5 * SEC, 2 * SEC + 60000 }),
	    COMPACT_STOP_PSI);
	/* A late tick (a 1.2 s window) dilutes the same stall. */
	assert_int_equal(compact_check_run(p, 2 * SEC, &last,
	    &(struct psi_sample){ 11 * SEC + SEC / 5, 5 * SEC + 60000,
	    2 * SEC }), COMPACT_GO_ON);
}

static void
test_run_time(void **state)
{
	struct compact_params	p = defaults;
	struct psi_sample	last = at(179 * SEC, 0, 0);
	struct psi_sample	now = at(180 * SEC, 0, 0);

	assert_int_equal(compact_check_run(&p, 179 * SEC, &last, &now),
	    COMPACT_GO_ON);
	assert_int_equal(compact_check_run(&p, 180 * SEC - 1, &last, &now),
	    COMPACT_GO_ON);
	assert_int_equal(compact_check_run(&p, 180 * SEC, &last, &now),
	    COMPACT_STOP_TIME);
	/* PSI is reported first when both are due. */
	assert_int_equal(compact_check_run(&p, 181 * SEC, &last,
	    &(struct psi_sample){ 180 * SEC, SEC, 0 }), COMPACT_STOP_PSI);
	/* compact_sec_max 1, as the fake-tree test runs it: the first tick. */
	p.compact_sec_max = 1;
	assert_int_equal(compact_check_run(&p, 0, &last, &now), COMPACT_GO_ON);
	assert_int_equal(compact_check_run(&p, SEC, &last, &now),
	    COMPACT_STOP_TIME);
}

/*
 * The engine's bookkeeping, as compact.c keeps it: a run (whatever its
 * end) resets the periods without one and takes new baseline counts; a
 * skip adds a period.
 */
struct sim {
	struct compact_params	p;
	uint64_t		idle;
	struct compact_counts	base;
	uint64_t		now;
	int			runs, forced;
};

static enum compact_verdict
period(struct sim *s, uint64_t frag, uint64_t free, uint64_t stall_us,
    uint64_t frag_after)
{
	struct compact_counts	cur = { frag, free };
	struct psi_sample	a = at(s->now, 0, 0);
	enum compact_verdict	v;

	s->now += 600 * SEC;
	v = compact_decide(&s->p, s->idle, &s->base, &cur, &a,
	    &(struct psi_sample){ s->now, stall_us, 0 });
	if (compact_verdict_runs(v)) {
		s->runs++;
		s->forced += v == COMPACT_RUN_FORCED;
		s->idle = 0;
		s->base.movable_below = frag_after;
		s->base.memfree = free;
	} else
		s->idle++;
	return v;
}

static void
test_sequence(void **state)
{
	struct sim	s = { .p = defaults, .now = 100 * SEC };

	s.p.compact_force_times = 2;
	/* First period: fragments from boot exceed the threshold. */
	assert_int_equal(period(&s, 30000, 1000000, 0, 2000),
	    COMPACT_RUN_FRAGMENTED);
	/* Little new fragmentation for two periods, then forced. */
	assert_int_equal(period(&s, 2500, 1000000, 0, 0),
	    COMPACT_SKIP_THRESHOLD);
	assert_int_equal(period(&s, 2900, 1000000, 0, 0),
	    COMPACT_SKIP_THRESHOLD);
	assert_int_equal(period(&s, 2900, 1000000, 0, 1500),
	    COMPACT_RUN_FORCED);
	/* A stalled wait skips even grown fragments... */
	assert_int_equal(period(&s, 90000, 1000000, 7 * SEC, 0),
	    COMPACT_SKIP_PSI);
	/* ...which the next, calm period compacts. */
	assert_int_equal(period(&s, 90000, 1000000, 0, 1600),
	    COMPACT_RUN_FRAGMENTED);
	/* Workloads ate 20000 pages of free memory: re-baseline. */
	assert_int_equal(period(&s, 1600, 980000, 0, 1600),
	    COMPACT_RUN_MEMFREE);
	assert_int_equal(s.runs, 4);
	assert_int_equal(s.forced, 1);
	assert_int_equal(s.idle, 0);
}

static void
test_names(void **state)
{
	int	i;

	for (i = 0; i < COMPACT_VERDICT_MAX; i++)
		assert_non_null(compact_verdict_name(i));
	for (i = 0; i < COMPACT_STOP_MAX; i++)
		assert_non_null(compact_stop_name(i));
	assert_string_equal(compact_verdict_name(COMPACT_VERDICT_MAX),
	    "unknown");
	assert_false(compact_verdict_runs(COMPACT_SKIP_PSI));
	assert_false(compact_verdict_runs(COMPACT_SKIP_THRESHOLD));
	assert_true(compact_verdict_runs(COMPACT_RUN_FORCED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_memfree_fell),
		cmocka_unit_test(test_threshold_zero_and_huge),
		cmocka_unit_test(test_force_times),
		cmocka_unit_test(test_period_psi),
		cmocka_unit_test(test_run_psi),
		cmocka_unit_test(test_run_time),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
