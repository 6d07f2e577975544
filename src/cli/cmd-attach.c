/* SPDX-License-Identifier: ISC */
/*
 * cmd-attach.c - tether attach: the terminal passed through to one or more
 * sessions; the escape key opens a command prompt whose lines are
 * playbook statements (attach-prompt.c) with readline history and
 * completion.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/readline.h>

#include "attach.h"
#include "cli.h"
#include "interact.h"
#include "loop.h"
#include "record.h"
#include "target.h"
#include "term.h"
#include "tether.h"

#define ATT_MAXOPTS	64

/*
 * Opens a session with the terminal's size; the interpreter's on-open
 * handler gives it the --log-dir transcripts, as for sessions opened at
 * the prompt.
 */
static int
att_open_session(struct att *a, const char *name, const char *uri,
    const struct tether_opt *gopts, size_t ngopts)
{
	struct tether_session	*s;
	struct tether_opt	 opts[ATT_MAXOPTS + 2];
	char			 rows[16], cols[16];
	size_t			 n = 0, i;
	int			 nr, nc;

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
	/* att_on_open adds it to the terminal. */
	return tether_session_open(a->loop, name, uri, opts, n, &s);
}

/*
 * Silent connections: QEMU serves one client per chardev, and a second
 * one is accepted but gets nothing.
 */

int
att_silent(struct tether_session *s)
{
	return s != NULL && !tether_session_eof(s) &&
	    tether_session_pid(s) == -1 && !att_is_hmp(s) &&
	    strncmp(tether_session_uri(s), "qmp:", 4) != 0 &&
	    tether_session_rx_bytes(s) == 0 &&
	    tether_now_ms() - tether_session_last_rx(s) >= ATT_SILENT_MS;
}

/* The timer: tells each silent session once, then looks again. */
static void
att_silent_check(void *arg)
{
	struct att		*a = arg;
	struct tether_session	*s;
	char			 key[80];
	size_t			 i;

	for (i = 0; (s = ia_session(a->ia, i)) != NULL; i++) {
		snprintf(key, sizeof key, "\n%s\n", tether_session_name(s));
		if (!att_silent(s) ||
		    strstr(buf_str(&a->told_silent), key) != NULL)
			continue;
		if (buf_puts(&a->told_silent, key) != 0)
			break;
		ia_notice(a->ia, "%s: connected, nothing received: another "
		    "client may hold this console", tether_session_name(s));
	}
	loop_timer_set(a->silent, tether_now_ms() + ATT_SILENT_MS / 4);
}

/* Starts looking for silent sessions (no timer: not told). */
static void
att_watch_silent(struct att *a)
{
	buf_init(&a->told_silent, 0);
	if ((a->silent = loop_timer_add(a->loop, att_silent_check, a)) !=
	    NULL)
		loop_timer_set(a->silent, tether_now_ms() + ATT_SILENT_MS / 4);
}

/*
 * Command line.
 */

/*
 * Returns a session name for uri: mon for an hmp: monitor, the protocol
 * for another, else its program, file or host.
 */
