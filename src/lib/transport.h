/* SPDX-License-Identifier: ISC */
/*
 * transport.h - the transport interface: one byte stream under a session.
 *
 * Each transport file exports one const struct transport_ops filled by
 * field name; a NULL member is forwarded to the transport below, and is
 * "not supported" at the bottom.  A layered transport (telnet, ssh) owns
 * the one below it in t->next and calls it only through the transport_*()
 * wrappers here.  Only transport.c calls through the table.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tether.h"

struct transport;

/* What a transport is opened with. */
struct transport_args {
	const char		*addr;	/* URI after "scheme:" */
	const struct tether_opt	*opts;
	size_t			 nopts;
	unsigned char		*used;	/* per option: consumed */
	int64_t			 deadline; /* connect-within deadline, ms */
	int			 rows, cols; /* initial window size */
};

struct transport_ops {
	const char	*name;
	/*
	 * Starts opening.  Returns 0 when open, TETHER_EAGAIN when the open
	 * goes on (the loop calls connect on readiness or at t->wake_at), or
	 * a TETHER_E* code with the detail set on t->loop.
	 */
	int	(*open)(struct transport *, struct transport_args *);
	/* Continues opening: 0 open, TETHER_EAGAIN, or an error. */
	int	(*connect)(struct transport *);
	/* Reads: 0 with *nread > 0, TETHER_EAGAIN, TETHER_EOF or error. */
	int	(*read)(struct transport *, void *, size_t, size_t *nread);
	/* Writes: 0 with *nwritten >= 1, TETHER_EAGAIN, or an error. */
	int	(*write)(struct transport *, const void *, size_t,
		    size_t *nwritten);
	/* Pushes internally queued output: 0 all out, TETHER_EAGAIN, error. */
	int	(*flush)(struct transport *);
	/* Returns the poll events wanted now (POLLIN, POLLOUT). */
	int	(*events)(struct transport *);
	/* Propagates a window size. */
	int	(*winsize)(struct transport *, int rows, int cols);
	/* Program transports: waits for exit, see tether_session_wait. */
	int	(*wait)(struct transport *, int64_t deadline, int *status);
	/* Closes and frees the private state (not t itself, not t->next). */
	void	(*close)(struct transport *);
	/*
	 * Drops the connection and connects again to the same address under
	 * the same connect-within deadline, after a backoff: TETHER_EAGAIN
	 * (connect goes on), or an error once the deadline has passed.
	 */
	int	(*redial)(struct transport *);
	/*
	 * Sets (on 1) or clears (on 0) the break condition on the line; a
	 * break that is one event (telnet IAC BRK) is sent on 1.  Returns
	 * 0, TETHER_EAGAIN (not yet: again after a loop turn), or an error.
	 */
	int	(*brk)(struct transport *, int on);
	/* Returns the serial line's settings and state as text, or NULL. */
	const char *(*line)(struct transport *);
};

struct transport {
	const struct transport_ops *ops;
	struct transport	*next;	/* the transport below, or NULL */
	struct tether_loop	*loop;	/* for error messages */
	int			 fd;	/* file descriptor to poll, -1 none */
	int64_t			 wake_at; /* call connect then, -1: never */
	pid_t			 pid;	/* program's pid, -1 none */
	int			 own_events; /* events() covers queued
						output: no POLLOUT added */
	void			*priv;
};

extern const struct transport_ops transport_pty_ops;
extern const struct transport_ops transport_unix_ops;
extern const struct transport_ops transport_tcp_ops;
extern const struct transport_ops transport_telnet_ops;
extern const struct transport_ops transport_ssh_ops;
extern const struct transport_ops transport_serial_ops;
extern const struct transport_ops transport_rfc2217_ops;

/* Returns a new transport using ops, or NULL when out of memory. */
struct transport *transport_new(const struct transport_ops *,
	    struct tether_loop *);
/* Closes t and everything below it, then frees them. */
void	 transport_free(struct transport *);
/*
 * Wrappers: a NULL member goes to the transport below; at the bottom
 * open, read, write, winsize, wait and redial return TETHER_ENOTSUP,
 * connect and flush 0, events POLLIN.
 */
int	 transport_open(struct transport *, struct transport_args *);
int	 transport_connect(struct transport *);
int	 transport_read(struct transport *, void *, size_t, size_t *);
int	 transport_write(struct transport *, const void *, size_t, size_t *);
int	 transport_flush(struct transport *);
int	 transport_events(struct transport *);
int	 transport_winsize(struct transport *, int, int);
int	 transport_wait(struct transport *, int64_t, int *);
int	 transport_redial(struct transport *);
/* Break on/off: forwarded down the chain; TETHER_ENOTSUP when none has it. */
int	 transport_brk(struct transport *, int on);
/* The first line() text down the chain, or NULL when none has one. */
const char *transport_line(struct transport *);
/* Returns the fd to poll: t's own, else the first one below. */
int	 transport_fd(struct transport *);
/* Returns the earliest wake_at in the chain, or -1. */
int64_t	 transport_wake_at(struct transport *);

/*
 * Option helpers for open: returns the value of key and marks it used,
 * or NULL when absent.
 */
const char *transport_opt(struct transport_args *, const char *key);
/* Parses "HOST:PORT" ("[v6]:port" too) into a new host string and port. */
int	 transport_hostport(const char *, char **host, int *port);

#endif /* TRANSPORT_H */
