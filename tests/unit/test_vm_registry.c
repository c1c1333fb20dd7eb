/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: /proc/<pid>/ksm_stat parsing; the VMs known, replayed, and
 * listed by the input and directory they came from; the end of a VM's
 * earlier run, heard after its new start, heard by no module.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bus.h"
#include "daemon.h"
#include "module.h"
#include "vm-registry.h"

static void
test_ksm_stat(void **state)
{
	struct ksm_stat	st;

	assert_int_equal(ksm_stat_parse("ksm_rmap_items 12\nksm_zero_pages 3\n"
	    "ksm_merging_pages 4096\nksm_process_profit -20480\n"
	    "ksm_merge_any: no\nksm_mergeable: yes\n", &st), 0);
	assert_int_equal(st.rmap_items, 12);
	assert_int_equal(st.zero_pages, 3);
	assert_int_equal(st.merging_pages, 4096);
	assert_int_equal(st.process_profit, -20480);
	assert_int_equal(st.mergeable, 1);
	/* Older kernels: fewer lines, no ksm_mergeable. */
	assert_int_equal(ksm_stat_parse("ksm_rmap_items 1\n", &st), 0);
	assert_int_equal(st.mergeable, -1);
	assert_int_equal(ksm_stat_parse("ksm_rmap_items 1\nfuture_field 7\n"
	    "ksm_mergeable: no", &st), 0);
	assert_int_equal(st.mergeable, 0);
}

