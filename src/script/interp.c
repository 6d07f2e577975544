/* SPDX-License-Identifier: ISC */
/*
 * interp.c - runs a playbook: evaluates expressions, executes statements,
 * drives sessions and expect sets, and keeps the first failure.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ast.h"
#include "builtin.h"
#include "interp.h"
#include "report.h"
#include "tether.h"
#include "value.h"
#include "xmalloc.h"

#define INTERP_DEFAULT_TIMEOUT	10000
#define INTERP_MAX_DEPTH	100
#define INTERP_TAIL_LINES	8
#define INTERP_TICK_MS		200	/* live status line refresh */
#define WATCH_ID_BASE		100000

static int	exec_block(struct interp *, const struct ast_stmt *);

static void	interp_opened(struct tether_session *, void *);

/* Returns nonzero for the option words that carry a secret. */
static int
secret_key(const char *key)
{
	return key != NULL && (strcmp(key, "password") == 0 ||
	    strcmp(key, "passphrase") == 0);
}

/*
 * Notes what a secret expression is made of: a variable (secret from its
 * first assignment on), a literal, or env("NAME") (secret at once).
 */
static void
secret_expr(struct interp *ip, const struct ast_expr *e)
{
	const char	*v;

	if (e == NULL)
		return;
	switch (e->kind) {
	case EXPR_VAR:
		ip->secret_vars = xreallocarray(ip->secret_vars,
		    ip->nsecret_vars + 1, sizeof *ip->secret_vars);
		ip->secret_vars[ip->nsecret_vars++] = e->s;
		break;
	case EXPR_STRLIT:
		if (memchr(e->s, '\0', e->len) == NULL)
			tether_loop_add_secret(ip->loop, e->s);
		break;
	case EXPR_STR:
		if (e->nitems == 1)
			secret_expr(ip, e->items[0]);
		break;
	case EXPR_CALL:
		if (strcmp(e->s, "env") == 0 && e->nitems == 1 &&
		    e->items[0]->kind == EXPR_STRLIT &&
		    (v = getenv(e->items[0]->s)) != NULL)
			tether_loop_add_secret(ip->loop, v);
		break;
	default:
		break;
	}
}

/*
 * Finds every place a secret goes (send -secret, password=,
 * passphrase=), so that it is redacted before it is first used: from
 * --var, a step name or a log line printed earlier.
 */
static void
secret_scan(struct interp *ip, const struct ast_stmt *st)
{
	size_t	i;

	for (; st != NULL; st = st->next) {
		if (st->kind == STMT_SEND && (st->flags & SEND_SECRET))
			secret_expr(ip, st->e1);
		for (i = 0; i < st->nwords; i++) {
			if (secret_key(st->words[i]->key))
				secret_expr(ip, st->words[i]->value);
		}
		for (i = 0; i < st->nbranches; i++)
			secret_scan(ip, st->branches[i]->body);
		secret_scan(ip, st->body);
		secret_scan(ip, st->alt);
	}
}

/* Registers val when name holds a secret. */
static void
secret_assigned(struct interp *ip, const char *name, struct value *val)
{
	size_t	i;

	if (val == NULL || val->type != VAL_STR)
		return;
	for (i = 0; i < ip->nsecret_vars; i++) {
		if (strcmp(ip->secret_vars[i], name) == 0) {
			tether_loop_add_secret(ip->loop, val->s);
			return;
		}
	}
}

struct interp *
interp_new(struct ast_program *prog, struct tether_loop *loop,
    struct report *rep)
{
	struct interp	*ip;

	ip = xcalloc(1, sizeof *ip);
	ip->prog = prog;
	ip->loop = loop;
	ip->rep = rep;
	ip->scope = &ip->global;
	ip->timeout = INTERP_DEFAULT_TIMEOUT;
	ip->raw_match = -1;
	ip->match_max = -1;
	tether_loop_set_on_open(loop, interp_opened, ip);
	if (prog != NULL) {
		const struct ast_def	*d;

		secret_scan(ip, prog->body);
		for (d = prog->defs; d != NULL; d = d->next)
			secret_scan(ip, d->body);
	}
	return ip;
}

static void
scope_clear(struct scope *sc)
{
	struct var	*v, *next;

	for (v = sc->vars; v != NULL; v = next) {
		next = v->next;
		free(v->name);
		value_unref(v->v);
		free(v);
	}
	sc->vars = NULL;
}

void
interp_clear_fail(struct interp *ip)
{
	free(ip->fail.msg);
	free(ip->fail.tail);
	memset(&ip->fail, 0, sizeof ip->fail);
}

void
interp_free(struct interp *ip)
{
	struct watch	*w, *wn;
	struct finally	*f, *fn;

	if (ip == NULL)
		return;
	tether_loop_set_on_open(ip->loop, NULL, NULL);
	scope_clear(&ip->global);
	for (w = ip->watches; w != NULL; w = wn) {
		wn = w->next;
		free(w->session);
		value_unref(w->pat);
		free(w);
	}
	for (f = ip->finally; f != NULL; f = fn) {
		fn = f->next;
		free(f);
	}
	interp_clear_fail(ip);
	value_unref(ip->retval);
	free(ip->secret_vars);
	free(ip->step);
	free(ip);
}

static struct var *
scope_find(struct scope *sc, const char *name)
{
	struct var	*v;

	for (v = sc->vars; v != NULL; v = v->next) {
		if (strcmp(v->name, name) == 0)
			return v;
	}
	return NULL;
}

struct value *
interp_getvar(struct interp *ip, const char *name)
{
	struct var	*v;

	if ((v = scope_find(ip->scope, name)) != NULL)
		return v->v;
	if (ip->scope != &ip->global &&
	    (v = scope_find(&ip->global, name)) != NULL)
		return v->v;
	return NULL;
}

