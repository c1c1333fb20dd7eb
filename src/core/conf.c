/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration from JSON, driven by conf_table[]: defaults, parsing of a
 * file or of a live change, validation with a message naming the key,
 * and the effective configuration printed back as JSON.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "util.h"

/* A configuration file larger than this is a mistake, not a config. */
#define CONF_FILE_MAX	(1024 * 1024)

#define FIELD(c, k, type)	((type *)(void *)((char *)(c) + (k)->offset))
#define CFIELD(c, k, type) \
	((type const *)(const void *)((const char *)(c) + (k)->offset))

static void
strlist_free(struct strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
strlist_add(struct strlist *l, const char *s)
{
	char	**nv;

	if ((nv = reallocarray(l->v, l->n + 1, sizeof(*nv))) == NULL)
		fatal("reallocarray");
	l->v = nv;
	l->v[l->n++] = xstrdup(s);
}

static void
strlist_from_csv(struct strlist *l, const char *csv)
{
	char	*copy, *p, *tok;

	copy = xstrdup(csv);
	for (p = copy; (tok = strsep(&p, ",")) != NULL;)
		if (*tok != '\0')
			strlist_add(l, tok);
	free(copy);
}

static int
size_parse(const char *s, struct conf_size *out)
{
	uint64_t	 v, mult = 1;
	char		 buf[64], *end;
	size_t		 len = strlen(s);

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	end = buf + len - 1;
	if (*end == '%') {
		*end = '\0';
		if (parse_u64_digits(buf, &v) < 0 || v > 100)
			return -EINVAL;
		out->value = v;
		out->percent = 1;
		return 0;
	}
	switch (toupper((unsigned char)*end)) {
	case 'K': mult = 1ULL << 10; break;
	case 'M': mult = 1ULL << 20; break;
	case 'G': mult = 1ULL << 30; break;
	case 'T': mult = 1ULL << 40; break;
	}
	if (mult != 1)
		*end = '\0';
	if (parse_u64_digits(buf, &v) < 0 || v > UINT64_MAX / mult)
		return -EINVAL;
	out->value = v * mult;
	out->percent = 0;
	return 0;
}

static void
key_free(struct conf *c, const struct conf_key *k)
{
	switch (k->type) {
	case CONF_STRING:
		free(*FIELD(c, k, char *));
		*FIELD(c, k, char *) = NULL;
		break;
	case CONF_STRLIST:
		strlist_free(FIELD(c, k, struct strlist));
		break;
	case CONF_JSON:
		cJSON_Delete(*FIELD(c, k, cJSON *));
		*FIELD(c, k, cJSON *) = NULL;
		break;
	default:
		break;
	}
}

static void
key_default(struct conf *c, const struct conf_key *k)
{
	key_free(c, k);
	switch (k->type) {
	case CONF_BOOL:
	case CONF_ENUM:
		*FIELD(c, k, int) = (int)k->def;
		break;
	case CONF_UINT:
		*FIELD(c, k, uint64_t) = k->def;
		break;
	case CONF_STRING:
		*FIELD(c, k, char *) = xstrdup(k->defstr ? k->defstr : "");
		break;
	case CONF_STRLIST:
		strlist_from_csv(FIELD(c, k, struct strlist),
		    k->defstr ? k->defstr : "");
		break;
	case CONF_SIZE:
		if (size_parse(k->defstr, FIELD(c, k, struct conf_size)) < 0)
			fatalx("%s: bad default", k->name);
		break;
	case CONF_JSON:
		*FIELD(c, k, cJSON *) = cJSON_Parse(k->defstr ? k->defstr : "null");
		break;
	case CONF_TYPE_MAX:
		break;
	}
}

struct conf *
conf_new(void)
{
	struct conf		*c;
	const struct conf_key	*k;

	c = xcalloc(1, sizeof(*c));
	for (k = conf_table; k->name != NULL; k++)
		key_default(c, k);
	return c;
}

void
conf_free(struct conf *c)
{
	const struct conf_key	*k;

	if (c == NULL)
		return;
	for (k = conf_table; k->name != NULL; k++)
		key_free(c, k);
	free(c);
}

struct conf *
conf_dup(const struct conf *src)
{
	struct conf		*c;
	const struct conf_key	*k;
	const struct strlist	*l;
	size_t			 i;

	c = xcalloc(1, sizeof(*c));
	memcpy(c, src, sizeof(*c));
	for (k = conf_table; k->name != NULL; k++) {
		switch (k->type) {
		case CONF_STRING:
			*FIELD(c, k, char *) = xstrdup(*CFIELD(src, k, char *));
			break;
		case CONF_STRLIST:
			l = CFIELD(src, k, struct strlist);
			memset(FIELD(c, k, struct strlist), 0, sizeof(*l));
			for (i = 0; i < l->n; i++)
				strlist_add(FIELD(c, k, struct strlist), l->v[i]);
			break;
		case CONF_JSON:
			*FIELD(c, k, cJSON *) =
			    cJSON_Duplicate(*CFIELD(src, k, cJSON *), 1);
			break;
		default:
			break;
		}
	}
	return c;
}

const struct conf_key *
conf_find(const char *name)
{
	const struct conf_key	*k;

	for (k = conf_table; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* Is name a section, that is, the prefix of some key? */
static int
is_section(const char *name)
{
	const struct conf_key	*k;
	size_t			 len = strlen(name);

	for (k = conf_table; k->name != NULL; k++)
		if (strncmp(k->name, name, len) == 0 && k->name[len] == '.')
			return 1;
	return 0;
}

static int
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * An integer is read from its text, which conf_apply_text keeps with each
 * number (json_keep_texts): exactly, where a double holds integers only
 * up to 2^53, and only as digits, as the documentation writes integers.
 * A number made in code has no text; its double is read, up to 2^53.
 */
static int
json_u64(const cJSON *v, uint64_t *out)
{
	double	d;

	if (!cJSON_IsNumber(v))
		return -EINVAL;
	if (v->valuestring != NULL)
		return parse_u64_digits(v->valuestring, out);
	d = v->valuedouble;
	if (d < 0 || d != floor(d) || d > 9007199254740992.0)
		return -EINVAL;
	*out = (uint64_t)d;
	return 0;
}

/* Was v written with a fraction or an exponent (1.0, 6e2)? */
static int
json_fraction(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuestring != NULL &&
	    strpbrk(v->valuestring, ".eE") != NULL;
}

static int
parse_uint(const struct conf_key *k, const cJSON *v, uint64_t *out, char *err,
    size_t errlen)
{
	if (json_u64(v, out) < 0 || *out < k->min || *out > k->max)
		return errf(err, errlen, "%s: expected an integer from %llu "
		    "to %llu%s", k->name, (unsigned long long)k->min,
		    (unsigned long long)k->max, json_fraction(v) ?
		    ", written without fraction or exponent" : "");
	return 0;
}

static int
parse_strlist(const struct conf_key *k, const cJSON *v, struct strlist *out,
    char *err, size_t errlen)
{
	const cJSON	*e;

	if (!cJSON_IsArray(v))
		return errf(err, errlen, "%s: expected a list of strings",
		    k->name);
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e) || *e->valuestring == '\0') {
			strlist_free(out);
			return errf(err, errlen, "%s: expected a list of "
			    "non-empty strings", k->name);
		}
		strlist_add(out, e->valuestring);
	}
	return 0;
}

