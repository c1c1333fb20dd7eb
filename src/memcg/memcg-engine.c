/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg reclaim engine: which cgroups it looks after (the VMs'
 * cgroups named by events, memcg.cgroups globs, the leaves below
 * memcg.cache_reclaim.parent), when (one timer at the earliest due
 * cgroup, none when there is nothing to do), and one pass at a time
 * through the due ones.  Each reclaim write runs off the event loop,
 * with PSI watched while it runs.  What to do is memcg-policy.c's call,
 * how is the backend's (memcg-backend.h).  A class's allowswap changes
 * memory.swap.max; its original is saved first, in memory and in the
 * state file <rundir>/memcg.state, so that a clean exit, and a start
 * after a crash, put it back.  One that cannot be saved is not changed.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "memcg-backend.h"
#include "meminfo.h"
#include "offload.h"
#include "psi.h"
#include "rootfs.h"
#include "statefile.h"
#include "util.h"
#include "vm-registry.h"

/* glibc's sys/queue.h lacks the BSDs' safe iterator. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

/* While a reclaim write runs, PSI is looked at this often (as mem-agent). */
#define PSI_WATCH_MS		1000
/* Discovery goes no deeper below its root: kubepods nest four levels. */
#define WALK_DEPTH_MAX		16
/* Cgroups tracked at once; a tree larger than this is a mistake in a glob. */
#define TRACKED_MAX		65536
/* /proc/meminfo is a few KiB. */

#define STATE_NAME		"memcg.state"
/* Off for want of a memory controller: looked for every period, or this. */
#define PROBE_SECS_MAX		60
/* A line per VM's cgroup: this is thousands of VMs; bigger is not ours. */
#define STATE_MAX		(1024 * 1024)

enum memcg_src {
	SRC_EVENT = 0x1,	/* a VM's cgroup, CREATED until DESTROYED */
	SRC_GLOB = 0x2,		/* matched by memcg.cgroups */
	SRC_CACHE = 0x4,	/* a leaf below memcg.cache_reclaim.parent */
};
#define SRC_PERIOD	(SRC_EVENT | SRC_GLOB)

/* Logged once per cgroup, until the thing works again. */
enum memcg_warn {
	WARN_STAT = 0x1,
	WARN_PSI = 0x2,
	WARN_RUN = 0x4,
	WARN_CLASS = 0x8,
	WARN_SWAPMAX = 0x10,
	WARN_LIMIT = 0x20,
	WARN_GONE = 0x40,
};

enum memcg_state {
	MEMCG_OFF,		/* no backend on this host */
	MEMCG_DISABLED,
	MEMCG_IDLE,		/* nothing to manage: no timer */
	MEMCG_WAITING,
	MEMCG_RUNNING,
	MEMCG_STATE_MAX
};

static const char *state_names[MEMCG_STATE_MAX] = {
	[MEMCG_OFF] = "off",
	[MEMCG_DISABLED] = "disabled",
	[MEMCG_IDLE] = "idle",
	[MEMCG_WAITING] = "waiting",
	[MEMCG_RUNNING] = "running",
};

static const char *kind_names[MEMCG_JOB_KIND_MAX] = {
	[MEMCG_JOB_PERIOD] = "period",
	[MEMCG_JOB_CACHE] = "cache",
};

/* Counters, per cgroup and in total; they only grow (metrics). */
struct memcg_counters {
	uint64_t	runs;
	uint64_t	psi_skips;
	uint64_t	aging_runs;
	uint64_t	reclaims;
	uint64_t	cache_checks;
	uint64_t	cache_reclaims;
	uint64_t	reclaimed_bytes;
	uint64_t	evicted_pages;
	uint64_t	errors;
	uint64_t	stops[MEMCG_STOP_MAX];
};

struct memcg_cg {
	TAILQ_ENTRY(memcg_cg)	 entry;
	char			*path;
	unsigned		 src;
	unsigned		 seen;
	char			*vm_id;
	char			*class_name;
	struct memcg_settings	 set;
	uint64_t		 next_due_ms;
	uint64_t		 last_run_ms;
	uint64_t		 last_cache_reclaim_ms;
	struct psi_sample	 psi[MEMCG_JOB_KIND_MAX];  /* wait starts */
	int			 have_psi[MEMCG_JOB_KIND_MAX];
	uint64_t		 aging_count;
	char			*swap_max_orig;
	struct memcg_counters	 n;
	enum memcg_stop		 last_stop;
	char			 last_error[160];
	unsigned		 warned;
	int			 in_pass;
	int			 dead;
};
TAILQ_HEAD(memcg_cgs, memcg_cg);

/* An original memory.swap.max not put back yet, of no tracked cgroup. */
struct swap_orig {
	TAILQ_ENTRY(swap_orig)	 entry;
	char			*path;
	char			*value;
};
TAILQ_HEAD(swap_origs, swap_orig);

struct memcg_item {
	struct memcg_cg		*cg;
	enum memcg_job_kind	 kind;
};

struct memcg {
	struct daemon		*d;
	struct memcg_host	 host;
	enum memcg_state	 state;
	const char		*reason;
	struct event		*timer;
	struct event		*watch;
	struct event		*probe;		/* while off */
	struct memcg_cgs	 cgs;
	size_t			 ncgs;
	uint64_t		 next_discovery_ms;
	uint64_t		 next_cache_ms;
	int			 swap_avail;
	int			 warned_full;
	unsigned		 warned_walk;	/* by enum memcg_src */
	struct swap_origs	 stale;		/* left by a run, or unrestorable */
	char			*statefile;	/* its path, for logs */
	int			 save_err;	/* the state file's last error */

	/* the pass, one at a time */
	struct memcg_item	*items;
	size_t			 nitems;
	size_t			 item;
	int			 job_active;
	struct memcg_cg		*job_cg;
	struct memcg_job	 job;
	const struct memcg_backend *job_ops;
	struct memcg_stat	 before;
	uint64_t		 job_started_ms;
	struct psi_sample	 job_psi;
	int			 wrote;		/* any write */
	int			 reclaimed;	/* a reclaim write */
	struct offload		*off;

	uint64_t		 passes;
	struct memcg_counters	 total;
};

#define BUMP(m, cg, f, v) do {		\
	(cg)->n.f += (v);		\
	(m)->total.f += (v);		\
} while (0)