/* Sets name where it exists (local, then global), else in the scope. */
static void
interp_assign(struct interp *ip, const char *name, struct value *val)
{
	struct var	*v;

	secret_assigned(ip, name, val);
	if ((v = scope_find(ip->scope, name)) == NULL &&
	    (v = scope_find(&ip->global, name)) == NULL) {
		v = xcalloc(1, sizeof *v);
		v->name = xstrdup(name);
		v->next = ip->scope->vars;
		ip->scope->vars = v;
	}
	value_unref(v->v);
	v->v = val;
}

void
interp_setvar(struct interp *ip, const char *name, struct value *val)
{
	interp_assign(ip, name, val);
}

void
interp_add_secret(struct interp *ip, const char *s)
{
	tether_loop_add_secret(ip->loop, s);
}

int
interp_fail(struct interp *ip, const struct ast_loc *loc, int code,
    const char *fmt, ...)
{
	va_list		 ap;
	char		*msg;
	const char	*m;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	interp_clear_fail(ip);
	ip->fail.code = code != 0 ? code : TETHER_EFAIL;
	/* Secrets are redacted by the reporter, which writes it out. */
	m = msg != NULL ? msg : "failed";
	if (loc != NULL)
		ip->fail.msg = xasprintf("%s:%d:%d: %s", loc->file, loc->line,
		    loc->col, m);
	else
		ip->fail.msg = xstrdup(m);
	free(msg);
	return FLOW_FAIL;
}

void
interp_fail_tail(struct interp *ip, struct tether_session *s)
{
	char	*tail, *full;

	if (s == NULL || (tail = tether_session_tail(s, INTERP_TAIL_LINES)) ==
	    NULL)
		return;
	full = xasprintf("%slast lines received on %s:\n%s",
	    ip->fail.tail != NULL ? ip->fail.tail : "",
	    tether_session_name(s), *tail != '\0' ? tail : "(nothing)\n");
	free(tail);
	free(ip->fail.tail);
	ip->fail.tail = full;
}

struct tether_session *
interp_session(struct interp *ip, const struct ast_loc *loc,
    const char *name)
{
	struct tether_session	*s;

	if ((s = tether_loop_session(ip->loop, name)) == NULL)
		interp_fail(ip, loc, TETHER_EFAIL,
		    "no session named '%s' (open it first)", name);
	return s;
}

int
interp_sleep_until(struct interp *ip, int64_t deadline)
{
	int	r;

	while (tether_now_ms() < deadline) {
		r = tether_loop_once(ip->loop, deadline);
		if (r == TETHER_EINTR)
			return r;
	}
	return 0;
}

