/*
 * login.c - logging in on a console (login and password prompts, an
 * existing shell, "Login incorrect") and running shell commands between
 * markers the echoed command line cannot match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "login.h"
#include "session.h"
#include "tether.h"

#define LOGIN_RE_LOGIN		"(?i)(?<!last )login:[ \\t]*"
#define LOGIN_RE_PASSWORD	"(?i)password:[ \\t]*"
#define LOGIN_RE_INCORRECT	"(?i)login incorrect|incorrect password|" \
				"authentication fail|permission denied|" \
				"access denied"
#define LOGIN_RE_SHELL		"[#$>%][ \\t]*\\z"
#define LOGIN_RE_PROMPT		"\\[tether\\]# "

#define LOGIN_WAKE_FIRST	1000	/* ms of silence before a newline */
#define LOGIN_WAKE_MAX		8000	/* the backoff stops growing here */
#define LOGIN_WAKES		8	/* newlines sent at most */
#define LOGIN_USERS		4	/* user names sent at most */
#define LOGIN_RELOGIN_GRACE	2000	/* second login: prompt, no password */
#define LOGIN_USER_GRACE	5000	/* user sent, nothing at all after */
#define LOGIN_SETUP_RESEND	3000	/* prompt not back: type it again */
#define LOGIN_SETUP_TRIES	3
#define RUN_PROMPT_WAIT		2000	/* prompt after the end marker */

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
	int	shell;		/* at tether's prompt */
	int	busy;		/* a run did not see its end marker */
};

struct login_branch {
	int		 id;
	const char	*re;
};

static void
login_state_free(void *p)
{
	free(p);
}

/* Returns the shell state of s, created when asked, or NULL. */
static struct login_state *
login_state(struct tether_session *s, int create)
{
	struct login_state	*st;

	if (s->proto_free == login_state_free)
		return s->proto_state;
	if (!create || s->proto != SESSION_PROTO_NONE ||
	    s->proto_state != NULL)
		return NULL;
	if ((st = calloc(1, sizeof *st)) == NULL)
		return NULL;
	s->proto_state = st;
	s->proto_free = login_state_free;
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

/* Turns a timeout or EOF outcome into a status with a message. */
static int
login_outcome(struct tether_session *s, struct tether_match *m,
    const char *what, int64_t started)
{
	if (tether_match_outcome(m) == TETHER_MATCH_EOF)
		return tether_loop_seterr(s->loop, TETHER_EOF,
		    "%s: end of file on %s while waiting for %s", s->name,
		    s->name, what);
	return tether_loop_seterr(s->loop, TETHER_ETIMEDOUT,
	    "%s: no %s after %lld ms", s->name, what,
	    (long long)(tether_now_ms() - started));
}

int
login_setup(struct tether_session *s, int64_t deadline)
{
	struct login_state	*st;
	struct tether_match	*m = NULL;
	struct login_branch	 b[] = { { L_PROMPT, LOGIN_RE_PROMPT } };
	int64_t			 started = tether_now_ms();
	int			 r, tries;

	if ((st = login_state(s, 1)) == NULL)
		return tether_loop_seterr(s->loop, TETHER_ENOTSUP,
		    "%s is not a shell session", s->name);
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
		r = login_expect(s, b, 1, tries < LOGIN_SETUP_TRIES ?
		    LOGIN_SETUP_RESEND : 0, deadline, &m);
		if (r != 0)
			return r;
		switch (tether_match_outcome(m)) {
		case TETHER_MATCH_PATTERN:
			tether_match_free(m);
			st->shell = 1;
			return 0;
		case TETHER_MATCH_IDLE:
			tether_match_free(m);
			continue;
		default:
			r = login_outcome(s, m, "shell prompt after setting "
			    "PS1", started);
			tether_match_free(m);
			return r;
		}
	}
}

