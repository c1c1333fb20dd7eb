/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket input: VM events and kicks from clients of the control
 * socket (runtimes, ksm-throttlerctl).  Everything in a request is
 * checked here before it reaches the engines; events are counted under
 * the input "socket" and under the name a client registered.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "input.h"
#include "input-socket.h"
#include "log.h"
#include "util.h"

/* Registered names counted apart; more are counted together. */
#define NAMES_MAX	64
#define NAMES_OTHER	"(other)"

struct named_count {
	char		name[CLIENT_NAME_MAX + 1];
	uint64_t	events[VM_EVENT_MAX];
};

struct socket_input {
	struct named_count	names[NAMES_MAX + 1];
	size_t			n;
};

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

/* Printable, so that it can be logged as it is. */
static int
text_ok(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == max || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] == 0x7f)
			return 0;
	return i > 0;
}

/* What is wrong with an event, for the reply; NULL if nothing. */
const char *
input_socket_event_check(const Ksmt__VMEvent *m)
{
	if (!text_ok(m->vm_id, VM_ID_MAX - 1))
		return "vm_id: expected 1 to 255 bytes, no control characters";
	if ((unsigned)m->type >= nitems(event_types))
		return "type: unknown event type";
	if (m->has_pid && (m->pid == 0 || m->pid > INT_MAX))
		return "pid: expected 1 to 2147483647";
	if (m->cgroup != NULL && (m->cgroup[0] != '/' ||
	    !text_ok(m->cgroup, PATH_MAX - 1)))
		return "cgroup: expected an absolute path";
	if (m->class_name != NULL && !input_socket_name_ok(m->class_name))
		return "class_name: expected 1 to 64 of [A-Za-z0-9._-]";
	return NULL;
}

/* The counters of a registered name; NULL for a client without one. */
static struct named_count *
named(struct input *in, const char *client)
{
	struct socket_input	*si = input_state(in);
	size_t			 i;

	if (si == NULL || client == NULL || *client == '\0')
		return NULL;
	for (i = 0; i < si->n; i++)
		if (strcmp(si->names[i].name, client) == 0)
			return &si->names[i];
	if (si->n == NAMES_MAX) {
		(void)xsnprintf(si->names[NAMES_MAX].name,
		    sizeof(si->names[NAMES_MAX].name), "%s", NAMES_OTHER);
		return &si->names[NAMES_MAX];
	}
	(void)xsnprintf(si->names[si->n].name, sizeof(si->names[si->n].name),
	    "%s", client);
	return &si->names[si->n++];
}

static void
count_named(struct input *in, const char *client, enum vm_event_type t)
{
	struct named_count	*nc;

	if ((nc = named(in, client)) != NULL)
		nc->events[t]++;
}

/* A client registered: it is listed from now on, events or not. */
void
input_socket_register(struct input *in, const char *client)
{
	(void)named(in, client);
}

/*
 * A VMEvent from client (its registered name, or NULL), one that
 * input_socket_event_check() found nothing wrong with.
 */
void
input_socket_event(struct input *in, const char *client,
    const Ksmt__VMEvent *m)
{
	struct vm_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = event_types[m->type];
	(void)xsnprintf(ev.vm_id, sizeof(ev.vm_id), "%s", m->vm_id);
	ev.pid = m->has_pid ? (pid_t)m->pid : 0;
	ev.cgroup = m->cgroup;
	ev.class_name = m->class_name;
	ev.memory_bytes = m->has_memory_bytes ? m->memory_bytes : 0;
	count_named(in, client, ev.type);
	input_emit(in, &ev);
}

void
input_socket_kick(struct input *in, const char *client)
{
	struct vm_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = VM_KICK;
	count_named(in, client, ev.type);
	input_emit(in, &ev);
}

static int
socket_start(struct input *in, void **statep)
{
	*statep = xcalloc(1, sizeof(struct socket_input));
	return 0;
}

static void
socket_stop(void *arg)
{
	free(arg);
}

static void
socket_status(void *arg, cJSON *o)
{
	struct socket_input	*si = arg;
	cJSON			*reg, *c;
	size_t			 i;
	int			 t;

	reg = cJSON_AddObjectToObject(o, "registered");
	for (i = 0; i <= si->n && si->names[i].name[0] != '\0'; i++) {
		c = cJSON_AddObjectToObject(reg, si->names[i].name);
		for (t = 0; t < VM_EVENT_MAX; t++)
			cJSON_AddNumberToObject(c, vm_event_type_name(t),
			    (double)si->names[i].events[t]);
	}
}

const struct input_ops input_socket = {
	.name = "socket",
	.start = socket_start,
	.stop = socket_stop,
	.status = socket_status,
};
