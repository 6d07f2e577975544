/* SPDX-License-Identifier: ISC */
/*
 * transport-ssh.c - ssh:// sessions: a shell or exec channel over libssh2
 * in non-blocking mode, its bytes carried by the tcp transport below
 * (t->next) through libssh2's send and receive callbacks, every step of
 * the opening driven by the loop as a state machine.  Host keys are in
 * ssh-hostkey.c, authentication in ssh-auth.c.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "buf.h"
#include "ssh-int.h"
#include "tether.h"
#include "text.h"
#include "transport.h"

#define SSH_CLOSE_MS	500	/* budget for saying goodbye */
#define SSH_ALIVE_MAX	3	/* unanswered keepalives before failing */

static int	ssh_tick(struct transport *);

int
ssh_is_gone(int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_NONE:
	case LIBSSH2_ERROR_BANNER_RECV:
	case LIBSSH2_ERROR_BANNER_SEND:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_SOCKET_RECV:
		return 1;
	}
	return 0;
}

const char *
ssh_liberr(struct ssh *s)
{
	char	*msg = NULL;
	int	 len = 0;

	if (s->session == NULL)
		return "no session";
	libssh2_session_last_error(s->session, &msg, &len, 0);
	if (msg == NULL || *msg == '\0')
		return "unknown error";
	return msg;
}

int
ssh_lasterr(struct ssh *s)
{
	return libssh2_session_last_errno(s->session);
}

int
ssh_lost(struct transport *t, const char *doing)
{
	struct ssh	*s = t->priv;

	s->state = SSH_ST_DONE;
	s->lost = 1;
	if (s->disconnect != NULL)
		return tether_loop_seterr(t->loop, TETHER_EOF,
		    "ssh %s: connection closed by the server while %s: %s",
		    s->desc, doing, s->disconnect);
	if (ssh_lasterr(s) == LIBSSH2_ERROR_SOCKET_DISCONNECT)
		return tether_loop_seterr(t->loop, TETHER_EOF,
		    "ssh %s: connection closed by the server while %s",
		    s->desc, doing);
	return tether_loop_seterr(t->loop, TETHER_EOF,
	    "ssh %s: connection lost while %s (%s)", s->desc, doing,
	    ssh_liberr(s));
}
/*
 * Returns the bytes of a TETHER_* status, as libssh2's callbacks return
 * them: -EAGAIN would block, 0 end of file, another -errno a failure.
 */
static ssize_t
ssh_cb_status(int r)
{
	if (r == TETHER_EAGAIN)
		return -EAGAIN;
	if (r == TETHER_EOF)
		return 0;
	return -EIO;
}

/*
 * LIBSSH2_SEND_FUNC: writes to the transport below.  libssh2 also talks
 * to the agent through it, on the agent's socket: that one is written
 * as it is.
 */
static ssize_t
ssh_send(libssh2_socket_t fd, const void *p, size_t n, int flags,
    void **abstract)
{
	struct ssh	*s = *abstract;
	ssize_t		 nw;
	size_t		 done;
	int		 r;

	if (fd != transport_fd(s->t->next)) {
		if ((nw = send(fd, p, n, flags)) < 0)
			return -errno;
		return nw;
	}
	if (s->cut)
		return -EPIPE;
	if ((r = transport_write(s->t->next, p, n, &done)) != 0)
		return r == TETHER_EOF ? -EPIPE : ssh_cb_status(r);
	return (ssize_t)done;
}

/*
 * LIBSSH2_RECV_FUNC: reads from the transport below, noting when bytes
 * last arrived, for the keepalive check (the agent's socket: as it is).
 */
static ssize_t
ssh_recv(libssh2_socket_t fd, void *p, size_t n, int flags,
    void **abstract)
{
	struct ssh	*s = *abstract;
	ssize_t		 nr;
	size_t		 got;
	int		 r;

	if (fd != transport_fd(s->t->next)) {
		if ((nr = recv(fd, p, n, flags)) < 0)
			return -errno;
		return nr;
	}
	if (s->cut)
		return -ECONNRESET;
	if ((r = transport_read(s->t->next, p, n, &got)) != 0)
		return ssh_cb_status(r);
	s->last_rx = tether_now_ms();
	return (ssize_t)got;
}

