/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg engine's decisions.  Nothing here reads a file, looks at a
 * clock or logs: callers pass what they sampled and the time, tests call
 * these directly.  Semantics follow mem-agent's memcg sub-feature
 * (reference 001) and the cache-threshold reclaimer (reference 003).
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "memcg-policy.h"
#include "psi.h"
#include "util.h"

/*
 * mem-agent does not age a memcg whose youngest generation is younger
 * than a minute: the kernel aged it itself, under pressure.  Periods
 * shorter than two minutes (tests, eager hosts) scale that down to half
 * a period, or nothing would ever be aged.
 */
#define AGING_FRESH_MS		60000
/*
 * A stall share over a window shorter than this is noise (one 1 ms
 * stall in 10 ms reads as 10 %): the gates wait for a window at least
 * this long before they judge.
 */
#define PSI_MIN_WINDOW_US	200000
/* Cgroups due within this much of a tick run in it, not a tick later. */
#define DUE_SLACK_MS		100
/*
 * mem-agent treats swap with at most 256 pages free as no swap: what is
 * left would fill before an eviction step ends.
 */
#define SWAP_FREE_MIN_PAGES	256
/* Below this, a memory.reclaim write is not worth a child process. */
#define RECLAIM_MIN_BYTES	(1ULL << 20)
/*
 * Largest memory.reclaim request: big enough that the fork per step is
 * noise, small enough that the PSI check between steps comes often.
 */
#define RECLAIM_CHUNK_BYTES	(64ULL << 20)

static const char *stop_names[MEMCG_STOP_MAX] = {
	[MEMCG_STOP_NONE] = "none",
	[MEMCG_STOP_DONE] = "done",
	[MEMCG_STOP_AGING] = "aging",
	[MEMCG_STOP_FRESH] = "fresh",
	[MEMCG_STOP_NO_COLD] = "no_cold_pages",
	[MEMCG_STOP_NO_PROGRESS] = "no_progress",
	[MEMCG_STOP_EXHAUSTED] = "exhausted",
	[MEMCG_STOP_PSI] = "psi",
	[MEMCG_STOP_VANISHED] = "vanished",
	[MEMCG_STOP_ERROR] = "error",
	[MEMCG_STOP_CANCELLED] = "cancelled",
	[MEMCG_STOP_WOULD_SWAP] = "would_swap",
};

const char *
memcg_stop_name(enum memcg_stop s)
{
	return s < MEMCG_STOP_MAX ? stop_names[s] : "unknown";
}

/* ---- settings ------------------------------------------------------ */

enum field_type { FIELD_BOOL, FIELD_UINT };

/* The per-cgroup memcg keys; ranges come from conf_table ("memcg.NAME"). */
static const struct field {
	const char	*name;
	enum field_type	 type;
	size_t		 off;
} fields[] = {
	{ "disabled", FIELD_BOOL, offsetof(struct memcg_settings, disabled) },
	{ "swap", FIELD_BOOL, offsetof(struct memcg_settings, swap) },
	{ "swappiness_max", FIELD_UINT,
	  offsetof(struct memcg_settings, swappiness_max) },
	{ "period_secs", FIELD_UINT,
	  offsetof(struct memcg_settings, period_secs) },
	{ "period_psi_percent_limit", FIELD_UINT,
	  offsetof(struct memcg_settings, period_psi_percent_limit) },
	{ "eviction_psi_percent_limit", FIELD_UINT,
	  offsetof(struct memcg_settings, eviction_psi_percent_limit) },
	{ "eviction_run_aging_count_min", FIELD_UINT,
	  offsetof(struct memcg_settings, eviction_run_aging_count_min) },
	{ "allowswap", FIELD_BOOL, offsetof(struct memcg_settings, allowswap) },
};

static const struct field *
field_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

void
memcg_settings_default(struct memcg_settings *s, const struct conf *c)
{
	s->disabled = c->memcg_disabled;
	s->swap = c->memcg_swap;
	s->swappiness_max = c->memcg_swappiness_max;
	s->period_secs = c->memcg_period_secs;
	s->period_psi_percent_limit = c->memcg_period_psi_percent_limit;
	s->eviction_psi_percent_limit = c->memcg_eviction_psi_percent_limit;
	s->eviction_run_aging_count_min =
	    c->memcg_eviction_run_aging_count_min;
	s->allowswap = -1;
}

