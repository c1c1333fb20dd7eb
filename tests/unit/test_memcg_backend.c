/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the memcg backends over a fake tree, the test playing the
 * kernel: each write a backend asks for is checked, then the kernel's
 * answer and new state are put in place before the next step.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "faketree.h"
#include "memcg-backend.h"
#include "rootfs.h"

#define LRU	"/sys/kernel/debug/lru_gen"

static void
job_init(struct memcg_job *job, struct memcg_host *h, const char *path)
{
	struct conf	*c = conf_new();

	memset(job, 0, sizeof(*job));
	job->host = h;
	snprintf(job->path, sizeof(job->path), "%s", path);
	memcg_settings_default(&job->set, c);
	conf_free(c);
}

static void
lru_put(const char *root, unsigned min, unsigned max, unsigned anon,
    unsigned file)
{
	char		text[1024];
	unsigned	seq;
	size_t		o;

	o = (size_t)snprintf(text, sizeof(text), "memcg     1 /\n node     0\n"
	    "          1       1000          0          0 \n"
	    "memcg    37 /kt/vm\n node     0\n");
	for (seq = min; seq <= max; seq++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " %10u %10u %10u %10u \n", seq, 200000 - 40000 * (seq - min),
		    seq == min ? anon : 5, seq == min ? file : 5);
	faketree_put(root, LRU, text);
}

static void
test_mglru(void **state)
{
	char			*root = faketree_new(), *v;
	struct memcg_host	 h;
	struct memcg_job	 job;
	struct memcg_write	 w;

	faketree_put(root, "/sys/kernel/mm/lru_gen/enabled", "0x0000\n");
	lru_put(root, 8, 11, 0, 1000);
	assert_int_equal(rootfs_init(root), 0);
	memset(&h, 0, sizeof(h));
	h.version = 2;
	strcpy(h.mount, "/sys/fs/cgroup");

	/* MGLRU off: said, and left as it is (the engine turns it on). */
	assert_int_equal(memcg_mglru.detect(&h), MEMCG_DETECT_OFF);
	v = faketree_get(root, "/sys/kernel/mm/lru_gen/enabled");
	assert_string_equal(v, "0x0000\n");
	free(v);

	job_init(&job, &h, "/kt/vm");
	job.set.eviction_run_aging_count_min = 1;
	assert_int_equal(memcg_mglru.begin(&job), 0);
	assert_int_equal(job.memcg_id, 37);

	/* Aging of the youngest generation's sequence. */
	assert_int_equal(memcg_mglru.step(&job, &w), 1);
	assert_string_equal(w.path, LRU);
	assert_string_equal(w.value, "+ 37 0 11 0 1");
	memcg_mglru.step_done(&job, 0);
	lru_put(root, 8, 12, 0, 1000);
	/* The kernel folded the oldest two: four generations, 8 is gone. */
	lru_put(root, 9, 12, 0, 1000);

	/* Aged once, count_min 1: evict the oldest, file only. */
	assert_int_equal(memcg_mglru.step(&job, &w), 1);
	assert_string_equal(w.value, "- 37 0 9 0 8192");
	memcg_mglru.step_done(&job, 0);
	assert_int_equal(job.aging_count, 1);
	assert_true(job.aged);
	lru_put(root, 9, 12, 0, 400);
	assert_int_equal(memcg_mglru.step(&job, &w), 1);
	assert_string_equal(w.value, "- 37 0 9 0 8192");
	memcg_mglru.step_done(&job, 0);
	/* The generation is gone: done, 1000 pages evicted. */
	lru_put(root, 10, 12, 0, 50);
	assert_int_equal(memcg_mglru.step(&job, &w), 0);
	assert_int_equal(job.stop, MEMCG_STOP_DONE);
	assert_int_equal(job.evicted_pages + job.ev.pages, 600);

	/* Fresh generations are not aged; not aged, no eviction. */
	job_init(&job, &h, "/kt/vm");
	faketree_put(root, LRU, "memcg 37 /kt/vm\n node 0\n 1 9000 0 5\n"
	    " 2 8000 0 5\n 3 7000 0 5\n 4 10 0 5\n");
	assert_int_equal(memcg_mglru.begin(&job), 0);
	assert_int_equal(memcg_mglru.step(&job, &w), 0);
	assert_int_equal(job.stop, MEMCG_STOP_FRESH);

	/* A memcg that is not listed has vanished; garbage is an error. */
	job_init(&job, &h, "/kt/gone");
	assert_int_equal(memcg_mglru.begin(&job), -ENOENT);
	assert_int_equal(job.stop, MEMCG_STOP_VANISHED);
	faketree_put(root, LRU, "+ 37 0 11 0 1\n");
	job_init(&job, &h, "/kt/vm");
	assert_int_equal(memcg_mglru.begin(&job), -EINVAL);
	assert_int_equal(job.stop, MEMCG_STOP_ERROR);

	/* The kernel refuses an aging write: the run stops with the error. */
	lru_put(root, 8, 11, 0, 1000);
	job_init(&job, &h, "/kt/vm");
	assert_int_equal(memcg_mglru.begin(&job), 0);
	assert_int_equal(memcg_mglru.step(&job, &w), 1);
	memcg_mglru.step_done(&job, -EINVAL);
	assert_int_equal(job.stop, MEMCG_STOP_ERROR);
	assert_int_equal(job.err, -EINVAL);

	rootfs_close();
	faketree_free(root);
}

