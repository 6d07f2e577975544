/* SPDX-License-Identifier: ISC */
/*
 * parse.h - the playbook parser: text to a syntax tree, includes resolved.
 */
#ifndef PARSE_H
#define PARSE_H

#include <stddef.h>

#include "ast.h"

/*
 * Parses the playbook in file path and the files it includes.  Returns 0
 * and a new program in *prog, or -1 and in *err a message the caller
 * frees: "file:line:col: message", the offending line and a caret.
 */
int	 parse_file(const char *path, struct ast_program **prog, char **err);
/* Likewise for len bytes of text named name; includes relative to ".". */
int	 parse_text(const char *name, const char *text, size_t len,
	    struct ast_program **prog, char **err);
/* Frees a program and everything in it (NULL is fine). */
void	 parse_free(struct ast_program *);
/*
 * Returns "file:line:col: msg" followed by the source line and a caret
 * under col (caller frees).
 */
char	*parse_format_error(struct ast_program *, const struct ast_loc *,
	    const char *msg);

#endif /* PARSE_H */
