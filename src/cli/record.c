/* SPDX-License-Identifier: ISC */
/*
 * record.c - the recorder of tether record: follows every session's
 * output (the last line, ANSI escapes removed, is the prompt) and the
 * keys typed to it, and writes the playbook that types them again.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "interact.h"
#include "record.h"
#include "session.h"
#include "tether.h"
#include "transport.h"

#define REC_LINE_MAX	512		/* bytes of a line kept */
#define REC_PROMPT_MAX	60		/* bytes of a prompt expected */
#define REC_AFTER_MAX	8192		/* output kept to see the echo */
#define REC_SLOW_MS	3000		/* a wait that gets its timeout */
#define REC_KESC_MAX	64		/* bytes of an escape sequence typed */
#define REC_PAUSE_MIN	200		/* ms waited before a control key */
#define REC_PAUSE_MAX	1000

enum rec_esc {
	REC_NORMAL,
	REC_ESC,			/* after ESC */
	REC_CSI,			/* ESC [ ... final */
	REC_OSC,			/* ESC ] ... BEL or ESC \ */
	REC_OSC_ESC,
	REC_CHARSET,			/* ESC ( x */
};

/* A line typed, waiting to be written until its echo is known. */
struct rec_line {
	char		*prompt;	/* the text before it, or NULL */
	int64_t		 wait_ms;	/* how long the prompt took */
	int64_t		 idle_ms;	/* no output this long before it */
	struct buf	 text;		/* as edited: printable */
	struct buf	 raw;		/* every byte typed */
	int		 ctl;		/* raw holds control keys */
	int		 eol;		/* ended by Enter */
	int		 echo_off;	/* the pty said so: 1, 0, -1 unknown */
	struct buf	 after;		/* output since its first key */
};

struct rec_sess {
	struct tether_session	*s;
	char			*name;
	enum rec_esc		 esc;
	struct buf		 cur;		/* the line being received */
	struct buf		 last;		/* the last line not blank */
	size_t			 mark;		/* cur's bytes before a line */
	int64_t			 cur_at;	/* when cur last grew */
	int64_t			 sent_at;	/* the last Enter, or open */
	int64_t			 out_at;	/* the last output */
	struct rec_line		*typing;	/* keys of a line so far */
	struct rec_line		*pending;	/* ended, echo not judged */
	int			 cr;		/* last key was CR */
	char			 kesc[REC_KESC_MAX];	/* ESC... typed */
	size_t			 nkesc;
	int			 need_prompt;	/* a line written last */
};

/* A password recorded: its text (kept in memory only) and variable. */
struct rec_secret {
	char		*text;
	size_t		 len;
	char		*var;
};

struct rec {
	char			*path;
	FILE			*f;
	struct buf		 out;		/* the statements */
	int			 nstmt;
	struct rec_sess		**sess;
	size_t			  nsess;
	struct rec_secret	*sec;
	size_t			 nsec;
	struct ia_tap		 tap;
};

static void	rec_keys(void *, struct tether_session *, const char *,
		    size_t);
static void	rec_output(void *, struct tether_session *, const void *,
		    size_t);

struct rec *
rec_new(const char *path)
{
	struct rec	*r;

	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		free(r);
		cli_error("out of memory");
		return NULL;
	}
	/* Opened now, to fail before the session rather than after. */
	if ((r->f = fopen(path, "w")) == NULL) {
		cli_error("record: %s: %s", path, strerror(errno));
		free(r->path);
		free(r);
		return NULL;
	}
	buf_init(&r->out, 0);
	r->tap.keys = rec_keys;
	r->tap.output = rec_output;
	r->tap.arg = r;
	return r;
}

const struct ia_tap *
rec_tap(struct rec *r)
{
	return &r->tap;
}

/*
 * Playbook text.
 */

