/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket input: the VM events and kicks that clients send on the
 * control socket.  control.c receives and authorises requests; these
 * functions check what a request says and put it on the event bus.
 */
#ifndef KT_INPUT_SOCKET_H
#define KT_INPUT_SOCKET_H

#include "ksm-throttler.pb-c.h"

struct input;

/* A registered client's name: 1 to this many of [A-Za-z0-9._-]. */
#define CLIENT_NAME_MAX	64

int		 input_socket_name_ok(const char *);
const char	*input_socket_event_check(const Ksmt__VMEvent *);
void		 input_socket_register(struct input *, const char *);
void		 input_socket_event(struct input *, const char *,
		    const Ksmt__VMEvent *);
void		 input_socket_kick(struct input *, const char *);

#endif
