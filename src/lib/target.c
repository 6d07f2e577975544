/* SPDX-License-Identifier: ISC */
/*
 * target.c - the scheme table, and tether_session_open: a URI's row
 * becomes a transport chain, its options and its protocol's opening.
 */
#include <stdlib.h>
#include <string.h>

#include "hmp.h"
#include "loop.h"
#include "qga.h"
#include "qmp.h"
#include "session.h"
#include "target.h"
#include "tether.h"
#include "transport.h"

#define TARGET_USAGE_MAX	512

static const struct transport_ops *const target_pty[] = {
	&transport_pty_ops, NULL
};
static const struct transport_ops *const target_unix[] = {
	&transport_unix_ops, NULL
};
static const struct transport_ops *const target_tcp[] = {
	&transport_tcp_ops, NULL
};
static const struct transport_ops *const target_telnet[] = {
	&transport_telnet_ops, &transport_tcp_ops, NULL
};
static const struct transport_ops *const target_telnet_unix[] = {
	&transport_telnet_ops, &transport_unix_ops, NULL
};
static const struct transport_ops *const target_serial[] = {
	&transport_serial_ops, NULL
};
static const struct transport_ops *const target_rfc2217[] = {
	&transport_rfc2217_ops, &transport_tcp_ops, NULL
};
static const struct transport_ops *const target_ssh[] = {
	&transport_ssh_ops, &transport_tcp_ops, NULL
};

