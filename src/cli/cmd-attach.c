/* SPDX-License-Identifier: ISC */
/*
 * cmd-attach.c - tether attach: the terminal passed through to one or more
 * sessions, and the command prompt the escape key opens (switch, send,
 * expect, hmp, log, paste, quit) with readline history and completion.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <readline/readline.h>

#include "buf.h"
#include "cli.h"
#include "interact.h"
#include "term.h"
#include "tether.h"
#include "transport.h"

#define ATT_TIMEOUT	10000		/* default for expect and hmp, ms */
#define ATT_PACE	10		/* default paste pace, ms */
#define ATT_PASTE_MAX	(1024 * 1024)
#define ATT_MAXOPTS	64
#define ATT_HELP_WITHIN	5000		/* ms to read an HMP help list */

/* One word of a command line. */
enum aw_kind {
	AW_BARE,		/* as typed */
	AW_STRING,		/* "..." (escapes decoded) or '...' */
	AW_REGEX,		/* /.../flags: s is the source */
};

struct aw {
	enum aw_kind	 kind;
	char		*s;		/* decoded text */
	size_t		 len;
	char		*raw;		/* as typed */
	int		 flags;		/* AW_REGEX: TETHER_RE_* */
};

/* The HMP command names of a monitor session, for completion. */
struct att_hmp {
	struct tether_session	*s;
	char			**cmds;
	size_t			 ncmds;
	char			**info;
	size_t			 ninfo;
};

struct att {
	struct tether_loop	*loop;
	struct interact		*ia;
	const char		*log_dir;
	int			 esc;
	int64_t			 timeout;
	struct att_hmp		*hmp;
	size_t			 nhmp;
	char			 prompt[256];
};

struct att_cmd {
	const char	*name;
	void		(*fn)(struct att *, struct aw *, int);
	const char	*usage;
	const char	*help;
};

/* For the completion functions, which readline calls without context. */
static struct att	*att_rl;

static void	att_help(struct att *, struct aw *, int);
static void	att_sessions(struct att *, struct aw *, int);
static void	att_switch(struct att *, struct aw *, int);
static void	att_open(struct att *, struct aw *, int);
static void	att_close(struct att *, struct aw *, int);
static void	att_send(struct att *, struct aw *, int);
static void	att_expect(struct att *, struct aw *, int);
static void	att_hmpcmd(struct att *, struct aw *, int);
static void	att_log(struct att *, struct aw *, int);
static void	att_paste(struct att *, struct aw *, int);
static void	att_timeout(struct att *, struct aw *, int);
static void	att_continue(struct att *, struct aw *, int);
static void	att_quit(struct att *, struct aw *, int);

static const struct att_cmd att_cmds[] = {
	{ "help", att_help, "help [COMMAND]", "list the commands" },
	{ "sessions", att_sessions, "sessions", "list the attached sessions" },
	{ "switch", att_switch, "switch NAME|NUMBER",
	    "go to another session" },
	{ "open", att_open, "open NAME URI [KEY=VALUE]...",
	    "open another session and go to it" },
	{ "close", att_close, "close [NAME]", "close a session" },
	{ "send", att_send, "send [-pace DUR] [NAME] TEXT...",
	    "send bytes (\"...\" takes \\r \\n \\t \\e \\xHH)" },
	{ "sendline", att_send, "sendline [-pace DUR] [NAME] TEXT...",
	    "send text and the session's line ending" },
	{ "expect", att_expect, "expect [NAME] /REGEX/|\"TEXT\" [timeout DUR]",
	    "wait for output received since you last typed" },
	{ "hmp", att_hmpcmd, "hmp [NAME] COMMAND...",
	    "run a QEMU monitor command on an hmp: session" },
	{ "log", att_log, "log start [FILE [CASTFILE]] | log stop",
	    "start or stop the current session's transcript" },
	{ "paste", att_paste, "paste [-pace DUR] [-raw] FILE",
	    "type a file slowly (10ms a byte, LF as the line ending), "
	    "then go back" },
	{ "timeout", att_timeout, "timeout [DUR]",
	    "show or set the timeout of expect and hmp (default 10s)" },
	{ "continue", att_continue, "continue",
	    "back to the session (an empty line does it too)" },
	{ "quit", att_quit, "quit", "close every session and leave" },
	{ "exit", att_quit, "exit", "same as quit" },
};
#define ATT_NCMDS	(sizeof att_cmds / sizeof att_cmds[0])

static const char *const att_schemes[] = {
	"spawn:", "unix:", "tcp:", "telnet:", "telnet+unix:", "hmp:unix:",
	"hmp:tcp:", "qmp:unix:", "qmp:tcp:", "ssh://", NULL
};

/* Used when a monitor's help cannot be read. */
static const char *const att_hmp_fallback[] = {
	"c", "cont", "stop", "info", "help", "quit", "q", "system_reset",
	"system_powerdown", "sendkey", "device_add", "device_del", "savevm",
	"loadvm", "migrate", "screendump", "x", "xp", "print", "nmi",
	"log", "gdbserver", "balloon", "chardev-add", "netdev_add", NULL
};
static const char *const att_info_fallback[] = {
	"status", "cpus", "pci", "registers", "mtree", "block", "network",
	"chardev", "migrate", "qtree", "version", "kvm", "mem", "tlb",
	"irq", "roms", "usb", "snapshots", "name", "uuid", NULL
};

static void
aw_free(struct aw *w, int n)
{
	int	i;

	if (w == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(w[i].s);
		free(w[i].raw);
	}
	free(w);
}

