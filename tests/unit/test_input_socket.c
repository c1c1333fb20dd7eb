/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: what the socket input takes from a client, and what not. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "input-socket.h"
#include "util.h"

static void
test_utf8(void **state)
{
	static const char	*good[] = {
		"", "vm-1", "\x7f",
		"\xc2\x80", "\xdf\xbf",			/* U+0080, U+07FF */
		"\xe0\xa0\x80", "\xed\x9f\xbf",		/* U+0800, U+D7FF */
		"\xee\x80\x80", "\xef\xbf\xbf",		/* U+E000, U+FFFF */
		"\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",	/* U+10000, U+10FFFF */
		"vm-\xc3\xa9-\xf0\x9f\x98\x80",
	};
	static const char	*bad[] = {
		"\x80", "vm-\xbf",			/* a continuation alone */
		"\xc0\xaf", "\xc1\xbf",			/* overlong, in two */
		"\xe0\x80\xaf", "\xe0\x9f\xbf",		/* in three */
		"\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf",	/* in four */
		"\xed\xa0\x80", "\xed\xbf\xbf",		/* surrogates */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80",	/* past U+10FFFF */
		"\xf8\x88\x80\x80\x80", "\xfe", "\xff",
		"\xc3", "vm-\xe2\x82", "\xf0\x9f\x98",	/* cut short */
		"\xc3(", "\xe2(\xa1", "\xf0\x9f(\x80",	/* not continued */
	};
	size_t			 i;

	for (i = 0; i < nitems(good); i++)
		assert_true(utf8_valid(good[i]));
	for (i = 0; i < nitems(bad); i++)
		assert_false(utf8_valid(bad[i]));
	/* Loggable as it is: UTF-8, printable, 1 to max bytes. */
	assert_true(text_ok("vm-\xc3\xa9t\xc3\xa9", 16));
	assert_false(text_ok("bad\xff", 16));
	assert_false(text_ok("esc\x1b[31m", 16));
	assert_false(text_ok("cr\r", 16));
	assert_false(text_ok("", 16));
	assert_false(text_ok("0123456789", 4));
}

static const char *
check_event(const char *id, const char *cgroup)
{
	Ksmt__VMEvent	m = KSMT__VMEVENT__INIT;

	m.vm_id = (char *)id;
	m.type = KSMT__EVENT_TYPE__CREATED;
	m.cgroup = (char *)cgroup;
	return input_socket_event_check(&m);
}

static void
test_event_check(void **state)
{
	char	id[300];
	size_t	i;

	assert_null(check_event("vm-\xc3\xa9", "/machine.slice/vm-\xc3\xa9"));
	assert_string_equal(check_event("vm-\xff\xfe", NULL),
	    "vm_id: not valid UTF-8");
	assert_string_equal(check_event("vm-\xc2\x85", NULL),
	    "vm_id: expected 1 to 255 bytes, no control characters");
	assert_string_equal(check_event("vm-1", "/vm-\xed\xa0\x80"),
	    "cgroup: not valid UTF-8");
	/* U+009B: a terminal's CSI, as a control character of C1 */
	assert_string_equal(check_event("vm-1", "/vm-\xc2\x9b"),
	    "cgroup: expected an absolute path");
	/* 255 bytes are fine, also in characters of two bytes; 256 are not */
	memset(id, 0, sizeof(id));
	for (i = 0; i < 127; i++)
		memcpy(id + 2 * i, "\xc3\xa9", 2);
	id[254] = 'x';
	assert_null(check_event(id, NULL));
	memcpy(id + 254, "\xc3\xa9", 2);
	assert_string_equal(check_event(id, NULL),
	    "vm_id: expected 1 to 255 bytes, no control characters");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_event_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
