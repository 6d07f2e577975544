/* SPDX-License-Identifier: ISC */
/*
 * cmd-repl.c - tether repl: a playbook shell.  Each complete entry (a
 * statement, or several lines while a block is open) is parsed and run
 * at once in one interpreter, so variables, sessions, defs and watches
 * carry over; failures are shown and the shell goes on.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/readline.h>

#include "ast.h"
#include "buf.h"
#include "builtin.h"
#include "cli.h"
#include "interact.h"
#include "interp.h"
#include "lex.h"
#include "parse.h"
#include "report.h"
#include "term.h"
#include "tether.h"
#include "value.h"

#define REPL_NAME	"repl"
#define REPL_RESULT	"_"

struct repl {
	struct tether_loop	*loop;
	struct interp		*ip;
	struct report		*rep;
	struct interact		*ia;
	struct ast_program	**progs;	/* kept: defs, watches */
	size_t			 nprogs;
	struct buf		 pending;	/* an entry not yet complete */
	struct buf		 defs;		/* source of every def so far */
	struct ast_stmt		*finals;	/* deferred finally blocks */
	struct ast_stmt		**finals_tail;
	int			 status;
	int			 nsess;
};

static struct repl	*repl_rl;	/* for completion */

static const char *const repl_words[] = {
	"open", "close", "send", "sendline", "expect", "again", "timeout",
	"watch", "unwatch", "interact", "set", "if", "elif", "else", "for",
	"retry", "def", "return", "include", "check", "fail", "step",
	"finally", "log", "print", "sleep", "quit", "help", NULL
};

/*
 * Returns nonzero while text leaves a block, a bracket or a ${ open, or
 * ends with a backslash: the entry goes on on the next line.
 */
static int
repl_incomplete(const char *text, size_t len)
{
	struct lexer	lx;
	struct token	t;
	enum tok	k;
	int		depth = 0;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (len > 0 && text[len - 1] == '\\')
		return 1;
	lex_init(&lx, text, len, 1, 1);
	for (;;) {
		k = lex_next(&lx, LEX_WORD, &t);
		if (k == T_EOF || k == T_ERROR)
			break;
		if (k == T_LBRACE || k == T_DOLLARBRACE || k == T_LPAREN ||
		    k == T_LBRACK)
			depth++;
		else if (k == T_RBRACE || k == T_RPAREN || k == T_RBRACK)
			depth--;
	}
	return depth > 0;
}

/* Returns the offset of line:col in text (1-based), or len. */
static size_t
repl_offset(const char *text, size_t len, int line, int col)
{
	size_t	i = 0;
	int	l = 1;

	while (i < len && l < line) {
		if (text[i++] == '\n')
			l++;
	}
	if (i + (size_t)(col - 1) > len)
		return len;
	return i + (size_t)(col - 1);
}

/* Keeps the source of the entry's defs for later entries. */
static void
repl_keep_defs(struct repl *r, struct ast_program *prog, const char *text,
    size_t len, int nlines)
{
	struct ast_stmt	*st;
	size_t		 from, to;

	for (st = prog->body; st != NULL; st = st->next) {
		if (st->kind != STMT_DEF || st->loc.line > nlines)
			continue;
		from = repl_offset(text, len, st->loc.line, st->loc.col);
		to = st->next != NULL && st->next->loc.line <= nlines ?
		    repl_offset(text, len, st->next->loc.line,
		    st->next->loc.col) : len;
		if (to > from && (buf_append(&r->defs, text + from,
		    to - from) != 0 || buf_putc(&r->defs, '\n') != 0))
			return;
	}
}

/* Takes the top-level finally blocks out: they run when the repl ends. */
static void
repl_defer_finally(struct repl *r, struct ast_program *prog)
{
	struct ast_stmt	**pp = &prog->body, *st;

	while ((st = *pp) != NULL) {
		if (st->kind != STMT_FINALLY) {
			pp = &st->next;
			continue;
		}
		*pp = st->next;
		st->next = NULL;
		*r->finals_tail = st;
		r->finals_tail = &st->next;
		printf("(finally: runs when the repl ends)\n");
	}
}

