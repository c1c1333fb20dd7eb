/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg reclaim engine: finding the host's memory cgroup hierarchy
 * and reclaim method (memcg-backend.h), one timer at the earliest due
 * cgroup or discovery (none when there is nothing to do), a pass at a
 * time (memcg-job.c) over the cgroups it tracks (memcg-track.c), live
 * configuration changes, status, and the module's life cycle.  What it
 * changes on the host besides reclaiming goes through memcg-hostset.c.
 */
#include "config.h"

#include <sys/time.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "memcg-engine.h"
#include "meminfo.h"
#include "util.h"
#include "vm-registry.h"

/* Off for want of a memory controller: looked for every period, or this. */
#define PROBE_SECS_MAX		60

static const char *state_names[MEMCG_STATE_MAX] = {
	[MEMCG_OFF] = "off",
	[MEMCG_DISABLED] = "disabled",
	[MEMCG_IDLE] = "idle",
	[MEMCG_WAITING] = "waiting",
	[MEMCG_RUNNING] = "running",
};

/* ---- the host ------------------------------------------------------- */

static const struct memcg_hier *hierarchies[] = {
	&memcg_cgroup_v2,
	&memcg_cgroup_v1,
	NULL,
};

/* memcg.backend's choices; auto is MGLRU, else the hierarchy's own. */
static const struct memcg_method *methods[MEMCG_BACKEND_CHOICE_MAX] = {
	[MEMCG_BACKEND_MGLRU] = &memcg_mglru,
	[MEMCG_BACKEND_RECLAIM] = &memcg_reclaim,
	[MEMCG_BACKEND_FORCE_EMPTY] = &memcg_force_empty,
};

/* The method usable, turned on if it asks to be (through the hostset). */
static int
method_open(struct memcg *m, const struct memcg_method *mt, const char **why)
{
	int	r;

	r = mt->detect(&m->host);
	if (r == MEMCG_DETECT_OFF && (mt->flags & MEMCG_METHOD_LRU_GEN))
		r = memcg_hostset_set(m->hostset, MEMCG_KNOB_LRU_GEN, NULL,
		    "y");
	if (r == 0) {
		m->host.method = mt;
		return 0;
	}
	*why = r == -ENODEV ? "memcg.backend names an interface this host "
	    "does not have" : mt->missing;
	return r < 0 ? r : -ENOTSUP;
}

static int
host_open(struct memcg *m, int choice, const char **why)
{
	struct memcg_host	*h = &m->host;
	size_t			 i;

	memset(h, 0, sizeof(*h));
	h->reclaim_swappiness = -1;
	h->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	for (i = 0; hierarchies[i] != NULL && h->hier == NULL; i++)
		if (hierarchies[i]->detect(h) == 0)
			h->hier = hierarchies[i];
	if (h->hier == NULL) {
		*why = "no memory cgroup controller is mounted";
		return -ENOENT;
	}
	if (choice != MEMCG_BACKEND_AUTO)
		return method_open(m, methods[choice], why);
	if (method_open(m, &memcg_mglru, why) == 0)
		return 0;
	return method_open(m, h->hier->reclaim, why);
}

static int
swap_available(struct memcg *m)
{
	uint64_t	kb;

	return meminfo_read_field("SwapFree", &kb) == 0 &&
	    memcg_swap_available(kb, m->host.page_size);
}

static void
memcg_tick(evutil_socket_t fd, short what, void *arg)
{
	struct memcg		*m = arg;
	struct memcg_sched_params p;
	uint64_t		 now = daemon_now(m->d);
	unsigned		 due;

	due = memcg_sched_step(&m->sched, memcg_sched_params(m, &p), now);
	if (due & MEMCG_DISCOVER_GLOBS)
		memcg_discover_globs(m);
	if (due & MEMCG_DISCOVER_CACHE)
		memcg_discover_cache(m);
	m->swap_avail = swap_available(m);
	memcg_pass_start(m, due & MEMCG_DISCOVER_CACHE, now);
}

