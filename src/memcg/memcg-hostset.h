/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every host setting the memcg engine changes outside a reclaim write,
 * through one narrow interface over the host ledger: set a value (its
 * original saved first), put one back, put all back, and hand the
 * ledger what an earlier release's memcg.state kept.  The settings are a
 * class's allowswap on a cgroup's memory.swap.max, and MGLRU turned on in
 * /sys/kernel/mm/lru_gen/enabled.
 */
#ifndef KT_MEMCG_HOSTSET_H
#define KT_MEMCG_HOSTSET_H

#define MEMCG_LRU_GEN_ENABLED	"/sys/kernel/mm/lru_gen/enabled"

struct ledger;
struct memcg_host;

enum memcg_knob {
	MEMCG_KNOB_SWAP_MAX,	/* a cgroup's memory.swap.max */
	MEMCG_KNOB_LRU_GEN,	/* MEMCG_LRU_GEN_ENABLED, of the host */
	MEMCG_KNOB_MAX
};

struct memcg_hostset;

struct memcg_hostset *memcg_hostset_new(const struct memcg_host *,
	    struct ledger *);
void	memcg_hostset_free(struct memcg_hostset *);
/* The cgroup path is NULL for a knob of the host. */
int	memcg_hostset_set(struct memcg_hostset *, enum memcg_knob,
	    const char *, const char *);
void	memcg_hostset_restore(struct memcg_hostset *, enum memcg_knob,
	    const char *);
void	memcg_hostset_restore_all(struct memcg_hostset *);
void	memcg_hostset_recover(struct memcg_hostset *);

#endif
