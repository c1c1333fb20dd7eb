/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fragment: the real-kernel compaction test's helper.
 *
 *	fragment hold MIB
 *		Fragment free memory and hold it so until killed: map MIB MiB
 *		in single pages; in every pageblock the region fills
 *		entirely, give every other page back; give back all pages
 *		of the blocks it shares with others.  Prints "ready" and the
 *		number of blocks fragmented.
 *	fragment kill-latency PATH MS
 *		Fork a child that writes "1" to PATH (compact_memory), SIGKILL
 *		it after MS ms and print how long it took to die.
 *
 * Only whole blocks of ours are left half used, so that what compaction
 * can do about them does not depend on what else the host holds: it can
 * empty about half of them.  Order-0 allocations take the smallest free
 * pieces first, and a busy host has plenty, so a soak takes those up
 * before the region is made.  The physical layout comes from
 * /proc/self/pagemap (page frame numbers need CAP_SYS_ADMIN).  The held
 * pages are touched a few times a second so that they stay hot: a
 * proactive reclaimer (DAMON's pageout scheme on the test host) would
 * otherwise keep taking cold pages off the LRU, where compaction cannot
 * move them.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Orders below a pageblock are the small pieces; x86-64's pageblock. */
#define SMALL_ORDERS		9
/* Soak a little more than the small pieces, which come and go. */
#define SOAK_EXTRA		(256UL << 20)
/* Touch the held pages this often: well inside DAMON's aggregation
 * interval (100 ms by default), so that they never look cold. */
#define TOUCH_US		20000
/* /proc/self/pagemap: bit 63 present, bits 0-54 the page frame. */
#define PM_PRESENT		(1ULL << 63)
#define PM_PFN_MASK		((1ULL << 55) - 1)

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: fragment hold MIB\n"
	    "       fragment kill-latency PATH MS\n");
	exit(2);
}

static __attribute__((noreturn)) void
die(const char *what)
{
	fprintf(stderr, "fragment: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long
number(const char *s)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		usage();
	return v;
}

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Bytes free in pieces below a pageblock, from /proc/buddyinfo. */
static size_t
small_free_bytes(long page)
{
	char		 line[1024], *tok, *save;
	FILE		*f;
	size_t		 sum = 0;
	int		 o;

	if ((f = fopen("/proc/buddyinfo", "re")) == NULL)
		die("/proc/buddyinfo");
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((tok = strstr(line, "zone")) == NULL)
			continue;
		strtok_r(tok + 4, " \t\n", &save);	/* the zone's name */
		for (o = 0; o < SMALL_ORDERS &&
		    (tok = strtok_r(NULL, " \t\n", &save)) != NULL; o++)
			sum += strtoul(tok, NULL, 10) << o;
	}
	fclose(f);
	return sum * (size_t)page;
}

/* Half of MemAvailable: the most the soak may take. */
static size_t
soak_max(void)
{
	char		 line[256];
	FILE		*f;
	unsigned long	 kb = 0;

	if ((f = fopen("/proc/meminfo", "re")) == NULL)
		die("/proc/meminfo");
	while (kb == 0 && fgets(line, sizeof(line), f) != NULL)
		(void)sscanf(line, "MemAvailable: %lu kB", &kb);
	fclose(f);
	return (size_t)kb * 1024 / 2;
}

/* Pages per pageblock, from /proc/pagetypeinfo. */
static unsigned long
block_pages(void)
{
	char		 line[256];
	FILE		*f;
	unsigned long	 n = 0;

	if ((f = fopen("/proc/pagetypeinfo", "re")) == NULL)
		die("/proc/pagetypeinfo");
	while (n == 0 && fgets(line, sizeof(line), f) != NULL)
		(void)sscanf(line, "Pages per block: %lu", &n);
	fclose(f);
	if (n == 0) {
		errno = EINVAL;
		die("/proc/pagetypeinfo: no \"Pages per block\"");
	}
	return n;
}

/* len bytes of anonymous memory in single pages, every page touched. */
static char *
populate(size_t len, long page)
{
	char	*p;
	size_t	 i;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if (madvise(p, len, MADV_NOHUGEPAGE) == -1)
		die("madvise(MADV_NOHUGEPAGE)");
	for (i = 0; i < len; i += (size_t)page)
		p[i] = 1;
	return p;
}

