/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing of the control protocol, shared by the daemon and its client:
 * a 4-byte big-endian length, then one protobuf-c message of exactly
 * that many bytes.  Nothing here does I/O: the daemon's stream buffer
 * is filled by libevent, the client's by read().
 */
#ifndef KT_FRAME_H
#define KT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "ksm-throttler.pb-c.h"

struct evbuffer;

#define KT_PROTO_VERSION	1
#define FRAME_HDR_LEN		4
/*
 * Replies carry status JSON, which grows with the VMs: the daemon cuts
 * it to half this (control-cmd.c).
 */
#define FRAME_REPLY_MAX		(16 * 1024 * 1024)

int		 frame_length(const uint8_t *, size_t, size_t, size_t *);
int		 frame_next(struct evbuffer *, size_t, uint8_t **, size_t *);
uint8_t		*frame_pack(const ProtobufCMessage *, size_t *);
Ksmt__Request	*frame_request_unpack(const uint8_t *, size_t, char *, size_t);
Ksmt__Reply	*frame_reply_unpack(const uint8_t *, size_t);
const char	*frame_code_name(int);

#endif