/* Gives builtins without -> VAR the result variable `_`. */
static void
repl_mark_results(struct ast_program *prog)
{
	struct ast_stmt	*st;

	for (st = prog->body; st != NULL; st = st->next) {
		if (st->kind == STMT_BUILTIN && st->name == NULL)
			st->name = REPL_RESULT;
	}
}

/* Prints the values the entry's builtins produced. */
static void
repl_print_results(struct repl *r, struct ast_program *prog)
{
	struct ast_stmt	*st;
	struct value	*v;
	struct buf	 line;
	char		*s;

	for (st = prog->body; st != NULL; st = st->next) {
		if (st->kind != STMT_BUILTIN || st->name == NULL)
			continue;
		if ((v = interp_getvar(r->ip, st->name)) == NULL ||
		    v->type == VAL_NULL)
			continue;
		if ((s = value_repr(v)) == NULL)
			continue;
		/* The reporter redacts secrets, as for print. */
		buf_init(&line, 0);
		if ((strcmp(st->name, REPL_RESULT) == 0 ||
		    buf_printf(&line, "%s = ", st->name) == 0) &&
		    buf_puts(&line, s) == 0)
			report_print_len(r->rep, buf_str(&line), line.len);
		buf_free(&line);
		free(s);
	}
}

/* Parses and runs one complete entry. */
static void
repl_run(struct repl *r, const char *text, size_t len)
{
	struct ast_program	*prog = NULL, **np;
	struct buf		 src;
	char			*err = NULL, *err2 = NULL;
	int			 nlines = 1;
	size_t			 i;

	for (i = 0; i < len; i++)
		nlines += text[i] == '\n';
	buf_init(&src, 0);
	/* Earlier defs go after the entry: line numbers stay right. */
	if (buf_append(&src, text, len) != 0 || buf_putc(&src, '\n') != 0 ||
	    buf_puts(&src, buf_str(&r->defs)) != 0)
		goto out;
	if (parse_text(REPL_NAME, src.data, src.len, &prog, &err) != 0) {
		/* A bare expression: print its value. */
		buf_reset(&src);
		if (buf_puts(&src, "print ") != 0 ||
		    buf_append(&src, text, len) != 0 ||
		    buf_putc(&src, '\n') != 0 ||
		    buf_puts(&src, buf_str(&r->defs)) != 0)
			goto out;
		if (parse_text(REPL_NAME, src.data, src.len, &prog,
		    &err2) != 0) {
			fprintf(stderr, "%s\n", err);
			goto out;
		}
	}
	if ((np = reallocarray(r->progs, r->nprogs + 1, sizeof *np)) ==
	    NULL) {
		parse_free(prog);
		goto out;
	}
	r->progs = np;
	r->progs[r->nprogs++] = prog;
	if (err == NULL)
		repl_keep_defs(r, prog, text, len, nlines);
	repl_defer_finally(r, prog);
	repl_mark_results(prog);
	interp_setvar(r->ip, REPL_RESULT, value_null());
	interp_set_program(r->ip, prog);
	fflush(stdout);
	r->status = interp_run(r->ip);
	fflush(stderr);
	repl_print_results(r, prog);
out:
	free(err);
	free(err2);
	buf_free(&src);
}

/* Runs the deferred finally blocks.  Returns the status. */
static int
repl_finish(struct repl *r)
{
	struct ast_program	fin;

	if (r->finals == NULL)
		return 0;
	memset(&fin, 0, sizeof fin);
	fin.body = r->finals;
	r->finals = NULL;
	r->finals_tail = &r->finals;
	interp_set_program(r->ip, &fin);
	return interp_run(r->ip);
}

/*
 * Takes one line.  Returns 1 when the user asked to leave, else 0.
 */
static int
repl_line(struct repl *r, const char *line)
{
	const char	*p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (r->pending.len == 0) {
		if (strcmp(p, "quit") == 0 || strcmp(p, "exit") == 0)
			return 1;
		if (strcmp(p, "help") == 0) {
			printf("Type playbook statements (tether-script(5)); "
			    "they run at once.\nA bare expression prints its "
			    "value; a builtin's result is printed (and kept "
			    "in $_).\nOpen blocks continue on the next line; "
			    "^C drops an unfinished entry.\nfinally blocks "
			    "run when you quit (quit, exit or ^D).\n");
			return 0;
		}
		if (*p == '\0' || *p == '#')
			return 0;
	}
	if (buf_puts(&r->pending, line) != 0 ||
	    buf_putc(&r->pending, '\n') != 0) {
		buf_reset(&r->pending);
		return 0;
	}
	if (repl_incomplete(r->pending.data, r->pending.len))
		return 0;
	repl_run(r, r->pending.data, r->pending.len);
	buf_reset(&r->pending);
	return 0;
}

