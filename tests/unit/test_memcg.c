/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the memcg engine's decisions over sampled state with an
 * injected clock (PSI gates, aging, swappiness, eviction steps, cache
 * threshold and cooldown, classes and overrides) and its parsers.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "memcg-parse.h"
#include "meminfo.h"
#include "memcg-policy.h"
#include "psi.h"
#include "util.h"

#define V1	"/sys/fs/cgroup/memory"

static void
test_path_normalize(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} ok[] = {
		{ "kubepods", "/kubepods" },
		{ "/kubepods/", "/kubepods" },
		{ "//a///b//", "/a/b" },
		{ V1 "/kubepods/pod1", "/kubepods/pod1" },
		{ V1, "/" },
		{ V1 "/", "/" },
		{ "/", "/" },
		{ "", "/" },
		{ "/sys/fs/cgroup/memoryx", "/sys/fs/cgroup/memoryx" },
		{ "/a/.hidden/b..c", "/a/.hidden/b..c" },
		{ "/machine.slice/*", "/machine.slice/*" },
	};
	char	out[PATH_MAX], small[8];
	size_t	i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(path_normalize(V1, ok[i].in, out,
		    sizeof(out)), 0);
		assert_string_equal(out, ok[i].out);
	}
	assert_int_equal(path_normalize(V1, "/a/../etc", out,
	    sizeof(out)), -EINVAL);
	assert_int_equal(path_normalize(V1, "./a", out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(path_normalize(V1, "/a/..", out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(path_normalize(V1, "/abcdefgh", small,
	    sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(path_normalize(NULL, "x", out, sizeof(out)), 0);
	assert_string_equal(out, "/x");
}

static void
test_glob_match(void **state)
{
	assert_true(memcg_glob_match(V1, "/kubepods/*", "/kubepods/pod1"));
	assert_false(memcg_glob_match(V1, "/kubepods/*",
	    "/kubepods/pod1/ctr"));
	assert_false(memcg_glob_match(V1, "/kubepods/*", "/kubepods"));
	assert_true(memcg_glob_match(V1, V1 "/machine.slice/qemu-*.scope",
	    "/machine.slice/qemu-7.scope"));
	assert_true(memcg_glob_match(V1, "vm-[0-9]", "/vm-3"));
	assert_false(memcg_glob_match(V1, "/a/../b", "/b"));

	/* Subtrees: the cgroup itself or an ancestor. */
	assert_true(memcg_subtree_match(V1, "/kubepods", "/kubepods/a/b"));
	assert_true(memcg_subtree_match(V1, "/kubepods", "/kubepods"));
	assert_false(memcg_subtree_match(V1, "/kubepods", "/kubepodsx"));
	assert_true(memcg_subtree_match(V1, "/kubepods/*/ctr*",
	    "/kubepods/pod1/ctr2/x"));
	assert_false(memcg_subtree_match(V1, "/system.slice", "/user.slice"));
	assert_true(memcg_subtree_match(V1, "/", "/anything/at/all"));
}

static struct conf *
conf_with(const char *json)
{
	struct conf	*c = conf_new();
	char		 err[256];

	if (conf_apply_text(c, "", json, err, sizeof(err)) < 0)
		fail_msg("%s: %s", json, err);
	return c;
}

static void
test_settings_resolve(void **state)
{
	struct conf		*c;
	struct memcg_settings	 s;

	c = conf_with("{\"memcg\": {\"swap\": true, \"period_secs\": 60,"
	    "\"overrides\": ["
	    "  {\"path\": \"/kubepods\", \"period_secs\": 30,"
	    "   \"swappiness_max\": 10},"
	    "  {\"path\": \"/kubepods/besteffort\", \"period_secs\": 5,"
	    "   \"disabled\": true}],"
	    "\"classes\": ["
	    "  {\"name\": \"swap-idle\", \"allowswap\": true,"
	    "   \"swappiness_max\": 150, \"eviction_run_aging_count_min\": 1},"
	    "  {\"name\": \"noswap\", \"allowswap\": false, \"swap\": false}]}}");

	assert_int_equal(memcg_settings_resolve(c, V1, "/other", NULL, &s), 0);
	assert_int_equal(s.period_secs, 60);
	assert_true(s.swap);
	assert_int_equal(s.swappiness_max, 50);
	assert_int_equal(s.allowswap, -1);

	assert_int_equal(memcg_settings_resolve(c, V1, "/kubepods/burstable/p",
	    NULL, &s), 0);
	assert_int_equal(s.period_secs, 30);
	assert_int_equal(s.swappiness_max, 10);
	assert_false(s.disabled);

	/* A later override wins for the keys it sets, the rest stay. */
	assert_int_equal(memcg_settings_resolve(c, V1, "/kubepods/besteffort/x",
	    NULL, &s), 0);
	assert_int_equal(s.period_secs, 5);
	assert_int_equal(s.swappiness_max, 10);
	assert_true(s.disabled);

	/* A VM's class comes last. */
	assert_int_equal(memcg_settings_resolve(c, V1, "/kubepods/vm1",
	    "swap-idle", &s), 0);
	assert_int_equal(s.period_secs, 30);
	assert_int_equal(s.swappiness_max, 150);
	assert_int_equal(s.eviction_run_aging_count_min, 1);
	assert_int_equal(s.allowswap, 1);
	assert_int_equal(memcg_settings_resolve(c, V1, "/vm2", "noswap", &s),
	    0);
	assert_int_equal(s.allowswap, 0);
	assert_false(s.swap);

	/* An unknown class: the defaults and overrides, and -ENOENT. */
	assert_int_equal(memcg_settings_resolve(c, V1, "/vm3", "gold", &s),
	    -ENOENT);
	assert_int_equal(s.period_secs, 60);
	assert_int_equal(s.allowswap, -1);
	conf_free(c);
}

static void
expect_bad(const char *json, const char *msg)
{
	struct conf	*c = conf_new();
	char		 err[256];

	if (conf_apply_text(c, "", json, err, sizeof(err)) == 0)
		fail_msg("accepted %s", json);
	if (strstr(err, msg) == NULL)
		fail_msg("%s: said \"%s\", wanted \"%s\"", json, err, msg);
	conf_free(c);
}

static void
test_check_hooks(void **state)
{
	expect_bad("{\"memcg\": {\"cgroups\": \"/kubepods\"}}",
	    "memcg.cgroups: expected a list");
	expect_bad("{\"memcg\": {\"cgroups\": [\"/a\", \"\"]}}",
	    "memcg.cgroups: entry 1: expected a cgroup path glob");
	expect_bad("{\"memcg\": {\"cgroups\": [\"/a/../b\"]}}",
	    "memcg.cgroups: entry 0");
	expect_bad("{\"memcg\": {\"overrides\": [{\"period_secs\": 5}]}}",
	    "memcg.overrides: entry 0: path: expected a non-empty string");
	expect_bad("{\"memcg\": {\"overrides\": [{\"path\": \"/a\", "
	    "\"period_secs\": 0}]}}",
	    "memcg.overrides: entry 0: period_secs: expected an integer from 1");
	expect_bad("{\"memcg\": {\"overrides\": [{\"path\": \"/a\", "
	    "\"swappiness_max\": 201}]}}",
	    "swappiness_max: expected an integer from 0 to 200");
	expect_bad("{\"memcg\": {\"overrides\": [{\"path\": \"/a\", "
	    "\"swap\": 1}]}}", "entry 0: swap: expected true or false");
	expect_bad("{\"memcg\": {\"overrides\": [{\"path\": \"/a\", "
	    "\"allowswap\": true}]}}", "entry 0: allowswap: unknown key");
	expect_bad("{\"memcg\": {\"overrides\": [{\"path\": \"/a\", "
	    "\"bogus\": 1}]}}", "entry 0: bogus: unknown key");
	expect_bad("{\"memcg\": {\"overrides\": [{\"path\": \"/a\", "
	    "\"period_secs\": 1.5}]}}", "period_secs: expected an integer");
	expect_bad("{\"memcg\": {\"overrides\": [7]}}",
	    "memcg.overrides: entry 0: expected an object");
	expect_bad("{\"memcg\": {\"classes\": [{\"name\": \"a\"}, "
	    "{\"name\": \"a\"}]}}", "memcg.classes: entry 1: name: \"a\" is "
	    "already a class");
	expect_bad("{\"memcg\": {\"classes\": [{\"name\": \"a\", "
	    "\"allowswap\": \"yes\"}]}}",
	    "memcg.classes: entry 0: allowswap: expected true or false");
	expect_bad("{\"memcg\": {\"classes\": [{\"allowswap\": true}]}}",
	    "memcg.classes: entry 0: name: expected a non-empty string");
	expect_bad("{\"memcg\": {\"backend\": \"zram\"}}",
	    "memcg.backend: expected one of");
}

static struct psi_sample
at(uint64_t sec, uint64_t mem_us, uint64_t io_us)
{
	struct psi_sample	s = { sec * 1000000, mem_us, io_us };

	return s;
}

static void
test_psi_gates(void **state)
{
	struct psi_sample	a = at(100, 0, 0), b;
	double			pct;

	/* 600 s waiting period, 3 s memory + 2 s io stalled: 0.83 %. */
	b = at(700, 3000000, 2000000);
	assert_true(memcg_period_gate(&a, &b, 1, &pct));
	assert_true(pct > 0.83 && pct < 0.84);
	/* 4 s + 3 s: 1.17 %, over the default limit of 1. */
	b = at(700, 4000000, 3000000);
	assert_false(memcg_period_gate(&a, &b, 1, &pct));
	assert_true(memcg_period_gate(&a, &b, 2, &pct));
	/* Limit 0: any stall skips; none passes. */
	b = at(700, 1, 0);
	assert_false(memcg_period_gate(&a, &b, 0, &pct));
	b = at(700, 0, 0);
	assert_true(memcg_period_gate(&a, &b, 0, &pct));

	/* A wait that has hardly begun is not judged yet. */
	b = a;
	b.when_us += 1000;
	b.memory_some_us = 1000;
	assert_int_equal(memcg_period_gate(&a, &b, 1, &pct), -1);

	/* Eviction: a window too short to judge passes ... */
	b = a;
	b.when_us += 100000;
	b.memory_some_us = 50000;
	assert_true(memcg_eviction_gate(&a, &b, 1, &pct));
	/* ... a long enough one is judged. */
	b.when_us = a.when_us + 1000000;
	assert_false(memcg_eviction_gate(&a, &b, 1, &pct));
	assert_true(pct > 4.9 && pct < 5.1);
	assert_true(memcg_eviction_gate(&a, &b, 5, &pct));
}

static void
test_schedule(void **state)
{
	assert_true(memcg_due(10000, 10000));
	assert_true(memcg_due(9950, 10000));	/* within the slack */
	assert_false(memcg_due(9000, 10000));

	/* mem-agent does not age what the kernel aged within a minute ... */
	assert_false(memcg_should_age(59999, 600));
	assert_true(memcg_should_age(60000, 600));
	/* ... scaled down to half a period for short periods. */
	assert_false(memcg_should_age(999, 2));
	assert_true(memcg_should_age(1000, 2));

	assert_false(memcg_may_evict(1, 2, 3));
	assert_true(memcg_may_evict(1, 3, 3));
	assert_false(memcg_may_evict(0, 9, 3));
	assert_true(memcg_may_evict(1, 0, 0));
}

static void
test_swappiness(void **state)
{
	/* mem-agent: 100 anon, 50 file is 133 of 200. */
	assert_int_equal(memcg_swappiness(1, 100, 50, 200), 133);
	assert_int_equal(memcg_swappiness(1, 100, 50, 50), 50);
	assert_int_equal(memcg_swappiness(1, 1, 2, 200), 67);
	assert_int_equal(memcg_swappiness(1, 1, 3, 200), 50);
	assert_int_equal(memcg_swappiness(0, 100, 50, 200), 0);
	assert_int_equal(memcg_swappiness(1, 0, 50, 200), 0);
	assert_int_equal(memcg_swappiness(1, 50, 0, 10), 200);
	assert_int_equal(memcg_swappiness(1, UINT64_MAX / 2, UINT64_MAX / 2,
	    200), 100);

	assert_false(memcg_swap_available(0, 4096));
	assert_false(memcg_swap_available(1024, 4096));
	assert_true(memcg_swap_available(1028, 4096));
}

static struct memcg_gens
gens(uint64_t min, uint64_t max, uint64_t anon, uint64_t file)
{
	struct memcg_gens	g = { 0, min, max, 120000, anon, file };

	return g;
}

static void
test_evict_steps(void **state)
{
	struct memcg_evict	ev;
	struct memcg_gens	g;
	unsigned		sw = 99;

	/* Fewer than four generations: nothing old enough. */
	memset(&ev, 0, sizeof(ev));
	g = gens(5, 7, 10, 10);
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_DONE);

	/* File only: swappiness 0, then progress, then the file is gone. */
	memset(&ev, 0, sizeof(ev));
	g = gens(4, 7, 300, 1000);
	assert_int_equal(memcg_evict_next(&g, &ev, 0, 50, &sw),
	    MEMCG_STOP_NONE);
	assert_int_equal(sw, 0);
	g.oldest_file = 400;
	assert_int_equal(memcg_evict_next(&g, &ev, 0, 50, &sw),
	    MEMCG_STOP_NONE);
	assert_int_equal(ev.pages, 600);
	g.oldest_file = 0;
	assert_int_equal(memcg_evict_next(&g, &ev, 0, 50, &sw),
	    MEMCG_STOP_DONE);
	assert_int_equal(ev.pages, 1000);

	/* No progress stops. */
	memset(&ev, 0, sizeof(ev));
	g = gens(4, 7, 0, 100);
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_NONE);
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_NO_PROGRESS);

	/* The generation went away meanwhile: done. */
	memset(&ev, 0, sizeof(ev));
	g = gens(4, 7, 0, 100);
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_NONE);
	g = gens(5, 8, 0, 100);
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_DONE);

	/*
	 * No cold file: without swap nothing, with swap anon only, as much
	 * as swappiness_max/200 of what was there (500 * 50 / 200 = 125).
	 */
	memset(&ev, 0, sizeof(ev));
	g = gens(4, 7, 500, 0);
	assert_int_equal(memcg_evict_next(&g, &ev, 0, 50, &sw),
	    MEMCG_STOP_NO_COLD);
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 0, &sw),
	    MEMCG_STOP_NO_COLD);
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_NONE);
	assert_int_equal(sw, 200);
	g.oldest_anon = 400;
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_NONE);
	assert_int_equal(sw, 200);
	g.oldest_anon = 370;
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_DONE);
	assert_int_equal(ev.pages, 130);

	/* Swap: the ratio, capped by swappiness_max. */
	memset(&ev, 0, sizeof(ev));
	g = gens(4, 7, 100, 50);
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 200, &sw),
	    MEMCG_STOP_NONE);
	assert_int_equal(sw, 133);
	g.oldest_anon = 90;
	assert_int_equal(memcg_evict_next(&g, &ev, 1, 50, &sw),
	    MEMCG_STOP_NONE);
	assert_int_equal(sw, 50);
	assert_int_equal(ev.pages, 10);
}

