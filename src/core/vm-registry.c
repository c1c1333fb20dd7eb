/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VM registry: a VM is known from its CREATING or CREATED event until
 * DESTROYED, with what the events said of it (VMM pid, cgroup, class,
 * memory).  Status lists each VM with its KSM savings, read from its
 * VMM's /proc/<pid>/ksm_stat when asked, so a VM that is gone leaves
 * nothing behind.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "rootfs.h"
#include "util.h"
#include "vm-registry.h"

/* Bounds what a flood of made-up VM ids can cost. */
#define VMS_MAX		65536
/*
 * A VM without a VMM pid has its runtime's pid files looked at by status
 * at most this often: a runtime writes the file as the VM starts, and a
 * status asked for by many clients at once does not open a file per VM
 * each time.
 */
#define PID_LOOKUP_MS	1000
/* Likewise a VM's KSM savings are read at most this often. */
#define KSM_STAT_FRESH_MS	1000

/*
 * An input that told of a VM, and where there (ev->sender: a directory of
 * the inotify input, a client of the socket).  A VM can be told of by
 * several (a hook on the socket and a runtime's directory): each that
 * starts again must know it, or it reports it created once more.
 */
struct vm_teller {
	const char	*input;
	char		*origin;
};

/* More tellers of one VM than this are not told apart. */
#define VM_TELLERS	4

struct vm {
	char		 id[VM_ID_MAX];		/* first: the index's key */
	TAILQ_ENTRY(vm)	 entry;
	pid_t		 pid;
	int		 pid_from_file;		/* pid: a pid file's, no event's */
	uint64_t	 pid_lookup_ms;		/* last look at the pid files */
	char		*cgroup;
	char		*class_name;
	uint64_t	 memory_bytes;
	uint64_t	 since_ms;
	struct vm_teller tellers[VM_TELLERS];	/* the first: status' input */
	unsigned	 ntellers;
	int		 destroying;
	int		 ksm_stat_warned;
	struct ksm_stat	 stat;			/* last read, if stat_r is 0 */
	int		 stat_r;
	uint64_t	 stat_ms;		/* when; 0: never */
};

TAILQ_HEAD(vm_list, vm);

/* The list keeps the order VMs came in, for status; the index finds one. */
struct vms {
	struct daemon	*d;
	struct vm_list	 list;
	void		*index;		/* tsearch(3) tree of struct vm */
	size_t		 count;
	int		 full_warned;
};

/*
 * "ksm_rmap_items 12\nksm_zero_pages 0\n...ksm_mergeable: yes\n".
 * Unknown lines are skipped (newer kernels add some); a known one with a
 * bad number makes the whole file bad.
 */
int
ksm_stat_parse(const char *text, struct ksm_stat *st)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} fields[] = {
		{ "ksm_rmap_items", offsetof(struct ksm_stat, rmap_items) },
		{ "ksm_zero_pages", offsetof(struct ksm_stat, zero_pages) },
		{ "ksm_merging_pages", offsetof(struct ksm_stat, merging_pages) },
		{ "ksm_process_profit", offsetof(struct ksm_stat, process_profit) },
	};
	const char	*line = text, *nl, *sp;
	char		 num[32];
	size_t		 i, len;
	int		 seen = 0;

	memset(st, 0, sizeof(*st));
	st->mergeable = -1;
	for (; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > 13 && strncmp(line, "ksm_mergeable:", 14) == 0)
			st->mergeable = strncmp(line + 14, " yes", 4) == 0;
		for (i = 0; i < nitems(fields); i++) {
			sp = line + strlen(fields[i].name);
			if (strncmp(line, fields[i].name, strlen(fields[i].name))
			    != 0 || *sp != ' ')
				continue;
			len -= (size_t)(sp + 1 - line);
			if (len == 0 || len >= sizeof(num))
				return -EINVAL;
			memcpy(num, sp + 1, len);
			num[len] = '\0';
			if (parse_i64(num, (int64_t *)(void *)
			    ((char *)st + fields[i].off)) < 0)
				return -EINVAL;
			seen++;
		}
		if (nl == NULL)
			break;
	}
	return seen > 0 ? 0 : -EINVAL;
}

int
ksm_stat_read(int pid, struct ksm_stat *st)
{
	char	path[64], buf[ROOTFS_SMALL];
	ssize_t	n;

	snprintf(path, sizeof(path), "/proc/%d/ksm_stat", pid);
	if ((n = rootfs_read(path, buf, sizeof(buf))) < 0)
		return (int)n;
	return ksm_stat_parse(buf, st);
}

