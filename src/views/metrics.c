/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Prometheus endpoint: GET /metrics on metrics.listen, served by
 * libevent's evhttp on the daemon's event base.  Metrics are a view of
 * the status (the same JSON `ksm-throttlerctl status --json` prints),
 * mapped by the table below, so that a counter added to an engine's
 * status needs one row here to be scraped.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netdb.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

/* A scrape is a short GET; anything bigger or slower is not Prometheus. */
#define HTTP_MAX_HEADERS	8192
#define HTTP_MAX_BODY		1024
#define HTTP_TIMEOUT_SECS	10
/*
 * The timeout above starts again with every byte; however slowly it
 * trickles, a request arrives within this of the connection or of the
 * last request, or the connection is closed.
 */
#define HTTP_DEADLINE_SECS	10
/*
 * Connections open at once; more wait in the listen queue until one
 * closes.  A Prometheus server needs one, and each holds a descriptor
 * that any local user could otherwise take from the daemon.
 */
#define HTTP_MAX_CONNS		16
/* Out of descriptors: stop accepting for a while rather than spin. */
#define ACCEPT_BACKOFF_SECS	1
/* An address in use, or not up yet, may be free at any time. */
#define LISTEN_RETRY_SECS	10

enum metric_type {
	METRIC_GAUGE,
	METRIC_COUNTER,
	METRIC_STATE,		/* a string: one series, its value as a label */
	METRIC_TYPE_MAX
};

static const char *metric_type_names[METRIC_TYPE_MAX] = {
	[METRIC_GAUGE] = "gauge",
	[METRIC_COUNTER] = "counter",
	[METRIC_STATE] = "gauge",
};

/*
 * path: a dotted path into the status; "*" matches every member of an
 * object, and each "*" gives its member's name to the next label.
 */
struct metric_desc {
	const char		*path;
	const char		*name;
	enum metric_type	 type;
	const char		*labels[3];
	const char		*help;
};

#define KSM_G(f, name, h) { "ksm." f, name, METRIC_GAUGE, { NULL }, h }

