/* SPDX-License-Identifier: ISC */
/*
 * fuzz-telnet.c - libFuzzer harness for the telnet transport's input
 * path: the bytes a server sends are fed, in chunks of varying size,
 * through transport-telnet.c over a stand-in for the socket below it,
 * with writes and window-size changes in between.
 *
 * The first byte gives the chunk size (low 6 bits) and the mode (top
 * bit).  Raw mode feeds the rest as it is.  Structured mode reads the
 * rest as a program that builds a telnet stream (data, negotiation, IAC
 * commands, subnegotiations short, overlong and unterminated) and the
 * data it must decode to; the marker byte SB_MARK is sent only inside
 * subnegotiations, so any SB payload byte reaching the data is seen.
 * Structured mode checks that the decoded data is exactly the expected
 * data (a prefix of it when the session fails, e.g. on COMPRESS2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tether.h"
#include "transport.h"

#define IAC		255
#define SB		250
#define SE		240
#define SB_MARK		0x01	/* only ever inside SB: also TTYPE SEND */
#define WIRE_MAX	(1 << 20)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The socket below telnet: reads give the fuzz input, writes vanish. */
struct feed {
	const uint8_t	*p;
	size_t		 len;
	size_t		 chunk;
	unsigned	 tick;
};

/* A stream being built, and the data it must decode to. */
struct prog {
	uint8_t		*wire;
	size_t		 wlen;
	uint8_t		*want;
	size_t		 xlen;
	const uint8_t	*in;
	size_t		 inlen;
};

static int
feed_open(struct transport *t, struct transport_args *a)
{
	return 0;
}

static int
feed_read(struct transport *t, void *p, size_t n, size_t *nread)
{
	struct feed	*f = t->priv;
	size_t		 k;

	if (f->len == 0)
		return TETHER_EOF;
	/* Every other call would block, as a real socket does. */
	if (f->tick++ % 2 == 1)
		return TETHER_EAGAIN;
	k = f->chunk < f->len ? f->chunk : f->len;
	if (k > n)
		k = n;
	memcpy(p, f->p, k);
	f->p += k;
	f->len -= k;
	*nread = k;
	return 0;
}

static int
feed_write(struct transport *t, const void *p, size_t n, size_t *nw)
{
	struct feed	*f = t->priv;

	if (f->tick++ % 3 == 2)
		return TETHER_EAGAIN;
	*nw = n > 7 ? n - 7 : n;	/* short writes too */
	return 0;
}

static const struct transport_ops feed_ops = {
	.name = "feed",
	.open = feed_open,
	.read = feed_read,
	.write = feed_write,
};

static int
prog_byte(struct prog *g)
{
	if (g->inlen == 0)
		return -1;
	g->inlen--;
	return *g->in++;
}

static void
prog_wire(struct prog *g, int c)
{
	if (g->wlen < WIRE_MAX)
		g->wire[g->wlen++] = (uint8_t)c;
}

/* One data byte: never the marker, IAC doubled on the wire. */
static void
prog_data(struct prog *g, int c)
{
	if (c == SB_MARK)
		c = 'm';
	if (g->wlen + 2 > WIRE_MAX)
		return;
	prog_wire(g, c);
	if (c == IAC)
		prog_wire(g, IAC);
	g->want[g->xlen++] = (uint8_t)c;
}

/* IAC SB opt, n payload bytes (markers, some IAC IAC), IAC SE if ended. */
static void
prog_sb(struct prog *g, int opt, size_t n, int iacs, int ended)
{
	size_t	i;

	prog_wire(g, IAC);
	prog_wire(g, SB);
	prog_wire(g, opt);
	for (i = 0; i < n; i++) {
		if (iacs && i % 97 == 13) {
			prog_wire(g, IAC);
			prog_wire(g, IAC);
		} else
			prog_wire(g, SB_MARK);
	}
	if (ended) {
		prog_wire(g, IAC);
		prog_wire(g, SE);
	}
}

/*
 * program = { op } ; op = data LEN BYTES | neg CMD OPT | iac CMD
 *         | sb OPT LEN | longsb OPT KIB | ttype | crnul | opensb OPT
 */
