/* SPDX-License-Identifier: ISC */
/*
 * fuzz-redact.c - libFuzzer harness for the redaction engine: secrets
 * taken from the input are echoed into random text with CR/LF and escape
 * sequences between their bytes, the stream is fed in random chunks, and
 * the output must (1) not depend on the chunking, (2) show no secret and
 * end in no leading part longer than 3 bytes of one, raw or once CR,
 * LF, NUL and ESC [ K runs (up to 64 bytes) are removed, as a terminal
 * would render it, and (3) equal the whole-string redaction when the
 * text cannot start inside a secret.
 *
 * Input: byte 0 seeds the chunking; byte 1 the number of secrets (1-3);
 * per secret a length byte (4-19) and its bytes; then the text, where a
 * byte 0xf0 + i (i < 3) inserts an echo of secret i with gaps drawn from
 * the next byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "redact.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NSEC_MAX	3

static uint32_t
rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/* Appends secret sec with random gaps between its bytes. */
static void
echo(struct buf *t, const char *sec, uint32_t seed)
{
	static const char	*gaps[] = { "\r", "\n", "\r\r\n", "\033[K",
				    "\033[1;80H", "\0", "\033]0;x\007" };
	size_t			 i;

	for (i = 0; sec[i] != '\0'; i++) {
		if (buf_putc(t, sec[i]) != 0)
			abort();
		if (sec[i + 1] != '\0' && rnd(&seed) % 3 == 0) {
			const char *g = gaps[rnd(&seed) % 7];

			if (buf_append(t, g, *g == '\0' ? 1 : strlen(g)) != 0)
				abort();
		}
	}
}

static int
ignorable(const char *p, size_t n, size_t *len)
{
	if (*p == '\r' || *p == '\n' || *p == '\0') {
		*len = 1;
		return 1;
	}
	if (n >= 3 && memcmp(p, "\033[K", 3) == 0) {
		*len = 3;
		return 1;
	}
	return 0;
}

/* Aborts when p[0..n) holds secret s or ends in a part (>= 4) of it. */
static void
check_one(const char *p, size_t n, const char *s)
{
	size_t	sl = strlen(s), k;

	if (memmem(p, n, s, sl) != NULL)
		abort();
	for (k = REDACT_PART_MIN; k < sl && k <= n; k++) {
		if (memcmp(p + n - k, s, k) == 0)
			abort();
	}
}

/* Aborts when out shows a secret, or ends in a leading part of one. */
static void
check_leak(const char *out, size_t n, char **sec, size_t nsec)
{
	struct buf	flat;
	size_t		i, j, l, run;

	if (n == 0)
		return;
	for (j = 0; j < nsec; j++)
		check_one(out, n, sec[j]);
	buf_init(&flat, 0);
	for (i = 0; i < n;) {
		run = 0;
		while (i + run < n && ignorable(out + i + run, n - i - run,
		    &l) && run + l <= 64)
			run += l;
		if (run > 0 && (i + run == n || !ignorable(out + i + run,
		    n - i - run, &l))) {
			i += run;
			continue;
		}
		if (buf_append(&flat, out + i, run > 0 ? run : 1) != 0)
			abort();
		i += run > 0 ? run : 1;
	}
	for (j = 0; j < nsec && flat.len > 0; j++)
		check_one(flat.data, flat.len, sec[j]);
	buf_free(&flat);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char		*sec[NSEC_MAX];
	struct buf	 text, a, b, c;
	struct redact	 rd;
	size_t		 nsec, i, j, l, at, k;
	uint32_t	 seed;

	if (n < 3)
		return 0;
	seed = d[0];
	nsec = d[1] % NSEC_MAX + 1;
	at = 2;
	for (i = 0; i < nsec; i++) {
		l = at < n ? d[at++] % 16 + 4 : 4;
		sec[i] = calloc(l + 1, 1);
		for (j = 0; j < l; j++) {
			unsigned char ch = at < n ? d[at++] : 'x';

			/* printable, not '*' (the mask), not a gap byte */
			ch = (unsigned char)(ch % 94 + 33);
			sec[i][j] = ch == '*' ? '+' : (char)ch;
		}
	}
	buf_init(&text, 0);
	for (; at < n; at++) {
		if (d[at] >= 0xf0 && d[at] < 0xf0 + nsec && at + 1 < n) {
			echo(&text, sec[d[at] - 0xf0], d[at + 1]);
			at++;
		} else if (buf_putc(&text, d[at]) != 0)
			abort();
	}
	/* Whole, then in random chunks. */
	buf_init(&a, 0);
	redact_init(&rd);
	if (redact_feed(&rd, sec, nsec, text.data, text.len, &a) != 0 ||
	    redact_finish(&rd, sec, nsec, &a) != 0)
		abort();
	buf_init(&b, 0);
	redact_init(&rd);
	for (i = 0; i < text.len; i += k) {
		k = rnd(&seed) % 8 == 0 ? rnd(&seed) % 64 + 1 :
		    rnd(&seed) % 3 + 1;
		if (k > text.len - i)
			k = text.len - i;
		if (redact_feed(&rd, sec, nsec, text.data + i, k, &b) != 0)
			abort();
	}
	if (redact_finish(&rd, sec, nsec, &b) != 0)
		abort();
	if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len)))
		abort();
	check_leak(a.data, a.len, sec, nsec);
	/* The string form agrees unless it masked a trailing part first. */
	buf_init(&c, 0);
	if (redact_string(sec, nsec, text.data, text.len, &c) != 0)
		abort();
	check_leak(c.data, c.len, sec, nsec);
	if (c.len > 0 && strncmp(c.data, TETHER_MASK, 8) != 0 &&
	    (a.len != c.len || memcmp(a.data, c.data, a.len) != 0))
		abort();
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	buf_free(&text);
	for (i = 0; i < nsec; i++)
		free(sec[i]);
	return 0;
}
