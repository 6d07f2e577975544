/* SPDX-License-Identifier: ISC */
/*
 * login.c - logging in on a console (login and password prompts, an
 * existing shell, "Login incorrect") and running shell commands between
 * markers the echoed command line cannot match.
 *
 * A shell prompt is acted on only once confirmed: it is the last thing
 * received and stays so for the settle time (re-armed by every byte, at
 * least LOGIN_SETTLE_MIN ms, more on a slow peer), then an empty line
 * sent brings the same prompt line back, settled again.  A booting
 * kernel's "Linux version ... #" cut at the "#" is never taken for one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "login.h"
#include "loop.h"
#include "session.h"
#include "target.h"
#include "tether.h"

#define LOGIN_RE_LOGIN		"(?i)(?<!last )login:[ \\t]*"
#define LOGIN_RE_PASSWORD	"(?i)password:[ \\t]*"
#define LOGIN_RE_INCORRECT	"(?i)login incorrect|incorrect password|" \
				"authentication fail(?:ure|ed)?|" \
				"permission denied|access denied"
#define LOGIN_RE_SHELL		"[#$>%][ \\t]*\\z"
#define LOGIN_RE_PROMPT		"\\[tether\\]# "
#define LOGIN_RE_PROMPT_END	"\\[tether\\]# [ \\t]*\\z"

#define LOGIN_WAKE_FIRST	1000	/* ms of silence before a newline */
#define LOGIN_WAKE_MAX		8000	/* the backoff stops growing here */
#define LOGIN_WAKES		8	/* newlines sent at most */
#define LOGIN_USERS		4	/* user names sent at most */
#define LOGIN_RELOGIN_GRACE	2000	/* second login: prompt, no password */
#define LOGIN_USER_GRACE	5000	/* user sent, nothing at all after */
#define LOGIN_SETUP_RESEND	3000	/* prompt not back: type it again */
#define LOGIN_SETUP_TRIES	3
#define LOGIN_SETTLE_MIN	30	/* ms of quiet that settle a prompt */
#define LOGIN_SETTLE_MAX	300	/* ... at most, however slow the peer */
#define LOGIN_PROBE_WAIT	1000	/* an empty line's answer */
#define LOGIN_PROBES		4	/* probes of one candidate prompt */
#define LOGIN_PASS_GRACE	1000	/* user sent: a password prompt may
					   still come after a shell prompt */
#define LOGIN_LINE_MAX		1024	/* the line tracked for prompts */
#define RUN_PROMPT_WAIT		2000	/* prompt after the end marker */
#define RUN_HELD_MAX		(4 * 1024 * 1024) /* output held by a run */
#define LOGIN_STATE		"login"	/* its session_state_get key */

/*
 * Sets the prompt.  The quotes split "[tether]# " so that the echo of
 * this line never matches the prompt itself; the leading blank keeps it
 * out of bash's history.
 */
#define LOGIN_SETUP_LINE \
	" PS1='[teth''er]# '; unset PROMPT_COMMAND 2>/dev/null"

enum {
	L_LOGIN = 1,
	L_PASSWORD,
	L_INCORRECT,
	L_SHELL,
	L_PROMPT,
	L_END,
	L_EOF,
	L_IDLE,
};

struct login_state {
	int		 shell;		/* at tether's prompt */
	int		 busy;		/* a run did not see its end marker */
	int64_t		 settle;	/* ms of quiet that settle a prompt */
	struct buf	 line;		/* the output's current line */
	unsigned	 seq;		/* runs so far, for the nonce */
};

struct login_branch {
	int		 id;
	const char	*re;
};

/*
 * A shell prompt seen by login but not acted on yet: it must be the last
 * thing received and stay so for the settle time, then an empty line
 * sent must bring the same prompt line back.
 */
enum {
	CAND_NONE,
	CAND_SETTLE,		/* waiting for the settle time of quiet */
	CAND_GRACE,		/* user sent: a password prompt may come */
	CAND_PROBE,		/* empty line sent, waiting for the answer */
};

struct login_cand {
	int		 phase;
	int		 answered;	/* the prompt came after a probe */
	int		 streak;	/* probes answered in a row */
	int		 probes;
	int64_t		 sent;		/* when the probe went */
	char		*ref;		/* prompt line the answer must repeat */
	char		*line;		/* this candidate's prompt line */
};

