/* SPDX-License-Identifier: ISC */
/*
 * session.h - a session: transport chain + match view + transcript.
 *
 * Bytes read from the transport go, raw, to the transcript and the output
 * callback, and, with terminal escape sequences removed (unless raw
 * matching is on), to the match view.  The view is addressed with
 * absolute offsets (bytes since the session opened) so readers keep
 * their place when the front is discarded; at most match_max bytes are
 * kept: when full, the older half is discarded.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdint.h>

#include "buf.h"
#include "tether.h"
#include "transport.h"
#include "vtstrip.h"

struct loop_watch;

struct transcript;

enum session_state {
	SESSION_CONNECTING,
	SESSION_OPEN,
	SESSION_EOF,		/* end of file read; view still readable */
	SESSION_ERROR,		/* transport failed; err holds the code */
};

enum session_proto {
	SESSION_PROTO_NONE,
	SESSION_PROTO_HMP,
	SESSION_PROTO_QMP,
};

struct tether_session {
	char			*name;
	char			*uri;
	struct tether_loop	*loop;
	struct transport	*t;		/* top of the chain */
	enum session_state	 state;
	int			 err;		/* with SESSION_ERROR */
	char			*errmsg;	/* its message, or NULL */
	enum session_proto	 proto;
	void			*proto_state;	/* hmp.c / qmp.c private */
	void			(*proto_free)(void *);

	struct buf		 view;		/* the match view */
	uint64_t		 view_base;	/* absolute offset of view[0] */
	uint64_t		 consumed;	/* absolute end of last match */
	size_t			 match_max;
	int			 raw_match;
	struct vtstrip		 strip;

	struct buf		 outq;		/* bytes not yet written */
	char			 eol[3];
	struct transcript	*tr;
	int			 rows, cols;	/* window size */

	int64_t			 opened_at;
	int64_t			 last_rx;
	uint64_t		 rx_bytes;
	struct loop_watch	*watch;		/* the fd in the epoll set */
	int			 more;		/* stopped reading early */

	void			(*output)(void *, const void *, size_t);
	void			*output_arg;
	void			*udata;

	struct tether_session	*prev, *next;	/* the loop's list */
};

/* Loop callbacks: handle readiness of the session's fd. */
void	 session_handle(struct tether_session *, int revents);
/* Calls connect when the session's wake_at passed. */
void	 session_wake(struct tether_session *, int64_t now);
/* Returns the poll events the session wants now. */
int	 session_events(struct tether_session *);
/* Returns the view from absolute offset off (clamped to view_base). */
const char *session_view_at(struct tether_session *, uint64_t off,
	    size_t *len);
/* Returns the absolute offset of the end of the view. */
uint64_t session_view_end(struct tether_session *);
/* Marks everything before absolute offset off as consumed. */
void	 session_consume(struct tether_session *, uint64_t off);
/* Handles a transport status: EOF and errors change the state. */
void	 session_fail(struct tether_session *, int r);

#endif /* SESSION_H */
