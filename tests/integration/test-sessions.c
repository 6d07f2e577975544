/* SPDX-License-Identifier: ISC */
/*
 * test-sessions.c - sessions against real programs: sh and cat in a pty,
 * a slow printer, a flood, exit statuses and reaping, window size, a
 * shell served on a unix socket by socat, and no stale error message.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "session.h"
#include "target.h"
#include "tether.h"

static struct tether_loop *loop;

static int
setup(void **state)
{
	loop = tether_loop_new();
	return loop == NULL;
}

static int
teardown(void **state)
{
	tether_loop_free(loop);
	loop = NULL;
	return 0;
}

static struct tether_session *
open_ok(const char *name, const char *uri, const struct tether_opt *o,
    size_t n)
{
	struct tether_session	*s = NULL;
	int			 r;

	r = tether_session_open(loop, name, uri, o, n, &s);
	if (r != 0)
		fail_msg("open %s: %s", uri, tether_loop_errmsg(loop));
	return s;
}

/* Expects re within ms; returns group 1 (or 0) as a new string. */
static char *
want(struct tether_session *s, const char *re, int ms)
{
	struct tether_match	*m = NULL;
	const char		*g;
	char			*out;
	int			 r;

	r = tether_expect_one(s, re, tether_now_ms() + ms, &m);
	if (r != 0)
		fail_msg("expect /%s/: %s; last lines: %s", re,
		    tether_strerror(r), tether_session_tail(s, 3));
	g = tether_match_group(m, 1, NULL);
	if (g == NULL)
		g = tether_match_group(m, 0, NULL);
	out = strdup(g);
	tether_match_free(m);
	return out;
}

