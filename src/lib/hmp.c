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
#include "monitor-parse.h"
#include "proto.h"
#include "session.h"
#include "tether.h"

#define HMP_PROMPT_RE	"^\\(qemu\\) "
#define HMP_QMP_RE	"\\{\\s*\"QMP\"\\s*:"

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
		if (cmd == NULL)
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
	s->proto = SESSION_PROTO_HMP;
	s->proto_state = h;
	s->proto_free = hmp_free;
	if ((r = hmp_wait(s, NULL, deadline, &h->greeting)) != 0)
		return r;
	return 0;
}

int
tether_hmp_command(struct tether_session *s, const char *cmd,
    int64_t deadline, char **out)
{
	struct tether_loop	*loop = tether_session_loop(s);
	char			*line = NULL, *text = NULL;
	int			 r;

	if (out != NULL)
		*out = NULL;
	if (s->proto != SESSION_PROTO_HMP)
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
