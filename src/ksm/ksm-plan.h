/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM engine's own rules, pure: in what order the knobs the policy
 * wants are written and what each write is judged against, what is known
 * of a knob after a write, when a walk of /proc for mergeable processes
 * is due and when a VM event gets its own step.  No I/O, no clock but the
 * one passed in: ksm-engine.c reads, calls these, and writes.
 */
#ifndef KT_KSM_PLAN_H
#define KT_KSM_PLAN_H

#include <stdint.h>

#include "ksm-policy.h"
#include "ksm-sysfs.h"

/* What a knob write is compared against to see whether it is needed. */
enum knob_basis {
	KNOB_SAMPLED,		/* the kernel's value where sampled */
	KNOB_WRITTEN,		/* what was last written: the sample is stale */
	KNOB_AFTER_MODE,	/* sampled, unless the plan moved advisor_mode */
	KNOB_BASIS_MAX
};

struct knob_write {
	enum ksm_file	f;
	int64_t		v;
	enum knob_basis	basis;
};

/* sleep, two advisor bounds, its target and CPU, mode twice, run. */
#define KNOB_PLAN_MAX	8

struct knob_plan {
	struct knob_write	w[KNOB_PLAN_MAX];
	int			n;
	int64_t			mode_before;	/* advisor_mode as last written */
};

int	knob_plan(const struct policy_out *, const struct ksm_sample *,
	    const int64_t *, struct knob_plan *);
int	knob_stale(const struct knob_plan *, const struct knob_write *,
	    const int64_t *);
int	knob_holds(const struct ksm_sample *, const int64_t *, enum ksm_file,
	    int64_t);
void	knob_written(int64_t *, enum ksm_file, int64_t, int);

/* What the timing of walks of /proc depends on. */
struct walk_sched {
	int		off;		/* this kernel cannot say */
	int		have;		/* a walk succeeded */
	uint64_t	at_ms;		/* ... at this time */
	uint64_t	anon_kb;	/* AnonPages then */
	int		vm_went;	/* a VM went since */
};

/* Walk when anonymous memory moved this much since the last walk (16 MiB). */
#define WALK_ANON_KB		(16 * 1024)
/* ... or the last walk is this old. */
#define WALK_MAX_AGE_MS		30000

int	walk_needed(const struct walk_sched *, uint64_t, int, uint64_t);
int	walk_due(const struct walk_sched *, uint64_t, uint64_t, int, uint64_t);
void	walk_done(struct walk_sched *, uint64_t, int, uint64_t);

/* Events closer together than this share one step: a flood costs little. */
#define EVENT_STEP_MIN_MS	20

uint64_t event_step_delay(uint64_t, uint64_t);

#endif
