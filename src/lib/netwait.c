/* SPDX-License-Identifier: ISC */
/*
 * netwait.c - waiting for the network, beside the shell verbs: wait-net
 * polls the guest's addresses over a logged-in shell (tether_run), and
 * wait-port waits for a host port through a tcp: session and an expect
 * on its banner.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "loop.h"
#include "tether.h"

#define NET_POLL_FIRST		50
#define NET_POLL_MAX		500
#define NET_DHCP_AFTER		3000
#define PORT_POLL_FIRST		10
#define PORT_POLL_MAX		250
#define PORT_BANNER_WAIT	3000

/* The earlier of two deadlines, -1 standing for none. */
static int64_t
net_min(int64_t a, int64_t b)
{
	if (a == -1)
		return b;
	return a < b ? a : b;
}

/*
 * wait-net
 */

/* Compiles re; returns NULL with the message set. */
static pcre2_code *
net_compile(struct tether_loop *loop, const char *re)
{
	pcre2_code	*c;
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[256];
	int		 ec;

	c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &ec, &off,
	    NULL);
	if (c == NULL) {
		pcre2_get_error_message(ec, msg, sizeof msg);
		tether_loop_seterr(loop, TETHER_EINVAL, "bad regex /%s/ at "
		    "offset %zu: %s", re, (size_t)off, (char *)msg);
	}
	return c;
}

/* Finds the first non-loopback IPv4 address in out that matches. */
static char *
net_find(const char *out, pcre2_code *inet, pcre2_code *want)
{
	pcre2_match_data	*md, *md2;
	PCRE2_SIZE		*ov;
	size_t			 len = strlen(out), at = 0;
	char			*addr = NULL, a[64];
	size_t			 al;

	md = pcre2_match_data_create_from_pattern(inet, NULL);
	md2 = want != NULL ? pcre2_match_data_create_from_pattern(want,
	    NULL) : NULL;
	if (md == NULL || (want != NULL && md2 == NULL))
		goto out;
	while (at < len && pcre2_match(inet, (PCRE2_SPTR)out, len, at, 0, md,
	    NULL) > 1) {
		ov = pcre2_get_ovector_pointer(md);
		at = ov[1];
		al = ov[3] - ov[2];
		if (al >= sizeof a)
			continue;
		memcpy(a, out + ov[2], al);
		a[al] = '\0';
		if (strncmp(a, "127.", 4) == 0)
			continue;
		if (want != NULL && pcre2_match(want, (PCRE2_SPTR)a, al, 0, 0,
		    md2, NULL) < 0)
			continue;
		addr = strdup(a);
		break;
	}
out:
	pcre2_match_data_free(md);
	pcre2_match_data_free(md2);
	return addr;
}

/* Waits until passes, reading every session.  Returns 0 or EINTR. */
static int
net_sleep(struct tether_loop *loop, int64_t until)
{
	int	r;

	while (tether_now_ms() < until) {
		r = tether_loop_once(loop, until);
		if (r == TETHER_EINTR)
			return r;
	}
	return 0;
}

/* An interface name safe to put on a shell command line. */
static int
net_iface_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._-@:", *s) != NULL))
			return 0;
	}
	return 1;
}

static int
netwait_net(struct tether_session *s, const struct tether_waitnet_opts *o,
    int64_t deadline, char **addrp)
{
	struct tether_loop	*loop = tether_session_loop(s);
	pcre2_code		*inet = NULL, *want = NULL;
	char			 cmd[512], kick[512], *out = NULL;
	const char		*ifc = o != NULL ? o->iface : NULL;
	int64_t			 started = tether_now_ms(), every, now;
	int			 r, status, kicked = 0, polls = 0;

	*addrp = NULL;
	if (ifc != NULL && (*ifc == '\0' || !net_iface_ok(ifc)))
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "wait-net: bad interface name \"%s\"", ifc);
	if ((inet = net_compile(loop,
	    "inet (?:addr:)?(\\d+\\.\\d+\\.\\d+\\.\\d+)")) == NULL ||
	    (o != NULL && o->match != NULL &&
	    (want = net_compile(loop, o->match)) == NULL)) {
		r = TETHER_EINVAL;
		goto out;
	}
	if (ifc != NULL) {
		snprintf(cmd, sizeof cmd, "ip -4 -o addr show dev %s "
		    "2>/dev/null || ifconfig %s 2>/dev/null", ifc, ifc);
		snprintf(kick, sizeof kick, "udhcpc -n -q -t 3 -T 1 -i %s "
		    ">/dev/null 2>&1 || dhclient -1 %s >/dev/null 2>&1", ifc,
		    ifc);
	} else {
		snprintf(cmd, sizeof cmd, "ip -4 -o addr show 2>/dev/null || "
		    "ifconfig 2>/dev/null");
		snprintf(kick, sizeof kick, "for i in /sys/class/net/*; do "
		    "i=${i##*/}; [ \"$i\" = lo ] && continue; "
		    "udhcpc -n -q -t 3 -T 1 -i \"$i\" >/dev/null 2>&1 || "
		    "dhclient -1 \"$i\" >/dev/null 2>&1; done");
	}
	every = NET_POLL_FIRST;
	for (;;) {
		free(out);
		out = NULL;
		if ((r = tether_run(s, cmd, deadline, &out, &status)) != 0)
			goto out;
		polls++;
		if ((*addrp = net_find(out, inet, want)) != NULL)
			break;
		now = tether_now_ms();
		if (deadline != -1 && now >= deadline) {
			r = tether_loop_seterr(loop, TETHER_ETIMEDOUT,
			    "wait-net %s: no IPv4 address%s%s%s on %s after "
			    "%lld ms (%d polls%s)", tether_session_name(s),
			    want != NULL ? " matching /" : "",
			    want != NULL ? o->match : "",
			    want != NULL ? "/" : "",
			    ifc != NULL ? ifc : "any interface",
			    (long long)(now - started), polls,
			    kicked ? ", DHCP kicked" : "");
			goto out;
		}
		if (o != NULL && o->dhcp && !kicked &&
		    now - started >= NET_DHCP_AFTER) {
			kicked = 1;
			free(out);
			out = NULL;
			if ((r = tether_run(s, kick, deadline, &out,
			    &status)) != 0)
				goto out;
			continue;
		}
		if ((r = net_sleep(loop, net_min(deadline, now + every))) != 0)
			goto out;
		if ((every *= 2) > NET_POLL_MAX)
			every = NET_POLL_MAX;
	}
	r = 0;
