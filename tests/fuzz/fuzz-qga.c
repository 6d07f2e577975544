/* SPDX-License-Identifier: ISC */
/*
 * fuzz-qga.c - differential libFuzzer harness for the guest agent's
 * synchronisation in qga.c: what comes back after 0xFF +
 * guest-sync-delimited, fed in random chunks through qga_sync_scan() as
 * qga_sync() takes it from a session's view (rescanning from where the
 * last call said), must give the same outcome at the same offset as the
 * whole stream at once, and an answer is only ever a 0xFF followed by
 * the line {"return": ID} for an id sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "qga.h"
#include "tether.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The ids "sent", the latest last (small, so that inputs hit them). */
static const json_int_t	ids[] = { 7, 42, 1234567 };
#define NIDS	(sizeof ids / sizeof ids[0])

/* Returns the next random number. */
static uint32_t
rnd(uint32_t *rng)
{
	*rng = *rng * 1103515245 + 12345;
	return *rng >> 16;
}

/*
 * Feeds p[0..len) in chunks (all at once when maxchunk is 0).  Returns
 * the outcome; *end: the bytes used at outcome 2.  *early: an earlier id
 * was seen answered.
 */
static int
feed(const char *p, size_t len, uint32_t *rng, size_t maxchunk,
    size_t *end, int *early)
{
	size_t	avail = 0, scan = 0, used;
	int	r;

	*early = 0;
	for (;;) {
		if (maxchunk == 0)
			avail = len;
		else if (avail < len) {
			avail += 1 + rnd(rng) % maxchunk;
			if (avail > len)
				avail = len;
		}
		r = qga_sync_scan(p + scan, avail - scan, ids, NIDS, &used);
		if (used > avail - scan)
			abort();
		if (r == 2) {
			*end = scan + used;
			/* the answer: 0xFF, the line, its LF at the end */
			if (*end == 0 || p[*end - 1] != '\n' ||
			    memchr(p + scan, '\xff', used) == NULL)
				abort();
			return 2;
		}
		if (r == 1)
			*early = 1;
		else if (r != 0)
			abort();
		scan += used;
		if (avail == len)
			return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t	 rng;
	size_t		 maxchunk, end_whole = 0, end_parts = 0;
	int		 whole, parts, early_whole, early_parts;

	if (size < 2)
		return 0;
	rng = data[0];
	maxchunk = 1 + (data[1] & 0x3f);
	data += 2;
	size -= 2;
	whole = feed((const char *)data, size, &rng, 0, &end_whole,
	    &early_whole);
	parts = feed((const char *)data, size, &rng, maxchunk, &end_parts,
	    &early_parts);
	if (whole != parts || end_whole != end_parts)
		abort();
	/* seen in pieces, an earlier answer is seen whole too */
	if (early_parts && !early_whole && whole != 2)
		abort();
	return 0;
}
