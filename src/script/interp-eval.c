/* SPDX-License-Identifier: ISC */
/*
 * interp-eval.c - evaluates expressions: operators, matches, indexes,
 * calls of defs and of the built-in functions (func.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ast.h"
#include "func.h"
#include "interp-int.h"
#include "interp.h"
#include "tether.h"
#include "value.h"
#include "xmalloc.h"

static struct value *
eval_fail(struct interp *ip, const struct ast_expr *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct value *
eval_fail(struct interp *ip, const struct ast_expr *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	interp_fail(ip, &e->loc, TETHER_EFAIL, "%s", msg != NULL ? msg :
	    "error");
	free(msg);
	return NULL;
}

/* Sets $0..$9, named groups and $before from a PCRE2 match. */
static void
set_match_vars_pcre(struct interp *ip, pcre2_code *code,
    pcre2_match_data *md, const char *subj)
{
	PCRE2_SIZE	*ov = pcre2_get_ovector_pointer(md);
	uint32_t	 n = pcre2_get_ovector_count(md), count, size, i;
	PCRE2_SPTR	 table;
	char		 name[3];
	int		 g;

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "%u", i);
		if (i < n && ov[2 * i] != PCRE2_UNSET)
			interp_assign(ip, name, value_str(subj + ov[2 * i],
			    ov[2 * i + 1] - ov[2 * i]));
		else
			interp_assign(ip, name, value_strz(""));
	}
	interp_assign(ip, "before", value_str(subj, ov[0]));
	if (pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
	    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &size) != 0 ||
	    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table) != 0)
		return;
	for (i = 0; i < count; i++, table += size) {
		g = (table[0] << 8) | table[1];
		if ((uint32_t)g < n && ov[2 * g] != PCRE2_UNSET)
			interp_assign(ip, (const char *)table + 2,
			    value_str(subj + ov[2 * g],
			    ov[2 * g + 1] - ov[2 * g]));
		else
			interp_assign(ip, (const char *)table + 2,
			    value_strz(""));
	}
}

static struct value *
eval_match(struct interp *ip, const struct ast_expr *e, struct value *a,
    struct value *b)
{
	pcre2_code		*code;
	pcre2_match_data	*md;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 off;
	char			*subj, *src;
	size_t			 len, srclen;
	int			 errcode, rc, flags = 0;

	if (b->type == VAL_REGEX) {
		src = xstrndup(b->s, b->len);
		srclen = b->len;
		flags = b->flags;
	} else
		src = value_to_string(b, &srclen);
	code = pcre2_compile((PCRE2_SPTR)src, srclen,
	    value_regex_options(flags), &errcode, &off, NULL);
	free(src);
	if (code == NULL) {
		pcre2_get_error_message(errcode, msg, sizeof msg);
		return eval_fail(ip, e, "bad regex: %s", msg);
	}
	subj = value_to_string(a, &len);
	md = pcre2_match_data_create_from_pattern(code, NULL);
	rc = pcre2_match(code, (PCRE2_SPTR)subj, len, 0, 0, md, NULL);
	if (rc >= 0)
		set_match_vars_pcre(ip, code, md, subj);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	free(subj);
	return value_bool(rc >= 0);
}

static struct value *
eval_arith(struct interp *ip, const struct ast_expr *e, struct value *a,
    struct value *b)
{
	int64_t	 x, y, r = 0;
	int	 dur = 0;
	char	*s1, *s2;
	size_t	 l1, l2, i;
	struct value *l;

