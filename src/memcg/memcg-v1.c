/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v1: the hierarchy (memory.stat's cache and rss, usage and
 * limit) and its reclaim method, memory.force_empty, which reclaims all the kernel can of the cgroup
 * (the cache-threshold reclaimer of reference 003 does just that).
 * v1 cgroups have no PSI files of their own: the host's gates them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "memcg-backend.h"
#include "psi.h"
#include "rootfs.h"
#include "util.h"

#define V1_MOUNT	"/sys/fs/cgroup/memory"
/*
 * v1 prints "no limit" as PAGE_COUNTER_MAX pages in bytes (about 2^63);
 * anything from 2^62 up is no limit.
 */
#define V1_NO_LIMIT	(1ULL << 62)

enum { V1_WRITE, V1_WRITTEN };

static int
v1_detect(struct memcg_host *h)
{
	if (!rootfs_exists(V1_MOUNT "/memory.stat"))
		return -ENOENT;
	h->version = 1;
	return xsnprintf(h->mount, sizeof(h->mount), "%s", V1_MOUNT);
}

static int
v1_stat(const struct memcg_host *h, const char *cg, struct memcg_stat *st,
    uint64_t *usage, uint64_t *limit)
{
	char	path[PATH_MAX];
	int	r;

	if ((r = memcg_cg_stat(h, cg, 1, st)) < 0)
		return r;
	if ((r = memcg_cg_file(h, cg, "memory.usage_in_bytes", path,
	    sizeof(path))) < 0 || (r = rootfs_read_u64(path, usage)) < 0)
		return r;
	if ((r = memcg_cg_file(h, cg, "memory.limit_in_bytes", path,
	    sizeof(path))) < 0 || (r = rootfs_read_u64(path, limit)) < 0)
		return r;
	if (*limit >= V1_NO_LIMIT)
		*limit = 0;
	return 0;
}

static int
v1_psi(const struct memcg_host *h, const char *cg, struct psi_sample *s)
{
	return psi_sample_system(s);
}

static int
force_empty_detect(const struct memcg_host *h)
{
	return h->version == 1 ? 0 : -ENODEV;
}

static int
v1_step(struct memcg_job *job, struct memcg_write *w)
{
	if (job->phase == V1_WRITTEN) {
		job->stop = MEMCG_STOP_DONE;
		return 0;
	}
	job->phase = V1_WRITTEN;
	w->reclaims = 1;
	w->what = "memory.force_empty";
	if (xsnprintf(w->value, sizeof(w->value), "0") < 0 ||
	    memcg_cg_file(job->host, job->path, w->what, w->path,
	    sizeof(w->path)) < 0) {
		memcg_job_fail(job, -ENAMETOOLONG, w->what);
		return 0;
	}
	return 1;
}

/* Older kernels say EBUSY when usage did not reach zero: it took what it could. */
static void
v1_step_done(struct memcg_job *job, int err)
{
	if (err == -EBUSY || err == -EAGAIN)
		job->stop = MEMCG_STOP_EXHAUSTED;
	else if (err < 0)
		memcg_job_fail(job, err, "memory.force_empty");
}

const struct memcg_method memcg_force_empty = {
	.name = "force_empty",
	.flags = MEMCG_METHOD_SWAPS,
	.missing = "cgroup v1 has no memory.force_empty",
	.detect = force_empty_detect,
	.step = v1_step,
	.step_done = v1_step_done,
};

const struct memcg_hier memcg_cgroup_v1 = {
	.name = "v1",
	.detect = v1_detect,
	.stat = v1_stat,
	.psi = v1_psi,
	.reclaim = &memcg_force_empty,
};