out:
	free(out);
	pcre2_code_free(inet);
	pcre2_code_free(want);
	return r;
}

int
tether_wait_net(struct tether_session *s, const struct tether_waitnet_opts *o,
    int64_t deadline, char **addrp)
{
	loop_enter(tether_session_loop(s));
	return loop_leave(tether_session_loop(s), netwait_net(s, o, deadline, addrp));
}

/*
 * wait-port
 */

/*
 * One try: a tcp: session on uri, connected by until and, with banner,
 * sending bytes that match it by then.  Returns 0 when the port is ready,
 * TETHER_EAGAIN to try again, TETHER_EINTR or TETHER_ENOMEM.
 */
static int
port_try(struct tether_loop *loop, const char *name, const char *uri,
    const char *banner, int64_t until)
{
	struct tether_session	*s = NULL;
	struct tether_expect	*e = NULL;
	struct tether_match	*m = NULL;
	struct tether_opt	 opt;
	char			 within[32];
	int64_t			 left = until - tether_now_ms();
	int			 r;

	snprintf(within, sizeof within, "%lldms",
	    (long long)(left > 0 ? left : 0));
	opt.key = "connect-within";
	opt.value = within;
	if ((r = tether_session_open(loop, name, uri, &opt, 1, &s)) != 0)
		goto out;
	if (banner == NULL)
		goto out;
	/* The banner as sent, escape sequences and all. */
	tether_session_set_raw_match(s, 1);
	if ((e = tether_expect_new(loop)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	if ((r = tether_expect_regex(e, s, banner, 0, 1)) != 0 ||
	    (r = tether_expect_run(e, until, &m)) != 0)
		goto out;
	/* Closed or silent: nobody behind the port yet. */
	if (tether_match_outcome(m) != TETHER_MATCH_PATTERN)
		r = TETHER_EAGAIN;
out:
	tether_match_free(m);
	tether_expect_free(e);
	tether_session_close(s);
	if (r != 0 && r != TETHER_EINTR && r != TETHER_ENOMEM)
		r = TETHER_EAGAIN;
	return r;
}

static int
netwait_port(struct tether_loop *loop, const char *host, int port,
    const char *banner_re, int64_t deadline)
{
	struct addrinfo		 hints, *res = NULL;
	pcre2_code		*banner;
	char			 ps[16], *name = NULL, *uri = NULL;
	const char		*lb, *rb;
	int64_t			 started = tether_now_ms(), every, now, until;
	int			 r, tries = 0;

	if (port <= 0 || port > 65535)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "wait-port: bad port %d", port);
	/* A bad pattern or host fails at once, not after the deadline. */
	if (banner_re != NULL) {
		if ((banner = net_compile(loop, banner_re)) == NULL)
			return TETHER_EINVAL;
		pcre2_code_free(banner);
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof ps, "%d", port);
	if ((r = getaddrinfo(host, ps, &hints, &res)) != 0)
		return tether_loop_seterr(loop, TETHER_EINVAL, "wait-port "
		    "%s:%d: %s", host, port, gai_strerror(r));
	freeaddrinfo(res);
	lb = strchr(host, ':') != NULL ? "[" : "";
	rb = *lb != '\0' ? "]" : "";
	if (asprintf(&name, "wait-port:%s%s%s:%d", lb, host, rb, port) == -1)
		name = NULL;
	if (asprintf(&uri, "tcp:%s%s%s:%d", lb, host, rb, port) == -1)
		uri = NULL;
	if (name == NULL || uri == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	every = PORT_POLL_FIRST;
	for (;;) {
		tries++;
		until = net_min(deadline, tether_now_ms() + PORT_BANNER_WAIT);
		if ((r = port_try(loop, name, uri, banner_re, until)) !=
		    TETHER_EAGAIN)
			goto out;
		now = tether_now_ms();
		if (deadline != -1 && now >= deadline) {
			r = tether_loop_seterr(loop, TETHER_ETIMEDOUT,
			    "wait-port %s:%d: %s after %lld ms (%d tries)",
			    host, port, banner_re != NULL ? "no banner "
			    "matching the pattern" : "not accepting",
			    (long long)(now - started), tries);
			goto out;
		}
		if ((r = net_sleep(loop, net_min(deadline, now + every))) != 0)
			goto out;
		if ((every *= 2) > PORT_POLL_MAX)
			every = PORT_POLL_MAX;
	}
out:
	free(name);
	free(uri);
	return r;
}

int
tether_wait_port(struct tether_loop *loop, const char *host, int port,
    const char *banner_re, int64_t deadline)
{
	loop_enter(loop);
	return loop_leave(loop, netwait_port(loop, host, port, banner_re, deadline));
}
