/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every configuration key, once: type, range, default, unit and what it
 * is for.  conf.c parses, validates and prints from this table; the man
 * page and README list it.  Keys of memcg and compact are spelt as
 * mem-agent's set commands spell them.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "memcg-policy.h"
#include "util.h"

#define O(f)	offsetof(struct conf, f)

#define BOOL(n, f, d, h) \
	{ .name = n, .type = CONF_BOOL, .offset = O(f), .max = 1, .def = d, \
	  .help = h }
#define UINT(n, f, lo, hi, d, u, h) \
	{ .name = n, .type = CONF_UINT, .offset = O(f), .min = lo, \
	  .max = hi, .def = d, .unit = u, .help = h }
#define STR(n, f, d, h) \
	{ .name = n, .type = CONF_STRING, .offset = O(f), .defstr = d, \
	  .help = h }
#define STRLIST(n, f, d, c, h) \
	{ .name = n, .type = CONF_STRLIST, .offset = O(f), .defstr = d, \
	  .check = c, .help = h }
#define JSON(n, f, d, c, h) \
	{ .name = n, .type = CONF_JSON, .offset = O(f), .defstr = d, \
	  .check = c, .help = h }

/* memcg.backend: in the order of enum memcg_backend_choice. */
static const char * const memcg_backends[] = {
	"auto", "mglru", "reclaim", "force_empty", NULL
};

/*
 * inputs.inotify.dirs: what inputs/input-inotify.c (wdir_init,
 * wdir_pattern) accepts, checked here too so that a file with a bad entry
 * is refused whole, by -n and on reload, not run with the entry dropped.
 * Absolute, no "." or ".." (the input walks up to an ancestor by text),
 * and a pattern only as one "*" in the last component.
 */
