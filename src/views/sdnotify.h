/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Telling the service manager how the daemon is doing: ready, a one-line
 * status, stopping, and the watchdog.  sd_notify(3) when built with
 * libsystemd; no-ops otherwise, and when not started by systemd.
 */
#ifndef KT_NOTIFY_H
#define KT_NOTIFY_H

#include "module.h"

/* Last in the module table: READY=1 once the others have started. */
extern const struct module_ops	sdnotify_module;

#endif
