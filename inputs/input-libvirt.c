/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libvirt input: the VMs libvirtd runs, as announced ones.  It opens
 * inputs.libvirt.uri (read-only) through libvirt's C API, driven from the
 * daemon's event_base (libvirt-loop.c), and turns domain lifecycle events
 * into VM events: started (booted, restored, migrated in) is CREATED,
 * stopped (shut down, destroyed, crashed and torn down, migrated out) is
 * DESTROYED; a pause or a resume is the same QEMU process and no news.
 *
 * Each CREATED carries the domain name as the VM id, the QEMU pid from
 * libvirt's pid file, the domain's maximum memory, the QEMU process's
 * memory cgroup and, if the domain's <metadata> names one, a class.
 *
 * libvirtd may be absent at start, or restart at any time: the input then
 * retries with a growing delay, saying so once.  At every connect it
 * subscribes first and lists the running domains after, and reports only
 * the difference from the domains it knew (vmset_diff), so that nothing
 * that happened while it was away is lost and nothing is doubled: a
 * domain whose QEMU pid changed meanwhile (destroyed and started again)
 * is DESTROYED, then CREATED.  The domains it knows at start are those
 * the VM registry holds from it, so that an input switched off and on
 * again reports only what changed meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "conf.h"
#include "bus.h"
#include "idset.h"
#include "module.h"
#include "input-socket.h"
#include "libvirt-loop.h"
#include "log.h"
#include "proc-cgroup.h"
#include "rootfs.h"
#include "util.h"
#include "vm-registry.h"

#define INPUT_NAME		"libvirt"

/*
 * Reconnect delays: the first try soon after libvirtd went (a restart
 * takes a second or two), then doubling up to a try every 30 s, cheap
 * enough for a host where libvirtd never comes.
 */
#define RECONNECT_MIN_MS	500
#define RECONNECT_MAX_MS	30000
/*
 * A second look, this long after every connect.  A libvirtd just started
 * lists a domain whose QEMU died while it was away as running until its
 * reconnect thread finds the monitor gone, and then drops the domain
 * without a lifecycle event.
 */
#define SETTLE_MS		5000
/* Where libvirtd's QEMU driver (system instance) writes NAME.pid. */
#define QEMU_PID_DIR		"/run/libvirt/qemu"
/* <metadata><ksm-throttler:class xmlns:ksm-throttler=...>NAME</...> */
#define CLASS_NS		"https://ksm-throttler/1"

enum lv_state {
	LV_CONNECTING,
	LV_CONNECTED,
	LV_STATE_MAX
};

static const char *lv_state_names[LV_STATE_MAX] = {
	[LV_CONNECTING] = "connecting",
	[LV_CONNECTED] = "connected",
};

/* A running domain as its CREATED event described it (status). */
struct lvdom {
	char	name[VM_ID_MAX];
	char	uuid[VIR_UUID_STRING_BUFLEN];
	pid_t	pid;
};

struct libvirt_input {
	struct bus_port		*port;
	char			*uri;
	enum lv_state		 state;
	virConnectPtr		 conn;
	int			 cb_id;		/* lifecycle callback, -1 */
	struct event		*retry;
	struct event		*settle;
	int			 delay_ms;	/* last reconnect delay */
	int			 quiet;		/* failures logged already */
	int			 lost;		/* closed while connecting */
	uint64_t		 connects;
	uint64_t		 reconnects;
	char			 last_error[256];
	struct vmset		 known;		/* running domains, QEMU pids */
	struct lvdom		*doms;
	size_t			 ndoms;
};

static void	lv_emit(struct libvirt_input *, struct vm_event *);
static void	lv_closed(virConnectPtr, int, void *);

/* ---- what a CREATED event says of a domain --------------------------- */

/* libvirt writes the QEMU pid before it reports the domain started. */
static pid_t
lv_pid(const char *name)
{
	char	path[PATH_MAX];

	if (strchr(name, '/') != NULL || xsnprintf(path, sizeof(path),
	    "%s/%s.pid", QEMU_PID_DIR, name) < 0)
		return 0;
	return rootfs_read_pid(path);
}

