/* SPDX-License-Identifier: ISC */
/*
 * attach-prompt.c - tether attach's command prompt: each line is a
 * playbook entry, parsed by the playbook parser and run by one
 * interpreter for the whole attach; the prompt's short forms (no session
 * name, several words of text, paths) become playbook text first, and
 * what a line did is shown: a match, a verb's value, the failure.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/readline.h>

#include "ast.h"
#include "attach.h"
#include "buf.h"
#include "builtin.h"
#include "interact.h"
#include "interp.h"
#include "lex.h"
#include "parse.h"
#include "record.h"
#include "reporter.h"
#include "target.h"
#include "term.h"
#include "tether.h"
#include "value.h"

#define ATT_NAME	"attach"	/* the file name of a prompt line */
#define ATT_RESULT	"_"		/* a verb's value without -> VAR */
#define ATT_MAXW	16		/* words of a line looked at */

/* The attach of readline's completion and of interact, which have no
   context argument. */
static struct att	*att_rl;

/* The statements of the language, for completion and short names. */
static const char *const att_stmt_words[] = {
	"open", "close", "send", "sendline", "expect", "again", "timeout",
	"watch", "unwatch", "set", "if", "elif", "else", "for", "retry",
	"def", "return", "include", "check", "fail", "step", "finally",
	"log", "print", "sleep", NULL
};

/*
 * The reporter: print and log go to the terminal, the failure is kept
 * for att_show to tell.  Every text is redacted first.
 */

static void
att_write_redacted(struct att *a, const char *s, size_t len)
{
	char	*r;
	size_t	 rlen;

	if ((r = tether_loop_redact(a->loop, s, len, &rlen)) == NULL) {
		fputs("********", stdout);
		return;
	}
	fwrite(r, 1, rlen, stdout);
	free(r);
}

static void
att_r_print(void *ctx, const char *text, size_t len)
{
	ia_newline();
	att_write_redacted(ctx, text, len);
	putchar('\n');
	fflush(stdout);
}

static void
att_r_log(void *ctx, const char *text)
{
	att_r_print(ctx, text, strlen(text));
}

static void
att_r_failure(void *ctx, const char *msg, const char *tail)
{
	struct att	*a = ctx;

	if (a->fail_msg != NULL) {	/* a later one: a finally block's */
		att_r_print(a, msg, strlen(msg));
		return;
	}
	a->fail_msg = strdup(msg != NULL ? msg : "failed");
	a->fail_tail = tail != NULL ? strdup(tail) : NULL;
}

/* Tells the failure of the line kept by the reporter, and forgets it. */
static void
att_show_failure(struct att *a)
{
	if (a->fail_msg == NULL)
		return;
	ia_newline();
	att_write_redacted(a, a->fail_msg, strlen(a->fail_msg));
	putchar('\n');
	if (a->fail_tail != NULL && *a->fail_tail != '\0') {
		printf("last lines:\n");
		att_write_redacted(a, a->fail_tail, strlen(a->fail_tail));
		putchar('\n');
	}
	free(a->fail_msg);
	free(a->fail_tail);
	a->fail_msg = a->fail_tail = NULL;
}

/*
 * Every session a line opens (open, launch) joins the terminal; the line
 * goes to the first one.
 */
static void
att_on_open(struct tether_session *s, void *arg)
{
	struct att	*a = arg;
	int		 rows, cols;

	if (ia_add(a->ia, s) != 0 || buf_printf(&a->opened_all, "\n%s\n",
	    tether_session_name(s)) != 0)
		return;
	if (term_size(&rows, &cols) == 0)
		tether_session_set_winsize(s, rows, cols);
	if (a->opened == NULL)
		a->opened = strdup(tether_session_name(s));
}

/* interact NAME at the prompt: the terminal goes to NAME, as switch. */
static int
att_interact(struct tether_session *s, int esc)
{
	if (att_rl == NULL)
		return tether_loop_seterr(tether_session_loop(s),
		    TETHER_ENOTSUP, "interact: no prompt");
	att_go(att_rl, s);
	return 0;
}

