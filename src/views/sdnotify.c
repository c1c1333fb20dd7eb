/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service manager's view of the daemon (sd_notify(3)): READY=1 once
 * start-up is done, STATUS= with what KSM saves and what the policy is
 * doing, WATCHDOG=1 from the event loop itself (so a wedged loop is
 * noticed), STOPPING=1 on the way out.  Built without libsystemd, or run
 * without $NOTIFY_SOCKET, every call here does nothing and no timer runs.
 */
#include "config.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon.h"
#include "log.h"
#include "sdnotify.h"
#include "util.h"

/*
 * How often `systemctl status` gets a fresh line.  KSM savings move on the
 * scale of full scans (seconds to minutes); 10 s is fresh enough for a
 * person and costs one sysfs sample.
 */
#define NOTIFY_STATUS_MS	10000

struct notify {
	struct daemon	*d;
	struct event	*watchdog_ev;
	struct event	*status_ev;
	uint64_t	 watchdog_ms;	/* half of WatchdogSec= */
	char		 status_last[256];
};

#ifdef HAVE_SYSTEMD
static void
notify_send(const char *msg)
{
	int	r;

	if ((r = sd_notify(0, msg)) < 0)
		log_debug("sd_notify %s: %s", msg, strerror(-r));
}

static void
timer_arm(struct event *ev, uint64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

static void
watchdog_ping(evutil_socket_t fd, short what, void *arg)
{
	struct notify	*n = arg;

	notify_send("WATCHDOG=1");
	timer_arm(n->watchdog_ev, n->watchdog_ms);
}

/* "KSM saves 1234 MiB, policy idle" from what `status --json` shows. */
static void
status_line(struct daemon *d, char *buf, size_t len)
{
	cJSON		*st, *ksm, *policy, *sharing, *state;
	long		 page;
	double		 mib = -1;

	st = daemon_status(d);
	ksm = cJSON_GetObjectItemCaseSensitive(st, "ksm");
	policy = cJSON_GetObjectItemCaseSensitive(st, "policy");
	sharing = cJSON_GetObjectItemCaseSensitive(ksm, "pages_sharing");
	state = cJSON_GetObjectItemCaseSensitive(policy, "state");
	if ((page = sysconf(_SC_PAGESIZE)) <= 0)
		page = 4096;
	if (cJSON_IsNumber(sharing))
		mib = sharing->valuedouble * (double)page / (1024.0 * 1024.0);
	if (mib >= 0)
		snprintf(buf, len, "KSM saves %.0f MiB, policy %s", mib,
		    cJSON_IsString(state) ? state->valuestring : "unknown");
	else
		snprintf(buf, len, "KSM not available, policy %s",
		    cJSON_IsString(state) ? state->valuestring : "unknown");
	cJSON_Delete(st);
}

static void
notify_status(const char *line)
{
	char	 msg[512];

	/* May cut: a status line. */
	(void)snprintf(msg, sizeof(msg), "STATUS=%s", line);
	notify_send(msg);
}

static void
status_tick(evutil_socket_t fd, short what, void *arg)
{
	struct notify	*n = arg;
	char		 line[sizeof(n->status_last)];

	status_line(n->d, line, sizeof(line));
	if (strcmp(line, n->status_last) != 0) {
		notify_status(line);
		memcpy(n->status_last, line, sizeof(n->status_last));
	}
	timer_arm(n->status_ev, NOTIFY_STATUS_MS);
}

static void
notify_timers(struct notify *n)
{
	uint64_t	usec;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		n->watchdog_ms = usec / 2000;
		if ((n->watchdog_ev = evtimer_new(n->d->base, watchdog_ping,
		    n)) == NULL)
			fatalx("evtimer_new");
		timer_arm(n->watchdog_ev, n->watchdog_ms);
		log_debug("systemd watchdog: pinging every %llu ms",
		    (unsigned long long)n->watchdog_ms);
	}
	if ((n->status_ev = evtimer_new(n->d->base, status_tick, n)) == NULL)
		fatalx("evtimer_new");
	status_tick(-1, 0, n);
}

/* Last in the module table: everything else has started. */
static int
notify_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct notify	*n;

	n = xcalloc(1, sizeof(*n));
	n->d = d;
	if (getenv("NOTIFY_SOCKET") != NULL)
		notify_timers(n);
	notify_send("READY=1");
	*statep = n;
	return 0;
}

static void
notify_shutdown(void *arg)
{
	struct notify	*n = arg;

	notify_send("STOPPING=1");
	if (n->watchdog_ev != NULL)
		event_free(n->watchdog_ev);
	if (n->status_ev != NULL)
		event_free(n->status_ev);
	free(n);
}

#else /* !HAVE_SYSTEMD */

static int
notify_init(struct daemon *d, struct bus_port *port, void **statep)
{
	*statep = NULL;
	return 0;
}

static void
notify_shutdown(void *arg)
{
}

#endif

const struct module_ops sdnotify_module = {
	.name = "sdnotify",
	.init = notify_init,
	.shutdown = notify_shutdown,
};
