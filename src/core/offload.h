/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Slow kernel writes (compact_memory, memory.reclaim, force_empty) run in
 * a child process so that the event loop never blocks; the result comes
 * back through a pipe watched by the loop.
 */
#ifndef KT_OFFLOAD_H
#define KT_OFFLOAD_H

#include <stdint.h>

struct event_base;
struct offload;

/* err: 0 or -errno of the write; -ECANCELED if cancelled or killed. */
typedef void (*offload_cb)(int err, uint64_t elapsed_ms, void *arg);

struct offload	*offload_write(struct event_base *, const char *, const char *,
		    offload_cb, void *);
void		 offload_cancel(struct offload *);
void		 offload_kill(struct offload *);

#endif
