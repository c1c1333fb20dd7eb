/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the /proc/pagetypeinfo parser on the kernel's layouts (one
 * node, several nodes, CMA and ZONE_MOVABLE, old kernels' Reserve type,
 * arm64 with 64K pages, the PAGE_OWNER table, lists the kernel capped;
 * the x86-* files were captured on the test host, the others written in
 * mm/vmstat.c's print format) and on garbage: every truncation and
 * random damage of such a file; and the /proc/meminfo field parser.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meminfo.h"
#include "pagetypeinfo.h"
#include "util.h"

/* The layouts are the fuzz target's seeds, tests/fuzz/corpus/pagetypeinfo/. */
static char *
layout(const char *name)
{
	const char	*src = getenv("top_srcdir");
	char		 path[4096], *text;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/pagetypeinfo/%s",
	    src != NULL ? src : "..", name);
	if (file_read_alloc(path, &text, NULL, PTI_FILE_MAX) < 0)
		fail_msg("cannot read %s (is top_srcdir set?)", path);
	return text;
}

static void
parse_layout(const char *name, struct pagetypeinfo *p)
{
	char	*text = layout(name);

	memset(p, 0, sizeof(*p));
	if (pti_parse(text, p) != 0)
		fail_msg("%s: not parsed", name);
	free(text);
}

static const struct pti_zone *
zone(const struct pagetypeinfo *p, unsigned node, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nzones; i++)
		if (p->zones[i].node == node &&
		    strcmp(p->zones[i].name, name) == 0)
			return &p->zones[i];
	fail_msg("no zone %u %s", node, name);
	return NULL;
}

static void
test_one_node(void **state)
{
	struct pagetypeinfo	p;

	parse_layout("x86-one-node", &p);
	assert_int_equal(p.pageblock_order, 9);
	assert_int_equal(p.orders, 11);
	assert_int_equal(p.nzones, 3);
	assert_false(p.capped);
	assert_int_equal(zone(&p, 0, "DMA32")->free[PTI_MOVABLE][10], 752);
	assert_int_equal(zone(&p, 0, "Normal")->free[PTI_UNMOVABLE][3], 109);
	assert_int_equal(zone(&p, 0, "Normal")->blocks[PTI_RECLAIMABLE], 27);
	assert_int_equal(zone(&p, 0, "Normal")->have & (1U << PTI_CMA), 0);
	/* DMA32 1846 + Normal 1504 movable pages in blocks below order 9. */
	assert_int_equal(pti_movable_below(&p, 9, -1), 3350);
	assert_int_equal(pti_movable_below(&p, 9, 1), 0);
	assert_int_equal(pti_movable_below(&p, 0, -1), 0);
	/* Order 9 and 10 blocks of every type, in order-9 units. */
	assert_int_equal(pti_free_blocks(&p, 9, -1), 7 + 1506 + 404);
	assert_int_equal(pti_free_blocks(&p, 10, -1), 3 + 752 + 202);
	assert_int_equal(pti_free_blocks(&p, 11, -1), 0);
	pti_clear(&p);
}

static void
test_capped(void **state)
{
	struct pagetypeinfo	p;

	parse_layout("x86-capped", &p);
	assert_true(p.capped);
	assert_int_equal(zone(&p, 0, "Normal")->free[PTI_MOVABLE][0],
	    PTI_COUNT_CAP);
	assert_int_equal(pti_movable_below(&p, 9, -1), 1846 + 100000 + 1388);
	assert_int_equal(pti_free_blocks(&p, 9, -1), 7 + 1506 + 36);
	pti_clear(&p);
}

