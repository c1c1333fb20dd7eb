/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host settings the memcg engine changes outside its reclaim writes,
 * each one's original saved before the first write and put back when the
 * engine lets go of it, at exit at the latest.  memory.swap.max originals
 * go to <rundir>/memcg.state first, "PATH VALUE" lines, so that a start
 * after a crash puts them back; one that cannot be saved is not changed,
 * and one that cannot be put back is kept there to try again at exit
 * (or at the next start).  MGLRU's switch is kept in memory only.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memcg-backend.h"
#include "memcg-hostset.h"
#include "rootfs.h"
#include "statefile.h"
#include "util.h"

#define STATE_NAME	"memcg.state"
/* A line per VM's cgroup: this is thousands of VMs; bigger is not ours. */
#define STATE_MAX	(1024 * 1024)

struct setting {
	TAILQ_ENTRY(setting)	 entry;
	enum memcg_knob		 knob;
	char			*cg;		/* NULL: the host's */
	char			*orig;
	int			 pending;	/* not put back: at exit */
};
TAILQ_HEAD(settings, setting);

struct memcg_hostset {
	const struct memcg_host	*host;
	int			 rundirfd;
	char			*statefile;	/* its path, for logs */
	int			 save_err;	/* the state file's last error */
	struct settings		 list;
};

struct memcg_hostset *
memcg_hostset_new(const struct memcg_host *h, int rundirfd, const char *rundir)
{
	struct memcg_hostset	*hs;

	hs = xcalloc(1, sizeof(*hs));
	hs->host = h;
	hs->rundirfd = rundirfd;
	TAILQ_INIT(&hs->list);
	if (asprintf(&hs->statefile, "%s/%s", rundir, STATE_NAME) == -1)
		fatal("asprintf");
	return hs;
}

static struct setting *
setting_find(struct memcg_hostset *hs, enum memcg_knob knob, const char *cg)
{
	struct setting	*s;

	TAILQ_FOREACH(s, &hs->list, entry)
		if (s->knob == knob && (s->cg == NULL ? cg == NULL :
		    cg != NULL && strcmp(s->cg, cg) == 0))
			return s;
	return NULL;
}

/* Keep the ORIG (taken, not copied) of a knob to put back later. */
static struct setting *
setting_add(struct memcg_hostset *hs, enum memcg_knob knob, const char *cg,
    char *orig)
{
	struct setting	*s;

	s = xcalloc(1, sizeof(*s));
	s->knob = knob;
	s->cg = cg != NULL ? xstrdup(cg) : NULL;
	s->orig = orig;
	TAILQ_INSERT_TAIL(&hs->list, s, entry);
	return s;
}

static void
setting_free(struct memcg_hostset *hs, struct setting *s)
{
	TAILQ_REMOVE(&hs->list, s, entry);
	free(s->cg);
	free(s->orig);
	free(s);
}

void
memcg_hostset_free(struct memcg_hostset *hs)
{
	struct setting	*s;

	while ((s = TAILQ_FIRST(&hs->list)) != NULL)
		setting_free(hs, s);
	free(hs->statefile);
	free(hs);
}

static int
knob_path(const struct memcg_hostset *hs, enum memcg_knob knob,
    const char *cg, char *buf, size_t len)
{
	if (knob == MEMCG_KNOB_SWAP_MAX)
		return memcg_cg_file(hs->host, cg, "memory.swap.max", buf, len);
	return xsnprintf(buf, len, "%s", MEMCG_LRU_GEN_ENABLED);
}

static int
setting_write(struct memcg_hostset *hs, const struct setting *s)
{
	char	path[PATH_MAX];
	int	r;

	if ((r = knob_path(hs, s->knob, s->cg, path, sizeof(path))) < 0)
		return r;
	return rootfs_write(path, s->orig);
}

/* ---- the state file -------------------------------------------------- */

