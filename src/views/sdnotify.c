/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service manager's view of the daemon (sd_notify(3)): READY=1 once
 * start-up is done, STATUS= with what KSM saves and what the policy is
 * doing, WATCHDOG=1 from the event loop itself (so a wedged loop is
 * noticed), STOPPING=1 on the way out.  Built without libsystemd, or run
 * without $NOTIFY_SOCKET, every call here does nothing and no timer runs.
 */
#include "config.h"

#include <stdarg.h>
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

#ifdef HAVE_SYSTEMD
static struct daemon	*notify_daemon;
static struct event	*watchdog_ev;
static struct event	*status_ev;
static uint64_t		 watchdog_ms;	/* half of WatchdogSec= */
static char		 status_last[256];

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
	notify_send("WATCHDOG=1");
	timer_arm(watchdog_ev, watchdog_ms);
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
status_tick(evutil_socket_t fd, short what, void *arg)
{
	char	line[sizeof(status_last)];

	status_line(notify_daemon, line, sizeof(line));
	if (strcmp(line, status_last) != 0) {
		notify_status("%s", line);
		memcpy(status_last, line, sizeof(status_last));
	}
	timer_arm(status_ev, NOTIFY_STATUS_MS);
}

void
notify_init(struct daemon *d)
{
	uint64_t	usec;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	notify_daemon = d;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		watchdog_ms = usec / 2000;
		if ((watchdog_ev = evtimer_new(d->base, watchdog_ping,
		    NULL)) == NULL)
			fatalx("evtimer_new");
		timer_arm(watchdog_ev, watchdog_ms);
		log_debug("systemd watchdog: pinging every %llu ms",
		    (unsigned long long)watchdog_ms);
	}
	if ((status_ev = evtimer_new(d->base, status_tick, NULL)) == NULL)
		fatalx("evtimer_new");
	status_tick(-1, 0, NULL);
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_status(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);	/* may cut: a status */
	va_end(ap);
	notify_send(msg);
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
	if (watchdog_ev != NULL)
		event_free(watchdog_ev);
	if (status_ev != NULL)
		event_free(status_ev);
	watchdog_ev = status_ev = NULL;
	notify_daemon = NULL;
}

#else /* !HAVE_SYSTEMD */

void
notify_init(struct daemon *d)
{
}

void
notify_ready(void)
{
}

void
notify_status(const char *fmt, ...)
{
}

void
notify_stopping(void)
{
}

#endif
