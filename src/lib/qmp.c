/* SPDX-License-Identifier: ISC */
/*
 * qmp.c - QEMU's QMP on a session: greeting and capabilities on open,
 * commands matched to their answers by "id", events queued until asked.
 * A qmp: session's reader parses each line as it arrives (from its own
 * offset into the view) into an inbox; the view is consumed as the
 * commands take the messages.  The reader never follows the session's
 * consumed point, so an expect on the session (which consumes up to its
 * match) cannot cut a line in two: qmp and qmp-event see every message,
 * expect sees the text no command has taken yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "loop.h"
#include "qmp.h"
#include "session.h"
#include "tether.h"

#define QMP_MATCH_MAX	(16 * 1024 * 1024) /* longest answer kept */
#define QMP_EVENTS_MAX	4096		/* events kept queued */
#define QMP_STATE	"qmp"		/* its session_state_get key */
#define QMP_POLL_ROUNDS	64		/* reads of what already arrived */

/* A message read, and the end of its line in the view. */
struct qmp_msg {
	json_t			*msg;
	uint64_t		 end;
};

struct qmp {
	struct tether_session	*s;
	struct session_reader	*reader;
	json_t			*greeting;	/* {"QMP": {...}} */
	json_t			*events;	/* queued, oldest first */
	unsigned long long	 next_id;
	struct qmp_msg		*inbox;		/* read, not taken yet */
	size_t			 ninbox;
	uint64_t		 off;		/* the reader's offset */
	size_t			 seen;		/* bytes there with no LF */
	int			 bad;		/* a line that is not QMP */
	uint64_t		 bad_end;	/* its end */
	char			 why[160];	/* what is wrong with it */
};

static void
qmp_free(void *p)
{
	struct qmp	*q = p;
	size_t		 i;

	if (q == NULL)
		return;
	session_reader_del(q->s, q->reader);
	for (i = 0; i < q->ninbox; i++)
		json_decref(q->inbox[i].msg);
	free(q->inbox);
	json_decref(q->greeting);
	json_decref(q->events);
	free(q);
}

static void
qmp_queue(struct qmp *q, json_t *ev)
{
	if (json_array_size(q->events) >= QMP_EVENTS_MAX)
		json_array_remove(q->events, 0);
	json_array_append(q->events, ev);
}

/*
 * stream := { line } ;  line := [ JSON-object ] [ CR ] LF
 * (a line with nothing but a CR is blank)
 */
int
qmp_next(const char *p, size_t len, size_t *seen, size_t *used,
    json_t **msg, json_error_t *jerr)
{
	const char	*line, *nl;
	size_t		 off = 0, n;

	*msg = NULL;
	*used = 0;
	for (;;) {
		if (*seen > len - off)
			*seen = len - off;
		nl = memchr(p + off + *seen, '\n', len - off - *seen);
		if (nl == NULL) {
			*seen = len - off;
			*used = off;
			return 0;
		}
		line = p + off;
		n = (size_t)(nl - line);
		off += n + 1;
		*seen = 0;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > 0)
			break;
	}
	*used = off;
	if ((*msg = json_loadb(line, n, 0, jerr)) != NULL &&
	    json_is_object(*msg))
		return 1;
	if (*msg != NULL)
		snprintf(jerr->text, sizeof jerr->text, "%s, not an object",
		    json_is_array(*msg) ? "an array" : "a scalar");
	json_decref(*msg);
	*msg = NULL;
	return TETHER_EPROTO;
}

int
qmp_classify(json_t *msg, const char *id)
{
	json_t	*mid;

	if (json_object_get(msg, "event") != NULL)
		return QMP_EVENT;
	if (json_object_get(msg, "return") == NULL &&
	    json_object_get(msg, "error") == NULL)
		return QMP_OTHER;
	/* An answer to an earlier command given up on is not ours. */
	mid = json_object_get(msg, "id");
	if (mid != NULL && (!json_is_string(mid) ||
	    json_string_length(mid) != strlen(id) ||
	    memcmp(json_string_value(mid), id, strlen(id)) != 0))
		return QMP_OTHER;
	return QMP_ANSWER;
}

