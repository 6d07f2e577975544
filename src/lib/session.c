/* SPDX-License-Identifier: ISC */
/*
 * session.c - sessions: URI to transport chain, continuous reading into
 * the match view and the transcript, sending, and the session accessors.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "expect-int.h"
#include "loop.h"
#include "proto.h"
#include "redact.h"
#include "session.h"
#include "tether.h"
#include "transcript.h"

#define SESSION_MATCH_MAX	(1024 * 1024)
#define SESSION_MATCH_MIN	256
#define SESSION_READ_BUDGET	(1024 * 1024)	/* bytes per wake-up */
#define SESSION_OPEN_GRACE	30000		/* open-within default, ms */
#define SESSION_TAIL_MAX	4096		/* bytes in a failure tail */
#define SESSION_TAIL_CONTEXT	8192		/* bytes read before a tail */

/* What each URI scheme becomes. */
struct scheme {
	const char			*prefix;
	const struct transport_ops	*top;	/* NULL: just the base */
	const struct transport_ops	*base;
	const char			*eol;
};

static const struct scheme schemes[] = {
	{ "spawn:", NULL, &transport_pty_ops, "\n" },
	{ "unix:", NULL, &transport_unix_ops, "\r" },
	{ "tcp:", NULL, &transport_tcp_ops, "\r" },
	{ "telnet+unix:", &transport_telnet_ops, &transport_unix_ops, "\r" },
	{ "telnet:", &transport_telnet_ops, &transport_tcp_ops, "\r" },
	{ "ssh://", NULL, &transport_ssh_ops, "\n" },
};

/* Closes the transcript, writing out what it holds back, redacted. */
static void
session_log_close(struct tether_session *s)
{
	char *const	*sec;
	size_t		 n;

	sec = loop_secrets(s->loop, &n);
	transcript_close(s->tr, sec, n);
	s->tr = NULL;
}

static void
session_free(struct tether_session *s)
{
	if (s == NULL)
		return;
	if (s->proto_free != NULL)
		s->proto_free(s->proto_state);
	transport_free(s->t);
	session_log_close(s);
	buf_free(&s->view);
	buf_free(&s->outq);
	free(s->errmsg);
	free(s->name);
	free(s->uri);
	free(s);
}

/* Handles the options every session understands. */
static int
session_options(struct tether_session *s, struct transport_args *a,
    int64_t *within, int64_t *grace)
{
	const char	*v;
	char		*ep;
	long		 n;

	*within = 0;
	*grace = SESSION_OPEN_GRACE;
	if ((v = transport_opt(a, "connect-within")) != NULL &&
	    transport_duration(v, within) != 0)
		return tether_loop_seterr(s->loop, TETHER_EINVAL,
		    "connect-within=%s: not a duration", v);
	if ((v = transport_opt(a, "open-within")) != NULL &&
	    transport_duration(v, grace) != 0)
		return tether_loop_seterr(s->loop, TETHER_EINVAL,
		    "open-within=%s: not a duration", v);
	if ((v = transport_opt(a, "line-ending")) != NULL &&
	    tether_session_set_eol(s, v) != 0)
		return tether_loop_seterr(s->loop, TETHER_EINVAL,
		    "line-ending=%s: want cr, lf or crlf", v);
	if ((v = transport_opt(a, "match-max")) != NULL) {
		n = strtol(v, &ep, 10);
		if (*ep == 'k' || *ep == 'K')
			n *= 1024, ep++;
		else if (*ep == 'm' || *ep == 'M')
			n *= 1024 * 1024, ep++;
		if (*ep != '\0' || n <= 0)
			return tether_loop_seterr(s->loop, TETHER_EINVAL,
			    "match-max=%s: not a size", v);
		tether_session_set_match_max(s, (size_t)n);
	}
	if ((v = transport_opt(a, "raw-match")) != NULL)
		s->raw_match = strcmp(v, "yes") == 0;
	if ((v = transport_opt(a, "rows")) != NULL)
		a->rows = atoi(v);
	if ((v = transport_opt(a, "cols")) != NULL)
		a->cols = atoi(v);
	s->rows = a->rows;
	s->cols = a->cols;
	if ((v = transport_opt(a, "log")) != NULL &&
	    tether_session_set_log(s, v, NULL) != 0)
		return tether_loop_seterr(s->loop, TETHER_EIO,
		    "log=%s: cannot open", v);
	if ((v = transport_opt(a, "cast")) != NULL &&
	    tether_session_set_log(s, transport_opt(a, "log"), v) != 0)
		return tether_loop_seterr(s->loop, TETHER_EIO,
		    "cast=%s: cannot open", v);
	return 0;
}