/* A domain's name as a log line may hold it: printable UTF-8. */
static const char *
lv_printable(const char *name)
{
	if (name == NULL || !text_ok(name, VM_ID_MAX - 1))
		return "a domain whose name is not printable";
	return name;
}

/*
 * The class named in the domain's metadata, which libvirt gives back as
 * "<class>NAME</class>" (the namespace's prefix dropped); optional.
 */
static int
lv_class(virDomainPtr dom, char *out, size_t len)
{
	char	*xml, *p, *end;
	int	 r = -ENOENT;

	xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, CLASS_NS,
	    VIR_DOMAIN_AFFECT_LIVE);
	if (xml == NULL)
		return -ENOENT;
	p = xml + strspn(xml, " \t\r\n");
	if ((strncmp(p, "<class>", 7) == 0 || strncmp(p, "<class ", 7) == 0) &&
	    (p = strchr(p, '>')) != NULL) {
		p++;
		p += strspn(p, " \t\r\n");
		end = p + strcspn(p, "< \t\r\n");
		*end = '\0';
		if (input_socket_name_ok(p))
			r = xsnprintf(out, len, "%s", p);
	}
	/* The metadata is whatever the domain's owner wrote: not logged. */
	if (r < 0)
		log_warnx("libvirt: %s: its metadata class is not 1 to 64 of "
		    "[A-Za-z0-9._-], ignoring it",
		    lv_printable(virDomainGetName(dom)));
	free(xml);
	return r;
}

/* ---- the domains known ----------------------------------------------- */

static struct lvdom *
lvdom_find(struct libvirt_input *li, const char *name)
{
	size_t	i;

	for (i = 0; i < li->ndoms; i++)
		if (strcmp(li->doms[i].name, name) == 0)
			return &li->doms[i];
	return NULL;
}

static struct lvdom *
lvdom_put(struct libvirt_input *li, const char *name)
{
	struct lvdom	*ld;

	if ((ld = lvdom_find(li, name)) != NULL)
		return ld;
	li->doms = reallocarray(li->doms, li->ndoms + 1, sizeof(*li->doms));
	if (li->doms == NULL)
		fatal("reallocarray");
	ld = &li->doms[li->ndoms++];
	memset(ld, 0, sizeof(*ld));
	(void)xsnprintf(ld->name, sizeof(ld->name), "%s", name);
	return ld;
}

static void
lvdom_del(struct libvirt_input *li, const char *name)
{
	struct lvdom	*ld;

	if ((ld = lvdom_find(li, name)) != NULL)
		*ld = li->doms[--li->ndoms];
}

/*
 * A domain running now that was not known: tell what it is; its pid (the
 * one a listing read, or 0: read it now).
 */
static pid_t
lv_created(struct libvirt_input *li, virDomainPtr dom, pid_t pid)
{
	struct vm_event	 ev;
	struct lvdom	*ld;
	virDomainInfo	 info;
	const char	*name = virDomainGetName(dom);
	char		 cgroup[PATH_MAX], cls[CLIENT_NAME_MAX + 1];

	memset(&ev, 0, sizeof(ev));
	ev.type = VM_CREATED;
	if (name == NULL || xsnprintf(ev.vm_id, sizeof(ev.vm_id), "%s",
	    name) < 0)
		return 0;
	ld = lvdom_put(li, name);
	if (virDomainGetUUIDString(dom, ld->uuid) < 0)
		ld->uuid[0] = '\0';
	ld->pid = ev.pid = pid > 0 ? pid : lv_pid(name);
	if (ev.pid > 0 && proc_cgroup(ev.pid, cgroup, sizeof(cgroup)) >= 0)
		ev.cgroup = cgroup;
	if (virDomainGetInfo(dom, &info) == 0)
		ev.memory_bytes = (uint64_t)info.maxMem * 1024;
	if (lv_class(dom, cls, sizeof(cls)) >= 0)
		ev.class_name = cls;
	log_debug("libvirt: %s started (pid %d, cgroup %s)", lv_printable(name),
	    (int)ev.pid, ev.cgroup ? ev.cgroup : "unknown");
	lv_emit(li, &ev);
	return ev.pid;
}

