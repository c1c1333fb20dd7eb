/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktload: a load test of the control socket.
 *
 * N clients connect at once and stay connected.  Each registers, then
 * sends its share of E VM events, pipelined (a window of requests in
 * flight), with a status request after every few events and one bad
 * event that must be refused.  Meanwhile one more client, the flooder,
 * keeps its output full of events and reads its replies only every
 * FLOOD_READ_MS.  It floods until the last normal client has all its
 * replies, so a flood that starved them would end in the timeout; the
 * latency of the normal clients' requests, all sent during the flood,
 * says how much it slowed them.
 *
 * Every request must get exactly one reply, in order, with the expected
 * code.  Then the daemon's status must show exactly what was sent: the
 * socket input's counts by type and by registered name, the refusals,
 * the connections, and the VM registry (every VM this run left alive, in
 * the state its last event gave it, and no other VM of this run).  The
 * daemon's VmRSS and VmHWM are sampled from /proc/PID/status.
 *
 * usage: ktload [-c clients] [-e events] [-w window] [-s status_every]
 *	  [-k keep_every] [-p daemon_pid] [-r max_rss_mib]
 *	  [-l max_latency_ms] [-t timeout_secs] [-F] socket
 *
 * Prints the figures and PASS, or FAIL with the reasons; exits 0 on
 * PASS, 1 on FAIL, 2 on a usage or set-up error.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "frame.h"
#include "util.h"

/* The flooder keeps this much queued, and reads replies this often. */
#define FLOOD_LOW		(64 * 1024)
#define FLOOD_BATCH		2048
#define FLOOD_READ_MS		100
/* ... and asks for status once in this many requests. */
#define FLOOD_STATUS_EVERY	1024
/* How often the daemon's memory is sampled. */
#define RSS_SAMPLE_MS		20
/* A refused connection (backlog full) is tried again this soon. */
#define CONNECT_RETRY_MS	5
/* Reasons printed in full; more are only counted. */
#define REASONS_SHOWN		20

enum kind {
	K_REGISTER,
	K_EVENT,
	K_BAD_EVENT,
	K_STATUS,
	K_MAX
};

enum vmtype {
	T_CREATING,
	T_CREATED,
	T_DESTROYING,
	T_DESTROYED,
	T_MAX
};

static const char *type_names[T_MAX] = {
	[T_CREATING] = "creating",
	[T_CREATED] = "created",
	[T_DESTROYING] = "destroying",
	[T_DESTROYED] = "destroyed",
};

struct pending {
	uint64_t	sent_ns;
	uint8_t		kind;
};

/* Requests in flight, oldest first: the daemon answers in order. */
struct ring {
	struct pending	*v;
	size_t		 cap, head, n;
};

struct client {
	struct load		*L;
	int			 flooder;
	int			 fd;
	struct bufferevent	*bev;
	struct evbuffer		*in;		/* the flooder's: it reads */
	struct event		*retry;		/* connect again */
	char			 name[48];
	struct ring		 inflight;
	uint64_t		 sent, answered;
	int			 connected;
	int			 registered;	/* its register is sent */
	int			 stopped;	/* sends no more */
	int			 done;		/* every reply is in */
	int			 gone;		/* the daemon hung up */
	/* The event schedule: VM number vm, next step of its lifecycle. */
	uint64_t		 events_sent, share, vm;
	int			 step;
	uint64_t		 since_status;
	int			 bad_sent;
	uint64_t		 types[T_MAX];
};

struct load {
	struct event_base	*base;
	const char		*path;
	char			 tag[32];
	int			 nclients;
	uint64_t		 events;
	int			 window;
	uint64_t		 status_every;
	uint64_t		 keep_every;
	int			 flood;
	pid_t			 pid;
	double			 max_rss_mib;
	double			 max_latency_ms;
	int			 timeout_secs;

	struct client		*clients;	/* nclients, then the flooder */
	int			 connected, connect_retries, normal_done;
	int			 flood_done, fetches;
	uint64_t		 t_start, t_connected, t_normal_done;
	uint64_t		 sent[K_MAX];	/* by the normal clients */
	uint64_t		 flood_sent, flood_events, flood_during;
	double			 waits;		/* on the daemon's reply bound */
	uint64_t		*lat;		/* ns, normal clients */
	size_t			 nlat, caplat;

	struct event		*rss_timer, *flood_timer, *deadline;
	double			 rss_start_kib, rss_end_kib, hwm_kib;

	int			 failed;
	int			 timed_out;
};