/*
 * Reads the complete lines after the reader's offset into the inbox,
 * stopping at one that is not a QMP message.  Messages whose text the
 * view dropped unread are dropped too (as the view is, the inbox is
 * bounded by match-max).
 */
static void
qmp_scan(struct qmp *q)
{
	struct tether_session	*s = q->s;
	struct qmp_msg		*in;
	const char		*p;
	size_t			 len, used, n;
	uint64_t		 base;
	json_error_t		 jerr;
	json_t			*msg;
	int			 r;

	for (n = 0; n < q->ninbox && q->inbox[n].end <= s->view_base; n++)
		json_decref(q->inbox[n].msg);
	if (n > 0) {
		q->ninbox -= n;
		memmove(q->inbox, q->inbox + n, q->ninbox * sizeof *q->inbox);
	}
	while (!q->bad) {
		p = session_view_at(s, q->off, &len);
		if (session_view_end(s) - len != q->off)
			q->seen = 0;	/* dropped from the view */
		base = session_view_end(s) - len;
		r = qmp_next(p, len, &q->seen, &used, &msg, &jerr);
		q->off = base + used;
		if (r == 0)
			return;
		if (r < 0) {
			q->bad = 1;
			q->bad_end = q->off;
			snprintf(q->why, sizeof q->why, "%s", jerr.text);
			return;
		}
		if ((in = realloc(q->inbox, (q->ninbox + 1) *
		    sizeof *in)) == NULL) {
			json_decref(msg);
			q->off = base;	/* again next time */
			return;
		}
		q->inbox = in;
		q->inbox[q->ninbox].msg = msg;
		q->inbox[q->ninbox].end = q->off;
		q->ninbox++;
	}
}

/* The session reader: each piece of input is parsed as it comes. */
static void
qmp_reader(struct tether_session *s, int ev, const char *p, size_t n,
    void *arg)
{
	if (ev == SESSION_VIEW)
		qmp_scan(arg);
}

/*
 * Takes the next message already read.  Returns 1 and a new reference in
 * *msg, 0 when there is none, or TETHER_EPROTO (a line that is not JSON).
 */
static int
qmp_take(struct qmp *q, json_t **msg)
{
	struct tether_session	*s = q->s;

	*msg = NULL;
	qmp_scan(q);
	if (q->ninbox > 0) {
		*msg = q->inbox[0].msg;
		session_consume(s, q->inbox[0].end);
		memmove(q->inbox, q->inbox + 1, --q->ninbox *
		    sizeof *q->inbox);
		return 1;
	}
	if (q->bad) {
		q->bad = 0;
		session_consume(s, q->bad_end);
		return tether_loop_seterr(s->loop, TETHER_EPROTO, "qmp %s: "
		    "not a QMP message (%s): is %s a QMP monitor?",
		    tether_session_name(s), q->why, tether_session_uri(s));
	}
	session_consume(s, q->off);	/* blank lines */
	return 0;
}

/*
 * Reads what has already arrived on the loop's connections, without
 * waiting for more: rounds bounded by 1 ms (the loop has no round that
 * polls without a wait) while s keeps receiving.  Returns 0 or EINTR.
 */
static int
qmp_poll(struct tether_session *s)
{
	uint64_t	rx;
	int		i, r;

	for (i = 0; i < QMP_POLL_ROUNDS && !session_done(s); i++) {
		rx = s->rx_bytes;
		r = tether_loop_once(s->loop, tether_now_ms() + 1);
		if (r == TETHER_EINTR)
			return r;
		if (r != 0 || s->rx_bytes == rx)
			break;
	}
	return 0;
}

/*
 * Takes the next message of s.  Returns 0 and a new reference in *msg,
 * TETHER_ETIMEDOUT, TETHER_EOF, TETHER_EPROTO (not JSON) or EINTR.
 */
static int
qmp_read(struct tether_session *s, int64_t deadline, json_t **msg)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qmp		*q = session_state_get(s, QMP_STATE);
	int			 r;

	*msg = NULL;
	for (;;) {
		if ((r = qmp_take(q, msg)) != 0)
			return r < 0 ? r : 0;
		if (s->state == SESSION_EOF)
			return tether_loop_seterr(loop, TETHER_EOF, "qmp %s: "
			    "the monitor closed the connection",
			    tether_session_name(s));
		if (s->state == SESSION_ERROR)
			return tether_loop_seterr(loop, s->err, "qmp %s: %s",
			    tether_session_name(s), tether_strerror(s->err));
		r = tether_loop_once(loop, deadline);
		if (r != 0)
			return r;
	}
}