static void
test_mglru_absent(void **state)
{
	char			*root = faketree_new();
	struct memcg_host	 h;

	memset(&h, 0, sizeof(h));
	assert_int_equal(rootfs_init(root), 0);
	assert_int_equal(memcg_mglru.detect(&h), -ENOENT);
	/* On, but debugfs not mounted: not usable. */
	faketree_put(root, "/sys/kernel/mm/lru_gen/enabled", "0x0007\n");
	assert_int_equal(memcg_mglru.detect(&h), -ENOENT);
	faketree_put(root, LRU, "");
	assert_int_equal(memcg_mglru.detect(&h), 0);
	faketree_put(root, "/sys/kernel/mm/lru_gen/enabled", "bogus\n");
	assert_int_equal(memcg_mglru.detect(&h), -EINVAL);
	rootfs_close();
	faketree_free(root);
}

static void
test_v2(void **state)
{
	char			*root = faketree_new();
	struct memcg_host	 h;
	struct memcg_job	 job;
	struct memcg_write	 w;
	struct memcg_stat	 st;
	uint64_t		 usage, limit;

	faketree_put(root, "/sys/fs/cgroup/unified/cgroup.controllers",
	    "cpu io memory pids\n");
	faketree_put(root, "/sys/fs/cgroup/unified/kt/vm/memory.stat",
	    "anon 4096\nfile 104857600\ninactive_file 104857600\n");
	faketree_put(root, "/sys/fs/cgroup/unified/kt/vm/memory.current",
	    "104861696\n");
	faketree_put(root, "/sys/fs/cgroup/unified/kt/vm/memory.max", "max\n");
	assert_int_equal(rootfs_init(root), 0);
	memset(&h, 0, sizeof(h));
	h.reclaim_swappiness = -1;
	assert_int_equal(memcg_cgroup_v2.detect(&h), 0);
	assert_string_equal(h.mount, "/sys/fs/cgroup/unified");
	assert_int_equal(memcg_cgroup_v2.stat(&h, "/kt/vm", &st, &usage, &limit), 0);
	assert_int_equal(st.file, 104857600);
	assert_int_equal(usage, 104861696);
	assert_int_equal(limit, 0);
	faketree_put(root, "/sys/fs/cgroup/unified/kt/vm/memory.max",
	    "536870912\n");
	assert_int_equal(memcg_cgroup_v2.stat(&h, "/kt/vm", &st, &usage, &limit), 0);
	assert_int_equal(limit, 536870912);
	assert_int_equal(memcg_cgroup_v2.stat(&h, "/kt/no", &st, &usage, &limit),
	    -ENOENT);

	job_init(&job, &h, "/kt/vm");
	job.target = 100 << 20;
	assert_int_equal(memcg_reclaim.step(&job, &w), 1);
	assert_string_equal(w.path,
	    "/sys/fs/cgroup/unified/kt/vm/memory.reclaim");
	assert_string_equal(w.value, "67108864 swappiness=0");
	/*
	 * A kernel before 6.11: the same chunk again, without swappiness,
	 * which then takes anon pages as the kernel's swappiness says: not
	 * for a period run that may not swap, where there is swap.
	 */
	assert_false(memcg_method_swaps(&h, &memcg_reclaim));
	job.no_swap = 1;
	memcg_reclaim.step_done(&job, -EINVAL);
	assert_int_equal(h.reclaim_swappiness, 0);
	assert_int_equal(job.stop, MEMCG_STOP_WOULD_SWAP);
	assert_true(memcg_method_swaps(&h, &memcg_reclaim));
	h.reclaim_swappiness = -1;
	job_init(&job, &h, "/kt/vm");
	job.target = 100 << 20;
	assert_int_equal(memcg_reclaim.step(&job, &w), 1);
	memcg_reclaim.step_done(&job, -EINVAL);
	assert_int_equal(h.reclaim_swappiness, 0);
	assert_int_equal(job.stop, MEMCG_STOP_NONE);
	assert_int_equal(memcg_reclaim.step(&job, &w), 1);
	assert_string_equal(w.value, "67108864");
	memcg_reclaim.step_done(&job, 0);
	assert_int_equal(memcg_reclaim.step(&job, &w), 1);
	assert_string_equal(w.value, "37748736");
	/* EAGAIN: less than asked, nothing more to take. */
	memcg_reclaim.step_done(&job, -EAGAIN);
	assert_int_equal(job.stop, MEMCG_STOP_EXHAUSTED);

	job_init(&job, &h, "/kt/vm");
	job.target = 1000;
	assert_int_equal(memcg_reclaim.step(&job, &w), 0);
	assert_int_equal(job.stop, MEMCG_STOP_DONE);
	job_init(&job, &h, "/kt/vm");
	job.target = 2 << 20;
	assert_int_equal(memcg_reclaim.step(&job, &w), 1);
	memcg_reclaim.step_done(&job, -ENOENT);
	assert_int_equal(job.stop, MEMCG_STOP_VANISHED);
	rootfs_close();
	faketree_free(root);
}

