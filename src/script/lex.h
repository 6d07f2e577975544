/* SPDX-License-Identifier: ISC */
/*
 * lex.h - the playbook lexer.  The grammar is context-sensitive (a `/`
 * starts a regex where an operand is due, `key=value` words exist only in
 * commands), so the parser asks for each token in a mode.
 */
#ifndef LEX_H
#define LEX_H

#include <stddef.h>
#include <stdint.h>

enum tok {
	T_ERROR = -1,
	T_EOF = 0,
	T_NL,		/* newline or ';' */
	T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK,
	T_COMMA, T_COLON, T_DOT, T_HASH,
	T_ARROW,	/* -> */
	T_ASSIGN,	/* = */
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_MATCH,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
	T_IDENT,	/* expression mode: name */
	T_INT,		/* num */
	T_DUR,		/* num, milliseconds */
	T_STRING,	/* "...": text is the raw content between the quotes */
	T_RAW,		/* '...': text is the content */
	T_REGEX,	/* /.../flags: text is the source, flags TETHER_RE_* */
	T_VAR,		/* $name or $0..$9: text is the name */
	T_DOLLARBRACE,	/* ${ */
	T_WORD,		/* word mode: bare text */
	T_OPTKEY,	/* word mode: KEY= starting a word; text is KEY */
};

enum lex_mode {
	LEX_WORD,	/* command words */
	LEX_OPERAND,	/* an expression operand is due: `/` starts a regex */
	LEX_OPERATOR,	/* after an operand: `/` divides */
};

struct token {
	enum tok	 kind;
	const char	*text;	/* content (see enum tok) */
	size_t		 len;
	const char	*start;	/* the whole token in the source */
	const char	*end;
	int		 line;
	int		 col;
	int		 space;	/* blank or newline before the token */
	int64_t		 num;
	int		 flags;
	const char	*err;	/* T_ERROR: the message */
};

struct lexer {
	const char	*src;	/* the whole source */
	const char	*p;	/* current position */
	const char	*end;
	int		 line;
	int		 col;
	int		 nest;	/* inside ( [ ${ map: newlines are blanks */
};

/* Starts lexing len bytes at src, which begin at line:col. */
void	 lex_init(struct lexer *, const char *src, size_t len, int line,
	    int col);
/* Returns the next token in *t (T_ERROR with t->err on a bad one). */
enum tok lex_next(struct lexer *, enum lex_mode, struct token *t);
/* Returns the name of a token kind, for messages. */
const char *lex_name(enum tok);
/* Strings in ${...} in strings: at most this many levels. */
#define LEX_MAX_NEST	32

/*
 * Returns a pointer just past the string whose content starts at p (after
 * the opening quote), skipping escapes and ${...}; NULL when unterminated
 * or nested more than LEX_MAX_NEST levels.
 */
const char *lex_skip_string(const char *p, const char *end);

#endif /* LEX_H */