static int
parse_enum(const struct conf_key *k, const cJSON *v, int *out, char *err,
    size_t errlen)
{
	int	i;

	if (cJSON_IsString(v))
		for (i = 0; k->choices[i] != NULL; i++)
			if (strcmp(k->choices[i], v->valuestring) == 0) {
				*out = i;
				return 0;
			}
	return errf(err, errlen, "%s: expected one of the names listed in "
	    "the documentation (e.g. \"%s\")", k->name, k->choices[0]);
}

static int
parse_size(const struct conf_key *k, const cJSON *v, struct conf_size *out,
    char *err, size_t errlen)
{
	uint64_t	n;

	if (cJSON_IsNumber(v) && json_u64(v, &n) == 0) {
		out->value = n;
		out->percent = 0;
		return 0;
	}
	if (cJSON_IsString(v) && size_parse(v->valuestring, out) == 0)
		return 0;
	return errf(err, errlen, "%s: expected a byte count (number, or a "
	    "string like \"512M\") or a percentage like \"25%%\"", k->name);
}

/* Parse one value into c; on error c is left as it was. */
static int
key_parse(struct conf *c, const struct conf_key *k, const cJSON *v, char *err,
    size_t errlen)
{
	struct strlist	 l = { NULL, 0 };
	struct conf_size sz;
	char		 why[256];
	uint64_t	 u;
	int		 i = 0, r;

	switch (k->type) {
	case CONF_BOOL:
		if (!cJSON_IsBool(v))
			return errf(err, errlen, "%s: expected true or false",
			    k->name);
		*FIELD(c, k, int) = cJSON_IsTrue(v);
		return 0;
	case CONF_UINT:
		if ((r = parse_uint(k, v, &u, err, errlen)) < 0)
			return r;
		*FIELD(c, k, uint64_t) = u;
		return 0;
	case CONF_STRING:
		if (!cJSON_IsString(v))
			return errf(err, errlen, "%s: expected a string",
			    k->name);
		key_free(c, k);
		*FIELD(c, k, char *) = xstrdup(v->valuestring);
		return 0;
	case CONF_STRLIST:
		if ((r = parse_strlist(k, v, &l, err, errlen)) < 0)
			return r;
		if (k->check != NULL &&
		    k->check(v, conf_find, why, sizeof(why)) < 0) {
			strlist_free(&l);
			return errf(err, errlen, "%s: %s", k->name, why);
		}
		key_free(c, k);
		*FIELD(c, k, struct strlist) = l;
		return 0;
	case CONF_SIZE:
		if ((r = parse_size(k, v, &sz, err, errlen)) < 0)
			return r;
		*FIELD(c, k, struct conf_size) = sz;
		return 0;
	case CONF_ENUM:
		if ((r = parse_enum(k, v, &i, err, errlen)) < 0)
			return r;
		*FIELD(c, k, int) = i;
		return 0;
	case CONF_JSON:
		if (k->check != NULL &&
		    k->check(v, conf_find, why, sizeof(why)) < 0)
			return errf(err, errlen, "%s: %s", k->name, why);
		key_free(c, k);
		*FIELD(c, k, cJSON *) = cJSON_Duplicate(v, 1);
		return 0;
	case CONF_TYPE_MAX:
		break;
	}
	return errf(err, errlen, "%s: bad key type", k->name);
}