int
tether_login(struct tether_session *s, const struct tether_login_opts *o,
    int64_t deadline)
{
	enum { ST_START, ST_USER, ST_RELOGIN, ST_PASS } state = ST_START;
	struct login_branch	 b[4];
	struct tether_match	*m = NULL;
	struct login_state	*st;
	const char		*what = "login prompt";
	int64_t			 started = tether_now_ms(), wake, idle;
	size_t			 nb;
	int			 r, id, wakes = 0, users = 0;
	const char		*re_login, *re_pass, *re_shell;

	if (o == NULL || o->user == NULL || *o->user == '\0')
		return tether_loop_seterr(s->loop, TETHER_EINVAL,
		    "login on %s: no user name", s->name);
	if ((st = login_state(s, 1)) == NULL)
		return tether_loop_seterr(s->loop, TETHER_ENOTSUP,
		    "login on %s: not a console session", s->name);
	st->shell = 0;
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
			b[nb++] = (struct login_branch){ L_INCORRECT,
			    LOGIN_RE_INCORRECT };
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
			b[nb++] = (struct login_branch){ L_INCORRECT,
			    LOGIN_RE_INCORRECT };
			b[nb++] = (struct login_branch){ L_LOGIN, re_login };
			b[nb++] = (struct login_branch){ L_PASSWORD, re_pass };
			if (wakes < LOGIN_WAKES)
				idle = wake;
			what = "shell prompt";
			break;
		}
		if ((r = login_expect(s, b, nb, idle, deadline, &m)) != 0)
			goto out;
		if (tether_match_outcome(m) == TETHER_MATCH_TIMEOUT ||
		    tether_match_outcome(m) == TETHER_MATCH_EOF) {
			r = login_outcome(s, m, what, started);
			goto out;
		}
		id = tether_match_id(m);
		tether_match_free(m);
		m = NULL;
		if (id == L_IDLE) {
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
		case L_INCORRECT:
			r = tether_loop_seterr(s->loop, TETHER_EAUTH,
			    "login on %s: login incorrect for user %s",
			    s->name, o->user);
			goto out;
		case L_SHELL:
			r = login_setup(s, deadline);
			goto out;
		}
	}
out:
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
 * Copies the command output found in before (after the start marker) into
 * a new string: CR LF made LF, trailing newlines removed.
 */
static char *
run_output(const char *before, size_t len, const char *start)
{
	const char	*p, *end = before + len;
	struct buf	 b;
	size_t		 i;

	if ((p = memmem(before, len, start, strlen(start))) != NULL) {
		p += strlen(start);
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
	} else
		p = before;	/* the start fell out of the match window */
	buf_init(&b, 0);
	for (; p < end; p++) {
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			continue;
		if (buf_putc(&b, *p) != 0) {
			buf_free(&b);
			return NULL;
		}
	}
	for (i = b.len; i > 0 && (b.data[i - 1] == '\n' ||
	    b.data[i - 1] == '\r'); i--)
		;
	b.len = i;
	if (buf_putc(&b, '\0') != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int
tether_run(struct tether_session *s, const char *cmd, int64_t deadline,
    char **out, int *status)
{
	static unsigned		 seq;
	struct login_state	*st;
	struct tether_match	*m = NULL;
	struct login_branch	 b[1];
	struct buf		 line;
	char			 nonce[32], start[48], endre[96];
	const char		*before, *g;
	size_t			 blen;
	int64_t			 started = tether_now_ms(), pw;
	int			 r;

	*out = NULL;
	*status = -1;
	buf_init(&line, 0);
	if ((st = login_state(s, 1)) == NULL)
		return tether_loop_seterr(s->loop, TETHER_ENOTSUP,
		    "run on %s: not a shell session", s->name);
	if ((!st->shell || st->busy) && (r = login_setup(s, deadline)) != 0)
		return r;
	snprintf(nonce, sizeof nonce, "%x%x%x", (unsigned)getpid() & 0xfff,
	    (unsigned)(started & 0xffff), ++seq);
	snprintf(start, sizeof start, "\036S.%s\037", nonce);
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
	b[0] = (struct login_branch){ L_END, endre };
	if ((r = login_expect(s, b, 1, 0, deadline, &m)) != 0)
		goto out;
	if (tether_match_outcome(m) != TETHER_MATCH_PATTERN) {
		r = login_outcome(s, m, "end of the command", started);
		goto out;
	}
	st->busy = 0;
	before = tether_match_before(m, &blen);
	if ((*out = run_output(before, blen, start)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	g = tether_match_group(m, 1, NULL);
	*status = g != NULL ? atoi(g) : -1;
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
	if (r != 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}
