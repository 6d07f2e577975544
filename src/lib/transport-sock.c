/* SPDX-License-Identifier: ISC */
/*
 * transport-sock.c - unix: and tcp: byte streams with non-blocking connect
 * retried until the connect-within deadline.
 *
 * A unix socket whose listen backlog is full fails connect() at once with
 * EAGAIN (it is never "in progress" as TCP is): that attempt is over, and
 * is retried with backoff like a refused one.
 */
#include <sys/socket.h>
#include <sys/un.h>

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

struct sock {
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	char			*desc;		/* "unix:/path", for messages */
	int64_t			 deadline;
	int64_t			 retry;
	int			 connecting;
	int			 attempts;
	int			 last_errno;
};

static int
sock_attempt(struct transport *t)
{
	struct sock	*s = t->priv;
	int		 fd, one = 1;

	s->attempts++;
	fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return tether_loop_seterr(t->loop, TETHER_EIO, "socket: %s",
		    strerror(errno));
	if (s->sa.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&s->sa, s->salen) == 0) {
		t->fd = fd;
		s->connecting = 0;
		t->wake_at = -1;
		return 0;
	}
	if (errno == EINPROGRESS) {
		t->fd = fd;
		s->connecting = 1;
		t->wake_at = s->deadline;	/* give up then */
		return TETHER_EAGAIN;
	}
	s->last_errno = errno;
	close(fd);
	return -1;
}

/* Returns what went wrong with the last attempt, for messages. */
static const char *
sock_why(struct sock *s)
{
	if (s->last_errno == EAGAIN && s->sa.ss_family == AF_UNIX)
		return "its listen backlog is full (EAGAIN): the server is "
		    "not accepting connections";
	return strerror(s->last_errno);
}

/* Schedules another attempt, or fails when the deadline has passed. */
static int
sock_retry(struct transport *t)
{
	struct sock	*s = t->priv;
	int64_t		 now = tether_now_ms();

	if (s->last_errno != ECONNREFUSED && s->last_errno != ENOENT &&
	    s->last_errno != ETIMEDOUT && s->last_errno != ECONNRESET &&
	    s->last_errno != EAGAIN)
		s->deadline = 0;
	if (now >= s->deadline) {
		t->wake_at = -1;
		if (s->attempts > 1)
			return tether_loop_seterr(t->loop, TETHER_ECONNECT,
			    "cannot connect to %s: %s (%d attempts)", s->desc,
			    sock_why(s), s->attempts);
		return tether_loop_seterr(t->loop, TETHER_ECONNECT,
		    "cannot connect to %s: %s", s->desc, sock_why(s));
	}
	t->wake_at = now + s->retry;
	if (t->wake_at > s->deadline)
		t->wake_at = s->deadline;
	s->retry *= 2;
	if (s->retry > SOCK_RETRY_MAX)
		s->retry = SOCK_RETRY_MAX;
	return TETHER_EAGAIN;
}

static int
sock_start(struct transport *t, struct transport_args *a)
{
	struct sock	*s = t->priv;
	int		 r;

	s->deadline = a->deadline;
	s->retry = SOCK_RETRY_MIN;
	if ((r = sock_attempt(t)) != -1)
		return r;
	return sock_retry(t);
}

static int
unix_open(struct transport *t, struct transport_args *a)
{
	struct sock		*s;
	struct sockaddr_un	*sun;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return TETHER_ENOMEM;
	t->priv = s;
	sun = (struct sockaddr_un *)&s->sa;
	if (*a->addr == '\0' || strlen(a->addr) >= sizeof sun->sun_path)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "bad unix socket path \"%s\"", a->addr);
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, a->addr);
	s->salen = sizeof *sun;
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
	struct addrinfo	 hints, *res = NULL;
	char		*host = NULL, port[8];
	int		 p, r, gai;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return TETHER_ENOMEM;
	t->priv = s;
	if (transport_hostport(a->addr, &host, &p) != 0)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "bad address \"%s\": want HOST:PORT", a->addr);
	snprintf(port, sizeof port, "%d", p);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		r = tether_loop_seterr(t->loop, TETHER_ECONNECT,
		    "cannot resolve %s: %s", host, gai_strerror(gai));
		goto out;
	}
	memcpy(&s->sa, res->ai_addr, res->ai_addrlen);
	s->salen = res->ai_addrlen;
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
	int		 err = 0, r;
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
			if (tether_now_ms() < s->deadline)
				return TETHER_EAGAIN;
			err = ETIMEDOUT;
		}
		close(t->fd);
		t->fd = -1;
		s->connecting = 0;
		s->last_errno = err;
		return sock_retry(t);
	}
	if (t->fd != -1)
		return 0;
	if ((r = sock_attempt(t)) != -1)
		return r;
	return sock_retry(t);
}

int
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

int
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
	if (s != NULL)
		free(s->desc);
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
};

const struct transport_ops transport_tcp_ops = {
	.name = "tcp",
	.open = tcp_open,
	.connect = sock_connect,
	.read = sock_read,
	.write = sock_write,
	.events = sock_events,
	.close = sock_close,
};
