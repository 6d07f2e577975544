/* SPDX-License-Identifier: ISC */
/*
 * hmp.c - the QEMU human monitor on a session: waits for the "(qemu) "
 * prompt, runs one command at a time and returns its output without the
 * echoed command line, the escape sequences and the prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmp.h"
#include "loop.h"
#include "monitor-parse.h"
#include "session.h"
#include "tether.h"

#define HMP_PROMPT_RE	"^\\(qemu\\) "
#define HMP_QMP_RE	"\\{\\s*\"QMP\"\\s*:"
#define HMP_STATE	"hmp"		/* its session_state_get key */

struct hmp {
	char	*greeting;	/* the banner before the first prompt */
};

static void
hmp_free(void *p)
{
	struct hmp	*h = p;

	if (h == NULL)
		return;
	free(h->greeting);
	free(h);
}

int
hmp_arm(struct tether_expect *e, struct tether_session *s, int greeting)
{
	int	r;

	if ((r = tether_expect_regex(e, s, HMP_PROMPT_RE, TETHER_RE_MULTILINE,
	    HMP_BRANCH_PROMPT)) != 0 ||
	    (r = tether_expect_eof(e, s, HMP_BRANCH_EOF)) != 0)
		return r;
	if (greeting)
		r = tether_expect_regex(e, s, HMP_QMP_RE, 0, HMP_BRANCH_QMP);
	return r;
}

int
hmp_reply(struct tether_session *s, const struct tether_match *m,
    const char *cmd, char **out)
{
	struct tether_loop	*loop = tether_session_loop(s);
	const char		*text;
	size_t			 len;
	int			 r = 0;

	*out = NULL;
	switch (tether_match_outcome(m)) {
	case TETHER_MATCH_PATTERN:
		if (tether_match_id(m) == HMP_BRANCH_QMP) {
			r = tether_loop_seterr(loop, TETHER_EPROTO, "hmp %s: "
			    "%s is a QMP monitor (open it as qmp:)",
			    tether_session_name(s), tether_session_uri(s));
			break;
		}
		text = tether_match_before(m, &len);
		if ((*out = monitor_clean(text, len, cmd)) == NULL)
			r = TETHER_ENOMEM;
		break;
	case TETHER_MATCH_EOF:
		text = tether_session_pending(s, &len);
		if ((*out = monitor_clean(text, len, cmd)) == NULL) {
			r = TETHER_ENOMEM;
			break;
		}
		tether_session_flush(s);
		if (cmd != NULL && monitor_is_quit(cmd))
			break;
		if (s->state == SESSION_ERROR)
			r = tether_loop_seterr(loop, s->err, "hmp %s: %s while "
			    "waiting for the (qemu) prompt%s%s%s",
			    tether_session_name(s), tether_strerror(s->err),
			    cmd != NULL ? " after \"" : "",
			    cmd != NULL ? cmd : "", cmd != NULL ? "\"" : "");
		else
			r = tether_loop_seterr(loop, TETHER_EOF, "hmp %s: the "
			    "monitor closed the connection%s%s%s",
			    tether_session_name(s),
			    cmd != NULL ? " after \"" : "",
			    cmd != NULL ? cmd : "", cmd != NULL ? "\"" : "");
		break;
	default:
		r = TETHER_ETIMEDOUT;
		if (cmd == NULL && s->rx_bytes == 0)
			tether_loop_seterr(loop, r, "hmp %s: no (qemu) prompt "
			    "from %s, nothing at all, within %lld ms, though "
			    "it accepted the connection: another client "
			    "probably holds the monitor (QEMU serves one "
			    "client per chardev), or QEMU is stopped",
			    tether_session_name(s), tether_session_uri(s),
			    (long long)tether_match_waited(m));
		else if (cmd == NULL)
			tether_loop_seterr(loop, r, "hmp %s: no (qemu) prompt "
			    "from %s within %lld ms: is it a QEMU human "
			    "monitor, and is QEMU answering?",
			    tether_session_name(s), tether_session_uri(s),
			    (long long)tether_match_waited(m));
		else
			tether_loop_seterr(loop, r, "hmp %s: no (qemu) prompt "
			    "within %lld ms after \"%s\": the monitor did not "
			    "answer", tether_session_name(s),
			    (long long)tether_match_waited(m), cmd);
		break;
	}
	if (r != 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/*
 * Waits for the prompt after cmd (NULL: the first prompt) and puts the
 * cleaned text before it in *out.  Returns as hmp_reply does, or
 * TETHER_EINTR.
 */
static int
hmp_wait(struct tether_session *s, const char *cmd, int64_t deadline,
    char **out)
{
	struct tether_expect	*e = NULL;
	struct tether_match	*m = NULL;
	int			 r;

	*out = NULL;
	if ((e = tether_expect_new(tether_session_loop(s))) == NULL)
		return TETHER_ENOMEM;
	if ((r = hmp_arm(e, s, cmd == NULL)) == 0 &&
	    (r = tether_expect_run(e, deadline, &m)) == 0)
		r = hmp_reply(s, m, cmd, out);
	tether_match_free(m);
	tether_expect_free(e);
	return r;
}

int
hmp_open(struct tether_session *s, int64_t deadline)
{
	struct hmp	*h;
	int		 r;

	if ((h = calloc(1, sizeof *h)) == NULL)
		return TETHER_ENOMEM;
	if ((r = session_state_set(s, HMP_STATE, h, hmp_free)) != 0)
		return r;
	return hmp_wait(s, NULL, deadline, &h->greeting);
}

static int
hmp_command(struct tether_session *s, const char *cmd, int64_t deadline,
    char **out)
{
	struct tether_loop	*loop = tether_session_loop(s);
	char			*line = NULL, *text = NULL;
	int			 r;

	if (out != NULL)
		*out = NULL;
	if (session_state_get(s, HMP_STATE) == NULL)
		return tether_loop_seterr(loop, TETHER_ENOTSUP, "%s is not an "
		    "hmp: session", tether_session_name(s));
	if (strpbrk(cmd, "\r\n") != NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL, "hmp %s: one "
		    "command per line", tether_session_name(s));
	if (asprintf(&line, "%s\r", cmd) == -1)
		return TETHER_ENOMEM;
	/* Output nobody asked for (a late prompt) must not answer cmd. */
	tether_session_flush(s);
	if ((r = tether_session_send(s, line, strlen(line), 0,
	    deadline)) != 0)
		goto out;
	if ((r = hmp_wait(s, cmd, deadline, &text)) != 0)
		goto out;
	if (out != NULL) {
		*out = text;
		text = NULL;
	}
out:
	free(text);
	free(line);
	return r;
}

int
tether_hmp_command(struct tether_session *s, const char *cmd,
    int64_t deadline, char **out)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, hmp_command(s, cmd, deadline, out));
}

