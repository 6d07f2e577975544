/* SPDX-License-Identifier: ISC */
/*
 * test-report.c - tether run's reports: every output passes the redact
 * hook (a real loop's tether_loop_redact), print is byte-exact on a plain
 * stdout, and TAP, JSON and JUnit are valid UTF-8 (and XML 1.0 text)
 * whatever bytes they are given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "report.h"
#include "tether.h"

#define PW	"Pw\"&<#\\Z9q"

struct capture {
	char	 path[2][64];
	int	 saved[2];
	char	*data[2];	/* stdout, stderr */
	size_t	 len[2];
};

/* Sends stdout and stderr to files until capture_end. */
static void
capture_begin(struct capture *c)
{
	int	i, fd;

	memset(c, 0, sizeof *c);
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 2; i++) {
		snprintf(c->path[i], sizeof c->path[i],
		    "/tmp/test-report.XXXXXX");
		fd = mkstemp(c->path[i]);
		assert_true(fd != -1);
		c->saved[i] = dup(i + 1);
		assert_true(dup2(fd, i + 1) != -1);
		close(fd);
	}
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*d;
	long	 n;

	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	d = malloc((size_t)n + 1);
	assert_non_null(d);
	assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
	d[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return d;
}

static void
capture_end(struct capture *c)
{
	int	i;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 2; i++) {
		dup2(c->saved[i], i + 1);
		close(c->saved[i]);
		c->data[i] = slurp(c->path[i], &c->len[i]);
		unlink(c->path[i]);
	}
}

static void
capture_free(struct capture *c)
{
	free(c->data[0]);
	free(c->data[1]);
}

static int
contains(const char *d, size_t n, const char *s)
{
	return memmem(d, n, s, strlen(s)) != NULL;
}

/* Every text given to every report function, with the secret in it. */
static void
feed_secret(struct report *r)
{
	report_step_begin(r, "login " PW);
	report_trace(r, "expect /%s/ on con", PW);
	report_print(r, "typed " PW "!");
	report_print_len(r, "nul\0" PW, 4 + strlen(PW));
	report_log(r, "log " PW);
	report_status(r, "waiting for " PW, 1000);
	report_step_end(r, "login " PW, 0, 12, "failed at " PW,
	    "last lines:\n" PW "\n");
	report_step_skip(r, "skipped " PW);
	report_failure(r, "outside " PW, "tail " PW "\n");
	report_note(r, "note %s", PW);
}

/* The secret in none of its forms: raw, JSON, XML, TAP-escaped. */
static void
assert_no_secret(const char *d, size_t n)
{
	assert_false(contains(d, n, "Z9q"));
	assert_false(contains(d, n, "Pw\""));
	assert_false(contains(d, n, "Pw\\\""));
	assert_false(contains(d, n, "Pw&quot;"));
	assert_false(contains(d, n, "&amp;&lt;"));
	assert_false(contains(d, n, "\\#\\\\"));
}

static void
run_secret(int tap, int json)
{
	struct tether_loop	*loop;
	struct report_opts	 o;
	struct report		*r;
	struct capture		 c;
	char			 junit[] = "/tmp/test-report-junit.XXXXXX";
	char			*x;
	size_t			 xl;
	int			 fd;

	assert_non_null(loop = tether_loop_new());
	tether_loop_add_secret(loop, PW);
	fd = mkstemp(junit);
	assert_true(fd != -1);
	close(fd);
	memset(&o, 0, sizeof o);
	o.playbook = "suite " PW;
	o.junit = junit;
	o.tap = tap;
	o.json = json;
	o.verbose = 1;
	o.redact = report_redact_loop;
	o.redact_ctx = loop;
	capture_begin(&c);
	r = report_new(&o);
	assert_int_equal(report_open(r), 0);
	feed_secret(r);
	assert_int_equal(report_finish(r, 1), 0);
	report_free(r);
	capture_end(&c);
	x = slurp(junit, &xl);
	unlink(junit);
	assert_no_secret(c.data[0], c.len[0]);
	assert_no_secret(c.data[1], c.len[1]);
	assert_no_secret(x, xl);
	/* The texts are there, masked. */
	assert_true(contains(c.data[1], c.len[1], "step login ********"));
	assert_true(contains(c.data[1], c.len[1], "expect /********/"));
	assert_true(contains(x, xl, "name=\"login ********\""));
	assert_true(contains(x, xl, "<system-out>typed ********!"));
	free(x);
	capture_free(&c);
	tether_loop_free(loop);
}

static void
test_secret_tap(void **state)
{
	(void)state;
	run_secret(1, 0);
}