/* Listed in the order of target_usage(); the first prefix that fits wins. */
static const struct target targets[] = {
	{ "spawn:", target_pty, "\n", TARGET_PROGRAM | TARGET_SHELL, NULL },
	{ "unix:", target_unix, "\r", TARGET_SHELL, NULL },
	{ "tcp:", target_tcp, "\r", TARGET_SHELL, NULL },
	{ "telnet:", target_telnet, "\r", TARGET_SHELL, NULL },
	{ "telnet+unix:", target_telnet_unix, "\r", TARGET_SHELL, NULL },
	{ "serial:", target_serial, "\r", TARGET_SHELL, NULL },
	{ "rfc2217:", target_rfc2217, "\r", TARGET_SHELL, NULL },
	{ "hmp:", NULL, "\n", TARGET_MONITOR, hmp_open },
	{ "qmp:", NULL, "\n", TARGET_MONITOR, qmp_open },
	{ "qga:", NULL, "\n", TARGET_MONITOR | TARGET_OPEN_LATER,
	    qga_open },
	{ "ssh://", target_ssh, "\n", TARGET_SHELL, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

const struct target *
target_table(void)
{
	return targets;
}

/* Returns the row whose prefix uri starts with, or NULL. */
static const struct target *
target_row(const char *uri)
{
	const struct target	*t;

	for (t = targets; t->prefix != NULL; t++) {
		if (strncmp(uri, t->prefix, strlen(t->prefix)) == 0)
			return t;
	}
	return NULL;
}

/* target := [ protocol-prefix ] prefix address */
const struct target *
target_find(const char *uri, const struct target **proto, const char **addr)
{
	const struct target	*t, *p = NULL;

	if ((t = target_row(uri)) != NULL && t->stack == NULL) {
		p = t;
		uri += strlen(p->prefix);
		t = target_row(uri);
		if (t != NULL && (t->stack == NULL ||
		    (t->flags & TARGET_PROGRAM)))
			t = NULL;
	}
	if (proto != NULL)
		*proto = p;
	if (t != NULL && addr != NULL)
		*addr = uri + strlen(t->prefix);
	return t;
}

const char *
target_usage(void)
{
	static char		 text[TARGET_USAGE_MAX];
	const struct target	*t;
	size_t			 len = 0, n;

	for (t = targets; t->prefix != NULL; t++) {
		n = strlen(t->prefix);
		if (len + n + 5 >= sizeof text)
			break;
		if (t != targets) {
			memcpy(text + len, t[1].prefix != NULL ? ", " : " or ",
			    t[1].prefix != NULL ? 2 : 4);
			len += t[1].prefix != NULL ? 2 : 4;
		}
		memcpy(text + len, t->prefix, n);
		len += n;
	}
	text[len] = '\0';
	return text;
}

/* Builds the chain of row t on s: s->t becomes its top. */
static int
target_chain(struct tether_session *s, const struct target *t)
{
	struct transport	*below = NULL, *tr;
	size_t			 n;

	for (n = 0; t->stack[n] != NULL; n++)
		;
	while (n-- > 0) {
		if ((tr = transport_new(t->stack[n], s->loop)) == NULL) {
			transport_free(below);
			return TETHER_ENOMEM;
		}
		tr->next = below;
		below = tr;
	}
	s->t = below;
	return 0;
}

/* Handles the transcript options, log= and cast=. */
static int
target_logs(struct tether_session *s, struct transport_args *a)
{
	const char	*v;

	if ((v = transport_opt(a, "log")) != NULL &&
	    tether_session_set_log(s, v, NULL) != 0)
		return tether_loop_seterr(s->loop, TETHER_EIO,
		    "log=%s: cannot open", v);
	if ((v = transport_opt(a, "cast")) != NULL &&
	    tether_session_set_log(s, transport_opt(a, "log"), v) != 0)
		return tether_loop_seterr(s->loop, TETHER_EIO,
		    "cast=%s: cannot open", v);
	return 0;
}

static int
target_open(struct tether_loop *loop, const char *name, const char *uri,
    const struct tether_opt *opts, size_t nopts, struct tether_session **out)
{
	struct tether_session	*s = NULL;
	const struct target	*t, *proto;
	struct transport_args	 a;
	unsigned char		*used = NULL;
	int64_t			 within, grace, until;
	int			 r;

	*out = NULL;
	memset(&a, 0, sizeof a);
	if (tether_loop_session(loop, name) != NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "session %s is already open", name);
	if ((used = calloc(nopts + 1, 1)) == NULL)
		return TETHER_ENOMEM;
	if ((r = session_new(loop, name, uri, &s)) != 0)
		goto out;
	if ((t = target_find(uri, &proto, &a.addr)) == NULL) {
		r = tether_loop_seterr(loop, TETHER_EINVAL, "bad target "
		    "\"%s\": want %s", uri, target_usage());
		goto out;
	}
	if ((r = target_chain(s, t)) != 0)
		goto out;
	strcpy(s->eol, proto != NULL ? proto->eol : t->eol);
	s->flags = proto != NULL ? proto->flags : t->flags;
	a.opts = opts;
	a.nopts = nopts;
	a.used = used;
	a.rows = 24;
	a.cols = 80;
	if ((r = session_options(s, &a, &within, &grace)) != 0 ||
	    (r = target_logs(s, &a)) != 0)
		goto out;
	a.deadline = tether_now_ms() + within;
	until = a.deadline + grace;
	if ((r = session_start(s, &a, until)) != 0)
		goto out;
	if (proto != NULL && (proto->flags & TARGET_OPEN_LATER) && grace == 0)
		until = 0;	/* open-within=0: it opens on first use */
	if (proto != NULL && (r = proto->open(s, until)) != 0)
		goto out;
	loop_opened(loop, s);
	*out = s;
	s = NULL;
out:
	tether_session_close(s);
	free(used);
	return r;
}

int
tether_session_open(struct tether_loop *loop, const char *name,
    const char *uri, const struct tether_opt *opts, size_t nopts,
    struct tether_session **out)
{
	loop_enter(loop);
	return loop_leave(loop, target_open(loop, name, uri, opts, nopts,
	    out));
}

/* issue 12: lang */
const char *const *
target_options(void)
{
	static const char *const options[] = {
		/* session.c, target.c */
		"connect-within", "open-within", "line-ending", "match-max",
		"raw-match", "rows", "cols", "log", "cast",
		/* transport-pty.c */
		"echo",
		/* line.c, transport-serial.c */
		"baud", "data", "parity", "stop", "flow", "lock",
		/* transport-telnet.c, transport-ssh.c, ssh-auth.c,
		 * ssh-hostkey.c */
		"term", "command", "exec", "pty", "keepalive", "timeout",
		"user", "password", "passphrase", "identity", "agent",
		"known-hosts", "host-key",
		NULL,
	};

	return options;
}