static void
lv_destroyed(struct libvirt_input *li, const char *name)
{
	struct vm_event	 ev;
	struct lvdom	*ld;

	memset(&ev, 0, sizeof(ev));
	ev.type = VM_DESTROYED;
	if (xsnprintf(ev.vm_id, sizeof(ev.vm_id), "%s", name) < 0)
		return;
	/* The QEMU it had, so that the registry knows which run went. */
	if ((ld = lvdom_find(li, name)) != NULL)
		ev.pid = ld->pid;
	lvdom_del(li, name);
	log_debug("libvirt: %s stopped", lv_printable(name));
	lv_emit(li, &ev);
}

static int
lv_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
    void *arg)
{
	struct libvirt_input	*li = arg;
	const char		*name = virDomainGetName(dom);

	if (name == NULL)
		return 0;
	switch (event) {
	case VIR_DOMAIN_EVENT_STARTED:
		if (vmset_add(&li->known, name))
			(void)vmset_put(&li->known, name, lv_created(li, dom,
			    0));
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
		if (vmset_del(&li->known, name))
			lv_destroyed(li, name);
		break;
	case VIR_DOMAIN_EVENT_SHUTDOWN:
	case VIR_DOMAIN_EVENT_CRASHED:
		/* QEMU may stay (on_crash=preserve): gone only if it went. */
		if (virDomainIsActive(dom) == 0 && vmset_del(&li->known, name))
			lv_destroyed(li, name);
		break;
	default:
		break;	/* suspended, resumed, defined...: the same QEMU */
	}
	return 0;
}

/* ---- listing what runs, after every connect ------------------------- */

struct lv_scan {
	struct libvirt_input	*li;
	virDomainPtr		*doms;
	int			 n;
};

static void
lv_scan_report(void *arg, const char *name, pid_t pid, int appeared)
{
	struct lv_scan	*sc = arg;
	const char	*n;
	int		 i;

	if (!appeared) {
		lv_destroyed(sc->li, name);
		return;
	}
	for (i = 0; i < sc->n; i++)
		if ((n = virDomainGetName(sc->doms[i])) != NULL &&
		    strcmp(n, name) == 0) {
			(void)lv_created(sc->li, sc->doms[i], pid);
			return;
		}
}

