/* SPDX-License-Identifier: ISC */
/*
 * redact.c - the redaction engine: secrets replaced by ******** in every
 * byte stream and string tether writes out (see redact.h for the rules).
 *
 * Every byte position is tried as the start of every secret; a try ends
 * FULL (the whole secret), PART (a leading part, then other bytes: not
 * the secret, shown as it is) or OPEN (the data ended first).  FULL
 * spans are masked; a stream holds back from the first OPEN try until
 * more data decides it, and when the stream ends first, an OPEN span of
 * at least REDACT_PART_MIN bytes is masked.  Runs of masked bytes become
 * one mask.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "redact.h"
#include "tether.h"

enum redact_try {
	TRY_NONE,
	TRY_PART,
	TRY_FULL,
	TRY_OPEN,
};

/*
 * Returns the length of the ignorable bytes at p (CR, LF, NUL, an escape
 * sequence) when at most budget long, 0 when none, (size_t)-1 when the
 * data ends inside one that may still fit.
 */
static size_t
redact_gap(const unsigned char *p, size_t n, size_t budget)
{
	size_t	i;

	if (p[0] == '\r' || p[0] == '\n' || p[0] == '\0')
		return budget >= 1 ? 1 : 0;
	if (p[0] != 0x1b)
		return 0;
	if (n < 2)
		return budget >= 2 ? (size_t)-1 : 0;
	i = 2;
	switch (p[1]) {
	case '[':		/* CSI: parameters, intermediates, final */
		while (i < n && p[i] >= 0x30 && p[i] <= 0x3f)
			i++;
		while (i < n && p[i] >= 0x20 && p[i] <= 0x2f)
			i++;
		if (i == n)
			return i < budget ? (size_t)-1 : 0;
		if (p[i] < 0x40 || p[i] > 0x7e)
			return 0;
		i++;
		break;
	case ']':		/* OSC, DCS, SOS, PM, APC: to BEL or ST */
	case 'P':
	case 'X':
	case '^':
	case '_':
		for (; i < n; i++) {
			if (p[i] == 0x07) {
				i++;
				break;
			}
			if (p[i] == 0x1b && i + 1 < n && p[i + 1] == '\\') {
				i += 2;
				break;
			}
			if (p[i] == 0x1b && i + 1 == n)
				return i + 1 < budget ? (size_t)-1 : 0;
			if (p[i] == 0x18 || p[i] == 0x1a || i >= budget)
				return 0;
		}
		if (i == n && p[n - 1] != 0x07 &&
		    !(n >= 2 && p[n - 2] == 0x1b && p[n - 1] == '\\'))
			return i < budget ? (size_t)-1 : 0;
		break;
	default:		/* ESC, intermediates, final */
		i = 1;
		while (i < n && p[i] >= 0x20 && p[i] <= 0x2f)
			i++;
		if (i == n)
			return i < budget ? (size_t)-1 : 0;
		if (p[i] < 0x30 || p[i] > 0x7e)
			return 0;
		i++;
	}
	return i <= budget ? i : 0;
}

/*
 * Tries secret sec[0..sl) at p[at..n): the outcome, and in *end the
 * offset just past its last matched byte, in *got how many of its bytes
 * matched.
 */
static enum redact_try
redact_try(const unsigned char *p, size_t n, size_t at, const char *sec,
    size_t sl, size_t *end, size_t *got)
{
	size_t	k = 0, i = at, gap = 0, g;

	*end = at;
	*got = 0;
	while (k < sl) {
		if (i == n)
			goto open;
		if (p[i] == (unsigned char)sec[k]) {
			k++;
			*end = ++i;
			*got = k;
			gap = 0;
			continue;
		}
		if (k == 0)
			return TRY_NONE;
		g = redact_gap(p + i, n - i, REDACT_GAP_MAX - gap);
		if (g == (size_t)-1)
			goto open;
		if (g == 0)
			return TRY_PART;
		gap += g;
		i += g;
	}
	return TRY_FULL;
open:
	return k > 0 || i > at ? TRY_OPEN : TRY_NONE;
}

/*
 * Marks p[0..n) (marks preset by the caller) and returns the offset of
 * the first try still open (n when none); with final, open tries count
 * as parts.  *mask_end gets the end of the masked spans that start
 * before that offset.
 */
static size_t
redact_scan(char *const *sec, size_t nsec, const unsigned char *p,
    size_t n, int final, unsigned char *marks, size_t *mask_end)
{
	size_t		 at, j, sl, end, got, best, open = n;
	enum redact_try	 t;

	*mask_end = 0;
	for (at = 0; at < n && at < open; at++) {
		best = 0;
		for (j = 0; j < nsec; j++) {
			if ((unsigned char)sec[j][0] != p[at])
				continue;
			sl = strlen(sec[j]);
			t = redact_try(p, n, at, sec[j], sl, &end, &got);
			if (t == TRY_OPEN && !final) {
				if (open == n)
					open = at;
				continue;
			}
			if (t == TRY_FULL || (t == TRY_OPEN &&
			    got >= REDACT_PART_MIN))
				best = end > best ? end : best;
		}
		if (best > at) {
			memset(marks + at, 1, best - at);
			if (best > *mask_end)
				*mask_end = best;
		}
	}
	return open;
}

