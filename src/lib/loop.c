/* SPDX-License-Identifier: ISC */
/*
 * loop.c - the event loop: one epoll set for every session and watcher,
 * deadlines on the monotonic clock, an eventfd to interrupt a wait.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect-int.h"
#include "loop.h"
#include "redact.h"
#include "session.h"
#include "tether.h"

#define LOOP_READBUF	(64 * 1024)
#define LOOP_MAXEVENTS	64

struct loop_watch {
	struct tether_loop	*loop;
	int			 fd;
	int			 events;
	loop_watch_fn		 fn;
	void			*arg;
	int			 dead;
	struct loop_watch	*next_dead;
};

struct tether_loop {
	int			 epfd;
	int			 evfd;		/* interrupt wake-up */
	volatile sig_atomic_t	 interrupted;
	struct tether_session	*first, *last;
	int			 dispatching;
	struct loop_watch	*dead;		/* freed after dispatch */
	char			*readbuf;
	char			 errmsg[1024];
	struct tether_expect	*active;	/* the running expect set */
	void			(*on_open)(struct tether_session *, void *);
	void			*on_open_arg;
	void			(*tick)(void *);
	void			*tick_arg;
	int64_t			 tick_period;
	int64_t			 tick_next;
	char			**secrets;	/* run-wide, see redact.h */
	size_t			 nsecrets;
	char			 lost[512];	/* first transcript loss */
};

struct tether_loop *
tether_loop_new(void)
{
	struct tether_loop	*loop;
	struct epoll_event	 ev;

	if ((loop = calloc(1, sizeof *loop)) == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	loop->readbuf = malloc(LOOP_READBUF);
	if (loop->epfd == -1 || loop->evfd == -1 || loop->readbuf == NULL)
		goto fail;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;		/* NULL marks the eventfd */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->evfd, &ev) == -1)
		goto fail;
	return loop;
fail:
	tether_loop_free(loop);
	return NULL;
}

static void
loop_reap_dead(struct tether_loop *loop)
{
	struct loop_watch	*w;

	while ((w = loop->dead) != NULL) {
		loop->dead = w->next_dead;
		free(w);
	}
}

void
tether_loop_free(struct tether_loop *loop)
{
	size_t	i;

	if (loop == NULL)
		return;
	while (loop->first != NULL)
		tether_session_close(loop->first);
	loop_reap_dead(loop);
	if (loop->epfd != -1 && loop->epfd != 0)
		close(loop->epfd);
	if (loop->evfd != -1 && loop->evfd != 0)
		close(loop->evfd);
	free(loop->readbuf);
	for (i = 0; i < loop->nsecrets; i++) {
		explicit_bzero(loop->secrets[i], strlen(loop->secrets[i]));
		free(loop->secrets[i]);
	}
	free(loop->secrets);
	free(loop);
}

void
tether_loop_add_secret(struct tether_loop *loop, const char *secret)
{
	char	**ns;
	size_t	  i;

	if (loop == NULL || secret == NULL || *secret == '\0')
		return;
	for (i = 0; i < loop->nsecrets; i++) {
		if (strcmp(loop->secrets[i], secret) == 0)
			return;
	}
	ns = realloc(loop->secrets, (loop->nsecrets + 1) * sizeof *ns);
	if (ns == NULL)
		return;
	loop->secrets = ns;
	if ((loop->secrets[loop->nsecrets] = strdup(secret)) != NULL)
		loop->nsecrets++;
}

char *const *
loop_secrets(struct tether_loop *loop, size_t *n)
{
	*n = loop->nsecrets;
	return loop->secrets;
}

char *
tether_loop_redact(struct tether_loop *loop, const char *str, size_t len,
    size_t *outlen)
{
	struct buf	 b;
	char *const	*sec;
	size_t		 n;

	sec = loop_secrets(loop, &n);
	buf_init(&b, 0);
	if (redact_string(sec, n, str, len, &b) != 0 ||
	    buf_reserve(&b, 1) != 0) {
		buf_free(&b);
		return NULL;
	}
	if (outlen != NULL)
		*outlen = b.len;
	return buf_steal(&b);
}

const char *
tether_loop_lost(struct tether_loop *loop)
{
	return loop->lost[0] != '\0' ? loop->lost : NULL;
}

