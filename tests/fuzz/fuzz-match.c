/* SPDX-License-Identifier: ISC */
/*
 * fuzz-match.c - differential libFuzzer harness for the incremental
 * matcher: a pattern (from a set of multiline, anchor, lookbehind and
 * backtracking-heavy ones, or from the input), flags, JIT on or off and
 * one or two branches come from the first bytes; the rest is text fed in
 * random chunks through the expect set as a session does (absolute
 * offsets into a view, consumed up to each match).  After every chunk
 * the result must be what pcre2_match() finds on the whole text received
 * since the last match: matched or not, which branch, the bounds and the
 * groups.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect-int.h"
#include "match.h"
#include "session.h"
#include "tether.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MATCH_LIMIT	20000	/* keeps backtracking inputs fast */
#define FUZZ_TEXT_MAX		2048

#define M	TETHER_RE_MULTILINE
#define S	TETHER_RE_DOTALL

static const struct pat {
	const char	*re;
	int		 flags;
} pats[] = {
	/* multiline ^ and $, and the newline conventions */
	{ "\\n^# ready", M }, { "^# ready$", M }, { "^\\(qemu\\) ", M },
	{ "(?m)^a+$", 0 }, { "\\n^", M }, { "^$", M }, { "$", M },
	{ "x\\n^\\n^y", M }, { "(?m:\\n^a)|b", 0 }, { "^.*$", M },
	{ "(*CRLF)a$", M }, { "(*CRLF)\\n^a", M }, { "(*ANYCRLF)\\r^a", M },
	{ "(*ANY)\\x0b^b", M }, { "(*CR)\\r^a", M }, { "(*NUL)\\x00^a", M },
	{ "(*ANYCRLF)a.b", 0 }, { "(*CRLF).$", M }, { "(?=a)^", M },
	{ "(?x) a \\n ^ b  # comment", M }, { "(?m)^\\s*#\\s*$", 0 },
	/* end-of-subject assertions */
	{ "a$", 0 }, { "a\\z", 0 }, { "a\\Z", 0 }, { "\\Aab", 0 },
	{ "^ab", 0 }, { "login: $", 0 }, { "\\d+\\s*$", 0 }, { "[#$] $", 0 },
	/* lookaround and word boundaries */
	{ "(?<=a)b", 0 }, { "(?<!a)b+", 0 }, { "(?<=\\n)#", 0 },
	{ "(?<=^|\\n)ab", 0 }, { "(?<=ab|b)c", 0 }, { "(?<=\\d{3})x", 0 },
	{ "(?<=a(?=b))", 0 }, { "(?<!\\n)^a", M }, { "\\bab\\b", 0 },
	{ "\\Bb", 0 }, { "a(?=b)", 0 }, { "a(?!b)", 0 }, { "a(?!b)c?", 0 },
	{ "a\\Kb", 0 },
	/* empty and lazy */
	{ "x*", 0 }, { "a??", 0 }, { "(?:)", 0 }, { "a{2,}?b", 0 },
	{ "(?s)a.*?b", 0 }, { "^(?:a|b)*?c", 0 },
	/* start-dependent: \G, verbs, \C */
	{ "\\Gab", 0 }, { "\\Ga|b", 0 }, { "a(*COMMIT)b", 0 },
	{ "a+(*SKIP)b", 0 }, { "a(*PRUNE)b|ac", 0 }, { "a(*THEN)b|ac", 0 },
	{ "(*MARK:m)a(*SKIP:m)b|a", 0 }, { "\\C{2}b", 0 }, { "a\\C", 0 },
	/* backtracking-heavy */
	{ "(a+)+b", 0 }, { "(a|aa)+$", 0 }, { "(?:a*)*b", 0 },
	{ "(a|ab)(c|bcd)(d*)", 0 }, { "a++b", 0 }, { "(?>a+)b", 0 },
	{ "(.*)*#", S }, { "([ab]*)*c", 0 },
	/* newlines, dots, classes */
	{ "\\R\\R", 0 }, { "a\\R", 0 }, { "[^\\n]*\\n", 0 }, { ".*b", 0 },
	{ ".*b", S }, { "\\s+\\S", 0 },
	/* backreferences, conditionals, recursion */
	{ "(a)\\1", 0 }, { "(?i)(a)\\1b", 0 }, { "(?|(a)|(b))\\1", 0 },
	{ "(?(?=a)ab|b)", 0 }, { "(a)?(?(1)b|c)", 0 }, { "(?1)(a|b)", 0 },
	{ "(a(?R)?b)", 0 }, { "(?<n>a)(?&n)", 0 },
};

