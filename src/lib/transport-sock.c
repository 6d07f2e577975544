/* SPDX-License-Identifier: ISC */
/*
 * transport-sock.c - unix: and tcp: byte streams: the one connector, a
 * non-blocking connect to every address in turn, retried until the
 * connect-within deadline.
 *
 * A tcp: name may stand for several addresses (::1 and 127.0.0.1 for
 * localhost): each is tried in the order getaddrinfo gives them, the
 * next one when a connect fails or, while more are left, when it has not
 * completed within SOCK_ADDR_MS; a round where all failed is retried
 * with backoff under connect-within, and the error names the last
 * failure.  A connect in progress on the last address is bounded by the
 * session's open-within, not by connect-within.
 *
 * A unix socket whose listen backlog is full fails connect() at once with
 * EAGAIN (it is never "in progress" as TCP is): that attempt is over, and
 * is retried with backoff like a refused one.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tether.h"
#include "transport.h"

#define SOCK_RETRY_MIN	10	/* ms between attempts, doubling ... */
#define SOCK_RETRY_MAX	200	/* ... up to this */
#define SOCK_ADDR_MS	2000	/* a connect in progress, then the next */
#define SOCK_NONE_LEFT	2	/* sock_attempt: every address failed */

struct sock_addr {
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
};

struct sock {
	struct sock_addr	*addrs;		/* tried in this order */
	size_t			 naddrs;
	size_t			 cur;		/* the one being tried */
	char			*desc;		/* "unix:/path", for messages */
	int64_t			 deadline;
	int64_t			 retry;
	int			 connecting;
	int			 attempts;	/* rounds over every address */
	int			 last_errno;
	size_t			 last;		/* address of last_errno */
};

/* Closes the socket being connected, keeping why it failed. */
static void
sock_abandon(struct transport *t, int err)
{
	struct sock	*s = t->priv;

	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
	s->connecting = 0;
	s->last_errno = err;
	s->last = s->cur;
}

/*
 * Connects to the addresses from s->cur on, until one connects or is in
 * progress.  Returns 0 when connected, TETHER_EAGAIN when in progress,
 * SOCK_NONE_LEFT when every one left failed (last_errno says why), or an
 * error.
 */
static int
sock_attempt(struct transport *t)
{
	struct sock		*s = t->priv;
	struct sock_addr	*a;
	int			 fd, one = 1;

	if (s->cur == 0)
		s->attempts++;
	for (; s->cur < s->naddrs; s->cur++) {
		a = &s->addrs[s->cur];
		fd = socket(a->sa.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1 && (errno == EAFNOSUPPORT ||
		    errno == EPROTONOSUPPORT)) {
			sock_abandon(t, errno);	/* no IPv6 here: the next */
			continue;
		}
		if (fd == -1)
			return tether_loop_seterr(t->loop, TETHER_EIO,
			    "socket: %s", strerror(errno));
		if (a->sa.ss_family != AF_UNIX)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof one);
		t->fd = fd;
		if (connect(fd, (struct sockaddr *)&a->sa, a->salen) == 0) {
			s->connecting = 0;
			t->wake_at = -1;
			return 0;
		}
		if (errno == EINPROGRESS) {
			s->connecting = 1;
			t->wake_at = s->cur + 1 < s->naddrs ?
			    tether_now_ms() + SOCK_ADDR_MS : -1;
			return TETHER_EAGAIN;
		}
		sock_abandon(t, errno);
	}
	return SOCK_NONE_LEFT;
}

/* Returns what went wrong with the last attempt, for messages. */
static const char *
sock_why(struct sock *s)
{
	if (s->last_errno == EAGAIN && s->addrs[0].sa.ss_family == AF_UNIX)
		return "its listen backlog is full (EAGAIN): the server is "
		    "not accepting connections";
	return strerror(s->last_errno);
}