static int
aw_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes the escapes of a "..." string into b; p at its first byte. */
static const char *
aw_string(const char *p, struct buf *b)
{
	int	c, h1, h2;

	for (; *p != '\0' && *p != '"'; p++) {
		if (*p != '\\' || p[1] == '\0') {
			c = *p;
		} else {
			switch (*++p) {
			case 'r':  c = '\r'; break;
			case 'n':  c = '\n'; break;
			case 't':  c = '\t'; break;
			case 'e':  c = 0x1b; break;
			case 'a':  c = 0x07; break;
			case 'b':  c = 0x08; break;
			case '0':  c = 0; break;
			case 'x':
				if ((h1 = aw_hex(p[1])) < 0 ||
				    (h2 = aw_hex(p[2])) < 0) {
					c = 'x';
					break;
				}
				c = h1 * 16 + h2;
				p += 2;
				break;
			case '\\': case '"': case '\'': case '$':
				c = *p;
				break;
			default:
				if (buf_putc(b, '\\') != 0)
					return NULL;
				c = *p;
				break;
			}
		}
		if (buf_putc(b, c) != 0)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}

/* Returns the end of a /regex/flags word starting at p, or NULL. */
static const char *
aw_regex_end(const char *p, int *flags)
{
	const char	*q;

	for (q = p + 1; *q != '\0'; q++) {
		if (*q == '\\' && q[1] != '\0') {
			q++;
			continue;
		}
		if (*q != '/')
			continue;
		*flags = 0;
		for (q++; *q != '\0' && !isspace((unsigned char)*q); q++) {
			switch (*q) {
			case 'i': *flags |= TETHER_RE_CASELESS; break;
			case 'm': *flags |= TETHER_RE_MULTILINE; break;
			case 's': *flags |= TETHER_RE_DOTALL; break;
			case 'x': *flags |= TETHER_RE_EXTENDED; break;
			default: return NULL;
			}
		}
		return q;
	}
	return NULL;
}

/*
 * Splits a command line into words: blanks separate; "..." with escapes,
 * '...' as is, /.../flags a regex.  Returns 0, or -1 with *err set.
 */
static int
aw_split(const char *line, struct aw **out, int *nout, const char **err)
{
	struct aw	*w = NULL, *nw;
	struct buf	 b;
	const char	*p = line, *start, *q;
	int		 n = 0, flags;

	*out = NULL;
	*nout = 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if ((nw = reallocarray(w, n + 1, sizeof *w)) == NULL)
			goto nomem;
		w = nw;
		memset(&w[n], 0, sizeof w[n]);
		buf_init(&b, 0);
		start = p;
		if (*p == '"') {
			w[n].kind = AW_STRING;
			if ((p = aw_string(p + 1, &b)) == NULL) {
				buf_free(&b);
				*err = "unterminated \"string\"";
				goto fail;
			}
		} else if (*p == '\'') {
			w[n].kind = AW_STRING;
			if ((q = strchr(p + 1, '\'')) == NULL) {
				*err = "unterminated 'string'";
				goto fail;
			}
			if (buf_append(&b, p + 1, (size_t)(q - p - 1)) != 0)
				goto nomem;
			p = q + 1;
		} else if (*p == '/' && (q = aw_regex_end(p, &flags)) != NULL) {
			w[n].kind = AW_REGEX;
			w[n].flags = flags;
			start = p;
			while (q > p && q[-1] != '/')
				q--;
			if (buf_append(&b, p + 1, (size_t)(q - p - 2)) != 0)
				goto nomem;
			p = q;
			while (*p != '\0' && !isspace((unsigned char)*p))
				p++;
		} else {
			w[n].kind = AW_BARE;
			while (*p != '\0' && !isspace((unsigned char)*p))
				p++;
			if (buf_append(&b, start, (size_t)(p - start)) != 0)
				goto nomem;
		}
		w[n].len = b.len;
		if (buf_putc(&b, '\0') != 0)
			goto nomem;
		w[n].s = buf_steal(&b);
		w[n].raw = strndup(start, (size_t)(p - start));
		n++;
		if (w[n - 1].s == NULL || w[n - 1].raw == NULL)
			goto nomem;
	}
	*out = w;
	*nout = n;
	return 0;
nomem:
	*err = "out of memory";
fail:
	aw_free(w, n);
	return -1;
}

/* Returns nonzero when word i is the bare word kw. */
static int
aw_is(struct aw *w, int n, int i, const char *kw)
{
	return i < n && w[i].kind == AW_BARE && strcmp(w[i].s, kw) == 0;
}

static int
att_is_hmp(struct tether_session *s)
{
	return s != NULL && strncmp(tether_session_uri(s), "hmp:", 4) == 0;
}

/* Returns the attached session named name (or numbered, from 1). */
static struct tether_session *
att_find(struct att *a, const char *name)
{
	struct tether_session	*s;
	char			*ep;
	size_t			 i;
	long			 k;

	for (i = 0; (s = ia_session(a->ia, i)) != NULL; i++) {
		if (strcmp(tether_session_name(s), name) == 0)
			return s;
	}
	k = strtol(name, &ep, 10);
	if (*name != '\0' && *ep == '\0' && k >= 1)
		return ia_session(a->ia, (size_t)k - 1);
	return NULL;
}

/*
 * Takes word *i as a session name when it names one and at least `rest`
 * words follow it.  Returns that session or the current one.
 */
static struct tether_session *
att_target(struct att *a, struct aw *w, int n, int *i, int rest)
{
	struct tether_session	*s;

	if (*i + rest < n && w[*i].kind == AW_BARE &&
	    (s = att_find(a, w[*i].s)) != NULL &&
	    strcmp(tether_session_name(s), w[*i].s) == 0) {
		(*i)++;
		return s;
	}
	return ia_current(a->ia);
}

static void
att_usage(const char *name)
{
	size_t	i;

	for (i = 0; i < ATT_NCMDS; i++) {
		if (strcmp(att_cmds[i].name, name) == 0)
			printf("usage: %s\n", att_cmds[i].usage);
	}
}

