/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compaction engine: wiring only.  At the end of each period it reads
 * /proc/pagetypeinfo, MemFree and PSI, asks compact-policy.c whether to
 * compact, and if so writes /proc/sys/vm/compact_memory (or the compact
 * file of each node that needs it) from a child process.  While the child
 * runs, a one-second timer samples PSI and kills it when the policy says
 * stop.  One run at a time; a disabled engine arms no timer.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "compact-policy.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "meminfo.h"
#include "offload.h"
#include "pagetypeinfo.h"
#include "psi.h"
#include "rootfs.h"
#include "util.h"

#define COMPACT_MEMORY	"/proc/sys/vm/compact_memory"
#define NODE_COMPACT	"/sys/devices/system/node/node%u/compact"
/* mem-agent's cadence: a running compaction is watched once a second. */
#define RUN_TICK_SECS	1
/*
 * Reading /proc/pagetypeinfo counts every free page under the zone locks:
 * a status or a scrape reads it at most this often.
 */
#define HOST_READ_SECS	10
#define USEC_PER_SEC	1000000ULL

enum compact_state {
	CS_OFF,
	CS_IDLE,
	CS_RUNNING,
	CS_STATE_MAX
};

static const char *state_names[CS_STATE_MAX] = {
	[CS_OFF] = "off",
	[CS_IDLE] = "idle",
	[CS_RUNNING] = "running",
};

/* Monotonic counters, named as status and metrics show them. */
enum compact_counter {
	CC_CHECKS,
	CC_RUNS,
	CC_FORCED,
	CC_NODE_RUNS,
	CC_SKIPPED_THRESHOLD,
	CC_SKIPPED_PSI,
	CC_COMPLETED,
	CC_ABORTED_PSI,
	CC_ABORTED_TIME,
	CC_CANCELLED,
	CC_FAILED,
	CC_COUNTER_MAX
};

static const char *counter_names[CC_COUNTER_MAX] = {
	[CC_CHECKS] = "checks",
	[CC_RUNS] = "runs",
	[CC_FORCED] = "forced",
	[CC_NODE_RUNS] = "node_runs",
	[CC_SKIPPED_THRESHOLD] = "skipped_threshold",
	[CC_SKIPPED_PSI] = "skipped_psi",
	[CC_COMPLETED] = "completed",
	[CC_ABORTED_PSI] = "aborted_psi",
	[CC_ABORTED_TIME] = "aborted_time",
	[CC_CANCELLED] = "cancelled",
	[CC_FAILED] = "failed",
};

/*
 * The run under way, or the last one.  ticks counts its seconds by the
 * one-second timer; psi is the last second's sample; nnodes 0 means the
 * whole host at once, else node[next] is the next node to write.
 */
struct compact_run {
	enum compact_verdict	 why;
	enum compact_stop	 stop;
	int			 cancelled;	/* disabled while running */
	uint64_t		 started_us;
	uint64_t		 ticks;
	struct psi_sample	 psi;
	uint64_t		 blocks_before;
	uint64_t		 blocks_after;
	uint64_t		 ms;
	enum compact_counter	 result;
	unsigned		 node[PTI_NODES_MAX];
	size_t			 nnodes;
	size_t			 next;
};

/*
 * The engine.  broken says which input failed (retrying: the engine is
 * off for it and looks again each period); waited is PSI when the
 * wait began (at wait_us); idle counts periods in a row without a run;
 * base and base_memfree (pages) are the host right after the last run.
 */
struct compact {
	struct daemon		*d;
	struct event		*period;
	struct event		*tick;
	struct offload		*job;
	enum compact_state	 state;
	char			 reason[256];
	char			 broken[256];
	int			 retrying;	/* off for a broken input */
	int			 nodes_refused;	/* a node's compact file refused
						   a write: compact_memory only */
	uint64_t		 wait_us;
	struct psi_sample	 waited;
	uint64_t		 idle;
	struct pagetypeinfo	 base;
	uint64_t		 base_memfree;
	uint64_t		 page_kb;
	struct compact_run	 run;
	int			 have_run;
	struct pagetypeinfo	 host;		/* as status shows it */
	uint64_t		 host_us;	/* ... read then; 0: never */
	uint64_t		 counter[CC_COUNTER_MAX];
	uint64_t		 ms_total;
};

