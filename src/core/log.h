/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging in the OpenBSD daemons' shape: stderr in the foreground,
 * syslog otherwise.  log_warn appends strerror(errno).
 */
#ifndef KT_LOG_H
#define KT_LOG_H

#include <stdarg.h>

void	log_init(int foreground, int verbose);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	logit(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	vlog(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
__attribute__((noreturn)) void fatal(const char *, ...)
	__attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
	__attribute__((format(printf, 1, 2)));

#endif