/* Apply the settings an (already checked) override or class names. */
void
memcg_settings_apply(struct memcg_settings *s, const cJSON *obj)
{
	const struct field	*f;
	const cJSON		*m;
	char			*p = (char *)s;

	cJSON_ArrayForEach(m, obj) {
		if (m->string == NULL || (f = field_find(m->string)) == NULL)
			continue;
		if (f->type == FIELD_BOOL && cJSON_IsBool(m))
			*(int *)(void *)(p + f->off) = cJSON_IsTrue(m);
		else if (f->type == FIELD_UINT && cJSON_IsNumber(m) &&
		    m->valuedouble >= 0)
			*(uint64_t *)(void *)(p + f->off) =
			    (uint64_t)m->valuedouble;
	}
}

const cJSON *
memcg_class_find(const cJSON *classes, const char *name)
{
	const cJSON	*c, *n;

	if (name == NULL)
		return NULL;
	cJSON_ArrayForEach(c, classes) {
		n = cJSON_GetObjectItemCaseSensitive(c, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return c;
	}
	return NULL;
}

/*
 * A cgroup's settings: the memcg.* defaults, then every override whose
 * path glob matches the cgroup or one of its ancestors, in list order
 * (a later one wins), then its VM's class.  Returns 0, or -ENOENT when
 * a class was named that the configuration does not have.
 */
int
memcg_settings_resolve(const struct conf *c, const char *mount,
    const char *path, const char *class_name, struct memcg_settings *out)
{
	const cJSON	*o, *p, *cls;

	memcg_settings_default(out, c);
	cJSON_ArrayForEach(o, c->memcg_overrides) {
		p = cJSON_GetObjectItemCaseSensitive(o, "path");
		if (cJSON_IsString(p) &&
		    memcg_subtree_match(mount, p->valuestring, path))
			memcg_settings_apply(out, o);
	}
	if (class_name == NULL || *class_name == '\0')
		return 0;
	if ((cls = memcg_class_find(c->memcg_classes, class_name)) == NULL)
		return -ENOENT;
	memcg_settings_apply(out, cls);
	return 0;
}

/* ---- validation of the structured keys ----------------------------- */

/* Where a check says why a value is refused: the caller's buffer. */
struct why {
	char		*buf;
	size_t		 len;
	conf_find_fn	*find;		/* the configuration's keys */
};

static int
why(const struct why *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
why(const struct why *w, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(w->buf, w->len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
check_path(const char *s)
{
	char	buf[PATH_MAX];

	if (*s == '\0')
		return -EINVAL;
	return path_normalize("", s, buf, sizeof(buf));
}

static int
check_field(size_t i, const cJSON *m, const struct why *w)
{
	const struct field	*f = field_find(m->string);
	const struct conf_key	*k;
	char			 name[64];

	if (f == NULL || strcmp(f->name, "allowswap") == 0)
		return why(w, "entry %zu: %s: unknown key", i, m->string);
	if (f->type == FIELD_BOOL) {
		if (!cJSON_IsBool(m))
			return why(w, "entry %zu: %s: expected true or false",
			    i, f->name);
		return 0;
	}
	snprintf(name, sizeof(name), "memcg.%s", f->name);
	if ((k = w->find(name)) == NULL)
		return why(w, "entry %zu: %s: unknown key", i, f->name);
	if (!cJSON_IsNumber(m) || m->valuedouble != floor(m->valuedouble) ||
	    m->valuedouble < (double)k->min || m->valuedouble > (double)k->max)
		return why(w, "entry %zu: %s: expected an integer from %llu to "
		    "%llu", i, f->name, (unsigned long long)k->min,
		    (unsigned long long)k->max);
	return 0;
}

int
memcg_check_cgroups(const cJSON *v, conf_find_fn *find, char *buf,
    size_t len)
{
	const struct why	 wb = { buf, len, find }, *w = &wb;
	const cJSON	*e;
	size_t		 i = 0;

	if (!cJSON_IsArray(v))
		return why(w, "expected a list of cgroup path globs");
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e) || check_path(e->valuestring) < 0)
			return why(w, "entry %zu: expected a cgroup path glob "
			    "(non-empty, no \".\" or \"..\" components)", i);
		i++;
	}
	return 0;
}

/* What an entry's key must be besides a non-empty string. */
typedef int	keyed_fn(const cJSON *, const cJSON *, const char *, size_t,
		    const struct why *);

/*
 * Each entry an object with the string key named, memcg settings, and
 * a key that keyed(all, entry, key, index, why) accepts.
 */
static int
check_entries(const cJSON *v, const char *key, keyed_fn *keyed,
    const struct why *w)
{
	const cJSON	*e, *m, *k;
	size_t		 i = 0;
	int		 r;

	if (!cJSON_IsArray(v))
		return why(w, "expected a list of objects");
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsObject(e))
			return why(w, "entry %zu: expected an object", i);
		k = cJSON_GetObjectItemCaseSensitive(e, key);
		if (!cJSON_IsString(k) || *k->valuestring == '\0')
			return why(w, "entry %zu: %s: expected a non-empty "
			    "string", i, key);
		cJSON_ArrayForEach(m, e) {
			if (strcmp(m->string, key) == 0)
				continue;
			if (strcmp(key, "name") == 0 &&
			    strcmp(m->string, "allowswap") == 0) {
				if (!cJSON_IsBool(m))
					return why(w, "entry %zu: allowswap: "
					    "expected true or false", i);
				continue;
			}
			if ((r = check_field(i, m, w)) < 0)
				return r;
		}
		if ((r = keyed(v, e, k->valuestring, i, w)) < 0)
			return r;
		i++;
	}
	return 0;
}