static const struct metric_desc metric_table[] = {
	KSM_G("run", "ksm_throttler_ksm_run",
	    "KSM run knob (0 stopped, 1 running, 2 unmerging)"),
	KSM_G("pages_to_scan", "ksm_throttler_ksm_pages_to_scan",
	    "Pages ksmd scans per wake-up"),
	KSM_G("sleep_millisecs", "ksm_throttler_ksm_sleep_millisecs",
	    "Milliseconds ksmd sleeps between scans"),
	KSM_G("pages_shared", "ksm_throttler_ksm_pages_shared",
	    "KSM pages in use (each backs pages_sharing)"),
	KSM_G("pages_sharing", "ksm_throttler_ksm_pages_sharing",
	    "Pages deduplicated into a KSM page: the "
	    "memory saved, in pages"),
	KSM_G("pages_unshared", "ksm_throttler_ksm_pages_unshared",
	    "Pages scanned, unique, still candidates"),
	KSM_G("pages_volatile", "ksm_throttler_ksm_pages_volatile",
	    "Pages changing too fast to be merged"),
	{ "ksm.pages_skipped", "ksm_throttler_ksm_pages_skipped_total",
	  METRIC_COUNTER, { NULL }, "Pages smart scan skipped" },
	KSM_G("ksm_zero_pages", "ksm_throttler_ksm_ksm_zero_pages",
	    "Empty pages merged with the zero page"),
	KSM_G("stable_node_chains", "ksm_throttler_ksm_stable_node_chains",
	    "Stable node chains (pages at "
	    "max_page_sharing)"),
	KSM_G("stable_node_dups", "ksm_throttler_ksm_stable_node_dups",
	    "Duplicated stable nodes"),
	KSM_G("max_page_sharing", "ksm_throttler_ksm_max_page_sharing",
	    "Largest number of pages sharing one KSM "
	    "page"),
	KSM_G("use_zero_pages", "ksm_throttler_ksm_use_zero_pages",
	    "Whether empty pages merge with the zero page"),
	KSM_G("merge_across_nodes", "ksm_throttler_ksm_merge_across_nodes",
	    "Whether pages merge across NUMA nodes"),
	KSM_G("stable_node_chains_prune_millisecs",
	    "ksm_throttler_ksm_stable_node_chains_prune_millisecs",
	    "Milliseconds between ksmd's checks of stable node chains "
	    "for stale pages"),
	KSM_G("smart_scan", "ksm_throttler_ksm_smart_scan",
	    "Whether ksmd skips pages that did not merge"),
	KSM_G("advisor_max_cpu", "ksm_throttler_ksm_advisor_max_cpu",
	    "CPU percent the kernel advisor may use"),
	KSM_G("advisor_min_pages_to_scan",
	    "ksm_throttler_ksm_advisor_min_pages_to_scan",
	    "Fewest pages per wake-up the kernel advisor lets ksmd scan"),
	KSM_G("advisor_max_pages_to_scan",
	    "ksm_throttler_ksm_advisor_max_pages_to_scan",
	    "Most pages per wake-up the kernel advisor lets ksmd scan"),
	KSM_G("advisor_target_scan_time", "ksm_throttler_ksm_advisor_target_scan_time",
	    "Seconds the kernel advisor aims "
	    "a full scan at"),
	{ "ksm.general_profit", "ksm_throttler_ksm_general_profit_bytes",
	  METRIC_GAUGE, { NULL }, "Bytes KSM saves minus what its metadata "
	  "costs" },
	{ "ksm.full_scans", "ksm_throttler_ksm_full_scans_total",
	  METRIC_COUNTER, { NULL }, "Full scans of the mergeable memory "
	  "ksmd completed" },
	{ "ksm.pages_scanned", "ksm_throttler_ksm_pages_scanned_total",
	  METRIC_COUNTER, { NULL }, "Pages ksmd scanned" },
	{ "ksm.ksmd_cpu_seconds", "ksm_throttler_ksmd_cpu_seconds_total",
	  METRIC_COUNTER, { NULL }, "CPU time ksmd used" },
	{ "ksm.advisor_mode", "ksm_throttler_ksm_advisor_mode",
	  METRIC_STATE, { "mode" }, "The kernel advisor's mode" },
	{ "policy.state", "ksm_throttler_policy_state", METRIC_STATE,
	  { "state" }, "The KSM throttle policy's state" },
	{ "policy.transitions", "ksm_throttler_policy_transitions_total",
	  METRIC_COUNTER, { NULL }, "State changes of the throttle policy" },
	{ "inputs.*.events.*", "ksm_throttler_events_total", METRIC_COUNTER,
	  { "input", "type" }, "VM events received, by input and type" },
	{ "vms.*.ksm_merging_pages", "ksm_throttler_vm_ksm_merging_pages",
	  METRIC_GAUGE, { "vm" }, "Pages of the VM merged by KSM" },
	{ "vms.*.ksm_rmap_items", "ksm_throttler_vm_ksm_rmap_items",
	  METRIC_GAUGE, { "vm" }, "KSM reverse-map items of the VM" },
	{ "vms.*.ksm_zero_pages", "ksm_throttler_vm_ksm_zero_pages",
	  METRIC_GAUGE, { "vm" }, "Empty pages of the VM merged with the "
	  "zero page" },
	{ "vms.*.ksm_process_profit", "ksm_throttler_vm_ksm_profit_bytes",
	  METRIC_GAUGE, { "vm" }, "Bytes KSM saves in the VM minus its "
	  "metadata" },
	{ "config.reloads", "ksm_throttler_config_reloads_total",
	  METRIC_COUNTER, { NULL }, "Changes of the configuration file applied "
	  "(on SIGHUP or when it changed)" },
	{ "config.refused", "ksm_throttler_config_refused_total",
	  METRIC_COUNTER, { NULL }, "Reloads of the configuration file "
	  "refused (the running configuration kept)" },
	{ "memcg.state", "ksm_throttler_memcg_state", METRIC_STATE,
	  { "state" }, "The memcg reclaim engine's state" },
	{ "memcg.backend", "ksm_throttler_memcg_backend", METRIC_STATE,
	  { "backend" }, "How the memcg engine reclaims on this host" },
	{ "memcg.passes", "ksm_throttler_memcg_passes_total", METRIC_COUNTER,
	  { NULL }, "Reclaim passes over the tracked cgroups" },
	{ "memcg.tracked", "ksm_throttler_memcg_cgroups", METRIC_GAUGE,
	  { NULL }, "Cgroups the memcg engine looks after" },
#define MEMCG_C(f, name, h) { "memcg.cgroups.*." f, name, METRIC_COUNTER, \
	{ "cgroup" }, h }
	MEMCG_C("runs", "ksm_throttler_memcg_runs_total",
	    "Reclaim runs of the cgroup"),
	MEMCG_C("psi_skips", "ksm_throttler_memcg_psi_skips_total",
	    "Runs skipped because the cgroup stalled over the wait"),
	MEMCG_C("aging_runs", "ksm_throttler_memcg_aging_runs_total",
	    "MGLRU aging runs of the cgroup"),
	MEMCG_C("reclaims", "ksm_throttler_memcg_reclaims_total",
	    "Reclaim or eviction writes to the cgroup"),
	MEMCG_C("cache_reclaims", "ksm_throttler_memcg_cache_reclaims_total",
	    "Page cache reclaims above memcg.cache_reclaim.threshold"),
	MEMCG_C("reclaimed_bytes", "ksm_throttler_memcg_reclaimed_bytes_total",
	    "Bytes reclaimed from the cgroup"),
	MEMCG_C("evicted_pages", "ksm_throttler_memcg_evicted_pages_total",
	    "Pages MGLRU eviction took from the cgroup"),
	MEMCG_C("errors", "ksm_throttler_memcg_errors_total",
	    "Reads or writes of the cgroup that failed"),
	{ "memcg.cgroups.*.stops.*", "ksm_throttler_memcg_stops_total",
	  METRIC_COUNTER, { "cgroup", "reason" },
	  "Why reclaim runs of the cgroup ended" },
	{ "compact.state", "ksm_throttler_compact_state", METRIC_STATE,
	  { "state" }, "The compaction engine's state" },
