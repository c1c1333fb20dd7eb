/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inotify input.  Each directory in inputs.inotify.dirs holds one
 * subdirectory per VM (Kata runtimes keep /run/vc/sbs/<sandbox>): a
 * subdirectory that appears is a CREATED event for the VM it names, one
 * that goes is DESTROYED.  An entry whose last component is a pattern
 * with one "*" holds one pid file per VM instead (libvirt writes
 * /run/libvirt/qemu/NAME.pid, Proxmox /run/qemu-server/VMID.pid: the
 * entries end in "*.pid"): a file matching it that names a live process
 * is a VM, its id what the "*" stands for, its VMM that pid.
 *
 * A configured directory that does not exist is waited for by watching
 * its nearest existing ancestor; one that is deleted or moved away, or
 * one of whose ancestors is, is waited for again.  Whenever a directory
 * is (re)watched, and after the inotify queue overflowed, it is scanned
 * and the scan compared with the VMs known there (vmset_diff): only the
 * difference is reported, so no event is lost and none is doubled.
 * Watching comes before looking, so that nothing can happen unseen
 * between the two.  The VMs known there start as those the VM registry
 * holds from that directory (each event names it as its sender): a
 * directory watched again, or the input started again, reports only
 * what changed while it was not looking.
 *
 * A file system mounted over a watched directory or one of its
 * ancestors says nothing to inotify (one unmounted does: IN_UNMOUNT): the
 * path names another directory while the watch stays on the covered one.
 * So the mount table is watched too (poll on /proc/self/mountinfo wakes
 * on every change), and at each change a directory whose path no longer
 * names the inode watched is resolved again, as after a move.
 *
 * Directories are resolved below --root, like every host path.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "bus.h"
#include "log.h"
#include "proc-cgroup.h"
#include "module.h"
#include "rootfs.h"
#include "util.h"
#include "idset.h"
#include "vm-registry.h"

#define INPUT_NAME	"inotify"

/*
 * One mask for every watch, whether on a VM directory or on an ancestor
 * waited in: inotify has one watch per inode, shared by every directory
 * that needs it, so the masks must not fight.
 */
#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | \
			 IN_MODIFY | IN_CLOSE_WRITE)
/*
 * Ancestors of what is watched are watched for their own moves only, on
 * an inotify instance of their own: an inode has one watch, one mask,
 * per instance, and what happens in an ancestor is no business of ours
 * unless a directory waits in it.  Renaming an ancestor moves the watched
 * directory away from its path without a word to its own watch.
 */
#define ANCESTOR_MASK	(IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/*
 * A pid file is a VM once it holds a pid: it may be created empty.  One
 * written again may name another VMM (one restarted under the same
 * file), or one that is gone.
 */
#define PIDFILE_NEWS	(IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE)
/*
 * Path components that appear while we walk are chased this many times
 * in one go; past that the next event on the ancestor tries again.
 */
#define RESOLVE_TRIES	32
/* One read per callback: bounded work, and libevent calls again. */
#define READ_BUF	(64 * 1024)
/*
 * Before a mount change is looked at, what the watches queued is read:
 * this many reads at most, so that a directory busy without end cannot
 * hold the loop.
 */
#define MOUNT_DRAIN_READS	64
/* What is not watched, or failed its scan, is tried again this often. */
#define OFF_RETRY_SECS		10

enum wdir_state {
	WDIR_OFF,		/* bad path or inotify refused: logged */
	WDIR_WAITING,		/* missing: an ancestor is watched */
	WDIR_WATCHING,
	WDIR_STATE_MAX
};

static const char *wdir_state_names[WDIR_STATE_MAX] = {
	[WDIR_OFF] = "off",
	[WDIR_WAITING] = "waiting",
	[WDIR_WATCHING] = "watching",
};

struct wdir {
	char		*path;			/* as configured */
	char		 full[PATH_MAX];	/* below --root */
	char		*prefix;		/* pid files: the pattern's */
	char		*suffix;		/* parts; NULL: directories */
	char		*origin;		/* full below the root, pattern */
	size_t		 rootlen;		/* full[0..rootlen) is the root */
	enum wdir_state	 state;
	int		 off_err;		/* OFF: why, as logged; 0: not */
	int		 scan_failed;		/* the last scan: to try again */
	int		 wd;			/* -1: none */
	char		 anc[PATH_MAX];		/* WAITING: the ancestor watched */
	int		*awd;			/* ancestors' watches, on afd */
	size_t		 nawd;
	struct vmset	 vms;			/* VMs known to be there */
};

