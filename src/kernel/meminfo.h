/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/meminfo fields ("MemFree:  123 kB"), parsed strictly.
 */
#ifndef KT_MEMINFO_H
#define KT_MEMINFO_H

#include <stdint.h>

/* The whole file: ~60 lines of at most ~40 bytes on 6.x. */
#define MEMINFO_MAX	16384

struct meminfo {
	uint64_t	total_kb;
	uint64_t	avail_kb;
	uint64_t	anon_kb;
};

int	meminfo_field(const char *, const char *, uint64_t *);
int	meminfo_read_field(const char *, uint64_t *);
int	meminfo_parse(const char *, struct meminfo *);
int	meminfo_read(struct meminfo *);

#endif