static void
login_state_free(void *p)
{
	struct login_state	*st = p;

	if (st != NULL)
		buf_free(&st->line);
	free(st);
}

/* Returns the shell state of s, created when asked, or NULL. */
static struct login_state *
login_state(struct tether_session *s, int create)
{
	struct login_state	*st;

	if ((st = session_state_get(s, LOGIN_STATE)) != NULL)
		return st;
	if (!create || (s->flags & TARGET_MONITOR))
		return NULL;
	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	st->settle = LOGIN_SETTLE_MIN;
	buf_init(&st->line, 0);
	if (session_state_set(s, LOGIN_STATE, st, login_state_free) != 0)
		return NULL;
	return st;
}

int
login_is_shell(struct tether_session *s)
{
	struct login_state	*st = login_state(s, 0);

	return st != NULL && st->shell;
}

int
login_is_busy(struct tether_session *s)
{
	struct login_state	*st = login_state(s, 0);

	return st != NULL && st->busy;
}

void
login_set_busy(struct tether_session *s, int busy)
{
	struct login_state	*st = login_state(s, 0);

	if (st != NULL)
		st->busy = busy;
}

const char *
login_last_line(const char *p, size_t len, size_t *linelen)
{
	size_t	i, end;

	for (end = len; end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t');
	    end--)
		;
	for (i = end; i > 0 && p[i - 1] != '\n' && p[i - 1] != '\r'; i--)
		;
	*linelen = end - i;
	return p + i;
}

int
login_blank(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	}
	return 1;
}

/*
 * Adds the text of match m (what came before it and the match itself) to
 * the line st tracks: the line the output is on, as far as matched.
 */
static void
login_track(struct login_state *st, struct tether_match *m)
{
	const char	*t[2];
	size_t		 n[2], i, j;

	t[0] = tether_match_before(m, &n[0]);
	if ((t[1] = tether_match_group(m, 0, &n[1])) == NULL)
		n[1] = 0;
	for (i = 0; i < 2; i++) {
		for (j = n[i]; j > 0 && t[i][j - 1] != '\n' &&
		    t[i][j - 1] != '\r'; j--)
			;
		if (j > 0)
			buf_reset(&st->line);
		if (buf_append(&st->line, t[i] + j, n[i] - j) != 0)
			buf_reset(&st->line);
	}
	if (st->line.len > LOGIN_LINE_MAX)
		buf_consume(&st->line, st->line.len - LOGIN_LINE_MAX);
}

/* Returns the tracked line without trailing blanks, as a new string. */
static char *
login_line_dup(struct login_state *st)
{
	const char	*p;
	size_t		 n;

	p = login_last_line(st->line.data != NULL ? st->line.data : "",
	    st->line.len, &n);
	return strndup(p, n);
}

/*
 * Runs one expect on s over branches b (plus eof, and idle when idle > 0).
 * Returns 0 with *mp set, or a TETHER_E* code.
 */
static int
login_expect(struct tether_session *s, const struct login_branch *b,
    size_t nb, int64_t idle, int64_t deadline, struct tether_match **mp)
{
	struct tether_expect	*e;
	size_t			 i;
	int			 r = 0;

	*mp = NULL;
	if ((e = tether_expect_new(s->loop)) == NULL)
		return TETHER_ENOMEM;
	for (i = 0; i < nb && r == 0; i++)
		r = tether_expect_regex(e, s, b[i].re, 0, b[i].id);
	if (r == 0)
		r = tether_expect_eof(e, s, L_EOF);
	if (r == 0 && idle > 0)
		r = tether_expect_idle(e, idle, L_IDLE);
	if (r == 0)
		r = tether_expect_run(e, deadline, mp);
	tether_expect_free(e);
	return r;
}

/* Turns a timeout or EOF outcome of verb on s into a status with a message. */
static int
login_outcome(struct tether_session *s, struct tether_match *m,
    const char *verb, const char *what, int64_t started)
{
	if (tether_match_outcome(m) == TETHER_MATCH_EOF)
		return tether_loop_seterr(s->loop, TETHER_EOF,
		    "%s on %s: end of file while waiting for %s", verb,
		    s->name, what);
	return tether_loop_seterr(s->loop, TETHER_ETIMEDOUT,
	    "%s on %s: no %s after %lld ms", verb, s->name, what,
	    (long long)(tether_now_ms() - started));
}

