/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KSM model.  Reads every file of /sys/kernel/mm/ksm this kernel has,
 * finds ksmd and its CPU time, and writes the knobs through the host
 * ledger (ledger.c), which keeps their originals.  Before the first
 * write every knob's original is saved there at once; a knob is never
 * changed when its original could not be saved.  The ledger puts them
 * back in KSM's order (restore_values), at exit and after a crash, and
 * replays a state file of the previous release, ksm.state.  A file this
 * kernel has that cannot be read is said once, and again once it can be.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksm-sysfs.h"
#include "ledger.h"
#include "log.h"
#include "rootfs.h"
#include "statefile.h"
#include "util.h"

/* The previous release's state file, replayed at start. */
#define LEGACY_NAME	"ksm.state"
#define LEGACY_MAGIC	"ksm-throttler-state 1"
/* It is a handful of short lines; anything bigger is not ours. */
#define LEGACY_MAX	4096

struct ksm_file_desc {
	const char	*name;
	int		 knob;		/* written by us, saved and restored */
	int		 signed_ok;	/* below zero is a value, not garbage */
};

static const struct ksm_file_desc ksm_files[KSM_FILE_MAX] = {
	[KSM_RUN] = { "run", 1 },
	[KSM_PAGES_TO_SCAN] = { "pages_to_scan", 1 },
	[KSM_SLEEP_MILLISECS] = { "sleep_millisecs", 1 },
	[KSM_PAGES_SHARED] = { "pages_shared", 0 },
	[KSM_PAGES_SHARING] = { "pages_sharing", 0 },
	[KSM_PAGES_UNSHARED] = { "pages_unshared", 0 },
	[KSM_PAGES_VOLATILE] = { "pages_volatile", 0 },
	[KSM_PAGES_SKIPPED] = { "pages_skipped", 0 },
	[KSM_PAGES_SCANNED] = { "pages_scanned", 0 },
	[KSM_FULL_SCANS] = { "full_scans", 0 },
	/* What merging saved less what its metadata costs. */
	[KSM_GENERAL_PROFIT] = { "general_profit", 0, 1 },
	[KSM_KSM_ZERO_PAGES] = { "ksm_zero_pages", 0 },
	[KSM_USE_ZERO_PAGES] = { "use_zero_pages", 0 },
	[KSM_MAX_PAGE_SHARING] = { "max_page_sharing", 0 },
	[KSM_MERGE_ACROSS_NODES] = { "merge_across_nodes", 0 },
	[KSM_STABLE_NODE_CHAINS] = { "stable_node_chains", 0 },
	[KSM_STABLE_NODE_DUPS] = { "stable_node_dups", 0 },
	[KSM_STABLE_NODE_CHAINS_PRUNE_MILLISECS] =
	    { "stable_node_chains_prune_millisecs", 0 },
	[KSM_SMART_SCAN] = { "smart_scan", 0 },
	[KSM_ADVISOR_MAX_CPU] = { "advisor_max_cpu", 1 },
	[KSM_ADVISOR_MIN_PAGES_TO_SCAN] = { "advisor_min_pages_to_scan", 1 },
	[KSM_ADVISOR_MAX_PAGES_TO_SCAN] = { "advisor_max_pages_to_scan", 1 },
	[KSM_ADVISOR_TARGET_SCAN_TIME] = { "advisor_target_scan_time", 1 },
	[KSM_ADVISOR_MODE] = { "advisor_mode", 1 },
};

static const char *ksm_advisor_names[KSM_ADVISOR_MAX] = {
	[KSM_ADVISOR_NONE] = "none",
	[KSM_ADVISOR_SCAN_TIME] = "scan-time",
};

/*
 * Restore order: the advisor's parameters, then its mode, run last (or
 * first, see ksm_restore_plan).  While the advisor is on pages_to_scan
 * refuses writes, and switching it off resets pages_to_scan, so it is
 * switched off before pages_to_scan is put back.
 */
static const enum ksm_file restore_order[] = {
	KSM_PAGES_TO_SCAN, KSM_SLEEP_MILLISECS,
	KSM_ADVISOR_MAX_CPU, KSM_ADVISOR_MIN_PAGES_TO_SCAN,
	KSM_ADVISOR_MAX_PAGES_TO_SCAN, KSM_ADVISOR_TARGET_SCAN_TIME,
	KSM_ADVISOR_MODE, KSM_RUN,
};

