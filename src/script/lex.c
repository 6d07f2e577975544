/* SPDX-License-Identifier: ISC */
/*
 * lex.c - turns playbook text into tokens, in the mode the parser asks for.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"
#include "tether.h"
#include "text.h"

#define IS_IDENT0(c)	(isalpha((unsigned char)(c)) || (c) == '_')
#define IS_IDENT(c)	(isalnum((unsigned char)(c)) || (c) == '_')
#define IS_BLANK(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || \
			    (c) == '\f' || (c) == '\v')

void
lex_init(struct lexer *lx, const char *src, size_t len, int line, int col)
{
	memset(lx, 0, sizeof *lx);
	lx->src = src;
	lx->p = src;
	lx->end = src + len;
	lx->line = line;
	lx->col = col;
}

static void
lex_advance(struct lexer *lx, size_t n)
{
	while (n-- > 0 && lx->p < lx->end) {
		if (*lx->p == '\n') {
			lx->line++;
			lx->col = 1;
		} else
			lx->col++;
		lx->p++;
	}
}

static int
lex_peekc(struct lexer *lx, size_t off)
{
	if (lx->p + off >= lx->end)
		return -1;
	return (unsigned char)lx->p[off];
}

const char *
lex_name(enum tok k)
{
	switch (k) {
	case T_ERROR:		return "error";
	case T_EOF:		return "end of file";
	case T_NL:		return "end of statement";
	case T_LBRACE:		return "'{'";
	case T_RBRACE:		return "'}'";
	case T_LPAREN:		return "'('";
	case T_RPAREN:		return "')'";
	case T_LBRACK:		return "'['";
	case T_RBRACK:		return "']'";
	case T_COMMA:		return "','";
	case T_COLON:		return "':'";
	case T_DOT:		return "'.'";
	case T_HASH:		return "'#'";
	case T_ARROW:		return "'->'";
	case T_ASSIGN:		return "'='";
	case T_EQ:		return "'=='";
	case T_NE:		return "'!='";
	case T_LT:		return "'<'";
	case T_LE:		return "'<='";
	case T_GT:		return "'>'";
	case T_GE:		return "'>='";
	case T_MATCH:		return "'=~'";
	case T_PLUS:		return "'+'";
	case T_MINUS:		return "'-'";
	case T_STAR:		return "'*'";
	case T_SLASH:		return "'/'";
	case T_PERCENT:		return "'%'";
	case T_IDENT:		return "name";
	case T_INT:		return "integer";
	case T_DUR:		return "duration";
	case T_STRING:		return "string";
	case T_RAW:		return "raw string";
	case T_REGEX:		return "regex";
	case T_VAR:		return "variable";
	case T_DOLLARBRACE:	return "'${'";
	case T_WORD:		return "word";
	case T_OPTKEY:		return "option";
	}
	return "token";
}

static const char *
lex_skip_raw(const char *p, const char *end)
{
	while (p < end && *p != '\'')
		p++;
	return p < end ? p + 1 : NULL;
}

/*
 * Returns a pointer past the string whose content starts at p, which is
 * inside `level` other strings (by way of ${...}); NULL when unterminated
 * or, setting *deep, nested more than LEX_MAX_NEST levels.
 */
static const char *
lex_skip_string_at(const char *p, const char *end, int level, int *deep)
{
	int	depth;

	if (level > LEX_MAX_NEST) {
		*deep = 1;
		return NULL;
	}
	while (p < end) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			p += 2;
			continue;
		}
		if (*p == '$' && p + 1 < end && p[1] == '{') {
			p += 2;
			depth = 1;
			while (p < end && depth > 0) {
				if (*p == '{')
					depth++;
				else if (*p == '}')
					depth--;
				else if (*p == '"') {
					if ((p = lex_skip_string_at(p + 1, end,
					    level + 1, deep)) == NULL)
						return NULL;
					continue;
				} else if (*p == '\'') {
					if ((p = lex_skip_raw(p + 1, end)) ==
					    NULL)
						return NULL;
					continue;
				}
				p++;
			}
			continue;
		}
		p++;
	}
	return NULL;
}