/* Both sides point at a struct vm or at a bare id: the id comes first. */
static int
vm_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static struct vm *
vm_find(struct vms *v, const char *id)
{
	void	*node;

	node = tfind(id, &v->index, vm_cmp);
	return node != NULL ? *(struct vm **)node : NULL;
}

static void
vm_free(struct vms *v, struct vm *vm)
{
	unsigned	i;

	TAILQ_REMOVE(&v->list, vm, entry);
	tdelete(vm, &v->index, vm_cmp);
	v->count--;
	v->full_warned = 0;	/* room again: the next time full is said */
	free(vm->cgroup);
	free(vm->class_name);
	for (i = 0; i < vm->ntellers; i++)
		free(vm->tellers[i].origin);
	free(vm);
}

static void
set_str(char **dst, const char *src)
{
	if (src == NULL || *src == '\0')
		return;
	free(*dst);
	*dst = xstrdup(src);
}

/*
 * What a later event says adds to what an earlier one said.  A VM said
 * to be coming after it was said to be going stays (a stop that timed
 * out, or was called off).
 */
static void
vm_update(struct vm *vm, const struct vm_event *ev)
{
	if (ev->pid > 0 && ev->pid != vm->pid) {
		/* Another VMM: nothing read of the last one holds. */
		vm->pid = ev->pid;
		vm->stat_ms = 0;
		vm->ksm_stat_warned = 0;
	}
	if (ev->pid > 0)
		vm->pid_from_file = 0;
	if (ev->memory_bytes > 0)
		vm->memory_bytes = ev->memory_bytes;
	set_str(&vm->cgroup, ev->cgroup);
	set_str(&vm->class_name, ev->class_name);
	if (ev->type == VM_DESTROYING)
		vm->destroying = 1;
	else if (ev->type == VM_CREATING || ev->type == VM_CREATED)
		vm->destroying = 0;
}