/* Builds the transport chain for uri; returns the address part. */
static int
session_chain(struct tether_session *s, const char *uri, const char **addr)
{
	const struct scheme	*sc = NULL;
	struct transport	*base, *top;
	size_t			 i;

	if (strncmp(uri, "hmp:", 4) == 0) {
		s->proto = SESSION_PROTO_HMP;
		uri += 4;
	} else if (strncmp(uri, "qmp:", 4) == 0) {
		s->proto = SESSION_PROTO_QMP;
		uri += 4;
	}
	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		if (strncmp(uri, schemes[i].prefix,
		    strlen(schemes[i].prefix)) == 0) {
			sc = &schemes[i];
			break;
		}
	}
	if (sc == NULL || (s->proto != SESSION_PROTO_NONE &&
	    sc->base == &transport_pty_ops))
		return tether_loop_seterr(s->loop, TETHER_EINVAL,
		    "bad target \"%s\": want spawn:, unix:, tcp:, telnet:, "
		    "telnet+unix:, hmp:, qmp: or ssh://", s->uri);
	*addr = uri + strlen(sc->prefix);
	if ((base = transport_new(sc->base, s->loop)) == NULL)
		return TETHER_ENOMEM;
	top = base;
	if (sc->top != NULL) {
		if ((top = transport_new(sc->top, s->loop)) == NULL) {
			transport_free(base);
			return TETHER_ENOMEM;
		}
		top->next = base;
	}
	s->t = top;
	strcpy(s->eol, s->proto != SESSION_PROTO_NONE ? "\n" : sc->eol);
	return 0;
}

int
tether_session_open(struct tether_loop *loop, const char *name,
    const char *uri, const struct tether_opt *opts, size_t nopts,
    struct tether_session **out)
{
	struct tether_session	*s = NULL;
	struct transport_args	 a;
	unsigned char		*used = NULL;
	int64_t			 within, grace, until;
	size_t			 i;
	int			 r;

