/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM model: what /sys/kernel/mm/ksm and ksmd's /proc/<pid>/stat
 * say, and the knobs, written through the host ledger only after the
 * host's original values are saved there, so that they can be put back.
 */
#ifndef KT_KSM_H
#define KT_KSM_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define KSM_DIR		"/sys/kernel/mm/ksm"

enum ksm_file {
	KSM_RUN,
	KSM_PAGES_TO_SCAN,
	KSM_SLEEP_MILLISECS,
	KSM_PAGES_SHARED,
	KSM_PAGES_SHARING,
	KSM_PAGES_UNSHARED,
	KSM_PAGES_VOLATILE,
	KSM_PAGES_SKIPPED,
	KSM_PAGES_SCANNED,
	KSM_FULL_SCANS,
	KSM_GENERAL_PROFIT,
	KSM_KSM_ZERO_PAGES,
	KSM_USE_ZERO_PAGES,
	KSM_MAX_PAGE_SHARING,
	KSM_MERGE_ACROSS_NODES,
	KSM_STABLE_NODE_CHAINS,
	KSM_STABLE_NODE_DUPS,
	KSM_STABLE_NODE_CHAINS_PRUNE_MILLISECS,
	KSM_SMART_SCAN,
	KSM_ADVISOR_MAX_CPU,
	KSM_ADVISOR_MIN_PAGES_TO_SCAN,
	KSM_ADVISOR_MAX_PAGES_TO_SCAN,
	KSM_ADVISOR_TARGET_SCAN_TIME,
	KSM_ADVISOR_MODE,	/* "[none] scan-time": kept as an index */
	KSM_FILE_MAX
};

enum ksm_advisor {
	KSM_ADVISOR_NONE,
	KSM_ADVISOR_SCAN_TIME,
	KSM_ADVISOR_MAX
};

struct ksm_sample {
	uint64_t	when_ms;	/* monotonic */
	uint32_t	have;		/* bit per enum ksm_file present */
	int64_t		v[KSM_FILE_MAX];
	int		have_cpu;
	uint64_t	ksmd_cpu_ms;	/* ksmd's utime + stime */
};

#define KSM_HAVE(s, f)	(((s)->have >> (f)) & 1)

/* How a knob is put back: to its original, or the advisor switched off. */
enum ksm_restore_how {
	KSM_PUT_BACK,
	KSM_ADVISOR_OFF,
	KSM_RESTORE_HOW_MAX
};

struct ksm_restore_step {
	enum ksm_file		f;
	enum ksm_restore_how	how;
};

/* run first, the advisor off, then every knob once. */
#define KSM_RESTORE_STEPS_MAX	(KSM_FILE_MAX + 2)

struct ksm;
struct ledger;

struct ksm	*ksm_open(struct ledger *);
void		 ksm_close(struct ksm *);
int		 ksm_available(const struct ksm *);
int		 ksm_sample(struct ksm *, struct ksm_sample *);
int		 ksm_save(struct ksm *);
int		 ksm_set(struct ksm *, enum ksm_file, int64_t);
int		 ksm_restore(struct ksm *);
int		 ksm_saved(const struct ksm *, enum ksm_file, int64_t *);
const char	*ksm_file_name(enum ksm_file);
const char	*ksm_value_str(enum ksm_file, int64_t, char *, size_t);
int		 ksm_file_is_knob(enum ksm_file);
cJSON		*ksm_sample_json(const struct ksm_sample *);
void		 ksm_errors_json(const struct ksm *, cJSON *);
int		 ksm_parse_advisor(const char *, int64_t *);
int		 ksm_parse_proc_stat(const char *, char *, size_t, uint64_t *);
int		 ksm_stat_kthread(const char *);
int		 ksm_state_parse(const char *, int64_t *, uint32_t *);
size_t		 ksm_restore_plan(const int64_t *, uint32_t, int64_t,
		    struct ksm_restore_step *);

#endif
