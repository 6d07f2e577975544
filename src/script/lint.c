/* SPDX-License-Identifier: ISC */
/*
 * lint.c - finds mistakes a parser cannot: sessions never opened,
 * variables never used or never set, code and branches that can never
 * run, unknown targets and open options, $name in a regex.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "builtin.h"
#include "lint.h"
#include "parse.h"
#include "target.h"
#include "xmalloc.h"

/*
 * Variables the interpreter sets itself ($0..$9 and the other groups of
 * a match are digits), and those tether run sets.
 */
static const char *const lint_implicit[] = {
	"addr", "argv", "before", "status", "stderr", NULL,
};

/* A name at a place; a set keeps them in source order and hashed. */
struct name {
	const char	*name;
	size_t		 len;
	struct ast_loc	 loc;
	struct name	*next;		/* source order */
	struct name	*hnext;		/* same bucket, first occurrence */
};

struct names {
	struct name	*head;
	struct name	**tail;
	struct name	**buckets;	/* the first occurrence of each name */
	size_t		 nbuckets;
	size_t		 count;		/* distinct names */
};

struct lint {
	struct ast_program	*prog;
	FILE			*f;
	struct names		 sessions;	/* opened */
	struct names		 uses;		/* session uses */
	struct names		 vars;		/* assigned */
	struct names		 refs;		/* variables read */
	struct names		 guarded;	/* defined("NAME") asked */
	int			 dynamic;	/* a session opened by $name */
	int			 nerr;
	int			 nwarn;
};

static void
lint_report(struct lint *l, const struct ast_loc *loc, int error,
    const char *fmt, const char *arg)
{
	char	*msg, *full;

	msg = xasprintf(fmt, arg);
	full = xasprintf("%s: %s", error ? "error" : "warning", msg);
	free(msg);
	msg = parse_format_error(l->prog, loc, full);
	fprintf(l->f, "%s\n", msg);
	free(msg);
	free(full);
	if (error)
		l->nerr++;
	else
		l->nwarn++;
}

