/* SPDX-License-Identifier: ISC */
/*
 * interp-expect.c - the expect machinery: builds a set of patterns, eof,
 * idle and timeout branches over sessions (with the watches on them),
 * waits with the live status line, sets $0.. $before and runs the branch
 * that won.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "interp-int.h"
#include "interp.h"
#include "tether.h"
#include "value.h"
#include "xmalloc.h"

#define WATCH_ID_BASE		100000

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

/*
 * After end of file on a spawn: session, $status gets the program's exit
 * status (128 + signal), once it has exited: waited for a little, as the
 * end of its output comes just before.
 */
static void
set_exit_status(struct interp *ip, struct tether_session *s)
{
	int	status;

	if (s == NULL || tether_session_pid(s) <= 0)
		return;
	if (tether_session_wait(s, tether_now_ms() + INTERP_EXIT_WAIT_MS,
	    &status) == 0)
		interp_assign(ip, "status", value_int(status));
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

	interp_status(l->ip, l->what, l->deadline - tether_now_ms());
}

/* Runs the set; on a terminal, the loop's tick refreshes the status line. */
static int
run_set(struct interp *ip, struct tether_expect *set, int64_t deadline,
    const char *desc, struct tether_match **m)
{
	struct live	l;
	char		*what;
	int		 r;

	if (!interp_live(ip))
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
	interp_status(ip, NULL, 0);
	free(what);
	return r;
}

int
interp_exec_expect(struct interp *ip, const struct ast_stmt *st)
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
	if (st->sess != NULL &&
	    (s0 = interp_word_session(ip, st->sess)) == NULL)
		return FLOW_FAIL;
	if (s0 != NULL)
		sesslist_add(&sl, s0);
	if ((set = tether_expect_new(ip->loop)) == NULL)
		return interp_fail(ip, &st->loc, TETHER_ENOMEM,
		    "out of memory");
	for (i = 0; i < st->nbranches; i++) {
		b = st->branches[i];
		s = s0;
		if (b->sess != NULL &&
		    (s = interp_word_session(ip, b->sess)) == NULL)
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
			if (interp_eval_duration(ip, b->pat->value, &ms_) != 0)
				goto out;
			if (tether_expect_idle(set, ms_, (int)i) != 0)
				goto nomem;
			has_idle = 1;
			break;
		case BRANCH_TIMEOUT:
			tbranch = (int)i;
			if (b->pat != NULL &&
			    interp_eval_duration(ip, b->pat->value,
			    &timeout) != 0)
				goto out;
			break;
		}
	}
	if (st->e1 != NULL && interp_eval_duration(ip, st->e1, &timeout) != 0)
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
	if (interp_tracing(ip)) {
		wt = value_fmt_duration(timeout);
		interp_trace(ip, "%s:%d: expect %s (timeout %s)",
		    st->loc.file, st->loc.line, desc != NULL ? desc : "", wt);
		free(wt);
	}
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
			interp_trace(ip, "watch on %s fired",
			    wv[id - WATCH_ID_BASE]->session);
			flow = interp_exec_block(ip,
			    wv[id - WATCH_ID_BASE]->br->body);
			if (flow == FLOW_FAIL || flow == FLOW_RETURN)
				goto out;
			continue;
		}
		if (id < 0 && oc == TETHER_MATCH_TIMEOUT && tbranch >= 0) {
			id = tbranch;
			from_timeout = 1;
		}
		if (oc == TETHER_MATCH_EOF)
			set_exit_status(ip, tether_match_session(m) != NULL ?
			    tether_match_session(m) : sl.n > 0 ? sl.s[0] :
			    NULL);
		if (id < 0) {
			ms = value_fmt_duration(tether_now_ms() - start);
			s = tether_match_session(m);
			if (oc == TETHER_MATCH_EOF && s != NULL &&
			    tether_session_error(s) != NULL)
				interp_fail(ip, &st->loc, TETHER_EOF,
				    "connection of %s lost after %s while "
				    "waiting for %s: %s",
				    tether_session_name(s), ms, desc != NULL ?
				    desc : "output", tether_session_error(s));
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
		interp_trace(ip, "%s:%d: branch %d won after %lldms",
		    st->loc.file, st->loc.line, id,
		    (long long)tether_match_waited(m));
		flow = interp_exec_block(ip, st->branches[id]->body);
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

int
interp_exec_watch(struct interp *ip, const struct ast_stmt *st)
{
	struct watch	*w;
	struct value	*pat;
	char		*name;

	if ((name = interp_eval_string(ip, st->sess->value, NULL)) == NULL)
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

int
interp_exec_unwatch(struct interp *ip, const struct ast_stmt *st)
{
	struct watch	**wp, *w;
	char		*name;

	if ((name = interp_eval_string(ip, st->sess->value, NULL)) == NULL)
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

void
interp_watches_free(struct interp *ip)
{
	struct watch	*w, *wn;

	for (w = ip->watches; w != NULL; w = wn) {
		wn = w->next;
		free(w->session);
		value_unref(w->pat);
		free(w);
	}
	ip->watches = NULL;
}