/*
 * Fails verb on s for the failure text matched by m ("Login incorrect"),
 * for user (may be NULL), when (may be NULL) saying after what.
 */
static int
login_incorrect(struct tether_session *s, const char *verb, const char *user,
    struct tether_match *m, const char *when)
{
	const char	*text = tether_match_group(m, 0, NULL);

	if (text == NULL || strcasecmp(text, "login incorrect") == 0)
		text = NULL;
	return tether_loop_seterr(s->loop, TETHER_EAUTH,
	    "%s on %s: login incorrect%s%s%s%s%s%s%s", verb, s->name,
	    user != NULL ? " for user " : "", user != NULL ? user : "",
	    text != NULL ? " (\"" : "", text != NULL ? text : "",
	    text != NULL ? "\")" : "", when != NULL ? " " : "",
	    when != NULL ? when : "");
}

int
login_setup(struct tether_session *s, const char *verb, int64_t deadline)
{
	struct login_state	*st;
	struct tether_match	*m = NULL;
	struct login_branch	 b[] = {
		{ L_PROMPT, LOGIN_RE_PROMPT },
		{ L_INCORRECT, LOGIN_RE_INCORRECT },
		{ L_LOGIN, LOGIN_RE_LOGIN },
		{ L_PASSWORD, LOGIN_RE_PASSWORD },
	};
	int64_t			 started = tether_now_ms();
	int			 r, tries;

	if ((st = login_state(s, 1)) == NULL)
		return tether_loop_seterr(s->loop, TETHER_ENOTSUP,
		    "%s on %s: not a shell session", verb, s->name);
	st->shell = 0;
	if (st->busy) {
		/* A command is still running: interrupt it. */
		if ((r = tether_session_send(s, "\003", 1, 0, deadline)) != 0)
			return r;
		st->busy = 0;
	}
	for (tries = 1;; tries++) {
		if ((r = tether_session_sendline(s, LOGIN_SETUP_LINE, 0,
		    deadline)) != 0)
			return r;
		r = login_expect(s, b, sizeof b / sizeof b[0],
		    tries < LOGIN_SETUP_TRIES ? LOGIN_SETUP_RESEND : 0,
		    deadline, &m);
		if (r != 0)
			return r;
		switch (tether_match_outcome(m)) {
		case TETHER_MATCH_PATTERN:
			break;
		case TETHER_MATCH_IDLE:
			tether_match_free(m);
			continue;
		default:
			r = login_outcome(s, m, verb, "shell prompt after "
			    "setting PS1", started);
			tether_match_free(m);
			return r;
		}
		switch (tether_match_id(m)) {
		case L_PROMPT:
			st->shell = 1;
			r = 0;
			break;
		case L_INCORRECT:
			r = login_incorrect(s, verb, NULL, m,
			    "after setting PS1");
			break;
		default:
			/* The shell went away: PS1 went to a login prompt. */
			r = tether_loop_seterr(s->loop, TETHER_EFAIL,
			    "%s on %s: a %s prompt instead of the shell "
			    "prompt after setting PS1", verb, s->name,
			    tether_match_id(m) == L_LOGIN ? "login" :
			    "password");
			break;
		}
		tether_match_free(m);
		return r;
	}
}

static void
login_cand_drop(struct login_cand *c)
{
	free(c->ref);
	free(c->line);
	memset(c, 0, sizeof *c);
}

/*
 * A shell prompt matched (m): make it the candidate, or the answer to the
 * probe sent.  Returns 0 or TETHER_ENOMEM.
 */
static int
login_cand_prompt(struct login_state *st, struct login_cand *c,
    struct tether_match *m)
{
	const char	*before;
	size_t		 blen;
	int64_t		 rtt;

