/* SPDX-License-Identifier: ISC */
/*
 * match.c - incremental PCRE2 matching (JIT, PCRE2_PARTIAL_SOFT) that
 * finds exactly what pcre2_match() finds on the whole text.
 *
 * Patterns work on bytes, not UTF-8 characters: console output carries
 * line noise and NULs, and "." must match those like any other byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

#define MATCH_JIT_STACK	(1024 * 1024)
#define MATCH_LIMIT	10000000
#define MATCH_JIT_AFTER	(64 * 1024)	/* bytes scanned before JIT */

static pcre2_match_context	*match_ctx;
static int			 match_jit = -1;	/* -1: not set yet */
static pcre2_jit_stack		*match_jit_stack;

static pcre2_match_context *
matcher_context(void)
{
	if (match_ctx != NULL)
		return match_ctx;
	if ((match_ctx = pcre2_match_context_create(NULL)) == NULL)
		return NULL;
	/* valgrind cannot follow JIT code: it reports false errors */
	if (match_jit == -1)
		match_jit = getenv("TETHER_NO_JIT") != NULL ? MATCH_JIT_NEVER :
		    MATCH_JIT_AUTO;
	pcre2_set_match_limit(match_ctx, MATCH_LIMIT);
	match_jit_stack = pcre2_jit_stack_create(32 * 1024, MATCH_JIT_STACK,
	    NULL);
	if (match_jit_stack != NULL)
		pcre2_jit_stack_assign(match_ctx, NULL, match_jit_stack);
	return match_ctx;
}

int
matcher_config(int jit, uint32_t match_limit)
{
	if (matcher_context() == NULL)
		return TETHER_ENOMEM;
	match_jit = jit;
	pcre2_set_match_limit(match_ctx, match_limit != 0 ? match_limit :
	    MATCH_LIMIT);
	return 0;
}

/* Returns whether an inline option setting such as (?m) or (?im: is in p. */
static int
match_inline_multiline(const char *p, size_t len)
{
	size_t	i, j;

	for (i = 0; i + 2 < len; i++) {
		if (p[i] != '(' || p[i + 1] != '?')
			continue;
		for (j = i + 2; j < len; j++) {
			if (p[j] == 'm')
				return 1;
			if (p[j] != '^' && p[j] != '-' &&
			    !(p[j] >= 'a' && p[j] <= 'z') &&
			    !(p[j] >= 'A' && p[j] <= 'Z'))
				break;
		}
	}
	return 0;
}

/*
 * Returns whether the only ^ is the pattern's first item (no recursion or
 * subroutine call could run it again later): then it meets the end of the
 * subject only at a start that the next scan tries anyway.
 */
static int
match_circ_first_only(const char *p, size_t len)
{
	return len > 0 && p[0] == '^' && memchr(p + 1, '^', len - 1) == NULL &&
	    memmem(p, len, "(?", 2) == NULL && memmem(p, len, "\\g", 2) == NULL;
}

/*
 * Returns whether where a scan starts can change the result: \G is the
 * scan's start, (*COMMIT) and (*SKIP) decide which later starts are
 * tried, and a repeated \C fails at the end without a partial match.
 * Words in \Q...\E or comments count too, which only costs time.
 */
static int
match_start_dependent(const pcre2_code *code, const char *p, size_t len)
{
	static const char *const	 words[] = {
		"\\G", "(*COMMIT", "(*SKIP",
	};
	uint32_t			 bsc = 0;
	size_t				 i, n;

	pcre2_pattern_info(code, PCRE2_INFO_HASBACKSLASHC, &bsc);
	if (bsc)
		return 1;
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		n = strlen(words[i]);
		if (len >= n && memmem(p, len, words[i], n) != NULL)
			return 1;
	}
	return 0;
}

int
matcher_init(struct matcher *m, const char *re, size_t len, int flags,
    int literal, char *err, size_t errlen)
{
	uint32_t	 opts = 0, all = 0;
	PCRE2_SIZE	 eoff;
	int		 ec;
	PCRE2_UCHAR	 msg[256];

	memset(m, 0, sizeof *m);
	if (flags & TETHER_RE_CASELESS)
		opts |= PCRE2_CASELESS;
	if (flags & TETHER_RE_MULTILINE)
		opts |= PCRE2_MULTILINE;
	if (flags & TETHER_RE_DOTALL)
		opts |= PCRE2_DOTALL;
	if (flags & TETHER_RE_EXTENDED)
		opts |= PCRE2_EXTENDED;
	if (literal)
		opts = PCRE2_LITERAL | (opts & PCRE2_CASELESS);
	m->literal = literal;
	if ((m->source = strndup(re, len)) == NULL)
		return TETHER_ENOMEM;
	m->code = pcre2_compile((PCRE2_SPTR)re, len, opts, &ec, &eoff, NULL);
	if (m->code == NULL) {
		pcre2_get_error_message(ec, msg, sizeof msg);
		snprintf(err, errlen, "bad regex /%s/ at offset %zu: %s",
		    m->source, (size_t)eoff, (char *)msg);
		matcher_free(m);
		return TETHER_EINVAL;
	}
	m->md = pcre2_match_data_create_from_pattern(m->code, NULL);
	if (m->md == NULL || matcher_context() == NULL)
		goto nomem;
	if (!literal) {
		pcre2_pattern_info(m->code, PCRE2_INFO_ALLOPTIONS, &all);
		m->rescan = match_start_dependent(m->code, re, len);
		if (((all & PCRE2_MULTILINE) ||
		    match_inline_multiline(re, len)) &&
		    !match_circ_first_only(re, len) &&
		    (m->alt = pcre2_compile((PCRE2_SPTR)re, len,
		    opts | PCRE2_ALT_CIRCUMFLEX, &ec, &eoff, NULL)) == NULL)
			goto nomem;
	}
	return 0;
nomem:
	matcher_free(m);
	return TETHER_ENOMEM;
}