static void	compact_check(evutil_socket_t, short, void *);
static void	compact_tick(evutil_socket_t, short, void *);
static void	run_written(int, uint64_t, void *);

static void
params_get(const struct conf *conf, struct compact_params *p)
{
	p->period_psi_percent_limit = conf->compact_period_psi_percent_limit;
	p->compact_psi_percent_limit = conf->compact_psi_percent_limit;
	p->compact_sec_max = conf->compact_sec_max;
	p->compact_threshold = conf->compact_threshold;
	p->compact_force_times = conf->compact_force_times;
}

static unsigned
order_get(const struct compact *c)
{
	return (unsigned)c->d->conf->compact_order;
}

/* Off, with the reason in the status; logged once, here. */
static void __attribute__((format(printf, 3, 4)))
go_off(struct compact *c, int warn, const char *fmt, ...)
{
	char	why[sizeof(c->reason)];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	evtimer_del(c->period);
	evtimer_del(c->tick);
	if (c->state != CS_OFF || strcmp(why, c->reason) != 0) {
		if (warn)
			log_warnx("compact: %s: the engine is off", why);
		else
			log_info("compact: %s: the engine is off", why);
	}
	c->state = CS_OFF;
	c->retrying = 0;
	snprintf(c->reason, sizeof(c->reason), "%s", why);
}

static void	wait_arm(struct compact *);

/*
 * An input failed (c->broken says which): off, with the reason, until a
 * look at the inputs at the end of a period finds them readable again.
 * Said once per reason.
 */
static void
go_broken(struct compact *c)
{
	evtimer_del(c->tick);
	if (c->state != CS_OFF || strcmp(c->broken, c->reason) != 0)
		log_warnx("compact: %s: the engine is off, looking again "
		    "every %llu s", c->broken,
		    (unsigned long long)c->d->conf->compact_period_secs);
	c->state = CS_OFF;
	c->retrying = 1;
	snprintf(c->reason, sizeof(c->reason), "%s", c->broken);
	c->wait_us = now_us();
	wait_arm(c);
}

static int
memfree_pages(const struct compact *c, uint64_t *pages)
{
	uint64_t	kb;
	int		r;

	if ((r = meminfo_read_field("MemFree", &kb)) < 0)
		return r;
	*pages = kb / c->page_kb;
	return 0;
}

/* An input the engine cannot do without failed: say which and why. */
static int
broken(struct compact *c, const char *what, int err)
{
	snprintf(c->broken, sizeof(c->broken), "%s: %s", what,
	    read_strerror(err));
	return -1;
}

/*
 * Everything a check reads; -1 with c->broken set if something failed,
 * and then nothing for the caller to free.
 */
static int
sample(struct compact *c, struct pagetypeinfo *pti, uint64_t *memfree,
    struct psi_sample *psi)
{
	int	r;

	if ((r = pti_read(pti)) < 0)
		return broken(c, "/proc/pagetypeinfo", r);
	if ((r = memfree_pages(c, memfree)) < 0) {
		pti_clear(pti);
		return broken(c, "/proc/meminfo MemFree", r);
	}
	if ((r = psi_sample_system(psi)) < 0) {
		pti_clear(pti);
		return broken(c, "/proc/pressure (PSI)", r);
	}
	return 0;
}

static void
wait_arm(struct compact *c)
{
	uint64_t	period = c->d->conf->compact_period_secs * USEC_PER_SEC;
	uint64_t	now = now_us(), left = 0;
	struct timeval	tv;

	if (c->wait_us + period > now)
		left = c->wait_us + period - now;
	tv.tv_sec = (time_t)(left / USEC_PER_SEC);
	tv.tv_usec = (suseconds_t)(left % USEC_PER_SEC);
	evtimer_add(c->period, &tv);
}

/* A new wait: PSI is measured over it, the check comes at its end. */
static void
wait_begin(struct compact *c)
{
	int	r;

	if ((r = psi_sample_system(&c->waited)) < 0) {
		broken(c, "/proc/pressure (PSI)", r);
		go_broken(c);
		return;
	}
	c->state = CS_IDLE;
	c->wait_us = now_us();
	wait_arm(c);
}

