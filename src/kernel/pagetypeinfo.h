/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/pagetypeinfo as a table: free blocks per node, zone, migrate
 * type and order, and the pageblocks of each type.  The parser is pure
 * (text in, table out) so that tests feed it every layout the kernel
 * prints, and garbage.
 */
#ifndef KT_PAGETYPEINFO_H
#define KT_PAGETYPEINFO_H

#include <stddef.h>
#include <stdint.h>

/* Columns of the free table: MAX_PAGE_ORDER is 10 on x86-64, 13 on arm64
 * with 64K pages; 16 leaves room and bounds every per-zone array. */
#define PTI_ORDERS_MAX	16
/* Node ids: MAX_NUMNODES is at most 1 << 10 (NODES_SHIFT). */
#define PTI_NODES_MAX	1024
/* Rows kept: every node with every zone kind (DMA, DMA32, Normal,
 * HighMem, Movable, Device) fits; more is not a kernel's file. */
#define PTI_ZONES_MAX	(PTI_NODES_MAX * 6)
/* The kernel stops counting one free list here and prints ">100000"
 * (5.9+, to bound the time it holds the zone lock). */
#define PTI_COUNT_CAP	100000
/* Largest file read: PTI_ZONES_MAX zones of 7 lines, 200 bytes each. */
#define PTI_FILE_MAX	(PTI_ZONES_MAX * 7 * 200)

enum pti_type {
	PTI_UNMOVABLE,
	PTI_MOVABLE,
	PTI_RECLAIMABLE,
	PTI_HIGHATOMIC,
	PTI_CMA,
	PTI_ISOLATE,
	PTI_TYPE_MAX
};

/*
 * One zone of one node ("DMA32", "Normal", ...): free blocks of each
 * order and migrate type, and its pageblocks of each type; have holds
 * 1 << type for each type the file had a row of.
 */
struct pti_zone {
	unsigned	node;
	char		name[16];
	unsigned	have;
	uint64_t	free[PTI_TYPE_MAX][PTI_ORDERS_MAX];
	uint64_t	blocks[PTI_TYPE_MAX];
};

/*
 * The table.  pageblock_order is 0 if the file did not say; orders is
 * the number of columns of the free table; capped is set when some free
 * list was cut at PTI_COUNT_CAP, so the counts are a lower bound.
 */
struct pagetypeinfo {
	unsigned	 pageblock_order;
	unsigned	 orders;
	int		 capped;
	size_t		 nzones;
	struct pti_zone	*zones;
};

int		 pti_parse(const char *, struct pagetypeinfo *);
int		 pti_read(struct pagetypeinfo *);
int		 pti_copy(struct pagetypeinfo *, const struct pagetypeinfo *);
void		 pti_clear(struct pagetypeinfo *);
uint64_t	 pti_movable_below(const struct pagetypeinfo *, unsigned, int);
uint64_t	 pti_free_blocks(const struct pagetypeinfo *, unsigned, int);
const char	*pti_type_name(enum pti_type);

#endif
