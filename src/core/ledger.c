/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host ledger.  Each host setting the daemon changes has its
 * original kept here, in memory and in <rundir>/host.state, written
 * (statefile.c: whole, synced, renamed) before the first write, so that
 * a clean exit, an owner done with a setting, and a start after a crash
 * put it back.  A setting whose original could not be saved is never
 * written.  The file is a magic line and then one line per setting, its
 * path and its original, both quoted, so that any text round-trips:
 *
 *	ksm-throttler-host-state 1
 *	"/sys/kernel/mm/ksm/run" "0"
 *
 * Owners with rules on the order of their writes register a domain (a
 * path prefix and a function putting back what is held below it); the
 * rest goes back in the order it was saved.  A setting whose file has
 * vanished (a cgroup removed) is forgotten: there is nothing to put back.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "log.h"
#include "rootfs.h"
#include "statefile.h"
#include "util.h"

#define STATE_MAGIC	"ksm-throttler-host-state 1"
/* A line per VM's cgroup: this is thousands of VMs; bigger is not ours. */
#define STATE_MAX	(1024 * 1024)
/* A setting's value is a sysfs attribute: a page at most. */
#define VALUE_MAX	ROOTFS_SMALL
#define DOMAINS_MAX	8
#define LEGACY_MAX	4

struct entry {
	TAILQ_ENTRY(entry)	 link;
	char			*path;
	char			*orig;
	const char		*source;	/* the file it came from, if left */
	const char		*what;		/* what that file said it holds */
	int			 stale;		/* a previous run's, not tried */
	int			 tried;		/* by the restore under way */
};
TAILQ_HEAD(entries, entry);

struct domain {
	char		*prefix;
	char		*what;
	int		(*restore)(struct ledger *, void *);
	void		*arg;
};

struct legacy {
	char		*name;
	char		*path;
	char		*what;
	int		 loaded;	/* removed once what it held is safe */
};

struct ledger {
	int		 dirfd;
	char		*dir;
	char		*statefile;	/* its path, for logs */
	struct entries	 entries;
	struct domain	 domains[DOMAINS_MAX];
	size_t		 ndomains;
	struct legacy	 legacy[LEGACY_MAX];
	size_t		 nlegacy;
	int		 replayed;
	int		 batch;		/* restores under way: one sync after */
	int		 unread;	/* the state file there cannot be read:
					   -errno, nothing saved over it */
};

/* What a state file being read has given so far. */
struct load {
	struct entries	 entries;
	size_t		 n;
};

/* ---- the file's format ---------------------------------------------- */

