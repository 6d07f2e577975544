/* SPDX-License-Identifier: ISC */
/*
 * vtstrip.h - removes terminal escape sequences from a byte stream.
 *
 * CSI (including bracketed-paste markers), OSC, DCS/SOS/PM/APC strings and
 * two- and three-byte ESC sequences are dropped; everything else passes.
 * The state carries across calls, so a sequence split between reads is
 * still removed whole.  As a terminal does, CAN (0x18) and SUB (0x1a)
 * abort a sequence (and pass, as the controls they are), and a sequence
 * longer than its cap is abandoned: the filter goes back to text at the
 * byte past the cap, so an unterminated one never hides what follows.
 */
#ifndef VTSTRIP_H
#define VTSTRIP_H

#include <stddef.h>

#define VTSTRIP_STRING_MAX	4096	/* OSC, DCS, SOS, PM, APC bytes */
#define VTSTRIP_SEQ_MAX		256	/* CSI or ESC sequence bytes */

struct vtstrip {
	int	state;
	size_t	len;		/* bytes of the current sequence so far */
};

/* Resets the filter to its ground state. */
void	vtstrip_init(struct vtstrip *);
/*
 * Filters n bytes of in into out, which has room for n bytes (in and out
 * may be the same).  Returns the number of bytes written to out.
 */
size_t	vtstrip_feed(struct vtstrip *, const char *in, size_t n, char *out);

#endif /* VTSTRIP_H */