/* LIBSSH2_DISCONNECT_FUNC: keeps the server's reason for the messages. */
static void
ssh_disconnected(LIBSSH2_SESSION *session, int reason, const char *msg,
    int msglen, const char *lang, int langlen, void **abstract)
{
	struct ssh	*s = *abstract;
	int		 i;

	free(s->disconnect);
	if (msglen < 0)
		msglen = 0;
	if ((s->disconnect = strndup(msg, (size_t)msglen)) == NULL)
		return;
	for (i = 0; s->disconnect[i] != '\0'; i++) {
		if (!isprint((unsigned char)s->disconnect[i]))
			s->disconnect[i] = '?';
	}
}

/*
 * Opening.
 */

/* Makes a fresh libssh2 session for the connection just made below. */
static int
ssh_session_new(struct transport *t)
{
	struct ssh	*s = t->priv;

	if (s->session != NULL) {
		libssh2_session_free(s->session);
		s->session = NULL;
	}
	free(s->disconnect);
	s->disconnect = NULL;
	s->session = libssh2_session_init_ex(NULL, NULL, NULL, s);
	if (s->session == NULL)
		return tether_loop_seterr(t->loop, TETHER_ENOMEM,
		    "ssh: cannot create a libssh2 session");
	libssh2_session_set_blocking(s->session, 0);
	libssh2_session_callback_set(s->session, LIBSSH2_CALLBACK_SEND,
	    (void *)ssh_send);
	libssh2_session_callback_set(s->session, LIBSSH2_CALLBACK_RECV,
	    (void *)ssh_recv);
	libssh2_session_callback_set(s->session, LIBSSH2_CALLBACK_DISCONNECT,
	    (void *)ssh_disconnected);
	s->attempts++;
	s->state = SSH_ST_HANDSHAKE;
	s->last_rx = tether_now_ms();
	return 0;
}

/* Fails with the error of the transport below, naming the session. */
static int
ssh_below_failed(struct transport *t, int r)
{
	struct ssh	*s = t->priv;

	s->state = SSH_ST_DONE;
	return tether_loop_seterr(t->loop, r, "ssh %s: %s", s->desc,
	    tether_loop_errmsg(t->loop));
}

/* Fails the opening of the channel with the server's refusal. */
static int
ssh_refused(struct transport *t, const char *what)
{
	struct ssh	*s = t->priv;
	int		 rc = ssh_lasterr(s);

	if (ssh_is_gone(rc))
		return ssh_lost(t, what);
	s->state = SSH_ST_DONE;
	return tether_loop_seterr(t->loop, TETHER_EREMOTE,
	    "ssh %s: the server refused %s: %s", s->desc, what,
	    ssh_liberr(s));
}

/*
 * A handshake failure: when the server hung up (a forwarded port whose
 * guest is not up yet) the transport below connects again, as after a
 * refused connection, until connect-within.
 */
static int
ssh_handshake_failed(struct transport *t, int rc)
{
	struct ssh	*s = t->priv;
	int		 r;

	if (ssh_is_gone(rc) && s->disconnect == NULL) {
		if (tether_now_ms() >= s->deadline) {
			s->state = SSH_ST_DONE;
			return tether_loop_seterr(t->loop, TETHER_ECONNECT,
			    "ssh %s: the server closed the connection before "
			    "the SSH handshake (%d attempts)", s->desc,
			    s->attempts);
		}
		s->state = SSH_ST_TCP;
		if ((r = transport_redial(t->next)) != TETHER_EAGAIN &&
		    r != 0)
			return ssh_below_failed(t, r);
		return TETHER_EAGAIN;
	}
	s->state = SSH_ST_DONE;
	if (s->disconnect != NULL)
		return tether_loop_seterr(t->loop, TETHER_ECONNECT,
		    "ssh %s: the server closed the connection: %s", s->desc,
		    s->disconnect);
	if (rc == LIBSSH2_ERROR_KEX_FAILURE)
		return tether_loop_seterr(t->loop, TETHER_EPROTO,
		    "ssh %s: key exchange failed (no algorithm in common?): "
		    "%s", s->desc, ssh_liberr(s));
	return tether_loop_seterr(t->loop, TETHER_EPROTO,
	    "ssh %s: SSH handshake failed: %s", s->desc, ssh_liberr(s));
}