#define COMPACT_C(f, name, h) { "compact." f, name, METRIC_COUNTER, \
	{ NULL }, h }
	COMPACT_C("checks", "ksm_throttler_compact_checks_total",
	    "Periods at whose end the engine looked at fragmentation"),
	COMPACT_C("runs", "ksm_throttler_compact_runs_total",
	    "Compactions started"),
	COMPACT_C("forced", "ksm_throttler_compact_forced_total",
	    "Compactions forced by compact_force_times"),
	COMPACT_C("node_runs", "ksm_throttler_compact_node_runs_total",
	    "Compactions limited to some NUMA nodes"),
	COMPACT_C("skipped_threshold",
	    "ksm_throttler_compact_skipped_threshold_total",
	    "Periods without compaction: too little new fragmentation"),
	COMPACT_C("skipped_psi", "ksm_throttler_compact_skipped_psi_total",
	    "Periods without compaction: the host stalled over the wait"),
	COMPACT_C("completed", "ksm_throttler_compact_completed_total",
	    "Compactions that ran to the end"),
	COMPACT_C("aborted_psi", "ksm_throttler_compact_aborted_psi_total",
	    "Compactions stopped by compact_psi_percent_limit"),
	COMPACT_C("aborted_time", "ksm_throttler_compact_aborted_time_total",
	    "Compactions stopped by compact_sec_max"),
	COMPACT_C("cancelled", "ksm_throttler_compact_cancelled_total",
	    "Compactions stopped because the engine was disabled"),
	COMPACT_C("failed", "ksm_throttler_compact_failed_total",
	    "Compactions the kernel refused"),
	COMPACT_C("seconds_total", "ksm_throttler_compact_seconds_total",
	    "Seconds spent compacting"),
	{ "compact.free_blocks", "ksm_throttler_compact_free_blocks",
	  METRIC_GAUGE, { NULL }, "Free blocks of compact_order and above" },
	{ "compact.last_run.free_blocks_before",
	  "ksm_throttler_compact_last_run_free_blocks_before", METRIC_GAUGE,
	  { NULL }, "Free blocks of compact_order and above before the last "
	  "compaction" },
	{ "compact.last_run.free_blocks_after",
	  "ksm_throttler_compact_last_run_free_blocks_after", METRIC_GAUGE,
	  { NULL }, "Free blocks of compact_order and above after the last "
	  "compaction: did it help?" },
	{ "process.cpu_seconds", "ksm_throttler_process_cpu_seconds_total",
	  METRIC_COUNTER, { NULL }, "CPU time ksm-throttlerd used" },
	{ "process.resident_bytes", "ksm_throttler_process_resident_bytes",
	  METRIC_GAUGE, { NULL }, "Resident memory of ksm-throttlerd" },
	{ "uptime_seconds", "ksm_throttler_uptime_seconds", METRIC_GAUGE,
	  { NULL }, "Seconds since ksm-throttlerd started" },
	{ "page_size_bytes", "ksm_throttler_page_size_bytes", METRIC_GAUGE,
	  { NULL }, "The host's page size, the unit of the page counts" },
};

