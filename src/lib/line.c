/* SPDX-License-Identifier: ISC */
/*
 * line.c - serial line settings: the open options and the termios speeds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "line.h"
#include "tether.h"
#include "transport.h"

/* Every speed termios has, in order. */
static const struct {
	unsigned long	bps;
	speed_t		sp;
} line_speeds[] = {
	{ 50, B50 }, { 75, B75 }, { 110, B110 }, { 134, B134 },
	{ 150, B150 }, { 200, B200 }, { 300, B300 }, { 600, B600 },
	{ 1200, B1200 }, { 1800, B1800 }, { 2400, B2400 }, { 4800, B4800 },
	{ 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
	{ 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 },
	{ 460800, B460800 }, { 500000, B500000 }, { 576000, B576000 },
	{ 921600, B921600 }, { 1000000, B1000000 }, { 1152000, B1152000 },
	{ 1500000, B1500000 }, { 2000000, B2000000 }, { 2500000, B2500000 },
	{ 3000000, B3000000 }, { 3500000, B3500000 }, { 4000000, B4000000 },
};
#define LINE_NSPEEDS	(sizeof line_speeds / sizeof line_speeds[0])

unsigned int
line_speed(unsigned long bps)
{
	size_t	i;

	for (i = 0; i < LINE_NSPEEDS; i++) {
		if (line_speeds[i].bps == bps)
			return line_speeds[i].sp;
	}
	return 0;
}

unsigned long
line_bps(unsigned int sp)
{
	size_t	i;

	for (i = 0; i < LINE_NSPEEDS; i++) {
		if (line_speeds[i].sp == sp)
			return line_speeds[i].bps;
	}
	return 0;
}

/* number = DIGIT { DIGIT }.  Returns 0 and *n, or -1. */
static int
line_number(const char *s, unsigned long *n)
{
	char	*ep;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*n = strtoul(s, &ep, 10);
	return *ep != '\0' || errno != 0 ? -1 : 0;
}

/*
 * baud = number (a termios speed); data = "5" | "6" | "7" | "8";
 * parity = "none" | "odd" | "even"; stop = "1" | "2";
 * flow = "none" | "rtscts" | "xonxoff".
 */
int
line_parse(struct transport_args *a, struct tether_loop *loop,
    struct line *l)
{
	const char	*v;
	unsigned long	 n;

	memset(l, 0, sizeof *l);
	l->parity = l->flow = -1;
	if ((v = transport_opt(a, "baud")) != NULL) {
		if (line_number(v, &n) != 0 || line_speed(n) == 0)
			return tether_loop_seterr(loop, TETHER_EINVAL,
			    "baud=%s: not a serial speed (50, 75, 110, ... "
			    "9600, 19200, 38400, 57600, 115200, 230400, "
			    "460800, ... 4000000)", v);
		l->baud = n;
	}
	if ((v = transport_opt(a, "data")) != NULL) {
		if (line_number(v, &n) != 0 || n < 5 || n > 8)
			return tether_loop_seterr(loop, TETHER_EINVAL,
			    "data=%s: want 5, 6, 7 or 8 (bits)", v);
		l->data = (int)n;
	}
	if ((v = transport_opt(a, "parity")) != NULL) {
		if (strcmp(v, "none") == 0)
			l->parity = LINE_PARITY_NONE;
		else if (strcmp(v, "odd") == 0)
			l->parity = LINE_PARITY_ODD;
		else if (strcmp(v, "even") == 0)
			l->parity = LINE_PARITY_EVEN;
		else
			return tether_loop_seterr(loop, TETHER_EINVAL,
			    "parity=%s: want none, even or odd", v);
	}
	if ((v = transport_opt(a, "stop")) != NULL) {
		if (strcmp(v, "1") != 0 && strcmp(v, "2") != 0)
			return tether_loop_seterr(loop, TETHER_EINVAL,
			    "stop=%s: want 1 or 2 (bits)", v);
		l->stop = *v - '0';
	}
	if ((v = transport_opt(a, "flow")) != NULL) {
		if (strcmp(v, "none") == 0)
			l->flow = LINE_FLOW_NONE;
		else if (strcmp(v, "rtscts") == 0)
			l->flow = LINE_FLOW_RTSCTS;
		else if (strcmp(v, "xonxoff") == 0)
			l->flow = LINE_FLOW_XONXOFF;
		else
			return tether_loop_seterr(loop, TETHER_EINVAL,
			    "flow=%s: want none, rtscts or xonxoff", v);
	}
	return 0;
}

char *
line_describe(const struct line *l, char *buf, size_t len)
{
	static const char *const flows[] = { "none", "xonxoff", "rtscts" };
	char	 baud[24], data[4], stop[4];
	int	 par;

	if (l->baud != 0)
		snprintf(baud, sizeof baud, "%lu", l->baud);
	else
		strcpy(baud, "?");
	if (l->data != 0)
		snprintf(data, sizeof data, "%d", l->data);
	else
		strcpy(data, "?");
	if (l->stop != 0)
		snprintf(stop, sizeof stop, "%d", l->stop);
	else
		strcpy(stop, "?");
	par = l->parity == LINE_PARITY_NONE ? 'N' :
	    l->parity == LINE_PARITY_ODD ? 'O' :
	    l->parity == LINE_PARITY_EVEN ? 'E' : '?';
	snprintf(buf, len, "%s %s%c%s flow %s", baud, data, par, stop,
	    l->flow >= 0 ? flows[l->flow] : "?");
	return buf;
}
