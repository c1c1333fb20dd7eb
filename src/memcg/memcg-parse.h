/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsers of what the memcg engine reads from the kernel: memory.stat
 * (cgroup v1 and v2), v2's memory.max and cgroup.controllers, and MGLRU's
 * /sys/kernel/mm/lru_gen/enabled and debugfs file /sys/kernel/debug/lru_gen.
 * Pure functions of the text, strict:
 * a line that is not what the kernel prints makes the whole file -EINVAL.
 */
#ifndef KT_MEMCG_PARSE_H
#define KT_MEMCG_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct memcg_gens;

/* Bytes, hierarchical where v1 offers total_*. */
struct memcg_stat {
	uint64_t	anon;
	uint64_t	file;		/* v1: cache */
	uint64_t	inactive_anon;
	uint64_t	active_anon;
	uint64_t	inactive_file;
	uint64_t	active_file;
};

int	memcg_stat_parse(const char *, int, struct memcg_stat *);
int	memcg_max_parse(const char *, uint64_t *);

/* The first line of <rundir>/memcg.state. */
#define MEMCG_STATE_MAGIC	"ksm-throttler-memcg-state 1"
int	memcg_state_parse(const char *, int (*)(void *, const char *,
	    const char *), void *);
int	memcg_controllers_has(const char *, const char *);
int	lru_gen_parse(const char *, const char *, unsigned *,
	    struct memcg_gens *, size_t, size_t *);
int	lru_gen_enabled_parse(const char *, unsigned long *);

#endif
