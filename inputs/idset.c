/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sorted set of VM ids, with a VMM pid beside each.  Adds and removes
 * come one at a time from events; a scan builds a set by appending then
 * sorting once, and the diff is a merge of two sorted arrays.
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
	pid_t	 *np;
	size_t	  ncap;

	if (set->n < set->cap)
		return;
	ncap = set->cap ? set->cap * 2 : 16;
	if ((nv = reallocarray(set->v, ncap, sizeof(*nv))) == NULL)
		fatal("reallocarray");
	set->v = nv;
	if ((np = reallocarray(set->pid, ncap, sizeof(*np))) == NULL)
		fatal("reallocarray");
	set->pid = np;
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
	return vmset_put(set, s, 0);
}

/*
 * Add s with its VMM's pid, or give the one there that pid (unless it is
 * 0, not known); 1 if s was added, 0 if it was there already.
 */
int
vmset_put(struct vmset *set, const char *s, pid_t pid)
{
	size_t	i;
	int	found;

	i = vmset_find(set, s, &found);
	if (found) {
		if (pid > 0)
			set->pid[i] = pid;
		return 0;
	}
	vmset_grow(set);
	memmove(&set->v[i + 1], &set->v[i], (set->n - i) * sizeof(*set->v));
	memmove(&set->pid[i + 1], &set->pid[i],
	    (set->n - i) * sizeof(*set->pid));
	set->v[i] = xstrdup(s);
	set->pid[i] = pid;
	set->n++;
	return 1;
}

/* The pid of s's VMM; 0 if not known, or s is not there. */
pid_t
vmset_pid(const struct vmset *set, const char *s)
{
	size_t	i;
	int	found;

	i = vmset_find(set, s, &found);
	return found ? set->pid[i] : 0;
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
	memmove(&set->pid[i], &set->pid[i + 1],
	    (set->n - i - 1) * sizeof(*set->pid));
	set->n--;
	return 1;
}

/* Unsorted append, for building a set from a scan; vmset_sort() after. */
void
vmset_append(struct vmset *set, const char *s)
{
	vmset_append_pid(set, s, 0);
}

void
vmset_append_pid(struct vmset *set, const char *s, pid_t pid)
{
	vmset_grow(set);
	set->pid[set->n] = pid;
	set->v[set->n++] = xstrdup(s);
}

struct vmset_pair {
	char	*id;
	pid_t	 pid;
};

static int
vmset_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vmset_pair *)a)->id,
	    ((const struct vmset_pair *)b)->id);
}

/* Sort and drop duplicates, each pid staying with its id. */
void
vmset_sort(struct vmset *set)
{
	struct vmset_pair	*p;
	size_t			 i, j;

	if (set->n == 0)
		return;
	if ((p = reallocarray(NULL, set->n, sizeof(*p))) == NULL)
		fatal("reallocarray");
	for (i = 0; i < set->n; i++) {
		p[i].id = set->v[i];
		p[i].pid = set->pid[i];
	}
	qsort(p, set->n, sizeof(*p), vmset_cmp);
	set->v[0] = p[0].id;
	set->pid[0] = p[0].pid;
	for (i = 0, j = 1; j < set->n; j++) {
		if (strcmp(set->v[i], p[j].id) == 0) {
			free(p[j].id);
			continue;
		}
		set->v[++i] = p[j].id;
		set->pid[i] = p[j].pid;
	}
	set->n = i + 1;
	free(p);
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
	free(set->pid);
	memset(set, 0, sizeof(*set));
}

/*
 * Is a VMM that now has pid now another than the one known?  Only when
 * both pids are known: a pid that a scan cannot tell, or that an event
 * did not give, changes nothing.
 */
int
vmset_pid_changed(pid_t known, pid_t now)
{
	return known > 0 && now > 0 && known != now;
}

/*
 * Call fn(arg, id, pid, 1) for every id in seen but not in known and
 * fn(arg, id, pid, 0) for every id in known but not in seen, in sorted
 * order, pid the VMM the set it is in holds for it.
 * An id in both whose VMM changed (vmset_pid_changed) is a VM that went
 * and one that came under the same id: fn(arg, id, 0), then
 * fn(arg, id, 1).  Both sets must be sorted.  Returns how many calls
 * were made.
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
			if (vmset_pid_changed(known->pid[i], seen->pid[j])) {
				fn(arg, known->v[i], known->pid[i], 0);
				fn(arg, seen->v[j], seen->pid[j], 1);
				calls += 2;
			}
			i++;
			j++;
			continue;
		}
		if (c < 0) {
			fn(arg, known->v[i], known->pid[i], 0);
			i++;
		} else {
			fn(arg, seen->v[j], seen->pid[j], 1);
			j++;
		}
		calls++;
	}
	return calls;
}
