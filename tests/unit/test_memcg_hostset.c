/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the memcg engine's host settings over a fake tree, through
 * the host ledger: each original saved before the first write (in
 * host.state), put back one at a time or all when the engine lets go,
 * MGLRU's switch turned on and back off; an earlier release's
 * memcg.state handed to the ledger and put back.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "faketree.h"
#include "ledger.h"
#include "memcg-backend.h"
#include "memcg-hostset.h"
#include "rootfs.h"

#define CG	"/sys/fs/cgroup"

static void
assert_file(const char *root, const char *path, const char *want)
{
	char	*v = faketree_get(root, path);

	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void
test_hostset(void **state)
{
	char			*root = faketree_new(), rundir[512];
	struct memcg_host	 h;
	struct memcg_hostset	*hs;
	struct ledger		*l;
	int			 fd;

	faketree_put(root, CG "/cgroup.controllers", "memory\n");
	faketree_put(root, CG "/vm1/memory.swap.max", "1234567\n");
	faketree_put(root, CG "/vm2/memory.swap.max", "max\n");
	faketree_put(root, MEMCG_LRU_GEN_ENABLED, "0x0000\n");
	assert_int_equal(rootfs_init(root), 0);
	snprintf(rundir, sizeof(rundir), "%s/run", root);
	assert_int_equal(mkdir(rundir, 0700), 0);
	fd = open(rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	memset(&h, 0, sizeof(h));
	assert_int_equal(memcg_cgroup_v2.detect(&h), 0);
	h.hier = &memcg_cgroup_v2;
	h.method = &memcg_reclaim;
	l = ledger_open(fd, rundir);
	ledger_replay(l);
	hs = memcg_hostset_new(&h, l);

	assert_int_equal(memcg_hostset_set(hs, MEMCG_KNOB_LRU_GEN, NULL, "y"),
	    0);
	assert_file(root, MEMCG_LRU_GEN_ENABLED, "y");
	assert_int_equal(memcg_hostset_set(hs, MEMCG_KNOB_SWAP_MAX, "/vm1",
	    "0"), 0);
	assert_int_equal(memcg_hostset_set(hs, MEMCG_KNOB_SWAP_MAX, "/vm2",
	    "0"), 0);
	/* A second write keeps the first original. */
	assert_int_equal(memcg_hostset_set(hs, MEMCG_KNOB_SWAP_MAX, "/vm1",
	    "max"), 0);
	assert_file(root, CG "/vm1/memory.swap.max", "max");
	assert_file(root, "/run/" LEDGER_STATE_NAME,
	    "ksm-throttler-host-state 1\n"
	    "\"" MEMCG_LRU_GEN_ENABLED "\" \"0x0000\"\n"
	    "\"" CG "/vm1/memory.swap.max\" \"1234567\"\n"
	    "\"" CG "/vm2/memory.swap.max\" \"max\"\n");
	/* A cgroup that is not there: nothing saved, nothing written. */
	assert_true(memcg_hostset_set(hs, MEMCG_KNOB_SWAP_MAX, "/gone",
	    "0") < 0);

	/* One put back: out of the state file too. */
	memcg_hostset_restore(hs, MEMCG_KNOB_SWAP_MAX, "/vm1");
	assert_file(root, CG "/vm1/memory.swap.max", "1234567");
	assert_null(ledger_original(l, CG "/vm1/memory.swap.max"));
	assert_string_equal(ledger_original(l, CG "/vm2/memory.swap.max"),
	    "max");
	memcg_hostset_restore(hs, MEMCG_KNOB_SWAP_MAX, "/vm1");

	/* At exit, all: no state file left, MGLRU as it was. */
	memcg_hostset_restore_all(hs);
	assert_file(root, CG "/vm2/memory.swap.max", "max");
	assert_file(root, MEMCG_LRU_GEN_ENABLED, "0x0000");
	assert_null(ledger_original(l, MEMCG_LRU_GEN_ENABLED));
	memcg_hostset_free(hs);
	ledger_close(l);

	/* An earlier release's memcg.state: put back, and removed. */
	faketree_put(root, "/run/memcg.state", "ksm-throttler-memcg-state 1\n"
	    "/vm2 77\n");
	l = ledger_open(fd, rundir);
	ledger_replay(l);
	hs = memcg_hostset_new(&h, l);
	memcg_hostset_recover(hs);
	assert_file(root, CG "/vm2/memory.swap.max", "77");
	assert_int_equal(faccessat(fd, "memcg.state", F_OK, 0), -1);
	memcg_hostset_free(hs);
	ledger_restore_all(l);
	ledger_close(l);

	close(fd);
	rootfs_close();
	faketree_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
