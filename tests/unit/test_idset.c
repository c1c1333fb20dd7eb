/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the VM set and the diff a rescan reports, which must name
 * exactly what appeared and what vanished, and a VM whose VMM changed
 * under the same id as both.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "idset.h"

struct seen {
	char	log[4096];
};

static void
record(void *arg, const char *id, pid_t pid, int appeared)
{
	struct seen	*s = arg;
	size_t		 n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "%s%s ", appeared ? "+" : "-",
	    id);
}

static void
fill(struct vmset *set, const char *ids)
{
	char	 copy[1024], *p, *tok;

	snprintf(copy, sizeof(copy), "%s", ids);
	for (p = copy; (tok = strsep(&p, " ")) != NULL;)
		if (*tok != '\0')
			vmset_append(set, tok);
	vmset_sort(set);
}

static const char *
diff(const char *known, const char *now, size_t *calls)
{
	static struct seen	s;
	struct vmset		a = { NULL, 0, 0, NULL };
	struct vmset		b = { NULL, 0, 0, NULL };

	memset(&s, 0, sizeof(s));
	fill(&a, known);
	fill(&b, now);
	*calls = vmset_diff(&a, &b, record, &s);
	vmset_clear(&a);
	vmset_clear(&b);
	return s.log;
}

static void
test_diff(void **state)
{
	size_t	n;

	assert_string_equal(diff("", "", &n), "");
	assert_int_equal(n, 0);
	assert_string_equal(diff("", "b a", &n), "+a +b ");
	assert_int_equal(n, 2);
	assert_string_equal(diff("a b", "", &n), "-a -b ");
	assert_string_equal(diff("a b c", "a b c", &n), "");
	assert_int_equal(n, 0);
	assert_string_equal(diff("a c e", "b c d", &n), "-a +b +d -e ");
	assert_int_equal(n, 4);
	assert_string_equal(diff("vm1 vm10 vm2", "vm10 vm3", &n),
	    "-vm1 -vm2 +vm3 ");
}

static void
test_sort_dedups(void **state)
{
	struct vmset	set = { NULL, 0, 0, NULL };

	fill(&set, "c a b a c c");
	assert_int_equal(set.n, 3);
	assert_string_equal(set.v[0], "a");
	assert_string_equal(set.v[2], "c");
	vmset_clear(&set);
	assert_int_equal(set.n, 0);
}

static void
test_add_del(void **state)
{
	struct vmset	set = { NULL, 0, 0, NULL };
	char		id[16];
	int		i;

	for (i = 99; i >= 0; i--) {
		snprintf(id, sizeof(id), "vm%03d", i);
		assert_int_equal(vmset_add(&set, id), 1);
	}
	assert_int_equal(vmset_add(&set, "vm050"), 0);
	assert_int_equal(set.n, 100);
	for (i = 1; i < 100; i++)
		assert_true(strcmp(set.v[i - 1], set.v[i]) < 0);
	assert_true(vmset_has(&set, "vm000"));
	assert_int_equal(vmset_del(&set, "vm000"), 1);
	assert_int_equal(vmset_del(&set, "vm000"), 0);
	assert_false(vmset_has(&set, "vm000"));
	assert_int_equal(vmset_del(&set, "vm099"), 1);
	assert_int_equal(set.n, 98);
	vmset_clear(&set);
}

/* Events then a rescan: the scan reports only what the events missed. */
static void
test_events_then_rescan(void **state)
{
	struct vmset	known = { NULL, 0, 0, NULL };
	struct vmset	now = { NULL, 0, 0, NULL };
	struct seen	s;

	memset(&s, 0, sizeof(s));
	vmset_add(&known, "a");
	vmset_add(&known, "b");
	vmset_del(&known, "a");
	/* Missed: "c" came and "b" went while the queue overflowed. */
	fill(&now, "c");
	vmset_diff(&known, &now, record, &s);
	assert_string_equal(s.log, "-b +c ");
	vmset_swap(&known, &now);
	assert_int_equal(known.n, 1);
	assert_string_equal(known.v[0], "c");
	vmset_clear(&known);
	vmset_clear(&now);
}

/* "id:pid" words, appended with their pids, then sorted. */
static void
fill_pids(struct vmset *set, const char *ids)
{
	char	 copy[1024], *p, *tok, *colon;

	snprintf(copy, sizeof(copy), "%s", ids);
	for (p = copy; (tok = strsep(&p, " ")) != NULL;) {
		if (*tok == '\0')
			continue;
		colon = strchr(tok, ':');
		*colon = '\0';
		vmset_append_pid(set, tok, (pid_t)strtol(colon + 1, NULL, 10));
	}
	vmset_sort(set);
}

static const char *
diff_pids(const char *known, const char *now)
{
	static struct seen	s;
	struct vmset		a = { NULL, 0, 0, NULL };
	struct vmset		b = { NULL, 0, 0, NULL };

	memset(&s, 0, sizeof(s));
	fill_pids(&a, known);
	fill_pids(&b, now);
	(void)vmset_diff(&a, &b, record, &s);
	vmset_clear(&a);
	vmset_clear(&b);
	return s.log;
}

/*
 * A domain destroyed and started again while nobody looked: the same
 * name, another VMM.  A pid not known on either side is no change.
 */
static void
test_diff_pids(void **state)
{
	struct vmset	set = { NULL, 0, 0, NULL };

	assert_string_equal(diff_pids("a:10 b:20", "a:10 b:20"), "");
	assert_string_equal(diff_pids("a:10 b:20", "a:11 b:20"), "-a +a ");
	assert_string_equal(diff_pids("a:0 b:20", "a:11 b:0"), "");
	assert_string_equal(diff_pids("a:10 c:5", "b:3 c:6"),
	    "-a +b -c +c ");
	assert_false(vmset_pid_changed(0, 7));
	assert_false(vmset_pid_changed(7, 7));
	assert_true(vmset_pid_changed(7, 8));
	/* Sorting keeps each pid with its id; the first duplicate stays. */
	fill_pids(&set, "c:3 a:1 b:2 a:9");
	assert_int_equal(set.n, 3);
	assert_int_equal(vmset_pid(&set, "a"), 1);
	assert_int_equal(vmset_pid(&set, "b"), 2);
	assert_int_equal(vmset_pid(&set, "c"), 3);
	assert_int_equal(vmset_pid(&set, "d"), 0);
	assert_int_equal(vmset_put(&set, "b", 22), 0);
	assert_int_equal(vmset_put(&set, "b", 0), 0);
	assert_int_equal(vmset_pid(&set, "b"), 22);
	assert_int_equal(vmset_put(&set, "aa", 5), 1);
	assert_int_equal(vmset_del(&set, "a"), 1);
	assert_int_equal(vmset_pid(&set, "aa"), 5);
	assert_int_equal(vmset_pid(&set, "c"), 3);
	vmset_clear(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_sort_dedups),
		cmocka_unit_test(test_add_del),
		cmocka_unit_test(test_events_then_rescan),
		cmocka_unit_test(test_diff_pids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
