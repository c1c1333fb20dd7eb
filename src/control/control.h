/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket: where ksm-throttlerctl and VM runtimes talk to the
 * daemon (protocol in proto/ksm-throttler.proto, framing in frame.h).
 */
#ifndef KT_CONTROL_H
#define KT_CONTROL_H

#include <stddef.h>

#include "ksm-throttler.pb-c.h"

#include "module.h"

extern const struct module_ops	control_module;

int	control_request_check(const Ksmt__Request *, char *, size_t);

#endif