/*
 * Expressions.
 */

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
split_lines(const char *s, size_t len)
{
	struct value	*l = value_list();
	const char	*end = s + len, *nl;
	size_t		 n;

	while (s < end) {
		nl = memchr(s, '\n', end - s);
		n = (nl != NULL ? nl : end) - s;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		value_list_push(l, value_str(s, n));
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return l;
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
	flow = exec_block(ip, d->body);
	ip->depth--;
	ip->scope = saved;
	scope_clear(&sc);
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
	struct value	**args, *r = NULL, *a, *l;
	json_t		*j;
	json_error_t	 jerr;
	const char	*name = e->s, *env;
	char		*s, *t;
	size_t		 i, len;
	int64_t		 n;

	args = xcalloc(e->nitems + 1, sizeof *args);
	for (i = 0; i < e->nitems; i++) {
		if ((args[i] = interp_eval(ip, e->items[i])) == NULL)
			goto out;
	}
	if (e->def != NULL) {
		r = call_def(ip, e, args);
		goto out;
	}
	if (e->nitems != 1) {
		eval_fail(ip, e, "%s() takes one argument", name);
		goto out;
	}
	a = args[0];
	if (strcmp(name, "env") == 0) {
		s = value_to_string(a, NULL);
		env = getenv(s);
		free(s);
		r = env != NULL ? value_strz(env) : value_null();
	} else if (strcmp(name, "json") == 0) {
		if (a->type == VAL_STR) {
			j = json_loadb(a->s, a->len, JSON_DECODE_ANY |
			    JSON_ALLOW_NUL, &jerr);
			if (j == NULL && json_error_code(&jerr) ==
			    json_error_stack_overflow)
				eval_fail(ip, e, "json(): %s", VALUE_DEPTH_MSG);
			else if (j == NULL)
				eval_fail(ip, e, "json(): %s at line %d "
				    "column %d", jerr.text, jerr.line,
				    jerr.column);
			else if ((r = value_from_json(j)) == NULL)
				eval_fail(ip, e, "json(): %s", VALUE_DEPTH_MSG);
			json_decref(j);
		} else {
			s = value_json_text(a, &len);
			r = value_str_own(s, len);
		}
	} else if (strcmp(name, "range") == 0) {
		if (value_as_int(a, &n) != 0 || n < 0 || n > 1000000)
			eval_fail(ip, e, "range() needs an integer 0..1000000");
		else {
			l = value_list();
			for (i = 0; i < (size_t)n; i++)
				value_list_push(l, value_int(i));
			r = l;
		}
	} else if (strcmp(name, "len") == 0) {
		if (a->type == VAL_STR)
			r = value_int(a->len);
		else if (a->type == VAL_LIST || a->type == VAL_MAP)
			r = value_int(a->n);
		else
			eval_fail(ip, e, "len() of %s", value_type_name(a));
	} else if (strcmp(name, "str") == 0) {
		s = value_to_string(a, &len);
		r = value_str_own(s, len);
	} else if (strcmp(name, "int") == 0) {
		if (value_as_int(a, &n) == 0)
			r = value_int(n);
		else if (a->type == VAL_DUR)
			r = value_int(a->i);
		else
			eval_fail(ip, e, "int() of a %s that holds no "
			    "integer", value_type_name(a));
	} else if (strcmp(name, "re") == 0) {
		s = value_to_string(a, &len);
		r = value_regex(s, len, 0);
		free(s);
	} else if (strcmp(name, "keys") == 0) {
		if (a->type != VAL_MAP)
			eval_fail(ip, e, "keys() of %s", value_type_name(a));
		else {
			l = value_list();
			for (i = 0; i < a->n; i++)
				value_list_push(l, value_strz(a->keys[i]));
			r = l;
		}
	} else if (strcmp(name, "lines") == 0) {
		s = value_to_string(a, &len);
		r = split_lines(s, len);
		free(s);
	} else if (strcmp(name, "trim") == 0) {
		s = value_to_string(a, &len);
		for (t = s; *t == ' ' || *t == '\t' || *t == '\r' ||
		    *t == '\n'; t++)
			;
		len -= t - s;
		while (len > 0 && memchr(" \t\r\n", t[len - 1], 4) != NULL)
			len--;
		r = value_str(t, len);
		free(s);
	} else if (strcmp(name, "hex") == 0) {
		if (value_as_int(a, &n) != 0)
			eval_fail(ip, e, "hex() of a %s that holds no "
			    "integer", value_type_name(a));
		else {
			s = xasprintf("%llx", (unsigned long long)n);
			r = value_strz(s);
			free(s);
		}
	} else if (strcmp(name, "defined") == 0) {
		s = value_to_string(a, NULL);
		r = value_bool(interp_getvar(ip, s) != NULL);
		free(s);
	} else
		eval_fail(ip, e, "unknown function %s()", name);
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

/* Evaluates e to a new string; NULL on failure. */
static char *
eval_string(struct interp *ip, const struct ast_expr *e, size_t *len)
{
	struct value	*v;
	char		*s;

	if ((v = interp_eval(ip, e)) == NULL)
		return NULL;
	s = value_to_string(v, len);
	value_unref(v);
	return s;
}

/* Evaluates e to a duration; -1 on failure. */
static int
eval_duration(struct interp *ip, const struct ast_expr *e, int64_t *ms)
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

static struct tether_session *
word_session(struct interp *ip, const struct ast_word *w)
{
	struct tether_session	*s;
	char			*name;

	if ((name = eval_string(ip, w->value, NULL)) == NULL)
		return NULL;
	s = interp_session(ip, &w->loc, name);
	free(name);
	return s;
}

/*
 * Statements.
 */

static void
apply_settings(struct interp *ip, struct tether_session *s)
{
	if (ip->raw_match != -1)
		tether_session_set_raw_match(s, ip->raw_match);
	if (ip->match_max != -1)
		tether_session_set_match_max(s, (size_t)ip->match_max);
}

static void
apply_settings_cb(struct tether_session *s, void *arg)
{
	apply_settings(arg, s);
}

/*
 * Every session opened on the loop, by open or by a verb such as launch,
 * gets the playbook's secrets and settings and its --log-dir transcripts
 * (before launch lets the guest run: no boot output is missing there).
 */
static void
interp_opened(struct tether_session *s, void *arg)
{
	struct interp	*ip = arg;
	const char	*name = tether_session_name(s);
	char		*lp, *cp;

	apply_settings(ip, s);
	if (ip->log_dir == NULL)
		return;
	lp = xasprintf("%s/%s.log", ip->log_dir, name);
	cp = xasprintf("%s/%s.cast", ip->log_dir, name);
	if (tether_session_set_log(s, lp, cp) != 0)
		fprintf(stderr, "tether: warning: cannot write %s and %s\n",
		    lp, cp);
	free(lp);
	free(cp);
}

static int
exec_open(struct interp *ip, const struct ast_stmt *st)
{
	struct tether_opt	*opts;
	struct tether_session	*s = NULL;
	char			*name = NULL, *uri = NULL, *logp = NULL;
	char			*cp = NULL;
	size_t			 i, n = 0;
	int			 r, flow = FLOW_FAIL;

	opts = xcalloc(st->nwords, sizeof *opts);
	if ((name = eval_string(ip, st->sess->value, NULL)) == NULL ||
	    (uri = eval_string(ip, st->words[0]->value, NULL)) == NULL)
		goto out;
	if (tether_loop_session(ip->loop, name) != NULL) {
		interp_fail(ip, &st->sess->loc, TETHER_EFAIL,
		    "session '%s' is already open", name);
		goto out;
	}
	for (i = 1; i < st->nwords; i++) {
		if (strcmp(st->words[i]->key, "log") == 0) {
			free(logp);
			if ((logp = eval_string(ip, st->words[i]->value,
			    NULL)) == NULL)
				goto out;
			continue;
		}
		opts[n].key = st->words[i]->key;
		if ((opts[n].value = eval_string(ip, st->words[i]->value,
		    NULL)) == NULL)
			goto out;
		n++;
	}
	report_trace(ip->rep, "%s:%d: open %s %s", st->loc.file,
	    st->loc.line, name, uri);
	r = tether_session_open(ip->loop, name, uri, opts, n, &s);
	if (r == TETHER_EINTR) {
		interp_fail(ip, &st->loc, r, "interrupted while opening %s",
		    name);
		goto out;
	}
	if (r != 0) {
		interp_fail(ip, &st->loc, r, "cannot open %s on %s: %s", name,
		    uri, *tether_loop_errmsg(ip->loop) != '\0' ?
		    tether_loop_errmsg(ip->loop) : tether_strerror(r));
		goto out;
	}
	/* Secrets, settings and --log-dir came with interp_opened. */
	if (logp != NULL && ip->log_dir != NULL)
		cp = xasprintf("%s/%s.cast", ip->log_dir, name);
	if (logp != NULL && (r = tether_session_set_log(s, logp, cp)) != 0) {
		interp_fail(ip, &st->loc, r, "cannot write the logs of %s: "
		    "%s: %s", name, logp, strerror(errno));
		goto out;
	}
	flow = FLOW_NEXT;
out:
	for (i = 0; i < n; i++)
		free((char *)opts[i].value);
	free(opts);
	free(name);
	free(uri);
	free(logp);
	free(cp);
	return flow;
}

static int
exec_send(struct interp *ip, const struct ast_stmt *st)
{
	struct tether_session	*s;
	char			*data;
	size_t			 len;
	int64_t			 pace = 0, deadline;
	int			 r, flags = 0;

	if ((s = word_session(ip, st->sess)) == NULL)
		return FLOW_FAIL;
	if (st->e2 != NULL && eval_duration(ip, st->e2, &pace) != 0)
		return FLOW_FAIL;
	if ((data = eval_string(ip, st->e1, &len)) == NULL)
		return FLOW_FAIL;
	if (st->flags & SEND_SECRET) {
		flags |= TETHER_SEND_SECRET;
		interp_add_secret(ip, data);
	}
	report_trace(ip->rep, "%s:%d: %s %s %s", st->loc.file, st->loc.line,
	    st->flags & SEND_LINE ? "sendline" : "send",
	    tether_session_name(s), data);
	deadline = tether_now_ms() + ip->timeout + pace * (int64_t)len;
	if (pace > 0) {
		r = tether_session_send_paced(s, data, len, pace, flags,
		    deadline);
		if (r == 0 && (st->flags & SEND_LINE))
			r = tether_session_send_paced(s, tether_session_eol(s),
			    strlen(tether_session_eol(s)), pace, flags,
			    deadline);
	} else if (st->flags & SEND_LINE)
		r = tether_session_sendline(s, data, flags, deadline);
	else
		r = tether_session_send(s, data, len, flags, deadline);
	free(data);
	if (r != 0) {
		interp_fail(ip, &st->loc, r, "cannot send to %s: %s",
		    tether_session_name(s), *tether_loop_errmsg(ip->loop) ?
		    tether_loop_errmsg(ip->loop) : tether_strerror(r));
		interp_fail_tail(ip, s);
		return FLOW_FAIL;
	}
	return FLOW_NEXT;
}

/* The sessions an expect set involves, for eof branches and messages. */
struct sesslist {
	struct tether_session	*s[16];
	size_t			 n;
};

static void
sesslist_add(struct sesslist *l, struct tether_session *s)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (l->s[i] == s)
			return;
	}
	if (l->n < sizeof l->s / sizeof l->s[0])
		l->s[l->n++] = s;
}

