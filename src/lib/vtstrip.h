/*
 * vtstrip.h - removes terminal escape sequences from a byte stream.
 *
 * CSI (including bracketed-paste markers), OSC, DCS/SOS/PM/APC strings and
 * two- and three-byte ESC sequences are dropped; everything else passes.
 * The state carries across calls, so a sequence split between reads is
 * still removed whole.
 */
#ifndef VTSTRIP_H
#define VTSTRIP_H

#include <stddef.h>

struct vtstrip {
	int	state;
};

/* Resets the filter to its ground state. */
void	vtstrip_init(struct vtstrip *);
/*
 * Filters n bytes of in into out, which has room for n bytes (in and out
 * may be the same).  Returns the number of bytes written to out.
 */
size_t	vtstrip_feed(struct vtstrip *, const char *in, size_t n, char *out);

#endif /* VTSTRIP_H */
