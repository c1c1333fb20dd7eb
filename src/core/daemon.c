/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engines and the event bus: every VM event from every input reaches
 * every engine here; live configuration changes and status go through
 * the same table.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "input.h"
#include "log.h"
#include "util.h"

extern const struct engine_ops	engine_vms;
extern const struct engine_ops	engine_ksm;
extern const struct engine_ops	engine_metrics;
extern const struct engine_ops	engine_memcg;
extern const struct engine_ops	engine_compact;

const struct engine_ops *engines[ENGINE_MAX + 1] = {
	[ENGINE_VMS] = &engine_vms,
	[ENGINE_KSM] = &engine_ksm,
	[ENGINE_METRICS] = &engine_metrics,
	[ENGINE_MEMCG] = &engine_memcg,
	[ENGINE_COMPACT] = &engine_compact,
	[ENGINE_MAX] = NULL,
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

int
vm_event_type_parse(const char *s, enum vm_event_type *t)
{
	int	i;

	for (i = 0; i < VM_EVENT_MAX; i++)
		if (strcmp(s, vm_event_names[i]) == 0) {
			*t = i;
			return 0;
		}
	return -EINVAL;
}

void
daemon_event(struct daemon *d, const struct vm_event *ev)
{
	int	i;

	if (ev->type >= VM_EVENT_MAX)
		return;
	d->events_total[ev->type]++;
	log_debug("event %s %s from %s", vm_event_type_name(ev->type),
	    ev->vm_id[0] ? ev->vm_id : "-", ev->input ? ev->input : "?");
	for (i = 0; i < ENGINE_MAX; i++)
		if (d->engine[i] != NULL && engines[i]->on_event != NULL)
			engines[i]->on_event(d->engine[i], ev);
}

/*
 * Apply a live change to one section ("" for a whole new configuration,
 * as on SIGHUP).  All or nothing; engines whose keys changed are told.
 */
int
daemon_reconfigure(struct daemon *d, const char *section, const char *json,
    char *err, size_t errlen)
{
	struct conf	*old;
	int		 i, r;

	old = conf_dup(d->conf);
	if ((r = conf_apply_text(d->conf, section, json, err, errlen)) < 0) {
		conf_free(old);
		return r;
	}
	for (i = 0; i < ENGINE_MAX; i++) {
		if (d->engine[i] == NULL || engines[i]->reconfigure == NULL)
			continue;
		if (conf_changed(old, d->conf, engines[i]->section))
			engines[i]->reconfigure(d->engine[i], old);
	}
	inputs_reconfigure(d, old);
	control_reconfigure(d->control, old);
	conf_free(old);
	log_info("configuration changed%s%s", *section ? ": " : "", section);
	return 0;
}

cJSON *
daemon_status(struct daemon *d)
{
	cJSON	*root;
	int	 i;

	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "version", PACKAGE_VERSION);
	cJSON_AddNumberToObject(root, "uptime_seconds",
	    (double)(now_ms() - d->started_ms) / 1000.0);
	for (i = 0; i < ENGINE_MAX; i++)
		if (d->engine[i] != NULL && engines[i]->status != NULL)
			engines[i]->status(d->engine[i], root);
	inputs_status(d, root);
	control_status(d->control, root);
	return root;
}

int
engines_start(struct daemon *d)
{
	int	i, r;

	for (i = 0; i < ENGINE_MAX; i++) {
		if ((r = engines[i]->init(d, &d->engine[i])) < 0) {
			errno = -r;
			log_warn("engine %s: cannot start, it stays off",
			    engines[i]->name);
			d->engine[i] = NULL;
		}
	}
	return 0;
}

void
engines_stop(struct daemon *d)
{
	int	i;

	for (i = ENGINE_MAX - 1; i >= 0; i--) {
		if (d->engine[i] != NULL && engines[i]->shutdown != NULL)
			engines[i]->shutdown(d->engine[i]);
		d->engine[i] = NULL;
	}
}
