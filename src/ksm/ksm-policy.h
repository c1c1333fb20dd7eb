/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM throttle policy, pure: a function of its previous state, what
 * was sampled (the KSM counters, ksmd's CPU time, the resident size of
 * mergeable memory, free memory), the events seen since the last step
 * and an injected clock.  It returns the knobs ksmd should have, when it
 * wants to look again, and why it is in the state it is in.  No I/O: the
 * engine in ksm-engine.c reads, calls and writes; unit tests call it
 * directly over recorded sequences.
 */
#ifndef KT_THROTTLE_POLICY_H
#define KT_THROTTLE_POLICY_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ksm-sysfs.h"

enum policy_state {
	POLICY_IDLE,		/* a trickle keeps merged memory merged */
	POLICY_BOOSTING,	/* merging is growing: scan fast */
	POLICY_SETTLING,	/* no growth in the last pass: confirming */
	POLICY_GATED,		/* plenty of free memory: ksmd stopped */
	POLICY_STATE_MAX
};

struct policy_params {
	uint64_t	boost_cpu_pct;	/* ksmd's ceiling, % of one core */
	uint64_t	budget_cpu_pct;	/* ksmd's long-run average */
	uint64_t	budget_window_ms; /* the average is over this */
	uint64_t	boost_pass_ms;	/* a full pass while boosting */
	uint64_t	idle_pass_ms;	/* a full pass of the idle trickle */
	uint64_t	settle_scans;	/* passes over a still set, to settle */
	uint64_t	pace_factor;	/* scan rate over the arrival's */
	uint64_t	detect_ms;	/* look for new mergeable memory; 0: no */
	uint64_t	gate_free_pct;	/* stop ksmd above this free %; 0: off */
	uint64_t	page_size;	/* bytes, the host's */
	int		use_advisor;	/* drive advisor_mode=scan-time */
};

/* What the engine measured and was told since the last step. */
struct policy_input {
	uint64_t		 now_ms;
	const struct ksm_sample	*ksm;		/* NULL: none this step */
	int			 have_mergeable;
	uint64_t		 mergeable_pages; /* resident, mergeable */
	int			 mergeable_current; /* no walk was needed */
	int			 walks_off;	/* this kernel cannot say: no walks
						   will come */
	const struct mergeable	*walk;		/* walked this step, or NULL */
	int			 have_mem;
	uint64_t		 mem_total_kb;
	uint64_t		 mem_avail_kb;
	unsigned		 created;	/* CREATING/CREATED events */
	unsigned		 kicks;
	unsigned		 destroyed;	/* DESTROYING/DESTROYED */
	uint64_t		 announced_pages; /* memory events named */
};

/* The knobs ksmd should have; -1: leave that knob alone. */
struct policy_knobs {
	int64_t		run;
	int64_t		pages_to_scan;
	int64_t		sleep_ms;
	int64_t		advisor;	/* enum ksm_advisor, or -1 */
	int64_t		adv_target_s;
	int64_t		adv_max_cpu;
	int64_t		adv_min_pages;
	int64_t		adv_max_pages;
};

struct policy_out {
	struct policy_knobs	knobs;
	int			reseed_advisor;	/* restart it from adv_min_pages */
	uint64_t		next_ms;	/* step again at this time */
	uint64_t		probe_ms;	/* mergeable memory wanted this fresh;
						   0: walk at the next step */
	int			changed;	/* state changed in this step */
};

struct policy;

struct policy	*policy_new(const struct policy_params *, uint64_t);
void		 policy_free(struct policy *);
void		 policy_set_params(struct policy *, const struct policy_params *);
void		 policy_step(struct policy *, const struct policy_input *,
		    struct policy_out *);
enum policy_state policy_state(const struct policy *);
const char	*policy_state_name(enum policy_state);
const char	*policy_reason(const struct policy *);
uint64_t	 policy_transitions(const struct policy *);
const char	*policy_transition(const struct policy *, uint64_t,
		    enum policy_state *, enum policy_state *);
void		 policy_json(const struct policy *, uint64_t, cJSON *);
void		 policy_knobs_none(struct policy_knobs *);

#endif
