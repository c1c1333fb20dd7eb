/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pressure stall information: /proc/pressure/{memory,io} and a cgroup's
 * memory.pressure and io.pressure, and the stall share between two
 * samples that the memcg and compact engines gate on.
 */
#ifndef KT_PSI_H
#define KT_PSI_H

#include <stdint.h>

struct psi_line {
	int		have;
	double		avg10;
	double		avg60;
	double		avg300;
	uint64_t	total_us;
};

struct psi_sample {
	uint64_t	when_us;	/* monotonic */
	uint64_t	memory_some_us;
	uint64_t	io_some_us;
};

int	psi_parse(const char *, struct psi_line *, struct psi_line *);
int	psi_sample_system(struct psi_sample *);
int	psi_sample_cgroup(const char *, struct psi_sample *);
double	psi_stall_percent(const struct psi_sample *, const struct psi_sample *);

#endif
