/*
 * libFuzzer target for the /proc/pagetypeinfo and /proc/meminfo parsers.
 * Build and run from the source tree, after ./configure in _build:
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I_build -Isrc \
 *	    fuzz/pagetypeinfo-fuzzer.c src/pagetypeinfo.c src/meminfo.c \
 *	    src/rootfs.c src/util.c src/log.c -levent \
 *	    -o _build/pagetypeinfo-fuzzer
 *	mkdir -p _build/fuzz-corpus
 *	cp tests/unit/pagetypeinfo/* _build/fuzz-corpus
 *	_build/pagetypeinfo-fuzzer -max_total_time=60 _build/fuzz-corpus
 *
 * (libFuzzer adds what it finds to the corpus directory, hence the copy.)
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
	(void)meminfo_parse(text, "MemFree", &kb);
	free(text);
	return 0;
}
