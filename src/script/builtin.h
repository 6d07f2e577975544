/* SPDX-License-Identifier: ISC */
/*
 * builtin.h - the verbs of the language that call the library (login,
 * run, hmp, qmp, ...).
 *
 * A verb is one function and one entry in the table of builtin.c:
 *
 *	static int
 *	builtin_frob(struct builtin_call *c)
 *	{
 *		struct tether_session	*s;
 *		struct builtin_arg	*a;
 *		int64_t			 ms = -1;
 *
 *		if ((a = builtin_keyword(c, "within")) != NULL &&
 *		    builtin_duration(c, a, &ms) != 0)
 *			return -1;
 *		if (builtin_session(c, builtin_next(c), &s) != 0)
 *			return -1;
 *		if (builtin_finish(c) != 0)
 *			return -1;
 *		r = tether_frob(s, builtin_deadline(c, ms));
 *		if (r != 0)
 *			return builtin_fail_lib(c, r, s);
 *		return 0;
 *	}
 *
 *	{ "frob", builtin_frob, "frob NAME [within DUR]", 0, NULL, NULL },
 *
 * The parser only collects the words (`KEY=VALUE`, bare words, strings,
 * regexes, $vars, maps `{...}` and lists `[...]`) and an optional
 * `-> VAR`; the interpreter evaluates them and calls the function, which
 * takes keywords first (builtin_keyword, builtin_opt), then positional
 * words in order (builtin_next), and ends with builtin_finish, which
 * refuses words nobody took.  A function returns 0, or -1 after recording
 * the failure with builtin_fail*.
 */
#ifndef BUILTIN_H
#define BUILTIN_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "tether.h"

struct interp;
struct value;

/* One evaluated word of the command line. */
struct builtin_arg {
	const char	*key;	/* KEY of KEY=VALUE, else NULL */
	struct value	*val;
	const char	*bare;	/* text of an unquoted word, else NULL */
	struct ast_loc	 loc;
	int		 used;
};

struct builtin_call {
	struct interp		*ip;
	const struct ast_stmt	*st;
	struct builtin_arg	*args;
	size_t			 nargs;
	const char		*result;	/* -> VAR, or NULL */
};

typedef int (*builtin_fn)(struct builtin_call *);

struct builtin {
	const char		*name;
	builtin_fn		 fn;
	const char		*usage;
	int			 session_arg;	/* positional naming a session
						   (for lint), -1 none */
	const char *const	*opens;		/* lint: opens NAME + suffix */
	const char *const	*session_keys;	/* lint: KEY=SESSION options */
};

/* Returns the verb named name, or NULL. */
const struct builtin *builtin_find(const char *name);
/* Returns the table, terminated by an entry with a NULL name. */
const struct builtin *builtin_table(void);
/*
 * Registers a front end's verbs (tether attach's switch, sessions, ...):
 * a table terminated by an entry with a NULL name, searched after the
 * built-in one by builtin_find(), so that the parser and lint know them.
 * One table at a time; NULL removes it.  The table must outlive every
 * program parsed while it is registered.
 */
void	 builtin_register(const struct builtin *table);

/* Returns the next positional word not taken yet (marks it), or NULL. */
struct builtin_arg *builtin_next(struct builtin_call *);
/* Returns the KEY=VALUE word for key (marks it), or NULL. */
struct builtin_arg *builtin_opt(struct builtin_call *, const char *key);
/*
 * Returns the word after the bare keyword kw ("within", "timeout"),
 * marking both, or NULL when kw is absent.
 */
struct builtin_arg *builtin_keyword(struct builtin_call *, const char *kw);
/* Returns the word's text: a string value, or the value printed. */
const char *builtin_str(struct builtin_arg *);
/* Resolves a session name.  Returns 0, or -1 with the failure recorded. */
int	 builtin_session(struct builtin_call *, struct builtin_arg *,
	    struct tether_session **);
/* Converts a duration word.  Returns 0, or -1 with the failure recorded. */
int	 builtin_duration(struct builtin_call *, struct builtin_arg *,
	    int64_t *ms);
/*
 * Takes the words of a `VERB NAME "COMMAND" ... [timeout DUR]` verb (run,
 * hmp, qmp): the session, the command and the timeout (-1 when absent).
 * Returns 0, or -1 with the failure recorded.
 */
int	 builtin_command(struct builtin_call *, struct tether_session **,
	    struct builtin_arg **cmd, int64_t *ms);
/* Returns 0 when every word was taken, else -1 naming the first left. */
int	 builtin_finish(struct builtin_call *);
/* Returns the deadline now + ms, or now + the default timeout (ms < 0). */
int64_t	 builtin_deadline(struct builtin_call *, int64_t ms);
/* Records a failure with code r (TETHER_E*).  Returns -1. */
int	 builtin_fail(struct builtin_call *, int r, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * Records the failure of library call status r on session s (may be
 * NULL), with the loop's error message and the session's last lines.
 * Returns -1.
 */
int	 builtin_fail_lib(struct builtin_call *, int r,
	    struct tether_session *s, const char *what);
/* Sets variable name (steals v). */
void	 builtin_setvar(struct builtin_call *, const char *name,
	    struct value *v);
/* Sets the -> VAR of the call, when there is one (steals v). */
void	 builtin_result(struct builtin_call *, struct value *v);
/* Registers a secret: redacted from the session's logs and our output. */
void	 builtin_secret(struct builtin_call *, struct tether_session *,
	    const char *);
/* A verb not available in this build: fails with TETHER_ENOTSUP. */
int	 builtin_unavailable(struct builtin_call *);

#endif /* BUILTIN_H */