/*
 * A client's connection.  bev is the bufferevent evhttp asked us for,
 * and a reference to it, until metrics_adopt finds the connection evhttp
 * built around it.
 */
struct metrics_conn {
	TAILQ_ENTRY(metrics_conn)	 entry;
	struct metrics			*m;
	struct bufferevent		*bev;
	struct evhttp_connection	*evcon;
	struct event			*deadline;
};

struct metrics {
	struct daemon			*d;
	struct evhttp			*http;
	struct evconnlistener		*listener;	/* http's */
	struct event			*backoff;	/* accept failed */
	struct event			*retry;		/* listen failed */
	struct event			*adopt;
	TAILQ_HEAD(, metrics_conn)	 conns;
	unsigned int			 nconns;
	int				 accept_failing;
	char				*listen;
	uint64_t			 scrapes;
};

/*
 * The listener's error callback is given evhttp's argument, not ours;
 * there is one metrics endpoint.
 */
static struct metrics	*metrics_self;

/* Label values escaped as the exposition format asks. */
static void
put_label_value(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\': evbuffer_add(b, "\\\\", 2); break;
		case '"': evbuffer_add(b, "\\\"", 2); break;
		case '\n': evbuffer_add(b, "\\n", 2); break;
		default: evbuffer_add(b, s, 1); break;
		}
	}
}

struct walk {
	const struct metric_desc *m;
	struct evbuffer		 *b;
	const char		 *vals[3];
	int			  nvals;
	int			  found;
};

static void
put_sample(struct walk *w, const cJSON *v)
{
	const struct metric_desc	*m = w->m;
	double				 x;
	int				 i, n = 0;

	if (m->type == METRIC_STATE) {
		if (!cJSON_IsString(v))
			return;
		x = 1;
	} else if (cJSON_IsNumber(v))
		x = v->valuedouble;
	else if (cJSON_IsBool(v))
		x = cJSON_IsTrue(v);
	else
		return;
	if (!w->found++)
		evbuffer_add_printf(w->b, "# HELP %s %s\n# TYPE %s %s\n",
		    m->name, m->help, m->name, metric_type_names[m->type]);
	evbuffer_add_printf(w->b, "%s", m->name);
	for (i = 0; i < 3 && m->labels[i] != NULL; i++) {
		const char *val = i < w->nvals ? w->vals[i] :
		    (m->type == METRIC_STATE ? v->valuestring : "");

		evbuffer_add_printf(w->b, "%s%s=\"", n++ ? "," : "{",
		    m->labels[i]);
		put_label_value(w->b, val);
		evbuffer_add(w->b, "\"", 1);
	}
	evbuffer_add_printf(w->b, "%s %.17g\n", n ? "}" : "", x);
}

