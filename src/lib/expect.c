/* SPDX-License-Identifier: ISC */
/*
 * expect.c - expect sets: pattern, eof and idle branches over sessions,
 * run on the loop until one wins or the deadline passes.  While it runs,
 * a set is a reader of each of its sessions, scanning every piece of
 * input before the view can move on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect-int.h"
#include "loop.h"
#include "match.h"
#include "session.h"
#include "tether.h"

enum branch_kind {
	BRANCH_PATTERN,
	BRANCH_EOF,
	BRANCH_IDLE,
};

struct branch {
	enum branch_kind	 kind;
	struct tether_session	*s;
	struct matcher		 m;
	int64_t			 idle_ms;
	int			 id;
};

/* The set reading a session while it runs. */
struct expect_reader {
	struct tether_session	*s;
	struct session_reader	*r;
};

struct tether_expect {
	struct tether_loop	*loop;
	struct branch		*b;
	size_t			 nb;
	struct expect_reader	*rd;		/* while it runs */
	size_t			 nrd;
	int64_t			 started;
	struct tether_match	*result;
	int			 failed;	/* a TETHER_E* while matching */
	char			 errmsg[512];	/* for TETHER_EFAIL */
};

struct tether_match {
	enum tether_outcome	 outcome;
	int			 id;
	struct tether_session	*s;
	int64_t			 waited;
	int			 ngroups;
	char			**groups;	/* NULL: did not take part */
	size_t			*glens;
	char			**names;	/* per group, or NULL */
	char			*before;
	size_t			 before_len;
};

struct tether_expect *
tether_expect_new(struct tether_loop *loop)
{
	struct tether_expect	*e;

	if ((e = calloc(1, sizeof *e)) == NULL)
		return NULL;
	e->loop = loop;
	return e;
}

/* Stops reading the sessions. */
static void
expect_unread(struct tether_expect *e)
{
	size_t	i;

	for (i = 0; i < e->nrd; i++)
		session_reader_del(e->rd[i].s, e->rd[i].r);
	free(e->rd);
	e->rd = NULL;
	e->nrd = 0;
}

/* The session reader: scans what came, and notices the end of file. */
static void
expect_read(struct tether_session *s, int ev, const char *p, size_t n,
    void *arg)
{
	if (ev == SESSION_VIEW || ev == SESSION_END)
		expect_feed(arg, s);
}

/* Becomes a reader of every session the set has a branch on. */
static int
expect_reading(struct tether_expect *e)
{
	struct expect_reader	*rd;
	size_t			 i, j;

	for (i = 0; i < e->nb; i++) {
		if (e->b[i].s == NULL)
			continue;
		for (j = 0; j < e->nrd && e->rd[j].s != e->b[i].s; j++)
			;
		if (j < e->nrd)
			continue;
		if ((rd = realloc(e->rd, (e->nrd + 1) * sizeof *rd)) == NULL)
			return TETHER_ENOMEM;
		e->rd = rd;
		rd = &e->rd[e->nrd];
		rd->s = e->b[i].s;
		if ((rd->r = session_reader_add(rd->s, expect_read,
		    e)) == NULL)
			return TETHER_ENOMEM;
		e->nrd++;
	}
	return 0;
}

void
tether_expect_free(struct tether_expect *e)
{
	size_t	i;

	if (e == NULL)
		return;
	expect_unread(e);
	for (i = 0; i < e->nb; i++)
		matcher_free(&e->b[i].m);
	free(e->b);
	tether_match_free(e->result);
	free(e);
}

static struct branch *
expect_add(struct tether_expect *e, enum branch_kind kind,
    struct tether_session *s, int id)
{
	struct branch	*nb;

	if ((nb = realloc(e->b, (e->nb + 1) * sizeof *nb)) == NULL)
		return NULL;
	e->b = nb;
	nb = &e->b[e->nb++];
	memset(nb, 0, sizeof *nb);
	nb->kind = kind;
	nb->s = s;
	nb->id = id;
	return nb;
}

