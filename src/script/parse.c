/* SPDX-License-Identifier: ISC */
/*
 * parse.c - recursive descent parser for playbooks (SPEC section 3).
 *
 * Each function carries its grammar rule.  Tokens are asked for in a lexer
 * mode (lex.h); peeking copies the lexer.  Nodes come from the program's
 * arena; the first syntax error longjmps out of the parse.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ast.h"
#include "builtin.h"
#include "func.h"
#include "lex.h"
#include "parse.h"
#include "text.h"
#include "value.h"
#include "xmalloc.h"

#define PARSE_MAX_DEPTH		200	/* nesting of blocks and expressions */
#define PARSE_MAX_HEIGHT	1000	/* of an expression tree: a + b + ... */
#define PARSE_MAX_ELIF		1000	/* elif branches of one if */
#define PARSE_MAX_INCLUDE	32
#define PARSE_MAX_FILE		(16 << 20)
#define PARSE_CONTEXT		160	/* bytes of a line shown in a message */

struct include_frame {
	const char		*real;	/* realpath of the file */
	const char		*path;	/* as named */
	struct include_frame	*up;
};

/* A '{' not closed yet, for the notes of an error at the end of a file. */
struct brace {
	int			 line;
	int			 col;
	struct brace		*up;
};

struct parser {
	struct ast_program	*prog;
	struct arena		*a;
	struct lexer		 lx;
	const char		*file;
	const char		*file_end;	/* end of the file's text */
	struct brace		*braces;	/* open in this file, innermost
						   first */
	const char		*dir;	/* includes are relative to it */
	jmp_buf			*jb;
	char			**err;
	int			 in_branch;
	int			 in_def;
	int			 in_loop;	/* for/while bodies open */
	int			 depth;
	struct include_frame	*inc;
	int			 ninc;
	struct ast_expr		***calls;	/* shared: to resolve at end */
	size_t			*ncalls;
	struct token		 last;		/* last token taken */
};

static struct ast_stmt	*parse_block(struct parser *);
static struct ast_expr	*parse_expr(struct parser *);
static struct ast_stmt	*parse_body(struct parser *, enum tok,
			    const struct token *);

char *
parse_format_error(struct ast_program *prog, const struct ast_loc *loc,
    const char *msg)
{
	const char	*line = NULL, *pre = "", *post = "";
	size_t		 len = 0, i, at, from = 0;
	char		*caret, *s;

	if (prog != NULL)
		line = ast_source_line(prog, loc->file, loc->line, &len);
	if (line == NULL)
		return xasprintf("%s:%d:%d: %s", loc->file, loc->line,
		    loc->col, msg);
	/* A long line is shown around the column, cut with "...". */
	at = loc->col > 1 ? (size_t)loc->col - 1 : 0;
	if (at > len)
		at = len;
	if (len > PARSE_CONTEXT) {
		if (at > PARSE_CONTEXT / 2) {
			from = at - PARSE_CONTEXT / 2;
			pre = "...";
		}
		if (len - from > PARSE_CONTEXT) {
			len = from + PARSE_CONTEXT;
			post = "...";
		}
	}
	caret = xmalloc(len - from + 5);
	for (i = 0; i < strlen(pre); i++)
		caret[i] = ' ';
	for (; from + i - strlen(pre) < at; i++)
		caret[i] = line[from + i - strlen(pre)] == '\t' ? '\t' : ' ';
	caret[i++] = '^';
	caret[i] = '\0';
	s = xasprintf("%s:%d:%d: %s\n%s%.*s%s\n%s", loc->file, loc->line,
	    loc->col, msg, pre, (int)(len - from), line + from, post, caret);
	free(caret);
	return s;
}

/*
 * Ends the parse with msg (freed; NULL: out of memory) at line:col.  When
 * the error is at the end of the file, a note follows for every '{' still
 * open, innermost first, but for the one at line:col (which the message
 * names already).
 */
static void __attribute__((noreturn))
parse_fail(struct parser *p, int line, int col, int at_eof, char *msg)
{
	struct ast_loc	 loc;
	struct brace	*b;
	char		*s, *t;

	loc.file = p->file;
	loc.line = line;
	loc.col = col;
	s = parse_format_error(p->prog, &loc, msg != NULL ? msg :
	    "syntax error");
	free(msg);
	for (b = p->braces; at_eof && b != NULL; b = b->up) {
		if (b->line == line && b->col == col)
			continue;
		t = xasprintf("%s\n%s:%d:%d: note: '{' opened here", s,
		    p->file, b->line, b->col);
		free(s);
		s = t;
	}
	*p->err = s;
	longjmp(*p->jb, 1);
}

static void __attribute__((noreturn, format(printf, 4, 5)))
parse_error(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	parse_fail(p, line, col, 0, msg);
}

/* Returns nonzero when t is the real end of the file (not of a string). */
static int
at_file_end(struct parser *p, const struct token *t)
{
	return t->kind == T_EOF && p->lx.end == p->file_end;
}

static void __attribute__((noreturn))
parse_error_tok(struct parser *p, const struct token *t, const char *what)
{
	if (t->kind == T_ERROR)
		parse_error(p, t->line, t->col, "%s", t->err);
	parse_fail(p, t->line, t->col, at_file_end(p, t),
	    xasprintf("expected %s, found %s", what,
	    t->kind == T_WORD || t->kind == T_IDENT ? "a word" :
	    lex_name(t->kind)));
}

/* Notes that the '{' token t is open, until brace_close. */
static void
brace_open(struct parser *p, struct brace *b, const struct token *t)
{
	b->line = t->line;
	b->col = t->col;
	b->up = p->braces;
	p->braces = b;
}

static void
brace_close(struct parser *p, struct brace *b)
{
	p->braces = b->up;
}

static enum tok
peek(struct parser *p, enum lex_mode mode, struct token *t)
{
	struct lexer	copy = p->lx;

	lex_next(&copy, mode, t);
	if (t->kind == T_ERROR)
		parse_error(p, t->line, t->col, "%s", t->err);
	return t->kind;
}

static enum tok
next(struct parser *p, enum lex_mode mode, struct token *t)
{
	lex_next(&p->lx, mode, t);
	if (t->kind == T_ERROR)
		parse_error(p, t->line, t->col, "%s", t->err);
	p->last = *t;
	return t->kind;
}

static void
expect_tok(struct parser *p, enum lex_mode mode, enum tok k, struct token *t)
{
	struct token	tmp;

	if (t == NULL)
		t = &tmp;
	if (next(p, mode, t) != k)
		parse_error_tok(p, t, lex_name(k));
}

static int
tok_is(const struct token *t, const char *word)
{
	return (t->kind == T_WORD || t->kind == T_IDENT) &&
	    t->len == strlen(word) && memcmp(t->text, word, t->len) == 0;
}

static struct ast_loc
tok_loc(struct parser *p, const struct token *t)
{
	struct ast_loc	loc;

	loc.file = p->file;
	loc.line = t->line;
	loc.col = t->col;
	return loc;
}

static void
parse_enter(struct parser *p, const struct token *t)
{
	if (++p->depth > PARSE_MAX_DEPTH)
		parse_error(p, t->line, t->col, "nested too deeply");
}

