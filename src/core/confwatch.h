/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watching the configuration file (and the symlinks and directories on
 * the way to it, as a Kubernetes ConfigMap lays them out) for changes.
 */
#ifndef KT_CONFWATCH_H
#define KT_CONFWATCH_H

struct event_base;
struct confwatch;

struct confwatch	*confwatch_open(struct event_base *, const char *,
			    void (*)(void *), void *);
void			 confwatch_close(struct confwatch *);

#endif
