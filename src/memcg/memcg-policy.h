/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg reclaim engine's decisions, as pure functions of sampled
 * state and an injected clock: which settings a cgroup gets (default,
 * path overrides, VM classes), the PSI gates, when to age and evict
 * (mem-agent's memcg semantics), swappiness from the anon/file ratio,
 * and the cache-threshold policy with its cooldown.
 */
#ifndef KT_MEMCG_POLICY_H
#define KT_MEMCG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "conf.h"

struct psi_sample;

/* MGLRU keeps this many generations; eviction takes the oldest. */
#define MEMCG_MAX_NR_GENS	4
#define MEMCG_SWAPPINESS_MAX	200

/* The memcg keys of reference 001, per cgroup. */
struct memcg_settings {
	int		disabled;
	int		swap;
	uint64_t	swappiness_max;
	uint64_t	period_secs;
	uint64_t	period_psi_percent_limit;
	uint64_t	eviction_psi_percent_limit;
	uint64_t	eviction_run_aging_count_min;
	int		allowswap;	/* -1: not set, memory.swap.max untouched */
};

/* Why a cgroup's reclaim run stopped. */
enum memcg_stop {
	MEMCG_STOP_NONE,	/* still running */
	MEMCG_STOP_DONE,	/* target reached, oldest generation gone */
	MEMCG_STOP_AGING,	/* aged; eviction waits for more aging runs */
	MEMCG_STOP_FRESH,	/* the kernel aged it recently: nothing to do */
	MEMCG_STOP_NO_COLD,	/* nothing cold enough to reclaim */
	MEMCG_STOP_NO_PROGRESS,	/* the last step reclaimed nothing */
	MEMCG_STOP_EXHAUSTED,	/* the kernel could not reclaim more */
	MEMCG_STOP_PSI,		/* stall share over eviction_psi_percent_limit */
	MEMCG_STOP_VANISHED,	/* the cgroup went away */
	MEMCG_STOP_ERROR,	/* a read or write failed */
	MEMCG_STOP_CANCELLED,	/* shutdown or disabled meanwhile */
	MEMCG_STOP_WOULD_SWAP,	/* the method would swap, memcg.swap says no */
	MEMCG_STOP_MAX
};

/* One node of one memcg in /sys/kernel/debug/lru_gen. */
struct memcg_gens {
	int		nid;
	uint64_t	min_seq;
	uint64_t	max_seq;
	uint64_t	youngest_age_ms;
	uint64_t	oldest_anon;	/* pages in the oldest generation */
	uint64_t	oldest_file;
};

/* Where an MGLRU eviction of one node stands between two steps. */
struct memcg_evict {
	int		started;
	int		only_swap;	/* no cold file pages: anon only */
	uint64_t	anon_max;	/* ... and at most this many */
	uint64_t	anon_pages;	/* anon evicted so far */
	uint64_t	last_seq;	/* the generation being evicted */
	uint64_t	last_anon;
	uint64_t	last_file;
	uint64_t	pages;		/* evicted so far, by generation counts */
};

const char	*memcg_stop_name(enum memcg_stop);

/* Settings: defaults from the memcg.* keys, then overrides, then a class. */
void	 memcg_settings_default(struct memcg_settings *, const struct conf *);
void	 memcg_settings_apply(struct memcg_settings *, const cJSON *);
const cJSON *memcg_class_find(const cJSON *, const char *);
int	 memcg_settings_resolve(const struct conf *, const char *, const char *,
	    const char *, struct memcg_settings *);

/* Check hooks of the structured keys (conf-table.c): why in the buffer. */
int	 memcg_check_cgroups(const cJSON *, conf_find_fn *, char *, size_t);
int	 memcg_check_overrides(const cJSON *, conf_find_fn *, char *, size_t);
int	 memcg_check_classes(const cJSON *, conf_find_fn *, char *, size_t);

/* Paths: "/a/b" relative to the memory controller's mount (util.h). */
int	 memcg_glob_match(const char *, const char *, const char *);
int	 memcg_subtree_match(const char *, const char *, const char *);

/* PSI gates. */
int	 memcg_period_gate(const struct psi_sample *, const struct psi_sample *,
	    uint64_t, double *);
int	 memcg_eviction_gate(const struct psi_sample *,
	    const struct psi_sample *, uint64_t, double *);

/* The period policy. */
int	 memcg_due(uint64_t, uint64_t);
int	 memcg_should_age(uint64_t, uint64_t);
int	 memcg_may_evict(int, uint64_t, uint64_t);
unsigned memcg_swappiness(int, uint64_t, uint64_t, uint64_t);
int	 memcg_swap_available(uint64_t, uint64_t);
enum memcg_stop memcg_evict_next(const struct memcg_gens *,
	    struct memcg_evict *, int, uint64_t, unsigned *);
uint64_t memcg_anon_share(uint64_t, uint64_t);
uint64_t memcg_reclaim_target(uint64_t, uint64_t, int, uint64_t);
uint64_t memcg_reclaim_chunk(uint64_t);

/* The cache-threshold policy of reference 003. */
int	 memcg_cache_threshold(const struct conf_size *, uint64_t, uint64_t *);
int	 memcg_cache_should_reclaim(uint64_t, uint64_t, uint64_t, uint64_t,
	    uint64_t);
uint64_t memcg_cache_reclaim_bytes(uint64_t, uint64_t);

#endif