/* Was NAME a member of OBJ before M?  JSON leaves it open; we refuse. */
static int
given_before(const cJSON *obj, const cJSON *m)
{
	const cJSON	*o;

	for (o = obj->child; o != NULL && o != m; o = o->next)
		if (strcmp(o->string, m->string) == 0)
			return 1;
	return 0;
}

/*
 * A key given twice in one object (a hand-merged file whose second
 * "compact" would win unseen), or a name with a dot in it (a path, not
 * a key), is refused, naming it.
 */
static int
apply_object(struct conf *c, const char *prefix, const cJSON *obj, char *err,
    size_t errlen)
{
	const struct conf_key	*k;
	const cJSON		*m;
	char			 path[256];
	int			 r;

	if (!cJSON_IsObject(obj))
		return errf(err, errlen, "%s: expected an object",
		    *prefix ? prefix : "configuration");
	cJSON_ArrayForEach(m, obj) {
		if (xsnprintf(path, sizeof(path), "%s%s%s", prefix,
		    *prefix ? "." : "", m->string) < 0)
			return errf(err, errlen, "%.64s...: key too long", path);
		if (strchr(m->string, '.') != NULL || *m->string == '\0')
			return errf(err, errlen, "%s: unknown key", path);
		if (given_before(obj, m))
			return errf(err, errlen, "%s: given twice", path);
		if ((k = conf_find(path)) != NULL)
			r = key_parse(c, k, m, err, errlen);
		else if (is_section(path))
			r = apply_object(c, path, m, err, errlen);
		else
			r = errf(err, errlen, "%s: unknown key", path);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Apply a JSON object to the keys below section (or all, for "").
 * All or nothing: on error *c is unchanged and err says which key and why.
 */
int
conf_apply(struct conf *c, const char *section, const cJSON *obj, char *err,
    size_t errlen)
{
	struct conf	*tmp;
	int		 r;

	if (*section != '\0' && !is_section(section))
		return errf(err, errlen, "%s: unknown section", section);
	tmp = conf_dup(c);
	if ((r = apply_object(tmp, section, obj, err, errlen)) < 0) {
		conf_free(tmp);
		return r;
	}
	/* Swap contents so that callers' pointers to c stay valid. */
	{
		struct conf swap = *c;

		*c = *tmp;
		*tmp = swap;
	}
	conf_free(tmp);
	return 0;
}

/* The next number in JSON text p..end, outside strings, and its length. */
static const char *
json_next_number(const char *p, const char *end, size_t *len)
{
	int	instring = 0;

	for (; p < end; p++) {
		if (instring) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				instring = 0;
		} else if (*p == '"')
			instring = 1;
		else if (*p == '-' || isdigit((unsigned char)*p)) {
			*len = strspn(p, "0123456789+-.eE");
			return p;
		}
	}
	return NULL;
}

/*
 * cJSON keeps a number as a double only, which forgets how it was written
 * and holds integers exactly only up to 2^53.  Each number of the tree
 * parsed from p..end gets its text back in valuestring, which cJSON
 * copies and frees with the item whatever its type.  The numbers of the
 * tree and of the text come in the same order.  Returns where the last
 * one ended; NULL if the text ran out first, which valid JSON cannot do.
 */
static const char *
json_keep_texts(cJSON *item, const char *p, const char *end)
{
	cJSON	*e;
	size_t	 len;

	if (cJSON_IsNumber(item)) {
		if ((p = json_next_number(p, end, &len)) == NULL)
			return NULL;
		if ((item->valuestring = strndup(p, len)) == NULL)
			fatal("strndup");
		return p + len;
	}
	for (e = item->child; e != NULL && p != NULL; e = e->next)
		p = json_keep_texts(e, p, end);
	return p;
}

int
conf_apply_text(struct conf *c, const char *section, const char *text,
    char *err, size_t errlen)
{
	cJSON		*j;
	const char	*where, *end;
	int		 r;

	/* One JSON value and nothing after it but white space. */
	if ((j = cJSON_ParseWithOpts(text, &end, 1)) == NULL) {
		where = cJSON_GetErrorPtr();
		return errf(err, errlen, "not valid JSON near \"%.20s\"",
		    where ? where : "");
	}
	(void)json_keep_texts(j, text, end);
	r = conf_apply(c, section, j, err, errlen);
	cJSON_Delete(j);
	return r;
}

/* Load a file over c; err gets "FILE: KEY: reason". */
int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	*buf, why[512];
	size_t	 n;
	int	 r;

	if ((f = fopen(path, "re")) == NULL)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	buf = xcalloc(1, CONF_FILE_MAX + 1);
	n = fread(buf, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f)) {
		r = errf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (n > CONF_FILE_MAX) {
		r = errf(err, errlen, "%s: larger than %d bytes", path,
		    CONF_FILE_MAX);
	} else if (memchr(buf, '\0', n) != NULL) {
		r = errf(err, errlen, "%s: contains a NUL byte", path);
	} else {
		r = conf_apply_text(c, "", buf, why, sizeof(why));
		if (r < 0)
			errf(err, errlen, "%s: %s", path, why);
	}
	fclose(f);
	free(buf);
	return r;
}