static int	nreasons;

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static void __attribute__((format(printf, 2, 3)))
reason(struct load *L, const char *fmt, ...)
{
	va_list	ap;

	L->failed = 1;
	if (++nreasons > REASONS_SHOWN)
		return;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void
ring_push(struct ring *r, uint8_t kind)
{
	struct pending	*nv;
	size_t		 i, ncap;

	if (r->n == r->cap) {
		ncap = r->cap ? r->cap * 2 : 64;
		nv = xcalloc(ncap, sizeof(*nv));
		for (i = 0; i < r->n; i++)
			nv[i] = r->v[(r->head + i) % r->cap];
		free(r->v);
		r->v = nv;
		r->cap = ncap;
		r->head = 0;
	}
	r->v[(r->head + r->n) % r->cap].kind = kind;
	r->v[(r->head + r->n) % r->cap].sent_ns = now_ns();
	r->n++;
}

static struct pending
ring_pop(struct ring *r)
{
	struct pending	p = r->v[r->head];

	r->head = (r->head + 1) % r->cap;
	r->n--;
	return p;
}

/* ---- what a client sends ------------------------------------------- */

static void
send_request(struct client *c, Ksmt__Request *req, enum kind kind)
{
	uint8_t	*buf;
	size_t	 len;

	req->version = KT_PROTO_VERSION;
	if ((buf = frame_pack(&req->base, &len)) == NULL)
		errx(2, "cannot pack a request");
	if (bufferevent_write(c->bev, buf, len) == -1)
		errx(2, "out of memory");
	free(buf);
	ring_push(&c->inflight, (uint8_t)kind);
	c->sent++;
	if (c->flooder)
		c->L->flood_sent++;
	else
		c->L->sent[kind]++;
}

static void
send_register(struct client *c)
{
	Ksmt__Request		req = KSMT__REQUEST__INIT;
	Ksmt__RegisterRequest	reg = KSMT__REGISTER_REQUEST__INIT;

	reg.name = c->name;
	req.body_case = KSMT__REQUEST__BODY_REGISTER;
	req.register_ = &reg;
	send_request(c, &req, K_REGISTER);
	c->registered = 1;
}

static void
send_status(struct client *c)
{
	Ksmt__Request		req = KSMT__REQUEST__INIT;
	Ksmt__StatusRequest	st = KSMT__STATUS_REQUEST__INIT;

	req.body_case = KSMT__REQUEST__BODY_STATUS;
	req.status = &st;
	send_request(c, &req, K_STATUS);
	c->since_status = 0;
}

static void
vm_name(const struct client *c, uint64_t vm, char *buf, size_t len)
{
	(void)xsnprintf(buf, len, "%s-%" PRIu64, c->name, vm);
}

static void
send_event(struct client *c, char *id, enum vmtype t, enum kind kind)
{
	Ksmt__Request	req = KSMT__REQUEST__INIT;
	Ksmt__VMEvent	ev = KSMT__VMEVENT__INIT;

	ev.vm_id = id;
	ev.type = (Ksmt__EventType)t;
	req.body_case = KSMT__REQUEST__BODY_EVENT;
	req.event = &ev;
	send_request(c, &req, kind);
}

/*
 * How many events VM number vm of a normal client gets: the whole
 * lifecycle, or, for every keep_every-th VM, creating and created only,
 * so that it stays.
 */
static int
lifecycle_len(const struct load *L, uint64_t vm)
{
	if (L->keep_every > 0 && vm % L->keep_every == L->keep_every - 1)
		return 2;
	return T_MAX;
}

static void
send_next_event(struct client *c)
{
	char	id[96];

	vm_name(c, c->vm, id, sizeof(id));
	send_event(c, id, (enum vmtype)c->step, K_EVENT);
	c->types[c->step]++;
	c->events_sent++;
	c->since_status++;
	if (++c->step == lifecycle_len(c->L, c->vm)) {
		c->vm++;
		c->step = 0;
	}
}

/* An event the daemon must refuse, half way: a control character. */
static void
send_bad_event(struct client *c)
{
	char	id[96];

	(void)xsnprintf(id, sizeof(id), "%s-bad\001", c->name);
	send_event(c, id, T_CREATED, K_BAD_EVENT);
	c->bad_sent = 1;
}

/* A normal client keeps its window full until its share is sent. */
static void
pump(struct client *c)
{
	struct load	*L = c->L;

	while (!c->stopped && c->inflight.n < (size_t)L->window) {
		if (!c->registered)
			send_register(c);
		else if (L->status_every > 0 &&
		    c->since_status == L->status_every)
			send_status(c);
		else if (!c->bad_sent && c->events_sent >= c->share / 2)
			send_bad_event(c);
		else if (c->events_sent < c->share)
			send_next_event(c);
		else
			c->stopped = 1;
	}
}

/* The flooder: creates and destroys its own VMs, and asks for status. */
static void
flood_batch(struct client *c)
{
	char	id[96];
	int	i;

	for (i = 0; i < FLOOD_BATCH && !c->stopped; i++) {
		if (c->sent % FLOOD_STATUS_EVERY == FLOOD_STATUS_EVERY - 1) {
			send_status(c);
			continue;
		}
		vm_name(c, c->vm, id, sizeof(id));
		send_event(c, id, c->step ? T_DESTROYED : T_CREATED, K_EVENT);
		c->types[c->step ? T_DESTROYED : T_CREATED]++;
		c->L->flood_events++;
		if (c->step)
			c->vm++;
		c->step = !c->step;
	}
}

/*
 * The normal clients are done: the flooder ends its pair, stops and
 * reads the rest of its replies at once.
 */
static void
flood_stop(struct client *c)
{
	struct timeval	tv = { 0, 1000 };
	char		id[96];

	if (c->step) {
		vm_name(c, c->vm, id, sizeof(id));
		send_event(c, id, T_DESTROYED, K_EVENT);
		c->types[T_DESTROYED]++;
		c->L->flood_events++;
		c->vm++;
		c->step = 0;
	}
	c->stopped = 1;
	event_add(c->L->flood_timer, &tv);
}

/* ---- what comes back ------------------------------------------------ */

static void client_finish(struct client *);

static void
check_reply(struct client *c, const Ksmt__Reply *rep)
{
	struct load	*L = c->L;
	struct pending	 p;
	int		 want;
	uint64_t	 dt;

	if (c->inflight.n == 0) {
		reason(L, "%s: a reply to no request (%s)", c->name,
		    frame_code_name(rep->code));
		return;
	}
	p = ring_pop(&c->inflight);
	c->answered++;
	dt = now_ns() - p.sent_ns;
	if (!c->flooder) {
		if (L->nlat == L->caplat) {
			L->caplat = L->caplat ? L->caplat * 2 : 65536;
			L->lat = reallocarray(L->lat, L->caplat,
			    sizeof(*L->lat));
			if (L->lat == NULL)
				err(2, NULL);
		}
		L->lat[L->nlat++] = dt;
	} else if (L->normal_done < L->nclients)
		L->flood_during++;
	want = p.kind == K_BAD_EVENT ? KSMT__REPLY__CODE__BAD_REQUEST :
	    KSMT__REPLY__CODE__OK;
	if ((int)rep->code != want)
		reason(L, "%s: request %" PRIu64 ": %s, expected %s%s%s",
		    c->name, c->answered, frame_code_name(rep->code),
		    frame_code_name(want), rep->message ? ": " : "",
		    rep->message ? rep->message : "");
	else if (p.kind == K_STATUS && (rep->json == NULL ||
	    rep->json[0] != '{'))
		reason(L, "%s: a status reply without JSON", c->name);
}

/* Take the whole replies off the input; -1 if one is bad. */
static int
read_replies(struct client *c, struct evbuffer *in)
{
	Ksmt__Reply	*rep;
	uint8_t		 hdr[FRAME_HDR_LEN], *p;
	size_t		 len;
	int		 r;

	for (;;) {
		if (evbuffer_copyout(in, hdr, sizeof(hdr)) != sizeof(hdr))
			return 0;
		r = frame_length(hdr, evbuffer_get_length(in), FRAME_REPLY_MAX,
		    &len);
		if (r == 0)
			return 0;
		if (r < 0) {
			reason(c->L, "%s: a reply of %zu bytes", c->name, len);
			return -1;
		}
		p = evbuffer_pullup(in, (ev_ssize_t)(FRAME_HDR_LEN + len));
		rep = frame_reply_unpack(p + FRAME_HDR_LEN, len);
		evbuffer_drain(in, FRAME_HDR_LEN + len);
		if (rep == NULL) {
			reason(c->L, "%s: a reply that does not decode",
			    c->name);
			return -1;
		}
		check_reply(c, rep);
		ksmt__reply__free_unpacked(rep, NULL);
	}
}

/* A client has every reply it will get; the run ends with the last. */
static void
client_finish(struct client *c)
{
	struct load	*L = c->L;

	if (c->done)
		return;
	c->done = 1;
	if (c->flooder)
		L->flood_done = 1;
	else if (++L->normal_done == L->nclients) {
		L->t_normal_done = now_ns();
		if (L->flood && !L->flood_done)
			flood_stop(&L->clients[L->nclients]);
	}
	if (L->normal_done == L->nclients && (!L->flood || L->flood_done))
		event_base_loopexit(L->base, NULL);
}

static void
client_replies(struct client *c, struct evbuffer *in)
{
	if (read_replies(c, in) < 0) {
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		c->gone = 1;
		client_finish(c);
		return;
	}
	if (!c->flooder)
		pump(c);
	if (c->stopped && c->inflight.n == 0)
		client_finish(c);
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	client_replies(arg, bufferevent_get_input(bev));
}

/* The flooder's output ran low: more. */
static void
client_write(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	if (c->flooder && !c->stopped)
		flood_batch(c);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client	*c = arg;

	reason(c->L, "%s: the daemon closed the connection (%s) with %zu "
	    "requests unanswered", c->name, what & BEV_EVENT_EOF ? "EOF" :
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()),
	    c->inflight.n);
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	c->gone = 1;
	client_finish(c);
}

