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
#include <string.h>

#include <event2/buffer.h>

#include "frame.h"
#include "util.h"

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

/* A varint of the wire format at *p, before end; -1 if cut or too long. */
static int
wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	int	shift;

	*v = 0;
	for (shift = 0; *p < end && shift < 64; shift += 7) {
		*v |= (uint64_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0)
			return 0;
	}
	return -1;
}

/*
 * How many bytes the value of a field of this wire type takes after *p,
 * once its length (if it has one) is read: a varint is read past and
 * takes none more.  -1 for a wire type protobuf-c does not take.
 */
static int
wire_value(uint64_t type, const uint8_t **p, const uint8_t *end,
    uint64_t *n)
{
	uint64_t	v;

	*n = 0;
	switch (type) {
	case PROTOBUF_C_WIRE_TYPE_VARINT:
		return wire_varint(p, end, &v);
	case PROTOBUF_C_WIRE_TYPE_64BIT:
		*n = 8;
		return 0;
	case PROTOBUF_C_WIRE_TYPE_32BIT:
		*n = 4;
		return 0;
	case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
		return wire_varint(p, end, n);
	default:
		return -1;
	}
}

/*
 * protobuf-c hands a string field over as a C string, so that one with
 * a NUL inside arrives cut short at it: what follows would pass every
 * check unseen.  Is every string field of the message in p, at any
 * depth, free of NULs?  Walks the wire format with the descriptor;
 * anything it cannot walk is not whole either.  One that holds a NUL is
 * named in path, as its fields from the top, "event.vm_id".
 */
static int
strings_whole(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
    size_t len, char *path, size_t plen)
{
	const ProtobufCFieldDescriptor	*f;
	const uint8_t			*end = p + len;
	uint64_t			 tag, n;
	size_t				 at = strlen(path);

	while (p < end) {
		if (wire_varint(&p, end, &tag) < 0 ||
		    wire_value(tag & 7, &p, end, &n) < 0 ||
		    n > (uint64_t)(end - p))
			return 0;
		f = NULL;
		if ((tag & 7) == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED &&
		    tag >> 3 <= UINT32_MAX)
			f = protobuf_c_message_descriptor_get_field(desc,
			    (unsigned)(tag >> 3));
		if (f != NULL && (f->type == PROTOBUF_C_TYPE_STRING ||
		    f->type == PROTOBUF_C_TYPE_MESSAGE))
			(void)xsnprintf(path + at, plen - at, "%s%s",
			    at > 0 ? "." : "", f->name);
		if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING &&
		    memchr(p, '\0', (size_t)n) != NULL)
			return 0;
		if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    !strings_whole(f->descriptor, p, (size_t)n, path, plen))
			return 0;
		path[at] = '\0';
		p += n;
	}
	return 1;
}

/*
 * A Request, or NULL if the body is none: a string with a NUL in it
 * cannot be told apart from a shorter one once unpacked, so it is no
 * Request either.  Why not, for the client, to why.
 */
Ksmt__Request *
frame_request_unpack(const uint8_t *body, size_t len, char *why,
    size_t wlen)
{
	Ksmt__Request	*req;
	char		 path[128] = "";

	if ((req = ksmt__request__unpack(NULL, len, body)) == NULL) {
		(void)xsnprintf(why, wlen, "frame of %zu bytes is not a "
		    "Request", len);
		return NULL;
	}
	if (!strings_whole(&ksmt__request__descriptor, body, len, path,
	    sizeof(path))) {
		ksmt__request__free_unpacked(req, NULL);
		(void)xsnprintf(why, wlen, "frame of %zu bytes: %s holds a "
		    "NUL", len, path[0] != '\0' ? path : "a string");
		return NULL;
	}
	return req;
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
