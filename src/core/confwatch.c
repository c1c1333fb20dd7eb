/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watching the configuration file, so that a file a fleet's rollout
 * replaces is applied as SIGHUP applies it, with nobody to send SIGHUP.
 *
 * Kubernetes mounts a ConfigMap as a directory in which the file is a
 * symlink into "..data", itself a symlink to a timestamped directory; a
 * rollout writes a new timestamped directory and swaps "..data" with one
 * rename.  Editors replace a file by rename too; others write it in
 * place.  So every directory on the way from the configured path to the
 * file it finally names is watched with inotify, and any change there is
 * a possible change of the file: once the directories have been quiet
 * for a moment the file is read and, if its bytes differ from those last
 * seen, the owner is told.  The way is resolved again after each change,
 * since a rollout changes it.  The first look comes right after the
 * watch begins, with nothing seen yet: a change between the daemon
 * reading the file and the watch beginning would otherwise go unseen.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "confwatch.h"
#include "log.h"
#include "util.h"

/*
 * Symlinks followed from the configured path to the file (kubelet's way
 * has two; the kernel itself gives up after 40).
 */
#define CW_HOPS		16
/*
 * Quiet time before the file is read: a rollout is one rename, but an
 * editor writes, renames and chmods in a burst.
 */
#define CW_SETTLE_MS	200
/* A configuration file is small; conf.c refuses one over a megabyte. */
#define CW_FILE_MAX	(1024 * 1024)
#define CW_MASK		(IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
			 IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | \
			 IN_DELETE_SELF | IN_MOVE_SELF)

struct confwatch {
	char		*path;
	int		 fd;
	struct event	*ev;
	struct event	*settle;
	int		 wd[CW_HOPS];
	size_t		 nwd;
	char		*seen;		/* the bytes last read; NULL: none */
	size_t		 seenlen;
	void		(*changed)(void *, int);
	void		*arg;
};

/* Watch the directory holding path; 0, or -errno. */
static int
cw_watch_dir(struct confwatch *cw, const char *path)
{
	char	dir[PATH_MAX], *slash;
	size_t	i;
	int	wd;

	if (xsnprintf(dir, sizeof(dir), "%s", path) < 0)
		return -ENAMETOOLONG;
	if ((slash = strrchr(dir, '/')) == NULL)
		return -EINVAL;
	slash[slash == dir] = '\0';
	/* The directory may be a symlink itself ("..data/"): follow it. */
	if ((wd = inotify_add_watch(cw->fd, dir, CW_MASK)) == -1)
		return -errno;
	/* Two hops in one directory share its watch. */
	for (i = 0; i < cw->nwd; i++)
		if (cw->wd[i] == wd)
			return 0;
	if (cw->nwd < CW_HOPS)
		cw->wd[cw->nwd++] = wd;
	return 0;
}

/*
 * Watch each directory on the way from cw->path to the file it names.
 * A hop that cannot be watched ends the way: what is watched still
 * tells of a rollout that mends it.
 */
static void
cw_watch_way(struct confwatch *cw)
{
	char	path[PATH_MAX], target[PATH_MAX], *slash;
	ssize_t	n;
	int	hop;

	if (xsnprintf(path, sizeof(path), "%s", cw->path) < 0)
		return;
	for (hop = 0; hop < CW_HOPS; hop++) {
		if (cw_watch_dir(cw, path) < 0)
			return;
		if ((n = readlink(path, target, sizeof(target) - 1)) == -1)
			return;		/* not a symlink: the file itself */
		target[n] = '\0';
		if (target[0] == '/') {
			memcpy(path, target, (size_t)n + 1);
			continue;
		}
		slash = strrchr(path, '/');
		if (xsnprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 -
		    path), "%s", target) < 0)
			return;
	}
}

/*
 * Watch the way again, as a change may have moved it.  A directory still
 * on it keeps its watch (inotify_add_watch gives the same one back), and
 * only those left behind are removed, so that a change that moved
 * nothing leaves the watches as they were.
 */
