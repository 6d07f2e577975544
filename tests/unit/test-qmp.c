/* SPDX-License-Identifier: ISC */
/*
 * test-qmp.c - the QMP reader and id matching against a scripted peer on
 * a real unix socket (a forked child plays QEMU): answers to other ids,
 * events in between, blank lines and CRs, and a long answer in many
 * small writes, read in time linear in its length.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

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

#include "tether.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, " \
	"\"minor\": 2, \"major\": 7}, \"package\": \"\"}, " \
	"\"capabilities\": [\"oob\"]}}\r\n"

struct fixture {
	struct tether_loop	*loop;
	char			 path[108];
	pid_t			 pid;
};

/* Reads one line from fd into buf (NUL-terminated); returns its length. */
static size_t
peer_line(int fd, char *buf, size_t size)
{
	size_t	n = 0;

	while (n + 1 < size && read(fd, buf + n, 1) == 1 && buf[n] != '\n')
		n++;
	buf[n] = '\0';
	return n;
}

static void
peer_write(int fd, const char *s)
{
	size_t	n = strlen(s);

	if (write(fd, s, n) != (ssize_t)n)
		_exit(2);
}

/* The scripted QEMU: greeting, capabilities, then the test's answers. */
static void
peer(int lfd, int answers)
{
	char	line[4096], *big;
	int	fd, i;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	peer_write(fd, GREETING);
	peer_line(fd, line, sizeof line);
	if (strstr(line, "qmp_capabilities") == NULL ||
	    strstr(line, "\"tether-1\"") == NULL)
		_exit(3);
	peer_write(fd, "\r\n{\"return\": {}, \"id\": \"tether-1\"}\r\n");
	peer_line(fd, line, sizeof line);
	if (strstr(line, "\"tether-2\"") == NULL)
		_exit(3);
	if (answers == 0) {
		/* not ours: other ids, a number, a longer one */
		peer_write(fd, "{\"event\": \"STOP\", \"timestamp\": "
		    "{\"seconds\": 1, \"microseconds\": 2}}\r\n"
		    "{\"return\": {\"bogus\": 1}, \"id\": \"tether-20\"}\r\n"
		    "\n"
		    "{\"return\": {\"bogus\": 2}, \"id\": \"tether-1\"}\r\n"
		    "{\"return\": {\"bogus\": 3}, \"id\": 2}\r\n"
		    "{\"return\": {\"ok\": true}, \"id\": \"tether-2\"}\r\n");
	} else {
		/* an 8 MiB answer, 512 bytes per write */
		if ((big = malloc(8 << 20)) == NULL)
			_exit(2);
		memset(big, 'x', 8 << 20);
		peer_write(fd, "{\"return\": {\"blob\": \"");
		for (i = 0; i < (8 << 20) / 512; i++)
			if (write(fd, big + i * 512, 512) != 512)
				_exit(2);
		peer_write(fd, "\"}, \"id\": \"tether-2\"}\r\n");
		free(big);
	}
	peer_line(fd, line, sizeof line);	/* until tether closes */
	_exit(0);
}

static int
setup(void **state, int answers)
{
	struct fixture		*f;
	struct sockaddr_un	 sun;
	int			 lfd;

	f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->path, sizeof f->path, "/tmp/tether-qmp-%d.sock",
	    (int)getpid());
	unlink(f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, f->path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(lfd, 1), 0);
	if ((f->pid = fork()) == 0)
		peer(lfd, answers);
	assert_true(f->pid > 0);
	close(lfd);
	f->loop = tether_loop_new();
	assert_non_null(f->loop);
	*state = f;
	return 0;
}

static int
setup_ids(void **state)
{
	return setup(state, 0);
}

static int
setup_big(void **state)
{
	return setup(state, 1);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	int		 status;

	tether_loop_free(f->loop);
	unlink(f->path);
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(f);
	return 0;
}

static struct tether_session *
open_qmp(struct fixture *f)
{
	struct tether_session	*s;
	char			 uri[128];

	snprintf(uri, sizeof uri, "qmp:unix:%s", f->path);
	if (tether_session_open(f->loop, "q", uri, NULL, 0, &s) != 0)
		fail_msg("open: %s", tether_loop_errmsg(f->loop));
	return s;
}

/* Only an answer whose id is exactly the command's is taken. */
static void
test_ids(void **state)
{
	struct fixture		*f = *state;
	struct tether_session	*s = open_qmp(f);
	json_t			*res = NULL, *ev = NULL;

	assert_int_equal(tether_qmp_execute(s, "query-status", NULL,
	    tether_now_ms() + 5000, &res), 0);
	assert_non_null(res);
	assert_true(json_is_true(json_object_get(res, "ok")));
	assert_null(json_object_get(res, "bogus"));
	json_decref(res);
	/* the event that came in between was queued */
	assert_int_equal(tether_qmp_event(s, "STOP", tether_now_ms() + 1000,
	    &ev), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "event")),
	    "STOP");
	json_decref(ev);
	tether_session_close(s);
}

/* A long answer in 512-byte writes arrives whole. */
static void
test_big_answer(void **state)
{
	struct fixture		*f = *state;
	struct tether_session	*s = open_qmp(f);
	json_t			*res = NULL;

	assert_int_equal(tether_qmp_execute(s, "query-blob", NULL,
	    tether_now_ms() + 20000, &res), 0);
	assert_int_equal(json_string_length(json_object_get(res, "blob")),
	    8 << 20);
	json_decref(res);
	tether_session_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids, setup_ids, teardown),
		cmocka_unit_test_setup_teardown(test_big_answer, setup_big,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