	*out = NULL;
	memset(&a, 0, sizeof a);
	if (tether_loop_session(loop, name) != NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "session %s is already open", name);
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (used = calloc(nopts + 1, 1)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	s->loop = loop;
	s->match_max = SESSION_MATCH_MAX;
	buf_init(&s->view, 0);
	buf_init(&s->outq, 0);
	vtstrip_init(&s->strip);
	s->opened_at = s->last_rx = tether_now_ms();
	s->state = SESSION_CONNECTING;
	if ((s->name = strdup(name)) == NULL ||
	    (s->uri = strdup(uri)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	if ((r = session_chain(s, uri, &a.addr)) != 0)
		goto out;
	a.opts = opts;
	a.nopts = nopts;
	a.used = used;
	a.rows = 24;
	a.cols = 80;
	if ((r = session_options(s, &a, &within, &grace)) != 0)
		goto out;
	a.deadline = tether_now_ms() + within;
	until = a.deadline + grace;
	loop_session_add(loop, s);
	r = transport_open(s->t, &a);
	for (i = 0; i < nopts && r >= 0; i++) {
		if (!used[i])
			r = tether_loop_seterr(loop, TETHER_EINVAL,
			    "unknown option %s for %s session %s", opts[i].key,
			    s->t->ops->name, name);
	}
	if (r == 0)
		s->state = SESSION_OPEN;
	else if (r != TETHER_EAGAIN)
		goto out;
	while (s->state == SESSION_CONNECTING) {
		r = tether_loop_once(loop, until);
		if (r == TETHER_ETIMEDOUT)
			r = tether_loop_seterr(loop, r, "opening %s (%s): no "
			    "answer within %lld ms", name, uri,
			    (long long)(until - s->opened_at));
		if (r < 0)
			goto out;
	}
	if (s->state == SESSION_ERROR) {
		r = s->err;
		goto out;
	}
	if (s->proto == SESSION_PROTO_HMP)
		r = hmp_open(s, until);
	else if (s->proto == SESSION_PROTO_QMP)
		r = qmp_open(s, until);
	if (r != 0)
		goto out;
	loop_opened(loop, s);
	*out = s;
	s = NULL;
out:
	if (s != NULL) {
		loop_session_del(loop, s);
		session_free(s);
	}
	free(used);
	return r;
}

void
tether_session_close(struct tether_session *s)
{
	if (s == NULL)
		return;
	loop_session_del(s->loop, s);
	session_free(s);
}

void
session_fail(struct tether_session *s, int r)
{
	if (s->state == SESSION_EOF || s->state == SESSION_ERROR)
		return;
	if (r == TETHER_EOF) {
		s->state = SESSION_EOF;
	} else {
		s->state = SESSION_ERROR;
		s->err = r;
		/* The loop's message is overwritten by later failures. */
		free(s->errmsg);
		s->errmsg = *tether_loop_errmsg(s->loop) != '\0' ?
		    strdup(tether_loop_errmsg(s->loop)) : NULL;
	}
	s->more = 0;
	transcript_flush(s->tr);
	expect_feed(loop_active(s->loop), s);
}

/* Adds received bytes to the view, a half-window at a time. */
static void
session_view_add(struct tether_session *s, const char *p, size_t n)
{
	size_t	half = s->match_max / 2, piece, drop;

	while (n > 0) {
		piece = n < half ? n : half;
		if (s->view.len + piece > s->match_max) {
			drop = s->view.len + piece - half;
			buf_consume(&s->view, drop);
			s->view_base += drop;
			if (s->consumed < s->view_base)
				s->consumed = s->view_base;
		}
		if (buf_append(&s->view, p, piece) != 0) {
			session_fail(s, TETHER_ENOMEM);
			return;
		}
		expect_feed(loop_active(s->loop), s);
		p += piece;
		n -= piece;
	}
}

static void
session_input(struct tether_session *s, char *p, size_t n)
{
	char *const	*sec;
	size_t		 nsec;

	s->rx_bytes += n;
	s->last_rx = tether_now_ms();
	sec = loop_secrets(s->loop, &nsec);
	transcript_write(s->tr, p, n, sec, nsec);
	if (s->output != NULL)
		s->output(s->output_arg, p, n);
	if (!s->raw_match)
		n = vtstrip_feed(&s->strip, p, n, p);
	session_view_add(s, p, n);
}

static void
session_read(struct tether_session *s)
{
	char	*rb;
	size_t	 rbsize, n, total = 0;
	int	 r;

	s->more = 0;
	rb = loop_readbuf(s->loop, &rbsize);
	while (s->state == SESSION_OPEN) {
		r = transport_read(s->t, rb, rbsize, &n);
		if (r == TETHER_EAGAIN)
			break;
		if (r != 0) {
			session_fail(s, r);
			break;
		}
		session_input(s, rb, n);
		if ((total += n) >= SESSION_READ_BUDGET) {
			s->more = 1;	/* be fair to the other sessions */
			break;
		}
	}
}

/* Writes what is queued.  Returns 0, TETHER_EAGAIN or an error. */
static int
session_write_out(struct tether_session *s)
{
	size_t	nw;
	int	r;

	while (s->outq.len > 0) {
		r = transport_write(s->t, s->outq.data, s->outq.len, &nw);
		if (r == TETHER_EAGAIN)
			return r;
		if (r != 0) {
			buf_reset(&s->outq);
			return r;
		}
		buf_consume(&s->outq, nw);
	}
	return transport_flush(s->t);
}

void
session_handle(struct tether_session *s, int revents)
{
	int	r;

	if (s->state == SESSION_CONNECTING) {
		r = transport_connect(s->t);
		if (r == 0)
			s->state = SESSION_OPEN;
		else if (r != TETHER_EAGAIN) {
			s->state = SESSION_ERROR;
			s->err = r;
		}
		return;
	}
	if (s->state != SESSION_OPEN)
		return;
	if ((revents & POLLOUT) || s->outq.len > 0)
		session_write_out(s);
	if (revents & (POLLIN | POLLHUP | POLLERR))
		session_read(s);
}

void
session_wake(struct tether_session *s, int64_t now)
{
	int	r;

	r = transport_connect(s->t);
	if (s->state != SESSION_CONNECTING) {
		if (r < 0 && r != TETHER_EAGAIN)
			session_fail(s, r);
		else if (s->state == SESSION_OPEN)
			session_read(s);	/* data may wait inside (ssh) */
		return;
	}
	if (r == 0)
		s->state = SESSION_OPEN;
	else if (r != TETHER_EAGAIN) {
		s->state = SESSION_ERROR;
		s->err = r;
	}
}

int
session_events(struct tether_session *s)
{
	int	ev;

	ev = transport_events(s->t);
	if (s->outq.len > 0 && !s->t->own_events)
		ev |= POLLOUT;
	return ev;
}

const char *
session_view_at(struct tether_session *s, uint64_t off, size_t *len)
{
	if (off < s->view_base)
		off = s->view_base;
	if (off > s->view_base + s->view.len)
		off = s->view_base + s->view.len;
	*len = s->view.len - (size_t)(off - s->view_base);
	return buf_str(&s->view) + (off - s->view_base);
}

uint64_t
session_view_end(struct tether_session *s)
{
	return s->view_base + s->view.len;
}

void
session_consume(struct tether_session *s, uint64_t off)
{
	if (off > s->consumed)
		s->consumed = off;
	if (s->consumed > session_view_end(s))
		s->consumed = session_view_end(s);
}

int
tether_session_send(struct tether_session *s, const void *p, size_t len,
    int flags, int64_t deadline)
{
	int	r;

	if (s->state == SESSION_EOF)
		return tether_loop_seterr(s->loop, TETHER_EOF,
		    "cannot send to %s: end of file", s->name);
	if (s->state == SESSION_ERROR)
		return tether_loop_seterr(s->loop, s->err,
		    "cannot send to %s: %s", s->name,
		    tether_strerror(s->err));
	if (buf_append(&s->outq, p, len) != 0)
		return TETHER_ENOMEM;
	for (;;) {
		r = session_write_out(s);
		if (r == 0)
			return 0;
		if (r != TETHER_EAGAIN)
			return tether_loop_seterr(s->loop, r,
			    "sending to %s: %s", s->name, tether_strerror(r));
		r = tether_loop_once(s->loop, deadline);
		if (r == TETHER_ETIMEDOUT)
			return tether_loop_seterr(s->loop, r, "sending to %s: "
			    "peer not reading (%zu bytes still queued)",
			    s->name, s->outq.len);
		if (r < 0)
			return r;
		if (s->state != SESSION_OPEN)
			return tether_loop_seterr(s->loop, TETHER_EOF,
			    "sending to %s: connection lost", s->name);
	}
}

int
tether_session_sendline(struct tether_session *s, const char *str, int flags,
    int64_t deadline)
{
	struct buf	b;
	int		r;

	buf_init(&b, 0);
	if (buf_puts(&b, str) != 0 || buf_puts(&b, s->eol) != 0) {
		buf_free(&b);
		return TETHER_ENOMEM;
	}
	r = tether_session_send(s, b.data, b.len, flags, deadline);
	if (flags & TETHER_SEND_SECRET)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	return r;
}

int
tether_session_send_paced(struct tether_session *s, const void *p,
    size_t len, int64_t pace, int flags, int64_t deadline)
{
	const char	*c = p;
	int64_t		 next;
	size_t		 i;
	int		 r;

	for (i = 0; i < len; i++) {
		if ((r = tether_session_send(s, c + i, 1, flags,
		    deadline)) != 0)
			return r;
		next = tether_now_ms() + pace;
		if (deadline != -1 && next > deadline)
			return tether_loop_seterr(s->loop, TETHER_ETIMEDOUT,
			    "paced send to %s: deadline passed", s->name);
		while (i + 1 < len && tether_now_ms() < next) {
			r = tether_loop_once(s->loop, next);
			if (r < 0 && r != TETHER_ETIMEDOUT)
				return r;
		}
	}
	return 0;
}

const char *
tether_session_eol(struct tether_session *s)
{
	return s->eol;
}

int
tether_session_set_eol(struct tether_session *s, const char *v)
{
	if (strcmp(v, "cr") == 0)
		strcpy(s->eol, "\r");
	else if (strcmp(v, "lf") == 0)
		strcpy(s->eol, "\n");
	else if (strcmp(v, "crlf") == 0)
		strcpy(s->eol, "\r\n");
	else
		return TETHER_EINVAL;
	return 0;
}

void
tether_session_add_secret(struct tether_session *s, const char *secret)
{
	tether_loop_add_secret(s->loop, secret);
}

int
tether_session_set_winsize(struct tether_session *s, int rows, int cols)
{
	int	r;

	if ((r = transport_winsize(s->t, rows, cols)) == 0 &&
	    (rows != s->rows || cols != s->cols)) {
		s->rows = rows;
		s->cols = cols;
		transcript_resize(s->tr, cols, rows);
	}
	return r;
}

const char *
tether_session_error(struct tether_session *s)
{
	if (s->state != SESSION_ERROR)
		return NULL;
	return s->errmsg != NULL ? s->errmsg : tether_strerror(s->err);
}

int
tether_session_eof(struct tether_session *s)
{
	return s->state == SESSION_EOF || s->state == SESSION_ERROR;
}

pid_t
tether_session_pid(struct tether_session *s)
{
	struct transport	*t;

	for (t = s->t; t != NULL; t = t->next) {
		if (t->pid != -1)
			return t->pid;
	}
	return -1;
}

int
tether_session_wait(struct tether_session *s, int64_t deadline, int *status)
{
	return transport_wait(s->t, deadline, status);
}

void
tether_session_set_match_max(struct tether_session *s, size_t max)
{
	if (max < SESSION_MATCH_MIN)
		max = SESSION_MATCH_MIN;
	s->match_max = max;
	if (s->view.len > max) {
		size_t drop = s->view.len - max;

		buf_consume(&s->view, drop);
		s->view_base += drop;
		if (s->consumed < s->view_base)
			s->consumed = s->view_base;
	}
}

void
tether_session_set_raw_match(struct tether_session *s, int raw)
{
	s->raw_match = raw;
}

int
tether_session_set_log(struct tether_session *s, const char *log_path,
    const char *cast_path)
{
	session_log_close(s);
	if (log_path == NULL && cast_path == NULL)
		return 0;
	if ((s->tr = transcript_open(s->loop, log_path, cast_path, s->cols,
	    s->rows)) == NULL)
		return TETHER_EIO;
	return 0;
}

/* Appends one tail byte, control characters made visible. */
static int
session_tail_putc(struct buf *b, unsigned char c)
{
	if (c == '\r')
		return 0;
	if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
		return buf_printf(b, "^%c", c == 0x7f ? '?' : c + '@');
	return buf_putc(b, c);
}

char *
tether_session_tail(struct tether_session *s, int nlines)
{
	struct buf	 b, red;
	const char	*v;
	unsigned char	*marks = NULL;
	char *const	*sec;
	char		*out = NULL;
	size_t		 len, i, start, ctx, nsec;
	int		 n = 0, in_mask = 0;

	v = session_view_at(s, s->view_base, &len);
	/* Skip a trailing newline, then walk back nlines lines. */
	i = len;
	while (i > 0 && (v[i - 1] == '\n' || v[i - 1] == '\r'))
		i--;
	start = 0;
	while (i > 0) {
		if (v[i - 1] == '\n' && ++n >= nlines) {
			start = i;
			break;
		}
		i--;
	}
	if (len - start > SESSION_TAIL_MAX)
		start = len - SESSION_TAIL_MAX;
	/*
	 * Redact with the bytes before the tail as context, so that a
	 * secret the tail starts inside of is still recognised.
	 */
	ctx = start > SESSION_TAIL_CONTEXT ? start - SESSION_TAIL_CONTEXT : 0;
	sec = loop_secrets(s->loop, &nsec);
	if ((marks = calloc(len - ctx + 1, 1)) == NULL ||
	    redact_marks(sec, nsec, v + ctx, len - ctx, marks) != 0)
		goto out;
	buf_init(&b, 0);
	buf_init(&red, 0);
	if (start > 0 && v[start - 1] != '\n' && buf_puts(&b, "...") != 0)
		goto fail;
	if (redact_apply(v + start, len - start, marks + (start - ctx),
	    &in_mask, &red) != 0)
		goto fail;
	for (i = 0; i < red.len; i++) {
		if (session_tail_putc(&b, (unsigned char)red.data[i]) != 0)
			goto fail;
	}
	out = buf_steal(&b);
fail:
	buf_free(&b);
	buf_free(&red);
out:
	free(marks);
	return out;
}

int64_t
tether_session_last_rx(struct tether_session *s)
{
	return s->last_rx;
}

uint64_t
tether_session_rx_bytes(struct tether_session *s)
{
	return s->rx_bytes;
}

void
tether_session_set_output(struct tether_session *s,
    void (*fn)(void *, const void *, size_t), void *arg)
{
	s->output = fn;
	s->output_arg = arg;
}

void
tether_session_flush(struct tether_session *s)
{
	s->consumed = session_view_end(s);
}

const char *
tether_session_pending(struct tether_session *s, size_t *len)
{
	return session_view_at(s, s->consumed, len);
}

const char *
tether_session_name(struct tether_session *s)
{
	return s->name;
}

const char *
tether_session_uri(struct tether_session *s)
{
	return s->uri;
}

struct tether_loop *
tether_session_loop(struct tether_session *s)
{
	return s->loop;
}

const char *
tether_session_kind(struct tether_session *s)
{
	return s->t->ops->name;
}

void
tether_session_set_udata(struct tether_session *s, void *p)
{
	s->udata = p;
}

void *
tether_session_udata(struct tether_session *s)
{
	return s->udata;
}
