/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMs the daemon knows of, from every input's events, and what KSM
 * saves in each (/proc/<pid>/ksm_stat of its VMM).
 */
#ifndef KT_VMS_H
#define KT_VMS_H

#include <stdint.h>

struct ksm_stat {
	int64_t		rmap_items;
	int64_t		zero_pages;
	int64_t		merging_pages;
	int64_t		process_profit;		/* bytes; may be negative */
	int		mergeable;		/* -1: the kernel does not say */
};

struct daemon;
struct vm_event;

int	ksm_stat_parse(const char *, struct ksm_stat *);
int	ksm_stat_read(int, struct ksm_stat *);
void	vms_replay(struct daemon *, void (*)(void *, const struct vm_event *),
	    void *);
void	vms_known(struct daemon *, const char *, const char *,
	    void (*)(void *, const struct vm_event *), void *);
int	vms_stale(struct daemon *, const struct vm_event *);

#endif
