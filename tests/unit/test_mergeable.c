/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: /proc/meminfo and the mergeable processes, on a fake /proc. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "faketree.h"
#include "mergeable.h"
#include "rootfs.h"

#define KSM_STAT(m) "ksm_rmap_items 0\nksm_zero_pages 0\n" \
	"ksm_merging_pages 0\nksm_process_profit 0\nksm_merge_any: no\n" \
	"ksm_mergeable: " m "\n"

static void
test_meminfo(void **unused)
{
	struct meminfo	m;

	assert_int_equal(meminfo_parse("MemTotal:       24684096 kB\n"
	    "MemFree:        23944172 kB\nMemAvailable:   24240952 kB\n"
	    "AnonPages:        538356 kB\n", &m), 0);
	assert_int_equal(m.total_kb, 24684096);
	assert_int_equal(m.avail_kb, 24240952);
	assert_int_equal(m.anon_kb, 538356);
	assert_int_equal(meminfo_parse("MemTotal: 10 kB\n", &m), -ENOENT);
	assert_int_equal(meminfo_parse("MemTotal: x kB\nMemAvailable: 1 kB\n"
	    "AnonPages: 1 kB\n", &m), -EINVAL);
	assert_int_equal(meminfo_parse("MemTotal: 10 kB\nMemAvailable: 11 kB\n"
	    "AnonPages: 1 kB\n", &m), -EINVAL);
	assert_true(meminfo_parse("MemTotal: 99999999999999999999999 kB\n"
	    "MemAvailable: 1 kB\nAnonPages: 1 kB\n", &m) < 0);
	assert_int_equal(meminfo_parse("", &m), -ENOENT);
}

static void
test_parsers(void **unused)
{
	uint64_t	pages;

	assert_int_equal(ksm_stat_mergeable(KSM_STAT("yes")), 1);
	assert_int_equal(ksm_stat_mergeable(KSM_STAT("no")), 0);
	assert_int_equal(ksm_stat_mergeable(KSM_STAT("maybe")), -EINVAL);
	assert_int_equal(ksm_stat_mergeable("ksm_rmap_items 0\n"), -ENOENT);
	assert_int_equal(ksm_stat_mergeable(""), -ENOENT);
	assert_int_equal(statm_anon_pages("11831 4162 1598 1315 0 10005 0\n",
	    &pages), 0);
	assert_int_equal(pages, 4162 - 1598);
	assert_int_equal(statm_anon_pages("1 2\n", &pages), -EINVAL);
	assert_int_equal(statm_anon_pages("1 2 3 0 0 0 0\n", &pages), -EINVAL);
	assert_int_equal(statm_anon_pages("garbage", &pages), -EINVAL);
}

static void
test_scan(void **unused)
{
	struct mergeable	 m;
	char			*root = faketree_new();

	assert_int_equal(rootfs_init(root), 0);
	faketree_put(root, "/proc/1/ksm_stat", KSM_STAT("no"));
	faketree_put(root, "/proc/1/statm", "100 50 10 0 0 0 0\n");
	faketree_put(root, "/proc/2/ksm_stat", "");	/* kernel thread */
	faketree_put(root, "/proc/300/ksm_stat", KSM_STAT("yes"));
	faketree_put(root, "/proc/300/statm", "200000 131072 72 0 0 0 0\n");
	faketree_put(root, "/proc/301/ksm_stat", KSM_STAT("yes"));
	faketree_put(root, "/proc/301/statm", "garbage\n");
	faketree_put(root, "/proc/302/ksm_stat", KSM_STAT("yes"));
	faketree_put(root, "/proc/302/statm", "9 8 0 0 0 0 0\n");
	faketree_put(root, "/proc/self/ksm_stat", KSM_STAT("yes"));
	faketree_put(root, "/proc/meminfo", "x\n");
	assert_int_equal(mergeable_scan(&m), 0);
	assert_int_equal(m.procs, 2);
	assert_int_equal(m.pages, 131000 + 8);
	assert_int_equal(m.truncated, 0);
	/* Each one listed, in the order /proc gave them. */
	assert_int_equal(m.listed, 2);
	assert_int_equal(m.proc[0].pid + m.proc[1].pid, 300 + 302);
	assert_int_equal(m.proc[0].pages + m.proc[1].pages, 131000 + 8);
	assert_true(m.proc[0].pid == 300 ? m.proc[0].pages == 131000 :
	    m.proc[0].pages == 8);

	/* A kernel without the ksm_mergeable line: say so, no guessing. */
	faketree_put(root, "/proc/1/ksm_stat", "ksm_rmap_items 0\n");
	faketree_put(root, "/proc/300/ksm_stat", "ksm_rmap_items 0\n");
	faketree_put(root, "/proc/301/ksm_stat", "ksm_rmap_items 0\n");
	faketree_put(root, "/proc/302/ksm_stat", "ksm_rmap_items 0\n");
	assert_int_equal(mergeable_scan(&m), -ENOTSUP);
	rootfs_close();
	faketree_free(root);
}

