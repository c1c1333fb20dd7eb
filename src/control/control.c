/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket.  A Unix stream socket in the run directory where
 * ksm-throttlerctl and VM runtimes send length-prefixed protobuf
 * requests: accepting, peer credentials, the limits that keep one client
 * from hurting the others, and the dispatch of requests.
 *
 * Everything a client sends is hostile.  A bad request gets an error
 * reply and a log line (the first few per client; all are counted in
 * status), a client that cannot be understood any more is closed, and
 * nothing a client does stops the daemon or stalls the other clients.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "frame.h"
#include "input.h"
#include "input-socket.h"
#include "log.h"
#include "util.h"

/*
 * As deep as the kernel allows (it caps this at net.core.somaxconn): a
 * thousand clients that connect at once wait to be accepted, rather than
 * being refused with EAGAIN.
 */
#define LISTEN_BACKLOG		SOMAXCONN
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
 * The replies waiting in all the clients' output together.  Above
 * REPLIES_HIGH no client's requests are handled: each waits its turn, in
 * the order they came, until the total is below REPLIES_LOW again.  This
 * bounds the daemon's memory whatever the number of clients: a thousand
 * clients asking for status at once do not each hold a copy of it.  A
 * client that reads nothing holds at most OUTPUT_HIGH and one reply of
 * the total until idle_timeout_secs drops it: it takes dozens of them
 * at once to hold up the others.
 */
#define REPLIES_HIGH		(8 * 1024 * 1024)
#define REPLIES_LOW		(4 * 1024 * 1024)
/* Bad requests before a client is dropped, and how many are logged. */
#define CLIENT_ERRORS_MAX	32
#define CLIENT_ERRORS_LOGGED	5
/* Out of descriptors: stop accepting for a while rather than spin. */
#define ACCEPT_BACKOFF_SECS	1
/* Supplementary groups of a peer read at first; more are asked for. */
#define PEER_GROUPS_FIRST	64

enum reject {
	REJECT_BUSY,
	REJECT_OVERSIZED,
	REJECT_UNDECODABLE,
	REJECT_BAD_VERSION,
	REJECT_BAD_REQUEST,
	REJECT_PERMISSION,
	REJECT_INVALID_CONFIG,
	REJECT_TIMEOUT,
	REJECT_MAX
};

static const char *reject_names[REJECT_MAX] = {
	[REJECT_BUSY] = "busy",
	[REJECT_OVERSIZED] = "oversized",
	[REJECT_UNDECODABLE] = "undecodable",
	[REJECT_BAD_VERSION] = "bad_version",
	[REJECT_BAD_REQUEST] = "bad_request",
	[REJECT_PERMISSION] = "permission",
	[REJECT_INVALID_CONFIG] = "invalid_config",
	[REJECT_TIMEOUT] = "timeout",
};

struct client {
	TAILQ_ENTRY(client)	 entry;
	TAILQ_ENTRY(client)	 wait_entry;	/* in ctl->waiting */
	struct control		*ctl;
	struct bufferevent	*bev;
	struct evbuffer_cb_entry *out_cb;	/* counts into ctl->queued */
	struct event		*deadline;	/* a frame must be whole by then */
	struct event		*resume;	/* more frames after a yield */
	unsigned long long	 id;
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 gid;
	int			 privileged;
	int			 talked;	/* sent a whole frame */
	int			 paused;	/* replies piled up */
	int			 waiting;	/* for ctl->queued to go down */
	int			 closing;	/* flush the replies, then free */
	int			 eof;
	unsigned		 errors;
	char			 name[CLIENT_NAME_MAX + 1];
};

TAILQ_HEAD(client_list, client);

