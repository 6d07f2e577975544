/* SPDX-License-Identifier: ISC */
/*
 * ast.h - the playbook syntax tree, allocated from one arena freed whole.
 */
#ifndef AST_H
#define AST_H

#include <stddef.h>
#include <stdint.h>

struct arena_chunk;

/* A bump allocator: everything is freed at once by arena_free. */
struct arena {
	struct arena_chunk	*head;
};

/* Returns n zeroed bytes from the arena (aborts when out of memory). */
void	*arena_alloc(struct arena *, size_t n);
/* Returns a NUL-terminated copy of the n bytes at s. */
char	*arena_strndup(struct arena *, const char *s, size_t n);
/* Frees every allocation of the arena; it is empty and usable again. */
void	 arena_free(struct arena *);

/* Where a node starts in its file. */
struct ast_loc {
	const char	*file;
	int		 line;
	int		 col;
};

enum ast_expr_kind {
	EXPR_NULL,
	EXPR_BOOL,		/* i */
	EXPR_INT,		/* i */
	EXPR_DUR,		/* i, milliseconds */
	EXPR_STRLIT,		/* s, len */
	EXPR_REGEX,		/* s, len (PCRE2 source), i (TETHER_RE_*) */
	EXPR_STR,		/* items: the parts of an interpolated string */
	EXPR_VAR,		/* s: variable name */
	EXPR_FIELD,		/* a.s */
	EXPR_INDEX,		/* a[b] */
	EXPR_LEN,		/* #a */
	EXPR_NEG,		/* -a */
	EXPR_NOT,		/* not a */
	EXPR_BIN,		/* a op b, op: + - * / % == != < <= > >= */
	EXPR_AND,		/* a and b */
	EXPR_OR,		/* a or b */
	EXPR_MATCH,		/* a =~ b */
	EXPR_CALL,		/* s(items): a function or a def */
	EXPR_LIST,		/* [items] */
	EXPR_MAP,		/* {keys: items} */
};

enum ast_binop {
	OP_ADD = 1, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
};

struct ast_def;

struct ast_expr {
	enum ast_expr_kind	 kind;
	struct ast_loc		 loc;
	int64_t			 i;
	int			 op;
	const char		*s;
	size_t			 len;
	struct ast_expr		*a, *b;
	struct ast_expr		**items;
	struct ast_expr		**keys;
	size_t			 nitems;
	size_t			 cap;	/* items (and keys) allocated */
	int			 height; /* 1 + the tallest operand's */
	const char		*src;	/* source text of the expression */
	size_t			 srclen;
	struct ast_def		*def;	/* EXPR_CALL of a def */
};

/*
 * A word of a command: a bare word, a quoted string, a regex, $var,
 * ${expr}, pieces of these glued together, or KEY=VALUE.
 */
struct ast_word {
	struct ast_loc		 loc;
	const char		*key;	/* KEY of KEY=VALUE, else NULL */
	struct ast_expr		*value;
	const char		*bare;	/* the text when wholly unquoted */
};

enum ast_branch_kind {
	BRANCH_PATTERN,
	BRANCH_TIMEOUT,
	BRANCH_EOF,
	BRANCH_IDLE,
};

struct ast_stmt;

/* One branch of a multi-branch expect. */
struct ast_branch {
	enum ast_branch_kind	 kind;
	struct ast_loc		 loc;
	struct ast_word		*sess;	/* NULL: the expect's own session */
	struct ast_word		*pat;	/* pattern; timeout, idle: duration */
	struct ast_stmt		*body;
};