static void
rm_dir(const char *root, const char *path)
{
	char	full[PATH_MAX];

	snprintf(full, sizeof(full), "%s%s", root, path);
	assert_int_equal(rmdir(full), 0);
}

/*
 * A walk that fails leaves the last one's figure as it was, and a read
 * error is not a kernel without ksm_mergeable.
 */
static void
test_scan_fails(void **unused)
{
	struct mergeable	 m;
	char			*root = faketree_new(), path[PATH_MAX];
	char			 other[PATH_MAX];

	assert_int_equal(rootfs_init(root), 0);
	faketree_put(root, "/proc/1/ksm_stat", KSM_STAT("no"));
	faketree_put(root, "/proc/300/ksm_stat", KSM_STAT("yes"));
	faketree_put(root, "/proc/300/statm", "200000 131072 72 0 0 0 0\n");
	assert_int_equal(mergeable_scan(&m), 0);
	assert_int_equal(m.pages, 131000);
	assert_int_equal(m.denied, 0);

	/* /proc cannot be listed: nothing published. */
	snprintf(path, sizeof(path), "%s/proc", root);
	snprintf(other, sizeof(other), "%s/proc.away", root);
	assert_int_equal(rename(path, other), 0);
	assert_int_equal(mergeable_scan(&m), -ENOENT);
	assert_int_equal(m.pages, 131000);
	assert_int_equal(m.procs, 1);
	assert_int_equal(rename(other, path), 0);

	/*
	 * Every ksm_stat unreadable (EISDIR standing for EMFILE): a failed
	 * walk, not a kernel that cannot say.
	 */
	faketree_rm(root, "/proc/1/ksm_stat");
	faketree_rm(root, "/proc/300/ksm_stat");
	faketree_put(root, "/proc/1/ksm_stat/x", "");
	faketree_put(root, "/proc/300/ksm_stat/x", "");
	assert_int_equal(mergeable_scan(&m), -EISDIR);
	assert_int_equal(m.pages, 131000);
	/* One of them: the walk fails too, the figure kept. */
	faketree_rm(root, "/proc/300/ksm_stat/x");
	rm_dir(root, "/proc/300/ksm_stat");
	faketree_put(root, "/proc/300/ksm_stat", KSM_STAT("yes"));
	faketree_put(root, "/proc/300/statm", "200000 100072 72 0 0 0 0\n");
	assert_int_equal(mergeable_scan(&m), -EISDIR);
	assert_int_equal(m.pages, 131000);
	/* Processes gone while we looked are no error. */
	faketree_rm(root, "/proc/1/ksm_stat/x");
	rm_dir(root, "/proc/1/ksm_stat");
	assert_int_equal(mergeable_scan(&m), 0);
	assert_int_equal(m.pages, 100000);
	rootfs_close();
	faketree_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