	before = tether_match_before(m, &blen);
	if (c->phase == CAND_PROBE) {
		/* The answer starts on a new line: the echo of ours. */
		c->answered = memchr(before, '\n', blen) != NULL ||
		    memchr(before, '\r', blen) != NULL;
		c->streak = c->answered ? c->streak + 1 : 0;
		rtt = tether_now_ms() - c->sent;
		st->settle = rtt < LOGIN_SETTLE_MIN ? LOGIN_SETTLE_MIN :
		    rtt > LOGIN_SETTLE_MAX ? LOGIN_SETTLE_MAX : rtt;
	} else if (c->phase == CAND_NONE)
		c->answered = 0;
	free(c->line);
	if ((c->line = login_line_dup(st)) == NULL)
		return TETHER_ENOMEM;
	c->phase = CAND_SETTLE;
	return 0;
}

/*
 * The candidate's wait ended in silence.  Sets *confirmed when it is
 * confirmed, probes it, or drops it.  Returns 0 or a TETHER_E* code.
 */
static int
login_cand_quiet(struct tether_session *s, struct login_cand *c,
    int waiting_password, int64_t deadline, int *confirmed)
{
	const char	*pending;
	size_t		 plen;

	*confirmed = 0;
	pending = tether_session_pending(s, &plen);
	if (c->phase == CAND_PROBE || !login_blank(pending, plen)) {
		/* No answer to the probe, or more came after the prompt. */
		login_cand_drop(c);
		return 0;
	}
	/* The same line again, or a prompt that changes, twice in a row. */
	if (c->phase == CAND_SETTLE && c->answered && c->ref != NULL &&
	    (strcmp(c->ref, c->line) == 0 || c->streak >= 2)) {
		*confirmed = 1;
		return 0;
	}
	if (c->phase == CAND_SETTLE && !c->answered && waiting_password) {
		c->phase = CAND_GRACE;
		return 0;
	}
	if (c->probes >= LOGIN_PROBES) {
		login_cand_drop(c);
		return 0;
	}
	/* Probe: an empty line must bring the same prompt back. */
	free(c->ref);
	c->ref = c->line;
	c->line = NULL;
	c->probes++;
	c->sent = tether_now_ms();
	c->phase = CAND_PROBE;
	return tether_session_sendline(s, "", 0, deadline);
}

/* Returns the idle time of the candidate's wait. */
static int64_t
login_cand_idle(struct login_state *st, struct login_cand *c)
{
	switch (c->phase) {
	case CAND_SETTLE:
		return st->settle;
	case CAND_GRACE:
		return LOGIN_PASS_GRACE;
	default:
		return LOGIN_PROBE_WAIT;
	}
}

