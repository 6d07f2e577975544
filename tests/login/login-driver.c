/* SPDX-License-Identifier: ISC */
/*
 * login-driver.c - logs in on console peers through the public API and
 * runs a fixed set of commands on each, for the tests/login scripts; run
 * with no arguments (as a plain check program) it skips.
 *
 * usage: login-driver [-u USER] [-p PASSWORD] [-t MS] [-k RELEASE]
 *            [-s exit|status|none] URI...
 * For every URI (opened with line-ending=cr): login, then
 *   run "uname -r"            status 0, the output RELEASE (-k) or not empty
 *   run "echo one; echo two"  status 0, "one\ntwo"
 *   run "echo hello <&>"      -s exit (default): fails at once (EFAIL) with
 *                             the shell's "syntax error" message, its
 *                             "run on NAME:" prefix said once; -s status:
 *                             succeeds with a nonzero status and the
 *                             message as output (bash); -s none: not run
 *   run "echo after"          status 0, "after" (the shell still works)
 * Prints "ok URI ..." or "FAIL URI: ..." per URI; exits 1 if one failed.
 * $LOGIN_DRIVER_CAST names an asciicast of the (last) session to write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tether.h"

#define SYNTAX_MAX_MS	5000	/* a syntax error is reported in less */

struct opts {
	const char	*user;
	const char	*password;
	const char	*release;
	const char	*syntax;
	int64_t		 timeout;
};

/* Returns the number of times needle occurs in hay. */
static int
count(const char *hay, const char *needle)
{
	int	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * Runs cmd on s; wants status 0 and output want (NULL: anything but "").
 * Returns 0 or -1 with why in err.
 */
static int
run_want(struct tether_session *s, const struct opts *o, const char *cmd,
    const char *want, char *err, size_t errlen)
{
	char	*out = NULL;
	int	 r, status, rv = -1;

	r = tether_run(s, cmd, tether_now_ms() + o->timeout, &out, &status);
	if (r != 0)
		snprintf(err, errlen, "run \"%s\": %s", cmd,
		    tether_loop_errmsg(tether_session_loop(s)));
	else if (status != 0)
		snprintf(err, errlen, "run \"%s\": status %d", cmd, status);
	else if (want != NULL ? strcmp(out, want) != 0 : *out == '\0')
		snprintf(err, errlen, "run \"%s\": output <%s>", cmd, out);
	else
		rv = 0;
	free(out);
	return rv;
}

/* The shell cannot parse the command: wants what -s says. */
static int
run_syntax(struct tether_session *s, const struct opts *o, char *err,
    size_t errlen)
{
	const char	*cmd = "echo hello <&>", *msg;
	char		*out = NULL, prefix[128];
	int64_t		 t0 = tether_now_ms(), ms;
	int		 r, status, rv = -1;

	r = tether_run(s, cmd, t0 + o->timeout, &out, &status);
	ms = tether_now_ms() - t0;
	msg = tether_loop_errmsg(tether_session_loop(s));
	snprintf(prefix, sizeof prefix, "run on %s: ",
	    tether_session_name(s));
	if (strcmp(o->syntax, "status") == 0) {
		if (r != 0)
			snprintf(err, errlen, "syntax: %s", msg);
		else if (status == 0 || strstr(out, "yntax error") == NULL)
			snprintf(err, errlen, "syntax: status %d output <%s>",
			    status, out);
		else
			rv = 0;
	} else if (r != TETHER_EFAIL)
		snprintf(err, errlen, "syntax: %s (%s), want a failure",
		    tether_strerror(r), r != 0 ? msg : "succeeded");
	else if (strstr(msg, "yntax error") == NULL)
		snprintf(err, errlen, "syntax: no shell message in <%s>", msg);
	else if (count(msg, prefix) != 1)
		snprintf(err, errlen, "syntax: prefix not once in <%s>", msg);
	else
		rv = 0;
	if (rv == 0 && ms > SYNTAX_MAX_MS) {
		snprintf(err, errlen, "syntax: took %lld ms", (long long)ms);
		rv = -1;
	}
	if (rv == 0)
		printf("  syntax error after %lld ms: %s\n", (long long)ms,
		    r != 0 ? msg : out);
	free(out);
	return rv;
}

/* Logs in on uri and runs the commands.  Returns 0 or -1. */
static int
drive(const struct opts *o, const char *uri)
{
	struct tether_loop		*loop;
	struct tether_session		*s = NULL;
	struct tether_opt		 eol = { "line-ending", "cr" };
	struct tether_login_opts	 lo;
	char				 err[2048] = "";
	int64_t				 t0 = tether_now_ms(), tl = 0;
	int				 r, rv = -1;

	if ((loop = tether_loop_new()) == NULL)
		return -1;
	memset(&lo, 0, sizeof lo);
	lo.user = o->user;
	lo.password = o->password;
	if ((r = tether_session_open(loop, "g", uri, &eol, 1, &s)) != 0) {
		snprintf(err, sizeof err, "open: %s", tether_loop_errmsg(loop));
		goto out;
	}
	if (getenv("LOGIN_DRIVER_CAST") != NULL &&
	    tether_session_set_log(s, NULL, getenv("LOGIN_DRIVER_CAST")) != 0)
		fprintf(stderr, "login-driver: cannot write the cast\n");
	if ((r = tether_login(s, &lo, t0 + o->timeout)) != 0) {
		snprintf(err, sizeof err, "login: %s (%s)",
		    tether_loop_errmsg(loop), tether_strerror(r));
		goto out;
	}
	tl = tether_now_ms() - t0;
	if (run_want(s, o, "uname -r", o->release, err, sizeof err) != 0 ||
	    run_want(s, o, "echo one; echo two", "one\ntwo", err,
	    sizeof err) != 0)
		goto out;
	if (strcmp(o->syntax, "none") != 0 &&
	    run_syntax(s, o, err, sizeof err) != 0)
		goto out;
	if (run_want(s, o, "echo after", "after", err, sizeof err) != 0)
		goto out;
	rv = 0;
out:
	if (rv == 0)
		printf("ok %s login=%lldms total=%lldms\n", uri, (long long)tl,
		    (long long)(tether_now_ms() - t0));
	else {
		printf("FAIL %s: %s\n", uri, err);
		if (s != NULL) {
			char	*tail = tether_session_tail(s, 12);

			printf("%s\n", tail != NULL ? tail : "");
			free(tail);
		}
	}
	fflush(stdout);
	tether_loop_free(loop);
	return rv;
}

int
main(int argc, char **argv)
{
	struct opts	o = { "root", "tether-guest-pw", NULL, "exit", 30000 };
	int		c, failed = 0, i;

	if (argc < 2) {
		printf("login-driver: no peer given, skipped\n");
		return 77;
	}
	while ((c = getopt(argc, argv, "u:p:t:k:s:")) != -1) {
		switch (c) {
		case 'u':
			o.user = optarg;
			break;
		case 'p':
			o.password = optarg;
			break;
		case 't':
			o.timeout = strtoll(optarg, NULL, 10);
			break;
		case 'k':
			o.release = optarg;
			break;
		case 's':
			o.syntax = optarg;
			break;
		default:
			return 2;
		}
	}
	for (i = optind; i < argc; i++) {
		if (drive(&o, argv[i]) != 0)
			failed++;
	}
	printf("login-driver: %d ok, %d failed\n", argc - optind - failed,
	    failed);
	return failed > 0 ? 1 : 0;
}
