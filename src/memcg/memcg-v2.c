/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v2: the hierarchy (memory.stat, memory.current, memory.max,
 * the cgroup's own PSI) and its reclaim method, memory.reclaim in chunks
 * (with swappiness= where the kernel takes it, 6.11 and later; without
 * it elsewhere, where it takes anon pages as the kernel's swappiness
 * says, and a period run that may not swap stops where there is swap).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memcg-backend.h"
#include "psi.h"
#include "rootfs.h"
#include "util.h"

/* Where the unified hierarchy is: alone, or beside v1 controllers. */
static const char *v2_mounts[] = {
	"/sys/fs/cgroup",
	"/sys/fs/cgroup/unified",
};

static int
v2_detect(struct memcg_host *h)
{
	char	path[PATH_MAX], buf[ROOTFS_SMALL];
	size_t	i;

	for (i = 0; i < sizeof(v2_mounts) / sizeof(v2_mounts[0]); i++) {
		if (xsnprintf(path, sizeof(path), "%s/cgroup.controllers",
		    v2_mounts[i]) < 0 || rootfs_read(path, buf, sizeof(buf)) < 0)
			continue;
		if (!memcg_controllers_has(buf, "memory"))
			continue;
		h->version = 2;
		return xsnprintf(h->mount, sizeof(h->mount), "%s", v2_mounts[i]);
	}
	return -ENOENT;
}

/* memory.max: a number, or "max". */
static int
read_max(const char *path, uint64_t *v)
{
	char	buf[64];
	ssize_t	n;

	if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
		return (int)n;
	return memcg_max_parse(buf, v);
}

static int
v2_stat(const struct memcg_host *h, const char *cg, struct memcg_stat *st,
    uint64_t *usage, uint64_t *limit)
{
	char	path[PATH_MAX];
	int	r;

	if ((r = memcg_cg_stat(h, cg, 0, st)) < 0)
		return r;
	if ((r = memcg_cg_file(h, cg, "memory.current", path,
	    sizeof(path))) < 0 || (r = rootfs_read_u64(path, usage)) < 0)
		return r;
	/* The root cgroup has no memory.max: no limit. */
	*limit = 0;
	if (strcmp(cg, "/") == 0)
		return 0;
	if ((r = memcg_cg_file(h, cg, "memory.max", path, sizeof(path))) < 0)
		return r;
	return read_max(path, limit);
}

/* The cgroup's own pressure; the host's where it has none (the root). */
static int
v2_psi(const struct memcg_host *h, const char *cg, struct psi_sample *s)
{
	char	dir[PATH_MAX], file[PATH_MAX];

	if (memcg_cg_file(h, cg, "", dir, sizeof(dir)) < 0 ||
	    memcg_cg_file(h, cg, "memory.pressure", file, sizeof(file)) < 0)
		return -ENAMETOOLONG;
	if (!rootfs_exists(file))
		return psi_sample_system(s);
	return psi_sample_cgroup(dir, s);
}

/* memory.reclaim came with 5.19; the root cgroup has it too. */
static int
reclaim_detect(const struct memcg_host *h)
{
	char	path[PATH_MAX];

	if (h->version != 2)
		return -ENODEV;
	if (memcg_cg_file(h, "/", "memory.reclaim", path, sizeof(path)) < 0 ||
	    !rootfs_exists(path))
		return -ENOTSUP;
	return 0;
}

static int
v2_step(struct memcg_job *job, struct memcg_write *w)
{
	int	r;

	if ((job->chunk = memcg_reclaim_chunk(job->target)) == 0) {
		job->stop = MEMCG_STOP_DONE;
		return 0;
	}
	w->reclaims = 1;
	w->what = "memory.reclaim";
	if (job->host->reclaim_swappiness != 0)
		r = xsnprintf(w->value, sizeof(w->value),
		    "%llu swappiness=%u", (unsigned long long)job->chunk,
		    job->swappiness);
	else
		r = xsnprintf(w->value, sizeof(w->value), "%llu",
		    (unsigned long long)job->chunk);
	if (r < 0 || memcg_cg_file(job->host, job->path, w->what, w->path,
	    sizeof(w->path)) < 0) {
		memcg_job_fail(job, -ENAMETOOLONG, w->what);
		return 0;
	}
	return 1;
}

/*
 * EAGAIN: the kernel reclaimed less than asked, there is no more to
 * take.  EINVAL the first time swappiness= was sent: a kernel before
 * 6.11; the same chunk is asked again without it, unless that could swap
 * where the run may not.
 */
static void
v2_step_done(struct memcg_job *job, int err)
{
	struct memcg_host	*h = job->host;

	if (err == 0) {
		if (h->reclaim_swappiness == -1)
			h->reclaim_swappiness = 1;
		job->target -= job->chunk;
		return;
	}
	if (err == -EINVAL && h->reclaim_swappiness == -1) {
		h->reclaim_swappiness = 0;
		log_info("memcg: memory.reclaim takes no swappiness= on this "
		    "kernel: it takes anon pages too, as vm.swappiness says, "
		    "and period runs run only where memcg.swap allows "
		    "swapping or there is no swap");
		if (job->no_swap)
			job->stop = MEMCG_STOP_WOULD_SWAP;
		return;
	}
	if (err == -EAGAIN)
		job->stop = MEMCG_STOP_EXHAUSTED;
	else
		memcg_job_fail(job, err, "memory.reclaim");
}

const struct memcg_method memcg_reclaim = {
	.name = "reclaim",
	.flags = MEMCG_METHOD_SWAPPINESS,
	.missing = "cgroup v2 has no memory.reclaim (a kernel before 5.19)",
	.detect = reclaim_detect,
	.step = v2_step,
	.step_done = v2_step_done,
};

const struct memcg_hier memcg_cgroup_v2 = {
	.name = "v2",
	.detect = v2_detect,
	.stat = v2_stat,
	.psi = v2_psi,
	.reclaim = &memcg_reclaim,
};