/* Bytes the text is drawn from when the input asks for an alphabet. */
static const char alphabet[] = "ab\n\r# a\nbc()qemu:x$dy\x0b" "\x00" "AB";

static pcre2_match_context	*ref_ctx;	/* the same match limit */

struct ref {
	struct matcher		 m;	/* compiled as the branch is */
	pcre2_match_data	*md;
};

/* Returns the next random number. */
static uint32_t
rnd(uint32_t *rng)
{
	*rng = *rng * 1103515245 + 12345;
	return *rng >> 16;
}

/*
 * Compiles branch i of the set and its reference.  Returns 0, or -1 when
 * the pattern does not compile.
 */
static int
add_branch(struct tether_expect *e, struct tether_session *s,
    struct ref *r, const char *re, size_t len, int flags, int literal,
    int id)
{
	char	err[256];
	int	rc;

	if (literal)
		flags = 0;		/* tether_expect_literal has none */
	else
		len = strnlen(re, len);	/* as tether_expect_regex sees it */
	if (matcher_init(&r->m, re, len, flags, literal, err, sizeof err) != 0)
		return -1;
	if ((r->md = pcre2_match_data_create_from_pattern(r->m.code,
	    NULL)) == NULL)
		abort();
	if (literal)
		rc = tether_expect_literal(e, s, re, len, id);
	else
		rc = tether_expect_regex(e, s, r->m.source, flags, id);
	if (rc != 0)
		abort();		/* it compiled just above */
	return 0;
}

/* Says why the incremental result differs from PCRE2's, and crashes. */
static void
mismatch(const char *what, const struct ref *r, size_t nr,
    const char *text, size_t len)
{
	size_t	i;

	fprintf(stderr, "fuzz-match: %s\n", what);
	for (i = 0; i < nr; i++)
		fprintf(stderr, "  pattern %zu: /%s/\n", i, r[i].m.source);
	fprintf(stderr, "  text since the last match (%zu bytes): \"", len);
	for (i = 0; i < len; i++)
		fprintf(stderr, (unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] >= 0x7f ? "\\x%02x" : "%c",
		    (unsigned char)text[i]);
	fprintf(stderr, "\"\n");
	abort();
}

/*
 * Compares the set's result on subj (len bytes at absolute offset base)
 * with PCRE2 on the same bytes.  Returns 1 when both matched (the match
 * end in *end), 0 when neither did, -1 when PCRE2 gave up (stop there).
 */
