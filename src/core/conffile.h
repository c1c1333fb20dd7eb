/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file after start: reloads on SIGHUP and on change.
 */
#ifndef KT_CONFFILE_H
#define KT_CONFFILE_H

#include "module.h"

extern const struct module_ops	conffile_module;

void	conffile_reload(void *, const char *);

#endif