static void
test_numa_cma(void **state)
{
	struct pagetypeinfo	p;

	parse_layout("numa-cma", &p);
	assert_int_equal(p.nzones, 4);
	assert_int_equal(zone(&p, 0, "Normal")->free[PTI_CMA][0], 64);
	assert_int_equal(zone(&p, 0, "Normal")->blocks[PTI_CMA], 512);
	assert_int_equal(zone(&p, 1, "Movable")->blocks[PTI_MOVABLE], 2048);
	/* CMA free pages are not what compaction gathers. */
	assert_int_equal(pti_movable_below(&p, 9, 0), 380);
	assert_int_equal(pti_movable_below(&p, 9, 1), 1432);
	assert_int_equal(pti_movable_below(&p, 9, -1), 1812);
	/* But a free CMA block is a free block. */
	assert_int_equal(pti_free_blocks(&p, 9, 0), 31);
	assert_int_equal(pti_free_blocks(&p, 9, 1), 37);
	assert_int_equal(pti_free_blocks(&p, 9, -1), 68);
	assert_int_equal(pti_free_blocks(&p, 10, -1), 30);
	pti_clear(&p);
}

static void
test_old_kernel(void **state)
{
	struct pagetypeinfo	p;

	/* 3.10: Reclaimable before Movable, and a Reserve type. */
	parse_layout("rhel7-reserve", &p);
	assert_int_equal(p.nzones, 3);
	assert_int_equal(zone(&p, 0, "DMA")->blocks[PTI_MOVABLE], 6);
	assert_int_equal(zone(&p, 0, "DMA32")->blocks[PTI_MOVABLE], 1520);
	assert_int_equal(zone(&p, 0, "Normal")->blocks[PTI_UNMOVABLE], 60);
	assert_int_equal(zone(&p, 0, "Normal")->blocks[PTI_RECLAIMABLE], 20);
	assert_int_equal(zone(&p, 0, "DMA")->have & (1U << PTI_HIGHATOMIC), 0);
	assert_int_equal(pti_movable_below(&p, 9, -1), 0 + 57 + 580);
	/* The Reserve rows' order-9 blocks are not counted. */
	assert_int_equal(pti_free_blocks(&p, 9, -1), 6 + 200 + 20);
	pti_clear(&p);
}

static void
test_arm64_64k(void **state)
{
	struct pagetypeinfo	p;

	parse_layout("arm64-64k", &p);
	assert_int_equal(p.pageblock_order, 13);
	assert_int_equal(p.orders, 14);
	/* Order 5 is 2 MiB there: mem-agent's arm64 reporting order. */
	assert_int_equal(pti_movable_below(&p, 5, -1), 192 + 6);
	assert_int_equal(pti_free_blocks(&p, 5, -1), 1 + 2 + 512 + 256);
	assert_int_equal(pti_free_blocks(&p, 13, -1), 3);
	assert_int_equal(pti_free_blocks(&p, 14, -1), 0);
	pti_clear(&p);
}

static void
test_page_owner(void **state)
{
	struct pagetypeinfo	p;

	/* A zone with only two rows, the mixed-blocks table, no final
	 * newline. */
	parse_layout("page-owner", &p);
	assert_int_equal(p.nzones, 2);
	assert_int_equal(zone(&p, 0, "Movable")->have,
	    (1U << PTI_MOVABLE) | (1U << PTI_ISOLATE));
	assert_int_equal(zone(&p, 0, "Normal")->blocks[PTI_UNMOVABLE], 10);
	assert_int_equal(zone(&p, 0, "Normal")->blocks[PTI_MOVABLE], 100);
	assert_int_equal(pti_movable_below(&p, 9, -1), 7 + 2);
	assert_int_equal(pti_free_blocks(&p, 9, -1), 2 + 8);
	pti_clear(&p);
}

#define HDR	"Page block order: 9\nPages per block:  512\n\n" \
		"Free pages count per migrate type at order 0 1 2\n"

