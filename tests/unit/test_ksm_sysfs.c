/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the KSM model over a fake /sys and /proc. */
#include "config.h"

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
#include "rootfs.h"

#define K	"/sys/kernel/mm/ksm/"

struct fx {
	char		*root;
	int		 dirfd;		/* the state file's directory: the root */
	char		 state[PATH_MAX];
	struct ledger	*ledger;
};

#define RUN_LINE	"\"/sys/kernel/mm/ksm/run\" "

static void
put_ksm(const char *root)
{
	faketree_put(root, K "run", "0\n");
	faketree_put(root, K "pages_to_scan", "100\n");
	faketree_put(root, K "sleep_millisecs", "20\n");
	faketree_put(root, K "pages_shared", "10\n");
	faketree_put(root, K "pages_sharing", "250\n");
	faketree_put(root, K "pages_unshared", "3\n");
	faketree_put(root, K "pages_volatile", "0\n");
	faketree_put(root, K "full_scans", "12\n");
	faketree_put(root, K "general_profit", "-4096\n");
	faketree_put(root, K "advisor_mode", "[none] scan-time\n");
	faketree_put(root, K "advisor_max_cpu", "70\n");
	faketree_put(root, "/proc/1/comm", "init\n");
	faketree_put(root, "/proc/1/stat", "1 (init) S 0 1 1 0 -1 4194560 1 "
	    "0 0 0 5 6 0 0 20 0 1 0 2 0 0\n");
	faketree_put(root, "/proc/42/comm", "ksmd\n");
	faketree_put(root, "/proc/42/stat", "42 (ksmd) S 2 0 0 0 -1 2129984 "
	    "0 0 0 0 150 50 0 0 25 5 1 0 30 0 0\n");
}

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	fx->root = faketree_new();
	put_ksm(fx->root);
	snprintf(fx->state, sizeof(fx->state), "%s/host.state", fx->root);
	fx->dirfd = open(fx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fx->dirfd >= 0);
	assert_int_equal(rootfs_init(fx->root), 0);
	*state = fx;
	return 0;
}

/* As the daemon starts: the ledger, the model, what a crash left put back. */
static struct ksm *
start(struct fx *fx)
{
	struct ksm	*k;

	fx->ledger = ledger_open(fx->dirfd, fx->root);
	k = ksm_open(fx->ledger);
	ledger_replay(fx->ledger);
	return k;
}

/* A crash: nothing put back, nothing said. */
static void
crash(struct fx *fx, struct ksm *k)
{
	ksm_close(k);
	ledger_close(fx->ledger);
	fx->ledger = NULL;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	ledger_close(fx->ledger);
	rootfs_close();
	close(fx->dirfd);
	faketree_free(fx->root);
	free(fx);
	return 0;
}

static void
test_sample(void **state)
{
	struct fx		*fx = *state;
	struct ksm		*k = start(fx);
	struct ksm_sample	 s;

	assert_true(ksm_available(k));
	assert_int_equal(ksm_sample(k, &s), 0);
	assert_true(KSM_HAVE(&s, KSM_PAGES_SHARING));
	assert_int_equal(s.v[KSM_PAGES_SHARING], 250);
	assert_int_equal(s.v[KSM_GENERAL_PROFIT], -4096);
	assert_int_equal(s.v[KSM_ADVISOR_MODE], KSM_ADVISOR_NONE);
	/* Files this kernel lacks are simply absent. */
	assert_false(KSM_HAVE(&s, KSM_KSM_ZERO_PAGES));
	assert_true(s.have_cpu);
	assert_true(s.ksmd_cpu_ms == 200 * 1000 / (uint64_t)sysconf(_SC_CLK_TCK));
	/* Ticks that would wrap in milliseconds: ksmd's CPU time unknown. */
	faketree_put(fx->root, "/proc/42/stat", "42 (ksmd) S 2 0 0 0 -1 "
	    "2129984 0 0 0 0 18446744073709552 0 0 0 25 5 1 0 30 0 0\n");
	assert_int_equal(ksm_sample(k, &s), 0);
	assert_false(s.have_cpu);
	ksm_close(k);
}