/* Probe the inputs; idle and waiting if all are there, off otherwise. */
static void
compact_start(struct compact *c)
{
	struct pagetypeinfo	pti = { 0 };
	struct psi_sample	psi;
	uint64_t		memfree;

	c->broken[0] = '\0';
	c->nodes_refused = 0;
	if (c->d->conf->compact_disabled) {
		go_off(c, 0, "disabled by configuration");
		return;
	}
	if (!rootfs_exists(COMPACT_MEMORY)) {
		go_off(c, 1, "%s not found (kernel without CONFIG_COMPACTION?)",
		    COMPACT_MEMORY);
		return;
	}
	if (sample(c, &pti, &memfree, &psi) < 0) {
		go_broken(c);
		return;
	}
	if (order_get(c) >= pti.orders)
		log_warnx("compact: compact_order %u: this kernel has no free "
		    "blocks that large; free_blocks stays 0", order_get(c));
	pti_clear(&pti);
	snprintf(c->reason, sizeof(c->reason), "waiting");
	log_info("compact: %schecking every %llu s", c->retrying ?
	    "inputs readable again, " : "",
	    (unsigned long long)c->d->conf->compact_period_secs);
	c->retrying = 0;
	wait_begin(c);
}

/* Nodes present in a table, ascending. */
static size_t
nodes_present(const struct pagetypeinfo *pti, unsigned *node)
{
	unsigned char	seen[PTI_NODES_MAX];
	size_t		i, n = 0;
	unsigned	id;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < pti->nzones; i++)
		seen[pti->zones[i].node] = 1;
	for (id = 0; id < PTI_NODES_MAX; id++)
		if (seen[id])
			node[n++] = id;
	return n;
}

/*
 * When fragments grew, compact only the nodes where they grew, through
 * their own compact files: a node with nothing new to gather is left
 * alone.  Forced runs, runs for MemFree, one-node hosts, hosts whose
 * every node needs it, and hosts where a node's file refused a write use
 * compact_memory.
 */
static void
run_targets(struct compact *c, const struct pagetypeinfo *pti)
{
	struct compact_run	*r = &c->run;
	unsigned		 all[PTI_NODES_MAX], order = order_get(c);
	char			 path[64];
	size_t			 i, n;

	r->nnodes = 0;
	if (r->why != COMPACT_RUN_FRAGMENTED || c->nodes_refused ||
	    (n = nodes_present(pti, all)) < 2)
		return;
	for (i = 0; i < n; i++) {
		if (xsnprintf(path, sizeof(path), NODE_COMPACT, all[i]) < 0 ||
		    !rootfs_exists(path)) {
			r->nnodes = 0;
			return;
		}
		if (pti_movable_below(pti, order, (int)all[i]) >
		    pti_movable_below(&c->base, order, (int)all[i]))
			r->node[r->nnodes++] = all[i];
	}
	if (r->nnodes == n)
		r->nnodes = 0;
}

/* Start the next write of the run: 0, or -errno if it could not start. */
static int
run_write_next(struct compact *c)
{
	struct compact_run	*r = &c->run;
	char			 path[64];
	int			 e;

	if (r->nnodes == 0)
		snprintf(path, sizeof(path), "%s", COMPACT_MEMORY);
	else if ((e = xsnprintf(path, sizeof(path), NODE_COMPACT,
	    r->node[r->next])) < 0)
		return e;
	r->next++;
	log_debug("compact: writing 1 to %s", path);
	errno = 0;
	if ((c->job = offload_write(c->d->base, path, "1", run_written,
	    c)) == NULL)
		return errno != 0 ? -errno : -EAGAIN;
	return 0;
}

static void	run_finish(struct compact *, int);

