/* SPDX-License-Identifier: ISC */
/*
 * builtin-serial.c - the verbs of serial lines: send-break.
 */
#include <stdint.h>

#include "builtin.h"
#include "interp.h"
#include "tether.h"

int	builtin_send_break(struct builtin_call *);

/*
 * send-break NAME [DUR]: a BREAK on the line (250ms when no DUR); -v
 * traces what is known of the line after it.
 */
int
builtin_send_break(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*a;
	const char		*line;
	int64_t			 ms = 0;
	int			 r;

	if (builtin_session(c, builtin_next(c), &s) != 0)
		return -1;
	if ((a = builtin_next(c)) != NULL && builtin_duration(c, a, &ms) != 0)
		return -1;
	if (builtin_finish(c) != 0)
		return -1;
	/* No BREAK: the message names the session; its output is no help. */
	if ((r = tether_session_break(s, ms, builtin_deadline(c, -1))) != 0)
		return builtin_fail_lib(c, r, r == TETHER_ENOTSUP ? NULL : s,
		    NULL);
	if ((line = tether_session_line(s)) != NULL)
		interp_trace(c->ip, "%s: line %s", tether_session_name(s),
		    line);
	return 0;
}
