/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon core: the life cycle of the modules main() hands it (start,
 * events, configuration changes, status, stop), the VM event bus between
 * them with each input's counts, and the clock.  It knows modules only by
 * their ops, never by name.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "util.h"
#include "vm-registry.h"

/* Senders counted apart on a port; more are counted together. */
#define SENDERS_MAX	64
#define SENDERS_OTHER	"(other)"

struct sender {
	char		name[SENDER_NAME_MAX + 1];
	uint64_t	events[VM_EVENT_MAX];
};

struct bus_port {
	struct module	*mod;
	uint64_t	 events[VM_EVENT_MAX];
	struct sender	*senders;	/* SENDERS_MAX + 1, MODULE_SENDERS */
	size_t		 nsenders;
};

struct module {
	const struct module_ops	*ops;
	struct daemon		*d;
	void			*state;
	int			 running;
	int			 started;	/* init was tried */
	struct bus_port		 port;
};

static const char *vm_event_names[VM_EVENT_MAX] = {
	[VM_CREATING] = "creating",
	[VM_CREATED] = "created",
	[VM_DESTROYING] = "destroying",
	[VM_DESTROYED] = "destroyed",
	[VM_KICK] = "kick",
};

const char *
vm_event_type_name(enum vm_event_type t)
{
	return t < VM_EVENT_MAX ? vm_event_names[t] : "unknown";
}

uint64_t
daemon_now(const struct daemon *d)
{
	return d->clock != NULL ? d->clock() : now_ms();
}

/*
 * Every running module hears every event, in the table's order, but the
 * end of a VM's earlier run heard after its new start (vms_stale()).
 */
static void
daemon_event(struct daemon *d, const struct vm_event *ev)
{
	struct module	*m;
	size_t		 i;

	log_debug("event %s %s from %s", vm_event_type_name(ev->type),
	    ev->vm_id[0] ? ev->vm_id : "-", ev->input ? ev->input : "?");
	if (vms_stale(d, ev))
		return;
	for (i = 0; i < d->nmodules; i++) {
		m = &d->modules[i];
		if (m->running && m->ops->on_event != NULL)
			m->ops->on_event(m->state, ev);
	}
}

/* A sender's counts; NULL for no sender, or a port that has none. */
static struct sender *
port_sender(struct bus_port *p, const char *name)
{
	size_t	i;

	if (p->senders == NULL || name == NULL || *name == '\0')
		return NULL;
	for (i = 0; i < p->nsenders; i++)
		if (strcmp(p->senders[i].name, name) == 0)
			return &p->senders[i];
	if (p->nsenders == SENDERS_MAX) {
		(void)xsnprintf(p->senders[SENDERS_MAX].name,
		    sizeof(p->senders[SENDERS_MAX].name), "%s", SENDERS_OTHER);
		return &p->senders[SENDERS_MAX];
	}
	(void)xsnprintf(p->senders[p->nsenders].name,
	    sizeof(p->senders[p->nsenders].name), "%s", name);
	return &p->senders[p->nsenders++];
}

/*
 * What names a VM goes into logs, status JSON and metric labels: it must
 * be printable UTF-8, whichever input found it (a directory's name, a
 * domain's, a client's; the socket input tells its client already).
 */
static int
event_text_ok(struct bus_port *p, const struct vm_event *ev)
{
	const char	*what;

	if (ev->type == VM_KICK || ev->vm_id[0] == '\0')
		return 1;
	if (!text_ok(ev->vm_id, VM_ID_MAX - 1))
		what = "VM id";
	else if (ev->cgroup != NULL && !text_ok(ev->cgroup, PATH_MAX - 1))
		what = "cgroup";
	else
		return 1;
	log_warnx("%s: a VM event whose %s is not printable UTF-8, ignoring "
	    "it", p->mod->ops->name, what);
	return 0;
}

void
bus_emit(struct bus_port *p, struct vm_event *ev)
{
	struct sender	*s;

	if (ev->type >= VM_EVENT_MAX || !event_text_ok(p, ev))
		return;
	ev->input = p->mod->ops->input;
	p->events[ev->type]++;
	if ((s = port_sender(p, ev->sender)) != NULL)
		s->events[ev->type]++;
	daemon_event(p->mod->d, ev);
}