struct ksm {
	int		 available;
	struct ledger	*ledger;
	int		 save_err;	/* the last save's error, logged */
	uint32_t	 known;		/* files this kernel has shown */
	uint32_t	 failing;	/* known files whose last read failed */
	int		 read_err[KSM_FILE_MAX];
	pid_t		 ksmd_pid;
	int		 ksmd_warned;
	uint64_t	 ksmd_search_ms;	/* last looked for, not found */
};

const char *
ksm_file_name(enum ksm_file f)
{
	return f < KSM_FILE_MAX ? ksm_files[f].name : "?";
}

/* A knob's value as the kernel spells it: advisor_mode by name. */
const char *
ksm_value_str(enum ksm_file f, int64_t v, char *buf, size_t len)
{
	if (f == KSM_ADVISOR_MODE && v >= 0 && v < KSM_ADVISOR_MAX)
		return ksm_advisor_names[v];
	if (xsnprintf(buf, len, "%lld", (long long)v) < 0)
		return "?";
	return buf;
}

int
ksm_file_is_knob(enum ksm_file f)
{
	return f < KSM_FILE_MAX && ksm_files[f].knob;
}

static int
ksm_path(char *buf, size_t len, enum ksm_file f)
{
	return xsnprintf(buf, len, "%s/%s", KSM_DIR, ksm_files[f].name);
}

/* "none [scan-time]": the bracketed word is the current mode. */
int
ksm_parse_advisor(const char *s, int64_t *mode)
{
	const char	*open, *close;
	size_t		 len;
	int		 i;

	if ((open = strchr(s, '[')) == NULL ||
	    (close = strchr(open, ']')) == NULL)
		return -EINVAL;
	len = (size_t)(close - open - 1);
	for (i = 0; i < KSM_ADVISOR_MAX; i++)
		if (strlen(ksm_advisor_names[i]) == len &&
		    strncmp(open + 1, ksm_advisor_names[i], len) == 0) {
			*mode = i;
			return 0;
		}
	return -EINVAL;
}

/* A knob's value as the kernel spells it, back to a number. */
static int
ksm_value_parse(enum ksm_file f, const char *s, int64_t *v)
{
	char	br[32];

	if (f == KSM_ADVISOR_MODE)
		return xsnprintf(br, sizeof(br), "[%s]", s) < 0 ? -EINVAL :
		    ksm_parse_advisor(br, v);
	if (parse_i64(s, v) < 0 || *v < 0)
		return -EINVAL;
	return 0;
}

/*
 * One file.  A file this kernel never had fails quietly; one it had (at
 * start or since) is said once when it fails, and once when it is back.
 */
static int
ksm_read(struct ksm *k, enum ksm_file f, int64_t *v)
{
	char		path[128], buf[256];
	ssize_t		n;
	uint32_t	bit = 1U << f;
	int		r;

	if ((r = ksm_path(path, sizeof(path), f)) < 0)
		return r;
	if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
		r = (int)n;
	else if (f == KSM_ADVISOR_MODE)
		r = ksm_parse_advisor(buf, v);
	else if ((r = parse_i64(buf, v)) == 0 && *v < 0 &&
	    !ksm_files[f].signed_ok)
		r = -EINVAL;
	if (r == 0) {
		if (k->failing & bit)
			log_info("%s: readable again", path);
		k->known |= bit;
		k->failing &= ~bit;
		return 0;
	}
	if (!(k->known & bit))
		return r;
	if (!(k->failing & bit) || k->read_err[f] != r)
		log_warnx("%s: %s, ignoring it", path, read_strerror(r));
	k->failing |= bit;
	k->read_err[f] = r;
	return r;
}

/* Through the ledger, which writes no knob whose original it lacks. */
static int
ksm_write(struct ksm *k, enum ksm_file f, int64_t v)
{
	char	path[128], buf[32];
	int	r;

	if ((r = ksm_path(path, sizeof(path), f)) < 0)
		return r;
	if (v < 0 || (f == KSM_ADVISOR_MODE && v >= KSM_ADVISOR_MAX))
		return -EINVAL;
	return ledger_set(k->ledger, path, ksm_value_str(f, v, buf,
	    sizeof(buf)));
}

/*
 * /proc/<pid>/stat: "pid (comm) state ppid ...", utime and stime are
 * fields 14 and 15, in clock ticks.  comm may hold spaces and
 * parentheses, so parse from the last ')'; the fields after it are
 * numbers one space apart.
 */