static int
login_login(struct tether_session *s, const struct tether_login_opts *o,
    int64_t deadline)
{
	enum { ST_START, ST_USER, ST_RELOGIN, ST_PASS } state = ST_START;
	struct login_branch	 b[5];
	struct login_cand	 c;
	struct tether_match	*m = NULL;
	struct login_state	*st;
	const char		*what = "login prompt";
	int64_t			 started = tether_now_ms(), wake, idle;
	size_t			 nb;
	int			 r, id, wakes = 0, users = 0, ok;
	const char		*re_login, *re_pass, *re_shell;

	memset(&c, 0, sizeof c);
	if (o == NULL || o->user == NULL || *o->user == '\0')
		return tether_loop_seterr(s->loop, TETHER_EINVAL,
		    "login on %s: no user name", s->name);
	if ((st = login_state(s, 1)) == NULL)
		return tether_loop_seterr(s->loop, TETHER_ENOTSUP,
		    "login on %s: not a console session", s->name);
	st->shell = 0;
	buf_reset(&st->line);
	re_login = o->login_prompt != NULL ? o->login_prompt : LOGIN_RE_LOGIN;
	re_pass = o->password_prompt != NULL ? o->password_prompt :
	    LOGIN_RE_PASSWORD;
	re_shell = o->prompt != NULL ? o->prompt : LOGIN_RE_SHELL;
	if (o->password != NULL)
		tether_session_add_secret(s, o->password);
	wake = LOGIN_WAKE_FIRST;
	for (;;) {
		nb = 0;
		idle = 0;
		/* Failure texts count from the first user name sent on. */
		if (users > 0)
			b[nb++] = (struct login_branch){ L_INCORRECT,
			    LOGIN_RE_INCORRECT };
		switch (state) {
		case ST_START:
			b[nb++] = (struct login_branch){ L_LOGIN, re_login };
			b[nb++] = (struct login_branch){ L_SHELL, re_shell };
			if (wakes < LOGIN_WAKES)
				idle = wake;
			what = "login prompt";
			break;
		case ST_USER:
		case ST_RELOGIN:
			b[nb++] = (struct login_branch){ L_PASSWORD, re_pass };
			b[nb++] = (struct login_branch){ L_SHELL, re_shell };
			if (state == ST_USER)
				b[nb++] = (struct login_branch){ L_LOGIN,
				    re_login };
			idle = state == ST_USER ? LOGIN_USER_GRACE :
			    LOGIN_RELOGIN_GRACE;
			what = "password prompt";
			break;
		case ST_PASS:
			b[nb++] = (struct login_branch){ L_SHELL, re_shell };
			b[nb++] = (struct login_branch){ L_LOGIN, re_login };
			b[nb++] = (struct login_branch){ L_PASSWORD, re_pass };
			if (wakes < LOGIN_WAKES)
				idle = wake;
			what = "shell prompt";
			break;
		}
		if (c.phase != CAND_NONE)
			idle = login_cand_idle(st, &c);
		if ((r = login_expect(s, b, nb, idle, deadline, &m)) != 0)
			goto out;
		if (tether_match_outcome(m) == TETHER_MATCH_TIMEOUT ||
		    tether_match_outcome(m) == TETHER_MATCH_EOF) {
			r = login_outcome(s, m, "login", what, started);
			goto out;
		}
		id = tether_match_id(m);
		if (id == L_IDLE && c.phase != CAND_NONE) {
			tether_match_free(m);
			m = NULL;
			if ((r = login_cand_quiet(s, &c, state == ST_USER ||
			    state == ST_RELOGIN, deadline, &ok)) != 0)
				goto out;
			if (ok) {
				r = login_setup(s, "login", deadline);
				goto out;
			}
			continue;
		}
		if (id == L_IDLE) {
			tether_match_free(m);
			m = NULL;
			if (state == ST_RELOGIN) {
				/* The second prompt was real: answer it. */
				if ((r = tether_session_sendline(s, o->user, 0,
				    deadline)) != 0)
					goto out;
				state = ST_USER;
				continue;
			}
			if (state == ST_USER)
				state = ST_START;	/* user name lost */
			/* Silence: wake the console with a newline. */
			if ((r = tether_session_sendline(s, "", 0,
			    deadline)) != 0)
				goto out;
			wakes++;
			if ((wake *= 2) > LOGIN_WAKE_MAX)
				wake = LOGIN_WAKE_MAX;
			continue;
		}
		login_track(st, m);
		if (id == L_INCORRECT) {
			r = login_incorrect(s, "login", o->user, m, NULL);
			goto out;
		}
		if (id == L_SHELL) {
			/* Acted on only once confirmed. */
			r = login_cand_prompt(st, &c, m);
			tether_match_free(m);
			m = NULL;
			if (r != 0)
				goto out;
			continue;
		}
		tether_match_free(m);
		m = NULL;
		login_cand_drop(&c);
		switch (id) {
		case L_LOGIN:
			if (state == ST_USER) {
				/* Maybe the echo of an earlier newline. */
				state = ST_RELOGIN;
				continue;
			}
			if (state == ST_PASS) {
				r = tether_loop_seterr(s->loop, TETHER_EAUTH,
				    "login on %s: login prompt again after "
				    "the password for %s", s->name, o->user);
				goto out;
			}
			if (++users > LOGIN_USERS) {
				r = tether_loop_seterr(s->loop, TETHER_EAUTH,
				    "login on %s: the login prompt keeps "
				    "coming back", s->name);
				goto out;
			}
			if ((r = tether_session_sendline(s, o->user, 0,
			    deadline)) != 0)
				goto out;
			state = ST_USER;
			break;
		case L_PASSWORD:
			if (state == ST_PASS) {
				r = tether_loop_seterr(s->loop, TETHER_EAUTH,
				    "login on %s: password for %s refused",
				    s->name, o->user);
				goto out;
			}
			if (o->password == NULL) {
				r = tether_loop_seterr(s->loop, TETHER_EAUTH,
				    "login on %s: password prompt but no "
				    "password given", s->name);
				goto out;
			}
			if ((r = tether_session_sendline(s, o->password,
			    TETHER_SEND_SECRET, deadline)) != 0)
				goto out;
			state = ST_PASS;
			wakes = 0;
			wake = LOGIN_WAKE_FIRST;
			break;
		}
	}
out:
	login_cand_drop(&c);
	tether_match_free(m);
	return r;
}

