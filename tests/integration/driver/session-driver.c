/* SPDX-License-Identifier: ISC */
/*
 * session-driver.c - drives one session through the public API, step by
 * step, for tests/integration/telnet.sh and monitor.sh; run with no
 * arguments (as a plain check program) it skips.
 *
 * usage: session-driver URI STEP...
 *   expect=RE        wait for RE, print "match: $0"
 *   send=TEXT        send TEXT (escapes \r \n \e \\ \xHH)
 *   sendline=TEXT    send TEXT and the session's line ending
 *   winsize=RxC      propagate a window size (NAWS)
 *   eof              wait for end of file
 *   hmp=COMMAND      run an HMP command, print its output
 *   qmp=COMMAND[ ARGS-JSON]   execute a QMP command, print the return
 *   qmp-event=NAME   wait for a QMP event (queued or future), print it
 *   sh=COMMAND       run a shell command (system(3)); must exit 0
 *   timeout=MS       deadline of each later step (default 10000)
 *   want=STATUS      the next step must fail with STATUS (timeout, eof,
 *                    remote...): the driver checks it and goes on
 * It fails if the bytes handed up by the transport hold a telnet command
 * (IAC followed by 240-254): negotiation leaked into the session's data.
 * A data byte 255 alone is legitimate.  The bytes received are written to
 * $SESSION_DRIVER_RAW if set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tether.h"

struct rx {
	size_t	 iac;		/* telnet commands seen */
	int	 last;		/* previous byte */
	FILE	*raw;
};

static int64_t	step_ms = 10000;

static void
on_output(void *arg, const void *p, size_t n)
{
	struct rx		*rx = arg;
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (rx->last == 0xff && b[i] >= 0xf0 && b[i] <= 0xfe)
			rx->iac++;
		rx->last = b[i];
	}
	if (rx->raw != NULL)
		fwrite(p, 1, n, rx->raw);
}

/* Decodes the escapes of TEXT into a new buffer; *len gets its length. */
static char *
unescape(const char *s, size_t *len)
{
	char	*out, *o;
	char	 hex[3] = { 0 };

	if ((out = malloc(strlen(s) + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 'r':
			*o++ = '\r';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'e':
			*o++ = '\033';
			break;
		case 'x':
			if (s[1] != '\0' && s[2] != '\0') {
				hex[0] = s[1];
				hex[1] = s[2];
				*o++ = (char)strtol(hex, NULL, 16);
				s += 2;
			}
			break;
		default:
			*o++ = *s;
			break;
		}
	}
	*len = (size_t)(o - out);
	return out;
}

static void
print_json(const char *what, json_t *v)
{
	char	*text;

	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	printf("%s: %s\n", what, text != NULL ? text : "?");
	free(text);
}

static int
step_qmp(struct tether_session *s, const char *arg, int64_t deadline)
{
	json_t		*args = NULL, *res = NULL;
	json_error_t	 jerr;
	char		*cmd, *sp;
	int		 r;

	if ((cmd = strdup(arg)) == NULL)
		return TETHER_ENOMEM;
	if ((sp = strchr(cmd, ' ')) != NULL) {
		*sp++ = '\0';
		if ((args = json_loads(sp, 0, &jerr)) == NULL) {
			fprintf(stderr, "session-driver: %s: %s\n", sp,
			    jerr.text);
			free(cmd);
			return TETHER_EINVAL;
		}
	}
	r = tether_qmp_execute(s, cmd, args, deadline, &res);
	if (r == 0)
		print_json("qmp", res);
	json_decref(res);
	json_decref(args);
	free(cmd);
	return r;
}

static int
step(struct tether_session *s, const char *arg)
{
	struct tether_match	*m = NULL;
	struct tether_expect	*e;
	int64_t			 deadline = tether_now_ms() + step_ms;
	json_t			*ev = NULL;
	char			*text;
	size_t			 len;
	int			 r, rows, cols;

	if (strncmp(arg, "expect=", 7) == 0) {
		r = tether_expect_one(s, arg + 7, deadline, &m);
		if (r == 0)
			printf("match: %s\n", tether_match_group(m, 0, NULL));
		tether_match_free(m);
		return r;
	}
	if (strncmp(arg, "send=", 5) == 0 ||
	    strncmp(arg, "sendline=", 9) == 0) {
		text = unescape(strchr(arg, '=') + 1, &len);
		if (text == NULL)
			return TETHER_ENOMEM;
		r = tether_session_send(s, text, len, 0, deadline);
		if (r == 0 && arg[4] == 'l')
			r = tether_session_send(s, tether_session_eol(s),
			    strlen(tether_session_eol(s)), 0, deadline);
		free(text);
		return r;
	}
	if (sscanf(arg, "winsize=%dx%d", &rows, &cols) == 2)
		return tether_session_set_winsize(s, rows, cols);
	if (strcmp(arg, "eof") == 0) {
		if ((e = tether_expect_new(tether_session_loop(s))) == NULL)
			return TETHER_ENOMEM;
		if ((r = tether_expect_eof(e, s, 1)) == 0 &&
		    (r = tether_expect_run(e, deadline, &m)) == 0 &&
		    tether_match_outcome(m) != TETHER_MATCH_EOF)
			r = TETHER_ETIMEDOUT;
		tether_match_free(m);
		tether_expect_free(e);
		return r;
	}
	if (strncmp(arg, "hmp=", 4) == 0) {
		r = tether_hmp_command(s, arg + 4, deadline, &text);
		if (r == 0)
			printf("hmp: %s", text);
		free(text);
		return r;
	}
	if (strncmp(arg, "qmp=", 4) == 0)
		return step_qmp(s, arg + 4, deadline);
	if (strncmp(arg, "qmp-event=", 10) == 0) {
		r = tether_qmp_event(s, arg + 10, deadline, &ev);
		if (r == 0)
			print_json("event", json_object_get(ev, "event"));
		json_decref(ev);
		return r;
	}
	if (strncmp(arg, "sh=", 3) == 0)
		return system(arg + 3) == 0 ? 0 : TETHER_EFAIL;
	if (strncmp(arg, "timeout=", 8) == 0) {
		step_ms = strtoll(arg + 8, NULL, 10);
		return 0;
	}
	fprintf(stderr, "session-driver: bad step %s\n", arg);
	return TETHER_EINVAL;
}

static int
status_code(const char *name)
{
	static const struct {
		const char	*name;
		int		 r;
	} codes[] = {
		{ "timeout", TETHER_ETIMEDOUT }, { "eof", TETHER_EOF },
		{ "remote", TETHER_EREMOTE }, { "proto", TETHER_EPROTO },
		{ "inval", TETHER_EINVAL }, { "notsup", TETHER_ENOTSUP },
	};
	size_t	i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(name, codes[i].name) == 0)
			return codes[i].r;
	return 0;
}