static void	pass_continue(struct memcg *);

/* ---- shared with the backends ------------------------------------- */

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
void
memcg_job_fail(struct memcg_job *job, int err, const char *what)
{
	job->stop = err == -ENOENT || err == -ENODEV ? MEMCG_STOP_VANISHED :
	    MEMCG_STOP_ERROR;
	job->err = err;
	job->err_what = what;
}

/* ---- the host ------------------------------------------------------- */

static const struct memcg_backend *hierarchies[] = {
	&memcg_v2,
	&memcg_v1,
	NULL,
};

static int
host_open(struct memcg_host *h, int choice, const char **why)
{
	char	path[PATH_MAX];
	size_t	i;

	memset(h, 0, sizeof(*h));
	h->reclaim_swappiness = -1;
	h->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	for (i = 0; hierarchies[i] != NULL && h->hier == NULL; i++)
		if (hierarchies[i]->detect(h) == 0)
			h->hier = hierarchies[i];
	if (h->hier == NULL) {
		*why = "no memory cgroup controller is mounted";
		return -ENOENT;
	}
	if (choice == MEMCG_BACKEND_AUTO || choice == MEMCG_BACKEND_MGLRU) {
		if (memcg_mglru.detect(h) == 0) {
			h->backend = &memcg_mglru;
			return 0;
		}
		*why = "memcg.backend is mglru, but this kernel has no MGLRU "
		    "(or debugfs is not mounted)";
		if (choice == MEMCG_BACKEND_MGLRU)
			return -ENOTSUP;
	}
	if (h->version == 2 && (choice == MEMCG_BACKEND_AUTO ||
	    choice == MEMCG_BACKEND_RECLAIM)) {
		if (memcg_cg_file(h, "/", "memory.reclaim", path,
		    sizeof(path)) == 0 && rootfs_exists(path)) {
			h->backend = &memcg_v2;
			return 0;
		}
		*why = "cgroup v2 has no memory.reclaim (a kernel before 5.19)";
		return -ENOTSUP;
	}
	if (h->version == 1 && (choice == MEMCG_BACKEND_AUTO ||
	    choice == MEMCG_BACKEND_FORCE_EMPTY)) {
		h->backend = &memcg_v1;
		return 0;
	}
	*why = "memcg.backend names an interface this host does not have";
	return -ENOTSUP;
}

static int
swap_available(struct memcg *m)
{
	uint64_t	kb;

	return meminfo_read_field("SwapFree", &kb) == 0 &&
	    memcg_swap_available(kb, m->host.page_size);
}

/* ---- tracked cgroups ----------------------------------------------- */