static void
test_reclaim_amounts(void **state)
{
	assert_int_equal(memcg_reclaim_target(100, 50, 0, 200), 100);
	assert_int_equal(memcg_reclaim_target(100, 50, 1, 200), 150);
	/* With swap, swappiness_max/200 of the inactive anon. */
	assert_int_equal(memcg_reclaim_target(100, 400, 1, 50), 200);
	assert_int_equal(memcg_reclaim_target(100, 400, 1, 0), 100);
	assert_int_equal(memcg_reclaim_target(100, 400, 1, 300), 500);
	assert_int_equal(memcg_reclaim_target(UINT64_MAX, 50, 1, 200),
	    UINT64_MAX);
	assert_int_equal(memcg_reclaim_chunk(1000), 0);
	assert_int_equal(memcg_reclaim_chunk(10 << 20), 10 << 20);
	assert_int_equal(memcg_reclaim_chunk(1ULL << 40), 64 << 20);
}

static void
test_cache_policy(void **state)
{
	struct conf_size	pct = { 25, 1 }, bytes = { 100 << 20, 0 };
	uint64_t		th;

	assert_int_equal(memcg_cache_threshold(&pct, 1ULL << 30, &th), 0);
	assert_int_equal(th, 256 << 20);
	assert_int_equal(memcg_cache_threshold(&pct, 0, &th), -ERANGE);
	assert_int_equal(memcg_cache_threshold(&bytes, 0, &th), 0);
	assert_int_equal(th, 100 << 20);
	pct.value = 100;
	assert_int_equal(memcg_cache_threshold(&pct, UINT64_MAX, &th), 0);
	assert_int_equal(th, UINT64_MAX);

	/* Over the threshold, never reclaimed: now. */
	assert_true(memcg_cache_should_reclaim(300, 256, 1000, 0, 30000));
	assert_false(memcg_cache_should_reclaim(256, 256, 1000, 0, 30000));
	/* Within the cooldown: not yet; after it: again. */
	assert_false(memcg_cache_should_reclaim(300, 256, 20000, 1000, 30000));
	assert_true(memcg_cache_should_reclaim(300, 256, 31000, 1000, 30000));
	assert_true(memcg_cache_should_reclaim(300, 256, 5, 1, 0));

	/* Down to half the threshold. */
	assert_int_equal(memcg_cache_reclaim_bytes(300, 256), 172);
	assert_int_equal(memcg_cache_reclaim_bytes(100, 256), 0);
}