static void
run_start(struct compact *c, enum compact_verdict why,
    const struct pagetypeinfo *pti, const struct psi_sample *psi)
{
	struct compact_run	*r = &c->run;
	struct timeval		 tv = { RUN_TICK_SECS, 0 };
	int			 e;

	memset(r, 0, sizeof(*r));
	c->have_run = 1;
	r->why = why;
	r->started_us = psi->when_us;
	r->psi = *psi;
	r->blocks_before = pti_free_blocks(pti, order_get(c), -1);
	run_targets(c, pti);
	c->counter[CC_RUNS]++;
	if (why == COMPACT_RUN_FORCED)
		c->counter[CC_FORCED]++;
	if (r->nnodes > 0)
		c->counter[CC_NODE_RUNS]++;
	c->state = CS_RUNNING;
	snprintf(c->reason, sizeof(c->reason), "compacting (%s)",
	    compact_verdict_name(why));
	log_info("compact: compacting %s (%s): %llu free blocks of order "
	    ">= %u", r->nnodes ? "some nodes" : "all memory",
	    compact_verdict_name(why), (unsigned long long)r->blocks_before,
	    order_get(c));
	evtimer_add(c->tick, &tv);
	if ((e = run_write_next(c)) < 0)
		run_finish(c, e);
}

static void
compact_check(evutil_socket_t fd, short what, void *arg)
{
	struct compact		*c = arg;
	struct compact_params	 p;
	struct compact_counts	 base, cur;
	struct pagetypeinfo	 pti = { 0 };
	struct psi_sample	 psi;
	enum compact_verdict	 v;
	unsigned		 order = order_get(c);

	if (c->state == CS_OFF) {
		compact_start(c);	/* off for a broken input: look again */
		return;
	}
	c->counter[CC_CHECKS]++;
	if (sample(c, &pti, &cur.memfree, &psi) < 0) {
		go_broken(c);
		return;
	}
	cur.movable_below = pti_movable_below(&pti, order, -1);
	base.movable_below = pti_movable_below(&c->base, order, -1);
	base.memfree = c->base_memfree;
	params_get(c->d->conf, &p);
	v = compact_decide(&p, c->idle, &base, &cur, &c->waited, &psi);
	log_debug("compact: %s: stall %.2f%% over the wait, fragments %llu "
	    "(after the last run %llu), MemFree %llu pages (%llu), %llu "
	    "periods without a run", compact_verdict_name(v),
	    psi_stall_percent(&c->waited, &psi),
	    (unsigned long long)cur.movable_below,
	    (unsigned long long)base.movable_below,
	    (unsigned long long)cur.memfree, (unsigned long long)base.memfree,
	    (unsigned long long)c->idle);
	if (compact_verdict_runs(v))
		run_start(c, v, &pti, &psi);
	else {
		c->idle++;
		c->counter[v == COMPACT_SKIP_PSI ? CC_SKIPPED_PSI :
		    CC_SKIPPED_THRESHOLD]++;
		snprintf(c->reason, sizeof(c->reason), "waiting (last check: "
		    "%s)", compact_verdict_name(v));
		wait_begin(c);
	}
	pti_clear(&pti);
}

static void
compact_tick(evutil_socket_t fd, short what, void *arg)
{
	struct compact		*c = arg;
	struct compact_run	*r = &c->run;
	struct compact_params	 p;
	struct psi_sample	 now;
	int			 e;

	if (r->stop != COMPACT_GO_ON || r->cancelled)
		return;		/* killed; waiting for the child */
	if ((e = psi_sample_system(&now)) < 0) {
		broken(c, "/proc/pressure (PSI)", e);
		log_warnx("compact: %s: stopping", c->broken);
		r->stop = COMPACT_STOP_PSI;
	} else {
		params_get(c->d->conf, &p);
		r->ticks++;
		r->stop = compact_check_run(&p, r->ticks * USEC_PER_SEC,
		    &r->psi, &now);
		if (r->stop == COMPACT_STOP_PSI)
			log_info("compact: stall %.2f%% in the last second "
			    "exceeds %llu%%: stopping",
			    psi_stall_percent(&r->psi, &now),
			    (unsigned long long)p.compact_psi_percent_limit);
		else if (r->stop == COMPACT_STOP_TIME)
			log_info("compact: ran compact_sec_max (%llu s): "
			    "stopping", (unsigned long long)p.compact_sec_max);
		r->psi = now;
	}
	if (r->stop != COMPACT_GO_ON) {
		evtimer_del(c->tick);
		offload_kill(c->job);
	}
}