static char *
att_name_for(struct tether_loop *loop, const char *uri)
{
	const struct target	*t, *proto;
	const char		*p = uri, *base;
	char			 name[64], try[80];
	size_t			 len;
	int			 k;

	if ((t = target_find(uri, &proto, &p)) == NULL) {
		p += strcspn(p, ":");
		if (*p == ':')
			p++;
	}
	if (proto != NULL) {
		len = strcspn(proto->prefix, ":");
		if (strncmp(proto->prefix, "hmp:", 4) == 0)
			strcpy(name, "mon");
		else if (len > 0 && len < sizeof name) {
			memcpy(name, proto->prefix, len);
			name[len] = '\0';
		} else
			strcpy(name, "mon");
		goto unique;
	}
	if (t != NULL && (t->flags & TARGET_PROGRAM)) {
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
	} else {
		if ((base = strchr(p, '@')) != NULL)
			p = base + 1;
		len = strcspn(p, ":/");
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

/*
 * Returns nonzero when arg is KEY=VALUE, an open option of the URI
 * before it (baud=115200): a key, and a value that is no URI.
 */
static int
att_uri_opt(const char *arg)
{
	const char	*eq;

	return !att_named(arg, &eq) && (eq = strchr(arg, '=')) != NULL &&
	    eq != arg && strspn(arg, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == (size_t)(eq - arg);
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
	const char		*cmd;		/* attach or record */
	const char		*out;		/* record's playbook */
	struct option		*longopts;
	size_t			 nlong;
	char			**names;	/* the open options' names */
	size_t			 nnames;
	struct tether_opt	 opts[ATT_MAXOPTS];
	size_t			 nopts;
	const char		*uris[ATT_MAXOPTS];
	size_t			 nuris;
	/* KEY=VALUE words after a URI: open options of that URI only */
	struct tether_opt	 uopts[ATT_MAXOPTS];
	size_t			 uopt_uri[ATT_MAXOPTS];	/* its URI's index */
	size_t			 nuopts;
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
				cli_usage(aa->cmd);
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
			cli_help(aa->cmd);
			return 1;
		default:
			cli_bad_option(aa->cmd, ch, argv, ATT_SHORTOPTS);
			return -1;
		}
	}
	k = optind;
	if (strcmp(aa->cmd, "record") == 0) {
		if (k >= argc) {
			cli_usage(aa->cmd);
			return -1;
		}
		aa->out = argv[k++];
	}
	for (; k < argc; k++) {
		if (att_uri_opt(argv[k])) {
			if (aa->nuris == 0) {
				cli_error("attach: %s: an open option follows "
				    "the URI it is for", argv[k]);
				cli_usage(aa->cmd);
				return -1;
			}
			if (aa->nuopts == ATT_MAXOPTS) {
				cli_error("attach: more than %d options",
				    ATT_MAXOPTS);
				return -1;
			}
			p = strchr(argv[k], '=');
			if ((aa->names[aa->nnames] = strndup(argv[k],
			    (size_t)(p - argv[k]))) == NULL) {
				cli_error("out of memory");
				return -1;
			}
			aa->uopts[aa->nuopts].key = aa->names[aa->nnames++];
			aa->uopts[aa->nuopts].value = p + 1;
			aa->uopt_uri[aa->nuopts++] = aa->nuris - 1;
			continue;
		}
		if (aa->nuris == ATT_MAXOPTS) {
			cli_error("attach: more than %d sessions",
			    ATT_MAXOPTS);
			return -1;
		}
		aa->uris[aa->nuris++] = argv[k];
	}
	if (aa->nuris == 0) {
		cli_usage(aa->cmd);
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
att_main(int argc, char **argv, const char *cmd)
{
	struct att		 a;
	struct att_args		 aa;
	struct tether_session	*s;
	struct tether_opt	 opts[ATT_MAXOPTS];
	const char		*eq, *uri;
	char			*name = NULL, *hist = NULL;
	size_t			 i, k, nopts;
	int			 r, st, recfail = 0;
	int			 status = TETHER_EXIT_USAGE;

	memset(&a, 0, sizeof a);
	memset(&aa, 0, sizeof aa);
	a.esc = IA_ESCAPE_DEFAULT;
	aa.cmd = cmd;
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
	if ((a.ia = ia_new(a.loop, a.esc)) == NULL ||
	    att_prompt_init(&a) != 0)
		goto out;
	if (aa.out != NULL) {
		if ((a.rec = rec_new(aa.out)) == NULL)
			goto out;
		ia_set_tap(a.ia, rec_tap(a.rec));
	}
	for (i = 0; i < aa.nuris; i++) {
		if (att_named(aa.uris[i], &eq))
			name = strndup(aa.uris[i], (size_t)(eq - aa.uris[i]));
		else
			name = att_name_for(a.loop, aa.uris[i]);
		if (name == NULL)
			goto out;
		nopts = aa.nopts;
		memcpy(opts, aa.opts, nopts * sizeof opts[0]);
		for (k = 0; k < aa.nuopts; k++) {
			if (aa.uopt_uri[k] == i && nopts < ATT_MAXOPTS)
				opts[nopts++] = aa.uopts[k];
		}
		uri = att_named(aa.uris[i], &eq) ? eq + 1 : aa.uris[i];
		r = att_open_session(&a, name, uri, opts, nopts);
		if (r == 0 && a.rec != NULL &&
		    rec_open(a.rec, name, uri, opts, nopts) != 0)
			r = TETHER_ENOMEM;
		if (r != 0) {
			cli_error("attach: %s", tether_loop_errmsg(a.loop));
			status = tether_exit_code(r);
			goto out;
		}
		free(name);
		name = NULL;
	}
	for (i = 0; (s = ia_session(a.ia, i)) != NULL; i++) {
		if (att_is_hmp(s))
			att_hmp_learn(&a, s);
	}
	free(a.opened);		/* the first one stays current */
	buf_reset(&a.opened_all);
	a.opened = NULL;
	ia_set_prompt(a.ia, att_prompt, att_command, &a, 0);
	hist = ia_history_path();
	ia_history(a.ia, hist);
	att_complete_on(&a);
	rl_readline_name = "tether";
	rl_attempted_completion_function = att_complete;
	rl_completer_word_break_characters = (char *)" \t";
	s = ia_current(a.ia);
	ia_notice(a.ia, "attached to %s (%s); %s for the command prompt",
	    tether_session_name(s), tether_session_uri(s),
	    a.esc >= 0 ? ia_key_name(a.esc) : "no escape key");
	if (a.rec != NULL)
		ia_notice(a.ia, "recording to %s (passwords typed where echo "
		    "is off are not kept)", aa.out);
	att_watch_silent(&a);
	r = ia_run(a.ia);
	if (a.rec != NULL) {
		ia_set_tap(a.ia, NULL);
		recfail = rec_finish(a.rec) < 0;
		a.rec = NULL;
	}
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
	if (recfail)
		status = TETHER_EXIT_FAIL;
out:
	if (a.rec != NULL) {
		ia_set_tap(a.ia, NULL);
		rec_abort(a.rec);	/* not started: no playbook */
	}
	loop_timer_del(a.silent);
	buf_free(&a.told_silent);
	free(name);
	free(hist);
	att_complete_reset();
	att_complete_on(NULL);
	while (a.nhmp > 0)
		att_hmp_forget(&a, a.hmp[0].name);
	free(a.hmp);
	att_prompt_free(&a);
	ia_free(a.ia);
	tether_loop_free(a.loop);
	att_args_free(&aa);
	term_reraise();
	term_close();
	return status;
}

int
cmd_attach(int argc, char **argv)
{
	return att_main(argc, argv, "attach");
}
