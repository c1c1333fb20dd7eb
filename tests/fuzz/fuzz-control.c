/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the control protocol, both ways.
 *
 * The daemon's side: a client's byte stream, arriving in pieces of any
 * size, is cut into frames by frame_next() over a libevent buffer (each
 * piece its own chain, as reads leave them), and each frame is unpacked
 * as a Request and checked as the daemon checks it before acting
 * (control_request_check(): version, body, the body's fields).  What
 * frame_next() finds must be what frame_length() says of the same bytes
 * in one piece: a cut in a bad place must change nothing.  A config_set's
 * JSON is fuzz-conf's.
 *
 * The client's side: the daemon's stream, read as ksm-throttlerctl reads
 * it: frame_length() on a header, a Reply unpacked from its body.
 *
 * The first byte: bit 0 picks the side, bit 1 the smallest
 * socket.max_frame_bytes instead of the default, the rest seeds the sizes
 * of the pieces.  The stream follows.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "control.h"
#include "frame.h"

/* socket.max_frame_bytes: its minimum and its default. */
#define MAX_FRAME_SMALL		64
#define MAX_FRAME_DEFAULT	65536

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* How many bytes the next piece holds: mostly a few, now and then many. */
static size_t
piece(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return 1 + (*seed >> 8) % ((*seed & 7) == 0 ? 4096 : 8);
}

static void
request(const uint8_t *body, size_t len)
{
	Ksmt__Request	*req;
	char		 why[512];

	if ((req = frame_request_unpack(body, len, why, sizeof(why))) == NULL)
		return;
	(void)control_request_check(req, why, sizeof(why));
	ksmt__request__free_unpacked(req, NULL);
}

/*
 * Feed the stream piece by piece; after each, take every whole frame, as
 * the daemon does.  At is where the frame at the head begins in the
 * stream; what frame_next() says must be what frame_length() says of
 * the bytes from there.
 */
static void
daemon_side(const uint8_t *s, size_t size, size_t max, uint32_t seed)
{
	struct evbuffer	*in;
	uint8_t		*body;
	size_t		 fed = 0, at = 0, n, len, want;
	int		 r, expect;

	if ((in = evbuffer_new()) == NULL)
		return;
	while (fed < size) {
		n = piece(&seed);
		n = n < size - fed ? n : size - fed;
		if ((seed & 0x100 ? evbuffer_add(in, s + fed, n) :
		    evbuffer_add_reference(in, s + fed, n, NULL, NULL)) == -1)
			abort();
		fed += n;
		for (;;) {
			r = frame_next(in, max, &body, &len);
			expect = frame_length(s + at, fed - at, max, &want);
			if (r != expect || (expect != 0 && len != want) ||
			    evbuffer_get_length(in) != fed - at)
				abort();
			if (r != 1)
				break;
			if (len > 0 && memcmp(body, s + at + FRAME_HDR_LEN,
			    len) != 0)
				abort();
			request(body, len);
			evbuffer_drain(in, FRAME_HDR_LEN + len);
			at += FRAME_HDR_LEN + len;
		}
		if (r < 0)
			break;		/* the daemon closes the client */
	}
	evbuffer_free(in);
}

static void
client_side(const uint8_t *s, size_t size)
{
	Ksmt__Reply	*rep;
	size_t		 at = 0, len;

	while (frame_length(s + at, size - at, FRAME_REPLY_MAX, &len) == 1) {
		if ((rep = frame_reply_unpack(s + at + FRAME_HDR_LEN,
		    len)) != NULL) {
			if (frame_code_name(rep->code) == NULL)
				abort();
			ksmt__reply__free_unpacked(rep, NULL);
		}
		at += FRAME_HDR_LEN + len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		client_side(data + 1, size - 1);
	else
		daemon_side(data + 1, size - 1, data[0] & 2 ? MAX_FRAME_SMALL :
		    MAX_FRAME_DEFAULT, 0x9e3779b9u ^ (uint32_t)(data[0] >> 2));
	return 0;
}