static int
sesslist_has(struct sesslist *l, struct tether_session *s)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (l->s[i] == s)
			return 1;
	}
	return 0;
}

static int
add_pattern(struct interp *ip, const struct ast_loc *loc,
    struct tether_expect *set, struct tether_session *s, struct value *v,
    int id, char **desc)
{
	char	*text, *repr, *d;
	size_t	 len;
	int	 r;

	if (v->type == VAL_REGEX)
		r = tether_expect_regex(set, s, v->s, v->flags, id);
	else {
		text = value_to_string(v, &len);
		if (len == 0) {
			free(text);
			return interp_fail(ip, loc, TETHER_EFAIL,
			    "empty pattern");
		}
		r = tether_expect_literal(set, s, text, len, id);
		free(text);
	}
	if (r != 0)
		return interp_fail(ip, loc, r, "bad pattern: %s",
		    tether_loop_errmsg(ip->loop));
	if (desc != NULL && id < WATCH_ID_BASE) {
		repr = value_repr(v);
		d = xasprintf("%s%s%s on %s", *desc != NULL ? *desc : "",
		    *desc != NULL ? " or " : "", repr, tether_session_name(s));
		free(repr);
		free(*desc);
		*desc = d;
	}
	return 0;
}

static void
set_match_vars(struct interp *ip, struct tether_match *m)
{
	const char	*g, *name;
	size_t		 len;
	char		 var[3];
	int		 i, n = tether_match_ngroups(m);

	for (i = 0; i < 10; i++) {
		snprintf(var, sizeof var, "%d", i);
		g = i < n ? tether_match_group(m, i, &len) : NULL;
		interp_assign(ip, var, g != NULL ? value_str(g, len) :
		    value_strz(""));
	}
	for (i = 1; i < n; i++) {
		if ((name = tether_match_group_name(m, i)) == NULL)
			continue;
		g = tether_match_group(m, i, &len);
		interp_assign(ip, name, g != NULL ? value_str(g, len) :
		    value_strz(""));
	}
	g = tether_match_before(m, &len);
	interp_assign(ip, "before", g != NULL ? value_str(g, len) :
	    value_strz(""));
}

/* After eof, idle or timeout: $before is what was received unmatched. */
static void
set_pending_vars(struct interp *ip, struct tether_session *s)
{
	const char	*p;
	size_t		 len = 0;

	p = s != NULL ? tether_session_pending(s, &len) : NULL;
	interp_assign(ip, "0", value_strz(""));
	interp_assign(ip, "before", p != NULL ? value_str(p, len) :
	    value_strz(""));
}

struct live {
	struct interp	*ip;
	const char	*what;
	int64_t		 deadline;
};

static void
live_tick(void *arg)
{
	struct live	*l = arg;

	report_status(l->ip->rep, l->what, l->deadline - tether_now_ms());
}

