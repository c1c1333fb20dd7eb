/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fault injector for the fault tests, loaded into the daemon with
 * LD_PRELOAD: opening for writing a path that ends in $KT_FAULT_PATH
 * fails with $KT_FAULT_ERRNO (a name such as EBUSY, or a number), while
 * the file $KT_FAULT_WHILE exists (always, if that is not set).  The
 * open fails, not the write, so that a fake sysfs file is not truncated
 * by a write the "kernel" refused.  Only for errors nothing real can
 * provoke on this host: the tests use real mechanisms (permissions,
 * read-only mounts, a full tmpfs) where there are some.
 *
 * With $KT_FAULT_CLOSE_RANGE set (an errno as above), close_range(2)
 * fails so, as before Linux 5.9 or under an older seccomp filter.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char	*name;
	int		 no;
} errnos[] = {
	{ "EBUSY", EBUSY },
	{ "EAGAIN", EAGAIN },
	{ "EIO", EIO },
	{ "ENOMEM", ENOMEM },
	{ "ENODEV", ENODEV },
	{ "EINTR", EINTR },
	{ "ENOSYS", ENOSYS },
	{ "EPERM", EPERM },
};

static int
named_errno(const char *s)
{
	char		*end;
	long		 n;
	size_t		 i;

	if (s == NULL)
		return EIO;
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(s, errnos[i].name) == 0)
			return errnos[i].no;
	n = strtol(s, &end, 10);
	return *end == '\0' && n > 0 && n < 4096 ? (int)n : EIO;
}

static int
fault_errno(void)
{
	return named_errno(getenv("KT_FAULT_ERRNO"));
}

static int
faulty(const char *path, int flags)
{
	const char	*want = getenv("KT_FAULT_PATH");
	const char	*gate = getenv("KT_FAULT_WHILE");
	size_t		 len, plen;
	int		 saved = errno, r;

	if (want == NULL || *want == '\0' || (flags & O_ACCMODE) == O_RDONLY)
		return 0;
	len = strlen(want);
	plen = strlen(path);
	if (plen < len || strcmp(path + plen - len, want) != 0)
		return 0;
	r = gate == NULL || access(gate, F_OK) == 0;
	errno = saved;
	return r;
}

int
close_range(unsigned int first, unsigned int last, int flags)
{
	static int	(*real)(unsigned int, unsigned int, int);

	if (getenv("KT_FAULT_CLOSE_RANGE") != NULL) {
		errno = named_errno(getenv("KT_FAULT_CLOSE_RANGE"));
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "close_range");
	return real(first, last, flags);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	static int	(*real)(int, const char *, int, ...);
	mode_t		mode = 0;
	va_list		ap;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "openat");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (faulty(path, flags)) {
		errno = fault_errno();
		return -1;
	}
	return real(dirfd, path, flags, mode);
}