/* Fails the connect, naming the last failure. */
static int
sock_fail(struct transport *t)
{
	struct sock	*s = t->priv;
	char		 host[INET6_ADDRSTRLEN], where[INET6_ADDRSTRLEN + 40];
	void		*in;

	where[0] = '\0';
	if (s->naddrs > 1) {
		if (s->addrs[s->last].sa.ss_family == AF_INET6)
			in = &((struct sockaddr_in6 *)
			    &s->addrs[s->last].sa)->sin6_addr;
		else
			in = &((struct sockaddr_in *)
			    &s->addrs[s->last].sa)->sin_addr;
		if (inet_ntop(s->addrs[s->last].sa.ss_family, in, host,
		    sizeof host) == NULL)
			strcpy(host, "?");
		snprintf(where, sizeof where, " (%zu addresses; the last, %s)",
		    s->naddrs, host);
	}
	if (s->attempts > 1)
		return tether_loop_seterr(t->loop, TETHER_ECONNECT,
		    "cannot connect to %s%s: %s (%d attempts)", s->desc, where,
		    sock_why(s), s->attempts);
	return tether_loop_seterr(t->loop, TETHER_ECONNECT,
	    "cannot connect to %s%s: %s", s->desc, where, sock_why(s));
}

/* Schedules another round, or fails when the deadline has passed. */
static int
sock_retry(struct transport *t)
{
	struct sock	*s = t->priv;
	int64_t		 now = tether_now_ms();

	s->cur = 0;
	if (s->last_errno != ECONNREFUSED && s->last_errno != ENOENT &&
	    s->last_errno != ETIMEDOUT && s->last_errno != ECONNRESET &&
	    s->last_errno != EAGAIN && s->last_errno != ENETUNREACH &&
	    s->last_errno != EHOSTUNREACH)
		s->deadline = 0;
	if (now >= s->deadline) {
		t->wake_at = -1;
		return sock_fail(t);
	}
	t->wake_at = now + s->retry;
	if (t->wake_at > s->deadline)
		t->wake_at = s->deadline;
	s->retry *= 2;
	if (s->retry > SOCK_RETRY_MAX)
		s->retry = SOCK_RETRY_MAX;
	return TETHER_EAGAIN;
}

/* Tries the addresses from s->cur on; a failed round is retried. */
static int
sock_next(struct transport *t)
{
	int	r;

	if ((r = sock_attempt(t)) != SOCK_NONE_LEFT)
		return r;
	return sock_retry(t);
}

static int
sock_start(struct transport *t, struct transport_args *a)
{
	struct sock	*s = t->priv;

	s->deadline = a->deadline;
	s->retry = SOCK_RETRY_MIN;
	return sock_next(t);
}

/* Makes t's private state with room for n addresses. */
static struct sock *
sock_new(struct transport *t, size_t n)
{
	struct sock	*s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	t->priv = s;
	if ((s->addrs = calloc(n, sizeof *s->addrs)) == NULL)
		return NULL;
	s->naddrs = n;
	return s;
}

static int
unix_open(struct transport *t, struct transport_args *a)
{
	struct sock		*s;
	struct sockaddr_un	*sun;

	if ((s = sock_new(t, 1)) == NULL)
		return TETHER_ENOMEM;
	sun = (struct sockaddr_un *)&s->addrs[0].sa;
	if (*a->addr == '\0' || strlen(a->addr) >= sizeof sun->sun_path)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "bad unix socket path \"%s\"", a->addr);
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, a->addr);
	s->addrs[0].salen = sizeof *sun;
	if (asprintf(&s->desc, "unix:%s", a->addr) == -1) {
		s->desc = NULL;
		return TETHER_ENOMEM;
	}
	return sock_start(t, a);
}

