/* SPDX-License-Identifier: ISC */
/*
 * rfc2217.h - the telnet COM-PORT-OPTION (RFC 2217) that console servers
 * (ser2net, Opengear...) speak to set the line of the serial port they
 * serve and send BREAK on it: the subnegotiations we send and the
 * answers and notifications we read.  transport-telnet.c carries them.
 */
#ifndef RFC2217_H
#define RFC2217_H

#include <stddef.h>

#include "line.h"

#define RFC2217_OPTION		44	/* the telnet option */
#define RFC2217_SB_MAX		8	/* bytes of any request we send */

/* What the server told us. */
struct rfc2217 {
	struct line	 line;		/* its answers to our requests */
	int		 linestate;	/* last NOTIFY-LINESTATE, -1 none */
	int		 modemstate;	/* last NOTIFY-MODEMSTATE, -1 none */
	int		 answered;	/* bit n: request n answered */
	int		 brk_acks;	/* BREAKs acknowledged */
};

/*
 * Where rfc2217_refused is in the telnet stream: libtelnet reports no
 * event when a server answers our WILL with DONT, so the stream is
 * watched for it until the server agreed.
 */
struct rfc2217_scan {
	int		 state;
};

/* Starts c with nothing known. */
void	 rfc2217_init(struct rfc2217 *c);
/*
 * Writes the n-th request (n from 0) to send once the server agreed to
 * the option: SET-BAUDRATE, SET-DATASIZE, SET-PARITY, SET-STOPSIZE and
 * SET-CONTROL (flow) with the values of want, or asking for the current
 * one where want has none.  Returns its length, or 0 after the last.
 */
size_t	 rfc2217_request(const struct line *want, int n, unsigned char *out);
/* Returns nonzero once every request of rfc2217_request was answered. */
int	 rfc2217_answered(const struct rfc2217 *c);
/* Writes the SET-CONTROL request for BREAK on or off.  Returns its length. */
size_t	 rfc2217_break(int on, unsigned char *out);
/*
 * Reads one subnegotiation of the option from the server (an answer,
 * code + 100, or a notification).  Returns 0, or -1 when it is no
 * message of RFC 2217 or malformed (ignored by the caller).
 */
int	 rfc2217_answer(struct rfc2217 *c, const unsigned char *p, size_t n);
/*
 * Reads n bytes of the telnet stream from the server.  Returns nonzero
 * when they hold IAC DONT COM-PORT-OPTION (the server refuses it).
 */
int	 rfc2217_refused(struct rfc2217_scan *, const unsigned char *p,
	    size_t n);
/*
 * Writes what the server said, "115200 8N1 flow none, line state 0x60,
 * modem state 0x30, BREAK acknowledged 1 time", into buf.  Returns buf.
 */
char	*rfc2217_describe(const struct rfc2217 *c, char *buf, size_t len);

#endif /* RFC2217_H */
