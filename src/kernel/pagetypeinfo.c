/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/pagetypeinfo.  The kernel prints (mm/vmstat.c):
 *
 *	Page block order: 9
 *	Pages per block:  512
 *
 *	Free pages count per migrate type at order       0      1 ...     10
 *	Node    0, zone      DMA, type    Unmovable      0      0 ...      0
 *	...
 *	Number of blocks type     Unmovable      Movable  Reclaimable ...
 *	Node 0, zone      DMA            1            7            0 ...
 *
 * and, with CONFIG_PAGE_OWNER, a "Number of mixed blocks" table; all of
 * it once for each node with memory, the zones of that node only.  Which
 * migrate types appear depends on the configuration (CMA, HighAtomic,
 * Isolate) and the version; a free list longer than PTI_COUNT_CAP is
 * printed as ">100000".  Types we do not know are accepted and left out;
 * anything else that is not this layout is -EINVAL, and a file too large
 * for a kernel's is -E2BIG.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pagetypeinfo.h"
#include "rootfs.h"

/* A count above this is not a machine's: 2^40 free blocks of one order
 * is 4 PiB of single pages.  It also keeps count << order in range. */
#define COUNT_MAX	(1ULL << 40)
/* "Free pages count per migrate type at order" and its order columns. */
#define TOKENS_MAX	(8 + PTI_ORDERS_MAX + 1)
/* Columns of a "Number of ..." table: more than any kernel's types. */
#define COLUMNS_MAX	16

static const char *type_names[PTI_TYPE_MAX] = {
	[PTI_UNMOVABLE] = "Unmovable",
	[PTI_MOVABLE] = "Movable",
	[PTI_RECLAIMABLE] = "Reclaimable",
	[PTI_HIGHATOMIC] = "HighAtomic",
	[PTI_CMA] = "CMA",
	[PTI_ISOLATE] = "Isolate",
};

struct tok {
	const char	*s;
	size_t		 len;
};

enum section {
	SEC_NONE,
	SEC_FREE,
	SEC_BLOCKS,
	SEC_OTHER,	/* a table we skip: "Number of mixed blocks" */
};

/* col[] holds the type of each column of the blocks table, -1 unknown;
 * cap is the number of zones allocated. */
struct parser {
	struct pagetypeinfo	*p;
	enum section		 sec;
	int			 col[COLUMNS_MAX];
	size_t			 ncols;
	size_t			 cap;
	int			 seen_free_row;
};

const char *
pti_type_name(enum pti_type t)
{
	return t < PTI_TYPE_MAX ? type_names[t] : "unknown";
}

/* Split [s, end) at blanks; -EINVAL if there are too many words. */
static int
split(const char *s, const char *end, struct tok *t, size_t *n)
{
	*n = 0;
	for (;;) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end)
			return 0;
		if (*n == TOKENS_MAX)
			return -EINVAL;
		t[*n].s = s;
		while (s < end && *s != ' ' && *s != '\t')
			s++;
		t[*n].len = (size_t)(s - t[*n].s);
		(*n)++;
	}
}

