/* SPDX-License-Identifier: ISC */
/*
 * target.h - the one scheme table: what each URI prefix becomes (its
 * transport stack, line ending, flags and protocol hook), and the
 * tether_session_open that builds a session from a row.
 *
 * Adding a transport is one file (transport-NAME.c exporting its ops,
 * declared in transport.h) plus one row in target.c's table.
 */
#ifndef TARGET_H
#define TARGET_H

#include <stdint.h>

#include "tether.h"
#include "transport.h"

#define TARGET_PROGRAM	0x01	/* runs a program: pid, exit status */
#define TARGET_SHELL	0x02	/* a console or shell: login, run */
#define TARGET_MONITOR	0x04	/* a QEMU monitor protocol (hmp:, qmp:) */
#define TARGET_OPEN_LATER 0x08	/* protocol (qga:) opens on first use
				   with open-within=0: its hook gets
				   until 0 (issue 12) */

/*
 * A row.  stack: the transports, top first, NULL-terminated; NULL for a
 * protocol row, whose prefix is followed by another (not TARGET_PROGRAM)
 * row's URI and which runs on that row's stack.  open: a protocol row's
 * hook, run once the transport is open (until: the open-within
 * deadline); returns 0 or a TETHER_E* code with the errmsg set.
 */
struct target {
	const char		*prefix;	/* "spawn:", "ssh://" */
	const struct transport_ops *const *stack;
	const char		*eol;		/* default line ending */
	int			 flags;		/* TARGET_* */
	int			(*open)(struct tether_session *, int64_t until);
};

/* Returns the table, ended by a row whose prefix is NULL. */
const struct target *target_table(void);
/*
 * Returns the row uri starts with, or NULL; for a protocol row, the row
 * it wraps, and the protocol row in *proto (else NULL there).  *addr
 * (may be NULL) becomes what follows the prefixes.
 */
const struct target *target_find(const char *uri, const struct target **proto,
	    const char **addr);
/*
 * Returns the prefixes a target may start with, from the table:
 * "spawn:, unix:, ... or ssh://" (a static string).
 */
const char *target_usage(void);

/* issue 12: lang */
/*
 * Returns every KEY of KEY=VALUE that some target's open takes (the
 * session's own and each transport's), NULL-terminated, for `tether
 * check`.  Keep it in step with the transport_opt() calls.
 */
const char *const *target_options(void);

#endif /* TARGET_H */