int
redact_apply(const char *p, size_t n, const unsigned char *marks,
    int *in_mask, struct buf *out)
{
	size_t	i = 0, j;

	while (i < n) {
		if (marks[i]) {
			if (!*in_mask && buf_puts(out, TETHER_MASK) != 0)
				return TETHER_ENOMEM;
			*in_mask = 1;
			while (i < n && marks[i])
				i++;
			continue;
		}
		for (j = i; j < n && !marks[j]; j++)
			;
		if (buf_append(out, p + i, j - i) != 0)
			return TETHER_ENOMEM;
		*in_mask = 0;
		i = j;
	}
	return 0;
}

void
redact_init(struct redact *rd)
{
	memset(rd, 0, sizeof *rd);
	buf_init(&rd->hold, 0);
}

void
redact_free(struct redact *rd)
{
	if (rd == NULL)
		return;
	if (rd->hold.data != NULL)
		explicit_bzero(rd->hold.data, rd->hold.cap);
	buf_free(&rd->hold);
	rd->carry = 0;
	rd->in_mask = 0;
}

/* Redacts hold + p as far as it is decided (all of it with final). */
static int
redact_step(struct redact *rd, char *const *sec, size_t nsec,
    const char *p, size_t n, int final, struct buf *out)
{
	unsigned char	*marks = NULL;
	const char	*d;
	size_t		 len, open, mask_end;
	int		 r = TETHER_ENOMEM;

	if (buf_append(&rd->hold, p, n) != 0)
		goto out;
	d = rd->hold.data;
	len = rd->hold.len;
	if (len == 0)
		return 0;
	if ((marks = calloc(len, 1)) == NULL)
		goto out;
	memset(marks, 1, rd->carry < len ? rd->carry : len);
	open = redact_scan(sec, nsec, (const unsigned char *)d, len, final,
	    marks, &mask_end);
	if (rd->carry > mask_end)
		mask_end = rd->carry;
	if (redact_apply(d, open, marks, &rd->in_mask, out) != 0)
		goto out;
	rd->carry = mask_end > open ? mask_end - open : 0;
	explicit_bzero(rd->hold.data, open);
	buf_consume(&rd->hold, open);
	r = 0;
out:
	free(marks);
	if (r != 0)
		redact_free(rd);
	return r;
}

int
redact_feed(struct redact *rd, char *const *sec, size_t nsec, const char *p,
    size_t n, struct buf *out)
{
	if (nsec == 0 && rd->hold.len == 0) {
		rd->in_mask = 0;
		return n > 0 && buf_append(out, p, n) != 0 ? TETHER_ENOMEM : 0;
	}
	return redact_step(rd, sec, nsec, p, n, 0, out);
}

int
redact_finish(struct redact *rd, char *const *sec, size_t nsec,
    struct buf *out)
{
	int	r;

	r = redact_step(rd, sec, nsec, NULL, 0, 1, out);
	redact_free(rd);
	redact_init(rd);
	return r;
}

int
redact_marks(char *const *sec, size_t nsec, const char *p, size_t n,
    unsigned char *marks)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 j, sl, m, end, got, mask_end;

	(void)redact_scan(sec, nsec, u, n, 1, marks, &mask_end);
	/* A string may start inside a secret: mask a long enough tail. */
	for (j = 0; j < nsec && n > 0; j++) {
		sl = strlen(sec[j]);
		for (m = sl - 1; m >= REDACT_PART_MIN && m < sl; m--) {
			if ((unsigned char)sec[j][sl - m] == u[0] &&
			    redact_try(u, n, 0, sec[j] + sl - m, m, &end,
			    &got) == TRY_FULL) {
				memset(marks, 1, end);
				break;
			}
		}
	}
	return 0;
}

int
redact_string(char *const *sec, size_t nsec, const char *p, size_t n,
    struct buf *out)
{
	unsigned char	*marks;
	int		 in_mask = 0, r;

	if (nsec == 0)
		return n > 0 && buf_append(out, p, n) != 0 ? TETHER_ENOMEM : 0;
	if ((marks = calloc(n + 1, 1)) == NULL)
		return TETHER_ENOMEM;
	r = redact_marks(sec, nsec, p, n, marks);
	if (r == 0)
		r = redact_apply(p, n, marks, &in_mask, out);
	free(marks);
	return r;
}