/* Runs the opening state machine as far as it goes without blocking. */
static int
ssh_step(struct transport *t)
{
	struct ssh	*s = t->priv;
	int		 rc, r;

	for (;;) {
		switch (s->state) {
		case SSH_ST_TCP:
			if ((r = transport_connect(t->next)) == TETHER_EAGAIN)
				return r;
			if (r != 0)
				return ssh_below_failed(t, r);
			if ((r = ssh_session_new(t)) != 0)
				return r;
			continue;
		case SSH_ST_HANDSHAKE:
			rc = libssh2_session_handshake(s->session,
			    transport_fd(t->next));
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc != 0)
				return ssh_handshake_failed(t, rc);
			s->handshaken = 1;
			if ((r = ssh_hostkey_check(t)) != 0) {
				s->state = SSH_ST_DONE;
				return r;
			}
			s->state = SSH_ST_AUTH;
			continue;
		case SSH_ST_AUTH:
			if ((r = ssh_auth(t)) != 0)
				return r;
			if (s->keepalive > 0) {
				/* Sent from ssh_tick; libssh2 keeps time. */
				libssh2_keepalive_config(s->session, 1,
				    (unsigned int)(s->keepalive / 1000));
			}
			s->state = SSH_ST_CHANNEL;
			continue;
		case SSH_ST_CHANNEL:
			s->channel = libssh2_channel_open_session(s->session);
			if (s->channel == NULL) {
				if (ssh_lasterr(s) == LIBSSH2_ERROR_EAGAIN)
					return TETHER_EAGAIN;
				return ssh_refused(t, "a session channel");
			}
			/* Without a pty, stderr comes in with stdout. */
			libssh2_channel_handle_extended_data2(s->channel,
			    LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE);
			s->state = s->pty ? SSH_ST_PTY : SSH_ST_START;
			continue;
		case SSH_ST_PTY:
			rc = libssh2_channel_request_pty_ex(s->channel,
			    s->term, (unsigned int)strlen(s->term), NULL, 0,
			    s->cols, s->rows, 0, 0);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc != 0)
				return ssh_refused(t, "a pty");
			s->state = SSH_ST_START;
			continue;
		case SSH_ST_START:
			if (s->exec)
				rc = libssh2_channel_exec(s->channel,
				    s->command);
			else
				rc = libssh2_channel_shell(s->channel);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc != 0)
				return ssh_refused(t, s->exec ?
				    "to run the command" : "to start a shell");
			s->state = SSH_ST_OPEN;
			s->last_rx = tether_now_ms();
			s->next_alive = s->last_rx + s->keepalive;
			return 0;
		case SSH_ST_OPEN:
		case SSH_ST_CLOSING:
			return 0;
		case SSH_ST_DONE:
			return tether_loop_seterr(t->loop, TETHER_EOF,
			    "ssh %s: the connection is closed", s->desc);
		}
	}
}

/* Returns what the opening is doing, for the timeout message. */
static const char *
ssh_phase(struct ssh *s)
{
	switch (s->state) {
	case SSH_ST_TCP:
		return "connecting";
	case SSH_ST_HANDSHAKE:
		return "the SSH handshake (the server took the connection "
		    "but did not complete the key exchange)";
	case SSH_ST_AUTH:
		return "authenticating";
	default:
		return "opening the channel";
	}
}

/*
 * Sets wake_at to the next thing due: the timeout= of the opening, a
 * keepalive, or at once when libssh2 holds channel data it read while
 * writing (the socket will not become readable for it).  The transport
 * below keeps its own wake_at for its attempts.
 */
static void
ssh_rearm(struct transport *t)
{
	struct ssh	*s = t->priv;
	int64_t		 w = -1;

	switch (s->state) {
	case SSH_ST_OPEN:
	case SSH_ST_CLOSING:
		if (s->pending)
			w = tether_now_ms();
		else if (s->keepalive > 0 && s->state == SSH_ST_OPEN)
			w = s->next_alive;
		break;
	default:
		break;
	}
	if (s->state < SSH_ST_OPEN && s->open_deadline != -1 &&
	    (w == -1 || s->open_deadline < w))
		w = s->open_deadline;
	t->wake_at = w;
}

/*
 * Called on readiness and at wake_at: goes on opening, or when open
 * does the periodic work.
 */
