/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: what the memcg engine reads from the kernel, and the cgroup
 * paths it is given.  The first byte picks the parser, the rest is the
 * text: memory.stat (v1, v2), lru_gen (its first line the cgroup looked
 * for, as the engine knows it), memory.max, cgroup.controllers,
 * lru_gen/enabled; or three lines, a mount, a glob and a cgroup path
 * (from memcg.cgroups and a VM event's cgroup; path_normalize() is
 * also how inputs.inotify.dirs are read); or the engine's own state file.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memcg-backend.h"
#include "memcg-parse.h"
#include "memcg-policy.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Takes every line the state file parser hands over, as the engine does. */
static int
state_add(void *arg, const char *path, const char *value)
{
	if (*path != '/' || *value == '\0')
		abort();
	return 0;
}

/* The next line of *p, cut at its '\n'; "" at the end. */
static char *
line(char **p)
{
	char	*s = *p, *nl;

	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		*p = nl + 1;
	} else
		*p = s + strlen(s);
	return s;
}

static void
lru_gen(char *text, int few)
{
	struct memcg_gens	 gens[MEMCG_NODES_MAX];
	const char		*path = line(&text);
	unsigned		 id;
	size_t			 n, i;

	if (lru_gen_parse(text, path, &id, gens, few ? 1 : MEMCG_NODES_MAX,
	    &n) < 0)
		return;
	for (i = 0; i < n; i++)
		if (gens[i].max_seq < gens[i].min_seq)
			abort();
}

static void
paths(char *text)
{
	const char	*mount = line(&text), *glob = line(&text);
	char		 out[PATH_MAX];

	if (path_normalize(mount, text, out, sizeof(out)) < 0)
		return;
	if (out[0] != '/' || strstr(out, "//") != NULL)
		abort();
	(void)memcg_glob_match(mount, glob, out);
	(void)memcg_subtree_match(mount, glob, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memcg_stat	 st;
	unsigned long		 caps;
	uint64_t		 v;
	char			*text;

	if (size == 0 || (text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 8) {
	case 0: (void)memcg_stat_parse(text, 1, &st); break;
	case 1: (void)memcg_stat_parse(text, 0, &st); break;
	case 2: lru_gen(text, data[0] & 0x80); break;
	case 3: (void)memcg_max_parse(text, &v); break;
	case 4: (void)memcg_controllers_has(text, "memory"); break;
	case 5: (void)lru_gen_enabled_parse(text, &caps); break;
	case 6: paths(text); break;
	case 7: (void)memcg_state_parse(text, state_add, NULL); break;
	}
	free(text);
	return 0;
}
