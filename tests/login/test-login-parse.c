/* SPDX-License-Identifier: ISC */
/*
 * test-login-parse.c - the pure parsing of login.c: run output between
 * the markers (echo wrapped by busybox ash, CR CR LF, markers in the echo
 * or twice, statuses too long to be one), the message of a line the shell
 * gave up, and the prompt line helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "login.h"

#define NONCE	"9a0b1"

struct parse_case {
	const char	*in;
	int		 found;
	const char	*out;
	int		 status;
};

static const struct parse_case parse_cases[] = {
	/* the echo (octal escapes, wrapped at 80 columns) is not output */
	{ "printf '\\036%s\\037\\n' S." NONCE "; eval 'uname -r'; printf "
	  "'\\036%s.%s\\037\\n\r\r\n' E." NONCE " \"$?\"\r\n"
	  "\036S." NONCE "\037\r\n6.1.0-57-amd64\r\n\036E." NONCE ".0\037\r\n",
	  1, "6.1.0-57-amd64", 0 },
	{ "\036S." NONCE "\037\r\none\r\ntwo\r\n\036E." NONCE ".3\037", 1,
	  "one\ntwo", 3 },
	/* a program's own CR LF through the tty's ONLCR */
	{ "\036S." NONCE "\037\r\na\r\r\nb\r\n\036E." NONCE ".0\037", 1,
	  "a\nb", 0 },
	/* no newline before the end marker */
	{ "\036S." NONCE "\037\r\nno-nl\036E." NONCE ".1\037", 1, "no-nl",
	  1 },
	{ "\036S." NONCE "\037\r\n\036E." NONCE ".0\037", 1, "", 0 },
	/* the last start marker before the end marker counts */
	{ "\036S." NONCE "\037\r\nold\r\n\036S." NONCE "\037\nnew\n"
	  "\036E." NONCE ".0\037", 1, "new", 0 },
	/* the start marker fell out of the match window */
	{ "tail of it\r\n\036E." NONCE ".0\037", 1, "tail of it", 0 },
	/* a malformed end marker is output; the first good one ends it */
	{ "\036S." NONCE "\037\nx\036E." NONCE ".\037y\036E." NONCE "9\037z"
	  "\036E." NONCE ".12\037", 1,
	  "x\036E." NONCE ".\037y\036E." NONCE "9\037z", 12 },
	{ "\036S." NONCE "\037\n\036E." NONCE ".1234567890\037", 1, "", -1 },
	/* another run's markers are output */
	{ "\036S." NONCE "\037\n\036E.ffff.0\037\n\036E." NONCE ".0\037", 1,
	  "\036E.ffff.0\037", 0 },
	{ "\036S." NONCE "\037\r\nstill running\r\n", 0, NULL, -1 },
	{ "", 0, NULL, -1 },
};

static void
test_run_parse(void **state)
{
	const struct parse_case	*c;
	char			*out;
	size_t			 i, olen;
	int			 r, status;

	(void)state;
	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		c = &parse_cases[i];
		olen = 0;
		r = login_run_parse(c->in, strlen(c->in), NONCE, &out, &olen,
		    &status);
		assert_int_equal(r, c->found);
		assert_int_equal(status, c->status);
		if (c->out == NULL) {
			assert_null(out);
			continue;
		}
		assert_string_equal(out, c->out);
		assert_int_equal(olen, strlen(c->out));
		free(out);
	}
}

/* login_run_abandoned on the string s. */
static int
abandoned(const char *s, char **msg)
{
	return login_run_abandoned(s, strlen(s), NONCE, msg);
}

static void
test_run_abandoned(void **state)
{
	char	*msg, big[2048];
	int	 r;

	(void)state;
	/* the echo before the start marker is not the message */
	r = abandoned("echo line\r\n\036S." NONCE "\037\r\n"
	    "ash: eval: syntax error: unexpected redirection\r\n"
	    "[tether]# ", &msg);
	assert_int_equal(r, 1);
	assert_string_equal(msg,
	    "ash: eval: syntax error: unexpected redirection");
	free(msg);
	r = abandoned("\036S." NONCE "\037\r\n"
	    "sh: 1: eval: Syntax error: redirection unexpected\r\n"
	    "[tether]# ", &msg);
	assert_int_equal(r, 1);
	assert_string_equal(msg,
	    "sh: 1: eval: Syntax error: redirection unexpected");
	free(msg);
	/* several lines are one; control bytes are made visible */
	r = abandoned("\036S." NONCE "\037\nbash: a\r\nb\033c\n"
	    "[tether]#  ", &msg);
	assert_int_equal(r, 1);
	assert_string_equal(msg, "bash: a; b?c");
	free(msg);
	r = abandoned("\036S." NONCE "\037\n[tether]# ", &msg);
	assert_int_equal(r, 1);
	assert_string_equal(msg, "(no message)");
	free(msg);
	/* no start marker (the prompt was in the echo), or an end marker */
	assert_int_equal(abandoned("echo '[tether]# '", &msg), 0);
	assert_null(msg);
	assert_int_equal(abandoned("\036S." NONCE "\037\n"
	    "\036E." NONCE ".0\037\n[tether]# ", &msg), 0);
	assert_null(msg);
	/* bounded */
	memset(big, 'x', sizeof big);
	memcpy(big, "\036S." NONCE "\037\n", 10);
	assert_int_equal(login_run_abandoned(big, sizeof big, NONCE, &msg),
	    1);
	assert_true(strlen(msg) <= LOGIN_MSG_MAX);
	assert_string_equal(msg + strlen(msg) - 3, "...");
	free(msg);
}

static void
test_prompt_line(void **state)
{
	const char	*p;
	size_t		 n;

	(void)state;
	p = login_last_line("motd\r\nroot@tether:~# ", 21, &n);
	assert_int_equal(n, 14);
	assert_memory_equal(p, "root@tether:~#", n);
	p = login_last_line("a\rb $\t ", 7, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "b $", n);
	p = login_last_line("line\r\n", 6, &n);
	assert_int_equal(n, 0);
	p = login_last_line("", 0, &n);
	assert_int_equal(n, 0);
	assert_true(login_blank(" \t ", 3));
	assert_true(login_blank("", 0));
	assert_false(login_blank(" \r", 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_parse),
		cmocka_unit_test(test_run_abandoned),
		cmocka_unit_test(test_prompt_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