static void
cg_note(struct memcg_cg *cg, const char *what, int err)
{
	snprintf(cg->last_error, sizeof(cg->last_error), "%s: %s", what,
	    strerror(-err));
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

static void
cg_free(struct memcg *m, struct memcg_cg *cg)
{
	TAILQ_REMOVE(&m->cgs, cg, entry);
	m->ncgs--;
	free(cg->path);
	free(cg->vm_id);
	free(cg->class_name);
	free(cg->swap_max_orig);
	free(cg);
}

static int
psi_read(struct memcg *m, struct memcg_cg *cg, struct psi_sample *s)
{
	int	r;

	if ((r = m->host.hier->psi(&m->host, cg->path, s)) == 0) {
		cg->warned &= ~WARN_PSI;
		return 0;
	}
	cg_note(cg, "PSI", r);
	if (!(cg->warned & WARN_PSI)) {
		errno = -r;
		log_warn("memcg: %s: no PSI to gate on, its runs are skipped "
		    "until there is", cg->path);
		cg->warned |= WARN_PSI;
	}
	return r;
}

/* ---- memory.swap.max and its originals ----------------------------- */

static struct swap_orig *
stale_find(struct memcg *m, const char *path)
{
	struct swap_orig	*o;

	TAILQ_FOREACH(o, &m->stale, entry)
		if (strcmp(o->path, path) == 0)
			return o;
	return NULL;
}

/* Keep PATH's original VALUE (taken, not copied) to put back later. */
static void
stale_add(struct memcg *m, const char *path, char *value)
{
	struct swap_orig	*o;

	o = xcalloc(1, sizeof(*o));
	o->path = xstrdup(path);
	o->value = value;
	TAILQ_INSERT_TAIL(&m->stale, o, entry);
}

static void
stale_free(struct memcg *m, struct swap_orig *o)
{
	TAILQ_REMOVE(&m->stale, o, entry);
	free(o->path);
	free(o->value);
	free(o);
}

/* Every original not put back yet, as "PATH VALUE" lines; none, no file. */
static int
state_write(struct memcg *m)
{
	const struct memcg_cg	*cg;
	const struct swap_orig	*o;
	FILE			*f;
	char			*buf = NULL;
	size_t			 len = 0, n = 0;
	int			 r;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	fprintf(f, "%s\n", MEMCG_STATE_MAGIC);
	TAILQ_FOREACH(o, &m->stale, entry) {
		fprintf(f, "%s %s\n", o->path, o->value);
		n++;
	}
	TAILQ_FOREACH(cg, &m->cgs, entry) {
		if (cg->swap_max_orig == NULL)
			continue;
		fprintf(f, "%s %s\n", cg->path, cg->swap_max_orig);
		n++;
	}
	if (fclose(f) != 0)
		fatal("open_memstream");
	if (n == 0)
		r = statefile_remove(m->d->rundirfd, STATE_NAME);
	else if (len > STATE_MAX)
		r = -EFBIG;	/* we would not read it back */
	else
		r = statefile_write(m->d->rundirfd, STATE_NAME, buf, len);
	free(buf);
	return r;
}

/* The state file as the originals are now; its errors said once. */
static int
state_sync(struct memcg *m)
{
	int	r;

	r = state_write(m);
	if (r < 0 && r != m->save_err) {
		errno = -r;
		log_warn("memcg: %s: cannot save the originals of "
		    "memory.swap.max, leaving it untouched where one is not "
		    "saved", m->statefile);
	} else if (r == 0 && m->save_err != 0)
		log_info("memcg: %s: the originals of memory.swap.max are "
		    "saved", m->statefile);
	m->save_err = r;
	return r;
}

static int
swap_max_write(struct memcg *m, const char *cg, const char *value)
{
	char	path[PATH_MAX];
	int	r;

	if ((r = memcg_cg_file(&m->host, cg, "memory.swap.max", path,
	    sizeof(path))) < 0)
		return r;
	return rootfs_write(path, value);
}

/* A cgroup removed is gone with its file: nothing to put back. */
static int
cg_gone(int err)
{
	return err == -ENOENT || err == -ENODEV;
}

/*
 * Put memory.swap.max back as it was before a class changed it.  One
 * that cannot be is kept, in the state file too, to try again at exit
 * (or at the next start).  1 when the state file has to change.
 */
static int
swap_max_restore(struct memcg *m, struct memcg_cg *cg)
{
	int	r;

	if (cg->swap_max_orig == NULL)
		return 0;
	if ((r = swap_max_write(m, cg->path, cg->swap_max_orig)) < 0 &&
	    !cg_gone(r)) {
		errno = -r;
		log_warn("memcg: %s: cannot put memory.swap.max back to %s, "
		    "trying again at exit", cg->path, cg->swap_max_orig);
		stale_add(m, cg->path, cg->swap_max_orig);
		cg->swap_max_orig = NULL;
		return 0;
	}
	free(cg->swap_max_orig);
	cg->swap_max_orig = NULL;
	return 1;
}

/* The originals kept apart: put back, or dropped with their cgroup. */
static void
stale_restore(struct memcg *m)
{
	struct swap_orig	*o, *tmp;
	int			 r;

	TAILQ_FOREACH_SAFE(o, &m->stale, entry, tmp) {
		if ((r = swap_max_write(m, o->path, o->value)) == 0)
			log_info("memcg: %s: memory.swap.max back to %s",
			    o->path, o->value);
		else if (cg_gone(r))
			log_info("memcg: %s: cgroup is gone, its "
			    "memory.swap.max with it", o->path);
		else {
			errno = -r;
			log_warn("memcg: %s: cannot put memory.swap.max back "
			    "to %s, keeping it in the state file", o->path,
			    o->value);
			continue;
		}
		stale_free(m, o);
	}
}

/*
 * The original of memory.swap.max, saved in memory and in the state
 * file before the first write: one kept apart is still the original,
 * else it is what the file holds now.
 */
static int
swap_max_save(struct memcg *m, struct memcg_cg *cg, const char *path)
{
	struct swap_orig	*o;
	char			 buf[64];
	uint64_t		 v;
	ssize_t			 n;
	int			 r;

	if ((o = stale_find(m, cg->path)) != NULL) {
		cg->swap_max_orig = o->value;
		o->value = NULL;
		stale_free(m, o);
		return 0;	/* the state file has it already */
	}
	if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	/* What the state file could not take back is not saved. */
	if (memcg_max_parse(buf, &v) < 0 || strchr(cg->path, '\n') != NULL)
		return -EINVAL;
	cg->swap_max_orig = xstrdup(buf);
	if ((r = state_sync(m)) < 0) {
		free(cg->swap_max_orig);
		cg->swap_max_orig = NULL;
	}
	return r;
}

/* A class's allowswap: memory.swap.max "max" or "0", on cgroup v2. */
static void
swap_max_apply(struct memcg *m, struct memcg_cg *cg)
{
	char	path[PATH_MAX];
	int	r;

	if (cg->set.allowswap < 0 || !(cg->src & SRC_EVENT)) {
		if (swap_max_restore(m, cg))
			state_sync(m);
		return;
	}
	if (m->host.version != 2) {
		if (!(cg->warned & WARN_SWAPMAX))
			log_warnx("memcg: %s: allowswap needs cgroup v2, "
			    "ignoring it", cg->path);
		cg->warned |= WARN_SWAPMAX;
		return;
	}
	if ((r = memcg_cg_file(&m->host, cg->path, "memory.swap.max", path,
	    sizeof(path))) < 0)
		return;
	if (cg->swap_max_orig == NULL && (r = swap_max_save(m, cg, path)) < 0)
		goto fail;
	if ((r = rootfs_write(path, cg->set.allowswap ? "max" : "0")) < 0)
		goto fail;
	cg->warned &= ~WARN_SWAPMAX;
	return;
fail:
	cg_note(cg, "memory.swap.max", r);
	if (!(cg->warned & WARN_SWAPMAX)) {
		errno = -r;
		log_warn("memcg: %s: memory.swap.max, ignoring allowswap",
		    cg->path);
	}
	cg->warned |= WARN_SWAPMAX;
}

/* The cgroup's settings from the configuration, now. */
static void
cg_configure(struct memcg *m, struct memcg_cg *cg)
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
static void
cg_wait_start(struct memcg *m, struct memcg_cg *cg, enum memcg_job_kind k)
{
	cg->have_psi[k] = psi_read(m, cg, &cg->psi[k]) == 0;
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
		cg_configure(m, cg);
		cg->next_due_ms = now + cg->set.period_secs * 1000;
		cg_wait_start(m, cg, MEMCG_JOB_PERIOD);
		cg_wait_start(m, cg, MEMCG_JOB_CACHE);
		log_debug("memcg: tracking %s", path);
	}
	cg->src |= src;
	cg->seen |= src;
	return cg;
}

/* The cgroup is no longer wanted for this reason; maybe not at all. */
static void
cg_drop(struct memcg *m, struct memcg_cg *cg, unsigned src)
{
	if ((cg->src & src) == 0)
		return;
	cg->src &= ~src;
	if (src & SRC_EVENT) {
		if (swap_max_restore(m, cg))
			state_sync(m);
		free(cg->vm_id);
		free(cg->class_name);
		cg->vm_id = cg->class_name = NULL;
		cg_configure(m, cg);
	}
	if (cg->src != 0)
		return;
	log_debug("memcg: no longer tracking %s", cg->path);
	if (cg->in_pass)
		cg->dead = 1;	/* freed when the pass is over */
	else
		cg_free(m, cg);
}

/* ---- discovery ------------------------------------------------------ */

typedef void (*walk_cb)(struct memcg *, const char *, int, void *);

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
subdirs(const char *dirpath, struct strlist *out)
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
	int		r;

	if (memcg_cg_file(&m->host, rel, "", dirpath, sizeof(dirpath)) < 0)
		return -ENAMETOOLONG;
	if ((r = subdirs(dirpath, &names)) < 0)
		return r;
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
			cg_drop(m, cg, src);
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

