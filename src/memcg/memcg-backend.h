/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How the memcg engine reclaims, one small ops table per kernel
 * interface: MGLRU aging and eviction (memcg-mglru.c), cgroup v2
 * memory.reclaim (memcg-v2.c), cgroup v1 force_empty (memcg-v1.c).
 * The v1 and v2 tables also describe their hierarchy (stats, PSI);
 * MGLRU runs on top of either.  A run over one cgroup is a job: the
 * backend turns it into writes, one at a time, which the engine runs off
 * the event loop (offload_write) and reports back with step_done.
 */
#ifndef KT_MEMCG_BACKEND_H
#define KT_MEMCG_BACKEND_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "memcg-parse.h"
#include "memcg-policy.h"

struct psi_sample;

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

struct memcg_host {
	int				 version;	/* 1 or 2 */
	char				 mount[PATH_MAX];
	const struct memcg_backend	*hier;		/* v1 or v2 */
	const struct memcg_backend	*backend;	/* period reclaim */
	int				 reclaim_swappiness; /* -1 unknown */
	int				 lru_gen_changed;
	char				 lru_gen_orig[32];
	uint64_t			 page_size;
};

enum memcg_job_kind {
	MEMCG_JOB_PERIOD,	/* mem-agent's run: age, evict cold pages */
	MEMCG_JOB_CACHE,	/* reference 003: page cache over threshold */
	MEMCG_JOB_KIND_MAX
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

struct memcg_backend {
	const char	*name;
	int		(*detect)(struct memcg_host *);
	/* Hierarchies only: stats (usage and limit included) and PSI. */
	int		(*stat)(const struct memcg_host *, const char *,
			    struct memcg_stat *, uint64_t *, uint64_t *);
	int		(*psi)(const struct memcg_host *, const char *,
			    struct psi_sample *);
	/* 0, or -errno with job->stop set. */
	int		(*begin)(struct memcg_job *);
	/* 1: run *w next; 0: finished, job->stop says why. */
	int		(*step)(struct memcg_job *, struct memcg_write *);
	void		(*step_done)(struct memcg_job *, int);
	void		(*restore)(struct memcg_host *);
};

extern const struct memcg_backend	memcg_mglru;
extern const struct memcg_backend	memcg_v2;
extern const struct memcg_backend	memcg_v1;

/* Shared by the backends. */
int	memcg_cg_file(const struct memcg_host *, const char *, const char *,
	    char *, size_t);
int	memcg_cg_stat(const struct memcg_host *, const char *, int,
	    struct memcg_stat *);
void	memcg_job_fail(struct memcg_job *, int, const char *);

/* memory.stat is a few dozen lines; a megabyte is not a memory.stat. */
#define MEMCG_STAT_MAX	(1024 * 1024)

#endif
