/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM throttle engine: wiring only.  It samples KSM, free memory and
 * the mergeable processes, hands them with the events seen since the last
 * step to the pure policy (ksm-policy.c), writes the knobs the policy
 * wants in the order and where ksm-plan.c says, and sleeps until the
 * policy wants to look again.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "ksm-sysfs.h"
#include "log.h"
#include "mergeable.h"
#include "ksm-plan.h"
#include "ksm-policy.h"
#include "util.h"

/*
 * Status and scrapes show a sample taken anew when the one they showed
 * last is older than this, or the engine has written knobs since: a
 * burst of requests reads sysfs once at most.
 */
#define STATUS_FRESH_MS		1000

struct throttle {
	struct daemon		*d;
	struct event		*timer;
	struct policy		*pol;
	int			 off;
	const char		*off_reason;
	uint64_t		 last_step_ms;

	/* Events since the last step. */
	unsigned		 created;
	unsigned		 kicks;
	unsigned		 destroyed;
	uint64_t		 announced_pages;

	/* The last walk of /proc. */
	uint64_t		 probe_ms;	/* freshness the policy wants */
	int			 walk_err;	/* the last walk's -errno */
	int			 denied_err;	/* processes left out, why */
	struct walk_sched	 ws;
	struct mergeable	 walk;
	uint64_t		 page_size;	/* bytes */

	int64_t			 written[KSM_FILE_MAX];	/* -1: unknown */
	int			 werr[KSM_FILE_MAX];	/* last write's -errno */
	int64_t			 wval[KSM_FILE_MAX];	/* ... writing this */
	int			 meminfo_err;

	struct ksm_sample	 last;		/* what status shows */
	uint64_t		 last_ms;	/* 0: none yet */
};

static void	throttle_step(struct throttle *);

static void
params_from_conf(const struct throttle *t, struct policy_params *p)
{
	const struct conf	*c = t->d->conf;

	memset(p, 0, sizeof(*p));
	p->page_size = t->page_size;
	p->boost_cpu_pct = c->ksm_boost_cpu_percent;
	p->budget_cpu_pct = c->ksm_cpu_budget_percent;
	if (p->budget_cpu_pct > p->boost_cpu_pct)
		p->budget_cpu_pct = p->boost_cpu_pct;
	p->budget_window_ms = c->ksm_cpu_budget_window_secs * 1000;
	p->boost_pass_ms = c->ksm_boost_pass_ms;
	p->idle_pass_ms = c->ksm_idle_pass_secs * 1000;
	p->settle_scans = c->ksm_settle_scans;
	p->pace_factor = c->ksm_pace_factor;
	p->detect_ms = c->ksm_detect_interval_ms;
	p->gate_free_pct = c->ksm_gate_free_percent;
	p->use_advisor = c->ksm_use_advisor;
}

static void
forget_written(struct throttle *t)
{
	int	f;

	for (f = 0; f < KSM_FILE_MAX; f++) {
		t->written[f] = -1;
		t->werr[f] = 0;
	}
}

/* Why a knob write failed, when the error alone does not say. */
static const char *
write_hint(const struct throttle *t, const struct ksm_sample *s,
    enum ksm_file f, int err)
{
	int64_t	orig;

	if (ksm_saved(t->d->ksm, f, &orig) < 0)
		return " before its original is saved";
	/* pages_to_scan refuses every write while the advisor runs. */
	if (f == KSM_PAGES_TO_SCAN && err == -EINVAL && s != NULL &&
	    KSM_HAVE(s, KSM_ADVISOR_MODE) &&
	    s->v[KSM_ADVISOR_MODE] != KSM_ADVISOR_NONE)
		return " while the kernel's advisor owns it (advisor_mode is "
		    "not none)";
	return "";
}

/*
 * Write one knob unless the kernel has that value already (or, without a
 * sample of it, we wrote it last).  A refused write is not taken as
 * done; it is tried again at each step while the knob differs, said once
 * per reason, and once more when the knob holds the value we want.
 */
