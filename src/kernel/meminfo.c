/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/meminfo: one value by name (the compact engine's MemFree, the
 * memcg engine's SwapFree) or the few the KSM throttle looks at.  The
 * parsers are pure so that tests feed them hostile text.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "meminfo.h"
#include "rootfs.h"
#include "util.h"

/* "Name:   digits kB" or "Name:   digits" (page counts). */
static int
parse_value(const char *s, const char *eol, uint64_t *kb)
{
	char	digits[24];
	size_t	n;

	s += strspn(s, " \t");
	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s, n);
	digits[n] = '\0';
	s += n;
	if (s != eol && strncmp(s, " kB", 3) == 0)
		s += 3;
	if (s != eol)
		return -EINVAL;
	return parse_u64(digits, kb);
}

/* -ENOENT when the field is not there, -EINVAL when its line is bad. */
int
meminfo_field(const char *text, const char *field, uint64_t *kb)
{
	const char	*s = text, *eol;
	size_t		 len = strlen(field);

	while (*s != '\0') {
		if ((eol = strchr(s, '\n')) == NULL)
			eol = s + strlen(s);
		if (strncmp(s, field, len) == 0 && s[len] == ':')
			return parse_value(s + len + 1, eol, kb);
		s = *eol == '\n' ? eol + 1 : eol;
	}
	return -ENOENT;
}

/*
 * The whole file, refused if it holds a NUL: that is not /proc/meminfo.
 * The readers below say -EINVAL for a field missing from a file that
 * was read: -ENOENT is for the file.
 */
static int
meminfo_text(char **text)
{
	size_t	len;
	int	r;

	if ((r = rootfs_read_alloc("/proc/meminfo", text, &len,
	    MEMINFO_MAX)) < 0)
		return r;
	if (strlen(*text) != len) {
		free(*text);
		return -EINVAL;
	}
	return 0;
}

int
meminfo_read_field(const char *field, uint64_t *kb)
{
	char	*text;
	int	 r;

	if ((r = meminfo_text(&text)) < 0)
		return r;
	r = meminfo_field(text, field, kb);
	free(text);
	return r == -ENOENT ? -EINVAL : r;
}

/* MemTotal, MemAvailable and AnonPages; a kernel without one is -ENOENT. */
int
meminfo_parse(const char *text, struct meminfo *m)
{
	int	r;

	if ((r = meminfo_field(text, "MemTotal", &m->total_kb)) < 0 ||
	    (r = meminfo_field(text, "MemAvailable", &m->avail_kb)) < 0 ||
	    (r = meminfo_field(text, "AnonPages", &m->anon_kb)) < 0)
		return r;
	return m->total_kb > 0 && m->avail_kb <= m->total_kb ? 0 : -EINVAL;
}

int
meminfo_read(struct meminfo *m)
{
	char	*text;
	int	 r;

	if ((r = meminfo_text(&text)) < 0)
		return r;
	r = meminfo_parse(text, m);
	free(text);
	return r == -ENOENT ? -EINVAL : r;
}
