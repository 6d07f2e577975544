/* SPDX-License-Identifier: ISC */
/*
 * loop.h - the event loop's internal interface: fd watchers on one epoll
 * set, timers and before-wait hooks on the monotonic clock, cleanup hooks
 * run when the loop is freed.  The loop knows sessions only as the opaque
 * handles of tether.h, for tether_loop_session() and tether_loop_free();
 * a session registers its fd, its timer and its hook like anybody else.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

#include "tether.h"

struct loop_watch;
struct loop_timer;
struct loop_hook;

/* Called with the fd's revents (EPOLLIN, EPOLLOUT, EPOLLHUP...). */
typedef void (*loop_watch_fn)(int fd, int revents, void *arg);

/*
 * Watches fd for events (a session's transport, a pidfd, the terminal).
 * Returns the watch or NULL with the errmsg set.
 */
struct loop_watch *loop_watch_add(struct tether_loop *, int fd, int events,
	    loop_watch_fn, void *arg);
/* Changes the events a watch waits for (no system call when the same). */
void	 loop_watch_mod(struct loop_watch *, int events);
/* Returns the fd a watch watches. */
int	 loop_watch_fd(struct loop_watch *);
/* Stops watching and frees the watch (NULL is fine). */
void	 loop_watch_del(struct loop_watch *);

/*
 * Adds a timer, disarmed, that calls fn(arg) once when the time set with
 * loop_timer_set comes.  Returns the timer or NULL with the errmsg set.
 */
struct loop_timer *loop_timer_add(struct tether_loop *, void (*fn)(void *),
	    void *arg);
/* Arms the timer for time at (tether_now_ms() clock); -1 disarms it. */
void	 loop_timer_set(struct loop_timer *, int64_t at);
/* Disarms and frees the timer (NULL is fine). */
void	 loop_timer_del(struct loop_timer *);

/*
 * Registers fn(arg) to run at the start of every tether_loop_once, before
 * it waits; fn returns nonzero when it did some work, and then the loop
 * returns without waiting.  Returns the hook or NULL with the errmsg set.
 */
struct loop_hook *loop_prewait_add(struct tether_loop *, int (*fn)(void *),
	    void *arg);
/* Unregisters and frees a before-wait hook (NULL is fine). */
void	 loop_prewait_del(struct loop_hook *);

/*
 * Registers fn(arg) to run when the loop is freed (tether_loop_free),
 * latest first, before the remaining sessions are closed.  Returns the
 * hook, or NULL with the errmsg set.
 */
struct loop_hook *loop_cleanup_add(struct tether_loop *, void (*fn)(void *),
	    void *arg);
/*
 * Unregisters and frees a cleanup hook without running it (NULL is fine;
 * a no-op on a hook whose fn is running, which loop_free frees after).
 */
void	 loop_cleanup_del(struct loop_hook *);
/*
 * Returns the arg of the latest hook of fn on the loop, or NULL: a module
 * keeps its per-loop state as the arg of its own cleanup hook (the VMs
 * launched on the loop, qemu-launch.c).
 */
void	*loop_cleanup_arg(struct tether_loop *, void (*fn)(void *));

/*
 * Opens a public call (tether_*) on the loop: the outermost one clears
 * the errmsg, so that a failure reports its own error, never a stale one.
 */
void	 loop_enter(struct tether_loop *);
/* Closes the call loop_enter opened.  Returns r. */
int	 loop_leave(struct tether_loop *, int r);

/*
 * Lists an open session for tether_loop_session/foreach; tether_loop_free
 * closes those still listed, in opening order.  Returns 0 or
 * TETHER_ENOMEM.
 */
int	 loop_session_add(struct tether_loop *, struct tether_session *)
	    TETHER_WUR;
/* Takes a session off the list (one that is not there is fine). */
void	 loop_session_del(struct tether_loop *, struct tether_session *);
/* Tells the on-open hook (tether_loop_set_on_open) that s is open. */
void	 loop_opened(struct tether_loop *, struct tether_session *);
/* Returns the loop's shared read buffer (64 KiB) and its size. */
char	*loop_readbuf(struct tether_loop *, size_t *len);

/* Returns the run-wide secrets (tether_loop_add_secret), n in *n. */
char *const *loop_secrets(struct tether_loop *, size_t *n);
/* Records the first transcript that lost data (tether_loop_lost). */
void	 loop_set_lost(struct tether_loop *, const char *path, int err);

#endif /* LOOP_H */