int
att_prompt_init(struct att *a)
{
	struct reporter	 rep;
	char		*err = NULL;

	buf_init(&a->opened_all, 0);
	memset(&rep, 0, sizeof rep);
	rep.ctx = a;
	rep.print = att_r_print;
	rep.log = att_r_log;
	rep.failure = att_r_failure;
	if (parse_text(ATT_NAME, "", 0, &a->empty, &err) != 0) {
		fprintf(stderr, "tether: attach: %s\n", err);
		free(err);
		return -1;
	}
	if ((a->ip = interp_new(a->empty, a->loop, &rep)) == NULL)
		return -1;
	interp_set_udata(a->ip, a);
	interp_set_log_dir(a->ip, a->log_dir);
	interp_set_interact(a->ip, att_interact);
	builtin_register(att_verbs());
	/* Through the interpreter, which keeps the loop's one on-open slot
	   for --log-dir and the match settings of every session. */
	interp_set_on_open(a->ip, att_on_open, a);
	return 0;
}

void
att_prompt_free(struct att *a)
{
	size_t	i;

	builtin_register(NULL);
	if (a->ip != NULL)
		interp_set_program(a->ip, a->empty);
	interp_free(a->ip);
	a->ip = NULL;
	for (i = 0; i < a->nprogs; i++)
		parse_free(a->progs[i]);
	free(a->progs);
	a->progs = NULL;
	a->nprogs = 0;
	parse_free(a->empty);
	a->empty = NULL;
	free(a->opened);
	a->opened = NULL;
	buf_free(&a->opened_all);
	free(a->fail_msg);
	free(a->fail_tail);
	a->fail_msg = a->fail_tail = NULL;
}

/*
 * The short forms.  The playbook's lexer finds the first words of the
 * line; the forms below are rewritten into playbook text, anything else
 * goes to the parser as it is.
 */

struct att_word {
	const char	*start;
	const char	*end;
	enum tok	 kind;		/* of its first token */
};

struct att_words {
	const char	*stop;		/* where the lexer stopped */
	struct att_word	 w[ATT_MAXW];
	int		 n;
	int		 more;		/* text after stop */
};

/* Splits line into words (tokens with no blank between them). */
static void
att_words(const char *line, struct att_words *aw)
{
	struct lexer	lx;
	struct token	t;

	memset(aw, 0, sizeof *aw);
	lex_init(&lx, line, strlen(line), 1, 1);
	for (;;) {
		aw->stop = lx.p;
		if (lex_next(&lx, LEX_WORD, &t) == T_EOF)
			break;
		if (t.kind == T_ERROR || ((aw->n == 0 || t.space) &&
		    aw->n == ATT_MAXW)) {
			aw->more = 1;
			break;
		}
		if (aw->n == 0 || t.space) {
			aw->w[aw->n].start = t.start;
			aw->w[aw->n].kind = t.kind;
			aw->n++;
		}
		aw->w[aw->n - 1].end = t.end;
	}
	while (isspace((unsigned char)*aw->stop))
		aw->stop++;
}

/* Returns nonzero when word i is the bare word s. */
static int
att_word_is(const struct att_words *aw, int i, const char *s)
{
	size_t	len = strlen(s);

	return i < aw->n && aw->w[i].kind == T_WORD &&
	    (size_t)(aw->w[i].end - aw->w[i].start) == len &&
	    memcmp(aw->w[i].start, s, len) == 0;
}

/* Returns nonzero when something follows word i. */
static int
att_follows(const struct att_words *aw, int i)
{
	return i + 1 < aw->n || aw->more;
}

/* Returns where the text from word i on starts. */
static const char *
att_from(const struct att_words *aw, int i)
{
	return i < aw->n ? aw->w[i].start : aw->stop;
}