static int
tcp_open(struct transport *t, struct transport_args *a)
{
	struct sock	*s;
	struct addrinfo	 hints, *res = NULL, *ai;
	char		*host = NULL, port[8];
	size_t		 n = 0;
	int		 p, r, gai;

	if (transport_hostport(a->addr, &host, &p) != 0)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "bad address \"%s\": want HOST:PORT", a->addr);
	snprintf(port, sizeof port, "%d", p);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		res = NULL;
		r = tether_loop_seterr(t->loop, TETHER_ECONNECT,
		    "cannot resolve %s: %s", host, gai_strerror(gai));
		goto out;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	if ((s = sock_new(t, n)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	for (n = 0, ai = res; ai != NULL; ai = ai->ai_next, n++) {
		memcpy(&s->addrs[n].sa, ai->ai_addr, ai->ai_addrlen);
		s->addrs[n].salen = ai->ai_addrlen;
	}
	if (asprintf(&s->desc, "tcp:%s", a->addr) == -1) {
		s->desc = NULL;
		r = TETHER_ENOMEM;
		goto out;
	}
	r = sock_start(t, a);
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return r;
}

static int
sock_connect(struct transport *t)
{
	struct sock	*s = t->priv;
	int		 err = 0, held, r;
	socklen_t	 len = sizeof err;

	if (s->connecting) {
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err == 0) {
			/* Writable with no error means connected. */
			struct sockaddr_storage	 peer;
			socklen_t		 plen = sizeof peer;

			if (getpeername(t->fd, (struct sockaddr *)&peer,
			    &plen) == 0) {
				s->connecting = 0;
				t->wake_at = -1;
				return 0;
			}
			if (t->wake_at == -1 || tether_now_ms() < t->wake_at)
				return TETHER_EAGAIN;
			err = ETIMEDOUT;	/* the next address now */
		}
		/*
		 * The failed socket is closed only once the next one is
		 * made: a new socket with the same number would look like
		 * the old one to the loop, whose registration of it went
		 * away with the close.
		 */
		held = t->fd;
		t->fd = -1;
		sock_abandon(t, err);
		s->cur++;
		r = sock_next(t);
		close(held);
		return r;
	}
	if (t->fd != -1)
		return 0;
	return sock_next(t);
}

/* Closes the connection and connects again after the backoff. */
static int
sock_redial(struct transport *t)
{
	sock_abandon(t, ECONNRESET);
	return sock_retry(t);
}

static int
sock_read(struct transport *t, void *p, size_t n, size_t *nread)
{
	ssize_t	r;

	r = read(t->fd, p, n);
	if (r > 0) {
		*nread = (size_t)r;
		return 0;
	}
	if (r == 0)
		return TETHER_EOF;
	if (errno == EAGAIN || errno == EINTR)
		return TETHER_EAGAIN;
	if (errno == ECONNRESET || errno == EIO || errno == EPIPE)
		return TETHER_EOF;
	return tether_loop_seterr(t->loop, TETHER_EIO, "read: %s",
	    strerror(errno));
}

static int
sock_write(struct transport *t, const void *p, size_t n, size_t *nwritten)
{
	ssize_t	r;

	r = send(t->fd, p, n, MSG_NOSIGNAL);
	if (r >= 0) {
		*nwritten = (size_t)r;
		return r == 0 ? TETHER_EAGAIN : 0;
	}
	if (errno == EAGAIN || errno == EINTR)
		return TETHER_EAGAIN;
	if (errno == EPIPE || errno == ECONNRESET || errno == EIO)
		return TETHER_EOF;
	return tether_loop_seterr(t->loop, TETHER_EIO, "write: %s",
	    strerror(errno));
}

static int
sock_events(struct transport *t)
{
	struct sock	*s = t->priv;

	if (t->fd == -1)
		return 0;
	if (s->connecting)
		return POLLOUT;
	return POLLIN;
}

static void
sock_close(struct transport *t)
{
	struct sock	*s = t->priv;

	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
	if (s != NULL) {
		free(s->addrs);
		free(s->desc);
	}
	free(s);
	t->priv = NULL;
}

const struct transport_ops transport_unix_ops = {
	.name = "unix",
	.open = unix_open,
	.connect = sock_connect,
	.read = sock_read,
	.write = sock_write,
	.events = sock_events,
	.close = sock_close,
	.redial = sock_redial,
};

const struct transport_ops transport_tcp_ops = {
	.name = "tcp",
	.open = tcp_open,
	.connect = sock_connect,
	.read = sock_read,
	.write = sock_write,
	.events = sock_events,
	.close = sock_close,
	.redial = sock_redial,
};
