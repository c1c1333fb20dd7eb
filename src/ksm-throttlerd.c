/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ksm-throttlerd: keeps a VM host's memory lean.  Options, start-up,
 * signals and an orderly shutdown that leaves the host's KSM settings as
 * they were found.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "conffile.h"
#include "control.h"
#include "daemon.h"
#include "ksm-sysfs.h"
#include "ledger.h"
#include "log.h"
#include "module.h"
#include "rootfs.h"
#include "sdnotify.h"
#include "util.h"

/* Descriptors the daemon holds besides its clients': files, inotify, ... */
#define FD_RESERVE	64
/*
 * Buffers from this size up (status replies listing many VMs) are mapped
 * on their own and unmapped when freed.  glibc starts there too, but
 * raises the threshold as such buffers are freed, after which they come
 * from the heap, which a burst of status requests leaves fragmented at
 * its peak for good.
 */
#define MMAP_THRESHOLD	(128 * 1024)

extern const struct module_ops	engine_vms;
extern const struct module_ops	engine_ksm;
extern const struct module_ops	engine_metrics;
extern const struct module_ops	engine_memcg;
extern const struct module_ops	engine_compact;
extern const struct module_ops	input_inotify;
#ifdef HAVE_LIBVIRT
extern const struct module_ops	input_libvirt;
#endif

/*
 * Everything the daemon runs.  Started in this order (the required ones,
 * the control socket, first), stopped in the reverse one; every VM event
 * reaches them in this order, and status lists them in it.
 */
static const struct module_ops *const modules[] = {
	&engine_vms,		/* first: the others replay the VMs it knows */
	&engine_ksm,
	&engine_metrics,
	&engine_memcg,
	&engine_compact,
	&conffile_module,
	&input_inotify,
#ifdef HAVE_LIBVIRT
	&input_libvirt,
#endif
	&control_module,	/* the input "socket" too */
	&sdnotify_module,	/* last: ready once the others are */
	NULL
};

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
	    "usage: ksm-throttlerd [-fnv] [-c file] [--socket path] "
	    "[--root dir] [--version]\n");
	exit(1);
}

static void
check_config(const struct conf *c)
{
	cJSON	*j;
	char	*s;

	j = conf_to_json(c, "");
	if ((s = cJSON_Print(j)) == NULL)
		fatalx("cannot print the configuration");
	printf("%s\n", s);
	free(s);
	cJSON_Delete(j);
}

/* SIGUSR1: the status, as `ksm-throttlerctl status --json` shows it. */
static void
log_status(struct daemon *d)
{
	cJSON	*j;
	char	*text;

	j = daemon_status(d);
	if ((text = cJSON_PrintUnformatted(j)) != NULL)
		log_info("status: %s", text);
	free(text);
	cJSON_Delete(j);
}

static void
daemon_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("%s: shutting down", strsignal((int)sig));
		event_base_loopbreak(d->base);
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading %s", d->conf_path ? d->conf_path :
		    "(no file)");
		conffile_reload(daemon_module(d, "config"), "SIGHUP");
		break;
	case SIGUSR1:
		log_status(d);
		break;
	}
}

/*
 * The run directory: made if missing, and used only if it is a real
 * directory (not a symlink someone planted), ours, and writable by no
 * one else, so that nobody can put a socket, pid or state file in our
 * way.
 */