/* Returns the attached session that bare word i names exactly, or NULL. */
static struct tether_session *
att_word_session(struct att *a, const struct att_words *aw, int i)
{
	struct tether_session	*s;
	size_t			 k;

	if (i >= aw->n || aw->w[i].kind != T_WORD)
		return NULL;
	for (k = 0; (s = ia_session(a->ia, k)) != NULL; k++) {
		if (strlen(tether_session_name(s)) ==
		    (size_t)(aw->w[i].end - aw->w[i].start) &&
		    memcmp(tether_session_name(s), aw->w[i].start,
		    (size_t)(aw->w[i].end - aw->w[i].start)) == 0)
			return s;
	}
	return NULL;
}

/* Appends len bytes of s as a playbook string, "..." with escapes. */
static int
att_put_quoted(struct buf *b, const char *s, size_t len)
{
	size_t	i;

	if (buf_putc(b, '"') != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if ((s[i] == '\\' || s[i] == '"' || s[i] == '$') &&
		    buf_putc(b, '\\') != 0)
			return -1;
		if (buf_putc(b, s[i]) != 0)
			return -1;
	}
	return buf_putc(b, '"');
}

/* Appends " NAME", bare when the name is a plain word, else quoted. */
static int
att_put_name(struct buf *b, struct tether_session *s)
{
	const char	*name = tether_session_name(s), *p;

	if (buf_putc(b, ' ') != 0)
		return -1;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return att_put_quoted(b, name, strlen(name));
	}
	return buf_puts(b, name);
}

/* Appends the rest of the line from p as one string, as typed. */
static int
att_put_rest(struct buf *b, const char *p)
{
	size_t	len = strlen(p);

	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	return buf_putc(b, ' ') != 0 ? -1 : att_put_quoted(b, p, len);
}

/* Returns nonzero for the kinds of word that begin text as typed. */
static int
att_bare(enum tok k)
{
	return k == T_WORD || k == T_OPTKEY;
}

/*
 * The arguments of an attach verb: a word that starts with / is a path,
 * not a regex.  Appends p so.
 */
static int
att_put_paths(struct buf *b, const char *p)
{
	const char	*q, *end = p + strlen(p);

	while (*p != '\0') {
		if (isspace((unsigned char)*p)) {
			if (buf_putc(b, *p++) != 0)
				return -1;
			continue;
		}
		q = p;
		if (*p == '"')
			q = lex_skip_string(p + 1, end);
		else if (*p == '\'')
			q = strchr(p + 1, '\'');
		if (q == NULL || *p == '/' || q == p) {
			q = p + strcspn(p, " \t");
			if (*p == '/') {
				if (att_put_quoted(b, p, (size_t)(q - p)) != 0)
					return -1;
				p = q;
				continue;
			}
		} else if (*p == '\'')
			q++;
		if (buf_append(b, p, (size_t)(q - p)) != 0)
			return -1;
		p = q;
	}
	return 0;
}

/* Returns nonzero when name is a verb or a statement. */
static int
att_known(const char *name)
{
	size_t	i;

	for (i = 0; att_stmt_words[i] != NULL; i++) {
		if (strcmp(att_stmt_words[i], name) == 0)
			return 1;
	}
	for (i = 0; att_doc_name(i) != NULL; i++) {
		if (strcmp(att_doc_name(i), name) == 0)
			return 1;
	}
	return builtin_find(name) != NULL;
}

/* Counts the candidate c for prefix p: *found is the first one. */
static void
att_prefix_of(const char *c, const char *p, const char **found, int *n)
{
	if (strncmp(c, p, strlen(p)) != 0 ||
	    (*found != NULL && strcmp(*found, c) == 0))
		return;
	if (*found == NULL)
		*found = c;
	(*n)++;
}

