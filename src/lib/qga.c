/* SPDX-License-Identifier: ISC */
/*
 * qga.c - the QEMU guest agent on a session: QMP-style JSON with no
 * greeting, made usable by guest-sync-delimited (the agent's parser is
 * reset by a 0xFF, and its answer follows a 0xFF of its own), commands
 * matched to their answers by "id" (qmp.c's line reader and classifier),
 * and guest-exec with its output captured.
 */
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "loop.h"
#include "qga.h"
#include "qmp.h"
#include "session.h"
#include "tether.h"

#define QGA_MATCH_MAX	(16 * 1024 * 1024) /* longest answer kept */
#define QGA_STATE	"qga"		/* its session_state_get key */
#define QGA_SYNC_FIRST	100		/* ms before the first retry */
#define QGA_SYNC_LAST	1000		/* longest pause between retries */
#define QGA_SYNC_MAX	64		/* sync ids remembered */
#define QGA_POLL_FIRST	10		/* guest-exec-status backoff, ms */
#define QGA_POLL_LAST	200
#define QGA_SENTINEL	'\xff'

/* A message read, and the end of its line in the view. */
struct qga_msg {
	json_t			*msg;
	uint64_t		 end;
};

struct qga {
	struct tether_session	*s;
	struct session_reader	*reader;
	int			 synced;	/* the reader may read */
	unsigned long long	 next_id;
	struct qga_msg		*inbox;		/* read, not taken yet */
	size_t			 ninbox;
	uint64_t		 off;		/* the reader's offset */
	size_t			 seen;		/* bytes there with no LF */
	int			 bad;		/* a line that is not JSON */
	uint64_t		 bad_end;	/* its end */
	char			 why[160];	/* what is wrong with it */
};

/* Commands the agent does not answer when they work. */
static const char *const qga_silent[] = {
	"guest-shutdown", "guest-suspend-disk", "guest-suspend-ram",
	"guest-suspend-hybrid", NULL
};

static void
qga_drop_inbox(struct qga *q)
{
	size_t	i;

	for (i = 0; i < q->ninbox; i++)
		json_decref(q->inbox[i].msg);
	q->ninbox = 0;
}

static void
qga_free(void *p)
{
	struct qga	*q = p;

	if (q == NULL)
		return;
	session_reader_del(q->s, q->reader);
	qga_drop_inbox(q);
	free(q->inbox);
	free(q);
}

/* Returns the integer "return" of msg when it is {"return": N}, else -1. */
static json_int_t
qga_sync_answer(const char *p, size_t n)
{
	json_t		*msg, *ret;
	json_int_t	 v = -1;

	if ((msg = json_loadb(p, n, 0, NULL)) == NULL)
		return -1;
	ret = json_object_get(msg, "return");
	if (json_is_object(msg) && json_is_integer(ret))
		v = json_integer_value(ret);
	json_decref(msg);
	return v;
}

/*
 * answer := 0xFF JSON-object [ CR ] LF
 * (anything before the 0xFF, or that does not parse, is skipped)
 */
int
qga_sync_scan(const char *p, size_t len, const json_int_t *ids, size_t n,
    size_t *used)
{
	const char	*ff, *line, *nl;
	size_t		 off = 0, i, ln;
	json_int_t	 v;
	int		 found = 0;

	for (;;) {
		ff = memchr(p + off, QGA_SENTINEL, len - off);
		if (ff == NULL) {
			*used = len;
			return found;
		}
		line = ff + 1;
		nl = memchr(line, '\n', (size_t)(p + len - line));
		if (nl == NULL) {
			*used = (size_t)(ff - p);	/* the rest to come */
			return found;
		}
		off = (size_t)(line - p);	/* look on after the 0xFF */
		ln = (size_t)(nl - line);
		if (ln > 0 && line[ln - 1] == '\r')
			ln--;
		if ((v = qga_sync_answer(line, ln)) < 0)
			continue;
		for (i = 0; i < n && ids[i] != v; i++)
			;
		if (i == n)
			continue;
		if (i == n - 1) {
			*used = (size_t)(nl + 1 - p);
			return 2;
		}
		found = 1;
	}
}

