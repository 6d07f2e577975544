/* SPDX-License-Identifier: ISC */
/*
 * builtin-lang.c - the verbs of the language itself: wait.
 */
#include <stdint.h>

#include "builtin.h"
#include "interp.h"
#include "tether.h"
#include "value.h"

int	builtin_wait(struct builtin_call *);

/*
 * wait NAME [within DUR] [-> VAR]: waits until the program of a spawn:
 * session (or an ssh exec=yes command) has exited; its exit status (128 +
 * signal) goes into $status and VAR.  The deadline fails as a timeout.
 */
int
builtin_wait(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*a;
	int64_t			 ms = -1;
	int			 r, status;

	if ((a = builtin_keyword(c, "within")) != NULL &&
	    builtin_duration(c, a, &ms) != 0)
		return -1;
	if (builtin_session(c, builtin_next(c), &s) != 0)
		return -1;
	if (builtin_finish(c) != 0)
		return -1;
	r = tether_session_wait(s, builtin_deadline(c, ms), &status);
	if (r == TETHER_ENOTSUP || r == TETHER_EOF)
		return builtin_fail(c, TETHER_EFAIL, "%s runs no "
		    "program of its own (a spawn: session or ssh exec=yes)",
		    tether_session_name(s));
	if (r == TETHER_ETIMEDOUT)
		return builtin_fail(c, r, "timed out waiting for the program "
		    "of %s to exit", tether_session_name(s));
	if (r != 0)
		return builtin_fail_lib(c, r, s, "wait");
	builtin_setvar(c, "status", value_int(status));
	builtin_result(c, value_int(status));
	return 0;
}
