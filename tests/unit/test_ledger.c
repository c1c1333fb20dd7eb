/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the host ledger over a fake tree.  Originals saved before
 * the first write, and only then written; a domain's order; a crash
 * replayed; the previous release's ksm.state and memcg.state replayed;
 * corrupt state files; settings whose file vanished.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "ksm-sysfs.h"
#include "ledger.h"
#include "log.h"
#include "memcg-parse.h"
#include "rootfs.h"

#define K	"/sys/kernel/mm/ksm/"
#define CG	"/sys/fs/cgroup"
#define SWAP1	CG "/vms/vm1/memory.swap.max"
#define SWAP2	CG "/vms/vm2/memory.swap.max"
#define LRU	"/sys/kernel/mm/lru_gen/enabled"
#define MAGIC	"ksm-throttler-host-state 1\n"

struct fx {
	char		*root;
	int		 dirfd;		/* the run directory: <root>/run */
	struct ledger	*l;
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 run[PATH_MAX];

	fx->root = faketree_new();
	faketree_put(fx->root, SWAP1, "max\n");
	faketree_put(fx->root, SWAP2, "max\n");
	faketree_put(fx->root, LRU, "0x0000\n");
	faketree_put(fx->root, K "run", "0\n");
	faketree_put(fx->root, K "pages_to_scan", "100\n");
	faketree_put(fx->root, K "sleep_millisecs", "20\n");
	faketree_put(fx->root, K "advisor_mode", "[none] scan-time\n");
	faketree_put(fx->root, "/run/.keep", "");
	snprintf(run, sizeof(run), "%s/run", fx->root);
	fx->dirfd = open(run, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fx->dirfd >= 0);
	assert_int_equal(rootfs_init(fx->root), 0);
	fx->l = ledger_open(fx->dirfd, "/run");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	ledger_close(fx->l);
	rootfs_close();
	close(fx->dirfd);
	faketree_free(fx->root);
	free(fx);
	return 0;
}

/* A crash, and the next start: a new ledger, what was left replayed. */
static void
restart(struct fx *fx)
{
	ledger_close(fx->l);
	fx->l = ledger_open(fx->dirfd, "/run");
	ledger_replay(fx->l);
}

