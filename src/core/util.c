/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict number parsing (no atoi: every byte is accounted for), checked
 * snprintf, path normalisation, the monotonic clock and allocation that
 * cannot fail quietly.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include <event2/event.h>

#include "util.h"

/* What strto*() left: nothing, or the one newline a sysfs file ends in. */
static int
parse_end(const char *end)
{
	if (*end == '\n')
		end++;
	return *end == '\0' ? 0 : -EINVAL;
}

/*
 * Accept decimal digits with at most one trailing newline, as sysfs and
 * procfs print them.  Returns 0, -EINVAL for garbage or -ERANGE.
 */
int
parse_u64(const char *s, uint64_t *v)
{
	unsigned long long	 n;
	char			*end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (parse_end(end) < 0)
		return -EINVAL;
	*v = n;
	return 0;
}

/*
 * Decimal digits and nothing else, as a person writes a number in a
 * configuration: a newline there is a mistake, not the end of a file.
 */
int
parse_u64_digits(const char *s, uint64_t *v)
{
	size_t	n;

	if (s == NULL || (n = strspn(s, "0123456789")) == 0 || s[n] != '\0')
		return -EINVAL;
	return parse_u64(s, v);
}

int
parse_i64(const char *s, int64_t *v)
{
	long long	 n;
	char		*end;

	if (s == NULL || (*s != '-' && !isdigit((unsigned char)*s)))
		return -EINVAL;
	if (*s == '-' && !isdigit((unsigned char)s[1]))
		return -EINVAL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (parse_end(end) < 0)
		return -EINVAL;
	*v = n;
	return 0;
}

/*
 * What a failed read of a kernel file means, as a log line or the status
 * says it: the parsers' -EINVAL and -ERANGE are contents we do not
 * understand, -E2BIG and -EFBIG more than such a file ever holds.
 */
const char *
read_strerror(int err)
{
	switch (err) {
	case -EINVAL:
	case -ERANGE:
		return "unexpected contents";
	case -E2BIG:
	case -EFBIG:
		return "too large";
	default:
		return strerror(-err);
	}
}

/* snprintf that reports truncation: 0 on success, -ENAMETOOLONG if cut. */
int
xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		fatal("calloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

/*
 * Read all of fd (closed on return) into a NUL-terminated buffer.  More
 * than max bytes is -EFBIG: a file that big is not what we expect.
 */
int
fd_read_alloc(int fd, char **out, size_t *outlen, size_t max)
{
	char	*buf = NULL, *nbuf;
	size_t	 cap = 0, off = 0;
	ssize_t	 n;
	int	 err = 0;

	for (;;) {
		if (off == cap) {
			if (off > max) {
				err = -EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 4096;
			if (cap > max + 1)
				cap = max + 1;
			if ((nbuf = realloc(buf, cap + 1)) == NULL) {
				err = -ENOMEM;
				break;
			}
			buf = nbuf;
		}
		n = read(fd, buf + off, cap - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (err == 0 && off > max)
		err = -EFBIG;
	if (err != 0) {
		free(buf);
		return err;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return -ENOMEM;
	buf[off] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = off;
	return 0;
}

int
file_read_alloc(const char *path, char **out, size_t *outlen, size_t max)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -errno;
	return fd_read_alloc(fd, out, outlen, max);
}

/*
 * A path as "/a/b": accepts "a/b", "/a//b/", or with a prefix (a mount
 * point) the full "PREFIX/a/b".  "." and ".." components are refused: a
 * configuration or a client names a place, never an escape from it.
 */
int
path_normalize(const char *prefix, const char *in, char *out, size_t len)
{
	const char	*p = in, *seg;
	size_t		 plen = prefix != NULL ? strlen(prefix) : 0, o = 0, n;

	while (plen > 1 && prefix[plen - 1] == '/')
		plen--;
	if (plen > 1 && strncmp(in, prefix, plen) == 0 &&
	    (in[plen] == '/' || in[plen] == '\0'))
		p = in + plen;
	if (len < 2)
		return -ENAMETOOLONG;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		seg = p;
		while (*p != '/' && *p != '\0')
			p++;
		n = (size_t)(p - seg);
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return -EINVAL;
		if (o + 1 + n >= len)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memcpy(out + o, seg, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

/*
 * path made absolute against the working directory, for a daemon that
 * changes directory to / after reading its options.  Symlinks are left
 * alone: a ConfigMap's file is one that each rollout points elsewhere.
 * An empty path stays empty, naming nothing.  NULL, with errno set, if
 * the working directory cannot be had.
 */
char *
path_absolute(const char *path)
{
	char	cwd[PATH_MAX], *abs;

	if (path[0] == '/' || path[0] == '\0')
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&abs, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/",
	    path) == -1)
		fatal("asprintf");
	return abs;
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF, no sequence cut short.  What names a VM goes into status JSON
 * and metric labels, where anything else is an error: one bad label fails
 * a whole scrape.
 */
int
utf8_valid(const char *s)
{
	const unsigned char	*p;
	unsigned char		 lo, hi;
	int			 i, n;

	for (p = (const unsigned char *)s; *p != '\0'; p += n + 1) {
		lo = 0x80;
		hi = 0xbf;
		if (*p < 0x80)
			n = 0;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		else
			return 0;
		/*
		 * The second byte tells an overlong form, a surrogate or a
		 * code point past U+10FFFF (Unicode's table 3-7).
		 */
		if (*p == 0xe0)
			lo = 0xa0;
		else if (*p == 0xed)
			hi = 0x9f;
		else if (*p == 0xf0)
			lo = 0x90;
		else if (*p == 0xf4)
			hi = 0x8f;
		/* A NUL is out of range: never read past the end. */
		for (i = 1; i <= n; i++)
			if (p[i] < (i == 1 ? lo : 0x80) ||
			    p[i] > (i == 1 ? hi : 0xbf))
				return 0;
	}
	return 1;
}

/*
 * 1 to max bytes, printable so that it can be logged as it is: no C0 or
 * C1 control characters, nor DEL, in text already found to be UTF-8.
 */
int
text_printable(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; p[i] != '\0'; i++)
		if (i == max || p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] == 0xc2 && p[i + 1] < 0xa0))
			return 0;
	return i > 0;
}

/*
 * What may go into the log, status and metric labels as it is: UTF-8,
 * printable, 1 to max bytes.
 */
int
text_ok(const char *s, size_t max)
{
	return utf8_valid(s) && text_printable(s, max);
}

/* Arm a timer to fire in ms milliseconds: 0, or -1 as evtimer_add. */
int
timer_in(struct event *ev, uint64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return evtimer_add(ev, &tv);
}
