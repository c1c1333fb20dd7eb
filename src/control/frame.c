/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing of the control protocol: the length header, the frame at the
 * head of a stream that arrives in pieces of any size, packing a message
 * behind a header and unpacking one from exactly the bytes the header
 * named.  Hostile input ends in a return value, never in a read past the
 * data.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "frame.h"

/*
 * Look at the start of a byte stream of avail bytes.  Returns 0 while the
 * header or the body is incomplete, 1 when a whole frame is there (*len:
 * its body length), -EMSGSIZE when the header announces more than max
 * (*len: what it announced).
 */
int
frame_length(const uint8_t *p, size_t avail, size_t max, size_t *len)
{
	uint32_t	n;

	if (avail < FRAME_HDR_LEN)
		return 0;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
	*len = n;
	if (n > max)
		return -EMSGSIZE;
	return avail - FRAME_HDR_LEN >= n;
}

/*
 * The frame at the head of a stream buffer, as frame_length() says.
 * With body, a whole frame's body is made contiguous and *body points to
 * it; the caller drains FRAME_HDR_LEN + *len bytes once done with it.
 * -ENOMEM if it cannot be made contiguous.
 */
int
frame_next(struct evbuffer *in, size_t max, uint8_t **body, size_t *len)
{
	uint8_t	 hdr[FRAME_HDR_LEN], *p;
	int	 r;

	if (evbuffer_copyout(in, hdr, sizeof(hdr)) != (ev_ssize_t)sizeof(hdr))
		return 0;
	r = frame_length(hdr, evbuffer_get_length(in), max, len);
	if (r != 1 || body == NULL)
		return r;
	if ((p = evbuffer_pullup(in, (ev_ssize_t)(FRAME_HDR_LEN + *len))) ==
	    NULL)
		return -ENOMEM;
	*body = p + FRAME_HDR_LEN;
	return 1;
}

/* The message behind its header, in one malloc'ed buffer; NULL if none. */
uint8_t *
frame_pack(const ProtobufCMessage *m, size_t *lenp)
{
	uint8_t	*buf;
	size_t	 n;

	n = protobuf_c_message_get_packed_size(m);
	if (n > UINT32_MAX || n > SIZE_MAX - FRAME_HDR_LEN)
		return NULL;
	if ((buf = malloc(FRAME_HDR_LEN + n)) == NULL)
		return NULL;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	if (protobuf_c_message_pack(m, buf + FRAME_HDR_LEN) != n) {
		free(buf);
		return NULL;
	}
	*lenp = FRAME_HDR_LEN + n;
	return buf;
}

Ksmt__Request *
frame_request_unpack(const uint8_t *body, size_t len)
{
	return ksmt__request__unpack(NULL, len, body);
}

Ksmt__Reply *
frame_reply_unpack(const uint8_t *body, size_t len)
{
	return ksmt__reply__unpack(NULL, len, body);
}

/* "OK", "BAD_REQUEST", ...; a code this build does not know is "UNKNOWN". */
const char *
frame_code_name(int code)
{
	const ProtobufCEnumValue	*v;

	v = protobuf_c_enum_descriptor_get_value(&ksmt__reply__code__descriptor,
	    code);
	return v != NULL ? v->name : "UNKNOWN";
}