/*
 * Every FLOOD_READ_MS the flooder reads all that has come (a bufferevent
 * would read a few KiB at a time), then lets its replies pile up again.
 */
static void
flood_tick(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;
	int		 n;

	if (c->gone || c->done)
		return;
	while ((n = evbuffer_read(c->in, c->fd, 1024 * 1024)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		reason(c->L, "%s: the daemon closed the connection (%s) with "
		    "%zu requests unanswered", c->name, n == 0 ? "EOF" :
		    strerror(errno), c->inflight.n);
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		c->gone = 1;
		client_finish(c);
		return;
	}
	client_replies(c, c->in);
}

/* ---- connecting ----------------------------------------------------- */

static void client_connect(struct client *);

static void
connect_retry(evutil_socket_t fd, short what, void *arg)
{
	client_connect(arg);
}

static void
client_start(struct client *c)
{
	struct load	*L = c->L;
	struct timeval	 tv = { 0, FLOOD_READ_MS * 1000 };

	c->bev = bufferevent_socket_new(L->base, c->fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		errx(2, "out of memory");
	c->connected = 1;
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	if (c->flooder) {
		if ((c->in = evbuffer_new()) == NULL)
			errx(2, "out of memory");
		bufferevent_setwatermark(c->bev, EV_WRITE, FLOOD_LOW, 0);
		bufferevent_enable(c->bev, EV_WRITE);
		send_register(c);
		flood_batch(c);
		event_add(L->flood_timer, &tv);
	} else {
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		pump(c);
	}
}

/*
 * Non-blocking: a Unix socket whose listen backlog is full refuses with
 * EAGAIN at once; that client tries again a little later.
 */
static void
client_connect(struct client *c)
{
	struct load		*L = c->L;
	struct sockaddr_un	 sun;
	struct timeval		 tv = { 0, CONNECT_RETRY_MS * 1000 };

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)xsnprintf(sun.sun_path, sizeof(sun.sun_path), "%s", L->path);
	if (c->fd == -1 && (c->fd = socket(AF_UNIX, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		err(2, "socket (ulimit -n is too low for %d clients?)",
		    L->nclients + 1);
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno != EAGAIN)
			err(2, "%s", L->path);
		L->connect_retries++;
		if (c->retry == NULL &&
		    (c->retry = evtimer_new(L->base, connect_retry, c)) == NULL)
			errx(2, "out of memory");
		evtimer_add(c->retry, &tv);
		return;
	}
	if (++L->connected == L->nclients + L->flood)
		L->t_connected = now_ns();
	client_start(c);
}

/* ---- the daemon's memory -------------------------------------------- */

/* VmRSS and VmHWM of pid, in KiB; -1 if it cannot be read. */
static int
read_rss(pid_t pid, double *rss, double *hwm)
{
	char	 path[64], line[256];
	FILE	*f;
	int	 found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			found += sscanf(line + 6, "%lf", rss);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			found += sscanf(line + 6, "%lf", hwm);
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

static void
rss_sample(struct load *L)
{
	double	rss, hwm;

	if (L->pid <= 0 || read_rss(L->pid, &rss, &hwm) < 0)
		return;
	if (hwm > L->hwm_kib)
		L->hwm_kib = hwm;
	L->rss_end_kib = rss;
}

static void
rss_tick(evutil_socket_t fd, short what, void *arg)
{
	rss_sample(arg);
}

static void
deadline_hit(evutil_socket_t fd, short what, void *arg)
{
	struct load	*L = arg;

	L->timed_out = 1;
	event_base_loopexit(L->base, NULL);
}

/* ---- status, before and after --------------------------------------- */

static int
sync_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)xsnprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "%s", path);
	return fd;
}

