/* SPDX-License-Identifier: ISC */
/*
 * transport-telnet.c - the telnet protocol (libtelnet) layered over the
 * tcp or unix transport in t->next: options negotiated, IAC escaped,
 * CR NUL undone, only data bytes passed up, every queue bounded.
 *
 * Bounds.  Everything queued for the server (our data, refusals of its
 * options, NAWS, TTYPE) goes through tx, capped near TELNET_TXMAX.  A
 * server that keeps negotiating and never reads our answers meets
 * backpressure, as TCP itself applies it: while tx is full we stop
 * reading from it (no POLLIN) until it reads, so our memory stays
 * bounded and nothing it sent is lost; an expect on the session still
 * ends at its deadline.  A subnegotiation longer than libtelnet's buffer
 * makes libtelnet go back to data mode in the middle of it: the rest of
 * it, up to IAC SE, is dropped here and never passed up as data.  A
 * server that turns on COMPRESS2, which we refuse, and libtelnet's fatal
 * errors fail the session with TETHER_EPROTO.
 *
 * rfc2217: is the same with COM-PORT-OPTION (rfc2217.c): offered at
 * once, the line settings requested when the server agrees; the open
 * ends once it has answered them all, and fails with TETHER_EPROTO when
 * it refuses.  BREAK is IAC BRK on plain telnet and the RFC 2217
 * SET-CONTROL break on and off with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libtelnet.h>

#include "buf.h"
#include "line.h"
#include "rfc2217.h"
#include "tether.h"
#include "transport.h"

#define TELNET_TXMAX	(256 * 1024)	/* queued for the server, at most */
#define TELNET_RXBUDGET	(256 * 1024)	/* read per call without data */
#define TELNET_TERM	"vt100"		/* TTYPE when TERM is unset */

/*
 * What we agree to: the server may echo, suppress go-ahead and send
 * binary; we send binary, suppress go-ahead, window size and terminal
 * type.  Everything else (LINEMODE, compression...) is refused.
 */
static const telnet_telopt_t telnet_opts[] = {
	{ TELNET_TELOPT_BINARY,	TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_ECHO,	TELNET_WONT, TELNET_DO },
	{ TELNET_TELOPT_SGA,	TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_NAWS,	TELNET_WILL, TELNET_DONT },
	{ TELNET_TELOPT_TTYPE,	TELNET_WILL, TELNET_DONT },
	{ -1, 0, 0 }
};
/* The same for rfc2217:, and COM-PORT-OPTION. */
static const telnet_telopt_t telnet_opts_cpo[] = {
	{ TELNET_TELOPT_BINARY,	TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_ECHO,	TELNET_WONT, TELNET_DO },
	{ TELNET_TELOPT_SGA,	TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_NAWS,	TELNET_WILL, TELNET_DONT },
	{ TELNET_TELOPT_TTYPE,	TELNET_WILL, TELNET_DONT },
	{ RFC2217_OPTION,	TELNET_WILL, TELNET_DONT },
	{ -1, 0, 0 }
};

struct tn {
	telnet_t	*telnet;
	struct transport *t;
	struct buf	 rx;		/* decoded, not yet read */
	struct buf	 tx;		/* encoded, not yet written */
	char		*term;
	int		 rows, cols;
	int		 rx_binary;	/* server sends binary */
	int		 tx_binary;	/* we send binary */
	int		 naws;		/* server wants our size */
	int		 naws_due;	/* our size changed while tx was full */
	int		 cr;		/* last data byte was CR */
	int		 sb_skip;	/* dropping an overlong SB's tail */
	int		 tx_dead;	/* server stopped reading: drop tx */
	int		 err;		/* fatal error, or 0 */
	int		 cpo;		/* rfc2217: COM-PORT-OPTION wanted */
	int		 cpo_on;	/* the server agreed to it */
	struct line	 cpo_want;	/* the line asked for */
	struct rfc2217	 cpo_srv;	/* what the server told */
	int		 cpo_done;	/* open: every request answered */
	struct rfc2217_scan cpo_scan;	/* for a refusal, until agreed */
	char		 cpo_text[160];	/* cpo_srv described */
};