void
loop_set_lost(struct tether_loop *loop, const char *path, int err)
{
	if (loop->lost[0] == '\0')
		snprintf(loop->lost, sizeof loop->lost, "cannot write %s: %s",
		    path, strerror(err));
}

void
tether_loop_interrupt(struct tether_loop *loop)
{
	uint64_t	one = 1;
	int		saved = errno;

	loop->interrupted = 1;
	if (write(loop->evfd, &one, sizeof one) == -1) {
		/* Already signalled: the counter is non-zero. */
	}
	errno = saved;
}

int
tether_loop_interrupted(struct tether_loop *loop)
{
	return loop->interrupted;
}

void
tether_loop_clear_interrupt(struct tether_loop *loop)
{
	uint64_t	cnt;

	loop->interrupted = 0;
	if (read(loop->evfd, &cnt, sizeof cnt) == -1) {
		/* Not signalled: nothing to drain. */
	}
}

const char *
tether_loop_errmsg(struct tether_loop *loop)
{
	return loop->errmsg;
}

int
tether_loop_seterr(struct tether_loop *loop, int r, const char *fmt, ...)
{
	va_list	ap;
	char	tmp[sizeof loop->errmsg];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);	/* fmt may use errmsg */
	va_end(ap);
	memcpy(loop->errmsg, tmp, sizeof tmp);
	return r;
}