static void
test_sh_roundtrip_and_status(void **state)
{
	struct tether_session	*s;
	char			*v;
	int			 st;
	pid_t			 pid;

	s = open_ok("sh", "spawn:/bin/sh", NULL, 0);
	assert_int_equal(tether_session_sendline(s,
	    "PS1='sh> '; echo result=$((6*7))", 0, -1), 0);
	v = want(s, "result=(\\d+)", 2000);
	assert_string_equal(v, "42");
	free(v);
	assert_int_equal(tether_session_sendline(s, "stty size", 0, -1), 0);
	v = want(s, "(\\d+ \\d+)\\r?\\n", 2000);
	assert_string_equal(v, "24 80");
	free(v);
	assert_int_equal(tether_session_set_winsize(s, 50, 132), 0);
	assert_int_equal(tether_session_sendline(s, "stty size", 0, -1), 0);
	v = want(s, "(\\d+ \\d+)\\r?\\n", 2000);
	assert_string_equal(v, "50 132");
	free(v);
	pid = tether_session_pid(s);
	assert_true(pid > 0);
	assert_int_equal(tether_session_sendline(s, "exit 7", 0, -1), 0);
	assert_int_equal(tether_session_wait(s, tether_now_ms() + 3000, &st),
	    0);
	assert_int_equal(st, 7);
	tether_session_close(s);
	/* reaped: no zombie left behind */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_cat_echo_off(void **state)
{
	struct tether_session	*s;
	struct tether_opt	 o[] = { { "echo", "no" } };
	struct tether_match	*m;
	int			 i;
	char			 line[32], re[32];

	s = open_ok("cat", "spawn:cat", o, 1);
	for (i = 0; i < 200; i++) {
		snprintf(line, sizeof line, "ping %d", i);
		snprintf(re, sizeof re, "^ping %d\\r\\n", i);
		assert_int_equal(tether_session_sendline(s, line, 0, -1), 0);
		assert_int_equal(tether_expect_one(s, re,
		    tether_now_ms() + 2000, &m), 0);
		tether_match_free(m);
	}
	tether_session_close(s);
}

static void
test_slow_printer_and_idle(void **state)
{
	struct tether_session	*s;
	struct tether_expect	*e;
	struct tether_match	*m;
	int64_t			 t0 = tether_now_ms();

	s = open_ok("slow", "spawn:sh -c 'for i in 1 2 3; do sleep 0.2; "
	    "printf \"tick$i \"; done; sleep 5'", NULL, 0);
	e = tether_expect_new(loop);
	assert_int_equal(tether_expect_regex(e, s, "tick3", 0, 1), 0);
	assert_int_equal(tether_expect_idle(e, 400, 2), 0);
	assert_int_equal(tether_expect_run(e, tether_now_ms() + 5000, &m), 0);
	/* ticks every 200 ms keep the idle branch from firing */
	assert_int_equal(tether_match_id(m), 1);
	assert_true(tether_now_ms() - t0 >= 550);
	tether_match_free(m);
	t0 = tether_now_ms();
	assert_int_equal(tether_expect_run(e, tether_now_ms() + 5000, &m), 0);
	assert_int_equal(tether_match_outcome(m), TETHER_MATCH_IDLE);
	assert_true(tether_now_ms() - t0 < 1500);
	tether_match_free(m);
	tether_expect_free(e);
	/* closing a running program hangs it up and reaps it */
	t0 = tether_now_ms();
	tether_session_close(s);
	assert_true(tether_now_ms() - t0 < 2000);
}

static void
test_flood_bounded(void **state)
{
	struct tether_session	*s;
	struct tether_match	*m;

	/* 20 MB of non-matching lines, then the prompt */
	s = open_ok("flood", "spawn:sh -c 'yes "
	    "0123456789012345678901234567890123456789 | head -c 20000000; "
	    "echo; printf \"READY> \"; sleep 5'", NULL, 0);
	assert_int_equal(tether_expect_one(s, "READY> $",
	    tether_now_ms() + 30000, &m), 0);
	assert_true(tether_session_rx_bytes(s) >= 20000000);
	assert_true(s->view.len <= s->match_max);
	tether_match_free(m);
	tether_session_close(s);
}

static void
test_exit_nonzero_and_eof_mid_line(void **state)
{
	struct tether_session	*s;
	struct tether_match	*m;
	int			 st;
	char			*tail;

	s = open_ok("bad", "spawn:sh -c 'printf \"half a li\"; exit 3'", NULL,
	    0);
	assert_int_equal(tether_expect_one(s, "line\\n",
	    tether_now_ms() + 3000, &m), TETHER_EOF);
	tether_match_free(m);
	tail = tether_session_tail(s, 5);
	assert_string_equal(tail, "half a li");
	free(tail);
	assert_int_equal(tether_session_wait(s, tether_now_ms() + 3000, &st),
	    0);
	assert_int_equal(st, 3);
	tether_session_close(s);
}

static void
test_spawn_failure(void **state)
{
	struct tether_session	*s = NULL;

	assert_int_equal(tether_session_open(loop, "x",
	    "spawn:/no/such/program arg", NULL, 0, &s), TETHER_ESPAWN);
	assert_non_null(strstr(tether_loop_errmsg(loop),
	    "No such file or directory"));
	assert_int_equal(tether_session_open(loop, "x", "spawn:'unbalanced",
	    NULL, 0, &s), TETHER_EINVAL);
	assert_int_equal(tether_session_open(loop, "x", "bogus:thing",
	    NULL, 0, &s), TETHER_EINVAL);
	assert_non_null(strstr(tether_loop_errmsg(loop), target_usage()));
	assert_int_equal(tether_session_open(loop, "x", "hmp:spawn:cat",
	    NULL, 0, &s), TETHER_EINVAL);
	assert_int_equal(tether_session_open(loop, "x", "spawn:cat",
	    (struct tether_opt[]){ { "no-such-option", "1" } }, 1, &s),
	    TETHER_EINVAL);
	assert_non_null(strstr(tether_loop_errmsg(loop), "no-such-option"));
}

/* The tick: the listener starts listening once the loop has waited. */
static void
listen_late(void *arg)
{
	int	*fd = arg;

	if (*fd != -1 && listen(*fd, 4) == 0) {
		tether_loop_set_tick(loop, 0, NULL, NULL);
	}
}

/*
 * A failure reports its own message: after a failed open, and an open
 * whose connect-within retries recovered, a call that fails with no
 * message of its own has none, not the stale "cannot connect".
 */
static void
test_no_stale_error(void **state)
{
	struct tether_session	*s = NULL;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	char			 uri[64];
	int			 fd, st;

	assert_int_equal(tether_session_open(loop, "x", "tcp:127.0.0.1:1",
	    NULL, 0, &s), TETHER_ECONNECT);
	assert_non_null(strstr(tether_loop_errmsg(loop), "cannot connect"));
	/* Bound, not listening yet: connecting is refused until the tick. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(uri, sizeof uri, "tcp:127.0.0.1:%d", ntohs(sin.sin_port));
	tether_loop_set_tick(loop, 150, listen_late, &fd);
	s = open_ok("late", uri, (struct tether_opt[]){
	    { "connect-within", "5s" } }, 1);
	tether_loop_set_tick(loop, 0, NULL, NULL);
	/* tcp has no program to wait for: ENOTSUP, and no message. */
	assert_int_equal(tether_session_wait(s, tether_now_ms() + 100, &st),
	    TETHER_ENOTSUP);
	assert_string_equal(tether_loop_errmsg(loop), "");
	tether_session_close(s);
	close(fd);
}

static void
test_socat_unix_shell(void **state)
{
	struct tether_session	*s;
	struct tether_match	*m;
	struct tether_opt	 o[] = { { "connect-within", "10s" },
				    { "line-ending", "lf" } };
	char			 path[64], uri[80], addr[96], *v;
	pid_t			 pid;
	int			 st, r;
	int64_t			 t0;

	if (access("/usr/bin/socat", X_OK) != 0)
		skip();
	snprintf(path, sizeof path, "/tmp/tether-sock-%d", (int)getpid());
	unlink(path);
	snprintf(addr, sizeof addr, "UNIX-LISTEN:%s", path);
	snprintf(uri, sizeof uri, "unix:%s", path);
	if ((pid = fork()) == 0) {
		/* the socket appears only after a while: connect-within */
		usleep(300000);
		execl("/usr/bin/socat", "socat", addr,
		    "EXEC:/bin/sh -i,pty,stderr,setsid,ctty", (char *)NULL);
		_exit(127);
	}
	t0 = tether_now_ms();
	s = open_ok("con", uri, o, 2);
	assert_true(tether_now_ms() - t0 >= 250);
	assert_int_equal(tether_session_sendline(s, "echo sum=$((40+2))", 0,
	    -1), 0);
	v = want(s, "sum=(\\d+)", 3000);
	assert_string_equal(v, "42");
	free(v);
	assert_int_equal(tether_session_sendline(s, "exit", 0, -1), 0);
	assert_int_equal(tether_expect_one(s, "never", tether_now_ms() + 3000,
	    &m), TETHER_EOF);
	tether_match_free(m);
	tether_session_close(s);
	r = waitpid(pid, &st, 0);
	assert_int_equal(r, pid);
	unlink(path);
	/* connection refused without connect-within: at once, exit 6 */
	t0 = tether_now_ms();
	assert_int_equal(tether_session_open(loop, "gone", uri, NULL, 0, &s),
	    TETHER_ECONNECT);
	assert_true(tether_now_ms() - t0 < 500);
	assert_int_equal(tether_exit_code(TETHER_ECONNECT), 6);
}

static void
test_transcripts(void **state)
{
	struct tether_session	*s;
	char			 log[64], cast[64], buf[4096];
	FILE			*f;
	size_t			 n;
	char			*v;

	snprintf(log, sizeof log, "/tmp/tether-tr-%d.log", (int)getpid());
	snprintf(cast, sizeof cast, "/tmp/tether-tr-%d.cast", (int)getpid());
	s = open_ok("tr", "spawn:/bin/sh", (struct tether_opt[]){
	    { "log", log }, { "cast", cast } }, 2);
	tether_session_add_secret(s, "s3cr3t-pw");
	assert_int_equal(tether_session_sendline(s,
	    "printf '\\033[1mbold\\033[0m s3cr3t-pw done\\n'", 0, -1), 0);
	v = want(s, "bold (\\S+) done", 3000);
	free(v);
	tether_session_close(s);
	f = fopen(log, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "\033[1mbold"));	/* raw bytes kept */
	assert_null(strstr(buf, "s3cr3t-pw"));
	assert_non_null(strstr(buf, "******** done"));
	f = fopen(cast, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_true(strncmp(buf, "{\"version\": 2", 13) == 0);
	assert_non_null(strstr(buf, "\\u001b[1mbold"));
	assert_null(strstr(buf, "s3cr3t-pw"));
	unlink(log);
	unlink(cast);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sh_roundtrip_and_status),
		cmocka_unit_test(test_cat_echo_off),
		cmocka_unit_test(test_slow_printer_and_idle),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_exit_nonzero_and_eof_mid_line),
		cmocka_unit_test(test_spawn_failure),
		cmocka_unit_test(test_no_stale_error),
		cmocka_unit_test(test_socat_unix_shell),
		cmocka_unit_test(test_transcripts),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