static void
discover_globs(struct memcg *m)
{
	const cJSON	*globs = m->d->conf->memcg_cgroups;

	discover(m, SRC_GLOB, cJSON_GetArraySize(globs) > 0 ? "/" : NULL,
	    globs_depth(globs, m->host.mount), glob_cb);
}

static void
discover_cache(struct memcg *m)
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

/* ---- scheduling ----------------------------------------------------- */

static void
memcg_arm(struct memcg *m)
{
	const struct conf	*c = m->d->conf;
	struct memcg_cg		*cg;
	struct timeval		 tv;
	uint64_t		 next = UINT64_MAX, now = daemon_now(m->d), delay;

	if (m->state == MEMCG_OFF || m->state == MEMCG_DISABLED) {
		evtimer_del(m->timer);
		return;
	}
	if (m->items != NULL)
		return;		/* the pass re-arms when it is over */
	if (cJSON_GetArraySize(c->memcg_cgroups) > 0)
		next = m->next_discovery_ms;
	if (*c->cache_reclaim_parent != '\0' && m->next_cache_ms < next)
		next = m->next_cache_ms;
	TAILQ_FOREACH(cg, &m->cgs, entry)
		if ((cg->src & SRC_PERIOD) && !cg->set.disabled &&
		    cg->next_due_ms < next)
			next = cg->next_due_ms;
	if (next == UINT64_MAX) {
		evtimer_del(m->timer);
		m->state = MEMCG_IDLE;
		m->reason = "nothing to manage";
		return;
	}
	delay = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	evtimer_add(m->timer, &tv);
	m->state = MEMCG_WAITING;
	m->reason = "waiting for the next run";
}

static void
pass_add(struct memcg *m, struct memcg_cg *cg, enum memcg_job_kind k)
{
	m->items[m->nitems].cg = cg;
	m->items[m->nitems++].kind = k;
	cg->in_pass = 1;
}

static void
memcg_tick(evutil_socket_t fd, short what, void *arg)
{
	struct memcg		*m = arg;
	const struct conf	*c = m->d->conf;
	struct memcg_cg		*cg;
	uint64_t		 now = daemon_now(m->d);
	int			 cache_due = 0;

	if (cJSON_GetArraySize(c->memcg_cgroups) > 0 &&
	    memcg_due(now, m->next_discovery_ms)) {
		discover_globs(m);
		m->next_discovery_ms = now + c->memcg_period_secs * 1000;
	}
	if (*c->cache_reclaim_parent != '\0' &&
	    memcg_due(now, m->next_cache_ms)) {
		discover_cache(m);
		m->next_cache_ms = now + c->cache_reclaim_interval_secs * 1000;
		cache_due = 1;
	}
	m->items = xcalloc(2 * m->ncgs + 1, sizeof(*m->items));
	m->nitems = m->item = 0;
	TAILQ_FOREACH(cg, &m->cgs, entry) {
		if (cg->set.disabled)
			continue;
		if ((cg->src & SRC_PERIOD) && memcg_due(now, cg->next_due_ms))
			pass_add(m, cg, MEMCG_JOB_PERIOD);
		if ((cg->src & SRC_CACHE) && cache_due)
			pass_add(m, cg, MEMCG_JOB_CACHE);
	}
	m->state = MEMCG_RUNNING;
	m->reason = "reclaiming";
	m->swap_avail = swap_available(m);
	pass_continue(m);
}

static void
pass_end(struct memcg *m)
{
	struct memcg_cg	*cg, *tmp;
	size_t		 i;

	for (i = 0; i < m->nitems; i++)
		m->items[i].cg->in_pass = 0;
	if (m->nitems > 0)
		m->passes++;
	free(m->items);
	m->items = NULL;
	m->nitems = m->item = 0;
	TAILQ_FOREACH_SAFE(cg, &m->cgs, entry, tmp)
		if (cg->dead)
			cg_free(m, cg);
	memcg_arm(m);
}

/* ---- one job: one cgroup, one kind of run --------------------------- */

/* The cgroup is gone: say so once, stop looking for it where we can. */
static void
cg_vanished(struct memcg *m, struct memcg_cg *cg)
{
	if (!(cg->warned & WARN_GONE))
		log_info("memcg: %s: cgroup is gone, skipping it", cg->path);
	cg->warned |= WARN_GONE;
	cg_drop(m, cg, SRC_GLOB | SRC_CACHE);
}

static int
stat_read(struct memcg *m, struct memcg_cg *cg, struct memcg_stat *st,
    uint64_t *usage, uint64_t *limit)
{
	int	r;

	if ((r = m->host.hier->stat(&m->host, cg->path, st, usage,
	    limit)) == 0) {
		cg->warned &= ~(WARN_STAT | WARN_GONE);
		return 0;
	}
	if (r == -ENOENT) {
		cg_vanished(m, cg);
		return r;
	}
	BUMP(m, cg, errors, 1);
	cg_note(cg, "memory stats", r);
	if (!(cg->warned & WARN_STAT)) {
		errno = -r;
		log_warn("memcg: %s: cannot read its memory stats, skipping it",
		    cg->path);
	}
	cg->warned |= WARN_STAT;
	return r;
}

/* mem-agent's gate: too much stall over the wait, no run this time. */
static int
job_gate(struct memcg *m, struct memcg_cg *cg, enum memcg_job_kind k,
    uint64_t limit, struct psi_sample *now)
{
	double	pct;
	int	pass;

	if (psi_read(m, cg, now) < 0)
		return 0;
	if (!cg->have_psi[k]) {
		cg->psi[k] = *now;
		cg->have_psi[k] = 1;
		return 0;	/* no baseline yet: the wait starts now */
	}
	if ((pass = memcg_period_gate(&cg->psi[k], now, limit, &pct)) < 0)
		return 0;
	cg->psi[k] = *now;
	if (!pass) {
		BUMP(m, cg, psi_skips, 1);
		log_info("memcg: %s: stalled %.2f%% over the wait, above %llu%%, "
		    "skipping this %s run", cg->path, pct,
		    (unsigned long long)limit, kind_names[k]);
	}
	return pass;
}

