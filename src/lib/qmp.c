/* SPDX-License-Identifier: ISC */
/*
 * qmp.c - QEMU's QMP on a session: greeting and capabilities on open,
 * commands matched to their answers by "id", events queued until asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto.h"
#include "qmp.h"
#include "session.h"
#include "tether.h"

#define QMP_MATCH_MAX	(16 * 1024 * 1024) /* longest answer kept */
#define QMP_EVENTS_MAX	4096		/* events kept queued */

struct qmp {
	json_t			*greeting;	/* {"QMP": {...}} */
	json_t			*events;	/* queued, oldest first */
	unsigned long long	 next_id;
	uint64_t		 seen_at;	/* consumed point of seen */
	size_t			 seen;		/* bytes there with no LF */
};

static void
qmp_free(void *p)
{
	struct qmp	*q = p;

	if (q == NULL)
		return;
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
 * Reads the next message from s.  Returns 0 and a new reference in *msg,
 * TETHER_ETIMEDOUT, TETHER_EOF, TETHER_EPROTO (not JSON) or EINTR.
 */
static int
qmp_read(struct tether_session *s, int64_t deadline, json_t **msg)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qmp		*q = s->proto_state;
	const char		*p;
	size_t			 len, used;
	json_error_t		 jerr;
	int			 r;

	*msg = NULL;
	for (;;) {
		if (q->seen_at != s->consumed)
			q->seen = 0;
		p = session_view_at(s, s->consumed, &len);
		r = qmp_next(p, len, &q->seen, &used, msg, &jerr);
		session_consume(s, s->consumed + used);
		q->seen_at = s->consumed;
		if (r == 1)
			return 0;
		if (r < 0)
			return tether_loop_seterr(loop, TETHER_EPROTO,
			    "qmp %s: not a QMP message (%s): is %s a "
			    "QMP monitor?", tether_session_name(s),
			    jerr.text, tether_session_uri(s));
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

int
tether_qmp_execute(struct tether_session *s, const char *cmd, json_t *args,
    int64_t deadline, json_t **result)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qmp		*q = s->proto_state;
	json_t			*req = NULL, *msg = NULL, *err;
	char			*text = NULL, id[32];
	const char		*desc, *cls;
	int64_t			 start = tether_now_ms();
	int			 r, kind;

	if (result != NULL)
		*result = NULL;
	if (s->proto != SESSION_PROTO_QMP || q == NULL)
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
tether_qmp_event(struct tether_session *s, const char *event,
    int64_t deadline, json_t **ev)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qmp		*q = s->proto_state;
	json_t			*msg = NULL;
	size_t			 i;
	int64_t			 start = tether_now_ms();
	int			 r;

	*ev = NULL;
	if (s->proto != SESSION_PROTO_QMP || q == NULL)
		return tether_loop_seterr(loop, TETHER_ENOTSUP, "%s is not a "
		    "qmp: session", tether_session_name(s));
	json_array_foreach(q->events, i, msg) {
		if (qmp_matches(msg, event)) {
			*ev = json_incref(msg);
			json_array_remove(q->events, i);
			return 0;
		}
	}
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
	s->proto = SESSION_PROTO_QMP;
	s->proto_state = q;
	s->proto_free = qmp_free;
	if ((q->events = json_array()) == NULL)
		return TETHER_ENOMEM;
	for (;;) {
		if ((r = qmp_read(s, deadline, &msg)) == TETHER_ETIMEDOUT)
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
	return tether_qmp_execute(s, "qmp_capabilities", NULL, deadline, NULL);
}
