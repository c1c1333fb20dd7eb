/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A process's memory cgroup, from /proc/PID/cgroup (read through rootfs,
 * so that --root works): the memory controller's line on cgroup v1
 * ("4:memory:/machine/qemu-1-guest.libvirt-qemu"), the unified line
 * ("0::/qemu.slice/101.scope") on v2.  The root cgroup is no VM's own,
 * and is never given.  What the inputs hand the memcg engine for a VM
 * they found by themselves: the cgroup whose memory counts the VM's.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proc-cgroup.h"
#include "rootfs.h"
#include "util.h"

/* A process in a few hundred controllers is not one we look at. */
#define CGROUP_FILE_MAX	(64 * 1024)
/*
 * libvirt keeps QEMU's threads in a threaded "emulator" child of the
 * domain's cgroup on v2: a threaded cgroup has no memory files, its
 * memory is counted in its parent, so the parent is the VM's.  The same
 * rule is in contrib/hooks/libvirt-qemu (cgroup()), which cannot call
 * this.
 */
#define V2_EMULATOR	"/emulator"

/* The unified hierarchy's path to out: the cgroup memory counts in. */
static int
proc_cgroup_v2(char *path, char *out, size_t len)
{
	size_t	n = strlen(path), el = strlen(V2_EMULATOR);

	if (n > el && strcmp(path + n - el, V2_EMULATOR) == 0)
		path[n - el] = '\0';
	if (path[0] != '/' || path[1] == '\0')
		return -ENOENT;
	return xsnprintf(out, len, "%s", path);
}

/* The memory cgroup in text (which is cut up) to out; -ENOENT: none. */
int
proc_cgroup_parse(char *text, char *out, size_t len)
{
	char	*line, *ctl, *path, *save = NULL;
	char	 v2[PATH_MAX] = "";
	char	*tok, *tsave;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((ctl = strchr(line, ':')) == NULL ||
		    (path = strchr(++ctl, ':')) == NULL)
			continue;
		*path++ = '\0';
		if (strcmp(line, "0:") == 0 && *ctl == '\0') {
			(void)xsnprintf(v2, sizeof(v2), "%s", path);
			continue;
		}
		for (tok = strtok_r(ctl, ",", &tsave); tok != NULL;
		    tok = strtok_r(NULL, ",", &tsave))
			if (strcmp(tok, "memory") == 0)
				return *path == '/' && path[1] != '\0' ?
				    xsnprintf(out, len, "%s", path) : -ENOENT;
	}
	return proc_cgroup_v2(v2, out, len);
}

int
proc_cgroup(pid_t pid, char *out, size_t len)
{
	char	 path[64], *text;
	size_t	 n;
	int	 r;

	if (xsnprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid) < 0)
		return -ENAMETOOLONG;
	if ((r = rootfs_read_alloc(path, &text, &n, CGROUP_FILE_MAX)) < 0)
		return r;
	r = proc_cgroup_parse(text, out, len);
	free(text);
	return r;
}