static void
test_garbage(void **state)
{
	static const char *bad[] = {
		"",
		"\n\n",
		"\x01\x02\xff\xfe",
		"hello world\n",
		"Page block order: 9\nPages per block:  512\n",
		HDR,
		"Node 0, zone DMA, type Movable 1 2 3\n",
		HDR "Node 0, zone DMA, type Movable 1 2\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3 4\n",
		HDR "Node 0, zone DMA, type Movable 1 x 3\n",
		HDR "Node 0, zone DMA, type Movable 1 -2 3\n",
		HDR "Node 0, zone DMA, type Movable 1 0x2 3\n",
		HDR "Node 0, zone DMA, type Movable 1 2.5 3\n",
		HDR "Node 0, zone DMA, type Movable 1 >x 3\n",
		HDR "Node 0, zone DMA, type Movable 1 "
		    "99999999999999999999999 3\n",
		HDR "Node 0, zone DMA, type Movable 1 1099511627777 3\n",
		HDR "Node 0 zone DMA, type Movable 1 2 3\n",
		HDR "Node x, zone DMA, type Movable 1 2 3\n",
		HDR "Node 1024, zone DMA, type Movable 1 2 3\n",
		HDR "Node 0, zone DMA type Movable 1 2 3\n",
		HDR "Node 0, zone ThisZoneNameIsLong, type Movable 1 2 3\n",
		HDR "Node 0, zone DMA, kind Movable 1 2 3\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3\n"
		    "Node 0, zone DMA, type Movable 1 2 3\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3\ngarbage\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3\n"
		    "Free pages count per migrate type at order 0 1 2\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3\n"
		    "Number of blocks type Unmovable Movable\n"
		    "Node 0, zone DMA 1\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3\n"
		    "Number of blocks type Unmovable Movable\n"
		    "Node 0, zone DMA 1 x\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3\n"
		    "Number of blocks type\n",
		"Free pages count per migrate type at order 1 2 3\n"
		    "Node 0, zone DMA, type Movable 1 2 3\n",
		"Free pages count per migrate type at order 0 1 2 3 4 5 6 7 8 "
		    "9 10 11 12 13 14 15 16\n",
		"Page block order: 9\nPages per block:  500\n",
		"Pages per block:  512\n",
		"Page block order: 99\n",
		"Number of blocks type Unmovable\nNode 0, zone DMA 1\n",
		/* The next node's tables: the same block size and orders. */
		HDR "Node 0, zone DMA, type Movable 1 2 3\n"
		    "Page block order: 10\nPages per block:  1024\n"
		    "Free pages count per migrate type at order 0 1 2\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3\n"
		    "Page block order: 9\nPages per block:  512\n"
		    "Free pages count per migrate type at order 0 1\n",
		HDR "Node 0, zone DMA, type Movable 1 2 3\n"
		    "Page block order: 9\nPages per block:  512\n"
		    "Free pages count per migrate type at order 0 1 2\n"
		    "Node 0, zone DMA, type Movable 1 2 3\n",
		"Page block order: 9\nPage block order: 9\n" HDR
		    "Node 0, zone DMA, type Movable 1 2 3\n",
	};
	struct pagetypeinfo	p;
	size_t			i;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < nitems(bad); i++)
		if (pti_parse(bad[i], &p) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(p.nzones, 0);
	assert_null(p.zones);
}

/* A refused text leaves the previous table as it was. */
static void
test_error_keeps_previous(void **state)
{
	struct pagetypeinfo	p;

	parse_layout("x86-one-node", &p);
	assert_int_equal(pti_parse("garbage\n", &p), -EINVAL);
	assert_int_equal(p.nzones, 3);
	assert_int_equal(pti_movable_below(&p, 9, -1), 3350);
	pti_clear(&p);
}

/* More zones than any kernel has: refused, not grown without bound. */
static void
test_too_many_zones(void **state)
{
	size_t			 cap = (PTI_ZONES_MAX + 1) * 64UL + 256;
	char			*text = malloc(cap), *s = text;
	struct pagetypeinfo	 p = { 0 };
	unsigned		 i;

	s += sprintf(s, HDR);
	for (i = 0; i <= PTI_ZONES_MAX; i++)
		s += sprintf(s, "Node %u, zone Z%u, type Movable 1 2 3\n",
		    i % PTI_NODES_MAX, i / PTI_NODES_MAX);
	assert_int_equal(pti_parse(text, &p), -E2BIG);
	assert_int_equal(p.nzones, 0);
	/* One fewer is a (large) machine. */
	*strrchr(text, 'N') = '\0';
	assert_int_equal(pti_parse(text, &p), 0);
	assert_int_equal(p.nzones, PTI_ZONES_MAX);
	assert_int_equal(pti_movable_below(&p, 9, -1),
	    (uint64_t)PTI_ZONES_MAX * (1 + 4 + 12));
	pti_clear(&p);
	free(text);
}

