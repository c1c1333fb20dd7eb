/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket's requests: what each one may carry (checked from
 * the request alone, also by the fuzzer), who may send it, and what it
 * does.  Events and kicks go out through the control socket's port;
 * configuration changes are parsed here, at the socket's edge, and the
 * new configuration handed to the core whole.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "conf.h"
#include "control.h"
#include "control-int.h"
#include "daemon.h"
#include "frame.h"
#include "input-socket.h"
#include "log.h"
#include "util.h"

/*
 * A request's body: check says what is wrong with it, from the request
 * alone (NULL: nothing to check); fn acts on one that passed.
 */
struct control_cmd {
	Ksmt__Request__BodyCase	 body;
	const char		*name;
	int			 changes_host;
	int			(*check)(const Ksmt__Request *, char *, size_t);
	void			(*fn)(struct client *, const Ksmt__Request *,
				    struct reply *);
};

/* A client's bad requests logged; the later ones are only counted. */
#define CLIENT_ERRORS_LOGGED	5
/*
 * The largest status reply: what the replies to all clients together are
 * held to (REPLIES_HIGH, control-client.c), and half of what a client
 * takes (FRAME_REPLY_MAX).  VMS_MAX VMs with ids of a few dozen bytes
 * fit.
 */
#define STATUS_JSON_MAX		(8 * 1024 * 1024)

/* A request refused: its reply says why; counted, and logged at first. */
void
client_reject(struct client *c, struct reply *rep, enum reject why,
    Ksmt__Reply__Code code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(rep->message, sizeof(rep->message), fmt, ap);
	va_end(ap);
	rep->code = code;
	c->ctl->rejected[why]++;
	if (++c->errors <= CLIENT_ERRORS_LOGGED)
		log_warnx("control: client %llu (pid %d, uid %u): %s%s", c->id,
		    (int)c->pid, (unsigned)c->uid, rep->message,
		    c->errors == CLIENT_ERRORS_LOGGED ?
		    " (its further errors are only counted)" : "");
}

static char *
json_text(cJSON *j)
{
	char	*s;

	s = cJSON_Print(j);
	cJSON_Delete(j);
	return s;
}

static void
cmd_register(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	if (c->name[0] != '\0') {
		client_reject(c, rep, REJECT_BAD_REQUEST,
		    KSMT__REPLY__CODE__BAD_REQUEST,
		    "register: already registered as %s", c->name);
		return;
	}
	(void)xsnprintf(c->name, sizeof(c->name), "%s",
	    req->register_->name);
	bus_sender(c->ctl->port, c->name);
	log_info("control: client %llu (pid %d) registered as %s", c->id,
	    (int)c->pid, c->name);
}

/* An event or a kick, counted under the name the client registered. */
static void
client_emit(struct client *c, struct vm_event *ev)
{
	ev->sender = c->name[0] != '\0' ? c->name : NULL;
	bus_emit(c->ctl->port, ev);
}

static void
cmd_event(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	struct vm_event	ev;

	input_socket_event(&ev, req->event);
	client_emit(c, &ev);
}

static void
cmd_kick(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	struct vm_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = VM_KICK;
	client_emit(c, &ev);
}

/*
 * Leave out the last n items of list (an object), and count them in
 * "truncated" under name.
 */
static void
status_cut(cJSON *root, cJSON *list, const char *name, size_t n)
{
	cJSON	*t, *count;
	size_t	 cut;

	for (cut = 0; cut < n && list->child != NULL; cut++)
		cJSON_Delete(cJSON_DetachItemViaPointer(list, list->child->prev));
	if (cut == 0)
		return;
	if ((t = cJSON_GetObjectItemCaseSensitive(root, "truncated")) == NULL) {
		t = cJSON_AddObjectToObject(root, "truncated");
		cJSON_AddNumberToObject(t, "max_bytes", STATUS_JSON_MAX);
	}
	if ((count = cJSON_GetObjectItemCaseSensitive(t, name)) == NULL)
		count = cJSON_AddNumberToObject(t, name, 0);
	cJSON_SetNumberValue(count, count->valuedouble + (double)cut);
}

