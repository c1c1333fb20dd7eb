/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket's clients: reading length-prefixed frames, the
 * limits that keep one client from hurting the others (output held per
 * client and in all, a deadline for a whole frame, a share of frames per
 * turn, bad requests counted), replies, and closing.
 *
 * Everything a client sends is hostile.  A bad request gets an error
 * reply and a log line (the first few per client; all are counted in
 * status), a client that cannot be understood any more is closed, and
 * nothing a client does stops the daemon or stalls the other clients.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf.h"
#include "control-int.h"
#include "daemon.h"
#include "frame.h"
#include "log.h"
#include "util.h"

/* Frames handled per read callback; then the other clients get a turn. */
#define FRAMES_PER_READ		32
/*
 * A client whose replies pile up (it sends and does not read) is not
 * read from above OUTPUT_HIGH bytes of pending replies, and again below
 * OUTPUT_LOW; one that reads nothing for idle_timeout_secs is dropped.
 */
#define OUTPUT_HIGH		(256 * 1024)
#define OUTPUT_LOW		(64 * 1024)
/*
 * The replies waiting in all the clients' output together.  Once it
 * went above REPLIES_HIGH, no request for a status or the configuration
 * (the replies that can be large) is handled until it is below
 * REPLIES_LOW again: each waits its turn, in the order they came, the
 * ones that come meanwhile behind them.  This bounds the daemon's memory
 * whatever the number of clients: a thousand clients asking for status
 * at once do not each hold a copy of it.  Events, kicks, registrations
 * and sets, whose replies are a few bytes, go on meanwhile: clients that
 * ask for statuses and read nothing (each holds at most OUTPUT_HIGH and
 * one reply until idle_timeout_secs drops it) hold up no VM's event.
 */
#define REPLIES_HIGH		(8 * 1024 * 1024)
#define REPLIES_LOW		(4 * 1024 * 1024)
/* Bad requests before a client is dropped. */
#define CLIENT_ERRORS_MAX	32

static void	client_process(struct client *);
static void	client_close(struct client *);

/* Read from a client only while its requests can be handled. */
static void
client_reading(struct client *c)
{
	if (c->paused || c->waiting || c->closing || c->eof)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

/* The total of the replies is low enough again: the waiting go on. */
static void
control_maybe_wake(struct control *ctl)
{
	struct timeval	now = { 0, 0 };

	if (ctl->queued >= REPLIES_LOW)
		return;
	ctl->draining = 0;
	if (!TAILQ_EMPTY(&ctl->waiting))
		evtimer_add(ctl->wake, &now);
}

/* Oldest first, for as long as the total allows. */
void
control_wake(evutil_socket_t fd, short what, void *arg)
{
	struct control	*ctl = arg;
	struct client	*c;

	while (!ctl->draining && (c = TAILQ_FIRST(&ctl->waiting)) != NULL) {
		TAILQ_REMOVE(&ctl->waiting, c, wait_entry);
		ctl->nwaiting--;
		c->waiting = 0;
		client_reading(c);
		client_process(c);
	}
}

/* Wait for the total of the replies to go down, behind the others. */
static void
client_wait(struct client *c)
{
	if (c->waiting)
		return;
	c->waiting = 1;
	TAILQ_INSERT_TAIL(&c->ctl->waiting, c, wait_entry);
	c->ctl->nwaiting++;
	c->ctl->waits++;
	client_reading(c);
}

/* Every byte added to or written from a client's output. */
static void
client_output(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct control	*ctl = ((struct client *)arg)->ctl;

	ctl->queued += info->n_added;
	ctl->queued -= info->n_deleted;
	if (ctl->queued > REPLIES_HIGH)
		ctl->draining = 1;
	if (info->n_deleted > 0)
		control_maybe_wake(ctl);
}

void
client_free(struct client *c)
{
	struct control	*ctl = c->ctl;
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	log_debug("control: client %llu gone", c->id);
	TAILQ_REMOVE(&ctl->clients, c, entry);
	ctl->nclients--;
	if (c->waiting) {
		TAILQ_REMOVE(&ctl->waiting, c, wait_entry);
		ctl->nwaiting--;
	}
	evbuffer_remove_cb_entry(out, c->out_cb);
	ctl->queued -= evbuffer_get_length(out);
	control_maybe_wake(ctl);
	bufferevent_free(c->bev);
	event_free(c->deadline);
	event_free(c->resume);
	free(c);
	if (ctl->full && ctl->nclients < ctl->d->conf->socket_max_clients) {
		log_info("control: below socket.max_clients again");
		ctl->full = 0;
	}
}

/* Close once the replies already queued are written. */
static void
client_close(struct client *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		client_free(c);
		return;
	}
	c->closing = 1;
	client_reading(c);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	evtimer_del(c->deadline);
	evtimer_del(c->resume);
}

