/* SPDX-License-Identifier: ISC */
/*
 * rfc2217.c - the COM-PORT-OPTION messages (RFC 2217): requests encoded,
 * server answers and notifications decoded.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "line.h"
#include "rfc2217.h"

/* Client to server; the server answers with the code + 100. */
#define CPO_SET_BAUDRATE	1
#define CPO_SET_DATASIZE	2
#define CPO_SET_PARITY		3
#define CPO_SET_STOPSIZE	4
#define CPO_SET_CONTROL		5
#define CPO_NOTIFY_LINESTATE	6
#define CPO_NOTIFY_MODEMSTATE	7
#define CPO_SERVER		100

/* Values of SET-PARITY and SET-CONTROL. */
#define CPO_PARITY_NONE		1
#define CPO_PARITY_ODD		2
#define CPO_PARITY_EVEN		3
#define CPO_FLOW_NONE		1
#define CPO_FLOW_XONXOFF	2
#define CPO_FLOW_RTSCTS		3
#define CPO_BREAK_ON		5
#define CPO_BREAK_OFF		6

void
rfc2217_init(struct rfc2217 *c)
{
	memset(c, 0, sizeof *c);
	c->line.parity = c->line.flow = -1;
	c->linestate = c->modemstate = -1;
}

size_t
rfc2217_request(const struct line *want, int n, unsigned char *out)
{
	static const int	parity[] = { CPO_PARITY_NONE, CPO_PARITY_ODD,
				    CPO_PARITY_EVEN };
	static const int	flow[] = { CPO_FLOW_NONE, CPO_FLOW_XONXOFF,
				    CPO_FLOW_RTSCTS };
	uint32_t		b;

	switch (n) {
	case 0:
		/* A baud rate of 0 asks for the current one. */
		b = (uint32_t)want->baud;
		out[0] = CPO_SET_BAUDRATE;
		out[1] = (unsigned char)(b >> 24);
		out[2] = (unsigned char)(b >> 16);
		out[3] = (unsigned char)(b >> 8);
		out[4] = (unsigned char)b;
		return 5;
	case 1:
		out[0] = CPO_SET_DATASIZE;
		out[1] = (unsigned char)want->data;
		return 2;
	case 2:
		out[0] = CPO_SET_PARITY;
		out[1] = want->parity >= 0 ? parity[want->parity] : 0;
		return 2;
	case 3:
		out[0] = CPO_SET_STOPSIZE;
		out[1] = (unsigned char)want->stop;
		return 2;
	case 4:
		out[0] = CPO_SET_CONTROL;
		out[1] = want->flow >= 0 ? flow[want->flow] : 0;
		return 2;
	}
	return 0;
}

int
rfc2217_answered(const struct rfc2217 *c)
{
	return (c->answered & 0x1f) == 0x1f;
}

size_t
rfc2217_break(int on, unsigned char *out)
{
	out[0] = CPO_SET_CONTROL;
	out[1] = on ? CPO_BREAK_ON : CPO_BREAK_OFF;
	return 2;
}

/*
 * answer = code value; code = server code (100 + request code); the
 * value is 4 bytes (network order) for SET-BAUDRATE, 1 byte otherwise.
 */
int
rfc2217_answer(struct rfc2217 *c, const unsigned char *p, size_t n)
{
	int	code;

	if (n < 2 || p[0] <= CPO_SERVER)
		return -1;
	code = p[0] - CPO_SERVER;
	if (code >= CPO_SET_BAUDRATE && code <= CPO_SET_CONTROL)
		c->answered |= 1 << (code - CPO_SET_BAUDRATE);
	switch (code) {
	case CPO_SET_BAUDRATE:
		if (n != 5)
			return -1;
		c->line.baud = (unsigned long)p[1] << 24 |
		    (unsigned long)p[2] << 16 | (unsigned long)p[3] << 8 | p[4];
		break;
	case CPO_SET_DATASIZE:
		if (p[1] >= 5 && p[1] <= 8)
			c->line.data = p[1];
		break;
	case CPO_SET_PARITY:
		if (p[1] == CPO_PARITY_NONE)
			c->line.parity = LINE_PARITY_NONE;
		else if (p[1] == CPO_PARITY_ODD)
			c->line.parity = LINE_PARITY_ODD;
		else if (p[1] == CPO_PARITY_EVEN)
			c->line.parity = LINE_PARITY_EVEN;
		break;
	case CPO_SET_STOPSIZE:
		if (p[1] == 1 || p[1] == 2)
			c->line.stop = p[1];
		break;
	case CPO_SET_CONTROL:
		if (p[1] == CPO_FLOW_NONE)
			c->line.flow = LINE_FLOW_NONE;
		else if (p[1] == CPO_FLOW_XONXOFF)
			c->line.flow = LINE_FLOW_XONXOFF;
		else if (p[1] == CPO_FLOW_RTSCTS)
			c->line.flow = LINE_FLOW_RTSCTS;
		else if (p[1] == CPO_BREAK_ON)
			c->brk_acks++;
		break;
	case CPO_NOTIFY_LINESTATE:
		c->linestate = p[1];
		break;
	case CPO_NOTIFY_MODEMSTATE:
		c->modemstate = p[1];
		break;
	default:
		return -1;
	}
	return 0;
}

/* Telnet bytes, and the states of rfc2217_refused. */
#define TN_SE		240
#define TN_SB		250
#define TN_WILL		251
#define TN_DONT		254
#define TN_IAC		255
enum { SCAN_DATA, SCAN_IAC, SCAN_OPT, SCAN_DONT, SCAN_SB, SCAN_SB_IAC };

/*
 * stream = { data | IAC IAC | IAC cmd | IAC (WILL|WONT|DO|DONT) opt |
 * IAC SB { byte | IAC IAC } IAC SE }
 */
int
rfc2217_refused(struct rfc2217_scan *sc, const unsigned char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		switch (sc->state) {
		case SCAN_DATA:
			if (p[i] == TN_IAC)
				sc->state = SCAN_IAC;
			break;
		case SCAN_IAC:
			if (p[i] == TN_DONT)
				sc->state = SCAN_DONT;
			else if (p[i] >= TN_WILL && p[i] < TN_IAC)
				sc->state = SCAN_OPT;
			else if (p[i] == TN_SB)
				sc->state = SCAN_SB;
			else
				sc->state = SCAN_DATA;
			break;
		case SCAN_DONT:
			if (p[i] == RFC2217_OPTION)
				return 1;
			sc->state = SCAN_DATA;
			break;
		case SCAN_OPT:
			sc->state = SCAN_DATA;
			break;
		case SCAN_SB:
			if (p[i] == TN_IAC)
				sc->state = SCAN_SB_IAC;
			break;
		case SCAN_SB_IAC:
			sc->state = p[i] == TN_SE ? SCAN_DATA : SCAN_SB;
			break;
		}
	}
	return 0;
}

char *
rfc2217_describe(const struct rfc2217 *c, char *buf, size_t len)
{
	char	l[64], ls[32] = "", ms[32] = "", bk[48] = "";

	if (c->linestate >= 0)
		snprintf(ls, sizeof ls, ", line state 0x%02x", c->linestate);
	if (c->modemstate >= 0)
		snprintf(ms, sizeof ms, ", modem state 0x%02x", c->modemstate);
	if (c->brk_acks > 0)
		snprintf(bk, sizeof bk, ", BREAK acknowledged %d time%s",
		    c->brk_acks, c->brk_acks > 1 ? "s" : "");
	snprintf(buf, len, "%s%s%s%s", line_describe(&c->line, l, sizeof l),
	    ls, ms, bk);
	return buf;
}
