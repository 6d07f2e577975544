/* SPDX-License-Identifier: ISC */
/*
 * fuzz-vtstrip.c - libFuzzer harness for the escape-sequence stripper:
 * fed in random chunks (in place, as the session does, and into another
 * buffer) it must give what it gives fed whole, never output an ESC,
 * never keep a sequence longer than its cap, and come back to text
 * within the cap whatever state the input left it in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtstrip.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Returns the next chunk length for mode (1-byte reads to large ones). */
static size_t
next_chunk(uint32_t *rng, int mode)
{
	*rng = *rng * 1103515245 + 12345;
	switch (mode) {
	case 0:
		return 1;
	case 1:
		return 1 + (*rng >> 16) % 8;
	case 2:
		return 1 + (*rng >> 16) % 300;
	default:
		return 1 + (*rng >> 16) % 5000;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtstrip	 whole, vt;
	char		*w, *c, *tail;
	size_t		 wn, cn = 0, off, k, tn;
	uint32_t	 rng;
	int		 mode;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	rng = data[0] >> 2;
	data++;
	size--;
	if ((w = malloc(size + 1)) == NULL || (c = malloc(size + 1)) == NULL)
		abort();
	memcpy(w, data, size);
	vtstrip_init(&whole);
	wn = vtstrip_feed(&whole, w, size, w);	/* in place, whole */
	if (wn > size || memchr(w, 0x1b, wn) != NULL)
		abort();
	if (whole.len > VTSTRIP_STRING_MAX)
		abort();

	/* In chunks, alternately in place and into another buffer. */
	vtstrip_init(&vt);
	for (off = 0; off < size; off += k) {
		k = next_chunk(&rng, mode);
		if (k > size - off)
			k = size - off;
		if (rng & 0x100) {
			memcpy(c + cn, data + off, k);
			cn += vtstrip_feed(&vt, c + cn, k, c + cn);
		} else
			cn += vtstrip_feed(&vt, (const char *)data + off, k,
			    c + cn);
		if (vt.len > VTSTRIP_STRING_MAX)
			abort();
	}
	if (cn != wn || memcmp(c, w, wn) != 0)
		abort();

	/*
	 * Whatever state the input left: VTSTRIP_STRING_MAX bytes of 'x'
	 * (text, a final byte, or string content) and the next byte is text.
	 */
	tn = VTSTRIP_STRING_MAX + 1;
	if ((tail = malloc(tn)) == NULL)
		abort();
	memset(tail, 'x', tn - 1);
	tail[tn - 1] = 'Z';
	k = vtstrip_feed(&vt, tail, tn, tail);
	if (k == 0 || tail[k - 1] != 'Z')
		abort();
	free(tail);
	free(w);
	free(c);
	return 0;
}
