/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service manager's view of the daemon (sd_notify(3)): READY=1 once
 * start-up is done, STATUS= with what KSM saves and what the policy is
 * doing (the daemon's summary, sent when the line it makes changes, so
 * an idle daemon sends nothing), WATCHDOG=1 from the event loop itself (so a wedged loop is
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

struct notify {
	struct daemon	*d;
	struct event	*watchdog_ev;
	uint64_t	 watchdog_ms;	/* half of WatchdogSec= */
	int		 notifying;	/* $NOTIFY_SOCKET is set */
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
watchdog_ping(evutil_socket_t fd, short what, void *arg)
{
	struct notify	*n = arg;

	notify_send("WATCHDOG=1");
	(void)timer_in(n->watchdog_ev, n->watchdog_ms);
}

/* "KSM saves 1234 MiB, policy idle", from the daemon's summary. */
static void
status_line(const struct daemon_summary *sum, char *buf, size_t len)
{
	const char	*state = sum->policy_state ? sum->policy_state :
			    "unknown";
	long		 page;

	if ((page = sysconf(_SC_PAGESIZE)) <= 0)
		page = 4096;
	/* Cut at worst: a status line. */
	if (sum->ksm_available)
		(void)snprintf(buf, len, "KSM saves %.0f MiB, policy %s",
		    (double)sum->pages_sharing * (double)page /
		    (1024.0 * 1024.0), state);
	else
		(void)snprintf(buf, len, "KSM not available, policy %s",
		    state);
}

/* The summary moved: a new STATUS= if the line it makes is new. */
static void
notify_summary(void *arg)
{
	struct notify	*n = arg;
	char		 line[sizeof(n->status_last)], msg[sizeof(line) + 8];

	if (n == NULL || !n->notifying)
		return;
	status_line(&n->d->summary, line, sizeof(line));
	if (strcmp(line, n->status_last) == 0)
		return;
	memcpy(n->status_last, line, sizeof(n->status_last));
	(void)snprintf(msg, sizeof(msg), "STATUS=%s", line);
	notify_send(msg);
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
		(void)timer_in(n->watchdog_ev, n->watchdog_ms);
		log_debug("systemd watchdog: pinging every %llu ms",
		    (unsigned long long)n->watchdog_ms);
	}
	n->notifying = 1;
	notify_summary(n);
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

static void
notify_summary(void *arg)
{
}

#endif

const struct module_ops sdnotify_module = {
	.name = "sdnotify",
	.init = notify_init,
	.on_summary = notify_summary,
	.shutdown = notify_shutdown,
};