static int
qmp_matches(json_t *ev, const char *event)
{
	const char	*name;

	if (event == NULL)
		return 1;
	name = json_string_value(json_object_get(ev, "event"));
	return name != NULL && strcmp(name, event) == 0;
}

static int
qmp_execute(struct tether_session *s, const char *cmd, json_t *args,
    int64_t deadline, json_t **result)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qmp		*q = session_state_get(s, QMP_STATE);
	json_t			*req = NULL, *msg = NULL, *err;
	char			*text = NULL, id[32];
	const char		*desc, *cls;
	int64_t			 start = tether_now_ms();
	int			 r, kind;

	if (result != NULL)
		*result = NULL;
	if (q == NULL)
		return tether_loop_seterr(loop, TETHER_ENOTSUP, "%s is not a "
		    "qmp: session", tether_session_name(s));
	if (args != NULL && !json_is_object(args))
		return tether_loop_seterr(loop, TETHER_EINVAL, "qmp %s: the "
		    "arguments of %s must be an object", tether_session_name(s),
		    cmd);
	snprintf(id, sizeof id, "tether-%llu", ++q->next_id);
	if ((req = json_pack("{s:s, s:s}", "execute", cmd, "id", id)) ==
	    NULL || (args != NULL &&
	    json_object_set(req, "arguments", args) != 0) ||
	    (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	if ((r = tether_session_sendline(s, text, 0, deadline)) != 0)
		goto out;
	for (;;) {
		json_decref(msg);
		if ((r = qmp_read(s, deadline, &msg)) != 0)
			break;
		kind = qmp_classify(msg, id);
		if (kind == QMP_EVENT)
			qmp_queue(q, msg);
		/*
		 * QEMU echoes our id, so a "return" without one answers a
		 * line sent by hand (send + expect); an "error" without one
		 * is QEMU's answer to a line it could not parse: ours.
		 */
		if (kind == QMP_ANSWER && json_object_get(msg, "id") ==
		    NULL && json_object_get(msg, "return") != NULL)
			kind = QMP_OTHER;
		if (kind != QMP_ANSWER)
			continue;
		if ((err = json_object_get(msg, "error")) != NULL) {
			desc = json_string_value(json_object_get(err, "desc"));
			cls = json_string_value(json_object_get(err, "class"));
			r = tether_loop_seterr(loop, TETHER_EREMOTE,
			    "qmp %s: %s: %s (%s)", tether_session_name(s), cmd,
			    desc != NULL ? desc : "error",
			    cls != NULL ? cls : "no class");
			break;
		}
		if (result != NULL)
			*result = json_incref(json_object_get(msg, "return"));
		break;
	}
	if (r == TETHER_ETIMEDOUT)
		r = tether_loop_seterr(loop, r, "qmp %s: no answer to %s "
		    "within %lld ms", tether_session_name(s), cmd,
		    (long long)(tether_now_ms() - start));
out:
	json_decref(msg);
	json_decref(req);
	free(text);
	return r;
}

int
tether_qmp_execute(struct tether_session *s, const char *cmd, json_t *args,
    int64_t deadline, json_t **result)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, qmp_execute(s, cmd, args, deadline,
	    result));
}

static int
qmp_event(struct tether_session *s, const char *event, int64_t deadline,
    json_t **ev)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qmp		*q = session_state_get(s, QMP_STATE);
	json_t			*msg = NULL;
	size_t			 i;
	int64_t			 start = tether_now_ms();
	int			 r;

	*ev = NULL;
	if (q == NULL)
		return tether_loop_seterr(loop, TETHER_ENOTSUP, "%s is not a "
		    "qmp: session", tether_session_name(s));
	json_array_foreach(q->events, i, msg) {
		if (qmp_matches(msg, event)) {
			*ev = json_incref(msg);
			json_array_remove(q->events, i);
			return 0;
		}
	}
	/* within 0s polls: what already arrived counts. */
	if ((r = qmp_poll(s)) != 0)
		return r;
	for (;;) {
		if ((r = qmp_read(s, deadline, &msg)) != 0)
			break;
		if (json_object_get(msg, "event") != NULL) {
			if (qmp_matches(msg, event)) {
				*ev = msg;
				return 0;
			}
			qmp_queue(q, msg);
		}
		json_decref(msg);
	}
	if (r == TETHER_ETIMEDOUT)
		r = tether_loop_seterr(loop, r, "qmp %s: no %s event within "
		    "%lld ms", tether_session_name(s),
		    event != NULL ? event : "QMP",
		    (long long)(tether_now_ms() - start));
	return r;
}