/* A sender made itself known: it is listed from now on, events or not. */
void
bus_sender(struct bus_port *p, const char *name)
{
	(void)port_sender(p, name);
}

struct event_base *
bus_base(const struct bus_port *p)
{
	return p->mod->d->base;
}

const struct conf *
bus_conf(const struct bus_port *p)
{
	return p->mod->d->conf;
}

uint64_t
bus_now(const struct bus_port *p)
{
	return daemon_now(p->mod->d);
}

/* The port's object in status (inputs.<input>), for its input to add to. */
cJSON *
bus_port_status(cJSON *root, const struct bus_port *p)
{
	return cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "inputs"),
	    p->mod->ops->input);
}

static int
module_wanted(const struct module *m)
{
	return m->ops->enabled == NULL || m->ops->enabled(m->d->conf);
}

static int
module_start(struct module *m)
{
	int	r;

	m->started = 1;
	r = m->ops->init(m->d, m->ops->input != NULL ? &m->port : NULL,
	    &m->state);
	if (r < 0) {
		errno = -r;
		if (m->ops->flags & MODULE_REQUIRED)
			log_warn("%s: cannot start", m->ops->name);
		else
			log_warn("%s %s: cannot start, it stays off",
			    m->ops->input != NULL ? "input" : "engine",
			    m->ops->name);
		m->state = NULL;
		return r;
	}
	m->running = 1;
	log_debug("%s started", m->ops->name);
	return 0;
}

static void
module_stop(struct module *m)
{
	if (!m->running)
		return;
	if (m->ops->shutdown != NULL)
		m->ops->shutdown(m->state);
	m->state = NULL;
	m->running = 0;
	log_debug("%s stopped", m->ops->name);
}

/* A switchable module follows its section: off, on, or started anew. */
static void
module_reconfigure(struct module *m, const struct conf *old)
{
	if (m->ops->section == NULL ||
	    !conf_changed(old, m->d->conf, m->ops->section))
		return;
	if (m->ops->enabled != NULL) {
		if (!module_wanted(m)) {
			module_stop(m);
			return;
		}
		if (!m->running) {
			(void)module_start(m);
			return;
		}
		if (m->ops->reconfigure == NULL) {
			module_stop(m);
			(void)module_start(m);
			return;
		}
	}
	if (m->running && m->ops->reconfigure != NULL)
		m->ops->reconfigure(m->state, old, m->d->conf);
}

/*
 * A new configuration, whole and already checked (conf.c), becomes the
 * daemon's; the modules whose sections changed are told.
 */
void
daemon_reconfigure(struct daemon *d, struct conf *fresh)
{
	struct conf	*old = d->conf;
	size_t		 i;

	d->conf = fresh;
	for (i = 0; i < d->nmodules; i++)
		module_reconfigure(&d->modules[i], old);
	conf_free(old);
}

/* inputs.<name>: running, its counts by type and by sender. */
static void
port_status(struct module *m, cJSON *inputs)
{
	struct bus_port	*p = &m->port;
	cJSON		*o, *reg, *c;
	size_t		 i;
	int		 t;

	o = cJSON_AddObjectToObject(inputs, m->ops->input);
	cJSON_AddBoolToObject(o, "running", m->running);
	c = cJSON_AddObjectToObject(o, "events");
	for (t = 0; t < VM_EVENT_MAX; t++)
		cJSON_AddNumberToObject(c, vm_event_type_name(t),
		    (double)p->events[t]);
	if (p->senders == NULL)
		return;
	reg = cJSON_AddObjectToObject(o, "registered");
	for (i = 0; i <= p->nsenders && p->senders[i].name[0] != '\0'; i++) {
		c = cJSON_AddObjectToObject(reg, p->senders[i].name);
		for (t = 0; t < VM_EVENT_MAX; t++)
			cJSON_AddNumberToObject(c, vm_event_type_name(t),
			    (double)p->senders[i].events[t]);
	}
}

