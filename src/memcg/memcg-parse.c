/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memory.stat, memory.max, cgroup.controllers and lru_gen parsing.  Every
 * decimal number goes through parse_u64; every line must have the shape
 * the kernel prints.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "memcg-parse.h"
#include "memcg-policy.h"
#include "util.h"

/* Longest memory.stat key or number we accept; the kernel's are short. */
#define TOKEN_MAX	64

/* Copy the next line (without '\n') into buf; NULL at the end. */
static const char *
next_line(const char *p, char *buf, size_t len, int *toolong)
{
	const char	*nl;
	size_t		 n;

	if (*p == '\0')
		return NULL;
	nl = strchr(p, '\n');
	n = nl != NULL ? (size_t)(nl - p) : strlen(p);
	*toolong = n >= len;
	if (!*toolong) {
		memcpy(buf, p, n);
		buf[n] = '\0';
	}
	return nl != NULL ? nl + 1 : p + n;
}

enum stat_key {
	SK_ANON, SK_FILE, SK_INACTIVE_ANON, SK_ACTIVE_ANON, SK_INACTIVE_FILE,
	SK_ACTIVE_FILE, SK_MAX
};

static const struct {
	const char	*v1;
	const char	*v2;
	size_t		 off;
} stat_keys[SK_MAX] = {
	[SK_ANON] = { "rss", "anon", offsetof(struct memcg_stat, anon) },
	[SK_FILE] = { "cache", "file", offsetof(struct memcg_stat, file) },
	[SK_INACTIVE_ANON] = { "inactive_anon", "inactive_anon",
	    offsetof(struct memcg_stat, inactive_anon) },
	[SK_ACTIVE_ANON] = { "active_anon", "active_anon",
	    offsetof(struct memcg_stat, active_anon) },
	[SK_INACTIVE_FILE] = { "inactive_file", "inactive_file",
	    offsetof(struct memcg_stat, inactive_file) },
	[SK_ACTIVE_FILE] = { "active_file", "active_file",
	    offsetof(struct memcg_stat, active_file) },
};

/* "key value": a lower-case key, one space, a decimal number. */
static int
stat_line(const char *line, char *key, uint64_t *v)
{
	const char	*sp = strchr(line, ' ');
	size_t		 n;

	if (sp == NULL || (n = (size_t)(sp - line)) == 0 || n >= TOKEN_MAX)
		return -EINVAL;
	memcpy(key, line, n);
	key[n] = '\0';
	for (; *line != ' '; line++)
		if (!islower((unsigned char)*line) && *line != '_' &&
		    !isdigit((unsigned char)*line))
			return -EINVAL;
	return parse_u64(sp + 1, v);
}

/*
 * v1's hierarchical total_* keys win over the cgroup's own, so that a
 * cgroup with children is measured with them, as v2 always does.
 */
int
memcg_stat_parse(const char *text, int v1, struct memcg_stat *st)
{
	uint64_t	 own[SK_MAX], total[SK_MAX], v;
	int		 have_own[SK_MAX] = { 0 }, have_total[SK_MAX] = { 0 };
	char		 line[2 * TOKEN_MAX], key[TOKEN_MAX];
	const char	*p = text, *name;
	int		 i, toolong, total_key;

	memset(st, 0, sizeof(*st));
	while ((p = next_line(p, line, sizeof(line), &toolong)) != NULL) {
		if (toolong || stat_line(line, key, &v) < 0)
			return -EINVAL;
		total_key = v1 && strncmp(key, "total_", 6) == 0;
		name = total_key ? key + 6 : key;
		for (i = 0; i < SK_MAX; i++) {
			if (strcmp(name, v1 ? stat_keys[i].v1 :
			    stat_keys[i].v2) != 0)
				continue;
			if (total_key) {
				total[i] = v;
				have_total[i] = 1;
			} else {
				own[i] = v;
				have_own[i] = 1;
			}
		}
	}
	if (!(have_own[SK_ANON] || have_total[SK_ANON]) ||
	    !(have_own[SK_FILE] || have_total[SK_FILE]))
		return -EINVAL;
	for (i = 0; i < SK_MAX; i++)
		if (have_total[i] || have_own[i])
			*(uint64_t *)(void *)((char *)st + stat_keys[i].off) =
			    have_total[i] ? total[i] : own[i];
	return 0;
}

/* v2's memory.max: a byte count, or "max" (no limit: 0). */
int
memcg_max_parse(const char *text, uint64_t *v)
{
	if (strcmp(text, "max\n") == 0 || strcmp(text, "max") == 0) {
		*v = 0;
		return 0;
	}
	return parse_u64(text, v);
}

/* Is the controller in cgroup.controllers' space-separated list? */
int
memcg_controllers_has(const char *list, const char *name)
{
	size_t		 len = strlen(name);
	const char	*p = list;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/* Whitespace-separated decimal numbers; how many were there (at most max). */
static int
numbers(const char *s, uint64_t *v, size_t max)
{
	char	tok[TOKEN_MAX];
	size_t	n = 0, len;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return (int)n;
		len = strspn(s, "0123456789");
		if (len == 0 || len >= sizeof(tok) || n == max)
			return -EINVAL;
		memcpy(tok, s, len);
		tok[len] = '\0';
		if (parse_u64(tok, &v[n++]) < 0)
			return -EINVAL;
		s += len;
		if (*s != ' ' && *s != '\t' && *s != '\0')
			return -EINVAL;
	}
}

