/*
 * fragment: the real-kernel compaction test's helper.
 *
 *	fragment hold MIB
 *		Fragment MIB MiB of free memory and hold it so until killed:
 *		map it in single pages, touch it, give every other page back.
 *		Prints "ready" once done.
 *	fragment kill-latency PATH MS
 *		Fork a child that writes "1" to PATH (compact_memory), SIGKILL
 *		it after MS ms and print how long it took to die.
 *
 * Order-0 allocations take the smallest free pieces first, and a busy
 * host has plenty (in blocks that also hold pages compaction cannot
 * move).  So hold first soaks those up, makes the region from whole free
 * blocks, and releases the soak: what is left is clean blocks half
 * free, which compaction can empty.
 */
#include "config.h"

#include <sys/mman.h>
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

/* Orders below a pageblock (9 on x86-64) are the small pieces. */
#define SMALL_ORDERS	9
/* Soak a little more than the small pieces, which come and go. */
#define SOAK_EXTRA	(256UL << 20)

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

static int
hold(unsigned long mib)
{
	long	 page = sysconf(_SC_PAGESIZE);
	size_t	 len = mib << 20, soaklen, i;
	char	*soak, *p;

	soaklen = small_free_bytes(page) + SOAK_EXTRA;
	soak = populate(soaklen, page);
	p = populate(len, page);
	for (i = 0; i < len; i += 2 * (size_t)page)
		if (madvise(p + i, (size_t)page, MADV_DONTNEED) == -1)
			die("madvise(MADV_DONTNEED)");
	munmap(soak, soaklen);
	printf("ready: %lu MiB, every other page free (soaked %zu MiB "
	    "of small pieces first)\n", mib, soaklen >> 20);
	fflush(stdout);
	for (;;)
		pause();
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