/* The page frame of each of n pages at p. */
static uint64_t *
frames(const char *p, size_t n, long page)
{
	uint64_t	*pfn;
	size_t		 i;
	off_t		 off = (off_t)((uintptr_t)p / (uintptr_t)page) * 8;
	int		 fd;

	if ((pfn = calloc(n, sizeof(*pfn))) == NULL)
		die("calloc");
	if ((fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) == -1)
		die("/proc/self/pagemap");
	if (pread(fd, pfn, n * sizeof(*pfn), off) !=
	    (ssize_t)(n * sizeof(*pfn)))
		die("/proc/self/pagemap: read");
	close(fd);
	for (i = 0; i < n; i++) {
		if (!(pfn[i] & PM_PRESENT) || (pfn[i] & PM_PFN_MASK) == 0) {
			errno = EPERM;
			die("/proc/self/pagemap: no page frames (not root?)");
		}
		pfn[i] &= PM_PFN_MASK;
	}
	return pfn;
}

/*
 * Keep every other page of the blocks the region fills, give the rest
 * back.  The pages kept go to kept[] (room for n), their number to
 * *nkept; the number of blocks left half used comes back.
 */
static size_t
punch(char *p, size_t n, long page, unsigned long per_block, size_t *kept,
    size_t *nkept)
{
	uint64_t	*pfn = frames(p, n, page), top = 0;
	uint32_t	*count;
	size_t		 i, k, whole = 0;

	for (i = 0; i < n; i++)
		if (pfn[i] / per_block > top)
			top = pfn[i] / per_block;
	if ((count = calloc(top + 1, sizeof(*count))) == NULL)
		die("calloc");
	for (i = 0; i < n; i++)
		count[pfn[i] / per_block]++;
	for (i = 0; i <= top; i++)
		if (count[i] == per_block)
			whole++;
	/* The lower half of them, where compaction's migrate scanner is. */
	whole /= 2;
	for (i = 0, k = 0; i <= top; i++)
		if (count[i] == per_block && ++k > whole)
			count[i] = 0;
	*nkept = 0;
	for (i = 0; i < n; i++) {
		if (count[pfn[i] / per_block] == per_block && pfn[i] % 2 == 1) {
			kept[(*nkept)++] = i;
			continue;
		}
		if (madvise(p + i * (size_t)page, (size_t)page,
		    MADV_DONTNEED) == -1)
			die("madvise(MADV_DONTNEED)");
	}
	free(count);
	free(pfn);
	return whole;
}

static int
hold(unsigned long mib)
{
	long		 page = sysconf(_SC_PAGESIZE);
	unsigned long	 per_block = block_pages();
	size_t		 len = mib << 20, n = len / (size_t)page, soaklen;
	size_t		 whole, i, nkept, *kept;
	char		*soak, *p;

	/* Not a moment longer than the test that started us. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		die("prctl(PR_SET_PDEATHSIG)");
	if (getppid() == 1)
		return 1;
	if ((kept = calloc(n, sizeof(*kept))) == NULL)
		die("calloc");
	soaklen = small_free_bytes(page) + SOAK_EXTRA;
	if (soaklen > soak_max())
		soaklen = soak_max();
	soak = populate(soaklen, page);
	p = populate(len, page);
	munmap(soak, soaklen);
	whole = punch(p, n, page, per_block, kept, &nkept);
	printf("ready: %zu whole blocks of the %lu MiB made half free "
	    "(soaked %zu MiB of small pieces first)\n", whole, mib,
	    soaklen >> 20);
	fflush(stdout);
	for (;;) {
		for (i = 0; i < nkept; i++)
			((volatile char *)p)[kept[i] * (size_t)page]++;
		usleep(TOUCH_US);
	}
}

static int
kill_latency(const char *path, unsigned long ms)
{
	double	 start, killed, gone;
	pid_t	 pid;
	int	 fd, status;

	start = now_ms();
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1 ||
		    write(fd, "1", 1) != 1)
			_exit(1);
		_exit(0);
	}
	usleep((useconds_t)ms * 1000);
	killed = now_ms();
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) == -1)
		die("waitpid");
	gone = now_ms();
	if (WIFSIGNALED(status))
		printf("killed after %.1f ms, gone %.3f ms later\n",
		    killed - start, gone - killed);
	else
		printf("finished in under %.1f ms, before the kill\n",
		    killed - start);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "hold") == 0)
		return hold(number(argv[2]));
	if (argc == 4 && strcmp(argv[1], "kill-latency") == 0)
		return kill_latency(argv[2], number(argv[3]));
	usage();
}