static int
ssh_connect(struct transport *t)
{
	struct ssh	*s = t->priv;
	int		 r;

	if (s->state == SSH_ST_OPEN || s->state == SSH_ST_CLOSING) {
		s->pending = 0;	/* the session reads after this */
		r = ssh_tick(t);
	} else {
		r = ssh_step(t);
		if (r == TETHER_EAGAIN && s->open_deadline != -1 &&
		    tether_now_ms() >= s->open_deadline) {
			r = tether_loop_seterr(t->loop, TETHER_ETIMEDOUT,
			    "ssh %s: timeout=%lld ms passed while %s",
			    s->desc, (long long)s->open_timeout,
			    ssh_phase(s));
			s->state = SSH_ST_DONE;
		}
	}
	ssh_rearm(t);
	return r;
}

/*
 * Options and addresses.
 */

/* Parses "[USER@]HOST[:PORT]" ("[v6]:port" too). */
static int
ssh_parse_addr(struct transport *t, const char *addr)
{
	struct ssh	*s = t->priv;
	const char	*at, *h, *end, *colon = NULL;
	char		*ep;
	long		 p;

	s->port = 22;
	if ((at = strrchr(addr, '@')) != NULL) {
		if (at == addr)
			goto bad;
		if ((s->user = strndup(addr, (size_t)(at - addr))) == NULL)
			return TETHER_ENOMEM;
		h = at + 1;
	} else
		h = addr;
	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL)
			goto bad;
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1] != '\0')
			goto bad;
		s->host = strndup(h + 1, (size_t)(end - h - 1));
	} else if ((colon = strchr(h, ':')) != NULL &&
	    strchr(colon + 1, ':') != NULL) {
		colon = NULL;		/* a bare IPv6 address */
		s->host = strdup(h);
	} else if (colon != NULL)
		s->host = strndup(h, (size_t)(colon - h));
	else
		s->host = strdup(h);
	if (s->host == NULL)
		return TETHER_ENOMEM;
	if (*s->host == '\0' || strchr(s->host, '/') != NULL)
		goto bad;
	if (colon != NULL) {
		errno = 0;
		p = strtol(colon + 1, &ep, 10);
		if (colon[1] == '\0' || *ep != '\0' || errno != 0 || p <= 0 ||
		    p > 65535)
			goto bad;
		s->port = (int)p;
	}
	return 0;
bad:
	return tether_loop_seterr(t->loop, TETHER_EINVAL,
	    "bad ssh address \"%s\": want ssh://[USER@]HOST[:PORT]", addr);
}

int
ssh_yesno(const char *v)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

const char *
ssh_home(void)
{
	const char	*home;
	struct passwd	*pw;

	if ((home = getenv("HOME")) != NULL && *home != '\0')
		return home;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_dir;
	return NULL;
}

char *
ssh_expand(const char *path)
{
	const char	*home = ssh_home();
	char		*p;

	if (strncmp(path, "~/", 2) != 0 || home == NULL)
		return strdup(path);
	if (asprintf(&p, "%s%s", home, path + 1) == -1)
		return NULL;
	return p;
}

/* Reads the options of the channel; see man/tether-script.5. */
static int
ssh_options(struct transport *t, struct transport_args *a)
{
	struct ssh	*s = t->priv;
	const char	*v;
	int		 yn, r;

	if ((r = ssh_auth_options(t, a)) != 0 ||
	    (r = ssh_hostkey_options(t, a)) != 0)
		return r;
	if ((v = transport_opt(a, "command")) != NULL) {
		if ((s->command = strdup(v)) == NULL)
			return TETHER_ENOMEM;
		s->exec = 1;
	}
	if ((v = transport_opt(a, "exec")) != NULL) {
		if ((yn = ssh_yesno(v)) == -1)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: exec=%s: want yes or no", v);
		if (yn && s->command == NULL)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: exec=yes needs command=CMD");
		if (!yn && s->command != NULL)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: command= runs on an exec channel; drop "
			    "exec=no");
	}
	s->pty = !s->exec;
	if ((v = transport_opt(a, "pty")) != NULL &&
	    (s->pty = ssh_yesno(v)) == -1)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "ssh: pty=%s: want yes or no", v);
	if ((v = transport_opt(a, "term")) == NULL &&
	    ((v = getenv("TERM")) == NULL || *v == '\0'))
		v = "vt100";
	if ((s->term = strdup(v)) == NULL)
		return TETHER_ENOMEM;

	if ((v = transport_opt(a, "keepalive")) != NULL &&
	    (text_duration(v, &s->keepalive) != 0 ||
	    s->keepalive < 0))
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "ssh: keepalive=%s: want a duration (\"15s\")", v);
	/* libssh2 counts whole seconds, and at least 2. */
	if (s->keepalive > 0)
		s->keepalive = s->keepalive < 2000 ? 2000 :
		    (s->keepalive + 999) / 1000 * 1000;
	if ((v = transport_opt(a, "timeout")) != NULL &&
	    (text_duration(v, &s->open_timeout) != 0 ||
	    s->open_timeout <= 0))
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "ssh: timeout=%s: want a duration (\"20s\")", v);
	return 0;
}