struct control {
	struct daemon		*d;
	struct evconnlistener	*listener;
	struct event		*backoff;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char		*base;		/* path's name in the run directory */
	struct client_list	 clients;
	size_t			 nclients;
	struct client_list	 waiting;	/* oldest first */
	size_t			 nwaiting;
	uint64_t		 waits;		/* clients made to wait, ever */
	size_t			 queued;	/* reply bytes, all clients */
	struct event		*wake;		/* serve the waiting */
	unsigned long long	 next_id;
	uint64_t		 accepted;
	uint64_t		 rejected[REJECT_MAX];
	int			 full;		/* at max_clients, logged */
	char			*group;		/* socket.group as resolved */
	gid_t			 gid;
	int			 have_gid;
};

struct reply {
	Ksmt__Reply__Code	 code;
	char			 message[512];
	char			*json;		/* malloc'ed, or NULL */
};

/*
 * A request's body: check says what is wrong with it, from the request
 * alone (NULL: nothing to check); fn acts on one that passed.
 */
struct control_cmd {
	Ksmt__Request__BodyCase	 body;
	const char		*name;
	int			 changes_host;
	int			(*check)(const Ksmt__Request *, char *, size_t);
	void			(*fn)(struct client *, const Ksmt__Request *,
				    struct reply *);
};

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

	if (ctl->queued < REPLIES_LOW && !TAILQ_EMPTY(&ctl->waiting))
		evtimer_add(ctl->wake, &now);
}

