/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ksm-throttlerctl: the client of ksm-throttlerd's control socket.  One
 * request, one reply.  Status is a table for people or, with --json, the
 * daemon's JSON for scripts; failures say what went wrong on stderr and
 * in the exit status.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "frame.h"
#include "util.h"

/* Exit statuses, as the usage and the README list them. */
#define EXIT_REFUSED		1	/* the daemon said no; its reason shown */
#define EXIT_USAGE		2
#define EXIT_NOT_RUNNING	3
#define EXIT_PERMISSION		4
#define EXIT_PROTOCOL		5	/* no reply, or not one we understand */

/* A daemon that does not answer in this long is reported, not awaited. */
#define REPLY_TIMEOUT_SECS	30

#define MIB			(1024.0 * 1024.0)
/* status --watch: how often the screen is redrawn, in seconds. */
#define WATCH_SECS_DEFAULT	2
/* status: how many VMs the table of savings lists. */
#define TOP_VMS			10

/* Every body a request may carry; one is pointed to. */
struct request {
	Ksmt__Request		 req;
	Ksmt__VMEvent		 event;
	Ksmt__Kick		 kick;
	Ksmt__StatusRequest	 status;
	Ksmt__ConfigRequest	 config;
	Ksmt__ConfigSet		 set;
	int			 json;		/* status --json */
	unsigned		 watch;		/* status --watch: seconds */
};

struct ctl_cmd {
	const char	*name;
	const char	*args;		/* for the usage */
	void		(*build)(struct request *, int, char **);
	void		(*show)(const struct request *, const Ksmt__Reply *);
};

static __attribute__((noreturn)) void	usage(void);

static void
build_kick(struct request *r, int argc, char **argv)
{
	if (argc != 1)
		usage();
	r->req.body_case = KSMT__REQUEST__BODY_KICK;
	r->req.kick = &r->kick;
}

static const char *event_names[] = {
	[KSMT__EVENT_TYPE__CREATING] = "creating",
	[KSMT__EVENT_TYPE__CREATED] = "created",
	[KSMT__EVENT_TYPE__DESTROYING] = "destroying",
	[KSMT__EVENT_TYPE__DESTROYED] = "destroyed",
};

static Ksmt__EventType
parse_event_type(const char *s)
{
	size_t	i;

	for (i = 0; i < nitems(event_names); i++)
		if (strcmp(s, event_names[i]) == 0)
			return (Ksmt__EventType)i;
	warnx("%s: not an event type (creating, created, destroying, "
	    "destroyed)", s);
	usage();
}

static uint64_t
parse_number(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t	v;

	if (parse_u64(s, &v) < 0 || v < min || v > max)
		errx(EXIT_USAGE, "%s %s: expected a number from %llu to %llu",
		    opt, s, (unsigned long long)min, (unsigned long long)max);
	return v;
}

static void
build_event(struct request *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "class", required_argument, NULL, 'k' },
		{ "memory", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	Ksmt__VMEvent	*e = &r->event;
	int		 ch;

	optind = 0;		/* GNU: start afresh on the command's words */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			e->has_pid = 1;
			e->pid = (uint32_t)parse_number("--pid", optarg, 1,
			    INT_MAX);
			break;
		case 'g': e->cgroup = optarg; break;
		case 'k': e->class_name = optarg; break;
		case 'm':
			e->has_memory_bytes = 1;
			e->memory_bytes = parse_number("--memory", optarg, 0,
			    UINT64_MAX);
			break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	e->vm_id = argv[optind];
	e->type = parse_event_type(argv[optind + 1]);
	r->req.body_case = KSMT__REQUEST__BODY_EVENT;
	r->req.event = e;
}

static void
build_status(struct request *r, int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			r->json = 1;
		else if (strcmp(argv[i], "--watch") == 0) {
			r->watch = WATCH_SECS_DEFAULT;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				r->watch = (unsigned)parse_number("--watch",
				    argv[++i], 1, 3600);
		} else
			usage();
	}
	r->req.body_case = KSMT__REQUEST__BODY_STATUS;
	r->req.status = &r->status;
}

static void
build_config(struct request *r, int argc, char **argv)
{
	if (argc != 1)
		usage();
	r->req.body_case = KSMT__REQUEST__BODY_CONFIG;
	r->req.config = &r->config;
}

