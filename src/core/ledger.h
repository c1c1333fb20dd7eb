/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host ledger: every write to a host setting (a kernel path, through
 * rootfs.h) goes through it.  It saves the setting's original, in memory
 * and in one crash-safe state file in the run directory, before the
 * first write, and never writes a setting whose original it could not
 * save; it puts the originals back (one early, a domain's, or all at
 * exit), and at start replays what a run that crashed left.
 */
#ifndef KT_LEDGER_H
#define KT_LEDGER_H

#include <stddef.h>

#define LEDGER_STATE_NAME	"host.state"

struct ledger;

/* One saved original handed over by a parser: 0, or -errno to refuse. */
typedef int	(*ledger_add_fn)(void *, const char *, const char *);

/*
 * An owner whose settings go back in an order of its own: every setting
 * below prefix is put back by restore(ledger, arg), which calls
 * ledger_restore for each one it wants back, in its order.
 */
struct ledger_domain {
	const char	*what;		/* "KSM settings", for logs */
	const char	*prefix;	/* "/sys/kernel/mm/ksm/" */
	int		(*restore)(struct ledger *, void *);
};

/*
 * A state file an older release kept in the run directory: parse hands
 * each (path, original) it holds to add(addarg, ...); arg is the owner's.
 */
struct ledger_legacy {
	const char	*name;		/* "ksm.state" */
	const char	*what;		/* for logs */
	size_t		 max;		/* bigger is not ours */
	int		(*parse)(const char *, ledger_add_fn, void *, void *);
};

struct ledger	*ledger_open(int, const char *);
void		 ledger_close(struct ledger *);
int		 ledger_domain_add(struct ledger *, const struct ledger_domain *,
		    void *);
void		 ledger_adopt(struct ledger *, const struct ledger_legacy *,
		    void *);
void		 ledger_replay(struct ledger *);
int		 ledger_save(struct ledger *, size_t, const char *const *,
		    const char *const *);
int		 ledger_set(struct ledger *, const char *, const char *);
const char	*ledger_original(const struct ledger *, const char *);
int		 ledger_restore(struct ledger *, const char *);
int		 ledger_restore_below(struct ledger *, const char *);
int		 ledger_restore_all(struct ledger *);
const char	*ledger_statefile(const struct ledger *);
int		 ledger_state_parse(const char *, ledger_add_fn, void *);

#endif