/* One status request on a connection of its own: the parsed JSON. */
static cJSON *
fetch_status(const char *path)
{
	Ksmt__Request		 req = KSMT__REQUEST__INIT;
	Ksmt__StatusRequest	 st = KSMT__STATUS_REQUEST__INIT;
	Ksmt__Reply		*rep;
	static uint8_t		 buf[FRAME_HDR_LEN + FRAME_REPLY_MAX];
	uint8_t			*out;
	size_t			 len, have = 0, n;
	ssize_t			 r;
	cJSON			*j;
	int			 fd;

	req.version = KT_PROTO_VERSION;
	req.body_case = KSMT__REQUEST__BODY_STATUS;
	req.status = &st;
	if ((out = frame_pack(&req.base, &len)) == NULL)
		errx(2, "cannot pack a request");
	fd = sync_connect(path);
	if (write(fd, out, len) != (ssize_t)len)
		err(2, "status request");
	free(out);
	while (frame_length(buf, have, FRAME_REPLY_MAX, &n) == 0) {
		if ((r = read(fd, buf + have, sizeof(buf) - have)) <= 0)
			errx(2, "status: the daemon hung up");
		have += (size_t)r;
	}
	close(fd);
	if (frame_length(buf, have, FRAME_REPLY_MAX, &n) < 0 ||
	    (rep = frame_reply_unpack(buf + FRAME_HDR_LEN, n)) == NULL)
		errx(2, "status: a bad reply");
	if (rep->code != KSMT__REPLY__CODE__OK || rep->json == NULL)
		errx(2, "status: %s", frame_code_name(rep->code));
	if ((j = cJSON_Parse(rep->json)) == NULL)
		errx(2, "status: JSON does not parse");
	ksmt__reply__free_unpacked(rep, NULL);
	return j;
}

