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

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF, no sequence cut short.  What a client names goes into status
 * JSON and metric labels, where anything else is an error: one bad label
 * fails a whole scrape.
 */
int
input_socket_utf8_ok(const char *s)
{
	const unsigned char	*p;
	unsigned char		 lo, hi;
	int			 i, n;

	for (p = (const unsigned char *)s; *p != '\0'; p += n + 1) {
		lo = 0x80;
		hi = 0xbf;
		if (*p < 0x80)
			n = 0;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		else
			return 0;
		/*
		 * The second byte tells an overlong form, a surrogate or a
		 * code point past U+10FFFF (Unicode's table 3-7).
		 */
		if (*p == 0xe0)
			lo = 0xa0;
		else if (*p == 0xed)
			hi = 0x9f;
		else if (*p == 0xf0)
			lo = 0x90;
		else if (*p == 0xf4)
			hi = 0x8f;
		/* A NUL is out of range: never read past the end. */
		for (i = 1; i <= n; i++)
			if (p[i] < (i == 1 ? lo : 0x80) ||
			    p[i] > (i == 1 ? hi : 0xbf))
				return 0;
	}
	return 1;
}

/*
 * Printable, so that it can be logged as it is: no C0 or C1 control
 * characters, nor DEL, in text already found to be UTF-8.
 */
static int
text_ok(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; p[i] != '\0'; i++)
		if (i == max || p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] == 0xc2 && p[i + 1] < 0xa0))
			return 0;
	return i > 0;
}

/* What is wrong with an event, for the reply; NULL if nothing. */
const char *
input_socket_event_check(const Ksmt__VMEvent *m)
{
	if (!input_socket_utf8_ok(m->vm_id))
		return "vm_id: not valid UTF-8";
	if (!text_ok(m->vm_id, VM_ID_MAX - 1))
		return "vm_id: expected 1 to 255 bytes, no control characters";
	if ((unsigned)m->type >= nitems(event_types))
		return "type: unknown event type";
	if (m->has_pid && (m->pid == 0 || m->pid > INT_MAX))
		return "pid: expected 1 to 2147483647";
	if (m->cgroup != NULL && !input_socket_utf8_ok(m->cgroup))
		return "cgroup: not valid UTF-8";
	if (m->cgroup != NULL && (m->cgroup[0] != '/' ||
	    !text_ok(m->cgroup, PATH_MAX - 1)))
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
