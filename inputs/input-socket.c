/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket input: VM events and kicks from clients of the control
 * socket (runtimes, ksm-throttlerctl).  Everything in a request is
 * checked here before it reaches the engines.  The control socket emits
 * what passed through its port, which counts it under the input "socket"
 * and under the name the client registered.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "bus.h"
#include "input-socket.h"
#include "util.h"

static const enum vm_event_type event_types[] = {
	[KSMT__EVENT_TYPE__CREATING] = VM_CREATING,
	[KSMT__EVENT_TYPE__CREATED] = VM_CREATED,
	[KSMT__EVENT_TYPE__DESTROYING] = VM_DESTROYING,
	[KSMT__EVENT_TYPE__DESTROYED] = VM_DESTROYED,
};

int
input_socket_name_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == CLIENT_NAME_MAX || !(isalnum((unsigned char)s[i]) ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return i > 0;
}

/* What is wrong with an event, for the reply; NULL if nothing. */
const char *
input_socket_event_check(const Ksmt__VMEvent *m)
{
	if (!utf8_valid(m->vm_id))
		return "vm_id: not valid UTF-8";
	if (!text_printable(m->vm_id, VM_ID_MAX - 1))
		return "vm_id: expected 1 to 255 bytes, no control characters";
	if ((unsigned)m->type >= nitems(event_types))
		return "type: unknown event type";
	if (m->has_pid && (m->pid == 0 || m->pid > INT_MAX))
		return "pid: expected 1 to 2147483647";
	if (m->cgroup != NULL && !utf8_valid(m->cgroup))
		return "cgroup: not valid UTF-8";
	if (m->cgroup != NULL && (m->cgroup[0] != '/' ||
	    !text_printable(m->cgroup, PATH_MAX - 1)))
		return "cgroup: expected an absolute path";
	if (m->class_name != NULL && !input_socket_name_ok(m->class_name))
		return "class_name: expected 1 to 64 of [A-Za-z0-9._-]";
	return NULL;
}

/*
 * The vm_event a VMEvent says, one that input_socket_event_check() found
 * nothing wrong with.  Its strings stay the message's.
 */
void
input_socket_event(struct vm_event *ev, const Ksmt__VMEvent *m)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = event_types[m->type];
	(void)xsnprintf(ev->vm_id, sizeof(ev->vm_id), "%s", m->vm_id);
	ev->pid = m->has_pid ? (pid_t)m->pid : 0;
	ev->cgroup = m->cgroup;
	ev->class_name = m->class_name;
	ev->memory_bytes = m->has_memory_bytes ? m->memory_bytes : 0;
}
