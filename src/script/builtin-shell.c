/* SPDX-License-Identifier: ISC */
/*
 * builtin-shell.c - verbs for shells on consoles: login and run.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "interp.h"
#include "tether.h"
#include "value.h"

int	builtin_login(struct builtin_call *);
int	builtin_run(struct builtin_call *);

/*
 * Records the failure of tether_login or tether_run (status r) on s.  The
 * library's message already says "login on NAME: ..." (it is the whole
 * message for a C caller too): it is given once, not prefixed again.
 * Returns -1.
 */
static int
shell_fail(struct builtin_call *c, int r, struct tether_session *s)
{
	const char	*detail = tether_loop_errmsg(interp_loop(c->ip));
	const char	*verb = c->st->bi->name, *name = tether_session_name(s);
	size_t		 n = strlen(verb), nn = strlen(name);

	if (strncmp(detail, verb, n) != 0 ||
	    strncmp(detail + n, " on ", 4) != 0 ||
	    strncmp(detail + n + 4, name, nn) != 0 ||
	    detail[n + 4 + nn] != ':')
		return builtin_fail_lib(c, r, s, NULL);
	interp_fail(c->ip, &c->st->loc, r, "%s", detail);
	interp_fail_tail(c->ip, s);
	return -1;
}

/* login NAME user=U password=P [prompt=RE] [login-prompt=RE]
 *       [password-prompt=RE] [timeout=DUR] */
int
builtin_login(struct builtin_call *c)
{
	struct tether_login_opts	 o;
	struct tether_session		*s;
	struct builtin_arg		*a;
	int64_t				 ms = -1;
	int				 r;

	memset(&o, 0, sizeof o);
	if ((a = builtin_opt(c, "timeout")) != NULL &&
	    builtin_duration(c, a, &ms) != 0)
		return -1;
	if ((a = builtin_opt(c, "user")) != NULL)
		o.user = builtin_str(a);
	if ((a = builtin_opt(c, "password")) != NULL)
		o.password = builtin_str(a);
	if ((a = builtin_opt(c, "prompt")) != NULL)
		o.prompt = builtin_str(a);
	if ((a = builtin_opt(c, "login-prompt")) != NULL)
		o.login_prompt = builtin_str(a);
	if ((a = builtin_opt(c, "password-prompt")) != NULL)
		o.password_prompt = builtin_str(a);
	if (builtin_session(c, builtin_next(c), &s) != 0 ||
	    builtin_finish(c) != 0)
		return -1;
	if (o.user == NULL)
		return builtin_fail(c, TETHER_EFAIL, "user= is required");
	if (o.password != NULL)
		builtin_secret(c, s, o.password);
	/* No stale message from an earlier failure. */
	tether_loop_seterr(interp_loop(c->ip), 0, "%s", "");
	r = tether_login(s, &o, builtin_deadline(c, ms));
	if (r != 0)
		return shell_fail(c, r, s);
	return 0;
}

/* run NAME "COMMAND" [-> VAR] [timeout DUR] */
int
builtin_run(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*cmd;
	char			*out = NULL;
	int64_t			 ms = -1;
	int			 r, status = -1;

	if (builtin_command(c, &s, &cmd, &ms) != 0)
		return -1;
	if (builtin_finish(c) != 0)
		return -1;
	tether_loop_seterr(interp_loop(c->ip), 0, "%s", "");
	r = tether_run(s, builtin_str(cmd), builtin_deadline(c, ms), &out,
	    &status);
	if (r != 0) {
		free(out);
		return shell_fail(c, r, s);
	}
	builtin_setvar(c, "status", value_int(status));
	builtin_result(c, value_strz(out != NULL ? out : ""));
	free(out);
	return 0;
}