/* Appends len bytes of s as a playbook string "..." with escapes. */
static int
rec_put_string(struct buf *b, const char *s, size_t len)
{
	unsigned char	c;
	size_t		i;
	int		e = buf_putc(b, '"');

	for (i = 0; e == 0 && i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\' || c == '$')
			e = buf_printf(b, "\\%c", c);
		else if (c == '\r')
			e = buf_puts(b, "\\r");
		else if (c == '\n')
			e = buf_puts(b, "\\n");
		else if (c == '\t')
			e = buf_puts(b, "\\t");
		else if (c == 0x1b)
			e = buf_puts(b, "\\e");
		else if (c < 0x20 || c == 0x7f)
			e = buf_printf(b, "\\x%02x", c);
		else
			e = buf_putc(b, c);
	}
	return e != 0 ? -1 : buf_putc(b, '"');
}

/*
 * Appends prompt s as a regex /.../: metacharacters escaped, a run of
 * digits (counters, times, pids) generalised to \d+.
 */
static int
rec_put_regex(struct buf *b, const char *s)
{
	unsigned char	c;
	int		e = buf_putc(b, '/');

	for (; e == 0 && *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (isdigit(c)) {
			while (isdigit((unsigned char)s[1]))
				s++;
			e = buf_puts(b, "\\d+");
		} else if (strchr("\\^$.|?*+()[]{}/", c) != NULL)
			e = buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			e = buf_printf(b, "\\x%02x", c);
		else
			e = buf_putc(b, c);
	}
	return e != 0 ? -1 : buf_putc(b, '/');
}

/* Appends " NAME", bare when it is a plain word, else quoted. */
static int
rec_put_name(struct buf *b, const char *name)
{
	const char	*p;

	if (buf_putc(b, ' ') != 0)
		return -1;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return rec_put_string(b, name, strlen(name));
	}
	return buf_puts(b, name);
}

/*
 * Returns the variable of password text for session name: the one of
 * the same text typed before, else NAME_PASSWORD (NAME_PASSWORD2...).
 */
