/* SPDX-License-Identifier: ISC */
/*
 * test-redact.c - the redaction engine: secrets split at every byte, one
 * byte per read, wrapped by CR/LF, redrawn with escape sequences, cut
 * short by the end of the stream, and strings cut out of the middle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "redact.h"

#define PW	"S3cr3t-Pa55w0rd"

static char *secrets[] = { PW, "tether-guest-pw" };
#define NSEC	(sizeof secrets / sizeof secrets[0])

/* Feeds in in pieces of size step (0: one piece), returns the output. */
static char *
stream(const char *in, size_t len, size_t step, size_t split, size_t *olen)
{
	struct redact	 rd;
	struct buf	 out;
	size_t		 at = 0, n;

	redact_init(&rd);
	buf_init(&out, 0);
	if (split > 0) {
		assert_int_equal(redact_feed(&rd, secrets, NSEC, in, split,
		    &out), 0);
		at = split;
	}
	while (at < len) {
		n = step == 0 ? len - at : step;
		if (n > len - at)
			n = len - at;
		assert_int_equal(redact_feed(&rd, secrets, NSEC, in + at, n,
		    &out), 0);
		at += n;
	}
	assert_int_equal(redact_finish(&rd, secrets, NSEC, &out), 0);
	assert_int_equal(buf_reserve(&out, 1), 0);
	*olen = out.len;
	return buf_steal(&out);
}

/* Every chunking of in gives want[0..wlen) (one mask per masked run). */
static void
check_all_n(const char *in, size_t len, const char *want, size_t wlen)
{
	char	*got;
	size_t	 step, split, glen;

	for (step = 0; step <= 3; step++) {
		got = stream(in, len, step, 0, &glen);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		free(got);
	}
	for (split = 1; split < len; split++) {
		got = stream(in, len, 0, split, &glen);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		free(got);
	}
}

static void
check_all(const char *in, const char *want)
{
	check_all_n(in, strlen(in), want, strlen(want));
}

static void
test_plain(void **state)
{
	(void)state;
	check_all("login: root\r\n", "login: root\r\n");
	check_all("echo " PW "\r\nok\r\n", "echo ********\r\nok\r\n");
	check_all(PW PW, "********");
	/* NUL and invalid UTF-8 pass through untouched */
	check_all_n("a\0\xff\xfe" "b", 5, "a\0\xff\xfe" "b", 5);
}

static void
test_wrapped(void **state)
{
	(void)state;
	/* busybox ash wraps a long typed command at 80 columns */
	check_all("# x tether-gu\r\r\nest-pw y", "# x ******** y");
	check_all("S3cr\r\n3t-Pa55w0rd!", "********!");
}

static void
test_escapes(void **state)
{
	const char	*in = "$ S\033[K3\033[Kc\033[Kr\033[K3\033[Kt\033[K-"
			    "\033[KP\033[Ka\033[K5\033[K5\033[Kw\033[K0\033[K"
			    "r\033[Kd\033[K\r\n";

	(void)state;
	check_all(in, "$ ********\033[K\r\n");
	/* an OSC title and a cursor move inside the echo */
	in = "S3cr3t\033]0;t\007-Pa55\033[12;40Hw0rd.";
	check_all(in, "********.");
	/* an escape sequence too long to be a redraw ends the echo */
	{
		char	big[600];
		size_t	n;

		memcpy(big, "S3c\033]", 5);
		memset(big + 5, 'x', 400);
		memcpy(big + 405, "\007r3t", 4);
		n = 409;
		check_all_n(big, n, big, n);	/* "S3c": 3 bytes, shown */
	}
}

static void
test_parts(void **state)
{
	(void)state;
	/* a leading part longer than 3 bytes at the end is masked */
	check_all("S3cr3t-P", "********");
	check_all("xS3cr", "x********");
	check_all("S3cr3t-P\r\n", "********\r\n");
	/* followed by other text it was not the secret: "root@tether:~# " */
	check_all("S3cr3t-PX", "S3cr3t-PX");
	check_all("root@tether:~# ", "root@tether:~# ");
	/* 3 bytes are not masked even at the end */
	check_all("S3c", "S3c");
	check_all("S3cX", "S3cX");
	/* a part that overlaps a whole secret */
	check_all("S3cS3cr3t-Pa55w0rd", "S3c********");
	check_all("S3crS3cr3t-Pa55w0rd", "S3cr********");
}

static void
test_overlap(void **state)
{
	static char	*sec[] = { "abab1234" };
	struct buf	 out;

	(void)state;
	buf_init(&out, 0);
	assert_int_equal(redact_string(sec, 1, "ababab1234", 10, &out), 0);
	assert_string_equal(buf_str(&out), "ab********");
	buf_free(&out);
}

static void
test_string_start(void **state)
{
	struct buf	out;

	(void)state;
	/* a value cut out of the middle of an echo */
	buf_init(&out, 0);
	assert_int_equal(redact_string(secrets, NSEC, "Pa55w0rd\r\nok", 12,
	    &out), 0);
	assert_string_equal(buf_str(&out), "********\r\nok");
	buf_free(&out);
	buf_init(&out, 0);
	assert_int_equal(redact_string(secrets, NSEC, "0rd ok", 6, &out), 0);
	assert_string_equal(buf_str(&out), "0rd ok");
	buf_free(&out);
}

static void
test_one_byte_reads_hold(void **state)
{
	struct redact	 rd;
	struct buf	 out;
	size_t		 i;

	(void)state;
	/* nothing of the secret leaves before the stream decides */
	redact_init(&rd);
	buf_init(&out, 0);
	for (i = 0; i < 14; i++) {
		assert_int_equal(redact_feed(&rd, secrets, NSEC, PW + i, 1,
		    &out), 0);
		assert_int_equal(out.len, 0);
	}
	assert_int_equal(redact_feed(&rd, secrets, NSEC, PW + 14, 1, &out),
	    0);
	assert_string_equal(buf_str(&out), "********");
	assert_int_equal(redact_finish(&rd, secrets, NSEC, &out), 0);
	assert_string_equal(buf_str(&out), "********");
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_wrapped),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_string_start),
		cmocka_unit_test(test_one_byte_reads_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
