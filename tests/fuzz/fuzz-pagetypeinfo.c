/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the /proc/pagetypeinfo and /proc/meminfo parsers.
 * tests/fuzz/run.sh builds and runs it (make fuzz); its seeds are the
 * layouts in tests/unit/pagetypeinfo/.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meminfo.h"
#include "pagetypeinfo.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pagetypeinfo	 p = { 0 };
	struct meminfo		 m;
	uint64_t		 kb;
	char			*text;
	unsigned		 o;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (pti_parse(text, &p) == 0) {
		for (o = 0; o <= PTI_ORDERS_MAX; o++) {
			(void)pti_movable_below(&p, o, -1);
			(void)pti_free_blocks(&p, o, 0);
		}
		pti_clear(&p);
	}
	(void)meminfo_field(text, "MemFree", &kb);
	(void)meminfo_parse(text, &m);
	free(text);
	return 0;
}