/* A write ended: the next node, or the end of the run. */
static void
run_written(int err, uint64_t ms, void *arg)
{
	struct compact		*c = arg;
	struct compact_run	*r = &c->run;

	c->job = NULL;
	if (err == 0 && r->stop == COMPACT_GO_ON && !r->cancelled &&
	    r->nnodes > 0 && r->next < r->nnodes &&
	    (err = run_write_next(c)) == 0)
		return;
	run_finish(c, err);
}

static enum compact_counter
run_result(const struct compact_run *r, int err)
{
	if (err == 0)
		return CC_COMPLETED;
	if (r->cancelled)
		return CC_CANCELLED;
	if (r->stop == COMPACT_STOP_PSI)
		return CC_ABORTED_PSI;
	if (r->stop == COMPACT_STOP_TIME)
		return CC_ABORTED_TIME;
	return CC_FAILED;
}

/* The new baseline: what the host looks like right after this run. */
static int
run_rebase(struct compact *c)
{
	struct pagetypeinfo	pti = { 0 };
	struct psi_sample	psi;
	uint64_t		memfree;

	if (sample(c, &pti, &memfree, &psi) < 0)
		return -1;
	c->run.blocks_after = pti_free_blocks(&pti, order_get(c), -1);
	pti_clear(&c->base);
	c->base = pti;
	c->base_memfree = memfree;
	c->idle = 0;
	return 0;
}

static void
run_finish(struct compact *c, int err)
{
	struct compact_run	*r = &c->run;
	const char		*res;

	evtimer_del(c->tick);
	r->ms = (now_us() - r->started_us) / 1000;
	c->ms_total += r->ms;
	r->result = run_result(r, err);
	c->counter[r->result]++;
	res = counter_names[r->result];
	if (r->result == CC_FAILED) {
		errno = -err;
		log_warn("compact: compaction failed after %.1f s",
		    (double)r->ms / 1000);
		if (err == -ENOENT || err == -EACCES || err == -EPERM ||
		    err == -EROFS) {
			if (r->nnodes == 0) {
				go_off(c, 1, "cannot write the compact file: "
				    "%s", strerror(-err));
				return;
			}
			/* A node's file: compact_memory still compacts. */
			log_warnx("compact: node %u's compact file: %s: all "
			    "memory is compacted at once from now on",
			    r->node[r->next - 1], strerror(-err));
			c->nodes_refused = 1;
		}
	}
	/*
	 * A failed run may have compacted some: its counts start anew too.
	 * What the run's ticks found broken is looked at again here.
	 */
	c->broken[0] = '\0';
	if (run_rebase(c) == 0 && r->result != CC_FAILED)
		log_info("compact: %s after %.2f s: free blocks of order >= "
		    "%u: %llu -> %llu", res, (double)r->ms / 1000,
		    order_get(c), (unsigned long long)r->blocks_before,
		    (unsigned long long)r->blocks_after);
	if (c->d->conf->compact_disabled)
		go_off(c, 0, "disabled by configuration");
	else if (c->broken[0] != '\0')
		go_broken(c);
	else {
		snprintf(c->reason, sizeof(c->reason), "waiting (last run: %s)",
		    res);
		wait_begin(c);
	}
}

/*
 * A live change.  Limits are read afresh at each use, so a running
 * compaction obeys a new compact_sec_max at once; disabling stops it.
 * Re-enabling probes the inputs again (an engine off for a broken input
 * also does so by itself each period).  A new period counts from the
 * start of the current wait.
 */
static void
compact_reconfigure(void *arg, const struct conf *old,
    const struct conf *fresh)
{
	struct compact	*c = arg;

	if (c->state == CS_RUNNING) {
		if (c->d->conf->compact_disabled && !c->run.cancelled) {
			log_info("compact: disabled while running: stopping");
			c->run.cancelled = 1;
			evtimer_del(c->tick);
			offload_kill(c->job);
		}
		return;		/* the end of the run applies the rest */
	}
	if (c->d->conf->compact_disabled || c->state == CS_OFF) {
		compact_start(c);
		return;
	}
	if (c->d->conf->compact_period_secs != old->compact_period_secs) {
		evtimer_del(c->period);
		wait_arm(c);
	}
}

