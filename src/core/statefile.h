/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A state file: what the daemon must put back after a crash, kept in the
 * run directory and reached only through that directory's descriptor.
 */
#ifndef KT_STATEFILE_H
#define KT_STATEFILE_H

#include <stddef.h>

int	statefile_write(int, const char *, const char *, size_t);
int	statefile_read(int, const char *, size_t, char **, const char **);
int	statefile_remove(int, const char *);
int	statefile_lines(const char *, const char *, int (*)(void *, char *),
	    void *);

#endif