static void
prog_build(struct prog *g)
{
	static const int neg[] = { 251, 252, 253, 254 };
	int		 op, a, b, i;

	while ((op = prog_byte(g)) != -1 && g->wlen + 70000 < WIRE_MAX) {
		switch (op % 8) {
		case 0:
			a = prog_byte(g);
			for (i = 0; i < a; i++) {
				if ((b = prog_byte(g)) == -1)
					break;
				prog_data(g, b);
			}
			break;
		case 1:
			a = prog_byte(g);
			b = prog_byte(g);
			if (a == -1 || b == -1)
				break;
			/* Binary from the server would keep CR NUL. */
			if (neg[a % 4] == 251 && b == 0)
				b = 3;
			prog_wire(g, IAC);
			prog_wire(g, neg[a % 4]);
			prog_wire(g, b);
			break;
		case 2:
			if ((a = prog_byte(g)) == -1)
				break;
			prog_wire(g, IAC);
			prog_wire(g, 240 + a % 10);	/* SE, NOP .. GA */
			break;
		case 3:
			a = prog_byte(g);
			b = prog_byte(g);
			if (a == -1 || b == -1)
				break;
			prog_sb(g, a, (size_t)b, b & 1, 1);
			break;
		case 4:
			a = prog_byte(g);
			b = prog_byte(g);
			if (a == -1 || b == -1)
				break;
			prog_sb(g, a, (size_t)(b % 64 + 1) * 1024, b & 1, 1);
			break;
		case 5:
			prog_sb(g, 24, 1, 0, 1);	/* TTYPE SEND */
			break;
		case 6:
			/* CR, a command, NUL: still one CR NUL. */
			prog_data(g, '\r');
			prog_wire(g, IAC);
			prog_wire(g, 241);
			prog_data(g, '\0');
			break;
		case 7:
			if ((a = prog_byte(g)) == -1)
				a = 24;
			prog_sb(g, a, 20000, 1, 0);
			return;
		}
	}
}

/* NVT: a NUL right after a CR is dropped (as tn_data does). */
static void
prog_nvt(struct prog *g)
{
	size_t	i, k = 0;
	int	cr = 0;

	for (i = 0; i < g->xlen; i++) {
		if (g->want[i] == '\0' && cr) {
			cr = 0;
			continue;
		}
		cr = g->want[i] == '\r';
		g->want[k++] = g->want[i];
	}
	g->xlen = k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tether_loop	*loop;
	static uint8_t			*got, *wire, *want;
	struct transport		*tn = NULL, *below = NULL;
	struct transport_args		 a;
	struct feed			 f;
	struct prog			 g;
	char				 out[512];
	size_t				 n, total = 0;
	int				 r = 0, i, structured;

	if (size < 1)
		return 0;
	if (loop == NULL && (loop = tether_loop_new()) == NULL)
		abort();
	if (got == NULL && ((got = malloc(WIRE_MAX)) == NULL ||
	    (wire = malloc(WIRE_MAX)) == NULL ||
	    (want = malloc(WIRE_MAX)) == NULL))
		abort();
	memset(&f, 0, sizeof f);
	memset(&g, 0, sizeof g);
	f.chunk = (size_t)data[0] % 64 + 1;
	structured = data[0] & 0x80;
	if (structured) {
		g.wire = wire;
		g.want = want;
		g.in = data + 1;
		g.inlen = size - 1;
		prog_build(&g);
		prog_nvt(&g);
		f.p = g.wire;
		f.len = g.wlen;
		f.chunk = f.chunk * 64;	/* long SBs: bigger reads */
	} else {
		f.p = data + 1;
		f.len = size - 1;
	}
	memset(&a, 0, sizeof a);
	a.addr = "fuzz";
	a.rows = 24;
	a.cols = 80;
	if ((below = transport_new(&feed_ops, loop)) == NULL ||
	    (tn = transport_new(&transport_telnet_ops, loop)) == NULL)
		goto out;
	below->priv = &f;
	tn->next = below;
	below = NULL;
	if (transport_open(tn, &a) != 0)
		goto out;
	for (i = 0; i < 1000000; i++) {
		r = transport_read(tn, out, sizeof out, &n);
		if (r == TETHER_EAGAIN) {
			(void)transport_flush(tn);
			continue;
		}
		if (r != 0)
			break;
		if (n == 0 || n > sizeof out)
			abort();
		if (total + n > (structured ? g.wlen : size))
			abort();	/* decoding never adds bytes */
		memcpy(got + total, out, n);
		total += n;
		if (i % 5 == 0)
			(void)transport_write(tn, "a\xff\r\nb\r", 7, &n);
		if (i % 7 == 0)
			(void)transport_winsize(tn, 255 + i, 80);
	}
	if (structured) {
		/* No SB byte in the data, and exactly the data sent. */
		if (memchr(got, SB_MARK, total) != NULL)
			abort();
		if (r == TETHER_EOF && total != g.xlen)
			abort();
		if (total > g.xlen || memcmp(got, g.want, total) != 0)
			abort();
	}
out:
	/* Frees the stand-in too; its state lives on this stack frame. */
	if (tn != NULL)
		transport_free(tn);
	else
		transport_free(below);
	return 0;
}
