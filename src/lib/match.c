/*
 * match.c - incremental PCRE2 matching (JIT, PCRE2_PARTIAL_SOFT).
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
static int			 match_nojit;	/* TETHER_NO_JIT set */
static pcre2_jit_stack		*match_jit_stack;

static pcre2_match_context *
matcher_context(void)
{
	if (match_ctx != NULL)
		return match_ctx;
	if ((match_ctx = pcre2_match_context_create(NULL)) == NULL)
		return NULL;
	/* valgrind cannot follow JIT code: it reports false errors */
	match_nojit = getenv("TETHER_NO_JIT") != NULL;
	pcre2_set_match_limit(match_ctx, MATCH_LIMIT);
	match_jit_stack = pcre2_jit_stack_create(32 * 1024, MATCH_JIT_STACK,
	    NULL);
	if (match_jit_stack != NULL)
		pcre2_jit_stack_assign(match_ctx, NULL, match_jit_stack);
	return match_ctx;
}

int
matcher_init(struct matcher *m, const char *re, size_t len, int flags,
    int literal, char *err, size_t errlen)
{
	uint32_t	 opts = 0;
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
	if (m->md == NULL || matcher_context() == NULL) {
		matcher_free(m);
		return TETHER_ENOMEM;
	}
	return 0;
}

void
matcher_free(struct matcher *m)
{
	if (m == NULL)
		return;
	pcre2_match_data_free(m->md);
	pcre2_code_free(m->code);
	free(m->source);
	m->md = NULL;
	m->code = NULL;
	m->source = NULL;
}

int
matcher_scan(struct matcher *m, const char *subj, size_t len, uint64_t base,
    uint64_t *start, uint64_t *end)
{
	PCRE2_SIZE	*ov;
	size_t		 from;
	int		 rc;

	if (m->scan < base)
		m->scan = base;
	from = (size_t)(m->scan - base);
	if (from > len)
		from = len;
	/*
	 * JIT compiling costs ~7 us per pattern, more than a prompt round
	 * trip's worth of interpreted matching: compile only once this
	 * matcher has seen real volume.  Every match is PARTIAL_SOFT.
	 */
	m->scanned += len - from;
	if (!m->jit && m->scanned > MATCH_JIT_AFTER && !match_nojit) {
		pcre2_jit_compile(m->code, PCRE2_JIT_PARTIAL_SOFT);
		m->jit = 1;
	}
	rc = pcre2_match(m->code, (PCRE2_SPTR)subj, len, from,
	    PCRE2_PARTIAL_SOFT, m->md, match_ctx);
	ov = pcre2_get_ovector_pointer(m->md);
	if (rc > 0 || rc == 0) {
		*start = base + ov[0];
		*end = base + ov[1];
		/* An empty match makes no progress: never match it again. */
		m->scan = *end > *start ? *end : *end + 1;
		return 1;
	}
	if (rc == PCRE2_ERROR_PARTIAL)
		m->scan = base + ov[0];
	else
		m->scan = base + len;	/* NOMATCH, or a limit was hit */
	return 0;
}

int
matcher_ngroups(struct matcher *m)
{
	uint32_t	n = 0;

	pcre2_pattern_info(m->code, PCRE2_INFO_CAPTURECOUNT, &n);
	return (int)n + 1;
}
