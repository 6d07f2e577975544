/* SPDX-License-Identifier: ISC */
/*
 * match.h - one incremental PCRE2 matcher over a growing byte stream.
 *
 * The contract: a pattern matches the stream as soon as PCRE2 would match
 * the bytes received so far (since the last consumed match), whatever the
 * read boundaries, and the match is the one pcre2_match() finds on those
 * bytes from their start.  To keep to it the matcher remembers where to
 * resume: after no match it resumes at the end of what it saw, after a
 * partial match at the partial match's start, so each byte is examined a
 * bounded number of times whatever the volume.  PCRE2 reports no partial
 * match where a multiline ^ meets the end of the subject after a newline,
 * so such patterns are scanned a second time with PCRE2_ALT_CIRCUMFLEX to
 * find where such a candidate starts.  Patterns whose result depends on
 * where a scan starts (\G, \C, (*COMMIT), (*SKIP)) are scanned from the
 * start of the text every time.
 */
#ifndef MATCH_H
#define MATCH_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "tether.h"

#define MATCH_JIT_AUTO		0	/* JIT once 64 KiB were scanned */
#define MATCH_JIT_ALWAYS	1
#define MATCH_JIT_NEVER		2

struct matcher {
	pcre2_code		*code;
	pcre2_code		*alt;		/* ALT_CIRCUMFLEX twin */
	pcre2_match_data	*md;
	uint64_t		 scan;		/* absolute resume offset */
	uint64_t		 scanned;	/* bytes given to pcre2_match */
	int			 jit;		/* JIT-compiled yet */
	int			 rescan;	/* always from the start */
	int			 literal;
	int			 err;		/* PCRE2 code of a failure */
	char			*source;	/* for messages */
};

/*
 * Compiles re (TETHER_RE_* flags), or the literal when literal is set.
 * Returns 0 or TETHER_EINVAL with the PCRE2 message and offset in err.
 */
int	 matcher_init(struct matcher *, const char *re, size_t len,
	    int flags, int literal, char *err, size_t errlen) TETHER_WUR;
/* Frees the compiled pattern (NULL members are fine). */
void	 matcher_free(struct matcher *);
/*
 * Scans subj (len bytes at absolute offset base) from the resume point.
 * Returns 1 on a match, its absolute bounds in *start and *end (groups in
 * the match data), 0 when none yet, or TETHER_EFAIL when PCRE2 gave up.
 */
int	 matcher_scan(struct matcher *, const char *subj, size_t len,
	    uint64_t base, uint64_t *start, uint64_t *end);
/* Returns the group count including group 0. */
int	 matcher_ngroups(struct matcher *);
/*
 * Writes why the last matcher_scan failed ("PCRE2 gave up: match limit
 * exceeded") into buf; returns buf.
 */
char	*matcher_strerror(struct matcher *, char *buf, size_t len);
/*
 * Sets, for every matcher, when to JIT-compile (MATCH_JIT_*; the
 * environment's TETHER_NO_JIT means MATCH_JIT_NEVER) and PCRE2's match
 * limit (0: the default, 10 million).  Returns 0 or TETHER_ENOMEM.
 */
int	 matcher_config(int jit, uint32_t match_limit) TETHER_WUR;

#endif /* MATCH_H */
