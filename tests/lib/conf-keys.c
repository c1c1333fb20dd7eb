/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf-keys: the configuration table as the documentation must show it,
 * one key a line, tab-separated: name, type, min, max, default (spelt as
 * in the file, as `ksm-throttlerd -n` prints it) and, for enums, the
 * choices.  tests/integration/man-keys.sh checks ksm-throttler.json(5)
 * against it, so a key added to src/core/conf-table.c without its man page
 * entry fails the tests by name.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static const char *type_names[CONF_TYPE_MAX] = {
	[CONF_BOOL] = "bool",
	[CONF_UINT] = "integer",
	[CONF_STRING] = "string",
	[CONF_STRLIST] = "list",
	[CONF_SIZE] = "size",
	[CONF_ENUM] = "enum",
	[CONF_JSON] = "json",
};

/* The value at a dotted path of the printed configuration. */
static const cJSON *
lookup(const cJSON *root, const char *name)
{
	char		 part[128];
	const char	*dot;
	size_t		 len;

	while (root != NULL && (dot = strchr(name, '.')) != NULL) {
		len = (size_t)(dot - name);
		if (len >= sizeof(part))
			return NULL;
		memcpy(part, name, len);
		part[len] = '\0';
		root = cJSON_GetObjectItemCaseSensitive(root, part);
		name = dot + 1;
	}
	return root ? cJSON_GetObjectItemCaseSensitive(root, name) : NULL;
}

int
main(void)
{
	const struct conf_key	*k;
	const char * const	*ch;
	struct conf		*c;
	cJSON			*j;
	char			*def;

	c = conf_new();
	j = conf_to_json(c, "");
	for (k = conf_table; k->name != NULL; k++) {
		def = cJSON_PrintUnformatted(lookup(j, k->name));
		printf("%s\t%s\t%llu\t%llu\t%s\t", k->name,
		    k->type < CONF_TYPE_MAX ? type_names[k->type] : "?",
		    (unsigned long long)k->min, (unsigned long long)k->max,
		    def ? def : "?");
		for (ch = k->choices; ch != NULL && *ch != NULL; ch++)
			printf("%s%s", ch == k->choices ? "" : ",", *ch);
		printf("\n");
		free(def);
	}
	cJSON_Delete(j);
	conf_free(c);
	return 0;
}