static void
test_v1(void **state)
{
	char			*root = faketree_new();
	struct memcg_host	 h;
	struct memcg_job	 job;
	struct memcg_write	 w;
	struct memcg_stat	 st;
	uint64_t		 usage, limit;

	faketree_put(root, "/sys/fs/cgroup/memory/memory.stat", "cache 0\n"
	    "rss 0\n");
	faketree_put(root, "/sys/fs/cgroup/memory/kt/memory.stat",
	    "cache 5\nrss 6\ntotal_cache 50\ntotal_rss 60\n");
	faketree_put(root, "/sys/fs/cgroup/memory/kt/memory.usage_in_bytes",
	    "110\n");
	faketree_put(root, "/sys/fs/cgroup/memory/kt/memory.limit_in_bytes",
	    "9223372036854771712\n");
	assert_int_equal(rootfs_init(root), 0);
	memset(&h, 0, sizeof(h));
	assert_int_equal(memcg_cgroup_v2.detect(&h), -ENOENT);
	assert_int_equal(memcg_cgroup_v1.detect(&h), 0);
	assert_int_equal(h.version, 1);
	assert_true(memcg_method_swaps(&h, &memcg_force_empty));
	assert_false(memcg_method_swaps(&h, &memcg_mglru));
	assert_int_equal(memcg_cgroup_v1.stat(&h, "/kt", &st, &usage, &limit), 0);
	assert_int_equal(st.file, 50);
	assert_int_equal(limit, 0);		/* v1's "no limit" */
	faketree_put(root, "/sys/fs/cgroup/memory/kt/memory.limit_in_bytes",
	    "1048576\n");
	assert_int_equal(memcg_cgroup_v1.stat(&h, "/kt", &st, &usage, &limit), 0);
	assert_int_equal(limit, 1048576);
	faketree_put(root, "/sys/fs/cgroup/memory/kt/memory.stat", "cache x\n");
	assert_int_equal(memcg_cgroup_v1.stat(&h, "/kt", &st, &usage, &limit),
	    -EINVAL);

	job_init(&job, &h, "/kt");
	assert_int_equal(memcg_force_empty.step(&job, &w), 1);
	assert_string_equal(w.path, "/sys/fs/cgroup/memory/kt/"
	    "memory.force_empty");
	assert_string_equal(w.value, "0");
	memcg_force_empty.step_done(&job, 0);
	assert_int_equal(memcg_force_empty.step(&job, &w), 0);
	assert_int_equal(job.stop, MEMCG_STOP_DONE);
	job_init(&job, &h, "/kt");
	assert_int_equal(memcg_force_empty.step(&job, &w), 1);
	memcg_force_empty.step_done(&job, -EBUSY);
	assert_int_equal(job.stop, MEMCG_STOP_EXHAUSTED);
	job_init(&job, &h, "/kt");
	assert_int_equal(memcg_force_empty.step(&job, &w), 1);
	memcg_force_empty.step_done(&job, -EACCES);
	assert_int_equal(job.stop, MEMCG_STOP_ERROR);
	rootfs_close();
	faketree_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mglru),
		cmocka_unit_test(test_mglru_absent),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