static int
ssh_open(struct transport *t, struct transport_args *a)
{
	struct ssh		*s;
	struct transport_args	 below;
	char			*hostport = NULL, *p;
	int			 r;

	if (t->next == NULL)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "ssh needs a transport below it");
	if ((s = calloc(1, sizeof *s)) == NULL)
		return TETHER_ENOMEM;
	t->priv = s;
	t->own_events = 1;	/* a full window is not a writable socket */
	s->t = t;
	s->state = SSH_ST_DONE;
	buf_init(&s->tried, 4096);
	if ((r = ssh_parse_addr(t, a->addr)) != 0)
		return r;
	if ((r = ssh_options(t, a)) != 0)
		return r;
	s->rows = a->rows > 0 ? a->rows : 24;
	s->cols = a->cols > 0 ? a->cols : 80;
	for (p = s->host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (s->port == 22)
		r = asprintf(&s->khname, "%s", s->host);
	else
		r = asprintf(&s->khname, "[%s]:%d", s->host, s->port);
	if (r == -1) {
		s->khname = NULL;
		return TETHER_ENOMEM;
	}
	if (s->port == 22)
		r = asprintf(&s->desc, "%s@%s", s->user, s->host);
	else
		r = asprintf(&s->desc, "%s@%s:%d", s->user, s->host, s->port);
	if (r == -1) {
		s->desc = NULL;
		return TETHER_ENOMEM;
	}
	r = asprintf(&hostport, strchr(s->host, ':') != NULL ? "[%s]:%d" :
	    "%s:%d", s->host, s->port);
	if (r == -1)
		return TETHER_ENOMEM;

	libssh2_init(0);
	s->deadline = a->deadline;
	s->open_deadline = -1;
	if (s->open_timeout > 0)
		s->open_deadline = (a->deadline > tether_now_ms() ?
		    a->deadline : tether_now_ms()) + s->open_timeout;
	s->state = SSH_ST_TCP;
	below = *a;
	below.addr = hostport;
	r = transport_open(t->next, &below);
	free(hostport);
	if (r != 0 && r != TETHER_EAGAIN)
		return ssh_below_failed(t, r);
	return ssh_connect(t);
}

/*
 * The open channel.
 */

/* Records the exit status once the channel is closed. */
static void
ssh_collect_status(struct ssh *s)
{
	static const struct {
		const char	*name;
		int		 sig;
	} sigs[] = {
		{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "FPE", SIGFPE },
		{ "HUP", SIGHUP }, { "ILL", SIGILL }, { "INT", SIGINT },
		{ "KILL", SIGKILL }, { "PIPE", SIGPIPE }, { "QUIT", SIGQUIT },
		{ "SEGV", SIGSEGV }, { "TERM", SIGTERM }, { "USR1", SIGUSR1 },
		{ "USR2", SIGUSR2 },
	};
	char	*sig = NULL;
	size_t	 siglen = 0, i;

	if (s->have_status || s->channel == NULL)
		return;
	s->have_status = 1;
	s->status = libssh2_channel_get_exit_status(s->channel);
	if (libssh2_channel_get_exit_signal(s->channel, &sig, &siglen, NULL,
	    NULL, NULL, NULL) == 0 && sig != NULL) {
		s->status = 128;
		for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
			if (strcmp(sig, sigs[i].name) == 0)
				s->status = 128 + sigs[i].sig;
		}
		libssh2_free(s->session, sig);
	}
}