/*
 * How QEMU's human monitor refuses a command.  Each form is anchored to
 * the start of a line, as QEMU prints it (monitor/hmp.c and the command
 * handlers), so that text inside a line (a device named "Error") never
 * counts:
 *
 *  - the last line is 'Try "help CMD" for more information': the
 *    arguments did not parse; the line before says why ("CMD: string
 *    expected", "CMD: extraneous characters at the end of line",
 *    "invalid char 'x' in expression", ...);
 *  - the first line begins with one of hmp_refusals[];
 *  - any line begins with "Error: " (hmp_handle_error, after progress
 *    lines), except in the output of an info command, where a line
 *    "ID: key=value..." lists a chardev or netdev whose id is "Error"
 *    (there only the first line counts, and not in that form).
 */
static const char *const hmp_refusals[] = {
	"Error: ",		/* every command backed by a QMP command */
	"unknown command: ",	/* no such command or info subcommand */
	"invalid parameter",	/* sendkey nosuchkey */
	"invalid CPU index",	/* cpu N */
	"Could not ",		/* files and devices (memsave, ...) */
	"could not ",
	"No CPU available",	/* info registers, cpu on -machine none */
	NULL
};

#define HMP_TRY_HELP	"Try \"help "
#define HMP_TRY_END	"\" for more information"

/* Returns nonzero when the len bytes at p begin with the string s. */
static int
hmp_begins(const char *p, size_t len, const char *s)
{
	size_t	n = strlen(s);

	return len >= n && memcmp(p, s, n) == 0;
}

/*
 * Returns nonzero when the line p (len bytes) reads "Error: key=value...":
 * info chardev or info network listing a device whose id is "Error".
 */
static int
hmp_listing(const char *p, size_t len)
{
	size_t	i = 7;		/* after "Error: " */

	while (i < len && (p[i] == '_' || p[i] == '-' || p[i] == '.' ||
	    (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
	    (p[i] >= '0' && p[i] <= '9')))
		i++;
	return i > 7 && i < len && p[i] == '=';
}

/*
 * reply := { line } ; refused := parse-error | first-line-refusal |
 * error-line  (see above).  Returns nonzero when text refuses cmd; *keep
 * is the length of text to quote (without the "Try help" line).
 */
static int
hmp_refused(const char *cmd, const char *text, size_t *keep)
{
	const char	*p, *nl, *last = NULL;
	size_t		 len, n, i;
	int		 info, first = 1, r = 0;

	info = strncmp(cmd, "info", 4) == 0 && (cmd[4] == ' ' ||
	    cmd[4] == '\0');
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	    text[len - 1] == ' '))
		len--;
	*keep = len;
	for (p = text; p < text + len; p = nl + 1, first = 0) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			nl = text + len;
		n = (size_t)(nl - p);
		last = p;
		if (first) {
			for (i = 0; hmp_refusals[i] != NULL; i++) {
				if (hmp_begins(p, n, hmp_refusals[i]) &&
				    !(info && i == 0 && hmp_listing(p, n)))
					r = 1;
			}
		} else if (!info && hmp_begins(p, n, "Error: "))
			r = 1;
	}
	if (last != NULL && hmp_begins(last, (size_t)(text + len - last),
	    HMP_TRY_HELP) && (size_t)(text + len - last) >=
	    strlen(HMP_TRY_END) && memcmp(text + len - strlen(HMP_TRY_END),
	    HMP_TRY_END, strlen(HMP_TRY_END)) == 0) {
		r = 1;
		if (last > text)
			*keep = (size_t)(last - text) - 1;
	}
	return r;
}

int
tether_hmp_error(const char *cmd, const char *text, char **msg)
{
	size_t	keep, i;
	char	*m;

	if (msg != NULL)
		*msg = NULL;
	if (cmd == NULL || text == NULL || !hmp_refused(cmd, text, &keep))
		return 0;
	if (msg == NULL)
		return 1;
	if ((m = strndup(text, keep)) == NULL)
		return TETHER_ENOMEM;
	for (i = 0; m[i] != '\0'; i++) {
		if (m[i] == '\n' || m[i] == '\r' || m[i] == '\t')
			m[i] = ' ';
	}
	*msg = m;
	return 1;
}