static void
put_quoted(FILE *f, const char *s)
{
	unsigned char	c;

	fputc('"', f);
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One quoted string at *pp, unescaped in place; *pp then just after it. */
static int
unquote(char **pp, char **out)
{
	char		*p = *pp, *o;
	unsigned char	 c;
	int		 hi, lo;

	if (*p++ != '"')
		return -EINVAL;
	*out = o = p;
	while ((c = (unsigned char)*p++) != '"') {
		if (c == '\\') {
			c = (unsigned char)*p++;
			if (c == 'x') {
				if ((hi = hexval(p[0])) < 0 ||
				    (lo = hexval(p[1])) < 0 || hi + lo == 0)
					return -EINVAL;
				c = (unsigned char)(hi << 4 | lo);
				p += 2;
			} else if (c != '\\' && c != '"')
				return -EINVAL;
		} else if (c < 0x20 || c >= 0x7f)
			return -EINVAL;	/* the end, or what we would escape */
		*o++ = (char)c;
	}
	*o = '\0';
	*pp = p;
	return 0;
}

/* A kernel setting, named as we write it: nothing else is ever restored. */
static int
path_ok(const char *path)
{
	char	norm[PATH_MAX];

	return path_normalize(NULL, path, norm, sizeof(norm)) == 0 &&
	    strcmp(norm, path) == 0 && (strncmp(path, "/sys/", 5) == 0 ||
	    strncmp(path, "/proc/sys/", 10) == 0);
}

static int
value_ok(const char *value)
{
	return strlen(value) < VALUE_MAX;
}

/*
 * The state file: STATE_MAGIC, then one "PATH" "ORIGINAL" line per
 * setting, each handed to add.  A line not so, a path that is not a
 * kernel setting in normal form, no line at all, or add refusing one
 * makes the whole file -EINVAL.
 */
struct parse {
	ledger_add_fn	 add;
	void		*arg;
};

static int
parse_line(void *arg, char *line)
{
	struct parse	*ps = arg;
	char		*path, *value;

	if (unquote(&line, &path) < 0 || *line++ != ' ' ||
	    unquote(&line, &value) < 0 || *line != '\0' ||
	    !path_ok(path) || !value_ok(value))
		return -EINVAL;
	return ps->add(ps->arg, path, value);
}

int
ledger_state_parse(const char *text, ledger_add_fn add, void *arg)
{
	struct parse	ps = { add, arg };
	int		n;

	if ((n = statefile_lines(text, STATE_MAGIC, parse_line, &ps)) < 0)
		return n;
	return n == 0 ? -EINVAL : 0;	/* none: never written so */
}

/* ---- entries -------------------------------------------------------- */

static struct entry *
find_in(const struct entries *list, const char *path)
{
	struct entry	*e;

	TAILQ_FOREACH(e, list, link)
		if (strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

/*
 * The word a kernel choice file has chosen, "b" of "a [b] c": words of
 * letters, digits, '-' and '_', one space apart, one of them bracketed.
 * Its start and length, or -EINVAL for any other text.
 */
static int
choice_word(const char *text, const char **word, size_t *len)
{
	const char	*p = text;
	size_t		 n;
	int		 br, found = 0;

	for (;;) {
		if ((br = *p == '['))
			p++;
		if ((n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")) == 0)
			return -EINVAL;
		if (br) {
			if (found++ || p[n] != ']')
				return -EINVAL;
			*word = p;
			*len = n++;
		}
		p += n;
		if (*p == '\0')
			break;
		if (*p++ != ' ')
			return -EINVAL;
	}
	return found ? 0 : -EINVAL;
}

/*
 * A setting's original as it is written back.  A choice file reads
 * "a [b] c" and takes only the word, so "b" is kept, however the original
 * came: read before a write, handed over, or from a state file.
 */
static char *
orig_dup(const char *orig)
{
	const char	*word;
	size_t		 len;
	char		*o;

	if (choice_word(orig, &word, &len) < 0)
		return xstrdup(orig);
	if ((o = strndup(word, len)) == NULL)
		fatal("strndup");
	return o;
}

static struct entry *
entry_new(const char *path, const char *orig)
{
	struct entry	*e;

	e = xcalloc(1, sizeof(*e));
	e->path = xstrdup(path);
	e->orig = orig_dup(orig);
	return e;
}

static void
entry_free(struct entries *list, struct entry *e)
{
	TAILQ_REMOVE(list, e, link);
	free(e->path);
	free(e->orig);
	free(e);
}

static struct domain *
entry_domain(struct ledger *l, const struct entry *e)
{
	size_t	i;

	for (i = 0; i < l->ndomains; i++)
		if (strncmp(e->path, l->domains[i].prefix,
		    strlen(l->domains[i].prefix)) == 0)
			return &l->domains[i];
	return NULL;
}

/* The state file as the entries are now; none, no file. */
static int
sync_file(struct ledger *l)
{
	const struct entry	*e;
	FILE			*f;
	char			*buf = NULL;
	size_t			 len = 0;
	int			 r;

	if (TAILQ_EMPTY(&l->entries))
		return statefile_remove(l->dirfd, LEDGER_STATE_NAME);
	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	fprintf(f, "%s\n", STATE_MAGIC);
	TAILQ_FOREACH(e, &l->entries, link) {
		put_quoted(f, e->path);
		fputc(' ', f);
		put_quoted(f, e->orig);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		fatal("open_memstream");
	if (len > STATE_MAX)
		r = -EFBIG;	/* we would not read it back */
	else
		r = statefile_write(l->dirfd, LEDGER_STATE_NAME, buf, len);
	free(buf);
	return r;
}

/* After a setting is forgotten: now, or once the restores under way end. */
static int
sync_later(struct ledger *l)
{
	int	r;

	if (l->batch > 0)
		return 0;
	if ((r = sync_file(l)) < 0) {
		errno = -r;
		log_warn("%s: cannot update", l->statefile);
	}
	return r;
}

/* A setting's value as read, N bytes: the kernel ends it with a newline. */
static void
chomp(char *buf, ssize_t n)
{
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* The setting now is its original: the kernel's choice files say "[a] b". */
static int
value_matches(const char *now, const char *orig)
{
	const char	*p;
	size_t		 len = strlen(orig);

	if (strcmp(now, orig) == 0)
		return 1;
	for (p = now; (p = strchr(p, '[')) != NULL; p++)
		if (strncmp(p + 1, orig, len) == 0 && p[len + 1] == ']')
			return 1;
	return 0;
}

/*
 * Put one setting back unless it holds its original now, and forget it;
 * one whose file is gone is forgotten too.  One that cannot be put back
 * is kept, to try again at exit or at the next start.
 */
static int
entry_restore(struct ledger *l, struct entry *e)
{
	char	now[VALUE_MAX];
	ssize_t	n;
	int	r = 0;

	e->tried = 1;
	n = rootfs_read(e->path, now, sizeof(now));
	chomp(now, n);
	if (n == -ENOENT || n == -ENODEV)
		r = (int)n;
	else if (n < 0 || !value_matches(now, e->orig))
		r = rootfs_write(e->path, e->orig);
	if (r == -ENOENT || r == -ENODEV)
		log_info("%s: gone, nothing to put back", e->path);
	else if (r < 0) {
		errno = -r;
		log_warn("%s: cannot restore", e->path);
		return r;
	}
	entry_free(&l->entries, e);
	return 0;
}

/*
 * Put back what is held of DOM (NULL: of no domain), in the domain's
 * order, then whatever it left untried.  *held: was there any.
 */
static int
restore_domain(struct ledger *l, struct domain *dom, int *held)
{
	struct entry	*e, *tmp;
	int		 r, err = 0;

	*held = 0;
	TAILQ_FOREACH(e, &l->entries, link)
		if (entry_domain(l, e) == dom) {
			e->tried = 0;
			*held = 1;
		}
	if (!*held)
		return 0;
	l->batch++;
	if (dom != NULL && dom->restore != NULL)
		err = dom->restore(l, dom->arg);
	for (e = TAILQ_FIRST(&l->entries); e != NULL; e = tmp) {
		tmp = TAILQ_NEXT(e, link);
		if (!e->tried && entry_domain(l, e) == dom &&
		    (r = entry_restore(l, e)) < 0)
			err = r;
	}
	l->batch--;
	return err;
}

/* ---- reading state files -------------------------------------------- */

static int
load_add(void *arg, const char *path, const char *value)
{
	struct load	*ld = arg;
	struct entry	*e;

	if (!path_ok(path) || !value_ok(value) ||
	    find_in(&ld->entries, path) != NULL)
		return -EINVAL;
	e = entry_new(path, value);
	TAILQ_INSERT_TAIL(&ld->entries, e, link);
	ld->n++;
	return 0;
}

static void
load_free(struct load *ld)
{
	while (!TAILQ_EMPTY(&ld->entries))
		entry_free(&ld->entries, TAILQ_FIRST(&ld->entries));
}

static void
corrupt(struct ledger *l, const char *name, const char *path,
    const char *what)
{
	log_warnx("%s: corrupt state file, ignoring it: the current %s are "
	    "taken as the host's", path, what);
	statefile_remove(l->dirfd, name);
}

/*
 * A state file's text, or NULL.  One that is not ours (a symlink, a
 * FIFO, too big) is said and removed; one that cannot be read is said
 * and left, its error in *unread.
 */
static char *
load_text(struct ledger *l, const char *name, const char *path, size_t max,
    const char *what, int *unread)
{
	const char	*why = "";
	char		*text;
	int		 r;

	*unread = 0;
	r = statefile_read(l->dirfd, name, max, &text, &why);
	if (r == 0)
		return text;
	if (r == -ELOOP || r == -EINVAL) {
		log_warnx("%s: %s, removing it: the current %s are taken as "
		    "the host's", path, why, what);
		statefile_remove(l->dirfd, name);
	} else if (r == -EFBIG)
		corrupt(l, name, path, what);
	else if (r != -ENOENT) {
		log_warnx("%s: cannot read: %s", path, why);
		*unread = r;
	}
	return NULL;
}

/*
 * What a state file held, taken in: a previous run's originals, to put
 * back.  One held already keeps its place, with the older original.
 */
static void
load_merge(struct ledger *l, struct load *ld, const char *source,
    const char *what)
{
	struct entry	*e, *have;

	while ((e = TAILQ_FIRST(&ld->entries)) != NULL) {
		TAILQ_REMOVE(&ld->entries, e, link);
		if ((have = find_in(&l->entries, e->path)) != NULL) {
			free(have->orig);
			have->orig = e->orig;
			e->orig = NULL;
			free(e->path);
			free(e);
			continue;
		}
		e->source = source;
		e->what = what;
		e->stale = 1;
		TAILQ_INSERT_TAIL(&l->entries, e, link);
	}
}

/*
 * Take in the ledger's own state file: a previous run's originals.  One
 * there that cannot be read (EACCES: the daemon runs as another user
 * than the run that wrote it; EIO) holds originals that a save would
 * write over: until it can be read, tried again at each save, nothing is
 * saved, and so no setting written.  Read late, what it holds is the
 * host's originals, kept for the exit.
 */
static void
ledger_load(struct ledger *l)
{
	struct load	 ld;
	struct entry	*e;
	char		*text;
	int		 was = l->unread;

	if ((text = load_text(l, LEDGER_STATE_NAME, l->statefile, STATE_MAX,
	    "settings", &l->unread)) == NULL)
		return;
	if (was)
		log_info("%s: read at last", l->statefile);
	TAILQ_INIT(&ld.entries);
	ld.n = 0;
	if (ledger_state_parse(text, load_add, &ld) < 0)
		corrupt(l, LEDGER_STATE_NAME, l->statefile, "settings");
	else
		load_merge(l, &ld, l->statefile, "settings");
	load_free(&ld);
	free(text);
	if (l->replayed)
		TAILQ_FOREACH(e, &l->entries, link)
			e->stale = 0;
}

/* dirfd: the run directory, dir its path. */
struct ledger *
ledger_open(int dirfd, const char *dir)
{
	struct ledger	*l;

	l = xcalloc(1, sizeof(*l));
	l->dirfd = dirfd;
	l->dir = xstrdup(dir);
	TAILQ_INIT(&l->entries);
	if (asprintf(&l->statefile, "%s/%s", dir, LEDGER_STATE_NAME) == -1)
		fatal("asprintf");
	ledger_load(l);
	return l;
}

void
ledger_close(struct ledger *l)
{
	size_t	i;

	if (l == NULL)
		return;
	while (!TAILQ_EMPTY(&l->entries))
		entry_free(&l->entries, TAILQ_FIRST(&l->entries));
	for (i = 0; i < l->ndomains; i++) {
		free(l->domains[i].prefix);
		free(l->domains[i].what);
	}
	for (i = 0; i < l->nlegacy; i++) {
		free(l->legacy[i].name);
		free(l->legacy[i].path);
		free(l->legacy[i].what);
	}
	free(l->statefile);
	free(l->dir);
	free(l);
}

/* The domain's restore function is called with arg until ledger_close. */
int
ledger_domain_add(struct ledger *l, const struct ledger_domain *d, void *arg)
{
	struct domain	*dom;
	size_t		 i;

	for (i = 0; i < l->ndomains; i++)
		if (strcmp(l->domains[i].prefix, d->prefix) == 0)
			return -EEXIST;
	if (l->ndomains == DOMAINS_MAX)
		return -ENOSPC;
	dom = &l->domains[l->ndomains++];
	dom->prefix = xstrdup(d->prefix);
	dom->what = xstrdup(d->what);
	dom->restore = d->restore;
	dom->arg = arg;
	return 0;
}

/* The state files taken in are done with once the ledger's own is safe. */
static void
legacy_remove(struct ledger *l)
{
	size_t	i;
	int	r;

	for (i = 0; i < l->nlegacy; i++) {
		if (!l->legacy[i].loaded)
			continue;
		if ((r = statefile_remove(l->dirfd, l->legacy[i].name)) < 0) {
			errno = -r;
			log_warn("%s", l->legacy[i].path);
		}
		l->legacy[i].loaded = 0;
	}
}

/* Say where what a previous run left of DOM comes from; 0: nothing left. */
static int
stale_said(struct ledger *l, struct domain *dom)
{
	struct entry	*e;

	TAILQ_FOREACH(e, &l->entries, link)
		if (e->stale && entry_domain(l, e) == dom) {
			log_info("%s: restoring the %s a previous run left "
			    "changed", e->source, dom != NULL ? dom->what :
			    e->what);
			return 1;
		}
	return 0;
}

/* What was taken in after the replay goes back at once, in its order. */
static void
adopt_now(struct ledger *l)
{
	struct entry	*e, *tmp;

	stale_said(l, NULL);
	l->batch++;
	for (e = TAILQ_FIRST(&l->entries); e != NULL; e = tmp) {
		tmp = TAILQ_NEXT(e, link);
		if (e->stale) {
			e->stale = 0;
			entry_restore(l, e);
		}
	}
	l->batch--;
	if (sync_later(l) == 0)
		legacy_remove(l);
}

/*
 * Take in a state file an older release left, to put back what it
 * holds: with the rest at ledger_replay, or at once after it.  It is
 * removed once the ledger's own file holds what is left of it.  Asked
 * again for one (an engine started again), it is looked for again unless
 * taken in already.
 */
void
ledger_adopt(struct ledger *l, const struct ledger_legacy *lg, void *arg)
{
	struct legacy	*g;
	struct load	 ld;
	char		*text;
	size_t		 i;
	int		 unread;

	for (i = 0; i < l->nlegacy; i++)
		if (strcmp(l->legacy[i].name, lg->name) == 0)
			break;
	if (i < l->nlegacy) {
		g = &l->legacy[i];
		if (g->loaded)
			return;
	} else {
		if (l->nlegacy == LEGACY_MAX)
			fatalx("ledger: more than %d legacy state files",
			    LEGACY_MAX);
		g = &l->legacy[l->nlegacy++];
		g->name = xstrdup(lg->name);
		g->what = xstrdup(lg->what);
		if (asprintf(&g->path, "%s/%s", l->dir, lg->name) == -1)
			fatal("asprintf");
	}
	if ((text = load_text(l, g->name, g->path, lg->max, lg->what,
	    &unread)) == NULL)
		return;
	TAILQ_INIT(&ld.entries);
	ld.n = 0;
	if (lg->parse(text, load_add, &ld, arg) < 0 || ld.n == 0)
		corrupt(l, g->name, g->path, lg->what);
	else {
		load_merge(l, &ld, g->path, g->what);
		g->loaded = 1;
	}
	load_free(&ld);
	free(text);
	if (g->loaded && l->replayed)
		adopt_now(l);
}

/*
 * At start, once the domains are known: put back what a run that did
 * not exit cleanly left changed.  What cannot be is kept, for the exit.
 */
void
ledger_replay(struct ledger *l)
{
	struct entry	*e;
	size_t		 i;
	int		 held, any = 0;

	l->batch++;
	for (i = 0; i <= l->ndomains; i++) {
		struct domain	*dom = i < l->ndomains ? &l->domains[i] : NULL;

		if (!stale_said(l, dom))
			continue;
		restore_domain(l, dom, &held);
		any = 1;
	}
	TAILQ_FOREACH(e, &l->entries, link)
		e->stale = 0;
	l->batch--;
	l->replayed = 1;
	/* Nothing taken in: a file that could not be read stays as it is. */
	if (any && sync_later(l) == 0)
		legacy_remove(l);
}

/*
 * Save the originals of PATHS (those not held already), in memory and
 * in the state file, all or none: 0, or -errno and none is.
 */
int
ledger_save(struct ledger *l, size_t n, const char *const *paths,
    const char *const *origs)
{
	struct entry	*e, *first = NULL;
	size_t		 i;
	int		 r;

	for (i = 0; i < n; i++)
		if (!path_ok(paths[i]) || !value_ok(origs[i]))
			return -EINVAL;
	if (l->unread != 0)
		ledger_load(l);
	if (l->unread != 0)
		return l->unread;
	for (i = 0; i < n; i++) {
		if (find_in(&l->entries, paths[i]) != NULL)
			continue;
		e = entry_new(paths[i], origs[i]);
		TAILQ_INSERT_TAIL(&l->entries, e, link);
		if (first == NULL)
			first = e;
	}
	if (first == NULL)
		return 0;
	if ((r = sync_file(l)) < 0)
		while ((e = TAILQ_LAST(&l->entries, entries)) != first)
			entry_free(&l->entries, e);
	if (r < 0)
		entry_free(&l->entries, first);
	return r;
}

/*
 * Write VALUE to the setting PATH, its original saved first (what the
 * file holds now, when not held yet): 0, or -errno and nothing written.
 */
int
ledger_set(struct ledger *l, const char *path, const char *value)
{
	char		 buf[VALUE_MAX];
	const char	*p = path, *v = buf;
	ssize_t		 n;
	int		 r;

	if (!path_ok(path))
		return -EINVAL;
	if (ledger_original(l, path) == NULL) {
		if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
			return (int)n;
		chomp(buf, n);
		if ((r = ledger_save(l, 1, &p, &v)) < 0)
			return r;
	}
	return rootfs_write(path, value);
}

/* PATH's saved original, or NULL when none is held. */
const char *
ledger_original(const struct ledger *l, const char *path)
{
	const struct entry	*e;

	e = find_in(&l->entries, path);
	return e != NULL ? e->orig : NULL;
}

/*
 * Put PATH back now, unless it holds its original already, and forget
 * it: 0 also when none is held or its file is gone.  One that cannot be
 * put back is said, kept and tried again at exit.
 */
int
ledger_restore(struct ledger *l, const char *path)
{
	struct entry	*e;
	int		 r;

	if ((e = find_in(&l->entries, path)) == NULL)
		return 0;
	if ((r = entry_restore(l, e)) < 0)
		return r;
	sync_later(l);
	return 0;
}

/* Put back what is held below PREFIX: a domain's in its order. */
int
ledger_restore_below(struct ledger *l, const char *prefix)
{
	struct entry	*e, *tmp;
	size_t		 i;
	int		 r, err = 0, held;

	for (i = 0; i < l->ndomains; i++)
		if (strcmp(l->domains[i].prefix, prefix) == 0)
			break;
	if (i < l->ndomains) {
		err = restore_domain(l, &l->domains[i], &held);
		if (held && err == 0)
			log_info("%s restored to the host's originals",
			    l->domains[i].what);
	} else {
		l->batch++;
		for (e = TAILQ_FIRST(&l->entries); e != NULL; e = tmp) {
			tmp = TAILQ_NEXT(e, link);
			if (strncmp(e->path, prefix, strlen(prefix)) == 0 &&
			    (r = entry_restore(l, e)) < 0)
				err = r;
		}
		l->batch--;
	}
	sync_later(l);
	return err;
}

/* At exit: every original back, each domain's in its order, then the rest. */
int
ledger_restore_all(struct ledger *l)
{
	size_t	i;
	int	r, err = 0, held;

	for (i = 0; i < l->ndomains; i++) {
		if ((r = restore_domain(l, &l->domains[i], &held)) < 0)
			err = r;
		else if (held)
			log_info("%s restored to the host's originals",
			    l->domains[i].what);
	}
	if ((r = restore_domain(l, NULL, &held)) < 0)
		err = r;
	if ((r = sync_later(l)) < 0 && err == 0)
		err = r;
	return err;
}

/* The state file's path, for logs and the status. */
const char *
ledger_statefile(const struct ledger *l)
{
	return l->statefile;
}
