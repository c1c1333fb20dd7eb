/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The input registry: which inputs exist, starting and stopping them as
 * the configuration says, and the per-input, per-type event counts that
 * status shows.  Adding an input is one file and one line below.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "daemon.h"
#include "input.h"
#include "log.h"
#include "util.h"

extern const struct input_ops	input_inotify;
extern const struct input_ops	input_socket;
extern const struct input_ops	input_libvirt;

const struct input_ops *input_table[] = {
	&input_inotify,
	&input_socket,
#ifdef HAVE_LIBVIRT
	&input_libvirt,
#endif
	NULL
};

struct input {
	const struct input_ops	*ops;
	struct daemon		*d;
	void			*state;
	int			 running;
	uint64_t		 events[VM_EVENT_MAX];
};

struct daemon *
input_daemon(const struct input *in)
{
	return in->d;
}

void *
input_state(const struct input *in)
{
	return in->running ? in->state : NULL;
}

void
input_emit(struct input *in, struct vm_event *ev)
{
	if (ev->type >= VM_EVENT_MAX)
		return;
	ev->input = in->ops->name;
	in->events[ev->type]++;
	daemon_event(in->d, ev);
}

struct input *
input_find(struct daemon *d, const char *name)
{
	struct input	*in;

	for (in = d->inputs; in != NULL && in->ops != NULL; in++)
		if (strcmp(in->ops->name, name) == 0)
			return in;
	return NULL;
}

static int
input_wanted(const struct input *in)
{
	return in->ops->enabled == NULL || in->ops->enabled(in->d->conf);
}

static void
input_start(struct input *in)
{
	int	r;

	if ((r = in->ops->start(in, &in->state)) < 0) {
		errno = -r;
		log_warn("input %s: cannot start, it stays off", in->ops->name);
		return;
	}
	in->running = 1;
	log_debug("input %s started", in->ops->name);
}

static void
input_stop(struct input *in)
{
	if (!in->running)
		return;
	if (in->ops->stop != NULL)
		in->ops->stop(in->state);
	in->state = NULL;
	in->running = 0;
	log_debug("input %s stopped", in->ops->name);
}

void
inputs_start(struct daemon *d)
{
	struct input	*in;
	size_t		 i, n;

	for (n = 0; input_table[n] != NULL; n++)
		;
	/* One more, zeroed: the ops == NULL that ends the array. */
	d->inputs = xcalloc(n + 1, sizeof(*d->inputs));
	for (i = 0; i < n; i++) {
		in = &d->inputs[i];
		in->ops = input_table[i];
		in->d = d;
		if (input_wanted(in))
			input_start(in);
	}
}

void
inputs_stop(struct daemon *d)
{
	struct input	*in;

	for (in = d->inputs; in != NULL && in->ops != NULL; in++)
		input_stop(in);
	free(d->inputs);
	d->inputs = NULL;
}

/* After a configuration change; old is the configuration before it. */
void
inputs_reconfigure(struct daemon *d, const struct conf *old)
{
	struct input	*in;
	char		 section[64];

	for (in = d->inputs; in != NULL && in->ops != NULL; in++) {
		if (xsnprintf(section, sizeof(section), "inputs.%s",
		    in->ops->name) < 0 || !conf_changed(old, d->conf, section))
			continue;
		if (!input_wanted(in))
			input_stop(in);
		else if (!in->running)
			input_start(in);
		else if (in->ops->reconfigure != NULL)
			in->ops->reconfigure(in->state, old);
		else {
			input_stop(in);
			input_start(in);
		}
	}
}

void
inputs_status(struct daemon *d, cJSON *root)
{
	struct input	*in;
	cJSON		*all, *o, *ev;
	int		 t;

	all = cJSON_AddObjectToObject(root, "inputs");
	for (in = d->inputs; in != NULL && in->ops != NULL; in++) {
		o = cJSON_AddObjectToObject(all, in->ops->name);
		cJSON_AddBoolToObject(o, "running", in->running);
		ev = cJSON_AddObjectToObject(o, "events");
		for (t = 0; t < VM_EVENT_MAX; t++)
			cJSON_AddNumberToObject(ev, vm_event_type_name(t),
			    (double)in->events[t]);
		if (in->running && in->ops->status != NULL)
			in->ops->status(in->state, o);
	}
}
