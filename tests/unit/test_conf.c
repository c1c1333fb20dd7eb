/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the configuration table, parsing, validation, live changes. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"

static void
test_defaults(void **state)
{
	struct conf	*c = conf_new();

	assert_int_equal(c->memcg_period_secs, 600);
	assert_int_equal(c->memcg_swappiness_max, 50);
	assert_int_equal(c->memcg_eviction_run_aging_count_min, 3);
	assert_int_equal(c->compact_order, 9);
	assert_int_equal(c->compact_threshold, 1024);
	assert_true(c->compact_force_times == UINT64_MAX);
	assert_int_equal(c->inotify_dirs.n, 1);
	assert_string_equal(c->inotify_dirs.v[0], "/run/vc/sbs");
	assert_int_equal(c->cache_reclaim_threshold.percent, 1);
	assert_int_equal(c->cache_reclaim_threshold.value, 25);
	assert_string_equal(c->cache_reclaim_parent, "");
	conf_free(c);
}

static void
test_every_key_has_help(void **state)
{
	const struct conf_key	*k;

	for (k = conf_table; k->name != NULL; k++) {
		assert_non_null(k->help);
		assert_true(k->type < CONF_TYPE_MAX);
		if (k->type == CONF_UINT)
			assert_true(k->def >= k->min && k->def <= k->max);
	}
}

static void
expect_error(const char *section, const char *json, const char *needle)
{
	struct conf	*c = conf_new();
	char		 err[512];

	assert_int_equal(conf_apply_text(c, section, json, err, sizeof(err)),
	    -EINVAL);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	/* A refused change leaves every key as it was. */
	assert_int_equal(c->memcg_period_secs, 600);
	assert_int_equal(c->compact_order, 9);
	conf_free(c);
}

static void
test_errors(void **state)
{
	expect_error("", "{", "not valid JSON");
	expect_error("", "[]", "expected an object");
	expect_error("", "{\"nope\": 1}", "nope: unknown key");
	expect_error("", "{\"memcg\": {\"bogus\": 1}}", "memcg.bogus: unknown key");
	expect_error("", "{\"memcg\": 5}", "memcg: expected an object");
	expect_error("", "{\"memcg\": {\"period_secs\": 0}}",
	    "memcg.period_secs: expected an integer from 1");
	expect_error("", "{\"memcg\": {\"period_secs\": \"10\"}}",
	    "memcg.period_secs");
	expect_error("", "{\"memcg\": {\"period_secs\": 1.5}}",
	    "memcg.period_secs");
	expect_error("", "{\"memcg\": {\"period_secs\": -3}}",
	    "memcg.period_secs");
	expect_error("", "{\"memcg\": {\"swap\": 1}}",
	    "memcg.swap: expected true or false");
	expect_error("", "{\"compact\": {\"compact_order\": 11}}",
	    "compact.compact_order");
	expect_error("", "{\"inputs\": {\"inotify\": {\"dirs\": \"/x\"}}}",
	    "inputs.inotify.dirs: expected a list");
	expect_error("", "{\"inputs\": {\"inotify\": {\"dirs\": [1]}}}",
	    "inputs.inotify.dirs");
	expect_error("", "{\"memcg\": {\"cache_reclaim\": {\"threshold\": "
	    "\"101%\"}}}", "memcg.cache_reclaim.threshold");
	/* All or nothing: a good key before a bad one is not applied. */
	expect_error("memcg", "{\"period_secs\": 5, \"nope\": 1}",
	    "memcg.nope: unknown key");
	expect_error("nosuch", "{}", "nosuch: unknown section");
	/* JSON lets a key come twice, the last winning: not here. */
	expect_error("", "{\"compact\": {\"period_secs\": 5, "
	    "\"period_secs\": 7}}", "compact.period_secs: given twice");
	expect_error("", "{\"compact\": {}, \"compact\": {\"disabled\": "
	    "true}}", "compact: given twice");
	expect_error("compact", "{\"disabled\": true, \"disabled\": false}",
	    "compact.disabled: given twice");
	/* A path is not a key. */
	expect_error("", "{\"compact.period_secs\": 9}",
	    "compact.period_secs: unknown key");
}