static void
test_garbage(void **state)
{
	struct fx		*fx = *state;
	struct ksm		*k = start(fx);
	struct ksm_sample	 s;

	faketree_put(fx->root, K "pages_sharing", "lots\n");
	faketree_put(fx->root, K "pages_shared", "");
	faketree_put(fx->root, K "full_scans", "99999999999999999999999\n");
	faketree_rm(fx->root, K "pages_unshared");
	faketree_put(fx->root, K "pages_volatile", "-5\n");
	faketree_put(fx->root, K "general_profit", "-8192\n");
	assert_int_equal(ksm_sample(k, &s), 0);
	/* A counter below zero is garbage; the profit can be a loss. */
	assert_false(KSM_HAVE(&s, KSM_PAGES_VOLATILE));
	assert_int_equal(s.v[KSM_GENERAL_PROFIT], -8192);
	assert_false(KSM_HAVE(&s, KSM_PAGES_SHARING));
	assert_false(KSM_HAVE(&s, KSM_PAGES_SHARED));
	assert_false(KSM_HAVE(&s, KSM_FULL_SCANS));
	assert_false(KSM_HAVE(&s, KSM_PAGES_UNSHARED));
	assert_true(KSM_HAVE(&s, KSM_PAGES_TO_SCAN));
	ksm_close(k);
}

static void
test_set_saves_then_restores(void **state)
{
	struct fx	*fx = *state;
	struct ksm	*k = start(fx);
	char		*v;

	assert_int_equal(access(fx->state, F_OK), -1);
	assert_int_equal(ksm_set(k, KSM_PAGES_TO_SCAN, 5000), 0);
	assert_int_equal(ksm_set(k, KSM_RUN, 1), 0);
	assert_int_equal(access(fx->state, F_OK), 0);
	v = faketree_get(fx->root, K "pages_to_scan");
	assert_string_equal(v, "5000");
	free(v);
	/* Counters are not knobs. */
	assert_int_equal(ksm_set(k, KSM_PAGES_SHARING, 1), -EINVAL);
	assert_int_equal(ksm_restore(k), 0);
	v = faketree_get(fx->root, K "pages_to_scan");
	assert_string_equal(v, "100");
	free(v);
	v = faketree_get(fx->root, K "run");
	assert_string_equal(v, "0");
	free(v);
	/* Knobs we never changed are not written at all. */
	v = faketree_get(fx->root, K "advisor_mode");
	assert_string_equal(v, "[none] scan-time\n");
	free(v);
	assert_int_equal(access(fx->state, F_OK), -1);
	ksm_close(k);
}

static void
test_crash_recovery(void **state)
{
	struct fx	*fx = *state;
	struct ksm	*k = start(fx);
	char		*v;

	assert_int_equal(ksm_set(k, KSM_SLEEP_MILLISECS, 0), 0);
	assert_int_equal(ksm_set(k, KSM_RUN, 1), 0);
	/* The daemon dies here: no restore.  A new one starts. */
	crash(fx, k);
	k = start(fx);
	v = faketree_get(fx->root, K "sleep_millisecs");
	assert_string_equal(v, "20");
	free(v);
	v = faketree_get(fx->root, K "run");
	assert_string_equal(v, "0");
	free(v);
	/* The originals stay the originals for the new run. */
	assert_int_equal(ksm_set(k, KSM_RUN, 1), 0);
	assert_int_equal(ksm_restore(k), 0);
	v = faketree_get(fx->root, K "run");
	assert_string_equal(v, "0");
	free(v);
	ksm_close(k);
}

static void
test_corrupt_state(void **state)
{
	struct fx	*fx = *state;
	struct ksm	*k;
	FILE		*f;
	char		*v;

	f = fopen(fx->state, "w");
	fputs("ksm-throttler-host-state 1\n" RUN_LINE "\"1\"\n"
	    "\"/sys/kernel/mm/ksm/pages_to_scan\" banana\n", f);
	fclose(f);
	k = start(fx);
	/* Nothing was written from a file we cannot trust. */
	v = faketree_get(fx->root, K "run");
	assert_string_equal(v, "0\n");
	free(v);
	ksm_close(k);
}

/*
 * Symlinks planted at the state file and at its temporary name are not
 * followed: a state file elsewhere is not restored from, and no file
 * elsewhere is written to.
 */
