/* SPDX-License-Identifier: Apache-2.0 */
/* A fake root file system in a temporary directory, for unit tests. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faketree.h"

char *
faketree_new(void)
{
	char	tmpl[] = "/tmp/kt-unit.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		abort();
	return strdup(tmpl);
}

static void
mkdirs(char *path)
{
	char	*p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			abort();
		*p = '/';
	}
}

void
faketree_put(const char *root, const char *path, const char *contents)
{
	char	 full[PATH_MAX];
	FILE	*f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	mkdirs(full);
	if ((f = fopen(full, "w")) == NULL)
		abort();
	fputs(contents, f);
	fclose(f);
}

char *
faketree_get(const char *root, const char *path)
{
	char	 full[PATH_MAX], buf[4096];
	FILE	*f;
	size_t	 n;

	snprintf(full, sizeof(full), "%s%s", root, path);
	if ((f = fopen(full, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

void
faketree_rm(const char *root, const char *path)
{
	char	full[PATH_MAX];

	snprintf(full, sizeof(full), "%s%s", root, path);
	unlink(full);
}

void
faketree_free(char *root)
{
	char	cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		abort();
	free(root);
}