static void
set_knob(struct throttle *t, const struct ksm_sample *s, enum ksm_file f,
    int64_t v)
{
	char	buf[32];
	int	r;

	if (knob_holds(s, t->written, f, v)) {
		if (t->werr[f] != 0)
			log_info("%s/%s: %s now, as wanted", KSM_DIR,
			    ksm_file_name(f), ksm_value_str(f, v, buf,
			    sizeof(buf)));
		t->werr[f] = 0;
		return;
	}
	if ((r = ksm_set(t->d->ksm, f, v)) < 0) {
		if (t->werr[f] != r) {
			errno = -r;
			log_warn("%s/%s: cannot write %s%s, trying again at "
			    "each step", KSM_DIR, ksm_file_name(f),
			    ksm_value_str(f, v, buf, sizeof(buf)),
			    write_hint(t, s, f, r));
		}
		t->werr[f] = r;
		t->wval[f] = v;
		knob_written(t->written, f, v, 0);
		return;
	}
	if (t->werr[f] != 0)
		log_info("%s/%s: written again (%s)", KSM_DIR,
		    ksm_file_name(f), ksm_value_str(f, v, buf, sizeof(buf)));
	else
		log_debug("ksm: %s %s", ksm_file_name(f),
		    ksm_value_str(f, v, buf, sizeof(buf)));
	t->werr[f] = 0;
	knob_written(t->written, f, v, 1);
}

/* Write what the policy wants, in the order ksm-plan.c gives. */
static void
apply(struct throttle *t, const struct ksm_sample *s,
    const struct policy_out *out)
{
	struct knob_plan	 pl;
	const struct knob_write	*w;
	int			 i;

	/* Nothing is written before the host's settings are saved. */
	if (!knob_plan(out, s, t->written, &pl) || ksm_save(t->d->ksm) < 0)
		return;
	for (i = 0; i < pl.n; i++) {
		w = &pl.w[i];
		set_knob(t, knob_stale(&pl, w, t->written) ? NULL : s, w->f,
		    w->v);
	}
}

/*
 * Processes left out of a walk, their ksm_stat not ours to read: said
 * once per reason, and once when none is.
 */
static void
walk_denied(struct throttle *t)
{
	if (t->walk.denied > 0 && t->walk.denied_err != t->denied_err) {
		errno = -t->walk.denied_err;
		log_warn("/proc: cannot read the ksm_stat of %u processes, "
		    "ignoring them: their mergeable memory is not counted",
		    t->walk.denied);
	} else if (t->walk.denied == 0 && t->denied_err != 0)
		log_info("/proc: every process's ksm_stat is readable again");
	t->denied_err = t->walk.denied > 0 ? t->walk.denied_err : 0;
}

/*
 * The resident mergeable memory, from a walk of /proc when one is due.
 * While walks fail the policy is told none: what the last one found is
 * no measure of what is there now.
 */
static void
probe_mergeable(struct throttle *t, uint64_t now, const struct meminfo *mi,
    struct policy_input *in)
{
	int		r, have_anon = mi != NULL;
	uint64_t	anon_kb = have_anon ? mi->anon_kb : 0;

	if (!walk_due(&t->ws, t->probe_ms, now, have_anon, anon_kb)) {
		in->mergeable_current = t->ws.have && t->walk_err == 0 &&
		    !walk_needed(&t->ws, now, have_anon, anon_kb);
		goto out;
	}
	if ((r = mergeable_scan(&t->walk)) == -ENOTSUP) {
		log_info("this kernel does not mark mergeable processes "
		    "(ksm_mergeable in /proc/PID/ksm_stat): memory that "
		    "comes without an event is seen only as ksmd scans it");
		t->ws.off = 1;
		goto out;
	} else if (r < 0) {
		if (t->walk_err != r) {
			errno = -r;
			log_warn("/proc: cannot look for mergeable processes, "
			    "trying again at each step");
		}
		t->walk_err = r;
		goto out;
	}
	if (t->walk_err != 0)
		log_info("/proc: looking for mergeable processes again");
	t->walk_err = 0;
	walk_denied(t);
	if (t->walk.truncated)
		log_debug("mergeable: stopped after %u processes", t->walk.seen);
	walk_done(&t->ws, now, have_anon, anon_kb);
	in->walk = &t->walk;
	in->mergeable_current = 1;
out:
	in->walks_off = t->ws.off;
	in->have_mergeable = t->ws.have && !t->ws.off && t->walk_err == 0;
	in->mergeable_pages = in->have_mergeable ? t->walk.pages : 0;
}