/* Every memory.swap.max original not put back yet; none, no file. */
static int
state_write(struct memcg_hostset *hs)
{
	const struct setting	*s;
	FILE			*f;
	char			*buf = NULL;
	size_t			 len = 0, n = 0;
	int			 r;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	fprintf(f, "%s\n", MEMCG_STATE_MAGIC);
	TAILQ_FOREACH(s, &hs->list, entry) {
		if (s->knob != MEMCG_KNOB_SWAP_MAX)
			continue;
		fprintf(f, "%s %s\n", s->cg, s->orig);
		n++;
	}
	if (fclose(f) != 0)
		fatal("open_memstream");
	if (n == 0)
		r = statefile_remove(hs->rundirfd, STATE_NAME);
	else if (len > STATE_MAX)
		r = -EFBIG;	/* we would not read it back */
	else
		r = statefile_write(hs->rundirfd, STATE_NAME, buf, len);
	free(buf);
	return r;
}

/* The state file as the originals are now; its errors said once. */
static int
state_sync(struct memcg_hostset *hs)
{
	int	r;

	r = state_write(hs);
	if (r < 0 && r != hs->save_err) {
		errno = -r;
		log_warn("memcg: %s: cannot save the originals of "
		    "memory.swap.max, leaving it untouched where one is not "
		    "saved", hs->statefile);
	} else if (r == 0 && hs->save_err != 0)
		log_info("memcg: %s: the originals of memory.swap.max are "
		    "saved", hs->statefile);
	hs->save_err = r;
	return r;
}

/* ---- set, restore ------------------------------------------------------ */

/*
 * The original, as the file holds it now, saved before the first write:
 * memory.swap.max in the state file, what the state file could not take
 * back not saved at all.
 */
static int
setting_save(struct memcg_hostset *hs, enum memcg_knob knob, const char *cg,
    const char *path)
{
	struct setting	*s;
	char		 buf[64];
	uint64_t	 v;
	ssize_t		 n;
	int		 r;

	if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	if (knob == MEMCG_KNOB_LRU_GEN) {
		setting_add(hs, knob, NULL, xstrdup(buf));
		return 0;
	}
	if (memcg_max_parse(buf, &v) < 0 || strchr(cg, '\n') != NULL)
		return -EINVAL;
	s = setting_add(hs, knob, cg, xstrdup(buf));
	if ((r = state_sync(hs)) < 0)
		setting_free(hs, s);
	return r;
}

int
memcg_hostset_set(struct memcg_hostset *hs, enum memcg_knob knob,
    const char *cg, const char *value)
{
	struct setting	*s;
	char		 path[PATH_MAX];
	int		 r;

	if ((r = knob_path(hs, knob, cg, path, sizeof(path))) < 0)
		return r;
	/* One kept to put back at exit is still the original. */
	if ((s = setting_find(hs, knob, cg)) != NULL)
		s->pending = 0;
	else if ((r = setting_save(hs, knob, cg, path)) < 0)
		return r;
	if ((r = rootfs_write(path, value)) < 0)
		return r;
	if (knob == MEMCG_KNOB_LRU_GEN && s == NULL)
		log_info("memcg: MGLRU was off (%s), turned on; it goes back "
		    "at exit", setting_find(hs, knob, cg)->orig);
	return 0;
}

/* Put one back; one that cannot be is kept, to try again at exit. */
static void
setting_restore(struct memcg_hostset *hs, struct setting *s)
{
	enum memcg_knob	knob = s->knob;
	int		r;

	if ((r = setting_write(hs, s)) < 0 && !memcg_cg_gone(r)) {
		errno = -r;
		if (knob == MEMCG_KNOB_SWAP_MAX)
			log_warn("memcg: %s: cannot put memory.swap.max back "
			    "to %s, trying again at exit", s->cg, s->orig);
		else
			log_warn("memcg: cannot put %s back to %s",
			    MEMCG_LRU_GEN_ENABLED, s->orig);
		s->pending = 1;
		return;
	}
	setting_free(hs, s);
	if (knob == MEMCG_KNOB_SWAP_MAX)
		state_sync(hs);
}

void
memcg_hostset_restore(struct memcg_hostset *hs, enum memcg_knob knob,
    const char *cg)
{
	struct setting	*s;

	if ((s = setting_find(hs, knob, cg)) != NULL && !s->pending)
		setting_restore(hs, s);
}

