/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libvirt's event loop, driven by the daemon's event_base: the six
 * callbacks of virEventRegisterImpl() mapped onto libevent events, so
 * that the libvirt input needs no thread and no polling.
 */
#ifndef KT_LIBVIRT_LOOP_H
#define KT_LIBVIRT_LOOP_H

struct event_base;

int	lvloop_register(struct event_base *);
void	lvloop_flush(void);
size_t	lvloop_count(void);

#endif
