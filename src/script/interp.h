/* SPDX-License-Identifier: ISC */
/*
 * interp.h - the playbook interpreter: walks the syntax tree, drives
 * sessions through the library and records the first failure.
 */
#ifndef INTERP_H
#define INTERP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "tether.h"

struct report;
struct value;

/* What a statement tells the block running it. */
#define FLOW_NEXT	0
#define FLOW_FAIL	1	/* failure recorded in ip->fail */
#define FLOW_AGAIN	2	/* `again` in an expect branch */
#define FLOW_RETURN	3	/* `return` in a def; value in ip->retval */

struct var {
	char		*name;
	struct value	*v;
	struct var	*next;
};

struct scope {
	struct var	*vars;
	struct scope	*up;
};

struct watch {
	char			*session;
	struct value		*pat;
	const struct ast_branch	*br;
	struct watch		*next;
};

struct finally {
	const struct ast_stmt	*body;
	struct finally		*next;
};

struct failure {
	int		 code;		/* TETHER_E*, 0 when none */
	char		*msg;		/* "file:line:col: message" */
	char		*tail;		/* last lines received, or NULL */
};

struct interp {
	struct ast_program	*prog;
	struct tether_loop	*loop;
	struct report		*rep;
	const char		*log_dir;
	struct scope		 global;
	struct scope		*scope;
	int64_t			 timeout;	/* default expect timeout */
	int			 raw_match;	/* -1: not set */
	int64_t			 match_max;	/* -1: not set */
	struct watch		*watches;
	struct finally		*finally;
	struct failure		 fail;
	struct value		*retval;
	int			 depth;		/* def calls */
	char			*step;		/* current step name */
	const char		**secret_vars;	/* names holding secrets */
	size_t			 nsecret_vars;
	volatile sig_atomic_t	*signo;	/* the signal received, or 0 */
	int			 in_finally;
	/* interact NAME: hands the terminal over until the escape key
	   (-1: the default); set by tether run and tether repl */
	int			(*interact)(struct tether_session *, int);
};

/* Returns a new interpreter for prog on loop. */
struct interp	*interp_new(struct ast_program *, struct tether_loop *,
		    struct report *);
/* Frees the interpreter (not the program, loop or report). */
void		 interp_free(struct interp *);
/* Sets a global variable (steals v), e.g. from --var. */
void		 interp_setvar(struct interp *, const char *name,
		    struct value *v);
/* Returns variable name (borrowed), or NULL. */
struct value	*interp_getvar(struct interp *, const char *name);
/*
 * Runs the playbook, then its finally blocks.  Returns the tether(1)
 * exit status: that of the first failure, 128 + signal when interrupted.
 */
int		 interp_run(struct interp *);
/* Records a failure at loc with code (TETHER_E*).  Returns FLOW_FAIL. */
int		 interp_fail(struct interp *, const struct ast_loc *, int code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Attaches the last lines of s to the current failure. */
void		 interp_fail_tail(struct interp *, struct tether_session *);
/* Clears the current failure. */
void		 interp_clear_fail(struct interp *);
/* Registers a secret, redacted from everything we print. */
void		 interp_add_secret(struct interp *, const char *);
/* Evaluates an expression.  Returns a new value, or NULL on failure. */
struct value	*interp_eval(struct interp *, const struct ast_expr *);
/* Resolves a session name at loc.  Returns it, or NULL on failure. */
struct tether_session *interp_session(struct interp *,
		    const struct ast_loc *, const char *name);
/* Waits, reading every session, until deadline.  Returns 0 or EINTR. */
int		 interp_sleep_until(struct interp *, int64_t deadline);

#endif /* INTERP_H */