static int
rundir_open(const char *path)
{
	struct stat	st;
	int		fd;

	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		fatal("run directory %s", path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && (errno == ELOOP || errno == ENOTDIR))
		fatalx("run directory %s: a symlink or not a directory, "
		    "refusing to use it", path);
	if (fd == -1 || fstat(fd, &st) == -1)
		fatal("run directory %s", path);
	if (st.st_uid != geteuid())
		fatalx("run directory %s: owned by uid %u, not by us (uid %u), "
		    "refusing to use it", path, (unsigned)st.st_uid,
		    (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		fatalx("run directory %s: writable by others (mode %04o), "
		    "refusing to use it", path, (unsigned)(st.st_mode & 07777));
	return fd;
}

/*
 * The run directory holds the socket, the state file and a lock that
 * keeps a second daemon from fighting the first over the same host.
 * Holding the lock is also what lets the control socket replace a
 * socket file left there: no live daemon can own it.
 */
static int
rundir_lock(struct daemon *d)
{
	struct flock	 lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char		 copy[PATH_MAX], pid[32];
	int		 fd;

	if (xsnprintf(copy, sizeof(copy), "%s", d->conf->socket_path) < 0)
		fatalx("socket path too long");
	if (xsnprintf(d->rundir, sizeof(d->rundir), "%s", dirname(copy)) < 0 ||
	    xsnprintf(d->pidfile, sizeof(d->pidfile), "%s/ksm-throttlerd.pid",
	    d->rundir) < 0)
		fatalx("run directory path too long");
	d->rundirfd = rundir_open(d->rundir);
	fd = openat(d->rundirfd, "ksm-throttlerd.pid",
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1 && errno == ELOOP)
		fatalx("%s: a symlink, refusing to use it", d->pidfile);
	if (fd == -1)
		fatal("%s", d->pidfile);
	/*
	 * A POSIX record lock, not flock(): it belongs to this process
	 * alone, so a child still finishing a slow write after the daemon
	 * was killed does not keep the next daemon from starting.
	 */
	if (fcntl(fd, F_SETLK, &lk) == -1) {
		if (errno == EAGAIN || errno == EACCES) {
			if (fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type != F_UNLCK)
				fatalx("another ksm-throttlerd runs with %s "
				    "(pid %d)", d->rundir, (int)lk.l_pid);
			fatalx("another ksm-throttlerd runs with %s", d->rundir);
		}
		fatal("%s: lock", d->pidfile);
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, pid, strlen(pid)) == -1)
		log_warn("%s", d->pidfile);
	return fd;		/* held open until exit: that is the lock */
}

/*
 * The configuration file was refused at start.  What a run that did not
 * exit cleanly left changed on the host is put back all the same, from
 * the run directory of the default socket path (or --socket): under a
 * unit that restarts on failure, a file broken before a crash would
 * otherwise leave the host as the crashed run left it, ksmd perhaps at
 * full speed, for as long as the file stays broken.  A daemon running
 * there keeps its run directory: the lock refuses this one.
 */
static void
put_back(struct daemon *d)
{
	int	lockfd;

	lockfd = rundir_lock(d);
	d->ledger = ledger_open(d->rundirfd, d->rundir);
	d->ksm = ksm_open(d->ledger);
	ledger_replay(d->ledger);
	ksm_close(d->ksm);
	ledger_close(d->ledger);
	unlinkat(d->rundirfd, "ksm-throttlerd.pid", 0);
	close(lockfd);
	close(d->rundirfd);
}

/*
 * Each client of the control socket is a descriptor: the soft limit on
 * them (1024 under systemd and most shells) goes up to the hard one, as
 * daemons do, so that socket.max_clients clients can connect.
 */
static void
fd_limit_raise(const struct conf *c)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_NOFILE, ignoring");
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		log_debug("raising the open files limit from %llu to %llu",
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)rl.rlim_max);
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("setrlimit RLIMIT_NOFILE, ignoring");
			return;
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <
	    c->socket_max_clients + FD_RESERVE)
		log_warnx("open files limit %llu: fewer than socket.max_clients "
		    "(%llu) clients can connect at once",
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)c->socket_max_clients);
}

/*
 * A path given relative (-c, --root, socket.path or --socket), made
 * absolute while the directory it was given in is still ours: daemon()
 * changes to /, and the file is read again on SIGHUP and watched, the
 * socket's directory and the root used for as long as the daemon runs.
 */
