/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host's memory and its mergeable processes, read through rootfs so
 * that --root works.  A walk reads one small file per process and a
 * second one for the few that are mergeable; the engine decides how often
 * it is worth doing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "mergeable.h"
#include "rootfs.h"
#include "util.h"

static const char *
next_line(const char *p)
{
	if ((p = strchr(p, '\n')) == NULL)
		return NULL;
	return *++p ? p : NULL;
}

/* 1: "ksm_mergeable: yes"; 0: "no"; -ENOENT: a kernel without the line. */
int
ksm_stat_mergeable(const char *text)
{
	const char	*p;

	for (p = *text ? text : NULL; p != NULL; p = next_line(p)) {
		if (strncmp(p, "ksm_mergeable:", 14) != 0)
			continue;
		p += 14;
		while (*p == ' ')
			p++;
		if (strncmp(p, "yes", 3) == 0)
			return 1;
		if (strncmp(p, "no", 2) == 0)
			return 0;
		return -EINVAL;
	}
	return -ENOENT;
}

/* statm: "size resident shared ..." in pages; anonymous = resident - shared. */
int
statm_anon_pages(const char *text, uint64_t *pages)
{
	unsigned long long	size, res, shared;
	char			tail;

	if (sscanf(text, "%llu %llu %llu%c", &size, &res, &shared, &tail) != 4 ||
	    (tail != ' ' && tail != '\n') || shared > res)
		return -EINVAL;
	*pages = res - shared;
	return 0;
}

/* A file of a process: -ESRCH when the process went while we looked. */
static int
read_pid_file(const char *pid, const char *name, char *buf, size_t len)
{
	char	path[64];
	ssize_t	n;

	if (xsnprintf(path, sizeof(path), "/proc/%s/%s", pid, name) < 0)
		return -ENAMETOOLONG;
	if ((n = rootfs_read(path, buf, len)) < 0)
		return n == -ENOENT || n == -ESRCH ? -ESRCH : (int)n;
	return 0;
}

/*
 * One process: 1 mergeable, 0 not; -ENOENT when it has no ksm_mergeable
 * line, -ESRCH when it went while we looked, or why a file of it could
 * not be read.
 */
static int
scan_pid(const char *pid, uint64_t *pages)
{
	char	buf[512];
	int	r;

	*pages = 0;
	if ((r = read_pid_file(pid, "ksm_stat", buf, sizeof(buf))) < 0)
		return r;
	/* A kernel thread's is empty: no line, not mergeable. */
	if ((r = ksm_stat_mergeable(buf)) <= 0)
		return r;
	if ((r = read_pid_file(pid, "statm", buf, sizeof(buf))) < 0)
		return r;
	return statm_anon_pages(buf, pages) < 0 ? 0 : 1;
}

/*
 * Walk /proc into M, which is left as it was unless the walk succeeds.
 * A process whose files we may not read (another user's ksm_stat,
 * without CAP_DAC_READ_SEARCH) is left out and counted in M->denied;
 * any other error fails the walk: a figure with processes missing at
 * random would read as memory coming and going.  -ENOTSUP: this kernel
 * does not say which processes are mergeable (no process has the line).
 */
int
mergeable_scan(struct mergeable *m)
{
	struct mergeable	 w;
	struct dirent		*de;
	DIR			*d;
	uint64_t		 pid, pages;
	int			 r, lines = 0;

	memset(&w, 0, sizeof(w));
	if ((d = rootfs_opendir("/proc")) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (parse_u64(de->d_name, &pid) < 0 || pid > INT_MAX)
			continue;
		if (w.seen++ >= MERGEABLE_MAX_PROCS) {
			w.truncated = 1;
			break;
		}
		r = scan_pid(de->d_name, &pages);
		if (r == -EACCES || r == -EPERM) {
			w.denied++;
			w.denied_err = r;
			continue;
		}
		if (r == -ESRCH || r == -ENOENT || r == -EINVAL)
			continue;	/* gone, no line, or not one we know */
		if (r < 0) {
			closedir(d);
			return r;
		}
		lines++;
		if (r != 1)
			continue;
		if (w.listed < MERGEABLE_LISTED) {
			w.proc[w.listed].pid = (int)pid;
			w.proc[w.listed++].pages = pages;
		}
		w.procs++;
		w.pages += pages;
	}
	closedir(d);
	if (lines == 0)
		return w.denied > 0 ? w.denied_err : -ENOTSUP;
	*m = w;
	return 0;
}
