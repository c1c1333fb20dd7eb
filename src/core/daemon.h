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
struct ledger;
struct module;

/*
 * The read model's headline, as the KSM engine last sampled it: what KSM
 * saves and what its policy is doing.  Views that show only this (the
 * sd_notify STATUS line) render from it, never from the status JSON,
 * and are told by daemon_summarise() when it moves.
 */
struct daemon_summary {
	int		 ksm_available;		/* pages_sharing was read */
	uint64_t	 pages_sharing;
	const char	*policy_state;		/* a static name; NULL: none yet */
};

struct daemon {
	struct event_base	*base;
	struct conf		*conf;
	const char		*conf_path;
	char			 rundir[PATH_MAX];
	int			 rundirfd;	/* checked: ours, not a symlink */
	char			 pidfile[PATH_MAX];
	struct ledger		*ledger;	/* host settings' originals */
	struct ksm		*ksm;
	uint64_t		 started_ms;
	/* Milliseconds, monotonic; NULL: now_ms().  Tests put theirs. */
	uint64_t		(*clock)(void);
	struct module		*modules;	/* one per table entry */
	size_t			 nmodules;
	struct event		*sig[4];
	struct daemon_summary	 summary;
};

uint64_t	 daemon_now(const struct daemon *);
void		 daemon_summarise(struct daemon *,
		    const struct daemon_summary *);
void		 daemon_reconfigure(struct daemon *, struct conf *);
cJSON		*daemon_status(struct daemon *);
void		*daemon_module(struct daemon *, const char *);
int		 daemon_open(struct daemon *, const struct module_ops *const *);
void		 daemon_start(struct daemon *);
void		 daemon_stop(struct daemon *);

#endif
