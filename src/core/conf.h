/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration: one table of keys (conf.c) from which parsing,
 * validation, --check-config output and the documentation come.
 */
#ifndef KT_CONF_H
#define KT_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum conf_type {
	CONF_BOOL,
	CONF_UINT,
	CONF_STRING,
	CONF_STRLIST,
	CONF_SIZE,		/* bytes, or a percentage of a limit: "25%" */
	CONF_ENUM,		/* one of choices[], stored as its index */
	CONF_JSON,		/* structured value checked by a hook */
	CONF_TYPE_MAX
};

struct strlist {
	char	**v;
	size_t	  n;
};

struct conf_size {
	uint64_t	value;
	int		percent;	/* value is a percentage, 0..100 */
};

struct conf {
	/* socket */
	char		*socket_path;
	char		*socket_group;
	uint64_t	 socket_max_frame_bytes;
	uint64_t	 socket_max_clients;
	uint64_t	 socket_idle_timeout_secs;

	/* ksm */
	int		 ksm_enabled;
	uint64_t	 ksm_boost_cpu_percent;
	uint64_t	 ksm_cpu_budget_percent;
	uint64_t	 ksm_cpu_budget_window_secs;
	uint64_t	 ksm_boost_pass_ms;
	uint64_t	 ksm_idle_pass_secs;
	uint64_t	 ksm_settle_scans;
	uint64_t	 ksm_pace_factor;
	uint64_t	 ksm_detect_interval_ms;
	uint64_t	 ksm_gate_free_percent;
	int		 ksm_use_advisor;

	/* inputs */
	int		 inotify_enabled;
	struct strlist	 inotify_dirs;
	struct strlist	 inotify_pid_files;
	struct strlist	 inotify_ignore;
	int		 libvirt_enabled;
	char		*libvirt_uri;

	/* memcg, as mem-agent spells it */
	int		 memcg_disabled;
	int		 memcg_swap;
	uint64_t	 memcg_swappiness_max;
	uint64_t	 memcg_period_secs;
	uint64_t	 memcg_period_psi_percent_limit;
	uint64_t	 memcg_eviction_psi_percent_limit;
	uint64_t	 memcg_eviction_run_aging_count_min;
	char		*cache_reclaim_parent;
	struct conf_size cache_reclaim_threshold;
	uint64_t	 cache_reclaim_interval_secs;
	uint64_t	 cache_reclaim_cooldown_secs;
	int		 memcg_backend;		/* enum memcg_backend_choice */
	cJSON		*memcg_cgroups;		/* ["/glob", ...] */
	cJSON		*memcg_overrides;	/* [{"path": GLOB, memcg keys}] */
	cJSON		*memcg_classes;		/* [{"name", "allowswap", keys}] */

	/* compact, as mem-agent spells it */
	int		 compact_disabled;
	uint64_t	 compact_period_secs;
	uint64_t	 compact_period_psi_percent_limit;
	uint64_t	 compact_psi_percent_limit;
	uint64_t	 compact_sec_max;
	uint64_t	 compact_order;
	uint64_t	 compact_threshold;
	uint64_t	 compact_force_times;

	/* metrics */
	char		*metrics_listen;
};

struct conf_key;
typedef const struct conf_key	*conf_find_fn(const char *);

struct conf_key {
	const char		 *name;		/* dotted path: "memcg.period_secs" */
	enum conf_type		  type;
	size_t			  offset;
	uint64_t		  min;
	uint64_t		  max;
	uint64_t		  def;		/* BOOL, UINT, ENUM */
	const char		 *defstr;	/* STRING, STRLIST ("a,b"), SIZE, JSON */
	const char * const	 *choices;	/* ENUM, NULL-terminated */
	const char		 *unit;
	const char		 *help;
	/*
	 * A JSON value's or a list's own check (a list's entries are
	 * strings by then): 0, or -EINVAL with why in the buffer.  It finds
	 * the keys it checks values against with the function it is given
	 * (conf_find), so that it calls nothing here.
	 */
	int			(*check)(const cJSON *, conf_find_fn *, char *,
				    size_t);
};

extern const struct conf_key	conf_table[];

struct conf	*conf_new(void);
struct conf	*conf_dup(const struct conf *);
void		 conf_free(struct conf *);
int		 conf_load(struct conf *, const char *, char *, size_t);
int		 conf_apply(struct conf *, const char *, const cJSON *, char *,
		    size_t);
int		 conf_apply_text(struct conf *, const char *, const char *,
		    char *, size_t);
cJSON		*conf_to_json(const struct conf *, const char *);
const struct conf_key *conf_find(const char *);
int		 conf_changed(const struct conf *, const struct conf *,
		    const char *);
int		 conf_log_changes(const struct conf *, const struct conf *,
		    const char *, const char *);

#endif
