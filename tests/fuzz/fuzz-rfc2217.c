/* SPDX-License-Identifier: ISC */
/*
 * fuzz-rfc2217.c - libFuzzer harness for what an RFC 2217 console server
 * sends: the bytes are fed, in chunks of varying size, through the
 * rfc2217 transport (transport-telnet.c with COM-PORT-OPTION) over a
 * stand-in for the socket below it: the open (agreement, refusal, the
 * answers it waits for), reading, BREAK on and off, the line described.
 *
 * The first byte gives the chunk size (low 6 bits) and whether to put a
 * well-formed agreement and answers first (top bit), so that the rest
 * reaches the open session.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tether.h"
#include "transport.h"

#define WIRE_MAX	(1 << 16)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* IAC DO COM-PORT-OPTION, then an answer to each of the five requests. */
static const uint8_t agree[] = {
	255, 253, 44,
	255, 250, 44, 101, 0, 1, 194, 0, 255, 240,
	255, 250, 44, 102, 8, 255, 240,
	255, 250, 44, 103, 1, 255, 240,
	255, 250, 44, 104, 1, 255, 240,
	255, 250, 44, 105, 1, 255, 240,
};

/* The socket below telnet: reads give the fuzz input, writes vanish. */
struct feed {
	const uint8_t	*p;
	size_t		 len;
	size_t		 chunk;
	unsigned	 tick;
};

static int
feed_open(struct transport *t, struct transport_args *a)
{
	(void)t;
	(void)a;
	return 0;
}

static int
feed_read(struct transport *t, void *p, size_t n, size_t *nread)
{
	struct feed	*f = t->priv;
	size_t		 k;

	if (f->len == 0)
		return TETHER_EOF;
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

	(void)p;
	if (f->tick++ % 3 == 2)
		return TETHER_EAGAIN;
	*nw = n;
	return 0;
}

static const struct transport_ops feed_ops = {
	.name = "feed",
	.open = feed_open,
	.read = feed_read,
	.write = feed_write,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tether_loop	*loop;
	static uint8_t			 wire[sizeof agree + WIRE_MAX];
	struct transport		*tn = NULL, *below = NULL;
	struct transport_args		 a;
	struct tether_opt		 o[] = { { "baud", "115200" },
					    { "parity", "even" } };
	unsigned char			 used[2] = { 0, 0 };
	struct feed			 f;
	const char			*line;
	char				 out[512];
	size_t				 n, wlen = 0;
	int				 r = TETHER_EAGAIN, i;

	if (size < 1)
		return 0;
	if (loop == NULL && (loop = tether_loop_new()) == NULL)
		abort();
	if (data[0] & 0x80) {
		memcpy(wire, agree, sizeof agree);
		wlen = sizeof agree;
	}
	n = size - 1 < WIRE_MAX ? size - 1 : WIRE_MAX;
	memcpy(wire + wlen, data + 1, n);
	wlen += n;
	memset(&f, 0, sizeof f);
	f.p = wire;
	f.len = wlen;
	f.chunk = (size_t)data[0] % 64 + 1;
	memset(&a, 0, sizeof a);
	a.addr = "fuzz";
	a.opts = o;
	a.nopts = 2;
	a.used = used;
	a.rows = 24;
	a.cols = 80;
	if ((below = transport_new(&feed_ops, loop)) == NULL ||
	    (tn = transport_new(&transport_rfc2217_ops, loop)) == NULL)
		goto out;
	below->priv = &f;
	tn->next = below;
	below = NULL;
	if (transport_open(tn, &a) < 0)
		goto out;
	/* The open goes on until every request was answered. */
	for (i = 0; i < 100000 && (r = transport_connect(tn)) ==
	    TETHER_EAGAIN; i++)
		continue;
	if (r != 0)
		goto out;
	for (i = 0; i < 100000; i++) {
		if (i % 50 == 7 && transport_brk(tn, i % 100 == 7) < 0)
			break;
		r = transport_read(tn, out, sizeof out, &n);
		if (r == TETHER_EAGAIN) {
			(void)transport_flush(tn);
			continue;
		}
		if (r != 0)
			break;
		if (n == 0 || n > sizeof out)
			abort();
	}
	if ((line = transport_line(tn)) == NULL || strlen(line) > 200)
		abort();
out:
	transport_free(tn);
	transport_free(below);
	return 0;
}