const char *
lex_skip_string(const char *p, const char *end)
{
	int	deep = 0;

	return lex_skip_string_at(p, end, 0, &deep);
}

static enum tok
lex_error(struct token *t, const char *msg)
{
	t->kind = T_ERROR;
	t->err = msg;
	return T_ERROR;
}

/* Skips blanks, continuations and comments; returns nonzero on a blank. */
static int
lex_skip(struct lexer *lx, enum lex_mode mode, int *nl)
{
	int	c, space = 0;

	*nl = 0;
	for (;;) {
		c = lex_peekc(lx, 0);
		if (c == -1)
			break;
		if (IS_BLANK(c)) {
			lex_advance(lx, 1);
			space = 1;
		} else if (c == '\\' && (lex_peekc(lx, 1) == '\n' ||
		    (lex_peekc(lx, 1) == '\r' && lex_peekc(lx, 2) == '\n'))) {
			lex_advance(lx, lex_peekc(lx, 1) == '\r' ? 3 : 2);
			space = 1;
		} else if (c == '\n' && lx->nest > 0) {
			lex_advance(lx, 1);
			space = 1;
		} else if (c == '#' && !(mode == LEX_OPERAND && lx->nest > 0) &&
		    (mode != LEX_WORD || space || lx->p == lx->src ||
		    lx->p[-1] == '\n' || lx->p[-1] == ';' ||
		    lx->p[-1] == '{')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lex_advance(lx, 1);
		} else
			break;
	}
	return space;
}

static enum tok
lex_regex(struct lexer *lx, struct token *t)
{
	const char	*p = lx->p + 1;
	int		 f;

	while (p < lx->end && *p != '/' && *p != '\n') {
		if (*p == '\\' && p + 1 < lx->end && p[1] != '\n')
			p++;
		p++;
	}
	if (p >= lx->end || *p != '/')
		return lex_error(t, "unterminated regex");
	t->kind = T_REGEX;
	t->text = lx->p + 1;
	t->len = p - (lx->p + 1);
	p++;
	while (p < lx->end && isalpha((unsigned char)*p)) {
		if ((f = text_re_flag((unsigned char)*p)) == 0) {
			lex_advance(lx, p - lx->p);
			t->line = lx->line;
			t->col = lx->col;
			return lex_error(t,
			    "unknown regex flag (use i, m, s, x)");
		}
		t->flags |= f;
		p++;
	}
	lex_advance(lx, p - lx->p);
	return T_REGEX;
}

/* Strings, raw strings and $ forms, common to every mode. */
static int
lex_quoted(struct lexer *lx, struct token *t)
{
	const char	*p;
	int		 c = lex_peekc(lx, 0), deep;

	if (c == '"') {
		deep = 0;
		if ((p = lex_skip_string_at(lx->p + 1, lx->end, 0, &deep)) ==
		    NULL)
			return lex_error(t, deep ? "strings nested too deeply "
			    "inside ${...}" : "unterminated string");
		t->kind = T_STRING;
		t->text = lx->p + 1;
		t->len = p - 1 - t->text;
		lex_advance(lx, p - lx->p);
		return 1;
	}
	if (c == '\'') {
		if ((p = lex_skip_raw(lx->p + 1, lx->end)) == NULL)
			return lex_error(t, "unterminated raw string");
		t->kind = T_RAW;
		t->text = lx->p + 1;
		t->len = p - 1 - t->text;
		lex_advance(lx, p - lx->p);
		return 1;
	}
	if (c == '$') {
		c = lex_peekc(lx, 1);
		if (c == '{') {
			t->kind = T_DOLLARBRACE;
			lex_advance(lx, 2);
			return 1;
		}
		if (isdigit(c)) {
			t->kind = T_VAR;
			t->text = lx->p + 1;
			t->len = 1;
			lex_advance(lx, 2);
			return 1;
		}
		if (c != -1 && IS_IDENT0(c)) {
			p = lx->p + 1;
			while (p < lx->end && IS_IDENT(*p))
				p++;
			t->kind = T_VAR;
			t->text = lx->p + 1;
			t->len = p - t->text;
			lex_advance(lx, p - lx->p);
			return 1;
		}
		return lex_error(t, "'$' must be followed by a name or '{'"),
		    1;
	}
	return 0;
}

