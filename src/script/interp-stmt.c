/* SPDX-License-Identifier: ISC */
/*
 * interp-stmt.c - executes statements: open, send, set, if, for, while,
 * retry, check, step, log and print, the verbs of builtin.c, blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "builtin.h"
#include "interp-int.h"
#include "interp.h"
#include "tether.h"
#include "value.h"
#include "xmalloc.h"

static int
exec_open(struct interp *ip, const struct ast_stmt *st)
{
	struct tether_opt	*opts;
	struct tether_session	*s = NULL;
	const char		*line;
	char			*name = NULL, *uri = NULL, *logp = NULL;
	char			*cp = NULL;
	size_t			 i, n = 0;
	int			 r, flow = FLOW_FAIL;

	opts = xcalloc(st->nwords, sizeof *opts);
	if ((name = interp_eval_string(ip, st->sess->value, NULL)) == NULL ||
	    (uri = interp_eval_string(ip, st->words[0]->value, NULL)) == NULL)
		goto out;
	if (tether_loop_session(ip->loop, name) != NULL) {
		interp_fail(ip, &st->sess->loc, TETHER_EFAIL,
		    "session '%s' is already open", name);
		goto out;
	}
	for (i = 1; i < st->nwords; i++) {
		if (strcmp(st->words[i]->key, "log") == 0) {
			free(logp);
			if ((logp = interp_eval_string(ip, st->words[i]->value,
			    NULL)) == NULL)
				goto out;
			continue;
		}
		opts[n].key = st->words[i]->key;
		if ((opts[n].value = interp_eval_string(ip, st->words[i]->value,
		    NULL)) == NULL)
			goto out;
		n++;
	}
	interp_trace(ip, "%s:%d: open %s %s", st->loc.file,
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
	if ((line = tether_session_line(s)) != NULL)
		interp_trace(ip, "%s:%d: %s: line %s", st->loc.file,
		    st->loc.line, name, line);
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

	if ((s = interp_word_session(ip, st->sess)) == NULL)
		return FLOW_FAIL;
	if (st->e2 != NULL && interp_eval_duration(ip, st->e2, &pace) != 0)
		return FLOW_FAIL;
	if ((data = interp_eval_string(ip, st->e1, &len)) == NULL)
		return FLOW_FAIL;
	if (st->flags & SEND_SECRET) {
		flags |= TETHER_SEND_SECRET;
		interp_add_secret(ip, data);
	}
	interp_trace(ip, "%s:%d: %s %s %s", st->loc.file, st->loc.line,
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


static int
exec_set(struct interp *ip, const struct ast_stmt *st)
{
	struct value	*v;
	int64_t		 n;

	if ((v = interp_eval(ip, st->e1)) == NULL)
		return FLOW_FAIL;
	if (strcmp(st->name, "raw-match") == 0) {
		interp_set_raw_match(ip, value_truthy(v));
		value_unref(v);
		return FLOW_NEXT;
	}
	if (strcmp(st->name, "match-max") == 0) {
		if (value_as_int(v, &n) != 0 || n < 256) {
			value_unref(v);
			return interp_fail(ip, &st->loc, TETHER_EFAIL,
			    "match-max needs a number of bytes >= 256");
		}
		interp_set_match_max(ip, n);
		value_unref(v);
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
		items = value_lines(v->s, v->len);
	else {
		flow = interp_fail(ip, &st->e1->loc, TETHER_EFAIL,
		    "cannot loop over %s", value_type_name(v));
		value_unref(v);
		return flow;
	}
	value_unref(v);
	for (i = 0; i < items->n; i++) {
		interp_assign(ip, st->name, value_ref(items->items[i]));
		flow = interp_exec_block(ip, st->body);
		if (flow == FLOW_CONTINUE)
			flow = FLOW_NEXT;
		if (flow != FLOW_NEXT)
			break;
	}
	value_unref(items);
	return flow == FLOW_BREAK ? FLOW_NEXT : flow;
}

static int
exec_while(struct interp *ip, const struct ast_stmt *st)
{
	struct value	*v;
	int		 flow, truth;

	for (;;) {
		/* A loop waiting on nothing still stops on a signal. */
		if (tether_loop_interrupted(ip->loop) && !ip->in_finally)
			return interp_fail(ip, &st->loc, TETHER_EINTR,
			    "interrupted");
		if ((v = interp_eval(ip, st->e1)) == NULL)
			return FLOW_FAIL;
		truth = value_truthy(v);
		value_unref(v);
		if (!truth)
			return FLOW_NEXT;
		flow = interp_exec_block(ip, st->body);
		if (flow == FLOW_BREAK)
			return FLOW_NEXT;
		if (flow != FLOW_NEXT && flow != FLOW_CONTINUE)
			return flow;
	}
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
	if (st->e2 != NULL && interp_eval_duration(ip, st->e2, &within) != 0)
		return FLOW_FAIL;
	if (st->e3 != NULL && interp_eval_duration(ip, st->e3, &every) != 0)
		return FLOW_FAIL;
	if (within >= 0)
		deadline = tether_now_ms() + within;
	for (;;) {
		flow = interp_exec_block(ip, st->body);
		attempt++;
		if (flow != FLOW_FAIL || ip->fail.code == TETHER_EINTR ||
		    tether_loop_interrupted(ip->loop))
			return flow;
		if (count >= 0 && attempt >= count)
			return flow;
		if (deadline >= 0 && tether_now_ms() + every >= deadline)
			return flow;
		interp_trace(ip, "retry: attempt %lld failed: %s",
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
		if ((msg = interp_eval_string(ip, st->e2, NULL)) == NULL)
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

	if ((name = interp_eval_string(ip, st->e1, NULL)) == NULL)
		return FLOW_FAIL;
	full = ip->step != NULL ? xasprintf("%s/%s", ip->step, name) :
	    xstrdup(name);
	free(name);
	saved = ip->step;
	ip->step = full;
	interp_step_begin(ip, full);
	start = tether_now_ms();
	flow = interp_exec_block(ip, st->body);
	interp_step_end(ip, full, flow != FLOW_FAIL,
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
	if ((s = interp_eval_string(ip, st->e1, &len)) == NULL)
		return FLOW_FAIL;
	if (st->kind == STMT_LOG)
		interp_log(ip, s);
	else if (st->kind == STMT_PRINT)
		interp_print(ip, s, len);
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
		interp_trace(ip, "%s:%d: %s", st->loc.file, st->loc.line,
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

int
interp_exec_stmt(struct interp *ip, const struct ast_stmt *st)
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
		if ((s = interp_word_session(ip, st->sess)) == NULL)
			return FLOW_FAIL;
		tether_session_close(s);
		return FLOW_NEXT;
	case STMT_SEND:
		return exec_send(ip, st);
	case STMT_EXPECT:
		return interp_exec_expect(ip, st);
	case STMT_AGAIN:
		return FLOW_AGAIN;
	case STMT_TIMEOUT:
		if (interp_eval_duration(ip, st->e1, &ms) != 0)
			return FLOW_FAIL;
		ip->timeout = ms;
		return FLOW_NEXT;
	case STMT_WATCH:
		return interp_exec_watch(ip, st);
	case STMT_UNWATCH:
		return interp_exec_unwatch(ip, st);
	case STMT_SET:
		return exec_set(ip, st);
	case STMT_IF:
		if ((v = interp_eval(ip, st->e1)) == NULL)
			return FLOW_FAIL;
		flow = value_truthy(v);
		value_unref(v);
		if (flow)
			return interp_exec_block(ip, st->body);
		if (st->alt != NULL)
			return interp_exec_stmt(ip, st->alt);
		return FLOW_NEXT;
	case STMT_FOR:
		return exec_for(ip, st);
	case STMT_WHILE:
		return exec_while(ip, st);
	case STMT_BREAK:
		return FLOW_BREAK;
	case STMT_CONTINUE:
		return FLOW_CONTINUE;
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
		return interp_exec_block(ip, st->body);
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
		if (interp_eval_duration(ip, st->e1, &ms) != 0)
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

int
interp_exec_block(struct interp *ip, const struct ast_stmt *st)
{
	int	flow;

	for (; st != NULL; st = st->next) {
		if ((flow = interp_exec_stmt(ip, st)) != FLOW_NEXT)
			return flow;
	}
	return FLOW_NEXT;
}