/* Returns the command that name is a unique prefix of, else name. */
static const char *
att_expand(const char *name)
{
	const struct builtin	*b;
	const char		*found = NULL;
	size_t			 i;
	int			 n = 0;

	if (att_known(name))
		return name;
	for (i = 0; att_stmt_words[i] != NULL; i++)
		att_prefix_of(att_stmt_words[i], name, &found, &n);
	for (i = 0; att_doc_name(i) != NULL; i++)
		att_prefix_of(att_doc_name(i), name, &found, &n);
	for (b = builtin_table(); b->name != NULL; b++)
		att_prefix_of(b->name, name, &found, &n);
	for (b = att_verbs(); b->name != NULL; b++)
		att_prefix_of(b->name, name, &found, &n);
	return n == 1 ? found : name;
}

/*
 * send/sendline [-secret] [-pace DUR] [NAME] TEXT...: the current session
 * without NAME; TEXT of several words, or starting with a bare word, is
 * the rest of the line as typed.
 */
static int
att_form_send(struct att *a, const struct att_words *aw, struct buf *b)
{
	struct tether_session	*s;
	int			 i = 1;

	while (att_word_is(aw, i, "-secret") ||
	    (att_word_is(aw, i, "-pace") && i + 1 < aw->n))
		i += att_word_is(aw, i, "-pace") ? 2 : 1;
	if (buf_append(b, aw->w[0].end, (size_t)(att_from(aw, i) -
	    aw->w[0].end)) != 0)
		return -1;
	if (i < aw->n && att_follows(aw, i) && (aw->w[i].kind == T_VAR ||
	    att_word_session(a, aw, i) != NULL)) {
		if (buf_append(b, aw->w[i].start, (size_t)(aw->w[i].end -
		    aw->w[i].start)) != 0 || buf_putc(b, ' ') != 0)
			return -1;
		i++;
	} else if ((s = ia_current(a->ia)) != NULL) {
		if (att_put_name(b, s) != 0 || buf_putc(b, ' ') != 0)
			return -1;
	}
	if (i >= aw->n && !aw->more)
		return att_word_is(aw, 0, "sendline") ? buf_puts(b, "\"\"") : 0;
	if (i >= aw->n || att_bare(aw->w[i].kind))
		return att_put_rest(b, att_from(aw, i));
	return buf_puts(b, att_from(aw, i));
}

/* expect [NAME] PATTERN|{...}: the current session without NAME. */
static int
att_form_expect(struct att *a, const struct att_words *aw, struct buf *b)
{
	struct tether_session	*s = ia_current(a->ia);
	enum tok		 k = aw->n > 1 ? aw->w[1].kind : T_EOF;

	if (s != NULL && (k == T_REGEX || k == T_STRING || k == T_RAW ||
	    k == T_LBRACE) && att_put_name(b, s) != 0)
		return -1;
	return buf_puts(b, aw->w[0].end);
}

/*
 * hmp [NAME] COMMAND...: the current hmp: session, or the only one,
 * without NAME; a COMMAND of bare words is the rest of the line.
 */
static int
att_form_hmp(struct att *a, const struct att_words *aw, struct buf *b)
{
	struct tether_session	*s;
	int			 i = 1;

	if (aw->n > 1 && att_follows(aw, 1) && (aw->w[1].kind == T_VAR ||
	    att_is_hmp(att_word_session(a, aw, 1)))) {
		if (buf_putc(b, ' ') != 0 || buf_append(b, aw->w[1].start,
		    (size_t)(aw->w[1].end - aw->w[1].start)) != 0)
			return -1;
		i = 2;
	} else if ((s = att_default_hmp(a)) == NULL) {
		printf("hmp: name an hmp: session (open mon "
		    "hmp:unix:/path/to/monitor)\n");
		return 1;
	} else if (att_put_name(b, s) != 0)
		return -1;
	if (i < aw->n && !att_bare(aw->w[i].kind))
		return buf_putc(b, ' ') != 0 ? -1 :
		    buf_puts(b, att_from(aw, i));
	if (i >= aw->n && !aw->more)
		return 0;
	return att_put_rest(b, att_from(aw, i));
}

/*
 * Rewrites the prompt's short forms of line into b.  Returns 0, 1 when
 * the line cannot run (message printed), -1 when out of memory.
 */