/* Oldest first, for as long as the total allows. */
static void
control_wake(evutil_socket_t fd, short what, void *arg)
{
	struct control	*ctl = arg;
	struct client	*c;

	while (ctl->queued <= REPLIES_HIGH &&
	    (c = TAILQ_FIRST(&ctl->waiting)) != NULL) {
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
	if (info->n_deleted > 0)
		control_maybe_wake(ctl);
}

static void
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

static void __attribute__((format(printf, 5, 6)))
reject(struct client *c, struct reply *rep, enum reject why,
    Ksmt__Reply__Code code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(rep->message, sizeof(rep->message), fmt, ap);
	va_end(ap);
	rep->code = code;
	c->ctl->rejected[why]++;
	if (++c->errors <= CLIENT_ERRORS_LOGGED)
		log_warnx("control: client %llu (pid %d, uid %u): %s%s", c->id,
		    (int)c->pid, (unsigned)c->uid, rep->message,
		    c->errors == CLIENT_ERRORS_LOGGED ?
		    " (its further errors are only counted)" : "");
}

static char *
json_text(cJSON *j)
{
	char	*s;

	s = cJSON_Print(j);
	cJSON_Delete(j);
	return s;
}

static void
cmd_register(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	struct input	*in;

	if (c->name[0] != '\0') {
		reject(c, rep, REJECT_BAD_REQUEST, KSMT__REPLY__CODE__BAD_REQUEST,
		    "register: already registered as %s", c->name);
		return;
	}
	(void)xsnprintf(c->name, sizeof(c->name), "%s",
	    req->register_->name);
	if ((in = input_find(c->ctl->d, "socket")) != NULL)
		input_socket_register(in, c->name);
	log_info("control: client %llu (pid %d) registered as %s", c->id,
	    (int)c->pid, c->name);
}

static void
cmd_event(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	struct input	*in;

	if ((in = input_find(c->ctl->d, "socket")) == NULL) {
		rep->code = KSMT__REPLY__CODE__INTERNAL;
		(void)xsnprintf(rep->message, sizeof(rep->message),
		    "the socket input is not running");
		return;
	}
	input_socket_event(in, c->name, req->event);
}

static void
cmd_kick(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	struct input	*in;

	if ((in = input_find(c->ctl->d, "socket")) != NULL)
		input_socket_kick(in, c->name);
}

static void
cmd_status(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	rep->json = json_text(daemon_status(c->ctl->d));
}

static void
cmd_config(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	rep->json = json_text(conf_to_json(c->ctl->d->conf, ""));
}

static const char *config_sections[] = {
	[KSMT__CONFIG_SET__SECTION__KSM] = "ksm",
	[KSMT__CONFIG_SET__SECTION__MEMCG] = "memcg",
	[KSMT__CONFIG_SET__SECTION__COMPACT] = "compact",
};

static void
cmd_config_set(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	const Ksmt__ConfigSet	*m = req->config_set;
	const char		*section = config_sections[m->section];
	char			 err[sizeof(rep->message)];

	if (daemon_reconfigure(c->ctl->d, section, m->json, err,
	    sizeof(err)) < 0) {
		reject(c, rep, REJECT_INVALID_CONFIG,
		    KSMT__REPLY__CODE__INVALID_CONFIG, "%s-set: %s", section,
		    err);
		return;
	}
	log_info("control: client %llu (pid %d, uid %u) changed %s", c->id,
	    (int)c->pid, (unsigned)c->uid, section);
}

static int __attribute__((format(printf, 3, 4)))
why(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int
check_register(const Ksmt__Request *req, char *buf, size_t len)
{
	if (!input_socket_name_ok(req->register_->name))
		return why(buf, len, "register: name: expected 1 to %d of "
		    "[A-Za-z0-9._-]", CLIENT_NAME_MAX);
	return 0;
}

static int
check_event(const Ksmt__Request *req, char *buf, size_t len)
{
	const char	*bad;

	if ((bad = input_socket_event_check(req->event)) != NULL)
		return why(buf, len, "event: %s", bad);
	return 0;
}

static int
check_config_set(const Ksmt__Request *req, char *buf, size_t len)
{
	if ((unsigned)req->config_set->section >= nitems(config_sections))
		return why(buf, len, "config_set: unknown section %d",
		    (int)req->config_set->section);
	return 0;
}

static const struct control_cmd control_cmds[] = {
	{ KSMT__REQUEST__BODY_REGISTER, "register", 1, check_register,
	    cmd_register },
	{ KSMT__REQUEST__BODY_EVENT, "event", 1, check_event, cmd_event },
	{ KSMT__REQUEST__BODY_KICK, "kick", 1, NULL, cmd_kick },
	{ KSMT__REQUEST__BODY_STATUS, "status", 0, NULL, cmd_status },
	{ KSMT__REQUEST__BODY_CONFIG, "config", 0, NULL, cmd_config },
	{ KSMT__REQUEST__BODY_CONFIG_SET, "config_set", 1, check_config_set,
	    cmd_config_set },
	{ KSMT__REQUEST__BODY__NOT_SET, NULL, 0, NULL, NULL }
};

/* The command for a body; the table's end (no name) for an unknown one. */
static const struct control_cmd *
control_cmd_find(Ksmt__Request__BodyCase body)
{
	const struct control_cmd	*cmd;

	for (cmd = control_cmds; cmd->name != NULL; cmd++)
		if (cmd->body == body)
			break;
	return cmd;
}

/*
 * What can be said of a request alone, before the client's rights and
 * the daemon's state are looked at: the version it speaks, a body this
 * daemon knows, that body's fields.  0 if nothing is wrong; otherwise the
 * reply's code, and why in buf.
 */
int
control_request_check(const Ksmt__Request *req, char *buf, size_t len)
{
	const struct control_cmd	*cmd;

	if (req->version != KT_PROTO_VERSION) {
		(void)why(buf, len, "protocol version %u is not spoken here "
		    "(%d is)", (unsigned)req->version, KT_PROTO_VERSION);
		return KSMT__REPLY__CODE__BAD_VERSION;
	}
	if ((cmd = control_cmd_find(req->body_case))->name == NULL) {
		(void)why(buf, len, "unknown request (body %d)",
		    (int)req->body_case);
		return KSMT__REPLY__CODE__BAD_REQUEST;
	}
	if (cmd->check != NULL && cmd->check(req, buf, len) < 0)
		return KSMT__REPLY__CODE__BAD_REQUEST;
	return 0;
}

static void
dispatch(struct client *c, const Ksmt__Request *req, struct reply *rep)
{
	const struct control_cmd	*cmd;
	const char			*group = c->ctl->group;
	char				 bad[sizeof(rep->message)];
	int				 code;

	if ((code = control_request_check(req, bad, sizeof(bad))) != 0) {
		reject(c, rep, code == KSMT__REPLY__CODE__BAD_VERSION ?
		    REJECT_BAD_VERSION : REJECT_BAD_REQUEST, code, "%s", bad);
		return;
	}
	cmd = control_cmd_find(req->body_case);
	if (cmd->changes_host && !c->privileged) {
		reject(c, rep, REJECT_PERMISSION,
		    KSMT__REPLY__CODE__PERMISSION_DENIED,
		    "%s: permission denied: only root%s%s may change the host",
		    cmd->name, c->ctl->have_gid ? " and members of group " :
		    "", c->ctl->have_gid ? group : "");
		return;
	}
	cmd->fn(c, req, rep);
}

/*
 * Handle the frame at the head of the input, if it is whole.  Returns 1
 * if one was handled, 0 if more bytes are needed, -1 if the client is
 * closing (and may be gone).
 */
static int
client_frame(struct client *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct reply	 rep;
	Ksmt__Request	*req;
	uint8_t		*body;
	uint64_t	 max = c->ctl->d->conf->socket_max_frame_bytes;
	size_t		 len;
	int		 r;

	if ((r = frame_next(in, (size_t)max, &body, &len)) == 0)
		return 0;
	memset(&rep, 0, sizeof(rep));
	if (r == -EMSGSIZE) {
		reject(c, &rep, REJECT_OVERSIZED, KSMT__REPLY__CODE__BAD_REQUEST,
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
	req = frame_request_unpack(body, len);
	evbuffer_drain(in, FRAME_HDR_LEN + len);
	c->talked = 1;
	if (req == NULL)
		reject(c, &rep, REJECT_UNDECODABLE, KSMT__REPLY__CODE__BAD_REQUEST,
		    "frame of %zu bytes is not a Request", len);
	else
		dispatch(c, req, &rep);
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
		if (c->ctl->queued > REPLIES_HIGH) {
			client_wait(c);
			client_arm_deadline(c, n > 0);
			return;
		}
		if ((r = client_frame(c)) <= 0)
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

/* Is the peer in group gid, by its primary or a supplementary group? */
static int
peer_in_group(int fd, const struct ucred *cr, gid_t gid)
{
	gid_t		*groups;
	socklen_t	 len = PEER_GROUPS_FIRST * sizeof(gid_t);
	size_t		 i;
	int		 r, found = 0;

	if (cr->gid == gid)
		return 1;
	groups = xcalloc(1, len);
	r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (r == -1 && errno == ERANGE) {
		free(groups);
		groups = xcalloc(1, len);
		r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	}
	if (r == -1)
		log_warn("control: SO_PEERGROUPS, going by the primary group");
	else
		for (i = 0; i < len / sizeof(gid_t) && !found; i++)
			found = groups[i] == gid;
	free(groups);
	return found;
}

/* Refuse a connection over max_clients: a reply saying so, and close. */
static void
control_busy(struct control *ctl, int fd)
{
	Ksmt__Reply	 m = KSMT__REPLY__INIT;
	char		 msg[128];
	uint8_t		*buf;
	size_t		 len;

	ctl->rejected[REJECT_BUSY]++;
	if (!ctl->full) {
		log_warnx("control: %zu clients, socket.max_clients reached: "
		    "refusing new ones", ctl->nclients);
		ctl->full = 1;
	}
	snprintf(msg, sizeof(msg), "too many clients (socket.max_clients is "
	    "%llu), try again later",
	    (unsigned long long)ctl->d->conf->socket_max_clients);
	m.version = KT_PROTO_VERSION;
	m.code = KSMT__REPLY__CODE__BUSY;
	m.message = msg;
	if ((buf = frame_pack(&m.base, &len)) != NULL)
		(void)send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(buf);
	close(fd);
}

/* The limits from the configuration, again after a SIGHUP changed them. */
static void
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

static void
client_setup(struct client *c)
{
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev),
	    client_output, c);
	if (c->out_cb == NULL)
		fatalx("control: out of memory for a client");
	client_limits(c);
	client_reading(c);
	client_arm_deadline(c, 0);
}

static void
control_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control	*ctl = arg;
	struct client	*c;
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);

	if (ctl->nclients >= ctl->d->conf->socket_max_clients) {
		control_busy(ctl, fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1) {
		log_warn("control: SO_PEERCRED, closing the connection");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	c->id = ++ctl->next_id;
	c->pid = cr.pid;
	c->uid = cr.uid;
	c->gid = cr.gid;
	c->privileged = cr.uid == 0 ||
	    (ctl->have_gid && peer_in_group(fd, &cr, ctl->gid));
	c->bev = bufferevent_socket_new(ctl->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(ctl->d->base, client_deadline, c);
	c->resume = evtimer_new(ctl->d->base, client_resume, c);
	if (c->bev == NULL || c->deadline == NULL || c->resume == NULL)
		fatalx("control: out of memory for a client");
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	ctl->nclients++;
	ctl->accepted++;
	log_debug("control: client %llu connected (pid %d, uid %u, gid %u)%s",
	    c->id, (int)c->pid, (unsigned)c->uid, (unsigned)c->gid,
	    c->privileged ? ", may change the host" : "");
	client_setup(c);
}

static void
control_resume_accept(evutil_socket_t fd, short what, void *arg)
{
	struct control	*ctl = arg;

	evconnlistener_enable(ctl->listener);
}

static void
control_accept_error(struct evconnlistener *l, void *arg)
{
	struct control	*ctl = arg;
	struct timeval	 tv = { ACCEPT_BACKOFF_SECS, 0 };
	int		 err = EVUTIL_SOCKET_ERROR();

	errno = err;
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		log_warn("control: accept, ignoring");
		return;
	}
	log_warn("control: accept: not accepting for %d s", ACCEPT_BACKOFF_SECS);
	evconnlistener_disable(l);
	evtimer_add(ctl->backoff, &tv);
}

/*
 * socket.group: a group name or number.  Its members may change the host;
 * the socket file is given to it so that they can connect.
 */
static void
control_group(struct control *ctl)
{
	const char	*name = ctl->d->conf->socket_group;
	struct group	*gr;
	uint64_t	 n;

	free(ctl->group);
	ctl->group = xstrdup(name);
	ctl->have_gid = 0;
	ctl->gid = getegid();
	if (*name != '\0') {
		if ((gr = getgrnam(name)) != NULL) {
			ctl->gid = gr->gr_gid;
			ctl->have_gid = 1;
		} else if (parse_u64(name, &n) == 0 && n < (gid_t)-1) {
			ctl->gid = (gid_t)n;
			ctl->have_gid = 1;
		} else
			log_warnx("control: socket.group %s: no such group; only "
			    "root may change the host", name);
	}
	if (fchownat(ctl->d->rundirfd, ctl->base, (uid_t)-1, ctl->gid,
	    AT_SYMLINK_NOFOLLOW) == -1)
		log_warn("control: %s: chown to group %u, ignoring", ctl->path,
		    (unsigned)ctl->gid);
}

static int __attribute__((format(printf, 4, 5)))
bind_error(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -e;
}

/*
 * The socket file.  The caller holds the run directory's lock, so a
 * socket already there belongs to a daemon that is gone: it is replaced.
 * Anything else there is not ours to remove.
 */
static int
control_bind(struct control *ctl, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd, r, rundirfd = ctl->d->rundirfd;

	if (fstatat(rundirfd, ctl->base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return bind_error(err, errlen, EEXIST, "%s exists and is "
			    "not a socket: not replacing it", ctl->path);
		if (unlinkat(rundirfd, ctl->base, 0) == -1)
			return bind_error(err, errlen, errno, "%s: cannot remove "
			    "the stale socket: %s", ctl->path, strerror(errno));
		log_info("control: replacing the stale socket %s", ctl->path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return bind_error(err, errlen, errno, "socket: %s",
		    strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, ctl->path, strlen(ctl->path));
	/* Born 0660: there is no moment when anyone else may connect. */
	old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
		r = bind_error(err, errlen, errno, "%s: %s", ctl->path,
		    strerror(errno));
		close(fd);
		return r;
	}
	/* It went into the directory we hold, not somewhere else. */
	if (fstatat(rundirfd, ctl->base, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISSOCK(st.st_mode)) {
		close(fd);
		return bind_error(err, errlen, EXDEV, "%s: not in the run "
		    "directory after bind", ctl->path);
	}
	return fd;
}

struct control *
control_open(struct daemon *d, char *err, size_t errlen)
{
	struct control	*ctl;
	const char	*slash;
	int		 fd;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->d = d;
	TAILQ_INIT(&ctl->clients);
	TAILQ_INIT(&ctl->waiting);
	if (xsnprintf(ctl->path, sizeof(ctl->path), "%s",
	    d->conf->socket_path) < 0) {
		snprintf(err, errlen, "socket path %s: longer than %zu bytes",
		    d->conf->socket_path, sizeof(ctl->path) - 1);
		free(ctl);
		return NULL;
	}
	slash = strrchr(ctl->path, '/');
	ctl->base = slash != NULL ? slash + 1 : ctl->path;
	if ((fd = control_bind(ctl, err, errlen)) < 0) {
		free(ctl);
		return NULL;
	}
	ctl->listener = evconnlistener_new(d->base, control_accept, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	ctl->backoff = evtimer_new(d->base, control_resume_accept, ctl);
	ctl->wake = evtimer_new(d->base, control_wake, ctl);
	if (ctl->listener == NULL || ctl->backoff == NULL || ctl->wake == NULL)
		fatalx("control: out of memory");
	evconnlistener_set_error_cb(ctl->listener, control_accept_error);
	control_group(ctl);
	log_info("control: listening on %s", ctl->path);
	return ctl;
}

void
control_close(struct control *ctl)
{
	struct client	*c;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
		client_free(c);
	evconnlistener_free(ctl->listener);
	event_free(ctl->backoff);
	event_free(ctl->wake);
	if (unlinkat(ctl->d->rundirfd, ctl->base, 0) == -1)
		log_warn("control: %s", ctl->path);
	free(ctl->group);
	free(ctl);
}

/* socket.* changed (SIGHUP); the path stays, clients keep their rights. */
void
control_reconfigure(struct control *ctl, const struct conf *old)
{
	struct client	*c;

	if (ctl == NULL || !conf_changed(old, ctl->d->conf, "socket"))
		return;
	if (strcmp(old->socket_group, ctl->d->conf->socket_group) != 0)
		control_group(ctl);
	TAILQ_FOREACH(c, &ctl->clients, entry)
		client_limits(c);
}

void
control_status(struct control *ctl, cJSON *root)
{
	cJSON	*o, *r;
	int	 i;

	if (ctl == NULL)
		return;
	o = cJSON_AddObjectToObject(root, "control");
	cJSON_AddStringToObject(o, "socket", ctl->path);
	cJSON_AddNumberToObject(o, "clients", (double)ctl->nclients);
	cJSON_AddNumberToObject(o, "accepted", (double)ctl->accepted);
	cJSON_AddNumberToObject(o, "reply_bytes", (double)ctl->queued);
	cJSON_AddNumberToObject(o, "waiting", (double)ctl->nwaiting);
	cJSON_AddNumberToObject(o, "waits", (double)ctl->waits);
	r = cJSON_AddObjectToObject(o, "rejected");
	for (i = 0; i < REJECT_MAX; i++)
		cJSON_AddNumberToObject(r, reject_names[i],
		    (double)ctl->rejected[i]);
}