static const char *
rec_secret_var(struct rec *r, const char *name, const char *text,
    size_t len)
{
	struct rec_secret	*ns;
	char			 base[64], var[96];
	size_t			 i, k;
	int			 n = 1;

	for (i = 0; i < r->nsec; i++) {
		if (r->sec[i].len == len && memcmp(r->sec[i].text, text,
		    len) == 0)
			return r->sec[i].var;
	}
	for (k = 0; name[k] != '\0' && k < sizeof base - 1; k++)
		base[k] = isalnum((unsigned char)name[k]) ?
		    (char)toupper((unsigned char)name[k]) : '_';
	base[k] = '\0';
	snprintf(var, sizeof var, "%s_PASSWORD", base);
	for (i = 0; i < r->nsec; ) {
		if (strcmp(r->sec[i].var, var) == 0) {
			snprintf(var, sizeof var, "%s_PASSWORD%d", base, ++n);
			i = 0;
		} else
			i++;
	}
	if ((ns = reallocarray(r->sec, r->nsec + 1, sizeof *ns)) == NULL)
		return NULL;
	r->sec = ns;
	ns = &r->sec[r->nsec];
	if ((ns->text = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(ns->text, text, len);
	ns->text[len] = '\0';
	ns->len = len;
	if ((ns->var = strdup(var)) == NULL) {
		explicit_bzero(ns->text, len);
		free(ns->text);
		return NULL;
	}
	r->nsec++;
	return ns->var;
}

/* Appends ${env("VAR")}. */
static int
rec_put_env(struct buf *b, const char *var)
{
	return buf_printf(b, "${env(\"%s\")}", var);
}

int
rec_open(struct rec *r, const char *name, const char *uri,
    const struct tether_opt *opts, size_t nopts)
{
	const char	*var;
	size_t		 i;
	int		 e;

	e = buf_puts(&r->out, "open");
	e |= rec_put_name(&r->out, name);
	e |= buf_putc(&r->out, ' ');
	e |= rec_put_string(&r->out, uri, strlen(uri));
	for (i = 0; e == 0 && i < nopts; i++) {
		e |= buf_printf(&r->out, " %s=", opts[i].key);
		if (strstr(opts[i].key, "pass") != NULL) {
			if ((var = rec_secret_var(r, name, opts[i].value,
			    strlen(opts[i].value))) == NULL)
				return -1;
			e |= rec_put_env(&r->out, var);
		} else
			e |= rec_put_string(&r->out, opts[i].value,
			    strlen(opts[i].value));
	}
	e |= buf_putc(&r->out, '\n');
	r->nstmt++;
	return e != 0 ? -1 : 0;
}

/*
 * The sessions.
 */

static void
rec_line_free(struct rec_line *l)
{
	if (l == NULL)
		return;
	free(l->prompt);
	if (l->text.data != NULL)
		explicit_bzero(l->text.data, l->text.len);
	if (l->raw.data != NULL)
		explicit_bzero(l->raw.data, l->raw.len);
	buf_free(&l->text);
	buf_free(&l->raw);
	buf_free(&l->after);
	free(l);
}

/* Returns the recorder's state of s, made on first sight, or NULL. */
static struct rec_sess *
rec_sess(struct rec *r, struct tether_session *s)
{
	struct rec_sess	**ns, *rs;
	size_t		  i;

	for (i = 0; i < r->nsess; i++) {
		rs = r->sess[i];
		if (rs->s == s && strcmp(rs->name,
		    tether_session_name(s)) == 0)
			return rs;
	}
	if ((rs = calloc(1, sizeof *rs)) == NULL)
		return NULL;
	if ((rs->name = strdup(tether_session_name(s))) == NULL ||
	    (ns = reallocarray(r->sess, r->nsess + 1, sizeof *ns)) == NULL) {
		free(rs->name);
		free(rs);
		return NULL;
	}
	r->sess = ns;
	rs->s = s;
	buf_init(&rs->cur, 0);
	buf_init(&rs->last, 0);
	rs->sent_at = rs->cur_at = rs->out_at = tether_now_ms();
	r->sess[r->nsess++] = rs;
	return rs;
}

/* Returns 1 when the pty of a spawn: session has echo off, 0, -1. */
static int
rec_pty_echo_off(struct tether_session *s)
{
	struct termios	t;
	int		fd;

	if (tether_session_pid(s) == -1 || s->t == NULL ||
	    (fd = transport_fd(s->t)) == -1 || !isatty(fd) ||
	    tcgetattr(fd, &t) != 0)
		return -1;
	return (t.c_lflag & ECHO) == 0;
}

/* Returns nonzero when b holds only blanks. */
static int
rec_blank(const struct buf *b)
{
	size_t	i;

	for (i = 0; i < b->len; i++) {
		if (!isspace((unsigned char)b->data[i]))
			return 0;
	}
	return 1;
}

/*
 * Returns the prompt of rs now: what its last line received since the
 * last line sent (a replay's expect before consumed what came before),
 * at most REC_PROMPT_MAX bytes of its end; NULL when blank.
 */
static char *
rec_prompt(struct rec_sess *rs)
{
	struct buf	 cur = rs->cur, *b = &cur;
	size_t		 start = 0;

	cur.data += rs->mark;
	cur.len -= rs->mark;
	if (rec_blank(b))
		b = &rs->last;
	if (rec_blank(b))
		return NULL;
	if (b->len > REC_PROMPT_MAX) {
		start = b->len - REC_PROMPT_MAX;
		/* not inside a UTF-8 character */
		while (start < b->len &&
		    ((unsigned char)b->data[start] & 0xc0) == 0x80)
			start++;
	}
	return strndup(b->data + start, b->len - start);
}

/* Returns nonzero when the output after l's first key shows its text. */
static int
rec_echoed(const struct rec_line *l)
{
	if (l->text.len == 0)
		return 1;
	return l->after.len >= l->text.len && memmem(l->after.data,
	    l->after.len, l->text.data, l->text.len) != NULL;
}

/* Writes line l of rs as an expect and a sendline or send; frees it. */
static void
rec_emit(struct rec *r, struct rec_sess *rs, struct rec_line *l)
{
	struct buf	*b = &r->out;
	const char	*var = NULL;
	int64_t		 pause;
	int		 secret, e = 0;

	/* echo off (as the pty says, when it can) and nothing echoed */
	secret = l->echo_off != 0 && !rec_echoed(l);
	if (l->prompt != NULL) {
		e |= buf_puts(b, "expect");
		e |= rec_put_name(b, rs->name);
		e |= buf_putc(b, ' ');
		e |= rec_put_regex(b, l->prompt);
		if (l->wait_ms > REC_SLOW_MS)
			e |= buf_printf(b, " timeout %llds",
			    (long long)(l->wait_ms * 3 / 1000 + 1));
		e |= buf_putc(b, '\n');
		r->nstmt++;
	}
	if (secret && l->text.len > 0 && (var = rec_secret_var(r, rs->name,
	    l->text.data, l->text.len)) == NULL)
		e = -1;
	if (secret && l->text.len > 0 && var == NULL) {
		/* out of memory: nothing rather than the text */
		rec_line_free(l);
		fprintf(stderr, "tether: record: out of memory\n");
		return;
	}
	if (l->ctl && !l->eol && l->text.len == 0) {
		/*
		 * A control key alone (^C) is for a program that its output
		 * may not show running yet (forked, not yet in the
		 * foreground): the pause the user made, REC_PAUSE_MIN to
		 * REC_PAUSE_MAX.
		 */
		pause = l->idle_ms / 100 * 100;
		pause = pause < REC_PAUSE_MIN ? REC_PAUSE_MIN :
		    pause > REC_PAUSE_MAX ? REC_PAUSE_MAX : pause;
		e |= buf_printf(b, "sleep %lldms\n", (long long)pause);
		r->nstmt++;
	}
	if (l->ctl && var != NULL && !l->eol) {
		/* a secret ended by a control key: only that key */
		e |= buf_puts(b, "send");
		e |= rec_put_name(b, rs->name);
		e |= buf_putc(b, ' ');
		e |= rec_put_string(b, l->raw.data + l->raw.len - 1, 1);
	} else if (l->ctl && var == NULL) {
		/* control or editing keys: sent as typed */
		e |= buf_puts(b, l->eol ? "sendline" : "send");
		e |= rec_put_name(b, rs->name);
		e |= buf_putc(b, ' ');
		e |= rec_put_string(b, l->raw.data, l->raw.len);
	} else if (var != NULL) {
		e |= buf_puts(b, l->eol ? "sendline -secret" :
		    "send -secret");
		e |= rec_put_name(b, rs->name);
		e |= buf_putc(b, ' ');
		e |= rec_put_env(b, var);
	} else {
		e |= buf_puts(b, l->eol ? "sendline" : "send");
		e |= rec_put_name(b, rs->name);
		e |= buf_putc(b, ' ');
		e |= rec_put_string(b, l->text.data, l->text.len);
	}
	e |= buf_putc(b, '\n');
	r->nstmt++;
	rs->need_prompt = 1;
	if (e != 0)
		fprintf(stderr, "tether: record: out of memory\n");
	rec_line_free(l);
}

/* Writes rs's line waiting for its echo, if any. */
static void
rec_settle_sess(struct rec *r, struct rec_sess *rs)
{
	struct rec_line	*l = rs->pending;

	rs->pending = NULL;
	if (l != NULL)
		rec_emit(r, rs, l);
}

/* Ends the line being typed on rs: it waits for its echo. */
static void
rec_end_line(struct rec *r, struct rec_sess *rs, int eol)
{
	struct rec_line	*l = rs->typing;
	int		 off;

	rs->typing = NULL;
	if (l == NULL)
		return;
	l->eol = eol;
	/* off at the first key or now: off while typing */
	if ((off = rec_pty_echo_off(rs->s)) == 1)
		l->echo_off = 1;
	rec_settle_sess(r, rs);
	rs->pending = l;
	rs->sent_at = tether_now_ms();
}

/* Starts a line on rs at its first key. */
static struct rec_line *
rec_start_line(struct rec *r, struct rec_sess *rs)
{
	struct rec_line	*l;

	rec_settle_sess(r, rs);	/* the user saw what it did */
	if ((l = calloc(1, sizeof *l)) == NULL)
		return NULL;
	buf_init(&l->text, 0);
	buf_init(&l->raw, 0);
	buf_init(&l->after, 0);
	l->prompt = rec_prompt(rs);
	rs->mark = rs->cur.len;		/* the echo comes after */
	l->wait_ms = rs->cur_at - rs->sent_at;
	l->idle_ms = tether_now_ms() - rs->out_at;
	l->echo_off = rec_pty_echo_off(rs->s);
	rs->typing = l;
	return l;
}

/*
 * Returns nonzero when the escape sequence k of n bytes is complete: ESC
 * and one byte, ESC O and one, a CSI up to its final byte, an OSC up to
 * BEL or ESC \.
 */
static int
rec_kesc_done(const char *k, size_t n)
{
	unsigned char	c = (unsigned char)k[n - 1];

	if (n < 2)
		return 0;
	if (k[1] == ']')
		return c == 0x07 || (n > 3 && c == '\\' && k[n - 2] == 0x1b);
	if (k[1] == '[')
		return n > 2 && c >= 0x40 && c <= 0x7e;
	if (k[1] == 'O')
		return n > 2;
	return 1;
}

/*
 * Returns nonzero when escape sequence k is the terminal's answer to a
 * program's question, not a key: a cursor position report (ESC [ r ; c
 * R), a device attributes or status report (ESC [ ? ... c, ESC [ > ...
 * c, ESC [ 0 n), an OSC answer (colours).  A replay asks no terminal.
 */
static int
rec_kesc_report(const char *k, size_t n)
{
	char	f = k[n - 1];

	if (k[1] == ']')
		return 1;
	if (k[1] != '[' || n < 4)
		return 0;
	if (f == 'R')
		return memchr(k, ';', n) != NULL;
	if (f == 'c')
		return k[2] == '?' || k[2] == '>';
	return f == 'n' || (f == 'y' && k[2] == '?');
}

/* Adds typed byte c to the line of rs being typed.  Returns 0 or -1. */
static int rec_key(struct rec *, struct rec_sess *, unsigned char);

/* The keys typed to s, before they are sent. */
static void
rec_keys(void *arg, struct tether_session *s, const char *k, size_t n)
{
	struct rec	*r = arg;
	struct rec_sess	*rs;
	size_t		 i, j;

	if ((rs = rec_sess(r, s)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (rs->nkesc == 0 && k[i] != 0x1b) {
			if (rec_key(r, rs, (unsigned char)k[i]) != 0)
				return;
			continue;
		}
		/* an escape sequence: a key (arrows) or an answer */
		rs->kesc[rs->nkesc++] = k[i];
		if (!rec_kesc_done(rs->kesc, rs->nkesc) &&
		    rs->nkesc < sizeof rs->kesc)
			continue;
		if (!rec_kesc_report(rs->kesc, rs->nkesc)) {
			for (j = 0; j < rs->nkesc; j++) {
				if (rec_key(r, rs,
				    (unsigned char)rs->kesc[j]) != 0)
					break;
			}
		}
		rs->nkesc = 0;
	}
}

static int
rec_key(struct rec *r, struct rec_sess *rs, unsigned char c)
{
	struct rec_line	*l;
	int		 e;

	if (c == '\n' && rs->cr) {
		rs->cr = 0;
		return 0;
	}
	rs->cr = c == '\r';
	if ((l = rs->typing) == NULL &&
	    (l = rec_start_line(r, rs)) == NULL)
		return -1;
	if (c == '\r' || c == '\n') {
		rec_end_line(r, rs, 1);
		return 0;
	}
	e = buf_putc(&l->raw, c);
	if (c == 0x7f || c == 0x08) {
		/* erase a character: its UTF-8 bytes */
		while (l->text.len > 0 && ((unsigned char)
		    l->text.data[--l->text.len] & 0xc0) == 0x80)
			;
	} else if (c == 0x1b || c == '\t')
		l->ctl = 1;	/* editing keys: replayed as typed */
	else if (c < 0x20) {
		l->ctl = 1;	/* ^C, ^D, ^Z: the line ends */
		rec_end_line(r, rs, 0);
	} else
		e |= buf_putc(&l->text, c);
	return e != 0 ? -1 : 0;
}

/* Appends output byte c to the lines of rs and the typed line's view. */
static void
rec_putc(struct rec_sess *rs, unsigned char c)
{
	struct rec_line	*l;
	struct buf	 tail;
	int		 k;

	for (k = 0; k < 2; k++) {
		l = k == 0 ? rs->typing : rs->pending;
		if (l != NULL && l->after.len < REC_AFTER_MAX &&
		    buf_putc(&l->after, c) != 0)
			return;
	}
	if (c == '\n') {
		/* the line as received after the last send */
		tail = rs->cur;
		tail.data += rs->mark;
		tail.len -= rs->mark;
		if (!rec_blank(&tail)) {
			buf_reset(&rs->last);
			if (buf_append(&rs->last, rs->cur.data + rs->mark,
			    rs->cur.len - rs->mark) != 0)
				return;
		}
		buf_reset(&rs->cur);
		rs->mark = 0;
		return;
	}
	if (c == 0x08) {
		if (rs->cur.len > rs->mark)
			rs->cur.len--;
		return;
	}
	if (c < 0x20 || c == 0x7f)
		return;
	if (rs->cur.len >= REC_LINE_MAX) {
		buf_consume(&rs->cur, rs->cur.len - REC_LINE_MAX + 1);
		rs->mark = 0;
	}
	if (buf_putc(&rs->cur, c) != 0)
		return;
	rs->cur_at = tether_now_ms();
}

/* The output of s: the escapes of terminals dropped. */
static void
rec_output(void *arg, struct tether_session *s, const void *p, size_t n)
{
	struct rec		*r = arg;
	struct rec_sess		*rs;
	const unsigned char	*c = p;
	size_t			 i;

	if ((rs = rec_sess(r, s)) == NULL)
		return;
	rs->out_at = tether_now_ms();
	for (i = 0; i < n; i++) {
		switch (rs->esc) {
		case REC_NORMAL:
			if (c[i] == 0x1b)
				rs->esc = REC_ESC;
			else
				rec_putc(rs, c[i]);
			break;
		case REC_ESC:
			if (c[i] == '[')
				rs->esc = REC_CSI;
			else if (c[i] == ']')
				rs->esc = REC_OSC;
			else if (c[i] == '(' || c[i] == ')')
				rs->esc = REC_CHARSET;
			else
				rs->esc = REC_NORMAL;
			break;
		case REC_CSI:
			if (c[i] >= 0x40 && c[i] <= 0x7e)
				rs->esc = REC_NORMAL;
			break;
		case REC_OSC:
			if (c[i] == 0x07)
				rs->esc = REC_NORMAL;
			else if (c[i] == 0x1b)
				rs->esc = REC_OSC_ESC;
			break;
		case REC_OSC_ESC:
			rs->esc = c[i] == '\\' ? REC_NORMAL : REC_OSC;
			break;
		case REC_CHARSET:
			rs->esc = REC_NORMAL;
			break;
		}
	}
}

void
rec_settle(struct rec *r)
{
	struct rec_sess	*rs;
	size_t		 i, k;

	for (i = 0; i < r->nsess; i++) {
		rs = r->sess[i];
		/* a lone ESC typed is a key */
		for (k = 0; k < rs->nkesc; k++)
			(void)rec_key(r, rs, (unsigned char)rs->kesc[k]);
		rs->nkesc = 0;
		/* keys typed before the escape key went out as they are */
		if (rs->typing != NULL)
			rec_end_line(r, rs, 0);
		rec_settle_sess(r, rs);
	}
}

/* Writes an expect on the prompt of rs now, if it has one. */
static void
rec_expect_prompt(struct rec *r, struct rec_sess *rs)
{
	char	*prompt;
	int	 e = 0;

	if ((prompt = rec_prompt(rs)) == NULL)
		return;
	e |= buf_puts(&r->out, "expect");
	e |= rec_put_name(&r->out, rs->name);
	e |= buf_putc(&r->out, ' ');
	e |= rec_put_regex(&r->out, prompt);
	e |= buf_putc(&r->out, '\n');
	r->nstmt++;
	free(prompt);
	rs->mark = rs->cur.len;
	rs->sent_at = tether_now_ms();
	if (e != 0)
		fprintf(stderr, "tether: record: out of memory\n");
}

void
rec_statement(struct rec *r, const char *src, size_t len,
    struct tether_session *to)
{
	struct rec_sess	*rs;
	size_t		 i;

	while (len > 0 && isspace((unsigned char)src[len - 1]))
		len--;
	rec_settle(r);
	/* as a line typed: sent once the prompt is there */
	if (to != NULL && (rs = rec_sess(r, to)) != NULL)
		rec_expect_prompt(r, rs);
	/* what follows is the statement's (it may be an expect) */
	for (i = 0; i < r->nsess; i++)
		r->sess[i]->need_prompt = 0;
	if (buf_append(&r->out, src, len) != 0 || buf_putc(&r->out,
	    '\n') != 0)
		fprintf(stderr, "tether: record: out of memory\n");
	r->nstmt++;
}

/* Frees r's sessions, passwords and text. */
static void
rec_free(struct rec *r)
{
	struct rec_sess	*rs;
	size_t		 i;

	for (i = 0; i < r->nsess; i++) {
		rs = r->sess[i];
		rec_line_free(rs->typing);
		rec_line_free(rs->pending);
		buf_free(&rs->cur);
		buf_free(&rs->last);
		free(rs->name);
		free(rs);
	}
	free(r->sess);
	for (i = 0; i < r->nsec; i++) {
		explicit_bzero(r->sec[i].text, r->sec[i].len);
		free(r->sec[i].text);
		free(r->sec[i].var);
	}
	free(r->sec);
	buf_free(&r->out);
	free(r->path);
	free(r);
}

void
rec_abort(struct rec *r)
{
	fclose(r->f);
	unlink(r->path);
	rec_free(r);
}

int
rec_finish(struct rec *r)
{
	char		 stamp[64];
	time_t		 now = time(NULL);
	struct tm	 tm;
	size_t		 i;
	int		 n, ret = -1;

	/*
	 * The last lines typed: the replay waits for their output, up to
	 * the prompt that followed.
	 */
	rec_settle(r);
	for (i = 0; i < r->nsess; i++) {
		if (r->sess[i]->need_prompt)
			rec_expect_prompt(r, r->sess[i]);
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M", &tm);
	fprintf(r->f, "# Recorded by tether record on %s.\n"
	    "# Replay: tether run %s\n", stamp, r->path);
	if (r->nsec > 0) {
		fprintf(r->f, "# Passwords typed where echo was off are read "
		    "from the environment:\n");
		for (i = 0; i < r->nsec; i++)
			fprintf(r->f, "if env(\"%s\") == null {\n"
			    "\tfail \"set %s in the environment (a password "
			    "of this playbook)\"\n}\n", r->sec[i].var,
			    r->sec[i].var);
	}
	fwrite(r->out.data, 1, r->out.len, r->f);
	n = r->nstmt;
	if (fflush(r->f) != 0 || ferror(r->f)) {
		cli_error("record: %s: %s", r->path, strerror(errno));
		fclose(r->f);
	} else if (fclose(r->f) != 0)
		cli_error("record: %s: %s", r->path, strerror(errno));
	else {
		fprintf(stderr, "tether: recorded %d statements to %s",
		    n, r->path);
		for (i = 0; i < r->nsec; i++)
			fprintf(stderr, "%s%s", i == 0 ? "; it reads " :
			    ", ", r->sec[i].var);
		fputc('\n', stderr);
		ret = n;
	}
	rec_free(r);
	return ret;
}
