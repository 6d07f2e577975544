/* SPDX-License-Identifier: ISC */
/*
 * session.c - sessions: continuous reading into the match view, telling
 * the readers, sending, named reader state and the session accessors.
 */
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "redact.h"
#include "session.h"
#include "tether.h"
#include "text.h"

#define SESSION_MATCH_MAX	(1024 * 1024)
#define SESSION_MATCH_MIN	256
#define SESSION_READ_BUDGET	(1024 * 1024)	/* bytes per wake-up */
#define SESSION_OPEN_GRACE	30000		/* open-within default, ms */
#define SESSION_TAIL_MAX	4096		/* bytes in a failure tail */
#define SESSION_TAIL_CONTEXT	8192		/* bytes read before a tail */

struct session_reader {
	session_reader_fn	 fn;
	void			*arg;
	int			 dead;		/* deleted while telling */
	struct session_reader	*next;
};

struct session_data {
	char			*key;
	void			*p;
	void			(*free_fn)(void *);
	struct session_data	*next;		/* older */
};

static void	session_ready(int, int, void *);
static void	session_timer(void *);
static int	session_prewait(void *);

/* Frees the readers deleted while they were being told. */
static void
session_reap_readers(struct tether_session *s)
{
	struct session_reader	*r, **rp;

	for (rp = &s->readers; (r = *rp) != NULL;) {
		if (r->dead) {
			*rp = r->next;
			free(r);
		} else
			rp = &r->next;
	}
}

/* Tells every reader of s about ev. */
static void
session_tell(struct tether_session *s, int ev, const char *p, size_t n)
{
	struct session_reader	*r;

	s->telling++;
	for (r = s->readers; r != NULL; r = r->next) {
		if (!r->dead)
			r->fn(s, ev, p, n, r->arg);
	}
	if (--s->telling == 0)
		session_reap_readers(s);
}

struct session_reader *
session_reader_add(struct tether_session *s, session_reader_fn fn, void *arg)
{
	struct session_reader	*r, **rp;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->fn = fn;
	r->arg = arg;
	for (rp = &s->readers; *rp != NULL; rp = &(*rp)->next)
		;
	*rp = r;
	return r;
}

void
session_reader_del(struct tether_session *s, struct session_reader *r)
{
	if (r == NULL)
		return;
	r->dead = 1;
	if (s->telling == 0)
		session_reap_readers(s);
}

void *
session_state_get(struct tether_session *s, const char *key)
{
	struct session_data	*d;

	for (d = s->states; d != NULL; d = d->next) {
		if (strcmp(d->key, key) == 0)
			return d->p;
	}
	return NULL;
}

int
session_state_set(struct tether_session *s, const char *key, void *p,
    void (*free_fn)(void *))
{
	struct session_data	*d, **dp;

	for (dp = &s->states; (d = *dp) != NULL; dp = &d->next) {
		if (strcmp(d->key, key) == 0) {
			*dp = d->next;
			if (d->free_fn != NULL)
				d->free_fn(d->p);
			free(d->key);
			free(d);
			break;
		}
	}
	if (p == NULL)
		return 0;
	if ((d = calloc(1, sizeof *d)) == NULL ||
	    (d->key = strdup(key)) == NULL) {
		free(d);
		if (free_fn != NULL)
			free_fn(p);
		return TETHER_ENOMEM;
	}
	d->p = p;
	d->free_fn = free_fn;
	d->next = s->states;
	s->states = d;
	return 0;
}

static void
session_free(struct tether_session *s)
{
	struct session_data	*d;

	if (s == NULL)
		return;
	loop_watch_del(s->watch);
	loop_timer_del(s->timer);
	loop_prewait_del(s->prewait);
	loop_session_del(s->loop, s);
	while ((d = s->states) != NULL) {
		s->states = d->next;
		if (d->free_fn != NULL)
			d->free_fn(d->p);
		free(d->key);
		free(d);
	}
	transport_free(s->t);
	s->telling = 0;
	while (s->readers != NULL) {
		s->readers->dead = 1;
		session_reap_readers(s);
	}
	buf_free(&s->view);
	buf_free(&s->outq);
	free(s->errmsg);
	free(s->name);
	free(s->uri);
	free(s);
}

