/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroups the memcg engine looks after and why: a VM's cgroup from
 * its CREATED event until DESTROYED (with its class's settings and
 * allowswap), those memcg.cgroups globs match and the leaves below
 * memcg.cache_reclaim.parent, found by walking the hierarchy.  A cgroup
 * is tracked while any reason holds, and freed after the pass it is in.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "memcg-engine.h"
#include "rootfs.h"
#include "util.h"

/* Discovery goes no deeper below its root: kubepods nest four levels. */
#define WALK_DEPTH_MAX		16
/* Cgroups tracked at once; a tree larger than this is a mistake in a glob. */
#define TRACKED_MAX		65536

typedef void (*walk_cb)(struct memcg *, const char *, int, void *);

void
memcg_cg_note(struct memcg_cg *cg, const char *what, int err)
{
	snprintf(cg->last_error, sizeof(cg->last_error), "%s: %s", what,
	    strerror(-err));
}

/* WHAT failed with ERR: noted, and said once until it works again. */
void
memcg_cg_warn(struct memcg_cg *cg, unsigned flag, const char *what, int err,
    const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	memcg_cg_note(cg, what, err);
	if (!(cg->warned & flag)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		errno = -err;
		log_warn("memcg: %s: %s", cg->path, msg);
	}
	cg->warned |= flag;
}

static struct memcg_cg *
cg_find(struct memcg *m, const char *path)
{
	struct memcg_cg	*cg;

	TAILQ_FOREACH(cg, &m->cgs, entry)
		if (!cg->dead && strcmp(cg->path, path) == 0)
			return cg;
	return NULL;
}

void
memcg_cg_free(struct memcg *m, struct memcg_cg *cg)
{
	TAILQ_REMOVE(&m->cgs, cg, entry);
	m->ncgs--;
	free(cg->path);
	free(cg->vm_id);
	free(cg->class_name);
	free(cg);
}

int
memcg_psi_read(struct memcg *m, struct memcg_cg *cg, struct psi_sample *s)
{
	int	r;

	if ((r = m->host.hier->psi(&m->host, cg->path, s)) == 0) {
		cg->warned &= ~WARN_PSI;
		return 0;
	}
	memcg_cg_warn(cg, WARN_PSI, "PSI", r, "no PSI to gate on, its runs "
	    "are skipped until there is");
	return r;
}

/* A class's allowswap: memory.swap.max "max" or "0", on cgroup v2. */
static void
swap_max_apply(struct memcg *m, struct memcg_cg *cg)
{
	int	r;

	if (cg->set.allowswap < 0 || !(cg->src & SRC_EVENT)) {
		memcg_hostset_restore(m->hostset, MEMCG_KNOB_SWAP_MAX,
		    cg->path);
		return;
	}
	if (m->host.version != 2) {
		if (!(cg->warned & WARN_SWAPMAX))
			log_warnx("memcg: %s: allowswap needs cgroup v2, "
			    "ignoring it", cg->path);
		cg->warned |= WARN_SWAPMAX;
		return;
	}
	if ((r = memcg_hostset_set(m->hostset, MEMCG_KNOB_SWAP_MAX, cg->path,
	    cg->set.allowswap ? "max" : "0")) == 0) {
		cg->warned &= ~WARN_SWAPMAX;
		return;
	}
	memcg_cg_warn(cg, WARN_SWAPMAX, "memory.swap.max", r,
	    "memory.swap.max, ignoring allowswap");
}

/* The cgroup's settings from the configuration, now. */
void
memcg_cg_configure(struct memcg *m, struct memcg_cg *cg)
{
	if (memcg_settings_resolve(m->d->conf, m->host.mount, cg->path,
	    cg->class_name, &cg->set) == -ENOENT) {
		if (!(cg->warned & WARN_CLASS))
			log_warnx("memcg: %s: no class \"%s\" in memcg.classes, "
			    "using the default settings", cg->path,
			    cg->class_name);
		cg->warned |= WARN_CLASS;
	} else
		cg->warned &= ~WARN_CLASS;
	swap_max_apply(m, cg);
}

/* Start the waiting period of a kind of run: PSI is measured from here. */
void
memcg_wait_start(struct memcg *m, struct memcg_cg *cg, enum memcg_job_kind k)
{
	cg->wait[k].have = memcg_psi_read(m, cg, &cg->wait[k].start) == 0;
}

