/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simvm: a simulated VM for KSM benchmarks and kernel tests.  It maps
 * anonymous memory with MADV_MERGEABLE and fills it over a few seconds
 * as a booting guest does: zero pages, pages every guest shares (a
 * kernel image: the same contents in every simvm) and pages unique to
 * this guest.  Then it dirties a working set of its unique pages
 * steadily, as a running guest does, until SIGTERM or its lifetime ends.
 * With -z 0 -s 0 every page is unique, as in an encrypted guest.  With
 * -l, it writes a late block some seconds after boot (a workload every
 * guest starts later: the same contents in every simvm).  With -f 0 it
 * fills as fast as it can, with no pause.  It prints a line on stdout
 * when its fill is done, with how long the fill took on its own
 * monotonic clock (the benchmark's measure of how much KSM slows a
 * guest), and when its late block is written: the benchmark's oracle
 * waits for them.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define WORDS		(PAGE / sizeof(uint64_t))
/* Fill and dirty in ticks this long: smooth enough, cheap enough. */
#define TICK_MS		20
/* Shared contents are the same in every simvm: a fixed seed. */
#define SHARED_SEED	0x6b736d2d7468726fULL
/* The late block's: shared too, but unlike anything written at boot. */
#define LATE_SEED	0x6c6174652d647570ULL

static volatile sig_atomic_t	stop;

struct vm {
	uint8_t		*mem;
	size_t		 pages;
	unsigned	 zero_pct, shared_pct;
	size_t		 ws_pages;	/* working set: unique pages dirtied */
	unsigned	 dirty_rate;	/* pages per second */
	uint64_t	 seed;
	size_t		*ws;		/* indices of working-set pages */
	size_t		 nws;
	uint8_t		*late;		/* late block, or NULL */
	size_t		 late_pages;
	unsigned	 late_s;	/* written this long after boot */
};

enum kind { ZERO, SHARED, UNIQUE };

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Kinds are spread over the whole guest, as in a real one. */
static enum kind
page_kind(const struct vm *vm, size_t i)
{
	unsigned	r = (unsigned)(mix(i ^ SHARED_SEED) % 100);

	if (r < vm->zero_pct)
		return ZERO;
	if (r < vm->zero_pct + vm->shared_pct)
		return SHARED;
	return UNIQUE;
}

static void
fill_page(uint8_t *p, uint64_t seed, size_t i)
{
	uint64_t	*w = (uint64_t *)(void *)p;
	size_t		 j;

	for (j = 0; j < WORDS; j++)
		w[j] = mix(seed ^ (i * WORDS + j));
}

static void
touch(struct vm *vm, size_t i, uint64_t gen)
{
	uint8_t	*p = vm->mem + i * PAGE;

	switch (page_kind(vm, i)) {
	case ZERO:
		p[0] = 0;	/* faults in a zero-filled page */
		break;
	case SHARED:
		fill_page(p, SHARED_SEED, i);
		break;
	case UNIQUE:
		fill_page(p, vm->seed + gen, i);
		break;
	}
}

static uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
now_ms(void)
{
	return now_us() / 1000;
}