static struct ast_expr *
expr_new(struct parser *p, enum ast_expr_kind kind, const struct token *t)
{
	struct ast_expr	*e;

	e = arena_alloc(p->a, sizeof *e);
	e->kind = kind;
	e->loc = tok_loc(p, t);
	e->height = 1;
	return e;
}

/*
 * Makes e taller than its operand c.  Every walk over the tree (lint, the
 * interpreter) recurses, so a tree taller than PARSE_MAX_HEIGHT (a chain
 * of that many operators) is an error.
 */
static void
expr_height(struct parser *p, struct ast_expr *e, const struct ast_expr *c)
{
	if (c == NULL || c->height < e->height)
		return;
	e->height = c->height + 1;
	if (e->height > PARSE_MAX_HEIGHT)
		parse_error(p, e->loc.line, e->loc.col,
		    "expression nested too deeply (more than %d levels)",
		    PARSE_MAX_HEIGHT);
}

/*
 * Appends item (and key) to e.  The arrays double when full, so that n
 * items cost O(n) time and arena space.
 */
static void
expr_push(struct parser *p, struct ast_expr *e, struct ast_expr *item,
    struct ast_expr *key)
{
	struct ast_expr	**items, **keys;

	if (e->nitems == e->cap) {
		e->cap = e->cap == 0 ? 4 : e->cap * 2;
		items = arena_alloc(p->a, e->cap * sizeof *items);
		keys = arena_alloc(p->a, e->cap * sizeof *keys);
		if (e->nitems > 0) {
			memcpy(items, e->items, e->nitems * sizeof *items);
			if (e->keys != NULL)
				memcpy(keys, e->keys, e->nitems * sizeof *keys);
		}
		e->items = items;
		e->keys = keys;
	}
	e->items[e->nitems] = item;
	e->keys[e->nitems] = key;
	e->nitems++;
	expr_height(p, e, item);
	expr_height(p, e, key);
}

/* Checks a regex with PCRE2 so that a bad one is a syntax error. */
static void
check_regex(struct parser *p, const struct token *t)
{
	pcre2_code	*code;
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	int		 errcode;

	code = pcre2_compile((PCRE2_SPTR)t->text, t->len,
	    value_regex_options(t->flags), &errcode, &off, NULL);
	if (code != NULL) {
		pcre2_code_free(code);
		return;
	}
	pcre2_get_error_message(errcode, msg, sizeof msg);
	parse_error(p, t->line, t->col + 1 + (int)off, "bad regex: %s", msg);
}

static struct ast_expr *
regex_expr(struct parser *p, const struct token *t)
{
	struct ast_expr	*e;

	check_regex(p, t);
	e = expr_new(p, EXPR_REGEX, t);
	e->s = arena_strndup(p->a, t->text, t->len);
	e->len = t->len;
	e->i = t->flags;
	return e;
}

