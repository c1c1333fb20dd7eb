/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket.  A Unix stream socket in the run directory where
 * ksm-throttlerctl and VM runtimes send length-prefixed protobuf
 * requests: the socket file, accepting, peer credentials and who may
 * change the host, and the control socket as a module of the daemon.
 * Its clients are control-client.c's, its requests control-cmd.c's.
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

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "conf.h"
#include "control.h"
#include "control-int.h"
#include "daemon.h"
#include "frame.h"
#include "log.h"
#include "util.h"

/*
 * As deep as the kernel allows (it caps this at net.core.somaxconn): a
 * thousand clients that connect at once wait to be accepted, rather than
 * being refused with EAGAIN.
 */
#define LISTEN_BACKLOG		SOMAXCONN
/* Out of descriptors: stop accepting for a while rather than spin. */
#define ACCEPT_BACKOFF_SECS	1
/* Supplementary groups of a peer read at first; more are asked for. */
#define PEER_GROUPS_FIRST	64

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
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	ctl->nclients++;
	ctl->accepted++;
	log_debug("control: client %llu connected (pid %d, uid %u, gid %u)%s",
	    c->id, (int)c->pid, (unsigned)c->uid, (unsigned)c->gid,
	    c->privileged ? ", may change the host" : "");
	client_setup(c, fd);
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

/* The listening socket, or -errno and why in err. */
static int
control_listen(struct control *ctl, char *err, size_t errlen)
{
	struct daemon	*d = ctl->d;
	const char	*slash;
	int		 fd;

	if (xsnprintf(ctl->path, sizeof(ctl->path), "%s",
	    d->conf->socket_path) < 0) {
		snprintf(err, errlen, "socket path %s: longer than %zu bytes",
		    d->conf->socket_path, sizeof(ctl->path) - 1);
		return -ENAMETOOLONG;
	}
	slash = strrchr(ctl->path, '/');
	ctl->base = slash != NULL ? slash + 1 : ctl->path;
	if ((fd = control_bind(ctl, err, errlen)) < 0)
		return fd;
	ctl->listener = evconnlistener_new(d->base, control_accept, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	ctl->backoff = evtimer_new(d->base, control_resume_accept, ctl);
	ctl->wake = evtimer_new(d->base, control_wake, ctl);
	if (ctl->listener == NULL || ctl->backoff == NULL || ctl->wake == NULL)
		fatalx("control: out of memory");
	evconnlistener_set_error_cb(ctl->listener, control_accept_error);
	return 0;
}

static int
control_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct control	*ctl;
	char		 err[1024];
	int		 r;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->d = d;
	ctl->port = port;
	TAILQ_INIT(&ctl->clients);
	TAILQ_INIT(&ctl->waiting);
	if ((r = control_listen(ctl, err, sizeof(err))) < 0) {
		log_warnx("control socket: %s", err);
		free(ctl);
		return r;
	}
	control_group(ctl);
	log_info("control: listening on %s", ctl->path);
	*statep = ctl;
	return 0;
}

static void
control_shutdown(void *arg)
{
	struct control	*ctl = arg;
	struct client	*c;

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
static void
control_reconfigure(void *arg, const struct conf *old,
    const struct conf *fresh)
{
	struct control	*ctl = arg;
	struct client	*c;

	if (strcmp(old->socket_group, fresh->socket_group) != 0)
		control_group(ctl);
	TAILQ_FOREACH(c, &ctl->clients, entry)
		client_limits(c);
}

static void
control_status(void *arg, cJSON *root)
{
	struct control	*ctl = arg;
	cJSON		*o, *r;
	int		 i;

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

/*
 * Started before anything else: failing here leaves the host as it is.
 * The events and kicks clients send count as the input "socket", and
 * under the name each registered.
 */
const struct module_ops control_module = {
	.name = "control",
	.section = "socket",
	.input = "socket",
	.flags = MODULE_REQUIRED | MODULE_SENDERS,
	.init = control_init,
	.reconfigure = control_reconfigure,
	.status = control_status,
	.shutdown = control_shutdown,
};