static int
tok_is(const struct tok *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

/* Whether the line starts with the words of phrase. */
static int
starts(const struct tok *t, size_t n, const char *phrase)
{
	size_t	i = 0, len;

	while (*phrase != '\0') {
		len = strcspn(phrase, " ");
		if (i == n || t[i].len != len || memcmp(t[i].s, phrase, len))
			return 0;
		i++;
		phrase += len;
		phrase += strspn(phrase, " ");
	}
	return 1;
}

/* Decimal digits only, every byte of the token. */
static int
tok_u64(const struct tok *t, uint64_t max, uint64_t *v)
{
	uint64_t	n = 0;
	size_t		i;
	unsigned	d;

	if (t->len == 0)
		return -EINVAL;
	for (i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return -EINVAL;
		d = (unsigned)(t->s[i] - '0');
		if (d > max || n > (max - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}

/* A free count: digits, or ">100000" when the kernel stopped counting. */
static int
tok_count(struct parser *ps, const struct tok *t, uint64_t *v)
{
	struct tok	digits = *t;

	if (digits.len > 0 && digits.s[0] == '>') {
		digits.s++;
		digits.len--;
		ps->p->capped = 1;
	}
	return tok_u64(&digits, COUNT_MAX, v);
}

/* "0," before the zone in every row. */
static int
tok_node(const struct tok *t, unsigned *node)
{
	struct tok	digits = *t;
	uint64_t	v;

	if (digits.len < 2 || digits.s[digits.len - 1] != ',')
		return -EINVAL;
	digits.len--;
	if (tok_u64(&digits, PTI_NODES_MAX - 1, &v) < 0)
		return -EINVAL;
	*node = (unsigned)v;
	return 0;
}

static int
type_lookup(const struct tok *t)
{
	int	i;

	for (i = 0; i < PTI_TYPE_MAX; i++)
		if (tok_is(t, type_names[i]))
			return i;
	return -1;
}

/* The zone of a row, added on first sight; rows of one zone are adjacent,
 * so the last zone is tried first. */
static int
zone_get(struct parser *ps, unsigned node, const struct tok *name,
    struct pti_zone **out)
{
	struct pagetypeinfo	*p = ps->p;
	struct pti_zone		*z;
	size_t			 i;

	if (name->len == 0 || name->len >= sizeof(z->name))
		return -EINVAL;
	for (i = p->nzones; i > 0; i--) {
		z = &p->zones[i - 1];
		if (z->node == node && tok_is(name, z->name)) {
			*out = z;
			return 0;
		}
	}
	if (p->nzones == PTI_ZONES_MAX)
		return -E2BIG;
	if (p->nzones == ps->cap) {
		if ((z = reallocarray(p->zones, ps->cap ? ps->cap * 2 : 8,
		    sizeof(*z))) == NULL)
			return -ENOMEM;
		ps->cap = ps->cap ? ps->cap * 2 : 8;
		p->zones = z;
	}
	z = &p->zones[p->nzones++];
	memset(z, 0, sizeof(*z));
	z->node = node;
	memcpy(z->name, name->s, name->len);
	*out = z;
	return 0;
}

/*
 * "Free pages count per migrate type at order 0 1 ... N": once per node,
 * each after its node's "Page block order", with the same orders.
 */
static int
free_header(struct parser *ps, const struct tok *t, size_t n)
{
	uint64_t	o;
	size_t		i;

	if (n <= 8 || n - 8 > PTI_ORDERS_MAX)
		return -EINVAL;
	if (ps->p->orders != 0 && (ps->sec != SEC_NONE ||
	    n - 8 != ps->p->orders))
		return -EINVAL;
	for (i = 8; i < n; i++)
		if (tok_u64(&t[i], PTI_ORDERS_MAX, &o) < 0 || o != i - 8)
			return -EINVAL;
	ps->p->orders = (unsigned)(n - 8);
	ps->sec = SEC_FREE;
	return 0;
}

/* "Node 0, zone DMA, type Movable c0 c1 ... cN" */
static int
free_row(struct parser *ps, const struct tok *t, size_t n)
{
	struct pti_zone	*z;
	struct tok	 name;
	uint64_t	 v[PTI_ORDERS_MAX];
	unsigned	 node, o;
	int		 type, r;

	if (n != 6 + ps->p->orders || tok_node(&t[1], &node) < 0 ||
	    !tok_is(&t[2], "zone") || !tok_is(&t[4], "type"))
		return -EINVAL;
	name = t[3];
	if (name.len < 2 || name.s[name.len - 1] != ',')
		return -EINVAL;
	name.len--;
	for (o = 0; o < ps->p->orders; o++)
		if (tok_count(ps, &t[6 + o], &v[o]) < 0)
			return -EINVAL;
	if ((r = zone_get(ps, node, &name, &z)) < 0)
		return r;
	ps->seen_free_row = 1;
	if ((type = type_lookup(&t[5])) < 0)
		return 0;		/* a type this parser does not know */
	if (z->have & (1U << type))
		return -EINVAL;
	z->have |= 1U << type;
	memcpy(z->free[type], v, ps->p->orders * sizeof(v[0]));
	return 0;
}

/* "Number of blocks type Unmovable Movable ..." and the like. */
static int
table_header(struct parser *ps, const struct tok *t, size_t n)
{
	size_t	i;

	if (!starts(t, n, "Number of blocks type")) {
		ps->sec = SEC_OTHER;
		return 0;
	}
	if (n <= 4 || n - 4 > COLUMNS_MAX)
		return -EINVAL;
	for (i = 4; i < n; i++)
		ps->col[i - 4] = type_lookup(&t[i]);
	ps->ncols = n - 4;
	ps->sec = SEC_BLOCKS;
	return 0;
}

/* "Node 0, zone DMA b0 b1 ..." */
static int
blocks_row(struct parser *ps, const struct tok *t, size_t n)
{
	struct pti_zone	*z;
	uint64_t	 v[COLUMNS_MAX];
	unsigned	 node;
	size_t		 i;
	int		 r;

	if (n != 4 + ps->ncols || tok_node(&t[1], &node) < 0 ||
	    !tok_is(&t[2], "zone"))
		return -EINVAL;
	for (i = 0; i < ps->ncols; i++)
		if (tok_u64(&t[4 + i], COUNT_MAX, &v[i]) < 0)
			return -EINVAL;
	if ((r = zone_get(ps, node, &t[3], &z)) < 0)
		return r;
	for (i = 0; i < ps->ncols; i++)
		if (ps->col[i] >= 0)
			z->blocks[ps->col[i]] = v[i];
	return 0;
}

/*
 * "Page block order: 9" then "Pages per block: 512", at the top and again
 * at each node after the first, the same there.
 */
static int
block_size(struct parser *ps, const struct tok *t, size_t n, int is_order)
{
	uint64_t	v;

	if (n != 4)
		return -EINVAL;
	if (is_order) {
		if (tok_u64(&t[3], PTI_ORDERS_MAX - 1, &v) < 0 || v == 0)
			return -EINVAL;
		if (ps->p->pageblock_order == 0 ? ps->sec != SEC_NONE :
		    v != ps->p->pageblock_order || !ps->seen_free_row)
			return -EINVAL;
		ps->p->pageblock_order = (unsigned)v;
		ps->sec = SEC_NONE;	/* the next node's tables follow */
		return 0;
	}
	if (ps->sec != SEC_NONE)
		return -EINVAL;
	if (tok_u64(&t[3], 1ULL << (PTI_ORDERS_MAX - 1), &v) < 0 ||
	    ps->p->pageblock_order == 0 || v != 1ULL << ps->p->pageblock_order)
		return -EINVAL;
	return 0;
}

static int
parse_line(struct parser *ps, const struct tok *t, size_t n)
{
	if (n == 0)
		return 0;
	if (tok_is(&t[0], "Node")) {
		switch (ps->sec) {
		case SEC_FREE:
			return free_row(ps, t, n);
		case SEC_BLOCKS:
			return blocks_row(ps, t, n);
		case SEC_OTHER:
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (starts(t, n, "Page block order:"))
		return block_size(ps, t, n, 1);
	if (starts(t, n, "Pages per block:"))
		return block_size(ps, t, n, 0);
	if (starts(t, n, "Free pages count per migrate type at order"))
		return free_header(ps, t, n);
	if (starts(t, n, "Number of") && ps->sec != SEC_NONE)
		return table_header(ps, t, n);
	return -EINVAL;
}

/*
 * Parse text into *out, which must be zeroed or hold an earlier result.
 * On error *out is left as it was.
 */
int
pti_parse(const char *text, struct pagetypeinfo *out)
{
	struct pagetypeinfo	 p;
	struct parser		 ps;
	struct tok		 t[TOKENS_MAX];
	const char		*s = text, *end;
	size_t			 n;
	int			 r = 0;

	memset(&p, 0, sizeof(p));
	memset(&ps, 0, sizeof(ps));
	ps.p = &p;
	while (*s != '\0' && r == 0) {
		if ((end = strchr(s, '\n')) == NULL)
			end = s + strlen(s);
		if ((r = split(s, end, t, &n)) == 0)
			r = parse_line(&ps, t, n);
		s = *end == '\n' ? end + 1 : end;
	}
	if (r == 0 && !ps.seen_free_row)
		r = -EINVAL;
	if (r < 0) {
		pti_clear(&p);
		return r;
	}
	pti_clear(out);
	*out = p;
	return 0;
}

/* The host's table; -EACCES for a non-root reader (the file is 0400). */
int
pti_read(struct pagetypeinfo *out)
{
	char	*text;
	size_t	 len;
	int	 r;

	if ((r = rootfs_read_alloc("/proc/pagetypeinfo", &text, &len,
	    PTI_FILE_MAX)) < 0)
		return r;
	r = strlen(text) == len ? pti_parse(text, out) : -EINVAL;
	free(text);
	return r;
}

int
pti_copy(struct pagetypeinfo *dst, const struct pagetypeinfo *src)
{
	struct pti_zone	*z = NULL;

	if (src->nzones > 0) {
		if ((z = calloc(src->nzones, sizeof(*z))) == NULL)
			return -ENOMEM;
		memcpy(z, src->zones, src->nzones * sizeof(*z));
	}
	pti_clear(dst);
	*dst = *src;
	dst->zones = z;
	return 0;
}

void
pti_clear(struct pagetypeinfo *p)
{
	free(p->zones);
	memset(p, 0, sizeof(*p));
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * Free movable pages in blocks of an order below `order`: the fragments
 * compaction could gather.  node -1 counts every node.
 */
uint64_t
pti_movable_below(const struct pagetypeinfo *p, unsigned order, int node)
{
	const struct pti_zone	*z;
	uint64_t		 sum = 0;
	unsigned		 o;
	size_t			 i;

	for (i = 0; i < p->nzones; i++) {
		z = &p->zones[i];
		if (node >= 0 && z->node != (unsigned)node)
			continue;
		for (o = 0; o < order && o < p->orders; o++)
			sum = add_sat(sum, z->free[PTI_MOVABLE][o] << o);
	}
	return sum;
}

/*
 * Free blocks of 2^order pages, whatever their type: a free block of a
 * higher order counts as the blocks of `order` it holds.  This is what
 * free page reporting and huge pages can use.
 */
uint64_t
pti_free_blocks(const struct pagetypeinfo *p, unsigned order, int node)
{
	const struct pti_zone	*z;
	uint64_t		 sum = 0;
	unsigned		 o, t;
	size_t			 i;

	for (i = 0; i < p->nzones; i++) {
		z = &p->zones[i];
		if (node >= 0 && z->node != (unsigned)node)
			continue;
		for (t = 0; t < PTI_TYPE_MAX; t++)
			for (o = order; o < p->orders; o++)
				sum = add_sat(sum,
				    z->free[t][o] << (o - order));
	}
	return sum;
}