static void
build_set(struct request *r, int argc, char **argv)
{
	if (argc != 2)
		usage();
	if (strcmp(argv[0], "ksm-set") == 0)
		r->set.section = KSMT__CONFIG_SET__SECTION__KSM;
	else if (strcmp(argv[0], "memcg-set") == 0)
		r->set.section = KSMT__CONFIG_SET__SECTION__MEMCG;
	else
		r->set.section = KSMT__CONFIG_SET__SECTION__COMPACT;
	r->set.json = argv[1];
	r->req.body_case = KSMT__REQUEST__BODY_CONFIG_SET;
	r->req.config_set = &r->set;
}

/* ---- the status table ------------------------------------------- */

static double
num(const cJSON *o, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int
has(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key) != NULL;
}

static const char *
str(const cJSON *o, const char *key, const char *def)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

static const char *
plural(double n)
{
	return n == 1 ? "" : "s";
}

static void
show_uptime(const cJSON *s)
{
	unsigned long	t = (unsigned long)num(s, "uptime_seconds");

	printf("ksm-throttlerd %s, up %luh %02lum %02lus\n\n",
	    str(s, "version", "?"), t / 3600, t / 60 % 60, t % 60);
}

static void
show_ksm(const cJSON *k)
{
	static const char	*runs[] = { "stopped", "running", "unmerging" };
	double			 page = (double)sysconf(_SC_PAGESIZE);
	unsigned		 run = (unsigned)num(k, "run");

	if (k == NULL || !has(k, "run")) {
		printf("KSM         not available (no /sys/kernel/mm/ksm)\n");
		return;
	}
	printf("KSM         %s, %.0f full scan%s\n", run < nitems(runs) ?
	    runs[run] : "?", num(k, "full_scans"), plural(num(k, "full_scans")));
	printf("  saving    %.1f MiB (%.0f pages sharing, %.0f shared)",
	    num(k, "pages_sharing") * page / MIB, num(k, "pages_sharing"),
	    num(k, "pages_shared"));
	if (has(k, "general_profit"))
		printf(", profit %.1f MiB", num(k, "general_profit") / MIB);
	printf("\n  unshared  %.1f MiB, volatile %.1f MiB\n",
	    num(k, "pages_unshared") * page / MIB,
	    num(k, "pages_volatile") * page / MIB);
	if (has(k, "ksmd_cpu_seconds"))
		printf("  ksmd CPU  %.2f s in all\n", num(k, "ksmd_cpu_seconds"));
	printf("  knobs     pages_to_scan %.0f, sleep_millisecs %.0f",
	    num(k, "pages_to_scan"), num(k, "sleep_millisecs"));
	if (has(k, "advisor_mode"))
		printf(", advisor %s", str(k, "advisor_mode", "?"));
	printf("\n");
}

/*
 * The one line that answers "is KSM earning its keep?": what it saves,
 * what it costs in metadata (general_profit is savings minus that) and in
 * ksmd's CPU now.
 */
static void
show_verdict(const cJSON *s)
{
	const cJSON	*k = cJSON_GetObjectItemCaseSensitive(s, "ksm");
	const cJSON	*p = cJSON_GetObjectItemCaseSensitive(s, "policy");
	const cJSON	*b = cJSON_GetObjectItemCaseSensitive(p, "budget");
	double		 page = (double)sysconf(_SC_PAGESIZE);
	double		 saved = num(k, "pages_sharing") * page / MIB;

	if (k == NULL || !has(k, "run"))
		return;
	printf("Saving %.1f MiB", saved);
	if (has(k, "general_profit"))
		printf(" (profit %.1f MiB after KSM's own metadata)",
		    num(k, "general_profit") / MIB);
	if (has(b, "ksmd_cpu_percent"))
		printf(" for %.1f %% of a core", num(b, "ksmd_cpu_percent"));
	if (has(k, "general_profit"))
		printf(": %s", num(k, "general_profit") > 0 ?
		    "KSM is earning its keep" : saved > 0 ?
		    "KSM costs more than it saves" : "nothing merged yet");
	printf("\n\n");
}