static void
tn_naws(struct tn *tn)
{
	unsigned char	sz[4];

	if (!tn->naws)
		return;
	if (tn->tx.len >= TELNET_TXMAX) {
		tn->naws_due = 1;	/* sent once tx drains */
		return;
	}
	tn->naws_due = 0;
	sz[0] = (unsigned char)((tn->cols >> 8) & 0xff);
	sz[1] = (unsigned char)(tn->cols & 0xff);
	sz[2] = (unsigned char)((tn->rows >> 8) & 0xff);
	sz[3] = (unsigned char)(tn->rows & 0xff);
	telnet_begin_sb(tn->telnet, TELNET_TELOPT_NAWS);
	telnet_send(tn->telnet, (const char *)sz, sizeof sz);
	telnet_finish_sb(tn->telnet);
}

/* COM-PORT-OPTION agreed (the line requested) or refused (failed). */
static void
tn_cpo(struct tn *tn, int agreed)
{
	unsigned char	sb[RFC2217_SB_MAX];
	size_t		len;
	int		n;

	if (!agreed) {
		tn->cpo_on = 0;
		tn->err = tether_loop_seterr(tn->t->loop, TETHER_EPROTO,
		    "rfc2217: the server refused COM-PORT-OPTION (RFC 2217 "
		    "is not enabled on that port?)");
		return;
	}
	if (tn->cpo_on)
		return;
	tn->cpo_on = 1;
	for (n = 0; (len = rfc2217_request(&tn->cpo_want, n, sb)) > 0; n++)
		telnet_subnegotiation(tn->telnet, RFC2217_OPTION,
		    (const char *)sb, len);
}

/* Data from the server: in NVT (not binary) mode CR NUL means CR. */
static void
tn_data(struct tn *tn, const char *p, size_t n)
{
	size_t	i, start = 0;

	if (tn->rx_binary) {
		if (buf_append(&tn->rx, p, n) != 0)
			tn->err = TETHER_ENOMEM;
		tn->cr = 0;
		return;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '\0' && tn->cr) {
			if (buf_append(&tn->rx, p + start, i - start) != 0)
				tn->err = TETHER_ENOMEM;
			start = i + 1;
		}
		tn->cr = p[i] == '\r';
	}
	if (buf_append(&tn->rx, p + start, n - start) != 0)
		tn->err = TETHER_ENOMEM;
}

/*
 * A warning from libtelnet: one from its subnegotiation buffer means it
 * gave up on an overlong SB and reads the rest of it as data.
 */
static void
tn_warning(struct tn *tn, telnet_event_t *ev)
{
	if (ev->error.func != NULL &&
	    strcmp(ev->error.func, "_buffer_byte") == 0)
		tn->sb_skip = 1;
}

