/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The memcg engine's two independent choices, each a small ops table:
 * the cgroup hierarchy (struct memcg_hier: v2 or v1, where it is
 * mounted, stats, PSI) and the reclaim method (struct memcg_method:
 * MGLRU aging and eviction in memcg-mglru.c, memory.reclaim in
 * memcg-v2.c, force_empty in memcg-v1.c).  Each hierarchy names its own
 * method, the one cache runs use; MGLRU runs on top of either.  A run
 * over one cgroup is a job: the method turns it into writes, one at a
 * time, which the engine runs off the event loop and reports back with
 * step_done.  The helpers both kinds share are below them, in
 * memcg-cgroup.c.
 */
#ifndef KT_MEMCG_BACKEND_H
#define KT_MEMCG_BACKEND_H

#include <sys/queue.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "memcg-parse.h"
#include "memcg-plan.h"
#include "memcg-policy.h"

struct psi_sample;

/* glibc's sys/queue.h lacks the BSDs' safe iterator. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

/* memcg.backend, in the order of its choices in conf-table.c. */
enum memcg_backend_choice {
	MEMCG_BACKEND_AUTO,
	MEMCG_BACKEND_MGLRU,
	MEMCG_BACKEND_RECLAIM,
	MEMCG_BACKEND_FORCE_EMPTY,
	MEMCG_BACKEND_CHOICE_MAX
};

/* Nodes of one memcg that one job looks at; more are ignored. */
#define MEMCG_NODES_MAX	64

struct memcg_hier;
struct memcg_method;

struct memcg_host {
	int				 version;	/* 1 or 2 */
	char				 mount[PATH_MAX];
	const struct memcg_hier		*hier;
	const struct memcg_method	*method;	/* period runs */
	int				 reclaim_swappiness; /* -1 unknown */
	uint64_t			 page_size;
};

struct memcg_write {
	char		 path[PATH_MAX];	/* rooted kernel path */
	char		 value[128];
	const char	*what;			/* for logs and last_error */
	int		 reclaims;		/* not an aging write */
};

struct memcg_job {
	struct memcg_host	*host;
	char			 path[PATH_MAX];	/* "/a/b" */
	enum memcg_job_kind	 kind;
	struct memcg_settings	 set;
	int			 swap_ok;
	int			 no_swap;	/* there is swap, and a period run
						   may not use it */
	unsigned		 swappiness;	/* memory.reclaim's */
	uint64_t		 target;	/* memory.reclaim: bytes left */
	uint64_t		 aging_count;	/* in and out */
	int			 aged;		/* out: this run aged */

	/* the backend's cursor */
	int			 phase;
	uint64_t		 chunk;
	unsigned		 memcg_id;
	size_t			 node;
	size_t			 nnodes;
	struct memcg_gens	 gens[MEMCG_NODES_MAX];
	struct memcg_evict	 ev;
	uint64_t		 evicted_pages;

	/* the outcome */
	enum memcg_stop		 stop;
	int			 err;		/* -errno with STOP_ERROR */
	const char		*err_what;
};

struct memcg_hier {
	const char			*name;
	/* 0 and h->version, h->mount set; -ENOENT: not this host's. */
	int				(*detect)(struct memcg_host *);
	/* Stats, usage and limit (0: none). */
	int				(*stat)(const struct memcg_host *,
					    const char *, struct memcg_stat *,
					    uint64_t *, uint64_t *);
	int				(*psi)(const struct memcg_host *,
					    const char *, struct psi_sample *);
	/* Its own reclaim: cache runs, and period runs without MGLRU. */
	const struct memcg_method	*reclaim;
};

/* What a method needs of the engine. */
#define MEMCG_METHOD_AGES	0x1	/* ages and counts agings itself */
#define MEMCG_METHOD_LRU_GEN	0x2	/* lru_gen/enabled on, see detect */
#define MEMCG_METHOD_SWAPS	0x4	/* takes anon pages too, with no
					   knob to say no: period runs wait
					   where memcg.swap forbids it */
#define MEMCG_METHOD_SWAPPINESS	0x8	/* says how much anon with
					   swappiness=, where the kernel takes
					   it; elsewhere as MEMCG_METHOD_SWAPS */

/* detect: usable once the engine turns lru_gen/enabled on. */
#define MEMCG_DETECT_OFF	1

struct memcg_method {
	const char	*name;
	unsigned	 flags;
	/* Why detect said no, when this method was asked for. */
	const char	*missing;
	/*
	 * Reads only.  0: usable; MEMCG_DETECT_OFF (LRU_GEN methods);
	 * -ENODEV: not a method of this hierarchy; -errno: not here.
	 */
	int		(*detect)(const struct memcg_host *);
	/* 0, or -errno with job->stop set. */
	int		(*begin)(struct memcg_job *);
	/* 1: run *w next; 0: finished, job->stop says why. */
	int		(*step)(struct memcg_job *, struct memcg_write *);
	void		(*step_done)(struct memcg_job *, int);
};

extern const struct memcg_hier		memcg_cgroup_v2;
extern const struct memcg_hier		memcg_cgroup_v1;
extern const struct memcg_method	memcg_mglru;
extern const struct memcg_method	memcg_reclaim;
extern const struct memcg_method	memcg_force_empty;

/* Below the hierarchies and methods: memcg-cgroup.c. */
int	memcg_cg_file(const struct memcg_host *, const char *, const char *,
	    char *, size_t);
int	memcg_cg_stat(const struct memcg_host *, const char *, int,
	    struct memcg_stat *);
int	memcg_cg_gone(int);
void	memcg_job_fail(struct memcg_job *, int, const char *);
int	memcg_method_swaps(const struct memcg_host *,
	    const struct memcg_method *);

/* memory.stat is a few dozen lines; a megabyte is not a memory.stat. */
#define MEMCG_STAT_MAX	(1024 * 1024)

#endif