/* The memory.swap.max originals kept: put back, or gone with their cgroup. */
static void
restore_pending(struct memcg_hostset *hs)
{
	struct setting	*s, *tmp;
	int		 r;

	TAILQ_FOREACH_SAFE(s, &hs->list, entry, tmp) {
		if (!s->pending || s->knob != MEMCG_KNOB_SWAP_MAX)
			continue;
		if ((r = setting_write(hs, s)) == 0)
			log_info("memcg: %s: memory.swap.max back to %s",
			    s->cg, s->orig);
		else if (memcg_cg_gone(r))
			log_info("memcg: %s: cgroup is gone, its "
			    "memory.swap.max with it", s->cg);
		else {
			errno = -r;
			log_warn("memcg: %s: cannot put memory.swap.max back "
			    "to %s, keeping it in the state file", s->cg,
			    s->orig);
			continue;
		}
		setting_free(hs, s);
	}
}

/*
 * At exit: every cgroup's first, then the host's, the opposite of the
 * order they were changed in.  With the engine off (no memory cgroup, or
 * no reclaim method) the state file is kept for when it is on.
 */
void
memcg_hostset_restore_all(struct memcg_hostset *hs)
{
	struct setting	*s, *tmp;

	if (hs->host->method == NULL)
		return;
	TAILQ_FOREACH_SAFE(s, &hs->list, entry, tmp)
		if (s->knob == MEMCG_KNOB_SWAP_MAX && !s->pending) {
			s->pending = 1;
			if (setting_write(hs, s) == 0)
				setting_free(hs, s);
		}
	restore_pending(hs);
	state_sync(hs);
	TAILQ_FOREACH_SAFE(s, &hs->list, entry, tmp)
		if (s->knob == MEMCG_KNOB_LRU_GEN)
			setting_restore(hs, s);
}

/* ---- after a crash ------------------------------------------------------ */

/* A saved original, unless the file named its cgroup twice. */
static int
state_add(void *arg, const char *path, const char *value)
{
	struct memcg_hostset	*hs = arg;

	if (setting_find(hs, MEMCG_KNOB_SWAP_MAX, path) != NULL)
		return -EINVAL;
	setting_add(hs, MEMCG_KNOB_SWAP_MAX, path, xstrdup(value))->pending = 1;
	return 0;
}

static void
drop_swap_max(struct memcg_hostset *hs)
{
	struct setting	*s, *tmp;

	TAILQ_FOREACH_SAFE(s, &hs->list, entry, tmp)
		if (s->knob == MEMCG_KNOB_SWAP_MAX)
			setting_free(hs, s);
}

/* 0 and the text; -errno, said, with the file removed if it is bad. */
static int
state_read(struct memcg_hostset *hs, char **text)
{
	const char	*why = NULL;
	int		 r;

	r = statefile_read(hs->rundirfd, STATE_NAME, STATE_MAX, text, &why);
	if (r == -ENOENT)
		return r;
	if (r == -ELOOP || r == -EINVAL) {
		log_warnx("memcg: %s: %s, removing it", hs->statefile, why);
		statefile_remove(hs->rundirfd, STATE_NAME);
		return r;
	}
	/* One too big to be ours is corrupt, not unreadable. */
	if (r < 0 && r != -EFBIG)
		log_warnx("memcg: %s: cannot read, ignoring it: %s",
		    hs->statefile, why);
	return r;
}

/*
 * A state file at start means the last run did not exit cleanly.  With
 * the engine off, it is kept for when it is on.
 */
void
memcg_hostset_recover(struct memcg_hostset *hs)
{
	const char	*why = NULL;
	char		*text = NULL;
	int		 r;

	if (hs->host->method == NULL) {
		if (statefile_read(hs->rundirfd, STATE_NAME, STATE_MAX, &text,
		    &why) == 0)
			log_warnx("memcg: %s: no memory cgroup to put its "
			    "memory.swap.max values back in, keeping it",
			    hs->statefile);
		free(text);
		return;
	}
	if ((r = state_read(hs, &text)) < 0 && r != -EFBIG)
		return;
	if (r == 0) {
		r = memcg_state_parse(text, state_add, hs);
		free(text);
	}
	if (r < 0) {
		log_warnx("memcg: %s: corrupt state file, removing it: the "
		    "current memory.swap.max values are taken as the host's",
		    hs->statefile);
		drop_swap_max(hs);
		statefile_remove(hs->rundirfd, STATE_NAME);
		return;
	}
	log_info("memcg: %s: putting back the memory.swap.max values a "
	    "previous run left changed", hs->statefile);
	restore_pending(hs);
	state_sync(hs);
}
