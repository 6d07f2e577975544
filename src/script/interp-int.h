/* SPDX-License-Identifier: ISC */
/*
 * interp-int.h - the interpreter's state, shared by its files only:
 * interp.c (state, variables, failures, the run), interp-eval.c
 * (expressions), interp-stmt.c (statements) and interp-expect.c (expect
 * sets and watches).
 */
#ifndef INTERP_INT_H
#define INTERP_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "interp.h"
#include "reporter.h"
#include "tether.h"

#define INTERP_DEFAULT_TIMEOUT	10000
#define INTERP_MAX_DEPTH	100
#define INTERP_TAIL_LINES	8
#define INTERP_TICK_MS		200	/* live status line refresh */
#define INTERP_EXIT_WAIT_MS	1000	/* for a spawn: program after its EOF */

/* What a statement tells the block running it. */
#define FLOW_NEXT	0
#define FLOW_FAIL	1	/* failure recorded in ip->fail */
#define FLOW_AGAIN	2	/* `again` in an expect branch */
#define FLOW_RETURN	3	/* `return` in a def; value in ip->retval */
#define FLOW_BREAK	4	/* `break` in a for or while */
#define FLOW_CONTINUE	5	/* `continue` in a for or while */

struct value;

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
	struct reporter		 rep;
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
	interp_interact_fn	 interact;	/* interact NAME, or NULL */
	void			*udata;
	void			(*on_open)(struct tether_session *, void *);
	void			*on_open_arg;
};

/* interp.c */
/* Sets name where it exists (local, then global), else in the scope. */
void	 interp_assign(struct interp *, const char *name, struct value *);
/* Frees the variables of a scope. */
void	 interp_scope_clear(struct scope *);
/* Returns nonzero when trace lines are read (-v). */
int	 interp_tracing(struct interp *);
/* The reporter's callbacks (those it leaves NULL, done plainly). */
void	 interp_step_begin(struct interp *, const char *name);
void	 interp_step_end(struct interp *, const char *name, int ok,
	    int64_t ms, const char *msg, const char *tail);
void	 interp_log(struct interp *, const char *text);
void	 interp_print(struct interp *, const char *text, size_t len);
/* Returns nonzero when the reporter draws a live line. */
int	 interp_live(struct interp *);
void	 interp_status(struct interp *, const char *what, int64_t left_ms);

/* interp-eval.c */
/* Evaluates e to a new string (*len its length).  NULL on failure. */
char	*interp_eval_string(struct interp *, const struct ast_expr *,
	    size_t *len);
/* Evaluates e to a duration >= 0.  Returns 0, or -1 on failure. */
int	 interp_eval_duration(struct interp *, const struct ast_expr *,
	    int64_t *ms);
/* Resolves the session a word names.  Returns it, or NULL on failure. */
struct tether_session *interp_word_session(struct interp *,
	    const struct ast_word *);

/* interp-stmt.c */
/* Runs one statement, or a block.  Each returns FLOW_*. */
int	 interp_exec_stmt(struct interp *, const struct ast_stmt *);
int	 interp_exec_block(struct interp *, const struct ast_stmt *);

/* interp-expect.c */
/* expect, watch and unwatch.  Each returns FLOW_*. */
int	 interp_exec_expect(struct interp *, const struct ast_stmt *);
int	 interp_exec_watch(struct interp *, const struct ast_stmt *);
int	 interp_exec_unwatch(struct interp *, const struct ast_stmt *);
/* Frees every watch. */
void	 interp_watches_free(struct interp *);

#endif /* INTERP_INT_H */
