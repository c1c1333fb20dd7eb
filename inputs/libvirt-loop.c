/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libvirt's event-loop hooks on the daemon's event_base.  libvirt's
 * client library watches its sockets and runs its timers (the dispatch
 * of queued domain events, keepalives) through whatever implementation
 * virEventRegisterImpl() was given: here each handle and each timeout is
 * one libevent event on the one base, so libvirt runs in the daemon's
 * thread, woken only when one of its descriptors or timers is due.
 *
 * libvirt's rules (libvirt-event.h): watch and timer ids are positive;
 * a timeout of -1 is off, 0 fires on every turn of the loop, N > 0 every
 * N ms; any callback may add, update or remove any handle, its own
 * included; and a free callback must run "from a clean stack", never from
 * inside the remove call, or libvirt deadlocks on its own locks.  So a
 * removed item is only marked and unhooked; a zero-time reaper event
 * frees it and calls its free callback on a later turn of the loop.
 *
 * libvirt allows one implementation per process: it is registered once
 * and stays, bound to the first base it was given.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>
#include <libvirt/libvirt.h>

#include "libvirt-loop.h"
#include "log.h"
#include "util.h"

struct lvitem {
	int			 id;
	int			 timer;		/* a timeout, not a handle */
	int			 fd;
	int			 removed;
	struct event		*ev;
	virEventHandleCallback	 hcb;
	virEventTimeoutCallback	 tcb;
	void			*opaque;
	virFreeCallback		 ff;
	TAILQ_ENTRY(lvitem)	 entry;
};

TAILQ_HEAD(lvitems, lvitem);

static struct event_base	*lv_base;
static struct event		*lv_reaper;
static struct lvitems		 lv_items = TAILQ_HEAD_INITIALIZER(lv_items);
static int			 lv_next_id = 1;

static struct lvitem *
lv_find(int id, int timer)
{
	struct lvitem	*it;

	TAILQ_FOREACH(it, &lv_items, entry)
		if (it->id == id && it->timer == timer && !it->removed)
			return it;
	return NULL;
}

static struct lvitem *
lv_new(int timer, void *opaque, virFreeCallback ff)
{
	struct lvitem	*it;

	it = xcalloc(1, sizeof(*it));
	it->timer = timer;
	it->fd = -1;
	it->opaque = opaque;
	it->ff = ff;
	/* Ids are never reused: libvirt may remove an id twice. */
	it->id = lv_next_id++;
	if (lv_next_id <= 0)
		lv_next_id = 1;
	TAILQ_INSERT_TAIL(&lv_items, it, entry);
	return it;
}

/* ---- handles --------------------------------------------------------- */

static short
lv_to_libevent(int events)
{
	short	what = 0;

	if (events & VIR_EVENT_HANDLE_READABLE)
		what |= EV_READ;
	if (events & VIR_EVENT_HANDLE_WRITABLE)
		what |= EV_WRITE;
	return what;
}

/*
 * libevent reports an error or a hang-up as readiness to read or write;
 * libvirt's read finds the EOF or the error itself.
 */
static void
lv_handle_fire(evutil_socket_t fd, short what, void *arg)
{
	struct lvitem	*it = arg;
	int		 events = 0;

	if (what & EV_READ)
		events |= VIR_EVENT_HANDLE_READABLE;
	if (what & EV_WRITE)
		events |= VIR_EVENT_HANDLE_WRITABLE;
	/* it may be removed by the callback: not touched after it. */
	it->hcb(it->id, (int)fd, events, it->opaque);
}

/*
 * Listen for these events on its descriptor; none: not at all.  The
 * event is reassigned, not replaced: libvirt changes a handle's events
 * from inside that handle's own callback.
 */
static int
lv_handle_arm(struct lvitem *it, int events)
{
	short	what = lv_to_libevent(events);

	event_del(it->ev);
	if (event_assign(it->ev, lv_base, it->fd, what | EV_PERSIST,
	    lv_handle_fire, it) == -1)
		return -EINVAL;
	if (what != 0 && event_add(it->ev, NULL) == -1)
		return -ENOMEM;
	return 0;
}

static int
lv_add_handle(int fd, int events, virEventHandleCallback cb, void *opaque,
    virFreeCallback ff)
{
	struct lvitem	*it;

	it = lv_new(0, opaque, ff);
	it->fd = fd;
	it->hcb = cb;
	if ((it->ev = event_new(lv_base, fd, 0, lv_handle_fire, it)) == NULL ||
	    lv_handle_arm(it, events) < 0) {
		log_warnx("libvirt: cannot watch descriptor %d", fd);
		TAILQ_REMOVE(&lv_items, it, entry);
		if (it->ev != NULL)
			event_free(it->ev);
		free(it);
		return -1;
	}
	return it->id;
}