/* A number at a path of object keys, e.g. num(j, 3, "a", "b", "c"). */
static double
num(const cJSON *j, int depth, ...)
{
	va_list	ap;
	int	i;

	va_start(ap, depth);
	for (i = 0; i < depth && j != NULL; i++)
		j = cJSON_GetObjectItemCaseSensitive(j, va_arg(ap, char *));
	va_end(ap);
	return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

static const cJSON *
obj(const cJSON *j, const char *a, const char *b)
{
	j = cJSON_GetObjectItemCaseSensitive(j, a);
	return b != NULL ? cJSON_GetObjectItemCaseSensitive(j, b) : j;
}

static void
expect_eq(struct load *L, const char *what, double want, double got)
{
	if (want != got)
		reason(L, "%s: expected %.0f, status says %.0f", what, want,
		    got);
}

/* The socket input's counts by type: all that was sent and accepted. */
static void
verify_inputs(struct load *L, const cJSON *before, const cJSON *after)
{
	const char	*ev;
	char		 what[64];
	uint64_t	 want;
	int		 t, i;

	for (t = 0; t < T_MAX; t++) {
		want = 0;
		for (i = 0; i < L->nclients + L->flood; i++)
			want += L->clients[i].types[t];
		ev = type_names[t];
		(void)xsnprintf(what, sizeof(what), "socket events %s", ev);
		expect_eq(L, what, (double)want,
		    num(after, 4, "inputs", "socket", "events", ev) -
		    num(before, 4, "inputs", "socket", "events", ev));
	}
}

/*
 * By registered name: the daemon counts the first names apart and the
 * rest together under "(other)".  Assumes no one else sends events
 * meanwhile.
 */
static void
verify_registered(struct load *L, const cJSON *before, const cJSON *after)
{
	const cJSON	*reg = obj(after, "inputs", "socket");
	const cJSON	*c, *breg = obj(before, "inputs", "socket");
	uint64_t	 other[T_MAX] = { 0 };
	char		 what[96];
	int		 i, t;

	reg = cJSON_GetObjectItemCaseSensitive(reg, "registered");
	breg = cJSON_GetObjectItemCaseSensitive(breg, "registered");
	for (i = 0; i < L->nclients + L->flood; i++) {
		c = cJSON_GetObjectItemCaseSensitive(reg, L->clients[i].name);
		for (t = 0; t < T_MAX; t++) {
			if (c == NULL) {
				other[t] += L->clients[i].types[t];
				continue;
			}
			(void)xsnprintf(what, sizeof(what), "%s %s",
			    L->clients[i].name, type_names[t]);
			expect_eq(L, what, (double)L->clients[i].types[t],
			    num(c, 1, type_names[t]));
		}
	}
	for (t = 0; t < T_MAX; t++) {
		(void)xsnprintf(what, sizeof(what), "(other) %s",
		    type_names[t]);
		expect_eq(L, what, (double)other[t],
		    num(reg, 2, "(other)", type_names[t]) -
		    num(breg, 2, "(other)", type_names[t]));
	}
}

static void
verify_control(struct load *L, const cJSON *before, const cJSON *after)
{
	const cJSON	*r = obj(after, "control", "rejected"), *x;
	const cJSON	*br = obj(before, "control", "rejected");
	double		 d;

	/* Every client of the run, and the status connections after it. */
	expect_eq(L, "connections accepted",
	    (double)(L->nclients + L->flood + L->fetches),
	    num(after, 2, "control", "accepted") -
	    num(before, 2, "control", "accepted"));
	/* With every client gone, nothing is left waiting. */
	expect_eq(L, "reply bytes waiting", 0,
	    num(after, 2, "control", "reply_bytes"));
	expect_eq(L, "clients waiting", 0, num(after, 2, "control", "waiting"));
	L->waits = num(after, 2, "control", "waits") -
	    num(before, 2, "control", "waits");
	cJSON_ArrayForEach(x, r) {
		d = x->valuedouble - num(br, 1, x->string);
		if (strcmp(x->string, "bad_request") == 0)
			expect_eq(L, "rejected bad_request",
			    (double)L->sent[K_BAD_EVENT], d);
		else if (d != 0)
			reason(L, "rejected %s: %.0f", x->string, d);
	}
}

/* A VM this run should have left in the registry. */
struct live_vm {
	char		 id[96];
	const char	*state;
	int		 seen;
};

static int
cmp_live(const void *a, const void *b)
{
	return strcmp(((const struct live_vm *)a)->id,
	    ((const struct live_vm *)b)->id);
}

/* By the same schedule the clients followed: the VMs left, sorted. */
static struct live_vm *
expected_vms(const struct load *L, size_t *np)
{
	const struct client	*c;
	struct live_vm		*v = NULL;
	size_t			 n = 0, cap = 0;
	uint64_t		 vm;
	int			 i, last;

	for (i = 0; i < L->nclients + L->flood; i++) {
		c = &L->clients[i];
		for (vm = 0; vm <= c->vm; vm++) {
			/* The last event VM vm got. */
			if (c->flooder)
				last = vm < c->vm ? T_DESTROYED :
				    c->step ? T_CREATED : -1;
			else if (vm < c->vm)
				last = lifecycle_len(L, vm) - 1;
			else
				last = c->step - 1;
			if (last < 0 || last == T_DESTROYED)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				if ((v = reallocarray(v, cap, sizeof(*v))) ==
				    NULL)
					err(2, NULL);
			}
			vm_name(c, vm, v[n].id, sizeof(v[n].id));
			v[n].state = last == T_DESTROYING ? "destroying" :
			    "running";
			v[n].seen = 0;
			n++;
		}
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_live);
	*np = n;
	return v;
}