static void
test_stat_parse(void **state)
{
	struct memcg_stat	st;
	static const char	v1[] =
	    "cache 1000\nrss 200\nrss_huge 0\nshmem 0\nmapped_file 0\n"
	    "inactive_anon 10\nactive_anon 20\ninactive_file 700\n"
	    "active_file 300\nhierarchical_memory_limit 9223372036854771712\n"
	    "total_cache 5000\ntotal_rss 600\ntotal_inactive_file 4000\n";
	static const char	v2[] =
	    "anon 4096\nfile 8192\nkernel 0\ninactive_anon 1\n"
	    "active_anon 2\ninactive_file 3\nactive_file 4\n"
	    "workingset_refault_file 0\n";

	assert_int_equal(memcg_stat_parse(v1, 1, &st), 0);
	assert_int_equal(st.file, 5000);	/* total_ wins */
	assert_int_equal(st.anon, 600);
	assert_int_equal(st.inactive_file, 4000);
	assert_int_equal(st.active_file, 300);	/* no total_: own */
	assert_int_equal(memcg_stat_parse(v2, 0, &st), 0);
	assert_int_equal(st.anon, 4096);
	assert_int_equal(st.file, 8192);
	assert_int_equal(st.inactive_file, 3);
	/* v2 text read as v1 lacks cache and rss. */
	assert_int_equal(memcg_stat_parse(v2, 1, &st), -EINVAL);
	assert_int_equal(memcg_stat_parse("", 0, &st), -EINVAL);
	assert_int_equal(memcg_stat_parse("anon 1\nfile x\n", 0, &st),
	    -EINVAL);
	assert_int_equal(memcg_stat_parse("anon 1\nfile 2 3\n", 0, &st),
	    -EINVAL);
	assert_int_equal(memcg_stat_parse("anon 1\nFile 2\n", 0, &st),
	    -EINVAL);
	assert_int_equal(memcg_stat_parse("anon 1\nfile "
	    "99999999999999999999999\n", 0, &st), -EINVAL);
	assert_int_equal(memcg_stat_parse("anon 1\nfile 2", 0, &st), 0);
}