static struct memcg_cg *
cg_track(struct memcg *m, const char *path, unsigned src)
{
	struct memcg_cg	*cg;
	uint64_t	 now = daemon_now(m->d);

	if ((cg = cg_find(m, path)) == NULL) {
		if (m->ncgs >= TRACKED_MAX) {
			if (!m->warned_full)
				log_warnx("memcg: %d cgroups tracked already, "
				    "ignoring %s and more", TRACKED_MAX, path);
			m->warned_full = 1;
			return NULL;
		}
		cg = xcalloc(1, sizeof(*cg));
		cg->path = xstrdup(path);
		TAILQ_INSERT_TAIL(&m->cgs, cg, entry);
		m->ncgs++;
		cg->last_run_ms = now;
		memcg_cg_configure(m, cg);
		cg->next_due_ms = now + cg->set.period_secs * 1000;
		memcg_wait_start(m, cg, MEMCG_JOB_PERIOD);
		memcg_wait_start(m, cg, MEMCG_JOB_CACHE);
		log_debug("memcg: tracking %s", path);
	}
	cg->src |= src;
	cg->seen |= src;
	return cg;
}

/* The cgroup is no longer wanted for this reason; maybe not at all. */
void
memcg_untrack(struct memcg *m, struct memcg_cg *cg, unsigned src)
{
	if ((cg->src & src) == 0)
		return;
	cg->src &= ~src;
	if (src & SRC_EVENT) {
		free(cg->vm_id);
		free(cg->class_name);
		cg->vm_id = cg->class_name = NULL;
		memcg_cg_configure(m, cg);
	}
	if (cg->src != 0)
		return;
	log_debug("memcg: no longer tracking %s", cg->path);
	if (cg->in_pass)
		cg->dead = 1;	/* freed when the pass is over */
	else
		memcg_cg_free(m, cg);
}

/* ---- discovery ------------------------------------------------------ */

static int
is_dir(DIR *dir, const struct dirent *de)
{
	struct stat	st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* The subdirectories of a cgroup, sorted: passes go in a stable order. */
static int
subdirs(const char *dirpath, struct strlist *out, unsigned *unfit)
{
	DIR		*dir;
	struct dirent	*de;
	char		**nv;

	if ((dir = rootfs_opendir(dirpath)) == NULL)
		return -errno;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || !is_dir(dir, de))
			continue;
		/*
		 * Whoever may make a cgroup here names it: a name that is not
		 * printable UTF-8 would go raw into the log, status and
		 * metric labels (one bad label fails a whole scrape).
		 */
		if (!text_ok(de->d_name, NAME_MAX)) {
			(*unfit)++;
			continue;
		}
		if ((nv = reallocarray(out->v, out->n + 1, sizeof(*nv))) == NULL)
			fatal("reallocarray");
		out->v = nv;
		out->v[out->n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), name_cmp);
	return 0;
}

/* Every cgroup at and below rel, children before parents. */
static int
walk(struct memcg *m, const char *rel, int depth, int maxdepth, walk_cb cb,
    void *arg)
{
	char		dirpath[PATH_MAX], child[PATH_MAX];
	struct strlist	names = { NULL, 0 };
	size_t		i;
	unsigned	unfit = 0;
	int		r;

	if (memcg_cg_file(&m->host, rel, "", dirpath, sizeof(dirpath)) < 0)
		return -ENAMETOOLONG;
	if ((r = subdirs(dirpath, &names, &unfit)) < 0)
		return r;
	if (unfit > 0 && !m->warned_name)
		log_warnx("memcg: %s: %u cgroups whose names are not printable "
		    "UTF-8 are left out (said once)", rel, unfit);
	m->warned_name |= unfit > 0;
	for (i = 0; i < names.n; i++) {
		/* A child that vanishes meanwhile is simply not there. */
		if (depth < maxdepth && xsnprintf(child, sizeof(child), "%s/%s",
		    strcmp(rel, "/") == 0 ? "" : rel, names.v[i]) == 0)
			(void)walk(m, child, depth + 1, maxdepth, cb, arg);
		free(names.v[i]);
	}
	free(names.v);
	cb(m, rel, names.n == 0, arg);
	return 0;
}

static void
glob_cb(struct memcg *m, const char *path, int leaf, void *arg)
{
	const cJSON	*g;

	cJSON_ArrayForEach(g, m->d->conf->memcg_cgroups)
		if (cJSON_IsString(g) && memcg_glob_match(m->host.mount,
		    g->valuestring, path)) {
			cg_track(m, path, SRC_GLOB);
			return;
		}
}

static void
cache_cb(struct memcg *m, const char *path, int leaf, void *arg)
{
	const char	*parent = arg;

	if (leaf && strcmp(path, parent) != 0)
		cg_track(m, path, SRC_CACHE);
}

/*
 * Track what a walk found for src, drop what it no longer finds.  A root
 * that cannot be walked is said once, until it can be again.
 */