static int
expect_pattern(struct tether_expect *e, struct tether_session *s,
    const char *p, size_t len, int flags, int literal, int id)
{
	struct branch	*b;
	char		 err[512];
	int		 r;

	if (s == NULL)
		return tether_loop_seterr(e->loop, TETHER_EINVAL,
		    "expect on no session");
	if ((b = expect_add(e, BRANCH_PATTERN, s, id)) == NULL)
		return TETHER_ENOMEM;
	if ((r = matcher_init(&b->m, p, len, flags, literal, err,
	    sizeof err)) != 0) {
		e->nb--;
		if (r == TETHER_EINVAL)
			tether_loop_seterr(e->loop, r, "%s", err);
		return r;
	}
	return 0;
}

int
tether_expect_regex(struct tether_expect *e, struct tether_session *s,
    const char *re, int flags, int id)
{
	loop_enter(e->loop);
	return loop_leave(e->loop, expect_pattern(e, s, re, strlen(re), flags,
	    0, id));
}

int
tether_expect_literal(struct tether_expect *e, struct tether_session *s,
    const void *lit, size_t len, int id)
{
	loop_enter(e->loop);
	return loop_leave(e->loop, expect_pattern(e, s, lit, len, 0, 1, id));
}

int
tether_expect_eof(struct tether_expect *e, struct tether_session *s, int id)
{
	return expect_add(e, BRANCH_EOF, s, id) == NULL ? TETHER_ENOMEM : 0;
}

int
tether_expect_idle(struct tether_expect *e, int64_t ms, int id)
{
	struct branch	*b;

	if ((b = expect_add(e, BRANCH_IDLE, NULL, id)) == NULL)
		return TETHER_ENOMEM;
	b->idle_ms = ms;
	return 0;
}

static struct tether_match *
match_new(enum tether_outcome outcome, int id, struct tether_session *s)
{
	struct tether_match	*m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->outcome = outcome;
	m->id = id;
	m->s = s;
	return m;
}

