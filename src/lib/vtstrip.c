/* SPDX-License-Identifier: ISC */
/*
 * vtstrip.c - a small state machine that removes terminal escape sequences.
 */
#include <string.h>

#include "vtstrip.h"

#define VT_CAN	0x18
#define VT_SUB	0x1a

enum {
	VT_GROUND,
	VT_ESC,		/* after ESC */
	VT_ESC_INTER,	/* ESC + intermediate bytes, waiting for final */
	VT_CSI,		/* ESC [ parameters, waiting for final 0x40-0x7e */
	VT_STRING,	/* OSC, DCS, SOS, PM, APC: until BEL or ST */
	VT_STRING_ESC,	/* ESC inside a string: ST is ESC \ */
};

void
vtstrip_init(struct vtstrip *vt)
{
	vt->state = VT_GROUND;
	vt->len = 0;
}

size_t
vtstrip_feed(struct vtstrip *vt, const char *in, size_t n, char *out)
{
	const unsigned char	*p = (const unsigned char *)in;
	const unsigned char	*end = p + n, *esc;
	size_t			 o = 0, max;
	unsigned char		 c;

	while (p < end) {
		if (vt->state == VT_GROUND) {
			/* Fast path: copy up to the next ESC in one go. */
			esc = memchr(p, 0x1b, (size_t)(end - p));
			if (esc == NULL)
				esc = end;
			if (out + o != (const char *)p)
				memmove(out + o, p, (size_t)(esc - p));
			o += (size_t)(esc - p);
			p = esc;
			if (p == end)
				break;
			vt->state = VT_ESC;
			vt->len = 1;
			p++;
			continue;
		}
		c = *p++;
		/* CAN and SUB abort any sequence, and are executed. */
		if (c == VT_CAN || c == VT_SUB) {
			vt->state = VT_GROUND;
			out[o++] = (char)c;
			continue;
		}
		/* Past its cap a sequence is abandoned: c is text again. */
		max = vt->state == VT_STRING || vt->state == VT_STRING_ESC ?
		    VTSTRIP_STRING_MAX : VTSTRIP_SEQ_MAX;
		if (++vt->len > max) {
			vt->state = VT_GROUND;
			p--;
			continue;
		}
		switch (vt->state) {
		case VT_ESC:
			if (c == '[')
				vt->state = VT_CSI;
			else if (c == ']' || c == 'P' || c == 'X' ||
			    c == '^' || c == '_')
				vt->state = VT_STRING;
			else if (c >= 0x20 && c <= 0x2f)
				vt->state = VT_ESC_INTER;
			else if (c == 0x1b)
				vt->len = 1;	/* a new sequence */
			else
				vt->state = VT_GROUND;
			break;
		case VT_ESC_INTER:
			if (c < 0x20 || c > 0x2f)
				vt->state = VT_GROUND;
			break;
		case VT_CSI:
			if (c >= 0x40 && c <= 0x7e)
				vt->state = VT_GROUND;
			else if (c == 0x1b) {
				vt->state = VT_ESC;
				vt->len = 1;
			} else if (c < 0x20) {
				/* C0 controls inside CSI are executed. */
				out[o++] = (char)c;
			}
			break;
		case VT_STRING:
			if (c == 0x07)
				vt->state = VT_GROUND;
			else if (c == 0x1b)
				vt->state = VT_STRING_ESC;
			break;
		case VT_STRING_ESC:
			if (c == '\\')
				vt->state = VT_GROUND;
			else if (c != 0x1b)
				vt->state = VT_STRING;
			break;
		}
	}
	return o;
}
