/* SPDX-License-Identifier: ISC */
/*
 * test-match.c - expect semantics over a real unix socket whose far end
 * the test writes: matches split at every byte, groups, NULs, invalid
 * UTF-8, anchors, overlapping patterns, escapes, EOF, idle, match-max,
 * and the contract that the matcher finds what PCRE2 finds on the whole
 * text whatever the read boundaries, or fails when PCRE2 gives up.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "session.h"
#include "tether.h"

struct fixture {
	struct tether_loop	*loop;
	struct tether_session	*s;
	int			 peer;
	char			 path[108];
};

static int
setup(void **state)
{
	struct fixture		*f;
	struct sockaddr_un	 sun;
	int			 lfd;

	f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->path, sizeof f->path, "/tmp/tether-test-%d.sock",
	    (int)getpid());
	unlink(f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, f->path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(lfd, 1), 0);
	f->loop = tether_loop_new();
	assert_non_null(f->loop);
	char uri[128];
	snprintf(uri, sizeof uri, "unix:%s", f->path);
	assert_int_equal(tether_session_open(f->loop, "con", uri, NULL, 0,
	    &f->s), 0);
	f->peer = accept(lfd, NULL, NULL);
	assert_true(f->peer >= 0);
	close(lfd);
	unlink(f->path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	if (f->peer != -1)
		close(f->peer);
	tether_loop_free(f->loop);
	free(f);
	return 0;
}

/* Writes n bytes from the peer and waits until the session has them. */
static void
feed(struct fixture *f, const void *p, size_t n)
{
	uint64_t	want = tether_session_rx_bytes(f->s) + n;
	int64_t		end = tether_now_ms() + 5000;

	assert_int_equal(write(f->peer, p, n), (ssize_t)n);
	while (tether_session_rx_bytes(f->s) < want && tether_now_ms() < end)
		(void)tether_loop_once(f->loop, end);
	assert_true(tether_session_rx_bytes(f->s) >= want);
}

static struct tether_match *
run(struct fixture *f, struct tether_expect *e, int ms)
{
	struct tether_match	*m = NULL;

	assert_int_equal(tether_expect_run(e, tether_now_ms() + ms, &m), 0);
	assert_non_null(m);
	return m;
}

/* A match split between two reads at every byte is found, exactly once. */
static void
test_every_split(void **state)
{
	struct fixture		*f = *state;
	const char		*text = "boot noise\r\nuser 42 READY> tail";
	struct tether_expect	*e;
	struct tether_match	*m;
	size_t			 k, len = strlen(text);
	size_t			 full = strlen("boot noise\r\nuser 42 READY> ");

	for (k = 1; k < len; k++) {
		e = tether_expect_new(f->loop);
		assert_int_equal(tether_expect_regex(e, f->s,
		    "user (?<n>\\d+) READY> ", 0, 7), 0);
		feed(f, text, k);
		m = run(f, e, k < full ? 0 : 1000);
		if (k < full) {
			assert_int_equal(tether_match_outcome(m),
			    TETHER_MATCH_TIMEOUT);
			tether_match_free(m);
			feed(f, text + k, len - k);
			m = run(f, e, 1000);
		} else
			feed(f, text + k, len - k);
		assert_int_equal(tether_match_outcome(m), TETHER_MATCH_PATTERN);
		assert_int_equal(tether_match_id(m), 7);
		assert_string_equal(tether_match_group(m, 0, NULL),
		    "user 42 READY> ");
		assert_string_equal(tether_match_group(m, 1, NULL), "42");
		assert_string_equal(tether_match_group_name(m, 1), "n");
		assert_string_equal(tether_match_before(m, NULL),
		    "boot noise\r\n");
		tether_match_free(m);
		tether_session_flush(f->s);
		tether_expect_free(e);
	}
}

static void
test_one_byte_reads(void **state)
{
	struct fixture		*f = *state;
	const char		*text = "x\033[1m12\033[0m items in box\n";
	struct tether_expect	*e;
	struct tether_match	*m;
	size_t			 i;

	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_regex(e, f->s,
	    "(\\d+) items in (\\w+)\\n", 0, 1), 0);
	for (i = 0; text[i] != '\0'; i++)
		feed(f, text + i, 1);
	m = run(f, e, 1000);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_PATTERN);
	assert_string_equal(tether_match_group(m, 1, NULL), "12");
	assert_string_equal(tether_match_group(m, 2, NULL), "box");
	assert_string_equal(tether_match_before(m, NULL), "x");
	tether_match_free(m);
	tether_expect_free(e);
}

