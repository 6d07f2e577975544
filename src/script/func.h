/* SPDX-License-Identifier: ISC */
/*
 * func.h - the built-in functions of expressions (env, json, len, ...):
 * one table of name, arity and implementation, which the parser asks
 * whether a name is a function and the interpreter calls through.
 *
 * A function is one entry in the table of func.c and one function:
 *
 *	static struct value *
 *	func_frob(struct func_call *c)
 *	{
 *		int64_t	n;
 *
 *		if (value_as_int(c->args[0], &n) != 0)
 *			return func_fail(c, "frob() of %s",
 *			    value_type_name(c->args[0]));
 *		return value_int(n * 2);
 *	}
 *
 *	{ "frob", 1, 1, func_frob },
 */
#ifndef FUNC_H
#define FUNC_H

#include <stddef.h>

#include "ast.h"

struct interp;
struct value;

/* One call: the arguments are evaluated, their number checked. */
struct func_call {
	struct interp		*ip;
	const struct ast_expr	*e;	/* the call, for messages */
	struct value		**args;	/* borrowed */
	size_t			 nargs;
};

struct func {
	const char	*name;
	size_t		 min;		/* arguments */
	size_t		 max;
	/* Returns a new value, or NULL after func_fail(). */
	struct value	*(*fn)(struct func_call *);
};

/* Returns the function named name, or NULL. */
const struct func *func_find(const char *name);
/* Returns the table, terminated by an entry with a NULL name. */
const struct func *func_table(void);
/*
 * Calls f with the arguments, checking their number first.  Returns a
 * new value, or NULL with the failure recorded.
 */
struct value	*func_call(const struct func *, struct func_call *);
/* Records a failure of the call.  Returns NULL. */
struct value	*func_fail(struct func_call *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif /* FUNC_H */
