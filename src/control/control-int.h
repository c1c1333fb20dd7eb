/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the control socket, shared by its three files: control.c (the
 * socket file, accepting, peer credentials), control-client.c (each
 * client's framing, limits and fair share) and control-cmd.c (what each
 * request does).
 */
#ifndef KT_CONTROL_INT_H
#define KT_CONTROL_INT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <event2/util.h>

#include "input-socket.h"
#include "ksm-throttler.pb-c.h"

struct bufferevent;
struct bus_port;
struct daemon;
struct event;
struct evbuffer_cb_entry;
struct evconnlistener;

enum reject {
	REJECT_BUSY,
	REJECT_OVERSIZED,
	REJECT_UNDECODABLE,
	REJECT_BAD_VERSION,
	REJECT_BAD_REQUEST,
	REJECT_PERMISSION,
	REJECT_INVALID_CONFIG,
	REJECT_TIMEOUT,
	REJECT_MAX
};

struct client {
	TAILQ_ENTRY(client)	 entry;
	TAILQ_ENTRY(client)	 wait_entry;	/* in ctl->waiting */
	struct control		*ctl;
	struct bufferevent	*bev;
	struct evbuffer_cb_entry *out_cb;	/* counts into ctl->queued */
	struct event		*deadline;	/* a frame must be whole by then */
	struct event		*resume;	/* more frames after a yield */
	unsigned long long	 id;
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 gid;
	int			 privileged;
	int			 talked;	/* sent a whole frame */
	int			 paused;	/* replies piled up */
	int			 waiting;	/* for ctl->queued to go down */
	int			 closing;	/* flush the replies, then free */
	int			 eof;
	unsigned		 errors;
	char			 name[CLIENT_NAME_MAX + 1];
};

TAILQ_HEAD(client_list, client);

struct control {
	struct daemon		*d;
	struct bus_port		*port;		/* events and kicks */
	struct evconnlistener	*listener;
	struct event		*backoff;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char		*base;		/* path's name in the run directory */
	struct client_list	 clients;
	size_t			 nclients;
	struct client_list	 waiting;	/* oldest first */
	size_t			 nwaiting;
	uint64_t		 waits;		/* clients made to wait, ever */
	size_t			 queued;	/* reply bytes, all clients */
	int			 draining;	/* over REPLIES_HIGH, not yet
						   under REPLIES_LOW */
	struct event		*wake;		/* serve the waiting */
	unsigned long long	 next_id;
	uint64_t		 accepted;
	uint64_t		 rejected[REJECT_MAX];
	int			 full;		/* at max_clients, logged */
	char			*group;		/* socket.group as resolved */
	gid_t			 gid;
	int			 have_gid;
};

struct reply {
	Ksmt__Reply__Code	 code;
	char			 message[512];
	char			*json;		/* malloc'ed, or NULL */
};

void	 client_setup(struct client *, int);
void	 client_limits(struct client *);
void	 client_free(struct client *);
void	 client_reject(struct client *, struct reply *, enum reject,
	    Ksmt__Reply__Code, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
void	 control_wake(evutil_socket_t, short, void *);
void	 control_dispatch(struct client *, const Ksmt__Request *,
	    struct reply *);

#endif