/* ---- the engine ----------------------------------------------------- */

static void
memcg_on_event(void *arg, const struct vm_event *ev)
{
	struct memcg	*m = arg;

	if (m->state == MEMCG_OFF || m->state == MEMCG_DISABLED)
		return;
	switch (ev->type) {
	case VM_CREATED:
		if (ev->cgroup == NULL || *ev->cgroup == '\0')
			return;
		memcg_vm_created(m, ev);
		break;
	case VM_DESTROYED:
		if (!memcg_vm_destroyed(m, ev))
			return;
		break;
	default:
		return;
	}
	memcg_arm(m);
}

/* Discovery and first deadlines, on start or when enabled again. */
static void
memcg_begin(struct memcg *m)
{
	struct memcg_sched_params p;
	struct memcg_cg		*cg;
	uint64_t		 now = daemon_now(m->d);

	TAILQ_FOREACH(cg, &m->cgs, entry) {
		cg->next_due_ms = now + cg->set.period_secs * 1000;
		memcg_wait_start(m, cg, MEMCG_JOB_PERIOD);
		memcg_wait_start(m, cg, MEMCG_JOB_CACHE);
	}
	memcg_discover_globs(m);
	memcg_discover_cache(m);
	memcg_sched_start(&m->sched, memcg_sched_params(m, &p), now);
	m->state = MEMCG_IDLE;
	memcg_arm(m);
}

/*
 * The host's memory cgroup interface found, the state a crash left put
 * right, and to work.  With none the engine is off, the state file kept
 * for when there is one, and it looks again every period (at most a
 * minute) and at a change of its configuration: a controller mounted
 * after the daemon started, or a memcg.backend the host has, turns it on.
 * Disabled, it does not even look: it changes nothing on the host, not
 * even MGLRU's switch, until a change of its configuration enables it.
 */
static void
memcg_start(struct memcg *m)
{
	struct daemon	*d = m->d;
	struct timeval	 tv = { 0, 0 };
	const char	*why = "", *was = m->reason;

	if (d->conf->memcg_disabled) {
		evtimer_del(m->probe);
		m->state = MEMCG_DISABLED;
		m->reason = "disabled by configuration";
		return;
	}
	if (host_open(m, d->conf->memcg_backend, &why) < 0) {
		m->state = MEMCG_OFF;
		m->reason = why;
		tv.tv_sec = (time_t)(d->conf->memcg_period_secs < PROBE_SECS_MAX ?
		    d->conf->memcg_period_secs : PROBE_SECS_MAX);
		evtimer_add(m->probe, &tv);
		if (was != NULL && strcmp(was, why) == 0)
			return;		/* said already */
		log_info("memcg: off: %s; looking again every %lld s", why,
		    (long long)tv.tv_sec);
		memcg_hostset_recover(m->hostset);
		return;
	}
	evtimer_del(m->probe);
	log_info("memcg: backend %s, cgroup v%d at %s%s%s",
	    m->host.method->name, m->host.version, m->host.mount,
	    m->host.method != m->host.hier->reclaim ?
	    ", cache reclaim with " : "",
	    m->host.method != m->host.hier->reclaim ?
	    m->host.hier->reclaim->name : "");
	if (memcg_method_swaps(&m->host, m->host.method) && swap_available(m))
		log_info("memcg: this host has swap and %s takes anon pages "
		    "too: period runs only where memcg.swap allows swapping",
		    m->host.method->name);
	memcg_hostset_recover(m->hostset);
	memcg_begin(m);
}

/*
 * Off or disabled: is there a memory controller now, or may it work?  The
 * VMs known are taken up.
 */
static void
memcg_probe(evutil_socket_t fd, short what, void *arg)
{
	struct memcg	*m = arg;

	memcg_start(m);
	if (m->state != MEMCG_OFF && m->state != MEMCG_DISABLED)
		vms_replay(m->d, memcg_on_event, m);
}

/*
 * Disabled while it ran: what it changed on the host goes back, and it
 * lets go of every cgroup; enabled again, it starts from the VMs known.
 */