/* Runs the set; on a terminal, the loop's tick refreshes the status line. */
static int
run_set(struct interp *ip, struct tether_expect *set, int64_t deadline,
    const char *desc, struct tether_match **m)
{
	struct live	l;
	char		*what;
	int		 r;

	if (ip->rep == NULL || !report_live(ip->rep))
		return tether_expect_run(set, deadline, m);
	what = xasprintf("%s%s%swaiting for %s", ip->step != NULL ? "[" : "",
	    ip->step != NULL ? ip->step : "", ip->step != NULL ? "] " : "",
	    desc != NULL ? desc : "output");
	l.ip = ip;
	l.what = what;
	l.deadline = deadline;
	live_tick(&l);
	tether_loop_set_tick(ip->loop, INTERP_TICK_MS, live_tick, &l);
	r = tether_expect_run(set, deadline, m);
	tether_loop_set_tick(ip->loop, 0, NULL, NULL);
	report_status(ip->rep, NULL, 0);
	free(what);
	return r;
}

static int
exec_expect(struct interp *ip, const struct ast_stmt *st)
{
	struct tether_expect	*set;
	struct tether_match	*m = NULL;
	struct tether_session	*s0 = NULL, *s;
	struct ast_branch	*b;
	struct watch		*w, **wv = NULL;
	struct value		*v;
	struct sesslist		 sl;
	char			*desc = NULL, *wt, *ms;
	size_t			 i, nw = 0;
	int64_t			 timeout = ip->timeout, ms_, start, deadline;
	int			 flow = FLOW_FAIL, r, id, tbranch = -1;
	int			 has_idle = 0, eof_all = -1, from_timeout;
	enum tether_outcome	 oc;

	memset(&sl, 0, sizeof sl);
	if (st->sess != NULL && (s0 = word_session(ip, st->sess)) == NULL)
		return FLOW_FAIL;
	if (s0 != NULL)
		sesslist_add(&sl, s0);
	if ((set = tether_expect_new(ip->loop)) == NULL)
		return interp_fail(ip, &st->loc, TETHER_ENOMEM,
		    "out of memory");
	for (i = 0; i < st->nbranches; i++) {
		b = st->branches[i];
		s = s0;
		if (b->sess != NULL && (s = word_session(ip, b->sess)) == NULL)
			goto out;
		switch (b->kind) {
		case BRANCH_PATTERN:
			if ((v = interp_eval(ip, b->pat->value)) == NULL)
				goto out;
			r = add_pattern(ip, &b->loc, set, s, v, (int)i, &desc);
			value_unref(v);
			if (r != 0)
				goto out;
			sesslist_add(&sl, s);
			break;
		case BRANCH_EOF:
			if (s == NULL) {
				eof_all = (int)i;
				break;
			}
			sesslist_add(&sl, s);
			if (tether_expect_eof(set, s, (int)i) != 0)
				goto nomem;
			break;
		case BRANCH_IDLE:
			if (eval_duration(ip, b->pat->value, &ms_) != 0)
				goto out;
			if (tether_expect_idle(set, ms_, (int)i) != 0)
				goto nomem;
			has_idle = 1;
			break;
		case BRANCH_TIMEOUT:
			tbranch = (int)i;
			if (b->pat != NULL &&
			    eval_duration(ip, b->pat->value, &timeout) != 0)
				goto out;
			break;
		}
	}
	if (st->e1 != NULL && eval_duration(ip, st->e1, &timeout) != 0)
		goto out;
	if (eof_all != -1) {
		for (i = 0; i < sl.n; i++) {
			if (tether_expect_eof(set, sl.s[i], eof_all) != 0)
				goto nomem;
		}
	}
	for (w = ip->watches; w != NULL; w = w->next) {
		if ((s = tether_loop_session(ip->loop, w->session)) == NULL ||
		    !sesslist_has(&sl, s))
			continue;
		if (add_pattern(ip, &w->br->loc, set, s, w->pat,
		    WATCH_ID_BASE + (int)nw, NULL) != 0)
			goto out;
		wv = xreallocarray(wv, nw + 1, sizeof *wv);
		wv[nw++] = w;
	}
	if (sl.n == 0 && !has_idle) {
		interp_fail(ip, &st->loc, TETHER_EFAIL,
		    "expect has nothing to wait for");
		goto out;
	}
	start = tether_now_ms();
	deadline = start + timeout;
	if (ip->rep != NULL)
		report_trace(ip->rep, "%s:%d: expect %s (timeout %s)",
		    st->loc.file, st->loc.line, desc != NULL ? desc : "",
		    (wt = value_fmt_duration(timeout)));
	else
		wt = NULL;
	free(wt);
	for (;;) {
		tether_match_free(m);
		m = NULL;
		r = run_set(ip, set, deadline, desc, &m);
		if (r == TETHER_EINTR) {
			interp_fail(ip, &st->loc, r, "interrupted while "
			    "waiting for %s", desc != NULL ? desc : "output");
			goto out;
		}
		if (r != 0) {
			interp_fail(ip, &st->loc, r, "expect: %s",
			    tether_loop_errmsg(ip->loop));
			for (i = 0; i < sl.n; i++)
				interp_fail_tail(ip, sl.s[i]);
			goto out;
		}
		oc = tether_match_outcome(m);
		id = tether_match_id(m);
		from_timeout = 0;
		if (id >= WATCH_ID_BASE) {
			set_match_vars(ip, m);
			report_trace(ip->rep, "watch on %s fired",
			    wv[id - WATCH_ID_BASE]->session);
			flow = exec_block(ip, wv[id - WATCH_ID_BASE]->br->body);
			if (flow == FLOW_FAIL || flow == FLOW_RETURN)
				goto out;
			continue;
		}
		if (id < 0 && oc == TETHER_MATCH_TIMEOUT && tbranch >= 0) {
			id = tbranch;
			from_timeout = 1;
		}
		if (id < 0) {
			ms = value_fmt_duration(tether_now_ms() - start);
			s = tether_match_session(m);
			if (oc == TETHER_MATCH_EOF && s != NULL &&
			    tether_session_error(s) != NULL)
				interp_fail(ip, &st->loc, TETHER_EOF,
				    "connection of %s lost after %s while "
				    "waiting for %s: %s", tether_session_name(s),
				    ms, desc != NULL ? desc : "output",
				    tether_session_error(s));
			else if (oc == TETHER_MATCH_EOF)
				interp_fail(ip, &st->loc, TETHER_EOF,
				    "end of file on %s after %s while waiting "
				    "for %s", s != NULL ?
				    tether_session_name(s) : "a session", ms,
				    desc != NULL ? desc : "output");
			else
				interp_fail(ip, &st->loc, TETHER_ETIMEDOUT,
				    "timed out after %s waiting for %s", ms,
				    desc != NULL ? desc : "output");
			free(ms);
			if (s != NULL)
				interp_fail_tail(ip, s);
			else {
				for (i = 0; i < sl.n; i++)
					interp_fail_tail(ip, sl.s[i]);
			}
			flow = FLOW_FAIL;
			goto out;
		}
		if (oc == TETHER_MATCH_PATTERN)
			set_match_vars(ip, m);
		else
			set_pending_vars(ip, tether_match_session(m) != NULL ?
			    tether_match_session(m) : sl.n > 0 ? sl.s[0] :
			    NULL);
		report_trace(ip->rep, "%s:%d: branch %d won after %lldms",
		    st->loc.file, st->loc.line, id,
		    (long long)tether_match_waited(m));
		flow = exec_block(ip, st->branches[id]->body);
		if (flow != FLOW_AGAIN)
			goto out;
		if (from_timeout) {
			flow = interp_fail(ip, &st->branches[id]->loc,
			    TETHER_EFAIL, "again in a timeout branch: the "
			    "deadline has passed");
			goto out;
		}
	}
nomem:
	flow = interp_fail(ip, &st->loc, TETHER_ENOMEM, "out of memory");
out:
	free(wv);
	free(desc);
	tether_match_free(m);
	tether_expect_free(set);
	return flow;
}