/* Prints s with control characters made visible. */
static void
att_print_visible(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/* Prints the last failure of the loop. */
static void
att_fail(struct att *a, const char *what, int r)
{
	const char	*m = tether_loop_errmsg(a->loop);

	ia_newline();
	printf("%s: %s\n", what, *m != '\0' ? m : tether_strerror(r));
}

static void
att_help(struct att *a, struct aw *w, int n)
{
	size_t	i;

	if (n > 1) {
		for (i = 0; i < ATT_NCMDS; i++) {
			if (strcmp(att_cmds[i].name, w[1].s) == 0) {
				printf("%s\n    %s\n", att_cmds[i].usage,
				    att_cmds[i].help);
				return;
			}
		}
		printf("no command %s\n", w[1].s);
		return;
	}
	for (i = 0; i < ATT_NCMDS; i++)
		printf("  %-44s %s\n", att_cmds[i].usage, att_cmds[i].help);
	printf("An empty line or %s goes back to the session; %s at the "
	    "prompt sends it.\nTab completes commands, session names and "
	    "HMP commands.\n", ia_key_name(a->esc), ia_key_name(a->esc));
}

static void
att_sessions(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s;
	size_t			 i;

	for (i = 0; (s = ia_session(a->ia, i)) != NULL; i++)
		printf("%c %zu %-12s %-6s %-5s %8llu bytes  %s\n",
		    s == ia_current(a->ia) ? '*' : ' ', i + 1,
		    tether_session_name(s), tether_session_kind(s),
		    tether_session_eof(s) ? "ended" : "open",
		    (unsigned long long)tether_session_rx_bytes(s),
		    tether_session_uri(s));
}

/* Makes s the session the terminal talks to, and says so. */
static void
att_go(struct att *a, struct tether_session *s)
{
	ia_switch(a->ia, s);
	ia_notice(a->ia, "on %s (%s)", tether_session_name(s),
	    tether_session_uri(s));
	ia_next_pass(a->ia);
}

static void
att_switch(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s;

	if (n != 2) {
		att_usage("switch");
		return;
	}
	if ((s = att_find(a, w[1].s)) == NULL) {
		printf("no session %s (see sessions)\n", w[1].s);
		return;
	}
	if (tether_session_eof(s)) {
		printf("%s has ended\n", tether_session_name(s));
		return;
	}
	att_go(a, s);
}

/* Reads the command names of an HMP session for completion. */
static void
att_hmp_learn(struct att *a, struct tether_session *s)
{
	struct att_hmp	*h, *nh;
	char		*out = NULL, *line, *save = NULL, *tok, *alt, *save2;
	int		 pass, r;

	if ((nh = reallocarray(a->hmp, a->nhmp + 1, sizeof *nh)) == NULL)
		return;
	a->hmp = nh;
	h = &a->hmp[a->nhmp++];
	memset(h, 0, sizeof *h);
	h->s = s;
	ia_mute(a->ia, s, 1);
	for (pass = 0; pass < 2; pass++) {
		r = tether_hmp_command(s, pass == 0 ? "help" : "info",
		    tether_now_ms() + ATT_HELP_WITHIN, &out);
		if (r != 0)
			break;
		for (line = strtok_r(out, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			while (isspace((unsigned char)*line))
				line++;
			if (pass == 1) {
				if (strncmp(line, "info ", 5) != 0)
					continue;
				line += 5;
			}
			line[strcspn(line, " \t\r")] = '\0';
			for (tok = strtok_r(line, "|", &save2); tok != NULL;
			    tok = strtok_r(NULL, "|", &save2)) {
				char ***v = pass == 0 ? &h->cmds : &h->info;
				size_t *nv = pass == 0 ? &h->ncmds : &h->ninfo;
				char **nv2;

				if (*tok == '\0' || (nv2 = reallocarray(*v,
				    *nv + 1, sizeof **v)) == NULL)
					continue;
				*v = nv2;
				if ((alt = strdup(tok)) != NULL)
					(*v)[(*nv)++] = alt;
			}
		}
		free(out);
		out = NULL;
	}
	ia_mute(a->ia, s, 0);
}

static void
att_hmp_forget(struct att *a, struct tether_session *s)
{
	size_t	i, j;

	for (i = 0; i < a->nhmp; i++) {
		if (a->hmp[i].s != s)
			continue;
		for (j = 0; j < a->hmp[i].ncmds; j++)
			free(a->hmp[i].cmds[j]);
		for (j = 0; j < a->hmp[i].ninfo; j++)
			free(a->hmp[i].info[j]);
		free(a->hmp[i].cmds);
		free(a->hmp[i].info);
		a->hmp[i] = a->hmp[--a->nhmp];
		return;
	}
}

static struct att_hmp *
att_hmp_of(struct att *a, struct tether_session *s)
{
	size_t	i;

	for (i = 0; i < a->nhmp; i++) {
		if (a->hmp[i].s == s)
			return &a->hmp[i];
	}
	return NULL;
}

/* Opens a session with the terminal's size and --log-dir transcripts. */
static int
att_open_session(struct att *a, const char *name, const char *uri,
    const struct tether_opt *gopts, size_t ngopts,
    struct tether_session **out)
{
	struct tether_opt	 opts[ATT_MAXOPTS + 4];
	char			 rows[16], cols[16];
	char			*logp = NULL, *castp = NULL;
	size_t			 n = 0, i;
	int			 r, nr, nc;

	for (i = 0; i < ngopts && n < ATT_MAXOPTS; i++)
		opts[n++] = gopts[i];
	if (term_size(&nr, &nc) == 0) {
		snprintf(rows, sizeof rows, "%d", nr);
		snprintf(cols, sizeof cols, "%d", nc);
		opts[n].key = "rows";
		opts[n++].value = rows;
		opts[n].key = "cols";
		opts[n++].value = cols;
	}
	if (a->log_dir != NULL) {
		if (asprintf(&logp, "%s/%s.log", a->log_dir, name) == -1 ||
		    asprintf(&castp, "%s/%s.cast", a->log_dir, name) == -1) {
			r = TETHER_ENOMEM;
			goto out;
		}
		opts[n].key = "log";
		opts[n++].value = logp;
		opts[n].key = "cast";
		opts[n++].value = castp;
	}
	r = tether_session_open(a->loop, name, uri, opts, n, out);
	if (r == 0 && (r = ia_add(a->ia, *out)) != 0) {
		tether_session_close(*out);
		*out = NULL;
	}
	if (r == 0 && att_is_hmp(*out))
		att_hmp_learn(a, *out);
out:
	free(logp);
	free(castp);
	return r;
}

static void
att_open(struct att *a, struct aw *w, int n)
{
	struct tether_opt	 opts[ATT_MAXOPTS];
	struct tether_session	*s;
	size_t			 nopts = 0;
	char			*eq;
	int			 i, r;

	if (n < 3) {
		att_usage("open");
		return;
	}
	if (tether_loop_session(a->loop, w[1].s) != NULL) {
		printf("a session %s is already open\n", w[1].s);
		return;
	}
	for (i = 3; i < n && nopts < ATT_MAXOPTS; i++) {
		if ((eq = strchr(w[i].s, '=')) == NULL) {
			printf("open: %s is not KEY=VALUE\n", w[i].s);
			return;
		}
		*eq = '\0';
		opts[nopts].key = w[i].s;
		opts[nopts++].value = eq + 1;
	}
	if ((r = att_open_session(a, w[1].s, w[2].s, opts, nopts,
	    &s)) != 0) {
		att_fail(a, "open", r);
		return;
	}
	att_go(a, s);
}

static void
att_close(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s;

	s = n > 1 ? att_find(a, w[1].s) : ia_current(a->ia);
	if (s == NULL) {
		printf("no session %s\n", n > 1 ? w[1].s : "to close");
		return;
	}
	printf("closed %s\n", tether_session_name(s));
	ia_remove(a->ia, s);
	att_hmp_forget(a, s);
	tether_session_close(s);
	if (ia_current(a->ia) != NULL)
		printf("now on %s\n", tether_session_name(ia_current(a->ia)));
}

/* Parses "-pace DUR" at word *i.  Returns 0, or -1 after a message. */
static int
att_pace(struct aw *w, int n, int *i, int64_t *pace)
{
	if (!aw_is(w, n, *i, "-pace"))
		return 0;
	if (*i + 1 >= n || transport_duration(w[*i + 1].s, pace) != 0) {
		printf("-pace needs a duration (10ms, 1s)\n");
		return -1;
	}
	*i += 2;
	return 0;
}

static void
att_send(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s;
	struct buf		 b;
	int64_t			 pace = 0, deadline;
	int			 i = 1, r, line;

	line = strcmp(w[0].s, "sendline") == 0;
	if (att_pace(w, n, &i, &pace) != 0)
		return;
	if ((s = att_target(a, w, n, &i, 1)) == NULL) {
		printf("no session\n");
		return;
	}
	if (i >= n && !line) {
		att_usage(w[0].s);
		return;
	}
	buf_init(&b, 0);
	for (; i < n; i++) {
		if ((b.len > 0 && buf_putc(&b, ' ') != 0) ||
		    buf_append(&b, w[i].s, w[i].len) != 0)
			goto out;
	}
	if (line && buf_puts(&b, tether_session_eol(s)) != 0)
		goto out;
	if (b.len == 0)
		goto out;
	tether_session_flush(s);
	deadline = tether_now_ms() + ATT_TIMEOUT + pace * (int64_t)b.len;
	if (pace > 0)
		r = tether_session_send_paced(s, b.data, b.len, pace, 0,
		    deadline);
	else
		r = tether_session_send(s, b.data, b.len, 0, deadline);
	if (r != 0)
		att_fail(a, w[0].s, r);
out:
	buf_free(&b);
}

static void
att_expect(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s;
	struct tether_expect	*e = NULL;
	struct tether_match	*m = NULL;
	struct aw		*pat;
	const char		*g, *name;
	char			*tail;
	int64_t			 tmo = a->timeout;
	size_t			 len;
	int			 i = 1, k, r;

	if (n >= 4 && aw_is(w, n, n - 2, "timeout")) {
		if (transport_duration(w[n - 1].s, &tmo) != 0) {
			printf("timeout %s: not a duration\n", w[n - 1].s);
			return;
		}
		n -= 2;
	}
	if ((s = att_target(a, w, n, &i, 1)) == NULL || i != n - 1) {
		att_usage("expect");
		return;
	}
	name = tether_session_name(s);
	pat = &w[i];
	if ((e = tether_expect_new(a->loop)) == NULL)
		return;
	if (pat->kind == AW_REGEX)
		r = tether_expect_regex(e, s, pat->s, pat->flags, 1);
	else
		r = tether_expect_literal(e, s, pat->s, pat->len, 1);
	if (r == 0)
		r = tether_expect_eof(e, s, 2);
	if (r != 0) {
		att_fail(a, "expect", r);
		goto out;
	}
	if ((r = tether_expect_run(e, tether_now_ms() + tmo, &m)) != 0) {
		att_fail(a, "expect", r);
		goto out;
	}
	ia_newline();
	switch (tether_match_outcome(m)) {
	case TETHER_MATCH_PATTERN:
		g = tether_match_group(m, 0, &len);
		printf("matched on %s after %.1fs: \"", name,
		    tether_match_waited(m) / 1000.0);
		att_print_visible(g, len);
		printf("\"\n");
		for (k = 1; k < tether_match_ngroups(m); k++) {
			if ((g = tether_match_group(m, k, &len)) == NULL)
				continue;
			printf("  $%d = \"", k);
			att_print_visible(g, len);
			printf("\"\n");
		}
		break;
	case TETHER_MATCH_EOF:
		printf("%s: end of file after %.1fs\n", name,
		    tether_match_waited(m) / 1000.0);
		break;
	default:
		printf("timeout: no match on %s within %.1fs", name,
		    tmo / 1000.0);
		if ((tail = tether_session_tail(s, 3)) != NULL) {
			printf("; last lines:\n%s\n", tail);
			free(tail);
		} else
			printf("\n");
		break;
	}
out:
	tether_match_free(m);
	tether_expect_free(e);
}

/* Returns the hmp: session a command without a name means, or NULL. */
static struct tether_session *
att_default_hmp(struct att *a)
{
	struct tether_session	*s, *found = NULL;
	size_t			 i;

	if (att_is_hmp(ia_current(a->ia)))
		return ia_current(a->ia);
	for (i = 0; (s = ia_session(a->ia, i)) != NULL; i++) {
		if (!att_is_hmp(s))
			continue;
		if (found != NULL)
			return NULL;	/* several: name one */
		found = s;
	}
	return found;
}

static void
att_hmpcmd(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s = NULL;
	struct buf		 b;
	char			*out = NULL;
	int			 i = 1, r;

	if (n > 2 && w[1].kind == AW_BARE &&
	    att_is_hmp(s = att_find(a, w[1].s)) &&
	    strcmp(tether_session_name(s), w[1].s) == 0)
		i = 2;
	else
		s = att_default_hmp(a);
	if (s == NULL) {
		printf("hmp: name an hmp: session (open mon "
		    "hmp:unix:/path/to/monitor)\n");
		return;
	}
	if (i >= n) {
		att_usage("hmp");
		return;
	}
	buf_init(&b, 0);
	for (; i < n; i++) {
		if ((b.len > 0 && buf_putc(&b, ' ') != 0) ||
		    buf_puts(&b, w[i].kind == AW_BARE ? w[i].s : w[i].raw) != 0)
			goto out;
	}
	ia_mute(a->ia, s, 1);
	r = tether_hmp_command(s, buf_str(&b), tether_now_ms() + a->timeout,
	    &out);
	ia_mute(a->ia, s, 0);
	if (r != 0) {
		att_fail(a, "hmp", r);
		goto out;
	}
	if (out != NULL && *out != '\0')
		printf("%s%s", out, out[strlen(out) - 1] == '\n' ? "" : "\n");
out:
	free(out);
	buf_free(&b);
}

static void
att_log(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s = ia_current(a->ia);
	char			*logp = NULL, *castp = NULL, stamp[32];
	time_t			 now = time(NULL);
	struct tm		 tm;

	if (s == NULL) {
		printf("no session\n");
		return;
	}
	if (aw_is(w, n, 1, "stop") && n == 2) {
		tether_session_set_log(s, NULL, NULL);
		printf("%s: transcript stopped\n", tether_session_name(s));
		return;
	}
	if (!aw_is(w, n, 1, "start") || n > 4) {
		att_usage("log");
		return;
	}
	if (n > 2) {
		logp = strdup(w[2].s);
		castp = n > 3 ? strdup(w[3].s) : NULL;
	} else {
		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
		if (asprintf(&logp, "%s/%s-%s.log", a->log_dir != NULL ?
		    a->log_dir : ".", tether_session_name(s), stamp) == -1)
			logp = NULL;
		if (asprintf(&castp, "%s/%s-%s.cast", a->log_dir != NULL ?
		    a->log_dir : ".", tether_session_name(s), stamp) == -1)
			castp = NULL;
	}
	if (logp == NULL) {
		printf("out of memory\n");
		goto out;
	}
	if (tether_session_set_log(s, logp, castp) != 0)
		printf("%s: cannot write %s: %s\n", tether_session_name(s),
		    logp, strerror(errno));
	else
		printf("%s: transcript to %s%s%s\n", tether_session_name(s),
		    logp, castp != NULL ? " and " : "",
		    castp != NULL ? castp : "");
out:
	free(logp);
	free(castp);
}

static void
att_paste(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s = ia_current(a->ia);
	struct buf		 b;
	FILE			*f = NULL;
	const char		*eol;
	int64_t			 pace = ATT_PACE;
	int			 i = 1, raw = 0, c, r;

	buf_init(&b, ATT_PASTE_MAX);
	for (;;) {
		if (aw_is(w, n, i, "-raw")) {
			raw = 1;
			i++;
		} else if (aw_is(w, n, i, "-pace")) {
			if (att_pace(w, n, &i, &pace) != 0)
				goto out;
		} else
			break;
	}
	if (i != n - 1) {
		att_usage("paste");
		goto out;
	}
	if (s == NULL || tether_session_eof(s)) {
		printf("paste: no open session\n");
		goto out;
	}
	if ((f = fopen(w[i].s, "r")) == NULL) {
		printf("paste: %s: %s\n", w[i].s, strerror(errno));
		goto out;
	}
	eol = tether_session_eol(s);
	while ((c = getc(f)) != EOF) {
		if (!raw && c == '\r')
			continue;
		if (!raw && c == '\n')
			r = buf_puts(&b, eol);
		else
			r = buf_putc(&b, c);
		if (r != 0) {
			printf("paste: %s is larger than %d bytes\n", w[i].s,
			    ATT_PASTE_MAX);
			goto out;
		}
	}
	if (b.len == 0)
		goto out;
	tether_session_flush(s);
	r = tether_session_send_paced(s, b.data, b.len, pace, 0,
	    tether_now_ms() + ATT_TIMEOUT + pace * (int64_t)b.len);
	ia_newline();
	if (r != 0)
		att_fail(a, "paste", r);
	else {
		printf("pasted %zu bytes to %s\n", b.len,
		    tether_session_name(s));
		ia_next_pass(a->ia);	/* to see what it does */
	}
out:
	if (f != NULL)
		fclose(f);
	buf_free(&b);
}

static void
att_timeout(struct att *a, struct aw *w, int n)
{
	int64_t	ms;

	if (n == 2 && transport_duration(w[1].s, &ms) == 0)
		a->timeout = ms;
	else if (n != 1) {
		att_usage("timeout");
		return;
	}
	printf("timeout %.1fs\n", a->timeout / 1000.0);
}

static void
att_continue(struct att *a, struct aw *w, int n)
{
	struct tether_session	*s = ia_current(a->ia);

	if (s == NULL || tether_session_eof(s)) {
		printf("no open session: switch, open or quit\n");
		return;
	}
	ia_next_pass(a->ia);
}

static void
att_quit(struct att *a, struct aw *w, int n)
{
	ia_done(a->ia, 0);
}

/* Runs one line typed at the prompt. */
static void
att_command(struct interact *ia, char *line, void *arg)
{
	struct att	*a = arg;
	struct aw	*w = NULL;
	const char	*err;
	size_t		 i, len;
	int		 n, found = -1;

	if (line == NULL) {		/* ^D */
		att_continue(a, NULL, 0);
		return;
	}
	if (aw_split(line, &w, &n, &err) != 0) {
		printf("%s\n", err);
		return;
	}
	if (n == 0) {
		att_continue(a, w, n);
		goto out;
	}
	len = strlen(w[0].s);
	for (i = 0; i < ATT_NCMDS; i++) {
		if (strcmp(att_cmds[i].name, w[0].s) == 0) {
			found = (int)i;
			break;
		}
		/* A unique prefix will do. */
		if (w[0].kind == AW_BARE &&
		    strncmp(att_cmds[i].name, w[0].s, len) == 0)
			found = found == -1 ? (int)i : -2;
	}
	if (found < 0) {
		printf("%s: %s command (help lists them)\n", w[0].s,
		    found == -2 ? "ambiguous" : "unknown");
		goto out;
	}
	if (strcmp(w[0].s, att_cmds[found].name) != 0) {
		free(w[0].s);
		if ((w[0].s = strdup(att_cmds[found].name)) == NULL)
			goto out;
	}
	att_cmds[found].fn(a, w, n);
out:
	aw_free(w, n);
}

static const char *
att_prompt(struct interact *ia, void *arg)
{
	struct att		*a = arg;
	struct tether_session	*s = ia_current(ia);

	snprintf(a->prompt, sizeof a->prompt, "tether %s> ",
	    s != NULL ? tether_session_name(s) : "-");
	return a->prompt;
}

/*
 * Completion.
 */

static const char *const	*att_cand;	/* NULL-terminated list */
static char			**att_cand_own;	/* or this one, ncand long */
static size_t			 att_ncand;

static char *
att_generate(const char *text, int state)
{
	static size_t	i;
	size_t		len = strlen(text);
	const char	*c;

	if (state == 0)
		i = 0;
	for (;;) {
		if (att_cand != NULL)
			c = att_cand[i];
		else
			c = i < att_ncand ? att_cand_own[i] : NULL;
		if (c == NULL)
			return NULL;
		i++;
		if (strncmp(c, text, len) == 0)
			return strdup(c);
	}
}

static void
att_cand_reset(void)
{
	size_t	i;

	for (i = 0; i < att_ncand; i++)
		free(att_cand_own[i]);
	free(att_cand_own);
	att_cand_own = NULL;
	att_ncand = 0;
	att_cand = NULL;
}

static void
att_cand_add(const char *s)
{
	char	**n;

	if ((n = reallocarray(att_cand_own, att_ncand + 1, sizeof *n)) ==
	    NULL)
		return;
	att_cand_own = n;
	if ((att_cand_own[att_ncand] = strdup(s)) != NULL)
		att_ncand++;
}

/* Adds the session names (only hmp: ones with hmp_only). */
static void
att_cand_sessions(struct att *a, int hmp_only)
{
	struct tether_session	*s;
	size_t			 i;

	for (i = 0; (s = ia_session(a->ia, i)) != NULL; i++) {
		if (!hmp_only || att_is_hmp(s))
			att_cand_add(tether_session_name(s));
	}
}

/* Adds the HMP commands of s (info subcommands with info). */
static void
att_cand_hmp(struct att *a, struct tether_session *s, int info)
{
	struct att_hmp		*h = att_hmp_of(a, s);
	const char *const	*fb = info ? att_info_fallback :
				    att_hmp_fallback;
	size_t			 i, n = 0;

	if (h != NULL) {
		n = info ? h->ninfo : h->ncmds;
		for (i = 0; i < n; i++)
			att_cand_add(info ? h->info[i] : h->cmds[i]);
	}
	if (n == 0) {
		for (i = 0; fb[i] != NULL; i++)
			att_cand_add(fb[i]);
	}
}

static char **
att_complete(const char *text, int start, int end)
{
	struct att		*a = att_rl;
	struct tether_session	*s;
	char			*pre, *save = NULL, *tok, *words[8];
	int			 nw = 0, ci;
	size_t			 i;

	rl_attempted_completion_over = 1;
	att_cand_reset();
	if (a == NULL || (pre = strndup(rl_line_buffer, (size_t)start)) ==
	    NULL)
		return NULL;
	for (tok = strtok_r(pre, " \t", &save); tok != NULL && nw < 8;
	    tok = strtok_r(NULL, " \t", &save))
		words[nw++] = tok;
	if (nw == 0) {
		for (i = 0; i < ATT_NCMDS; i++)
			att_cand_add(att_cmds[i].name);
	} else if (strcmp(words[0], "switch") == 0 ||
	    strcmp(words[0], "close") == 0 || strcmp(words[0], "send") == 0 ||
	    strcmp(words[0], "sendline") == 0 ||
	    strcmp(words[0], "expect") == 0) {
		if (nw == 1 || (nw == 2 && strcmp(words[1], "-pace") != 0 &&
		    words[1][0] == '-'))
			att_cand_sessions(a, 0);
	} else if (strcmp(words[0], "help") == 0) {
		if (nw == 1)
			for (i = 0; i < ATT_NCMDS; i++)
				att_cand_add(att_cmds[i].name);
	} else if (strcmp(words[0], "hmp") == 0) {
		ci = 1;
		if (nw > 1 && att_is_hmp(s = att_find(a, words[1])) &&
		    strcmp(tether_session_name(s), words[1]) == 0)
			ci = 2;
		else
			s = att_default_hmp(a);
		if (nw == 1)
			att_cand_sessions(a, 1);
		if (nw == ci && s != NULL)
			att_cand_hmp(a, s, 0);
		else if (nw == ci + 1 && s != NULL &&
		    strcmp(words[ci], "info") == 0)
			att_cand_hmp(a, s, 1);
	} else if (strcmp(words[0], "log") == 0) {
		if (nw == 1) {
			att_cand_add("start");
			att_cand_add("stop");
		} else if (strcmp(words[1], "start") == 0)
			rl_attempted_completion_over = 0;	/* files */
	} else if (strcmp(words[0], "paste") == 0) {
		rl_attempted_completion_over = 0;
	} else if (strcmp(words[0], "open") == 0) {
		if (nw == 2)
			att_cand = att_schemes;
	}
	free(pre);
	if (rl_attempted_completion_over == 0)
		return NULL;
	if (att_cand == NULL && att_ncand == 0)
		return NULL;
	return rl_completion_matches(text, att_generate);
}

/*
 * Command line.
 */

/* Returns a session name for uri: its program, file or host. */
static char *
att_name_for(struct tether_loop *loop, const char *uri)
{
	const char	*p = uri, *base;
	char		 name[64], try[80];
	size_t		 len;
	int		 k;

	if (strncmp(p, "hmp:", 4) == 0) {
		strcpy(name, "mon");
		goto unique;
	}
	if (strncmp(p, "qmp:", 4) == 0) {
		strcpy(name, "qmp");
		goto unique;
	}
	if (strncmp(p, "ssh://", 6) == 0) {
		p += 6;
		if ((base = strchr(p, '@')) != NULL)
			p = base + 1;
		len = strcspn(p, ":/");
	} else {
		p += strcspn(p, ":");
		if (*p == ':')
			p++;
		if (strncmp(uri, "spawn:", 6) == 0) {
			while (isspace((unsigned char)*p))
				p++;
			len = strcspn(p, " \t");
			for (base = p; base < p + len; base++) {
				if (*base == '/') {
					len -= (size_t)(base + 1 - p);
					p = base + 1;
					base = p - 1;
				}
			}
		} else if (*p == '/') {
			if ((base = strrchr(p, '/')) != NULL)
				p = base + 1;
			len = strcspn(p, ".");
		} else
			len = strcspn(p, ":");
	}
	if (len == 0 || len >= sizeof name)
		strcpy(name, "con");
	else {
		memcpy(name, p, len);
		name[len] = '\0';
	}
	for (k = 0; name[k] != '\0'; k++) {
		if (!isalnum((unsigned char)name[k]) && name[k] != '_' &&
		    name[k] != '-')
			name[k] = '_';
	}
unique:
	if (tether_loop_session(loop, name) == NULL)
		return strdup(name);
	for (k = 2; k < 1000; k++) {
		snprintf(try, sizeof try, "%s%d", name, k);
		if (tether_loop_session(loop, try) == NULL)
			return strdup(try);
	}
	return NULL;
}

/* Returns nonzero when arg is NAME=URI; *eq at the '='. */
static int
att_named(const char *arg, const char **eq)
{
	const char	*p;

	if (!isalpha((unsigned char)*arg) && *arg != '_')
		return 0;
	for (p = arg; isalnum((unsigned char)*p) || *p == '_' || *p == '-' ||
	    *p == '.'; p++)
		;
	if (*p != '=' || strchr(p + 1, ':') == NULL)
		return 0;
	*eq = p;
	return 1;
}

/* attach's own options; every other --OPTION is an open option. */
enum {
	ATT_OPT_ESCAPE = 256,
	ATT_OPT_LOG_DIR,
	ATT_OPT_OPEN,
};
#define ATT_SHORTOPTS	":h"

/* The command line of tether attach, parsed. */
struct att_args {
	struct option		*longopts;
	size_t			 nlong;
	char			**names;	/* the open options' names */
	size_t			 nnames;
	struct tether_opt	 opts[ATT_MAXOPTS];
	size_t			 nopts;
	const char		*uris[ATT_MAXOPTS];
	size_t			 nuris;
};

/* Adds a long option to aa's table, which has room for it. */
static void
att_longopt(struct att_args *aa, const char *name, int has_arg, int val)
{
	aa->longopts[aa->nlong].name = name;
	aa->longopts[aa->nlong].has_arg = has_arg;
	aa->longopts[aa->nlong].flag = NULL;
	aa->longopts[aa->nlong++].val = val;
}

/* Returns nonzero when aa's table has the option of len bytes at name. */
static int
att_longopt_has(const struct att_args *aa, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < aa->nlong; i++) {
		if (strlen(aa->longopts[i].name) == len &&
		    strncmp(aa->longopts[i].name, name, len) == 0)
			return 1;
	}
	return 0;
}

/*
 * Parses attach's command line with getopt_long into a and aa: --escape
 * KEY, --log-dir DIR, -h, and every other --OPTION VALUE (or
 * --OPTION=VALUE) before -- as an open option; the other words are the
 * URIs.  Returns 0, 1 after printing the help, or -1 after the error and
 * the usage.
 */
static int
att_args(int argc, char **argv, struct att *a, struct att_args *aa)
{
	const char	*p;
	size_t		 len;
	int		 k, ch, idx;

	aa->longopts = calloc((size_t)argc + 4, sizeof *aa->longopts);
	aa->names = calloc((size_t)argc + 1, sizeof *aa->names);
	if (aa->longopts == NULL || aa->names == NULL) {
		cli_error("out of memory");
		return -1;
	}
	att_longopt(aa, "escape", required_argument, ATT_OPT_ESCAPE);
	att_longopt(aa, "help", no_argument, 'h');
	att_longopt(aa, "log-dir", required_argument, ATT_OPT_LOG_DIR);
	/* The open options: each --NAME not known, exactly as spelt. */
	for (k = 1; k < argc && strcmp(argv[k], "--") != 0; k++) {
		if (strncmp(argv[k], "--", 2) != 0)
			continue;
		p = argv[k] + 2;
		len = strcspn(p, "=");
		if (p[len] == '\0' && strcmp(p, "help") != 0)
			k++;		/* its value is the next word */
		if (len == 0 || att_longopt_has(aa, p, len))
			continue;
		if ((aa->names[aa->nnames] = strndup(p, len)) == NULL) {
			cli_error("out of memory");
			return -1;
		}
		att_longopt(aa, aa->names[aa->nnames++], required_argument,
		    ATT_OPT_OPEN);
	}
	while ((ch = getopt_long(argc, argv, ATT_SHORTOPTS, aa->longopts,
	    &idx)) != -1) {
		switch (ch) {
		case ATT_OPT_ESCAPE:
			if (ia_key_parse(optarg, &a->esc) != 0) {
				cli_error("attach: --escape %s: want ^X, C-x, "
				    "0xNN, one character or none", optarg);
				cli_usage("attach");
				return -1;
			}
			break;
		case ATT_OPT_LOG_DIR:
			a->log_dir = optarg;
			break;
		case ATT_OPT_OPEN:
			if (aa->nopts == ATT_MAXOPTS) {
				cli_error("attach: more than %d options",
				    ATT_MAXOPTS);
				return -1;
			}
			aa->opts[aa->nopts].key = aa->longopts[idx].name;
			aa->opts[aa->nopts++].value = optarg;
			break;
		case 'h':
			cli_help("attach");
			return 1;
		default:
			cli_bad_option("attach", ch, argv, ATT_SHORTOPTS);
			return -1;
		}
	}
	for (k = optind; k < argc; k++) {
		if (aa->nuris == ATT_MAXOPTS) {
			cli_error("attach: more than %d sessions",
			    ATT_MAXOPTS);
			return -1;
		}
		aa->uris[aa->nuris++] = argv[k];
	}
	if (aa->nuris == 0) {
		cli_usage("attach");
		return -1;
	}
	return 0;
}

/* Frees what att_args allocated. */
static void
att_args_free(struct att_args *aa)
{
	size_t	i;

	for (i = 0; i < aa->nnames; i++)
		free(aa->names[i]);
	free(aa->names);
	free(aa->longopts);
}

int
cmd_attach(int argc, char **argv)
{
	struct att		 a;
	struct att_args		 aa;
	struct tether_session	*s;
	const char		*eq;
	char			*name = NULL, *hist = NULL;
	size_t			 i;
	int			 r, st, status = TETHER_EXIT_USAGE;

	memset(&a, 0, sizeof a);
	memset(&aa, 0, sizeof aa);
	a.esc = IA_ESCAPE_DEFAULT;
	a.timeout = ATT_TIMEOUT;
	if ((r = att_args(argc, argv, &a, &aa)) != 0) {
		att_args_free(&aa);
		return r == 1 ? TETHER_EXIT_OK : TETHER_EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("attach: standard input and output must be a "
		    "terminal");
		att_args_free(&aa);
		return TETHER_EXIT_USAGE;
	}
	if (a.log_dir != NULL && mkdir(a.log_dir, 0777) == -1 &&
	    errno != EEXIST) {
		cli_error("attach: --log-dir %s: %s", a.log_dir,
		    strerror(errno));
		att_args_free(&aa);
		return TETHER_EXIT_USAGE;
	}
	if ((a.loop = tether_loop_new()) == NULL) {
		cli_error("out of memory");
		att_args_free(&aa);
		return TETHER_EXIT_FAIL;
	}
	if (term_open(STDIN_FILENO, a.loop) != 0) {
		cli_error("attach: cannot set up the terminal");
		goto out;
	}
	if ((a.ia = ia_new(a.loop, a.esc)) == NULL)
		goto out;
	for (i = 0; i < aa.nuris; i++) {
		if (att_named(aa.uris[i], &eq))
			name = strndup(aa.uris[i], (size_t)(eq - aa.uris[i]));
		else
			name = att_name_for(a.loop, aa.uris[i]);
		if (name == NULL)
			goto out;
		r = att_open_session(&a, name, att_named(aa.uris[i], &eq) ?
		    eq + 1 : aa.uris[i], aa.opts, aa.nopts, &s);
		if (r != 0) {
			cli_error("attach: %s", tether_loop_errmsg(a.loop));
			status = tether_exit_code(r);
			goto out;
		}
		free(name);
		name = NULL;
	}
	ia_set_prompt(a.ia, att_prompt, att_command, &a, 0);
	hist = ia_history_path();
	ia_history(a.ia, hist);
	att_rl = &a;
	rl_readline_name = "tether";
	rl_attempted_completion_function = att_complete;
	rl_completer_word_break_characters = (char *)" \t";
	s = ia_current(a.ia);
	ia_notice(a.ia, "attached to %s (%s); %s for the command prompt",
	    tether_session_name(s), tether_session_uri(s),
	    a.esc >= 0 ? ia_key_name(a.esc) : "no escape key");
	r = ia_run(a.ia);
	switch (r) {
	case 0:
		status = TETHER_EXIT_OK;
		break;
	case TETHER_EOF:
		s = ia_current(a.ia);
		status = TETHER_EXIT_EOF;
		if (s != NULL && tether_session_pid(s) != -1 &&
		    tether_session_wait(s, tether_now_ms() + 1000, &st) == 0)
			status = st;
		break;
	case TETHER_EINTR:
		status = 128 + (term_fatal() != 0 ? term_fatal() : 2);
		break;
	default:
		cli_error("attach: %s", tether_loop_errmsg(a.loop));
		status = tether_exit_code(r);
		break;
	}
out:
	free(name);
	free(hist);
	att_cand_reset();
	while (a.nhmp > 0)
		att_hmp_forget(&a, a.hmp[0].s);
	free(a.hmp);
	ia_free(a.ia);
	tether_loop_free(a.loop);
	att_rl = NULL;
	att_args_free(&aa);
	term_reraise();
	term_close();
	return status;
}