static void
memcg_disable(struct memcg *m)
{
	struct memcg_cg	*cg;

	memcg_pass_cancel(m);
	evtimer_del(m->timer);
	memcg_hostset_restore_all(m->hostset);
	while ((cg = TAILQ_FIRST(&m->cgs)) != NULL)
		memcg_cg_free(m, cg);
	m->state = MEMCG_DISABLED;
	m->reason = "disabled by configuration";
}

static int
memcg_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct memcg	*m;

	m = xcalloc(1, sizeof(*m));
	m->d = d;
	TAILQ_INIT(&m->cgs);
	m->hostset = memcg_hostset_new(&m->host, d->ledger);
	if ((m->timer = evtimer_new(d->base, memcg_tick, m)) == NULL ||
	    (m->watch = evtimer_new(d->base, memcg_job_watch, m)) == NULL ||
	    (m->probe = evtimer_new(d->base, memcg_probe, m)) == NULL)
		fatalx("evtimer_new");
	*statep = m;
	memcg_start(m);
	return 0;
}

/*
 * A live change: settings of every tracked cgroup anew, deadlines of
 * those whose period changed counted from their last run, discovery
 * again if what to discover changed.  A running pass finishes first;
 * it re-arms the timer, so two passes never run at once.
 */
static void
memcg_reconfigure(void *arg, const struct conf *old,
    const struct conf *fresh)
{
	struct memcg		*m = arg;
	const struct conf	*c = m->d->conf;
	struct memcg_sched_params p;
	struct memcg_cg		*cg;
	uint64_t		 now = daemon_now(m->d), period;

	/* Off: memcg.backend may name one the host has now. */
	if (m->state == MEMCG_OFF || m->state == MEMCG_DISABLED) {
		memcg_probe(-1, 0, m);
		return;
	}
	if (old->memcg_backend != c->memcg_backend)
		log_info("memcg: memcg.backend takes effect at the next start");
	if (c->memcg_disabled) {
		memcg_disable(m);
		return;
	}
	TAILQ_FOREACH(cg, &m->cgs, entry) {
		period = cg->set.period_secs;
		memcg_cg_configure(m, cg);
		if (cg->set.period_secs != period)
			cg->next_due_ms = memcg_period_due(cg->last_run_ms,
			    cg->set.period_secs, now);
	}
	memcg_sched_params(m, &p);
	if (!cJSON_Compare(old->memcg_cgroups, c->memcg_cgroups, 1) ||
	    old->memcg_period_secs != c->memcg_period_secs) {
		memcg_discover_globs(m);
		m->sched.next_discovery_ms = now + p.discovery_ms;
	}
	if (strcmp(old->cache_reclaim_parent, c->cache_reclaim_parent) != 0 ||
	    old->cache_reclaim_interval_secs != c->cache_reclaim_interval_secs) {
		memcg_discover_cache(m);
		m->sched.next_cache_ms = now + p.cache_ms;
	}
	memcg_arm(m);
}

static void
counters_json(cJSON *o, const struct memcg_counters *n, uint64_t page_size)
{
	cJSON	*s;
	int	 i;

	cJSON_AddNumberToObject(o, "runs", (double)n->runs);
	cJSON_AddNumberToObject(o, "psi_skips", (double)n->psi_skips);
	cJSON_AddNumberToObject(o, "aging_runs", (double)n->aging_runs);
	cJSON_AddNumberToObject(o, "reclaims", (double)n->reclaims);
	cJSON_AddNumberToObject(o, "cache_checks", (double)n->cache_checks);
	cJSON_AddNumberToObject(o, "cache_reclaims", (double)n->cache_reclaims);
	cJSON_AddNumberToObject(o, "reclaimed_bytes",
	    (double)n->reclaimed_bytes);
	cJSON_AddNumberToObject(o, "reclaimed_pages",
	    (double)(n->reclaimed_bytes / (page_size ? page_size : 4096)));
	cJSON_AddNumberToObject(o, "evicted_pages", (double)n->evicted_pages);
	cJSON_AddNumberToObject(o, "errors", (double)n->errors);
	s = cJSON_AddObjectToObject(o, "stops");
	for (i = MEMCG_STOP_NONE + 1; i < MEMCG_STOP_MAX; i++)
		cJSON_AddNumberToObject(s, memcg_stop_name(i),
		    (double)n->stops[i]);
}