static void
walk(struct walk *w, const cJSON *node, const char *path)
{
	char		 part[64];
	const char	*dot = strchr(path, '.');
	size_t		 len = dot ? (size_t)(dot - path) : strlen(path);
	const cJSON	*c;

	if (len >= sizeof(part) || !cJSON_IsObject(node))
		return;
	memcpy(part, path, len);
	part[len] = '\0';
	if (strcmp(part, "*") != 0) {
		c = cJSON_GetObjectItemCaseSensitive(node, part);
		if (c != NULL)
			dot ? walk(w, c, dot + 1) : put_sample(w, c);
		return;
	}
	if (w->nvals >= 3)
		return;
	cJSON_ArrayForEach(c, node) {
		w->vals[w->nvals++] = c->string;
		dot ? walk(w, c, dot + 1) : put_sample(w, c);
		w->nvals--;
	}
}

static void
add_process(cJSON *root)
{
	struct rusage	 ru;
	unsigned long	 size, rss;
	FILE		*f;
	cJSON		*p;

	p = cJSON_AddObjectToObject(root, "process");
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cJSON_AddNumberToObject(p, "cpu_seconds",
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	/* Our own process, not the --root tree: read the real /proc. */
	if ((f = fopen("/proc/self/statm", "re")) != NULL) {
		if (fscanf(f, "%lu %lu", &size, &rss) == 2)
			cJSON_AddNumberToObject(p, "resident_bytes",
			    (double)rss * (double)sysconf(_SC_PAGESIZE));
		fclose(f);
	}
}

/* The exposition text for the daemon's current status. */
static void
metrics_render(struct daemon *d, struct evbuffer *b)
{
	struct walk	 w;
	cJSON		*status;
	size_t		 i;

	status = daemon_status(d);
	add_process(status);
	for (i = 0; i < nitems(metric_table); i++) {
		memset(&w, 0, sizeof(w));
		w.m = &metric_table[i];
		w.b = b;
		walk(&w, status, w.m->path);
	}
	cJSON_Delete(status);
}

/* Accept while below the cap and not backing off. */
static void
metrics_accepting(struct metrics *m)
{
	if (m->listener == NULL)
		return;
	if (m->nconns < HTTP_MAX_CONNS && !evtimer_pending(m->backoff, NULL))
		evconnlistener_enable(m->listener);
	else
		evconnlistener_disable(m->listener);
}

static void
conn_free(struct metrics_conn *c)
{
	struct metrics	*m = c->m;

	TAILQ_REMOVE(&m->conns, c, entry);
	m->nconns--;
	if (c->bev != NULL)
		bufferevent_decref(c->bev);
	event_free(c->deadline);
	free(c);
	metrics_accepting(m);
}

/* evhttp is freeing it: the client left, was answered or timed out. */
static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	conn_free(arg);
}

static void
conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct metrics_conn	*c = arg;

	log_debug("metrics: no request within %d s, closing the connection",
	    HTTP_DEADLINE_SECS);
	evhttp_connection_free(c->evcon);	/* and conn_closed frees c */
}

static void
conn_arm(struct metrics_conn *c)
{
	struct timeval	 tv = { HTTP_DEADLINE_SECS, 0 };

	evtimer_add(c->deadline, &tv);
}

/*
 * evhttp accepted a connection and asks for its bufferevent.  libevent
 * 2.1 says nothing more of a new connection, and evhttp sets it up only
 * after this returns, so it is adopted when the accept is over.
 */
static struct bufferevent *
conn_new(struct event_base *base, void *arg)
{
	struct metrics		*m = arg;
	struct metrics_conn	*c;

	c = xcalloc(1, sizeof(*c));
	c->m = m;
	c->bev = bufferevent_socket_new(base, -1, 0);
	c->deadline = evtimer_new(base, conn_deadline, c);
	if (c->bev == NULL || c->deadline == NULL)
		fatalx("metrics: out of memory");
	/* Ours to look at until adopted, even if evhttp frees it. */
	bufferevent_incref(c->bev);
	TAILQ_INSERT_TAIL(&m->conns, c, entry);
	m->nconns++;
	m->accept_failing = 0;
	event_active(m->adopt, EV_TIMEOUT, 0);
	metrics_accepting(m);
	return c->bev;
}

