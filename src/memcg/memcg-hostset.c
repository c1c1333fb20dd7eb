/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host settings the memcg engine changes outside its reclaim writes:
 * a class's allowswap on a cgroup's memory.swap.max, and MGLRU turned on
 * in /sys/kernel/mm/lru_gen/enabled.  Each goes through the host ledger
 * (ledger.c), which saves its original in the run directory's state file
 * before the first write, puts it back when the engine lets go of it or
 * at exit, and after a crash at the next start.  What is memcg's own
 * here: a knob's path, the cgroups' settings put back before MGLRU's at
 * exit, and the memcg.state an earlier release kept.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "log.h"
#include "memcg-backend.h"
#include "memcg-hostset.h"
#include "memcg-parse.h"
#include "util.h"

/* A line per VM's cgroup: this is thousands of VMs; bigger is not ours. */
#define LEGACY_MAX	(1024 * 1024)

struct memcg_hostset {
	const struct memcg_host	*host;
	struct ledger		*ledger;
};

struct memcg_hostset *
memcg_hostset_new(const struct memcg_host *h, struct ledger *l)
{
	struct memcg_hostset	*hs;

	hs = xcalloc(1, sizeof(*hs));
	hs->host = h;
	hs->ledger = l;
	return hs;
}

void
memcg_hostset_free(struct memcg_hostset *hs)
{
	free(hs);
}

static int
knob_path(const struct memcg_hostset *hs, enum memcg_knob knob,
    const char *cg, char *buf, size_t len)
{
	if (knob == MEMCG_KNOB_SWAP_MAX)
		return memcg_cg_file(hs->host, cg, "memory.swap.max", buf, len);
	return xsnprintf(buf, len, "%s", MEMCG_LRU_GEN_ENABLED);
}

/* Write value, the original saved first: 0, or -errno, nothing written. */
int
memcg_hostset_set(struct memcg_hostset *hs, enum memcg_knob knob,
    const char *cg, const char *value)
{
	char	path[PATH_MAX];
	int	first, r;

	if (hs->ledger == NULL)
		return -ENODEV;
	if ((r = knob_path(hs, knob, cg, path, sizeof(path))) < 0)
		return r;
	first = ledger_original(hs->ledger, path) == NULL;
	if ((r = ledger_set(hs->ledger, path, value)) < 0)
		return r;
	if (knob == MEMCG_KNOB_LRU_GEN && first)
		log_info("memcg: MGLRU was off (%s), turned on; it goes back "
		    "at exit", ledger_original(hs->ledger, path));
	return 0;
}

/* Put one back; one that cannot be is kept by the ledger, for exit. */
void
memcg_hostset_restore(struct memcg_hostset *hs, enum memcg_knob knob,
    const char *cg)
{
	char	path[PATH_MAX];

	if (hs->ledger != NULL &&
	    knob_path(hs, knob, cg, path, sizeof(path)) == 0)
		(void)ledger_restore(hs->ledger, path);
}

/*
 * The engine lets go: every cgroup's first, then MGLRU's switch, the
 * opposite of the order they were changed in.
 */
void
memcg_hostset_restore_all(struct memcg_hostset *hs)
{
	if (hs->ledger == NULL || hs->host->mount[0] == '\0')
		return;
	(void)ledger_restore_below(hs->ledger, hs->host->mount);
	memcg_hostset_restore(hs, MEMCG_KNOB_LRU_GEN, NULL);
}

/* ---- memcg.state, as an earlier release kept it ------------------------ */

struct legacy {
	struct memcg_hostset	*hs;
	ledger_add_fn		 add;
	void			*addarg;
};

/* "CGROUP VALUE": the cgroup's memory.swap.max, as the ledger names it. */
static int
legacy_line(void *arg, const char *cg, const char *value)
{
	struct legacy	*lg = arg;
	char		 path[PATH_MAX];
	int		 r;

	if ((r = knob_path(lg->hs, MEMCG_KNOB_SWAP_MAX, cg, path,
	    sizeof(path))) < 0)
		return r;
	return lg->add(lg->addarg, path, value);
}

static int
legacy_parse(const char *text, ledger_add_fn add, void *addarg, void *arg)
{
	struct legacy	lg = { arg, add, addarg };

	return memcg_state_parse(text, legacy_line, &lg);
}

static const struct ledger_legacy memcg_legacy = {
	.name = "memcg.state",
	.what = "memory.swap.max values",
	.max = LEGACY_MAX,
	.parse = legacy_parse,
};

/*
 * A memcg.state left by an earlier release names cgroups below the
 * memory controller's mount: handed to the ledger, which puts them back,
 * once there is one.  Until then it is kept.
 */
void
memcg_hostset_recover(struct memcg_hostset *hs)
{
	if (hs->ledger == NULL || hs->host->mount[0] == '\0' ||
	    hs->host->method == NULL)
		return;
	ledger_adopt(hs->ledger, &memcg_legacy, hs);
}
