/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where KSM's work comes from, seen from /proc: the host's memory totals
 * and the resident anonymous memory of every process that has mergeable
 * areas (ksm_mergeable: yes in /proc/<pid>/ksm_stat, Linux 6.x).  This is
 * how VMs that nobody announced are noticed.
 */
#ifndef KT_MERGEABLE_H
#define KT_MERGEABLE_H

#include <stdint.h>

#include "meminfo.h"

/* The first this many mergeable processes are listed one by one. */
#define MERGEABLE_LISTED	128

struct mergeable_proc {
	int		pid;
	uint64_t	pages;
};

struct mergeable {
	uint64_t	pages;		/* resident anonymous, mergeable processes */
	unsigned	procs;		/* processes with mergeable areas */
	unsigned	seen;		/* processes looked at */
	int		truncated;	/* stopped at MERGEABLE_MAX_PROCS */
	unsigned	denied;		/* processes we may not read, left
					   out */
	int		denied_err;	/* ... why, -errno */
	struct mergeable_proc proc[MERGEABLE_LISTED];
	unsigned	listed;
};

/* A walk looks at no more processes than this: bounded cost. */
#define MERGEABLE_MAX_PROCS	65536

int	ksm_stat_mergeable(const char *);
int	statm_anon_pages(const char *, uint64_t *);
int	mergeable_scan(struct mergeable *);

#endif