/* Every prefix of a real file: parsed or refused, never a crash; whole
 * lines from the first row on are a table. */
static void
test_truncated(void **state)
{
	char			*text = layout("numa-cma");
	size_t			 len = strlen(text), cut, first;
	struct pagetypeinfo	 p = { 0 };
	char			 saved;
	int			 r;

	first = (size_t)(strstr(text, "\nNode") - text) + 1;
	for (cut = 0; cut < len; cut++) {
		saved = text[cut];
		text[cut] = '\0';
		r = pti_parse(text, &p);
		text[cut] = saved;
		assert_true(r == 0 || r == -EINVAL);
		if (cut > first && text[cut - 1] == '\n' && r != 0)
			fail_msg("refused the first %zu bytes", cut);
	}
	pti_clear(&p);
	free(text);
}

/* Random damage to a real file: whatever comes back, no crash (ASan). */
static void
test_damaged(void **state)
{
	static const char	 junk[] = "0123456789>, \n\tNodezoneype-x\xff";
	char			*orig = layout("x86-capped"), *text;
	size_t			 len = strlen(orig), i, k;
	struct pagetypeinfo	 p = { 0 };
	int			 r;

	srandom(42);
	text = malloc(len + 1);
	for (i = 0; i < 20000; i++) {
		memcpy(text, orig, len + 1);
		for (k = 0; k < 1 + (size_t)random() % 4; k++)
			text[(size_t)random() % len] =
			    junk[(size_t)random() % (sizeof(junk) - 1)];
		r = pti_parse(text, &p);
		assert_true(r == 0 || r == -EINVAL);
		if (r == 0)
			(void)pti_free_blocks(&p, 9, -1);
	}
	pti_clear(&p);
	free(text);
	free(orig);
}

static void
test_copy(void **state)
{
	struct pagetypeinfo	p, q = { 0 };

	parse_layout("numa-cma", &p);
	assert_int_equal(pti_copy(&q, &p), 0);
	pti_clear(&p);
	assert_int_equal(pti_movable_below(&q, 9, -1), 1812);
	pti_clear(&q);
	assert_int_equal(pti_movable_below(&q, 9, -1), 0);
}

static void
test_meminfo(void **state)
{
	static const char text[] = "MemTotal:       24684096 kB\n"
	    "MemFree:        23975680 kB\nMemAvailable:   24223500 kB\n"
	    "HugePages_Total:       0\n";
	uint64_t	kb;

	assert_int_equal(meminfo_field(text, "MemFree", &kb), 0);
	assert_int_equal(kb, 23975680);
	assert_int_equal(meminfo_field(text, "HugePages_Total", &kb), 0);
	assert_int_equal(kb, 0);
	assert_int_equal(meminfo_field(text, "Mem", &kb), -ENOENT);
	assert_int_equal(meminfo_field(text, "Cached", &kb), -ENOENT);
	assert_int_equal(meminfo_field("MemFree: 12 MB\n", "MemFree", &kb),
	    -EINVAL);
	assert_int_equal(meminfo_field("MemFree: -1 kB\n", "MemFree", &kb),
	    -EINVAL);
	assert_int_equal(meminfo_field("MemFree:\n", "MemFree", &kb),
	    -EINVAL);
	assert_int_equal(meminfo_field("MemFree: 1 kB extra\n", "MemFree",
	    &kb), -EINVAL);
	assert_int_equal(meminfo_field("MemFree: 123456789012345678901234 kB\n",
	    "MemFree", &kb), -EINVAL);
	/* No final newline. */
	assert_int_equal(meminfo_field("MemFree: 7 kB", "MemFree", &kb), 0);
	assert_int_equal(kb, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_node),
		cmocka_unit_test(test_capped),
		cmocka_unit_test(test_numa_cma),
		cmocka_unit_test(test_old_kernel),
		cmocka_unit_test(test_arm64_64k),
		cmocka_unit_test(test_page_owner),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_error_keeps_previous),
		cmocka_unit_test(test_too_many_zones),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_meminfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
