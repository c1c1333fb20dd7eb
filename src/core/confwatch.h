/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watching the configuration file (and the symlinks and directories on
 * the way to it, as a Kubernetes ConfigMap lays them out) for changes.
 */
#ifndef KT_CONFWATCH_H
#define KT_CONFWATCH_H

struct event_base;
struct confwatch;

/*
 * changed(arg, first): the file's bytes changed; first says this is the
 * look right after the watch began, and the bytes are compared with
 * nothing: the file may or may not have changed since it was loaded.
 */
struct confwatch	*confwatch_open(struct event_base *, const char *,
			    void (*)(void *, int), void *);
void			 confwatch_close(struct confwatch *);

#endif
