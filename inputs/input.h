/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inputs: the sources that tell the daemon VMs come and go.  Each is a
 * const struct input_ops in input_table[] (input.c), found by name; an
 * input turns what it sees into struct vm_event and hands it to
 * input_emit(), which counts it under the input's name and puts it on
 * the daemon's event bus.
 */
#ifndef KT_INPUT_H
#define KT_INPUT_H

#include <cjson/cJSON.h>

#include "daemon.h"

struct conf;
struct input;

struct input_ops {
	const char	*name;
	/* From the configuration: should it run?  NULL: always. */
	int		(*enabled)(const struct conf *);
	int		(*start)(struct input *, void **);
	void		(*stop)(void *);
	/*
	 * Its keys changed (inputs.NAME.*) while it stays enabled.  NULL:
	 * it is stopped and started again.
	 */
	void		(*reconfigure)(void *, const struct conf *);
	/* Add what it knows to its object in status' "inputs". */
	void		(*status)(void *, cJSON *);
};

extern const struct input_ops	*input_table[];

struct daemon	*input_daemon(const struct input *);
void		 input_emit(struct input *, struct vm_event *);
struct input	*input_find(struct daemon *, const char *);
void		*input_state(const struct input *);

void		 inputs_start(struct daemon *);
void		 inputs_stop(struct daemon *);
void		 inputs_reconfigure(struct daemon *, const struct conf *);
void		 inputs_status(struct daemon *, cJSON *);

#endif
