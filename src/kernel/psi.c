/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSI.  The stall share of a window is the time some task stalled on
 * memory plus the time some task stalled on IO, as a percentage of the
 * window: mem-agent's "memory and IO PSI stall time" gate.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psi.h"
#include "rootfs.h"
#include "util.h"

/* "avg10=0.00 avg60=0.00 avg300=0.00 total=123" after "some " or "full ". */
static int
parse_line(const char *s, struct psi_line *l)
{
	char	total[32];
	int	n = 0;

	if (sscanf(s, "avg10=%lf avg60=%lf avg300=%lf total=%31[0-9]%n",
	    &l->avg10, &l->avg60, &l->avg300, total, &n) != 4)
		return -EINVAL;
	if (s[n] != '\0' && s[n] != '\n')
		return -EINVAL;
	if (parse_u64(total, &l->total_us) < 0)
		return -EINVAL;
	if (l->avg10 < 0 || l->avg60 < 0 || l->avg300 < 0)
		return -EINVAL;
	l->have = 1;
	return 0;
}

/* Parse a pressure file; "full" is optional (old kernels' cpu file). */
int
psi_parse(const char *text, struct psi_line *some, struct psi_line *full)
{
	const char	*p = text, *nl;
	int		 r;

	memset(some, 0, sizeof(*some));
	memset(full, 0, sizeof(*full));
	while (*p != '\0') {
		if (strncmp(p, "some ", 5) == 0 && !some->have)
			r = parse_line(p + 5, some);
		else if (strncmp(p, "full ", 5) == 0 && !full->have)
			r = parse_line(p + 5, full);
		else
			r = -EINVAL;
		if (r < 0)
			return r;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		p = nl + 1;
	}
	return some->have ? 0 : -EINVAL;
}

static int
read_some(const char *path, uint64_t *total)
{
	struct psi_line	 some, full;
	char		 buf[ROOTFS_SMALL];
	ssize_t		 n;
	int		 r;

	if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
		return (int)n;
	if ((r = psi_parse(buf, &some, &full)) < 0)
		return r;
	*total = some.total_us;
	return 0;
}

static int
sample_pair(const char *mem, const char *io, struct psi_sample *s)
{
	int	r;

	s->when_us = now_us();
	if ((r = read_some(mem, &s->memory_some_us)) < 0)
		return r;
	return read_some(io, &s->io_some_us);
}

int
psi_sample_system(struct psi_sample *s)
{
	return sample_pair("/proc/pressure/memory", "/proc/pressure/io", s);
}

/* A cgroup v2 directory's own PSI; -ENOENT on v1 or without PSI. */
int
psi_sample_cgroup(const char *cgroup, struct psi_sample *s)
{
	char	mem[PATH_MAX], io[PATH_MAX];

	if (xsnprintf(mem, sizeof(mem), "%s/memory.pressure", cgroup) < 0 ||
	    xsnprintf(io, sizeof(io), "%s/io.pressure", cgroup) < 0)
		return -ENAMETOOLONG;
	return sample_pair(mem, io, s);
}

/* Stall share in percent between two samples; 0 for an empty window. */
double
psi_stall_percent(const struct psi_sample *a, const struct psi_sample *b)
{
	uint64_t	window, stalled = 0;

	if (b->when_us <= a->when_us)
		return 0;
	window = b->when_us - a->when_us;
	/* Counters only grow; a reset (cgroup re-created) counts as none. */
	if (b->memory_some_us > a->memory_some_us)
		stalled += b->memory_some_us - a->memory_some_us;
	if (b->io_some_us > a->io_some_us)
		stalled += b->io_some_us - a->io_some_us;
	return 100.0 * (double)stalled / (double)window;
}
