/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the names the inotify input gets from a directory anyone
 * with write access to it can fill, and the VM sets they go into
 * (vmset.c).  The input is a list of operations, each a byte and a name
 * ending in '\0': a directory created or deleted (vmset_add, vmset_del),
 * a name seen by a scan (vmset_append), the end of a scan (vmset_sort,
 * vmset_diff against what was known, which it then replaces), a lookup.
 * After each, the sets must be sorted without duplicates and agree with
 * what was done to them.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"

/* The checks are linear: a bound keeps an input quick. */
#define OPS_MAX	2048

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct diff {
	const struct vmset	*known;
	const struct vmset	*seen;
	size_t			 calls;
};

static void
sorted(const struct vmset *set)
{
	size_t	i;

	for (i = 1; i < set->n; i++)
		if (strcmp(set->v[i - 1], set->v[i]) >= 0)
			abort();
}

/* Linear, to hold the binary search to. */
static int
has(const struct vmset *set, const char *s)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i], s) == 0)
			return 1;
	return 0;
}

static void
diff_cb(void *arg, const char *id, pid_t pid, int appeared)
{
	struct diff	*d = arg;

	if (has(d->known, id) == appeared || has(d->seen, id) != appeared)
		abort();
	d->calls++;
}

/* How many calls vmset_diff must make: the symmetric difference. */
static size_t
differ(const struct vmset *a, const struct vmset *b)
{
	size_t	i, n = 0;

	for (i = 0; i < a->n; i++)
		n += !vmset_has(b, a->v[i]);
	for (i = 0; i < b->n; i++)
		n += !vmset_has(a, b->v[i]);
	return n;
}

static void
scan_end(struct vmset *known, struct vmset *seen)
{
	struct diff	d = { known, seen, 0 };
	size_t		i, n = seen->n;

	vmset_sort(seen);
	sorted(seen);
	if (seen->n > n || (n > 0 && seen->n == 0))
		abort();
	for (i = 0; i < seen->n; i++)
		if (!has(seen, seen->v[i]))
			abort();
	if (vmset_diff(known, seen, diff_cb, &d) != d.calls ||
	    d.calls != differ(known, seen))
		abort();
	vmset_swap(known, seen);
	vmset_clear(seen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmset	 known = { NULL, 0, 0 }, seen = { NULL, 0, 0 };
	const char	*name;
	char		*text;
	size_t		 at = 0, ops = 0, n;
	int		 before;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	while (at < size && ops++ < OPS_MAX) {
		name = text + at + 1;
		before = has(&known, name);
		switch ((unsigned char)text[at] % 5) {
		case 0:
			n = known.n;
			if (vmset_add(&known, name) == before ||
			    known.n != n + !before)
				abort();
			break;
		case 1:
			n = known.n;
			if (vmset_del(&known, name) != before ||
			    known.n != n - before || has(&known, name))
				abort();
			break;
		case 2:
			vmset_append(&seen, name);
			break;
		case 3:
			scan_end(&known, &seen);
			break;
		case 4:
			if (vmset_has(&known, name) != before)
				abort();
			break;
		}
		sorted(&known);
		at += 1 + (at + 1 < size ? strlen(name) + 1 : 0);
	}
	vmset_clear(&known);
	vmset_clear(&seen);
	free(text);
	return 0;
}
