/* SPDX-License-Identifier: ISC */
/*
 * xmalloc.h - allocation for the language and the CLI: out of memory
 * ends the program with a message, as OpenSSH's xmalloc does.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

/* Each returns the new memory; none returns NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Returns a new formatted string. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif /* XMALLOC_H */