	if (value_as_int(a, &x) == 0 && value_as_int(b, &y) == 0 &&
	    a->type != VAL_BOOL && b->type != VAL_BOOL)
		;
	else if ((a->type == VAL_DUR || b->type == VAL_DUR) &&
	    (e->op == OP_MUL || e->op == OP_DIV) &&
	    (a->type == VAL_DUR) != (b->type == VAL_DUR)) {
		/* duration * n, duration / n */
		if (a->type == VAL_DUR) {
			x = a->i;
			if (value_as_int(b, &y) != 0)
				goto bad;
		} else {
			if (e->op == OP_DIV || value_as_int(a, &x) != 0)
				goto bad;
			y = b->i;
		}
		dur = 1;
	} else if ((a->type == VAL_DUR || b->type == VAL_DUR) &&
	    value_as_duration(a, &x) == 0 && value_as_duration(b, &y) == 0)
		dur = e->op != OP_DIV;
	else if (e->op == OP_ADD && a->type == VAL_LIST &&
	    b->type == VAL_LIST) {
		l = value_list();
		for (i = 0; i < a->n; i++)
			value_list_push(l, value_ref(a->items[i]));
		for (i = 0; i < b->n; i++)
			value_list_push(l, value_ref(b->items[i]));
		return l;
	} else if (e->op == OP_ADD && a->type != VAL_LIST &&
	    a->type != VAL_MAP && b->type != VAL_LIST && b->type != VAL_MAP) {
		s1 = value_to_string(a, &l1);
		s2 = value_to_string(b, &l2);
		s1 = xreallocarray(s1, l1 + l2 + 1, 1);
		memcpy(s1 + l1, s2, l2 + 1);
		free(s2);
		return value_str_own(s1, l1 + l2);
	} else
		goto bad;
	switch (e->op) {
	case OP_ADD:
		r = x + y;
		break;
	case OP_SUB:
		r = x - y;
		break;
	case OP_MUL:
		r = x * y;
		break;
	case OP_DIV:
	case OP_MOD:
		if (y == 0)
			return eval_fail(ip, e, "division by zero");
		r = e->op == OP_DIV ? x / y : x % y;
		break;
	}
	return dur ? value_dur(r) : value_int(r);
bad:
	return eval_fail(ip, e, "cannot apply an arithmetic operator to %s "
	    "and %s", value_type_name(a), value_type_name(b));
}

static struct value *
eval_binary(struct interp *ip, const struct ast_expr *e)
{
	struct value	*a = NULL, *b = NULL, *r = NULL;
	int		 cmp;

	if ((a = interp_eval(ip, e->a)) == NULL)
		return NULL;
	if ((b = interp_eval(ip, e->b)) == NULL)
		goto out;
	switch (e->op) {
	case OP_EQ:
		r = value_bool(value_equal(a, b));
		break;
	case OP_NE:
		r = value_bool(!value_equal(a, b));
		break;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		if (value_compare(a, b, &cmp) != 0) {
			eval_fail(ip, e, "cannot compare %s with %s",
			    value_type_name(a), value_type_name(b));
			goto out;
		}
		r = value_bool(e->op == OP_LT ? cmp < 0 : e->op == OP_LE ?
		    cmp <= 0 : e->op == OP_GT ? cmp > 0 : cmp >= 0);
		break;
	default:
		r = eval_arith(ip, e, a, b);
		break;
	}
out:
	value_unref(a);
	value_unref(b);
	return r;
}

static struct value *
eval_index(struct interp *ip, const struct ast_expr *e)
{
	struct value	*a, *b = NULL, *r = NULL, *found;
	int64_t		 i;
	char		*key;

	if ((a = interp_eval(ip, e->a)) == NULL)
		return NULL;
	if (e->kind == EXPR_FIELD) {
		if (a->type != VAL_MAP)
			eval_fail(ip, e, "cannot take field '%s' of %s", e->s,
			    value_type_name(a));
		else if ((found = value_map_get(a, e->s)) == NULL)
			eval_fail(ip, e, "no field '%s' in the map", e->s);
		else
			r = value_ref(found);
		value_unref(a);
		return r;
	}
	if ((b = interp_eval(ip, e->b)) == NULL)
		goto out;
	if (a->type == VAL_MAP) {
		key = value_to_string(b, NULL);
		if ((found = value_map_get(a, key)) == NULL)
			eval_fail(ip, e, "no key '%s' in the map", key);
		else
			r = value_ref(found);
		free(key);
	} else if (a->type == VAL_LIST || a->type == VAL_STR) {
		if (value_as_int(b, &i) != 0) {
			eval_fail(ip, e, "index must be an integer, not %s",
			    value_type_name(b));
			goto out;
		}
		if (i < 0)
			i += a->type == VAL_LIST ? (int64_t)a->n :
			    (int64_t)a->len;
		if (i < 0 || (a->type == VAL_LIST && (size_t)i >= a->n) ||
		    (a->type == VAL_STR && (size_t)i >= a->len))
			eval_fail(ip, e, "index %lld out of range (length %zu)",
			    (long long)i, a->type == VAL_LIST ? a->n : a->len);
		else if (a->type == VAL_LIST)
			r = value_ref(a->items[i]);
		else
			r = value_str(a->s + i, 1);
	} else
		eval_fail(ip, e, "cannot index %s", value_type_name(a));
out:
	value_unref(a);
	value_unref(b);
	return r;
}