static int
att_rewrite(struct att *a, const char *line, struct buf *b)
{
	const struct builtin	*v;
	struct att_words	 aw;
	const char		*verb;
	char			 name[64];
	size_t			 len;

	att_words(line, &aw);
	len = aw.n > 0 ? (size_t)(aw.w[0].end - aw.w[0].start) : 0;
	if (aw.n == 0 || aw.w[0].kind != T_WORD || len >= sizeof name)
		return buf_puts(b, line);
	memcpy(name, aw.w[0].start, len);
	name[len] = '\0';
	verb = att_expand(name);
	if (buf_append(b, line, (size_t)(aw.w[0].start - line)) != 0)
		return -1;
	if (strcmp(verb, "log") == 0 && (att_word_is(&aw, 1, "start") ||
	    att_word_is(&aw, 1, "stop")))
		verb = "transcript";
	for (v = att_verbs(); v->name != NULL; v++) {
		if (strcmp(v->name, verb) == 0)
			return buf_puts(b, verb) != 0 ? -1 :
			    att_put_paths(b, aw.w[0].end);
	}
	if (buf_puts(b, verb) != 0)
		return -1;
	if (strcmp(verb, "send") == 0 || strcmp(verb, "sendline") == 0)
		return att_form_send(a, &aw, b);
	if (strcmp(verb, "expect") == 0)
		return att_form_expect(a, &aw, b);
	if (strcmp(verb, "hmp") == 0)
		return att_form_hmp(a, &aw, b);
	if (strcmp(verb, "close") == 0 && aw.n == 1 && !aw.more &&
	    ia_current(a->ia) != NULL)
		return att_put_name(b, ia_current(a->ia));
	/* send-break [DUR]: on the current session unless one is named */
	if (strcmp(verb, "send-break") == 0 && ia_current(a->ia) != NULL &&
	    aw.n <= 2 && !aw.more && att_word_session(a, &aw, 1) == NULL)
		return att_put_name(b, ia_current(a->ia)) != 0 ? -1 :
		    buf_puts(b, aw.w[0].end);
	if (strcmp(verb, "timeout") == 0 && aw.n == 1 && !aw.more) {
		a->no_record = 1;	/* a question, not a statement */
		buf_reset(b);
		return buf_printf(b, "print \"timeout %.1fs\"",
		    interp_timeout(a->ip) / 1000.0);
	}
	return buf_puts(b, aw.w[0].end);
}

/*
 * Running a line.
 */

/*
 * Prepares the top-level statements of prog for the prompt: hmp without
 * -> VAR prints the monitor's text, other verbs keep their value in $_.
 * *record is cleared when a statement is no playbook's (an attach verb,
 * interact) or holds a secret typed.  Returns the simple expect the
 * line is, or NULL.
 */
static const struct ast_stmt *
att_mark(struct ast_program *prog, int *record)
{
	const struct builtin	*v;
	struct ast_stmt		*st;
	int			 attach;

	*record = 1;
	for (st = prog->body; st != NULL; st = st->next) {
		if (st->kind == STMT_SEND && (st->flags & SEND_SECRET))
			*record = 0;
		if (st->kind != STMT_BUILTIN)
			continue;
		attach = st->bi == builtin_find("interact");
		for (v = att_verbs(); v->name != NULL; v++)
			attach |= st->bi == v;
		if (attach)
			*record = 0;
		if (st->name != NULL)
			continue;
		if (st->bi == builtin_find("hmp"))
			st->bi = att_hmp_verb();
		else if (!attach)
			st->name = ATT_RESULT;
	}
	st = prog->body;
	if (st != NULL && st->next == NULL && st->kind == STMT_EXPECT &&
	    (st->flags & EXPECT_SIMPLE))
		return st;
	return NULL;
}

/* Returns the name of the session of a simple expect. */
static const char *
att_expect_name(struct att *a, const struct ast_stmt *st)
{
	if (st->sess != NULL && st->sess->bare != NULL)
		return st->sess->bare;
	return ia_current(a->ia) != NULL ?
	    tether_session_name(ia_current(a->ia)) : "the session";
}

