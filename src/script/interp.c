/* SPDX-License-Identifier: ISC */
/*
 * interp.c - the interpreter's state: variables, secrets, the first
 * failure, the front end's settings and the run of a program with its
 * finally blocks.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "interp-int.h"
#include "interp.h"
#include "reporter.h"
#include "tether.h"
#include "value.h"
#include "xmalloc.h"

static void	interp_opened(struct tether_session *, void *);

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
    const struct reporter *rep)
{
	struct interp	*ip;

	ip = xcalloc(1, sizeof *ip);
	ip->prog = prog;
	ip->loop = loop;
	if (rep != NULL)
		ip->rep = *rep;
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

void
interp_scope_clear(struct scope *sc)
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
	struct finally	*f, *fn;

	if (ip == NULL)
		return;
	tether_loop_set_on_open(ip->loop, NULL, NULL);
	interp_scope_clear(&ip->global);
	interp_watches_free(ip);
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

void
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

void
interp_set_raw_match(struct interp *ip, int on)
{
	ip->raw_match = on;
	tether_loop_foreach(ip->loop, apply_settings_cb, ip);
}

void
interp_set_match_max(struct interp *ip, int64_t n)
{
	ip->match_max = n;
	tether_loop_foreach(ip->loop, apply_settings_cb, ip);
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
	if (ip->log_dir != NULL) {
		lp = xasprintf("%s/%s.log", ip->log_dir, name);
		cp = xasprintf("%s/%s.cast", ip->log_dir, name);
		if (tether_session_set_log(s, lp, cp) != 0)
			fprintf(stderr, "tether: warning: cannot write %s "
			    "and %s\n", lp, cp);
		free(lp);
		free(cp);
	}
	if (ip->on_open != NULL)
		ip->on_open(s, ip->on_open_arg);
}

void
interp_set_on_open(struct interp *ip, void (*fn)(struct tether_session *,
    void *), void *arg)
{
	ip->on_open = fn;
	ip->on_open_arg = arg;
}

void
interp_set_program(struct interp *ip, struct ast_program *prog)
{
	ip->prog = prog;
}

void
interp_set_log_dir(struct interp *ip, const char *dir)
{
	ip->log_dir = dir;
}

void
interp_set_signo(struct interp *ip, volatile sig_atomic_t *signo)
{
	ip->signo = signo;
}

void
interp_set_interact(struct interp *ip, interp_interact_fn fn)
{
	ip->interact = fn;
}

interp_interact_fn
interp_interact_hook(struct interp *ip)
{
	return ip->interact;
}

void
interp_set_timeout(struct interp *ip, int64_t ms)
{
	ip->timeout = ms;
}

int64_t
interp_timeout(struct interp *ip)
{
	return ip->timeout;
}

void
interp_set_udata(struct interp *ip, void *udata)
{
	ip->udata = udata;
}

void *
interp_udata(struct interp *ip)
{
	return ip->udata;
}

struct tether_loop *
interp_loop(struct interp *ip)
{
	return ip->loop;
}

/*
 * The reporter.
 */

int
interp_tracing(struct interp *ip)
{
	return ip->rep.trace != NULL;
}

void
interp_trace(struct interp *ip, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	int	 n;

	if (ip->rep.trace == NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1)
		return;
	ip->rep.trace(ip->rep.ctx, text);
	free(text);
}

void
interp_step_begin(struct interp *ip, const char *name)
{
	if (ip->rep.step_begin != NULL)
		ip->rep.step_begin(ip->rep.ctx, name);
}

void
interp_step_end(struct interp *ip, const char *name, int ok, int64_t ms,
    const char *msg, const char *tail)
{
	if (ip->rep.step_end != NULL)
		ip->rep.step_end(ip->rep.ctx, name, ok, ms, msg, tail);
}

static void
interp_step_skip(struct interp *ip, const char *name)
{
	if (ip->rep.step_skip != NULL)
		ip->rep.step_skip(ip->rep.ctx, name);
}

void
interp_log(struct interp *ip, const char *text)
{
	if (ip->rep.log != NULL)
		ip->rep.log(ip->rep.ctx, text);
}

void
interp_print(struct interp *ip, const char *text, size_t len)
{
	if (ip->rep.print != NULL) {
		ip->rep.print(ip->rep.ctx, text, len);
		return;
	}
	fwrite(text, 1, len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

int
interp_live(struct interp *ip)
{
	return ip->rep.status != NULL;
}

void
interp_status(struct interp *ip, const char *what, int64_t left_ms)
{
	if (ip->rep.status != NULL)
		ip->rep.status(ip->rep.ctx, what, left_ms);
}

static void
interp_failure(struct interp *ip, const char *msg, const char *tail)
{
	if (ip->rep.failure != NULL) {
		ip->rep.failure(ip->rep.ctx, msg, tail);
		return;
	}
	fprintf(stderr, "tether: %s\n", msg != NULL ? msg : "failed");
}

/*
 * The run.
 */

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
				interp_step_skip(ip, name);
				free(name);
				value_unref(v);
			}
		}
	}
}

static int
interp_exit_status(struct interp *ip, int code)
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
		if ((flow = interp_exec_stmt(ip, top)) != FLOW_NEXT)
			break;
	}
	if (flow == FLOW_FAIL) {
		first = ip->fail;
		memset(&ip->fail, 0, sizeof ip->fail);
		status = interp_exit_status(ip, first.code);
		interp_failure(ip, first.msg, first.tail);
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
		flow = interp_exec_block(ip, f->body);
		free(f);
		if (flow != FLOW_FAIL)
			continue;
		interp_failure(ip, ip->fail.msg, ip->fail.tail);
		if (status == 0)
			status = interp_exit_status(ip, ip->fail.code);
		interp_clear_fail(ip);
	}
	free(first.msg);
	free(first.tail);
	return status;
}