static cJSON *
section_object(cJSON *root, const char *name, const char **leaf)
{
	char		 part[128];
	const char	*dot;
	cJSON		*o = root, *sub;
	size_t		 len;

	while ((dot = strchr(name, '.')) != NULL) {
		len = (size_t)(dot - name);
		if (len >= sizeof(part))
			len = sizeof(part) - 1;
		memcpy(part, name, len);
		part[len] = '\0';
		if ((sub = cJSON_GetObjectItemCaseSensitive(o, part)) == NULL)
			sub = cJSON_AddObjectToObject(o, part);
		o = sub;
		name = dot + 1;
	}
	*leaf = name;
	return o;
}

static cJSON *
key_to_json(const struct conf *c, const struct conf_key *k)
{
	const struct strlist	*l;
	const struct conf_size	*sz;
	cJSON			*a;
	char			 buf[32];
	size_t			 i;

	switch (k->type) {
	case CONF_BOOL:
		return cJSON_CreateBool(*CFIELD(c, k, int));
	case CONF_UINT:
		/* Raw: a double would print 2^64-1 as 1.8446744073709552e+19. */
		snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long)*CFIELD(c, k, uint64_t));
		return cJSON_CreateRaw(buf);
	case CONF_STRING:
		return cJSON_CreateString(*CFIELD(c, k, char *));
	case CONF_STRLIST:
		l = CFIELD(c, k, struct strlist);
		a = cJSON_CreateArray();
		for (i = 0; i < l->n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
		return a;
	case CONF_SIZE:
		sz = CFIELD(c, k, struct conf_size);
		if (sz->percent) {
			snprintf(buf, sizeof(buf), "%llu%%",
			    (unsigned long long)sz->value);
			return cJSON_CreateString(buf);
		}
		snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long)sz->value);
		return cJSON_CreateRaw(buf);
	case CONF_ENUM:
		return cJSON_CreateString(k->choices[*CFIELD(c, k, int)]);
	case CONF_JSON:
		return cJSON_Duplicate(*CFIELD(c, k, cJSON *), 1);
	case CONF_TYPE_MAX:
		break;
	}
	return cJSON_CreateNull();
}