/*
 * Periodic work while open: a window size that could not be sent yet,
 * keepalives and the check that the server still answers them.
 */
static int
ssh_tick(struct transport *t)
{
	struct ssh	*s = t->priv;
	int64_t		 now;
	int		 rc, next = 0;

	if (s->state != SSH_ST_OPEN)
		return 0;
	if (s->winsize_pending) {
		rc = libssh2_channel_request_pty_size(s->channel, s->cols,
		    s->rows);
		if (rc == 0)
			s->winsize_pending = 0;
		else if (rc != LIBSSH2_ERROR_EAGAIN && ssh_is_gone(rc))
			return ssh_lost(t, "sending the window size");
		else if (rc != LIBSSH2_ERROR_EAGAIN)
			s->winsize_pending = 0;
	}
	if (s->keepalive <= 0)
		return 0;
	now = tether_now_ms();
	if (now < s->next_alive)
		return 0;
	rc = libssh2_keepalive_send(s->session, &next);
	if (rc != 0 && rc != LIBSSH2_ERROR_EAGAIN && ssh_is_gone(rc))
		return ssh_lost(t, "sending a keepalive");
	if (next >= (int)(s->keepalive / 1000)) {
		/* One went out now: was the one before answered? */
		if (s->alive_sent != 0 && s->last_rx < s->alive_sent)
			s->unanswered++;
		else
			s->unanswered = 0;
		s->alive_sent = now;
		if (s->unanswered >= SSH_ALIVE_MAX) {
			s->state = SSH_ST_DONE;
			s->lost = 1;
			return tether_loop_seterr(t->loop, TETHER_EOF,
			    "ssh %s: the server did not answer %d keepalives "
			    "in %lld ms", s->desc, s->unanswered,
			    (long long)(now - s->last_rx));
		}
	}
	if (next <= 0)
		next = 1;
	s->next_alive = now + (int64_t)next * 1000;
	return 0;
}

static int
ssh_read(struct transport *t, void *p, size_t n, size_t *nread)
{
	struct ssh	*s = t->priv;
	ssize_t		 rc;
	int		 r;

	*nread = 0;
	if ((r = ssh_tick(t)) != 0)
		return r;
	if (s->state == SSH_ST_OPEN) {
		rc = libssh2_channel_read(s->channel, p, n);
		if (rc > 0) {
			*nread = (size_t)rc;
			return 0;
		}
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			s->pending = 0;
			ssh_rearm(t);
			return TETHER_EAGAIN;
		}
		if (rc < 0) {
			if (ssh_is_gone((int)rc)) {
				(void)ssh_lost(t, "reading");
				return TETHER_EOF;
			}
			s->state = SSH_ST_DONE;
			return tether_loop_seterr(t->loop, TETHER_EIO,
			    "ssh %s: read: %s", s->desc, ssh_liberr(s));
		}
		if (!libssh2_channel_eof(s->channel)) {
			s->pending = 0;
			ssh_rearm(t);
			return TETHER_EAGAIN;
		}
		s->state = SSH_ST_CLOSING;
	}
	if (s->state == SSH_ST_CLOSING) {
		/* The exit status comes before the close. */
		rc = libssh2_channel_wait_closed(s->channel);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			s->pending = 0;
			ssh_rearm(t);
			return TETHER_EAGAIN;
		}
		if (rc == 0)
			ssh_collect_status(s);
		else
			s->lost = 1;
		s->state = SSH_ST_DONE;
	}
	ssh_rearm(t);
	return TETHER_EOF;
}