/*
 * Appends cmd to b as the argument of eval.  Printable ASCII goes in
 * single quotes; a command holding tabs, newlines or other control bytes
 * (which line editing would take as keys) is spelled with octal escapes
 * that printf %b turns back into bytes, so the line typed is plain text.
 */
static int
run_quote(struct buf *b, const char *cmd)
{
	const unsigned char	*p;
	int			 plain = 1, r = 0;

	for (p = (const unsigned char *)cmd; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e)
			plain = 0;
	}
	if (!plain)
		r |= buf_puts(b, "\"$(printf '%b' '");
	else
		r |= buf_putc(b, '\'');
	for (p = (const unsigned char *)cmd; *p != '\0' && r == 0; p++) {
		if (plain && *p == '\'')
			r |= buf_puts(b, "'\\''");
		else if (plain)
			r |= buf_putc(b, *p);
		else if (*p < 0x20 || *p > 0x7e || *p == '\'' || *p == '\\')
			r |= buf_printf(b, "\\0%03o", *p);
		else
			r |= buf_putc(b, *p);
	}
	if (!plain)
		r |= buf_puts(b, "')\"");
	else
		r |= buf_putc(b, '\'');
	return r != 0 ? TETHER_ENOMEM : 0;
}

/*
 * Finds marker "\036" kind "." nonce at or after from in buf.  Returns its
 * offset, or len when there is none.
 */
static size_t
login_marker(const char *buf, size_t len, size_t from, int kind,
    const char *nonce)
{
	const char	*p;
	size_t		 nlen = strlen(nonce), i;

	for (i = from; i < len; i++) {
		if ((p = memchr(buf + i, '\036', len - i)) == NULL)
			return len;
		i = (size_t)(p - buf);
		if (len - i >= 3 + nlen && buf[i + 1] == kind &&
		    buf[i + 2] == '.' && memcmp(buf + i + 3, nonce, nlen) == 0)
			return i;
	}
	return len;
}

/*
 * end-marker = "\036E." nonce "." 1*DIGIT "\037"
 * Returns the offset of the first end marker in buf (len when none); its
 * length in *mlen and its status in *status (-1 past 9 digits).
 */
static size_t
login_end_marker(const char *buf, size_t len, const char *nonce,
    size_t *mlen, int *status)
{
	size_t	 at, i, nlen = strlen(nonce);
	int	 v;

	for (at = 0; (at = login_marker(buf, len, at, 'E', nonce)) < len;
	    at++) {
		i = at + 3 + nlen;
		if (i >= len || buf[i] != '.')
			continue;
		for (i++, v = 0; i < len && buf[i] >= '0' && buf[i] <= '9';
		    i++) {
			if (v >= 0)
				v = i - (at + 4 + nlen) < 9 ?
				    v * 10 + (buf[i] - '0') : -1;
		}
		if (i == at + 4 + nlen || i >= len || buf[i] != '\037')
			continue;
		*mlen = i + 1 - at;
		*status = v;
		return at;
	}
	return len;
}

/*
 * start-marker = "\036S." nonce "\037" [CR] LF
 * Returns the offset just past the last start marker in buf[0..len), or
 * len + 1 when there is none.
 */
static size_t
login_start_end(const char *buf, size_t len, const char *nonce)
{
	size_t	 at, found = len + 1, i, nlen = strlen(nonce);

	for (at = 0; (at = login_marker(buf, len, at, 'S', nonce)) < len;
	    at++) {
		i = at + 3 + nlen;
		if (i >= len || buf[i] != '\037')
			continue;
		i++;
		if (i < len && buf[i] == '\r')
			i++;
		if (i < len && buf[i] == '\n')
			i++;
		found = i;
	}
	return found;
}