static int
override_path(const cJSON *all, const cJSON *e, const char *path, size_t i,
    const struct why *w)
{
	if (check_path(path) < 0)
		return why(w, "entry %zu: path: expected a cgroup path glob "
		    "(no \".\" or \"..\" components)", i);
	return 0;
}

int
memcg_check_overrides(const cJSON *v, conf_find_fn *find, char *buf,
    size_t len)
{
	const struct why	wb = { buf, len, find };

	return check_entries(v, "path", override_path, &wb);
}

static int
class_name(const cJSON *all, const cJSON *e, const char *name, size_t i,
    const struct why *w)
{
	if (memcg_class_find(all, name) != e)
		return why(w, "entry %zu: name: \"%.64s\" is already a class",
		    i, name);
	return 0;
}

int
memcg_check_classes(const cJSON *v, conf_find_fn *find, char *buf,
    size_t len)
{
	const struct why	wb = { buf, len, find };

	return check_entries(v, "name", class_name, &wb);
}

/* ---- paths --------------------------------------------------------- */

/* Does the glob name this cgroup ('*' stays within one component)? */
int
memcg_glob_match(const char *mount, const char *pattern, const char *path)
{
	char	pat[PATH_MAX];

	if (path_normalize(mount, pattern, pat, sizeof(pat)) < 0)
		return 0;
	return fnmatch(pat, path, FNM_PATHNAME) == 0;
}

/* Does the glob name this cgroup or one of its ancestors? */
int
memcg_subtree_match(const char *mount, const char *pattern, const char *path)
{
	char	pat[PATH_MAX], prefix[PATH_MAX];
	size_t	i, len = strlen(path);

	if (path_normalize(mount, pattern, pat, sizeof(pat)) < 0 ||
	    len >= sizeof(prefix))
		return 0;
	if (strcmp(pat, "/") == 0)
		return 1;
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (fnmatch(pat, prefix, FNM_PATHNAME) == 0)
			return 1;
	}
	return 0;
}

/* ---- PSI gates ----------------------------------------------------- */

/*
 * mem-agent's period gate: a cgroup whose memory+IO stall share over
 * the waiting period exceeds the limit skips this run.  1: run, 0: skip,
 * -1: the wait has hardly begun (a cgroup found this very tick), wait on.
 */
