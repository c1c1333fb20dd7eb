/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the memcg engine's event handling over a fake cgroup v2
 * tree, without a socket: a VM's cgroup under its class from CREATED
 * until DESTROYED (allowswap on memory.swap.max, put back after), live
 * changes to tracked cgroups, and no timer when there is nothing to do;
 * memory.swap.max's originals held by the host ledger, and an earlier
 * release's memcg.state put back at start.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "faketree.h"
#include "ledger.h"
#include "rootfs.h"

extern const struct module_ops	engine_memcg;

#define CG	"/sys/fs/cgroup"
#define PSI0	"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"

static void
fake_cgroup(const char *root, const char *path)
{
	char	f[256];

	snprintf(f, sizeof(f), CG "%s/memory.stat", path);
	faketree_put(root, f, "anon 0\nfile 0\n");
	/* An original no class writes: its restore is seen. */
	snprintf(f, sizeof(f), CG "%s/memory.swap.max", path);
	faketree_put(root, f, "7654321\n");
	snprintf(f, sizeof(f), CG "%s/memory.pressure", path);
	faketree_put(root, f, PSI0);
	snprintf(f, sizeof(f), CG "%s/io.pressure", path);
	faketree_put(root, f, PSI0);
}

/* The daemon's run directory: ROOT/run. */
static void
daemon_init(struct daemon *d, const char *root)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->rundir, sizeof(d->rundir), "%s/run", root);
	assert_int_equal(mkdir(d->rundir, 0700), 0);
	d->rundirfd = open(d->rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(d->rundirfd >= 0);
	d->base = event_base_new();
	d->conf = conf_new();
	d->ledger = ledger_open(d->rundirfd, d->rundir);
	ledger_replay(d->ledger);
}

static cJSON *
memcg_status(void *m)
{
	cJSON	*root = cJSON_CreateObject();

	engine_memcg.status(m, root);
	return root;
}

static const char *
str_at(cJSON *o, const char *a, const char *b, const char *c)
{
	cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	if (c != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, c);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *
cgroup_of(cJSON *st, const char *path)
{
	return cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(st, "memcg"), "cgroups"), path);
}

static void
event(void *m, enum vm_event_type t, const char *vm, const char *cgroup,
    const char *cls)
{
	struct vm_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	snprintf(ev.vm_id, sizeof(ev.vm_id), "%s", vm);
	ev.cgroup = cgroup;
	ev.class_name = cls;
	ev.input = "test";
	engine_memcg.on_event(m, &ev);
}

static void
test_vm_class_binding(void **state)
{
	char		*root = faketree_new(), *v, err[256];
	struct daemon	 d;
	struct conf	*old;
	void		*m = NULL;
	cJSON		*st, *cg;

	faketree_put(root, CG "/cgroup.controllers", "cpu io memory\n");
	faketree_put(root, CG "/memory.reclaim", "");
	faketree_put(root, "/proc/pressure/memory", PSI0);
	faketree_put(root, "/proc/pressure/io", PSI0);
	fake_cgroup(root, "/machine/vm1");
	fake_cgroup(root, "/machine/vm2");
	assert_int_equal(rootfs_init(root), 0);

	daemon_init(&d, root);
	assert_int_equal(conf_apply_text(d.conf, "memcg", "{\"classes\": ["
	    "{\"name\": \"swap-idle\", \"allowswap\": true, "
	    "\"period_secs\": 5}]}", err, sizeof(err)), 0);
	assert_int_equal(engine_memcg.init(&d, NULL, &m), 0);

	st = memcg_status(m);
	assert_string_equal(str_at(st, "memcg", "state", NULL), "idle");
	assert_string_equal(str_at(st, "memcg", "backend", NULL), "reclaim");
	cJSON_Delete(st);

	/* CREATED with a cgroup and a class: tracked under the class. */
	event(m, VM_CREATED, "vm1", CG "/machine/vm1", "swap-idle");
	event(m, VM_CREATED, "vm2", "machine/vm2", "nosuch");
	event(m, VM_CREATED, "vm3", NULL, "swap-idle");	/* no cgroup */
	event(m, VM_CREATING, "vm4", "/machine/vm4", NULL);
	st = memcg_status(m);
	assert_string_equal(str_at(st, "memcg", "state", NULL), "waiting");
	assert_non_null(cg = cgroup_of(st, "/machine/vm1"));
	assert_string_equal(str_at(cg, "class", NULL, NULL), "swap-idle");
	assert_string_equal(str_at(cg, "vm", NULL, NULL), "vm1");
	assert_int_equal(cJSON_GetObjectItem(cg, "period_secs")->valueint, 5);
	assert_non_null(cg = cgroup_of(st, "/machine/vm2"));
	assert_int_equal(cJSON_GetObjectItem(cg, "period_secs")->valueint, 600);
	assert_null(cgroup_of(st, "/machine/vm4"));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "memcg"),
	    "tracked")->valueint, 2);
	cJSON_Delete(st);
	v = faketree_get(root, CG "/machine/vm1/memory.swap.max");
	assert_string_equal(v, "max");
	free(v);
	v = faketree_get(root, CG "/machine/vm2/memory.swap.max");
	assert_string_equal(v, "7654321\n");
	free(v);

	/* A live change reaches the cgroups already tracked. */
	old = conf_dup(d.conf);
	assert_int_equal(conf_apply_text(d.conf, "memcg", "{\"classes\": ["
	    "{\"name\": \"swap-idle\", \"allowswap\": false, "
	    "\"period_secs\": 7}]}", err, sizeof(err)), 0);
	engine_memcg.reconfigure(m, old, d.conf);
	conf_free(old);
	st = memcg_status(m);
	cg = cgroup_of(st, "/machine/vm1");
	assert_int_equal(cJSON_GetObjectItem(cg, "period_secs")->valueint, 7);
	assert_true(cJSON_GetObjectItem(cg, "next_run_in_ms")->valuedouble <=
	    7000);
	cJSON_Delete(st);
	v = faketree_get(root, CG "/machine/vm1/memory.swap.max");
	assert_string_equal(v, "0");
	free(v);

	/* DESTROYED: memory.swap.max as found, no longer tracked. */
	event(m, VM_DESTROYED, "vm1", NULL, NULL);
	v = faketree_get(root, CG "/machine/vm1/memory.swap.max");
	assert_string_equal(v, "7654321");
	free(v);
	event(m, VM_DESTROYED, "vm2", NULL, NULL);
	event(m, VM_DESTROYED, "vm9", NULL, NULL);
	st = memcg_status(m);
	assert_null(cgroup_of(st, "/machine/vm1"));
	assert_string_equal(str_at(st, "memcg", "state", NULL), "idle");
	cJSON_Delete(st);

	engine_memcg.shutdown(m);
	conf_free(d.conf);
	event_base_free(d.base);
	ledger_close(d.ledger);
	close(d.rundirfd);
	rootfs_close();
	faketree_free(root);
}