/* Moves line:col, the position of from, to that of to. */
static void
advance_pos(const char *from, const char *to, int *line, int *col)
{
	for (; from < to; from++) {
		if (*from == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static void
str_flush(struct parser *p, struct ast_expr *e, const struct token *t,
    char *lit, size_t *n)
{
	struct ast_expr	*part;

	if (*n == 0)
		return;
	part = expr_new(p, EXPR_STRLIT, t);
	part->s = arena_strndup(p->a, lit, *n);
	part->len = *n;
	expr_push(p, e, part, NULL);
	*n = 0;
}

/*
 * string = '"' { CHAR | ESCAPE | "$" NAME | "$" DIGIT | "${" expr "}" } '"'
 * ESCAPE = "\r" | "\n" | "\t" | "\e" | "\xHH" | "\\" | "\"" | "\$"
 */
static struct ast_expr *
parse_string(struct parser *p, const struct token *t)
{
	struct ast_expr	*e, *v;
	struct lexer	 save;
	struct token	 rb;
	const char	*s = t->text, *end = t->text + t->len, *q;
	char		*lit;
	const char	*at = t->start;	/* where line:col are */
	size_t		 n = 0, k;
	int		 line = t->line, col = t->col, c = 0;

	e = expr_new(p, EXPR_STR, t);
	lit = arena_alloc(p->a, t->len + 1);
	while (s < end) {
		if (*s == '\\') {
			if (s + 1 >= end)
				break;
			advance_pos(at, s, &line, &col);
			at = s;
			if ((k = text_unescape(s, end - s, &c)) == 0 &&
			    s[1] == 'x')
				parse_error(p, line, col,
				    "\\x needs two hex digits");
			if (k == 0)
				parse_error(p, line, col, "unknown escape \\%c "
				    "(known: " TEXT_ESCAPES ")", s[1]);
			if (c != -1)
				lit[n++] = (char)c;
			s += k;
			continue;
		}
		if (*s != '$') {
			lit[n++] = *s++;
			continue;
		}
		if (s + 1 < end && s[1] == '{') {
			str_flush(p, e, t, lit, &n);
			advance_pos(at, s + 2, &line, &col);
			at = s + 2;
			save = p->lx;
			lex_init(&p->lx, s + 2, end - (s + 2), line, col);
			p->lx.src = save.src;
			p->lx.nest = 1;
			v = parse_expr(p);
			p->lx.nest = 0;
			expect_tok(p, LEX_OPERATOR, T_RBRACE, &rb);
			s = at = p->lx.p;
			line = p->lx.line;
			col = p->lx.col;
			p->lx = save;
			expr_push(p, e, v, NULL);
			continue;
		}
		if (s + 1 < end && (isalpha((unsigned char)s[1]) ||
		    s[1] == '_' || isdigit((unsigned char)s[1]))) {
			str_flush(p, e, t, lit, &n);
			q = s + 1;
			if (isdigit((unsigned char)*q))
				q++;
			else {
				while (q < end && (isalnum((unsigned char)*q) ||
				    *q == '_'))
					q++;
			}
			v = expr_new(p, EXPR_VAR, t);
			advance_pos(at, s, &line, &col);
			at = s;
			v->loc.line = line;
			v->loc.col = col;
			v->s = arena_strndup(p->a, s + 1, q - (s + 1));
			expr_push(p, e, v, NULL);
			s = q;
			continue;
		}
		lit[n++] = *s++;
	}
	str_flush(p, e, t, lit, &n);
	if (e->nitems == 0) {
		e->kind = EXPR_STRLIT;
		e->s = "";
		e->len = 0;
	} else if (e->nitems == 1 && e->items[0]->kind == EXPR_STRLIT) {
		v = e->items[0];
		v->loc = e->loc;
		return v;
	}
	return e;
}

static struct ast_expr *
raw_expr(struct parser *p, const struct token *t)
{
	struct ast_expr	*e;

	e = expr_new(p, EXPR_STRLIT, t);
	e->s = arena_strndup(p->a, t->text, t->len);
	e->len = t->len;
	return e;
}

static void
note_call(struct parser *p, struct ast_expr *e)
{
	*p->calls = xreallocarray(*p->calls, *p->ncalls + 1,
	    sizeof **p->calls);
	(*p->calls)[(*p->ncalls)++] = e;
}

/* "${" expr "}" -- the "${" already taken */
static struct ast_expr *
parse_dollarbrace(struct parser *p)
{
	struct ast_expr	*e;
	int		 nest = p->lx.nest;

	p->lx.nest = 1;
	e = parse_expr(p);
	p->lx.nest = nest;
	expect_tok(p, LEX_OPERATOR, T_RBRACE, NULL);
	return e;
}

/* list = "[" [ expr { "," expr } [","] ] "]" -- the "[" already taken */
static struct ast_expr *
parse_list(struct parser *p, const struct token *t)
{
	struct ast_expr	*e;
	struct token	 u;
	int		 nest = p->lx.nest;

	e = expr_new(p, EXPR_LIST, t);
	p->lx.nest = 1;
	for (;;) {
		if (peek(p, LEX_OPERAND, &u) == T_RBRACK)
			break;
		expr_push(p, e, parse_expr(p), NULL);
		if (peek(p, LEX_OPERATOR, &u) != T_COMMA)
			break;
		next(p, LEX_OPERATOR, &u);
	}
	p->lx.nest = nest;
	expect_tok(p, LEX_OPERATOR, T_RBRACK, NULL);
	return e;
}

/*
 * map = "{" [ key ":" expr { "," key ":" expr } [","] ] "}"
 * key = NAME | STRING | RAW
 */
static struct ast_expr *
parse_map(struct parser *p, const struct token *t)
{
	struct ast_expr	*e, *k;
	struct token	 u;
	struct brace	 b;
	int		 nest = p->lx.nest;

	e = expr_new(p, EXPR_MAP, t);
	brace_open(p, &b, t);
	p->lx.nest = 1;
	for (;;) {
		if (peek(p, LEX_OPERAND, &u) == T_RBRACE)
			break;
		next(p, LEX_OPERAND, &u);
		if (u.kind == T_IDENT)
			k = raw_expr(p, &u);
		else if (u.kind == T_STRING)
			k = parse_string(p, &u);
		else if (u.kind == T_RAW)
			k = raw_expr(p, &u);
		else
			parse_error_tok(p, &u, "a map key");
		expect_tok(p, LEX_OPERATOR, T_COLON, NULL);
		expr_push(p, e, parse_expr(p), k);
		if (peek(p, LEX_OPERATOR, &u) != T_COMMA)
			break;
		next(p, LEX_OPERATOR, &u);
	}
	p->lx.nest = nest;
	expect_tok(p, LEX_OPERATOR, T_RBRACE, NULL);
	brace_close(p, &b);
	return e;
}

/*
 * primary = INT | DUR | string | RAW | REGEX | VAR | "${" expr "}"
 *         | "true" | "false" | "yes" | "no" | "null"
 *         | NAME "(" [ expr { "," expr } ] ")" | NAME
 *         | "(" expr ")" | list | map
 */
static struct ast_expr *
parse_primary(struct parser *p)
{
	struct ast_expr	*e;
	struct token	 t, u;
	int		 nest;

	next(p, LEX_OPERAND, &t);
	switch (t.kind) {
	case T_INT:
	case T_DUR:
		e = expr_new(p, t.kind == T_INT ? EXPR_INT : EXPR_DUR, &t);
		e->i = t.num;
		return e;
	case T_STRING:
		return parse_string(p, &t);
	case T_RAW:
		return raw_expr(p, &t);
	case T_REGEX:
		return regex_expr(p, &t);
	case T_VAR:
		e = expr_new(p, EXPR_VAR, &t);
		e->s = arena_strndup(p->a, t.text, t.len);
		return e;
	case T_DOLLARBRACE:
		return parse_dollarbrace(p);
	case T_LPAREN:
		nest = p->lx.nest;
		p->lx.nest = 1;
		e = parse_expr(p);
		p->lx.nest = nest;
		expect_tok(p, LEX_OPERATOR, T_RPAREN, NULL);
		return e;
	case T_LBRACK:
		return parse_list(p, &t);
	case T_LBRACE:
		return parse_map(p, &t);
	case T_IDENT:
		break;
	default:
		parse_error_tok(p, &t, "a value");
	}
	if (tok_is(&t, "true") || tok_is(&t, "yes") || tok_is(&t, "false") ||
	    tok_is(&t, "no")) {
		e = expr_new(p, EXPR_BOOL, &t);
		e->i = tok_is(&t, "true") || tok_is(&t, "yes");
		return e;
	}
	if (tok_is(&t, "null"))
		return expr_new(p, EXPR_NULL, &t);
	if (tok_is(&t, "and") || tok_is(&t, "or") || tok_is(&t, "not"))
		parse_error_tok(p, &t, "a value");
	if (peek(p, LEX_OPERATOR, &u) != T_LPAREN) {
		e = expr_new(p, EXPR_VAR, &t);
		e->s = arena_strndup(p->a, t.text, t.len);
		return e;
	}
	next(p, LEX_OPERATOR, &u);
	e = expr_new(p, EXPR_CALL, &t);
	e->s = arena_strndup(p->a, t.text, t.len);
	nest = p->lx.nest;
	p->lx.nest = 1;
	for (;;) {
		if (peek(p, LEX_OPERAND, &u) == T_RPAREN)
			break;
		expr_push(p, e, parse_expr(p), NULL);
		if (peek(p, LEX_OPERATOR, &u) != T_COMMA)
			break;
		next(p, LEX_OPERATOR, &u);
	}
	p->lx.nest = nest;
	expect_tok(p, LEX_OPERATOR, T_RPAREN, NULL);
	note_call(p, e);
	return e;
}

/* postfix = primary { "." NAME | "." INT | "[" expr "]" } */
static struct ast_expr *
parse_postfix(struct parser *p)
{
	struct ast_expr	*e, *x;
	struct token	 t, u;
	int		 nest;

	e = parse_primary(p);
	for (;;) {
		peek(p, LEX_OPERATOR, &t);
		if (t.kind == T_DOT && !t.space) {
			next(p, LEX_OPERATOR, &t);
			next(p, LEX_OPERAND, &u);
			if (u.kind == T_IDENT) {
				x = expr_new(p, EXPR_FIELD, &t);
				x->s = arena_strndup(p->a, u.text, u.len);
			} else if (u.kind == T_INT) {
				x = expr_new(p, EXPR_INDEX, &t);
				x->b = expr_new(p, EXPR_INT, &u);
				x->b->i = u.num;
			} else
				parse_error_tok(p, &u, "a field name");
			x->a = e;
			expr_height(p, x, e);
			e = x;
		} else if (t.kind == T_LBRACK && !t.space) {
			next(p, LEX_OPERATOR, &t);
			x = expr_new(p, EXPR_INDEX, &t);
			nest = p->lx.nest;
			p->lx.nest = 1;
			x->a = e;
			x->b = parse_expr(p);
			p->lx.nest = nest;
			expect_tok(p, LEX_OPERATOR, T_RBRACK, NULL);
			expr_height(p, x, x->a);
			expr_height(p, x, x->b);
			e = x;
		} else
			return e;
	}
}

/* unary = "-" unary | "#" unary | postfix */
static struct ast_expr *
parse_unary(struct parser *p)
{
	struct ast_expr	*e;
	struct token	 t;

	peek(p, LEX_OPERAND, &t);
	if (t.kind != T_MINUS && t.kind != T_HASH)
		return parse_postfix(p);
	next(p, LEX_OPERAND, &t);
	parse_enter(p, &t);
	e = expr_new(p, t.kind == T_MINUS ? EXPR_NEG : EXPR_LEN, &t);
	e->a = parse_unary(p);
	expr_height(p, e, e->a);
	p->depth--;
	return e;
}

static struct ast_expr *
binary(struct parser *p, const struct token *t, enum ast_expr_kind kind,
    int op, struct ast_expr *a, struct ast_expr *b)
{
	struct ast_expr	*e;

	e = expr_new(p, kind, t);
	e->loc = a->loc;
	e->op = op;
	e->a = a;
	e->b = b;
	expr_height(p, e, a);
	expr_height(p, e, b);
	return e;
}

/* mul = unary { ("*" | "/" | "%") unary } */
static struct ast_expr *
parse_mul(struct parser *p)
{
	struct ast_expr	*e;
	struct token	 t;
	int		 op;

	e = parse_unary(p);
	for (;;) {
		switch (peek(p, LEX_OPERATOR, &t)) {
		case T_STAR: op = OP_MUL; break;
		case T_SLASH: op = OP_DIV; break;
		case T_PERCENT: op = OP_MOD; break;
		default: return e;
		}
		next(p, LEX_OPERATOR, &t);
		e = binary(p, &t, EXPR_BIN, op, e, parse_unary(p));
	}
}

/* add = mul { ("+" | "-") mul } */
static struct ast_expr *
parse_add(struct parser *p)
{
	struct ast_expr	*e;
	struct token	 t;
	int		 op;

	e = parse_mul(p);
	for (;;) {
		switch (peek(p, LEX_OPERATOR, &t)) {
		case T_PLUS: op = OP_ADD; break;
		case T_MINUS: op = OP_SUB; break;
		default: return e;
		}
		next(p, LEX_OPERATOR, &t);
		e = binary(p, &t, EXPR_BIN, op, e, parse_mul(p));
	}
}

/* cmp = add [ ("==" | "!=" | "<" | "<=" | ">" | ">=" | "=~") add ] */
static struct ast_expr *
parse_cmp(struct parser *p)
{
	struct ast_expr	*e;
	struct token	 t;
	int		 op;

	e = parse_add(p);
	switch (peek(p, LEX_OPERATOR, &t)) {
	case T_EQ: op = OP_EQ; break;
	case T_NE: op = OP_NE; break;
	case T_LT: op = OP_LT; break;
	case T_LE: op = OP_LE; break;
	case T_GT: op = OP_GT; break;
	case T_GE: op = OP_GE; break;
	case T_MATCH:
		next(p, LEX_OPERATOR, &t);
		return binary(p, &t, EXPR_MATCH, 0, e, parse_add(p));
	case T_ASSIGN:
		parse_error(p, t.line, t.col, "'=' in an expression "
		    "(compare with '==')");
	default:
		return e;
	}
	next(p, LEX_OPERATOR, &t);
	return binary(p, &t, EXPR_BIN, op, e, parse_add(p));
}

/* not = "not" not | cmp */
static struct ast_expr *
parse_not(struct parser *p)
{
	struct ast_expr	*e;
	struct token	 t;

	peek(p, LEX_OPERAND, &t);
	if (!tok_is(&t, "not"))
		return parse_cmp(p);
	next(p, LEX_OPERAND, &t);
	parse_enter(p, &t);
	e = expr_new(p, EXPR_NOT, &t);
	e->a = parse_not(p);
	expr_height(p, e, e->a);
	p->depth--;
	return e;
}

/* and = not { "and" not } */
static struct ast_expr *
parse_and(struct parser *p)
{
	struct ast_expr	*e;
	struct token	 t;

	e = parse_not(p);
	while (peek(p, LEX_OPERATOR, &t) == T_IDENT && tok_is(&t, "and")) {
		next(p, LEX_OPERATOR, &t);
		e = binary(p, &t, EXPR_AND, 0, e, parse_not(p));
	}
	return e;
}

/* expr = and { "or" and } */
static struct ast_expr *
parse_expr(struct parser *p)
{
	struct ast_expr	*e;
	struct token	 t;
	const char	*start;

	peek(p, LEX_OPERAND, &t);
	parse_enter(p, &t);
	start = t.start;
	e = parse_and(p);
	while (peek(p, LEX_OPERATOR, &t) == T_IDENT && tok_is(&t, "or")) {
		next(p, LEX_OPERATOR, &t);
		e = binary(p, &t, EXPR_OR, 0, e, parse_and(p));
	}
	e->src = start;
	e->srclen = p->last.end - start;
	p->depth--;
	return e;
}

static int
piece_kind(enum tok k)
{
	return k == T_WORD || k == T_STRING || k == T_RAW || k == T_VAR ||
	    k == T_DOLLARBRACE || k == T_REGEX;
}

static struct ast_expr *
piece_expr(struct parser *p, const struct token *t)
{
	struct ast_expr	*e;

	switch (t->kind) {
	case T_WORD:
	case T_RAW:
		return raw_expr(p, t);
	case T_STRING:
		return parse_string(p, t);
	case T_REGEX:
		return regex_expr(p, t);
	case T_VAR:
		e = expr_new(p, EXPR_VAR, t);
		e->s = arena_strndup(p->a, t->text, t->len);
		return e;
	case T_DOLLARBRACE:
		return parse_dollarbrace(p);
	default:
		parse_error_tok(p, t, "a word");
	}
}

/*
 * word   = [ KEY "=" ] piece { piece }   (pieces not separated by blanks)
 *        | list | map                    (where maps are allowed)
 * piece  = BARE | string | RAW | REGEX | VAR | "${" expr "}"
 * Returns NULL, taking nothing, at anything else.
 */
static struct ast_word *
parse_word(struct parser *p, int maps)
{
	struct ast_word	*w;
	struct ast_expr	*cat = NULL, *e;
	struct token	 t;
	int		 n = 0;

	peek(p, LEX_WORD, &t);
	if (!piece_kind(t.kind) && t.kind != T_OPTKEY &&
	    t.kind != T_LBRACK && !(maps && t.kind == T_LBRACE))
		return NULL;
	next(p, LEX_WORD, &t);
	w = arena_alloc(p->a, sizeof *w);
	w->loc = tok_loc(p, &t);
	if (t.kind == T_LBRACK) {
		w->value = parse_list(p, &t);
		return w;
	}
	if (t.kind == T_LBRACE) {
		w->value = parse_map(p, &t);
		return w;
	}
	if (t.kind == T_OPTKEY) {
		w->key = arena_strndup(p->a, t.text, t.len);
		peek(p, LEX_WORD, &t);
		if (t.space || !(piece_kind(t.kind) || t.kind == T_LBRACK ||
		    t.kind == T_LBRACE)) {
			w->value = expr_new(p, EXPR_STRLIT, &t);
			w->value->s = "";
			return w;
		}
		next(p, LEX_WORD, &t);
		if (t.kind == T_LBRACK) {
			w->value = parse_list(p, &t);
			return w;
		}
		if (t.kind == T_LBRACE) {
			w->value = parse_map(p, &t);
			return w;
		}
	}
	for (;;) {
		e = piece_expr(p, &t);
		if (n == 0 && t.kind == T_WORD)
			w->bare = e->s;
		else
			w->bare = NULL;
		if (n == 0)
			w->value = e;
		else {
			if (n == 1) {
				cat = expr_new(p, EXPR_STR, &t);
				cat->loc = w->loc;
				expr_push(p, cat, w->value, NULL);
				w->value = cat;
			}
			if (e->kind == EXPR_REGEX)
				parse_error(p, t.line, t.col,
				    "a regex cannot be glued to other text");
			expr_push(p, cat, e, NULL);
		}
		n++;
		peek(p, LEX_WORD, &t);
		if (t.space || !piece_kind(t.kind) || t.kind == T_REGEX)
			break;
		if (n == 1 && w->value->kind == EXPR_REGEX)
			parse_error(p, t.line, t.col,
			    "a regex cannot be glued to other text");
		next(p, LEX_WORD, &t);
	}
	return w;
}

static struct ast_word *
need_word(struct parser *p, const char *what)
{
	struct ast_word	*w;
	struct token	 t;

	if ((w = parse_word(p, 0)) == NULL) {
		peek(p, LEX_WORD, &t);
		parse_error_tok(p, &t, what);
	}
	return w;
}

static struct ast_stmt *
stmt_new(struct parser *p, enum ast_stmt_kind kind, const struct token *t)
{
	struct ast_stmt	*st;
	const char	*e;
	size_t		 n;

	st = arena_alloc(p->a, sizeof *st);
	st->kind = kind;
	st->loc = tok_loc(p, t);
	st->src = t->start;
	n = p->lx.end - t->start;
	if (n > AST_SRC_MAX)
		n = AST_SRC_MAX;
	e = memchr(t->start, '\n', n);
	st->srclen = e != NULL ? (size_t)(e - t->start) : n;
	return st;
}

/* Appends w to the words of st (doubling, as expr_push). */
static void
stmt_push_word(struct parser *p, struct ast_stmt *st, struct ast_word *w)
{
	struct ast_word	**words;

	if (st->nwords == st->wcap) {
		st->wcap = st->wcap == 0 ? 4 : st->wcap * 2;
		words = arena_alloc(p->a, st->wcap * sizeof *words);
		if (st->nwords > 0)
			memcpy(words, st->words, st->nwords * sizeof *words);
		st->words = words;
	}
	st->words[st->nwords++] = w;
}

/* Appends b to the branches of st (doubling, as expr_push). */
static void
stmt_push_branch(struct parser *p, struct ast_stmt *st, struct ast_branch *b)
{
	struct ast_branch	**bs;

	if (st->nbranches == st->bcap) {
		st->bcap = st->bcap == 0 ? 4 : st->bcap * 2;
		bs = arena_alloc(p->a, st->bcap * sizeof *bs);
		if (st->nbranches > 0)
			memcpy(bs, st->branches, st->nbranches * sizeof *bs);
		st->branches = bs;
	}
	st->branches[st->nbranches++] = b;
}

static int
word_is(const struct ast_word *w, const char *s)
{
	return w != NULL && w->key == NULL && w->bare != NULL &&
	    strcmp(w->bare, s) == 0;
}

/* A block in an expect branch or a watch: `again` is allowed in it. */
static struct ast_stmt *
parse_branch_block(struct parser *p)
{
	struct ast_stmt	*body;

	p->in_branch++;
	body = parse_block(p);
	p->in_branch--;
	return body;
}

/* Words up to the end of the statement, KEY=VALUE only. */
static void
parse_options(struct parser *p, struct ast_stmt *st)
{
	struct ast_word	*w;

	while ((w = parse_word(p, 0)) != NULL) {
		if (w->key == NULL)
			parse_error(p, w->loc.line, w->loc.col,
			    "expected OPTION=VALUE");
		stmt_push_word(p, st, w);
	}
}

/* open = "open" word word { KEY "=" word } */
static struct ast_stmt *
parse_open(struct parser *p, struct ast_stmt *st)
{
	st->sess = need_word(p, "a session name");
	stmt_push_word(p, st, need_word(p, "a target URI"));
	parse_options(p, st);
	return st;
}

/*
 * send = ("send" | "sendline") { "-secret" | "-pace" word } word word
 */
static struct ast_stmt *
parse_send(struct parser *p, struct ast_stmt *st)
{
	struct ast_word	*w;

	for (;;) {
		w = need_word(p, "a session name");
		if (word_is(w, "-secret"))
			st->flags |= SEND_SECRET;
		else if (word_is(w, "-pace"))
			st->e2 = need_word(p, "a duration")->value;
		else if (w->bare != NULL && w->bare[0] == '-')
			parse_error(p, w->loc.line, w->loc.col,
			    "unknown flag %s (known: -secret, -pace DUR)",
			    w->bare);
		else
			break;
	}
	st->sess = w;
	st->e1 = need_word(p, "the text to send")->value;
	return st;
}

/*
 * branch = ( "timeout" [word] | "eof" | "idle" word
 *          | [word] pattern | word "eof" ) block
 */
static struct ast_branch *
parse_branch(struct parser *p, struct ast_stmt *st)
{
	struct ast_branch	*b;
	struct ast_word		*w, *w2;
	struct token		 t;

	b = arena_alloc(p->a, sizeof *b);
	w = need_word(p, "a pattern, timeout, idle or eof");
	b->loc = w->loc;
	b->kind = BRANCH_PATTERN;
	if (word_is(w, "timeout")) {
		b->kind = BRANCH_TIMEOUT;
		if (peek(p, LEX_WORD, &t) != T_LBRACE)
			b->pat = need_word(p, "a duration");
	} else if (word_is(w, "eof"))
		b->kind = BRANCH_EOF;
	else if (word_is(w, "idle")) {
		b->kind = BRANCH_IDLE;
		b->pat = need_word(p, "a duration");
	} else if (peek(p, LEX_WORD, &t) != T_LBRACE) {
		if (w->key != NULL || (w->bare == NULL &&
		    w->value->kind != EXPR_VAR))
			parse_error(p, w->loc.line, w->loc.col,
			    "expected a session name before the pattern");
		b->sess = w;
		w2 = need_word(p, "a pattern");
		if (word_is(w2, "eof"))
			b->kind = BRANCH_EOF;
		else
			b->pat = w2;
	} else
		b->pat = w;
	if (b->kind == BRANCH_PATTERN) {
		if (b->pat->key != NULL || b->pat->bare != NULL)
			parse_error(p, b->pat->loc.line, b->pat->loc.col,
			    "a pattern is /regex/ or \"literal\"");
		if (b->sess == NULL && st->sess == NULL)
			parse_error(p, b->loc.line, b->loc.col,
			    "this branch needs a session: write "
			    "`expect NAME {` or `NAME PATTERN {`");
	}
	b->body = parse_branch_block(p);
	return b;
}

/*
 * expect = "expect" word pattern [ "timeout" word ]
 *        | "expect" [word] "{" { NL } { branch { NL } } "}"
 */
static struct ast_stmt *
parse_expect(struct parser *p, struct ast_stmt *st)
{
	struct ast_branch	*b;
	struct ast_word		*w;
	struct token		 t;
	struct brace		 brace;

	if (peek(p, LEX_WORD, &t) != T_LBRACE) {
		st->sess = need_word(p, "a session name or '{'");
		if (st->sess->key != NULL || (st->sess->bare == NULL &&
		    st->sess->value->kind != EXPR_VAR &&
		    st->sess->value->kind != EXPR_STR))
			parse_error(p, st->sess->loc.line, st->sess->loc.col,
			    "expected a session name");
	}
	if (peek(p, LEX_WORD, &t) != T_LBRACE) {
		st->flags |= EXPECT_SIMPLE;
		b = arena_alloc(p->a, sizeof *b);
		b->kind = BRANCH_PATTERN;
		b->pat = need_word(p, "a pattern or '{'");
		b->loc = b->pat->loc;
		if (b->pat->key != NULL || b->pat->bare != NULL)
			parse_error(p, b->loc.line, b->loc.col,
			    "a pattern is /regex/ or \"literal\"");
		stmt_push_branch(p, st, b);
		if ((w = parse_word(p, 0)) != NULL) {
			if (!word_is(w, "timeout"))
				parse_error(p, w->loc.line, w->loc.col,
				    "expected `timeout DURATION` or the end "
				    "of the statement");
			st->e1 = need_word(p, "a duration")->value;
		}
		return st;
	}
	expect_tok(p, LEX_WORD, T_LBRACE, &t);
	brace_open(p, &brace, &t);
	for (;;) {
		while (peek(p, LEX_WORD, &t) == T_NL)
			next(p, LEX_WORD, &t);
		if (t.kind == T_RBRACE)
			break;
		stmt_push_branch(p, st, parse_branch(p, st));
		peek(p, LEX_WORD, &t);
		if (t.kind != T_NL && t.kind != T_RBRACE)
			parse_error_tok(p, &t, "a newline between branches");
	}
	expect_tok(p, LEX_WORD, T_RBRACE, NULL);
	brace_close(p, &brace);
	if (st->nbranches == 0)
		parse_error(p, st->loc.line, st->loc.col,
		    "expect with no branches");
	return st;
}

/* watch = "watch" word pattern block */
static struct ast_stmt *
parse_watch(struct parser *p, struct ast_stmt *st)
{
	struct ast_branch	*b;
	int			 loop;

	st->sess = need_word(p, "a session name");
	b = arena_alloc(p->a, sizeof *b);
	b->kind = BRANCH_PATTERN;
	b->pat = need_word(p, "a pattern");
	b->loc = b->pat->loc;
	if (b->pat->key != NULL || b->pat->bare != NULL)
		parse_error(p, b->loc.line, b->loc.col,
		    "a pattern is /regex/ or \"literal\"");
	/* A watch body runs later, in another statement: no loop around. */
	loop = p->in_loop;
	p->in_loop = 0;
	b->body = parse_branch_block(p);
	p->in_loop = loop;
	stmt_push_branch(p, st, b);
	return st;
}

/* set = "set" NAME "=" expr */
static struct ast_stmt *
parse_set(struct parser *p, struct ast_stmt *st)
{
	struct token	t;

	next(p, LEX_WORD, &t);
	if (t.kind != T_WORD && t.kind != T_OPTKEY)
		parse_error_tok(p, &t, "a variable name");
	st->name = arena_strndup(p->a, t.text, t.len);
	if (t.kind == T_WORD)
		expect_tok(p, LEX_WORD, T_ASSIGN, NULL);
	st->e1 = parse_expr(p);
	return st;
}

/* Looks past newlines for `word`; takes them and it when found. */
static int
accept_after_newlines(struct parser *p, const char *word)
{
	struct lexer	save = p->lx;
	struct token	t;

	while (lex_next(&p->lx, LEX_WORD, &t) == T_NL)
		;
	if (t.kind == T_WORD && tok_is(&t, word)) {
		p->last = t;
		return 1;
	}
	p->lx = save;
	return 0;
}

/*
 * if = "if" expr block { "elif" expr block } [ "else" block ]
 * An elif is an IF in the alt of the one before: the chain is built in a
 * loop, and at most PARSE_MAX_ELIF long, since the tree walks recurse.
 */
static struct ast_stmt *
parse_if(struct parser *p, struct ast_stmt *st)
{
	struct ast_stmt	*cur = st, *alt;
	int		 n = 0;

	for (;;) {
		cur->e1 = parse_expr(p);
		cur->body = parse_block(p);
		if (accept_after_newlines(p, "elif")) {
			if (++n > PARSE_MAX_ELIF)
				parse_error(p, p->last.line, p->last.col,
				    "more than %d elif branches",
				    PARSE_MAX_ELIF);
			alt = stmt_new(p, STMT_IF, &p->last);
			cur->alt = alt;
			cur = alt;
			continue;
		}
		if (accept_after_newlines(p, "else")) {
			alt = stmt_new(p, STMT_BLOCK, &p->last);
			alt->body = parse_block(p);
			cur->alt = alt;
		}
		return st;
	}
}

/* for = "for" NAME "in" expr block */
static struct ast_stmt *
parse_for(struct parser *p, struct ast_stmt *st)
{
	struct token	t;

	next(p, LEX_OPERAND, &t);
	if (t.kind != T_IDENT)
		parse_error_tok(p, &t, "a loop variable name");
	st->name = arena_strndup(p->a, t.text, t.len);
	next(p, LEX_OPERAND, &t);
	if (!tok_is(&t, "in"))
		parse_error_tok(p, &t, "'in'");
	st->e1 = parse_expr(p);
	p->in_loop++;
	st->body = parse_block(p);
	p->in_loop--;
	return st;
}

/* while = "while" expr block */
static struct ast_stmt *
parse_while(struct parser *p, struct ast_stmt *st)
{
	st->e1 = parse_expr(p);
	p->in_loop++;
	st->body = parse_block(p);
	p->in_loop--;
	return st;
}

/* retry = "retry" ( expr | "within" expr ) [ "every" expr ] block */
static struct ast_stmt *
parse_retry(struct parser *p, struct ast_stmt *st)
{
	struct token	t;

	peek(p, LEX_WORD, &t);
	if (tok_is(&t, "within")) {
		next(p, LEX_WORD, &t);
		st->e2 = parse_expr(p);
	} else
		st->e1 = parse_expr(p);
	peek(p, LEX_WORD, &t);
	if (tok_is(&t, "every")) {
		next(p, LEX_WORD, &t);
		st->e3 = parse_expr(p);
	}
	st->body = parse_block(p);
	return st;
}

static int
is_function(const char *name)
{
	return func_find(name) != NULL;
}

/* def = "def" NAME "(" [ NAME { "," NAME } ] ")" block */
static struct ast_stmt *
parse_def(struct parser *p, struct ast_stmt *st)
{
	struct ast_def	*d;
	struct token	 t;
	const char	**params;
	size_t		 i, cap = 0;
	int		 loop;

	if (p->in_def || p->in_branch)
		parse_error(p, st->loc.line, st->loc.col,
		    "def inside a def or a branch");
	next(p, LEX_OPERAND, &t);
	if (t.kind != T_IDENT)
		parse_error_tok(p, &t, "a function name");
	d = arena_alloc(p->a, sizeof *d);
	d->name = arena_strndup(p->a, t.text, t.len);
	d->loc = tok_loc(p, &t);
	if (ast_def_find(p->prog, d->name) != NULL || is_function(d->name) ||
	    builtin_find(d->name) != NULL)
		parse_error(p, t.line, t.col, "%s is already defined",
		    d->name);
	expect_tok(p, LEX_OPERATOR, T_LPAREN, NULL);
	for (;;) {
		next(p, LEX_OPERAND, &t);
		if (t.kind == T_RPAREN && d->nparams == 0)
			break;
		if (t.kind != T_IDENT)
			parse_error_tok(p, &t, "a parameter name");
		if (d->nparams == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			params = arena_alloc(p->a, cap * sizeof *params);
			for (i = 0; i < d->nparams; i++)
				params[i] = d->params[i];
			d->params = params;
		}
		d->params[d->nparams++] = arena_strndup(p->a, t.text, t.len);
		next(p, LEX_OPERATOR, &t);
		if (t.kind == T_RPAREN)
			break;
		if (t.kind != T_COMMA)
			parse_error_tok(p, &t, "',' or ')'");
	}
	ast_def_add(p->prog, d);
	p->in_def++;
	loop = p->in_loop;
	p->in_loop = 0;		/* break and continue stay inside the def */
	d->body = parse_block(p);
	p->in_loop = loop;
	p->in_def--;
	st->name = d->name;
	return st;
}

static int
at_end(struct parser *p)
{
	struct token	t;

	peek(p, LEX_WORD, &t);
	return t.kind == T_NL || t.kind == T_EOF || t.kind == T_RBRACE;
}

static char *
read_file(const char *path, size_t *len, char **err, int include)
{
	FILE		*f;
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 cap = 0, n = 0, r;

	if ((f = fopen(path, "r")) == NULL) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (include && (fstat(fileno(f), &sb) == -1 ||
	    !S_ISREG(sb.st_mode) || sb.st_size > PARSE_MAX_FILE)) {
		*err = xasprintf("%s: not a regular file of at most %d MiB",
		    path, PARSE_MAX_FILE >> 20);
		fclose(f);
		return NULL;
	}
	for (;;) {
		if (cap - n < 8192) {
			cap = cap * 2 + 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static const char *
dir_of(struct arena *a, const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return ".";
	if (slash == path)
		return "/";
	return arena_strndup(a, path, slash - path);
}

/* include = "include" STRING -- relative to the including file */
static struct ast_stmt *
parse_include(struct parser *p, struct ast_stmt *st)
{
	struct parser		 sub;
	struct include_frame	 frame, *f;
	struct ast_word		*w;
	struct ast_source	*src;
	char			*text, *err = NULL, *path, real[PATH_MAX];
	size_t			 len;

	w = need_word(p, "a file name");
	if (w->key != NULL || w->value->kind != EXPR_STRLIT)
		parse_error(p, w->loc.line, w->loc.col,
		    "include needs a constant file name");
	if (w->value->s[0] == '/' || strcmp(p->dir, ".") == 0)
		path = xstrdup(w->value->s);
	else
		path = xasprintf("%s/%s", p->dir, w->value->s);
	if (realpath(path, real) == NULL) {
		err = xasprintf("cannot include %s: %s", path,
		    strerror(errno));
		free(path);
		st->name = arena_strndup(p->a, err, strlen(err));
		free(err);
		parse_error(p, w->loc.line, w->loc.col, "%s", st->name);
	}
	for (f = p->inc; f != NULL; f = f->up) {
		if (strcmp(f->real, real) == 0) {
			st->name = arena_strndup(p->a, path, strlen(path));
			free(path);
			parse_error(p, w->loc.line, w->loc.col,
			    "include cycle: %s includes itself", st->name);
		}
	}
	if (p->ninc >= PARSE_MAX_INCLUDE) {
		free(path);
		parse_error(p, w->loc.line, w->loc.col, "includes nested "
		    "too deeply");
	}
	if ((text = read_file(path, &len, &err, 1)) == NULL) {
		free(path);
		st->name = arena_strndup(p->a, err, strlen(err));
		free(err);
		parse_error(p, w->loc.line, w->loc.col, "%s", st->name);
	}
	src = ast_source_add(p->prog, path, text, len);
	free(text);
	free(path);

	sub = *p;
	sub.file = src->path;
	sub.file_end = src->text + src->len;
	sub.braces = NULL;
	sub.dir = dir_of(p->a, src->path);
	frame.real = arena_strndup(p->a, real, strlen(real));
	frame.path = src->path;
	frame.up = p->inc;
	sub.inc = &frame;
	sub.ninc = p->ninc + 1;
	lex_init(&sub.lx, src->text, src->len, 1, 1);
	st->body = parse_body(&sub, T_EOF, NULL);
	st->name = src->path;
	return st;
}

/* check = "check" expr [ expr ] */
static struct ast_stmt *
parse_check(struct parser *p, struct ast_stmt *st)
{
	st->e1 = parse_expr(p);
	if (!at_end(p))
		st->e2 = parse_expr(p);
	return st;
}

/* verb = NAME { word | "->" NAME } */
static struct ast_stmt *
parse_verb(struct parser *p, struct ast_stmt *st)
{
	struct ast_word	*w;
	struct token	 t;

	for (;;) {
		if ((w = parse_word(p, 1)) != NULL) {
			stmt_push_word(p, st, w);
			continue;
		}
		if (peek(p, LEX_WORD, &t) != T_ARROW)
			break;
		next(p, LEX_WORD, &t);
		next(p, LEX_OPERAND, &t);
		if (t.kind != T_IDENT)
			parse_error_tok(p, &t, "a variable name after '->'");
		if (st->name != NULL)
			parse_error(p, t.line, t.col, "two '->' in a command");
		st->name = arena_strndup(p->a, t.text, t.len);
	}
	return st;
}

/*
 * stmt = open | close | send | expect | "again" | "timeout" expr | watch
 *      | "unwatch" word | set | if | for | while | "break" | "continue"
 *      | retry | def | "return" [expr]
 *      | include | check | "fail" expr | "step" word block
 *      | "finally" block | "log" expr | "print" expr | "sleep" expr
 *      | NAME "(" args ")" | verb
 */
static struct ast_stmt *
parse_stmt(struct parser *p)
{
	struct ast_stmt		*st;
	const struct builtin	*bi;
	struct lexer		 save = p->lx;
	struct token		 t, u;
	char			 name[64];
	int			 loop;

	next(p, LEX_WORD, &t);
	if (t.kind != T_WORD || t.len >= sizeof name)
		parse_error_tok(p, &t, "a statement");
	memcpy(name, t.text, t.len);
	name[t.len] = '\0';
	parse_enter(p, &t);

#define KW(s, k)	(strcmp(name, (s)) == 0 && \
			    ((st = stmt_new(p, (k), &t)) != NULL))
	if (KW("open", STMT_OPEN))
		parse_open(p, st);
	else if (KW("close", STMT_CLOSE))
		st->sess = need_word(p, "a session name");
	else if (KW("send", STMT_SEND))
		parse_send(p, st);
	else if (KW("sendline", STMT_SEND)) {
		st->flags |= SEND_LINE;
		parse_send(p, st);
	} else if (KW("expect", STMT_EXPECT))
		parse_expect(p, st);
	else if (KW("again", STMT_AGAIN)) {
		if (p->in_branch == 0)
			parse_error(p, t.line, t.col,
			    "again outside an expect branch");
	} else if (KW("timeout", STMT_TIMEOUT))
		st->e1 = parse_expr(p);
	else if (KW("watch", STMT_WATCH))
		parse_watch(p, st);
	else if (KW("unwatch", STMT_UNWATCH))
		st->sess = need_word(p, "a session name");
	else if (KW("set", STMT_SET))
		parse_set(p, st);
	else if (KW("if", STMT_IF))
		parse_if(p, st);
	else if (KW("for", STMT_FOR))
		parse_for(p, st);
	else if (KW("while", STMT_WHILE))
		parse_while(p, st);
	else if (KW("break", STMT_BREAK) || KW("continue", STMT_CONTINUE)) {
		if (p->in_loop == 0)
			parse_error(p, t.line, t.col,
			    "%s outside a for or while loop", name);
	}
	else if (KW("retry", STMT_RETRY))
		parse_retry(p, st);
	else if (KW("def", STMT_DEF))
		parse_def(p, st);
	else if (KW("return", STMT_RETURN)) {
		if (p->in_def == 0)
			parse_error(p, t.line, t.col, "return outside a def");
		if (!at_end(p))
			st->e1 = parse_expr(p);
	} else if (KW("include", STMT_BLOCK))
		parse_include(p, st);
	else if (KW("check", STMT_CHECK))
		parse_check(p, st);
	else if (KW("fail", STMT_FAIL))
		st->e1 = parse_expr(p);
	else if (KW("step", STMT_STEP)) {
		st->e1 = need_word(p, "a step name")->value;
		st->body = parse_block(p);
	} else if (KW("finally", STMT_FINALLY)) {
		/* It runs at the end of the playbook: no loop around. */
		loop = p->in_loop;
		p->in_loop = 0;
		st->body = parse_block(p);
		p->in_loop = loop;
	}
	else if (KW("log", STMT_LOG))
		st->e1 = parse_expr(p);
	else if (KW("print", STMT_PRINT))
		st->e1 = parse_expr(p);
	else if (KW("sleep", STMT_SLEEP))
		st->e1 = parse_expr(p);
	else if (strcmp(name, "else") == 0 || strcmp(name, "elif") == 0)
		parse_error(p, t.line, t.col, "%s without if", name);
	else if (peek(p, LEX_WORD, &u) == T_LPAREN && !u.space) {
		st = stmt_new(p, STMT_CALL, &t);
		p->lx = save;
		st->e1 = parse_expr(p);
		if (st->e1->kind != EXPR_CALL)
			parse_error(p, t.line, t.col, "expected a call");
	} else if ((bi = builtin_find(name)) != NULL) {
		st = stmt_new(p, STMT_BUILTIN, &t);
		st->bi = bi;
		parse_verb(p, st);
	} else
		parse_error(p, t.line, t.col, "unknown statement '%s'", name);
#undef KW
	p->depth--;
	peek(p, LEX_WORD, &u);
	if (u.kind != T_NL && u.kind != T_EOF && u.kind != T_RBRACE)
		parse_error_tok(p, &u, "the end of the statement");
	return st;
}

/* body = { NL } [ stmt { NL { NL } stmt } ] { NL } (end) */
static struct ast_stmt *
parse_body(struct parser *p, enum tok end, const struct token *open)
{
	struct ast_stmt	*first = NULL, **tail = &first, *st;
	struct token	 t;

	for (;;) {
		while (peek(p, LEX_WORD, &t) == T_NL)
			next(p, LEX_WORD, &t);
		if (t.kind == end)
			break;
		if (t.kind == T_EOF && open != NULL)
			parse_fail(p, open->line, open->col, at_file_end(p, &t),
			    xstrdup("this '{' is never closed"));
		if (t.kind == T_EOF)
			parse_fail(p, t.line, t.col, at_file_end(p, &t),
			    xstrdup("missing '}'"));
		if (t.kind == T_RBRACE)
			parse_error(p, t.line, t.col, "unexpected '}'");
		st = parse_stmt(p);
		*tail = st;
		tail = &st->next;
	}
	return first;
}

/* block = "{" body "}" */
static struct ast_stmt *
parse_block(struct parser *p)
{
	struct ast_stmt	*body;
	struct token	 t;
	struct brace	 b;

	peek(p, LEX_WORD, &t);
	if (t.kind != T_LBRACE)
		parse_error_tok(p, &t, "'{'");
	next(p, LEX_WORD, &t);
	parse_enter(p, &t);
	brace_open(p, &b, &t);
	body = parse_body(p, T_RBRACE, &t);
	expect_tok(p, LEX_WORD, T_RBRACE, NULL);
	brace_close(p, &b);
	p->depth--;
	return body;
}

static int
parse_program(struct ast_program *prog, const char *path, const char *dir,
    char **err)
{
	struct parser		 p;
	struct ast_source	*src = prog->sources;
	struct ast_expr		**calls = NULL, *e;
	struct ast_loc		 loc;
	size_t			 ncalls = 0, i;
	jmp_buf			 jb;
	char			 real[PATH_MAX];
	struct include_frame	 frame;

	memset(&p, 0, sizeof p);
	p.prog = prog;
	p.a = &prog->arena;
	p.file = src->path;
	p.dir = dir;
	p.jb = &jb;
	p.err = err;
	p.calls = &calls;
	p.ncalls = &ncalls;
	if (path != NULL && realpath(path, real) != NULL) {
		frame.real = arena_strndup(p.a, real, strlen(real));
		frame.path = src->path;
		frame.up = NULL;
		p.inc = &frame;
	}
	lex_init(&p.lx, src->text, src->len, 1, 1);
	p.file_end = src->text + src->len;
	if (setjmp(jb) != 0) {
		free(calls);
		return -1;
	}
	prog->body = parse_body(&p, T_EOF, NULL);
	for (i = 0; i < ncalls; i++) {
		e = calls[i];
		if (func_find(e->s) != NULL)
			continue;
		if ((e->def = ast_def_find(prog, e->s)) == NULL) {
			loc = e->loc;
			*err = xasprintf("unknown function %s()", e->s);
			e = NULL;
			free(calls);
			calls = NULL;
			path = *err;
			*err = parse_format_error(prog, &loc, path);
			free((char *)path);
			return -1;
		}
		if (e->def->nparams != e->nitems) {
			loc = e->loc;
			path = xasprintf("%s() takes %zu argument%s, not %zu",
			    e->s, e->def->nparams,
			    e->def->nparams == 1 ? "" : "s", e->nitems);
			free(calls);
			*err = parse_format_error(prog, &loc, path);
			free((char *)path);
			return -1;
		}
	}
	free(calls);
	return 0;
}

int
parse_text(const char *name, const char *text, size_t len,
    struct ast_program **out, char **err)
{
	struct ast_program	*prog;

	*out = NULL;
	*err = NULL;
	prog = xcalloc(1, sizeof *prog);
	ast_source_add(prog, name, text, len);
	if (parse_program(prog, NULL, ".", err) != 0) {
		parse_free(prog);
		return -1;
	}
	*out = prog;
	return 0;
}

int
parse_file(const char *path, struct ast_program **out, char **err)
{
	struct ast_program	*prog;
	char			*text;
	size_t			 len;

	*out = NULL;
	*err = NULL;
	if ((text = read_file(path, &len, err, 0)) == NULL)
		return -1;
	prog = xcalloc(1, sizeof *prog);
	ast_source_add(prog, path, text, len);
	free(text);
	if (parse_program(prog, path, dir_of(&prog->arena, path), err) != 0) {
		parse_free(prog);
		return -1;
	}
	*out = prog;
	return 0;
}

void
parse_free(struct ast_program *prog)
{
	if (prog == NULL)
		return;
	arena_free(&prog->arena);
	free(prog);
}