/* The integer a one-key change of section leaves in the key, read back. */
static uint64_t
apply_u64(const char *section, const char *json, size_t offset)
{
	struct conf	*c = conf_new();
	char		 err[512];
	uint64_t	 v;

	if (conf_apply_text(c, section, json, err, sizeof(err)) < 0)
		fail_msg("%s: %s", json, err);
	v = *(uint64_t *)(void *)((char *)c + offset);
	conf_free(c);
	return v;
}

static void
test_integers_exact(void **state)
{
	/* Past 2^53, where a double would round them. */
	assert_true(apply_u64("compact", "{\"compact_threshold\": "
	    "9007199254740993}", offsetof(struct conf, compact_threshold)) ==
	    9007199254740993ULL);
	assert_true(apply_u64("compact", "{\"compact_force_times\": "
	    "18446744073709551000}", offsetof(struct conf,
	    compact_force_times)) == 18446744073709551000ULL);
	assert_true(apply_u64("compact", "{\"compact_force_times\": "
	    "18446744073709551615}", offsetof(struct conf,
	    compact_force_times)) == UINT64_MAX);
	/* Numbers are found in the text past strings holding digits. */
	assert_true(apply_u64("", "{\"inputs\": {\"inotify\": {\"ignore\": "
	    "[\"1\\\"2\", \"3\"]}}, \"compact\": {\"compact_order\": 4, "
	    "\"compact_threshold\": 9007199254740995}}", offsetof(struct conf,
	    compact_threshold)) == 9007199254740995ULL);
	expect_error("compact", "{\"compact_force_times\": "
	    "18446744073709551616}", "compact.compact_force_times: expected "
	    "an integer from 0 to 18446744073709551615");
}

static void
test_integers_digits_only(void **state)
{
	expect_error("memcg", "{\"period_secs\": 6e2}",
	    "memcg.period_secs: expected an integer from 1 to 604800, written "
	    "without fraction or exponent");
	expect_error("memcg", "{\"period_secs\": 6E2}",
	    "without fraction or exponent");
	expect_error("memcg", "{\"period_secs\": 600.0}",
	    "without fraction or exponent");
	expect_error("memcg", "{\"period_secs\": -0}", "memcg.period_secs");
	expect_error("memcg", "{\"cache_reclaim\": {\"threshold\": 1e3}}",
	    "memcg.cache_reclaim.threshold");
	/* A size written as a string: digits and a suffix, nothing between. */
	expect_error("memcg", "{\"cache_reclaim\": {\"threshold\": "
	    "\"12\\nK\"}}", "memcg.cache_reclaim.threshold");
	expect_error("memcg", "{\"cache_reclaim\": {\"threshold\": "
	    "\"25\\n%\"}}", "memcg.cache_reclaim.threshold");
	expect_error("memcg", "{\"cache_reclaim\": {\"threshold\": "
	    "\"12 K\"}}", "memcg.cache_reclaim.threshold");
	expect_error("memcg", "{\"cache_reclaim\": {\"threshold\": "
	    "\"12K\\n\"}}", "memcg.cache_reclaim.threshold");
}

