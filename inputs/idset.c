/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sorted set of VM ids.  Adds and removes come one at a time from inotify
 * events; a scan builds a set by appending then sorting once, and the
 * diff is a merge of two sorted arrays.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "idset.h"

/* Index of s, or of where it would go; *found says which. */
static size_t
vmset_find(const struct vmset *set, const char *s, int *found)
{
	size_t	lo = 0, hi = set->n, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(s, set->v[mid])) == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void
vmset_grow(struct vmset *set)
{
	char	**nv;
	size_t	  ncap;

	if (set->n < set->cap)
		return;
	ncap = set->cap ? set->cap * 2 : 16;
	if ((nv = reallocarray(set->v, ncap, sizeof(*nv))) == NULL)
		fatal("reallocarray");
	set->v = nv;
	set->cap = ncap;
}

int
vmset_has(const struct vmset *set, const char *s)
{
	int	found;

	vmset_find(set, s, &found);
	return found;
}

/* 1 if s was added, 0 if it was there already. */
int
vmset_add(struct vmset *set, const char *s)
{
	size_t	i;
	int	found;

	i = vmset_find(set, s, &found);
	if (found)
		return 0;
	vmset_grow(set);
	memmove(&set->v[i + 1], &set->v[i], (set->n - i) * sizeof(*set->v));
	set->v[i] = xstrdup(s);
	set->n++;
	return 1;
}

/* 1 if s was removed, 0 if it was not there. */
int
vmset_del(struct vmset *set, const char *s)
{
	size_t	i;
	int	found;

	i = vmset_find(set, s, &found);
	if (!found)
		return 0;
	free(set->v[i]);
	memmove(&set->v[i], &set->v[i + 1], (set->n - i - 1) * sizeof(*set->v));
	set->n--;
	return 1;
}

/* Unsorted append, for building a set from a scan; vmset_sort() after. */
void
vmset_append(struct vmset *set, const char *s)
{
	vmset_grow(set);
	set->v[set->n++] = xstrdup(s);
}

static int
vmset_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Sort and drop duplicates. */
void
vmset_sort(struct vmset *set)
{
	size_t	i, j;

	if (set->n == 0)
		return;
	qsort(set->v, set->n, sizeof(*set->v), vmset_cmp);
	for (i = 0, j = 1; j < set->n; j++) {
		if (strcmp(set->v[i], set->v[j]) == 0)
			free(set->v[j]);
		else
			set->v[++i] = set->v[j];
	}
	set->n = i + 1;
}

void
vmset_swap(struct vmset *a, struct vmset *b)
{
	struct vmset	tmp = *a;

	*a = *b;
	*b = tmp;
}

void
vmset_clear(struct vmset *set)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

/*
 * Call fn(arg, id, 1) for every id in seen but not in known and
 * fn(arg, id, 0) for every id in known but not in seen, in sorted order.
 * Both sets must be sorted.  Returns how many calls were made.
 */
size_t
vmset_diff(const struct vmset *known, const struct vmset *seen,
    vmset_diff_fn fn, void *arg)
{
	size_t	i = 0, j = 0, calls = 0;
	int	c;

	while (i < known->n || j < seen->n) {
		if (i == known->n)
			c = 1;
		else if (j == seen->n)
			c = -1;
		else
			c = strcmp(known->v[i], seen->v[j]);
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		if (c < 0)
			fn(arg, known->v[i++], 0);
		else
			fn(arg, seen->v[j++], 1);
		calls++;
	}
	return calls;
}