/* Prints variable name as "TEXT" with control characters visible. */
static void
att_show_var(struct att *a, const char *name)
{
	struct value	*v = interp_getvar(a->ip, name);
	char		*r;
	size_t		 len;

	putchar('"');
	if (v != NULL && v->type == VAL_STR &&
	    (r = tether_loop_redact(a->loop, v->s, v->len, &len)) != NULL) {
		att_print_visible(r, len);
		free(r);
	}
	putchar('"');
}

/* Tells what the simple expect st did: the match, or why there was none. */
static void
att_show_expect(struct att *a, const struct ast_stmt *st, int status)
{
	struct value	*v;
	const char	*name = att_expect_name(a, st);
	char		 var[12];
	double		 waited = (tether_now_ms() - a->t0) / 1000.0;
	int		 k, last = 0;

	ia_newline();
	if (status == 0) {
		printf("matched on %s after %.1fs: ", name, waited);
		att_show_var(a, "0");
		putchar('\n');
		for (k = 1; k <= 9; k++) {
			snprintf(var, sizeof var, "%d", k);
			if ((v = interp_getvar(a->ip, var)) != NULL &&
			    v->type == VAL_STR && v->len > 0)
				last = k;
		}
		for (k = 1; k <= last; k++) {
			snprintf(var, sizeof var, "%d", k);
			printf("  $%d = ", k);
			att_show_var(a, var);
			putchar('\n');
		}
		return;
	}
	if (status == TETHER_EXIT_TIMEOUT) {
		printf("timeout: no match on %s within %.1fs", name, waited);
		if (a->fail_tail != NULL && *a->fail_tail != '\0') {
			printf("; last lines:\n");
			att_write_redacted(a, a->fail_tail,
			    strlen(a->fail_tail));
		}
		putchar('\n');
	} else if (status == TETHER_EXIT_EOF)
		printf("%s: end of file after %.1fs\n", name, waited);
	else
		return;
	free(a->fail_msg);
	free(a->fail_tail);
	a->fail_msg = a->fail_tail = NULL;
}

/* Prints the values the line's verbs kept in $_. */
static void
att_show_results(struct att *a, struct ast_program *prog)
{
	struct ast_stmt	*st;
	struct value	*v;
	char		*s;

	for (st = prog->body; st != NULL; st = st->next) {
		if (st->kind != STMT_BUILTIN || st->name == NULL ||
		    strcmp(st->name, ATT_RESULT) != 0)
			continue;
		if ((v = interp_getvar(a->ip, ATT_RESULT)) == NULL ||
		    v->type == VAL_NULL || (s = value_repr(v)) == NULL)
			continue;
		att_r_print(a, s, strlen(s));
		free(s);
	}
}

/*
 * A session a line closed: says so unless the line opened it (wait-port's
 * probe), and forgets its HMP names.
 */
static void
att_gone(const char *name, void *arg)
{
	struct att	*a = arg;
	char		 key[80];

	snprintf(key, sizeof key, "\n%s\n", name);
	if (strstr(buf_str(&a->opened_all), key) == NULL) {
		ia_newline();
		printf("closed %s\n", name);
	}
	att_hmp_forget(a, name);
}

/*
 * After a line: forgets the sessions it closed, goes to the first one it
 * opened, learns the HMP commands of new monitors.
 */
static void
att_sync(struct att *a)
{
	struct tether_session	*s, *cur = ia_current(a->ia);
	size_t			 i;

	if (ia_sync(a->ia, att_gone, a) > 0 && ia_current(a->ia) != NULL &&
	    ia_current(a->ia) != cur)
		printf("now on %s\n", tether_session_name(ia_current(a->ia)));
	for (i = 0; (s = ia_session(a->ia, i)) != NULL; i++) {
		if (att_is_hmp(s) && !tether_session_eof(s))
			att_hmp_learn(a, s);
	}
	if (a->opened != NULL &&
	    (s = tether_loop_session(a->loop, a->opened)) != NULL)
		att_go(a, s);
	free(a->opened);
	a->opened = NULL;
	buf_reset(&a->opened_all);
}

