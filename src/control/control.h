/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket: where ksm-throttlerctl and VM runtimes talk to the
 * daemon (protocol in proto/ksm-throttler.proto, framing in frame.h).
 */
#ifndef KT_CONTROL_H
#define KT_CONTROL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ksm-throttler.pb-c.h"

struct conf;
struct control;
struct daemon;

struct control	*control_open(struct daemon *, char *, size_t);
void		 control_close(struct control *);
void		 control_reconfigure(struct control *, const struct conf *);
void		 control_status(struct control *, cJSON *);
int		 control_request_check(const Ksmt__Request *, char *, size_t);

#endif
