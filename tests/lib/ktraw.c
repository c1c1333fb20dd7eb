/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktraw: a raw client of the control socket, for the tests.  Sends its
 * standard input as it is (hand-made frames, good or bad), then prints
 * each reply as a line "CODE message" and, last, how it ended: "EOF" (the
 * daemon closed), "TIMEOUT" (no reply for -t seconds), "DONE" (-n replies
 * came) or "RESET" (the daemon dropped the connection).
 *
 * usage: ktraw [-q] [-n replies] [-t secs] [-w secs] SOCKET
 *	-w	sleep this long after sending, before reading: a client that
 *		stalls, or that does not read its replies
 *	-q	print only "N replies" instead of one line per reply
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "util.h"

static int
connect_to(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (xsnprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) < 0)
		errx(2, "%s: too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "%s", path);
	return fd;
}

/* Send all of stdin; a daemon that hangs up meanwhile ends the sending. */
static void
send_stdin(int fd)
{
	char	 buf[65536];
	ssize_t	 n, w, off;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w) {
			w = send(fd, buf + off, (size_t)(n - off),
			    MSG_NOSIGNAL);
			if (w == -1) {
				printf("SEND: %s\n", strerror(errno));
				return;
			}
		}
	}
	if (n == -1)
		err(2, "stdin");
}

/* Print the whole replies at the head of buf; returns bytes used. */
static size_t
print_replies(const uint8_t *buf, size_t len, int quiet, long *count)
{
	Ksmt__Reply	*rep;
	size_t		 off = 0, n;
	int		 r;

	while ((r = frame_length(buf + off, len - off, FRAME_REPLY_MAX,
	    &n)) == 1) {
		rep = frame_reply_unpack(buf + off + FRAME_HDR_LEN, n);
		if (rep == NULL)
			errx(2, "a reply that does not decode");
		if (!quiet)
			printf("%s %s\n", frame_code_name(rep->code),
			    rep->message ? rep->message : "");
		ksmt__reply__free_unpacked(rep, NULL);
		off += FRAME_HDR_LEN + n;
		(*count)++;
	}
	if (r < 0)
		errx(2, "a reply of %zu bytes", n);
	return off;
}

static const char *
read_replies(int fd, int quiet, long want, int timeout, long *count)
{
	static uint8_t	 buf[FRAME_REPLY_MAX];
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	size_t		 len = 0, used;
	ssize_t		 n;

	for (;;) {
		if (want >= 0 && *count >= want)
			return "DONE";
		if (poll(&pfd, 1, timeout * 1000) == 0)
			return "TIMEOUT";
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == 0)
			return "EOF";
		if (n == -1)
			return errno == ECONNRESET ? "RESET" : strerror(errno);
		len += (size_t)n;
		used = print_replies(buf, len, quiet, count);
		memmove(buf, buf + used, len - used);
		len -= used;
	}
}

int
main(int argc, char *argv[])
{
	const char	*end;
	long		 want = -1, count = 0;
	int		 ch, fd, quiet = 0, timeout = 5, wait = 0;

	while ((ch = getopt(argc, argv, "n:qt:w:")) != -1) {
		switch (ch) {
		case 'n': want = strtol(optarg, NULL, 10); break;
		case 'q': quiet = 1; break;
		case 't': timeout = (int)strtol(optarg, NULL, 10); break;
		case 'w': wait = (int)strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: ktraw [-q] [-n replies] "
			    "[-t secs] [-w secs] socket\n");
			return 2;
		}
	}
	if (optind != argc - 1)
		errx(2, "one socket path expected");
	fd = connect_to(argv[optind]);
	send_stdin(fd);
	if (wait > 0)
		sleep((unsigned)wait);
	end = read_replies(fd, quiet, want, timeout, &count);
	if (quiet)
		printf("%ld replies\n", count);
	printf("%s\n", end);
	close(fd);
	return 0;
}