static void
test_inotify_lists(void **state)
{
	struct conf	*c = conf_new();
	char		 err[512];

	expect_error("inputs", "{\"inotify\": {\"dirs\": [\"relative/dir\"]}}",
	    "inputs.inotify.dirs: entry 0: expected an absolute path");
	expect_error("inputs", "{\"inotify\": {\"dirs\": [\"/y/../etc\"]}}",
	    "inputs.inotify.dirs: entry 0: expected an absolute path");
	expect_error("inputs", "{\"inotify\": {\"dirs\": [\"/ok\", "
	    "\"/a/*/b\"]}}", "inputs.inotify.dirs: entry 1: a pattern");
	expect_error("inputs", "{\"inotify\": {\"dirs\": [\"/x/*a*.pid\"]}}",
	    "inputs.inotify.dirs: entry 0: a pattern");
	expect_error("inputs", "{\"inotify\": {\"pid_files\": "
	    "[\"/run/no-placeholder/pid\"]}}",
	    "inputs.inotify.pid_files: entry 0: expected an absolute path "
	    "with");
	expect_error("inputs", "{\"inotify\": {\"pid_files\": "
	    "[\"rel/{vm}\"]}}", "inputs.inotify.pid_files: entry 0");
	expect_error("inputs", "{\"inotify\": {\"pid_files\": "
	    "[\"/run/{vm}/../pid\"]}}", "inputs.inotify.pid_files: entry 0");
	expect_error("inputs", "{\"inotify\": {\"pid_files\": "
	    "[\"/run/{vm}/{vm}\"]}}", "inputs.inotify.pid_files: entry 0");

	assert_int_equal(conf_apply_text(c, "inputs", "{\"inotify\": "
	    "{\"dirs\": [\"/run/vc/sbs\", \"/run/libvirt/qemu/*.pid\", "
	    "\"/z//q/\"], \"pid_files\": [\"/run/vc/{vm}.pid\"]}}", err,
	    sizeof(err)), 0);
	assert_int_equal(c->inotify_dirs.n, 3);
	assert_string_equal(c->inotify_pid_files.v[0], "/run/vc/{vm}.pid");
	conf_free(c);
}

static void
test_partial_apply(void **state)
{
	struct conf	*c = conf_new();
	char		 err[256];

	assert_int_equal(conf_apply_text(c, "memcg",
	    "{\"period_secs\": 30, \"swap\": true}", err, sizeof(err)), 0);
	assert_int_equal(c->memcg_period_secs, 30);
	assert_int_equal(c->memcg_swap, 1);
	assert_int_equal(c->memcg_swappiness_max, 50);
	assert_int_equal(conf_apply_text(c, "memcg",
	    "{\"cache_reclaim\": {\"threshold\": \"512M\"}}", err,
	    sizeof(err)), 0);
	assert_int_equal(c->cache_reclaim_threshold.percent, 0);
	assert_true(c->cache_reclaim_threshold.value == 512ULL << 20);
	assert_int_equal(conf_apply_text(c, "compact",
	    "{\"compact_force_times\": 18446744073709551615}", err,
	    sizeof(err)), 0);
	assert_true(c->compact_force_times == UINT64_MAX);
	assert_int_equal(conf_apply_text(c, "compact",
	    "{\"compact_force_times\": 0}", err, sizeof(err)), 0);
	assert_int_equal(c->compact_force_times, 0);
	conf_free(c);
}

static void
test_roundtrip(void **state)
{
	struct conf	*a = conf_new(), *b = conf_new();
	cJSON		*j;
	char		*text, err[256];

	assert_int_equal(conf_apply_text(a, "", "{\"memcg\": {\"period_secs\":"
	    " 7}, \"inputs\": {\"inotify\": {\"dirs\": [\"/a\", \"/b\"]}}}",
	    err, sizeof(err)), 0);
	j = conf_to_json(a, "");
	text = cJSON_PrintUnformatted(j);
	assert_non_null(strstr(text, "\"compact_force_times\":"
	    "18446744073709551615"));
	assert_int_equal(conf_apply_text(b, "", text, err, sizeof(err)), 0);
	assert_false(conf_changed(a, b, ""));
	assert_false(conf_changed(a, b, "memcg"));
	free(text);
	cJSON_Delete(j);
	conf_free(a);
	conf_free(b);
}

static void
test_changed_by_section(void **state)
{
	struct conf	*a = conf_new(), *b = conf_new();
	char		 err[256];

	assert_int_equal(conf_apply_text(b, "compact",
	    "{\"period_secs\": 60}", err, sizeof(err)), 0);
	assert_true(conf_changed(a, b, "compact"));
	assert_false(conf_changed(a, b, "memcg"));
	assert_false(conf_changed(a, b, "ksm"));
	conf_free(a);
	conf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key_has_help),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_integers_exact),
		cmocka_unit_test(test_integers_digits_only),
		cmocka_unit_test(test_inotify_lists),
		cmocka_unit_test(test_partial_apply),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_changed_by_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
