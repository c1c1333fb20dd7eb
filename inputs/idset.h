/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A set of VM ids (directory names), kept sorted, each with its VMM's
 * pid where one is known.  vmset_diff() is the pure heart of every
 * rescan: what appeared and what vanished between what we knew and what
 * a scan saw.
 */
#ifndef KT_VMSET_H
#define KT_VMSET_H

#include <stddef.h>
#include <sys/types.h>

struct vmset {
	char	**v;
	size_t	  n;
	size_t	  cap;
	pid_t	 *pid;		/* v[i]'s VMM; 0: not known */
};

/* (arg, id, its VMM's pid: the one that went or the one that came, appeared) */
typedef void	(*vmset_diff_fn)(void *, const char *, pid_t, int);

int	 vmset_has(const struct vmset *, const char *);
int	 vmset_add(struct vmset *, const char *);
int	 vmset_put(struct vmset *, const char *, pid_t);
pid_t	 vmset_pid(const struct vmset *, const char *);
int	 vmset_del(struct vmset *, const char *);
void	 vmset_append(struct vmset *, const char *);
void	 vmset_append_pid(struct vmset *, const char *, pid_t);
int	 vmset_pid_changed(pid_t, pid_t);
void	 vmset_sort(struct vmset *);
void	 vmset_swap(struct vmset *, struct vmset *);
void	 vmset_clear(struct vmset *);
size_t	 vmset_diff(const struct vmset *, const struct vmset *, vmset_diff_fn,
	    void *);

#endif