struct inotify_input {
	struct daemon	*d;
	struct bus_port	*port;
	int		 fd;
	struct event	*ev;
	int		 afd;			/* ancestors' instance */
	struct event	*aev;
	int		 mfd;			/* /proc/self/mountinfo */
	struct event	*mev;
	struct event	*retry;			/* the directories off */
	struct wdir	*dirs;
	size_t		 ndirs;
	const struct wdir *scanning;		/* wdir_report's */
	uint64_t	 overflows;
	char		*buf;
};

static void	wdir_resolve(struct inotify_input *, struct wdir *);

/* Cut p to its parent, not above the root; -1 if p is the root. */
static int
path_up(char *p, size_t rootlen)
{
	char	*slash;

	if (strlen(p) <= (rootlen ? rootlen : 1))
		return -1;
	slash = strrchr(p, '/');
	if ((size_t)(slash - p) <= rootlen) {
		if (rootlen == 0)
			strcpy(p, "/");
		else
			p[rootlen] = '\0';
		return 0;
	}
	*slash = '\0';
	return 0;
}

/* The path as configured, for a path below the root (status, logs). */
static const char *
path_shown(const struct wdir *w, const char *full)
{
	return full[w->rootlen] == '\0' ? "/" : full + w->rootlen;
}

/*
 * Cut a pattern ("*.pid") off the end of path into w's prefix and
 * suffix.  One "*", in the last component only.
 */
static int
wdir_pattern(struct wdir *w, char *path)
{
	char	*last = strrchr(path, '/'), *star = strchr(path, '*');

	if (star == NULL)
		return 0;
	if (star < last || strchr(star + 1, '*') != NULL)
		return -EINVAL;
	*star = '\0';
	w->prefix = xstrdup(last + 1);
	w->suffix = xstrdup(star + 1);
	*(last == path ? last + 1 : last) = '\0';
	return 0;
}

/*
 * Where w's VMs come from, one spelling for one directory and pattern
 * (the path below the root, then "/" and the pattern for pid files): the
 * VM registry keeps it with each VM.
 */
static int
wdir_origin(struct wdir *w)
{
	char		 buf[PATH_MAX];
	const char	*dir = path_shown(w, w->full);

	if (w->prefix == NULL) {
		w->origin = xstrdup(dir);
		return 0;
	}
	if (xsnprintf(buf, sizeof(buf), "%s%s%s*%s", dir,
	    strcmp(dir, "/") == 0 ? "" : "/", w->prefix, w->suffix) < 0)
		return -ENAMETOOLONG;
	w->origin = xstrdup(buf);
	return 0;
}

static int
wdir_init(struct wdir *w, const char *path)
{
	const char	*root = rootfs_root();
	char		 clean[PATH_MAX];
	size_t		 rl = strlen(root);
	int		 r;

	memset(w, 0, sizeof(*w));
	w->wd = -1;
	w->state = WDIR_OFF;
	w->path = xstrdup(path);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	w->rootlen = rl;
	/* Absolute, no "." or "..": the walk up to an ancestor is textual. */
	if (*path != '/')
		return -EINVAL;
	if ((r = path_normalize(NULL, path, clean, sizeof(clean))) < 0 ||
	    (r = wdir_pattern(w, clean)) < 0 ||
	    (r = xsnprintf(w->full, sizeof(w->full), "%.*s%s", (int)rl, root,
	    rl && strcmp(clean, "/") == 0 ? "" : clean)) < 0)
		return r;
	return wdir_origin(w);
}

static void
wdir_free(struct wdir *w)
{
	vmset_clear(&w->vms);
	free(w->path);
	free(w->prefix);
	free(w->suffix);
	free(w->origin);
	free(w->awd);
}

/* Is name one that inputs.inotify.ignore says is never a VM? */
static int
name_ignored(const struct inotify_input *ii, const char *name)
{
	const struct strlist	*l = &bus_conf(ii->port)->inotify_ignore;
	size_t			 i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 1;
	return 0;
}

/* The VM a name in w stands for, or NULL: not one of w's names. */
static const char *
wdir_vm_id(const struct inotify_input *ii, const struct wdir *w,
    const char *name, char *id, size_t len)
{
	size_t	n = strlen(name), pl, sl;

	if (name_ignored(ii, name))
		return NULL;
	if (w->prefix == NULL)
		return name;
	pl = strlen(w->prefix);
	sl = strlen(w->suffix);
	if (n <= pl + sl || strncmp(name, w->prefix, pl) != 0 ||
	    strcmp(name + n - sl, w->suffix) != 0 ||
	    xsnprintf(id, len, "%.*s", (int)(n - pl - sl), name + pl) < 0)
		return NULL;
	return id;
}

