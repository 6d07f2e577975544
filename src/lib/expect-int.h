/* SPDX-License-Identifier: ISC */
/*
 * expect-int.h - what a running expect set does with a session's input
 * (its session reader calls expect_feed), and the pure scan behind it
 * (the fuzz harnesses drive both without a socket).
 */
#ifndef EXPECT_INT_H
#define EXPECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tether.h"

/*
 * Scans what session s received since the last call against the set's
 * branches on s (also noticing EOF).  Called by the set's reader after
 * every piece of input, before any of the view is discarded.
 */
void	 expect_feed(struct tether_expect *, struct tether_session *s);
/*
 * Scans subj, s's view from absolute offset base on, with the branches on
 * s (the earliest match wins, ties the first added).  Returns 1 and keeps
 * the match (*end: its end), 0, TETHER_ENOMEM or TETHER_EFAIL (PCRE2 gave
 * up; expect_errmsg names the pattern and s).
 */
int	 expect_scan(struct tether_expect *, struct tether_session *s,
	    const char *subj, size_t len, uint64_t base, uint64_t *end);
/* Gets the set ready for a new run: every branch resumes from base. */
void	 expect_reset(struct tether_expect *);
/* Returns the kept match (the caller frees it) or NULL. */
struct tether_match *expect_take(struct tether_expect *);
/* Returns the message of the failure expect_scan kept, or "". */
const char *expect_errmsg(struct tether_expect *);

#endif /* EXPECT_INT_H */