static cJSON *
cg_json(struct memcg *m, const struct memcg_cg *cg)
{
	cJSON	*o, *src;
	uint64_t now = daemon_now(m->d);

	o = cJSON_CreateObject();
	src = cJSON_AddArrayToObject(o, "sources");
	if (cg->src & SRC_EVENT)
		cJSON_AddItemToArray(src, cJSON_CreateString("event"));
	if (cg->src & SRC_GLOB)
		cJSON_AddItemToArray(src, cJSON_CreateString("glob"));
	if (cg->src & SRC_CACHE)
		cJSON_AddItemToArray(src, cJSON_CreateString("cache"));
	if (cg->vm_id != NULL)
		cJSON_AddStringToObject(o, "vm", cg->vm_id);
	if (cg->class_name != NULL)
		cJSON_AddStringToObject(o, "class", cg->class_name);
	cJSON_AddBoolToObject(o, "disabled", cg->set.disabled);
	cJSON_AddNumberToObject(o, "period_secs", (double)cg->set.period_secs);
	if (cg->src & SRC_PERIOD)
		cJSON_AddNumberToObject(o, "next_run_in_ms",
		    cg->next_due_ms > now ? (double)(cg->next_due_ms - now) : 0);
	cJSON_AddNumberToObject(o, "aging_count", (double)cg->aging_count);
	cJSON_AddStringToObject(o, "last_stop", memcg_stop_name(cg->last_stop));
	cJSON_AddStringToObject(o, "last_error", cg->last_error);
	counters_json(o, &cg->n, m->host.page_size);
	return o;
}

static void
memcg_status(void *arg, cJSON *root)
{
	struct memcg		*m = arg;
	const struct memcg_cg	*cg;
	cJSON			*o, *cgs;

	o = cJSON_AddObjectToObject(root, "memcg");
	cJSON_AddStringToObject(o, "state", state_names[m->state]);
	cJSON_AddStringToObject(o, "reason", m->reason ? m->reason : "");
	cJSON_AddStringToObject(o, "backend", m->host.method ?
	    m->host.method->name : "none");
	cJSON_AddStringToObject(o, "cache_backend", m->host.hier ?
	    m->host.hier->reclaim->name : "none");
	cJSON_AddNumberToObject(o, "cgroup_version", m->host.version);
	cJSON_AddStringToObject(o, "mount", m->host.mount);
	cJSON_AddNumberToObject(o, "passes", (double)m->passes);
	cJSON_AddNumberToObject(o, "tracked", (double)m->ncgs);
	counters_json(cJSON_AddObjectToObject(o, "totals"), &m->total,
	    m->host.page_size);
	cgs = cJSON_AddObjectToObject(o, "cgroups");
	TAILQ_FOREACH(cg, &m->cgs, entry)
		if (!cg->dead)
			cJSON_AddItemToObject(cgs, cg->path, cg_json(m, cg));
}

static void
memcg_shutdown(void *arg)
{
	struct memcg		*m = arg;
	struct memcg_cg		*cg;

	memcg_pass_cancel(m);
	memcg_hostset_restore_all(m->hostset);
	while ((cg = TAILQ_FIRST(&m->cgs)) != NULL)
		memcg_cg_free(m, cg);
	memcg_hostset_free(m->hostset);
	event_free(m->timer);
	event_free(m->watch);
	event_free(m->probe);
	free(m);
}

const struct module_ops engine_memcg = {
	.name = "memcg",
	.section = "memcg",
	.init = memcg_init,
	.on_event = memcg_on_event,
	.reconfigure = memcg_reconfigure,
	.status = memcg_status,
	.shutdown = memcg_shutdown,
};
