/*
 * lint.c - finds mistakes a parser cannot: sessions never opened,
 * variables never used, code and branches that can never run.
 */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "builtin.h"
#include "lint.h"
#include "parse.h"
#include "xmalloc.h"

struct name {
	const char	*name;
	struct ast_loc	 loc;
	int		 used;
	struct name	*next;
};

struct lint {
	struct ast_program	*prog;
	FILE			*f;
	struct name		*sessions;	/* opened */
	struct name		*uses;		/* session uses */
	struct name		*vars;		/* assigned */
	struct name		*refs;		/* variables read */
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

static void
name_add(struct name **list, const char *name, const struct ast_loc *loc)
{
	struct name	*n;

	n = xcalloc(1, sizeof *n);
	n->name = name;
	n->loc = *loc;
	while (*list != NULL)		/* keep source order for messages */
		list = &(*list)->next;
	*list = n;
}

static struct name *
name_find(struct name *list, const char *name)
{
	for (; list != NULL; list = list->next) {
		if (strcmp(list->name, name) == 0)
			return list;
	}
	return NULL;
}

static void
name_free(struct name *n)
{
	struct name	*next;

	for (; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
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

static void
lint_expr(struct lint *l, const struct ast_expr *e)
{
	size_t	i;

	if (e == NULL)
		return;
	if (e->kind == EXPR_VAR)
		name_add(&l->refs, e->s, &e->loc);
	if (e->kind == EXPR_CALL && strcmp(e->s, "defined") == 0 &&
	    e->nitems == 1 && e->items[0]->kind == EXPR_STRLIT)
		name_add(&l->refs, e->items[0]->s, &e->loc);
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

static int
same_pattern(const struct ast_branch *a, const struct ast_branch *b)
{
	const char	*sa = word_const(a->sess), *sb = word_const(b->sess);
	const struct ast_expr *pa, *pb;

	if (a->kind != b->kind)
		return 0;
	if ((a->sess == NULL) != (b->sess == NULL))
		return 0;
	if (a->sess != NULL && (sa == NULL || sb == NULL || strcmp(sa, sb)))
		return 0;
	if (a->kind == BRANCH_TIMEOUT || a->kind == BRANCH_EOF)
		return 1;
	if (a->kind == BRANCH_IDLE)
		return 0;
	pa = a->pat->value;
	pb = b->pat->value;
	if (pa->kind != pb->kind || (pa->kind != EXPR_REGEX &&
	    pa->kind != EXPR_STRLIT))
		return 0;
	return pa->len == pb->len && memcmp(pa->s, pb->s, pa->len) == 0 &&
	    pa->i == pb->i;
}

static void
lint_expect(struct lint *l, const struct ast_stmt *st)
{
	struct ast_branch	*b;
	size_t			 i, j;

	if (st->sess != NULL)
		lint_use_session(l, st->sess);
	for (i = 0; i < st->nbranches; i++) {
		b = st->branches[i];
		if (b->sess != NULL)
			lint_use_session(l, b->sess);
		lint_word(l, b->pat);
		for (j = 0; j < i; j++) {
			if (same_pattern(st->branches[j], b)) {
				lint_report(l, &b->loc, 0, "unreachable "
				    "branch: an earlier branch of this expect "
				    "is the same%s", "");
				break;
			}
		}
		lint_block(l, b->body);
	}
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
		    st->kind == STMT_RETURN) && st->next != NULL)
			lint_report(l, &st->next->loc, 0, "unreachable "
			    "statement after %s", st->kind == STMT_FAIL ?
			    "fail" : st->kind == STMT_AGAIN ? "again" :
			    "return");
	}
}

int
lint_program(struct ast_program *prog, FILE *f, int *nwarn)
{
	struct lint	 l;
	struct ast_def	*d;
	struct name	*n;
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
		for (n = l.uses; n != NULL; n = n->next) {
			if (name_find(l.sessions, n->name) == NULL)
				lint_report(&l, &n->loc, 1, "unknown session "
				    "'%s' (no open names it)", n->name);
		}
	}
	for (n = l.vars; n != NULL; n = n->next) {
		if (n->name[0] != '_' && name_find(l.refs, n->name) == NULL &&
		    !n->used) {
			struct name *o;

			/* Report each variable once, at its first set. */
			for (o = n->next; o != NULL; o = o->next) {
				if (strcmp(o->name, n->name) == 0)
					o->used = 1;
			}
			lint_report(&l, &n->loc, 0, "variable '%s' is set but "
			    "never used", n->name);
		}
	}
	name_free(l.sessions);
	name_free(l.uses);
	name_free(l.vars);
	name_free(l.refs);
	*nwarn = l.nwarn;
	return l.nerr;
}