/* Copies the groups of b's match, and the text before it, into a match. */
static struct tether_match *
expect_capture(struct tether_expect *e, struct branch *b, const char *subj,
    uint64_t base, uint64_t start)
{
	struct tether_match	*m;
	PCRE2_SIZE		*ov;
	PCRE2_SPTR		 tab;
	uint32_t		 count, esize, i, n;
	int			 g;

	if ((m = match_new(TETHER_MATCH_PATTERN, b->id, b->s)) == NULL)
		return NULL;
	m->ngroups = matcher_ngroups(&b->m);
	ov = pcre2_get_ovector_pointer(b->m.md);
	n = pcre2_get_ovector_count(b->m.md);
	m->groups = calloc((size_t)m->ngroups, sizeof *m->groups);
	m->glens = calloc((size_t)m->ngroups, sizeof *m->glens);
	m->names = calloc((size_t)m->ngroups, sizeof *m->names);
	if (m->groups == NULL || m->glens == NULL || m->names == NULL)
		goto fail;
	for (g = 0; g < m->ngroups && (uint32_t)g < n; g++) {
		if (ov[2 * g] == PCRE2_UNSET)
			continue;
		m->glens[g] = ov[2 * g + 1] - ov[2 * g];
		if ((m->groups[g] = malloc(m->glens[g] + 1)) == NULL)
			goto fail;
		memcpy(m->groups[g], subj + ov[2 * g], m->glens[g]);
		m->groups[g][m->glens[g]] = '\0';
	}
	pcre2_pattern_info(b->m.code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(b->m.code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(b->m.code, PCRE2_INFO_NAMETABLE, &tab);
	for (i = 0; i < count; i++, tab += esize) {
		g = (tab[0] << 8) | tab[1];
		if (g < m->ngroups && m->names[g] == NULL &&
		    (m->names[g] = strdup((const char *)tab + 2)) == NULL)
			goto fail;
	}
	m->before_len = (size_t)(start - base);
	if ((m->before = malloc(m->before_len + 1)) == NULL)
		goto fail;
	memcpy(m->before, subj, m->before_len);
	m->before[m->before_len] = '\0';
	return m;
fail:
	tether_match_free(m);
	e->failed = TETHER_ENOMEM;
	return NULL;
}

int
expect_scan(struct tether_expect *e, struct tether_session *s,
    const char *subj, size_t len, uint64_t base, uint64_t *end)
{
	struct branch	*b, *best = NULL;
	uint64_t	 st, en, bst = 0, ben = 0;
	size_t		 i;
	int		 r;
	char		 why[256];

	if (e->result != NULL)
		return 1;
	if (e->failed)
		return e->failed;
	for (i = 0; i < e->nb; i++) {
		b = &e->b[i];
		if (b->s != s || b->kind != BRANCH_PATTERN)
			continue;
		if ((r = matcher_scan(&b->m, subj, len, base, &st, &en)) < 0) {
			snprintf(e->errmsg, sizeof e->errmsg, "pattern %s%s%s "
			    "on %s: %s", b->m.literal ? "\"" : "/",
			    b->m.source, b->m.literal ? "\"" : "/",
			    tether_session_name(s),
			    matcher_strerror(&b->m, why, sizeof why));
			e->failed = r;
			return r;
		}
		if (r == 0)
			continue;
		/* The earliest match in the stream wins; ties: listed first. */
		if (best == NULL || st < bst) {
			best = b;
			bst = st;
			ben = en;
		}
	}
	if (best == NULL)
		return 0;
	/* Each branch has its own match data: best's holds its groups. */
	if ((e->result = expect_capture(e, best, subj, base, bst)) == NULL) {
		e->failed = TETHER_ENOMEM;
		return TETHER_ENOMEM;
	}
	*end = ben;
	return 1;
}

void
expect_feed(struct tether_expect *e, struct tether_session *s)
{
	struct branch	*eofb = NULL;
	const char	*subj;
	size_t		 len, i;
	uint64_t	 base, end;
	int		 any = 0;

	if (e == NULL || e->result != NULL || e->failed)
		return;
	for (i = 0; i < e->nb; i++) {
		if (e->b[i].s != s)
			continue;
		any = 1;
		if (e->b[i].kind == BRANCH_EOF && eofb == NULL)
			eofb = &e->b[i];
	}
	if (!any)
		return;
	base = s->consumed;
	subj = session_view_at(s, base, &len);
	base = session_view_end(s) - len;
	switch (expect_scan(e, s, subj, len, base, &end)) {
	case 1:
		session_consume(s, end);
		return;
	case 0:
		break;
	default:
		return;
	}
	if (session_done(s)) {
		e->result = match_new(TETHER_MATCH_EOF,
		    eofb != NULL ? eofb->id : -1, s);
		if (e->result == NULL)
			e->failed = TETHER_ENOMEM;
	}
}

void
expect_reset(struct tether_expect *e)
{
	size_t	i;

	tether_match_free(e->result);
	e->result = NULL;
	e->failed = 0;
	e->errmsg[0] = '\0';
	for (i = 0; i < e->nb; i++)
		e->b[i].m.scan = 0;	/* from the session's consumed point */
}

struct tether_match *
expect_take(struct tether_expect *e)
{
	struct tether_match	*m = e->result;

	e->result = NULL;
	return m;
}

const char *
expect_errmsg(struct tether_expect *e)
{
	return e->errmsg;
}

/* Returns when the set's idle branch fires, or -1. */
static int64_t
expect_idle_at(struct tether_expect *e, int *id)
{
	int64_t	 last = e->started, at = -1, t;
	size_t	 i;

	for (i = 0; i < e->nb; i++) {
		if (e->b[i].s != NULL &&
		    (t = tether_session_last_rx(e->b[i].s)) > last)
			last = t;
	}
	for (i = 0; i < e->nb; i++) {
		if (e->b[i].kind != BRANCH_IDLE)
			continue;
		t = last + e->b[i].idle_ms;
		if (at == -1 || t < at) {
			at = t;
			*id = e->b[i].id;
		}
	}
	return at;
}

static int
expect_run(struct tether_expect *e, int64_t deadline,
    struct tether_match **mp)
{
	int64_t			 idle_at, until, now;
	int			 r = 0, idle_id = -1;
	size_t			 i;

	*mp = NULL;
	if (e->nb == 0)
		return tether_loop_seterr(e->loop, TETHER_EINVAL,
		    "expect with no branches");
	expect_reset(e);
	e->started = tether_now_ms();
	if ((r = expect_reading(e)) != 0) {
		expect_unread(e);
		return r;
	}
	for (i = 0; i < e->nb && e->result == NULL; i++) {
		if (e->b[i].s != NULL)
			expect_feed(e, e->b[i].s);
	}
	while (e->result == NULL && !e->failed) {
		now = tether_now_ms();
		idle_at = expect_idle_at(e, &idle_id);
		if (idle_at != -1 && now >= idle_at &&
		    (deadline == -1 || idle_at < deadline)) {
			e->result = match_new(TETHER_MATCH_IDLE, idle_id, NULL);
			break;
		}
		if (deadline != -1 && now >= deadline) {
			e->result = match_new(TETHER_MATCH_TIMEOUT, -1, NULL);
			break;
		}
		until = deadline;
		if (idle_at != -1 && (until == -1 || idle_at < until))
			until = idle_at;
		r = tether_loop_once(e->loop, until);
		if (r == TETHER_EINTR)
			break;
		r = 0;
	}
	expect_unread(e);
	if (r == TETHER_EINTR)
		return r;
	if (e->failed == TETHER_EFAIL)
		return tether_loop_seterr(e->loop, TETHER_EFAIL, "%s",
		    e->errmsg);
	if (e->result == NULL)
		return TETHER_ENOMEM;
	e->result->waited = tether_now_ms() - e->started;
	*mp = e->result;
	e->result = NULL;
	return 0;
}

int
tether_expect_run(struct tether_expect *e, int64_t deadline,
    struct tether_match **mp)
{
	loop_enter(e->loop);
	return loop_leave(e->loop, expect_run(e, deadline, mp));
}

int
tether_expect_one(struct tether_session *s, const char *re, int64_t deadline,
    struct tether_match **mp)
{
	struct tether_expect	*e;
	int			 r;

	*mp = NULL;
	if ((e = tether_expect_new(tether_session_loop(s))) == NULL)
		return TETHER_ENOMEM;
	loop_enter(e->loop);
	if ((r = tether_expect_regex(e, s, re, 0, 0)) == 0 &&
	    (r = tether_expect_run(e, deadline, mp)) == 0) {
		if (tether_match_outcome(*mp) == TETHER_MATCH_TIMEOUT)
			r = TETHER_ETIMEDOUT;
		else if (tether_match_outcome(*mp) == TETHER_MATCH_EOF)
			r = TETHER_EOF;
	}
	r = loop_leave(e->loop, r);
	tether_expect_free(e);
	return r;
}

void
tether_match_free(struct tether_match *m)
{
	int	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ngroups; i++) {
		if (m->groups != NULL)
			free(m->groups[i]);
		if (m->names != NULL)
			free(m->names[i]);
	}
	free(m->groups);
	free(m->glens);
	free(m->names);
	free(m->before);
	free(m);
}

enum tether_outcome
tether_match_outcome(const struct tether_match *m)
{
	return m->outcome;
}

int
tether_match_id(const struct tether_match *m)
{
	return m->id;
}

struct tether_session *
tether_match_session(const struct tether_match *m)
{
	return m->s;
}

int64_t
tether_match_waited(const struct tether_match *m)
{
	return m->waited;
}

const char *
tether_match_group(const struct tether_match *m, int i, size_t *len)
{
	if (i < 0 || i >= m->ngroups || m->groups[i] == NULL) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = m->glens[i];
	return m->groups[i];
}

int
tether_match_ngroups(const struct tether_match *m)
{
	return m->ngroups;
}

const char *
tether_match_group_name(const struct tether_match *m, int i)
{
	if (i < 0 || i >= m->ngroups || m->names == NULL)
		return NULL;
	return m->names[i];
}

const char *
tether_match_before(const struct tether_match *m, size_t *len)
{
	if (len != NULL)
		*len = m->before_len;
	return m->before != NULL ? m->before : "";
}
