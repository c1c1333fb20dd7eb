/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/PID/cgroup: the memory cgroup of a VMM on cgroup v1, v2 and a
 * hybrid host, libvirt's threaded "emulator" child on v2 counted in its
 * parent; the root cgroup and garbage give none.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "proc-cgroup.h"

static int
parse(const char *text, char *out, size_t len)
{
	char	buf[1024];

	strcpy(buf, text);
	return proc_cgroup_parse(buf, out, len);
}

static void
test_v1(void **state)
{
	char	out[256];

	assert_int_equal(parse("12:pids:/a\n4:cpu,memory,blkio:"
	    "/machine/qemu-4-guest1.libvirt-qemu\n0::/\n", out, sizeof(out)),
	    0);
	assert_string_equal(out, "/machine/qemu-4-guest1.libvirt-qemu");
}

static void
test_v2(void **state)
{
	char	out[256];

	assert_int_equal(parse("0::/qemu.slice/101.scope\n", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "/qemu.slice/101.scope");
}

static void
test_v2_emulator(void **state)
{
	char	out[256];

	assert_int_equal(parse("0::/machine.slice/"
	    "machine-qemu\\x2d1\\x2dguest1.scope/libvirt/emulator\n", out,
	    sizeof(out)), 0);
	assert_string_equal(out,
	    "/machine.slice/machine-qemu\\x2d1\\x2dguest1.scope/libvirt");
	/* Only a last component called so, only on v2. */
	assert_int_equal(parse("0::/a/emulator2\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/a/emulator2");
	assert_int_equal(parse("0::/a/my-emulator\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/a/my-emulator");
	assert_int_equal(parse("0::/emulator\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/emulator");
	assert_int_equal(parse("4:memory:/machine/vm/emulator\n", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "/machine/vm/emulator");
}

static void
test_none(void **state)
{
	char	out[8];

	assert_int_equal(parse("0::/\n", out, sizeof(out)), -ENOENT);
	assert_int_equal(parse("4:memory:/\n0::/a\n", out, sizeof(out)),
	    -ENOENT);
	assert_int_equal(parse("", out, sizeof(out)), -ENOENT);
	assert_int_equal(parse("garbage\n::\n:\n", out, sizeof(out)),
	    -ENOENT);
	assert_int_equal(parse("0::relative\n", out, sizeof(out)), -ENOENT);
	/* One that does not fit is refused, never cut. */
	assert_true(parse("0::/a-long-cgroup-name\n", out, sizeof(out)) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v2_emulator),
		cmocka_unit_test(test_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
