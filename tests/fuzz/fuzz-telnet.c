/*
 * fuzz-telnet.c - libFuzzer harness for the telnet transport's input
 * path: the bytes a server sends are fed, in chunks of varying size,
 * through transport-telnet.c over a stand-in for the socket below it,
 * with writes and window-size changes in between.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tether.h"
#include "transport.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tether_loop	*loop;
	struct transport		*tn = NULL, *below = NULL;
	struct transport_args		 a;
	struct feed			 f;
	char				 out[512];
	size_t				 n, total = 0;
	int				 r, i;

	if (size < 1)
		return 0;
	if (loop == NULL && (loop = tether_loop_new()) == NULL)
		abort();
	memset(&f, 0, sizeof f);
	f.chunk = (size_t)data[0] % 64 + 1;
	f.p = data + 1;
	f.len = size - 1;
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
	for (i = 0; i < 100000; i++) {
		r = transport_read(tn, out, sizeof out, &n);
		if (r == TETHER_EAGAIN) {
			(void)transport_flush(tn);
			continue;
		}
		if (r != 0)
			break;
		if (n == 0 || n > sizeof out)
			abort();
		total += n;
		if (total > size)
			abort();	/* decoding never adds bytes */
		if (i % 5 == 0)
			(void)transport_write(tn, "a\xff\r\nb\r", 7, &n);
		if (i % 7 == 0)
			(void)transport_winsize(tn, 255 + i, 80);
	}
out:
	/* Frees the stand-in too; its state lives on this stack frame. */
	if (tn != NULL)
		transport_free(tn);
	else
		transport_free(below);
	return 0;
}