static int
str_eq(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The input and sender of EV among VM's tellers, from now on. */
static void
vm_told_by(struct vm *vm, const struct vm_event *ev)
{
	struct vm_teller	*t;
	const char		*origin = ev->sender;
	unsigned		 i;

	if (ev->input == NULL)
		return;
	if (origin != NULL && *origin == '\0')
		origin = NULL;
	for (i = 0; i < vm->ntellers; i++) {
		t = &vm->tellers[i];
		if (strcmp(t->input, ev->input) == 0 &&
		    str_eq(t->origin, origin))
			return;
	}
	if (vm->ntellers == VM_TELLERS)
		return;
	t = &vm->tellers[vm->ntellers++];
	t->input = ev->input;
	t->origin = origin != NULL ? xstrdup(origin) : NULL;
}

/* Did INPUT tell of VM's present run, from any of its senders? */
static int
vm_told_by_input(const struct vm *vm, const char *input)
{
	unsigned	i;

	for (i = 0; i < vm->ntellers; i++)
		if (strcmp(vm->tellers[i].input, input) == 0)
			return 1;
	return 0;
}

/*
 * Whether EV is the end of an earlier run of a VM that runs again: a
 * DESTROYED naming another VMM than the one the VM runs as, from an input
 * that did not tell of this run.  A guest restarted under the same name
 * is told of by each input that watches it, gone and then come; where
 * one input told of its new run before another told of the old one's
 * end, that end comes after the start it precedes.  The daemon drops it
 * before any module hears it: the VM runs.  A DESTROYED without a pid,
 * or from an input that told of this run (which knows best: a shim's
 * pid against its QEMU's), ends the VM as ever.
 */
int
vms_stale(struct daemon *d, const struct vm_event *ev)
{
	struct vms	*v;
	struct vm	*vm;

	if (ev->type != VM_DESTROYED || ev->pid <= 0 || ev->input == NULL ||
	    (v = daemon_module(d, "vms")) == NULL ||
	    (vm = vm_find(v, ev->vm_id)) == NULL || vm->pid <= 0 ||
	    vm->pid == ev->pid || vm_told_by_input(vm, ev->input))
		return 0;
	log_info("VM %s: %s says its VMM (pid %d) is gone, but it runs again "
	    "as pid %d, as %s said: the end of an earlier run, heard late; "
	    "ignored", vm->id, ev->input, (int)ev->pid, (int)vm->pid,
	    vm->ntellers > 0 ? vm->tellers[0].input : "an event");
	return 1;
}

static void
vms_on_event(void *arg, const struct vm_event *ev)
{
	struct vms	*v = arg;
	struct vm	*vm;

	if (ev->type == VM_KICK || ev->vm_id[0] == '\0')
		return;
	vm = vm_find(v, ev->vm_id);
	if (ev->type == VM_DESTROYED) {
		if (vm != NULL)
			vm_free(v, vm);
		return;
	}
	if (vm == NULL) {
		if (v->count >= VMS_MAX) {
			if (!v->full_warned)
				log_warnx("more than %d VMs: not tracking %s, "
				    "ignoring", VMS_MAX, ev->vm_id);
			v->full_warned = 1;
			return;
		}
		vm = xcalloc(1, sizeof(*vm));
		memcpy(vm->id, ev->vm_id, sizeof(vm->id));
		vm->since_ms = daemon_now(v->d);
		if (tsearch(vm, &v->index, vm_cmp) == NULL)
			fatal("tsearch");
		TAILQ_INSERT_TAIL(&v->list, vm, entry);
		v->count++;
	}
	vm_told_by(vm, ev);
	vm_update(vm, ev);
}

/*
 * The VMM pid a runtime recorded in one of inputs.inotify.pid_files, for
 * a VM no event gave one to (Kata's QEMU writes /run/vc/vm/<id>/pid).
 */
static pid_t
vm_find_pid(const struct vms *v, const char *id)
{
	const struct strlist	*l = &v->d->conf->inotify_pid_files;
	const char		*at;
	char			 path[PATH_MAX];
	pid_t			 pid;
	size_t			 i;

	/* An id is a name, never a way out of the runtime's directory. */
	if (id[0] == '.' || strchr(id, '/') != NULL)
		return 0;
	for (i = 0; i < l->n; i++) {
		if ((at = strstr(l->v[i], "{vm}")) == NULL ||
		    xsnprintf(path, sizeof(path), "%.*s%s%s",
		    (int)(at - l->v[i]), l->v[i], id, at + 4) < 0)
			continue;
		if ((pid = rootfs_read_pid(path)) > 0)
			return pid;
	}
	return 0;
}

static cJSON *
vm_json(const struct vms *v, struct vm *vm, uint64_t now)
{
	struct ksm_stat	 st;
	cJSON		*o;
	int		 r = -ENOENT;

	if (vm->pid == 0 && (vm->pid_lookup_ms == 0 ||
	    now - vm->pid_lookup_ms >= PID_LOOKUP_MS)) {
		vm->pid_lookup_ms = now;
		vm->pid = vm_find_pid(v, vm->id);
		vm->pid_from_file = vm->pid > 0;
		vm->stat_ms = 0;
	}
	o = cJSON_CreateObject();
	if (vm->pid > 0)
		cJSON_AddNumberToObject(o, "pid", vm->pid);
	if (vm->cgroup != NULL)
		cJSON_AddStringToObject(o, "cgroup", vm->cgroup);
	if (vm->class_name != NULL)
		cJSON_AddStringToObject(o, "class", vm->class_name);
	if (vm->memory_bytes > 0)
		cJSON_AddNumberToObject(o, "memory_bytes",
		    (double)vm->memory_bytes);
	if (vm->ntellers > 0)
		cJSON_AddStringToObject(o, "input", vm->tellers[0].input);
	cJSON_AddStringToObject(o, "state", vm->destroying ? "destroying" :
	    "running");
	cJSON_AddNumberToObject(o, "age_seconds",
	    (double)(now - vm->since_ms) / 1000.0);
	/*
	 * A VMM that is gone or not yet known simply has no savings; one
	 * that cannot be read is said once, for a daemon short of a
	 * capability shows nothing else.
	 */
	if (vm->pid > 0 && vm->stat_ms != 0 &&
	    now - vm->stat_ms < KSM_STAT_FRESH_MS) {
		r = vm->stat_r;
		st = vm->stat;
	} else if (vm->pid > 0) {
		r = vm->stat_r = ksm_stat_read(vm->pid, &st);
		vm->stat = st;
		vm->stat_ms = now;
		/* A pid file's VMM gone: the file is looked at again. */
		if (vm->pid_from_file && (r == -ENOENT || r == -ESRCH)) {
			vm->pid = 0;
			vm->pid_from_file = 0;
		}
	}
	if (r < 0 && r != -ENOENT && r != -ESRCH && !vm->ksm_stat_warned) {
		log_warnx("vms: %s: /proc/%d/ksm_stat: %s%s", vm->id,
		    (int)vm->pid, strerror(-r), r == -EACCES ? " (another "
		    "user's VMM: reading it takes CAP_DAC_READ_SEARCH)" : "");
		vm->ksm_stat_warned = 1;
	}
	if (r == 0) {
		cJSON_AddNumberToObject(o, "ksm_merging_pages",
		    (double)st.merging_pages);
		cJSON_AddNumberToObject(o, "ksm_rmap_items",
		    (double)st.rmap_items);
		cJSON_AddNumberToObject(o, "ksm_zero_pages",
		    (double)st.zero_pages);
		cJSON_AddNumberToObject(o, "ksm_process_profit",
		    (double)st.process_profit);
	}
	return o;
}

/*
 * A VM as a CREATED event with all that the events said of it, as told by
 * teller T (NULL: by none in particular).
 */
static void
vm_as_event(const struct vm *vm, const struct vm_teller *t,
    struct vm_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = VM_CREATED;
	memcpy(ev->vm_id, vm->id, sizeof(ev->vm_id));
	ev->pid = vm->pid;
	ev->cgroup = vm->cgroup;
	ev->class_name = vm->class_name;
	ev->memory_bytes = vm->memory_bytes;
	if (t != NULL) {
		ev->input = t->input;
		ev->sender = t->origin;
	}
}

/* Which VMs a walk of the registry calls back for. */
struct vm_filter {
	int		 live;		/* not on its way out */
	const char	*input;		/* told of by it, if not NULL */
	const char	*origin;	/* ... and from this sender there */
};

/*
 * Whether VM passes F, and the teller it passes by (NULL: F asks for
 * none, or VM was told of by none).
 */
static int
vm_matches(const struct vm *vm, const struct vm_filter *f,
    const struct vm_teller **by)
{
	const struct vm_teller	*t;
	unsigned		 i;

	*by = vm->ntellers > 0 ? &vm->tellers[0] : NULL;
	if (f->live && vm->destroying)
		return 0;
	if (f->input == NULL)
		return 1;
	for (i = 0; i < vm->ntellers; i++) {
		t = &vm->tellers[i];
		if (strcmp(t->input, f->input) == 0 && (f->origin == NULL ||
		    str_eq(t->origin, f->origin))) {
			*by = t;
			return 1;
		}
	}
	return 0;
}

static void
vms_walk(struct daemon *d, const struct vm_filter *f,
    void (*cb)(void *, const struct vm_event *), void *arg)
{
	struct vms		*v = daemon_module(d, "vms");
	struct vm		*vm;
	const struct vm_teller	*t;
	struct vm_event		 ev;

	if (v == NULL)
		return;
	TAILQ_FOREACH(vm, &v->list, entry) {
		if (!vm_matches(vm, f, &t))
			continue;
		vm_as_event(vm, t, &ev);
		cb(arg, &ev);
	}
}

/*
 * Each VM known and not on its way out: for an engine that starts late
 * (memcg, once a memory controller is there).
 */
void
vms_replay(struct daemon *d, void (*cb)(void *, const struct vm_event *),
    void *arg)
{
	struct vm_filter	f = { 1, NULL, NULL };

	vms_walk(d, &f, cb, arg);
}

/*
 * Each VM known that input told of, from origin there (its sender)
 * unless that is NULL, on its way out or not: for an input that
 * starts again (or a directory of it), whose first look then reports
 * only what changed while it was not looking.
 */
void
vms_known(struct daemon *d, const char *input, const char *origin,
    void (*cb)(void *, const struct vm_event *), void *arg)
{
	struct vm_filter	f = { 0, input, origin };

	vms_walk(d, &f, cb, arg);
}

static void
vms_status(void *arg, cJSON *root)
{
	struct vms	*v = arg;
	struct vm	*vm;
	cJSON		*o;
	uint64_t	 now = daemon_now(v->d);

	o = cJSON_AddObjectToObject(root, "vms");
	TAILQ_FOREACH(vm, &v->list, entry)
		cJSON_AddItemToObject(o, vm->id, vm_json(v, vm, now));
}

static int
vms_init(struct daemon *d, struct bus_port *port, void **statep)
{
	struct vms	*v;

	v = xcalloc(1, sizeof(*v));
	v->d = d;
	TAILQ_INIT(&v->list);
	*statep = v;
	return 0;
}

static void
vms_shutdown(void *arg)
{
	struct vms	*v = arg;
	struct vm	*vm;

	while ((vm = TAILQ_FIRST(&v->list)) != NULL)
		vm_free(v, vm);
	free(v);
}

const struct module_ops engine_vms = {
	.name = "vms",
	.section = "",
	.init = vms_init,
	.on_event = vms_on_event,
	.status = vms_status,
	.shutdown = vms_shutdown,
};