/* Is k below section ("" holds every key)? */
static int
key_in(const struct conf_key *k, const char *section)
{
	size_t	len = strlen(section);

	return len == 0 || (strncmp(k->name, section, len) == 0 &&
	    k->name[len] == '.');
}

/* The effective configuration, nested as the file is; section "" is all. */
cJSON *
conf_to_json(const struct conf *c, const char *section)
{
	const struct conf_key	*k;
	const char		*leaf;
	cJSON			*root, *o;
	size_t			 len = strlen(section);

	root = cJSON_CreateObject();
	for (k = conf_table; k->name != NULL; k++) {
		if (!key_in(k, section))
			continue;
		o = section_object(root, k->name + (len ? len + 1 : 0), &leaf);
		cJSON_AddItemToObject(o, leaf, key_to_json(c, k));
	}
	return root;
}

static int
key_equal(const struct conf *a, const struct conf *b, const struct conf_key *k)
{
	const struct strlist	*la, *lb;
	size_t			 i;

	switch (k->type) {
	case CONF_BOOL:
	case CONF_ENUM:
		return *CFIELD(a, k, int) == *CFIELD(b, k, int);
	case CONF_UINT:
		return *CFIELD(a, k, uint64_t) == *CFIELD(b, k, uint64_t);
	case CONF_STRING:
		return strcmp(*CFIELD(a, k, char *), *CFIELD(b, k, char *)) == 0;
	case CONF_STRLIST:
		la = CFIELD(a, k, struct strlist);
		lb = CFIELD(b, k, struct strlist);
		if (la->n != lb->n)
			return 0;
		for (i = 0; i < la->n; i++)
			if (strcmp(la->v[i], lb->v[i]) != 0)
				return 0;
		return 1;
	case CONF_SIZE:
		return CFIELD(a, k, struct conf_size)->value ==
		    CFIELD(b, k, struct conf_size)->value &&
		    CFIELD(a, k, struct conf_size)->percent ==
		    CFIELD(b, k, struct conf_size)->percent;
	case CONF_JSON:
		return cJSON_Compare(*CFIELD(a, k, cJSON *),
		    *CFIELD(b, k, cJSON *), 1);
	case CONF_TYPE_MAX:
		break;
	}
	return 0;
}

/* Did any key below section differ between a and b? */
int
conf_changed(const struct conf *a, const struct conf *b, const char *section)
{
	const struct conf_key	*k;

	for (k = conf_table; k->name != NULL; k++) {
		if (!key_in(k, section))
			continue;
		if (!key_equal(a, b, k))
			return 1;
	}
	return 0;
}

/* A key's value as it is logged: JSON, cut short past LOGGED_VALUE_MAX. */
#define LOGGED_VALUE_MAX	120

static void
value_text(const struct conf *c, const struct conf_key *k, char *buf,
    size_t len)
{
	cJSON	*v = key_to_json(c, k);
	char	*t = cJSON_PrintUnformatted(v);

	if (t == NULL)
		(void)xsnprintf(buf, len, "?");
	else if (strlen(t) > LOGGED_VALUE_MAX)
		(void)xsnprintf(buf, len, "%.*s...", LOGGED_VALUE_MAX, t);
	else
		(void)xsnprintf(buf, len, "%s", t);
	free(t);
	cJSON_Delete(v);
}

/*
 * Log each key below section whose value differs from a to b, old and
 * new, after WHY: a reload that puts back a key changed through the
 * socket says so, key by key.  Returns how many.
 */
int
conf_log_changes(const struct conf *a, const struct conf *b,
    const char *section, const char *why)
{
	const struct conf_key	*k;
	char			 was[LOGGED_VALUE_MAX + 8];
	char			 now[LOGGED_VALUE_MAX + 8];
	int			 n = 0;

	for (k = conf_table; k->name != NULL; k++) {
		if (!key_in(k, section) || key_equal(a, b, k))
			continue;
		value_text(a, k, was, sizeof(was));
		value_text(b, k, now, sizeof(now));
		log_info("%s: %s: %s -> %s", why, k->name, was, now);
		n++;
	}
	return n;
}