static enum tok
lex_word(struct lexer *lx, struct token *t)
{
	const char	*p;
	int		 c = lex_peekc(lx, 0), atstart;

	atstart = lx->p == lx->src || strchr(" \t\r\n;{=", lx->p[-1]) != NULL;
	switch (c) {
	case '{':
		lex_advance(lx, 1);
		return t->kind = T_LBRACE;
	case '}':
		lex_advance(lx, 1);
		return t->kind = T_RBRACE;
	case '(':
		lex_advance(lx, 1);
		return t->kind = T_LPAREN;
	case ')':
		lex_advance(lx, 1);
		return t->kind = T_RPAREN;
	case '[':
		if (atstart) {
			lex_advance(lx, 1);
			return t->kind = T_LBRACK;
		}
		break;
	case '/':
		if (atstart)
			return lex_regex(lx, t);
		break;
	case '-':
		if (lex_peekc(lx, 1) == '>' && (lex_peekc(lx, 2) == -1 ||
		    isspace(lex_peekc(lx, 2)) || lex_peekc(lx, 2) == ';')) {
			lex_advance(lx, 2);
			return t->kind = T_ARROW;
		}
		break;
	case '=':
		c = lex_peekc(lx, 1);
		if (atstart && (c == -1 || isspace(c))) {
			lex_advance(lx, 1);
			return t->kind = T_ASSIGN;
		}
		break;
	}
	if (lex_quoted(lx, t))
		return t->kind;
	if (atstart && IS_IDENT0(c)) {
		p = lx->p;
		while (p < lx->end && (IS_IDENT(*p) || *p == '-'))
			p++;
		if (p < lx->end && *p == '=' && (p + 1 >= lx->end ||
		    (p[1] != '=' && p[1] != '~'))) {
			t->kind = T_OPTKEY;
			t->text = lx->p;
			t->len = p - lx->p;
			lex_advance(lx, p + 1 - lx->p);
			return T_OPTKEY;
		}
	}
	p = lx->p;
	while (p < lx->end && !isspace((unsigned char)*p) && *p != '\0' &&
	    strchr(";{}()\"'$", *p) == NULL)
		p++;
	if (p == lx->p)
		return lex_error(t, "unexpected character");
	t->kind = T_WORD;
	t->text = lx->p;
	t->len = p - lx->p;
	lex_advance(lx, p - lx->p);
	return T_WORD;
}

static enum tok
lex_number(struct lexer *lx, struct token *t)
{
	const char	*p = lx->p, *e;
	int64_t		 n = 0;
	int		 frac = 0;

	while (p < lx->end && isdigit((unsigned char)*p)) {
		if (n > (INT64_MAX - 9) / 10) {
			lex_advance(lx, p - lx->p);
			return lex_error(t, "integer too large");
		}
		n = n * 10 + (*p - '0');
		p++;
	}
	/* A fraction makes a duration: "1.5s", "0.5" (seconds). */
	if (p + 1 < lx->end && *p == '.' && isdigit((unsigned char)p[1])) {
		for (p++; p < lx->end && isdigit((unsigned char)*p); p++)
			;
		frac = 1;
	}
	e = p;
	while (e < lx->end && IS_IDENT(*e))
		e++;
	t->num = n;
	if (e == p && !frac)
		t->kind = T_INT;
	else if (text_duration_n(lx->p, e - lx->p, &t->num) == 0)
		t->kind = T_DUR;
	else {
		lex_advance(lx, p - lx->p);
		return lex_error(t,
		    "bad number or duration (units: ms, s, m, h)");
	}
	t->text = lx->p;
	t->len = e - lx->p;
	lex_advance(lx, e - lx->p);
	return t->kind;
}