/*
 * What the pid file of a VM in a pid-file directory says: 1 and the live
 * VMM's pid, 0 for a pid that is no process, -1 for no pid (yet).
 */
static int
wdir_pidfile(const struct wdir *w, const char *id, pid_t *pid)
{
	char	path[PATH_MAX];

	*pid = 0;
	if (w->prefix == NULL || xsnprintf(path, sizeof(path), "%s/%s%s%s",
	    path_shown(w, w->full), w->prefix, id, w->suffix) < 0)
		return -1;
	return rootfs_pidfile(path, pid);
}

/* The live VMM pid of a VM in a pid-file directory; 0: none (yet). */
static pid_t
wdir_vm_pid(const struct wdir *w, const char *id)
{
	pid_t	pid;

	(void)wdir_pidfile(w, id, &pid);
	return pid;
}

/* The component of w->full just below the ancestor anc. */
static const char *
wdir_next(const struct wdir *w, const char *anc, size_t *len)
{
	const char	*p = w->full + strlen(anc);

	if (*p == '/')
		p++;
	*len = (size_t)(strchrnul(p, '/') - p);
	return p;
}

static int
wdir_is_next(const struct wdir *w, const char *name)
{
	const char	*next;
	size_t		 len;

	next = wdir_next(w, w->anc, &len);
	return strlen(name) == len && strncmp(name, next, len) == 0;
}