static void
test_state_symlinks(void **state)
{
	struct fx	*fx = *state;
	struct ksm	*k;
	char		 other[PATH_MAX], tmp[PATH_MAX + 8], *v;
	FILE		*f;

	snprintf(other, sizeof(other), "%s/other", fx->root);
	snprintf(tmp, sizeof(tmp), "%s.tmp", fx->state);
	f = fopen(other, "w");
	fputs("ksm-throttler-host-state 1\n" RUN_LINE "\"1\"\n", f);
	fclose(f);
	assert_int_equal(symlink(other, fx->state), 0);
	assert_int_equal(symlink(other, tmp), 0);
	k = start(fx);
	v = faketree_get(fx->root, K "sleep_millisecs");
	assert_string_equal(v, "20\n");
	free(v);
	assert_int_equal(access(fx->state, F_OK), -1);	/* the link is gone */
	assert_int_equal(ksm_set(k, KSM_RUN, 1), 0);
	v = faketree_get(fx->root, "/other");
	assert_string_equal(v, "ksm-throttler-host-state 1\n" RUN_LINE
	    "\"1\"\n");
	free(v);
	v = faketree_get(fx->root, "/host.state");
	assert_non_null(strstr(v, "\n" RUN_LINE "\"0\"\n"));
	free(v);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(ksm_restore(k), 0);
	ksm_close(k);
}

static void
test_state_parse(void **state)
{
	int64_t		vals[KSM_FILE_MAX];
	uint32_t	have;

	assert_int_equal(ksm_state_parse("ksm-throttler-state 1\nrun 1\n"
	    "advisor_mode scan-time\n", vals, &have), 0);
	assert_int_equal(vals[KSM_ADVISOR_MODE], KSM_ADVISOR_SCAN_TIME);
	assert_int_equal(ksm_state_parse("", vals, &have), -EINVAL);
	assert_int_equal(ksm_state_parse("ksm-throttler-state 1\n", vals,
	    &have), -EINVAL);
	assert_int_equal(ksm_state_parse("ksm-throttler-state 1\nrun 1\n"
	    "run 0\n", vals, &have), -EINVAL);
	assert_int_equal(ksm_state_parse("ksm-throttler-state 1\nrun 1\n"
	    "pages_sharing 3\n", vals, &have), -EINVAL);
	assert_int_equal(ksm_state_parse("ksm-throttler-state 1\nrun -1\n",
	    vals, &have), -EINVAL);
	assert_int_equal(ksm_state_parse("ksm-throttler-state 2\nrun 1\n",
	    vals, &have), -EINVAL);
}

static void
test_proc_stat(void **state)
{
	char		comm[32];
	uint64_t	t;

	assert_int_equal(ksm_parse_proc_stat("7 (a b) c)) R 1 2 3 4 5 6 7 8 9 "
	    "10 11 12 13", comm, sizeof(comm), &t), 0);
	assert_string_equal(comm, "a b) c)");
	assert_int_equal(t, 11 + 12);
	assert_int_equal(ksm_parse_proc_stat("7 (x) R 1 2", comm, sizeof(comm),
	    &t), -EINVAL);
	/* ksmd is a kernel thread; a process may take its name. */
	assert_true(ksm_stat_kthread("42 (ksmd) S 2 0 0 0 -1 2129984 0"));
	assert_true(ksm_stat_kthread("42 (ksmd) R 2 0"));
	assert_false(ksm_stat_kthread("10 (ksmd) S 1 0 0 0 -1 4194560 0"));
	assert_false(ksm_stat_kthread("10 (ksmd) S 21 0"));
	assert_false(ksm_stat_kthread("10 (a) S 2) S 1 0"));
	assert_false(ksm_stat_kthread("10 (ksmd)"));
	assert_false(ksm_stat_kthread("garbage"));
	assert_int_equal(ksm_parse_proc_stat("garbage", comm, sizeof(comm),
	    &t), -EINVAL);
	/* Found by fuzz-procfs: nothing after ')' once read past the end. */
	assert_int_equal(ksm_parse_proc_stat("()", comm, sizeof(comm), &t),
	    -EINVAL);
	assert_int_equal(ksm_parse_proc_stat("1 (x)", comm, sizeof(comm), &t),
	    -EINVAL);
	/* utime and stime are numbers, whole, and add up without wrapping. */
	assert_int_equal(ksm_parse_proc_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 -150 "
	    "12 13", comm, sizeof(comm), &t), -EINVAL);
	assert_int_equal(ksm_parse_proc_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 +150 "
	    "12 13", comm, sizeof(comm), &t), -EINVAL);
	assert_int_equal(ksm_parse_proc_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 11 "
	    "50x 13", comm, sizeof(comm), &t), -EINVAL);
	assert_int_equal(ksm_parse_proc_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 11  "
	    "12 13", comm, sizeof(comm), &t), -EINVAL);
	assert_int_equal(ksm_parse_proc_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 "
	    "99999999999999999999 12", comm, sizeof(comm), &t), -EINVAL);
	assert_int_equal(ksm_parse_proc_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 "
	    "18446744073709551615 1", comm, sizeof(comm), &t), -ERANGE);
	assert_int_equal(ksm_parse_proc_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 11 "
	    "12\n", comm, sizeof(comm), &t), 0);
	assert_int_equal(t, 11 + 12);
}

