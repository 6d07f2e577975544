/*
 * login.h - what login.c tells the VM lifecycle about a shell session.
 *
 * login and run leave a console at tether's own prompt; the state lives in
 * the session's proto_state (the session is not a monitor).
 */
#ifndef LOGIN_H
#define LOGIN_H

#include <stdint.h>

#include "tether.h"

/* The prompt login and run set (PS1), as the shell prints it. */
#define LOGIN_PROMPT	"[tether]# "

/* Returns nonzero when s was left at tether's prompt by login or run. */
int	 login_is_shell(struct tether_session *);
/* Returns nonzero when a run on s did not see its command finish. */
int	 login_is_busy(struct tether_session *);
/*
 * Sets tether's prompt on the shell of s (interrupting a command left
 * running first) and waits for it.  Returns 0 or a TETHER_E* code.
 */
int	 login_setup(struct tether_session *, int64_t deadline);

#endif /* LOGIN_H */