static void
test_nul_and_invalid_utf8(void **state)
{
	struct fixture		*f = *state;
	struct tether_expect	*e;
	struct tether_match	*m;
	size_t			 len;
	const char		*g;

	feed(f, "a\0b\xff\xfe\xc3(ok> ", 12);
	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_literal(e, f->s, "\0b", 2, 1), 0);
	m = run(f, e, 1000);
	assert_int_equal(tether_match_id(m), 1);
	g = tether_match_group(m, 0, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(g, "\0b", 2);
	tether_match_free(m);
	tether_expect_free(e);
	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_regex(e, f->s, "(.+)ok> ", 0, 2), 0);
	m = run(f, e, 1000);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_PATTERN);
	g = tether_match_group(m, 1, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(g, "\xff\xfe\xc3(", 4);
	tether_match_free(m);
	tether_expect_free(e);
}

static void
test_anchors(void **state)
{
	struct fixture		*f = *state;
	struct tether_expect	*e;
	struct tether_match	*m;

	feed(f, "xlogin: \nlogin: ", 16);
	e = tether_expect_new(f->loop);
	/* ^ without /m: the start of what is not consumed yet only */
	assert_int_equal(tether_expect_regex(e, f->s, "^login: ", 0, 1), 0);
	m = run(f, e, 100);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_TIMEOUT);
	tether_match_free(m);
	tether_expect_free(e);
	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_regex(e, f->s, "^login: $",
	    TETHER_RE_MULTILINE, 2), 0);
	m = run(f, e, 1000);
	assert_int_equal(tether_match_id(m), 2);
	assert_string_equal(tether_match_before(m, NULL), "xlogin: \n");
	tether_match_free(m);
	tether_expect_free(e);
}

static void
test_overlapping(void **state)
{
	struct fixture		*f = *state;
	struct tether_expect	*e;
	struct tether_match	*m;

	feed(f, "foo bar\n", 8);
	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_regex(e, f->s, "bar", 0, 1), 0);
	assert_int_equal(tether_expect_regex(e, f->s, "foo", 0, 2), 0);
	assert_int_equal(tether_expect_regex(e, f->s, "fo+", 0, 3), 0);
	m = run(f, e, 1000);
	/* the earliest in the stream wins; a tie goes to the first listed */
	assert_int_equal(tether_match_id(m), 2);
	tether_match_free(m);
	m = run(f, e, 1000);
	assert_int_equal(tether_match_id(m), 1);	/* rest: " bar\n" */
	assert_string_equal(tether_match_before(m, NULL), " ");
	tether_match_free(m);
	tether_expect_free(e);
}

static void
test_escapes_and_raw(void **state)
{
	struct fixture		*f = *state;
	struct tether_expect	*e;
	struct tether_match	*m;

	feed(f, "log\033[1min\033[0m: ", 16);
	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_literal(e, f->s, "login: ", 7, 1), 0);
	m = run(f, e, 1000);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_PATTERN);
	tether_match_free(m);
	tether_session_set_raw_match(f->s, 1);
	feed(f, "log\033[1min: ", 12);
	m = run(f, e, 100);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_TIMEOUT);
	tether_match_free(m);
	tether_expect_free(e);
}

static void
test_eof_after_data(void **state)
{
	struct fixture		*f = *state;
	struct tether_expect	*e;
	struct tether_match	*m;
	char			*tail;

	assert_int_equal(write(f->peer, "last words\npartial li", 21), 21);
	close(f->peer);
	f->peer = -1;
	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_regex(e, f->s, "last (\\w+)", 0, 1), 0);
	assert_int_equal(tether_expect_regex(e, f->s, "line\\n", 0, 2), 0);
	assert_int_equal(tether_expect_eof(e, f->s, 3), 0);
	m = run(f, e, 2000);
	/* data received before EOF is matched first */
	assert_int_equal(tether_match_id(m), 1);
	tether_match_free(m);
	m = run(f, e, 2000);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_EOF);
	assert_int_equal(tether_match_id(m), 3);
	tether_match_free(m);
	tail = tether_session_tail(f->s, 2);
	assert_non_null(strstr(tail, "partial li"));
	free(tail);
	assert_true(tether_session_eof(f->s));
	assert_int_equal(tether_session_send(f->s, "x", 1, 0,
	    tether_now_ms() + 100), TETHER_EOF);
	tether_expect_free(e);
}

