/* SPDX-License-Identifier: ISC */
/*
 * loop.c - the event loop: one epoll set for every fd watcher, timers and
 * before-wait hooks on the monotonic clock, an eventfd to interrupt a wait.
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

#include "buf.h"
#include "loop.h"
#include "redact.h"
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

struct loop_timer {
	struct tether_loop	*loop;
	int64_t			 at;		/* -1: disarmed */
	void			(*fn)(void *);
	void			*arg;
	int			 dead;
	struct loop_timer	*next;
};

/* A cleanup (fn) or before-wait (check) hook, on the list at head. */
struct loop_hook {
	struct tether_loop	*loop;
	struct loop_hook	**head;
	void			(*fn)(void *);
	int			(*check)(void *);
	void			*arg;
	int			 running;	/* fn called by loop_free */
	int			 dead;		/* freed after the dispatch */
	struct loop_hook	*prev, *next;
};

struct tether_loop {
	int			 epfd;
	int			 evfd;		/* interrupt wake-up */
	volatile sig_atomic_t	 interrupted;
	struct tether_session	**sess;		/* open, in opening order */
	size_t			 nsess;
	int			 dispatching;
	int			 depth;		/* public calls open */
	struct loop_watch	*dead;		/* freed after dispatch */
	struct loop_timer	*timers;	/* in adding order */
	struct loop_hook	*prewaits;	/* in adding order */
	struct loop_hook	*cleanups;	/* latest first */
	char			*readbuf;
	char			 errmsg[1024];
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

/* Frees the watchers, timers and hooks deleted while dispatching. */
static void
loop_reap_dead(struct tether_loop *loop)
{
	struct loop_watch	*w;
	struct loop_timer	*t, **tp;
	struct loop_hook	*h, *next;

	while ((w = loop->dead) != NULL) {
		loop->dead = w->next_dead;
		free(w);
	}
	for (tp = &loop->timers; (t = *tp) != NULL;) {
		if (t->dead) {
			*tp = t->next;
			free(t);
		} else
			tp = &t->next;
	}
	for (h = loop->prewaits; h != NULL; h = next) {
		next = h->next;
		if (h->dead)
			loop_prewait_del(h);
	}
}

void
tether_loop_free(struct tether_loop *loop)
{
	struct loop_hook	*h;
	size_t			 i;

	if (loop == NULL)
		return;
	while ((h = loop->cleanups) != NULL) {
		h->running = 1;
		h->fn(h->arg);
		h->running = 0;
		loop_cleanup_del(h);
	}
	while (loop->nsess > 0)
		tether_session_close(loop->sess[0]);
	free(loop->sess);
	loop_reap_dead(loop);
	while (loop->prewaits != NULL)
		loop_prewait_del(loop->prewaits);
	while (loop->timers != NULL) {
		loop->timers->dead = 1;
		loop_reap_dead(loop);
	}
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

/* Returns a new hook on the list at head (at its front or its end). */
static struct loop_hook *
loop_hook_new(struct tether_loop *loop, struct loop_hook **head, int front)
{
	struct loop_hook	*h, *last;

	if ((h = calloc(1, sizeof *h)) == NULL) {
		tether_loop_seterr(loop, TETHER_ENOMEM, "out of memory");
		return NULL;
	}
	h->loop = loop;
	h->head = head;
	if (front || *head == NULL) {
		h->next = *head;
		if (h->next != NULL)
			h->next->prev = h;
		*head = h;
		return h;
	}
	for (last = *head; last->next != NULL; last = last->next)
		;
	last->next = h;
	h->prev = last;
	return h;
}

/* Takes h off its list and frees it. */
static void
loop_hook_free(struct loop_hook *h)
{
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		*h->head = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	free(h);
}

struct loop_hook *
loop_cleanup_add(struct tether_loop *loop, void (*fn)(void *), void *arg)
{
	struct loop_hook	*h;

	if ((h = loop_hook_new(loop, &loop->cleanups, 1)) == NULL)
		return NULL;
	h->fn = fn;
	h->arg = arg;
	return h;
}

void
loop_cleanup_del(struct loop_hook *h)
{
	if (h == NULL || h->running)
		return;
	loop_hook_free(h);
}

void *
loop_cleanup_arg(struct tether_loop *loop, void (*fn)(void *))
{
	struct loop_hook	*h;

	for (h = loop->cleanups; h != NULL; h = h->next) {
		if (h->fn == fn)
			return h->arg;
	}
	return NULL;
}

struct loop_hook *
loop_prewait_add(struct tether_loop *loop, int (*fn)(void *), void *arg)
{
	struct loop_hook	*h;

	if ((h = loop_hook_new(loop, &loop->prewaits, 0)) == NULL)
		return NULL;
	h->check = fn;
	h->arg = arg;
	return h;
}

void
loop_prewait_del(struct loop_hook *h)
{
	if (h == NULL)
		return;
	if (h->loop->dispatching) {
		h->dead = 1;	/* the dispatch walks the list */
		return;
	}
	loop_hook_free(h);
}

struct loop_timer *
loop_timer_add(struct tether_loop *loop, void (*fn)(void *), void *arg)
{
	struct loop_timer	*t, **tp;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		tether_loop_seterr(loop, TETHER_ENOMEM, "out of memory");
		return NULL;
	}
	t->loop = loop;
	t->at = -1;
	t->fn = fn;
	t->arg = arg;
	for (tp = &loop->timers; *tp != NULL; tp = &(*tp)->next)
		;
	*tp = t;	/* due at once: they fire in adding order */
	return t;
}

void
loop_timer_set(struct loop_timer *t, int64_t at)
{
	t->at = at;
}

void
loop_timer_del(struct loop_timer *t)
{
	if (t == NULL)
		return;
	t->at = -1;
	t->dead = 1;
	if (!t->loop->dispatching)
		loop_reap_dead(t->loop);
}

void
loop_enter(struct tether_loop *loop)
{
	if (loop->depth++ == 0)
		loop->errmsg[0] = '\0';
}

int
loop_leave(struct tether_loop *loop, int r)
{
	if (loop->depth > 0)
		loop->depth--;
	return r;
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
	size_t	i;

	for (i = 0; i < loop->nsess; i++) {
		if (strcmp(tether_session_name(loop->sess[i]), name) == 0)
			return loop->sess[i];
	}
	return NULL;
}

void
tether_loop_foreach(struct tether_loop *loop,
    void (*fn)(struct tether_session *, void *), void *arg)
{
	struct tether_session	*s;
	size_t			 i = 0;

	while (i < loop->nsess) {
		s = loop->sess[i];
		fn(s, arg);
		/* fn may have closed s. */
		if (i < loop->nsess && loop->sess[i] == s)
			i++;
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

int
loop_watch_fd(struct loop_watch *w)
{
	return w->fd;
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

int
loop_session_add(struct tether_loop *loop, struct tether_session *s)
{
	struct tether_session	**ns;

	ns = realloc(loop->sess, (loop->nsess + 1) * sizeof *ns);
	if (ns == NULL)
		return TETHER_ENOMEM;
	loop->sess = ns;
	loop->sess[loop->nsess++] = s;
	return 0;
}

void
loop_session_del(struct tether_loop *loop, struct tether_session *s)
{
	size_t	i;

	for (i = 0; i < loop->nsess; i++) {
		if (loop->sess[i] == s) {
			memmove(&loop->sess[i], &loop->sess[i + 1],
			    (loop->nsess - i - 1) * sizeof *loop->sess);
			loop->nsess--;
			return;
		}
	}
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

/*
 * Runs the before-wait hooks, then the timers that are due.  Returns
 * nonzero when one of them did some work; *until becomes the earliest
 * time a timer waits for.
 */
static int
loop_prepare(struct tether_loop *loop, int64_t now, int64_t *until)
{
	struct loop_hook	*h;
	struct loop_timer	*t;
	int			 handled = 0;

	for (h = loop->prewaits; h != NULL; h = h->next) {
		if (!h->dead && h->check(h->arg))
			handled = 1;
	}
	for (t = loop->timers; t != NULL; t = t->next) {
		if (t->dead || t->at == -1)
			continue;
		if (t->at <= now) {
			t->at = -1;
			t->fn(t->arg);
			handled = 1;
		}
	}
	for (t = loop->timers; t != NULL; t = t->next) {
		if (!t->dead && t->at != -1 && (*until == -1 ||
		    t->at < *until))
			*until = t->at;
	}
	return handled;
}

/* Waits for and dispatches fd events.  Returns as tether_loop_once. */
static int
loop_wait(struct tether_loop *loop, int64_t now, int64_t deadline,
    int64_t until)
{
	struct epoll_event	 evs[LOOP_MAXEVENTS];
	struct loop_watch	*w;
	int64_t			 wake;
	int			 n, i, timeout;
	uint64_t		 cnt;

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

static int
loop_once(struct tether_loop *loop, int64_t deadline)
{
	int64_t	now, until;
	int	handled;

	if (loop->interrupted)
		return TETHER_EINTR;
	now = tether_now_ms();
	until = deadline;
	loop->dispatching = 1;
	handled = loop_prepare(loop, now, &until);
	loop->dispatching = 0;
	loop_reap_dead(loop);
	if (handled)
		return 0;
	if (deadline != -1 && now >= deadline)
		return TETHER_ETIMEDOUT;
	return loop_wait(loop, now, deadline, until);
}

int
tether_loop_once(struct tether_loop *loop, int64_t deadline)
{
	loop_enter(loop);
	return loop_leave(loop, loop_once(loop, deadline));
}