/* The bytes an item of list takes in the status, on the mean. */
static double
item_bytes(const cJSON *list)
{
	int	 n = cJSON_GetArraySize(list);
	char	*s;
	double	 b;

	if (n == 0 || (s = cJSON_Print(list)) == NULL)
		return 0;
	b = (double)strlen(s) / n;
	cJSON_free(s);
	return b;
}

/* Renderings of the whole status at most: each costs a moment on the loop. */
#define STATUS_RENDERS	4

/*
 * The status as text, at most STATUS_JSON_MAX bytes.  Tens of thousands
 * of VMs or cgroups with long names would make more than a client takes:
 * then the VMs that came last are left out of "vms", and if that is not
 * enough the cgroups last in "memcg.cgroups", and "truncated" says how
 * many of each.  What to leave out is reckoned from the excess and the
 * items' mean size, so that a few renderings do.  NULL and why if it
 * cannot be had.
 */
static char *
status_text(cJSON *root, const char **errstr)
{
	cJSON		*lists[2];
	const char	*names[2] = { "vms", "cgroups" };
	char		*s;
	double		 excess, per;
	size_t		 len, n, k, i;
	int		 pass;

	lists[0] = cJSON_GetObjectItemCaseSensitive(root, "vms");
	lists[1] = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "memcg"), "cgroups");
	for (pass = 0; pass < STATUS_RENDERS; pass++) {
		if ((s = cJSON_Print(root)) == NULL) {
			*errstr = "out of memory";
			return NULL;
		}
		if ((len = strlen(s)) <= STATUS_JSON_MAX)
			return s;
		cJSON_free(s);
		/* A tenth to spare: items differ in size. */
		excess = (double)len - STATUS_JSON_MAX * 0.9;
		for (i = 0; i < 2 && excess > 0; i++) {
			if (lists[i] == NULL || (n = (size_t)
			    cJSON_GetArraySize(lists[i])) == 0 ||
			    (per = item_bytes(lists[i])) <= 0)
				continue;
			k = (size_t)(excess / per) + 1;
			if (k > n)
				k = n;
			status_cut(root, lists[i], names[i], k);
			excess -= (double)k * per;
		}
		if (excess > 0)
			break;		/* nothing left to leave out */
	}
	*errstr = "larger than its maximum even without VMs and cgroups";
	return NULL;
}

static void
cmd_status(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	cJSON		*root = daemon_status(c->ctl->d);
	const char	*errstr;

	if ((rep->json = status_text(root, &errstr)) == NULL) {
		rep->code = KSMT__REPLY__CODE__INTERNAL;
		(void)snprintf(rep->message, sizeof(rep->message),
		    "status: %s", errstr);
		log_warnx("control: status: %s", errstr);
	}
	cJSON_Delete(root);
}

static void
cmd_config(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	rep->json = json_text(conf_to_json(c->ctl->d->conf, ""));
}

static const char *config_sections[] = {
	[KSMT__CONFIG_SET__SECTION__KSM] = "ksm",
	[KSMT__CONFIG_SET__SECTION__MEMCG] = "memcg",
	[KSMT__CONFIG_SET__SECTION__COMPACT] = "compact",
};

static void
cmd_config_set(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	const Ksmt__ConfigSet	*m = req->config_set;
	const char		*section = config_sections[m->section];
	struct conf		*fresh;
	char			 err[sizeof(rep->message)];

	/* All or nothing: the daemon's configuration, changed in a copy. */
	fresh = conf_dup(c->ctl->d->conf);
	if (conf_apply_text(fresh, section, m->json, err, sizeof(err)) < 0) {
		conf_free(fresh);
		client_reject(c, rep, REJECT_INVALID_CONFIG,
		    KSMT__REPLY__CODE__INVALID_CONFIG, "%s-set: %s", section,
		    err);
		return;
	}
	snprintf(err, sizeof(err), "%s-set", section);
	if (conf_log_changes(c->ctl->d->conf, fresh, section, err) == 0) {
		conf_free(fresh);
		log_info("control: client %llu (pid %d, uid %u): %s-set "
		    "changes nothing", c->id, (int)c->pid, (unsigned)c->uid,
		    section);
		return;
	}
	daemon_reconfigure(c->ctl->d, fresh);
	log_info("configuration changed: %s", section);
	log_info("control: client %llu (pid %d, uid %u) changed %s", c->id,
	    (int)c->pid, (unsigned)c->uid, section);
}