int
memcg_period_gate(const struct psi_sample *start, const struct psi_sample *now,
    uint64_t limit, double *pct)
{
	*pct = 0;
	if (now->when_us < start->when_us + PSI_MIN_WINDOW_US)
		return -1;
	*pct = psi_stall_percent(start, now);
	return *pct <= (double)limit;
}

/* The eviction gate: 0 once the share since eviction began exceeds it. */
int
memcg_eviction_gate(const struct psi_sample *start,
    const struct psi_sample *now, uint64_t limit, double *pct)
{
	*pct = 0;
	if (now->when_us < start->when_us + PSI_MIN_WINDOW_US)
		return 1;
	*pct = psi_stall_percent(start, now);
	return *pct <= (double)limit;
}

/* ---- the period policy --------------------------------------------- */

int
memcg_due(uint64_t now_ms, uint64_t due_ms)
{
	return now_ms + DUE_SLACK_MS >= due_ms;
}

/* Age unless the kernel made a new generation recently itself. */
int
memcg_should_age(uint64_t youngest_age_ms, uint64_t period_secs)
{
	uint64_t	fresh = period_secs * 1000 / 2;

	if (fresh > AGING_FRESH_MS)
		fresh = AGING_FRESH_MS;
	return youngest_age_ms >= fresh;
}

/* Evict only in a run that aged, and after enough aging runs. */
int
memcg_may_evict(int aged_now, uint64_t aging_count, uint64_t count_min)
{
	return aged_now && aging_count >= count_min;
}

/*
 * mem-agent's swappiness: the anon share of the cold pages scaled to
 * 0..200, rounded, capped by swappiness_max; 0 (file only) without
 * swap or cold anon pages; all anon when no cold file pages are left
 * (how much of it, memcg_anon_share() says).
 */
unsigned
memcg_swappiness(int swap_ok, uint64_t anon, uint64_t file, uint64_t max)
{
	uint64_t	s, sum;

	if (!swap_ok || anon == 0)
		return 0;
	if (file == 0)
		return MEMCG_SWAPPINESS_MAX;
	if (anon > UINT64_MAX / (2 * MEMCG_SWAPPINESS_MAX) ||
	    file > UINT64_MAX / 2 - anon)
		s = (uint64_t)((double)MEMCG_SWAPPINESS_MAX * (double)anon /
		    ((double)anon + (double)file) + 0.5);
	else {
		sum = anon + file;
		s = (MEMCG_SWAPPINESS_MAX * anon + sum / 2) / sum;
	}
	if (max > MEMCG_SWAPPINESS_MAX)
		max = MEMCG_SWAPPINESS_MAX;
	return (unsigned)(s > max ? max : s);
}

int
memcg_swap_available(uint64_t swapfree_kb, uint64_t page_size)
{
	return swapfree_kb > SWAP_FREE_MIN_PAGES * (page_size / 1024);
}

/*
 * How many of so many cold anon pages a run may swap out when no cold
 * file pages are left: swappiness_max/200 of them, as mem-agent's
 * anon eviction maximum.
 */
uint64_t
memcg_anon_share(uint64_t anon, uint64_t swappiness_max)
{
	if (swappiness_max > MEMCG_SWAPPINESS_MAX)
		swappiness_max = MEMCG_SWAPPINESS_MAX;
	return anon / MEMCG_SWAPPINESS_MAX * swappiness_max +
	    anon % MEMCG_SWAPPINESS_MAX * swappiness_max / MEMCG_SWAPPINESS_MAX;
}

/*
 * One step of evicting the oldest generation of one node, given its
 * counts now.  MEMCG_STOP_NONE: evict on, with *swappiness.  It stops
 * once that generation is gone, when it has no cold pages this run may
 * take, when the last step took nothing, or, with no cold file pages
 * left at the start, once it swapped out the anon share it may.
 */