/*
 * Reads the complete lines after the reader's offset into the inbox,
 * stopping at one that is not JSON.  A 0xFF before a line (the answer to
 * a synchronisation retried before the agent started) is skipped.
 */
static void
qga_scan(struct qga *q)
{
	struct tether_session	*s = q->s;
	struct qga_msg		*in;
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
	while (q->synced && !q->bad) {
		base = q->off;	/* its own place: an expect may consume */
		p = session_view_at(s, base, &len);
		if (session_view_end(s) - len != q->off)
			q->seen = 0;	/* flushed, or dropped from the view */
		base = session_view_end(s) - len;
		if (q->seen == 0 && len > 0 && *p == QGA_SENTINEL) {
			q->off = base + 1;
			continue;
		}
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

/* The session reader: once synchronised, each line is parsed as it comes. */
static void
qga_reader(struct tether_session *s, int ev, const char *p, size_t n,
    void *arg)
{
	if (ev == SESSION_VIEW)
		qga_scan(arg);
}

/* Returns the error of s once it ended (EOF or a transport error), else 0. */
static int
qga_ended(struct tether_session *s)
{
	if (s->state == SESSION_EOF)
		return tether_loop_seterr(s->loop, TETHER_EOF, "qga %s: the "
		    "agent's channel closed", tether_session_name(s));
	if (s->state == SESSION_ERROR)
		return tether_loop_seterr(s->loop, s->err, "qga %s: %s",
		    tether_session_name(s), tether_strerror(s->err));
	return 0;
}

/* Returns a random id for guest-sync-delimited (a positive int32). */
static json_int_t
qga_random_id(void)
{
	uint32_t	v;

	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
		v = (uint32_t)tether_now_ms() ^ ((uint32_t)getpid() << 16);
	return (json_int_t)(v & 0x7fffffff) | 1;
}

/* Sends 0xFF and guest-sync-delimited with id. */
static int
qga_sync_send(struct qga *q, json_int_t id, int64_t deadline)
{
	json_t	*req;
	char	*text = NULL, sid[40];
	int	 r;

	snprintf(sid, sizeof sid, "tether-sync-%lld", (long long)id);
	if ((req = json_pack("{s:s, s:{s:I}, s:s}", "execute",
	    "guest-sync-delimited", "arguments", "id", id, "id", sid)) ==
	    NULL || (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		json_decref(req);
		return TETHER_ENOMEM;
	}
	if ((r = tether_session_send(q->s, "\xff", 1, 0, deadline)) == 0)
		r = tether_session_sendline(q->s, text, 0, deadline);
	json_decref(req);
	free(text);
	return r;
}

/*
 * Synchronises with the agent by deadline: 0xFF + guest-sync-delimited
 * with a new random id, retried (100 ms doubling to 1 s) until the
 * latest is answered; once an earlier one is answered the agent is there
 * and the latest is waited for.  What came before is consumed.  Returns
 * 0 or a TETHER_E* code with the errmsg set.
 */
static int
qga_sync(struct qga *q, int64_t deadline)
{
	struct tether_session	*s = q->s;
	json_int_t		 ids[QGA_SYNC_MAX];
	const char		*p;
	size_t			 n = 0, len, used;
	uint64_t		 scan = s->consumed, base;
	int64_t			 start = tether_now_ms(), next = start, now;
	int64_t			 pause = QGA_SYNC_FIRST, until;
	int			 r, found, alive = 0;

	q->synced = 0;
	qga_drop_inbox(q);
	q->bad = 0;
	for (;;) {
		now = tether_now_ms();
		if (now >= next && now < deadline) {
			if (n == QGA_SYNC_MAX)
				memmove(ids, ids + 1, --n * sizeof *ids);
			ids[n++] = qga_random_id();
			if ((r = qga_sync_send(q, ids[n - 1], deadline)) != 0)
				break;
			/* Alive: the latest is on its way, ask again late. */
			next = now + (alive ? QGA_SYNC_LAST : pause);
			if (pause < QGA_SYNC_LAST)
				pause = pause * 2 < QGA_SYNC_LAST ? pause * 2 :
				    QGA_SYNC_LAST;
		}
		if (scan < s->consumed)
			scan = s->consumed;
		p = session_view_at(s, scan, &len);
		base = session_view_end(s) - len;
		found = qga_sync_scan(p, len, ids, n, &used);
		scan = base + used;
		if (found == 2) {
			session_consume(s, scan);
			q->off = scan;
			q->seen = 0;
			q->synced = 1;
			qga_scan(q);
			return 0;
		}
		if (found == 1 && !alive) {
			alive = 1;
			next = tether_now_ms() + QGA_SYNC_LAST;
		}
		if ((r = qga_ended(s)) != 0)
			return r;
		until = next < deadline ? next : deadline;
		r = tether_loop_once(s->loop, until);
		if (r == TETHER_ETIMEDOUT && until < deadline)
			r = 0;
		if (r != 0)
			break;
	}
	if (r == TETHER_ETIMEDOUT)
		r = tether_loop_seterr(s->loop, r, "qga %s: no answer from "
		    "the guest agent at %s within %lld ms (guest-sync-"
		    "delimited, %zu tries): is qemu-ga running in the guest on "
		    "that channel?", tether_session_name(s),
		    tether_session_uri(s), (long long)(tether_now_ms() - start),
		    n);
	return r;
}

/*
 * Takes the next message of s.  Returns 0 and a new reference in *msg,
 * TETHER_ETIMEDOUT, TETHER_EOF, TETHER_EPROTO (not JSON) or EINTR.
 */
static int
qga_read(struct qga *q, int64_t deadline, json_t **msg)
{
	struct tether_session	*s = q->s;
	int			 r;

	*msg = NULL;
	for (;;) {
		qga_scan(q);
		if (q->ninbox > 0) {
			*msg = q->inbox[0].msg;
			session_consume(s, q->inbox[0].end);
			memmove(q->inbox, q->inbox + 1, --q->ninbox *
			    sizeof *q->inbox);
			return 0;
		}
		if (q->bad) {
			q->bad = 0;
			session_consume(s, q->bad_end);
			return tether_loop_seterr(s->loop, TETHER_EPROTO,
			    "qga %s: not a guest agent message (%s): is %s "
			    "the guest agent's channel?",
			    tether_session_name(s), q->why,
			    tether_session_uri(s));
		}
		session_consume(s, q->off);	/* blank lines */
		if ((r = qga_ended(s)) != 0)
			return r;
		if ((r = tether_loop_once(s->loop, deadline)) != 0)
			return r;
	}
}

/* Returns nonzero when the agent answers cmd only when it fails. */
static int
qga_is_silent(const char *cmd)
{
	size_t	i;

	for (i = 0; qga_silent[i] != NULL; i++) {
		if (strcmp(qga_silent[i], cmd) == 0)
			return 1;
	}
	return 0;
}

static int
qga_execute(struct tether_session *s, const char *cmd, json_t *args,
    int64_t deadline, json_t **result)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct qga		*q = session_state_get(s, QGA_STATE);
	json_t			*req = NULL, *msg = NULL, *err;
	char			*text = NULL, id[32];
	const char		*desc, *cls;
	int64_t			 start = tether_now_ms();
	int			 r;

	if (result != NULL)
		*result = NULL;
	if (q == NULL)
		return tether_loop_seterr(loop, TETHER_ENOTSUP, "%s is not a "
		    "qga: session", tether_session_name(s));
	if (args != NULL && !json_is_object(args))
		return tether_loop_seterr(loop, TETHER_EINVAL, "qga %s: the "
		    "arguments of %s must be an object", tether_session_name(s),
		    cmd);
	if (!q->synced && (r = qga_sync(q, deadline)) != 0)
		return r;
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
	if (qga_is_silent(cmd)) {
		q->synced = 0;	/* a late error is skipped by the next sync */
		goto out;
	}
	for (;;) {
		json_decref(msg);
		if ((r = qga_read(q, deadline, &msg)) != 0)
			break;
		if (qmp_classify(msg, id) != QMP_ANSWER)
			continue;	/* the agent has no events */
		if ((err = json_object_get(msg, "error")) != NULL) {
			desc = json_string_value(json_object_get(err, "desc"));
			cls = json_string_value(json_object_get(err, "class"));
			r = tether_loop_seterr(loop, TETHER_EREMOTE,
			    "qga %s: %s: %s (%s)", tether_session_name(s), cmd,
			    desc != NULL ? desc : "error",
			    cls != NULL ? cls : "no class");
			break;
		}
		if (result != NULL)
			*result = json_incref(json_object_get(msg, "return"));
		break;
	}
	if (r == TETHER_ETIMEDOUT) {
		q->synced = 0;	/* its answer may still come: sync again */
		r = tether_loop_seterr(loop, r, "qga %s: no answer to %s "
		    "within %lld ms", tether_session_name(s), cmd,
		    (long long)(tether_now_ms() - start));
	}
out:
	json_decref(msg);
	json_decref(req);
	free(text);
	return r;
}

int
tether_qga(struct tether_session *s, const char *cmd, json_t *args,
    int64_t deadline, json_t **reply)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, qga_execute(s, cmd, args, deadline,
	    reply));
}

