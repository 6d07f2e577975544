/* SPDX-License-Identifier: ISC */
/*
 * login.h - what login.c tells the VM lifecycle about a shell session.
 *
 * login and run leave a console at tether's own prompt; the state lives in
 * the session's named state "login" (never on a monitor: TARGET_MONITOR).
 */
#ifndef LOGIN_H
#define LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "tether.h"

/* The prompt login and run set (PS1), as the shell prints it. */
#define LOGIN_PROMPT	"[tether]# "

/* Returns nonzero when s was left at tether's prompt by login or run. */
int	 login_is_shell(struct tether_session *);
/* Returns nonzero when a run on s did not see its command finish. */
int	 login_is_busy(struct tether_session *);
/*
 * Marks a command that tether typed on s as running (busy 1: the next
 * login or run interrupts it) or finished (0), for xfer.c's own commands.
 */
void	 login_set_busy(struct tether_session *, int busy);
/*
 * Sets tether's prompt on the shell of s (interrupting a command left
 * running first) and waits for it; a failure text ("Login incorrect") or
 * a login or password prompt fails it at once.  Messages begin with
 * "VERB on NAME: ".  Returns 0 or a TETHER_E* code.
 */
int	 login_setup(struct tether_session *, const char *verb,
	    int64_t deadline);

/*
 * The pure parsing of login and run, on bytes as the shell printed them
 * (tests/fuzz/fuzz-login.c feeds it).  nonce names one run's markers:
 * start "\036S.NONCE\037", end "\036E.NONCE.STATUS\037".
 */

/*
 * Returns the last line of the len bytes at p (what follows the last CR
 * or LF) without trailing blanks; its length in *linelen.
 */
const char *login_last_line(const char *p, size_t len, size_t *linelen);
/* Returns nonzero when the len bytes at p are all spaces and tabs. */
int	 login_blank(const char *p, size_t len);
/*
 * Parses what followed a run line: echo, start marker, output, end marker.
 * Returns 1 with *out (caller frees: the output between the last start
 * marker before the first end marker and that end marker, CR LF made LF,
 * trailing newlines removed), its length in *outlen (may be NULL) and
 * *status (-1 past 9 digits), 0 when buf holds no end marker, or
 * TETHER_ENOMEM.
 */
int	 login_run_parse(const char *buf, size_t len, const char *nonce,
	    char **out, size_t *outlen, int *status);
/*
 * When buf holds the start marker but no end marker (the shell gave up
 * the line: a syntax error), returns 1 with the shell's message as one
 * line in *msg (caller frees: at most LOGIN_MSG_MAX bytes, tether's
 * prompt removed); returns 0 otherwise, or TETHER_ENOMEM.
 */
int	 login_run_abandoned(const char *buf, size_t len, const char *nonce,
	    char **msg);
#define LOGIN_MSG_MAX	512

#endif /* LOGIN_H */
