/* SPDX-License-Identifier: ISC */
/*
 * test-rfc2217.c - serial line options (line.c) and the COM-PORT-OPTION
 * messages (rfc2217.c): requests, answers, the refusal in a telnet
 * stream cut anywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include <cmocka.h>

#include "line.h"
#include "rfc2217.h"
#include "tether.h"
#include "transport.h"

/* line_parse over the options opts (KEY, VALUE, ..., NULL). */
static int
parse(struct tether_loop *loop, struct line *l, const char **kv)
{
	struct tether_opt	 o[8];
	unsigned char		 used[8];
	struct transport_args	 a;
	size_t			 n;

	memset(&a, 0, sizeof a);
	memset(used, 0, sizeof used);
	for (n = 0; kv[2 * n] != NULL; n++) {
		o[n].key = kv[2 * n];
		o[n].value = kv[2 * n + 1];
	}
	a.opts = o;
	a.nopts = n;
	a.used = used;
	return line_parse(&a, loop, l);
}

static void
test_line_parse(void **state)
{
	struct tether_loop	*loop;
	struct line		 l;
	char			 d[64];
	const char		*all[] = { "baud", "4000000", "data", "7",
				    "parity", "even", "stop", "2", "flow",
				    "xonxoff", NULL };
	const char		*none[] = { NULL };
	const char		*bad[][3] = {
		{ "baud", "12345", NULL }, { "baud", "9600x", NULL },
		{ "baud", "-9600", NULL }, { "data", "9", NULL },
		{ "parity", "mark", NULL }, { "stop", "1.5", NULL },
		{ "flow", "dsrdtr", NULL },
	};
	size_t			 i;

	(void)state;
	assert_non_null(loop = tether_loop_new());
	assert_int_equal(parse(loop, &l, all), 0);
	assert_int_equal(l.baud, 4000000);
	assert_string_equal(line_describe(&l, d, sizeof d),
	    "4000000 7E2 flow xonxoff");
	assert_int_equal(parse(loop, &l, none), 0);
	assert_string_equal(line_describe(&l, d, sizeof d), "? ??? flow ?");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(parse(loop, &l, bad[i]), TETHER_EINVAL);
	assert_non_null(strstr(tether_loop_errmsg(loop), "flow=dsrdtr"));
	assert_int_equal(line_speed(115200), B115200);
	assert_int_equal(line_speed(460800), B460800);
	assert_int_equal(line_speed(250000), 0);
	assert_int_equal(line_bps(B50), 50);
	assert_int_equal(line_bps(B3500000), 3500000);
	tether_loop_free(loop);
}

static void
test_requests(void **state)
{
	struct line	 l;
	unsigned char	 b[RFC2217_SB_MAX];
	const unsigned char want[][5] = {
		{ 1, 0x00, 0x01, 0xc2, 0x00 }, { 2, 7 }, { 3, 2 }, { 4, 2 },
		{ 5, 3 },
	};
	const size_t	 len[] = { 5, 2, 2, 2, 2 };
	int		 n;

	(void)state;
	memset(&l, 0, sizeof l);
	l.baud = 115200;
	l.data = 7;
	l.parity = LINE_PARITY_ODD;
	l.stop = 2;
	l.flow = LINE_FLOW_RTSCTS;
	for (n = 0; n < 5; n++) {
		assert_int_equal(rfc2217_request(&l, n, b), len[n]);
		assert_memory_equal(b, want[n], len[n]);
	}
	assert_int_equal(rfc2217_request(&l, 5, b), 0);
	/* Nothing asked for: every request asks for the current value. */
	memset(&l, 0, sizeof l);
	l.parity = l.flow = -1;
	for (n = 0; n < 5; n++) {
		rfc2217_request(&l, n, b);
		assert_int_equal(b[len[n] - 1], 0);
	}
	assert_int_equal(rfc2217_break(1, b), 2);
	assert_memory_equal(b, "\x05\x05", 2);
	rfc2217_break(0, b);
	assert_memory_equal(b, "\x05\x06", 2);
}

static void
test_answers(void **state)
{
	struct rfc2217	c;
	char		d[160];

	(void)state;
	rfc2217_init(&c);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)
	    "\x65\x00\x00\x25\x80", 5), 0);
	assert_false(rfc2217_answered(&c));
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x66\x08",
	    2), 0);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x67\x03",
	    2), 0);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x68\x01",
	    2), 0);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x69\x01",
	    2), 0);
	assert_true(rfc2217_answered(&c));
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x6a\x60",
	    2), 0);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x6b\xb0",
	    2), 0);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x69\x05",
	    2), 0);
	assert_string_equal(rfc2217_describe(&c, d, sizeof d),
	    "9600 8E1 flow none, line state 0x60, modem state 0xb0, "
	    "BREAK acknowledged 1 time");
	/* Malformed, or not ours: ignored. */
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x65\x00",
	    2), -1);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x01\x00",
	    2), -1);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x70\x00",
	    2), -1);
	assert_int_equal(rfc2217_answer(&c, (const unsigned char *)"\x66", 1),
	    -1);
}

/* rfc2217_refused over s cut after every byte, and whole. */
static int
refused(const char *s, size_t n)
{
	struct rfc2217_scan	sc;
	size_t			i;
	int			r = 0, whole;

	memset(&sc, 0, sizeof sc);
	whole = rfc2217_refused(&sc, (const unsigned char *)s, n);
	memset(&sc, 0, sizeof sc);
	for (i = 0; i < n; i++)
		r |= rfc2217_refused(&sc, (const unsigned char *)s + i, 1);
	assert_int_equal(r, whole);
	return whole;
}

static void
test_refused(void **state)
{
	(void)state;
	assert_true(refused("\xff\xfe\x2c", 3));
	assert_true(refused("ab\xff\xfb\x03\xff\xfe\x2c", 8));
	assert_false(refused("\xff\xfd\x2c", 3));		/* DO */
	assert_false(refused("\xff\xfe\x01", 3));		/* DONT ECHO */
	assert_false(refused("\xff\xff\xfe\x2c", 4));	/* IAC IAC, data */
	/* Inside a subnegotiation, then after its end. */
	assert_false(refused("\xff\xfa\x2c\xff\xff\xfe\x2c\xff\xf0", 9));
	assert_true(refused("\xff\xfa\x18\x00\xff\xf0\xff\xfe\x2c", 9));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_parse),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