static void
test_no_ksm(void **state)
{
	char		*root = faketree_new();
	struct ledger	*l;
	struct ksm	*k;

	faketree_put(root, "/proc/1/comm", "init\n");
	assert_int_equal(rootfs_init(root), 0);
	l = ledger_open(-1, "/nonexistent");
	k = ksm_open(l);
	assert_false(ksm_available(k));
	assert_int_equal(ksm_set(k, KSM_RUN, 1), -ENODEV);
	ksm_close(k);
	ledger_close(l);
	faketree_free(root);
}

static void
test_unsaved_not_written(void **state)
{
	struct fx	*fx = *state;
	struct ksm	*k;
	cJSON		*o;
	char		*v, dir[] = "/tmp/kt-unsaved.XXXXXX", path[64];
	int		 dfd;

	/* The state file cannot be written, its directory gone: no knob is. */
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(rmdir(dir), 0);
	snprintf(path, sizeof(path), "%s/host.state", dir);
	fx->ledger = ledger_open(dfd, dir);
	k = ksm_open(fx->ledger);
	ledger_replay(fx->ledger);
	assert_int_equal(ksm_set(k, KSM_RUN, 1), -ENOENT);
	assert_int_equal(ksm_set(k, KSM_RUN, 1), -ENOENT);
	v = faketree_get(fx->root, K "run");
	assert_string_equal(v, "0\n");
	free(v);
	o = cJSON_CreateObject();
	ksm_errors_json(k, o);
	assert_non_null(cJSON_GetObjectItem(o, path));
	cJSON_Delete(o);
	/* Nothing was saved, so there is nothing to put back. */
	assert_int_equal(ksm_restore(k), 0);
	ksm_close(k);
	close(dfd);
}

static void
test_late_knob(void **state)
{
	struct fx	*fx = *state;
	struct ksm	*k = start(fx);
	cJSON		*o;
	char		*v;

	/* sleep_millisecs is gone when the originals are saved ... */
	faketree_rm(fx->root, K "sleep_millisecs");
	assert_int_equal(ksm_set(k, KSM_RUN, 1), 0);
	assert_int_equal(ksm_set(k, KSM_SLEEP_MILLISECS, 5), -ENOENT);
	o = cJSON_CreateObject();
	ksm_errors_json(k, o);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o,
	    K "sleep_millisecs")), "No such file or directory");
	cJSON_Delete(o);
	/* ... and back with the host's value: saved before it is written. */
	faketree_put(fx->root, K "sleep_millisecs", "33\n");
	assert_int_equal(ksm_set(k, KSM_SLEEP_MILLISECS, 5), 0);
	v = faketree_get(fx->root, "/host.state");
	assert_non_null(strstr(v, "\"/sys/kernel/mm/ksm/sleep_millisecs\" "
	    "\"33\"\n"));
	free(v);
	assert_int_equal(ksm_restore(k), 0);
	v = faketree_get(fx->root, K "sleep_millisecs");
	assert_string_equal(v, "33");
	free(v);
	ksm_close(k);
}

/*
 * The host switched the advisor on after the knobs were saved, its
 * original unknown: turned off to put pages_to_scan back, it goes back
 * on as the word the kernel takes, not the text the file reads.
 */
static void
test_restore_advisor_unsaved(void **state)
{
	struct fx	*fx = *state;
	struct ksm	*k;
	char		*v;

	faketree_rm(fx->root, K "advisor_mode");
	k = start(fx);
	assert_int_equal(ksm_set(k, KSM_PAGES_TO_SCAN, 5000), 0);
	assert_int_equal(ksm_saved(k, KSM_ADVISOR_MODE, &(int64_t){ 0 }),
	    -ENOENT);
	faketree_put(fx->root, K "advisor_mode", "none [scan-time]\n");
	assert_int_equal(ksm_restore(k), 0);
	v = faketree_get(fx->root, K "pages_to_scan");
	assert_string_equal(v, "100");
	free(v);
	v = faketree_get(fx->root, K "advisor_mode");
	assert_string_equal(v, "scan-time");
	free(v);
	assert_int_equal(access(fx->state, F_OK), -1);
	ksm_close(k);
}

