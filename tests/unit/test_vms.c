/* Unit tests: /proc/<pid>/ksm_stat parsing. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vms.h"

static void
test_ksm_stat(void **state)
{
	struct ksm_stat	st;

	assert_int_equal(ksm_stat_parse("ksm_rmap_items 12\nksm_zero_pages 3\n"
	    "ksm_merging_pages 4096\nksm_process_profit -20480\n"
	    "ksm_merge_any: no\nksm_mergeable: yes\n", &st), 0);
	assert_int_equal(st.rmap_items, 12);
	assert_int_equal(st.zero_pages, 3);
	assert_int_equal(st.merging_pages, 4096);
	assert_int_equal(st.process_profit, -20480);
	assert_int_equal(st.mergeable, 1);
	/* Older kernels: fewer lines, no ksm_mergeable. */
	assert_int_equal(ksm_stat_parse("ksm_rmap_items 1\n", &st), 0);
	assert_int_equal(st.mergeable, -1);
	assert_int_equal(ksm_stat_parse("ksm_rmap_items 1\nfuture_field 7\n"
	    "ksm_mergeable: no", &st), 0);
	assert_int_equal(st.mergeable, 0);
}

static void
test_ksm_stat_garbage(void **state)
{
	struct ksm_stat	st;

	assert_int_equal(ksm_stat_parse("", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("hello\n", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("ksm_rmap_items\n", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("ksm_rmap_items x\n", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("ksm_rmap_items 1 2\n", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("ksm_merging_pages "
	    "99999999999999999999999\n", &st), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ksm_stat),
		cmocka_unit_test(test_ksm_stat_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
