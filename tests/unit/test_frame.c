/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: framing of the control protocol, good and hostile. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <event2/buffer.h>

#include "frame.h"
#include "util.h"

/* Why unpack() found no Request. */
static char	why[256];

/*
 * Unpack from a copy of exactly len bytes: a read past the body is one
 * past an allocation, which the sanitizers and valgrind see.
 */
static Ksmt__Request *
unpack(const uint8_t *body, size_t len)
{
	Ksmt__Request	*r;
	uint8_t		*copy = malloc(len > 0 ? len : 1);

	assert_non_null(copy);
	memcpy(copy, body, len);
	r = frame_request_unpack(copy, len, why, sizeof(why));
	free(copy);
	return r;
}

static void
test_length(void **state)
{
	const uint8_t	hdr[] = { 0, 0, 1, 2, 'x' };
	const uint8_t	big[] = { 0xff, 0xff, 0xff, 0xff };
	size_t		len = 0;

	assert_int_equal(frame_length(hdr, 0, 1024, &len), 0);
	assert_int_equal(frame_length(hdr, 3, 1024, &len), 0);
	assert_int_equal(frame_length(hdr, 5, 1024, &len), 0);
	assert_int_equal(len, 258);
	assert_int_equal(frame_length(hdr, 4 + 258, 1024, &len), 1);
	assert_int_equal(frame_length(hdr, 4 + 300, 1024, &len), 1);
	assert_int_equal(frame_length(hdr, 5, 257, &len), -EMSGSIZE);
	assert_int_equal(len, 258);
	assert_int_equal(frame_length(hdr, 5, 258, &len), 0);
	assert_int_equal(frame_length(big, 4, 65536, &len), -EMSGSIZE);
	assert_true(len == 0xffffffffu);
}

static void
test_empty_frame(void **state)
{
	const uint8_t	hdr[] = { 0, 0, 0, 0 };
	size_t		len = 7;

	assert_int_equal(frame_length(hdr, 4, 0, &len), 1);
	assert_int_equal(len, 0);
	/* No version: an empty body is not a Request. */
	assert_null(unpack(hdr, 0));
}

static void
test_roundtrip(void **state)
{
	Ksmt__Request	 req = KSMT__REQUEST__INIT, *out;
	Ksmt__VMEvent	 ev = KSMT__VMEVENT__INIT;
	char		 id[] = "vm-1", cgroup[] = "/sys/fs/cgroup/vm-1";
	uint8_t		*buf;
	size_t		 len, body;

	ev.vm_id = id;
	ev.type = KSMT__EVENT_TYPE__DESTROYING;
	ev.has_pid = 1;
	ev.pid = 4242;
	ev.cgroup = cgroup;
	req.version = KT_PROTO_VERSION;
	req.body_case = KSMT__REQUEST__BODY_EVENT;
	req.event = &ev;
	assert_non_null(buf = frame_pack(&req.base, &len));
	assert_int_equal(frame_length(buf, len, 65536, &body), 1);
	assert_int_equal(body + FRAME_HDR_LEN, len);
	assert_non_null(out = unpack(buf + FRAME_HDR_LEN, body));
	assert_int_equal(out->version, KT_PROTO_VERSION);
	assert_int_equal(out->body_case, KSMT__REQUEST__BODY_EVENT);
	assert_string_equal(out->event->vm_id, "vm-1");
	assert_int_equal(out->event->type, KSMT__EVENT_TYPE__DESTROYING);
	assert_true(out->event->has_pid && out->event->pid == 4242);
	assert_string_equal(out->event->cgroup, "/sys/fs/cgroup/vm-1");
	assert_null(out->event->class_name);
	assert_false(out->event->has_memory_bytes);
	ksmt__request__free_unpacked(out, NULL);
	/*
	 * A prefix of the body is never read past: it decodes only when it
	 * ends between fields, and then without the cut event.
	 */
	for (body = 0; body + FRAME_HDR_LEN < len; body++) {
		out = unpack(buf + FRAME_HDR_LEN, body);
		if (out != NULL) {
			assert_int_equal(out->body_case,
			    KSMT__REQUEST__BODY__NOT_SET);
			ksmt__request__free_unpacked(out, NULL);
		}
	}
	assert_null(unpack(buf + FRAME_HDR_LEN, len -
	    FRAME_HDR_LEN - 1));
	free(buf);
}

static void
test_garbage(void **state)
{
	const uint8_t	junk[] = { 0xff, 0xff, 0xff };
	/* version 1, then field 3 (event) claiming 100 bytes it lacks */
	const uint8_t	lying[] = { 0x08, 0x01, 0x1a, 0x64, 0x0a };
	/* version 1 and an unknown field 20: decodes, body not set */
	const uint8_t	unknown[] = { 0x08, 0x01, 0xa2, 0x01, 0x00 };
	Ksmt__Request	*r;

	assert_null(unpack(junk, sizeof(junk)));
	assert_string_equal(why, "frame of 3 bytes is not a Request");
	assert_null(unpack(lying, sizeof(lying)));
	assert_non_null(r = unpack(unknown, sizeof(unknown)));
	assert_int_equal(r->body_case, KSMT__REQUEST__BODY__NOT_SET);
	ksmt__request__free_unpacked(r, NULL);
}