enum ast_stmt_kind {
	STMT_OPEN,		/* open sess words... */
	STMT_CLOSE,		/* close sess */
	STMT_SEND,		/* send sess e1; flags SEND_*; e2 pace */
	STMT_EXPECT,		/* expect [sess] branches; e1: timeout */
	STMT_AGAIN,
	STMT_TIMEOUT,		/* timeout e1 */
	STMT_WATCH,		/* watch sess branches[0] */
	STMT_UNWATCH,		/* unwatch sess */
	STMT_SET,		/* set name = e1 */
	STMT_IF,		/* if e1 body [else alt] (elif: alt is an IF) */
	STMT_FOR,		/* for name in e1 body */
	STMT_RETRY,		/* retry e1 | within e2; every e3; body */
	STMT_CALL,		/* e1 (an EXPR_CALL) */
	STMT_RETURN,		/* return [e1] */
	STMT_BLOCK,		/* body (an included file) */
	STMT_CHECK,		/* check e1 [e2 message] */
	STMT_FAIL,		/* fail e1 */
	STMT_STEP,		/* step e1 body */
	STMT_FINALLY,		/* finally body */
	STMT_LOG,		/* log e1 */
	STMT_PRINT,		/* print e1 */
	STMT_SLEEP,		/* sleep e1 */
	STMT_DEF,		/* def (hoisted; nothing to run) */
	STMT_BUILTIN,		/* bi words...; name: -> VAR */
	STMT_WHILE,		/* while e1 body */
	STMT_BREAK,		/* break (in a for or while) */
	STMT_CONTINUE,		/* continue (in a for or while) */
};

#define SEND_LINE	0x1	/* sendline */
#define SEND_SECRET	0x2	/* -secret */
#define EXPECT_SIMPLE	0x4	/* expect NAME PATTERN [timeout DUR] */

struct builtin;

struct ast_stmt {
	enum ast_stmt_kind	 kind;
	struct ast_loc		 loc;
	struct ast_stmt		*next;		/* next in the block */
	const char		*name;
	int			 flags;
	struct ast_word		*sess;
	struct ast_expr		*e1, *e2, *e3;
	struct ast_word		**words;
	size_t			 nwords;
	size_t			 wcap;		/* words allocated */
	struct ast_branch	**branches;
	size_t			 nbranches;
	size_t			 bcap;		/* branches allocated */
	struct ast_stmt		*body, *alt;
	const struct builtin	*bi;
	/* The statement's first line, at most AST_SRC_MAX bytes of it. */
	const char		*src;
	size_t			 srclen;
};

#define AST_SRC_MAX	512

/* A def: hoisted, callable from anywhere in the playbook. */
struct ast_def {
	const char		*name;
	struct ast_loc		 loc;
	const char		**params;
	size_t			 nparams;
	struct ast_stmt		*body;
	struct ast_def		*next;
	struct ast_def		*hnext;		/* same hash bucket */
};

/* A source file, kept for error messages. */
struct ast_source {
	const char		*path;
	const char		*text;
	size_t			 len;
	struct ast_source	*next;
	struct ast_source	*hnext;		/* same hash bucket */
	size_t			*lines;		/* line starts, built when */
	size_t			 nlines;	/* first asked for */
};

/* A hash table of names (defs, sources), in the program's arena. */
struct ast_index {
	void			**buckets;
	size_t			 nbuckets;
	size_t			 count;
};

struct ast_program {
	struct arena		 arena;
	struct ast_stmt		*body;
	struct ast_def		*defs;
	struct ast_source	*sources;
	struct ast_index	 defindex;
	struct ast_index	 srcindex;
};

/* Adds d to the defs of prog (ast_def_find finds it). */
void	 ast_def_add(struct ast_program *, struct ast_def *d);
/* Returns the def named name, or NULL. */
struct ast_def *ast_def_find(struct ast_program *, const char *name);
/*
 * Returns a new source of prog: a copy of path and of the len bytes of
 * text, in the arena.
 */
struct ast_source *ast_source_add(struct ast_program *, const char *path,
	    const char *text, size_t len);
/*
 * Returns the text of line `line` of file (its length in *len), or NULL.
 * Takes constant time once the file's line index is built.
 */
const char *ast_source_line(struct ast_program *, const char *file,
	    int line, size_t *len);

#endif /* AST_H */