/* As 6.x prints it, with the padding and trailing blanks. */
static const char lru_text[] =
    "memcg     1 /\n"
    " node     0\n"
    "          3      12000          0        500 \n"
    "          4       1000          0         20 \n"
    "memcg    37 /kt/vm 1\n"
    " node     0\n"
    "          8     190000        300       4000 \n"
    "          9     130000         10         20 \n"
    "         10      70000          0          0 \n"
    "         11       5000        700        900 \n"
    " node     1\n"
    "          2      90000          1          2 \n"
    "          3       9000          3          4 \n"
    "memcg    37 /kt/vm 1\n"
    " node     0\n"
    "          1          1          1          1 \n";

static void
test_lru_gen_parse(void **state)
{
	struct memcg_gens	g[4];
	unsigned		id = 0;
	size_t			n = 0;

	assert_int_equal(lru_gen_parse(lru_text, "/kt/vm 1", &id, g, 4, &n),
	    0);
	assert_int_equal(id, 37);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].nid, 0);
	assert_int_equal(g[0].min_seq, 8);
	assert_int_equal(g[0].max_seq, 11);
	assert_int_equal(g[0].oldest_anon, 300);
	assert_int_equal(g[0].oldest_file, 4000);
	assert_int_equal(g[0].youngest_age_ms, 5000);
	assert_int_equal(g[1].nid, 1);
	assert_int_equal(g[1].max_seq, 3);
	assert_int_equal(lru_gen_parse(lru_text, "/", &id, g, 4, &n), 0);
	assert_int_equal(id, 1);
	assert_int_equal(n, 1);
	assert_int_equal(lru_gen_parse(lru_text, "/kt", &id, g, 4, &n),
	    -ENOENT);
	/* More nodes than room: the first ones, the rest ignored. */
	assert_int_equal(lru_gen_parse(lru_text, "/kt/vm 1", &id, g, 1, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].nid, 0);
	assert_int_equal(g[0].max_seq, 11);
	assert_int_equal(lru_gen_parse("memcg x /\n", "/", &id, g, 4, &n),
	    -EINVAL);
	assert_int_equal(lru_gen_parse("memcg 1 /\n node 0\n 1 2 3\n", "/",
	    &id, g, 4, &n), -EINVAL);
	assert_int_equal(lru_gen_parse("memcg 1 /\n node 0\n 2 2 3 4\n"
	    " 1 2 3 4\n", "/", &id, g, 4, &n), -EINVAL);
	assert_int_equal(lru_gen_parse("memcg 1 /\n 1 2 3 4\n", "/", &id, g, 4,
	    &n), -EINVAL);
	assert_int_equal(lru_gen_parse("memcg 1 /\n node 0\n 1 2 3 4x\n", "/",
	    &id, g, 4, &n), -EINVAL);
	assert_int_equal(lru_gen_parse("", "/", &id, g, 4, &n), -ENOENT);
}

static void
test_meminfo(void **state)
{
	uint64_t	kb = 0;

	assert_int_equal(meminfo_field("MemTotal:  100 kB\n"
	    "SwapTotal:  2048 kB\nSwapFree:        1024 kB\n", "SwapFree", &kb), 0);
	assert_int_equal(kb, 1024);
	assert_int_equal(meminfo_field("MemTotal: 1 kB\n", "SwapFree", &kb),
	    -ENOENT);
	assert_int_equal(meminfo_field("SwapFree: x kB\n", "SwapFree", &kb),
	    -EINVAL);
	assert_int_equal(meminfo_field("SwapFree: 1 MB\n", "SwapFree", &kb),
	    -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_normalize),
		cmocka_unit_test(test_glob_match),
		cmocka_unit_test(test_settings_resolve),
		cmocka_unit_test(test_check_hooks),
		cmocka_unit_test(test_psi_gates),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_swappiness),
		cmocka_unit_test(test_evict_steps),
		cmocka_unit_test(test_reclaim_amounts),
		cmocka_unit_test(test_cache_policy),
		cmocka_unit_test(test_stat_parse),
		cmocka_unit_test(test_lru_gen_parse),
		cmocka_unit_test(test_meminfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