int
session_new(struct tether_loop *loop, const char *name, const char *uri,
    struct tether_session **sp)
{
	struct tether_session	*s;

	*sp = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return TETHER_ENOMEM;
	s->loop = loop;
	s->match_max = SESSION_MATCH_MAX;
	buf_init(&s->view, 0);
	buf_init(&s->outq, 0);
	vtstrip_init(&s->strip);
	s->opened_at = s->last_rx = tether_now_ms();
	s->state = SESSION_CONNECTING;
	strcpy(s->eol, "\n");
	if ((s->name = strdup(name)) == NULL ||
	    (s->uri = strdup(uri)) == NULL) {
		session_free(s);
		return TETHER_ENOMEM;
	}
	*sp = s;
	return 0;
}

int
session_options(struct tether_session *s, struct transport_args *a,
    int64_t *within, int64_t *grace)
{
	const char	*v;
	char		*ep;
	long		 n;

	*within = 0;
	*grace = SESSION_OPEN_GRACE;
	if ((v = transport_opt(a, "connect-within")) != NULL &&
	    text_duration(v, within) != 0)
		return tether_loop_seterr(s->loop, TETHER_EINVAL,
		    "connect-within=%s: not a duration", v);
	if ((v = transport_opt(a, "open-within")) != NULL &&
	    text_duration(v, grace) != 0)
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
	return 0;
}

int
session_start(struct tether_session *s, struct transport_args *a,
    int64_t until)
{
	size_t	i;
	int	r;

	if ((r = loop_session_add(s->loop, s)) != 0)
		return r;
	if ((s->timer = loop_timer_add(s->loop, session_timer, s)) == NULL ||
	    (s->prewait = loop_prewait_add(s->loop, session_prewait,
	    s)) == NULL)
		return TETHER_ENOMEM;
	r = transport_open(s->t, a);
	for (i = 0; i < a->nopts && r >= 0; i++) {
		if (!a->used[i])
			r = tether_loop_seterr(s->loop, TETHER_EINVAL,
			    "unknown option %s for %s session %s",
			    a->opts[i].key, s->t->ops->name, s->name);
	}
	if (r == 0)
		s->state = SESSION_OPEN;
	else if (r != TETHER_EAGAIN)
		return r;
	while (s->state == SESSION_CONNECTING) {
		r = tether_loop_once(s->loop, until);
		if (r == TETHER_ETIMEDOUT)
			r = tether_loop_seterr(s->loop, r, "opening %s (%s): "
			    "no answer within %lld ms", s->name, s->uri,
			    (long long)(until - s->opened_at));
		if (r < 0)
			return r;
	}
	if (s->state == SESSION_ERROR)
		return s->err;
	return 0;
}

void
tether_session_close(struct tether_session *s)
{
	session_free(s);
}

int
session_done(struct tether_session *s)
{
	return s->state == SESSION_EOF || s->state == SESSION_ERROR;
}

void
session_fail(struct tether_session *s, int r)
{
	if (session_done(s))
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
	session_tell(s, SESSION_END, NULL, 0);
}

/*
 * Adds received bytes to the view, a half-window at a time: the readers
 * see each piece before the next one can push the front out.
 */
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
		session_tell(s, SESSION_VIEW, NULL, 0);
		p += piece;
		n -= piece;
	}
}

static void
session_input(struct tether_session *s, char *p, size_t n)
{
	s->rx_bytes += n;
	s->last_rx = tether_now_ms();
	session_tell(s, SESSION_INPUT, p, n);
	if (s->output != NULL)
		s->output(s->output_arg, p, n);
	if (!s->raw_match)
		n = vtstrip_feed(&s->strip, p, n, p);
	session_view_add(s, p, n);
}

/*
 * Reads what the transport has.  A read that returns less than asked
 * from a transport with nothing below it emptied the kernel's buffer:
 * the fd is watched level-triggered, so no read that would only say
 * EAGAIN follows.  A layered transport may hold decoded bytes, and is
 * read until it says EAGAIN.
 */
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
		if (n < rbsize && s->t != NULL && s->t->next == NULL &&
		    s->t->fd != -1)
			break;
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

