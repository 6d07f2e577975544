/* SPDX-License-Identifier: ISC */
/*
 * lint.h - static checks of a parsed playbook for `tether check`.
 */
#ifndef LINT_H
#define LINT_H

#include <stdio.h>

#include "ast.h"

/*
 * Checks prog: unknown session names (errors), variables set but never
 * used and unreachable statements or branches (warnings).  Prints each
 * finding to f as "file:line:col: error|warning: ..." with the line and a
 * caret.  Returns the number of errors; *nwarn gets that of warnings.
 */
int	lint_program(struct ast_program *, FILE *f, int *nwarn);

#endif /* LINT_H */
