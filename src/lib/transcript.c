/*
 * transcript.c - raw logs and asciicast v2 files, with secrets redacted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "transcript.h"

#define TRANSCRIPT_MASK	"********"

struct transcript {
	FILE		*log;
	FILE		*cast;
	int64_t		 start;
	struct buf	 hold;		/* not yet written: may start a secret */
	char		 utf8[4];	/* an incomplete UTF-8 sequence */
	size_t		 nutf8;
};

struct transcript *
transcript_open(const char *log_path, const char *cast_path, int cols,
    int rows)
{
	struct transcript	*tr;
	struct timespec		 ts;

	if ((tr = calloc(1, sizeof *tr)) == NULL)
		return NULL;
	buf_init(&tr->hold, 0);
	tr->start = tether_now_ms();
	if (log_path != NULL && (tr->log = fopen(log_path, "w")) == NULL)
		goto fail;
	if (cast_path != NULL) {
		if ((tr->cast = fopen(cast_path, "w")) == NULL)
			goto fail;
		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(tr->cast, "{\"version\": 2, \"width\": %d, "
		    "\"height\": %d, \"timestamp\": %lld, "
		    "\"env\": {\"TERM\": \"xterm-256color\"}}\n",
		    cols > 0 ? cols : 80, rows > 0 ? rows : 24,
		    (long long)ts.tv_sec);
		fflush(tr->cast);
	}
	return tr;
fail:
	transcript_close(tr);
	return NULL;
}

/* Returns the length of the valid UTF-8 sequence at p, 0 if invalid. */
static size_t
utf8_seqlen(const unsigned char *p, size_t n)
{
	size_t	len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	for (i = 1; i < len; i++) {
		if (i >= n)
			return (size_t)-1;	/* incomplete */
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	return len;
}

/* Writes bytes as one asciicast "o" event, a JSON string. */
static void
transcript_cast(struct transcript *tr, const char *data, size_t n)
{
	const unsigned char	*p = (const unsigned char *)data;
	struct buf		 all;
	size_t			 i = 0, l;
	FILE			*f = tr->cast;

	buf_init(&all, 0);
	if (buf_append(&all, tr->utf8, tr->nutf8) != 0 ||
	    buf_append(&all, data, n) != 0) {
		buf_free(&all);
		return;
	}
	tr->nutf8 = 0;
	p = (const unsigned char *)all.data;
	n = all.len;
	fprintf(f, "[%.6f, \"o\", \"",
	    (double)(tether_now_ms() - tr->start) / 1000.0);
	while (i < n) {
		l = utf8_seqlen(p + i, n - i);
		if (l == (size_t)-1) {
			/* Keep an incomplete sequence for the next event. */
			tr->nutf8 = n - i;
			memcpy(tr->utf8, p + i, tr->nutf8);
			break;
		}
		if (l == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (l > 1) {
			fwrite(p + i, 1, l, f);
			i += l;
			continue;
		}
		switch (p[i]) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f)
				fprintf(f, "\\u%04x", p[i]);
			else
				fputc(p[i], f);
		}
		i++;
	}
	fputs("\"]\n", f);
	buf_free(&all);
}

static void
transcript_emit(struct transcript *tr, const char *data, size_t n)
{
	if (n == 0)
		return;
	if (tr->log != NULL) {
		fwrite(data, 1, n, tr->log);
		fflush(tr->log);
	}
	if (tr->cast != NULL) {
		transcript_cast(tr, data, n);
		fflush(tr->cast);
	}
}

/*
 * Returns how many bytes at the end of p[0..n) could be the start of a
 * secret (and must wait for more data).
 */
static size_t
transcript_holdback(const char *p, size_t n, char *const *secrets,
    size_t nsecrets)
{
	size_t	i, k, sl, best = 0;

	for (i = 0; i < nsecrets; i++) {
		sl = strlen(secrets[i]);
		for (k = sl - 1; k > best && k > 0; k--) {
			if (k <= n && memcmp(p + n - k, secrets[i], k) == 0) {
				best = k;
				break;
			}
		}
	}
	return best;
}

void
transcript_write(struct transcript *tr, const char *data, size_t n,
    char *const *secrets, size_t nsecrets)
{
	struct buf	 out;
	const char	*p, *hit;
	size_t		 i, len, keep, sl, at;

	if (tr == NULL)
		return;
	if (nsecrets == 0 && tr->hold.len == 0) {
		transcript_emit(tr, data, n);
		return;
	}
	if (buf_append(&tr->hold, data, n) != 0)
		return;
	buf_init(&out, 0);
	p = tr->hold.data;
	len = tr->hold.len;
	/* Replace every complete occurrence of any secret. */
	for (at = 0; at < len;) {
		hit = NULL;
		sl = 0;
		for (i = 0; i < nsecrets; i++) {
			const char *h;
			size_t l = strlen(secrets[i]);

			if (l == 0)
				continue;
			h = memmem(p + at, len - at, secrets[i], l);
			if (h != NULL && (hit == NULL || h < hit)) {
				hit = h;
				sl = l;
			}
		}
		if (hit == NULL)
			break;
		if (buf_append(&out, p + at, (size_t)(hit - p) - at) != 0 ||
		    buf_puts(&out, TRANSCRIPT_MASK) != 0)
			goto out;
		at = (size_t)(hit - p) + sl;
	}
	keep = transcript_holdback(p + at, len - at, secrets, nsecrets);
	if (buf_append(&out, p + at, len - at - keep) != 0)
		goto out;
	transcript_emit(tr, out.data, out.len);
	buf_consume(&tr->hold, len - keep);
out:
	buf_free(&out);
}

void
transcript_flush(struct transcript *tr)
{
	if (tr == NULL)
		return;
	transcript_emit(tr, tr->hold.data, tr->hold.len);
	buf_reset(&tr->hold);
	if (tr->log != NULL)
		fflush(tr->log);
	if (tr->cast != NULL)
		fflush(tr->cast);
}

void
transcript_close(struct transcript *tr)
{
	if (tr == NULL)
		return;
	transcript_flush(tr);
	if (tr->log != NULL)
		fclose(tr->log);
	if (tr->cast != NULL)
		fclose(tr->cast);
	buf_free(&tr->hold);
	free(tr);
}
