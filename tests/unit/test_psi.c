/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: PSI parsing and the stall share, and the offloaded write. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <event2/event.h>

#include "faketree.h"
#include "offload.h"
#include "psi.h"
#include "rootfs.h"

static void
test_parse(void **state)
{
	struct psi_line	some, full;

	assert_int_equal(psi_parse("some avg10=1.50 avg60=0.20 avg300=0.00 "
	    "total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=42\n",
	    &some, &full), 0);
	assert_true(some.have && full.have);
	assert_int_equal(some.total_us, 123456);
	assert_int_equal(full.total_us, 42);
	assert_true(some.avg10 > 1.49 && some.avg10 < 1.51);
	/* Old kernels' cpu file: no "full" line. */
	assert_int_equal(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 "
	    "total=0\n", &some, &full), 0);
	assert_false(full.have);
}

static void
test_parse_garbage(void **state)
{
	struct psi_line	some, full;
	static const char *bad[] = {
		"",
		"\n",
		"some\n",
		"some avg10=x avg60=0.00 avg300=0.00 total=1\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=1 extra\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 "
		    "total=99999999999999999999999\n",
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nbogus\n",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (psi_parse(bad[i], &some, &full) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void
test_stall_percent(void **state)
{
	struct psi_sample	a = { 1000000, 500, 100 };
	struct psi_sample	b = { 2000000, 20500, 10100 };
	struct psi_sample	reset = { 3000000, 0, 0 };

	/* 20 ms memory + 10 ms io stalled in a 1 s window: 3 %. */
	assert_true(psi_stall_percent(&a, &b) > 2.99 &&
	    psi_stall_percent(&a, &b) < 3.01);
	assert_true(psi_stall_percent(&b, &a) == 0);
	assert_true(psi_stall_percent(&b, &reset) == 0);
}

static void
test_sample_fake(void **state)
{
	char			*root = faketree_new(), deep[700], file[800];
	struct psi_sample	 s;

	faketree_put(root, "/proc/pressure/memory", "some avg10=0.00 "
	    "avg60=0.00 avg300=0.00 total=7\nfull avg10=0.00 avg60=0.00 "
	    "avg300=0.00 total=3\n");
	faketree_put(root, "/proc/pressure/io", "some avg10=0.00 avg60=0.00 "
	    "avg300=0.00 total=9\nfull avg10=0.00 avg60=0.00 avg300=0.00 "
	    "total=3\n");
	assert_int_equal(rootfs_init(root), 0);
	assert_int_equal(psi_sample_system(&s), 0);
	assert_int_equal(s.memory_some_us, 7);
	assert_int_equal(s.io_some_us, 9);
	assert_int_equal(psi_sample_cgroup("/sys/fs/cgroup/none", &s), -ENOENT);
	/* A cgroup deep enough that its path is 600 bytes long. */
	memset(deep, 0, sizeof(deep));
	memcpy(deep, "/sys/fs/cgroup", 14);
	while (strlen(deep) < 600)
		strcat(deep, "/machine-qemu-a-long-name.scope");
	snprintf(file, sizeof(file), "%s/memory.pressure", deep);
	faketree_put(root, file, "some avg10=0.00 avg60=0.00 avg300=0.00 "
	    "total=11\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3\n");
	snprintf(file, sizeof(file), "%s/io.pressure", deep);
	faketree_put(root, file, "some avg10=0.00 avg60=0.00 avg300=0.00 "
	    "total=13\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3\n");
	assert_int_equal(psi_sample_cgroup(deep, &s), 0);
	assert_int_equal(s.memory_some_us, 11);
	faketree_put(root, "/proc/pressure/io", "garbage");
	assert_int_equal(psi_sample_system(&s), -EINVAL);
	rootfs_close();
	faketree_free(root);
}

struct done {
	struct event_base	*base;
	int			 err;
	int			 calls;
};

static void
on_done(int err, uint64_t ms, void *arg)
{
	struct done	*d = arg;

	d->err = err;
	d->calls++;
	event_base_loopbreak(d->base);
}

static void
test_offload(void **state)
{
	char		*root = faketree_new(), *v;
	struct done	 d = { event_base_new(), 1, 0 };
	struct offload	*o;

	faketree_put(root, "/proc/sys/vm/compact_memory", "");
	assert_int_equal(rootfs_init(root), 0);
	assert_non_null(offload_write(d.base, "/proc/sys/vm/compact_memory",
	    "1", on_done, &d));
	event_base_dispatch(d.base);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.err, 0);
	v = faketree_get(root, "/proc/sys/vm/compact_memory");
	assert_string_equal(v, "1");
	free(v);
	/* A path that is not there: the error comes back, nothing crashes. */
	assert_non_null(offload_write(d.base, "/proc/sys/vm/nope", "1",
	    on_done, &d));
	event_base_dispatch(d.base);
	assert_int_equal(d.calls, 2);
	assert_int_equal(d.err, -ENOENT);
	/* A write that never finishes (a FIFO nobody reads) is cancelled. */
	v = malloc(strlen(root) + 32);
	sprintf(v, "%s/fifo", root);
	assert_int_equal(mkfifo(v, 0600), 0);
	o = offload_write(d.base, "/fifo", "1", on_done, &d);
	assert_non_null(o);
	usleep(10000);
	offload_cancel(o);
	assert_int_equal(d.calls, 2);
	/* Killed without waiting: the callback says so, from the loop. */
	o = offload_write(d.base, "/fifo", "1", on_done, &d);
	assert_non_null(o);
	usleep(10000);
	offload_kill(o);
	assert_int_equal(d.calls, 2);
	event_base_dispatch(d.base);
	assert_int_equal(d.calls, 3);
	assert_int_equal(d.err, -ECANCELED);
	free(v);
	event_base_free(d.base);
	rootfs_close();
	faketree_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_stall_percent),
		cmocka_unit_test(test_sample_fake),
		cmocka_unit_test(test_offload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