/* Returns the value of base64 digit c, or -1. */
static int
qga_b64digit(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * data := { 4 * digit } [ 2 * digit "==" | 3 * digit "=" ]
 * Decodes base64 text (NULL: empty) into *out (NUL-terminated, *len
 * bytes without it).  Returns 0, TETHER_EPROTO or TETHER_ENOMEM.
 */
static int
qga_b64decode(const char *in, char **out, size_t *len)
{
	size_t		 n = in != NULL ? strlen(in) : 0, o = 0, i;
	unsigned int	 acc = 0;
	int		 bits = 0, d;
	char		*p;

	*len = 0;
	if ((*out = p = malloc(n / 4 * 3 + 3)) == NULL)
		return TETHER_ENOMEM;
	for (i = 0; i < n && in[i] != '='; i++) {
		if ((d = qga_b64digit((unsigned char)in[i])) < 0) {
			free(p);
			*out = NULL;
			return TETHER_EPROTO;
		}
		acc = (acc << 6) | (unsigned int)d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			p[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	p[o] = '\0';
	*len = o;
	return 0;
}

/* Waits (handling every session) until at, or deadline if sooner. */
static int
qga_pause(struct tether_loop *loop, int64_t at, int64_t deadline)
{
	int64_t	until = at < deadline ? at : deadline;
	int	r;

	while ((r = tether_loop_once(loop, until)) == 0 &&
	    tether_now_ms() < until)
		;
	if (r == TETHER_ETIMEDOUT && until < deadline)
		r = 0;
	return r;
}

/* Takes base64 member key of st into *p, *n (either may be NULL). */
static int
qga_take_data(json_t *st, const char *key, char **p, size_t *n)
{
	char	*d;
	size_t	 len;
	int	 r;

	if ((r = qga_b64decode(json_string_value(json_object_get(st, key)),
	    &d, &len)) != 0)
		return r;
	if (p != NULL)
		*p = d;
	else
		free(d);
	if (n != NULL)
		*n = len;
	return 0;
}

static int
qga_exec(struct tether_session *s, const char *cmd, int64_t deadline,
    char **out, size_t *outlen, char **err, size_t *errlen, int *status)
{
	struct tether_loop	*loop = tether_session_loop(s);
	json_t			*args = NULL, *res = NULL, *st = NULL;
	json_int_t		 pid;
	int64_t			 pause = QGA_POLL_FIRST, start;
	int			 r;

	start = tether_now_ms();
	if (out != NULL)
		*out = NULL;
	if (err != NULL)
		*err = NULL;
	if (status != NULL)
		*status = -1;
	if ((args = json_pack("{s:s, s:[s, s], s:b}", "path", "/bin/sh",
	    "arg", "-c", cmd, "capture-output", 1)) == NULL)
		return TETHER_ENOMEM;
	r = qga_execute(s, "guest-exec", args, deadline, &res);
	json_decref(args);
	args = NULL;
	if (r != 0)
		goto out;
	if (!json_is_integer(json_object_get(res, "pid"))) {
		r = tether_loop_seterr(loop, TETHER_EPROTO, "qga %s: "
		    "guest-exec: no pid in the answer", tether_session_name(s));
		goto out;
	}
	pid = json_integer_value(json_object_get(res, "pid"));
	if ((args = json_pack("{s:I}", "pid", pid)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	for (;;) {
		json_decref(st);
		st = NULL;
		if ((r = qga_execute(s, "guest-exec-status", args, deadline,
		    &st)) != 0)
			goto out;
		if (json_is_true(json_object_get(st, "exited")))
			break;
		if ((r = qga_pause(loop, tether_now_ms() + pause,
		    deadline)) != 0)
			break;
		if ((pause *= 2) > QGA_POLL_LAST)
			pause = QGA_POLL_LAST;
	}
	if (r == TETHER_ETIMEDOUT) {
		r = tether_loop_seterr(loop, r, "qga %s: guest-exec: \"%s\" "
		    "(guest pid %lld) still running after %lld ms",
		    tether_session_name(s), cmd, (long long)pid,
		    (long long)(tether_now_ms() - start));
		goto out;
	}
	if (r != 0)
		goto out;
	if (json_is_true(json_object_get(st, "out-truncated")) ||
	    json_is_true(json_object_get(st, "err-truncated"))) {
		r = tether_loop_seterr(loop, TETHER_EFAIL, "qga %s: "
		    "guest-exec: the agent truncated the output of \"%s\"",
		    tether_session_name(s), cmd);
		goto out;
	}
	if ((r = qga_take_data(st, "out-data", out, outlen)) != 0 ||
	    (r = qga_take_data(st, "err-data", err, errlen)) != 0) {
		if (r == TETHER_EPROTO)
			r = tether_loop_seterr(loop, r, "qga %s: guest-exec: "
			    "the output is not base64", tether_session_name(s));
		goto out;
	}
	if (status != NULL) {
		if (json_is_integer(json_object_get(st, "signal")))
			*status = 128 + (int)json_integer_value(
			    json_object_get(st, "signal"));
		else
			*status = (int)json_integer_value(
			    json_object_get(st, "exitcode"));
	}
out:
	if (r != 0 && out != NULL) {
		free(*out);
		*out = NULL;
	}
	if (r != 0 && err != NULL) {
		free(*err);
		*err = NULL;
	}
	json_decref(args);
	json_decref(res);
	json_decref(st);
	return r;
}

int
tether_qga_exec(struct tether_session *s, const char *cmd, int64_t deadline,
    char **out, size_t *outlen, char **err, size_t *errlen, int *status)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, qga_exec(s, cmd, deadline, out, outlen,
	    err, errlen, status));
}

int
qga_open(struct tether_session *s, int64_t until)
{
	struct qga	*q;
	int		 r;

	/* JSON has no escape sequences to strip, and UTF-8 must survive. */
	tether_session_set_raw_match(s, 1);
	if (s->match_max < QGA_MATCH_MAX)
		tether_session_set_match_max(s, QGA_MATCH_MAX);
	if ((q = calloc(1, sizeof *q)) == NULL)
		return TETHER_ENOMEM;
	q->s = s;
	q->off = s->consumed;
	if ((q->reader = session_reader_add(s, qga_reader, q)) == NULL) {
		qga_free(q);
		return TETHER_ENOMEM;
	}
	if ((r = session_state_set(s, QGA_STATE, q, qga_free)) != 0)
		return r;
	/* open-within=0: the first command synchronises. */
	if (tether_now_ms() >= until)
		return 0;
	return qga_sync(q, until);
}