enum memcg_stop
memcg_evict_next(const struct memcg_gens *g, struct memcg_evict *ev,
    int swap_ok, uint64_t swappiness_max, unsigned *swappiness)
{
	if (g->max_seq < g->min_seq ||
	    g->max_seq - g->min_seq + 1 != MEMCG_MAX_NR_GENS)
		return MEMCG_STOP_DONE;
	if (!ev->started) {
		if (g->oldest_file == 0) {
			ev->anon_max = swap_ok ?
			    memcg_anon_share(g->oldest_anon, swappiness_max) : 0;
			if (ev->anon_max == 0)
				return MEMCG_STOP_NO_COLD;
			ev->only_swap = 1;
		}
		ev->started = 1;
	} else {
		if (g->min_seq != ev->last_seq)
			return MEMCG_STOP_DONE;
		if (g->oldest_file >= ev->last_file &&
		    g->oldest_anon >= ev->last_anon)
			return MEMCG_STOP_NO_PROGRESS;
		if (ev->last_anon > g->oldest_anon) {
			ev->anon_pages += ev->last_anon - g->oldest_anon;
			ev->pages += ev->last_anon - g->oldest_anon;
		}
		if (ev->last_file > g->oldest_file)
			ev->pages += ev->last_file - g->oldest_file;
		if (!ev->only_swap && g->oldest_file == 0)
			return MEMCG_STOP_DONE;
		if (ev->only_swap && ev->anon_pages >= ev->anon_max)
			return MEMCG_STOP_DONE;
	}
	ev->last_seq = g->min_seq;
	ev->last_anon = g->oldest_anon;
	ev->last_file = g->oldest_file;
	if (ev->only_swap) {
		if (!swap_ok)
			return MEMCG_STOP_NO_COLD;
		*swappiness = MEMCG_SWAPPINESS_MAX;
	} else
		*swappiness = memcg_swappiness(swap_ok, g->oldest_anon,
		    g->oldest_file, swappiness_max);
	return MEMCG_STOP_NONE;
}

/*
 * Without MGLRU, cold is the inactive lists: file, and with swap the
 * anon share swappiness_max allows of the inactive anon.
 */
uint64_t
memcg_reclaim_target(uint64_t inactive_file, uint64_t inactive_anon,
    int swap_ok, uint64_t swappiness_max)
{
	uint64_t	t = inactive_file, anon;

	anon = memcg_anon_share(inactive_anon, swappiness_max);
	if (swap_ok && anon <= UINT64_MAX - t)
		t += anon;
	return t;
}

/* The next memory.reclaim request for what is left; 0: done. */
uint64_t
memcg_reclaim_chunk(uint64_t remaining)
{
	if (remaining < RECLAIM_MIN_BYTES)
		return 0;
	return remaining < RECLAIM_CHUNK_BYTES ? remaining :
	    RECLAIM_CHUNK_BYTES;
}

/* ---- the cache-threshold policy ------------------------------------ */

/*
 * The threshold in bytes: a byte count as is, a percentage of the
 * cgroup's limit.  -ERANGE for a percentage of no limit (0).
 */
int
memcg_cache_threshold(const struct conf_size *th, uint64_t limit,
    uint64_t *bytes)
{
	if (!th->percent) {
		*bytes = th->value;
		return 0;
	}
	if (limit == 0)
		return -ERANGE;
	*bytes = limit / 100 * th->value + limit % 100 * th->value / 100;
	return 0;
}

/* Over the threshold, and not reclaimed within the cooldown. */
int
memcg_cache_should_reclaim(uint64_t cache, uint64_t threshold,
    uint64_t now_ms, uint64_t last_ms, uint64_t cooldown_ms)
{
	if (cache <= threshold)
		return 0;
	return last_ms == 0 || now_ms - last_ms >= cooldown_ms;
}

/*
 * How much page cache memory.reclaim is asked for: down to half the
 * threshold, so that a cgroup does not bounce on it every interval.
 * (force_empty on v1 takes all it can, as reference 003 does.)
 */
uint64_t
memcg_cache_reclaim_bytes(uint64_t cache, uint64_t threshold)
{
	return cache > threshold / 2 ? cache - threshold / 2 : 0;
}
