/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the memcg engine's step (memcg-plan.c) over sampled PSI,
 * memory stats and an injected clock: the gate of a run, the cache and
 * period runs' plans, what a run reclaimed, and when discovery is due.
 * No tree, no timer.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "memcg-plan.h"

#define MiB	(1024ULL * 1024)

static struct psi_sample
psi(uint64_t when_ms, uint64_t mem_ms, uint64_t io_ms)
{
	struct psi_sample	s = { when_ms * 1000, mem_ms * 1000,
				    io_ms * 1000 };

	return s;
}

static void
test_gate(void **state)
{
	struct memcg_wait	w;
	struct psi_sample	s;
	double			pct;

	memset(&w, 0, sizeof(w));
	/* No start yet: this sample is the start, no run. */
	s = psi(1000, 0, 0);
	assert_int_equal(memcg_gate_step(&w, &s, 10, &pct),
	    MEMCG_GATE_BASELINE);
	assert_true(w.have);
	/* Too soon after it to say anything: the start stays. */
	s = psi(1100, 50, 0);
	assert_int_equal(memcg_gate_step(&w, &s, 10, &pct), MEMCG_GATE_UNKNOWN);
	assert_int_equal(w.start.when_us, 1000 * 1000);
	/* 5 % over ten seconds: run, the wait starts again. */
	s = psi(11000, 300, 200);
	assert_int_equal(memcg_gate_step(&w, &s, 10, &pct), MEMCG_GATE_RUN);
	assert_true(pct > 4.9 && pct < 5.1);
	assert_int_equal(w.start.when_us, 11000 * 1000);
	/* 20 %: stalled, skipped; measured from here on. */
	s = psi(21000, 2300, 200);
	assert_int_equal(memcg_gate_step(&w, &s, 10, &pct),
	    MEMCG_GATE_STALLED);
	assert_int_equal(w.start.when_us, 21000 * 1000);
}

static void
test_cache(void **state)
{
	struct conf_size	pct = { 25, 1 }, bytes = { 100 * MiB, 0 };
	struct memcg_cache_in	in = {
		.threshold = &pct,
		.cooldown_ms = 30000,
		.limit = 0,
		.file = 300 * MiB,
		.now_ms = 100000,
	};
	struct memcg_cache_out	out;

	/* A percentage of no limit does not apply. */
	memcg_cache_step(&in, &out);
	assert_int_equal(out.verdict, MEMCG_CACHE_NO_LIMIT);
	/* 25 % of 1 GiB: 256 MiB; 300 over it, down to half the threshold. */
	in.limit = 1024 * MiB;
	memcg_cache_step(&in, &out);
	assert_int_equal(out.verdict, MEMCG_CACHE_RECLAIM);
	assert_int_equal(out.threshold, 256 * MiB);
	assert_int_equal(out.target, 300 * MiB - 128 * MiB);
	/* Within the cooldown of the last reclaim: kept. */
	in.last_reclaim_ms = 80000;
	memcg_cache_step(&in, &out);
	assert_int_equal(out.verdict, MEMCG_CACHE_KEEP);
	in.now_ms = 110000;
	memcg_cache_step(&in, &out);
	assert_int_equal(out.verdict, MEMCG_CACHE_RECLAIM);
	/* A byte count needs no limit; under it, kept. */
	in.threshold = &bytes;
	in.limit = 0;
	in.file = 50 * MiB;
	memcg_cache_step(&in, &out);
	assert_int_equal(out.verdict, MEMCG_CACHE_KEEP);
}