/* Returns the session the first send of prog's top level is to, or NULL. */
static struct tether_session *
att_sends_to(struct att *a, const struct ast_program *prog)
{
	const struct ast_stmt	*st;

	for (st = prog->body; st != NULL; st = st->next) {
		if (st->kind == STMT_SEND && st->sess != NULL &&
		    st->sess->bare != NULL)
			return tether_loop_session(a->loop, st->sess->bare);
	}
	return NULL;
}

/*
 * Parses and runs the playbook text src, which tether record keeps when
 * it ran well and is a playbook's.  Returns the exit status of the run
 * (-1: it did not parse).
 */
static int
att_run(struct att *a, const char *src, size_t len)
{
	struct ast_program	*prog = NULL, **np;
	const struct ast_stmt	*simple;
	char			*err = NULL;
	int			 status, record;

	if (parse_text(ATT_NAME, src, len, &prog, &err) != 0) {
		printf("%s\n", err);
		free(err);
		return -1;
	}
	if ((np = reallocarray(a->progs, a->nprogs + 1, sizeof *np)) ==
	    NULL) {
		parse_free(prog);
		printf("out of memory\n");
		return -1;
	}
	a->progs = np;
	a->progs[a->nprogs++] = prog;
	simple = att_mark(prog, &record);
	if (a->rec != NULL)
		rec_settle(a->rec);	/* what was typed came first */
	interp_setvar(a->ip, ATT_RESULT, value_null());
	interp_set_program(a->ip, prog);
	a->t0 = tether_now_ms();
	fflush(stdout);
	status = interp_run(a->ip);
	if (simple != NULL)
		att_show_expect(a, simple, status);
	att_show_failure(a);
	att_show_results(a, prog);
	if (a->rec != NULL && status == 0 && record && !a->no_record)
		rec_statement(a->rec, src, len, att_sends_to(a, prog));
	return status;
}

void
att_command(struct interact *ia, char *line, void *arg)
{
	struct att		*a = arg;
	struct tether_session	*s = ia_current(ia);
	struct buf		 src;
	const char		*p = line;

	while (p != NULL && isspace((unsigned char)*p))
		p++;
	if (p == NULL || *p == '\0') {		/* ^D, an empty line */
		if (s == NULL || tether_session_eof(s))
			printf("no open session: switch, open or quit\n");
		else
			ia_next_pass(ia);
		return;
	}
	buf_init(&src, 0);
	a->no_record = 0;
	switch (att_rewrite(a, line, &src)) {
	case 0:
		(void)att_run(a, src.data, src.len);
		break;
	case 1:
		break;
	default:
		printf("out of memory\n");
		break;
	}
	buf_free(&src);
	fflush(stdout);
	att_sync(a);
}

const char *
att_prompt(struct interact *ia, void *arg)
{
	struct att		*a = arg;
	struct tether_session	*s = ia_current(ia);

	snprintf(a->prompt, sizeof a->prompt, "tether %s> ",
	    s != NULL ? tether_session_name(s) : "-");
	return a->prompt;
}

/*
 * Completion: commands first, then session names, HMP commands, the
 * schemes of open's URI and file names, as the command wants.
 */

static char		**att_cand;
static size_t		  att_ncand;

void
att_complete_on(struct att *a)
{
	att_rl = a;
}

static char *
att_generate(const char *text, int state)
{
	static size_t	i;
	size_t		len = strlen(text);

	if (state == 0)
		i = 0;
	while (i < att_ncand) {
		if (strncmp(att_cand[i++], text, len) == 0)
			return strdup(att_cand[i - 1]);
	}
	return NULL;
}

void
att_complete_reset(void)
{
	size_t	i;

	for (i = 0; i < att_ncand; i++)
		free(att_cand[i]);
	free(att_cand);
	att_cand = NULL;
	att_ncand = 0;
}

