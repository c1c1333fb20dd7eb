/*
 * /proc/meminfo fields ("MemFree:  123 kB"), parsed strictly.
 */
#ifndef KT_MEMINFO_H
#define KT_MEMINFO_H

#include <stdint.h>

/* The whole file: ~60 lines of at most ~40 bytes on 6.x. */
#define MEMINFO_MAX	16384

int	meminfo_parse(const char *, const char *, uint64_t *);
int	meminfo_read(const char *, uint64_t *);

#endif
