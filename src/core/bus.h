/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VM event bus: what every input reports (a VM coming or going, or a
 * kick), and the one handle an input holds on the daemon, its port: it
 * emits through it, and learns the event base, the configuration and the
 * clock from it, nothing more.
 */
#ifndef KT_BUS_H
#define KT_BUS_H

#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

struct conf;
struct event_base;

enum vm_event_type {
	VM_CREATING,
	VM_CREATED,
	VM_DESTROYING,
	VM_DESTROYED,
	VM_KICK,		/* "look again", no VM named */
	VM_EVENT_MAX
};

#define VM_ID_MAX	256
/* A sender's name (a registered client): 1 to this many bytes. */
#define SENDER_NAME_MAX	64

struct vm_event {
	enum vm_event_type	 type;
	char			 vm_id[VM_ID_MAX];
	pid_t			 pid;		/* VMM pid, 0 if unknown */
	const char		*cgroup;	/* NULL if unknown */
	const char		*class_name;	/* NULL if unknown */
	uint64_t		 memory_bytes;	/* 0 if unknown */
	const char		*input;		/* name of the input it came from */
	const char		*sender;	/* who sent it there (a client's
						   name, inotify's directory),
						   or NULL */
};

struct bus_port;

const char		*vm_event_type_name(enum vm_event_type);
void			 bus_emit(struct bus_port *, struct vm_event *);
void			 bus_sender(struct bus_port *, const char *);
struct event_base	*bus_base(const struct bus_port *);
const struct conf	*bus_conf(const struct bus_port *);
uint64_t		 bus_now(const struct bus_port *);
cJSON			*bus_port_status(cJSON *, const struct bus_port *);

#endif
