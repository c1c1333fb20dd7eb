/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one accessor for kernel paths.  Every /sys, /proc and cgroup path
 * is opened relative to the root given with --root, so that the whole
 * daemon can run against a fake tree.
 */
#ifndef KT_ROOTFS_H
#define KT_ROOTFS_H

#include <sys/types.h>

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

/* Large enough for any sysfs attribute and PSI file we read. */
#define ROOTFS_SMALL	4096

int	 rootfs_init(const char *);
void	 rootfs_close(void);
int	 rootfs_fd(void);
const char *rootfs_root(void);
int	 rootfs_open(const char *, int);
DIR	*rootfs_opendir(const char *);
int	 rootfs_exists(const char *);
ssize_t	 rootfs_read(const char *, char *, size_t);
int	 rootfs_read_alloc(const char *, char **, size_t *, size_t);
int	 rootfs_read_u64(const char *, uint64_t *);
int	 rootfs_pidfile(const char *, pid_t *);
pid_t	 rootfs_read_pid(const char *);
int	 rootfs_write(const char *, const char *);

#endif
