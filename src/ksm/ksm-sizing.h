/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM knobs for a scan rate, pure: how many pages per batch and how
 * long a nap between batches (or what bounds for the kernel's advisor)
 * make ksmd cover a set of pages in a given time, within the share of a
 * core it may use.  The policy (ksm-policy.c) decides the state and calls
 * these for its knobs.
 */
#ifndef KT_KSM_SIZING_H
#define KT_KSM_SIZING_H

#include <stdint.h>

#include "ksm-policy.h"

/* What the knobs are sized from. */
struct sizing {
	double		speed;		/* ksmd's pages per CPU ms */
	uint64_t	set_pages;	/* the pages a pass covers */
	uint64_t	pass_ms;	/* a pass should take this long */
	double		allowed_frac;	/* boost: share of a core it may use */
	uint64_t	budget_cpu_pct;	/* trickle: the long-run average */
	int		advisor;	/* drive the kernel's advisor */
	int		has_advisor;	/* ... which this kernel has */
};

double	size_boost(const struct sizing *, struct policy_knobs *);
double	size_trickle(const struct sizing *, struct policy_knobs *);

static inline double
clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

#endif