static void
lv_update_handle(int watch, int events)
{
	struct lvitem	*it;

	if ((it = lv_find(watch, 0)) == NULL)
		return;
	if (lv_handle_arm(it, events) < 0)
		log_warnx("libvirt: cannot watch descriptor %d", it->fd);
}

/* ---- timeouts -------------------------------------------------------- */

static void
lv_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct lvitem	*it = arg;

	it->tcb(it->id, it->opaque);
}

/*
 * -1: off.  Otherwise a persistent libevent timer of that period, which
 * for 0 is every turn of the loop until libvirt turns it off again: its
 * way of saying "as soon as possible".
 */
static void
lv_timer_arm(struct lvitem *it, int timeout)
{
	event_del(it->ev);
	if (timeout < 0)
		return;
	if (timer_in(it->ev, (uint64_t)timeout) == -1)
		log_warnx("libvirt: cannot arm a timer of %d ms", timeout);
}

static int
lv_add_timeout(int timeout, virEventTimeoutCallback cb, void *opaque,
    virFreeCallback ff)
{
	struct lvitem	*it;

	it = lv_new(1, opaque, ff);
	it->tcb = cb;
	if ((it->ev = event_new(lv_base, -1, EV_PERSIST, lv_timer_fire,
	    it)) == NULL) {
		TAILQ_REMOVE(&lv_items, it, entry);
		free(it);
		return -1;
	}
	lv_timer_arm(it, timeout);
	return it->id;
}

static void
lv_update_timeout(int timer, int timeout)
{
	struct lvitem	*it;

	if ((it = lv_find(timer, 1)) != NULL)
		lv_timer_arm(it, timeout);
}

/* ---- removal, and the free callbacks from a clean stack -------------- */

static int
lv_remove(int id, int timer)
{
	struct lvitem	*it;

	if ((it = lv_find(id, timer)) == NULL)
		return -1;
	/* Unhooked now; freed by the reaper, out of libvirt's call. */
	if (it->ev != NULL)
		event_del(it->ev);
	it->removed = 1;
	event_active(lv_reaper, EV_TIMEOUT, 0);
	return 0;
}

static int
lv_remove_handle(int watch)
{
	return lv_remove(watch, 0);
}

static int
lv_remove_timeout(int timer)
{
	return lv_remove(timer, 1);
}

/*
 * Free what was removed.  The removed items are taken off the list
 * first: a free callback may itself remove (or add) more, which the next
 * turn picks up.
 */
static void
lv_reap(evutil_socket_t fd, short what, void *arg)
{
	struct lvitems	 dead = TAILQ_HEAD_INITIALIZER(dead);
	struct lvitem	*it, *next;

	for (it = TAILQ_FIRST(&lv_items); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (!it->removed)
			continue;
		TAILQ_REMOVE(&lv_items, it, entry);
		TAILQ_INSERT_TAIL(&dead, it, entry);
	}
	while ((it = TAILQ_FIRST(&dead)) != NULL) {
		TAILQ_REMOVE(&dead, it, entry);
		if (it->ev != NULL)
			event_free(it->ev);
		if (it->ff != NULL)
			it->ff(it->opaque);
		free(it);
	}
}

/*
 * Run the reaper now, until nothing removed is left: after the input
 * closed its connection, so that libvirt's objects are freed while the
 * base still runs.
 */
void
lvloop_flush(void)
{
	struct lvitem	*it;
	int		 again = 1;

	while (again) {
		again = 0;
		lv_reap(-1, 0, NULL);
		TAILQ_FOREACH(it, &lv_items, entry)
			if (it->removed)
				again = 1;
	}
}

/* Handles and timers libvirt holds now (status). */
size_t
lvloop_count(void)
{
	struct lvitem	*it;
	size_t		 n = 0;

	TAILQ_FOREACH(it, &lv_items, entry)
		if (!it->removed)
			n++;
	return n;
}

/* Once per process; later calls with the same base do nothing. */
int
lvloop_register(struct event_base *base)
{
	if (lv_base != NULL)
		return lv_base == base ? 0 : -EBUSY;
	if ((lv_reaper = event_new(base, -1, 0, lv_reap, NULL)) == NULL)
		return -ENOMEM;
	lv_base = base;
	virEventRegisterImpl(lv_add_handle, lv_update_handle, lv_remove_handle,
	    lv_add_timeout, lv_update_timeout, lv_remove_timeout);
	return 0;
}
