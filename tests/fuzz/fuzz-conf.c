/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: a configuration file, and the same bytes as a live *-set. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*sections[] = { "", "ksm", "memcg", "compact" };
	struct conf		*c;
	char			*text, err[512];
	size_t			 i;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		c = conf_new();
		if (conf_apply_text(c, sections[i], text, err, sizeof(err)) == 0)
			cJSON_Delete(conf_to_json(c, ""));
		conf_free(c);
	}
	free(text);
	return 0;
}