static void
test_secret_json(void **state)
{
	(void)state;
	run_secret(0, 1);
}

static void
test_secret_plain(void **state)
{
	(void)state;
	run_secret(0, 0);
}

/* A plain print writes the bytes as they are, NUL and \xff included. */
static void
test_print_bytes(void **state)
{
	struct report_opts	 o;
	struct report		*r;
	struct capture		 c;

	(void)state;
	memset(&o, 0, sizeof o);
	capture_begin(&c);
	r = report_new(&o);
	report_print_len(r, "a\0b\xff\xfe\r\n", 7);
	report_print(r, "second");
	assert_int_equal(report_finish(r, 0), 0);
	report_free(r);
	capture_end(&c);
	assert_int_equal(c.len[0], 8 + 7);
	assert_memory_equal(c.data[0], "a\0b\xff\xfe\r\n\nsecond\n", 15);
	capture_free(&c);
}

/*
 * The reporter interface the interpreter calls: each callback is the
 * report_* function; no trace without -v, no status without a terminal.
 */
static void
test_reporter(void **state)
{
	const struct reporter	*rr;
	struct report_opts	 o;
	struct report		*r;
	struct capture		 c;
	int			 verbose;

	(void)state;
	for (verbose = 0; verbose < 2; verbose++) {
		memset(&o, 0, sizeof o);
		o.verbose = verbose;
		capture_begin(&c);
		r = report_new(&o);
		rr = report_reporter(r);
		assert_ptr_equal(rr->ctx, r);
		assert_null(rr->status);
		assert_true((rr->trace != NULL) == verbose);
		rr->step_begin(rr->ctx, "one");
		rr->print(rr->ctx, "x\0y", 3);
		if (rr->trace != NULL)
			rr->trace(rr->ctx, "traced");
		rr->log(rr->ctx, "logged");
		rr->step_end(rr->ctx, "one", 0, 5, "bad", NULL);
		rr->step_skip(rr->ctx, "two");
		rr->failure(rr->ctx, "bad", "tail\n");
		assert_int_equal(report_finish(r, 1), 0);
		report_free(r);
		capture_end(&c);
		assert_int_equal(c.len[0], 4);
		assert_memory_equal(c.data[0], "x\0y\n", 4);
		assert_true(contains(c.data[1], c.len[1], "FAIL one"));
		assert_true(contains(c.data[1], c.len[1], "skip two"));
		assert_true(contains(c.data[1], c.len[1], "logged\n"));
		assert_true(contains(c.data[1], c.len[1], "tether: bad\n"
		    "  tail\n"));
		assert_true(contains(c.data[1], c.len[1], "+ traced\n") ==
		    verbose);
		assert_true(contains(c.data[1], c.len[1], "step one\n") ==
		    verbose);
		capture_free(&c);
	}
}

/* The same print in TAP: one comment per line, controls visible. */
static void
test_print_tap(void **state)
{
	struct report_opts	 o;
	struct report		*r;
	struct capture		 c;
	const char		*want = "TAP version 13\n# a^@b\xef\xbf\xbd"
				    "\xef\xbf\xbd\n# ok 1\n# \n1..0\n";

	(void)state;
	memset(&o, 0, sizeof o);
	o.tap = 1;
	capture_begin(&c);
	r = report_new(&o);
	report_print_len(r, "a\0b\xff\xfe\r\nok 1\n\n", 13);
	assert_int_equal(report_finish(r, 0), 0);
	report_free(r);
	capture_end(&c);
	assert_int_equal(c.len[0], strlen(want));
	assert_memory_equal(c.data[0], want, strlen(want));
	capture_free(&c);
}

/* Invalid UTF-8 of every kind, and what it must become (U+FFFD: "?"). */
static const struct {
	const char	*in;
	size_t		 len;
	const char	*want;
} utf8_cases[] = {
	{ "\xc0\x80", 2, "??" },		/* overlong NUL */
	{ "\xe0\x80\x80", 3, "???" },		/* overlong */
	{ "\xed\xa0\x80", 3, "???" },		/* surrogate */
	{ "\xf4\x90\x80\x80", 4, "????" },	/* past U+10FFFF */
	{ "\xf8\x88\x80\x80\x80", 5, "?????" },	/* 5 bytes */
	{ "\xe2\x82", 2, "?" },			/* cut short */
	{ "\xe2\x82x", 3, "?x" },
	{ "\xf0\x9f\x98", 3, "?" },
	{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },	/* valid */
	{ "\xc3\xa9\x80", 3, "\xc3\xa9?" },	/* lone continuation */
	{ "\xef\xbf\xbe", 3, "\xef\xbf\xbe" },	/* valid UTF-8 */
};