static size_t
names_hash(const char *s, size_t len)
{
	size_t	h = 2166136261u, i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static struct name *
names_findn(const struct names *set, const char *name, size_t len)
{
	struct name	*n;

	if (set->nbuckets == 0)
		return NULL;
	n = set->buckets[names_hash(name, len) & (set->nbuckets - 1)];
	for (; n != NULL; n = n->hnext) {
		if (n->len == len && memcmp(n->name, name, len) == 0)
			return n;
	}
	return NULL;
}

/* Returns the first occurrence of name in set, or NULL. */
static struct name *
names_find(const struct names *set, const char *name)
{
	return names_findn(set, name, strlen(name));
}

/* Doubles the buckets of set. */
static void
names_grow(struct names *set)
{
	struct name	**b, *n, *next;
	size_t		  nb, i, h;

	nb = set->nbuckets == 0 ? 64 : set->nbuckets * 2;
	b = xcalloc(nb, sizeof *b);
	for (i = 0; i < set->nbuckets; i++) {
		for (n = set->buckets[i]; n != NULL; n = next) {
			next = n->hnext;
			h = names_hash(n->name, n->len) & (nb - 1);
			n->hnext = b[h];
			b[h] = n;
		}
	}
	free(set->buckets);
	set->buckets = b;
	set->nbuckets = nb;
}

/* Adds len bytes at name at loc; returns nonzero when set had them. */
static int
names_addn(struct names *set, const char *name, size_t len,
    const struct ast_loc *loc)
{
	struct name	*n;
	size_t		 h;

	n = xcalloc(1, sizeof *n);
	n->name = name;
	n->len = len;
	if (loc != NULL)
		n->loc = *loc;
	if (set->tail == NULL)
		set->tail = &set->head;
	*set->tail = n;		/* keep source order for messages */
	set->tail = &n->next;
	if (names_findn(set, name, len) != NULL)
		return 1;
	if (set->count >= set->nbuckets)
		names_grow(set);
	h = names_hash(name, len) & (set->nbuckets - 1);
	n->hnext = set->buckets[h];
	set->buckets[h] = n;
	set->count++;
	return 0;
}

static void
name_add(struct names *set, const char *name, const struct ast_loc *loc)
{
	names_addn(set, name, strlen(name), loc);
}

static void
names_free(struct names *set)
{
	struct name	*n, *next;

	for (n = set->head; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
	free(set->buckets);
	memset(set, 0, sizeof *set);
}

/* Returns the constant text of a word, or NULL. */
static const char *
word_const(const struct ast_word *w)
{
	if (w == NULL)
		return NULL;
	if (w->bare != NULL)
		return w->bare;
	if (w->value->kind == EXPR_STRLIT)
		return w->value->s;
	return NULL;
}

/* Warns about $name in a regex literal: regexes do not interpolate. */
static void
lint_regex(struct lint *l, const struct ast_expr *e)
{
	char	name[64];
	size_t	i, j, bs = 0;
	int	class = 0;

	for (i = 0; i + 1 < e->len; i++) {
		if (e->s[i] == '\\') {
			bs++;
			continue;
		}
		/* In a class [...] '$' is itself. */
		if (bs % 2 == 0 && e->s[i] == '[')
			class = 1;
		else if (bs % 2 == 0 && e->s[i] == ']')
			class = 0;
		if (e->s[i] == '$' && bs % 2 == 0 && !class &&
		    (isalpha((unsigned char)e->s[i + 1]) ||
		    e->s[i + 1] == '_' || e->s[i + 1] == '{')) {
			for (j = 0; j < sizeof name - 1 && i + 1 + j < e->len &&
			    (isalnum((unsigned char)e->s[i + 1 + j]) ||
			    (e->s[i + 1 + j] != '\0' &&
			    strchr("_{}", e->s[i + 1 + j]) != NULL)); j++)
				name[j] = e->s[i + 1 + j];
			name[j] = '\0';
			lint_report(l, &e->loc, 0, "regexes do not "
			    "interpolate: '$%s' is the end of a line and text; "
			    "build the regex with re(\"...\")", name);
			return;
		}
		bs = 0;
	}
}

/* Warns about an open whose target or options no transport knows. */
static void
lint_open(struct lint *l, const struct ast_stmt *st)
{
	const struct target	*proto;
	const char *const	*o;
	const char		*uri;
	size_t			 i;

	if ((uri = word_const(st->words[0])) != NULL &&
	    target_find(uri, &proto, NULL) == NULL)
		lint_report(l, &st->words[0]->loc, 0, "unknown target "
		    "scheme (a target starts with %s)", target_usage());
	for (i = 1; i < st->nwords; i++) {
		if (st->words[i]->key == NULL)
			continue;
		for (o = target_options(); *o != NULL; o++) {
			if (strcmp(*o, st->words[i]->key) == 0)
				break;
		}
		if (*o == NULL)
			lint_report(l, &st->words[i]->loc, 0, "unknown open "
			    "option '%s'", st->words[i]->key);
	}
}

/* Returns nonzero when name is set without an assignment in the text. */
static int
lint_implicit_var(const char *name)
{
	size_t	i;

	if (isdigit((unsigned char)name[0]))
		return 1;
	for (i = 0; lint_implicit[i] != NULL; i++) {
		if (strcmp(lint_implicit[i], name) == 0)
			return 1;
	}
	return 0;
}

static void
lint_expr(struct lint *l, const struct ast_expr *e)
{
	size_t	i;

	if (e == NULL)
		return;
	if (e->kind == EXPR_VAR)
		name_add(&l->refs, e->s, &e->loc);
	if (e->kind == EXPR_CALL && strcmp(e->s, "defined") == 0 &&
	    e->nitems == 1 && e->items[0]->kind == EXPR_STRLIT) {
		name_add(&l->refs, e->items[0]->s, &e->loc);
		name_add(&l->guarded, e->items[0]->s, &e->loc);
	}
	if (e->kind == EXPR_REGEX)
		lint_regex(l, e);
	lint_expr(l, e->a);
	lint_expr(l, e->b);
	for (i = 0; i < e->nitems; i++) {
		lint_expr(l, e->items[i]);
		if (e->keys != NULL)
			lint_expr(l, e->keys[i]);
	}
}

static void
lint_word(struct lint *l, const struct ast_word *w)
{
	if (w != NULL)
		lint_expr(l, w->value);
}

static void
lint_use_session(struct lint *l, const struct ast_word *w)
{
	const char	*name;

	lint_word(l, w);
	if ((name = word_const(w)) != NULL)
		name_add(&l->uses, name, &w->loc);
}

static void	lint_block(struct lint *, const struct ast_stmt *);

/*
 * Returns a new key (its length in *len) that two branches share exactly
 * when they are the same branch (same kind, session and pattern), or NULL
 * when a branch is like no other (idle, a computed session or pattern).
 */
static char *
branch_key(const struct ast_branch *b, size_t *len)
{
	const char		*sess = word_const(b->sess);
	const struct ast_expr	*pat = NULL;
	size_t			 slen, plen = 0;
	int64_t			 flags = 0;
	char			*key;

	if (b->kind == BRANCH_IDLE || (b->sess != NULL && sess == NULL))
		return NULL;
	if (b->kind == BRANCH_PATTERN) {
		pat = b->pat->value;
		if (pat->kind != EXPR_REGEX && pat->kind != EXPR_STRLIT)
			return NULL;
		plen = pat->len;
		flags = pat->i;
	}
	slen = sess != NULL ? strlen(sess) + 1 : 0;
	*len = 3 + sizeof flags + slen + plen;
	key = xmalloc(*len);
	key[0] = (char)b->kind;
	key[1] = sess != NULL;
	key[2] = pat != NULL ? (char)pat->kind : 0;
	memcpy(key + 3, &flags, sizeof flags);
	if (slen > 0)
		memcpy(key + 3 + sizeof flags, sess, slen);
	if (plen > 0)
		memcpy(key + 3 + sizeof flags + slen, pat->s, plen);
	return key;
}

static void
lint_expect(struct lint *l, const struct ast_stmt *st)
{
	struct ast_branch	*b;
	struct names		 seen;
	struct name		*n;
	char			*key;
	size_t			 i, len;

	memset(&seen, 0, sizeof seen);
	if (st->sess != NULL)
		lint_use_session(l, st->sess);
	for (i = 0; i < st->nbranches; i++) {
		b = st->branches[i];
		if (b->sess != NULL)
			lint_use_session(l, b->sess);
		lint_word(l, b->pat);
		if ((key = branch_key(b, &len)) != NULL &&
		    names_addn(&seen, key, len, NULL) != 0)
			lint_report(l, &b->loc, 0, "unreachable branch: an "
			    "earlier branch of this expect is the same%s", "");
		lint_block(l, b->body);
	}
	for (n = seen.head; n != NULL; n = n->next)
		free((char *)n->name);
	names_free(&seen);
	lint_expr(l, st->e1);
}

static void
lint_builtin(struct lint *l, const struct ast_stmt *st)
{
	const struct builtin	*bi = st->bi;
	const char		*name;
	char			*full;
	size_t			 i, j;
	int			 pos = 0;

	for (i = 0; i < st->nwords; i++) {
		lint_word(l, st->words[i]);
		if (st->words[i]->key != NULL) {
			for (j = 0; bi->session_keys != NULL &&
			    bi->session_keys[j] != NULL; j++) {
				if (strcmp(bi->session_keys[j],
				    st->words[i]->key) == 0 &&
				    (name = word_const(st->words[i])) != NULL)
					name_add(&l->uses, name,
					    &st->words[i]->loc);
			}
			continue;
		}
		if (pos == 0 && bi->opens != NULL) {
			if ((name = word_const(st->words[i])) == NULL)
				l->dynamic = 1;
			else {
				for (j = 0; bi->opens[j] != NULL; j++) {
					full = xasprintf("%s%s", name,
					    bi->opens[j]);
					name_add(&l->sessions, arena_strndup(
					    &l->prog->arena, full,
					    strlen(full)), &st->loc);
					free(full);
				}
				/* `teardown NAME` of a launched VM. */
				name_add(&l->sessions, name, &st->loc);
			}
		}
		if (pos == bi->session_arg &&
		    (name = word_const(st->words[i])) != NULL)
			name_add(&l->uses, name, &st->words[i]->loc);
		pos++;
	}
	if (st->name != NULL)
		name_add(&l->vars, st->name, &st->loc);
}

static void
lint_stmt(struct lint *l, const struct ast_stmt *st)
{
	const char	*name;
	size_t		 i;

	switch (st->kind) {
	case STMT_OPEN:
		lint_word(l, st->sess);
		if ((name = word_const(st->sess)) != NULL)
			name_add(&l->sessions, name, &st->sess->loc);
		else
			l->dynamic = 1;
		for (i = 0; i < st->nwords; i++)
			lint_word(l, st->words[i]);
		lint_open(l, st);
		break;
	case STMT_CLOSE:
	case STMT_UNWATCH:
		lint_use_session(l, st->sess);
		break;
	case STMT_SEND:
		lint_use_session(l, st->sess);
		lint_expr(l, st->e1);
		lint_expr(l, st->e2);
		break;
	case STMT_EXPECT:
		lint_expect(l, st);
		break;
	case STMT_WATCH:
		lint_use_session(l, st->sess);
		lint_word(l, st->branches[0]->pat);
		lint_block(l, st->branches[0]->body);
		break;
	case STMT_SET:
		lint_expr(l, st->e1);
		if (strchr(st->name, '-') == NULL)
			name_add(&l->vars, st->name, &st->loc);
		break;
	case STMT_FOR:
		lint_expr(l, st->e1);
		name_add(&l->vars, st->name, &st->loc);
		lint_block(l, st->body);
		break;
	case STMT_BUILTIN:
		lint_builtin(l, st);
		break;
	default:
		lint_expr(l, st->e1);
		lint_expr(l, st->e2);
		lint_expr(l, st->e3);
		lint_block(l, st->body);
		if (st->alt != NULL)
			lint_stmt(l, st->alt);
		break;
	}
}

static void
lint_block(struct lint *l, const struct ast_stmt *st)
{
	for (; st != NULL; st = st->next) {
		lint_stmt(l, st);
		if ((st->kind == STMT_FAIL || st->kind == STMT_AGAIN ||
		    st->kind == STMT_RETURN || st->kind == STMT_BREAK ||
		    st->kind == STMT_CONTINUE) && st->next != NULL)
			lint_report(l, &st->next->loc, 0, "unreachable "
			    "statement after %s", st->kind == STMT_FAIL ?
			    "fail" : st->kind == STMT_AGAIN ? "again" :
			    st->kind == STMT_RETURN ? "return" :
			    st->kind == STMT_BREAK ? "break" : "continue");
	}
}

/* Returns nonzero when a and b are at most max edits apart. */
static int
lint_near(const char *a, const char *b, size_t max)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev, cur, up;
	size_t	row[64];

	if (la >= sizeof row || lb >= sizeof row ||
	    (la > lb ? la - lb : lb - la) > max)
		return 0;
	/* Two neighbours swapped ("hsot") count as one edit. */
	for (i = 0; la == lb && i < la && a[i] == b[i]; i++)
		;
	if (la == lb && i + 1 < la && a[i] == b[i + 1] &&
	    a[i + 1] == b[i] && strcmp(a + i + 2, b + i + 2) == 0)
		return 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			row[j] = cur;
			prev = up;
		}
	}
	return row[lb] <= max;
}

