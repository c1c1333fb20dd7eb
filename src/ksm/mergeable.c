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

/* One process: -ENOENT when it has no ksm_mergeable line. */
static int
scan_pid(const char *pid, uint64_t *pages)
{
	char	path[64], buf[512];
	int	r;

	*pages = 0;
	if (xsnprintf(path, sizeof(path), "/proc/%s/ksm_stat", pid) < 0)
		return -ENAMETOOLONG;
	if (rootfs_read(path, buf, sizeof(buf)) < 0)
		return -ESRCH;		/* gone while we looked */
	/* A kernel thread's is empty: no line, not mergeable. */
	if ((r = ksm_stat_mergeable(buf)) <= 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%s/statm", pid);
	if (rootfs_read(path, buf, sizeof(buf)) < 0 ||
	    statm_anon_pages(buf, pages) < 0)
		return 0;
	return 1;
}

/* -ENOTSUP: this kernel does not say which processes are mergeable. */
int
mergeable_scan(struct mergeable *m)
{
	struct dirent	*de;
	DIR		*d;
	uint64_t	 pid, pages;
	int		 r, lines = 0;

	memset(m, 0, sizeof(*m));
	if ((d = rootfs_opendir("/proc")) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (parse_u64(de->d_name, &pid) < 0 || pid > INT_MAX)
			continue;
		if (m->seen++ >= MERGEABLE_MAX_PROCS) {
			m->truncated = 1;
			break;
		}
		if ((r = scan_pid(de->d_name, &pages)) < 0)
			continue;
		lines++;
		if (r != 1)
			continue;
		if (m->listed < MERGEABLE_LISTED) {
			m->proc[m->listed].pid = (int)pid;
			m->proc[m->listed++].pages = pages;
		}
		m->procs++;
		m->pages += pages;
	}
	closedir(d);
	return lines > 0 ? 0 : -ENOTSUP;
}
