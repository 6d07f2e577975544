/* SPDX-License-Identifier: ISC */
/*
 * ssh-driver.c - drives one session through the public libtether API for
 * the ssh integration test: opens URI with KEY=VALUE options, runs the
 * steps given after "--" and exits with tether(1)'s exit statuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tether.h"

#define DRIVER_MAXOPTS	32

static int	verbose;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ssh-driver [-v] [-t SECONDS] URI [KEY=VALUE]... "
	    "[-- STEP...]\n"
	    "steps: send:TEXT sendline:TEXT sendfile:PATH expect:REGEX eof\n"
	    "       status:N touch:FILE winsize:ROWSxCOLS run:MS\n");
}

/* Echoes what the session receives to stderr (-v). */
static void
driver_output(void *arg, const void *p, size_t n)
{
	fwrite(p, 1, n, stderr);
}

/* Expands \n \r \t \e \\ in place. */
static void
driver_unescape(char *s)
{
	char	*o = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'e':
			*o++ = '\033';
			break;
		default:
			*o++ = *s;
			break;
		}
	}
	*o = '\0';
}

/* Reports a failed step and returns the exit status for r. */
static int
driver_fail(struct tether_session *s, const char *step, int r)
{
	char	*tail;

	fprintf(stderr, "ssh-driver: %s: %s: %s\n", step, tether_strerror(r),
	    tether_loop_errmsg(tether_session_loop(s)));
	if ((tail = tether_session_tail(s, 5)) != NULL) {
		fprintf(stderr, "ssh-driver: last lines:\n%s\n", tail);
		free(tail);
	}
	return tether_exit_code(r);
}

/* Sends the contents of a file.  Returns 0 or a TETHER_E* code. */
static int
driver_sendfile(struct tether_session *s, const char *path, int64_t deadline)
{
	char	buf[65536];
	ssize_t	n;
	int	fd, r = 0;

	if ((fd = open(path, O_RDONLY)) == -1)
		return tether_loop_seterr(tether_session_loop(s), TETHER_EIO,
		    "%s: %s", path, strerror(errno));
	while (r == 0 && (n = read(fd, buf, sizeof buf)) > 0)
		r = tether_session_send(s, buf, (size_t)n, 0, deadline);
	close(fd);
	return r;
}

/* Runs one step.  Returns 0 or an exit status. */
static int
driver_step(struct tether_session *s, char *step, int64_t timeout)
{
	struct tether_expect	*e = NULL;
	struct tether_match	*m = NULL;
	char			*arg;
	int64_t			 deadline = tether_now_ms() + timeout;
	int			 r, status, want, rows, cols, fd;

	if ((arg = strchr(step, ':')) != NULL)
		*arg++ = '\0';
	if (strcmp(step, "send") == 0 && arg != NULL) {
		driver_unescape(arg);
		r = tether_session_send(s, arg, strlen(arg), 0, deadline);
	} else if (strcmp(step, "sendline") == 0 && arg != NULL) {
		driver_unescape(arg);
		r = tether_session_sendline(s, arg, 0, deadline);
	} else if (strcmp(step, "sendfile") == 0 && arg != NULL) {
		r = driver_sendfile(s, arg, deadline);
	} else if (strcmp(step, "expect") == 0 && arg != NULL) {
		r = tether_expect_one(s, arg, deadline, &m);
		if (r == 0 && verbose)
			fprintf(stderr, "\nssh-driver: matched %s\n",
			    tether_match_group(m, 0, NULL));
		tether_match_free(m);
	} else if (strcmp(step, "eof") == 0) {
		if ((e = tether_expect_new(tether_session_loop(s))) == NULL)
			return 1;
		if ((r = tether_expect_eof(e, s, 1)) == 0 &&
		    (r = tether_expect_run(e, deadline, &m)) == 0 &&
		    tether_match_outcome(m) != TETHER_MATCH_EOF)
			r = TETHER_ETIMEDOUT;
		tether_match_free(m);
		tether_expect_free(e);
	} else if (strcmp(step, "status") == 0 && arg != NULL) {
		want = atoi(arg);
		r = tether_session_wait(s, deadline, &status);
		if (r == 0 && status != want) {
			fprintf(stderr, "ssh-driver: exit status %d, want %d\n",
			    status, want);
			return 1;
		}
		if (r == 0)
			fprintf(stderr, "ssh-driver: exit status %d\n", status);
	} else if (strcmp(step, "touch") == 0 && arg != NULL) {
		fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd == -1) {
			fprintf(stderr, "ssh-driver: %s: %s\n", arg,
			    strerror(errno));
			return 1;
		}
		close(fd);
		r = 0;
	} else if (strcmp(step, "winsize") == 0 && arg != NULL &&
	    sscanf(arg, "%dx%d", &rows, &cols) == 2) {
		r = tether_session_set_winsize(s, rows, cols);
	} else if (strcmp(step, "run") == 0 && arg != NULL) {
		/* Runs the loop for MS milliseconds (keepalives go out). */
		deadline = tether_now_ms() + atoi(arg);
		do
			r = tether_loop_once(tether_session_loop(s), deadline);
		while (r == 0 && !tether_session_eof(s));
		if (r == TETHER_ETIMEDOUT)
			r = 0;
		else if (r == 0)
			r = TETHER_EOF;
	} else {
		fprintf(stderr, "ssh-driver: bad step \"%s\"\n", step);
		return 2;
	}
	if (r != 0)
		return driver_fail(s, step, r);
	return 0;
}

int
main(int argc, char **argv)
{
	struct tether_opt	 opts[DRIVER_MAXOPTS];
	struct tether_loop	*loop = NULL;
	struct tether_session	*s = NULL;
	const char		*uri;
	char			*eq;
	int64_t			 timeout = 10000;
	size_t			 nopts = 0;
	int			 c, i, r, ex = 0;

	if (argc == 1) {
		/* Run bare as a check program: nothing to test. */
		usage();
		return 77;
	}
	while ((c = getopt(argc, argv, "+t:v")) != -1) {
		switch (c) {
		case 't':
			timeout = (int64_t)(atof(optarg) * 1000);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind >= argc) {
		usage();
		return 2;
	}
	uri = argv[optind++];
	for (i = optind; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL ||
		    nopts == DRIVER_MAXOPTS) {
			usage();
			return 2;
		}
		*eq = '\0';
		opts[nopts].key = argv[i];
		opts[nopts].value = eq + 1;
		nopts++;
	}
	if ((loop = tether_loop_new()) == NULL)
		return 1;
	r = tether_session_open(loop, "s", uri, opts, nopts, &s);
	if (r != 0) {
		fprintf(stderr, "ssh-driver: open: %s: %s\n",
		    tether_strerror(r), tether_loop_errmsg(loop));
		tether_loop_free(loop);
		return tether_exit_code(r);
	}
	fprintf(stderr, "ssh-driver: open\n");
	if (verbose)
		tether_session_set_output(s, driver_output, NULL);
	for (i++; i < argc && ex == 0; i++)
		ex = driver_step(s, argv[i], timeout);
	tether_loop_free(loop);
	return ex;
}
