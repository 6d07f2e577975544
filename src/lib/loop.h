/* SPDX-License-Identifier: ISC */
/*
 * loop.h - the event loop's internal interface: sessions and extra fd
 * watchers on one epoll set, deadlines on the monotonic clock.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

#include "tether.h"

struct loop_watch;

/* Called with the fd's revents (EPOLLIN, EPOLLOUT, EPOLLHUP...). */
typedef void (*loop_watch_fn)(int fd, int revents, void *arg);

/*
 * Watches fd for events besides the sessions (a pidfd, the terminal).
 * Returns the watch or NULL with the errmsg set.
 */
struct loop_watch *loop_watch_add(struct tether_loop *, int fd, int events,
	    loop_watch_fn, void *arg);
/* Changes the events a watch waits for. */
void	 loop_watch_mod(struct loop_watch *, int events);
/* Stops watching and frees the watch (NULL is fine). */
void	 loop_watch_del(struct loop_watch *);

/* Adds a session to the loop (session.c), in opening order. */
void	 loop_session_add(struct tether_loop *, struct tether_session *);
/* Removes a session from the loop and its fd from the epoll set. */
void	 loop_session_del(struct tether_loop *, struct tether_session *);
/* Tells the on-open hook (tether_loop_set_on_open) that s is open. */
void	 loop_opened(struct tether_loop *, struct tether_session *);
/* Returns the loop's shared read buffer (64 KiB) and its size. */
char	*loop_readbuf(struct tether_loop *, size_t *len);



/* Returns the run-wide secrets (tether_loop_add_secret), n in *n. */
char *const *loop_secrets(struct tether_loop *, size_t *n);
/* Records the first transcript that lost data (tether_loop_lost). */
void	 loop_set_lost(struct tether_loop *, const char *path, int err);

/* The expect set now running on the loop (expect.c), or NULL. */
struct tether_expect *loop_active(struct tether_loop *);
void	 loop_set_active(struct tether_loop *, struct tether_expect *);
#endif /* LOOP_H */
