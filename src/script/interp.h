/* SPDX-License-Identifier: ISC */
/*
 * interp.h - the playbook interpreter: walks the syntax tree, drives
 * sessions through the library, records the first failure and tells
 * what happens through a reporter (reporter.h).  struct interp is
 * opaque: a front end sets it up with the interp_set_* functions.
 */
#ifndef INTERP_H
#define INTERP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "reporter.h"
#include "tether.h"

struct interp;
struct value;

/*
 * The hook of `interact NAME`: hands the terminal over to s until the
 * escape key esc (-1: the default).  Returns 0, or a TETHER_E* with the
 * loop's message set.
 */
typedef int (*interp_interact_fn)(struct tether_session *, int esc);

/*
 * Returns a new interpreter for prog on loop, telling what happens
 * through rep (copied; NULL: print on stdout, failures on stderr).
 */
struct interp	*interp_new(struct ast_program *, struct tether_loop *,
		    const struct reporter *);
/* Frees the interpreter (not the program, loop or reporter). */
void		 interp_free(struct interp *);
/*
 * Runs the program, then its finally blocks.  Returns the tether(1)
 * exit status: that of the first failure, 128 + signal when interrupted.
 */
int		 interp_run(struct interp *);

/* Sets the program the next interp_run() runs (the caller keeps it). */
void		 interp_set_program(struct interp *, struct ast_program *);
/* Sets --log-dir: every session gets NAME.log and NAME.cast there. */
void		 interp_set_log_dir(struct interp *, const char *dir);
/* Sets where the signal that interrupts the run is (128 + it). */
void		 interp_set_signo(struct interp *, volatile sig_atomic_t *);
/* Sets the hook of `interact NAME` (NULL: the verb is unavailable). */
void		 interp_set_interact(struct interp *, interp_interact_fn);
/* Returns the hook of `interact NAME`, or NULL. */
interp_interact_fn interp_interact_hook(struct interp *);
/* Sets the default timeout of expect and the verbs (10s at first). */
void		 interp_set_timeout(struct interp *, int64_t ms);
/* Returns the default timeout in milliseconds. */
int64_t		 interp_timeout(struct interp *);
/* Sets raw-match on every session, open and to come (-1: leave). */
void		 interp_set_raw_match(struct interp *, int);
/* Sets match-max on every session, open and to come (-1: leave). */
void		 interp_set_match_max(struct interp *, int64_t);
/* Sets the front end's data for its verbs (interp_udata). */
void		 interp_set_udata(struct interp *, void *);
/* Returns what interp_set_udata() set, or NULL. */
void		*interp_udata(struct interp *);
/*
 * Sets what runs for every session opened on the loop (by open, launch
 * or another verb), after the interpreter gave it its settings and
 * --log-dir transcripts: the interpreter holds the loop's on_open slot.
 */
void		 interp_set_on_open(struct interp *,
		    void (*fn)(struct tether_session *, void *), void *arg);
/* Returns the loop the interpreter runs on. */
struct tether_loop *interp_loop(struct interp *);

/* Sets a global variable (steals v), e.g. from --var. */
void		 interp_setvar(struct interp *, const char *name,
		    struct value *v);
/* Returns variable name (borrowed), or NULL. */
struct value	*interp_getvar(struct interp *, const char *name);
/* Records a failure at loc with code (TETHER_E*).  Returns nonzero. */
int		 interp_fail(struct interp *, const struct ast_loc *, int code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Attaches the last lines of s to the current failure. */
void		 interp_fail_tail(struct interp *, struct tether_session *);
/* Clears the current failure. */
void		 interp_clear_fail(struct interp *);
/* Registers a secret, redacted from everything we print. */
void		 interp_add_secret(struct interp *, const char *);
/* A trace line (shown with -v); nothing is formatted without -v. */
void		 interp_trace(struct interp *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Evaluates an expression.  Returns a new value, or NULL on failure. */
struct value	*interp_eval(struct interp *, const struct ast_expr *);
/* Resolves a session name at loc.  Returns it, or NULL on failure. */
struct tether_session *interp_session(struct interp *,
		    const struct ast_loc *, const char *name);
/* Waits, reading every session, until deadline.  Returns 0 or EINTR. */
int		 interp_sleep_until(struct interp *, int64_t deadline);

#endif /* INTERP_H */