static int
ssh_write(struct transport *t, const void *p, size_t n, size_t *nwritten)
{
	struct ssh	*s = t->priv;
	ssize_t		 rc;
	int		 r;

	*nwritten = 0;
	if ((r = ssh_tick(t)) != 0)
		return r;
	if (s->state == SSH_ST_CLOSING || s->state == SSH_ST_DONE)
		return TETHER_EOF;
	if (s->state != SSH_ST_OPEN)
		return TETHER_EAGAIN;
	rc = libssh2_channel_write(s->channel, p, n);
	/* Writing drains the socket: channel data may now wait inside. */
	if (libssh2_poll_channel_read(s->channel, 1) > 0 ||
	    libssh2_channel_eof(s->channel)) {
		s->pending = 1;
		ssh_rearm(t);
	}
	if (rc > 0) {
		*nwritten = (size_t)rc;
		return 0;
	}
	if (rc == 0 || rc == LIBSSH2_ERROR_EAGAIN)
		return TETHER_EAGAIN;
	if (ssh_is_gone((int)rc)) {
		(void)ssh_lost(t, "writing");
		return TETHER_EOF;
	}
	if (rc == LIBSSH2_ERROR_CHANNEL_CLOSED ||
	    rc == LIBSSH2_ERROR_CHANNEL_EOF_SENT)
		return TETHER_EOF;
	return tether_loop_seterr(t->loop, TETHER_EIO, "ssh %s: write: %s",
	    s->desc, ssh_liberr(s));
}

static int
ssh_events(struct transport *t)
{
	struct ssh	*s = t->priv;
	int		 dirs, ev = 0;

	switch (s->state) {
	case SSH_ST_DONE:
		return 0;
	case SSH_ST_TCP:
		return transport_events(t->next);
	case SSH_ST_OPEN:
	case SSH_ST_CLOSING:
		ev = POLLIN;	/* data may come at any time */
		break;
	default:
		break;
	}
	dirs = libssh2_session_block_directions(s->session);
	if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
		ev |= POLLIN;
	if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ev |= POLLOUT;
	if (ev == 0)
		ev = POLLIN;
	return ev;
}

static int
ssh_winsize(struct transport *t, int rows, int cols)
{
	struct ssh	*s = t->priv;

	if (rows <= 0 || cols <= 0)
		return TETHER_EINVAL;
	s->rows = rows;
	s->cols = cols;
	if (!s->pty)
		return 0;
	if (s->state == SSH_ST_OPEN) {
		s->winsize_pending = 1;
		return ssh_tick(t);
	}
	return 0;		/* sent with the pty request */
}

static int
ssh_wait(struct transport *t, int64_t deadline, int *status)
{
	struct ssh	*s = t->priv;
	int		 r;

	for (;;) {
		if (s->have_status) {
			*status = s->status;
			return 0;
		}
		if (s->state == SSH_ST_DONE || s->lost)
			return tether_loop_seterr(t->loop, TETHER_EOF,
			    "ssh %s: the connection was lost before the exit "
			    "status arrived", s->desc);
		if (deadline != -1 && tether_now_ms() >= deadline)
			return TETHER_ETIMEDOUT;
		/* Reading (by the loop) moves the channel towards its end. */
		r = tether_loop_once(t->loop, deadline);
		if (r == TETHER_EINTR)
			return r;
	}
}

/* Says goodbye within SSH_CLOSE_MS: libssh2 blocks with a timeout. */
static void
ssh_close(struct transport *t)
{
	struct ssh	*s = t->priv;

	if (s == NULL)
		return;
	ssh_auth_free(s);	/* the agent before the session */
	if (s->session != NULL) {
		libssh2_session_set_timeout(s->session, SSH_CLOSE_MS);
		libssh2_session_set_blocking(s->session, 1);
		/*
		 * libssh2 frees nothing while a send would block: when the
		 * server is gone or does not answer, make every send fail.
		 */
		if (s->lost || !s->handshaken)
			s->cut = 1;
		if (s->channel != NULL) {
			if (!s->lost && libssh2_channel_close(s->channel) != 0)
				s->cut = 1;
			(void)libssh2_channel_free(s->channel);
			s->channel = NULL;
		}
		if (!s->lost && s->handshaken &&
		    libssh2_session_disconnect(s->session, "closed") != 0)
			s->cut = 1;
		libssh2_session_free(s->session);
	}
	free(s->user);
	free(s->host);
	free(s->khname);
	free(s->desc);
	free(s->known_hosts);
	free(s->command);
	free(s->term);
	free(s->disconnect);
	free(s);
	t->priv = NULL;
}

const struct transport_ops transport_ssh_ops = {
	.name = "ssh",
	.open = ssh_open,
	.connect = ssh_connect,
	.read = ssh_read,
	.write = ssh_write,
	.events = ssh_events,
	.winsize = ssh_winsize,
	.wait = ssh_wait,
	.close = ssh_close,
};