int
login_run_parse(const char *buf, size_t len, const char *nonce, char **out,
    size_t *outlen, int *status)
{
	struct buf	 b;
	size_t		 end, mlen, from, i, j;

	*out = NULL;
	*status = -1;
	if ((end = login_end_marker(buf, len, nonce, &mlen, status)) == len)
		return 0;
	/* No start marker: it fell out of the match window. */
	if ((from = login_start_end(buf, end, nonce)) > end)
		from = 0;
	buf_init(&b, 0);
	for (i = from; i < end; i++) {
		/* CR... LF (a terminal's ONLCR, maybe twice) is LF. */
		for (j = i; j < end && buf[j] == '\r'; j++)
			;
		if (j > i && j < end && buf[j] == '\n')
			i = j;
		if (buf_putc(&b, buf[i]) != 0)
			goto fail;
	}
	while (b.len > 0 && (b.data[b.len - 1] == '\n' ||
	    b.data[b.len - 1] == '\r'))
		b.len--;
	if (outlen != NULL)
		*outlen = b.len;
	if (buf_putc(&b, '\0') != 0)
		goto fail;
	if ((*out = buf_steal(&b)) == NULL)
		goto fail;
	return 1;
fail:
	buf_free(&b);
	*status = -1;
	return TETHER_ENOMEM;
}

int
login_run_abandoned(const char *buf, size_t len, const char *nonce,
    char **msg)
{
	struct buf	 b;
	size_t		 from, end, mlen, i, plen = strlen(LOGIN_PROMPT);
	int		 status, nl = 0;

	*msg = NULL;
	if (login_end_marker(buf, len, nonce, &mlen, &status) < len ||
	    (from = login_start_end(buf, len, nonce)) > len)
		return 0;
	/* Without tether's prompt, where the shell came back. */
	for (end = len; end > from && (buf[end - 1] == ' ' ||
	    buf[end - 1] == '\t'); end--)
		;
	if (end - from >= plen - 1 &&
	    memcmp(buf + end - (plen - 1), LOGIN_PROMPT, plen - 1) == 0)
		end -= plen - 1;
	buf_init(&b, 0);
	for (i = from; i < end && b.len + 6 <= LOGIN_MSG_MAX; i++) {
		if (buf[i] == '\r' || buf[i] == '\n') {
			nl = b.len > 0;
			continue;
		}
		if (nl && buf_puts(&b, "; ") != 0)
			goto fail;
		nl = 0;
		if (buf_putc(&b, (unsigned char)buf[i] < 0x20 &&
		    buf[i] != '\t' ? '?' : buf[i]) != 0)
			goto fail;
	}
	if (i < end && buf_puts(&b, "...") != 0)
		goto fail;
	if (b.len == 0 && buf_puts(&b, "(no message)") != 0)
		goto fail;
	if ((*msg = buf_steal(&b)) == NULL)
		goto fail;
	return 1;
fail:
	buf_free(&b);
	return TETHER_ENOMEM;
}

/* Adds match m (the text before it and the match) to held, bounded. */
static int
run_hold(struct buf *held, struct tether_match *m)
{
	const char	*t;
	size_t		 n;

	t = tether_match_before(m, &n);
	if (buf_append(held, t, n) != 0)
		return TETHER_ENOMEM;
	if ((t = tether_match_group(m, 0, &n)) != NULL &&
	    buf_append(held, t, n) != 0)
		return TETHER_ENOMEM;
	if (held->len > RUN_HELD_MAX)
		buf_consume(held, held->len - RUN_HELD_MAX / 2);
	return 0;
}