int
main(int argc, char **argv)
{
	struct tether_loop	*loop;
	struct tether_session	*s = NULL;
	struct tether_opt	 opt = { "connect-within", "10s" };
	struct rx		 rx = { 0, 0, NULL };
	const char		*raw;
	char			*tail;
	int			 i = 1, r = 0, want = 0;

	if (argc < 2) {
		fprintf(stderr, "session-driver: run by the .sh tests; "
		    "skipped\n");
		return 77;
	}
	if ((raw = getenv("SESSION_DRIVER_RAW")) != NULL &&
	    (rx.raw = fopen(raw, "wb")) == NULL)
		return 1;
	if ((loop = tether_loop_new()) == NULL)
		return 1;
	r = tether_session_open(loop, "con", argv[1], &opt, 1, &s);
	if (r == 0) {
		tether_session_set_output(s, on_output, &rx);
		for (i = 2; i < argc && r == 0; i++) {
			if (strncmp(argv[i], "want=", 5) == 0) {
				want = status_code(argv[i] + 5);
				continue;
			}
			r = step(s, argv[i]);
			if (want == 0)
				continue;
			if (r != want) {
				fprintf(stderr, "session-driver: step %d: "
				    "wanted %s, got %s\n", i - 1,
				    tether_strerror(want), tether_strerror(r));
				r = r != 0 ? r : TETHER_EFAIL;
				i++;
				break;
			}
			printf("failed as wanted: %s\n",
			    tether_loop_errmsg(loop));
			r = 0;
			want = 0;
		}
	}
	if (r != 0) {
		fprintf(stderr, "session-driver: step %d: %s: %s\n", i - 1,
		    tether_strerror(r), tether_loop_errmsg(loop));
		if (s != NULL && (tail = tether_session_tail(s, 10)) != NULL) {
			fprintf(stderr, "last output:\n%s\n", tail);
			free(tail);
		}
	} else if (rx.iac != 0) {
		fprintf(stderr, "session-driver: %zu telnet commands reached "
		    "the session\n", rx.iac);
		r = TETHER_EPROTO;
	}
	fflush(stdout);
	tether_session_close(s);
	tether_loop_free(loop);
	if (rx.raw != NULL)
		fclose(rx.raw);
	return r == 0 ? 0 : 1;
}