/* Handles readiness of the session's fd. */
static void
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

static void
session_ready(int fd, int revents, void *arg)
{
	session_handle(arg, revents);
}

/* Calls connect when the chain's wake_at passed. */
static void
session_timer(void *arg)
{
	struct tether_session	*s = arg;
	int			 r;

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

/* Returns the poll events the session wants now. */
static int
session_events(struct tether_session *s)
{
	int	ev;

	ev = transport_events(s->t);
	if (s->outq.len > 0 && !s->t->own_events)
		ev |= POLLOUT;
	return ev;
}

/*
 * Before the loop waits: brings the session's watch in line with its fd
 * and the events it wants now, its timer with the chain's wake_at, and
 * goes on reading what it left for fairness.  Returns nonzero when it
 * read.
 */
static int
session_prewait(void *arg)
{
	struct tether_session	*s = arg;
	int			 fd, ev;

	if (s->t == NULL || session_done(s)) {
		loop_watch_del(s->watch);
		s->watch = NULL;
		loop_timer_set(s->timer, -1);
		return 0;
	}
	fd = transport_fd(s->t);
	ev = session_events(s);
	if (s->watch != NULL && loop_watch_fd(s->watch) != fd) {
		loop_watch_del(s->watch);
		s->watch = NULL;
	}
	if (fd != -1) {
		if (s->watch == NULL)
			s->watch = loop_watch_add(s->loop, fd, ev,
			    session_ready, s);
		else
			loop_watch_mod(s->watch, ev);
	}
	loop_timer_set(s->timer, transport_wake_at(s->t));
	if (s->more) {
		session_read(s);
		return 1;
	}
	return 0;
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

static int
session_send(struct tether_session *s, const void *p, size_t len,
    int64_t deadline)
{
	size_t	nw;
	int	r;

	if (s->state == SESSION_EOF)
		return tether_loop_seterr(s->loop, TETHER_EOF,
		    "cannot send to %s: end of file", s->name);
	if (s->state == SESSION_ERROR)
		return tether_loop_seterr(s->loop, s->err,
		    "cannot send to %s: %s", s->name,
		    tether_strerror(s->err));
	/* Nothing queued: straight to the transport, queue what is left. */
	while (s->outq.len == 0 && len > 0) {
		r = transport_write(s->t, p, len, &nw);
		if (r == TETHER_EAGAIN)
			break;
		if (r != 0)
			return tether_loop_seterr(s->loop, r,
			    "sending to %s: %s", s->name, tether_strerror(r));
		p = (const char *)p + nw;
		len -= nw;
	}
	if (len > 0 && buf_append(&s->outq, p, len) != 0)
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
tether_session_send(struct tether_session *s, const void *p, size_t len,
    int flags, int64_t deadline)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, session_send(s, p, len, deadline));
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
	loop_enter(s->loop);
	r = loop_leave(s->loop, session_send(s, b.data, b.len, deadline));
	if (flags & TETHER_SEND_SECRET)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	return r;
}

static int
session_send_paced(struct tether_session *s, const char *c, size_t len,
    int64_t pace, int64_t deadline)
{
	int64_t	next;
	size_t	i;
	int	r;

	for (i = 0; i < len; i++) {
		if ((r = session_send(s, c + i, 1, deadline)) != 0)
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

int
tether_session_send_paced(struct tether_session *s, const void *p,
    size_t len, int64_t pace, int flags, int64_t deadline)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, session_send_paced(s, p, len, pace,
	    deadline));
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

	loop_enter(s->loop);
	if ((r = transport_winsize(s->t, rows, cols)) == 0 &&
	    (rows != s->rows || cols != s->cols)) {
		s->rows = rows;
		s->cols = cols;
		session_tell(s, SESSION_RESIZE, NULL, 0);
	}
	return loop_leave(s->loop, r);
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
	return session_done(s);
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
	loop_enter(s->loop);
	return loop_leave(s->loop, transport_wait(s->t, deadline, status));
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