/*
 * The connections accepted since last time.  evhttp passes its
 * connection to the bufferevent's callbacks, and freeing a bufferevent
 * clears them: no callback argument, no connection.
 */
static void
metrics_adopt(evutil_socket_t fd, short what, void *arg)
{
	struct metrics		*m = arg;
	struct metrics_conn	*c, *next;
	void			*evcon;

	for (c = TAILQ_FIRST(&m->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->bev == NULL)
			continue;
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
		bufferevent_decref(c->bev);
		c->bev = NULL;
		if (evcon == NULL) {
			conn_free(c);
			continue;
		}
		c->evcon = evcon;
		evhttp_connection_set_closecb(c->evcon, conn_closed, c);
		conn_arm(c);
	}
}

/* A request arrived: the next one on the connection has its own time. */
static void
conn_answered(struct metrics *m, struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct metrics_conn		*c;

	evcon = evhttp_request_get_connection(req);
	TAILQ_FOREACH(c, &m->conns, entry) {
		if (c->evcon == evcon) {
			conn_arm(c);
			return;
		}
	}
}

static void
metrics_reply(struct evhttp_request *req, void *arg)
{
	struct metrics		*m = arg;
	struct evbuffer		*b;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);

	conn_answered(m, req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	/* No body for HEAD: libevent would send it, unannounced. */
	if (cmd == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, "Out Of Memory");
		return;
	}
	m->scrapes++;
	metrics_render(m->d, b);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
metrics_notfound(struct evhttp_request *req, void *arg)
{
	conn_answered(arg, req);
	evhttp_send_error(req, 404, "Not Found: try /metrics");
}

/*
 * accept failed, most likely out of descriptors: the connection stays
 * queued and the socket readable, so accepting again at once would spin.
 * The first failure of a run is logged.
 */
static void
metrics_accept_error(struct evconnlistener *l, void *arg)
{
	struct metrics	*m = metrics_self;
	struct timeval	 tv = { ACCEPT_BACKOFF_SECS, 0 };

	if (!m->accept_failing) {
		errno = EVUTIL_SOCKET_ERROR();
		log_warn("metrics: accept, trying again every %d s",
		    ACCEPT_BACKOFF_SECS);
	}
	m->accept_failing = 1;
	evtimer_add(m->backoff, &tv);
	metrics_accepting(m);
}

static void
metrics_resume(evutil_socket_t fd, short what, void *arg)
{
	metrics_accepting(arg);
}

/* "127.0.0.1:9464", "[::1]:9464", ":9464" (every address). */
static int
listen_socket(const char *spec)
{
	struct addrinfo	 hints, *res, *ai;
	char		 host[256];
	const char	*colon, *h = host;
	size_t		 len;
	int		 fd = -1, one = 1, err = EINVAL;

	if ((colon = strrchr(spec, ':')) == NULL || colon[1] == '\0')
		return -EINVAL;
	len = (size_t)(colon - spec);
	if (len >= 2 && spec[0] == '[' && spec[len - 1] == ']') {
		spec++;
		len -= 2;
	}
	if (len >= sizeof(host))
		return -ENAMETOOLONG;
	memcpy(host, spec, len);
	host[len] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(len ? h : NULL, colon + 1, &hints, &res) != 0)
		return -EADDRNOTAVAIL;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, 64) == -1) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd == -1 ? -err : fd;
}