static int
vm_cmp(const void *a, const void *b)
{
	double	x = num(*(const cJSON * const *)a, "ksm_merging_pages");
	double	y = num(*(const cJSON * const *)b, "ksm_merging_pages");

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * The VMs that save the most, as their VMMs' ksm_stat says.  A daemon
 * with too many to list says how many it left out of its status.
 */
static void
show_vms(const cJSON *vms, const cJSON *truncated)
{
	const cJSON	*v, **list;
	double		 page = (double)sysconf(_SC_PAGESIZE);
	size_t		 n = 0, i, left_out = (size_t)num(truncated, "vms");

	if ((n = (size_t)cJSON_GetArraySize(vms)) == 0)
		return;
	if ((list = calloc(n, sizeof(*list))) == NULL)
		err(EXIT_PROTOCOL, "calloc");
	n = 0;
	cJSON_ArrayForEach(v, vms)
		list[n++] = v;
	qsort(list, n, sizeof(*list), vm_cmp);
	printf("\n%-24s %8s %12s %12s  %s\n", "VM", "PID", "SAVED MiB",
	    "PROFIT MiB", "STATE");
	for (i = 0; i < n && i < TOP_VMS; i++) {
		printf("%-24.24s %8.0f ", list[i]->string, num(list[i], "pid"));
		if (has(list[i], "ksm_merging_pages"))
			printf("%12.1f %12.1f", num(list[i], "ksm_merging_pages") *
			    page / MIB, num(list[i], "ksm_process_profit") / MIB);
		else
			printf("%12s %12s", "-", "-");
		printf("  %s\n", str(list[i], "state", "?"));
	}
	if (n > TOP_VMS)
		printf("(%zu more)\n", n - TOP_VMS);
	if (left_out > 0)
		printf("(%zu more left out of the status: it is cut to %.0f "
		    "bytes)\n", left_out, num(truncated, "max_bytes"));
	free(list);
}

static void
show_engines(const cJSON *s)
{
	static const char	*names[] = { "policy", "memcg", "compact" };
	const cJSON		*e;
	size_t			 i;

	for (i = 0; i < nitems(names); i++) {
		if ((e = cJSON_GetObjectItemCaseSensitive(s, names[i])) == NULL)
			continue;
		printf("%-11s %s", names[i], str(e, "state", "?"));
		if (has(e, "reason"))
			printf(": %s", str(e, "reason", ""));
		printf("\n");
	}
}

static void
show_dirs(const cJSON *in)
{
	const cJSON	*dirs, *d;

	dirs = cJSON_GetObjectItemCaseSensitive(in, "dirs");
	cJSON_ArrayForEach(d, dirs) {
		printf("  %-24s %s", str(d, "path", "?"), str(d, "state", "?"));
		if (has(d, "waiting_in"))
			printf(" in %s", str(d, "waiting_in", "?"));
		printf(", %.0f VM%s\n", num(d, "vms"), plural(num(d, "vms")));
	}
}

/* An input with a connection (libvirt): where to, and how it goes. */
static void
show_connection(const cJSON *in)
{
	if (!has(in, "uri"))
		return;
	printf("  %-24s %s", str(in, "uri", "?"), str(in, "state", "?"));
	if (has(in, "last_error"))
		printf(": %s", str(in, "last_error", ""));
	else if (has(in, "domains_known"))
		printf(", %.0f domain%s", num(in, "domains_known"),
		    plural(num(in, "domains_known")));
	printf("\n");
}

static void
show_inputs(const cJSON *inputs)
{
	const cJSON	*in, *ev;

	printf("\n%-11s %-8s %9s %8s %11s %10s %6s\n", "INPUT", "STATE",
	    "CREATING", "CREATED", "DESTROYING", "DESTROYED", "KICK");
	cJSON_ArrayForEach(in, inputs) {
		ev = cJSON_GetObjectItemCaseSensitive(in, "events");
		printf("%-11s %-8s %9.0f %8.0f %11.0f %10.0f %6.0f\n",
		    in->string, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in,
		    "running")) ? "running" : "off", num(ev, "creating"),
		    num(ev, "created"), num(ev, "destroying"),
		    num(ev, "destroyed"), num(ev, "kick"));
	}
	cJSON_ArrayForEach(in, inputs) {
		show_dirs(in);
		show_connection(in);
	}
}

