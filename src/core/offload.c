/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One child process per slow write.  The child opens the (rooted) path,
 * writes, and reports the outcome as one int on a pipe; the parent's loop
 * reads it, reaps the child and calls back.  Cancelling kills the child:
 * reclaim and compaction stop at a fatal signal.  The child keeps none of
 * the daemon's descriptors but the ones it uses.
 */
#include "config.h"

#include <sys/param.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "offload.h"
#include "rootfs.h"
#include "util.h"

struct offload {
	struct event	*ev;
	pid_t		 pid;
	int		 fd;
	uint64_t	 started_ms;
	offload_cb	 cb;
	void		*arg;
};

static void
offload_free(struct offload *o)
{
	int	status;

	event_free(o->ev);
	close(o->fd);
	while (waitpid(o->pid, &status, 0) == -1 && errno == EINTR)
		;
	free(o);
}

static void
offload_done(evutil_socket_t fd, short what, void *arg)
{
	struct offload	*o = arg;
	offload_cb	 cb = o->cb;
	void		*cbarg = o->arg;
	uint64_t	 elapsed = now_ms() - o->started_ms;
	ssize_t		 n;
	int		 err;

	do
		n = read(fd, &err, sizeof(err));
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(err))
		err = -ECANCELED;	/* the child died before it could say */
	offload_free(o);
	cb(err, elapsed, cbarg);
}

/*
 * Close every descriptor above stderr but keep[] (ascending; -1 is
 * skipped).  A forked child otherwise holds the control and metrics
 * sockets, the clients' connections and the pid file for as long as its
 * write takes: a client the daemon hung up on would wait for the end of
 * a compaction to see it.
 */
static int
kept(int fd, const int *keep, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (keep[i] == fd)
			return 1;
	return 0;
}

/*
 * Without close_range(2) (before 5.9, or a seccomp filter that predates
 * it): every descriptor /proc/self/fd lists, read with getdents64 into
 * the stack, since a forked child had better not allocate.
 */
static void
close_listed_but(const int *keep, size_t n)
{
	char		 buf[4096];
	struct dirent64	*de;
	ssize_t		 len, off;
	long		 fd;
	char		*end;
	int		 dfd;

	if ((dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	while ((len = getdents64(dfd, buf, sizeof(buf))) > 0)
		for (off = 0; off < len; off += de->d_reclen) {
			de = (struct dirent64 *)(void *)(buf + off);
			fd = strtol(de->d_name, &end, 10);
			if (*end == '\0' && end != de->d_name &&
			    fd > STDERR_FILENO && fd != dfd &&
			    !kept((int)fd, keep, n))
				close((int)fd);
		}
	close(dfd);
}

static void
close_all_but(const int *keep, size_t n)
{
	unsigned int	from = STDERR_FILENO + 1;
	size_t		i;
	int		r = 0;

	for (i = 0; i < n && r == 0; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned int)keep[i] > from)
			r = close_range(from, (unsigned int)keep[i] - 1, 0);
		from = (unsigned int)keep[i] + 1;
	}
	if (r == 0)
		r = close_range(from, ~0U, 0);
	if (r == -1)
		close_listed_but(keep, n);
}

static __attribute__((noreturn)) void
child(int fd, const char *path, const char *value, pid_t parent)
{
	int	err, keep[2];

	/*
	 * A reclaim or compaction must not outlive the daemon that watches
	 * PSI for it and would cancel it.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(0);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	/* Its end of the pipe, and the root that path is opened below. */
	keep[0] = MIN(fd, rootfs_fd());
	keep[1] = MAX(fd, rootfs_fd());
	close_all_but(keep, nitems(keep));
	err = rootfs_write(path, value);
	/* If the parent is gone, nobody is left to tell: exit all the same. */
	if (write(fd, &err, sizeof(err)) != (ssize_t)sizeof(err))
		_exit(1);
	_exit(0);
}

struct offload *
offload_write(struct event_base *base, const char *path, const char *value,
    offload_cb cb, void *arg)
{
	struct offload	*o;
	int		 p[2];
	pid_t		 pid, parent = getpid();

	if (pipe2(p, O_CLOEXEC) == -1)
		return NULL;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		close(p[0]);
		child(p[1], path, value, parent);
	}
	close(p[1]);
	o = xcalloc(1, sizeof(*o));
	o->pid = pid;
	o->fd = p[0];
	o->cb = cb;
	o->arg = arg;
	o->started_ms = now_ms();
	if ((o->ev = event_new(base, p[0], EV_READ, offload_done, o)) == NULL ||
	    event_add(o->ev, NULL) == -1)
		fatalx("offload: event_new");
	return o;
}

/* Stop the write; the callback is not called. */
void
offload_cancel(struct offload *o)
{
	if (o == NULL)
		return;
	kill(o->pid, SIGKILL);
	offload_free(o);
}

/*
 * Stop the write without waiting for the child: the callback still comes,
 * from the loop, once the child is gone: -ECANCELED, or the write's own
 * result if it finished first.  Until then the caller knows a write is
 * still under way, however long the kernel takes to notice the signal.
 */
void
offload_kill(struct offload *o)
{
	if (o != NULL)
		kill(o->pid, SIGKILL);
}