static int
compare(struct tether_expect *e, struct tether_session *s, struct ref *r,
    size_t nr, const char *subj, size_t len, uint64_t base, uint64_t *end)
{
	struct tether_match	*m;
	PCRE2_SIZE		*ov, *bov = NULL;
	const char		*g;
	size_t			 i, glen, best = 0;
	int			 rc, got, j, n;

	got = expect_scan(e, s, subj, len, base, end);
	if (got < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		rc = pcre2_match(r[i].m.code, (PCRE2_SPTR)subj, len, 0, 0,
		    r[i].md, ref_ctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0)
			return -1;	/* gave up too: nothing to compare */
		ov = pcre2_get_ovector_pointer(r[i].md);
		if (bov == NULL || ov[0] < bov[0]) {
			bov = ov;
			best = i;
		}
	}
	if (got != (bov != NULL))
		mismatch(got ? "matched where PCRE2 does not" :
		    "no match where PCRE2 matches", r, nr, subj, len);
	if (!got)
		return 0;
	m = expect_take(e);
	if (tether_match_id(m) != (int)best)
		mismatch("another branch won", r, nr, subj, len);
	tether_match_before(m, &glen);
	if (glen != bov[0] || *end != base + bov[1])
		mismatch("the match bounds differ", r, nr, subj, len);
	n = (int)pcre2_get_ovector_count(r[best].md);
	for (j = 0; j < tether_match_ngroups(m) && j < n; j++) {
		g = tether_match_group(m, j, &glen);
		if ((g == NULL) != (bov[2 * j] == PCRE2_UNSET) ||
		    (g != NULL && (glen != bov[2 * j + 1] - bov[2 * j] ||
		    memcmp(g, subj + bov[2 * j], glen) != 0)))
			mismatch("a group differs", r, nr, subj, len);
	}
	tether_match_free(m);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tether_loop	*loop;
	static struct tether_session	 sess;
	struct tether_expect		*e = NULL;
	struct ref			 r[2];
	const struct pat		*p;
	char				*text = NULL;
	size_t				 nr = 0, len, i, plen, off, k, consumed;
	uint64_t			 end;
	uint32_t			 rng;
	int				 sel, opt, flags, literal, maxchunk, rc;
	int				 two;

	if (size < 4)
		return 0;
	if (loop == NULL) {
		if ((loop = tether_loop_new()) == NULL)
			abort();
		sess.name = "fuzz";
		sess.loop = loop;
		if ((ref_ctx = pcre2_match_context_create(NULL)) == NULL)
			abort();
		pcre2_set_match_limit(ref_ctx, FUZZ_MATCH_LIMIT);
	}
	sel = data[0];
	opt = data[1];
	rng = data[2];
	maxchunk = 1 + (data[3] & 0x3f);
	two = data[3] & 0x40;
	data += 4;
	size -= 4;
	flags = opt & 0xf;
	literal = (opt & 0xc0) == 0xc0;
	if (matcher_config(opt & 0x10 ? MATCH_JIT_ALWAYS : MATCH_JIT_NEVER,
	    FUZZ_MATCH_LIMIT) != 0)
		abort();
	memset(r, 0, sizeof r);
	if ((e = tether_expect_new(loop)) == NULL)
		abort();
	/* The pattern: from the set, or the input's next bytes. */
	if (sel & 0x80) {
		plen = 1 + (sel & 0x0f);
		if (plen > size)
			goto out;
		if (add_branch(e, &sess, &r[nr], (const char *)data, plen,
		    flags, literal, 0) != 0)
			goto out;
		data += plen;
		size -= plen;
	} else {
		p = &pats[(size_t)sel % (sizeof pats / sizeof pats[0])];
		if (add_branch(e, &sess, &r[nr], p->re, strlen(p->re),
		    flags | p->flags, literal, 0) != 0)
			goto out;
	}
	nr++;
	/* Sometimes a second branch, which must lose ties. */
	if (two) {
		p = &pats[rnd(&rng) % (sizeof pats / sizeof pats[0])];
		if (add_branch(e, &sess, &r[nr], p->re, strlen(p->re),
		    p->flags, 0, 1) != 0)
			goto out;
		nr++;
	}
	len = size < FUZZ_TEXT_MAX ? size : FUZZ_TEXT_MAX;
	if ((text = malloc(len + 1)) == NULL)
		abort();
	for (i = 0; i < len; i++)
		text[i] = opt & 0x20 ? alphabet[data[i] %
		    (sizeof alphabet - 1)] : (char)data[i];

	/* The view is text[0..off); a match consumes up to its end. */
	expect_reset(e);
	consumed = 0;
	for (off = 0; off < len; off += k) {
		k = 1 + rnd(&rng) % (unsigned)maxchunk;
		if (k > len - off)
			k = len - off;
		for (;;) {
			rc = compare(e, &sess, r, nr, text + consumed,
			    off + k - consumed, consumed, &end);
			if (rc <= 0)
				break;
			if (end == consumed)
				goto out;	/* an empty match: again */
			consumed = (size_t)end;
			expect_reset(e);	/* the next expect */
		}
		if (rc < 0)
			break;
	}
out:
	tether_expect_free(e);
	for (i = 0; i < nr; i++) {
		pcre2_match_data_free(r[i].md);
		matcher_free(&r[i].m);
	}
	free(text);
	return 0;
}
