/* SPDX-License-Identifier: ISC */
/*
 * hmp.h - the HMP protocol (hmp.c): its open hook, and the part that
 * works on what a session received, without the loop: the branches a
 * wait for the monitor arms and how the outcome becomes the command's
 * output.  The session (or a fuzz harness) feeds the bytes.
 */
#ifndef HMP_H
#define HMP_H

#include <stdint.h>

#include "tether.h"

enum {
	HMP_BRANCH_PROMPT = 1,		/* "(qemu) " at the start of a line */
	HMP_BRANCH_EOF,
	HMP_BRANCH_QMP,			/* a QMP greeting: not a monitor */
};

/*
 * The hmp: row's open hook (target.c): waits for the first prompt, keeps
 * the greeting.  Returns 0 or a TETHER_E* code with the errmsg set.
 */
int	 hmp_open(struct tether_session *, int64_t deadline);
/*
 * Arms e with what ends a wait on s: the prompt, the end of file and, on
 * the greeting, a QMP greeting.  Returns 0 or a TETHER_E* code.
 */
int	 hmp_arm(struct tether_expect *e, struct tether_session *s,
	    int greeting) TETHER_WUR;
/*
 * Turns the outcome m of a wait after cmd (NULL: the greeting) into *out,
 * the cleaned text before the prompt.  Returns 0, TETHER_EOF (0 for quit),
 * TETHER_ETIMEDOUT, TETHER_EPROTO (a QMP socket) or TETHER_ENOMEM.
 */
int	 hmp_reply(struct tether_session *s, const struct tether_match *m,
	    const char *cmd, char **out) TETHER_WUR;

#endif /* HMP_H */