static void
test_timeout_and_idle(void **state)
{
	struct fixture		*f = *state;
	struct tether_expect	*e;
	struct tether_match	*m;
	int64_t			 t0 = tether_now_ms();

	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_regex(e, f->s, "never", 0, 1), 0);
	m = run(f, e, 150);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_TIMEOUT);
	assert_int_equal(tether_match_id(m), -1);
	assert_true(tether_match_waited(m) >= 150);
	assert_true(tether_match_waited(m) < 400);
	tether_match_free(m);
	assert_int_equal(tether_expect_idle(e, 100, 9), 0);
	t0 = tether_now_ms();
	m = run(f, e, 5000);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_IDLE);
	assert_int_equal(tether_match_id(m), 9);
	assert_true(tether_now_ms() - t0 < 1000);
	tether_match_free(m);
	tether_expect_free(e);
}

static void
test_match_max(void **state)
{
	struct fixture		*f = *state;
	struct tether_expect	*e;
	struct tether_match	*m;
	char			 line[100];
	int			 i;

	tether_session_set_match_max(f->s, 4096);
	memset(line, 'x', sizeof line);
	line[sizeof line - 1] = '\n';
	for (i = 0; i < 2000; i++) {
		feed(f, line, sizeof line);
		assert_true(f->s->view.len <= 4096);
	}
	feed(f, "id=77 READY> ", 13);
	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_regex(e, f->s, "id=(\\d+) READY> ",
	    0, 1), 0);
	m = run(f, e, 1000);
	assert_string_equal(tether_match_group(m, 1, NULL), "77");
	assert_true(tether_match_before(m, NULL)[0] == 'x');
	tether_match_free(m);
	tether_expect_free(e);
}

/*
 * Feeds text in two reads split at every byte, all within one run, and
 * checks that re matches with before as $before, or times out when before
 * is NULL.  Returns nothing: asserts.
 */
static void
check_two_reads(struct fixture *f, const char *re, int flags,
    const char *text, const char *before, const char *group0)
{
	struct tether_expect	*e;
	struct tether_match	*m = NULL;
	size_t			 k, len = strlen(text);
	uint64_t		 rx;
	int64_t			 deadline;

	for (k = 1; k < len; k++) {
		rx = tether_session_rx_bytes(f->s);
		e = tether_expect_new(f->loop);
		assert_int_equal(tether_expect_regex(e, f->s, re, flags, 1), 0);
		feed(f, text, k);
		/* The first read is scanned within this run ... */
		deadline = tether_now_ms() + (before != NULL ? 2000 : 150);
		assert_int_equal(write(f->peer, text + k, len - k),
		    (ssize_t)(len - k));
		/* ... and so is the second, once it arrives. */
		assert_int_equal(tether_expect_run(e, deadline, &m), 0);
		if (before == NULL) {
			assert_int_equal(tether_match_outcome(m),
			    TETHER_MATCH_TIMEOUT);
		} else {
			if (tether_match_outcome(m) != TETHER_MATCH_PATTERN)
				fail_msg("/%s/ split at %zu: no match", re, k);
			assert_string_equal(tether_match_before(m, NULL),
			    before);
			assert_string_equal(tether_match_group(m, 0, NULL),
			    group0);
		}
		tether_match_free(m);
		/* A match in the first read leaves the second unread. */
		deadline = tether_now_ms() + 5000;
		while (tether_session_rx_bytes(f->s) < rx + len &&
		    tether_now_ms() < deadline)
			(void)tether_loop_once(f->loop, deadline);
		tether_session_flush(f->s);
		tether_expect_free(e);
	}
}

/*
 * A multiline ^ right after a read that ends in a newline: PCRE2 reports
 * no partial match there, and the matcher used to resume past the \n.
 */