static void
test_ksm_stat_garbage(void **state)
{
	struct ksm_stat	st;

	assert_int_equal(ksm_stat_parse("", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("hello\n", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("ksm_rmap_items\n", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("ksm_rmap_items x\n", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("ksm_rmap_items 1 2\n", &st), -EINVAL);
	assert_int_equal(ksm_stat_parse("ksm_merging_pages "
	    "99999999999999999999999\n", &st), -EINVAL);
}

extern const struct module_ops	engine_vms;

static void
tell(struct daemon *d, enum vm_event_type type, const char *id, pid_t pid,
    const char *cgroup, const char *class_name)
{
	struct vm_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	strcpy(ev.vm_id, id);
	ev.pid = pid;
	ev.cgroup = cgroup;
	ev.class_name = class_name;
	engine_vms.on_event(daemon_module(d, "vms"), &ev);
}

static char	replayed[1024];

static void
collect(void *arg, const struct vm_event *ev)
{
	char	buf[512];

	assert_int_equal(ev->type, VM_CREATED);
	snprintf(buf, sizeof(buf), "%s:%d:%s:%s ", ev->vm_id, (int)ev->pid,
	    ev->cgroup ? ev->cgroup : "-",
	    ev->class_name ? ev->class_name : "-");
	strcat(replayed, buf);
}

/* What every event said of each VM still there, in the order they came. */
static void
test_replay(void **state)
{
	static const struct module_ops *const table[] = { &engine_vms, NULL };
	struct daemon	d;

	memset(&d, 0, sizeof(d));
	vms_replay(&d, collect, NULL);		/* no registry: nothing */
	assert_string_equal(replayed, "");
	assert_int_equal(daemon_open(&d, table), 0);
	daemon_start(&d);
	tell(&d, VM_CREATING, "a", 0, "/vms/a", NULL);
	tell(&d, VM_CREATED, "b", 7, NULL, NULL);
	tell(&d, VM_CREATED, "b", 0, "/vms/b", "gold");
	tell(&d, VM_CREATED, "c", 9, "/vms/c", NULL);
	tell(&d, VM_DESTROYING, "c", 0, NULL, NULL);
	tell(&d, VM_CREATED, "d", 0, "/vms/d", NULL);
	tell(&d, VM_DESTROYED, "d", 0, NULL, NULL);
	tell(&d, VM_KICK, "", 0, NULL, NULL);
	vms_replay(&d, collect, NULL);
	assert_string_equal(replayed, "a:0:/vms/a:- b:7:/vms/b:gold ");
	daemon_stop(&d);
}

static void
tell_from(struct daemon *d, enum vm_event_type type, const char *id,
    pid_t pid, const char *input, const char *sender)
{
	struct vm_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	strcpy(ev.vm_id, id);
	ev.pid = pid;
	ev.input = input;
	ev.sender = sender;
	engine_vms.on_event(daemon_module(d, "vms"), &ev);
}

static void
collect_known(void *arg, const struct vm_event *ev)
{
	char	buf[512];

	snprintf(buf, sizeof(buf), "%s:%d:%s ", ev->vm_id, (int)ev->pid,
	    ev->sender ? ev->sender : "-");
	strcat(replayed, buf);
}

/*
 * An input that starts again learns the VMs it reported, by where they
 * came from, whoever else told of them too (c, from a hook on the socket
 * first: an inotify input that did not know it would report it created
 * again); one on its way out is listed too, and one that said it comes
 * back is running again.
 */
static void
test_known(void **state)
{
	static const struct module_ops *const table[] = { &engine_vms, NULL };
	struct daemon	d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(daemon_open(&d, table), 0);
	daemon_start(&d);
	tell_from(&d, VM_CREATED, "a", 10, "inotify", "/x");
	tell_from(&d, VM_CREATED, "b", 11, "inotify", "/y");
	tell_from(&d, VM_CREATED, "c", 12, "socket", "hook");
	tell_from(&d, VM_CREATED, "c", 0, "inotify", "/x");
	tell_from(&d, VM_CREATED, "d", 0, "inotify", "/x");
	tell_from(&d, VM_DESTROYING, "d", 0, "socket", NULL);
	tell_from(&d, VM_CREATED, "e", 13, "libvirt", NULL);
	/* Told twice by one, then by another: both know it. */
	tell_from(&d, VM_CREATING, "f", 0, "libvirt", NULL);
	tell_from(&d, VM_CREATED, "f", 14, "libvirt", NULL);
	tell_from(&d, VM_CREATED, "f", 14, "libvirt", NULL);
	tell_from(&d, VM_CREATED, "f", 14, "socket", "hook");
	tell_from(&d, VM_CREATED, "f", 14, "inotify", "/w");
	tell_from(&d, VM_CREATED, "f", 14, "inotify", "/z");
	replayed[0] = '\0';
	vms_known(&d, "inotify", "/z", collect_known, NULL);
	assert_string_equal(replayed, "f:14:/z ");
	tell_from(&d, VM_DESTROYED, "f", 0, "libvirt", NULL);
	replayed[0] = '\0';
	vms_known(&d, "inotify", "/x", collect_known, NULL);
	assert_string_equal(replayed, "a:10:/x c:12:/x d:0:/x ");
	replayed[0] = '\0';
	vms_known(&d, "inotify", NULL, collect_known, NULL);
	assert_string_equal(replayed, "a:10:/x b:11:/y c:12:/x d:0:/x ");
	replayed[0] = '\0';
	vms_known(&d, "socket", "hook", collect_known, NULL);
	assert_string_equal(replayed, "c:12:hook ");
	replayed[0] = '\0';
	vms_known(&d, "libvirt", NULL, collect_known, NULL);
	assert_string_equal(replayed, "e:13:- ");
	/* Told of by a fifth: not told apart, nothing else lost. */
	tell_from(&d, VM_CREATED, "c", 0, "inotify", "/y");
	tell_from(&d, VM_CREATED, "c", 0, "inotify", "/z");
	tell_from(&d, VM_CREATED, "c", 0, "inotify", "/w");
	replayed[0] = '\0';
	vms_known(&d, "inotify", "/z", collect_known, NULL);
	assert_string_equal(replayed, "c:12:/z ");
	replayed[0] = '\0';
	vms_known(&d, "inotify", "/w", collect_known, NULL);
	assert_string_equal(replayed, "");
	/* d is going: not replayed to an engine, until it comes back. */
	replayed[0] = '\0';
	vms_replay(&d, collect, NULL);
	assert_string_equal(replayed, "a:10:-:- b:11:-:- c:12:-:- e:13:-:- ");
	tell_from(&d, VM_CREATING, "d", 0, "socket", NULL);
	replayed[0] = '\0';
	vms_replay(&d, collect, NULL);
	assert_string_equal(replayed,
	    "a:10:-:- b:11:-:- c:12:-:- d:0:-:- e:13:-:- ");
	daemon_stop(&d);
}

/* Two inputs that emit what a test says, and a module that hears. */
static struct bus_port	*port_lv, *port_dir;
static char		 heard[1024];

static int
lv_init(struct daemon *d, struct bus_port *p, void **state)
{
	port_lv = p;
	*state = p;
	return 0;
}

static int
dir_init(struct daemon *d, struct bus_port *p, void **state)
{
	port_dir = p;
	*state = p;
	return 0;
}

static int
ear_init(struct daemon *d, struct bus_port *p, void **state)
{
	*state = heard;
	return 0;
}

static void
ear_hear(void *arg, const struct vm_event *ev)
{
	char	buf[128];

	snprintf(buf, sizeof(buf), "%s %s:%d ", vm_event_type_name(ev->type),
	    ev->vm_id, (int)ev->pid);
	strcat(heard, buf);
}

static const struct module_ops input_lv = {
	.name = "lv", .input = "libvirt", .init = lv_init,
};
static const struct module_ops input_dir = {
	.name = "dir", .input = "inotify", .init = dir_init,
};
static const struct module_ops ear = {
	.name = "ear", .init = ear_init, .on_event = ear_hear,
};

static void
emit(struct bus_port *p, enum vm_event_type type, const char *id, pid_t pid)
{
	struct vm_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	strcpy(ev.vm_id, id);
	ev.pid = pid;
	bus_emit(p, &ev);
}

/*
 * A guest restarted under its name, watched by two inputs: the one that
 * tells of the new run first makes the other's word of the old run's end
 * stale, and no module hears it; the VM runs, known to both.  An end
 * from an input that told of the run, or that names no VMM, ends it: two
 * inputs may know two pids for one run (a shim, and its QEMU).
 */
static void
test_stale(void **state)
{
	static const struct module_ops *const table[] = {
		&engine_vms, &input_lv, &input_dir, &ear, NULL
	};
	struct daemon	d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(daemon_open(&d, table), 0);
	daemon_start(&d);
	emit(port_lv, VM_CREATED, "v", 100);
	emit(port_dir, VM_CREATED, "v", 100);
	emit(port_lv, VM_DESTROYED, "v", 100);
	emit(port_lv, VM_CREATED, "v", 200);
	emit(port_dir, VM_DESTROYED, "v", 100);		/* stale */
	emit(port_dir, VM_CREATED, "v", 200);
	assert_string_equal(heard, "created v:100 created v:100 "
	    "destroyed v:100 created v:200 created v:200 ");
	replayed[0] = '\0';
	vms_known(&d, "inotify", NULL, collect_known, NULL);
	vms_known(&d, "libvirt", NULL, collect_known, NULL);
	assert_string_equal(replayed, "v:200:- v:200:- ");

	/* The same, the other way round; then an end with no pid. */
	heard[0] = '\0';
	emit(port_dir, VM_DESTROYED, "v", 200);
	emit(port_dir, VM_CREATED, "v", 300);
	emit(port_lv, VM_DESTROYED, "v", 200);		/* stale */
	emit(port_lv, VM_CREATED, "v", 300);
	emit(port_lv, VM_DESTROYED, "v", 0);
	emit(port_dir, VM_DESTROYED, "v", 300);		/* not known: heard */
	assert_string_equal(heard, "destroyed v:200 created v:300 "
	    "created v:300 destroyed v:0 destroyed v:300 ");

	/* Two pids for one run: the shim's end, from its teller, ends it. */
	heard[0] = '\0';
	emit(port_lv, VM_CREATED, "w", 400);
	emit(port_dir, VM_CREATED, "w", 401);
	emit(port_lv, VM_DESTROYED, "w", 400);
	replayed[0] = '\0';
	vms_replay(&d, collect_known, NULL);
	assert_string_equal(replayed, "");
	assert_string_equal(heard, "created w:400 created w:401 "
	    "destroyed w:400 ");
	daemon_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ksm_stat),
		cmocka_unit_test(test_ksm_stat_garbage),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_stale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
