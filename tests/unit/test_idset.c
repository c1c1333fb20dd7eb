/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the VM set and the diff the inotify rescan reports, which
 * must name exactly what appeared and what vanished.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "idset.h"

struct seen {
	char	log[4096];
};

static void
record(void *arg, const char *id, int appeared)
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
	struct vmset		a = { NULL, 0, 0 }, b = { NULL, 0, 0 };

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
	struct vmset	set = { NULL, 0, 0 };

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
	struct vmset	set = { NULL, 0, 0 };
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
	struct vmset	known = { NULL, 0, 0 }, now = { NULL, 0, 0 };
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_sort_dedups),
		cmocka_unit_test(test_add_del),
		cmocka_unit_test(test_events_then_rescan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