static void
sleep_until(uint64_t t)
{
	struct timespec	ts;
	uint64_t	n = now_ms();

	if (t <= n)
		return;
	ts.tv_sec = (time_t)((t - n) / 1000);
	ts.tv_nsec = (long)((t - n) % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

/* Writes the whole guest, paced over fill_ms in ticks, or at once with
 * no pause if fill_ms is 0.  Returns how long it took, in microseconds. */
static uint64_t
fill(struct vm *vm, unsigned fill_ms)
{
	uint64_t	start_us = now_us(), start = start_us / 1000, t;
	size_t		i = 0, upto;

	while (i < vm->pages && !stop) {
		t = now_ms() - start;
		upto = fill_ms == 0 ? vm->pages :
		    (size_t)((double)vm->pages * (double)(t + TICK_MS) / fill_ms);
		if (upto > vm->pages)
			upto = vm->pages;
		for (; i < upto; i++) {
			touch(vm, i, 0);
			if (page_kind(vm, i) == UNIQUE && vm->nws < vm->ws_pages)
				vm->ws[vm->nws++] = i;
		}
		/* No pause once done: it would count in the fill time. */
		if (i < vm->pages)
			sleep_until(start + t + TICK_MS);
	}
	return now_us() - start_us;
}

static void
write_late(struct vm *vm, unsigned id)
{
	size_t	i;

	for (i = 0; i < vm->late_pages; i++)
		fill_page(vm->late + i * PAGE, LATE_SEED, i);
	printf("simvm %u: late %zu MiB\n", id, vm->late_pages * PAGE >> 20);
	fflush(stdout);
}

static void
dirty(struct vm *vm, unsigned lifetime_s, uint64_t boot, unsigned id)
{
	uint64_t	start = now_ms(), t, done = 0, due, gen = 1;
	int		late_due = vm->late != NULL;

	while (!stop && (lifetime_s == 0 || now_ms() - start <
	    (uint64_t)lifetime_s * 1000)) {
		if (late_due &&
		    now_ms() - boot >= (uint64_t)vm->late_s * 1000) {
			write_late(vm, id);
			late_due = 0;
		}
		t = now_ms() - start;
		due = t * vm->dirty_rate / 1000;
		for (; done < due && vm->nws > 0; done++)
			touch(vm, vm->ws[mix(done ^ vm->seed) % vm->nws], gen++);
		sleep_until(start + t + TICK_MS);
	}
}

/* Guest memory: anonymous, mergeable, whole pages only (no transparent
 * huge pages, as KSM wants).  NULL on failure, said on stderr. */
static uint8_t *
map_mergeable(size_t pages)
{
	void	*p;

	p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("simvm: mmap");
		return NULL;
	}
	madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
	if (madvise(p, pages * PAGE, MADV_MERGEABLE) == -1) {
		perror("simvm: madvise(MADV_MERGEABLE)");
		munmap(p, pages * PAGE);
		return NULL;
	}
	return p;
}

static void
on_term(int sig __attribute__((unused)))
{
	stop = 1;
}

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: simvm [-m MiB] [-f fill_ms] [-z zero%%] "
	    "[-s shared%%] [-w workset_MiB] [-r dirty_pages_per_s] "
	    "[-i id] [-t lifetime_s] [-l late_s -b late_MiB]\n");
	exit(2);
}

static unsigned
num(const char *s)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 1000000000UL)
		usage();
	return (unsigned)v;
}

int
main(int argc, char *argv[])
{
	struct vm	vm;
	unsigned	mib = 256, fill_ms = 3000, ws_mib = 16, life = 0;
	unsigned	id = 0, late_mib = 0;
	uint64_t	boot = now_ms(), fill_us;
	int		ch;

	memset(&vm, 0, sizeof(vm));
	vm.zero_pct = 30;
	vm.shared_pct = 40;
	vm.dirty_rate = 256;
	while ((ch = getopt(argc, argv, "m:f:z:s:w:r:i:t:l:b:")) != -1) {
		switch (ch) {
		case 'm': mib = num(optarg); break;
		case 'f': fill_ms = num(optarg); break;
		case 'z': vm.zero_pct = num(optarg); break;
		case 's': vm.shared_pct = num(optarg); break;
		case 'w': ws_mib = num(optarg); break;
		case 'r': vm.dirty_rate = num(optarg); break;
		case 'i': id = num(optarg); break;
		case 't': life = num(optarg); break;
		case 'l': vm.late_s = num(optarg); break;
		case 'b': late_mib = num(optarg); break;
		default: usage();
		}
	}
	if (mib == 0 || vm.zero_pct + vm.shared_pct > 100)
		usage();
	vm.pages = (size_t)mib * (1024 * 1024 / PAGE);
	vm.ws_pages = (size_t)ws_mib * (1024 * 1024 / PAGE);
	vm.seed = mix(((uint64_t)id << 32) ^ (uint64_t)getpid());
	if ((vm.ws = calloc(vm.ws_pages + 1, sizeof(*vm.ws))) == NULL)
		return 1;
	/* The late block is mapped at boot, left untouched until due. */
	vm.late_pages = (size_t)late_mib * (1024 * 1024 / PAGE);
	if ((vm.mem = map_mergeable(vm.pages)) == NULL || (late_mib > 0 &&
	    (vm.late = map_mergeable(vm.late_pages)) == NULL)) {
		free(vm.ws);
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	fill_us = fill(&vm, fill_ms);
	printf("simvm %u: filled %u MiB in %.6f s\n", id, mib,
	    (double)fill_us / 1e6);
	fflush(stdout);
	dirty(&vm, life, boot, id);
	if (vm.late != NULL)
		munmap(vm.late, vm.late_pages * PAGE);
	munmap(vm.mem, vm.pages * PAGE);
	free(vm.ws);
	return 0;
}
