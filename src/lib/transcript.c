/* SPDX-License-Identifier: ISC */
/*
 * transcript.c - raw logs and asciicast v2 files, with secrets redacted.
 *
 * Received bytes go through the session's redaction stream first
 * (redact.c), then to the raw log at once and to the asciicast, where
 * output that arrives within TRANSCRIPT_CAST_MERGE ms of an event's start
 * joins that event.  The first write error is kept and reported to the
 * loop (tether_loop_lost); nothing more is written to that file.  A
 * session's transcript is one of its readers (tether_session_set_log).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "loop.h"
#include "redact.h"
#include "session.h"
#include "transcript.h"
#include "utf8.h"

#define TRANSCRIPT_CAST_MERGE	5	/* ms: one asciicast event */
#define TRANSCRIPT_CAST_MAX	(64 * 1024)	/* bytes in one event */
#define TRANSCRIPT_STATE	"transcript"	/* its session_state_get key */

struct transcript_file {
	FILE		*f;
	char		*path;
	int		 err;		/* first errno, then nothing written */
};

struct transcript {
	struct tether_loop	*loop;
	struct transcript_file	 log;
	struct transcript_file	 cast;
	int64_t			 start;
	struct redact		 rd;
	struct buf		 ev;		/* the asciicast event being built */
	int64_t			 ev_at;		/* its time */
	char			 utf8[4];	/* an incomplete UTF-8 sequence */
	size_t			 nutf8;
};

/* Records the first error on f and tells the loop. */
static void
transcript_lost(struct transcript *tr, struct transcript_file *f, int err)
{
	if (f->err != 0)
		return;
	f->err = err != 0 ? err : EIO;
	loop_set_lost(tr->loop, f->path, f->err);
}

/* Writes n bytes to f, then flushes; errors are recorded once. */
static void
transcript_put(struct transcript *tr, struct transcript_file *f,
    const void *p, size_t n)
{
	if (f->f == NULL || f->err != 0)
		return;
	errno = 0;
	if ((n > 0 && fwrite(p, 1, n, f->f) != n) || fflush(f->f) != 0)
		transcript_lost(tr, f, errno);
}

static int
transcript_file_open(struct transcript_file *f, const char *path)
{
	if ((f->path = strdup(path)) == NULL)
		return -1;
	return (f->f = fopen(path, "w")) == NULL ? -1 : 0;
}

static void
transcript_file_close(struct transcript *tr, struct transcript_file *f)
{
	if (f->f != NULL) {
		errno = 0;
		if (fclose(f->f) != 0)
			transcript_lost(tr, f, errno);
	}
	free(f->path);
	f->f = NULL;
	f->path = NULL;
}

struct transcript *
transcript_open(struct tether_loop *loop, const char *log_path,
    const char *cast_path, int cols, int rows)
{
	struct transcript	*tr;
	struct timespec		 ts;
	char			 hdr[256];
	int			 saved;

	if ((tr = calloc(1, sizeof *tr)) == NULL)
		return NULL;
	tr->loop = loop;
	redact_init(&tr->rd);
	buf_init(&tr->ev, 0);
	tr->start = tether_now_ms();
	if (log_path != NULL && transcript_file_open(&tr->log, log_path) != 0)
		goto fail;
	if (cast_path != NULL) {
		if (transcript_file_open(&tr->cast, cast_path) != 0)
			goto fail;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(hdr, sizeof hdr, "{\"version\": 2, \"width\": %d, "
		    "\"height\": %d, \"timestamp\": %lld, "
		    "\"env\": {\"TERM\": \"xterm-256color\"}}\n",
		    cols > 0 ? cols : 80, rows > 0 ? rows : 24,
		    (long long)ts.tv_sec);
		transcript_put(tr, &tr->cast, hdr, strlen(hdr));
	}
	return tr;
fail:
	saved = errno;
	transcript_file_close(tr, &tr->log);
	transcript_file_close(tr, &tr->cast);
	redact_free(&tr->rd);
	free(tr);
	errno = saved;
	return NULL;
}

/* Appends bytes to b as the inside of a JSON string. */
static int
transcript_json(struct transcript *tr, struct buf *b, const char *data,
    size_t n)
{
	struct buf		 all;
	const unsigned char	*p;
	size_t			 i = 0, l, bad;
	unsigned		 cp;
	int			 r = 0;

	buf_init(&all, 0);
	if (buf_append(&all, tr->utf8, tr->nutf8) != 0 ||
	    buf_append(&all, data, n) != 0) {
		buf_free(&all);
		return TETHER_ENOMEM;
	}
	tr->nutf8 = 0;
	p = (const unsigned char *)all.data;
	n = all.len;
	while (i < n && r == 0) {
		l = utf8_seq(p + i, n - i, &bad, &cp);
		if (l == 0 && bad == n - i && p[i] >= 0xc2 && p[i] <= 0xf4) {
			/* Keep an incomplete sequence for the next event. */
			tr->nutf8 = n - i;
			memcpy(tr->utf8, p + i, tr->nutf8);
			break;
		}
		if (l == 0) {
			r = buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		if (l > 1) {
			r = buf_append(b, p + i, l);
			i += l;
			continue;
		}
		switch (p[i]) {
		case '"':
			r = buf_puts(b, "\\\"");
			break;
		case '\\':
			r = buf_puts(b, "\\\\");
			break;
		case '\n':
			r = buf_puts(b, "\\n");
			break;
		case '\r':
			r = buf_puts(b, "\\r");
			break;
		case '\t':
			r = buf_puts(b, "\\t");
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f)
				r = buf_printf(b, "\\u%04x", p[i]);
			else
				r = buf_putc(b, p[i]);
		}
		i++;
	}
	buf_free(&all);
	return r;
}