static int
lv_rescan(struct libvirt_input *li)
{
	struct vmset	 seen = { NULL, 0, 0, NULL };
	struct lv_scan	 sc;
	const char	*name;
	size_t		 changes;
	int		 i;

	sc.li = li;
	sc.n = virConnectListAllDomains(li->conn, &sc.doms,
	    VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (sc.n < 0)
		return -EIO;
	for (i = 0; i < sc.n; i++)
		if ((name = virDomainGetName(sc.doms[i])) != NULL)
			vmset_append_pid(&seen, name, lv_pid(name));
	vmset_sort(&seen);
	changes = vmset_diff(&li->known, &seen, lv_scan_report, &sc);
	vmset_swap(&li->known, &seen);
	vmset_clear(&seen);
	for (i = 0; i < sc.n; i++)
		virDomainFree(sc.doms[i]);
	free(sc.doms);
	log_debug("libvirt: %zu domains running, %zu changes", li->known.n,
	    changes);
	return 0;
}

/* ---- the connection ---------------------------------------------------- */

static void
lv_disconnect(struct libvirt_input *li)
{
	if (li->conn == NULL)
		return;
	/* Errors here are a connection already dead: nothing to tell. */
	if (li->cb_id >= 0)
		(void)virConnectDomainEventDeregisterAny(li->conn, li->cb_id);
	li->cb_id = -1;
	(void)virConnectUnregisterCloseCallback(li->conn, lv_closed);
	(void)virConnectClose(li->conn);
	li->conn = NULL;
	li->state = LV_CONNECTING;
}

static void
lv_retry_later(struct libvirt_input *li)
{
	li->state = LV_CONNECTING;
	li->delay_ms = li->delay_ms == 0 ? RECONNECT_MIN_MS :
	    li->delay_ms >= RECONNECT_MAX_MS / 2 ? RECONNECT_MAX_MS :
	    li->delay_ms * 2;
	(void)timer_in(li->retry, (uint64_t)li->delay_ms);
}

static void
lv_failed(struct libvirt_input *li, const char *what)
{
	const char	*msg = virGetLastErrorMessage();

	(void)xsnprintf(li->last_error, sizeof(li->last_error), "%s: %s",
	    what, msg != NULL ? msg : "unknown error");
	if (!li->quiet)
		log_warnx("libvirt: %s: %s; retrying quietly", li->uri,
		    li->last_error);
	li->quiet = 1;
	lv_disconnect(li);
	lv_retry_later(li);
}

/*
 * libvirtd went (EOF on the socket, a restart).  libvirt says so once.  The connection is not closed from inside its
 * callback: the retry timer does it.  Said while connecting (from inside
 * one of lv_try()'s calls), lv_try() sees it before it says connected.
 * The delay goes on growing: it starts again only once a connection
 * lived to its settling rescan, so a libvirtd that takes connections
 * and drops them is not asked twice a second.
 */
static void
lv_closed(virConnectPtr conn, int reason, void *arg)
{
	struct libvirt_input	*li = arg;

	if (conn != li->conn)
		return;
	if (li->state != LV_CONNECTED) {
		li->lost = 1;
		return;
	}
	log_warnx("libvirt: lost the connection to %s (%s), reconnecting",
	    li->uri, reason == VIR_CONNECT_CLOSE_REASON_EOF ? "end of file" :
	    reason == VIR_CONNECT_CLOSE_REASON_KEEPALIVE ? "keepalive" :
	    "error");
	li->quiet = 1;
	lv_retry_later(li);
}

/*
 * One attempt.  The URI names a local libvirtd (qemu:///system is its
 * Unix socket): connecting and the open handshake are a quick local
 * round trip, and a missing socket fails at once, so the loop is not
 * held for long.  No keepalive is asked for: a libvirtd that stops
 * answering (stopped, deadlocked) leaves a connected input deaf but the
 * daemon running, where a keepalive would close it and the reconnect's
 * handshake would then hold the loop until libvirtd answers again.
 */
static void
lv_try(struct libvirt_input *li)
{
	lv_disconnect(li);
	li->lost = 0;
	if ((li->conn = virConnectOpenReadOnly(li->uri)) == NULL) {
		lv_failed(li, "cannot connect");
		return;
	}
	if (virConnectRegisterCloseCallback(li->conn, lv_closed, li,
	    NULL) < 0) {
		lv_failed(li, "close callback");
		return;
	}
	/* Subscribed before listing: nothing starts unseen in between. */
	li->cb_id = virConnectDomainEventRegisterAny(li->conn, NULL,
	    VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(
	    lv_lifecycle), li, NULL);
	if (li->cb_id < 0) {
		lv_failed(li, "lifecycle events");
		return;
	}
	if (lv_rescan(li) < 0) {
		lv_failed(li, "listing domains");
		return;
	}
	if (li->lost || virConnectIsAlive(li->conn) != 1) {
		lv_failed(li, "the connection closed while listing domains");
		return;
	}
	li->state = LV_CONNECTED;
	(void)timer_in(li->settle, SETTLE_MS);
	if (li->connects++ > 0)
		li->reconnects++;
	li->quiet = 0;
	li->last_error[0] = '\0';
	log_info("libvirt: connected to %s, %zu domains running", li->uri,
	    li->known.n);
}

static void
lv_retry(evutil_socket_t fd, short what, void *arg)
{
	lv_try(arg);
}

/*
 * A connection that lived this long is a good one: the next loss retries
 * at once.  A rescan that fails is a connection lost.
 */
static void
lv_settle(evutil_socket_t fd, short what, void *arg)
{
	struct libvirt_input	*li = arg;

	if (li->state != LV_CONNECTED)
		return;
	if (lv_rescan(li) < 0) {
		lv_failed(li, "listing domains");
		return;
	}
	li->delay_ms = 0;
}

/* libvirt's own reports go nowhere: this input logs what it decides. */
static void
lv_quiet(void *arg, virErrorPtr err)
{
}

static int
lv_start(struct event_base *base, const char *uri, struct libvirt_input **out)
{
	struct libvirt_input	*li;
	int			 r;

	if (virInitialize() < 0)
		return -EIO;
	virSetErrorFunc(NULL, lv_quiet);
	if ((r = lvloop_register(base)) < 0)
		return r;
	li = xcalloc(1, sizeof(*li));
	li->uri = xstrdup(uri);
	li->cb_id = -1;
	li->retry = evtimer_new(base, lv_retry, li);
	li->settle = evtimer_new(base, lv_settle, li);
	if (li->retry == NULL || li->settle == NULL) {
		if (li->retry != NULL)
			event_free(li->retry);
		if (li->settle != NULL)
			event_free(li->settle);
		free(li->uri);
		free(li);
		return -ENOMEM;
	}
	*out = li;
	return 0;
}

static void
lv_stop(struct libvirt_input *li)
{
	lv_disconnect(li);
	/* libvirt's connection objects go now, with the loop still there. */
	lvloop_flush();
	event_free(li->retry);
	event_free(li->settle);
	vmset_clear(&li->known);
	free(li->doms);
	free(li->uri);
	free(li);
}

/* inputs.libvirt.uri changed: the new libvirtd's domains, by difference. */
static void
lv_set_uri(struct libvirt_input *li, const char *uri)
{
	if (strcmp(li->uri, uri) == 0)
		return;
	log_info("libvirt: now %s (was %s)", uri, li->uri);
	free(li->uri);
	li->uri = xstrdup(uri);
	evtimer_del(li->retry);
	li->delay_ms = 0;
	li->quiet = 0;
	lv_try(li);
}

static void
lv_status(struct libvirt_input *li, cJSON *o)
{
	const struct lvdom	*ld;
	cJSON			*a, *e;
	size_t			 i;

	cJSON_AddStringToObject(o, "uri", li->uri);
	cJSON_AddStringToObject(o, "state", lv_state_names[li->state]);
	cJSON_AddNumberToObject(o, "reconnects", (double)li->reconnects);
	if (li->state != LV_CONNECTED && li->last_error[0] != '\0')
		cJSON_AddStringToObject(o, "last_error", li->last_error);
	cJSON_AddNumberToObject(o, "domains_known", (double)li->known.n);
	a = cJSON_AddArrayToObject(o, "domains");
	for (i = 0; i < li->ndoms; i++) {
		ld = &li->doms[i];
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", ld->name);
		cJSON_AddStringToObject(e, "uuid", ld->uuid);
		cJSON_AddNumberToObject(e, "pid", (double)ld->pid);
		cJSON_AddItemToArray(a, e);
	}
}

/*
 * ---- glue to the input registry ------------------------------------
 * Everything above knows the registry only as lv_emit() and li->in.
 */

static void
lv_emit(struct libvirt_input *li, struct vm_event *ev)
{
	bus_emit(li->port, ev);
}

static int
libvirt_enabled(const struct conf *c)
{
	return c->libvirt_enabled;
}

/* A domain the registry holds from this input: known until a scan. */
static void
libvirt_seed(void *arg, const struct vm_event *ev)
{
	struct libvirt_input	*li = arg;

	(void)vmset_put(&li->known, ev->vm_id, ev->pid);
	lvdom_put(li, ev->vm_id)->pid = ev->pid;
}

static int
libvirt_start(struct daemon *d, struct bus_port *port, void **statep)
{
	struct libvirt_input	*li;
	int			 r;

	if ((r = lv_start(bus_base(port), bus_conf(port)->libvirt_uri,
	    &li)) < 0)
		return r;
	li->port = port;
	vms_known(d, INPUT_NAME, NULL, libvirt_seed, li);
	lv_try(li);
	*statep = li;
	return 0;
}

static void
libvirt_stop(void *arg)
{
	lv_stop(arg);
}

static void
libvirt_reconfigure(void *arg, const struct conf *old,
    const struct conf *fresh)
{
	struct libvirt_input	*li = arg;

	lv_set_uri(li, fresh->libvirt_uri);
}

static void
libvirt_status(void *arg, cJSON *root)
{
	struct libvirt_input	*li = arg;

	lv_status(li, bus_port_status(root, li->port));
}

const struct module_ops input_libvirt = {
	.name = "libvirt",
	.section = "inputs.libvirt",
	.input = INPUT_NAME,
	.enabled = libvirt_enabled,
	.init = libvirt_start,
	.shutdown = libvirt_stop,
	.reconfigure = libvirt_reconfigure,
	.status = libvirt_status,
};