static void
run_json(const struct compact *c, cJSON *o)
{
	const struct compact_run	*r = &c->run;
	cJSON				*nodes;
	size_t				 i;

	cJSON_AddStringToObject(o, "reason", compact_verdict_name(r->why));
	cJSON_AddStringToObject(o, "result", c->state == CS_RUNNING ?
	    "running" : counter_names[r->result]);
	cJSON_AddNumberToObject(o, "seconds", c->state == CS_RUNNING ?
	    (double)(now_us() - r->started_us) / USEC_PER_SEC :
	    (double)r->ms / 1000);
	cJSON_AddNumberToObject(o, "free_blocks_before",
	    (double)r->blocks_before);
	if (c->state != CS_RUNNING && r->result != CC_FAILED)
		cJSON_AddNumberToObject(o, "free_blocks_after",
		    (double)r->blocks_after);
	if (r->nnodes == 0) {
		cJSON_AddStringToObject(o, "nodes", "all");
		return;
	}
	nodes = cJSON_AddArrayToObject(o, "nodes");
	for (i = 0; i < r->nnodes; i++)
		cJSON_AddItemToArray(nodes, cJSON_CreateNumber(r->node[i]));
}

/* What the host looks like now (HOST_READ_SECS ago at most), if known. */
static void
host_json(struct compact *c, cJSON *o)
{
	struct pagetypeinfo	pti = { 0 };
	unsigned		order = order_get(c);
	uint64_t		now = now_us();

	if (c->host_us == 0 || now - c->host_us >= HOST_READ_SECS *
	    USEC_PER_SEC) {
		if (pti_read(&pti) < 0)
			return;
		pti_clear(&c->host);
		c->host = pti;
		c->host_us = now;
	}
	cJSON_AddNumberToObject(o, "free_blocks",
	    (double)pti_free_blocks(&c->host, order, -1));
	cJSON_AddNumberToObject(o, "fragment_pages",
	    (double)pti_movable_below(&c->host, order, -1));
	cJSON_AddNumberToObject(o, "fragment_pages_after_last_run",
	    (double)pti_movable_below(&c->base, order, -1));
	cJSON_AddBoolToObject(o, "pagetypeinfo_capped", c->host.capped);
}

static void
compact_status(void *arg, cJSON *root)
{
	struct compact	*c = arg;
	cJSON		*o;
	int		 i;

	o = cJSON_AddObjectToObject(root, "compact");
	cJSON_AddStringToObject(o, "state", state_names[c->state]);
	cJSON_AddStringToObject(o, "reason", c->reason);
	for (i = 0; i < CC_COUNTER_MAX; i++)
		cJSON_AddNumberToObject(o, counter_names[i],
		    (double)c->counter[i]);
	cJSON_AddNumberToObject(o, "seconds_total", (double)c->ms_total / 1000);
	cJSON_AddNumberToObject(o, "periods_without_run", (double)c->idle);
	cJSON_AddNumberToObject(o, "compact_order", (double)order_get(c));
	if (c->state != CS_OFF)
		host_json(c, o);
	if (c->have_run)
		run_json(c, cJSON_AddObjectToObject(o, "last_run"));
}

static void
compact_shutdown(void *arg)
{
	struct compact	*c = arg;

	if (c->job != NULL)
		offload_cancel(c->job);
	event_free(c->tick);
	event_free(c->period);
	pti_clear(&c->base);
	pti_clear(&c->host);
	free(c);
}

static int
compact_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct compact	*c;
	long		 pagesize = sysconf(_SC_PAGESIZE);

	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->page_kb = pagesize >= 1024 ? (uint64_t)pagesize / 1024 : 4;
	c->state = CS_OFF;
	if ((c->period = evtimer_new(d->base, compact_check, c)) == NULL ||
	    (c->tick = event_new(d->base, -1, EV_PERSIST, compact_tick,
	    c)) == NULL)
		fatalx("compact: evtimer_new");
	compact_start(c);
	*statep = c;
	return 0;
}

const struct module_ops engine_compact = {
	.name = "compact",
	.section = "compact",
	.init = compact_init,
	.on_event = NULL,
	.reconfigure = compact_reconfigure,
	.status = compact_status,
	.shutdown = compact_shutdown,
};