/* "memcg    ID PATH": the id and where the path starts. */
static int
memcg_line(const char *line, unsigned *id, const char **path)
{
	char		tok[TOKEN_MAX];
	uint64_t	v;
	size_t		len;

	line += strlen("memcg");
	while (*line == ' ')
		line++;
	len = strspn(line, "0123456789");
	if (len == 0 || len >= sizeof(tok) || line[len] != ' ')
		return -EINVAL;
	memcpy(tok, line, len);
	tok[len] = '\0';
	if (parse_u64(tok, &v) < 0 || v > UINT16_MAX)
		return -EINVAL;
	*id = (unsigned)v;
	*path = line + len + 1;
	return 0;
}

struct lru_cursor {
	struct memcg_gens	*nodes;
	size_t			 max;
	size_t			 n;
	int			 in_target;
	int			 found;
	int			 gens;		/* in the current node */
	int			 skip;		/* a node past max: ignored */
};

static int
lru_node_line(struct lru_cursor *c, const char *line)
{
	uint64_t	v;

	if (numbers(line + strlen(" node"), &v, 1) != 1 || v > INT32_MAX)
		return -EINVAL;
	if (!c->in_target)
		return 0;
	if ((c->skip = c->n == c->max))
		return 0;
	memset(&c->nodes[c->n], 0, sizeof(c->nodes[c->n]));
	c->nodes[c->n++].nid = (int)v;
	c->gens = 0;
	return 0;
}

/* " seq age_ms anon file", oldest first, youngest last. */
static int
lru_gen_line(struct lru_cursor *c, const char *line)
{
	struct memcg_gens	*g;
	uint64_t		 v[4];

	if (numbers(line, v, 4) != 4)
		return -EINVAL;
	if (!c->in_target || c->skip)
		return 0;
	if (c->n == 0)
		return -EINVAL;
	g = &c->nodes[c->n - 1];
	if (c->gens++ == 0) {
		g->min_seq = v[0];
		g->oldest_anon = v[2];
		g->oldest_file = v[3];
	} else if (v[0] <= g->max_seq)
		return -EINVAL;
	g->max_seq = v[0];
	g->youngest_age_ms = v[1];
	return 0;
}

/*
 * Find the memcg at path (as the kernel prints it: "/a/b") and fill one
 * memcg_gens per node, the first max of them (nodes past those are
 * ignored).  -ENOENT if it is not listed.  When dying memcgs share the
 * path, the first listed is taken.
 */
int
lru_gen_parse(const char *text, const char *path, unsigned *id,
    struct memcg_gens *nodes, size_t max, size_t *n)
{
	struct lru_cursor	 c = { nodes, max, 0, 0, 0, 0, 0 };
	const char		*p = text, *mpath;
	char			 line[4096];
	unsigned		 mid;
	int			 toolong, r;

	while ((p = next_line(p, line, sizeof(line), &toolong)) != NULL) {
		if (toolong)
			return -EINVAL;
		if (strncmp(line, "memcg ", 6) == 0) {
			if (memcg_line(line, &mid, &mpath) < 0)
				return -EINVAL;
			c.in_target = !c.found && strcmp(mpath, path) == 0;
			if (c.in_target) {
				c.found = 1;
				*id = mid;
			}
			continue;
		}
		if (strncmp(line, " node ", 6) == 0)
			r = lru_node_line(&c, line);
		else if (*line == '\0')
			r = 0;
		else
			r = lru_gen_line(&c, line);
		if (r < 0)
			return r;
	}
	if (!c.found)
		return -ENOENT;
	*n = c.n;
	return 0;
}

/* lru_gen/enabled: the feature bits, as the kernel prints them ("0x0007"). */
int
lru_gen_enabled_parse(const char *text, unsigned long *caps)
{
	char	*end;

	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	*caps = strtoul(text, &end, 0);
	if (errno != 0 || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

/*
 * The memcg state file: MEMCG_STATE_MAGIC, then one "<cgroup path>
 * <original memory.swap.max>" line per cgroup, each handed to add.  A
 * path not in normal form, a value the kernel would not take, no line
 * at all, or add refusing one makes the whole file -EINVAL.
 */
int
memcg_state_parse(const char *text, int (*add)(void *, const char *,
    const char *), void *arg)
{
	char		*copy, *p, *line, *sp, norm[PATH_MAX];
	uint64_t	 v;
	int		 r = 0, first = 1, n = 0;

	copy = xstrdup(text);
	for (p = copy; r == 0 && (line = strsep(&p, "\n")) != NULL;) {
		if (first) {
			first = 0;
			if (strcmp(line, MEMCG_STATE_MAGIC) != 0)
				r = -EINVAL;
			continue;
		}
		if (*line == '\0' && p == NULL)
			break;		/* the end of the last line */
		if ((sp = strrchr(line, ' ')) == NULL) {
			r = -EINVAL;
			break;
		}
		*sp++ = '\0';
		if (path_normalize(NULL, line, norm, sizeof(norm)) < 0 ||
		    strcmp(norm, line) != 0 || memcg_max_parse(sp, &v) < 0 ||
		    add(arg, line, sp) < 0)
			r = -EINVAL;
		else
			n++;
	}
	free(copy);
	if (r == 0 && n == 0)
		r = -EINVAL;	/* never written so */
	return r;
}