/* Reference 003: is the cgroup's page cache over the threshold? */
static int
cache_wanted(struct memcg *m, struct memcg_cg *cg, uint64_t limit,
    uint64_t now)
{
	const struct conf	*c = m->d->conf;
	uint64_t		 threshold;

	BUMP(m, cg, cache_checks, 1);
	if (memcg_cache_threshold(&c->cache_reclaim_threshold, limit,
	    &threshold) < 0) {
		if (!(cg->warned & WARN_LIMIT))
			log_info("memcg: %s: no memory limit, a threshold in "
			    "percent does not apply to it", cg->path);
		cg->warned |= WARN_LIMIT;
		return 0;
	}
	cg->warned &= ~WARN_LIMIT;
	if (!memcg_cache_should_reclaim(m->before.file, threshold, now,
	    cg->last_cache_reclaim_ms, c->cache_reclaim_cooldown_secs * 1000))
		return 0;
	m->job.target = memcg_cache_reclaim_bytes(m->before.file, threshold);
	cg->last_cache_reclaim_ms = now;
	log_info("memcg: %s: page cache %llu KiB over the threshold of %llu "
	    "KiB, reclaiming", cg->path,
	    (unsigned long long)(m->before.file / 1024),
	    (unsigned long long)(threshold / 1024));
	return 1;
}

/* A period run without MGLRU: the kernel's LRU ages; count runs as agings. */
static void
period_prepare(struct memcg *m, struct memcg_cg *cg)
{
	struct memcg_job	*job = &m->job;
	const struct memcg_stat	*b = &m->before;

	BUMP(m, cg, runs, 1);
	job->swap_ok = cg->set.swap && cg->set.allowswap != 0 && m->swap_avail;
	job->target = memcg_reclaim_target(b->inactive_file, b->inactive_anon,
	    job->swap_ok);
	job->swappiness = memcg_swappiness(job->swap_ok, b->inactive_anon,
	    b->inactive_file, cg->set.swappiness_max);
	if (m->job_ops == &memcg_mglru)
		return;
	job->aging_count++;
	job->aged = 1;
	if (!memcg_may_evict(1, job->aging_count,
	    cg->set.eviction_run_aging_count_min))
		job->stop = MEMCG_STOP_AGING;
	else if (memcg_reclaim_chunk(job->target) == 0)
		job->stop = MEMCG_STOP_NO_COLD;
}

/* Gates, stats and the decision; 1 if there is a job to run. */
static int
job_begin(struct memcg *m, struct memcg_item *it)
{
	struct memcg_cg		*cg = it->cg;
	struct memcg_job	*job = &m->job;
	struct psi_sample	 now_psi;
	uint64_t		 now = daemon_now(m->d), usage, limit, gate;

	if (cg->dead || cg->set.disabled)
		return 0;
	if (it->kind == MEMCG_JOB_PERIOD)
		cg->next_due_ms = now + cg->set.period_secs * 1000;
	gate = cg->set.period_psi_percent_limit;
	if (!job_gate(m, cg, it->kind, gate, &now_psi))
		return 0;
	if (stat_read(m, cg, &m->before, &usage, &limit) < 0)
		return 0;
	memset(job, 0, sizeof(*job));
	job->host = &m->host;
	job->kind = it->kind;
	job->set = cg->set;
	job->aging_count = cg->aging_count;
	if (xsnprintf(job->path, sizeof(job->path), "%s", cg->path) < 0)
		return 0;
	m->job_ops = it->kind == MEMCG_JOB_CACHE ? m->host.hier :
	    m->host.backend;
	if (it->kind == MEMCG_JOB_CACHE) {
		if (!cache_wanted(m, cg, limit, now))
			return 0;
	} else
		period_prepare(m, cg);
	m->job_cg = cg;
	m->job_psi = now_psi;
	m->job_started_ms = now;
	m->wrote = m->reclaimed = 0;
	if (job->stop == MEMCG_STOP_NONE && m->job_ops->begin != NULL)
		(void)m->job_ops->begin(job);
	return 1;
}

/* What the job measured, counted and logged once it is over. */
static void
job_account(struct memcg *m, struct memcg_cg *cg, uint64_t reclaimed)
{
	struct memcg_job	*job = &m->job;
	uint64_t		 ms = daemon_now(m->d) - m->job_started_ms;

	cg->aging_count = job->aging_count;
	if (job->aged)
		BUMP(m, cg, aging_runs, 1);
	if (m->reclaimed && job->kind == MEMCG_JOB_CACHE)
		BUMP(m, cg, cache_reclaims, 1);
	else if (m->reclaimed)
		BUMP(m, cg, reclaims, 1);
	BUMP(m, cg, reclaimed_bytes, reclaimed);
	BUMP(m, cg, evicted_pages, job->evicted_pages + job->ev.pages);
	BUMP(m, cg, stops[job->stop], 1);
	cg->last_stop = job->stop;
	if (job->stop == MEMCG_STOP_ERROR) {
		BUMP(m, cg, errors, 1);
		cg_note(cg, job->err_what, job->err);
		if (!(cg->warned & WARN_RUN)) {
			errno = -job->err;
			log_warn("memcg: %s: %s, skipping it this run",
			    cg->path, job->err_what);
		}
		cg->warned |= WARN_RUN;
	} else if (job->stop != MEMCG_STOP_VANISHED)
		cg->warned &= ~WARN_RUN;
	if (m->reclaimed)
		log_info("memcg: %s: %s run reclaimed %llu KiB in %llu ms, "
		    "stopped: %s", cg->path, kind_names[job->kind],
		    (unsigned long long)(reclaimed / 1024),
		    (unsigned long long)ms, memcg_stop_name(job->stop));
	else
		log_debug("memcg: %s: %s run: %s", cg->path,
		    kind_names[job->kind], memcg_stop_name(job->stop));
}

