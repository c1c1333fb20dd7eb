/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A process's memory cgroup, from /proc/PID/cgroup.
 */
#ifndef KT_PROC_CGROUP_H
#define KT_PROC_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

int	proc_cgroup_parse(char *, char *, size_t);
int	proc_cgroup(pid_t, char *, size_t);

#endif
