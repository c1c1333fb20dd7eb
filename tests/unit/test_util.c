/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: strict number parsing and checked formatting. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
test_parse_u64_good(void **state)
{
	uint64_t	v;

	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("100\n", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void
test_parse_u64_bad(void **state)
{
	uint64_t	v = 7;

	assert_int_equal(parse_u64("", &v), -EINVAL);
	assert_int_equal(parse_u64("\n", &v), -EINVAL);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", &v), -EINVAL);
	assert_int_equal(parse_u64("1 ", &v), -EINVAL);
	assert_int_equal(parse_u64("1\n\n", &v), -EINVAL);
	assert_int_equal(parse_u64("12abc", &v), -EINVAL);
	assert_int_equal(parse_u64("0x10", &v), -EINVAL);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(v, 7);
}

static void
test_parse_i64(void **state)
{
	int64_t	v;

	assert_int_equal(parse_i64("-42\n", &v), 0);
	assert_true(v == -42);
	assert_int_equal(parse_i64("-", &v), -EINVAL);
	assert_int_equal(parse_i64("--1", &v), -EINVAL);
	assert_int_equal(parse_i64("9223372036854775808", &v), -ERANGE);
}

static void
test_xsnprintf(void **state)
{
	char	buf[8];

	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", "1234567"), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(xsnprintf(buf, sizeof(buf), "%s", "12345678"),
	    -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_good),
		cmocka_unit_test(test_parse_u64_bad),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_xsnprintf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