static struct value *
call_def(struct interp *ip, const struct ast_expr *e, struct value **args)
{
	struct ast_def	*d = e->def;
	struct scope	 sc, *saved;
	struct value	*r;
	size_t		 i;
	int		 flow;

	if (ip->depth >= INTERP_MAX_DEPTH)
		return eval_fail(ip, e, "calls nested too deeply");
	memset(&sc, 0, sizeof sc);
	sc.up = &ip->global;
	for (i = 0; i < d->nparams; i++) {
		struct var *v = xcalloc(1, sizeof *v);

		v->name = xstrdup(d->params[i]);
		v->v = value_ref(args[i]);
		v->next = sc.vars;
		sc.vars = v;
	}
	saved = ip->scope;
	ip->scope = &sc;
	ip->depth++;
	flow = interp_exec_block(ip, d->body);
	ip->depth--;
	ip->scope = saved;
	interp_scope_clear(&sc);
	if (flow == FLOW_FAIL) {
		value_unref(ip->retval);
		ip->retval = NULL;
		return NULL;
	}
	r = ip->retval != NULL ? ip->retval : value_null();
	ip->retval = NULL;
	return r;
}


static struct value *
eval_call(struct interp *ip, const struct ast_expr *e)
{
	const struct func	*f = NULL;
	struct func_call	 c;
	struct value		**args, *r = NULL;
	size_t			 i;

	if (e->def == NULL && (f = func_find(e->s)) == NULL)
		return eval_fail(ip, e, "unknown function %s()", e->s);
	args = xcalloc(e->nitems + 1, sizeof *args);
	for (i = 0; i < e->nitems; i++) {
		if ((args[i] = interp_eval(ip, e->items[i])) == NULL)
			goto out;
	}
	if (e->def != NULL) {
		r = call_def(ip, e, args);
		goto out;
	}
	memset(&c, 0, sizeof c);
	c.ip = ip;
	c.e = e;
	c.args = args;
	c.nargs = e->nitems;
	r = func_call(f, &c);
out:
	for (i = 0; i < e->nitems; i++)
		value_unref(args[i]);
	free(args);
	return r;
}