/*
 * Returns a variable set in the playbook (or by the interpreter) whose
 * name is a likely typo of name, or NULL.
 */
static const char *
lint_like(struct lint *l, const char *name)
{
	struct name	*n;
	size_t		 max = strlen(name) >= 5 ? 2 : 1, i;

	if (strlen(name) < 3)
		return NULL;
	for (n = l->vars.head; n != NULL; n = n->next) {
		if (lint_near(name, n->name, max))
			return n->name;
	}
	for (i = 0; lint_implicit[i] != NULL; i++) {
		if (lint_near(name, lint_implicit[i], max))
			return lint_implicit[i];
	}
	return NULL;
}

/* A warning with two names. */
static void
lint_report2(struct lint *l, const struct ast_loc *loc, const char *fmt,
    const char *a, const char *b)
{
	char	*msg;

	msg = xasprintf(fmt, a, b);
	lint_report(l, loc, 0, "%s", msg);
	free(msg);
}

int
lint_program(struct ast_program *prog, FILE *f, int *nwarn)
{
	struct lint	 l;
	struct ast_def	*d;
	struct name	*n;
	const char	*like;
	size_t		 i;

	memset(&l, 0, sizeof l);
	l.prog = prog;
	l.f = f;
	lint_block(&l, prog->body);
	for (d = prog->defs; d != NULL; d = d->next) {
		lint_block(&l, d->body);
		for (i = 0; i < d->nparams; i++)
			name_add(&l.vars, d->params[i], &d->loc);
	}
	if (!l.dynamic) {
		for (n = l.uses.head; n != NULL; n = n->next) {
			if (names_find(&l.sessions, n->name) == NULL)
				lint_report(&l, &n->loc, 1, "unknown session "
				    "'%s' (no open names it)", n->name);
		}
	}
	/* Each variable is reported once, at its first set. */
	for (n = l.vars.head; n != NULL; n = n->next) {
		if (n->name[0] != '_' && names_find(&l.refs, n->name) == NULL &&
		    names_find(&l.vars, n->name) == n)
			lint_report(&l, &n->loc, 0, "variable '%s' is set but "
			    "never used", n->name);
	}
	/*
	 * Each variable read but set nowhere, at its first read, when it
	 * looks like a typo of one that is set: others are inputs (--var,
	 * --var-file), which check cannot tell from a mistake.
	 */
	for (n = l.refs.head; n != NULL; n = n->next) {
		if (lint_implicit_var(n->name) ||
		    names_find(&l.vars, n->name) != NULL ||
		    names_find(&l.guarded, n->name) != NULL ||
		    names_find(&l.refs, n->name) != n)
			continue;
		if ((like = lint_like(&l, n->name)) != NULL)
			lint_report2(&l, &n->loc, "variable '%s' is read but "
			    "never set (did you mean '%s'?)", n->name, like);
	}
	names_free(&l.sessions);
	names_free(&l.guarded);
	names_free(&l.uses);
	names_free(&l.vars);
	names_free(&l.refs);
	*nwarn = l.nwarn;
	return l.nerr;
}