static int __attribute__((format(printf, 3, 4)))
why(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int
check_register(const Ksmt__Request *req, char *buf, size_t len)
{
	if (!input_socket_name_ok(req->register_->name))
		return why(buf, len, "register: name: expected 1 to %d of "
		    "[A-Za-z0-9._-]", CLIENT_NAME_MAX);
	return 0;
}

static int
check_event(const Ksmt__Request *req, char *buf, size_t len)
{
	const char	*bad;

	if ((bad = input_socket_event_check(req->event)) != NULL)
		return why(buf, len, "event: %s", bad);
	return 0;
}

static int
check_config_set(const Ksmt__Request *req, char *buf, size_t len)
{
	if ((unsigned)req->config_set->section >= nitems(config_sections))
		return why(buf, len, "config_set: unknown section %d",
		    (int)req->config_set->section);
	if (!utf8_valid(req->config_set->json))
		return why(buf, len, "config_set: json: not valid UTF-8");
	return 0;
}

static const struct control_cmd control_cmds[] = {
	{ KSMT__REQUEST__BODY_REGISTER, "register", 1, check_register,
	    cmd_register },
	{ KSMT__REQUEST__BODY_EVENT, "event", 1, check_event, cmd_event },
	{ KSMT__REQUEST__BODY_KICK, "kick", 1, NULL, cmd_kick },
	{ KSMT__REQUEST__BODY_STATUS, "status", 0, NULL, cmd_status },
	{ KSMT__REQUEST__BODY_CONFIG, "config", 0, NULL, cmd_config },
	{ KSMT__REQUEST__BODY_CONFIG_SET, "config_set", 1, check_config_set,
	    cmd_config_set },
	{ KSMT__REQUEST__BODY__NOT_SET, NULL, 0, NULL, NULL }
};

/* The command for a body; the table's end (no name) for an unknown one. */
static const struct control_cmd *
control_cmd_find(Ksmt__Request__BodyCase body)
{
	const struct control_cmd	*cmd;

	for (cmd = control_cmds; cmd->name != NULL; cmd++)
		if (cmd->body == body)
			break;
	return cmd;
}

/*
 * What can be said of a request alone, before the client's rights and
 * the daemon's state are looked at: the version it speaks, a body this
 * daemon knows, that body's fields.  0 if nothing is wrong; otherwise the
 * reply's code, and why in buf.
 */
int
control_request_check(const Ksmt__Request *req, char *buf, size_t len)
{
	const struct control_cmd	*cmd;

	if (req->version != KT_PROTO_VERSION) {
		(void)why(buf, len, "protocol version %u is not spoken here "
		    "(%d is)", (unsigned)req->version, KT_PROTO_VERSION);
		return KSMT__REPLY__CODE__BAD_VERSION;
	}
	if ((cmd = control_cmd_find(req->body_case))->name == NULL) {
		(void)why(buf, len, "unknown request (body %d)",
		    (int)req->body_case);
		return KSMT__REPLY__CODE__BAD_REQUEST;
	}
	if (cmd->check != NULL && cmd->check(req, buf, len) < 0)
		return KSMT__REPLY__CODE__BAD_REQUEST;
	return 0;
}

void
control_dispatch(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	const struct control_cmd	*cmd;
	const char			*group = c->ctl->group;
	char				 bad[sizeof(rep->message)];
	int				 code;

	if ((code = control_request_check(req, bad, sizeof(bad))) != 0) {
		client_reject(c, rep, code == KSMT__REPLY__CODE__BAD_VERSION ?
		    REJECT_BAD_VERSION : REJECT_BAD_REQUEST, code, "%s", bad);
		return;
	}
	cmd = control_cmd_find(req->body_case);
	if (cmd->changes_host && !c->privileged) {
		client_reject(c, rep, REJECT_PERMISSION,
		    KSMT__REPLY__CODE__PERMISSION_DENIED,
		    "%s: permission denied: only root%s%s may change the host",
		    cmd->name, c->ctl->have_gid ? " and members of group " :
		    "", c->ctl->have_gid ? group : "");
		return;
	}
	cmd->fn(c, req, rep);
}