static void
cw_rewatch(struct confwatch *cw)
{
	int	old[CW_HOPS];
	size_t	nold = cw->nwd, i, j;

	memcpy(old, cw->wd, sizeof(old));
	cw->nwd = 0;
	cw_watch_way(cw);
	for (i = 0; i < nold; i++) {
		for (j = 0; j < cw->nwd && cw->wd[j] != old[i]; j++)
			;
		if (j == cw->nwd)
			inotify_rm_watch(cw->fd, old[i]);
	}
}

/* Read the file; 1 if its bytes differ from those seen last. */
static int
cw_differs(struct confwatch *cw)
{
	char	*text;
	size_t	 len;
	int	 r, differs;

	if ((r = file_read_alloc(cw->path, &text, &len, CW_FILE_MAX)) < 0) {
		/* Gone for a moment (a rename in two steps): wait for it. */
		errno = -r;
		log_debug("config watch: %s: %s", cw->path, strerror(errno));
		return 0;
	}
	differs = cw->seen == NULL || len != cw->seenlen ||
	    memcmp(text, cw->seen, len) != 0;
	free(cw->seen);
	cw->seen = text;
	cw->seenlen = len;
	return differs;
}

static void
cw_settled(evutil_socket_t fd, short what, void *arg)
{
	struct confwatch	*cw = arg;
	int			 first = cw->seen == NULL;

	log_debug("config watch: %s: quiet, reading it", cw->path);
	cw_rewatch(cw);
	if (cw_differs(cw)) {
		if (!first)
			log_info("%s changed: reloading", cw->path);
		cw->changed(cw->arg, first);
	}
}

static void
cw_read(evutil_socket_t fd, short what, void *arg)
{
	struct confwatch		*cw = arg;
	const struct inotify_event	*ev;
	char				 buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event)))), *p;
	struct timeval			 tv = { 0, CW_SETTLE_MS * 1000 };
	ssize_t				 n;
	int				 changed = 0;

	/*
	 * What changed does not matter, only that something did.  A watch
	 * that went (IN_IGNORED) is no change: cw_rewatch removes watches
	 * itself, and a directory deleted says so with IN_DELETE_SELF.
	 */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			if (!(ev->mask & IN_IGNORED))
				changed = 1;
		}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		log_warn("config watch: read, ignoring");
	if (changed)
		evtimer_add(cw->settle, &tv);
}

/*
 * Watch path (absolute: the daemon changes directory to /) and call
 * changed(arg) when its bytes change.  NULL, logged, if inotify cannot
 * be had: SIGHUP still works.
 */
struct confwatch *
confwatch_open(struct event_base *base, const char *path,
    void (*changed)(void *, int), void *arg)
{
	struct confwatch	*cw;
	struct timeval		 now = { 0, 0 };

	cw = xcalloc(1, sizeof(*cw));
	cw->changed = changed;
	cw->arg = arg;
	if ((cw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("config watch: %s: not watched (SIGHUP reloads it)",
		    path);
		free(cw);
		return NULL;
	}
	cw->path = xstrdup(path);
	cw->ev = event_new(base, cw->fd, EV_READ | EV_PERSIST, cw_read, cw);
	cw->settle = evtimer_new(base, cw_settled, cw);
	if (cw->ev == NULL || cw->settle == NULL || event_add(cw->ev, NULL))
		fatalx("config watch: event_new");
	cw_rewatch(cw);
	evtimer_add(cw->settle, &now);
	log_debug("config watch: %s, %zu directories", cw->path, cw->nwd);
	return cw;
}

void
confwatch_close(struct confwatch *cw)
{
	if (cw == NULL)
		return;
	event_free(cw->ev);
	event_free(cw->settle);
	close(cw->fd);
	free(cw->seen);
	free(cw->path);
	free(cw);
}