int
tether_qmp_event(struct tether_session *s, const char *event,
    int64_t deadline, json_t **ev)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, qmp_event(s, event, deadline, ev));
}

static int
qmp_drain(struct tether_session *s, const char *event, json_t **events)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qmp		*q = session_state_get(s, QMP_STATE);
	json_t			*out = NULL, *msg = NULL;
	size_t			 i;
	int			 r;

	*events = NULL;
	if (q == NULL)
		return tether_loop_seterr(loop, TETHER_ENOTSUP, "%s is not a "
		    "qmp: session", tether_session_name(s));
	if ((r = qmp_poll(s)) != 0)
		return r;
	/* What arrived joins the queue; answers nobody waits for go. */
	while ((r = qmp_take(q, &msg)) == 1) {
		if (json_object_get(msg, "event") != NULL)
			qmp_queue(q, msg);
		json_decref(msg);
	}
	if (r < 0)
		return r;
	if ((out = json_array()) == NULL)
		return TETHER_ENOMEM;
	for (i = 0; i < json_array_size(q->events);) {
		msg = json_array_get(q->events, i);
		if (!qmp_matches(msg, event)) {
			i++;
			continue;
		}
		if (json_array_append(out, msg) != 0) {
			json_decref(out);
			return TETHER_ENOMEM;
		}
		json_array_remove(q->events, i);
	}
	*events = out;
	return 0;
}

int
tether_qmp_drain(struct tether_session *s, const char *event,
    json_t **events)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, qmp_drain(s, event, events));
}

int
qmp_open(struct tether_session *s, int64_t deadline)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qmp		*q;
	json_t			*msg = NULL;
	int64_t			 start = tether_now_ms();
	int			 r;

	/* JSON has no escape sequences to strip, and UTF-8 must survive. */
	tether_session_set_raw_match(s, 1);
	if (s->match_max < QMP_MATCH_MAX)
		tether_session_set_match_max(s, QMP_MATCH_MAX);
	if ((q = calloc(1, sizeof *q)) == NULL)
		return TETHER_ENOMEM;
	q->s = s;
	q->off = s->consumed;
	if ((q->events = json_array()) == NULL ||
	    (q->reader = session_reader_add(s, qmp_reader, q)) == NULL) {
		qmp_free(q);
		return TETHER_ENOMEM;
	}
	if ((r = session_state_set(s, QMP_STATE, q, qmp_free)) != 0)
		return r;
	for (;;) {
		r = qmp_read(s, deadline, &msg);
		if (r == TETHER_ETIMEDOUT && s->rx_bytes == 0)
			return tether_loop_seterr(loop, r, "qmp %s: no QMP "
			    "greeting from %s, nothing at all, within %lld "
			    "ms, though it accepted the connection: another "
			    "client probably holds the monitor (QEMU serves "
			    "one client per chardev), or QEMU is stopped",
			    tether_session_name(s), tether_session_uri(s),
			    (long long)(tether_now_ms() - start));
		if (r == TETHER_ETIMEDOUT)
			return tether_loop_seterr(loop, r, "qmp %s: no QMP "
			    "greeting from %s within %lld ms: is it a QMP "
			    "monitor, and is QEMU answering?",
			    tether_session_name(s), tether_session_uri(s),
			    (long long)(tether_now_ms() - start));
		if (r != 0)
			return r;
		if (json_object_get(msg, "QMP") != NULL)
			break;
		json_decref(msg);
	}
	q->greeting = msg;
	return qmp_execute(s, "qmp_capabilities", NULL, deadline, NULL);
}