static void
att_cand_add(const char *s)
{
	char	**n;
	size_t	  i;

	for (i = 0; i < att_ncand; i++) {
		if (strcmp(att_cand[i], s) == 0)
			return;
	}
	if ((n = reallocarray(att_cand, att_ncand + 1, sizeof *n)) == NULL)
		return;
	att_cand = n;
	if ((att_cand[att_ncand] = strdup(s)) != NULL)
		att_ncand++;
}

/* Adds the commands: attach's, the statements, every verb. */
static void
att_cand_commands(void)
{
	const struct builtin	*b;
	size_t			 i;

	for (i = 0; att_doc_name(i) != NULL; i++)
		att_cand_add(att_doc_name(i));
	for (i = 0; att_stmt_words[i] != NULL; i++)
		att_cand_add(att_stmt_words[i]);
	for (b = builtin_table(); b->name != NULL; b++)
		att_cand_add(b->name);
	for (b = att_verbs(); b->name != NULL; b++)
		att_cand_add(b->name);
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
	const char *const	*fb = att_hmp_fallback_names(info);
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

/*
 * Adds the target schemes, from the table of targets: a protocol row's
 * prefix with that of every row it may wrap.
 */
static void
att_cand_schemes(void)
{
	const struct target	*t, *u;
	char			*p;

	for (t = target_table(); t->prefix != NULL; t++) {
		if (t->stack != NULL) {
			att_cand_add(t->prefix);
			continue;
		}
		for (u = target_table(); u->prefix != NULL; u++) {
			if (u->stack == NULL || (u->flags & TARGET_PROGRAM) ||
			    asprintf(&p, "%s%s", t->prefix, u->prefix) == -1)
				continue;
			att_cand_add(p);
			free(p);
		}
	}
}

/* Returns nonzero when verb takes a session name first. */
static int
att_takes_session(const char *verb)
{
	static const char *const	words[] = {
		"switch", "close", "send", "sendline", "expect", "watch",
		"unwatch", NULL
	};
	const struct builtin		*b;
	size_t				 i;

	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], verb) == 0)
			return 1;
	}
	return (b = builtin_find(verb)) != NULL && b->session_arg == 0;
}

char **
att_complete(const char *text, int start, int end)
{
	struct att		*a = att_rl;
	struct tether_session	*s;
	char			*pre, *save = NULL, *tok, *words[8];
	int			 nw = 0, ci;

	rl_attempted_completion_over = 1;
	att_complete_reset();
	if (a == NULL || (pre = strndup(rl_line_buffer, (size_t)start)) ==
	    NULL)
		return NULL;
	for (tok = strtok_r(pre, " \t", &save); tok != NULL && nw < 8;
	    tok = strtok_r(NULL, " \t", &save))
		words[nw++] = tok;
	if (nw > 0)
		words[0] = (char *)att_expand(words[0]);
	if (nw == 0)
		att_cand_commands();
	else if (strcmp(words[0], "help") == 0) {
		if (nw == 1)
			att_cand_commands();
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
	} else if (strcmp(words[0], "log") == 0 ||
	    strcmp(words[0], "transcript") == 0) {
		if (nw == 1) {
			att_cand_add("start");
			att_cand_add("stop");
		} else if (strcmp(words[1], "start") == 0)
			rl_attempted_completion_over = 0;	/* files */
	} else if (strcmp(words[0], "paste") == 0) {
		rl_attempted_completion_over = 0;
	} else if (strcmp(words[0], "open") == 0) {
		if (nw == 2)
			att_cand_schemes();
	} else if (att_takes_session(words[0])) {
		if (nw == 1 || (nw == 2 && strcmp(words[1], "-pace") != 0 &&
		    words[1][0] == '-'))
			att_cand_sessions(a, 0);
	}
	free(pre);
	if (rl_attempted_completion_over == 0 || att_ncand == 0)
		return NULL;
	return rl_completion_matches(text, att_generate);
}