int
ksm_parse_proc_stat(const char *buf, char *comm, size_t commlen,
    uint64_t *ticks)
{
	const char	*open, *close, *p;
	char		 tok[32];
	uint64_t	 t[2];
	size_t		 len;
	int		 field;

	if ((open = strchr(buf, '(')) == NULL ||
	    (close = strrchr(buf, ')')) == NULL || close < open)
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (comm != NULL && commlen > 0) {
		if (len >= commlen)
			len = commlen - 1;
		memcpy(comm, open + 1, len);
		comm[len] = '\0';
	}
	p = close + 1;
	for (field = 3; field <= 15; field++) {
		if (*p++ != ' ' || (len = strcspn(p, " \n")) == 0)
			return -EINVAL;
		if (field >= 14) {
			if (len >= sizeof(tok))
				return -EINVAL;
			memcpy(tok, p, len);
			tok[len] = '\0';
			if (parse_u64(tok, &t[field - 14]) < 0)
				return -EINVAL;
		}
		p += len;
	}
	if (t[0] > UINT64_MAX - t[1])
		return -ERANGE;
	*ticks = t[0] + t[1];
	return 0;
}

static int
proc_cpu_ms(pid_t pid, char *comm, size_t commlen, uint64_t *ms)
{
	char		path[64], buf[1024];
	uint64_t	ticks;
	long		hz;
	ssize_t		n;
	int		r;

	if ((r = xsnprintf(path, sizeof(path), "/proc/%d/stat", (int)pid)) < 0)
		return r;
	if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
		return (int)n;
	if ((r = ksm_parse_proc_stat(buf, comm, commlen, &ticks)) < 0)
		return r;
	if ((hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	if (ticks > UINT64_MAX / 1000)
		return -ERANGE;
	*ms = ticks * 1000 / (uint64_t)hz;
	return 0;
}

/* Not found: /proc is searched for ksmd again after this long. */
#define KSMD_SEARCH_MS	30000

/*
 * /proc/PID/stat says a kernel thread: kthreadd's child (ppid 2), as no
 * process can be.  After the name's ")": " STATE PPID ", a letter each.
 */
int
ksm_stat_kthread(const char *buf)
{
	const char	*p;

	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	return p[1] == ' ' && p[2] != '\0' && p[3] == ' ' &&
	    strncmp(p + 4, "2 ", 2) == 0;
}

static int
is_kthread(const char *pid)
{
	char	path[300], buf[512];

	if (xsnprintf(path, sizeof(path), "/proc/%s/stat", pid) < 0 ||
	    rootfs_read(path, buf, sizeof(buf)) < 0)
		return 0;
	return ksm_stat_kthread(buf);
}

/* ksmd: the kernel thread of that name (a process may call itself so). */
static pid_t
find_ksmd(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[300], comm[32];
	uint64_t	 pid;
	pid_t		 found = 0;

	if ((d = rootfs_opendir("/proc")) == NULL)
		return 0;
	while (found == 0 && (de = readdir(d)) != NULL) {
		if (parse_u64(de->d_name, &pid) < 0 || pid > INT_MAX)
			continue;
		if (xsnprintf(path, sizeof(path), "/proc/%s/comm",
		    de->d_name) < 0 || rootfs_read(path, comm, sizeof(comm)) < 0)
			continue;
		if (strcmp(comm, "ksmd\n") == 0 && is_kthread(de->d_name))
			found = (pid_t)pid;
	}
	closedir(d);
	return found;
}

/*
 * ksmd's CPU time.  Where it cannot be seen (a PID namespace of its own),
 * /proc is searched again every KSMD_SEARCH_MS, not at every sample.
 */
static int
ksmd_cpu(struct ksm *k, uint64_t *ms)
{
	char		comm[32];
	int		tries;
	uint64_t	now = now_ms();

	for (tries = 0; tries < 2; tries++) {
		if (k->ksmd_pid == 0 && k->ksmd_search_ms != 0 &&
		    now - k->ksmd_search_ms < KSMD_SEARCH_MS)
			break;
		if (k->ksmd_pid == 0 && (k->ksmd_pid = find_ksmd()) == 0) {
			k->ksmd_search_ms = now;
			break;
		}
		k->ksmd_search_ms = 0;
		if (proc_cpu_ms(k->ksmd_pid, comm, sizeof(comm), ms) == 0 &&
		    strcmp(comm, "ksmd") == 0) {
			k->ksmd_warned = 0;
			return 0;
		}
		k->ksmd_pid = 0;
	}
	if (!k->ksmd_warned)
		log_info("ksmd not found in /proc: its CPU time is unknown");
	k->ksmd_warned = 1;
	return -ESRCH;
}

int
ksm_sample(struct ksm *k, struct ksm_sample *s)
{
	int	f;

	memset(s, 0, sizeof(*s));
	s->when_ms = now_ms();
	if (!k->available)
		return -ENODEV;
	for (f = 0; f < KSM_FILE_MAX; f++)
		if (ksm_read(k, f, &s->v[f]) == 0)
			s->have |= 1U << f;
	s->have_cpu = ksmd_cpu(k, &s->ksmd_cpu_ms) == 0;
	return KSM_HAVE(s, KSM_RUN) ? 0 : -EIO;
}

struct legacy_vals {
	int64_t		*vals;
	uint32_t	*have;
};

/* "KNOB VALUE", each knob once; blank lines and comments pass. */
static int
state_line(void *arg, char *line)
{
	struct legacy_vals	*lv = arg;
	char			*sp;
	int64_t			 v;
	int			 f;

	if (*line == '\0' || *line == '#')
		return 0;
	if ((sp = strchr(line, ' ')) == NULL)
		return -EINVAL;
	*sp++ = '\0';
	for (f = 0; f < KSM_FILE_MAX; f++)
		if (ksm_files[f].knob && strcmp(line, ksm_files[f].name) == 0)
			break;
	if (f == KSM_FILE_MAX || (*lv->have & (1U << f)) ||
	    ksm_value_parse(f, sp, &v) < 0)
		return -EINVAL;
	lv->vals[f] = v;
	*lv->have |= 1U << f;
	return 0;
}

/* The previous release's ksm.state: LEGACY_MAGIC, then run at least. */
int
ksm_state_parse(const char *text, int64_t *vals, uint32_t *have)
{
	struct legacy_vals	lv = { vals, have };
	int			r;

	*have = 0;
	if ((r = statefile_lines(text, LEGACY_MAGIC, state_line, &lv)) < 0)
		return r;
	return (*have & (1U << KSM_RUN)) ? 0 : -EINVAL;
}

/* The previous release's ksm.state, handed to the ledger knob by knob. */
static int
legacy_parse(const char *text, ledger_add_fn add, void *addarg, void *arg)
{
	int64_t		vals[KSM_FILE_MAX];
	uint32_t	have;
	char		path[128], buf[32];
	int		f, r;

	if ((r = ksm_state_parse(text, vals, &have)) < 0)
		return r;
	for (f = 0; f < KSM_FILE_MAX; f++)
		if ((have & (1U << f)) &&
		    ((r = ksm_path(path, sizeof(path), f)) < 0 ||
		    (r = add(addarg, path, ksm_value_str(f, vals[f], buf,
		    sizeof(buf)))) < 0))
			return r;
	return 0;
}

/*
 * The saved original of a knob.  errno is left as it was: callers ask
 * while they put a failed write's errno into words.
 */
int
ksm_saved(const struct ksm *k, enum ksm_file f, int64_t *v)
{
	const char	*orig;
	char		 path[128];
	int		 saved_errno = errno, r = 0;

	if (!ksm_file_is_knob(f) || ksm_path(path, sizeof(path), f) < 0 ||
	    (orig = ledger_original(k->ledger, path)) == NULL ||
	    ksm_value_parse(f, orig, v) < 0)
		r = -ENOENT;
	errno = saved_errno;
	return r;
}

/* Say once that the knobs could not be saved, and once that they are. */
static int
save_said(struct ksm *k, int r, int some)
{
	if (r < 0 && k->save_err != r) {
		errno = -r;
		log_warn("%s: cannot save the host's KSM settings, leaving %s "
		    "untouched until it can", ledger_statefile(k->ledger),
		    some ? "the knobs it lacks" : "KSM");
	} else if (r == 0 && k->save_err != 0)
		log_info("%s: the host's KSM settings are saved",
		    ledger_statefile(k->ledger));
	k->save_err = r;
	return some ? 0 : r;
}

/*
 * run is an order as much as a setting: 2 unmerges every merged page at
 * once (and reads 2 after), and the kernel adds 4 while memory goes
 * offline.  A host found with KSM stopped gets it back stopped, 0, with
 * what merged meanwhile left merged: writing 2 at exit would unmerge all
 * of the guests' merged memory in one go, on a host that may not have
 * the room for it.
 */
static int64_t
run_original(int64_t v)
{
	if (v & 2)
		log_info("%s/run is 2 (stopped, unmerged): it will be put back "
		    "as 0, stopped, leaving merged pages merged", KSM_DIR);
	return v & 1;
}

/*
 * Save the originals of the knobs not saved yet, all at once: before the
 * first write every knob there is, later those that could not be read
 * then.  We have not written those since, so what they hold is still
 * the host's.  0 once run at least is saved.
 */
int
ksm_save(struct ksm *k)
{
	char		 paths[KSM_FILE_MAX][128], vals[KSM_FILE_MAX][32];
	const char	*pv[KSM_FILE_MAX], *vv[KSM_FILE_MAX];
	size_t		 n = 0;
	int64_t		 v;
	int		 f, some, run = 0;

	if (!k->available)
		return -ENODEV;
	some = ksm_saved(k, KSM_RUN, &v) == 0;
	for (f = 0; f < KSM_FILE_MAX; f++) {
		if (!ksm_files[f].knob || ksm_saved(k, f, &v) == 0 ||
		    ksm_path(paths[n], sizeof(paths[n]), f) < 0 ||
		    ksm_read(k, f, &v) < 0)
			continue;
		if (f == KSM_RUN)
			v = run_original(v);
		pv[n] = paths[n];
		vv[n] = ksm_value_str(f, v, vals[n], sizeof(vals[n]));
		run |= f == KSM_RUN;
		n++;
	}
	if (!some && !run)
		return -EIO;
	if (n == 0)
		return 0;
	return save_said(k, ledger_save(k->ledger, n, pv, vv), some);
}

/* Write a knob, never one whose original is not saved. */
int
ksm_set(struct ksm *k, enum ksm_file f, int64_t v)
{
	uint32_t	bit = 1U << f;
	int64_t		orig;
	int		r;

	if (!ksm_file_is_knob(f))
		return -EINVAL;
	if (!k->available)
		return -ENODEV;
	if (ksm_saved(k, KSM_RUN, &orig) < 0 || ksm_saved(k, f, &orig) < 0) {
		if ((r = ksm_save(k)) < 0)
			return r;
		if (ksm_saved(k, f, &orig) < 0)
			return k->save_err != 0 ? k->save_err :
			    (k->failing & bit) ? k->read_err[f] : -ENOENT;
	}
	return ksm_write(k, f, v);
}

/* Files that fail now, and the state file, by path: what and why. */
void
ksm_errors_json(const struct ksm *k, cJSON *o)
{
	char	path[128];
	int	f;

	for (f = 0; f < KSM_FILE_MAX; f++)
		if ((k->failing & (1U << f)) &&
		    ksm_path(path, sizeof(path), f) == 0)
			cJSON_AddStringToObject(o, path,
			    read_strerror(k->read_err[f]));
	if (k->save_err != 0)
		cJSON_AddStringToObject(o, ledger_statefile(k->ledger),
		    strerror(-k->save_err));
}

/* Put one knob back through the ledger, unless it holds its original. */
static int
restore_one(struct ksm *k, enum ksm_file f)
{
	char	path[128];
	int	r;

	if ((r = ksm_path(path, sizeof(path), f)) < 0)
		return r;
	return ledger_restore(k->ledger, path);
}

/*
 * In what order the saved knobs (VALS, HAVE) go back, ADVISOR_NOW being
 * advisor_mode as the kernel has it (-1: unknown): the steps, into
 * STEPS, KSM_RESTORE_STEPS_MAX at most.  ksmd is stopped first when the
 * host had it stopped, and started last when the host had it running:
 * it never scans with half the host's settings back (the advisor,
 * switched on again, would retune pages_to_scan meanwhile).  An advisor
 * that is on is switched off before pages_to_scan, whatever either holds:
 * the kernel refuses pages_to_scan while it runs and resets it to its
 * default when it stops, so pages_to_scan is put back after that reset.
 * The advisor then goes back in its place, its original saved by the
 * switch if it was not held.
 */
size_t
ksm_restore_plan(const int64_t *vals, uint32_t have, int64_t advisor_now,
    struct ksm_restore_step *steps)
{
	size_t	i, n = 0;
	int	f, stopped = 0;

	if ((have & (1U << KSM_RUN)) && vals[KSM_RUN] != 1) {
		steps[n].f = KSM_RUN;
		steps[n++].how = KSM_PUT_BACK;
		stopped = 1;
	}
	if ((have & (1U << KSM_PAGES_TO_SCAN)) && advisor_now >= 0 &&
	    advisor_now != KSM_ADVISOR_NONE) {
		steps[n].f = KSM_ADVISOR_MODE;
		steps[n++].how = KSM_ADVISOR_OFF;
		have |= 1U << KSM_ADVISOR_MODE;
	}
	for (i = 0; i < nitems(restore_order); i++) {
		f = restore_order[i];
		if (!(have & (1U << f)) || (f == KSM_RUN && stopped))
			continue;
		steps[n].f = f;
		steps[n++].how = KSM_PUT_BACK;
	}
	return n;
}

/* Put the saved knobs (VALS, HAVE) back, in ksm_restore_plan's order. */
static int
restore_values(struct ksm *k, const int64_t *vals, uint32_t have)
{
	struct ksm_restore_step	steps[KSM_RESTORE_STEPS_MAX];
	int64_t			advisor;
	size_t			i, n;
	int			r, err = 0;

	if (ksm_read(k, KSM_ADVISOR_MODE, &advisor) < 0)
		advisor = -1;
	n = ksm_restore_plan(vals, have, advisor, steps);
	for (i = 0; i < n; i++) {
		/*
		 * Through the ledger, which saves the advisor's original
		 * first; a refused switch shows as pages_to_scan refused.
		 */
		if (steps[i].how == KSM_ADVISOR_OFF)
			(void)ksm_write(k, steps[i].f, KSM_ADVISOR_NONE);
		else if ((r = restore_one(k, steps[i].f)) < 0)
			err = r;
	}
	return err;
}

/* The ledger's restore function for KSM's domain: the originals it holds. */
static int
ksm_put_back(struct ledger *l, void *arg)
{
	struct ksm	*k = arg;
	int64_t		 vals[KSM_FILE_MAX];
	uint32_t	 have = 0;
	int		 f;

	for (f = 0; f < KSM_FILE_MAX; f++)
		if (ksm_saved(k, f, &vals[f]) == 0)
			have |= 1U << f;
	return restore_values(k, vals, have);
}

static const struct ledger_domain ksm_domain = {
	.what = "KSM settings",
	.prefix = KSM_DIR "/",
	.restore = ksm_put_back,
};

static const struct ledger_legacy ksm_legacy = {
	.name = LEGACY_NAME,
	.what = "KSM settings",
	.max = LEGACY_MAX,
	.parse = legacy_parse,
};

/* Put the host's original knobs back; the ledger forgets them once they are. */
int
ksm_restore(struct ksm *k)
{
	return ledger_restore_below(k->ledger, KSM_DIR "/");
}

/*
 * The KSM model, its knobs kept by the ledger L, which puts them back in
 * KSM's order until ledger_close; a ksm.state the previous release left
 * goes back with what L replays.
 */
struct ksm *
ksm_open(struct ledger *l)
{
	struct ksm	*k;
	char		 path[128];
	int		 f;

	k = xcalloc(1, sizeof(*k));
	k->ledger = l;
	if (ledger_domain_add(l, &ksm_domain, k) < 0)
		fatalx("ksm: the ledger has a KSM domain already");
	ledger_adopt(l, &ksm_legacy, k);
	k->available = rootfs_exists(KSM_DIR "/run");
	if (!k->available) {
		log_info("%s/run not found (kernel without CONFIG_KSM?): "
		    "KSM tuning is off", KSM_DIR);
		return k;
	}
	for (f = 0; f < KSM_FILE_MAX; f++)
		if (ksm_path(path, sizeof(path), f) == 0 && rootfs_exists(path))
			k->known |= 1U << f;
	return k;
}

void
ksm_close(struct ksm *k)
{
	free(k);
}

int
ksm_available(const struct ksm *k)
{
	return k->available;
}

cJSON *
ksm_sample_json(const struct ksm_sample *s)
{
	cJSON	*o;
	int	 f;

	o = cJSON_CreateObject();
	for (f = 0; f < KSM_FILE_MAX; f++) {
		if (!KSM_HAVE(s, f))
			continue;
		if (f == KSM_ADVISOR_MODE)
			cJSON_AddStringToObject(o, ksm_files[f].name,
			    ksm_advisor_names[s->v[f]]);
		else
			cJSON_AddNumberToObject(o, ksm_files[f].name,
			    (double)s->v[f]);
	}
	if (s->have_cpu)
		cJSON_AddNumberToObject(o, "ksmd_cpu_seconds",
		    (double)s->ksmd_cpu_ms / 1000.0);
	return o;
}