void
matcher_free(struct matcher *m)
{
	if (m == NULL)
		return;
	pcre2_match_data_free(m->md);
	pcre2_code_free(m->code);
	pcre2_code_free(m->alt);
	free(m->source);
	m->md = NULL;
	m->code = NULL;
	m->alt = NULL;
	m->source = NULL;
}

/*
 * JIT compiling costs ~7 us per pattern, more than a prompt round trip's
 * worth of interpreted matching: compile only once this matcher has seen
 * real volume.
 */
static void
matcher_jit(struct matcher *m)
{
	if (m->jit || match_jit == MATCH_JIT_NEVER ||
	    (match_jit == MATCH_JIT_AUTO && m->scanned <= MATCH_JIT_AFTER))
		return;
	pcre2_jit_compile(m->code, PCRE2_JIT_PARTIAL_SOFT);
	if (m->alt != NULL)
		pcre2_jit_compile(m->alt, PCRE2_JIT_PARTIAL_HARD);
	m->jit = 1;
}

/* Returns whether c can end a newline in any PCRE2 newline convention. */
static int
match_newline_end(unsigned char c)
{
	return c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	    c == '\0' || c == 0x85 || c == 0xa8 || c == 0xa9;
}

int
matcher_scan(struct matcher *m, const char *subj, size_t len, uint64_t base,
    uint64_t *start, uint64_t *end)
{
	PCRE2_SIZE	*ov;
	size_t		 from, resume;
	int		 rc;

	if (m->scan < base)
		m->scan = base;
	from = m->rescan ? 0 : (size_t)(m->scan - base);
	if (from > len)
		from = len;
	m->scanned += len - from;
	matcher_jit(m);
	rc = pcre2_match(m->code, (PCRE2_SPTR)subj, len, from,
	    PCRE2_PARTIAL_SOFT, m->md, match_ctx);
	ov = pcre2_get_ovector_pointer(m->md);
	if (rc >= 0) {
		*start = base + ov[0];
		*end = base + ov[1];
		/* An empty match makes no progress: never match it again. */
		m->scan = *end > *start ? *end : *end + 1;
		return 1;
	}
	if (rc == PCRE2_ERROR_PARTIAL)
		resume = ov[0];
	else if (rc == PCRE2_ERROR_NOMATCH)
		resume = len;
	else
		goto fail;
	/* ov[0] of a partial match counts what a lookbehind inspected. */
	if (resume < from)
		resume = from;
	/*
	 * A multiline ^ fails at the end of the subject after a newline,
	 * with no partial match, though more text would let it match: the
	 * ALT_CIRCUMFLEX twin differs only there, so its earliest partial
	 * (or complete) match is the earliest start such a ^ could still
	 * complete.
	 */
	if (m->alt != NULL && !m->rescan && resume > from && len > 0 &&
	    match_newline_end((unsigned char)subj[len - 1])) {
		rc = pcre2_match(m->alt, (PCRE2_SPTR)subj, len, from,
		    PCRE2_PARTIAL_HARD, m->md, match_ctx);
		if (rc >= 0 || rc == PCRE2_ERROR_PARTIAL) {
			if (ov[0] < resume)
				resume = ov[0] < from ? from : ov[0];
		} else if (rc != PCRE2_ERROR_NOMATCH)
			goto fail;
	}
	m->scan = base + resume;
	return 0;
fail:
	m->err = rc;
	return TETHER_EFAIL;
}

int
matcher_ngroups(struct matcher *m)
{
	uint32_t	n = 0;

	pcre2_pattern_info(m->code, PCRE2_INFO_CAPTURECOUNT, &n);
	return (int)n + 1;
}

char *
matcher_strerror(struct matcher *m, char *buf, size_t len)
{
	PCRE2_UCHAR	msg[256];

	if (pcre2_get_error_message(m->err, msg, sizeof msg) < 0)
		snprintf((char *)msg, sizeof msg, "error %d", m->err);
	switch (m->err) {
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
	case PCRE2_ERROR_JIT_STACKLIMIT:
	case PCRE2_ERROR_NOMEMORY:
		snprintf(buf, len, "PCRE2 gave up: %s", (char *)msg);
		break;
	default:
		snprintf(buf, len, "PCRE2 failed: %s", (char *)msg);
		break;
	}
	return buf;
}