static void
job_end(struct memcg *m)
{
	struct memcg_cg		*cg = m->job_cg;
	struct memcg_stat	 after;
	uint64_t		 usage, limit, was, now, reclaimed = 0;

	m->job_active = 0;
	if (m->job.stop == MEMCG_STOP_VANISHED)
		cg_vanished(m, cg);
	else if (stat_read(m, cg, &after, &usage, &limit) == 0) {
		if (m->job.kind == MEMCG_JOB_CACHE) {
			was = m->before.file;
			now = after.file;
		} else {
			was = m->before.file + m->before.anon;
			now = after.file + after.anon;
		}
		reclaimed = was > now ? was - now : 0;
	}
	job_account(m, cg, reclaimed);
	if (m->job.kind == MEMCG_JOB_PERIOD)
		cg->last_run_ms = daemon_now(m->d);
	/* The next waiting period starts when this run ends. */
	if (!cg->dead)
		cg_wait_start(m, cg, m->job.kind);
}

/* PSI since the job began: over eviction_psi_percent_limit, it stops. */
static int
job_stalled(struct memcg *m)
{
	struct memcg_cg		*cg = m->job_cg;
	struct psi_sample	 now;
	double			 pct;
	int			 r;

	if ((r = m->host.hier->psi(&m->host, cg->path, &now)) < 0) {
		memcg_job_fail(&m->job, r, "PSI");
		return 1;
	}
	if (memcg_eviction_gate(&m->job_psi, &now,
	    cg->set.eviction_psi_percent_limit, &pct))
		return 0;
	log_info("memcg: %s: stalled %.2f%% while reclaiming, above %llu%%, "
	    "stopping", cg->path, pct,
	    (unsigned long long)cg->set.eviction_psi_percent_limit);
	m->job.stop = MEMCG_STOP_PSI;
	return 1;
}

static void
job_written(int err, uint64_t elapsed_ms, void *arg)
{
	struct memcg	*m = arg;

	m->off = NULL;
	evtimer_del(m->watch);
	log_debug("memcg: %s: write done in %llu ms: %s", m->job.path,
	    (unsigned long long)elapsed_ms, err ? strerror(-err) : "ok");
	m->job_ops->step_done(&m->job, err);
	pass_continue(m);
}

/* 1: a write is under way; 0: the job is over. */
static int
job_step(struct memcg *m)
{
	struct memcg_job	*job = &m->job;
	struct memcg_write	 w;
	struct timeval		 tv = { 0, PSI_WATCH_MS * 1000 };

	if (job->stop != MEMCG_STOP_NONE)
		return 0;
	if (m->wrote && job_stalled(m))
		return 0;
	if (m->job_ops->step(job, &w) == 0)
		return 0;
	log_debug("memcg: %s: %s: \"%s\" to %s", job->path, w.what, w.value,
	    w.path);
	if ((m->off = offload_write(m->d->base, w.path, w.value, job_written,
	    m)) == NULL) {
		memcg_job_fail(job, -errno, "fork");
		return 0;
	}
	m->wrote = 1;
	m->reclaimed |= w.reclaims;
	evtimer_add(m->watch, &tv);
	return 1;
}

/* While a write runs: stop it once the stall share is over the limit. */
static void
memcg_watch(evutil_socket_t fd, short what, void *arg)
{
	struct memcg	*m = arg;
	struct timeval	 tv = { 0, PSI_WATCH_MS * 1000 };

	if (m->off == NULL)
		return;
	if (!job_stalled(m)) {
		evtimer_add(m->watch, &tv);
		return;
	}
	offload_cancel(m->off);
	m->off = NULL;
	pass_continue(m);
}

static void
pass_continue(struct memcg *m)
{
	for (;;) {
		if (!m->job_active) {
			if (m->item >= m->nitems) {
				pass_end(m);
				return;
			}
			if (!job_begin(m, &m->items[m->item++]))
				continue;
			m->job_active = 1;
		}
		if (job_step(m))
			return;
		job_end(m);
	}
}

/* Stop the pass where it is (disabled, shutting down). */
static void
pass_cancel(struct memcg *m)
{
	if (m->items == NULL)
		return;
	if (m->off != NULL) {
		offload_cancel(m->off);
		m->off = NULL;
	}
	evtimer_del(m->watch);
	if (m->job_active) {
		m->job.stop = MEMCG_STOP_CANCELLED;
		job_end(m);
	}
	m->item = m->nitems;
	pass_end(m);
}

/* ---- the engine ----------------------------------------------------- */

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

static void
vm_created(struct memcg *m, const struct vm_event *ev)
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
		cg_drop(m, cg, SRC_EVENT);
	if ((cg = cg_track(m, path, SRC_EVENT)) == NULL)
		return;
	free(cg->vm_id);
	free(cg->class_name);
	cg->vm_id = xstrdup(ev->vm_id);
	cg->class_name = ev->class_name != NULL && *ev->class_name != '\0' ?
	    xstrdup(ev->class_name) : NULL;
	cg_configure(m, cg);
	log_info("memcg: VM %s: looking after %s%s%s", ev->vm_id, path,
	    cg->class_name ? ", class " : "",
	    cg->class_name ? cg->class_name : "");
}

static void
memcg_on_event(void *arg, const struct vm_event *ev)
{
	struct memcg	*m = arg;
	struct memcg_cg	*cg;

	if (m->state == MEMCG_OFF)
		return;
	switch (ev->type) {
	case VM_CREATED:
		if (ev->cgroup == NULL || *ev->cgroup == '\0')
			return;
		vm_created(m, ev);
		break;
	case VM_DESTROYED:
		if ((cg = vm_find(m, ev->vm_id)) == NULL)
			return;
		log_info("memcg: VM %s: no longer looking after %s",
		    ev->vm_id, cg->path);
		cg_drop(m, cg, SRC_EVENT);
		break;
	default:
		return;
	}
	memcg_arm(m);
}

/* Discovery and first deadlines, on start or when enabled again. */
static void
memcg_begin(struct memcg *m)
{
	const struct conf	*c = m->d->conf;
	struct memcg_cg		*cg;
	uint64_t		 now = daemon_now(m->d);

	TAILQ_FOREACH(cg, &m->cgs, entry) {
		cg->next_due_ms = now + cg->set.period_secs * 1000;
		cg_wait_start(m, cg, MEMCG_JOB_PERIOD);
		cg_wait_start(m, cg, MEMCG_JOB_CACHE);
	}
	discover_globs(m);
	discover_cache(m);
	m->next_discovery_ms = now + c->memcg_period_secs * 1000;
	m->next_cache_ms = now + c->cache_reclaim_interval_secs * 1000;
	m->state = MEMCG_IDLE;
	memcg_arm(m);
}

