/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon core: its context (one event_base, one thread), the modules
 * it runs (module.h), the VM event bus between them (bus.h) and the
 * clock they all read.  It names no module: main() hands it the table.
 */
#ifndef KT_DAEMON_H
#define KT_DAEMON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "bus.h"
#include "module.h"

struct event_base;
struct event;
struct conf;
struct ksm;
struct module;

struct daemon {
	struct event_base	*base;
	struct conf		*conf;
	const char		*conf_path;
	char			 rundir[PATH_MAX];
	int			 rundirfd;	/* checked: ours, not a symlink */
	char			 pidfile[PATH_MAX];
	struct ksm		*ksm;
	uint64_t		 started_ms;
	/* Milliseconds, monotonic; NULL: now_ms().  Tests put theirs. */
	uint64_t		(*clock)(void);
	struct module		*modules;	/* one per table entry */
	size_t			 nmodules;
	struct event		*sig[4];
};

uint64_t	 daemon_now(const struct daemon *);
void		 daemon_reconfigure(struct daemon *, struct conf *);
cJSON		*daemon_status(struct daemon *);
void		*daemon_module(struct daemon *, const char *);
int		 daemon_open(struct daemon *, const struct module_ops *const *);
void		 daemon_start(struct daemon *);
void		 daemon_stop(struct daemon *);

#endif
