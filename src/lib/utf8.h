/* SPDX-License-Identifier: ISC */
/*
 * utf8.h - the one UTF-8 decoder.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/*
 * Returns the length (1-4) of the UTF-8 sequence at p[0..n) and its code
 * point in *cp, or 0 when it is not valid: then *bad is the length of its
 * maximal invalid part (at least 1), to be shown as one U+FFFD.  When
 * p[0] is a lead byte (0xc2-0xf4) and *bad == n, the data ended inside a
 * sequence that may still be valid.
 */
size_t	 utf8_seq(const unsigned char *p, size_t n, size_t *bad,
	    unsigned *cp);

#endif /* UTF8_H */
