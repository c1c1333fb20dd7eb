/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the cgroup hierarchies and the reclaim methods share, below them
 * both: a cgroup's file paths, its memory.stat, and how a failed job
 * says whether its cgroup is gone or the kernel refused.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memcg-backend.h"
#include "rootfs.h"
#include "util.h"

/* MOUNT/CG/FILE, the root cgroup "/" as MOUNT/FILE; FILE "" for the dir. */
int
memcg_cg_file(const struct memcg_host *h, const char *cg, const char *file,
    char *buf, size_t len)
{
	if (strcmp(cg, "/") == 0)
		cg = "";
	return xsnprintf(buf, len, "%s%s%s%s", h->mount, cg, *file ? "/" : "",
	    file);
}

/* A cgroup's memory.stat, read and parsed; the v1 and v2 layouts differ. */
int
memcg_cg_stat(const struct memcg_host *h, const char *cg, int v1,
    struct memcg_stat *st)
{
	char	 path[PATH_MAX], *text;
	int	 r;

	if ((r = memcg_cg_file(h, cg, "memory.stat", path, sizeof(path))) < 0)
		return r;
	if ((r = rootfs_read_alloc(path, &text, NULL, MEMCG_STAT_MAX)) < 0)
		return r;
	r = memcg_stat_parse(text, v1, st);
	free(text);
	return r;
}

/*
 * A cgroup removed before its file was opened is -ENOENT; one removed
 * after (kernfs refuses a deactivated file's operations) is -ENODEV.
 */
int
memcg_cg_gone(int err)
{
	return err == -ENOENT || err == -ENODEV;
}

void
memcg_job_fail(struct memcg_job *job, int err, const char *what)
{
	job->stop = memcg_cg_gone(err) ? MEMCG_STOP_VANISHED : MEMCG_STOP_ERROR;
	job->err = err;
	job->err_what = what;
}

/*
 * The method takes anon pages with no say in how many: force_empty, and
 * memory.reclaim on a kernel that takes no swappiness= (before 6.11),
 * which reclaims anon as the kernel's swappiness says.
 */
int
memcg_method_swaps(const struct memcg_host *h, const struct memcg_method *m)
{
	return (m->flags & MEMCG_METHOD_SWAPS) ||
	    ((m->flags & MEMCG_METHOD_SWAPPINESS) && h->reclaim_swappiness == 0);
}