/*
 * The registry holds every VM this run left, in the state its last event
 * gave it, once, and no other VM of this run.
 */
static void
verify_vms(struct load *L, const cJSON *after, uint64_t *live)
{
	const cJSON	*vms = cJSON_GetObjectItemCaseSensitive(after, "vms");
	const cJSON	*v, *st;
	struct live_vm	*want, key, *w;
	size_t		 n, i, taglen = strlen(L->tag);

	want = expected_vms(L, &n);
	*live = n;
	cJSON_ArrayForEach(v, vms) {
		if (strncmp(v->string, L->tag, taglen) != 0)
			continue;
		(void)xsnprintf(key.id, sizeof(key.id), "%s", v->string);
		w = n > 0 ? bsearch(&key, want, n, sizeof(*want), cmp_live) :
		    NULL;
		st = cJSON_GetObjectItemCaseSensitive(v, "state");
		if (w == NULL)
			reason(L, "VM %s is in the registry: it was destroyed",
			    v->string);
		else if (w->seen++)
			reason(L, "VM %s is listed twice", v->string);
		else if (!cJSON_IsString(st) ||
		    strcmp(st->valuestring, w->state) != 0)
			reason(L, "VM %s: state %s, expected %s", v->string,
			    cJSON_IsString(st) ? st->valuestring : "?",
			    w->state);
	}
	/* A status cut to its size limit leaves the last VMs out: unknown. */
	if (cJSON_GetObjectItemCaseSensitive(after, "truncated") != NULL)
		reason(L, "the status was cut to its size limit: the "
		    "registry cannot be checked whole; run fewer VMs");
	else
		for (i = 0; i < n; i++)
			if (!want[i].seen)
				reason(L, "VM %s is not in the registry",
				    want[i].id);
	free(want);
}

/* Status once every connection of the run is gone from the daemon. */
static cJSON *
final_status(struct load *L, const cJSON *before)
{
	cJSON	*after;
	int	 i;

	for (i = 0;; i++) {
		after = fetch_status(L->path);
		L->fetches++;
		if (num(after, 2, "control", "clients") <= 1 || i == 100)
			break;
		cJSON_Delete(after);
		usleep(50000);
		after = NULL;
	}
	if (num(after, 2, "control", "clients") > 1)
		reason(L, "%.0f connections still open 5 s after the run",
		    num(after, 2, "control", "clients") - 1);
	return after;
}