static int
exec_watch(struct interp *ip, const struct ast_stmt *st)
{
	struct watch	*w;
	struct value	*pat;
	char		*name;

	if ((name = eval_string(ip, st->sess->value, NULL)) == NULL)
		return FLOW_FAIL;
	if ((pat = interp_eval(ip, st->branches[0]->pat->value)) == NULL) {
		free(name);
		return FLOW_FAIL;
	}
	w = xcalloc(1, sizeof *w);
	w->session = name;
	w->pat = pat;
	w->br = st->branches[0];
	w->next = ip->watches;
	ip->watches = w;
	return FLOW_NEXT;
}

static int
exec_unwatch(struct interp *ip, const struct ast_stmt *st)
{
	struct watch	**wp, *w;
	char		*name;

	if ((name = eval_string(ip, st->sess->value, NULL)) == NULL)
		return FLOW_FAIL;
	for (wp = &ip->watches; (w = *wp) != NULL;) {
		if (strcmp(w->session, name) == 0) {
			*wp = w->next;
			free(w->session);
			value_unref(w->pat);
			free(w);
		} else
			wp = &w->next;
	}
	free(name);
	return FLOW_NEXT;
}

static int
exec_set(struct interp *ip, const struct ast_stmt *st)
{
	struct value	*v;
	int64_t		 n;

	if ((v = interp_eval(ip, st->e1)) == NULL)
		return FLOW_FAIL;
	if (strcmp(st->name, "raw-match") == 0) {
		ip->raw_match = value_truthy(v);
		value_unref(v);
		tether_loop_foreach(ip->loop, apply_settings_cb, ip);
		return FLOW_NEXT;
	}
	if (strcmp(st->name, "match-max") == 0) {
		if (value_as_int(v, &n) != 0 || n < 256) {
			value_unref(v);
			return interp_fail(ip, &st->loc, TETHER_EFAIL,
			    "match-max needs a number of bytes >= 256");
		}
		ip->match_max = n;
		value_unref(v);
		tether_loop_foreach(ip->loop, apply_settings_cb, ip);
		return FLOW_NEXT;
	}
	if (strchr(st->name, '-') != NULL) {
		value_unref(v);
		return interp_fail(ip, &st->loc, TETHER_EFAIL,
		    "unknown setting %s (known: raw-match, match-max)",
		    st->name);
	}
	interp_assign(ip, st->name, v);
	return FLOW_NEXT;
}

static int
exec_for(struct interp *ip, const struct ast_stmt *st)
{
	struct value	*v, *items;
	size_t		 i;
	int		 flow = FLOW_NEXT;

	if ((v = interp_eval(ip, st->e1)) == NULL)
		return FLOW_FAIL;
	if (v->type == VAL_LIST)
		items = value_ref(v);
	else if (v->type == VAL_MAP) {
		items = value_list();
		for (i = 0; i < v->n; i++)
			value_list_push(items, value_strz(v->keys[i]));
	} else if (v->type == VAL_STR)
		items = split_lines(v->s, v->len);
	else {
		flow = interp_fail(ip, &st->e1->loc, TETHER_EFAIL,
		    "cannot loop over %s", value_type_name(v));
		value_unref(v);
		return flow;
	}
	value_unref(v);
	for (i = 0; i < items->n && flow == FLOW_NEXT; i++) {
		interp_assign(ip, st->name, value_ref(items->items[i]));
		flow = exec_block(ip, st->body);
	}
	value_unref(items);
	return flow;
}