static void
assert_file(struct fx *fx, const char *path, const char *want)
{
	char	*v = faketree_get(fx->root, path);

	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static int
state_exists(struct fx *fx, const char *name)
{
	return faccessat(fx->dirfd, name, F_OK, 0) == 0;
}

static void
test_save_before_write(void **state)
{
	struct fx	*fx = *state;

	assert_false(state_exists(fx, "host.state"));
	assert_int_equal(ledger_set(fx->l, SWAP1, "0"), 0);
	assert_file(fx, "/run/host.state", MAGIC "\"" SWAP1 "\" \"max\"\n");
	assert_file(fx, SWAP1, "0");
	assert_string_equal(ledger_original(fx->l, SWAP1), "max");
	/* The original is the first one: later writes keep it. */
	assert_int_equal(ledger_set(fx->l, SWAP1, "5"), 0);
	assert_string_equal(ledger_original(fx->l, SWAP1), "max");
	assert_int_equal(ledger_set(fx->l, LRU, "y"), 0);
	assert_file(fx, "/run/host.state", MAGIC "\"" SWAP1 "\" \"max\"\n"
	    "\"" LRU "\" \"0x0000\"\n");
	/* Put back early: the state file forgets it. */
	assert_int_equal(ledger_restore(fx->l, SWAP1), 0);
	assert_file(fx, SWAP1, "max");
	assert_null(ledger_original(fx->l, SWAP1));
	assert_file(fx, "/run/host.state", MAGIC "\"" LRU "\" \"0x0000\"\n");
	assert_int_equal(ledger_restore_all(fx->l), 0);
	assert_file(fx, LRU, "0x0000");
	assert_false(state_exists(fx, "host.state"));
	/* Not a kernel setting, or a missing one: nothing saved, nothing written. */
	assert_int_equal(ledger_set(fx->l, "/etc/passwd", "x"), -EINVAL);
	assert_int_equal(ledger_set(fx->l, CG "/gone/memory.swap.max", "0"),
	    -ENOENT);
	assert_false(state_exists(fx, "host.state"));
}

/* Any text round-trips through the state file. */
static void
test_any_text(void **state)
{
	struct fx	*fx = *state;
	const char	*odd = "a \"b\" \\c\td\n\x01\xc3\xa9 [x]";
	const char	*p = SWAP2;

	assert_int_equal(ledger_save(fx->l, 1, &p, &odd), 0);
	assert_int_equal(ledger_set(fx->l, SWAP2, "0"), 0);
	restart(fx);
	assert_file(fx, SWAP2, odd);
	assert_false(state_exists(fx, "host.state"));
}

/*
 * A choice file's original is the word the kernel takes, "[a] b" read
 * as "a", also from a state file that kept the whole text.
 */
static void
test_choice_original(void **state)
{
	struct fx	*fx = *state;
	const char	*p = K "advisor_mode", *whole = "none [scan-time]";

	assert_int_equal(ledger_set(fx->l, K "advisor_mode", "scan-time"), 0);
	assert_string_equal(ledger_original(fx->l, K "advisor_mode"), "none");
	assert_file(fx, "/run/host.state", MAGIC "\"" K "advisor_mode\" "
	    "\"none\"\n");
	assert_int_equal(ledger_restore_all(fx->l), 0);
	assert_file(fx, K "advisor_mode", "none");

	assert_int_equal(ledger_save(fx->l, 1, &p, &whole), 0);
	assert_string_equal(ledger_original(fx->l, K "advisor_mode"),
	    "scan-time");
	ledger_close(fx->l);
	fx->l = NULL;
	faketree_put(fx->root, "/run/host.state", MAGIC "\"" K "advisor_mode\" "
	    "\"none [scan-time]\"\n");
	restart(fx);
	assert_file(fx, K "advisor_mode", "scan-time");
	assert_false(state_exists(fx, "host.state"));
}

static void
test_unsaved_not_written(void **state)
{
	struct fx	*fx = *state;
	struct ledger	*l;
	char		 dir[] = "/tmp/kt-ledger.XXXXXX";
	int		 dfd;

	/* The run directory is gone: no original can be saved. */
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(rmdir(dir), 0);
	l = ledger_open(dfd, dir);
	assert_int_equal(ledger_set(l, SWAP1, "0"), -ENOENT);
	assert_file(fx, SWAP1, "max\n");
	assert_null(ledger_original(l, SWAP1));
	assert_int_equal(ledger_restore_all(l), 0);
	ledger_close(l);
	close(dfd);
	/* A directory where the state file goes. */
	assert_int_equal(mkdirat(fx->dirfd, "host.state", 0700), 0);
	assert_int_equal(ledger_set(fx->l, SWAP1, "0"), -EISDIR);
	assert_file(fx, SWAP1, "max\n");
	assert_int_equal(unlinkat(fx->dirfd, "host.state", AT_REMOVEDIR), 0);
}

/* The test domain: SWAP2 goes back before SWAP1, and SWAP1 is left. */
static int	order_calls;

static int
order_restore(struct ledger *l, void *arg)
{
	struct fx	*fx = arg;

	order_calls++;
	assert_int_equal(ledger_restore(l, SWAP2), 0);
	assert_file(fx, SWAP2, "max");
	assert_file(fx, SWAP1, "0");	/* not yet */
	assert_file(fx, LRU, "y");	/* the rest comes after */
	return 0;
}

static void
test_domain_order(void **state)
{
	struct fx		*fx = *state;
	struct ledger_domain	 d = {
		.what = "test settings",
		.prefix = CG "/",
		.restore = order_restore,
	};

	assert_int_equal(ledger_domain_add(fx->l, &d, fx), 0);
	assert_int_equal(ledger_domain_add(fx->l, &d, fx), -EEXIST);
	assert_int_equal(ledger_set(fx->l, SWAP1, "0"), 0);
	assert_int_equal(ledger_set(fx->l, SWAP2, "0"), 0);
	assert_int_equal(ledger_set(fx->l, LRU, "y"), 0);
	assert_int_equal(ledger_restore_all(fx->l), 0);
	assert_int_equal(order_calls, 1);
	/* What the domain left untried goes back after it. */
	assert_file(fx, SWAP1, "max");
	assert_file(fx, LRU, "0x0000");
	assert_false(state_exists(fx, "host.state"));

	/* The same order when a crash is replayed. */
	order_calls = 0;
	assert_int_equal(ledger_set(fx->l, SWAP1, "0"), 0);
	assert_int_equal(ledger_set(fx->l, SWAP2, "0"), 0);
	assert_int_equal(ledger_set(fx->l, LRU, "y"), 0);
	ledger_close(fx->l);
	fx->l = ledger_open(fx->dirfd, "/run");
	assert_int_equal(ledger_domain_add(fx->l, &d, fx), 0);
	ledger_replay(fx->l);
	assert_int_equal(order_calls, 1);
	assert_file(fx, SWAP1, "max");
	assert_file(fx, LRU, "0x0000");
	assert_false(state_exists(fx, "host.state"));
}

static void
test_crash_replay(void **state)
{
	struct fx	*fx = *state;

	assert_int_equal(ledger_set(fx->l, SWAP1, "0"), 0);
	assert_int_equal(ledger_set(fx->l, LRU, "y"), 0);
	/* Only what differs is written: a setting back already is left. */
	faketree_put(fx->root, LRU, "0x0000\n");
	restart(fx);
	assert_file(fx, SWAP1, "max");
	assert_file(fx, LRU, "0x0000\n");
	assert_false(state_exists(fx, "host.state"));
	assert_null(ledger_original(fx->l, SWAP1));
}

/* A setting that cannot be put back is kept, for the exit and the next start. */
static void
test_restore_fails(void **state)
{
	struct fx	*fx = *state;
	char		 full[PATH_MAX];

	assert_int_equal(ledger_set(fx->l, SWAP1, "0"), 0);
	snprintf(full, sizeof(full), "%s%s", fx->root, SWAP1);
	assert_int_equal(unlink(full), 0);
	assert_int_equal(mkdir(full, 0700), 0);
	assert_int_equal(ledger_restore(fx->l, SWAP1), -EISDIR);
	assert_string_equal(ledger_original(fx->l, SWAP1), "max");
	assert_true(ledger_restore_all(fx->l) < 0);
	assert_true(state_exists(fx, "host.state"));
	restart(fx);
	assert_string_equal(ledger_original(fx->l, SWAP1), "max");
	assert_int_equal(rmdir(full), 0);
	faketree_put(fx->root, SWAP1, "0\n");
	assert_int_equal(ledger_restore_all(fx->l), 0);
	assert_file(fx, SWAP1, "max");
	assert_false(state_exists(fx, "host.state"));
}

/* A removed cgroup takes its setting with it: forgotten, not an error. */
static void
test_vanished(void **state)
{
	struct fx	*fx = *state;

	assert_int_equal(ledger_set(fx->l, SWAP1, "0"), 0);
	assert_int_equal(ledger_set(fx->l, SWAP2, "0"), 0);
	faketree_rm(fx->root, SWAP1);
	assert_int_equal(ledger_restore(fx->l, SWAP1), 0);
	assert_null(ledger_original(fx->l, SWAP1));
	faketree_rm(fx->root, SWAP2);
	restart(fx);
	assert_null(ledger_original(fx->l, SWAP2));
	assert_false(state_exists(fx, "host.state"));
}

static void
plant(struct fx *fx, const char *name, const char *text, size_t len)
{
	int	fd;

	fd = openat(fx->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Nine kinds of corrupt host.state: not trusted, removed, nothing written. */
static void
test_corrupt(void **state)
{
	struct fx	*fx = *state;
	static const char *const bad[] = {
		MAGIC,					/* header only */
		MAGIC "\"" SWAP1 "\"\n",		/* no value */
		MAGIC "\"" SWAP1 "\" \"0\"\n%$#@!\n",	/* garbage line */
		MAGIC "\"/etc/passwd\" \"0\"\n",	/* not a setting */
		MAGIC "\"" CG "/../../etc/x\" \"0\"\n",	/* an escape */
		MAGIC "\"" SWAP1 "\" \"\\q\"\n",	/* a bad escape */
		MAGIC "\"" SWAP1 "\" \"0\"\n\"" SWAP1 "\" \"5\"\n", /* twice */
		"ksm-throttler-host-state 2\n\"" SWAP1 "\" \"0\"\n",
		"",					/* empty */
	};
	char		*big;
	size_t		 i, n = 2 * 1024 * 1024;

	faketree_put(fx->root, SWAP1, "7\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		plant(fx, "host.state", bad[i], strlen(bad[i]));
		restart(fx);
		assert_file(fx, SWAP1, "7\n");
		assert_false(state_exists(fx, "host.state"));
	}
	/* Binary, and too big to be ours. */
	big = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7 + 3);
	plant(fx, "host.state", big, 300);
	restart(fx);
	assert_false(state_exists(fx, "host.state"));
	memcpy(big, MAGIC "\"" SWAP1 "\" \"0\"\n", strlen(MAGIC) + 30);
	memset(big + strlen(MAGIC) + 30, '#', n - strlen(MAGIC) - 30);
	plant(fx, "host.state", big, n);
	restart(fx);
	assert_false(state_exists(fx, "host.state"));
	free(big);
	assert_file(fx, SWAP1, "7\n");
	/* A symlink is neither followed nor kept. */
	plant(fx, "elsewhere", MAGIC "\"" SWAP1 "\" \"0\"\n",
	    strlen(MAGIC "\"" SWAP1 "\" \"0\"\n"));
	assert_int_equal(symlinkat("elsewhere", fx->dirfd, "host.state"), 0);
	restart(fx);
	assert_file(fx, SWAP1, "7\n");
	assert_false(state_exists(fx, "host.state"));
}

static int
parse_add(void *arg, const char *path, const char *value)
{
	char	*out = arg;

	snprintf(out, 64, "%s=%s", path, value);
	return 0;
}

static void
test_parse(void **state)
{
	char	out[64] = "";

	(void)state;
	assert_int_equal(ledger_state_parse(MAGIC "\"/sys/a\" \"x\\x0ay\\\"\"\n",
	    parse_add, out), 0);
	assert_string_equal(out, "/sys/a=x\ny\"");
	/* Raw control characters, a NUL by escape, text after the value. */
	assert_int_equal(ledger_state_parse(MAGIC "\"/sys/a\" \"x\ty\"\n",
	    parse_add, out), -EINVAL);
	assert_int_equal(ledger_state_parse(MAGIC "\"/sys/a\" \"\\x00\"\n",
	    parse_add, out), -EINVAL);
	assert_int_equal(ledger_state_parse(MAGIC "\"/sys/a\" \"x\" y\n",
	    parse_add, out), -EINVAL);
	assert_int_equal(ledger_state_parse(MAGIC "\"/sys/a\" \"x",
	    parse_add, out), -EINVAL);
}

/* The previous release's ksm.state: replayed in KSM's order, removed. */
static void
test_legacy_ksm(void **state)
{
	struct fx	*fx = *state;
	struct ksm	*k;

	faketree_put(fx->root, K "run", "1\n");
	faketree_put(fx->root, K "sleep_millisecs", "0\n");
	plant(fx, "ksm.state", "ksm-throttler-state 1\nrun 0\n"
	    "sleep_millisecs 20\nadvisor_mode none\n", 65);
	k = ksm_open(fx->l);
	ledger_replay(fx->l);
	assert_file(fx, K "run", "0");
	assert_file(fx, K "sleep_millisecs", "20");
	assert_file(fx, K "advisor_mode", "[none] scan-time\n");
	assert_false(state_exists(fx, "ksm.state"));
	assert_false(state_exists(fx, "host.state"));
	ksm_close(k);
}

/* Nine kinds of corrupt ksm.state, as fault-statefile.sh plants them. */
static void
test_legacy_ksm_corrupt(void **state)
{
	struct fx	*fx = *state;
	static const char *const bad[] = {
		"ksm-throttler-state 1\n",
		"ksm-throttler-state 1\npages_to_scan 5\n",
		"ksm-throttler-state 1\nrun 1\npages_to_scan 5\n%$#@!\n",
		"ksm-throttler-state 1\nrun 1\npages_shared 5\n",
		"ksm-throttler-state 1\nrun 99999999999999999999999\n",
		"ksm-throttler-state 1\nrun 1\nsleep_millisecs -3\n",
		"\x01\x02\xff binary\n",
		"",
	};
	struct ksm	*k;
	char		 big[5000];
	size_t		 i;

	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		if (i < sizeof(bad) / sizeof(bad[0]))
			plant(fx, "ksm.state", bad[i], strlen(bad[i]));
		else {
			memset(big, '#', sizeof(big));
			memcpy(big, "ksm-throttler-state 1\nrun 1\n", 28);
			plant(fx, "ksm.state", big, sizeof(big));
		}
		restart(fx);
		k = ksm_open(fx->l);
		ledger_replay(fx->l);
		assert_file(fx, K "run", "0\n");
		assert_file(fx, K "pages_to_scan", "100\n");
		assert_false(state_exists(fx, "ksm.state"));
		ksm_close(k);
	}
}

/* memcg's parser, as the memcg engine hands its memcg.state over. */
struct memcg_glue {
	ledger_add_fn	 add;
	void		*addarg;
};

static int
memcg_glue_add(void *arg, const char *cg, const char *value)
{
	struct memcg_glue	*g = arg;
	char			 path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s%s/memory.swap.max", CG, cg) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return g->add(g->addarg, path, value);
}

static int
memcg_legacy_parse(const char *text, ledger_add_fn add, void *addarg,
    void *arg)
{
	struct memcg_glue	g = { add, addarg };

	(void)arg;
	return memcg_state_parse(text, memcg_glue_add, &g);
}

static const struct ledger_legacy memcg_legacy = {
	.name = "memcg.state",
	.what = "memory.swap.max values",
	.max = 1024 * 1024,
	.parse = memcg_legacy_parse,
};

static void
test_legacy_memcg(void **state)
{
	struct fx	*fx = *state;
	const char	*text = "ksm-throttler-memcg-state 1\n/vms/gone max\n"
	    "/vms/vm1 1234567\n";

	faketree_put(fx->root, SWAP1, "0\n");
	/* Before the replay: with the rest. */
	plant(fx, "memcg.state", text, strlen(text));
	ledger_adopt(fx->l, &memcg_legacy, NULL);
	ledger_replay(fx->l);
	assert_file(fx, SWAP1, "1234567");
	assert_false(state_exists(fx, "memcg.state"));
	assert_false(state_exists(fx, "host.state"));
	/* After it (the memcg engine finds its cgroups late): at once. */
	faketree_put(fx->root, SWAP1, "0\n");
	assert_int_equal(ledger_set(fx->l, SWAP2, "0"), 0);
	plant(fx, "memcg.state", text, strlen(text));
	ledger_adopt(fx->l, &memcg_legacy, NULL);
	assert_file(fx, SWAP1, "1234567");
	assert_file(fx, SWAP2, "0");	/* this run's, kept */
	assert_false(state_exists(fx, "memcg.state"));
	assert_string_equal(ledger_original(fx->l, SWAP2), "max");
	/* Corrupt: said, removed, nothing written. */
	faketree_put(fx->root, SWAP1, "0\n");
	plant(fx, "memcg.state", "ksm-throttler-memcg-state 1\n/vms/vm1 x\n",
	    40);
	ledger_adopt(fx->l, &memcg_legacy, NULL);
	assert_file(fx, SWAP1, "0\n");
	assert_false(state_exists(fx, "memcg.state"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_before_write, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_any_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_choice_original, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unsaved_not_written,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_domain_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_replay, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restore_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vanished, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_ksm, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_legacy_ksm_corrupt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_legacy_memcg, setup,
		    teardown),
		cmocka_unit_test(test_parse),
	};

	log_init(1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