/* A saved original, unless the file named its cgroup twice. */
static int
state_add(void *arg, const char *path, const char *value)
{
	struct memcg	*m = arg;

	if (stale_find(m, path) != NULL)
		return -EINVAL;
	stale_add(m, path, xstrdup(value));
	return 0;
}

/* A state file at start means the last run did not exit cleanly. */
static void
memcg_recover(struct memcg *m)
{
	struct swap_orig	*o;
	const char		*why = NULL;
	char			*text;
	int			 r;

	r = statefile_read(m->d->rundirfd, STATE_NAME, STATE_MAX, &text, &why);
	if (r == -ENOENT)
		return;
	if (r == -ELOOP || r == -EINVAL) {
		log_warnx("memcg: %s: %s, removing it", m->statefile, why);
		statefile_remove(m->d->rundirfd, STATE_NAME);
		return;
	}
	/* One too big to be ours is corrupt, not unreadable. */
	if (r < 0 && r != -EFBIG) {
		log_warnx("memcg: %s: cannot read, ignoring it: %s",
		    m->statefile, why);
		return;
	}
	if (r == 0) {
		r = memcg_state_parse(text, state_add, m);
		free(text);
	}
	if (r < 0) {
		log_warnx("memcg: %s: corrupt state file, removing it: the "
		    "current memory.swap.max values are taken as the host's",
		    m->statefile);
		while ((o = TAILQ_FIRST(&m->stale)) != NULL)
			stale_free(m, o);
		statefile_remove(m->d->rundirfd, STATE_NAME);
		return;
	}
	log_info("memcg: %s: putting back the memory.swap.max values a "
	    "previous run left changed", m->statefile);
	stale_restore(m);
	state_sync(m);
}

/*
 * The host's memory cgroup interface found, the state a crash left put
 * right, and to work.  With none the engine is off, the state file kept
 * for when there is one, and it looks again every period (at most a
 * minute) and at a change of its configuration: a controller mounted
 * after the daemon started, or a memcg.backend the host has, turns it on.
 */
static void
memcg_start(struct memcg *m)
{
	struct daemon	*d = m->d;
	struct timeval	 tv = { 0, 0 };
	const char	*why = "", *was = m->reason;
	char		*text = NULL;

	if (host_open(&m->host, d->conf->memcg_backend, &why) < 0) {
		m->state = MEMCG_OFF;
		m->reason = why;
		tv.tv_sec = (time_t)(d->conf->memcg_period_secs < PROBE_SECS_MAX ?
		    d->conf->memcg_period_secs : PROBE_SECS_MAX);
		evtimer_add(m->probe, &tv);
		if (was != NULL && strcmp(was, why) == 0)
			return;		/* said already */
		log_info("memcg: off: %s; looking again every %lld s", why,
		    (long long)tv.tv_sec);
		if (statefile_read(d->rundirfd, STATE_NAME, STATE_MAX, &text,
		    &why) == 0)
			log_warnx("memcg: %s: no memory cgroup to put its "
			    "memory.swap.max values back in, keeping it",
			    m->statefile);
		free(text);
		return;
	}
	evtimer_del(m->probe);
	log_info("memcg: backend %s, cgroup v%d at %s%s%s",
	    m->host.backend->name, m->host.version, m->host.mount,
	    m->host.backend != m->host.hier ? ", cache reclaim with " : "",
	    m->host.backend != m->host.hier ? m->host.hier->name : "");
	/* force_empty reclaims with swap allowed; the kernel has no knob. */
	if (m->host.backend == &memcg_v1 && swap_available(m))
		log_info("memcg: this host has swap: force_empty on cgroup v1 "
		    "may swap anon pages out whatever memcg.swap says");
	memcg_recover(m);
	if (d->conf->memcg_disabled) {
		m->state = MEMCG_DISABLED;
		m->reason = "disabled by configuration";
		return;
	}
	memcg_begin(m);
}

/* Off: is there a memory controller now?  The VMs known are taken up. */
static void
memcg_probe(evutil_socket_t fd, short what, void *arg)
{
	struct memcg	*m = arg;

	memcg_start(m);
	if (m->state != MEMCG_OFF)
		vms_replay(m->d, memcg_on_event, m);
}

static int
memcg_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct memcg	*m;

	m = xcalloc(1, sizeof(*m));
	m->d = d;
	TAILQ_INIT(&m->cgs);
	TAILQ_INIT(&m->stale);
	if (asprintf(&m->statefile, "%s/%s", d->rundir, STATE_NAME) == -1)
		fatal("asprintf");
	if ((m->timer = evtimer_new(d->base, memcg_tick, m)) == NULL ||
	    (m->watch = evtimer_new(d->base, memcg_watch, m)) == NULL ||
	    (m->probe = evtimer_new(d->base, memcg_probe, m)) == NULL)
		fatalx("evtimer_new");
	*statep = m;
	memcg_start(m);
	return 0;
}

/*
 * A live change: settings of every tracked cgroup anew, deadlines of
 * those whose period changed counted from their last run, discovery
 * again if what to discover changed.  A running pass finishes first;
 * it re-arms the timer, so two passes never run at once.
 */
static void
memcg_reconfigure(void *arg, const struct conf *old,
    const struct conf *fresh)
{
	struct memcg		*m = arg;
	const struct conf	*c = m->d->conf;
	struct memcg_cg		*cg;
	uint64_t		 now = daemon_now(m->d), period;

	/* Off: memcg.backend may name one the host has now. */
	if (m->state == MEMCG_OFF) {
		memcg_probe(-1, 0, m);
		return;
	}
	if (old->memcg_backend != c->memcg_backend)
		log_info("memcg: memcg.backend takes effect at the next start");
	if (c->memcg_disabled) {
		pass_cancel(m);
		m->state = MEMCG_DISABLED;
		m->reason = "disabled by configuration";
		evtimer_del(m->timer);
		return;
	}
	if (m->state == MEMCG_DISABLED) {
		TAILQ_FOREACH(cg, &m->cgs, entry)
			cg_configure(m, cg);
		memcg_begin(m);
		return;
	}
	TAILQ_FOREACH(cg, &m->cgs, entry) {
		period = cg->set.period_secs;
		cg_configure(m, cg);
		if (cg->set.period_secs != period) {
			cg->next_due_ms = cg->last_run_ms +
			    cg->set.period_secs * 1000;
			if (cg->next_due_ms < now)
				cg->next_due_ms = now;
		}
	}
	if (!cJSON_Compare(old->memcg_cgroups, c->memcg_cgroups, 1) ||
	    old->memcg_period_secs != c->memcg_period_secs) {
		discover_globs(m);
		m->next_discovery_ms = now + c->memcg_period_secs * 1000;
	}
	if (strcmp(old->cache_reclaim_parent, c->cache_reclaim_parent) != 0 ||
	    old->cache_reclaim_interval_secs != c->cache_reclaim_interval_secs) {
		discover_cache(m);
		m->next_cache_ms = now + c->cache_reclaim_interval_secs * 1000;
	}
	memcg_arm(m);
}