struct tether_session *
tether_loop_session(struct tether_loop *loop, const char *name)
{
	struct tether_session	*s;

	for (s = loop->first; s != NULL; s = s->next) {
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

void
tether_loop_foreach(struct tether_loop *loop,
    void (*fn)(struct tether_session *, void *), void *arg)
{
	struct tether_session	*s, *next;

	for (s = loop->first; s != NULL; s = next) {
		next = s->next;
		fn(s, arg);
	}
}

struct loop_watch *
loop_watch_add(struct tether_loop *loop, int fd, int events,
    loop_watch_fn fn, void *arg)
{
	struct loop_watch	*w;
	struct epoll_event	 ev;

	if ((w = calloc(1, sizeof *w)) == NULL) {
		tether_loop_seterr(loop, TETHER_ENOMEM, "out of memory");
		return NULL;
	}
	w->loop = loop;
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	memset(&ev, 0, sizeof ev);
	ev.events = (uint32_t)events;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		tether_loop_seterr(loop, TETHER_EIO, "epoll: %s",
		    strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

void
loop_watch_mod(struct loop_watch *w, int events)
{
	struct epoll_event	ev;

	if (w->events == events)
		return;
	w->events = events;
	memset(&ev, 0, sizeof ev);
	ev.events = (uint32_t)events;
	ev.data.ptr = w;
	epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void
loop_watch_del(struct loop_watch *w)
{
	if (w == NULL)
		return;
	/* The fd may already be closed, which removed it from the set. */
	epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = 1;
	w->next_dead = w->loop->dead;
	w->loop->dead = w;
	if (!w->loop->dispatching)
		loop_reap_dead(w->loop);
}

void
loop_session_add(struct tether_loop *loop, struct tether_session *s)
{
	s->prev = loop->last;
	s->next = NULL;
	if (loop->last != NULL)
		loop->last->next = s;
	else
		loop->first = s;
	loop->last = s;
}

void
loop_session_del(struct tether_loop *loop, struct tether_session *s)
{
	loop_watch_del(s->watch);
	s->watch = NULL;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else if (loop->first == s)
		loop->first = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else if (loop->last == s)
		loop->last = s->prev;
	s->prev = s->next = NULL;
}

void
tether_loop_set_tick(struct tether_loop *loop, int64_t period,
    void (*fn)(void *), void *arg)
{
	loop->tick = fn;
	loop->tick_arg = arg;
	loop->tick_period = period > 0 ? period : 1000;
	loop->tick_next = tether_now_ms() + loop->tick_period;
}

/* Calls the tick when it is due.  Returns its next time, or -1. */
static int64_t
loop_tick(struct tether_loop *loop, int64_t now)
{
	if (loop->tick == NULL)
		return -1;
	if (now >= loop->tick_next) {
		loop->tick_next = now + loop->tick_period;
		loop->tick(loop->tick_arg);
	}
	return loop->tick_next;
}

void
tether_loop_set_on_open(struct tether_loop *loop,
    void (*fn)(struct tether_session *, void *), void *arg)
{
	loop->on_open = fn;
	loop->on_open_arg = arg;
}

void
loop_opened(struct tether_loop *loop, struct tether_session *s)
{
	if (loop->on_open != NULL)
		loop->on_open(s, loop->on_open_arg);
}

char *
loop_readbuf(struct tether_loop *loop, size_t *len)
{
	*len = LOOP_READBUF;
	return loop->readbuf;
}

struct tether_expect *
loop_active(struct tether_loop *loop)
{
	return loop->active;
}

void
loop_set_active(struct tether_loop *loop, struct tether_expect *e)
{
	loop->active = e;
}

static void
loop_session_ready(int fd, int revents, void *arg)
{
	session_handle(arg, revents);
}

/*
 * Brings a session's epoll registration in line with its fd and the
 * events it wants now.  Returns its wake-up time, or -1.
 */
static int64_t
loop_session_sync(struct tether_loop *loop, struct tether_session *s)
{
	int	fd, ev;

	if (s->t == NULL || s->state == SESSION_EOF ||
	    s->state == SESSION_ERROR) {
		if (s->watch != NULL) {
			loop_watch_del(s->watch);
			s->watch = NULL;
		}
		return -1;
	}
	fd = transport_fd(s->t);
	ev = session_events(s);
	if (s->watch != NULL && s->watch->fd != fd) {
		loop_watch_del(s->watch);
		s->watch = NULL;
	}
	if (fd != -1) {
		if (s->watch == NULL)
			s->watch = loop_watch_add(loop, fd, ev,
			    loop_session_ready, s);
		else
			loop_watch_mod(s->watch, ev);
	}
	return transport_wake_at(s->t);
}

int
tether_loop_once(struct tether_loop *loop, int64_t deadline)
{
	struct epoll_event	 evs[LOOP_MAXEVENTS];
	struct tether_session	*s, *next;
	struct loop_watch	*w;
	int64_t			 now, wake, until;
	int			 n, i, handled = 0, timeout;
	uint64_t		 cnt;

	if (loop->interrupted)
		return TETHER_EINTR;
	now = tether_now_ms();
	until = deadline;
	loop->dispatching = 1;
	for (s = loop->first; s != NULL; s = next) {
		next = s->next;
		wake = loop_session_sync(loop, s);
		if (wake != -1 && wake <= now) {
			session_wake(s, now);
			handled = 1;
			wake = loop_session_sync(loop, s);
		}
		if (s->more) {
			session_handle(s, POLLIN);
			handled = 1;
		}
		if (wake != -1 && (until == -1 || wake < until))
			until = wake;
	}
	loop->dispatching = 0;
	loop_reap_dead(loop);
	if (handled)
		return 0;
	if (deadline != -1 && now >= deadline)
		return TETHER_ETIMEDOUT;
	wake = loop_tick(loop, now);
	if (wake != -1 && (until == -1 || wake < until))
		until = wake;
	if (until == -1)
		timeout = -1;
	else if (until - now > 1000000)
		timeout = 1000000;
	else
		timeout = (int)(until - now);
	n = epoll_wait(loop->epfd, evs, LOOP_MAXEVENTS, timeout);
	if (n == -1) {
		if (errno == EINTR)
			return loop->interrupted ? TETHER_EINTR : 0;
		return tether_loop_seterr(loop, TETHER_EIO, "epoll_wait: %s",
		    strerror(errno));
	}
	loop->dispatching = 1;
	for (i = 0; i < n; i++) {
		w = evs[i].data.ptr;
		if (w == NULL) {
			if (read(loop->evfd, &cnt, sizeof cnt) == -1) {
				/* Nothing to drain. */
			}
			continue;
		}
		if (w->dead)
			continue;
		w->fn(w->fd, (int)evs[i].events, w->arg);
	}
	loop->dispatching = 0;
	loop_reap_dead(loop);
	if (loop->interrupted)
		return TETHER_EINTR;
	if (n == 0 && deadline != -1 && tether_now_ms() >= deadline)
		return TETHER_ETIMEDOUT;
	return 0;
}
