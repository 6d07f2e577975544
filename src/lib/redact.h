/* SPDX-License-Identifier: ISC */
/*
 * redact.h - the redaction engine: every secret of a run replaced by
 * ******** in the byte streams and strings tether writes out.
 *
 * What is recognised: a secret's bytes in order, with carriage returns,
 * line feeds, NULs and terminal escape sequences (CSI, OSC and other
 * ESC sequences, up to REDACT_GAP_MAX bytes between two characters of
 * the secret) anywhere between them, as line editors redraw and wrap an
 * echo.  Bytes that may begin a secret are held back until the next ones
 * decide; when other bytes follow they were not the secret and are
 * written as they are, but when the stream ends first (close, EOF,
 * failure, a report written while they are held) a leading part longer
 * than REDACT_PART_MIN - 1 bytes is masked.  In a whole string
 * (redact_string) a leading part at its end and a trailing part at its
 * very start (a value cut out of the middle of an echo) are masked.
 * What is not recognised: any encoding of a secret (base64, hex, URL
 * escapes), a secret typed with other bytes between its characters
 * (backspaces, spaces, a kernel message).
 */
#ifndef REDACT_H
#define REDACT_H

#include <stddef.h>

#include "buf.h"
#include "tether.h"

#define REDACT_PART_MIN	4	/* a part this long at an end is masked */
#define REDACT_GAP_MAX	256	/* ignorable bytes between two characters */

/* A stream being redacted: what is held back because it may be secret. */
struct redact {
	struct buf	 hold;		/* not yet written */
	size_t		 carry;		/* leading bytes of hold to be masked */
	int		 in_mask;	/* the last thing written was the mask */
};

/* Starts a stream (nothing held). */
void	 redact_init(struct redact *);
/* Forgets what is held, wiping it. */
void	 redact_free(struct redact *);
/*
 * Feeds n bytes of the stream; appends to out what can be written now,
 * holding back a tail that may begin a secret.  Returns 0 or
 * TETHER_ENOMEM (then the held bytes are dropped, never written).
 */
int	 redact_feed(struct redact *, char *const *secrets, size_t nsecrets,
	    const char *p, size_t n, struct buf *out) TETHER_WUR;
/*
 * Ends the stream: appends what is held, a leading part of a secret
 * longer than 3 bytes masked.  Returns 0 or TETHER_ENOMEM.
 */
int	 redact_finish(struct redact *, char *const *secrets,
	    size_t nsecrets, struct buf *out) TETHER_WUR;
/*
 * Marks (marks[i] = 1) every byte of p[0..n) that belongs to a secret,
 * as a whole string: parts at its end and start count.  Returns 0 or
 * TETHER_ENOMEM.
 */
int	 redact_marks(char *const *secrets, size_t nsecrets, const char *p,
	    size_t n, unsigned char *marks) TETHER_WUR;
/*
 * Appends p[0..n) to out with each run of bytes marked in marks (from
 * redact_marks) as one mask; *in_mask says the last thing appended was a
 * mask, and is updated.  Returns 0 or TETHER_ENOMEM.
 */
int	 redact_apply(const char *p, size_t n, const unsigned char *marks,
	    int *in_mask, struct buf *out) TETHER_WUR;
/*
 * Appends the redacted copy of the whole string p[0..n) to out.
 * Returns 0 or TETHER_ENOMEM.
 */
int	 redact_string(char *const *secrets, size_t nsecrets, const char *p,
	    size_t n, struct buf *out) TETHER_WUR;

#endif /* REDACT_H */