static void
discover(struct memcg *m, unsigned src, const char *root, int maxdepth,
    walk_cb cb)
{
	struct memcg_cg	*cg, *tmp;
	int		 r = 0;

	TAILQ_FOREACH(cg, &m->cgs, entry)
		cg->seen &= ~src;
	if (root != NULL && (r = walk(m, root, 0, maxdepth, cb,
	    (void *)(uintptr_t)root)) < 0 && !(m->warned_walk & src)) {
		errno = -r;
		log_warn("memcg: cannot look below %s%s, trying again every "
		    "interval", m->host.mount, strcmp(root, "/") ? root : "");
	}
	if (r < 0)
		m->warned_walk |= src;
	else
		m->warned_walk &= ~src;
	TAILQ_FOREACH_SAFE(cg, &m->cgs, entry, tmp)
		if (!cg->dead && (cg->src & src) && !(cg->seen & src))
			memcg_untrack(m, cg, src);
}

/* How deep the globs reach: one level per component of the longest. */
static int
globs_depth(const cJSON *globs, const char *mount)
{
	const cJSON	*g;
	char		 pat[PATH_MAX];
	const char	*p;
	int		 depth = 0, n;

	cJSON_ArrayForEach(g, globs) {
		if (!cJSON_IsString(g) || path_normalize(mount,
		    g->valuestring, pat, sizeof(pat)) < 0)
			continue;
		for (n = 0, p = pat; *p != '\0'; p++)
			n += *p == '/' && p[1] != '\0';
		if (n > depth)
			depth = n;
	}
	return depth;
}

void
memcg_discover_globs(struct memcg *m)
{
	const cJSON	*globs = m->d->conf->memcg_cgroups;

	discover(m, SRC_GLOB, cJSON_GetArraySize(globs) > 0 ? "/" : NULL,
	    globs_depth(globs, m->host.mount), glob_cb);
}

void
memcg_discover_cache(struct memcg *m)
{
	char	parent[PATH_MAX];
	char	*p = m->d->conf->cache_reclaim_parent;

	if (*p == '\0') {
		discover(m, SRC_CACHE, NULL, 0, cache_cb);
		return;
	}
	if (path_normalize(m->host.mount, p, parent,
	    sizeof(parent)) < 0) {
		log_warnx("memcg: memcg.cache_reclaim.parent %s is not a "
		    "cgroup path, ignoring it", p);
		discover(m, SRC_CACHE, NULL, 0, cache_cb);
		return;
	}
	discover(m, SRC_CACHE, parent, WALK_DEPTH_MAX, cache_cb);
}

/* ---- VM events ------------------------------------------------------ */

static struct memcg_cg *
vm_find(struct memcg *m, const char *vm_id)
{
	struct memcg_cg	*cg;

	TAILQ_FOREACH(cg, &m->cgs, entry)
		if (!cg->dead && cg->vm_id != NULL &&
		    strcmp(cg->vm_id, vm_id) == 0)
			return cg;
	return NULL;
}

void
memcg_vm_created(struct memcg *m, const struct vm_event *ev)
{
	struct memcg_cg	*cg;
	char		 path[PATH_MAX];

	if (path_normalize(m->host.mount, ev->cgroup, path,
	    sizeof(path)) < 0) {
		log_warnx("memcg: VM %s: cgroup \"%s\" is not a cgroup path, "
		    "ignoring it", ev->vm_id, ev->cgroup);
		return;
	}
	if ((cg = vm_find(m, ev->vm_id)) != NULL)
		memcg_untrack(m, cg, SRC_EVENT);
	if ((cg = cg_track(m, path, SRC_EVENT)) == NULL)
		return;
	free(cg->vm_id);
	free(cg->class_name);
	cg->vm_id = xstrdup(ev->vm_id);
	cg->class_name = ev->class_name != NULL && *ev->class_name != '\0' ?
	    xstrdup(ev->class_name) : NULL;
	memcg_cg_configure(m, cg);
	log_info("memcg: VM %s: looking after %s%s%s", ev->vm_id, path,
	    cg->class_name ? ", class " : "",
	    cg->class_name ? cg->class_name : "");
}

/* 1 if the VM's cgroup was tracked. */
int
memcg_vm_destroyed(struct memcg *m, const struct vm_event *ev)
{
	struct memcg_cg	*cg;

	if ((cg = vm_find(m, ev->vm_id)) == NULL)
		return 0;
	log_info("memcg: VM %s: no longer looking after %s", ev->vm_id,
	    cg->path);
	memcg_untrack(m, cg, SRC_EVENT);
	return 1;
}