struct value *
interp_eval(struct interp *ip, const struct ast_expr *e)
{
	struct value	*a, *b, *r;
	char		*s, *key;
	size_t		 len, i, total;
	int64_t		 ms;
	struct {
		char	*s;
		size_t	 len;
	}		*parts;

	switch (e->kind) {
	case EXPR_NULL:
		return value_null();
	case EXPR_BOOL:
		return value_bool(e->i);
	case EXPR_INT:
		return value_int(e->i);
	case EXPR_DUR:
		return value_dur(e->i);
	case EXPR_STRLIT:
		return value_str(e->s, e->len);
	case EXPR_REGEX:
		return value_regex(e->s, e->len, e->i);
	case EXPR_STR:
		parts = xcalloc(e->nitems, sizeof *parts);
		total = 0;
		r = NULL;
		for (i = 0; i < e->nitems; i++) {
			if ((a = interp_eval(ip, e->items[i])) == NULL)
				break;
			parts[i].s = value_to_string(a, &parts[i].len);
			total += parts[i].len;
			value_unref(a);
		}
		if (i == e->nitems) {
			s = xmalloc(total + 1);
			for (total = 0, i = 0; i < e->nitems; i++) {
				memcpy(s + total, parts[i].s, parts[i].len);
				total += parts[i].len;
			}
			s[total] = '\0';
			r = value_str_own(s, total);
		}
		for (i = 0; i < e->nitems; i++)
			free(parts[i].s);
		free(parts);
		return r;
	case EXPR_VAR:
		if ((r = interp_getvar(ip, e->s)) == NULL)
			return eval_fail(ip, e, "undefined variable $%s",
			    e->s);
		return value_ref(r);
	case EXPR_FIELD:
	case EXPR_INDEX:
		return eval_index(ip, e);
	case EXPR_LEN:
		if ((a = interp_eval(ip, e->a)) == NULL)
			return NULL;
		r = NULL;
		if (a->type == VAL_LIST || a->type == VAL_MAP)
			r = value_int(a->n);
		else if (a->type == VAL_STR)
			r = value_int(a->len);
		else
			eval_fail(ip, e, "# of %s", value_type_name(a));
		value_unref(a);
		return r;
	case EXPR_NEG:
		if ((a = interp_eval(ip, e->a)) == NULL)
			return NULL;
		r = NULL;
		if (a->type == VAL_DUR)
			r = value_dur(-a->i);
		else if (a->type != VAL_BOOL && value_as_int(a, &ms) == 0)
			r = value_int(-ms);
		else
			eval_fail(ip, e, "cannot negate %s",
			    value_type_name(a));
		value_unref(a);
		return r;
	case EXPR_NOT:
		if ((a = interp_eval(ip, e->a)) == NULL)
			return NULL;
		r = value_bool(!value_truthy(a));
		value_unref(a);
		return r;
	case EXPR_AND:
	case EXPR_OR:
		if ((a = interp_eval(ip, e->a)) == NULL)
			return NULL;
		i = value_truthy(a);
		value_unref(a);
		if ((e->kind == EXPR_AND && !i) || (e->kind == EXPR_OR && i))
			return value_bool(i);
		if ((b = interp_eval(ip, e->b)) == NULL)
			return NULL;
		r = value_bool(value_truthy(b));
		value_unref(b);
		return r;
	case EXPR_BIN:
		return eval_binary(ip, e);
	case EXPR_MATCH:
		if ((a = interp_eval(ip, e->a)) == NULL)
			return NULL;
		if ((b = interp_eval(ip, e->b)) == NULL) {
			value_unref(a);
			return NULL;
		}
		r = eval_match(ip, e, a, b);
		value_unref(a);
		value_unref(b);
		return r;
	case EXPR_CALL:
		return eval_call(ip, e);
	case EXPR_LIST:
		r = value_list();
		for (i = 0; i < e->nitems; i++) {
			if ((a = interp_eval(ip, e->items[i])) == NULL) {
				value_unref(r);
				return NULL;
			}
			if (value_list_push(r, a) != 0) {
				value_unref(r);
				return eval_fail(ip, e, "%s", VALUE_DEPTH_MSG);
			}
		}
		return r;
	case EXPR_MAP:
		r = value_map();
		for (i = 0; i < e->nitems; i++) {
			if ((b = interp_eval(ip, e->keys[i])) == NULL) {
				value_unref(r);
				return NULL;
			}
			key = value_to_string(b, &len);
			value_unref(b);
			if ((a = interp_eval(ip, e->items[i])) == NULL) {
				free(key);
				value_unref(r);
				return NULL;
			}
			if (value_map_set(r, key, a) != 0) {
				free(key);
				value_unref(r);
				return eval_fail(ip, e, "%s", VALUE_DEPTH_MSG);
			}
			free(key);
		}
		return r;
	}
	return eval_fail(ip, e, "bad expression");
}

char *
interp_eval_string(struct interp *ip, const struct ast_expr *e, size_t *len)
{
	struct value	*v;
	char		*s;

	if ((v = interp_eval(ip, e)) == NULL)
		return NULL;
	s = value_to_string(v, len);
	value_unref(v);
	return s;
}

int
interp_eval_duration(struct interp *ip, const struct ast_expr *e, int64_t *ms)
{
	struct value	*v;
	char		*s;
	int		 r;

	if ((v = interp_eval(ip, e)) == NULL)
		return -1;
	r = value_as_duration(v, ms);
	if (r != 0 || *ms < 0) {
		s = value_repr(v);
		interp_fail(ip, &e->loc, TETHER_EFAIL,
		    "%s is not a duration (like 250ms, 30s, 2m)", s);
		free(s);
		r = -1;
	}
	value_unref(v);
	return r;
}

struct tether_session *
interp_word_session(struct interp *ip, const struct ast_word *w)
{
	struct tether_session	*s;
	char			*name;

	if ((name = interp_eval_string(ip, w->value, NULL)) == NULL)
		return NULL;
	s = interp_session(ip, &w->loc, name);
	free(name);
	return s;
}