/* Listen on metrics.listen and serve it there; -errno if it cannot. */
static int
metrics_listen(struct metrics *m)
{
	int	 fd;

	if ((fd = listen_socket(m->listen)) < 0)
		return fd;
	m->listener = evconnlistener_new(m->d->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (m->listener == NULL) {
		close(fd);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(m->listener, metrics_accept_error);
	if ((m->http = evhttp_new(m->d->base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_max_headers_size(m->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, HTTP_MAX_BODY);
	evhttp_set_timeout(m->http, HTTP_TIMEOUT_SECS);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_cb(m->http, "/metrics", metrics_reply, m);
	evhttp_set_gencb(m->http, metrics_notfound, m);
	evhttp_set_bevcb(m->http, conn_new, m);
	if (evhttp_bind_listener(m->http, m->listener) == NULL) {
		evconnlistener_free(m->listener);
		m->listener = NULL;
		evhttp_free(m->http);
		m->http = NULL;
		return -ENOMEM;
	}
	log_info("metrics on http://%s/metrics", m->listen);
	return 0;
}

static void
metrics_close(struct metrics *m)
{
	struct metrics_conn	*c;

	evtimer_del(m->retry);
	evtimer_del(m->backoff);
	m->accept_failing = 0;
	m->listener = NULL;
	if (m->http != NULL)
		evhttp_free(m->http);	/* the listener, every connection */
	m->http = NULL;
	/* Accepted, but not adopted yet. */
	while ((c = TAILQ_FIRST(&m->conns)) != NULL)
		conn_free(c);
	free(m->listen);
	m->listen = NULL;
}

/*
 * metrics.listen, anew.  An address that cannot be listened on now (in
 * use, not configured yet) is tried again until it can be.
 */
static void
metrics_open(struct metrics *m)
{
	struct timeval	 tv = { LISTEN_RETRY_SECS, 0 };
	int		 r;

	metrics_close(m);
	m->listen = xstrdup(m->d->conf->metrics_listen);
	if (*m->listen == '\0' || (r = metrics_listen(m)) == 0)
		return;
	errno = -r;
	if (r == -EINVAL || r == -ENAMETOOLONG) {
		log_warn("metrics.listen %s: cannot listen, metrics are off",
		    m->listen);
		return;
	}
	log_warn("metrics.listen %s: cannot listen, metrics are off; "
	    "trying again every %d s", m->listen, LISTEN_RETRY_SECS);
	evtimer_add(m->retry, &tv);
}

static void
metrics_retry(evutil_socket_t fd, short what, void *arg)
{
	struct metrics	*m = arg;
	struct timeval	 tv = { LISTEN_RETRY_SECS, 0 };

	if (metrics_listen(m) < 0)
		evtimer_add(m->retry, &tv);
}

static int
metrics_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct metrics	*m;

	m = xcalloc(1, sizeof(*m));
	m->d = d;
	TAILQ_INIT(&m->conns);
	m->backoff = evtimer_new(d->base, metrics_resume, m);
	m->retry = evtimer_new(d->base, metrics_retry, m);
	m->adopt = event_new(d->base, -1, 0, metrics_adopt, m);
	if (m->backoff == NULL || m->retry == NULL || m->adopt == NULL)
		fatalx("metrics: out of memory");
	metrics_self = m;
	metrics_open(m);
	*statep = m;
	return 0;
}

static void
metrics_reconfigure(void *arg, const struct conf *old,
    const struct conf *fresh)
{
	struct metrics	*m = arg;

	if (strcmp(m->listen, m->d->conf->metrics_listen) != 0)
		metrics_open(m);
}

static void
metrics_status(void *arg, cJSON *root)
{
	struct metrics	*m = arg;
	cJSON		*o;

	o = cJSON_AddObjectToObject(root, "metrics");
	cJSON_AddStringToObject(o, "listen", m->listen);
	cJSON_AddBoolToObject(o, "serving", m->http != NULL);
	cJSON_AddNumberToObject(o, "scrapes", (double)m->scrapes);
}

static void
metrics_shutdown(void *arg)
{
	struct metrics	*m = arg;

	metrics_close(m);
	event_free(m->backoff);
	event_free(m->retry);
	event_free(m->adopt);
	metrics_self = NULL;
	free(m);
}

const struct module_ops engine_metrics = {
	.name = "metrics",
	.section = "metrics",
	.init = metrics_init,
	.reconfigure = metrics_reconfigure,
	.status = metrics_status,
	.shutdown = metrics_shutdown,
};
