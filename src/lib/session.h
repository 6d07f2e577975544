/* SPDX-License-Identifier: ISC */
/*
 * session.h - a session: transport chain + match view + readers.
 *
 * Bytes read from the transport go, raw, to the readers (a transcript)
 * and the output callback, and, with terminal escape sequences removed
 * (unless raw matching is on), to the match view, after which the readers
 * are told again (an expect set scans it).  The view is addressed with
 * absolute offsets (bytes since the session opened) so readers keep
 * their place when the front is discarded; at most match_max bytes are
 * kept: when full, the older half is discarded, never before the readers
 * saw what is dropped.  The session knows no reader by name: expect,
 * hmp, qmp, login and the transcript register themselves, and keep their
 * own state on it under a name (session_state_get).
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdint.h>

#include "buf.h"
#include "tether.h"
#include "transport.h"
#include "vtstrip.h"

struct loop_watch;
struct loop_timer;
struct loop_hook;
struct session_reader;
struct session_data;

enum session_state {
	SESSION_CONNECTING,
	SESSION_OPEN,
	SESSION_EOF,		/* end of file read; view still readable */
	SESSION_ERROR,		/* transport failed; err holds the code */
};

/* What a reader is told (session_reader_fn's ev). */
enum session_event {
	SESSION_INPUT,		/* p, n: bytes as received, before the view */
	SESSION_VIEW,		/* the view grew: scan it before it moves */
	SESSION_END,		/* end of file or an error (s->state) */
	SESSION_RESIZE,		/* the window size changed (s->rows, cols) */
};

/* A reader: p and n only with SESSION_INPUT. */
typedef void (*session_reader_fn)(struct tether_session *, int ev,
	    const char *p, size_t n, void *arg);

struct tether_session {
	char			*name;
	char			*uri;
	struct tether_loop	*loop;
	struct transport	*t;		/* top of the chain */
	int			 flags;		/* its target's (target.h) */
	enum session_state	 state;
	int			 err;		/* with SESSION_ERROR */
	char			*errmsg;	/* its message, or NULL */

	struct buf		 view;		/* the match view */
	uint64_t		 view_base;	/* absolute offset of view[0] */
	uint64_t		 consumed;	/* absolute end of last match */
	size_t			 match_max;
	int			 raw_match;
	struct vtstrip		 strip;

	struct buf		 outq;		/* bytes not yet written */
	char			 eol[3];
	int			 rows, cols;	/* window size */

	int64_t			 opened_at;
	int64_t			 last_rx;
	uint64_t		 rx_bytes;
	struct loop_watch	*watch;		/* the fd in the epoll set */
	struct loop_timer	*timer;		/* the chain's wake_at */
	struct loop_hook	*prewait;	/* syncs watch and timer */
	int			 more;		/* stopped reading early */

	struct session_reader	*readers;	/* in adding order */
	int			 telling;	/* readers being called */
	struct session_data	*states;	/* named reader state */

	void			(*output)(void *, const void *, size_t);
	void			*output_arg;
	void			*udata;
};

/*
 * Creates a session named name for uri on loop, not open yet and not on
 * the loop.  Returns 0 and *sp, or TETHER_ENOMEM.
 */
int	 session_new(struct tether_loop *, const char *name, const char *uri,
	    struct tether_session **sp) TETHER_WUR;
/*
 * Handles the options every session understands (connect-within=,
 * open-within=, line-ending=, match-max=, raw-match=, rows=, cols=),
 * marking them used in a.  Returns 0 or TETHER_EINVAL with the errmsg.
 */
int	 session_options(struct tether_session *, struct transport_args *a,
	    int64_t *within, int64_t *grace) TETHER_WUR;
/*
 * Puts s on the loop and opens its chain (s->t) with a; an option nobody
 * used is an error.  Waits until it is open or until.  Returns 0 or a
 * TETHER_E* code with the errmsg set; s stays on the loop either way
 * (tether_session_close takes it off).
 */
int	 session_start(struct tether_session *, struct transport_args *a,
	    int64_t until) TETHER_WUR;

/*
 * Registers fn(s, ev, ..., arg) to be told of s's input (enum
 * session_event), after the readers already there.  Returns the reader
 * or NULL (out of memory).
 */
struct session_reader *session_reader_add(struct tether_session *,
	    session_reader_fn fn, void *arg);
/* Unregisters a reader (NULL is fine; safe from inside a reader). */
void	 session_reader_del(struct tether_session *, struct session_reader *);

/* Returns the state a reader keeps on s under key, or NULL. */
void	*session_state_get(struct tether_session *, const char *key);
/*
 * Keeps p on s under key, freed with free_fn (may be NULL) when replaced
 * or when s is closed (latest first); p NULL drops it.  Returns 0 or
 * TETHER_ENOMEM (then free_fn(p) was called).
 */
int	 session_state_set(struct tether_session *, const char *key, void *p,
	    void (*free_fn)(void *)) TETHER_WUR;

/* Returns the view from absolute offset off (clamped to view_base). */
const char *session_view_at(struct tether_session *, uint64_t off,
	    size_t *len);
/* Returns the absolute offset of the end of the view. */
uint64_t session_view_end(struct tether_session *);
/* Marks everything before absolute offset off as consumed. */
void	 session_consume(struct tether_session *, uint64_t off);
/* Handles a transport status: EOF and errors change the state. */
void	 session_fail(struct tether_session *, int r);
/* Returns nonzero once s reached the end of file or failed. */
int	 session_done(struct tether_session *);

#endif /* SESSION_H */