/* ---- figures -------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(const struct load *L, double p)
{
	size_t	i;

	if (L->nlat == 0)
		return 0;
	i = (size_t)(p * (double)(L->nlat - 1) + 0.5);
	return (double)L->lat[i] / 1e6;
}

static void
check_replies(struct load *L)
{
	struct client	*c;
	int		 i, missing = 0;

	for (i = 0; i < L->nclients + L->flood; i++) {
		c = &L->clients[i];
		if (!c->connected)
			reason(L, "%s never connected", c->name);
		else if (c->inflight.n > 0 && ++missing <= 3)
			reason(L, "%s: %zu of %" PRIu64 " requests unanswered",
			    c->name, c->inflight.n, c->sent);
		else if (!c->flooder && c->events_sent != c->share)
			reason(L, "%s: sent %" PRIu64 " of its %" PRIu64
			    " events", c->name, c->events_sent, c->share);
	}
	if (missing > 3)
		reason(L, "%d clients with requests unanswered", missing);
}

static void
report(struct load *L, uint64_t live)
{
	double	secs, conn;
	uint64_t requests = 0;
	int	k;

	for (k = 0; k < K_MAX; k++)
		requests += L->sent[k];
	secs = (double)(L->t_normal_done - L->t_start) / 1e9;
	conn = L->t_connected ? (double)(L->t_connected - L->t_start) / 1e9 :
	    -1;
	qsort(L->lat, L->nlat, sizeof(*L->lat), cmp_u64);
	printf("clients:        %d connected at once%s (all in %.3f s, %d "
	    "connect retries on a full backlog)\n", L->nclients,
	    L->flood ? " + 1 flooder" : "", conn, L->connect_retries);
	printf("events:         %" PRIu64 " (+ %" PRIu64 " status, %" PRIu64
	    " register, %" PRIu64 " refused; %" PRIu64 " VMs left)\n",
	    L->sent[K_EVENT], L->sent[K_STATUS], L->sent[K_REGISTER],
	    L->sent[K_BAD_EVENT], live);
	printf("seconds:        %.3f (from the first connect to the last "
	    "reply)\n", secs);
	printf("events/s:       %.0f (requests/s: %.0f)\n",
	    secs > 0 ? (double)L->sent[K_EVENT] / secs : 0,
	    secs > 0 ? (double)requests / secs : 0);
	printf("latency:        p50 %.1f ms, p99 %.1f ms, max %.1f ms "
	    "(%zu requests of the normal clients, window %d)\n",
	    pct_ms(L, 0.5), pct_ms(L, 0.99), pct_ms(L, 1.0), L->nlat,
	    L->window);
	if (L->flood)
		printf("flooder:        %" PRIu64 " requests (%" PRIu64
		    " events), %" PRIu64 " answered while the normal clients "
		    "ran, %.0f each\n", L->flood_sent, L->flood_events,
		    L->flood_during, (double)requests / L->nclients);
	printf("waits:          %.0f times a client waited for the replies "
	    "of all to go down\n", L->waits);
	if (L->pid > 0)
		printf("daemon RSS:     %.1f MiB at start, peak %.1f MiB "
		    "(VmHWM), %.1f MiB at end\n", L->rss_start_kib / 1024,
		    L->hwm_kib / 1024, L->rss_end_kib / 1024);
	else
		printf("daemon RSS:     not measured (no -p)\n");
}

static void
verdict(struct load *L, uint64_t live)
{
	if (L->timed_out)
		reason(L, "not done within %d s", L->timeout_secs);
	if (L->pid > 0 && L->max_rss_mib > 0 &&
	    L->hwm_kib / 1024 > L->max_rss_mib)
		reason(L, "the daemon's peak RSS %.1f MiB is over %.0f MiB",
		    L->hwm_kib / 1024, L->max_rss_mib);
	if (L->max_latency_ms > 0 && pct_ms(L, 1.0) > L->max_latency_ms)
		reason(L, "a normal client waited %.1f ms for a reply, over "
		    "%.0f ms", pct_ms(L, 1.0), L->max_latency_ms);
	if (nreasons > REASONS_SHOWN)
		printf("FAIL: ... %d reasons in all\n", nreasons);
	printf("%s\n", L->failed ? "FAIL" : "PASS");
}

/* ---- main ----------------------------------------------------------- */

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: ktload [-F] [-c clients] [-e events] "
	    "[-w window] [-s status_every]\n"
	    "              [-k keep_every] [-p daemon_pid] [-r max_rss_mib] "
	    "[-l max_latency_ms]\n"
	    "              [-t timeout_secs] socket\n"
	    "  -c  clients connected at once (1000)\n"
	    "  -e  VM events they send in all (100000)\n"
	    "  -w  requests each keeps in flight (16)\n"
	    "  -s  a status request after this many events (40; 0: none)\n"
	    "  -k  every Nth VM is left running (25; 0: none)\n"
	    "  -F  no flooder\n"
	    "  -p  the daemon's pid, for its VmRSS and VmHWM\n"
	    "  -r  fail if its VmHWM is over this many MiB (64; 0: no limit)\n"
	    "  -l  fail if a reply took longer, in ms (0: no limit)\n"
	    "  -t  fail if not done in this many seconds (120)\n");
	exit(2);
}

static uint64_t
opt_num(const char *s, uint64_t min, uint64_t max)
{
	uint64_t	n;

	if (parse_u64(s, &n) < 0 || n < min || n > max)
		errx(2, "%s: expected a number from %" PRIu64 " to %" PRIu64,
		    s, min, max);
	return n;
}

