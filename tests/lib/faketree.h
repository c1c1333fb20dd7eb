/* SPDX-License-Identifier: Apache-2.0 */
/* A fake root file system in a temporary directory, for unit tests. */
#ifndef KT_FAKETREE_H
#define KT_FAKETREE_H

char	*faketree_new(void);
void	 faketree_put(const char *, const char *, const char *);
char	*faketree_get(const char *, const char *);
void	 faketree_rm(const char *, const char *);
void	 faketree_free(char *);

#endif