static void
reply_send(struct client *c, struct reply *rep)
{
	Ksmt__Reply	 m = KSMT__REPLY__INIT;
	uint8_t		*buf;
	size_t		 len;

	m.version = KT_PROTO_VERSION;
	m.code = rep->code;
	if (rep->message[0] != '\0')
		m.message = rep->message;
	m.json = rep->json;
	if ((buf = frame_pack(&m.base, &len)) == NULL ||
	    bufferevent_write(c->bev, buf, len) == -1)
		log_warnx("control: client %llu: cannot queue a reply, "
		    "ignoring", c->id);
	free(buf);
	free(rep->json);
	rep->json = NULL;
}

/* client_frame: a request left for its turn at the replies' total. */
#define CLIENT_FRAME_WAIT	2

/*
 * Handle the frame at the head of the input, if it is whole.  Returns 1
 * if one was handled, 0 if more bytes are needed, CLIENT_FRAME_WAIT if
 * it asks for a large reply while the replies' total drains, -1 if the
 * client is closing (and may be gone).
 */
static int
client_frame(struct client *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct reply	 rep;
	Ksmt__Request	*req;
	uint8_t		*body;
	char		 why[256];
	uint64_t	 max = c->ctl->d->conf->socket_max_frame_bytes;
	size_t		 len;
	int		 r;

	if ((r = frame_next(in, (size_t)max, &body, &len)) == 0)
		return 0;
	memset(&rep, 0, sizeof(rep));
	if (r == -EMSGSIZE) {
		client_reject(c, &rep, REJECT_OVERSIZED,
		    KSMT__REPLY__CODE__BAD_REQUEST,
		    "frame of %zu bytes is larger than socket.max_frame_bytes "
		    "(%llu): closing", len, (unsigned long long)max);
		reply_send(c, &rep);
	} else if (r < 0)
		log_warnx("control: client %llu: no memory for a frame of %zu "
		    "bytes, closing", c->id, len);
	if (r < 0) {
		client_close(c);
		return -1;
	}
	req = frame_request_unpack(body, len, why, sizeof(why));
	/* Left where it is, to be read again in its turn. */
	if (req != NULL && (req->body_case == KSMT__REQUEST__BODY_STATUS ||
	    req->body_case == KSMT__REQUEST__BODY_CONFIG) &&
	    c->ctl->draining) {
		ksmt__request__free_unpacked(req, NULL);
		return CLIENT_FRAME_WAIT;
	}
	evbuffer_drain(in, FRAME_HDR_LEN + len);
	c->talked = 1;
	if (req == NULL)
		client_reject(c, &rep, REJECT_UNDECODABLE,
		    KSMT__REPLY__CODE__BAD_REQUEST, "%s", why);
	else
		control_dispatch(c, req, &rep);
	reply_send(c, &rep);
	if (req != NULL)
		ksmt__request__free_unpacked(req, NULL);
	if (c->errors >= CLIENT_ERRORS_MAX) {
		log_warnx("control: client %llu: %u bad requests, closing",
		    c->id, c->errors);
		client_close(c);
		return -1;
	}
	return 1;
}

/* Does the input hold the start of a frame, but not all of it? */
static int
client_partial(struct client *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	size_t		 len;

	return evbuffer_get_length(in) > 0 &&
	    frame_next(in, SIZE_MAX, NULL, &len) == 0;
}

