/*
 * match.h - one incremental PCRE2 matcher over a growing byte stream.
 *
 * The matcher remembers where to resume: after no match it resumes at the
 * end of what it saw, after a partial match at the partial match's start,
 * so each byte is examined a bounded number of times whatever the volume.
 */
#ifndef MATCH_H
#define MATCH_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "tether.h"

struct matcher {
	pcre2_code		*code;
	pcre2_match_data	*md;
	uint64_t		 scan;		/* absolute resume offset */
	uint64_t		 scanned;	/* bytes given to pcre2_match */
	int			 jit;		/* JIT-compiled yet */
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
 * Scans subj (len bytes starting at absolute offset base) from the resume
 * point.  Returns 1 on a complete match with its absolute bounds in
 * *start and *end (the match data holds the groups), 0 when none yet.
 */
int	 matcher_scan(struct matcher *, const char *subj, size_t len,
	    uint64_t base, uint64_t *start, uint64_t *end);
/* Returns the group count including group 0. */
int	 matcher_ngroups(struct matcher *);

#endif /* MATCH_H */