static void
arm(struct throttle *t, uint64_t delay_ms)
{
	(void)timer_in(t->timer, delay_ms);
}

/* Free memory; a failure is said once, and once more when it is over. */
static int
meminfo_sample(struct throttle *t, struct meminfo *mi)
{
	int	r;

	if ((r = meminfo_read(mi)) == 0) {
		if (t->meminfo_err != 0)
			log_info("/proc/meminfo: readable again");
		t->meminfo_err = 0;
		return 1;
	}
	if (t->meminfo_err != r)
		log_warnx("/proc/meminfo: %s, going on without free memory",
		    read_strerror(r));
	t->meminfo_err = r;
	return 0;
}

/* Publish what the daemon's summary shows: the savings, the state. */
static void
publish(struct throttle *t, const struct ksm_sample *s)
{
	struct daemon_summary	sum;

	memset(&sum, 0, sizeof(sum));
	if (s != NULL && KSM_HAVE(s, KSM_PAGES_SHARING)) {
		sum.ksm_available = 1;
		sum.pages_sharing = (uint64_t)s->v[KSM_PAGES_SHARING];
	}
	sum.policy_state = t->off || t->pol == NULL ? "off" :
	    policy_state_name(policy_state(t->pol));
	daemon_summarise(t->d, &sum);
}

static void
throttle_step(struct throttle *t)
{
	struct policy_input	 in;
	struct policy_out	 out;
	struct ksm_sample	 s;
	struct meminfo		 mi;
	enum policy_state	 from, to;
	const char		*why;
	uint64_t		 now = daemon_now(t->d), n;
	int			 have_mi;

	memset(&in, 0, sizeof(in));
	in.now_ms = t->last_step_ms = now;
	if (ksm_sample(t->d->ksm, &s) == 0)
		in.ksm = &s;
	if ((have_mi = meminfo_sample(t, &mi))) {
		in.have_mem = 1;
		in.mem_total_kb = mi.total_kb;
		in.mem_avail_kb = mi.avail_kb;
	}
	probe_mergeable(t, now, have_mi ? &mi : NULL, &in);
	in.created = t->created;
	in.kicks = t->kicks;
	in.destroyed = t->destroyed;
	in.announced_pages = t->announced_pages;
	t->created = t->kicks = t->destroyed = 0;
	t->announced_pages = 0;

	n = policy_transitions(t->pol);
	policy_step(t->pol, &in, &out);
	for (; n < policy_transitions(t->pol); n++)
		if ((why = policy_transition(t->pol, n, &from, &to)) != NULL)
			log_debug("ksm: %s -> %s: %s", policy_state_name(from),
			    policy_state_name(to), why);
	apply(t, in.ksm, &out);
	publish(t, in.ksm);
	t->last_ms = 0;		/* the knobs may have changed: status reads */
	t->probe_ms = out.probe_ms;
	arm(t, out.next_ms > now ? out.next_ms - now : 0);
}

static void
throttle_timer(evutil_socket_t fd, short what, void *arg)
{
	throttle_step(arg);
}

static void
throttle_on_event(void *arg, const struct vm_event *ev)
{
	struct throttle	*t = arg;
	uint64_t	 now, delay;

	if (t->off)
		return;
	switch (ev->type) {
	case VM_CREATING:
	case VM_CREATED:
		t->created++;
		t->announced_pages += ev->memory_bytes / t->page_size;
		break;
	case VM_KICK:
		t->kicks++;
		break;
	case VM_DESTROYING:
	case VM_DESTROYED:
		t->destroyed++;
		t->ws.vm_went = 1;
		return;		/* nothing to merge: the next step will see */
	default:
		return;
	}
	now = daemon_now(t->d);
	if ((delay = event_step_delay(t->last_step_ms, now)) == 0)
		throttle_step(t);
	else
		arm(t, delay);
}

