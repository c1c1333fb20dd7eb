/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State files, as the host ledger (ledger.c) keeps them: the
 * host's original values, saved before the first write so that a clean
 * exit, and a start after a crash, put them back.  A state file is
 * written whole as a new file, synced, and renamed into place: a crash
 * leaves the old one or the new one, never half of one.  It is read
 * only when it is a regular file, never through a symlink, and never
 * when it is bigger than its owner would write.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statefile.h"
#include "util.h"

/* NAME's temporary name, NAME.tmp, beside it. */
static int
tmp_name(const char *name, char *buf, size_t len)
{
	return xsnprintf(buf, len, "%s.tmp", name);
}

/* Write TEXT as NAME in DIRFD, atomically; 0 or -errno. */
int
statefile_write(int dirfd, const char *name, const char *text, size_t len)
{
	char	tmp[NAME_MAX + 1];
	ssize_t	n;
	int	fd, r = 0;

	if ((r = tmp_name(name, tmp, sizeof(tmp))) < 0)
		return r;
	/*
	 * A new file, never one found there: not a symlink left to send the
	 * write elsewhere, nor a crash's half-written one.
	 */
	unlinkat(dirfd, tmp, 0);
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -errno;
	if ((n = write(fd, text, len)) == -1)
		r = -errno;
	else if ((size_t)n != len)
		r = -ENOSPC;	/* a short write: the file system is full */
	if (r == 0 && fsync(fd) == -1)
		r = -errno;
	if (close(fd) == -1 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) == -1)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

/*
 * NAME in DIRFD, whole, at most MAX bytes: 0 and its text (to free), or
 * -errno and why.  -ENOENT: there is none.  -ELOOP and -EINVAL: what is
 * there is not ours (a symlink, a FIFO planted there: neither followed
 * nor waited on).  -EFBIG: too big to be ours.  Else it cannot be read.
 */
int
statefile_read(int dirfd, const char *name, size_t max, char **text,
    const char **why)
{
	struct stat	st;
	int		fd, r;

	*text = NULL;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		r = -errno;
		*why = r == -ELOOP ? "a symlink" : strerror(-r);
		return r;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -EINVAL;
	}
	if ((r = fd_read_alloc(fd, text, NULL, max)) < 0) {
		*text = NULL;
		*why = r == -EFBIG ? "too big" : strerror(-r);
	}
	return r;
}

/*
 * A state file's text, line by line: the first must be MAGIC, each one
 * after it (a newline at the end makes no empty last one) is handed to
 * fn, which may cut it up.  The number of lines handed over, or -EINVAL
 * at a wrong first line or the first one fn refuses.
 */
int
statefile_lines(const char *text, const char *magic,
    int (*fn)(void *, char *), void *arg)
{
	char	*copy, *p, *line;
	int	 r = 0, n = 0;

	copy = xstrdup(text);
	p = copy;
	line = strsep(&p, "\n");
	if (strcmp(line, magic) != 0)
		r = -EINVAL;
	while (r == 0 && (line = strsep(&p, "\n")) != NULL) {
		if (*line == '\0' && p == NULL)
			break;		/* the end of the last line */
		if (fn(arg, line) < 0)
			r = -EINVAL;
		else
			n++;
	}
	free(copy);
	return r < 0 ? r : n;
}

/* The state file is done with: 0, also when there was none, or -errno. */
int
statefile_remove(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
		return -errno;
	return 0;
}
