/* SPDX-License-Identifier: ISC */
/*
 * attach-verbs.c - the verbs only tether attach's prompt has (help,
 * sessions, switch, transcript, paste, continue, quit, exit) as a table
 * of playbook verbs, the prompt's hmp that prints the monitor's text, and
 * the HMP command names learnt for completion.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "buf.h"
#include "builtin.h"
#include "interact.h"
#include "interp.h"
#include "tether.h"

#define ATT_PACE	10		/* default paste pace, ms */
#define ATT_PASTE_MAX	(1024 * 1024)
#define ATT_SEND_WITHIN	10000		/* ms to hand a paste over */
#define ATT_HELP_WITHIN	5000		/* ms to read an HMP help list */

/* What help says of a prompt command: attach's and the playbook's. */
struct att_doc {
	const char	*name;
	const char	*usage;
	const char	*help;
};

static const struct att_doc att_docs[] = {
	{ "help", "help [COMMAND]", "list the commands" },
	{ "sessions", "sessions", "list the attached sessions" },
	{ "switch", "switch NAME|NUMBER", "go to another session" },
	{ "open", "open NAME URI [KEY=VALUE]...",
	    "open another session and go to it" },
	{ "close", "close [NAME]", "close a session" },
	{ "send", "send [-pace DUR] [NAME] TEXT...",
	    "send bytes (\"...\" takes \\r \\n \\t \\e \\xHH)" },
	{ "sendline", "sendline [-pace DUR] [NAME] TEXT...",
	    "send text and the session's line ending" },
	{ "expect", "expect [NAME] /REGEX/|\"TEXT\" [timeout DUR]",
	    "wait for output received since you last typed" },
	{ "hmp", "hmp [NAME] COMMAND...",
	    "run a QEMU monitor command on an hmp: session" },
	{ "log", "log start [FILE [CASTFILE]] | log stop",
	    "start or stop the current session's transcript" },
	{ "paste", "paste [-pace DUR] [-raw] FILE",
	    "type a file slowly (10ms a byte, LF as the line ending), "
	    "then go back" },
	{ "timeout", "timeout [DUR]",
	    "show or set the timeout of expect and hmp (default 10s)" },
	{ "continue", "continue",
	    "back to the session (an empty line does it too)" },
	{ "quit", "quit", "close every session and leave" },
	{ "exit", "exit", "same as quit" },
	{ NULL, NULL, NULL }
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

#define ATT_HELP_COL	38		/* where a command's text starts */
#define ATT_HELP_WIDTH	80		/* no help line is longer */

/*
 * Prints a command of help: its usage, and its text from ATT_HELP_COL
 * (on the next line after a long usage), wrapped within ATT_HELP_WIDTH.
 */
static void
att_help_line(const char *usage, const char *help)
{
	const char	*p = help, *end;
	size_t		 col, len, w = ATT_HELP_WIDTH - ATT_HELP_COL;

	printf("  %s", usage);
	col = 2 + strlen(usage);
	if (col + 1 > ATT_HELP_COL) {
		putchar('\n');
		col = 0;
	}
	while (*p != '\0') {
		len = strlen(p);
		if (len > w) {
			for (end = p + w; end > p && *end != ' '; end--)
				;
			len = end > p ? (size_t)(end - p) : w;
		}
		printf("%*s%.*s\n", (int)(ATT_HELP_COL - col), "", (int)len,
		    p);
		col = 0;
		p += len;
		while (*p == ' ')
			p++;
	}
}

void
att_help(struct att *a, const char *name)
{
	const struct builtin	*b;
	const struct att_doc	*d;

	if (name != NULL) {
		for (d = att_docs; d->name != NULL; d++) {
			if (strcmp(d->name, name) == 0) {
				printf("%s\n    %s\n", d->usage, d->help);
				return;
			}
		}
		if ((b = builtin_find(name)) != NULL) {
			printf("%s\n    a playbook verb (tether-script(5))\n",
			    b->usage);
			return;
		}
		printf("no command %s\n", name);
		return;
	}
	for (d = att_docs; d->name != NULL; d++)
		att_help_line(d->usage, d->help);
	printf("A line is a playbook statement (tether-script(5)): print, "
	    "set, if, run, qmp\n... work too; without NAME, send, expect "
	    "and close mean the current\nsession.  An empty line or %s goes "
	    "back to the session; %s at the prompt\nsends it.  Tab completes "
	    "commands, session names and HMP commands.\n",
	    ia_key_name(a->esc), ia_key_name(a->esc));
}

const char *
att_doc_name(size_t i)
{
	return i < sizeof att_docs / sizeof att_docs[0] ? att_docs[i].name :
	    NULL;
}

struct tether_session *
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

int
att_is_hmp(struct tether_session *s)
{
	return s != NULL && strncmp(tether_session_uri(s), "hmp:", 4) == 0;
}

struct tether_session *
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

void
att_go(struct att *a, struct tether_session *s)
{
	const char	*eol;

	ia_switch(a->ia, s);
	ia_notice(a->ia, "on %s (%s)", tether_session_name(s),
	    tether_session_uri(s));
	/*
	 * Its screen again: a monitor's prompt was read by the commands
	 * that ran on it, so it is asked for a new one (an empty line).
	 */
	if (att_is_hmp(s) && !tether_session_eof(s)) {
		eol = tether_session_eol(s);
		tether_session_flush(s);
		if (tether_session_send(s, eol, strlen(eol), 0,
		    tether_now_ms() + ATT_SEND_WITHIN) != 0)
			ia_notice(a->ia, "%s", tether_loop_errmsg(a->loop));
	} else
		ia_redraw(a->ia, s);
	ia_next_pass(a->ia);
}

void
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

/* Adds the names in the |-separated first word of line to *v. */
static void
att_hmp_add(char ***v, size_t *nv, char *line)
{
	char	*tok, *save = NULL, **nv2, *copy;

	line[strcspn(line, " \t\r")] = '\0';
	for (tok = strtok_r(line, "|", &save); tok != NULL;
	    tok = strtok_r(NULL, "|", &save)) {
		if (*tok == '\0' || (nv2 = reallocarray(*v, *nv + 1,
		    sizeof **v)) == NULL)
			continue;
		*v = nv2;
		if ((copy = strdup(tok)) != NULL)
			(*v)[(*nv)++] = copy;
	}
}

void
att_hmp_learn(struct att *a, struct tether_session *s)
{
	struct att_hmp	*h, *nh;
	char		*out = NULL, *line, *save = NULL;
	int		 pass;

	if (att_hmp_of(a, s) != NULL)
		return;
	if ((nh = reallocarray(a->hmp, a->nhmp + 1, sizeof *nh)) == NULL)
		return;
	a->hmp = nh;
	h = &a->hmp[a->nhmp];
	memset(h, 0, sizeof *h);
	if ((h->name = strdup(tether_session_name(s))) == NULL)
		return;
	a->nhmp++;
	ia_mute(a->ia, s, 1);
	for (pass = 0; pass < 2; pass++) {
		if (tether_hmp_command(s, pass == 0 ? "help" : "info",
		    tether_now_ms() + ATT_HELP_WITHIN, &out) != 0)
			break;
		for (line = strtok_r(out, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			while (isspace((unsigned char)*line))
				line++;
			if (pass == 0)
				att_hmp_add(&h->cmds, &h->ncmds, line);
			else if (strncmp(line, "info ", 5) == 0)
				att_hmp_add(&h->info, &h->ninfo, line + 5);
		}
		free(out);
		out = NULL;
	}
	free(out);
	ia_mute(a->ia, s, 0);
}

void
att_hmp_forget(struct att *a, const char *name)
{
	struct att_hmp	*h;
	size_t		 i, j;

	for (i = 0; i < a->nhmp; i++) {
		h = &a->hmp[i];
		if (strcmp(h->name, name) != 0)
			continue;
		for (j = 0; j < h->ncmds; j++)
			free(h->cmds[j]);
		for (j = 0; j < h->ninfo; j++)
			free(h->info[j]);
		free(h->cmds);
		free(h->info);
		free(h->name);
		a->hmp[i] = a->hmp[--a->nhmp];
		return;
	}
}

struct att_hmp *
att_hmp_of(struct att *a, struct tether_session *s)
{
	size_t	i;

	for (i = 0; i < a->nhmp; i++) {
		if (strcmp(a->hmp[i].name, tether_session_name(s)) == 0)
			return &a->hmp[i];
	}
	return NULL;
}

const char *const *
att_hmp_fallback_names(int info)
{
	return info ? att_info_fallback : att_hmp_fallback;
}

/*
 * The verbs.  Each gets the attach from interp_udata().
 */

/* Takes the bare word flag (-raw) when it is there.  Returns nonzero. */
static int
att_flag(struct builtin_call *c, const char *flag)
{
	size_t	i;

	for (i = 0; i < c->nargs; i++) {
		if (!c->args[i].used && c->args[i].key == NULL &&
		    c->args[i].bare != NULL &&
		    strcmp(c->args[i].bare, flag) == 0) {
			c->args[i].used = 1;
			return 1;
		}
	}
	return 0;
}

/* help [COMMAND] */
static int
att_v_help(struct builtin_call *c)
{
	struct builtin_arg	*w = builtin_next(c);

	if (builtin_finish(c) != 0)
		return -1;
	att_help(interp_udata(c->ip), w != NULL ? builtin_str(w) : NULL);
	return 0;
}

/* sessions */
static int
att_v_sessions(struct builtin_call *c)
{
	struct att		*a = interp_udata(c->ip);
	struct tether_session	*s;
	size_t			 i;

	if (builtin_finish(c) != 0)
		return -1;
	for (i = 0; (s = ia_session(a->ia, i)) != NULL; i++)
		printf("%c %zu %-12s %-6s %-5s %8llu bytes  %s\n",
		    s == ia_current(a->ia) ? '*' : ' ', i + 1,
		    tether_session_name(s), tether_session_kind(s),
		    tether_session_eof(s) ? "ended" : "open",
		    (unsigned long long)tether_session_rx_bytes(s),
		    tether_session_uri(s));
	for (i = 0; (s = ia_session(a->ia, i)) != NULL; i++) {
		if (att_silent(s))
			printf("%s: connected, nothing received: another "
			    "client may hold this console\n",
			    tether_session_name(s));
	}
	return 0;
}

/* switch NAME|NUMBER */
static int
att_v_switch(struct builtin_call *c)
{
	struct att		*a = interp_udata(c->ip);
	struct tether_session	*s;
	struct builtin_arg	*w;

	if ((w = builtin_next(c)) == NULL)
		return builtin_fail(c, TETHER_EINVAL, "usage: switch "
		    "NAME|NUMBER");
	if (builtin_finish(c) != 0)
		return -1;
	if ((s = att_find(a, builtin_str(w))) == NULL)
		return builtin_fail(c, TETHER_EINVAL, "no session %s (see "
		    "sessions)", builtin_str(w));
	if (tether_session_eof(s))
		return builtin_fail(c, TETHER_EOF, "%s has ended",
		    tether_session_name(s));
	att_go(a, s);
	return 0;
}

/* transcript start [FILE [CASTFILE]] | transcript stop */
static int
att_v_transcript(struct builtin_call *c)
{
	struct att		*a = interp_udata(c->ip);
	struct tether_session	*s = ia_current(a->ia);
	struct builtin_arg	*w, *f1, *f2;
	char			*logp = NULL, *castp = NULL, stamp[32];
	const char		*dir = a->log_dir != NULL ? a->log_dir : ".";
	time_t			 now = time(NULL);
	struct tm		 tm;
	int			 r = 0;

	w = builtin_next(c);
	f1 = builtin_next(c);
	f2 = builtin_next(c);
	if (builtin_finish(c) != 0)
		return -1;
	if (w == NULL || (strcmp(builtin_str(w), "stop") != 0 &&
	    strcmp(builtin_str(w), "start") != 0) ||
	    (strcmp(builtin_str(w), "stop") == 0 && f1 != NULL))
		return builtin_fail(c, TETHER_EINVAL, "usage: log start "
		    "[FILE [CASTFILE]] | log stop");
	if (s == NULL)
		return builtin_fail(c, TETHER_EINVAL, "no session");
	if (strcmp(builtin_str(w), "stop") == 0) {
		tether_session_set_log(s, NULL, NULL);
		printf("%s: transcript stopped\n", tether_session_name(s));
		return 0;
	}
	if (f1 != NULL) {
		logp = strdup(builtin_str(f1));
		castp = f2 != NULL ? strdup(builtin_str(f2)) : NULL;
	} else {
		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
		if (asprintf(&logp, "%s/%s-%s.log", dir,
		    tether_session_name(s), stamp) == -1)
			logp = NULL;
		if (asprintf(&castp, "%s/%s-%s.cast", dir,
		    tether_session_name(s), stamp) == -1)
			castp = NULL;
	}
	if (logp == NULL)
		r = builtin_fail(c, TETHER_ENOMEM, "out of memory");
	else if (tether_session_set_log(s, logp, castp) != 0)
		r = builtin_fail(c, TETHER_EIO, "%s: cannot write %s: %s",
		    tether_session_name(s), logp, strerror(errno));
	else
		printf("%s: transcript to %s%s%s\n", tether_session_name(s),
		    logp, castp != NULL ? " and " : "",
		    castp != NULL ? castp : "");
	free(logp);
	free(castp);
	return r;
}

/* paste [-pace DUR] [-raw] FILE */
static int
att_v_paste(struct builtin_call *c)
{
	struct att		*a = interp_udata(c->ip);
	struct tether_session	*s = ia_current(a->ia);
	struct builtin_arg	*w;
	struct buf		 b;
	FILE			*f = NULL;
	const char		*eol, *path;
	int64_t			 pace = ATT_PACE;
	int			 raw, ch, r = -1;

	buf_init(&b, ATT_PASTE_MAX);
	if ((w = builtin_keyword(c, "-pace")) != NULL &&
	    builtin_duration(c, w, &pace) != 0)
		goto out;
	raw = att_flag(c, "-raw");
	if ((w = builtin_next(c)) == NULL) {
		builtin_fail(c, TETHER_EINVAL, "usage: paste [-pace DUR] "
		    "[-raw] FILE");
		goto out;
	}
	if (builtin_finish(c) != 0)
		goto out;
	path = builtin_str(w);
	if (s == NULL || tether_session_eof(s)) {
		builtin_fail(c, TETHER_EINVAL, "no open session");
		goto out;
	}
	if ((f = fopen(path, "r")) == NULL) {
		builtin_fail(c, TETHER_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	eol = tether_session_eol(s);
	while ((ch = getc(f)) != EOF) {
		if (!raw && ch == '\r')
			continue;
		if ((!raw && ch == '\n' ? buf_puts(&b, eol) :
		    buf_putc(&b, ch)) != 0) {
			builtin_fail(c, TETHER_EINVAL, "%s is larger than %d "
			    "bytes", path, ATT_PASTE_MAX);
			goto out;
		}
	}
	r = 0;
	if (b.len == 0)
		goto out;
	tether_session_flush(s);
	r = tether_session_send_paced(s, b.data, b.len, pace, 0,
	    tether_now_ms() + ATT_SEND_WITHIN + pace * (int64_t)b.len);
	ia_newline();
	if (r != 0) {
		r = builtin_fail_lib(c, r, s, NULL);
		goto out;
	}
	printf("pasted %zu bytes to %s\n", b.len, tether_session_name(s));
	ia_next_pass(a->ia);	/* to see what it does */
out:
	if (f != NULL)
		fclose(f);
	buf_free(&b);
	return r;
}

/* continue */
static int
att_v_continue(struct builtin_call *c)
{
	struct att		*a = interp_udata(c->ip);
	struct tether_session	*s = ia_current(a->ia);

	if (builtin_finish(c) != 0)
		return -1;
	if (s == NULL || tether_session_eof(s))
		return builtin_fail(c, TETHER_EINVAL, "no open session: "
		    "switch, open or quit");
	ia_next_pass(a->ia);
	return 0;
}

/* quit, exit */
static int
att_v_quit(struct builtin_call *c)
{
	struct att	*a = interp_udata(c->ip);

	if (builtin_finish(c) != 0)
		return -1;
	ia_done(a->ia, 0);
	return 0;
}

/*
 * hmp NAME "COMMAND" [timeout DUR]: the playbook's verb, which at the
 * prompt (no -> VAR) prints QEMU's text instead of keeping its value,
 * and keeps the monitor's answer off the screen meanwhile.
 */
static int
att_v_hmp(struct builtin_call *c)
{
	struct att		*a = interp_udata(c->ip);
	struct tether_session	*s;
	struct builtin_arg	*cmd;
	char			*out = NULL;
	int64_t			 ms = -1;
	int			 r;

	if (builtin_command(c, &s, &cmd, &ms) != 0 || builtin_finish(c) != 0)
		return -1;
	ia_mute(a->ia, s, 1);
	r = tether_hmp_command(s, builtin_str(cmd), builtin_deadline(c, ms),
	    &out);
	ia_mute(a->ia, s, 0);
	if (r != 0) {
		free(out);
		return builtin_fail_lib(c, r, s, builtin_str(cmd));
	}
	if (out != NULL && *out != '\0')
		printf("%s%s", out, out[strlen(out) - 1] == '\n' ? "" : "\n");
	free(out);
	return 0;
}

static const struct builtin att_hmp_entry = {
	"hmp", att_v_hmp, "hmp NAME \"COMMAND\" [timeout DUR]", 0, NULL, NULL
};

static const struct builtin att_verb_table[] = {
	{ "continue", att_v_continue, "continue", -1, NULL, NULL },
	{ "exit", att_v_quit, "exit", -1, NULL, NULL },
	{ "help", att_v_help, "help [COMMAND]", -1, NULL, NULL },
	{ "paste", att_v_paste, "paste [-pace DUR] [-raw] FILE", -1, NULL,
	    NULL },
	{ "quit", att_v_quit, "quit", -1, NULL, NULL },
	{ "sessions", att_v_sessions, "sessions", -1, NULL, NULL },
	{ "switch", att_v_switch, "switch NAME|NUMBER", -1, NULL, NULL },
	{ "transcript", att_v_transcript, "transcript start [FILE "
	    "[CASTFILE]] | transcript stop", -1, NULL, NULL },
	{ NULL, NULL, NULL, -1, NULL, NULL },
};

const struct builtin *
att_verbs(void)
{
	return att_verb_table;
}

const struct builtin *
att_hmp_verb(void)
{
	return &att_hmp_entry;
}
