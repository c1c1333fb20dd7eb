/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rooted access to kernel files.  Paths are written as they are on a
 * real host ("/sys/kernel/mm/ksm/run") and resolved below the root
 * directory descriptor.  All functions return -errno on failure; they do
 * not log, the caller decides what a failure means.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootfs.h"
#include "util.h"

static int	 root_fd = -1;
static char	*root_path;

int
rootfs_init(const char *root)
{
	int	fd;

	if (root == NULL || *root == '\0')
		root = "/";
	if ((fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	rootfs_close();
	root_fd = fd;
	root_path = xstrdup(root);
	return 0;
}

void
rootfs_close(void)
{
	if (root_fd != -1)
		close(root_fd);
	root_fd = -1;
	free(root_path);
	root_path = NULL;
}

/* The root directory's descriptor, -1 before rootfs_init. */
int
rootfs_fd(void)
{
	return root_fd;
}

const char *
rootfs_root(void)
{
	return root_path != NULL ? root_path : "/";
}

static const char *
rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path == '\0' ? "." : path;
}

int
rootfs_open(const char *path, int flags)
{
	int	fd;

	if (root_fd == -1 && rootfs_init("/") < 0)
		return -errno;
	fd = openat(root_fd, rel(path), flags | O_CLOEXEC | O_NOCTTY);
	return fd == -1 ? -errno : fd;
}

DIR *
rootfs_opendir(const char *path)
{
	DIR	*d;
	int	 fd;

	if ((fd = rootfs_open(path, O_RDONLY | O_DIRECTORY)) < 0) {
		errno = -fd;
		return NULL;
	}
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

int
rootfs_exists(const char *path)
{
	if (root_fd == -1 && rootfs_init("/") < 0)
		return 0;
	return faccessat(root_fd, rel(path), F_OK, 0) == 0;
}

/*
 * Files are read with O_NONBLOCK: a FIFO where a file was expected (a VM's
 * pid file, say) reads as empty or -EAGAIN instead of stalling the loop.
 * Regular, sysfs, proc and cgroup files do not heed it.
 */
#define READ_FLAGS	(O_RDONLY | O_NONBLOCK)

/*
 * Read a whole small file into buf, NUL-terminated.  A file that does not
 * fit is -EFBIG rather than silently cut.
 */
ssize_t
rootfs_read(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	size_t	off = 0;
	int	fd, saved;

	if (len == 0)
		return -EINVAL;
	if ((fd = rootfs_open(path, READ_FLAGS)) < 0)
		return fd;
	for (;;) {
		n = read(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
		if (off == len)
			break;
	}
	saved = errno;
	close(fd);
	if (n == -1)
		return -saved;
	if (off == len)
		return -EFBIG;
	buf[off] = '\0';
	return (ssize_t)off;
}

/* Read a file of unknown size (pagetypeinfo, memory.stat), up to max. */
int
rootfs_read_alloc(const char *path, char **out, size_t *outlen, size_t max)
{
	int	fd;

	if ((fd = rootfs_open(path, READ_FLAGS)) < 0)
		return fd;
	return fd_read_alloc(fd, out, outlen, max);
}

int
rootfs_read_u64(const char *path, uint64_t *v)
{
	char	buf[64];
	ssize_t	n;

	if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
		return (int)n;
	return parse_u64(buf, v);
}

/*
 * What a pid file says: 1 and *pid for a live process, 0 for the pid of
 * one that has exited, -1 for no pid at all (no file, empty, garbage).
 */
int
rootfs_pidfile(const char *path, pid_t *pid)
{
	uint64_t	v;
	char		proc[32];

	*pid = 0;
	if (rootfs_read_u64(path, &v) < 0 || v == 0 || v > INT_MAX ||
	    xsnprintf(proc, sizeof(proc), "/proc/%llu",
	    (unsigned long long)v) < 0)
		return -1;
	if (!rootfs_exists(proc))
		return 0;
	*pid = (pid_t)v;
	return 1;
}

/* The pid a pid file holds, if that process is alive; 0 otherwise. */
pid_t
rootfs_read_pid(const char *path)
{
	pid_t	pid;

	(void)rootfs_pidfile(path, &pid);
	return pid;
}

int
rootfs_write(const char *path, const char *s)
{
	size_t	len = strlen(s);
	ssize_t	n;
	int	fd, err = 0;

	if ((fd = rootfs_open(path, O_WRONLY | O_TRUNC)) < 0)
		return fd;
	do
		n = write(fd, s, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) == -1 && err == 0 && errno != EINTR)
		err = -errno;
	return err;
}