static int
exec_retry(struct interp *ip, const struct ast_stmt *st)
{
	struct value	*v;
	int64_t		 count = -1, within = -1, every = 0, deadline = -1;
	int64_t		 attempt = 0;
	int		 flow;

	if (st->e1 != NULL) {
		if ((v = interp_eval(ip, st->e1)) == NULL)
			return FLOW_FAIL;
		if (value_as_int(v, &count) != 0 || count < 1) {
			value_unref(v);
			return interp_fail(ip, &st->e1->loc, TETHER_EFAIL,
			    "retry needs a count >= 1 or `within DURATION`");
		}
		value_unref(v);
	}
	if (st->e2 != NULL && eval_duration(ip, st->e2, &within) != 0)
		return FLOW_FAIL;
	if (st->e3 != NULL && eval_duration(ip, st->e3, &every) != 0)
		return FLOW_FAIL;
	if (within >= 0)
		deadline = tether_now_ms() + within;
	for (;;) {
		flow = exec_block(ip, st->body);
		attempt++;
		if (flow != FLOW_FAIL || ip->fail.code == TETHER_EINTR ||
		    tether_loop_interrupted(ip->loop))
			return flow;
		if (count >= 0 && attempt >= count)
			return flow;
		if (deadline >= 0 && tether_now_ms() + every >= deadline)
			return flow;
		report_trace(ip->rep, "retry: attempt %lld failed: %s",
		    (long long)attempt, ip->fail.msg);
		interp_clear_fail(ip);
		if (every > 0 &&
		    interp_sleep_until(ip, tether_now_ms() + every) != 0)
			return interp_fail(ip, &st->loc, TETHER_EINTR,
			    "interrupted");
	}
}

static int
exec_check(struct interp *ip, const struct ast_stmt *st)
{
	struct value	*v, *a = NULL, *b = NULL;
	char		*msg, *ra, *rb;
	int		 ok, flow;

	if ((v = interp_eval(ip, st->e1)) == NULL)
		return FLOW_FAIL;
	ok = value_truthy(v);
	value_unref(v);
	if (ok)
		return FLOW_NEXT;
	if (st->e2 != NULL) {
		if ((msg = eval_string(ip, st->e2, NULL)) == NULL)
			return FLOW_FAIL;
		flow = interp_fail(ip, &st->loc, TETHER_EFAIL, "%s", msg);
		free(msg);
		return flow;
	}
	if (st->e1->kind == EXPR_BIN && st->e1->op >= OP_EQ &&
	    (a = interp_eval(ip, st->e1->a)) != NULL &&
	    (b = interp_eval(ip, st->e1->b)) != NULL) {
		ra = value_repr(a);
		rb = value_repr(b);
		flow = interp_fail(ip, &st->loc, TETHER_EFAIL,
		    "check failed: %.*s (left: %s, right: %s)",
		    (int)st->e1->srclen, st->e1->src, ra, rb);
		free(ra);
		free(rb);
	} else
		flow = interp_fail(ip, &st->loc, TETHER_EFAIL,
		    "check failed: %.*s", (int)st->e1->srclen, st->e1->src);
	value_unref(a);
	value_unref(b);
	return flow;
}

static int
exec_step(struct interp *ip, const struct ast_stmt *st)
{
	char	*name, *saved, *full;
	int64_t	 start;
	int	 flow;

	if ((name = eval_string(ip, st->e1, NULL)) == NULL)
		return FLOW_FAIL;
	full = ip->step != NULL ? xasprintf("%s/%s", ip->step, name) :
	    xstrdup(name);
	free(name);
	saved = ip->step;
	ip->step = full;
	report_step_begin(ip->rep, full);
	start = tether_now_ms();
	flow = exec_block(ip, st->body);
	report_step_end(ip->rep, full, flow != FLOW_FAIL,
	    tether_now_ms() - start, flow == FLOW_FAIL ? ip->fail.msg : NULL,
	    flow == FLOW_FAIL ? ip->fail.tail : NULL);
	ip->step = saved;
	free(full);
	return flow;
}

static int
exec_text(struct interp *ip, const struct ast_stmt *st)
{
	char	*s;
	size_t	 len;

	/* Every byte counts, NUL too; the reporter redacts secrets. */
	if ((s = eval_string(ip, st->e1, &len)) == NULL)
		return FLOW_FAIL;
	if (st->kind == STMT_LOG)
		report_log(ip->rep, s);
	else if (st->kind == STMT_PRINT)
		report_print_len(ip->rep, s, len);
	else {
		interp_fail(ip, &st->loc, TETHER_EFAIL, "%s", s);
		free(s);
		return FLOW_FAIL;
	}
	free(s);
	return FLOW_NEXT;
}

static int
exec_builtin(struct interp *ip, const struct ast_stmt *st)
{
	struct builtin_call	 c;
	size_t			 i;
	int			 r = 0;

	memset(&c, 0, sizeof c);
	c.ip = ip;
	c.st = st;
	c.result = st->name;
	c.args = xcalloc(st->nwords + 1, sizeof *c.args);
	for (i = 0; i < st->nwords; i++) {
		c.args[i].key = st->words[i]->key;
		c.args[i].bare = st->words[i]->bare;
		c.args[i].loc = st->words[i]->loc;
		if ((c.args[i].val = interp_eval(ip, st->words[i]->value)) ==
		    NULL) {
			r = -1;
			break;
		}
		c.nargs++;
	}
	if (r == 0) {
		report_trace(ip->rep, "%s:%d: %s", st->loc.file, st->loc.line,
		    st->bi->name);
		r = st->bi->fn(&c);
		if (r != 0 && ip->fail.code == 0)
			interp_fail(ip, &st->loc, TETHER_EFAIL, "%s failed",
			    st->bi->name);
	}
	for (i = 0; i < c.nargs; i++)
		value_unref(c.args[i].val);
	free(c.args);
	return r == 0 ? FLOW_NEXT : FLOW_FAIL;
}