static void
test_period(void **state)
{
	struct conf		*c = conf_new();
	struct memcg_settings	 set;
	struct memcg_stat	 st = { .inactive_file = 10 * MiB,
				    .inactive_anon = 30 * MiB };
	struct memcg_period_in	 in = { .set = &set, .before = &st };
	struct memcg_period_out	 out;

	memcg_settings_default(&set, c);
	conf_free(c);
	set.swap = 1;
	set.allowswap = -1;
	set.eviction_run_aging_count_min = 2;

	/* MGLRU ages and counts itself: only the amounts are planned. */
	in.method_ages = 1;
	in.aging_count = 5;
	memcg_period_step(&in, &out);
	assert_int_equal(out.stop, MEMCG_STOP_NONE);
	assert_false(out.swap_ok);		/* no swap on the host */
	assert_int_equal(out.target, 10 * MiB);
	assert_int_equal(out.aging_count, 5);
	assert_false(out.aged);

	/* Without MGLRU each run is an aging; eviction waits for two. */
	in.method_ages = 0;
	in.aging_count = 0;
	in.swap_avail = 1;
	memcg_period_step(&in, &out);
	assert_int_equal(out.stop, MEMCG_STOP_AGING);
	assert_true(out.aged);
	assert_int_equal(out.aging_count, 1);
	assert_true(out.swap_ok);
	/* The file, and swappiness_max (50) / 200 of the anon. */
	assert_int_equal(out.target, 10 * MiB + 30 * MiB / 4);
	in.aging_count = out.aging_count;
	memcg_period_step(&in, &out);
	assert_int_equal(out.stop, MEMCG_STOP_NONE);
	assert_int_equal(out.aging_count, 2);

	/*
	 * force_empty has no say in swapping: it runs where swapping is
	 * allowed, or where there is no swap, and not where memcg.swap
	 * forbids it; such a run does not count as an aging.
	 */
	in.method_swaps = 1;
	memcg_period_step(&in, &out);
	assert_int_equal(out.stop, MEMCG_STOP_NONE);
	set.swap = 0;
	memcg_period_step(&in, &out);
	assert_int_equal(out.stop, MEMCG_STOP_WOULD_SWAP);
	assert_false(out.aged);
	assert_int_equal(out.aging_count, in.aging_count);
	in.swap_avail = 0;
	memcg_period_step(&in, &out);
	assert_int_equal(out.stop, MEMCG_STOP_NONE);
	set.swap = 1;
	in.swap_avail = 1;
	in.method_swaps = 0;

	/* A class without swap; too little cold memory to ask for. */
	set.allowswap = 0;
	st.inactive_file = 4096;
	memcg_period_step(&in, &out);
	assert_false(out.swap_ok);
	assert_int_equal(out.stop, MEMCG_STOP_NO_COLD);
}

static void
test_reclaimed(void **state)
{
	struct memcg_stat	a = { .anon = 100, .file = 500 };
	struct memcg_stat	b = { .anon = 300, .file = 200 };

	assert_int_equal(memcg_reclaimed(MEMCG_JOB_CACHE, &a, &b), 300);
	assert_int_equal(memcg_reclaimed(MEMCG_JOB_PERIOD, &a, &b), 100);
	/* It grew meanwhile: nothing reclaimed, not a wrap. */
	assert_int_equal(memcg_reclaimed(MEMCG_JOB_PERIOD, &b, &a), 0);
	assert_int_equal(memcg_period_due(1000, 5, 2000), 6000);
	assert_int_equal(memcg_period_due(1000, 5, 9000), 9000);
}

static void
test_sched(void **state)
{
	struct memcg_sched_params	p = { 0, 0, 60000, 10000 };
	struct memcg_sched		s;

	memcg_sched_start(&s, &p, 1000);
	/* Nothing to discover: no deadline, nothing due. */
	assert_int_equal(memcg_sched_next(&s, &p), UINT64_MAX);
	assert_int_equal(memcg_sched_step(&s, &p, 100000), 0);

	p.globs = p.cache = 1;
	memcg_sched_start(&s, &p, 1000);
	assert_int_equal(memcg_sched_next(&s, &p), 11000);
	/* A tick a hair early still counts (the timer's slack). */
	assert_int_equal(memcg_sched_step(&s, &p, 10950), MEMCG_DISCOVER_CACHE);
	assert_int_equal(s.next_cache_ms, 20950);
	assert_int_equal(memcg_sched_step(&s, &p, 61000),
	    MEMCG_DISCOVER_GLOBS | MEMCG_DISCOVER_CACHE);
	assert_int_equal(memcg_sched_next(&s, &p), 71000);
	p.cache = 0;
	assert_int_equal(memcg_sched_next(&s, &p), 121000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_reclaimed),
		cmocka_unit_test(test_sched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