static int
login_run(struct tether_session *s, const char *cmd, int64_t deadline,
    char **out, int *status)
{
	struct login_state	*st;
	struct tether_match	*m = NULL;
	struct login_branch	 b[2];
	struct buf		 line, held;
	char			 nonce[32], endre[96], *msg = NULL;
	const char		*pending;
	size_t			 plen;
	int64_t			 started = tether_now_ms(), pw;
	int			 r, settling = 0, marked = 0;

	*out = NULL;
	*status = -1;
	buf_init(&line, 0);
	buf_init(&held, 0);
	if ((st = login_state(s, 1)) == NULL)
		return tether_loop_seterr(s->loop, TETHER_ENOTSUP,
		    "run on %s: not a shell session", s->name);
	if ((!st->shell || st->busy) &&
	    (r = login_setup(s, "run", deadline)) != 0)
		return r;
	snprintf(nonce, sizeof nonce, "%x%x%x", (unsigned)getpid() & 0xfff,
	    (unsigned)(started & 0xffff), ++st->seq);
	snprintf(endre, sizeof endre, "\\x1eE\\.%s\\.(\\d+)\\x1f", nonce);
	/*
	 * The shell prints the markers from octal escapes, so the echo of
	 * this line holds other bytes than its output, wrapped or not.
	 */
	if (buf_printf(&line, "printf '\\036%%s\\037\\n' S.%s; eval ",
	    nonce) != 0 || run_quote(&line, cmd) != 0 ||
	    buf_printf(&line, "; printf '\\036%%s.%%s\\037\\n' E.%s \"$?\"",
	    nonce) != 0) {
		r = TETHER_ENOMEM;
		goto out;
	}
	st->busy = 1;
	if ((r = tether_session_sendline(s, buf_str(&line), 0, deadline)) != 0)
		goto out;
	/*
	 * The end marker, or tether's prompt back after the start marker
	 * without it: the shell gave the line up (a syntax error).  That
	 * prompt counts once it is the last thing received and stays so
	 * for the settle time.
	 */
	b[0] = (struct login_branch){ L_END, endre };
	b[1] = (struct login_branch){ L_PROMPT, LOGIN_RE_PROMPT_END };
	for (;;) {
		if ((r = login_expect(s, b, 2, settling ? st->settle : 0,
		    deadline, &m)) != 0)
			goto out;
		if (tether_match_outcome(m) == TETHER_MATCH_IDLE) {
			pending = tether_session_pending(s, &plen);
			settling = 0;
			tether_match_free(m);
			m = NULL;
			if (!login_blank(pending, plen))
				continue;
			if ((r = login_run_abandoned(held.data != NULL ?
			    held.data : "", held.len, nonce, &msg)) < 0)
				goto out;
			if (r == 0)
				continue;
			st->busy = 0;
			r = tether_loop_seterr(s->loop, TETHER_EFAIL,
			    "run on %s: the shell did not run the command: "
			    "%s", s->name, msg);
			goto out;
		}
		if (tether_match_outcome(m) != TETHER_MATCH_PATTERN) {
			r = login_outcome(s, m, "run", "end of the command",
			    started);
			goto out;
		}
		if ((r = run_hold(&held, m)) != 0)
			goto out;
		if (tether_match_id(m) == L_END)
			break;
		/* A prompt in the echo, before the start marker, is not one. */
		if (!marked)
			marked = login_start_end(held.data, held.len,
			    nonce) <= held.len;
		settling = marked;
		tether_match_free(m);
		m = NULL;
	}
	st->busy = 0;
	if ((r = login_run_parse(held.data, held.len, nonce, out, NULL,
	    status)) < 0)
		goto out;
	if (r == 0) {
		r = tether_loop_seterr(s->loop, TETHER_EPROTO,
		    "run on %s: garbled end marker", s->name);
		goto out;
	}
	tether_match_free(m);
	m = NULL;
	/* Take the prompt that follows, so the next expect starts after it. */
	pw = tether_now_ms() + RUN_PROMPT_WAIT;
	b[0] = (struct login_branch){ L_PROMPT, LOGIN_RE_PROMPT };
	if ((r = login_expect(s, b, 1, 0, deadline != -1 && deadline < pw ?
	    deadline : pw, &m)) != 0)
		goto out;
	if (tether_match_outcome(m) != TETHER_MATCH_PATTERN)
		st->shell = 0;	/* the command changed the prompt */
	r = 0;
out:
	tether_match_free(m);
	buf_free(&line);
	buf_free(&held);
	free(msg);
	if (r != 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

int
tether_login(struct tether_session *s, const struct tether_login_opts *o,
    int64_t deadline)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, login_login(s, o, deadline));
}

int
tether_run(struct tether_session *s, const char *cmd, int64_t deadline,
    char **out, int *status)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, login_run(s, cmd, deadline, out, status));
}