static size_t
plan_index(const struct ksm_restore_step *st, size_t n, enum ksm_file f,
    enum ksm_restore_how how)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (st[i].f == f && st[i].how == how)
			return i;
	return SIZE_MAX;
}

/*
 * Switching the advisor off resets pages_to_scan: it is switched off
 * before pages_to_scan goes back, even when pages_to_scan holds its
 * original now, and then put back in its place, before run.
 */
static void
test_restore_plan(void **state)
{
	struct ksm_restore_step	st[KSM_RESTORE_STEPS_MAX];
	int64_t			vals[KSM_FILE_MAX] = { 0 };
	uint32_t		have;
	size_t			n, off, pts, mode, run;

	vals[KSM_RUN] = 1;
	vals[KSM_PAGES_TO_SCAN] = 100;
	vals[KSM_ADVISOR_MODE] = KSM_ADVISOR_NONE;
	have = 1U << KSM_RUN | 1U << KSM_PAGES_TO_SCAN |
	    1U << KSM_ADVISOR_MODE;
	n = ksm_restore_plan(vals, have, KSM_ADVISOR_SCAN_TIME, st);
	assert_true(n <= KSM_RESTORE_STEPS_MAX);
	off = plan_index(st, n, KSM_ADVISOR_MODE, KSM_ADVISOR_OFF);
	pts = plan_index(st, n, KSM_PAGES_TO_SCAN, KSM_PUT_BACK);
	mode = plan_index(st, n, KSM_ADVISOR_MODE, KSM_PUT_BACK);
	run = plan_index(st, n, KSM_RUN, KSM_PUT_BACK);
	assert_int_equal(off, 0);
	assert_true(pts != SIZE_MAX && pts > off);
	assert_true(mode != SIZE_MAX && mode > pts);
	assert_int_equal(run, n - 1);

	/* The host had ksmd stopped: stopped first, then the advisor off. */
	vals[KSM_RUN] = 0;
	n = ksm_restore_plan(vals, have, KSM_ADVISOR_SCAN_TIME, st);
	assert_int_equal(plan_index(st, n, KSM_RUN, KSM_PUT_BACK), 0);
	assert_int_equal(plan_index(st, n, KSM_ADVISOR_MODE, KSM_ADVISOR_OFF),
	    1);

	/* Its original unknown: switched off, then back in its place. */
	have &= ~(1U << KSM_ADVISOR_MODE);
	n = ksm_restore_plan(vals, have, KSM_ADVISOR_SCAN_TIME, st);
	assert_true(plan_index(st, n, KSM_ADVISOR_MODE, KSM_ADVISOR_OFF) <
	    plan_index(st, n, KSM_PAGES_TO_SCAN, KSM_PUT_BACK));
	assert_true(plan_index(st, n, KSM_PAGES_TO_SCAN, KSM_PUT_BACK) <
	    plan_index(st, n, KSM_ADVISOR_MODE, KSM_PUT_BACK));
	assert_true(plan_index(st, n, KSM_ADVISOR_MODE, KSM_PUT_BACK) !=
	    SIZE_MAX);

	/* The advisor off, or unknown, or pages_to_scan not held: left. */
	have |= 1U << KSM_ADVISOR_MODE;
	n = ksm_restore_plan(vals, have, KSM_ADVISOR_NONE, st);
	assert_int_equal(plan_index(st, n, KSM_ADVISOR_MODE, KSM_ADVISOR_OFF),
	    SIZE_MAX);
	n = ksm_restore_plan(vals, have, -1, st);
	assert_int_equal(plan_index(st, n, KSM_ADVISOR_MODE, KSM_ADVISOR_OFF),
	    SIZE_MAX);
	n = ksm_restore_plan(vals, have & ~(1U << KSM_PAGES_TO_SCAN),
	    KSM_ADVISOR_SCAN_TIME, st);
	assert_int_equal(plan_index(st, n, KSM_ADVISOR_MODE, KSM_ADVISOR_OFF),
	    SIZE_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_saves_then_restores,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovery, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_state, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_state_symlinks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unsaved_not_written,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_knob, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restore_advisor_unsaved,
		    setup, teardown),
		cmocka_unit_test(test_restore_plan),
		cmocka_unit_test(test_state_parse),
		cmocka_unit_test(test_proc_stat),
		cmocka_unit_test(test_no_ksm),
	};

	log_init(1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