static enum tok
lex_expr(struct lexer *lx, enum lex_mode mode, struct token *t)
{
	int		 c = lex_peekc(lx, 0), c1 = lex_peekc(lx, 1);
	const char	*p;

	switch (c) {
	case '{': lex_advance(lx, 1); return t->kind = T_LBRACE;
	case '}': lex_advance(lx, 1); return t->kind = T_RBRACE;
	case '(': lex_advance(lx, 1); return t->kind = T_LPAREN;
	case ')': lex_advance(lx, 1); return t->kind = T_RPAREN;
	case '[': lex_advance(lx, 1); return t->kind = T_LBRACK;
	case ']': lex_advance(lx, 1); return t->kind = T_RBRACK;
	case ',': lex_advance(lx, 1); return t->kind = T_COMMA;
	case ':': lex_advance(lx, 1); return t->kind = T_COLON;
	case '.': lex_advance(lx, 1); return t->kind = T_DOT;
	case '#': lex_advance(lx, 1); return t->kind = T_HASH;
	case '+': lex_advance(lx, 1); return t->kind = T_PLUS;
	case '*': lex_advance(lx, 1); return t->kind = T_STAR;
	case '%': lex_advance(lx, 1); return t->kind = T_PERCENT;
	case '-':
		if (c1 == '>') {
			lex_advance(lx, 2);
			return t->kind = T_ARROW;
		}
		lex_advance(lx, 1);
		return t->kind = T_MINUS;
	case '/':
		if (mode == LEX_OPERAND)
			return lex_regex(lx, t);
		lex_advance(lx, 1);
		return t->kind = T_SLASH;
	case '=':
		if (c1 == '=') {
			lex_advance(lx, 2);
			return t->kind = T_EQ;
		}
		if (c1 == '~') {
			lex_advance(lx, 2);
			return t->kind = T_MATCH;
		}
		lex_advance(lx, 1);
		return t->kind = T_ASSIGN;
	case '!':
		if (c1 == '=') {
			lex_advance(lx, 2);
			return t->kind = T_NE;
		}
		break;
	case '<':
		if (c1 == '=') {
			lex_advance(lx, 2);
			return t->kind = T_LE;
		}
		lex_advance(lx, 1);
		return t->kind = T_LT;
	case '>':
		if (c1 == '=') {
			lex_advance(lx, 2);
			return t->kind = T_GE;
		}
		lex_advance(lx, 1);
		return t->kind = T_GT;
	}
	if (lex_quoted(lx, t))
		return t->kind;
	if (isdigit(c))
		return lex_number(lx, t);
	if (IS_IDENT0(c)) {
		p = lx->p;
		while (p < lx->end && IS_IDENT(*p))
			p++;
		t->kind = T_IDENT;
		t->text = lx->p;
		t->len = p - lx->p;
		lex_advance(lx, p - lx->p);
		return T_IDENT;
	}
	return lex_error(t, "unexpected character");
}

enum tok
lex_next(struct lexer *lx, enum lex_mode mode, struct token *t)
{
	int	nl;

	memset(t, 0, sizeof *t);
	t->space = lex_skip(lx, mode, &nl);
	t->line = lx->line;
	t->col = lx->col;
	t->start = lx->p;
	if (lx->p >= lx->end)
		t->kind = T_EOF;
	else if (*lx->p == '\n' || *lx->p == ';') {
		lex_advance(lx, 1);
		t->kind = T_NL;
	} else if (mode == LEX_WORD)
		lex_word(lx, t);
	else
		lex_expr(lx, mode, t);
	t->end = lx->p;
	return t->kind;
}