static void
tn_event(telnet_t *telnet, telnet_event_t *ev, void *arg)
{
	struct tn	*tn = arg;

	if (tn->err != 0)
		return;		/* the session has failed: nothing more */
	switch (ev->type) {
	case TELNET_EV_DATA:
		if (!tn->sb_skip)
			tn_data(tn, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_IAC:
		if (ev->iac.cmd == TELNET_SE)
			tn->sb_skip = 0;
		break;
	case TELNET_EV_SUBNEGOTIATION:
		tn->sb_skip = 0;	/* framed again */
		if (tn->cpo && ev->sub.telopt == RFC2217_OPTION)
			rfc2217_answer(&tn->cpo_srv,
			    (const unsigned char *)ev->sub.buffer,
			    ev->sub.size);
		break;
	case TELNET_EV_SEND:
		if (!tn->tx_dead &&
		    buf_append(&tn->tx, ev->data.buffer, ev->data.size) != 0)
			tn->err = TETHER_ENOMEM;
		break;
	case TELNET_EV_COMPRESS:
		if (ev->compress.state)
			tn->err = tether_loop_seterr(tn->t->loop,
			    TETHER_EPROTO, "telnet: the server turned on "
			    "COMPRESS2 (MCCP), which was refused");
		break;
	case TELNET_EV_WARNING:
		tn_warning(tn, ev);
		break;
	case TELNET_EV_WILL:
	case TELNET_EV_WONT:
		if (ev->neg.telopt == TELNET_TELOPT_BINARY)
			tn->rx_binary = ev->type == TELNET_EV_WILL;
		break;
	case TELNET_EV_DO:
	case TELNET_EV_DONT:
		if (ev->neg.telopt == TELNET_TELOPT_BINARY)
			tn->tx_binary = ev->type == TELNET_EV_DO;
		else if (ev->neg.telopt == TELNET_TELOPT_NAWS) {
			tn->naws = ev->type == TELNET_EV_DO;
			tn_naws(tn);
		} else if (ev->neg.telopt == RFC2217_OPTION && tn->cpo)
			tn_cpo(tn, ev->type == TELNET_EV_DO);
		break;
	case TELNET_EV_TTYPE:
		if (ev->ttype.cmd == TELNET_TTYPE_SEND)
			telnet_ttype_is(telnet, tn->term);
		break;
	case TELNET_EV_ERROR:
		if (tn->err == 0)
			tn->err = tether_loop_seterr(tn->t->loop,
			    TETHER_EPROTO, "telnet: %s", ev->error.msg);
		break;
	default:
		break;
	}
}

/* Writes queued protocol bytes.  Returns 0, TETHER_EAGAIN or an error. */
static int
tn_push(struct transport *t)
{
	struct tn	*tn = t->priv;
	size_t		 nw;
	int		 r;

	while (tn->tx.len > 0) {
		r = transport_write(t->next, tn->tx.data, tn->tx.len, &nw);
		if (r != 0)
			return r;
		buf_consume(&tn->tx, nw);
		if (tn->naws_due && tn->tx.len < TELNET_TXMAX)
			tn_naws(tn);
	}
	return 0;
}

static int
tn_open(struct transport *t, struct transport_args *a, int cpo)
{
	struct tn	*tn;
	const char	*term;
	int		 r;

	if (t->next == NULL)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "telnet needs a transport below it");
	if ((tn = calloc(1, sizeof *tn)) == NULL)
		return TETHER_ENOMEM;
	t->priv = tn;
	tn->t = t;
	buf_init(&tn->rx, 0);
	buf_init(&tn->tx, 0);
	tn->rows = a->rows > 0 ? a->rows : 24;
	tn->cols = a->cols > 0 ? a->cols : 80;
	if ((term = transport_opt(a, "term")) == NULL &&
	    ((term = getenv("TERM")) == NULL || *term == '\0'))
		term = TELNET_TERM;
	if ((tn->term = strdup(term)) == NULL)
		return TETHER_ENOMEM;
	tn->cpo = cpo;
	rfc2217_init(&tn->cpo_srv);
	if (cpo && (r = line_parse(a, t->loop, &tn->cpo_want)) != 0)
		return r;
	if ((tn->telnet = telnet_init(cpo ? telnet_opts_cpo : telnet_opts,
	    tn_event, 0, tn)) == NULL)
		return TETHER_ENOMEM;
	if (cpo)
		telnet_negotiate(tn->telnet, TELNET_WILL, RFC2217_OPTION);
	return transport_open(t->next, a);
}

static int
telnet_open(struct transport *t, struct transport_args *a)
{
	return tn_open(t, a, 0);
}

/* rfc2217:HOST:PORT: telnet with COM-PORT-OPTION and the line options. */
static int
rfc2217_open(struct transport *t, struct transport_args *a)
{
	return tn_open(t, a, 1);
}

static int	tn_drain(struct transport *);

/*
 * rfc2217: reads what the server says until it has answered every line
 * request.  Returns 0 then, TETHER_EAGAIN before, or an error.  Data
 * read meanwhile waits in rx; a wake-up (wake_at) has it read at once.
 */
