/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the small kernel-file parsers.  The first byte picks the
 * parser, the rest is the file: /proc/<pid>/stat, PSI, ksm_stat (as
 * status reads it, and as the walk for mergeable processes does), the
 * KSM state file of the previous release, numbers from sysfs and pid
 * files, advisor_mode, /proc/<pid>/statm, the host ledger's state file.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksm-sysfs.h"
#include "ledger.h"
#include "mergeable.h"
#include "proc-cgroup.h"
#include "psi.h"
#include "util.h"
#include "vm-registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Each setting the ledger's parser hands over must be a C string. */
static int
ledger_add(void *arg, const char *path, const char *value)
{
	size_t	*n = arg;

	*n += strlen(path) + strlen(value);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psi_line	 some, full;
	struct ksm_stat	 st;
	int64_t		 vals[KSM_FILE_MAX], i64;
	uint64_t	 u64;
	uint32_t	 have;
	char		*text, comm[32], cg[256];
	size_t		 n = 0;

	if (size == 0 || (text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 10) {
	case 0: ksm_parse_proc_stat(text, comm, sizeof(comm), &u64); break;
	case 1: psi_parse(text, &some, &full); break;
	case 2: ksm_stat_parse(text, &st); break;
	case 3: ksm_state_parse(text, vals, &have); break;
	case 4: parse_u64(text, &u64); parse_i64(text, &i64); break;
	case 5: ksm_parse_advisor(text, &i64); break;
	case 6: ksm_stat_mergeable(text); break;
	case 7: statm_anon_pages(text, &u64); break;
	case 8: ledger_state_parse(text, ledger_add, &n); break;
	case 9: proc_cgroup_parse(text, cg, sizeof(cg)); break;
	}
	free(text);
	return 0;
}