/*
 * A string with a NUL inside: protobuf-c would give it cut short at the
 * NUL, past the checks.  At any depth, in any string field.
 */
static void
test_strings_nul(void **state)
{
	/* version 1, event { vm_id "vm?x", type CREATED }, ? first '-' */
	uint8_t		event[] = { 0x08, 0x01, 0x1a, 0x08, 0x0a, 0x04, 'v',
			    'm', '-', 'x', 0x10, 0x01 };
	/* version 1, config_set { section KSM, json "{}" and a NUL } */
	const uint8_t	set[] = { 0x08, 0x01, 0x3a, 0x07, 0x08, 0x00, 0x12,
			    0x03, '{', '}', 0x00 };
	/* version 1, register { name "a" and a NUL } */
	const uint8_t	reg[] = { 0x08, 0x01, 0x12, 0x04, 0x0a, 0x02, 'a',
			    0x00 };
	/* version 1, an unknown field 20 of bytes with NULs: no string */
	const uint8_t	unknown[] = { 0x08, 0x01, 0xa2, 0x01, 0x02, 0x00,
			    0x00 };
	Ksmt__Request	*r;

	assert_non_null(r = unpack(event, sizeof(event)));
	assert_string_equal(r->event->vm_id, "vm-x");
	ksmt__request__free_unpacked(r, NULL);
	event[8] = '\0';
	assert_null(unpack(event, sizeof(event)));
	assert_string_equal(why, "frame of 12 bytes: event.vm_id holds a NUL");
	assert_null(unpack(set, sizeof(set)));
	assert_string_equal(why, "frame of 11 bytes: config_set.json holds a NUL");
	assert_null(unpack(reg, sizeof(reg)));
	assert_string_equal(why, "frame of 8 bytes: register.name holds a NUL");
	assert_non_null(r = unpack(unknown, sizeof(unknown)));
	ksmt__request__free_unpacked(r, NULL);
}

static void
test_reply(void **state)
{
	Ksmt__Reply	 rep = KSMT__REPLY__INIT, *out;
	uint8_t		*buf;
	size_t		 len, body;
	char		 msg[] = "ksm.enabled: expected true or false";

	rep.message = msg;
	rep.version = KT_PROTO_VERSION;
	rep.code = KSMT__REPLY__CODE__INVALID_CONFIG;
	assert_non_null(buf = frame_pack(&rep.base, &len));
	assert_int_equal(frame_length(buf, len, FRAME_REPLY_MAX, &body), 1);
	assert_non_null(out = frame_reply_unpack(buf + FRAME_HDR_LEN, body));
	assert_int_equal(out->code, KSMT__REPLY__CODE__INVALID_CONFIG);
	assert_string_equal(out->message, rep.message);
	assert_null(out->json);
	ksmt__reply__free_unpacked(out, NULL);
	free(buf);
	assert_string_equal(frame_code_name(KSMT__REPLY__CODE__BUSY), "BUSY");
	assert_string_equal(frame_code_name(99), "UNKNOWN");
}

/* A stream that arrives a byte at a time, each byte its own chain. */
static void
test_next(void **state)
{
	/* A kick, an empty frame, then the start of a third. */
	static const uint8_t	stream[] = { 0, 0, 0, 4, 0x08, 0x01, 0x22, 0x00,
				    0, 0, 0, 0, 0, 0 };
	static const size_t	bodies[] = { 4, 0 };
	struct evbuffer		*in;
	uint8_t			*body;
	size_t			 i, len, n = 0;
	int			 r;

	assert_non_null(in = evbuffer_new());
	for (i = 0; i < sizeof(stream); i++) {
		assert_int_equal(evbuffer_add_reference(in, stream + i, 1, NULL,
		    NULL), 0);
		while ((r = frame_next(in, 64, &body, &len)) == 1) {
			assert_true(n < nitems(bodies));
			assert_int_equal(len, bodies[n]);
			if (len > 0)
				assert_memory_equal(body, stream + 4, len);
			evbuffer_drain(in, FRAME_HDR_LEN + len);
			n++;
		}
		assert_int_equal(r, 0);
	}
	assert_int_equal(n, nitems(bodies));
	assert_int_equal(evbuffer_get_length(in), 2);
	/* Too big for max: said as soon as the header is in. */
	assert_int_equal(evbuffer_add(in, "\x00\x41", 2), 0);
	assert_int_equal(frame_next(in, 64, NULL, &len), -EMSGSIZE);
	assert_int_equal(len, 0x41);
	evbuffer_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_empty_frame),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_strings_nul),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
