/* SPDX-License-Identifier: ISC */
/*
 * builtin-xfer.c - the verbs that copy files: put and get (tether_put,
 * tether_get), with their progress on the live status line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "interp-int.h"		/* interp_live, interp_status */
#include "interp.h"
#include "tether.h"
#include "value.h"

#define XFER_TIMEOUT	300000	/* ms without timeout DUR: 5 minutes */
#define XFER_TICK	200	/* ms between status line updates */

int	builtin_put(struct builtin_call *);
int	builtin_get(struct builtin_call *);

struct xfer_live {
	struct interp	*ip;
	const char	*verb;
	const char	*name;
	int64_t		 deadline;
	int64_t		 started;
	int64_t		 shown;
};

/* Writes n bytes as "512 KiB" into b. */
static void
xfer_size(char *b, size_t len, uint64_t n)
{
	if (n >= 10 * 1024 * 1024)
		snprintf(b, len, "%llu MiB", (unsigned long long)(n >> 20));
	else if (n >= 10 * 1024)
		snprintf(b, len, "%llu KiB", (unsigned long long)(n >> 10));
	else
		snprintf(b, len, "%llu bytes", (unsigned long long)n);
}

/* tether_progress_fn: the status line, at most every XFER_TICK ms. */
static void
xfer_progress(void *arg, uint64_t done, uint64_t total)
{
	struct xfer_live	*l = arg;
	char			 what[160], d[32], t[32];
	int64_t			 now = tether_now_ms(), ms;

	if (now - l->shown < XFER_TICK && done < total)
		return;
	l->shown = now;
	ms = now - l->started > 0 ? now - l->started : 1;
	xfer_size(d, sizeof d, done);
	xfer_size(t, sizeof t, total);
	snprintf(what, sizeof what, "%s %s: %s of %s (%llu KB/s)", l->verb,
	    l->name, d, t, (unsigned long long)(done / (uint64_t)ms));
	interp_status(l->ip, what, l->deadline - now);
}

/* Sets the -> VAR of a transfer: {method, bytes, ms, sha256, kbps}. */
static void
xfer_result(struct builtin_call *c, const struct tether_xfer_info *info)
{
	struct value	*v = value_map();

	value_map_set(v, "method", value_strz(info->method));
	value_map_set(v, "bytes", value_int((int64_t)info->bytes));
	value_map_set(v, "ms", value_int(info->ms));
	value_map_set(v, "sha256", value_strz(info->sha256));
	value_map_set(v, "kbps", value_int((int64_t)(info->bytes /
	    (uint64_t)(info->ms > 0 ? info->ms : 1))));
	builtin_result(c, v);
}

/* Takes the words common to put and get.  Returns 0 or -1. */
static int
xfer_words(struct builtin_call *c, struct tether_session **s,
    const char **from, const char **to, int64_t *deadline)
{
	struct builtin_arg	*a, *f, *t;
	int64_t			 ms = XFER_TIMEOUT;

	if ((a = builtin_keyword(c, "timeout")) != NULL &&
	    builtin_duration(c, a, &ms) != 0)
		return -1;
	if (builtin_session(c, builtin_next(c), s) != 0)
		return -1;
	if ((f = builtin_next(c)) == NULL || (t = builtin_next(c)) == NULL)
		return builtin_fail(c, TETHER_EINVAL, "usage: %s",
		    c->st->bi->usage);
	*from = builtin_str(f);
	*to = builtin_str(t);
	*deadline = builtin_deadline(c, ms);
	return 0;
}

/* Runs the transfer (put nonzero: tether_put) with the live line. */
static int
xfer_run(struct builtin_call *c, int put, struct tether_session *s,
    const char *from, const char *to, int mode, int64_t deadline)
{
	struct tether_xfer_info	 info;
	struct xfer_live	 l;
	int			 r;

	memset(&l, 0, sizeof l);
	l.ip = c->ip;
	l.verb = put ? "put" : "get";
	l.name = tether_session_name(s);
	l.deadline = deadline;
	l.started = tether_now_ms();
	tether_loop_seterr(interp_loop(c->ip), 0, "%s", "");
	if (put)
		r = tether_put(s, from, to, mode, deadline,
		    interp_live(c->ip) ? xfer_progress : NULL, &l, &info);
	else
		r = tether_get(s, from, to, deadline,
		    interp_live(c->ip) ? xfer_progress : NULL, &l, &info);
	if (interp_live(c->ip))
		interp_status(c->ip, NULL, 0);
	if (r != 0) {
		interp_fail(c->ip, &c->st->loc, r, "%s",
		    tether_loop_errmsg(interp_loop(c->ip)));
		return -1;
	}
	interp_trace(c->ip, "%s %s: %llu bytes by %s in %lld ms", l.verb,
	    l.name, (unsigned long long)info.bytes, info.method,
	    (long long)info.ms);
	xfer_result(c, &info);
	return 0;
}

/* put SESSION LOCAL REMOTE [mode=0644] [timeout DUR] [-> VAR] */
int
builtin_put(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*a;
	const char		*from, *to, *v;
	char			*ep;
	int64_t			 deadline;
	long			 mode = 0644;

	if ((a = builtin_opt(c, "mode")) != NULL) {
		v = builtin_str(a);
		errno = 0;
		mode = strtol(v, &ep, 8);
		if (*v == '\0' || *ep != '\0' || errno != 0 || mode < 0 ||
		    mode > 07777)
			return builtin_fail(c, TETHER_EINVAL, "mode=%s: want "
			    "octal permissions (0644)", v);
	}
	if (xfer_words(c, &s, &from, &to, &deadline) != 0 ||
	    builtin_finish(c) != 0)
		return -1;
	return xfer_run(c, 1, s, from, to, (int)mode, deadline);
}

/* get SESSION REMOTE LOCAL [timeout DUR] [-> VAR] */
int
builtin_get(struct builtin_call *c)
{
	struct tether_session	*s;
	const char		*from, *to;
	int64_t			 deadline;

	if (xfer_words(c, &s, &from, &to, &deadline) != 0 ||
	    builtin_finish(c) != 0)
		return -1;
	return xfer_run(c, 0, s, from, to, -1, deadline);
}
