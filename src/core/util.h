/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers shared by every module: strict number parsing, checked
 * string formatting, path normalisation, monotonic time.
 */
#ifndef KT_UTIL_H
#define KT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

int	parse_u64(const char *, uint64_t *);
int	parse_u64_digits(const char *, uint64_t *);
int	parse_i64(const char *, int64_t *);
const char *read_strerror(int);
int	xsnprintf(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	path_normalize(const char *, const char *, char *, size_t);
char	*path_absolute(const char *);
int	utf8_valid(const char *);
int	text_printable(const char *, size_t);
int	text_ok(const char *, size_t);
struct event;

uint64_t now_ms(void);
uint64_t now_us(void);
void	*xcalloc(size_t, size_t);
char	*xstrdup(const char *);
int	fd_read_alloc(int, char **, size_t *, size_t);
int	file_read_alloc(const char *, char **, size_t *, size_t);
int	timer_in(struct event *, uint64_t);

#endif