/* Writes the asciicast event being built, if any. */
static void
transcript_cast_flush(struct transcript *tr)
{
	struct buf	line;

	if (tr->ev.len == 0)
		return;
	buf_init(&line, 0);
	if (buf_printf(&line, "[%.6f, \"o\", \"",
	    (double)(tr->ev_at - tr->start) / 1000.0) == 0 &&
	    transcript_json(tr, &line, tr->ev.data, tr->ev.len) == 0 &&
	    buf_puts(&line, "\"]\n") == 0)
		transcript_put(tr, &tr->cast, line.data, line.len);
	else
		transcript_lost(tr, &tr->cast, ENOMEM);
	buf_free(&line);
	buf_reset(&tr->ev);
}

/* Adds redacted output to the log and to the asciicast event. */
static void
transcript_emit(struct transcript *tr, const char *data, size_t n)
{
	int64_t	now;

	if (n == 0)
		return;
	transcript_put(tr, &tr->log, data, n);
	if (tr->cast.f == NULL || tr->cast.err != 0)
		return;
	now = tether_now_ms();
	if (tr->ev.len > 0 && (now - tr->ev_at > TRANSCRIPT_CAST_MERGE ||
	    tr->ev.len + n > TRANSCRIPT_CAST_MAX))
		transcript_cast_flush(tr);
	if (tr->ev.len == 0)
		tr->ev_at = now;
	if (buf_append(&tr->ev, data, n) != 0)
		transcript_lost(tr, &tr->cast, ENOMEM);
}

void
transcript_write(struct transcript *tr, const char *data, size_t n,
    char *const *secrets, size_t nsecrets)
{
	struct buf	out;

	if (tr == NULL)
		return;
	buf_init(&out, 0);
	if (redact_feed(&tr->rd, secrets, nsecrets, data, n, &out) != 0) {
		transcript_lost(tr, &tr->log, ENOMEM);
		transcript_lost(tr, &tr->cast, ENOMEM);
	} else
		transcript_emit(tr, out.data, out.len);
	if (out.data != NULL)
		explicit_bzero(out.data, out.len);
	buf_free(&out);
}

void
transcript_resize(struct transcript *tr, int cols, int rows)
{
	char	line[96];

	if (tr == NULL || tr->cast.f == NULL)
		return;
	transcript_cast_flush(tr);
	snprintf(line, sizeof line, "[%.6f, \"r\", \"%dx%d\"]\n",
	    (double)(tether_now_ms() - tr->start) / 1000.0, cols, rows);
	transcript_put(tr, &tr->cast, line, strlen(line));
}

void
transcript_flush(struct transcript *tr)
{
	if (tr == NULL)
		return;
	transcript_cast_flush(tr);
}

void
transcript_close(struct transcript *tr, char *const *secrets,
    size_t nsecrets)
{
	struct buf	out;

	if (tr == NULL)
		return;
	buf_init(&out, 0);
	if (redact_finish(&tr->rd, secrets, nsecrets, &out) == 0)
		transcript_emit(tr, out.data, out.len);
	buf_free(&out);
	transcript_cast_flush(tr);
	transcript_file_close(tr, &tr->log);
	transcript_file_close(tr, &tr->cast);
	redact_free(&tr->rd);
	buf_free(&tr->ev);
	free(tr);
}

/* A session's transcript, kept as its named state. */
struct transcript_link {
	struct tether_session	*s;
	struct session_reader	*reader;
	struct transcript	*tr;
};

/* Closes a session's transcript, writing out what it holds, redacted. */
static void
transcript_unlink(void *p)
{
	struct transcript_link	*l = p;
	char *const		*sec;
	size_t			 n;

	sec = loop_secrets(l->s->loop, &n);
	transcript_close(l->tr, sec, n);
	session_reader_del(l->s, l->reader);
	free(l);
}

/* The session reader: raw bytes, redacted with the loop's secrets. */
static void
transcript_read(struct tether_session *s, int ev, const char *p, size_t n,
    void *arg)
{
	struct transcript_link	*l = arg;
	char *const		*sec;
	size_t			 nsec;

	switch (ev) {
	case SESSION_INPUT:
		sec = loop_secrets(s->loop, &nsec);
		transcript_write(l->tr, p, n, sec, nsec);
		break;
	case SESSION_END:
		transcript_flush(l->tr);
		break;
	case SESSION_RESIZE:
		transcript_resize(l->tr, s->cols, s->rows);
		break;
	default:
		break;
	}
}

/* Replaces the transcript of s.  Returns 0, TETHER_EIO or ENOMEM. */
static int
transcript_set(struct tether_session *s, const char *log_path,
    const char *cast_path)
{
	struct transcript_link	*l;
	struct transcript	*tr;

	if (session_state_set(s, TRANSCRIPT_STATE, NULL, NULL) != 0)
		return TETHER_ENOMEM;
	if (log_path == NULL && cast_path == NULL)
		return 0;
	if ((tr = transcript_open(s->loop, log_path, cast_path, s->cols,
	    s->rows)) == NULL)
		return TETHER_EIO;
	if ((l = calloc(1, sizeof *l)) == NULL ||
	    (l->reader = session_reader_add(s, transcript_read, l)) == NULL) {
		free(l);
		transcript_close(tr, NULL, 0);
		return TETHER_ENOMEM;
	}
	l->s = s;
	l->tr = tr;
	return session_state_set(s, TRANSCRIPT_STATE, l, transcript_unlink);
}

int
tether_session_set_log(struct tether_session *s, const char *log_path,
    const char *cast_path)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, transcript_set(s, log_path, cast_path));
}