static int
tn_cpo_wait(struct transport *t)
{
	struct tn	*tn = t->priv;
	char		 b[4096];
	size_t		 got, budget = 0;
	int		 r;

	while (!rfc2217_answered(&tn->cpo_srv) && tn->err == 0 &&
	    budget < TELNET_RXBUDGET) {
		if ((r = tn_drain(t)) != 0)
			return r;
		if ((r = transport_read(t->next, b, sizeof b, &got)) != 0)
			return r == TETHER_EOF ? tether_loop_seterr(t->loop, r,
			    "rfc2217: the server closed the connection while "
			    "the line was being set") : r;
		budget += got;
		if (!tn->cpo_on && rfc2217_refused(&tn->cpo_scan,
		    (const unsigned char *)b, got)) {
			tn_cpo(tn, 0);
			break;
		}
		telnet_recv(tn->telnet, b, got);
	}
	if (tn->err != 0)
		return tn->err;
	if (!rfc2217_answered(&tn->cpo_srv))
		return TETHER_EAGAIN;
	tn->cpo_done = 1;
	if (tn->rx.len > 0)
		t->wake_at = tether_now_ms();
	return tn_drain(t);
}

static int
telnet_connect(struct transport *t)
{
	struct tn	*tn = t->priv;
	int		 r;

	if ((r = transport_connect(t->next)) != 0 || !tn->cpo || tn->cpo_done)
		return r;
	return tn_cpo_wait(t);
}

/*
 * Pushes tx out.  Returns 0 when there is room to read more from the
 * server, TETHER_EAGAIN when tx is full (backpressure), or an error.  A
 * server that no longer reads at all (EPIPE) may still have sent data:
 * what is queued for it is dropped and reading goes on.
 */
static int
tn_drain(struct transport *t)
{
	struct tn	*tn = t->priv;
	int		 r;

	r = tn_push(t);
	if (r == TETHER_EOF) {
		buf_reset(&tn->tx);
		tn->tx_dead = 1;
		return 0;
	}
	if (r < 0 && r != TETHER_EAGAIN)
		return r;
	return tn->tx.len >= TELNET_TXMAX ? TETHER_EAGAIN : 0;
}

static int
telnet_read(struct transport *t, void *p, size_t n, size_t *nread)
{
	struct tn	*tn = t->priv;
	size_t		 got, want, budget = 0;
	int		 r = 0;

	/* Data decoded before a fatal error is passed up first. */
	while (tn->rx.len == 0 && tn->err == 0) {
		/* Answer negotiation at once; POLLOUT covers the rest. */
		if ((r = tn_drain(t)) != 0)
			break;
		/* Give the loop its turn when a flood carries no data. */
		if (budget >= TELNET_RXBUDGET) {
			r = TETHER_EAGAIN;
			break;
		}
		/* What one read can make us answer stays near the cap. */
		want = TELNET_TXMAX - tn->tx.len;
		if (want > n)
			want = n;
		r = transport_read(t->next, p, want, &got);
		if (r != 0)
			break;
		budget += got;
		telnet_recv(tn->telnet, p, got);
	}
	if (tn->rx.len == 0)
		return tn->err != 0 ? tn->err : r;
	got = tn->rx.len < n ? tn->rx.len : n;
	memcpy(p, tn->rx.data, got);
	buf_consume(&tn->rx, got);
	if (tn->rx.len == 0)
		t->wake_at = -1;	/* what tn_cpo_wait kept is read */
	*nread = got;
	return 0;
}

static int
telnet_write(struct transport *t, const void *vp, size_t n,
    size_t *nwritten)
{
	struct tn	*tn = t->priv;
	const char	*p = vp;
	size_t		 i, start = 0, room;
	int		 r;

	if (tn->err != 0)
		return tn->err;
	if (tn->tx_dead)
		return TETHER_EOF;
	if (tn->tx.len >= TELNET_TXMAX / 2 && (r = tn_push(t)) != 0)
		return r;
	/* Escaping at most doubles what is taken: tx stays under the cap. */
	room = (TELNET_TXMAX - tn->tx.len) / 2;
	if (room == 0)
		return TETHER_EAGAIN;
	if (n > room) {
		n = room;
		if (p[n - 1] == '\r')
			n++;	/* keep CR LF together */
	}
	if (tn->tx_binary)
		telnet_send(tn->telnet, p, n);
	else {
		/* NVT: a CR not followed by LF goes as CR NUL. */
		for (i = 0; i < n; i++) {
			if (p[i] != '\r' || (i + 1 < n && p[i + 1] == '\n'))
				continue;
			telnet_send(tn->telnet, p + start, i + 1 - start);
			telnet_send(tn->telnet, "", 1);
			start = i + 1;
		}
		telnet_send(tn->telnet, p + start, n - start);
	}
	if (tn->err != 0)
		return tn->err;
	*nwritten = n;
	r = tn_push(t);
	return r == TETHER_EAGAIN ? 0 : r;
}

