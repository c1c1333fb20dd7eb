/*
 * The KSM throttle engine: wiring between VM events, the KSM model and
 * the knobs.  Boosts ksmd when VMs arrive and steps it down once merging
 * has stopped growing over a few full scans.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "ksm.h"
#include "log.h"
#include "util.h"

/* The kernel's own defaults: what ksmd costs when nobody tunes it. */
#define IDLE_PAGES		100
#define IDLE_SLEEP_MS		20
#define BOOST_PAGES		10000
#define BOOST_SLEEP_MS		10
/* Merging has settled when pages_sharing stayed put over this many scans. */
#define SETTLE_SCANS		2
/* How often to look at ksmd while boosting; idle, nothing is sampled. */
#define BOOST_SAMPLE_MS		1000

enum throttle_state {
	THROTTLE_OFF,
	THROTTLE_IDLE,
	THROTTLE_BOOST,
	THROTTLE_STATE_MAX
};

static const char *throttle_state_names[THROTTLE_STATE_MAX] = {
	[THROTTLE_OFF] = "off",
	[THROTTLE_IDLE] = "idle",
	[THROTTLE_BOOST] = "boosting",
};

struct throttle {
	struct daemon		*d;
	struct event		*timer;
	enum throttle_state	 state;
	const char		*reason;
	uint64_t		 transitions;
	int64_t			 scans_mark;
	int64_t			 sharing_mark;
};

static int
apply_knobs(struct throttle *t, int64_t pages, int64_t sleep_ms)
{
	int	r;

	if ((r = ksm_set(t->d->ksm, KSM_RUN, 1)) < 0 ||
	    (r = ksm_set(t->d->ksm, KSM_PAGES_TO_SCAN, pages)) < 0 ||
	    (r = ksm_set(t->d->ksm, KSM_SLEEP_MILLISECS, sleep_ms)) < 0) {
		errno = -r;
		log_warn("cannot tune KSM, ignoring");
	}
	return r;
}

static void
throttle_enter(struct throttle *t, enum throttle_state s, const char *why)
{
	struct timeval	tv = { BOOST_SAMPLE_MS / 1000, 0 };

	if (t->state != s) {
		log_debug("throttle: %s -> %s: %s",
		    throttle_state_names[t->state], throttle_state_names[s], why);
		t->transitions++;
	}
	t->state = s;
	t->reason = why;
	switch (s) {
	case THROTTLE_BOOST:
		apply_knobs(t, BOOST_PAGES, BOOST_SLEEP_MS);
		evtimer_add(t->timer, &tv);
		break;
	case THROTTLE_IDLE:
		apply_knobs(t, IDLE_PAGES, IDLE_SLEEP_MS);
		evtimer_del(t->timer);
		break;
	default:
		evtimer_del(t->timer);
		break;
	}
}

static void
throttle_timer(evutil_socket_t fd, short what, void *arg)
{
	struct throttle		*t = arg;
	struct ksm_sample	 s;
	struct timeval		 tv = { BOOST_SAMPLE_MS / 1000, 0 };

	if (ksm_sample(t->d->ksm, &s) < 0) {
		evtimer_add(t->timer, &tv);
		return;
	}
	if (s.v[KSM_FULL_SCANS] - t->scans_mark >= SETTLE_SCANS) {
		if (s.v[KSM_PAGES_SHARING] <= t->sharing_mark) {
			throttle_enter(t, THROTTLE_IDLE, "merging settled");
			return;
		}
		t->scans_mark = s.v[KSM_FULL_SCANS];
		t->sharing_mark = s.v[KSM_PAGES_SHARING];
	}
	evtimer_add(t->timer, &tv);
}

static void
throttle_on_event(void *arg, const struct vm_event *ev)
{
	struct throttle		*t = arg;
	struct ksm_sample	 s;

	if (t->state == THROTTLE_OFF)
		return;
	if (ev->type != VM_CREATING && ev->type != VM_CREATED &&
	    ev->type != VM_KICK)
		return;
	if (ksm_sample(t->d->ksm, &s) == 0) {
		t->scans_mark = s.v[KSM_FULL_SCANS];
		t->sharing_mark = s.v[KSM_PAGES_SHARING];
	}
	throttle_enter(t, THROTTLE_BOOST, ev->type == VM_KICK ? "kick" :
	    "VM created");
}

static void
throttle_configure(struct throttle *t)
{
	if (!t->d->conf->ksm_enabled || !ksm_available(t->d->ksm)) {
		if (t->state != THROTTLE_OFF)
			ksm_restore(t->d->ksm);
		throttle_enter(t, THROTTLE_OFF, !t->d->conf->ksm_enabled ?
		    "disabled by configuration" : "no KSM in this kernel");
		return;
	}
	if (t->state == THROTTLE_OFF)
		throttle_enter(t, THROTTLE_IDLE, "started");
}

static int
throttle_init(struct daemon *d, void **statep)
{
	struct throttle	*t;

	t = xcalloc(1, sizeof(*t));
	t->d = d;
	t->state = THROTTLE_OFF;
	t->reason = "starting";
	if ((t->timer = evtimer_new(d->base, throttle_timer, t)) == NULL)
		fatalx("evtimer_new");
	throttle_configure(t);
	*statep = t;
	return 0;
}

static void
throttle_reconfigure(void *arg, const struct conf *old)
{
	throttle_configure(arg);
}

static void
throttle_status(void *arg, cJSON *root)
{
	struct throttle		*t = arg;
	struct ksm_sample	 s;
	cJSON			*p;

	ksm_sample(t->d->ksm, &s);
	cJSON_AddItemToObject(root, "ksm", ksm_sample_json(&s));
	p = cJSON_AddObjectToObject(root, "policy");
	cJSON_AddStringToObject(p, "state", throttle_state_names[t->state]);
	cJSON_AddStringToObject(p, "reason", t->reason);
	cJSON_AddNumberToObject(p, "transitions", (double)t->transitions);
}

static void
throttle_shutdown(void *arg)
{
	struct throttle	*t = arg;

	event_free(t->timer);
	free(t);
}

const struct engine_ops engine_ksm = {
	.name = "ksm",
	.section = "ksm",
	.init = throttle_init,
	.on_event = throttle_on_event,
	.reconfigure = throttle_reconfigure,
	.status = throttle_status,
	.shutdown = throttle_shutdown,
};