/*
 * The deadline bounds how long a stalled client holds a slot: it runs
 * from the connection until the first whole frame, and from the first
 * byte of a frame until its last.  It starts again whenever a frame was
 * handled; a client silent between whole frames has none.
 */
static void
client_arm_deadline(struct client *c, int progressed)
{
	struct timeval	tv = { 0, 0 };

	if (progressed)
		evtimer_del(c->deadline);
	if (c->paused || c->waiting || (c->talked && !client_partial(c))) {
		evtimer_del(c->deadline);
		return;
	}
	if (evtimer_pending(c->deadline, NULL))
		return;
	tv.tv_sec = (time_t)c->ctl->d->conf->socket_idle_timeout_secs;
	evtimer_add(c->deadline, &tv);
}

static void
client_process(struct client *c)
{
	struct timeval	 now = { 0, 0 };
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	int		 n, r = 0;

	if (c->waiting)
		return;
	for (n = 0; n < FRAMES_PER_READ; n++) {
		if (evbuffer_get_length(out) > OUTPUT_HIGH) {
			c->paused = 1;
			client_reading(c);
			client_arm_deadline(c, n > 0);
			return;
		}
		if ((r = client_frame(c)) == CLIENT_FRAME_WAIT) {
			client_wait(c);
			client_arm_deadline(c, n > 0);
			return;
		}
		if (r <= 0)
			break;
	}
	if (r < 0)
		return;
	if (n == FRAMES_PER_READ) {
		/* A timer, not a loop: the other clients' I/O comes first. */
		evtimer_add(c->resume, &now);
	} else if (c->eof) {
		client_close(c);
		return;
	}
	client_arm_deadline(c, n > 0);
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	client_process(arg);
}

static void
client_resume(evutil_socket_t fd, short what, void *arg)
{
	client_process(arg);
}

static void
client_write(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			client_free(c);
		return;
	}
	if (c->paused) {
		c->paused = 0;
		client_reading(c);
		client_process(c);
	}
}

static void
client_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	c->ctl->rejected[REJECT_TIMEOUT]++;
	log_warnx("control: client %llu (pid %d, uid %u): no whole request "
	    "within %llu s, closing", c->id, (int)c->pid, (unsigned)c->uid,
	    (unsigned long long)c->ctl->d->conf->socket_idle_timeout_secs);
	client_free(c);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client	*c = arg;

	if (what & BEV_EVENT_EOF) {
		/* Answer what it sent before it hung up, then close. */
		c->eof = 1;
		if (!c->closing && !c->paused && !c->waiting)
			client_process(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		c->ctl->rejected[REJECT_TIMEOUT]++;
		log_warnx("control: client %llu (pid %d, uid %u) does not read "
		    "its replies, closing", c->id, (int)c->pid,
		    (unsigned)c->uid);
	} else
		log_debug("control: client %llu: %s", c->id,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	client_free(c);
}

/* The limits from the configuration, again after a SIGHUP changed them. */
void
client_limits(struct client *c)
{
	struct conf	*conf = c->ctl->d->conf;
	struct timeval	 tv = { (time_t)conf->socket_idle_timeout_secs, 0 };

	/* A whole frame fits; the kernel holds the rest. */
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    (size_t)conf->socket_max_frame_bytes + FRAME_HDR_LEN);
	if (!c->closing)
		bufferevent_setwatermark(c->bev, EV_WRITE, OUTPUT_LOW, 0);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
}

/* A client accepted on fd: its buffers, timers and limits. */
void
client_setup(struct client *c, int fd)
{
	struct event_base	*base = c->ctl->d->base;

	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(base, client_deadline, c);
	c->resume = evtimer_new(base, client_resume, c);
	if (c->bev == NULL || c->deadline == NULL || c->resume == NULL)
		fatalx("control: out of memory for a client");
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev),
	    client_output, c);
	if (c->out_cb == NULL)
		fatalx("control: out of memory for a client");
	client_limits(c);
	client_reading(c);
	client_arm_deadline(c, 0);
}