static void
show_control(const cJSON *c)
{
	const cJSON	*r, *v;
	double		 rejected = 0;

	if (c == NULL)
		return;
	r = cJSON_GetObjectItemCaseSensitive(c, "rejected");
	cJSON_ArrayForEach(v, r)
		rejected += cJSON_IsNumber(v) ? v->valuedouble : 0;
	printf("\ncontrol     %s: %.0f client%s, %.0f accepted, %.0f refused\n",
	    str(c, "socket", "?"), num(c, "clients"), plural(num(c, "clients")),
	    num(c, "accepted"), rejected);
}

static void
show_status(const struct request *r, const Ksmt__Reply *rep)
{
	cJSON	*s;

	if (rep->json == NULL)
		errx(EXIT_PROTOCOL, "the daemon sent no status");
	if (r->json) {
		printf("%s\n", rep->json);
		return;
	}
	if ((s = cJSON_Parse(rep->json)) == NULL)
		errx(EXIT_PROTOCOL, "the daemon's status is not JSON");
	if (r->watch)
		printf("\033[H\033[2J");	/* home, clear: redraw in place */
	show_uptime(s);
	show_verdict(s);
	show_ksm(cJSON_GetObjectItemCaseSensitive(s, "ksm"));
	show_engines(s);
	show_vms(cJSON_GetObjectItemCaseSensitive(s, "vms"),
	    cJSON_GetObjectItemCaseSensitive(s, "truncated"));
	show_inputs(cJSON_GetObjectItemCaseSensitive(s, "inputs"));
	show_control(cJSON_GetObjectItemCaseSensitive(s, "control"));
	cJSON_Delete(s);
}

/* The daemon's JSON as it sent it: 64-bit numbers stay exact. */
static void
show_json(const struct request *r, const Ksmt__Reply *rep)
{
	if (rep->json == NULL)
		errx(EXIT_PROTOCOL, "the daemon sent no configuration");
	printf("%s\n", rep->json);
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", "[--json] [--watch [SECS]]", build_status, show_status },
	{ "config", "", build_config, show_json },
	{ "kick", "", build_kick, NULL },
	{ "event", "VMID creating|created|destroying|destroyed [--pid N] "
	    "[--cgroup PATH] [--class NAME] [--memory BYTES]", build_event,
	    NULL },
	{ "ksm-set", "JSON", build_set, NULL },
	{ "memcg-set", "JSON", build_set, NULL },
	{ "compact-set", "JSON", build_set, NULL },
	{ NULL, NULL, NULL, NULL }
};

static const struct ctl_cmd *
ctl_cmds_find(const char *name)
{
	const struct ctl_cmd	*c;

	for (c = ctl_cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static __attribute__((noreturn)) void
usage(void)
{
	const struct ctl_cmd	*c;

	fprintf(stderr, "usage: ksm-throttlerctl [-s socket] command\n");
	for (c = ctl_cmds; c->name != NULL; c++)
		fprintf(stderr, "       ksm-throttlerctl %s%s%s\n", c->name,
		    *c->args ? " " : "", c->args);
	fprintf(stderr, "exit: 0 done, 1 refused by the daemon, 2 usage, "
	    "3 daemon not running, 4 permission denied, 5 protocol error\n");
	exit(EXIT_USAGE);
}

/* ---- the conversation ------------------------------------------- */

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	struct timeval		tv = { REPLY_TIMEOUT_SECS, 0 };
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (xsnprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) < 0)
		errx(EXIT_USAGE, "%s: socket path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(EXIT_PROTOCOL, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		err(EXIT_PROTOCOL, "setsockopt");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENOTDIR:
	case ECONNREFUSED:
		errx(EXIT_NOT_RUNNING, "ksm-throttlerd is not running (nothing "
		    "listens on %s)", path);
	case EACCES:
	case EPERM:
		errx(EXIT_PERMISSION, "%s: permission denied (root and the "
		    "daemon's socket.group may connect)", path);
	case EAGAIN:
	case ETIMEDOUT:
		/* It listens, but its queue of connections stayed full. */
		errx(EXIT_PROTOCOL, "ksm-throttlerd is not accepting "
		    "connections on %s (none accepted in %d s)", path,
		    REPLY_TIMEOUT_SECS);
	default:
		err(EXIT_NOT_RUNNING, "%s", path);
	}
}

/*
 * Send the request; 0, or -errno if the daemon hung up first.  It may
 * have said why before it did (BUSY), so the caller still reads.
 */
static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return -errno;
			err(EXIT_PROTOCOL, "sending the request");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
