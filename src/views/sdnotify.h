/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Telling the service manager how the daemon is doing: ready, a one-line
 * status, stopping, and the watchdog.  sd_notify(3) when built with
 * libsystemd; no-ops otherwise, and when not started by systemd.
 */
#ifndef KT_NOTIFY_H
#define KT_NOTIFY_H

struct daemon;

void	notify_init(struct daemon *);
void	notify_ready(void);
void	notify_status(const char *, ...) __attribute__((format(printf, 1, 2)));
void	notify_stopping(void);

#endif