static void
counters_json(cJSON *o, const struct memcg_counters *n, uint64_t page_size)
{
	cJSON	*s;
	int	 i;

	cJSON_AddNumberToObject(o, "runs", (double)n->runs);
	cJSON_AddNumberToObject(o, "psi_skips", (double)n->psi_skips);
	cJSON_AddNumberToObject(o, "aging_runs", (double)n->aging_runs);
	cJSON_AddNumberToObject(o, "reclaims", (double)n->reclaims);
	cJSON_AddNumberToObject(o, "cache_checks", (double)n->cache_checks);
	cJSON_AddNumberToObject(o, "cache_reclaims", (double)n->cache_reclaims);
	cJSON_AddNumberToObject(o, "reclaimed_bytes",
	    (double)n->reclaimed_bytes);
	cJSON_AddNumberToObject(o, "reclaimed_pages",
	    (double)(n->reclaimed_bytes / (page_size ? page_size : 4096)));
	cJSON_AddNumberToObject(o, "evicted_pages", (double)n->evicted_pages);
	cJSON_AddNumberToObject(o, "errors", (double)n->errors);
	s = cJSON_AddObjectToObject(o, "stops");
	for (i = MEMCG_STOP_NONE + 1; i < MEMCG_STOP_MAX; i++)
		cJSON_AddNumberToObject(s, memcg_stop_name(i),
		    (double)n->stops[i]);
}

static cJSON *
cg_json(struct memcg *m, const struct memcg_cg *cg)
{
	cJSON	*o, *src;
	uint64_t now = daemon_now(m->d);

	o = cJSON_CreateObject();
	src = cJSON_AddArrayToObject(o, "sources");
	if (cg->src & SRC_EVENT)
		cJSON_AddItemToArray(src, cJSON_CreateString("event"));
	if (cg->src & SRC_GLOB)
		cJSON_AddItemToArray(src, cJSON_CreateString("glob"));
	if (cg->src & SRC_CACHE)
		cJSON_AddItemToArray(src, cJSON_CreateString("cache"));
	if (cg->vm_id != NULL)
		cJSON_AddStringToObject(o, "vm", cg->vm_id);
	if (cg->class_name != NULL)
		cJSON_AddStringToObject(o, "class", cg->class_name);
	cJSON_AddBoolToObject(o, "disabled", cg->set.disabled);
	cJSON_AddNumberToObject(o, "period_secs", (double)cg->set.period_secs);
	if (cg->src & SRC_PERIOD)
		cJSON_AddNumberToObject(o, "next_run_in_ms",
		    cg->next_due_ms > now ? (double)(cg->next_due_ms - now) : 0);
	cJSON_AddNumberToObject(o, "aging_count", (double)cg->aging_count);
	cJSON_AddStringToObject(o, "last_stop", memcg_stop_name(cg->last_stop));
	cJSON_AddStringToObject(o, "last_error", cg->last_error);
	counters_json(o, &cg->n, m->host.page_size);
	return o;
}

static void
memcg_status(void *arg, cJSON *root)
{
	struct memcg		*m = arg;
	const struct memcg_cg	*cg;
	cJSON			*o, *cgs;

	o = cJSON_AddObjectToObject(root, "memcg");
	cJSON_AddStringToObject(o, "state", state_names[m->state]);
	cJSON_AddStringToObject(o, "reason", m->reason ? m->reason : "");
	cJSON_AddStringToObject(o, "backend", m->host.backend ?
	    m->host.backend->name : "none");
	cJSON_AddStringToObject(o, "cache_backend", m->host.hier ?
	    m->host.hier->name : "none");
	cJSON_AddNumberToObject(o, "cgroup_version", m->host.version);
	cJSON_AddStringToObject(o, "mount", m->host.mount);
	cJSON_AddNumberToObject(o, "passes", (double)m->passes);
	cJSON_AddNumberToObject(o, "tracked", (double)m->ncgs);
	counters_json(cJSON_AddObjectToObject(o, "totals"), &m->total,
	    m->host.page_size);
	cgs = cJSON_AddObjectToObject(o, "cgroups");
	TAILQ_FOREACH(cg, &m->cgs, entry)
		if (!cg->dead)
			cJSON_AddItemToObject(cgs, cg->path, cg_json(m, cg));
}

static void
memcg_shutdown(void *arg)
{
	struct memcg		*m = arg;
	struct memcg_cg		*cg;
	struct swap_orig	*o;

	pass_cancel(m);
	TAILQ_FOREACH(cg, &m->cgs, entry)
		swap_max_restore(m, cg);
	stale_restore(m);
	if (m->host.hier != NULL)
		state_sync(m);
	while ((cg = TAILQ_FIRST(&m->cgs)) != NULL)
		cg_free(m, cg);
	while ((o = TAILQ_FIRST(&m->stale)) != NULL)
		stale_free(m, o);
	free(m->statefile);
	if (m->host.backend != NULL && m->host.backend->restore != NULL)
		m->host.backend->restore(&m->host);
	event_free(m->timer);
	event_free(m->watch);
	event_free(m->probe);
	free(m);
}

const struct module_ops engine_memcg = {
	.name = "memcg",
	.section = "memcg",
	.init = memcg_init,
	.on_event = memcg_on_event,
	.reconfigure = memcg_reconfigure,
	.status = memcg_status,
	.shutdown = memcg_shutdown,
};
