/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: strict number parsing, checked formatting, paths. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
test_parse_u64_digits(void **state)
{
	uint64_t	v = 7;

	assert_int_equal(parse_u64_digits("12", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(parse_u64_digits("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	v = 7;
	/* What a sysfs file may end in is a mistake in a configuration. */
	assert_int_equal(parse_u64_digits("12\n", &v), -EINVAL);
	assert_int_equal(parse_u64_digits("", &v), -EINVAL);
	assert_int_equal(parse_u64_digits("1 2", &v), -EINVAL);
	assert_int_equal(parse_u64_digits("+1", &v), -EINVAL);
	assert_int_equal(parse_u64_digits("1e3", &v), -EINVAL);
	assert_int_equal(parse_u64_digits("18446744073709551616", &v),
	    -ERANGE);
	assert_int_equal(v, 7);
}

static void
test_path_absolute(void **state)
{
	char	cwd[PATH_MAX], want[PATH_MAX + 16], *p;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	p = path_absolute("/etc/x.json");
	assert_string_equal(p, "/etc/x.json");
	free(p);
	p = path_absolute("");
	assert_string_equal(p, "");
	free(p);
	snprintf(want, sizeof(want), "%s/c.json", cwd);
	p = path_absolute("c.json");
	assert_string_equal(p, want);
	free(p);
	assert_int_equal(chdir("/"), 0);
	p = path_absolute("a/b");
	assert_string_equal(p, "/a/b");
	free(p);
	assert_int_equal(chdir(cwd), 0);
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
		cmocka_unit_test(test_parse_u64_digits),
		cmocka_unit_test(test_path_absolute),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_xsnprintf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