static void
setup(struct load *L)
{
	struct client	*c;
	int		 i;

	L->clients = xcalloc((size_t)L->nclients + 1, sizeof(*L->clients));
	for (i = 0; i < L->nclients + L->flood; i++) {
		c = &L->clients[i];
		c->L = L;
		c->fd = -1;
		c->flooder = i == L->nclients;
		if (c->flooder)
			(void)xsnprintf(c->name, sizeof(c->name), "%s-flood",
			    L->tag);
		else {
			(void)xsnprintf(c->name, sizeof(c->name), "%s-%04d",
			    L->tag, i);
			c->share = L->events / (uint64_t)L->nclients +
			    ((uint64_t)i < L->events % (uint64_t)L->nclients);
		}
	}
	L->flood_timer = event_new(L->base, -1, EV_PERSIST, flood_tick,
	    L->flood ? &L->clients[L->nclients] : NULL);
	L->rss_timer = event_new(L->base, -1, EV_PERSIST, rss_tick, L);
	L->deadline = evtimer_new(L->base, deadline_hit, L);
	if (L->flood_timer == NULL || L->rss_timer == NULL ||
	    L->deadline == NULL)
		errx(2, "out of memory");
}

static void
teardown(struct load *L)
{
	struct client	*c;
	int		 i;

	for (i = 0; i < L->nclients + L->flood; i++) {
		c = &L->clients[i];
		if (c->retry != NULL)
			event_free(c->retry);
		if (c->in != NULL)
			evbuffer_free(c->in);
		free(c->inflight.v);
	}
	free(L->clients);
	free(L->lat);
	event_free(L->flood_timer);
	event_free(L->rss_timer);
	event_free(L->deadline);
	event_base_free(L->base);
}

static void
run(struct load *L)
{
	struct timeval	rss_tv = { 0, RSS_SAMPLE_MS * 1000 };
	struct timeval	dl = { L->timeout_secs, 0 };
	double		rss, hwm;
	int		i;

	if (L->pid > 0) {
		if (read_rss(L->pid, &rss, &hwm) < 0)
			err(2, "/proc/%d/status", (int)L->pid);
		L->rss_start_kib = L->rss_end_kib = rss;
		L->hwm_kib = hwm;
		event_add(L->rss_timer, &rss_tv);
	}
	evtimer_add(L->deadline, &dl);
	L->t_start = now_ns();
	/* The flooder first: the normal clients run during its flood. */
	if (L->flood)
		client_connect(&L->clients[L->nclients]);
	for (i = 0; i < L->nclients; i++)
		client_connect(&L->clients[i]);
	event_base_dispatch(L->base);
	if (L->t_normal_done == 0)
		L->t_normal_done = now_ns();
	rss_sample(L);
	event_del(L->rss_timer);
	for (i = 0; i < L->nclients + L->flood; i++)
		if (L->clients[i].bev != NULL)
			bufferevent_free(L->clients[i].bev);
	/* The loop finalizes what was freed: the sockets close. */
	event_base_loop(L->base, EVLOOP_NONBLOCK);
}

int
main(int argc, char *argv[])
{
	struct load	 L;
	cJSON		*before, *after;
	uint64_t	 live = 0;
	int		 ch;

	memset(&L, 0, sizeof(L));
	L.nclients = 1000;
	L.events = 100000;
	L.window = 16;
	L.status_every = 40;
	L.keep_every = 25;
	L.flood = 1;
	L.max_rss_mib = 64;
	L.max_latency_ms = 0;
	L.timeout_secs = 120;
	while ((ch = getopt(argc, argv, "c:e:Fhk:l:p:r:s:t:w:")) != -1) {
		switch (ch) {
		case 'c': L.nclients = (int)opt_num(optarg, 1, 100000); break;
		case 'e': L.events = opt_num(optarg, 0, UINT32_MAX); break;
		case 'F': L.flood = 0; break;
		case 'k': L.keep_every = opt_num(optarg, 0, UINT32_MAX); break;
		case 'l': L.max_latency_ms = (double)opt_num(optarg, 0,
		    86400000); break;
		case 'p': L.pid = (pid_t)opt_num(optarg, 1, INT32_MAX); break;
		case 'r': L.max_rss_mib = (double)opt_num(optarg, 0,
		    1 << 20); break;
		case 's': L.status_every = opt_num(optarg, 0, UINT32_MAX);
		    break;
		case 't': L.timeout_secs = (int)opt_num(optarg, 1, 86400);
		    break;
		case 'w': L.window = (int)opt_num(optarg, 1, 1 << 20); break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	L.path = argv[optind];
	signal(SIGPIPE, SIG_IGN);
	(void)xsnprintf(L.tag, sizeof(L.tag), "ktload%d", (int)getpid());
	if ((L.base = event_base_new()) == NULL)
		errx(2, "event_base_new");
	setup(&L);
	before = fetch_status(L.path);
	run(&L);
	check_replies(&L);
	after = final_status(&L, before);
	verify_inputs(&L, before, after);
	verify_registered(&L, before, after);
	verify_control(&L, before, after);
	verify_vms(&L, after, &live);
	report(&L, live);
	verdict(&L, live);
	cJSON_Delete(before);
	cJSON_Delete(after);
	teardown(&L);
	return L.failed ? 1 : 0;
}