static void
throttle_configure(struct throttle *t)
{
	struct policy_params	par;
	struct ksm_sample	s;
	const struct conf	*c = t->d->conf;

	if (!c->ksm_enabled || !ksm_available(t->d->ksm)) {
		if (!t->off)
			ksm_restore(t->d->ksm);
		t->off = 1;
		t->off_reason = !c->ksm_enabled ? "disabled by configuration" :
		    "no KSM in this kernel";
		log_debug("ksm: off: %s", t->off_reason);
		evtimer_del(t->timer);
		forget_written(t);
		publish(t, ksm_sample(t->d->ksm, &s) == 0 ? &s : NULL);
		return;
	}
	params_from_conf(t, &par);
	if (t->pol == NULL)
		t->pol = policy_new(&par, daemon_now(t->d));
	else
		policy_set_params(t->pol, &par);
	t->off = 0;
	forget_written(t);
	throttle_step(t);
}

static int
throttle_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct throttle	*t;
	long		 page;

	t = xcalloc(1, sizeof(*t));
	t->d = d;
	if ((page = sysconf(_SC_PAGESIZE)) <= 0)
		fatal("sysconf(_SC_PAGESIZE)");
	t->page_size = (uint64_t)page;
	t->off = 1;
	t->probe_ms = 0;
	forget_written(t);
	if ((t->timer = evtimer_new(d->base, throttle_timer, t)) == NULL)
		fatalx("evtimer_new");
	throttle_configure(t);
	*statep = t;
	return 0;
}

static void
throttle_reconfigure(void *arg, const struct conf *old,
    const struct conf *fresh)
{
	throttle_configure(arg);
}

/* What fails now, by path: unreadable files, refused writes. */
static void
errors_json(const struct throttle *t, cJSON *o)
{
	char	path[128], what[160], buf[32];
	int	f;

	ksm_errors_json(t->d->ksm, o);
	for (f = 0; f < KSM_FILE_MAX; f++) {
		if (t->werr[f] == 0 || xsnprintf(path, sizeof(path), "%s/%s",
		    KSM_DIR, ksm_file_name(f)) < 0 ||
		    cJSON_GetObjectItemCaseSensitive(o, path) != NULL ||
		    xsnprintf(what, sizeof(what), "cannot write %s: %s",
		    ksm_value_str(f, t->wval[f], buf, sizeof(buf)),
		    strerror(-t->werr[f])) < 0)
			continue;
		cJSON_AddStringToObject(o, path, what);
	}
	if (t->meminfo_err != 0)
		cJSON_AddStringToObject(o, "/proc/meminfo",
		    read_strerror(t->meminfo_err));
}

/* The last sample, taken anew if it is not fresh. */
static const struct ksm_sample *
last_sample(struct throttle *t)
{
	uint64_t	now = daemon_now(t->d);

	if (t->last_ms == 0 || now - t->last_ms >= STATUS_FRESH_MS) {
		(void)ksm_sample(t->d->ksm, &t->last);
		t->last_ms = now;
	}
	return &t->last;
}

static void
throttle_status(void *arg, cJSON *root)
{
	struct throttle		*t = arg;
	cJSON			*p;

	cJSON_AddItemToObject(root, "ksm", ksm_sample_json(last_sample(t)));
	p = cJSON_AddObjectToObject(root, "policy");
	if (t->off || t->pol == NULL) {
		cJSON_AddStringToObject(p, "state", "off");
		cJSON_AddStringToObject(p, "reason", t->off_reason);
		return;
	}
	policy_json(t->pol, daemon_now(t->d), p);
	if (t->ws.have)
		cJSON_AddNumberToObject(p, "mergeable_processes",
		    (double)t->walk.procs);
	errors_json(t, cJSON_AddObjectToObject(p, "errors"));
}

static void
throttle_shutdown(void *arg)
{
	struct throttle	*t = arg;

	event_free(t->timer);
	policy_free(t->pol);
	free(t);
}

const struct module_ops engine_ksm = {
	.name = "ksm",
	.section = "ksm",
	.init = throttle_init,
	.on_event = throttle_on_event,
	.reconfigure = throttle_reconfigure,
	.status = throttle_status,
	.shutdown = throttle_shutdown,
};