static int
exec_stmt(struct interp *ip, const struct ast_stmt *st)
{
	struct tether_session	*s;
	struct finally		*f;
	struct value		*v;
	int64_t			 ms;
	int			 flow;

	if (tether_loop_interrupted(ip->loop) && !ip->in_finally)
		return interp_fail(ip, &st->loc, TETHER_EINTR, "interrupted");
	switch (st->kind) {
	case STMT_OPEN:
		return exec_open(ip, st);
	case STMT_CLOSE:
		if ((s = word_session(ip, st->sess)) == NULL)
			return FLOW_FAIL;
		tether_session_close(s);
		return FLOW_NEXT;
	case STMT_SEND:
		return exec_send(ip, st);
	case STMT_EXPECT:
		return exec_expect(ip, st);
	case STMT_AGAIN:
		return FLOW_AGAIN;
	case STMT_TIMEOUT:
		if (eval_duration(ip, st->e1, &ms) != 0)
			return FLOW_FAIL;
		ip->timeout = ms;
		return FLOW_NEXT;
	case STMT_WATCH:
		return exec_watch(ip, st);
	case STMT_UNWATCH:
		return exec_unwatch(ip, st);
	case STMT_SET:
		return exec_set(ip, st);
	case STMT_IF:
		if ((v = interp_eval(ip, st->e1)) == NULL)
			return FLOW_FAIL;
		flow = value_truthy(v);
		value_unref(v);
		if (flow)
			return exec_block(ip, st->body);
		if (st->alt != NULL)
			return exec_stmt(ip, st->alt);
		return FLOW_NEXT;
	case STMT_FOR:
		return exec_for(ip, st);
	case STMT_RETRY:
		return exec_retry(ip, st);
	case STMT_CALL:
		if ((v = interp_eval(ip, st->e1)) == NULL)
			return FLOW_FAIL;
		value_unref(v);
		return FLOW_NEXT;
	case STMT_RETURN:
		value_unref(ip->retval);
		ip->retval = NULL;
		if (st->e1 != NULL &&
		    (ip->retval = interp_eval(ip, st->e1)) == NULL)
			return FLOW_FAIL;
		return FLOW_RETURN;
	case STMT_BLOCK:
		return exec_block(ip, st->body);
	case STMT_CHECK:
		return exec_check(ip, st);
	case STMT_FAIL:
	case STMT_LOG:
	case STMT_PRINT:
		return exec_text(ip, st);
	case STMT_STEP:
		return exec_step(ip, st);
	case STMT_FINALLY:
		f = xcalloc(1, sizeof *f);
		f->body = st->body;
		f->next = ip->finally;
		ip->finally = f;
		return FLOW_NEXT;
	case STMT_SLEEP:
		if (eval_duration(ip, st->e1, &ms) != 0)
			return FLOW_FAIL;
		if (interp_sleep_until(ip, tether_now_ms() + ms) != 0)
			return interp_fail(ip, &st->loc, TETHER_EINTR,
			    "interrupted while sleeping");
		return FLOW_NEXT;
	case STMT_DEF:
		return FLOW_NEXT;
	case STMT_BUILTIN:
		return exec_builtin(ip, st);
	}
	return interp_fail(ip, &st->loc, TETHER_EFAIL, "bad statement");
}

static int
exec_block(struct interp *ip, const struct ast_stmt *st)
{
	int	flow;

	for (; st != NULL; st = st->next) {
		if ((flow = exec_stmt(ip, st)) != FLOW_NEXT)
			return flow;
	}
	return FLOW_NEXT;
}

/* Reports the top-level steps that a failure kept from running. */
static void
skip_steps(struct interp *ip, const struct ast_stmt *st, int *started)
{
	struct value	*v;
	char		*name;

	for (; st != NULL; st = st->next) {
		if (st->kind == STMT_BLOCK) {
			skip_steps(ip, st->body, started);
			continue;
		}
		if (st->kind != STMT_STEP)
			continue;
		if (*started) {
			if (st->e1->kind == EXPR_STRLIT &&
			    (v = value_str(st->e1->s, st->e1->len)) != NULL) {
				name = value_to_string(v, NULL);
				report_step_skip(ip->rep, name);
				free(name);
				value_unref(v);
			}
		}
	}
}

static int
interp_status(struct interp *ip, int code)
{
	if (code == TETHER_EINTR && ip->signo != NULL && *ip->signo != 0)
		return 128 + *ip->signo;
	return tether_exit_code(code);
}

int
interp_run(struct interp *ip)
{
	struct finally		*f;
	const struct ast_stmt	*top;
	struct failure		 first;
	int			 flow = FLOW_NEXT, status = 0, started = 1;

	memset(&first, 0, sizeof first);
	for (top = ip->prog->body; top != NULL; top = top->next) {
		if ((flow = exec_stmt(ip, top)) != FLOW_NEXT)
			break;
	}
	if (flow == FLOW_FAIL) {
		first = ip->fail;
		memset(&ip->fail, 0, sizeof ip->fail);
		status = interp_status(ip, first.code);
		report_failure(ip->rep, first.msg, first.tail);
		skip_steps(ip, top->next, &started);
	}
	/* Lower the flag so that finally blocks can wait; a second signal
	 * raises it again and interrupts them too. */
	if (ip->finally != NULL && tether_loop_interrupted(ip->loop))
		tether_loop_clear_interrupt(ip->loop);
	ip->in_finally = 1;
	while ((f = ip->finally) != NULL) {
		ip->finally = f->next;
		ip->scope = &ip->global;
		flow = exec_block(ip, f->body);
		free(f);
		if (flow != FLOW_FAIL)
			continue;
		report_failure(ip->rep, ip->fail.msg, ip->fail.tail);
		if (status == 0)
			status = interp_status(ip, ip->fail.code);
		interp_clear_fail(ip);
	}
	free(first.msg);
	free(first.tail);
	return status;
}