/* Returns s with each U+FFFD turned into '?'. */
static char *
unfffd(const char *s, size_t n, size_t *outn)
{
	char	*o = malloc(n + 1);
	size_t	 i, j = 0;

	assert_non_null(o);
	for (i = 0; i < n; i++) {
		if (i + 2 < n && memcmp(s + i, "\xef\xbf\xbd", 3) == 0) {
			o[j++] = '?';
			i += 2;
		} else
			o[j++] = s[i];
	}
	*outn = j;
	return o;
}

/* JSON: each case a valid string, no field dropped. */
static void
test_json_utf8(void **state)
{
	struct report_opts	 o;
	struct report		*r;
	struct capture		 c;
	json_t			*j, *t;
	json_error_t		 e;
	const char		*line, *nl;
	char			*u;
	size_t			 i, ul;

	(void)state;
	memset(&o, 0, sizeof o);
	o.json = 1;
	capture_begin(&c);
	r = report_new(&o);
	for (i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++)
		report_print_len(r, utf8_cases[i].in, utf8_cases[i].len);
	report_step_end(r, "\xff name", 0, 1, "msg \xfe", "tail \x00x");
	assert_int_equal(report_finish(r, 1), 0);
	report_free(r);
	capture_end(&c);
	line = c.data[0];
	for (i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		j = json_loadb(line, (size_t)(nl - line), 0, &e);
		assert_non_null(j);
		t = json_object_get(j, "text");
		assert_non_null(t);
		u = unfffd(json_string_value(t), json_string_length(t), &ul);
		assert_int_equal(ul, strlen(utf8_cases[i].want));
		assert_memory_equal(u, utf8_cases[i].want, ul);
		free(u);
		json_decref(j);
		line = nl + 1;
	}
	nl = strchr(line, '\n');
	assert_non_null(nl);
	j = json_loadb(line, (size_t)(nl - line), 0, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
	    "\xef\xbf\xbd name");
	assert_string_equal(json_string_value(json_object_get(j, "message")),
	    "msg \xef\xbf\xbd");
	assert_non_null(json_object_get(j, "tail"));
	json_decref(j);
	capture_free(&c);
}

/* JUnit: random bytes in names and output give valid XML 1.0 text. */
static void
test_junit_random(void **state)
{
	struct report_opts	 o;
	struct report		*r;
	struct capture		 c;
	char			 junit[] = "/tmp/test-report-junit.XXXXXX";
	char			 name[64], tail[128], out[256], *x;
	size_t			 xl, i, k;
	json_t			*v;
	int			 fd;

	(void)state;
	srandom(10);
	fd = mkstemp(junit);
	assert_true(fd != -1);
	close(fd);
	memset(&o, 0, sizeof o);
	o.junit = junit;
	o.quiet = 1;
	capture_begin(&c);
	r = report_new(&o);
	for (k = 0; k < 200; k++) {
		for (i = 0; i < sizeof name - 1; i++)
			name[i] = (char)(random() % 255 + 1);
		name[i] = '\0';
		for (i = 0; i < sizeof tail - 1; i++)
			tail[i] = (char)(random() % 255 + 1);
		tail[i] = '\0';
		for (i = 0; i < sizeof out; i++)
			out[i] = (char)random();
		report_step_begin(r, name);
		report_print_len(r, out, sizeof out);
		report_step_end(r, name, k % 2, 1, name, tail);
	}
	assert_int_equal(report_finish(r, 1), 0);
	report_free(r);
	capture_end(&c);
	x = slurp(junit, &xl);
	unlink(junit);
	/* No C0 control but TAB, LF, CR; no U+FFFE, U+FFFF. */
	for (i = 0; i < xl; i++) {
		if ((unsigned char)x[i] < 0x20)
			assert_true(x[i] == '\t' || x[i] == '\n');
	}
	assert_false(contains(x, xl, "\xef\xbf\xbe"));
	assert_false(contains(x, xl, "\xef\xbf\xbf"));
	/* jansson checks UTF-8 strictly (overlongs, surrogates). */
	v = json_stringn(x, xl);
	assert_non_null(v);
	json_decref(v);
	free(x);
	capture_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_tap),
		cmocka_unit_test(test_secret_json),
		cmocka_unit_test(test_secret_plain),
		cmocka_unit_test(test_print_bytes),
		cmocka_unit_test(test_reporter),
		cmocka_unit_test(test_print_tap),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_junit_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