static void
repl_command(struct interact *ia, char *line, void *arg)
{
	struct repl	*r = arg;

	if (line == NULL) {		/* ^D */
		if (r->pending.len > 0) {
			buf_reset(&r->pending);
			printf("\n(entry dropped)\n");
			return;
		}
		printf("\n");
		ia_done(ia, 0);
		return;
	}
	if (repl_line(r, line))
		ia_done(ia, 0);
}

static void
repl_cancel(struct interact *ia, void *arg)
{
	struct repl	*r = arg;

	buf_reset(&r->pending);
}

static const char *
repl_prompt(struct interact *ia, void *arg)
{
	struct repl	*r = arg;

	return r->pending.len > 0 ? "...     " : "tether> ";
}

/*
 * Completion: statement words and verbs first, session names after.
 */

static char	**repl_cand;
static size_t	  repl_ncand;

static void
repl_cand_add(const char *s)
{
	char	**n;

	if ((n = reallocarray(repl_cand, repl_ncand + 1, sizeof *n)) == NULL)
		return;
	repl_cand = n;
	if ((repl_cand[repl_ncand] = strdup(s)) != NULL)
		repl_ncand++;
}

static void
repl_cand_free(void)
{
	size_t	i;

	for (i = 0; i < repl_ncand; i++)
		free(repl_cand[i]);
	free(repl_cand);
	repl_cand = NULL;
	repl_ncand = 0;
}

static void
repl_cand_session(struct tether_session *s, void *arg)
{
	repl_cand_add(tether_session_name(s));
}

static char *
repl_generate(const char *text, int state)
{
	static size_t	i;
	size_t		len = strlen(text);

	if (state == 0)
		i = 0;
	while (i < repl_ncand) {
		if (strncmp(repl_cand[i++], text, len) == 0)
			return strdup(repl_cand[i - 1]);
	}
	return NULL;
}

static char **
repl_complete(const char *text, int start, int end)
{
	const struct builtin	*b;
	size_t			 i;
	int			 first = 1;

	rl_attempted_completion_over = 1;
	repl_cand_free();
	for (i = 0; i < (size_t)start; i++) {
		if (rl_line_buffer[i] != ' ' && rl_line_buffer[i] != '\t' &&
		    rl_line_buffer[i] != '{' && rl_line_buffer[i] != ';')
			first = 0;
		else if (rl_line_buffer[i] == '{' || rl_line_buffer[i] == ';')
			first = 1;
	}
	if (first) {
		for (i = 0; repl_words[i] != NULL; i++)
			repl_cand_add(repl_words[i]);
		for (b = builtin_table(); b->name != NULL; b++)
			repl_cand_add(b->name);
	} else if (repl_rl != NULL)
		tether_loop_foreach(repl_rl->loop, repl_cand_session, NULL);
	return rl_completion_matches(text, repl_generate);
}

/* Without a terminal: read entries from stdin until end of file. */
static void
repl_batch(struct repl *r)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (repl_line(r, line))
			break;
		if (tether_loop_interrupted(r->loop))
			break;
	}
	free(line);
	if (r->pending.len > 0)
		fprintf(stderr, "tether: repl: unfinished entry at end of "
		    "input\n");
}

/* repl's options; those without a short form are numbered from 256. */
enum {
	REPL_VAR = 256,
	REPL_LOG_DIR,
};
#define REPL_SHORTOPTS	":hqv"
static const struct option repl_longopts[] = {
	{ "help",	no_argument,		NULL, 'h' },
	{ "log-dir",	required_argument,	NULL, REPL_LOG_DIR },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "var",	required_argument,	NULL, REPL_VAR },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ NULL,		0,			NULL, 0 }
};