/* Is the next component below anc there, and a directory? */
static int
wdir_next_is_dir(const struct wdir *w, const char *anc)
{
	struct stat	 st;
	char		 child[PATH_MAX];
	const char	*next;
	size_t		 len;

	next = wdir_next(w, anc, &len);
	memcpy(child, w->full, (size_t)(next - w->full) + len);
	child[(size_t)(next - w->full) + len] = '\0';
	return stat(child, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
wd_used(const struct inotify_input *ii, int wd)
{
	size_t	i;

	for (i = 0; i < ii->ndirs; i++)
		if (ii->dirs[i].wd == wd)
			return 1;
	return 0;
}

static void
wd_release(struct inotify_input *ii, int wd)
{
	if (wd != -1 && !wd_used(ii, wd))
		inotify_rm_watch(ii->fd, wd);
}

static int
awd_used(const struct inotify_input *ii, int wd)
{
	size_t	i, j;

	for (i = 0; i < ii->ndirs; i++)
		for (j = 0; j < ii->dirs[i].nawd; j++)
			if (ii->dirs[i].awd[j] == wd)
				return 1;
	return 0;
}

/* Let go of the ancestors' watches in awd that no directory needs. */
static void
awd_release(struct inotify_input *ii, int *awd, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (awd[i] != -1 && !awd_used(ii, awd[i]))
			inotify_rm_watch(ii->afd, awd[i]);
	free(awd);
}

/*
 * Watch every ancestor of w below the root that is there, for its moves
 * (ANCESTOR_MASK), before w itself or the ancestor it waits in.  One
 * that cannot be watched is not there, or the watch on w fails too and
 * says so.
 */
static void
wdir_watch_above(struct inotify_input *ii, struct wdir *w)
{
	char	 p[PATH_MAX];
	int	*old = w->awd, wd;
	size_t	 nold = w->nawd;

	w->awd = NULL;
	w->nawd = 0;
	(void)xsnprintf(p, sizeof(p), "%s", w->full);
	while (path_up(p, w->rootlen) == 0 &&
	    strlen(p) > (w->rootlen ? w->rootlen : 1)) {
		if ((wd = inotify_add_watch(ii->afd, p, ANCESTOR_MASK)) == -1)
			continue;
		w->awd = reallocarray(w->awd, w->nawd + 1, sizeof(*w->awd));
		if (w->awd == NULL)
			fatal("reallocarray");
		w->awd[w->nawd++] = wd;
	}
	awd_release(ii, old, nold);
}

static void
wdir_set(struct inotify_input *ii, struct wdir *w, enum wdir_state s, int wd,
    const char *anc)
{
	int	old = w->wd;
	int	changed;

	changed = w->state != s || (anc != NULL && strcmp(w->anc, anc) != 0);
	if (s != WDIR_OFF)
		w->off_err = 0;
	w->state = s;
	w->wd = wd;
	if (anc != NULL)
		(void)xsnprintf(w->anc, sizeof(w->anc), "%s", anc);
	if (old != wd)
		wd_release(ii, old);
	if (!changed)
		return;
	if (s == WDIR_WATCHING)
		log_info("inotify: watching %s", w->path);
	else if (s == WDIR_WAITING)
		log_info("inotify: %s is not a directory (yet), waiting for "
		    "it in %s", w->path, path_shown(w, w->anc));
}

/*
 * Emit ev from w, with the cgroup of a VMM that a pid file named; w is
 * its sender, which the VM registry keeps.
 */
static void
vm_emit(struct inotify_input *ii, const struct wdir *w, struct vm_event *ev)
{
	char	cgroup[PATH_MAX];

	if (ev->type != VM_DESTROYED && ev->pid > 0 &&
	    proc_cgroup(ev->pid, cgroup, sizeof(cgroup)) >= 0)
		ev->cgroup = cgroup;
	ev->sender = w->origin;
	bus_emit(ii->port, ev);
}

static void
wdir_report(void *arg, const char *id, pid_t pid, int appeared)
{
	struct inotify_input	*ii = arg;
	struct vm_event		 ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = appeared ? VM_CREATED : VM_DESTROYED;
	(void)xsnprintf(ev.vm_id, sizeof(ev.vm_id), "%s", id);
	/* Gone, the VMM it had: the registry knows which run went. */
	ev.pid = pid;
	vm_emit(ii, ii->scanning, &ev);
}

/* A subdirectory, or for pid files a regular file: the kind w wants. */
static int
is_kind(const struct wdir *w, int dfd, const struct dirent *de)
{
	struct stat	st;
	int		dir = w->prefix == NULL;

	if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
		return 0;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == (dir ? DT_DIR : DT_REG);
	return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

/*
 * A name in a scan of w that is a VM there now: its id to *id, its VMM's
 * pid, if a pid file names it, to *pid.
 */
static int
wdir_has_vm(const struct inotify_input *ii, const struct wdir *w, int dfd,
    const struct dirent *de, char *id, size_t len, pid_t *pid)
{
	const char	*vm;

	*pid = 0;
	if (!is_kind(w, dfd, de) ||
	    (vm = wdir_vm_id(ii, w, de->d_name, id, len)) == NULL)
		return 0;
	if (vm != id)
		(void)xsnprintf(id, len, "%s", vm);
	return w->prefix == NULL || (*pid = wdir_vm_pid(w, id)) > 0;
}

/* What is there now; -errno if the scan could not be completed. */
static int
wdir_read(const struct inotify_input *ii, const struct wdir *w,
    struct vmset *seen)
{
	struct dirent	*de;
	DIR		*dir;
	char		 id[VM_ID_MAX];
	pid_t		 pid;
	int		 fd, err;

	if ((fd = open(w->full, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	if ((dir = fdopendir(fd)) == NULL) {
		err = -errno;
		close(fd);
		return err;
	}
	for (errno = 0; (de = readdir(dir)) != NULL; errno = 0)
		if (wdir_has_vm(ii, w, dirfd(dir), de, id, sizeof(id), &pid))
			vmset_append_pid(seen, id, pid);
	err = -errno;
	closedir(dir);
	vmset_sort(seen);
	return err;
}

/*
 * Compare a fresh scan with the VMs known there and report the
 * difference.  A scan that failed half way says nothing: reporting from
 * it would destroy VMs that are still there.
 */
static void
wdir_scan(struct inotify_input *ii, struct wdir *w)
{
	struct vmset	seen = { NULL, 0, 0, NULL };
	size_t		n;
	int		r;

	if ((r = wdir_read(ii, w, &seen)) < 0) {
		/* Gone already: IN_IGNORED follows, and we wait again. */
		if (r != -ENOENT && !w->scan_failed) {
			errno = -r;
			log_warn("inotify: cannot scan %s, trying again every "
			    "%d s", w->path, OFF_RETRY_SECS);
		}
		w->scan_failed = r != -ENOENT;
		vmset_clear(&seen);
		return;
	}
	if (w->scan_failed)
		log_info("inotify: scanned %s again", w->path);
	w->scan_failed = 0;
	ii->scanning = w;
	n = vmset_diff(&w->vms, &seen, wdir_report, ii);
	vmset_swap(&w->vms, &seen);
	vmset_clear(&seen);
	log_debug("inotify: scanned %s: %zu VMs, %zu changes", w->path,
	    w->vms.n, n);
}

/* Watch the nearest existing ancestor of w; its path goes to anc. */
static int
wdir_watch_ancestor(struct inotify_input *ii, struct wdir *w, char *anc,
    size_t len)
{
	int	wd;

	(void)xsnprintf(anc, len, "%s", w->full);
	while (path_up(anc, w->rootlen) == 0) {
		if ((wd = inotify_add_watch(ii->fd, anc, WATCH_MASK)) != -1)
			return wd;
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
	}
	return -ENOENT;
}

/*
 * w cannot be watched.  It is tried again every OFF_RETRY_SECS and at
 * each mount change (a watch limit raised, a loop of symlinks mended):
 * said once for each reason, not at every try.
 */
static void
wdir_off(struct inotify_input *ii, struct wdir *w, int err, const char *what)
{
	if (w->state != WDIR_OFF || w->off_err != err) {
		errno = -err;
		log_warn("inotify: %s: %s, not watching it", w->path, what);
	}
	w->off_err = err;
	wdir_set(ii, w, WDIR_OFF, -1, NULL);
}

/*
 * Watch w, or the nearest ancestor it will appear in, and scan it.  Safe
 * to call at any time: inotify gives an inode the watch it has already,
 * so a path that still names the directory watched keeps its watch and
 * the directory is only rescanned, and one that names another (an
 * ancestor moved, and the path made again) moves the watch there.
 */
static void
wdir_resolve(struct inotify_input *ii, struct wdir *w)
{
	char	anc[PATH_MAX];
	int	tries, wd;

	for (tries = 0; tries < RESOLVE_TRIES; tries++) {
		wdir_watch_above(ii, w);
		if ((wd = inotify_add_watch(ii->fd, w->full, WATCH_MASK)) != -1) {
			wdir_set(ii, w, WDIR_WATCHING, wd, NULL);
			wdir_scan(ii, w);
			return;
		}
		if (errno != ENOENT && errno != ENOTDIR) {
			wdir_off(ii, w, -errno, "inotify_add_watch");
			return;
		}
		if ((wd = wdir_watch_ancestor(ii, w, anc, sizeof(anc))) < 0) {
			wdir_off(ii, w, wd, "no ancestor can be watched");
			return;
		}
		/* Looked after watching: what appears from now on is seen. */
		if (!wdir_next_is_dir(w, anc) || tries == RESOLVE_TRIES - 1) {
			wdir_set(ii, w, WDIR_WAITING, wd, anc);
			return;
		}
		if (wd != w->wd)
			wd_release(ii, wd);
	}
}

/*
 * A pid file of w created, moved in or written.  It is a VM once it
 * names a live VMM; naming another VMM than the one known, it is the VM
 * gone and come again (a VMM restarted under the same file); naming a
 * pid that is no process, the VM gone.  No pid in it (yet) says nothing:
 * its writer is part way.
 */
static void
wdir_pidfile_news(struct inotify_input *ii, struct wdir *w,
    struct vm_event *ev)
{
	pid_t	pid;
	int	known, r;

	known = vmset_has(&w->vms, ev->vm_id);
	if ((r = wdir_pidfile(w, ev->vm_id, &pid)) < 0)
		return;
	if (known && r > 0 &&
	    !vmset_pid_changed(vmset_pid(&w->vms, ev->vm_id), pid)) {
		(void)vmset_put(&w->vms, ev->vm_id, pid);
		return;
	}
	if (known) {
		ev->type = VM_DESTROYED;
		ev->pid = vmset_pid(&w->vms, ev->vm_id);
		(void)vmset_del(&w->vms, ev->vm_id);
		vm_emit(ii, w, ev);
	}
	if (r == 0)
		return;
	(void)vmset_put(&w->vms, ev->vm_id, pid);
	ev->type = VM_CREATED;
	ev->pid = pid;
	ev->cgroup = NULL;
	vm_emit(ii, w, ev);
}

static void
wdir_event(struct inotify_input *ii, struct wdir *w,
    const struct inotify_event *ie)
{
	struct vm_event	 ev;
	const char	*id;
	int		 isdir = (ie->mask & IN_ISDIR) != 0;

	if (ie->mask & IN_IGNORED) {
		w->wd = -1;		/* the kernel dropped it already */
		wdir_resolve(ii, w);
		return;
	}
	if (ie->mask & IN_MOVE_SELF) {
		wdir_resolve(ii, w);
		return;
	}
	if (ie->len == 0)
		return;
	if (w->state == WDIR_WAITING) {
		/* A directory, or a symbolic link to one: resolving says. */
		if ((ie->mask & (IN_CREATE | IN_MOVED_TO)) &&
		    wdir_is_next(w, ie->name))
			wdir_resolve(ii, w);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	if (w->state != WDIR_WATCHING || isdir != (w->prefix == NULL) ||
	    (id = wdir_vm_id(ii, w, ie->name, ev.vm_id, sizeof(ev.vm_id))) ==
	    NULL)
		return;
	/* NAME_MAX fits: VM_ID_MAX is NAME_MAX + 1. */
	if (id != ev.vm_id)
		(void)xsnprintf(ev.vm_id, sizeof(ev.vm_id), "%s", id);
	if (w->prefix != NULL && (ie->mask & PIDFILE_NEWS)) {
		wdir_pidfile_news(ii, w, &ev);
		return;
	}
	if ((ie->mask & (IN_CREATE | IN_MOVED_TO)) &&
	    vmset_add(&w->vms, ev.vm_id))
		ev.type = VM_CREATED;
	else if (ie->mask & (IN_DELETE | IN_MOVED_FROM)) {
		ev.type = VM_DESTROYED;
		ev.pid = vmset_pid(&w->vms, ev.vm_id);
		if (!vmset_del(&w->vms, ev.vm_id))
			return;		/* not known: no news */
	} else
		return;		/* known already: no news */
	vm_emit(ii, w, &ev);
}

static void
inotify_overflow(struct inotify_input *ii)
{
	size_t	i;

	ii->overflows++;
	log_warnx("inotify: event queue overflowed, rescanning %zu "
	    "directories", ii->ndirs);
	for (i = 0; i < ii->ndirs; i++)
		wdir_resolve(ii, &ii->dirs[i]);
}

static void
inotify_dispatch(struct inotify_input *ii, const struct inotify_event *ie)
{
	size_t	i;

	if (ie->mask & IN_Q_OVERFLOW) {
		inotify_overflow(ii);
		return;
	}
	for (i = 0; i < ii->ndirs; i++)
		if (ii->dirs[i].wd == ie->wd)
			wdir_event(ii, &ii->dirs[i], ie);
}

/* An ancestor of a directory moved or went: is its path still it? */
static void
inotify_ancestor(struct inotify_input *ii, const struct inotify_event *ie)
{
	struct wdir	*w;
	size_t		 i, j;

	if (ie->mask & IN_Q_OVERFLOW) {
		inotify_overflow(ii);
		return;
	}
	for (i = 0; i < ii->ndirs; i++) {
		w = &ii->dirs[i];
		for (j = 0; j < w->nawd && w->awd[j] != ie->wd; j++)
			;
		if (j == w->nawd)
			continue;
		if (ie->mask & IN_IGNORED)
			w->awd[j] = -1;	/* the kernel dropped it */
		wdir_resolve(ii, w);
	}
}

/* One read of fd's queue, handled; 0 once it is empty. */
static int
inotify_read_once(struct inotify_input *ii, int fd)
{
	const struct inotify_event	*ie;
	ssize_t				 n;
	size_t				 off;

	if ((n = read(fd, ii->buf, READ_BUF)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("inotify: read, ignoring");
		return errno == EINTR;
	}
	for (off = 0; off + sizeof(*ie) <= (size_t)n;
	    off += sizeof(*ie) + ie->len) {
		ie = (const struct inotify_event *)(void *)(ii->buf + off);
		if (fd == ii->afd)
			inotify_ancestor(ii, ie);
		else
			inotify_dispatch(ii, ie);
	}
	return n > 0;
}

static void
inotify_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(void)inotify_read_once(arg, fd);
}

/*
 * The mount table changed.  Adding the watch a directory has already
 * gives back its descriptor and changes nothing: another descriptor is
 * another inode at its path (a file system mounted over it or above it),
 * and the directory is resolved again.  One waiting is looked at again
 * too: its ancestor may be covered, or what it waits for mounted; and one
 * off: what refused it may be mended.
 */
static void
inotify_mounts(evutil_socket_t fd, short what, void *arg)
{
	struct inotify_input	*ii = arg;
	struct wdir		*w;
	size_t			 i;
	int			 n, wd;

	(void)fd;
	(void)what;
	/*
	 * What the watches said before the change comes first: a directory
	 * deleted and then a mount elsewhere would otherwise be taken for
	 * one a mount covered, and its VMs' deletions, queued on the watch
	 * that resolving releases, never read.
	 */
	for (n = 0; n < MOUNT_DRAIN_READS && (inotify_read_once(ii, ii->afd) ||
	    inotify_read_once(ii, ii->fd)); n++)
		;
	for (i = 0; i < ii->ndirs; i++) {
		w = &ii->dirs[i];
		if (w->state == WDIR_WATCHING) {
			wd = inotify_add_watch(ii->fd, w->full, WATCH_MASK);
			if (wd == w->wd)
				continue;
			/* Any other error is wdir_resolve()'s to say. */
			if (wd != -1 || errno == ENOENT || errno == ENOTDIR)
				log_info("inotify: %s: another file system "
				    "there now", w->path);
			wdir_resolve(ii, w);
			wd_release(ii, wd);
		} else
			wdir_resolve(ii, w);	/* waiting, or off */
	}
}

/*
 * Watch the mount table: poll on it reports a change as an edge, which
 * only a backend with edge-triggered events (epoll) can wait for.
 */
static void
inotify_watch_mounts(struct inotify_input *ii)
{
	struct event_base	*base = bus_base(ii->port);

	if (!(event_base_get_features(base) & EV_FEATURE_ET)) {
		log_warnx("inotify: libevent's %s backend has no edge-"
		    "triggered events for the mount table: mounts over "
		    "watched directories go unseen, ignoring",
		    event_base_get_method(base));
		return;
	}
	if ((ii->mfd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		log_warn("inotify: /proc/self/mountinfo (mounts over watched "
		    "directories go unseen), ignoring");
		return;
	}
	ii->mev = event_new(base, ii->mfd, EV_READ | EV_ET | EV_PERSIST,
	    inotify_mounts, ii);
	if (ii->mev == NULL || event_add(ii->mev, NULL) == -1)
		log_warnx("inotify: cannot wait for mount changes (mounts "
		    "over watched directories go unseen), ignoring");
}

/*
 * Every OFF_RETRY_SECS, what is not watched is tried again: a directory
 * inotify refused, one waited for (what it waits for may have come in a
 * way no event says: a symbolic link that now resolves), one whose scan
 * failed (no descriptor left after an overflow).
 */
static void
inotify_retry(evutil_socket_t fd, short what, void *arg)
{
	struct inotify_input	*ii = arg;
	struct wdir		*w;
	size_t			 i;

	(void)fd;
	(void)what;
	for (i = 0; i < ii->ndirs; i++) {
		w = &ii->dirs[i];
		if (w->state != WDIR_WATCHING)
			wdir_resolve(ii, w);
		else if (w->scan_failed)
			wdir_scan(ii, w);
	}
}

/* Do a and b watch the same VMs: one directory, one pattern? */
static int
wdir_same(const struct wdir *a, const struct wdir *b)
{
	return strcmp(a->full, b->full) == 0 &&
	    (a->prefix == NULL) == (b->prefix == NULL) &&
	    (a->prefix == NULL || (strcmp(a->prefix, b->prefix) == 0 &&
	    strcmp(a->suffix, b->suffix) == 0));
}

static int
wdir_listed(const struct inotify_input *ii, const struct wdir *w)
{
	size_t	i;

	for (i = 0; i < ii->ndirs; i++)
		if (wdir_same(&ii->dirs[i], w))
			return 1;
	return 0;
}

/* A VM the registry holds from w: known there until a scan says not. */
static void
wdir_seed(void *arg, const struct vm_event *ev)
{
	struct wdir	*w = arg;

	(void)vmset_put(&w->vms, ev->vm_id, ev->pid);
}

/*
 * Add the directories of the configuration not in ii->dirs yet, each
 * knowing the VMs the registry holds from it.
 */
static void
inotify_add_dirs(struct inotify_input *ii, const struct strlist *l)
{
	struct wdir	 w;
	size_t		 i;

	for (i = 0; i < l->n; i++) {
		if (wdir_init(&w, l->v[i]) < 0) {
			log_warnx("inotify: %s: not an absolute path without "
			    ". or .., with at most one * in its last component "
			    "(or too long), ignoring it", l->v[i]);
			wdir_free(&w);
			continue;
		}
		if (wdir_listed(ii, &w)) {
			wdir_free(&w);
			continue;
		}
		vms_known(ii->d, INPUT_NAME, w.origin, wdir_seed, &w);
		ii->dirs = reallocarray(ii->dirs, ii->ndirs + 1,
		    sizeof(*ii->dirs));
		if (ii->dirs == NULL)
			fatal("reallocarray");
		ii->dirs[ii->ndirs++] = w;
	}
}

static int
inotify_enabled(const struct conf *c)
{
	return c->inotify_enabled;
}

static void	inotify_stop(void *);

static int
inotify_start(struct daemon *d, struct bus_port *port, void **statep)
{
	struct timeval		 retry = { OFF_RETRY_SECS, 0 };
	struct inotify_input	*ii;
	size_t			 i;
	int			 err;

	ii = xcalloc(1, sizeof(*ii));
	ii->d = d;
	ii->port = port;
	ii->buf = xcalloc(1, READ_BUF);
	ii->afd = ii->mfd = -1;
	if ((ii->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    (ii->afd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		err = -errno;
		inotify_stop(ii);
		return err;
	}
	ii->ev = event_new(bus_base(port), ii->fd, EV_READ | EV_PERSIST,
	    inotify_read, ii);
	ii->aev = event_new(bus_base(port), ii->afd, EV_READ | EV_PERSIST,
	    inotify_read, ii);
	ii->retry = event_new(bus_base(port), -1, EV_PERSIST, inotify_retry,
	    ii);
	if (ii->ev == NULL || ii->aev == NULL || ii->retry == NULL ||
	    event_add(ii->ev, NULL) == -1 || event_add(ii->aev, NULL) == -1 ||
	    event_add(ii->retry, &retry) == -1) {
		inotify_stop(ii);
		return -ENOMEM;
	}
	inotify_watch_mounts(ii);
	inotify_add_dirs(ii, &bus_conf(port)->inotify_dirs);
	for (i = 0; i < ii->ndirs; i++)
		wdir_resolve(ii, &ii->dirs[i]);
	*statep = ii;
	return 0;
}

static void
inotify_stop(void *arg)
{
	struct inotify_input	*ii = arg;
	size_t			 i;

	for (i = 0; i < ii->ndirs; i++)
		wdir_free(&ii->dirs[i]);
	free(ii->dirs);
	if (ii->ev != NULL)
		event_free(ii->ev);
	if (ii->aev != NULL)
		event_free(ii->aev);
	if (ii->mev != NULL)
		event_free(ii->mev);
	if (ii->retry != NULL)
		event_free(ii->retry);
	if (ii->fd != -1)
		close(ii->fd);
	if (ii->afd != -1)
		close(ii->afd);
	if (ii->mfd != -1)
		close(ii->mfd);
	free(ii->buf);
	free(ii);
}

static int
conf_lists(const struct strlist *l, const struct wdir *have)
{
	struct wdir	w;
	size_t		i;
	int		found = 0;

	for (i = 0; i < l->n && !found; i++) {
		if (wdir_init(&w, l->v[i]) == 0 && wdir_same(&w, have))
			found = 1;
		wdir_free(&w);
	}
	return found;
}

/*
 * inputs.inotify.dirs changed (SIGHUP).  Directories that stay keep their
 * watch and their VMs, new ones are resolved and report what they hold,
 * dropped ones are forgotten without events: their VMs did not go, and
 * stay in the registry, so that a directory added again reports only
 * what changed meanwhile.
 */
static void
inotify_reconfigure(void *arg, const struct conf *old,
    const struct conf *fresh)
{
	struct inotify_input	*ii = arg;
	const struct strlist	*l = &fresh->inotify_dirs;
	struct wdir		 gone;
	size_t			 i, first;

	for (i = 0; i < ii->ndirs;) {
		if (conf_lists(l, &ii->dirs[i])) {
			i++;
			continue;
		}
		gone = ii->dirs[i];
		ii->dirs[i] = ii->dirs[--ii->ndirs];
		wd_release(ii, gone.wd);
		awd_release(ii, gone.awd, gone.nawd);
		gone.awd = NULL;
		log_info("inotify: no longer watching %s (VMs forgotten: %zu)",
		    gone.path, gone.vms.n);
		wdir_free(&gone);
	}
	first = ii->ndirs;
	inotify_add_dirs(ii, l);
	for (i = first; i < ii->ndirs; i++)
		wdir_resolve(ii, &ii->dirs[i]);
}

static void
inotify_status(void *arg, cJSON *root)
{
	struct inotify_input	*ii = arg;
	const struct wdir	*w;
	cJSON			*o, *a, *e;
	size_t			 i;

	o = bus_port_status(root, ii->port);
	cJSON_AddNumberToObject(o, "overflows", (double)ii->overflows);
	a = cJSON_AddArrayToObject(o, "dirs");
	for (i = 0; i < ii->ndirs; i++) {
		w = &ii->dirs[i];
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "path", w->path);
		cJSON_AddStringToObject(e, "state", wdir_state_names[w->state]);
		if (w->prefix != NULL)
			cJSON_AddStringToObject(e, "kind", "pidfiles");
		if (w->state == WDIR_WAITING)
			cJSON_AddStringToObject(e, "waiting_in",
			    path_shown(w, w->anc));
		cJSON_AddNumberToObject(e, "vms", (double)w->vms.n);
		cJSON_AddItemToArray(a, e);
	}
}

const struct module_ops input_inotify = {
	.name = "inotify",
	.section = "inputs.inotify",
	.input = INPUT_NAME,
	.enabled = inotify_enabled,
	.init = inotify_start,
	.shutdown = inotify_stop,
	.reconfigure = inotify_reconfigure,
	.status = inotify_status,
};
