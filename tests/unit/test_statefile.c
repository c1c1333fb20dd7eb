/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: state files in a directory descriptor.  Written whole and
 * renamed into place, 0600, never through a symlink at either name;
 * read back only when a regular file within its size.
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

#include "statefile.h"

struct fx {
	char	dir[64];
	int	dirfd;
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kt-unit.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->dirfd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fx->dirfd >= 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;
	char		 cmd[128];

	close(fx->dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void
test_write_read_remove(void **state)
{
	struct fx	*fx = *state;
	struct stat	 st;
	const char	*why = NULL;
	char		*text;

	assert_int_equal(statefile_read(fx->dirfd, "s", 64, &text, &why),
	    -ENOENT);
	assert_int_equal(statefile_write(fx->dirfd, "s", "one\n", 4), 0);
	assert_int_equal(statefile_write(fx->dirfd, "s", "two\n", 4), 0);
	assert_int_equal(fstatat(fx->dirfd, "s", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fstatat(fx->dirfd, "s.tmp", &st, 0), -1);
	assert_int_equal(statefile_read(fx->dirfd, "s", 64, &text, &why), 0);
	assert_string_equal(text, "two\n");
	free(text);
	assert_int_equal(statefile_read(fx->dirfd, "s", 3, &text, &why),
	    -EFBIG);
	assert_null(text);
	assert_int_equal(statefile_remove(fx->dirfd, "s"), 0);
	assert_int_equal(statefile_remove(fx->dirfd, "s"), 0);
	assert_int_equal(statefile_read(fx->dirfd, "s", 64, &text, &why),
	    -ENOENT);
}

/* Planted: a symlink, a FIFO (not waited on), a directory. */
static void
test_not_ours(void **state)
{
	struct fx	*fx = *state;
	const char	*why = NULL;
	char		*text, other[128];

	snprintf(other, sizeof(other), "%s/other", fx->dir);
	assert_int_equal(statefile_write(fx->dirfd, "other", "x\n", 2), 0);
	assert_int_equal(symlinkat(other, fx->dirfd, "s"), 0);
	assert_int_equal(statefile_read(fx->dirfd, "s", 64, &text, &why),
	    -ELOOP);
	assert_string_equal(why, "a symlink");
	assert_int_equal(statefile_remove(fx->dirfd, "s"), 0);

	assert_int_equal(mkfifoat(fx->dirfd, "s", 0600), 0);
	assert_int_equal(statefile_read(fx->dirfd, "s", 64, &text, &why),
	    -EINVAL);
	assert_string_equal(why, "not a regular file");
	assert_int_equal(statefile_remove(fx->dirfd, "s"), 0);

	assert_int_equal(mkdirat(fx->dirfd, "s", 0700), 0);
	assert_int_equal(statefile_read(fx->dirfd, "s", 64, &text, &why),
	    -EINVAL);
	assert_int_equal(statefile_write(fx->dirfd, "s", "x\n", 2), -EISDIR);
	assert_int_equal(fstatat(fx->dirfd, "s.tmp", &(struct stat){ 0 }, 0),
	    -1);
}

/* A symlink at the temporary name is replaced, not written through. */
static void
test_tmp_symlink(void **state)
{
	struct fx	*fx = *state;
	const char	*why = NULL;
	char		*text, other[128];

	snprintf(other, sizeof(other), "%s/other", fx->dir);
	assert_int_equal(statefile_write(fx->dirfd, "other", "keep\n", 5), 0);
	assert_int_equal(symlinkat(other, fx->dirfd, "s.tmp"), 0);
	assert_int_equal(statefile_write(fx->dirfd, "s", "new\n", 4), 0);
	assert_int_equal(statefile_read(fx->dirfd, "other", 64, &text, &why),
	    0);
	assert_string_equal(text, "keep\n");
	free(text);
	assert_int_equal(statefile_read(fx->dirfd, "s", 64, &text, &why), 0);
	assert_string_equal(text, "new\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read_remove, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_symlink, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