int
cmd_repl(int argc, char **argv)
{
	struct repl		 r;
	struct report_opts	 ro;
	struct ast_program	*empty = NULL;
	const char		*log_dir = NULL;
	char			*err = NULL, *hist = NULL, *eq, **vars = NULL;
	int			 ch, status = TETHER_EXIT_USAGE, tty, rr;
	size_t			 k, nvars = 0;

	memset(&r, 0, sizeof r);
	memset(&ro, 0, sizeof ro);
	buf_init(&r.pending, 0);
	buf_init(&r.defs, 0);
	r.finals_tail = &r.finals;
	ro.playbook = REPL_NAME;
	if ((vars = calloc((size_t)argc, sizeof *vars)) == NULL) {
		cli_error("out of memory");
		status = TETHER_EXIT_FAIL;
		goto out;
	}
	while ((ch = getopt_long(argc, argv, REPL_SHORTOPTS, repl_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case REPL_VAR:
			/* Set below, once there is an interp. */
			if (strchr(optarg, '=') == NULL) {
				cli_error("repl: --var %s: want NAME=VALUE",
				    optarg);
				status = cli_usage("repl");
				goto out;
			}
			vars[nvars++] = optarg;
			break;
		case REPL_LOG_DIR:
			log_dir = optarg;
			break;
		case 'q':
			ro.quiet = 1;
			break;
		case 'v':
			ro.verbose = 1;
			break;
		case 'h':
			status = cli_help("repl");
			goto out;
		default:
			status = cli_bad_option("repl", ch, argv,
			    REPL_SHORTOPTS);
			goto out;
		}
	}
	if (optind < argc) {
		cli_error("repl: unexpected argument %s", argv[optind]);
		status = cli_usage("repl");
		goto out;
	}
	if (log_dir != NULL && mkdir(log_dir, 0777) == -1 && errno != EEXIST) {
		cli_error("repl: --log-dir %s: %s", log_dir, strerror(errno));
		goto out;
	}
	if (parse_text(REPL_NAME, "", 0, &empty, &err) != 0) {
		cli_error("repl: %s", err);
		status = TETHER_EXIT_FAIL;
		goto out;
	}
	if ((r.loop = tether_loop_new()) == NULL) {
		cli_error("out of memory");
		status = TETHER_EXIT_FAIL;
		goto out;
	}
	ro.redact = report_redact_loop;
	ro.redact_ctx = r.loop;
	r.rep = report_new(&ro);
	r.ip = interp_new(empty, r.loop, report_reporter(r.rep));
	interp_set_log_dir(r.ip, log_dir);
	interp_set_interact(r.ip, cli_interact);
	for (k = 0; k < nvars; k++) {
		eq = strchr(vars[k], '=');
		*eq = '\0';
		interp_setvar(r.ip, vars[k], value_strz(eq + 1));
	}
	tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!tty) {
		repl_batch(&r);
	} else {
		if (term_open(STDIN_FILENO, r.loop) != 0 ||
		    (r.ia = ia_new(r.loop, -1)) == NULL) {
			cli_error("repl: cannot set up the terminal");
			goto out;
		}
		ia_set_prompt(r.ia, repl_prompt, repl_command, &r, 1);
		ia_set_cancel(r.ia, repl_cancel);
		hist = ia_history_path();
		ia_history(r.ia, hist);
		repl_rl = &r;
		rl_readline_name = "tether";
		rl_attempted_completion_function = repl_complete;
		rl_completer_word_break_characters = (char *)" \t{;";
		printf("tether %s repl: playbook statements run as you type "
		    "them; help, quit\n", tether_version());
		rr = ia_run(r.ia);
		if (rr != 0 && rr != TETHER_EINTR && rr != TETHER_EOF)
			cli_error("repl: %s", tether_strerror(rr));
	}
	status = repl_finish(&r);
	if (status == 0 && term_fatal() != 0)
		status = 128 + term_fatal();
out:
	repl_cand_free();
	repl_rl = NULL;
	ia_free(r.ia);
	if (r.ip != NULL)
		interp_set_program(r.ip, empty);
	interp_free(r.ip);
	tether_loop_free(r.loop);
	report_free(r.rep);
	for (k = 0; k < r.nprogs; k++)
		parse_free(r.progs[k]);
	free(r.progs);
	parse_free(empty);
	buf_free(&r.pending);
	buf_free(&r.defs);
	free(hist);
	free(err);
	free(vars);
	term_reraise();
	term_close();
	return status;
}