static int
telnet_flush(struct transport *t)
{
	int	r;

	if ((r = tn_push(t)) != 0)
		return r;
	return transport_flush(t->next);
}

static int
telnet_events(struct transport *t)
{
	struct tn	*tn = t->priv;
	int		 ev;

	ev = transport_events(t->next);
	if (tn != NULL && tn->tx.len > 0)
		ev |= POLLOUT;
	/* Backpressure: read no more until the server reads its answers. */
	if (tn != NULL && tn->tx.len >= TELNET_TXMAX)
		ev &= ~POLLIN;
	return ev;
}

static int
telnet_winsize(struct transport *t, int rows, int cols)
{
	struct tn	*tn = t->priv;
	int		 r;

	if (rows <= 0 || cols <= 0 || rows > 0xffff || cols > 0xffff)
		return TETHER_EINVAL;
	tn->rows = rows;
	tn->cols = cols;
	tn_naws(tn);
	r = tn_push(t);
	return r == TETHER_EAGAIN ? 0 : r;
}

/*
 * BREAK: IAC BRK (on only), or the RFC 2217 break on or off once the
 * server agreed to the option.
 */
static int
telnet_brk(struct transport *t, int on)
{
	struct tn	*tn = t->priv;
	unsigned char	 sb[RFC2217_SB_MAX];
	size_t		 len;
	int		 r;

	if (tn->err != 0)
		return tn->err;
	if (!tn->cpo) {
		if (on)
			telnet_iac(tn->telnet, TELNET_BREAK);
	} else {
		if (!tn->cpo_on)
			return TETHER_EAGAIN;	/* not negotiated yet */
		len = rfc2217_break(on, sb);
		telnet_subnegotiation(tn->telnet, RFC2217_OPTION,
		    (const char *)sb, len);
	}
	if (tn->err != 0)
		return tn->err;
	r = tn_push(t);
	return r == TETHER_EAGAIN ? 0 : r;
}

/* rfc2217: what the server said of its line. */
static const char *
telnet_line(struct transport *t)
{
	struct tn	*tn = t->priv;

	if (tn == NULL || !tn->cpo)
		return NULL;
	return rfc2217_describe(&tn->cpo_srv, tn->cpo_text,
	    sizeof tn->cpo_text);
}

static void
telnet_close(struct transport *t)
{
	struct tn	*tn = t->priv;

	if (tn == NULL)
		return;
	if (tn->telnet != NULL)
		telnet_free(tn->telnet);
	buf_free(&tn->rx);
	buf_free(&tn->tx);
	free(tn->term);
	free(tn);
	t->priv = NULL;
}

const struct transport_ops transport_telnet_ops = {
	.name = "telnet",
	.open = telnet_open,
	.connect = telnet_connect,
	.read = telnet_read,
	.write = telnet_write,
	.flush = telnet_flush,
	.events = telnet_events,
	.winsize = telnet_winsize,
	.close = telnet_close,
	.brk = telnet_brk,
};

const struct transport_ops transport_rfc2217_ops = {
	.name = "rfc2217",
	.open = rfc2217_open,
	.connect = telnet_connect,
	.read = telnet_read,
	.write = telnet_write,
	.flush = telnet_flush,
	.events = telnet_events,
	.winsize = telnet_winsize,
	.close = telnet_close,
	.brk = telnet_brk,
	.line = telnet_line,
};