/* Every input's counts, in one "inputs" object. */
static void
inputs_status(struct daemon *d, cJSON *root)
{
	cJSON	*inputs;
	size_t	 i;

	inputs = cJSON_AddObjectToObject(root, "inputs");
	for (i = 0; i < d->nmodules; i++)
		if (d->modules[i].ops->input != NULL)
			port_status(&d->modules[i], inputs);
}

cJSON *
daemon_status(struct daemon *d)
{
	struct module	*m;
	cJSON		*root;
	size_t		 i;
	int		 inputs = 0;

	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "version", PACKAGE_VERSION);
	cJSON_AddNumberToObject(root, "uptime_seconds",
	    (double)(daemon_now(d) - d->started_ms) / 1000.0);
	/* KSM and cgroup counts are in pages of this size. */
	cJSON_AddNumberToObject(root, "page_size_bytes",
	    (double)sysconf(_SC_PAGESIZE));
	for (i = 0; i < d->nmodules; i++) {
		m = &d->modules[i];
		if (m->ops->input != NULL && !inputs++)
			inputs_status(d, root);
		if (m->running && m->ops->status != NULL)
			m->ops->status(m->state, root);
	}
	return root;
}

/* A running module's state, by its name; NULL if none runs. */
/*
 * A module that samples (the KSM engine) publishes what it saw; the
 * modules that render the summary hear of it only when it changed.
 */
void
daemon_summarise(struct daemon *d, const struct daemon_summary *sum)
{
	size_t	i;

	if (sum->ksm_available == d->summary.ksm_available &&
	    sum->pages_sharing == d->summary.pages_sharing &&
	    sum->policy_state == d->summary.policy_state)
		return;
	d->summary = *sum;
	for (i = 0; i < d->nmodules; i++)
		if (d->modules[i].running && d->modules[i].ops->on_summary)
			d->modules[i].ops->on_summary(d->modules[i].state);
}

void *
daemon_module(struct daemon *d, const char *name)
{
	size_t	i;

	for (i = 0; i < d->nmodules; i++)
		if (d->modules[i].running &&
		    strcmp(d->modules[i].ops->name, name) == 0)
			return d->modules[i].state;
	return NULL;
}

/*
 * Take the module table and start the modules the daemon cannot run
 * without: a failure there leaves the host as it was.
 */
int
daemon_open(struct daemon *d, const struct module_ops *const *table)
{
	struct module	*m;
	size_t		 i, n;
	int		 r;

	for (n = 0; table[n] != NULL; n++)
		;
	d->modules = xcalloc(n, sizeof(*d->modules));
	d->nmodules = n;
	for (i = 0; i < n; i++) {
		m = &d->modules[i];
		m->ops = table[i];
		m->d = d;
		m->port.mod = m;
		if (m->ops->flags & MODULE_SENDERS)
			m->port.senders = xcalloc(SENDERS_MAX + 1,
			    sizeof(*m->port.senders));
	}
	for (i = 0; i < n; i++) {
		m = &d->modules[i];
		if ((m->ops->flags & MODULE_REQUIRED) &&
		    (r = module_start(m)) < 0)
			return r;
	}
	return 0;
}

/* The others, in the table's order; one that fails stays off. */
void
daemon_start(struct daemon *d)
{
	struct module	*m;
	size_t		 i;

	for (i = 0; i < d->nmodules; i++) {
		m = &d->modules[i];
		if (!m->started && module_wanted(m))
			(void)module_start(m);
	}
}

/* In the reverse order of the start: the required ones last. */
void
daemon_stop(struct daemon *d)
{
	size_t	i;
	int	pass;

	for (pass = 0; pass < 2; pass++)
		for (i = d->nmodules; i-- > 0;)
			if (!(d->modules[i].ops->flags & MODULE_REQUIRED) ==
			    !pass)
				module_stop(&d->modules[i]);
	for (i = 0; i < d->nmodules; i++)
		free(d->modules[i].port.senders);
	free(d->modules);
	d->modules = NULL;
	d->nmodules = 0;
}