read_all(int fd, uint8_t *p, size_t len, int sent)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			errx(EXIT_PROTOCOL, "no reply from ksm-throttlerd in "
			    "%d s", REPLY_TIMEOUT_SECS);
		if (n == -1 && sent < 0)
			errno = -sent;	/* what went wrong first */
		if (n == -1 && sent < 0)
			err(EXIT_PROTOCOL, "sending the request");
		if (n == -1)
			err(EXIT_PROTOCOL, "reading the reply");
		if (n == 0)
			errx(EXIT_PROTOCOL, "ksm-throttlerd closed the "
			    "connection without a reply");
		p += n;
		len -= (size_t)n;
	}
}

static Ksmt__Reply *
ctl_call(int fd, const Ksmt__Request *req)
{
	Ksmt__Reply	*rep;
	uint8_t		 hdr[FRAME_HDR_LEN], *buf;
	size_t		 len;
	int		 sent;

	if ((buf = frame_pack(&req->base, &len)) == NULL)
		errx(EXIT_PROTOCOL, "cannot pack the request");
	sent = write_all(fd, buf, len);
	free(buf);
	read_all(fd, hdr, sizeof(hdr), sent);
	if (frame_length(hdr, sizeof(hdr), FRAME_REPLY_MAX, &len) < 0)
		errx(EXIT_PROTOCOL, "reply of %zu bytes: too large", len);
	if ((buf = malloc(len ? len : 1)) == NULL)
		err(EXIT_PROTOCOL, "malloc");
	read_all(fd, buf, len, sent);
	if ((rep = frame_reply_unpack(buf, len)) == NULL)
		errx(EXIT_PROTOCOL, "the reply does not decode");
	free(buf);
	return rep;
}

static int
reply_exit(const Ksmt__Reply *rep)
{
	const char	*msg = rep->message ? rep->message : "";

	switch (rep->code) {
	case KSMT__REPLY__CODE__OK:
		return 0;
	case KSMT__REPLY__CODE__PERMISSION_DENIED:
		warnx("refused: %s", msg);
		return EXIT_PERMISSION;
	case KSMT__REPLY__CODE__BAD_VERSION:
		warnx("protocol version mismatch: %s", msg);
		return EXIT_PROTOCOL;
	case KSMT__REPLY__CODE__BUSY:
		warnx("busy: %s", msg);
		return EXIT_REFUSED;
	case KSMT__REPLY__CODE__BAD_REQUEST:
	case KSMT__REPLY__CODE__INVALID_CONFIG:
	case KSMT__REPLY__CODE__INTERNAL:
		warnx("refused: %s (%s)", msg, frame_code_name(rep->code));
		return EXIT_REFUSED;
	default:
		/* A newer daemon's code: not a reply this client knows. */
		warnx("reply code %d, unknown to this client: %s",
		    (int)rep->code, msg);
		return EXIT_PROTOCOL;
	}
}

static void
request_init(struct request *r)
{
	memset(r, 0, sizeof(*r));
	ksmt__request__init(&r->req);
	ksmt__vmevent__init(&r->event);
	ksmt__kick__init(&r->kick);
	ksmt__status_request__init(&r->status);
	ksmt__config_request__init(&r->config);
	ksmt__config_set__init(&r->set);
	r->req.version = KT_PROTO_VERSION;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_cmd	*cmd;
	struct request		 r;
	Ksmt__Reply		*rep;
	const char		*path;
	int			 ch, fd, rc;

	if ((path = getenv("KSM_THROTTLER_SOCKET")) == NULL || *path == '\0')
		path = KT_RUNDIR "/ksm-throttler.sock";
	/* "+": options of the daemon's client end at the command. */
	while ((ch = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 || (cmd = ctl_cmds_find(argv[0])) == NULL)
		usage();
	request_init(&r);
	cmd->build(&r, argc, argv);

	do {
		fd = ctl_connect(path);
		rep = ctl_call(fd, &r.req);
		close(fd);
		if ((rc = reply_exit(rep)) == 0 && cmd->show != NULL)
			cmd->show(&r, rep);
		ksmt__reply__free_unpacked(rep, NULL);
		if (fflush(stdout) == EOF)
			err(EXIT_PROTOCOL, "stdout");
	} while (rc == 0 && r.watch && sleep(r.watch) == 0);
	return rc;
}
