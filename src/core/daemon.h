/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's context, the VM events every input produces, and the
 * engines that act on them.  One event_base, one thread.
 */
#ifndef KT_DAEMON_H
#define KT_DAEMON_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

struct event_base;
struct event;
struct conf;
struct control;
struct input;
struct ksm;
struct ledger;

enum vm_event_type {
	VM_CREATING,
	VM_CREATED,
	VM_DESTROYING,
	VM_DESTROYED,
	VM_KICK,		/* "look again", no VM named */
	VM_EVENT_MAX
};

#define VM_ID_MAX	256

struct vm_event {
	enum vm_event_type	 type;
	char			 vm_id[VM_ID_MAX];
	pid_t			 pid;		/* VMM pid, 0 if unknown */
	const char		*cgroup;	/* NULL if unknown */
	const char		*class_name;	/* NULL if unknown */
	uint64_t		 memory_bytes;	/* 0 if unknown */
	const char		*input;		/* name of the input it came from */
};

struct daemon;

/*
 * An engine: the KSM throttle, memcg reclaim, compaction.  Each keeps its
 * state behind the pointer init returns and its own timers on d->base.
 */
struct engine_ops {
	const char	*name;
	const char	*section;	/* config section its *-set changes */
	int		(*init)(struct daemon *, void **);
	void		(*on_event)(void *, const struct vm_event *);
	void		(*reconfigure)(void *, const struct conf *);
	void		(*status)(void *, cJSON *);
	void		(*shutdown)(void *);
};

enum engine_id {
	ENGINE_VMS,
	ENGINE_KSM,
	ENGINE_METRICS,
	ENGINE_MEMCG,
	ENGINE_COMPACT,
	ENGINE_MAX
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
	void			*engine[ENGINE_MAX];
	struct input		*inputs;	/* inputs/input.c; ops NULL ends */
	struct control		*control;
	struct event		*sig[4];
	uint64_t		 events_total[VM_EVENT_MAX];
};

extern const struct engine_ops	*engines[ENGINE_MAX + 1];

const char	*vm_event_type_name(enum vm_event_type);
int		 vm_event_type_parse(const char *, enum vm_event_type *);
void		 daemon_event(struct daemon *, const struct vm_event *);
int		 daemon_reconfigure(struct daemon *, const char *, const char *,
		    char *, size_t);
cJSON		*daemon_status(struct daemon *);
int		 engines_start(struct daemon *);
void		 engines_stop(struct daemon *);

#endif
