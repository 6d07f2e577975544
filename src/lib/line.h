/* SPDX-License-Identifier: ISC */
/*
 * line.h - the settings of a serial line (speed, character size, parity,
 * stop bits, flow control) as serial: and rfc2217: read them from their
 * open options.
 */
#ifndef LINE_H
#define LINE_H

#include "tether.h"
#include "transport.h"

enum line_parity {
	LINE_PARITY_NONE,
	LINE_PARITY_ODD,
	LINE_PARITY_EVEN,
};

enum line_flow {
	LINE_FLOW_NONE,
	LINE_FLOW_XONXOFF,
	LINE_FLOW_RTSCTS,
};

/* What was asked for; a member left at 0 (-1 for the enums) was not. */
struct line {
	unsigned long	 baud;		/* bits per second */
	int		 data;		/* 5..8 */
	int		 parity;	/* enum line_parity, -1 unset */
	int		 stop;		/* 1 or 2 */
	int		 flow;		/* enum line_flow, -1 unset */
};

/*
 * Takes the options baud=, data=, parity=, stop= and flow= from a.
 * Returns 0, or TETHER_EINVAL with the message set on loop.
 */
int	 line_parse(struct transport_args *a, struct tether_loop *loop,
	    struct line *l);
/*
 * Returns the termios speed constant (B9600...) of bps, or 0 when bps is
 * no termios speed.
 */
unsigned int line_speed(unsigned long bps);
/* Returns the bits per second of termios speed constant sp, or 0. */
unsigned long line_bps(unsigned int sp);
/* Writes "115200 8N1 rtscts"-like text for l into buf.  Returns buf. */
char	*line_describe(const struct line *l, char *buf, size_t len);

#endif /* LINE_H */
