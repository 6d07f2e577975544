/* SPDX-License-Identifier: ISC */
/*
 * ssh-int.h - the state of one ssh:// session, shared by the three files
 * of the ssh transport: transport-ssh.c (the connection over the tcp
 * transport below, and the channel), ssh-hostkey.c (known_hosts) and
 * ssh-auth.c (authentication).
 */
#ifndef SSH_INT_H
#define SSH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libssh2.h>

#include "buf.h"
#include "transport.h"

enum ssh_state {
	SSH_ST_TCP,		/* the transport below is connecting */
	SSH_ST_HANDSHAKE,	/* banner, key exchange */
	SSH_ST_AUTH,		/* listing the server's methods, trying them */
	SSH_ST_CHANNEL,		/* opening the session channel */
	SSH_ST_PTY,		/* asking for a pty */
	SSH_ST_START,		/* starting the shell or the command */
	SSH_ST_OPEN,
	SSH_ST_CLOSING,		/* end of file read, awaiting close */
	SSH_ST_DONE,		/* channel closed or connection lost */
};

enum ssh_auth {
	SSH_AUTH_FILE,		/* publickey from identity files */
	SSH_AUTH_AGENT,		/* publickey from the agent */
	SSH_AUTH_KBDINT,	/* keyboard-interactive with the password */
	SSH_AUTH_PASSWORD,
	SSH_AUTH_END,
};

struct ssh {
	struct transport	*t;
	enum ssh_state		 state;

	/* Where and who. */
	char			*user;
	char			*host;
	int			 port;
	char			*khname;	/* known_hosts name */
	char			*desc;		/* "user@host:port" */

	/* Credentials (ssh-auth.c): never printed. */
	char			*password;
	char			*passphrase;
	char			**ids;		/* identity files */
	size_t			 nids;
	int			 agent;		/* 1, 0, -1: if set */

	/* Host keys (ssh-hostkey.c). */
	char			*known_hosts;	/* checked, written */
	int			 known_hosts_given;
	int			 accept_new;

	/* The channel. */
	int			 exec;
	char			*command;
	int			 pty;
	char			*term;
	int			 rows, cols;
	int			 winsize_pending;
	int64_t			 keepalive;	/* ms, 0 off */
	int64_t			 open_timeout;	/* ms, 0 none */

	/* Connecting. */
	int64_t			 deadline;	/* connect-within */
	int64_t			 open_deadline;	/* or -1 */
	int			 attempts;	/* handshakes tried */

	/* libssh2. */
	LIBSSH2_SESSION		*session;
	LIBSSH2_CHANNEL		*channel;
	int			 cut;		/* sends and receives fail */
	char			*disconnect;	/* server's reason */

	/* Authentication (ssh-auth.c). */
	LIBSSH2_AGENT		*agent_h;
	struct libssh2_agent_publickey *agent_prev;
	struct libssh2_agent_publickey *agent_cur;
	int			 agent_keys;
	char			*methods;	/* offered by the server */
	enum ssh_auth		 auth;
	size_t			 id_cur;
	int			 kbd_answered;
	struct buf		 tried;		/* for the message */

	/* Liveness. */
	int64_t			 last_rx;
	int64_t			 next_alive;
	int64_t			 alive_sent;	/* last keepalive */
	int			 unanswered;
	int			 pending;	/* data inside libssh2 */

	/* Exit status of the shell or command. */
	int			 handshaken;	/* keys exchanged */
	int			 have_status;
	int			 status;
	int			 lost;
};

/*
 * transport-ssh.c
 */
/* Returns nonzero for the libssh2 codes that mean the connection is gone. */
int	 ssh_is_gone(int rc);
/* Returns libssh2's message for the last failure (never NULL). */
const char *ssh_liberr(struct ssh *);
/* Returns the libssh2 code of the last failure. */
int	 ssh_lasterr(struct ssh *);
/* Fails with "connection lost" (TETHER_EOF) and what the server said. */
int	 ssh_lost(struct transport *, const char *doing);
/* Returns the home directory, or NULL. */
const char *ssh_home(void);
/* Returns a new copy of path with a leading "~/" replaced by the home. */
char	*ssh_expand(const char *path);
/* Returns 1 for yes/true/on/1, 0 for no/false/off/0, else -1. */
int	 ssh_yesno(const char *);

/*
 * ssh-hostkey.c
 */
/* Reads known-hosts= and host-key=: 0 or TETHER_E* with the errmsg set. */
int	 ssh_hostkey_options(struct transport *, struct transport_args *);
/*
 * Checks the server's host key against known_hosts (recording it under
 * host-key=accept-new).  Returns 0, or TETHER_EHOSTKEY with the errmsg.
 */
int	 ssh_hostkey_check(struct transport *);
/*
 * Adds the entries of known_hosts text (len bytes) to a libssh2 list.
 * Returns nonzero when key64, a base64 host key, is marked @revoked.
 */
int	 ssh_kh_parse(LIBSSH2_KNOWNHOSTS *, const char *text, size_t len,
	    const char *key64);

/*
 * ssh-auth.c
 */
/*
 * Reads user=, password=, passphrase=, identity= and agent=: 0 or a
 * TETHER_E* code with the errmsg set.
 */
int	 ssh_auth_options(struct transport *, struct transport_args *);
/*
 * Authenticates: lists what the server offers, then tries identity
 * files, the agent's keys, keyboard-interactive and password.  Returns 0
 * when authenticated, TETHER_EAGAIN, or an error.
 */
int	 ssh_auth(struct transport *);
/* Closes the agent and wipes and frees the credentials. */
void	 ssh_auth_free(struct ssh *);

#endif /* SSH_INT_H */
