/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file's life after start: reloaded on SIGHUP and
 * whenever it changes (confwatch.c, for fleets that roll a ConfigMap out
 * with nobody to send SIGHUP), applied only whole and valid, and counted,
 * so that a fleet's dashboard shows which nodes refused a rollout.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conffile.h"
#include "confwatch.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

struct conffile {
	struct daemon		*d;
	struct confwatch	*watch;
	uint64_t		 applied;
	uint64_t		 refused;
	char			 last_error[512];
};

/*
 * Read the file again and apply it if it is valid and says something new;
 * quiet: say nothing if it says nothing new.
 */
static void
reload(struct conffile *cf, const char *why, int quiet)
{
	struct daemon	*d;
	struct conf	*fresh;
	char		 err[sizeof(cf->last_error)];

	d = cf->d;
	if (d->conf_path == NULL) {
		log_info("%s: no configuration file to reload", why);
		return;
	}
	fresh = conf_new();
	if (conf_load(fresh, d->conf_path, err, sizeof(err)) < 0) {
		log_warnx("reload refused, the old configuration stays: %s",
		    err);
		cf->refused++;
		memcpy(cf->last_error, err, sizeof(err));
		conf_free(fresh);
		return;
	}
	/* The socket cannot move under its clients. */
	free(fresh->socket_path);
	fresh->socket_path = xstrdup(d->conf->socket_path);
	if (conf_log_changes(d->conf, fresh, "", why) == 0) {
		if (!quiet)
			log_info("%s: configuration unchanged", why);
		conf_free(fresh);
		return;
	}
	daemon_reconfigure(d, fresh);
	cf->applied++;
	log_info("configuration changed");
}

void
conffile_reload(void *arg, const char *why)
{
	if (arg != NULL)	/* NULL: not started yet, or stopping */
		reload(arg, why, 0);
}

/* The first look: the file as it was loaded at start is no news. */
static void
conffile_changed(void *arg, int first)
{
	reload(arg, first ? "changed since start" : "file changed", first);
}

static int
conffile_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct conffile	*cf;

	cf = xcalloc(1, sizeof(*cf));
	cf->d = d;
	if (d->conf_path != NULL)
		cf->watch = confwatch_open(d->base, d->conf_path,
		    conffile_changed, cf);
	*statep = cf;
	return 0;
}

static void
conffile_status(void *arg, cJSON *root)
{
	struct conffile	*cf = arg;
	cJSON		*o;

	o = cJSON_AddObjectToObject(root, "config");
	if (cf->d->conf_path != NULL)
		cJSON_AddStringToObject(o, "path", cf->d->conf_path);
	cJSON_AddBoolToObject(o, "watched", cf->watch != NULL);
	cJSON_AddNumberToObject(o, "reloads", (double)cf->applied);
	cJSON_AddNumberToObject(o, "refused", (double)cf->refused);
	if (cf->refused > 0)
		cJSON_AddStringToObject(o, "last_error", cf->last_error);
}

static void
conffile_shutdown(void *arg)
{
	struct conffile	*cf = arg;

	confwatch_close(cf->watch);
	free(cf);
}

const struct module_ops conffile_module = {
	.name = "config",
	.init = conffile_init,
	.status = conffile_status,
	.shutdown = conffile_shutdown,
};
