/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A module: anything with the daemon's life cycle.  The engines (VM
 * registry, KSM throttle, memcg reclaim, compaction), the inputs, the
 * control socket and the views (metrics, sd_notify) are each one const
 * struct module_ops; main() lists them in one NULL-terminated table and
 * hands it to the core, which starts them in that order, puts every VM
 * event before each, tells them of configuration changes, asks them for
 * status and stops them in the reverse order.
 */
#ifndef KT_MODULE_H
#define KT_MODULE_H

#include <cjson/cJSON.h>

struct bus_port;
struct conf;
struct daemon;
struct vm_event;

/* The daemon cannot run without it: started first, its failure fatal. */
#define MODULE_REQUIRED	0x01
/* Its port counts events per sender too, shown as "registered". */
#define MODULE_SENDERS	0x02

struct module_ops {
	const char	*name;
	/*
	 * Its configuration section: reconfigure is called when a key under
	 * it changed ("" for any key, NULL for none).
	 */
	const char	*section;
	/*
	 * An input's name: the module emits VM events through a port, which
	 * counts them under status' inputs.<input>.  NULL: it emits none.
	 */
	const char	*input;
	int		 flags;		/* MODULE_* */
	/*
	 * From the configuration: should it run?  NULL: always.  One that
	 * has it is stopped and started as its section changes.
	 */
	int		(*enabled)(const struct conf *);
	/* The port is NULL unless input is set. */
	int		(*init)(struct daemon *, struct bus_port *, void **);
	void		(*on_event)(void *, const struct vm_event *);
	/* Its section changed; old, then new (already the daemon's). */
	void		(*reconfigure)(void *, const struct conf *,
			    const struct conf *);
	void		(*status)(void *, cJSON *);
	/* The daemon's summary changed (struct daemon_summary). */
	void		(*on_summary)(void *);
	void		(*shutdown)(void *);
};

#endif