static void
test_no_controller(void **state)
{
	char		*root = faketree_new();
	struct daemon	 d;
	void		*m = NULL;
	cJSON		*st;

	assert_int_equal(rootfs_init(root), 0);
	daemon_init(&d, root);
	assert_int_equal(engine_memcg.init(&d, NULL, &m), 0);
	event(m, VM_CREATED, "vm1", "/machine/vm1", NULL);
	st = memcg_status(m);
	assert_string_equal(str_at(st, "memcg", "state", NULL), "off");
	assert_string_equal(str_at(st, "memcg", "backend", NULL), "none");
	cJSON_Delete(st);
	engine_memcg.shutdown(m);
	conf_free(d.conf);
	event_base_free(d.base);
	ledger_close(d.ledger);
	close(d.rundirfd);
	rootfs_close();
	faketree_free(root);
}

/*
 * memory.swap.max's original is held by the ledger before it is changed,
 * and put back by a clean stop.  A memcg.state an earlier release's run
 * left is put back at start, the cgroups gone since dropped, and removed;
 * a corrupt one is removed with nothing written from it.
 */
static void
test_swap_max_crash(void **state)
{
	char		*root = faketree_new(), *v, err[256];
	struct daemon	 d;
	void		*m = NULL;

	faketree_put(root, CG "/cgroup.controllers", "cpu io memory\n");
	faketree_put(root, CG "/memory.reclaim", "");
	faketree_put(root, "/proc/pressure/memory", PSI0);
	faketree_put(root, "/proc/pressure/io", PSI0);
	fake_cgroup(root, "/machine/vm1");
	faketree_put(root, CG "/machine/vm1/memory.swap.max", "1234567\n");
	assert_int_equal(rootfs_init(root), 0);
	daemon_init(&d, root);
	assert_int_equal(conf_apply_text(d.conf, "memcg", "{\"classes\": ["
	    "{\"name\": \"noswap\", \"allowswap\": false}]}", err,
	    sizeof(err)), 0);
	assert_int_equal(engine_memcg.init(&d, NULL, &m), 0);
	event(m, VM_CREATED, "vm1", "/machine/vm1", "noswap");
	v = faketree_get(root, CG "/machine/vm1/memory.swap.max");
	assert_string_equal(v, "0");
	free(v);
	assert_string_equal(ledger_original(d.ledger,
	    CG "/machine/vm1/memory.swap.max"), "1234567");

	/* A clean stop: the original back, no state file. */
	engine_memcg.shutdown(m);
	v = faketree_get(root, CG "/machine/vm1/memory.swap.max");
	assert_string_equal(v, "1234567");
	free(v);
	assert_null(ledger_original(d.ledger,
	    CG "/machine/vm1/memory.swap.max"));

	/* As an earlier release's run that died leaves it. */
	faketree_put(root, CG "/machine/vm1/memory.swap.max", "0\n");
	faketree_put(root, "/run/memcg.state", "ksm-throttler-memcg-state 1\n"
	    "/machine/vm1 1234567\n/machine/gone max\n");
	assert_int_equal(engine_memcg.init(&d, NULL, &m), 0);
	v = faketree_get(root, CG "/machine/vm1/memory.swap.max");
	assert_string_equal(v, "1234567");
	free(v);
	assert_int_equal(faccessat(d.rundirfd, "memcg.state", F_OK, 0), -1);
	engine_memcg.shutdown(m);

	/* A corrupt one: nothing written from it, removed. */
	faketree_put(root, "/run/memcg.state", "ksm-throttler-memcg-state 1\n"
	    "/machine/vm1 banana\n");
	faketree_put(root, CG "/machine/vm1/memory.swap.max", "0\n");
	assert_int_equal(engine_memcg.init(&d, NULL, &m), 0);
	v = faketree_get(root, CG "/machine/vm1/memory.swap.max");
	assert_string_equal(v, "0\n");
	free(v);
	assert_int_equal(faccessat(d.rundirfd, "memcg.state", F_OK, 0), -1);
	engine_memcg.shutdown(m);

	conf_free(d.conf);
	event_base_free(d.base);
	ledger_close(d.ledger);
	close(d.rundirfd);
	rootfs_close();
	faketree_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_class_binding),
		cmocka_unit_test(test_no_controller),
		cmocka_unit_test(test_swap_max_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
