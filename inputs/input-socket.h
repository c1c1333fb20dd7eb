/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket input: the VM events and kicks that clients send on the
 * control socket.  control/ receives and authorises requests; these
 * functions check what a request says and turn it into a struct
 * vm_event, which the control socket emits through its port.
 */
#ifndef KT_INPUT_SOCKET_H
#define KT_INPUT_SOCKET_H

#include "bus.h"
#include "ksm-throttler.pb-c.h"

/* A registered client's name: 1 to this many of [A-Za-z0-9._-]. */
#define CLIENT_NAME_MAX	SENDER_NAME_MAX

int		 input_socket_name_ok(const char *);
const char	*input_socket_event_check(const Ksmt__VMEvent *);
void		 input_socket_event(struct vm_event *, const Ksmt__VMEvent *);

#endif
