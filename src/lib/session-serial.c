/* SPDX-License-Identifier: ISC */
/*
 * session-serial.c - the serial line under a session: BREAK (set after
 * what is queued has gone out, held while the loop goes on, cleared),
 * and what is known of the line's settings and state.
 */
#include <stdint.h>
#include <string.h>

#include "loop.h"
#include "session.h"
#include "tether.h"
#include "transport.h"

#define SESSION_BREAK_MS	250	/* the default length of a break */
#define SESSION_BREAK_POLL	10	/* ms between tries while not ready */
#define SESSION_BREAK_OFF	1000	/* ms at least to clear it */

/*
 * Calls transport_brk(on) until the transport is ready (TETHER_EAGAIN:
 * output still draining, the option not yet negotiated), running the
 * loop meanwhile.  Returns 0 or an error.
 */
static int
session_brk(struct tether_session *s, int on, int64_t deadline)
{
	int64_t	next;
	int	r;

	for (;;) {
		if (tether_session_eof(s))
			return tether_loop_seterr(s->loop, TETHER_EOF,
			    "break on %s: connection lost", s->name);
		if ((r = transport_brk(s->t, on)) != TETHER_EAGAIN)
			break;
		next = tether_now_ms() + SESSION_BREAK_POLL;
		if (deadline != -1 && next > deadline) {
			if (tether_now_ms() >= deadline)
				return tether_loop_seterr(s->loop,
				    TETHER_ETIMEDOUT, "break on %s: the line "
				    "was not ready in time", s->name);
			next = deadline;
		}
		r = tether_loop_once(s->loop, next);
		if (r != 0 && r != TETHER_ETIMEDOUT)
			return r;
	}
	if (r == TETHER_ENOTSUP)
		return tether_loop_seterr(s->loop, r, "session %s (%.*s, %s "
		    "transport) has no BREAK: serial:, telnet: and rfc2217: "
		    "sessions have one", s->name,
		    (int)strcspn(s->uri, ":") + 1, s->uri,
		    tether_session_kind(s));
	return r;
}

static int
session_break(struct tether_session *s, int64_t ms, int64_t deadline)
{
	int64_t	until, off;
	int	r, r2;

	if (ms <= 0)
		ms = SESSION_BREAK_MS;
	/* What was sent before the break goes out before it. */
	if ((r = tether_session_send(s, "", 0, 0, deadline)) != 0)
		return r;
	if ((r = session_brk(s, 1, deadline)) != 0)
		return r;
	until = tether_now_ms() + ms;
	while (tether_now_ms() < until) {
		r = tether_loop_once(s->loop, until);
		if (r != 0 && r != TETHER_ETIMEDOUT)
			break;
		r = 0;
	}
	/* Cleared even after an interrupt: a held break is a dead line. */
	off = tether_now_ms() + SESSION_BREAK_OFF;
	if (deadline != -1 && deadline > off)
		off = deadline;
	if ((r2 = session_brk(s, 0, off)) != 0 && r == 0)
		r = r2;
	if (r != 0)
		return r;
	/* What the transport queued (the RFC 2217 requests) goes out. */
	return tether_session_send(s, "", 0, 0, deadline);
}

int
tether_session_break(struct tether_session *s, int64_t ms, int64_t deadline)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, session_break(s, ms, deadline));
}

const char *
tether_session_line(struct tether_session *s)
{
	return transport_line(s->t);
}