static void
test_multiline_after_newline(void **state)
{
	struct fixture	*f = *state;

	check_two_reads(f, "\\n^# ready", TETHER_RE_MULTILINE,
	    "banner\r\n# ready\r\n", "banner\r", "\n# ready");
	/* inline (?m), and a ^ after two newlines at the end of a read */
	check_two_reads(f, "(?m)\\n^# ready", 0,
	    "banner\r\n# ready\r\n", "banner\r", "\n# ready");
	check_two_reads(f, "x\\n^\\n^y", TETHER_RE_MULTILINE,
	    "ax\n\nyz", "a", "x\n\ny");
	/* CRLF newline convention: ^ only after the whole \r\n */
	check_two_reads(f, "(*CRLF)t\\r\\n^ok", TETHER_RE_MULTILINE,
	    "t\r\nok\n", "", "t\r\nok");
}

/*
 * Patterns whose result depends on where a scan starts: \G, (*COMMIT),
 * (*SKIP) and a repeated \C are held to what PCRE2 finds on the whole.
 */
static void
test_start_dependent(void **state)
{
	struct fixture	*f = *state;

	/* \G is the start of the text, not where the last read ended */
	check_two_reads(f, "\\Gab", 0, "xab\n", NULL, NULL);
	check_two_reads(f, "\\Gab", 0, "abc", "", "ab");
	/* after (*COMMIT) fails at 0, no later start is tried */
	check_two_reads(f, "a(*COMMIT)b", 0, "acab", NULL, NULL);
	/* \C{2} at the end of a read fails without a partial match */
	check_two_reads(f, "\\C{2}x", 0, "abx", "", "abx");
}

/* Lookbehind and \b look back across a read boundary. */
static void
test_lookbehind(void **state)
{
	struct fixture	*f = *state;

	check_two_reads(f, "(?<=ab)c+d", 0, "xabccd", "xab", "ccd");
	check_two_reads(f, "(?<!a)b", 0, "abxb", "abx", "b");
	check_two_reads(f, "\\bword\\b", 0, "x word.", "x ", "word");
}

/*
 * When PCRE2 gives up (match limit) the expect fails at once naming the
 * pattern and the session; it used to be taken for "no match yet".
 */
static void
test_match_limit(void **state)
{
	struct fixture		*f = *state;
	struct tether_expect	*e;
	struct tether_match	*m = NULL;
	char			 as[31];
	int64_t			 t0;

	memset(as, 'a', 30);
	as[30] = '\0';
	e = tether_expect_new(f->loop);
	assert_int_equal(tether_expect_regex(e, f->s, "(a+)+b", 0, 1), 0);
	feed(f, as, 30);
	/* not a timeout: the run fails as soon as PCRE2 gives up */
	t0 = tether_now_ms();
	assert_int_equal(tether_expect_run(e, t0 + 60000, &m), TETHER_EFAIL);
	assert_null(m);
	assert_string_equal(tether_loop_errmsg(f->loop),
	    "pattern /(a+)+b/ on con: PCRE2 gave up: match limit exceeded");
	/* the same holds when the text arrives while the run waits */
	tether_session_flush(f->s);
	assert_int_equal(write(f->peer, as, 30), 30);
	assert_int_equal(tether_expect_run(e, tether_now_ms() + 60000, &m),
	    TETHER_EFAIL);
	assert_non_null(strstr(tether_loop_errmsg(f->loop), "gave up"));
	/* and a later run on text PCRE2 can handle matches again */
	tether_session_flush(f->s);
	feed(f, "aab", 3);
	m = run(f, e, 1000);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_PATTERN);
	assert_string_equal(tether_match_group(m, 0, NULL), "aab");
	tether_match_free(m);
	tether_expect_free(e);
}

static void
test_secret_in_tail(void **state)
{
	struct fixture	*f = *state;
	char		*tail;

	tether_session_add_secret(f->s, "hunter2");
	feed(f, "echo hunter2\nok\n", 16);
	tail = tether_session_tail(f->s, 5);
	assert_null(strstr(tail, "hunter2"));
	assert_non_null(strstr(tail, "echo ********"));
	free(tail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_split, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_byte_reads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nul_and_invalid_utf8,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_anchors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlapping, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_escapes_and_raw, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_eof_after_data, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_idle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_match_max, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret_in_tail, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_multiline_after_newline,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_dependent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lookbehind, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_match_limit, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