static int
inotify_check_dirs(const cJSON *v, conf_find_fn *find, char *why,
    size_t len)
{
	const cJSON	*e;
	char		 clean[PATH_MAX], *star;
	size_t		 i = 0;

	cJSON_ArrayForEach(e, v) {
		if (e->valuestring[0] != '/' || path_normalize(NULL,
		    e->valuestring, clean, sizeof(clean)) < 0) {
			snprintf(why, len, "entry %zu: expected an absolute "
			    "path, no \".\" or \"..\" components", i);
			return -EINVAL;
		}
		if ((star = strchr(clean, '*')) != NULL &&
		    (star < strrchr(clean, '/') || strchr(star + 1, '*'))) {
			snprintf(why, len, "entry %zu: a pattern has one "
			    "\"*\", in the last component", i);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

/*
 * inputs.inotify.pid_files: paths as on the host, where the VM's id
 * replaces the one "{vm}" (core/vm-registry.c, vm_find_pid).
 */
static int
inotify_check_pid_files(const cJSON *v, conf_find_fn *find, char *why,
    size_t len)
{
	const cJSON	*e;
	const char	*at;
	char		 clean[PATH_MAX];
	size_t		 i = 0;

	cJSON_ArrayForEach(e, v) {
		if (e->valuestring[0] != '/' || path_normalize(NULL,
		    e->valuestring, clean, sizeof(clean)) < 0 ||
		    (at = strstr(e->valuestring, "{vm}")) == NULL ||
		    strstr(at + 1, "{vm}") != NULL) {
			snprintf(why, len, "entry %zu: expected an absolute "
			    "path with \"{vm}\" once, no \".\" or \"..\" "
			    "components", i);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

const struct conf_key conf_table[] = {
	STR("socket.path", socket_path, KT_RUNDIR "/ksm-throttler.sock",
	    "control socket; its directory also holds the KSM state file"),
	STR("socket.group", socket_group, "",
	    "group whose members may change the host through the socket "
	    "(root always may); empty: root only"),
	UINT("socket.max_frame_bytes", socket_max_frame_bytes, 64, 1 << 24,
	    65536, "bytes", "largest request frame accepted"),
	UINT("socket.max_clients", socket_max_clients, 1, 65536, 1024,
	    "clients", "connections served at once; more are refused"),
	UINT("socket.idle_timeout_secs", socket_idle_timeout_secs, 1, 86400,
	    60, "seconds", "a client that sends no first request, stalls "
	    "mid-request or reads no replies this long is dropped"),

	BOOL("ksm.enabled", ksm_enabled, 1,
	    "tune /sys/kernel/mm/ksm; false leaves KSM as the host has it"),
	UINT("ksm.boost_cpu_percent", ksm_boost_cpu_percent, 1, 100, 100,
	    "percent", "most of one core ksmd may use while boosting "
	    "(100: ksmd's full speed)"),
	UINT("ksm.cpu_budget_percent", ksm_cpu_budget_percent, 1, 100, 10,
	    "percent", "ksmd's average share of one core over the budget "
	    "window; once spent, boosts are held to it"),
	UINT("ksm.cpu_budget_window_secs", ksm_cpu_budget_window_secs, 10,
	    86400, 600, "seconds", "the window the CPU budget is averaged over"),
	UINT("ksm.boost_pass_ms", ksm_boost_pass_ms, 50, 600000, 200, "ms",
	    "while boosting, scan fast enough for one full pass over the "
	    "scanned memory in this time"),
	UINT("ksm.idle_pass_secs", ksm_idle_pass_secs, 10, 86400, 120,
	    "seconds", "idle trickle: one full pass in this time, never faster "
	    "than the kernel's default of 100 pages per 20 ms"),
	UINT("ksm.settle_scans", ksm_settle_scans, 1, 100, 2, "full scans",
	    "full scans over memory that stopped growing, the last of them "
	    "merging nothing, before the boost ends"),
	UINT("ksm.pace_factor", ksm_pace_factor, 1, 16, 2, "times",
	    "while a new VM writes its memory, scan this many times as fast as "
	    "it arrives: higher merges sooner during a slow boot, for more "
	    "ksmd CPU"),
	UINT("ksm.detect_interval_ms", ksm_detect_interval_ms, 0, 600000, 1000,
	    "ms", "how often to look for new mergeable memory that came "
	    "without an event (0: never)"),
	UINT("ksm.gate_free_percent", ksm_gate_free_percent, 0, 97, 0,
	    "percent", "stop ksmd while available memory is above this share "
	    "plus 2, as ksmtuned does, and start it again at this share or "
	    "below (0: off)"),
	BOOL("ksm.use_advisor", ksm_use_advisor, 0,
	    "drive the kernel's advisor (advisor_mode=scan-time, Linux 6.8+) "
	    "instead of writing pages_to_scan"),

	BOOL("inputs.inotify.enabled", inotify_enabled, 1,
	    "watch sandbox directories for VMs"),
	STRLIST("inputs.inotify.dirs", inotify_dirs, "/run/vc/sbs",
	    inotify_check_dirs, "directories holding one subdirectory per VM, "
	    "or, where the last component is a pattern with one * "
	    "(DIR/*.pid), one pid file per VM; absolute, no . or .."),
	STRLIST("inputs.inotify.ignore", inotify_ignore, "driver.pid", NULL,
	    "names in those directories that are never VMs (libvirt keeps its "
	    "own pid, driver.pid, beside its guests')"),
	STRLIST("inputs.inotify.pid_files", inotify_pid_files,
	    "/run/vc/vm/{vm}/pid,/run/vc/sbs/{vm}/pid", inotify_check_pid_files,
	    "where runtimes record a VM's VMM pid ({vm}, once: the VM id; "
	    "absolute, no . or ..); the first that names a live process gives "
	    "the VM's KSM savings"),
	BOOL("inputs.libvirt.enabled", libvirt_enabled, 1,
	    "follow the domains libvirtd runs (where built with libvirt)"),
	STR("inputs.libvirt.uri", libvirt_uri, "qemu:///system",
	    "the libvirt connection, opened read-only; a local libvirtd"),

	BOOL("memcg.disabled", memcg_disabled, 0,
	    "turn the memcg reclaim engine off"),
	BOOL("memcg.swap", memcg_swap, 0,
	    "reclaim anonymous pages too, not only page cache"),
	UINT("memcg.swappiness_max", memcg_swappiness_max, 0, 200, 50, "",
	    "largest swappiness used when evicting (ratio swappiness/200)"),
	UINT("memcg.period_secs", memcg_period_secs, 1, 86400 * 7, 600,
	    "seconds", "wait between two reclaim runs"),
	UINT("memcg.period_psi_percent_limit", memcg_period_psi_percent_limit,
	    0, 100, 1, "percent",
	    "skip a cgroup whose memory+io stall share over the wait exceeds this"),
	UINT("memcg.eviction_psi_percent_limit",
	    memcg_eviction_psi_percent_limit, 0, 100, 1, "percent",
	    "stop evicting a cgroup once its stall share exceeds this"),
	UINT("memcg.eviction_run_aging_count_min",
	    memcg_eviction_run_aging_count_min, 0, 1000, 3, "runs",
	    "evict only after this many aging runs"),
	{ .name = "memcg.backend", .type = CONF_ENUM, .offset = O(memcg_backend),
	  .def = 0, .choices = memcg_backends,
	  .help = "how cgroups are reclaimed: auto (MGLRU where the kernel "
	  "has it, else memory.reclaim on cgroup v2, else force_empty on v1), "
	  "or one of those by name; read at start" },
	JSON("memcg.cgroups", memcg_cgroups, "[]", memcg_check_cgroups,
	    "globs of cgroup paths (relative to the memory controller's mount) "
	    "reclaimed every period besides the VMs' own; empty: none"),
	JSON("memcg.overrides", memcg_overrides, "[]", memcg_check_overrides,
	    "[{\"path\": GLOB, memcg keys...}]: settings for the cgroups "
	    "below a path; later entries win"),
	JSON("memcg.classes", memcg_classes, "[]", memcg_check_classes,
	    "[{\"name\": NAME, \"allowswap\": BOOL, memcg keys...}]: settings "
	    "for the cgroups of VMs created with --class NAME"),
	STR("memcg.cache_reclaim.parent", cache_reclaim_parent, "",
	    "cgroup whose leaf children have page cache reclaimed above the "
	    "threshold; empty: off"),
	{ .name = "memcg.cache_reclaim.threshold", .type = CONF_SIZE,
	  .offset = O(cache_reclaim_threshold), .defstr = "25%",
	  .unit = "bytes or percent of the limit",
	  .help = "page cache above which a leaf cgroup is reclaimed" },
	UINT("memcg.cache_reclaim.interval_secs", cache_reclaim_interval_secs,
	    1, 86400, 10, "seconds", "how often leaf cgroups are checked"),
	UINT("memcg.cache_reclaim.cooldown_secs", cache_reclaim_cooldown_secs,
	    0, 86400, 30, "seconds", "least time between two reclaims of a cgroup"),

	BOOL("compact.disabled", compact_disabled, 0,
	    "turn the compaction engine off"),
	UINT("compact.period_secs", compact_period_secs, 1, 86400 * 7, 600,
	    "seconds", "wait between two compaction checks"),
	UINT("compact.period_psi_percent_limit",
	    compact_period_psi_percent_limit, 0, 100, 1, "percent",
	    "skip compaction if the memory+io stall share over the wait exceeds this"),
	UINT("compact.compact_psi_percent_limit", compact_psi_percent_limit,
	    0, 100, 5, "percent",
	    "stop a running compaction once the stall share exceeds this"),
	UINT("compact.compact_sec_max", compact_sec_max, 1, 86400, 180,
	    "seconds", "longest a compaction may run"),
	UINT("compact.compact_order", compact_order, 0, 10, 9, "order",
	    "size of the free blocks compaction aims for"),
	UINT("compact.compact_threshold", compact_threshold, 0, UINT64_MAX,
	    1024, "pages", "fragmented pages that must have appeared to compact"),
	UINT("compact.compact_force_times", compact_force_times, 0, UINT64_MAX,
	    UINT64_MAX, "periods",
	    "force a compaction after this many periods without one "
	    "(0: every period; 18446744073709551615: never)"),

	STR("metrics.listen", metrics_listen, "127.0.0.1:9464",
	    "address:port of the Prometheus endpoint; empty: off"),

	{ .name = NULL }
};
