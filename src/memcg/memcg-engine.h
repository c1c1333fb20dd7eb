/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg engine's wiring, shared by its files: the engine's state and
 * its tracked cgroups (memcg-track.c: tracking, discovery, VM events),
 * the pass and its jobs (memcg-job.c), the timer, start, live changes
 * and status (memcg-engine.c).  Nothing outside src/memcg includes it.
 */
#ifndef KT_MEMCG_ENGINE_H
#define KT_MEMCG_ENGINE_H

#include <sys/queue.h>

#include <event2/event.h>

#include "memcg-backend.h"
#include "memcg-hostset.h"
#include "memcg-plan.h"
#include "psi.h"

struct daemon;
struct offload;
struct vm_event;

enum memcg_src {
	SRC_EVENT = 0x1,	/* a VM's cgroup, CREATED until DESTROYED */
	SRC_GLOB = 0x2,		/* matched by memcg.cgroups */
	SRC_CACHE = 0x4,	/* a leaf below memcg.cache_reclaim.parent */
};
#define SRC_PERIOD	(SRC_EVENT | SRC_GLOB)

/* Logged once per cgroup, until the thing works again. */
enum memcg_warn {
	WARN_STAT = 0x1,
	WARN_PSI = 0x2,
	WARN_RUN = 0x4,
	WARN_CLASS = 0x8,
	WARN_SWAPMAX = 0x10,
	WARN_LIMIT = 0x20,
	WARN_GONE = 0x40,
};

enum memcg_state {
	MEMCG_OFF,		/* no backend on this host */
	MEMCG_DISABLED,
	MEMCG_IDLE,		/* nothing to manage: no timer */
	MEMCG_WAITING,
	MEMCG_RUNNING,
	MEMCG_STATE_MAX
};

/* Counters, per cgroup and in total; they only grow (metrics). */
struct memcg_counters {
	uint64_t	runs;
	uint64_t	psi_skips;
	uint64_t	aging_runs;
	uint64_t	reclaims;
	uint64_t	cache_checks;
	uint64_t	cache_reclaims;
	uint64_t	reclaimed_bytes;
	uint64_t	evicted_pages;
	uint64_t	errors;
	uint64_t	stops[MEMCG_STOP_MAX];
};

struct memcg_cg {
	TAILQ_ENTRY(memcg_cg)	 entry;
	char			*path;
	unsigned		 src;
	unsigned		 seen;
	char			*vm_id;
	char			*class_name;
	struct memcg_settings	 set;
	uint64_t		 next_due_ms;
	uint64_t		 last_run_ms;
	uint64_t		 last_cache_reclaim_ms;
	struct memcg_wait	 wait[MEMCG_JOB_KIND_MAX];
	uint64_t		 aging_count;
	struct memcg_counters	 n;
	enum memcg_stop		 last_stop;
	char			 last_error[160];
	unsigned		 warned;
	int			 in_pass;
	int			 dead;
};
TAILQ_HEAD(memcg_cgs, memcg_cg);

struct memcg_item {
	struct memcg_cg		*cg;
	enum memcg_job_kind	 kind;
};

struct memcg {
	struct daemon		*d;
	struct memcg_host	 host;
	struct memcg_hostset	*hostset;
	enum memcg_state	 state;
	const char		*reason;
	struct event		*timer;
	struct event		*watch;
	struct event		*probe;		/* while off */
	struct memcg_cgs	 cgs;
	size_t			 ncgs;
	struct memcg_sched	 sched;
	int			 swap_avail;
	int			 warned_full;
	unsigned		 warned_walk;	/* by enum memcg_src */
	int			 warned_name;	/* a cgroup's name left out */

	/* the pass, one at a time */
	struct memcg_item	*items;
	size_t			 nitems;
	size_t			 item;
	int			 job_active;
	struct memcg_cg		*job_cg;
	struct memcg_job	 job;
	const struct memcg_method *job_ops;
	struct memcg_stat	 before;
	uint64_t		 job_started_ms;
	struct psi_sample	 job_psi;
	int			 wrote;		/* any write */
	int			 reclaimed;	/* a reclaim write */
	struct offload		*off;

	uint64_t		 passes;
	struct memcg_counters	 total;
};

#define BUMP(m, cg, f, v) do {		\
	(cg)->n.f += (v);		\
	(m)->total.f += (v);		\
} while (0)

/* memcg-track.c */
void		 memcg_cg_note(struct memcg_cg *, const char *, int);
void		 memcg_cg_warn(struct memcg_cg *, unsigned, const char *, int,
		    const char *, ...) __attribute__((format(printf, 5, 6)));
void		 memcg_cg_free(struct memcg *, struct memcg_cg *);
int		 memcg_psi_read(struct memcg *, struct memcg_cg *,
		    struct psi_sample *);
void		 memcg_cg_configure(struct memcg *, struct memcg_cg *);
void		 memcg_wait_start(struct memcg *, struct memcg_cg *,
		    enum memcg_job_kind);
void		 memcg_untrack(struct memcg *, struct memcg_cg *, unsigned);
void		 memcg_discover_globs(struct memcg *);
void		 memcg_discover_cache(struct memcg *);
void		 memcg_vm_created(struct memcg *, const struct vm_event *);
int		 memcg_vm_destroyed(struct memcg *, const struct vm_event *);

/* memcg-job.c */
void		 memcg_pass_start(struct memcg *, unsigned, uint64_t);
void		 memcg_pass_cancel(struct memcg *);
void		 memcg_job_watch(evutil_socket_t, short, void *);

/* memcg-engine.c */
void		 memcg_arm(struct memcg *);
struct memcg_sched_params *memcg_sched_params(const struct memcg *,
		    struct memcg_sched_params *);

#endif