static char *
path_option(const char *path)
{
	char	*abs;

	if ((abs = path_absolute(path)) == NULL)
		fatal("%s: cannot make it absolute", path);
	return abs;
}

static void
signals_setup(struct daemon *d)
{
	static const int	sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	size_t			i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < nitems(sigs); i++) {
		d->sig[i] = evsignal_new(d->base, sigs[i], daemon_signal, d);
		if (d->sig[i] == NULL || evsignal_add(d->sig[i], NULL) == -1)
			fatalx("cannot handle signal %d", sigs[i]);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 'S' },
		{ "root", required_argument, NULL, 'R' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon	 d;
	const char	*socket = NULL, *root = "/";
	char		 err[1024], *conf_path = NULL, *abs;
	int		 ch, foreground = 0, checkonly = 0, verbose = 0, r, lockfd;
	int		 refused = 0;
	size_t		 i;

	memset(&d, 0, sizeof(d));
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
#endif
	while ((ch = getopt_long(argc, argv, "c:nfvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': d.conf_path = optarg; break;
		case 'n': checkonly = 1; break;
		case 'S': socket = optarg; break;
		case 'R': root = optarg; break;
		case 'f': foreground = 1; break;
		case 'v': verbose++; break;
		case 'V':
			printf("ksm-throttlerd %s\n", PACKAGE_VERSION);
			return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(1, verbose);
	d.conf = conf_new();
	if (d.conf_path != NULL &&
	    conf_load(d.conf, d.conf_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "ksm-throttlerd: %s\n", err);
		conf_free(d.conf);
		if (checkonly)
			return 1;
		d.conf = conf_new();	/* the default run directory */
		refused = 1;
	}
	if (socket != NULL) {
		free(d.conf->socket_path);
		d.conf->socket_path = xstrdup(socket);
	}
	if (checkonly) {
		check_config(d.conf);
		conf_free(d.conf);
		return 0;
	}
	if (d.conf_path != NULL)
		d.conf_path = conf_path = path_option(d.conf_path);
	abs = path_option(d.conf->socket_path);
	free(d.conf->socket_path);
	d.conf->socket_path = abs;
	abs = path_option(root);
	if ((r = rootfs_init(abs)) < 0) {
		errno = -r;
		fatal("--root %s", root);
	}
	free(abs);
	if (refused) {
		put_back(&d);
		log_warnx("not started: the configuration file was refused");
		conf_free(d.conf);
		free(conf_path);
		rootfs_close();
		return 1;
	}
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	log_init(foreground, verbose);

	/*
	 * The run directory, pid file and state file get the modes they are
	 * made with (the socket sets its own), whatever umask we inherit.
	 */
	umask(022);
	lockfd = rundir_lock(&d);
	fd_limit_raise(d.conf);
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	d.started_ms = now_ms();
	signals_setup(&d);
	/* Before any knob is touched: failing here leaves the host as it is. */
	if (daemon_open(&d, modules) < 0)
		fatalx("cannot start, the host is left as it was");
	d.ledger = ledger_open(d.rundirfd, d.rundir);
	d.ksm = ksm_open(d.ledger);
	ledger_replay(d.ledger);
	daemon_start(&d);
	log_info("ksm-throttlerd %s started (root %s, run directory %s)",
	    PACKAGE_VERSION, rootfs_root(), d.rundir);

	event_base_dispatch(d.base);

	daemon_stop(&d);
	ledger_restore_all(d.ledger);
	ksm_close(d.ksm);
	ledger_close(d.ledger);
	for (i = 0; i < nitems(d.sig); i++)
		if (d.sig[i] != NULL)
			event_free(d.sig[i]);
	event_base_free(d.base);
	unlinkat(d.rundirfd, "ksm-throttlerd.pid", 0);
	close(lockfd);
	close(d.rundirfd);
	conf_free(d.conf);
	free(conf_path);
	rootfs_close();
	log_info("exited");
	return 0;
}
