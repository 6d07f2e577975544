/* SPDX-License-Identifier: ISC */
/*
 * transport-ssh.c - ssh:// sessions: a shell or exec channel over libssh2
 * in non-blocking mode on a TCP socket connected here, every step of the
 * opening driven by the loop as a state machine.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "buf.h"
#include "tether.h"
#include "transport.h"

#define SSH_RETRY_MIN	10	/* ms between connection attempts ... */
#define SSH_RETRY_MAX	200	/* ... doubling up to this */
#define SSH_CLOSE_MS	500	/* budget for saying goodbye */
#define SSH_ALIVE_MAX	3	/* unanswered keepalives before failing */
#define SSH_KNOWN_HOSTS_GLOBAL "/etc/ssh/ssh_known_hosts"

enum ssh_state {
	SSH_ST_WAIT,		/* waiting for wake_at to connect again */
	SSH_ST_TCP,		/* non-blocking connect in progress */
	SSH_ST_HANDSHAKE,	/* banner, key exchange */
	SSH_ST_AUTHLIST,	/* asking which methods the server offers */
	SSH_ST_AUTH,		/* trying them */
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

	/* Credentials: never printed. */
	char			*password;
	char			*passphrase;
	char			**ids;		/* identity files */
	size_t			 nids;
	int			 agent;		/* 1, 0, -1: if set */

	/* Host keys. */
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
	struct addrinfo		*ai;
	struct addrinfo		*ai_cur;
	int64_t			 deadline;	/* connect-within */
	int64_t			 open_deadline;	/* or -1 */
	int64_t			 retry_at;
	int64_t			 retry;
	int			 attempts;
	int			 last_errno;
	int			 handshake_errors;

	/* libssh2. */
	LIBSSH2_SESSION		*session;
	LIBSSH2_CHANNEL		*channel;
	LIBSSH2_AGENT		*agent_h;
	struct libssh2_agent_publickey *agent_prev;
	struct libssh2_agent_publickey *agent_cur;
	int			 agent_keys;
	char			*methods;	/* offered by the server */
	enum ssh_auth		 auth;
	size_t			 id_cur;
	int			 kbd_answered;
	struct buf		 tried;		/* for the message */
	char			*disconnect;	/* server's reason */

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

static int	ssh_tick(struct transport *);

/* Returns nonzero for the libssh2 codes that mean the connection is gone. */
static int
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

/* Returns libssh2's message for the last failure. */
static const char *
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

/* Returns the libssh2 code of the last failure. */
static int
ssh_lasterr(struct ssh *s)
{
	return libssh2_session_last_errno(s->session);
}

/* Fails with "connection lost" (EOF) and what the server said, if any. */
static int
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

/* Base64 without padding, as OpenSSH prints fingerprints. */
static void
ssh_base64(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i, o = 0;
	uint32_t		 v;

	for (i = 0; i < n && o + 4 < outlen; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
}

/* Padded base64, as key blobs are written in known_hosts. */
static char *
ssh_base64_padded(const unsigned char *p, size_t n)
{
	char	*out;
	size_t	 len, o;

	len = (n + 2) / 3 * 4;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	ssh_base64(p, n, out, len + 1);
	for (o = strlen(out); o < len; o++)
		out[o] = '=';
	out[len] = '\0';
	return out;
}

/*
 * LIBSSH2_RECV_FUNC: recv() that notes when bytes last arrived, for the
 * keepalive check.  libssh2 wants -errno on failure.
 */
static ssize_t
ssh_recv(libssh2_socket_t fd, void *p, size_t n, int flags, void **abstract)
{
	struct ssh	*s = *abstract;
	ssize_t		 r;

	r = recv(fd, p, n, flags);
	if (r < 0)
		return -errno;
	if (r > 0)
		s->last_rx = tether_now_ms();
	return r;
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
 * LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC: answers every prompt that does
 * not echo with the password, the others with nothing.
 */
static void
ssh_kbdint(const char *name, int namelen, const char *instr, int instrlen,
    int nprompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
    LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
	struct ssh	*s = *abstract;
	const char	*answer;
	int		 i;

	for (i = 0; i < nprompts; i++) {
		answer = "";
		if (!prompts[i].echo && s->password != NULL) {
			answer = s->password;
			s->kbd_answered++;
		}
		responses[i].text = strdup(answer);
		responses[i].length = responses[i].text == NULL ? 0 :
		    (unsigned int)strlen(answer);
	}
}

/* Appends one "method (result)" to the list of what authentication tried. */
static void
ssh_tried(struct ssh *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
ssh_tried(struct ssh *s, const char *fmt, ...)
{
	va_list	ap;

	if (s->tried.len > 0 && buf_puts(&s->tried, ", ") != 0)
		return;
	va_start(ap, fmt);
	if (buf_vprintf(&s->tried, fmt, ap) != 0) {
		/* The message is only shortened. */
	}
	va_end(ap);
}

/* Returns nonzero when the server offers authentication method m. */
static int
ssh_offers(struct ssh *s, const char *m)
{
	const char	*p = s->methods;
	size_t		 n = strlen(m);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, m, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return 0;
}

/* Returns why a publickey, password or keyboard-interactive try failed. */
static const char *
ssh_auth_why(struct ssh *s, int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
	case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
		return "rejected";
	case LIBSSH2_ERROR_FILE:
		return s->passphrase == NULL ?
		    "cannot load the key; encrypted without passphrase=?" :
		    "cannot load the key; wrong passphrase?";
	case LIBSSH2_ERROR_PASSWORD_EXPIRED:
		return "password expired";
	case LIBSSH2_ERROR_METHOD_NOT_SUPPORTED:
		return "key type not supported";
	}
	return ssh_liberr(s);
}

/*
 * Opening.
 */

/* Starts a non-blocking connect to the next address.  Returns 0 when
 * connected, TETHER_EAGAIN when in progress, -1 when none is left. */
static int
ssh_tcp_attempt(struct transport *t)
{
	struct ssh	*s = t->priv;
	struct addrinfo	*ai;
	int		 fd, one = 1;

	for (; (ai = s->ai_cur) != NULL; s->ai_cur = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			s->last_errno = errno;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		t->fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return 0;
		if (errno == EINPROGRESS) {
			s->state = SSH_ST_TCP;
			return TETHER_EAGAIN;
		}
		s->last_errno = errno;
		close(fd);
		t->fd = -1;
	}
	return -1;
}

/* Schedules another round of attempts, or fails past the deadline. */
static int
ssh_tcp_retry(struct transport *t)
{
	struct ssh	*s = t->priv;
	int64_t		 now = tether_now_ms();

	if (t->fd != -1) {
		close(t->fd);
		t->fd = -1;
	}
	s->attempts++;
	if (s->last_errno != ECONNREFUSED && s->last_errno != ETIMEDOUT &&
	    s->last_errno != ECONNRESET && s->last_errno != ENETUNREACH &&
	    s->last_errno != EHOSTUNREACH && s->last_errno != 0)
		s->deadline = 0;
	if (now >= s->deadline) {
		s->state = SSH_ST_DONE;
		if (s->last_errno == 0)
			return tether_loop_seterr(t->loop, TETHER_ECONNECT,
			    "ssh %s: the server closed the connection before "
			    "the SSH handshake%s%s (%d attempts)", s->desc,
			    s->disconnect != NULL ? ": " : "",
			    s->disconnect != NULL ? s->disconnect : "",
			    s->attempts);
		return tether_loop_seterr(t->loop, TETHER_ECONNECT,
		    "ssh %s: cannot connect: %s%s", s->desc,
		    strerror(s->last_errno),
		    s->attempts > 1 ? " (retried until connect-within)" : "");
	}
	s->state = SSH_ST_WAIT;
	s->retry_at = now + s->retry;
	if (s->retry_at > s->deadline)
		s->retry_at = s->deadline;
	s->retry *= 2;
	if (s->retry > SSH_RETRY_MAX)
		s->retry = SSH_RETRY_MAX;
	return TETHER_EAGAIN;
}

/* Makes a fresh libssh2 session for the socket just connected. */
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
	libssh2_session_callback_set(s->session, LIBSSH2_CALLBACK_RECV,
	    (void *)ssh_recv);
	libssh2_session_callback_set(s->session, LIBSSH2_CALLBACK_DISCONNECT,
	    (void *)ssh_disconnected);
	s->state = SSH_ST_HANDSHAKE;
	s->last_rx = tether_now_ms();
	return 0;
}

/* Returns the known_hosts key type bits and a name for a host key type. */
static int
ssh_keytype(int type, const char **name)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		*name = "RSA";
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		*name = "DSA";
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		*name = "ECDSA";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		*name = "ECDSA";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		*name = "ECDSA";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		*name = "ED25519";
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	}
	*name = "unknown";
	return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

/* Returns nonzero when s[0..n) is base64 for exactly 20 bytes. */
static int
ssh_kh_b64_20(const char *s, size_t n)
{
	size_t	i;

	if (n != 28 || s[27] != '=')
		return 0;
	for (i = 0; i < 27; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/')
			return 0;
	}
	return 1;
}

/*
 * Returns nonzero for a usable hashed name, as OpenSSH takes it:
 * hashed = "|1|" SALT "|" HASH, each base64 for 20 bytes (SHA-1).
 * libssh2 leaks on any other, and could never match it anyway.
 */
static int
ssh_kh_hashed_ok(const char *p)
{
	const char	*bar;
	size_t		 n;

	p += 3;
	if ((bar = strchr(p, '|')) == NULL ||
	    !ssh_kh_b64_20(p, (size_t)(bar - p)))
		return 0;
	n = strcspn(bar + 1, " \t");
	return ssh_kh_b64_20(bar + 1, n);
}

/*
 * One known_hosts line, NUL-terminated, modified in place.  Returns
 * nonzero when it marks key64 @revoked.
 * line = [ "@revoked" | "@cert-authority" ] HOSTS TYPE KEY [ COMMENT ]
 *      | "#" COMMENT | blank
 * HOSTS = hashed | NAME { "," NAME }
 */
static int
ssh_kh_line(LIBSSH2_KNOWNHOSTS *kh, char *p, const char *key64)
{
	char	*fields[4];
	int	 i;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (strncmp(p, "@revoked", 8) == 0) {
		/* "@revoked HOSTS TYPE KEY": the key must never do. */
		for (i = 0; i < 4; i++) {
			fields[i] = strsep(&p, " \t");
			while (p != NULL && (*p == ' ' || *p == '\t'))
				p++;
		}
		return fields[3] != NULL && strcmp(fields[3], key64) == 0;
	}
	if (*p == '@')
		return 0;	/* @cert-authority: not for host keys */
	if (strncmp(p, "|1|", 3) == 0 && !ssh_kh_hashed_ok(p))
		return 0;
	/* Lines libssh2 cannot parse are skipped, not fatal. */
	(void)libssh2_knownhost_readline(kh, p, strlen(p),
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	return 0;
}

/*
 * Reads known_hosts text line by line: libssh2's readfile stops at the
 * first line it does not understand (@cert-authority, unknown key types),
 * and loses every later entry.  Revoked keys are compared here.
 * known_hosts = { line ( "\n" | "\r\n" ) } [ line ]
 */
int
ssh_kh_parse(LIBSSH2_KNOWNHOSTS *kh, const char *text, size_t len,
    const char *key64)
{
	const char	*nl;
	char		*line = NULL, *nb;
	size_t		 n, cap = 0;
	int		 revoked = 0;

	while (len > 0) {
		if ((nl = memchr(text, '\n', len)) != NULL)
			n = (size_t)(nl - text);
		else
			n = len;
		if (n + 1 > cap) {
			if ((nb = realloc(line, n + 1)) == NULL)
				break;
			line = nb;
			cap = n + 1;
		}
		memcpy(line, text, n);
		line[n] = '\0';
		while (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		revoked |= ssh_kh_line(kh, line, key64);
		n = nl != NULL ? (size_t)(nl - text) + 1 : len;
		text += n;
		len -= n;
	}
	free(line);
	return revoked;
}

/*
 * Reads the known_hosts file at path (a missing one is empty).  Returns
 * nonzero when key64 is marked @revoked.
 */
static int
ssh_kh_load(LIBSSH2_KNOWNHOSTS *kh, const char *path, const char *key64)
{
	struct buf	 b;
	char		 chunk[8192];
	size_t		 n;
	FILE		*f;
	int		 revoked = 0;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_append(&b, chunk, n) != 0)
			break;
	}
	fclose(f);
	revoked = ssh_kh_parse(kh, buf_str(&b), b.len, key64);
	buf_free(&b);
	return revoked;
}

/* Creates the directory of path (mode 0700) when it is ~/.ssh. */
static void
ssh_kh_mkdir(const char *path)
{
	char	*dir, *slash;

	if ((dir = strdup(path)) == NULL)
		return;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (strlen(dir) >= 5 &&
		    strcmp(dir + strlen(dir) - 5, "/.ssh") == 0)
			(void)mkdir(dir, 0700);
	}
	free(dir);
}

/* Appends the server's key to the known_hosts file, as OpenSSH does. */
static int
ssh_kh_record(struct transport *t, LIBSSH2_KNOWNHOSTS *kh, const char *key,
    size_t keylen, int kt)
{
	struct ssh			*s = t->priv;
	struct libssh2_knownhost	*entry = NULL;
	char				 line[16384], last;
	size_t				 outlen = 0;
	int				 fd, r = 0;
	off_t				 end;

	if (libssh2_knownhost_addc(kh, s->khname, NULL, key, keylen, NULL, 0,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kt,
	    &entry) != 0 ||
	    libssh2_knownhost_writeline(kh, entry, line, sizeof line, &outlen,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
		return tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: cannot format the host key for %s: %s", s->desc,
		    s->known_hosts, ssh_liberr(s));
	if (!s->known_hosts_given)
		ssh_kh_mkdir(s->known_hosts);
	fd = open(s->known_hosts, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: cannot record the host key in %s: %s", s->desc,
		    s->known_hosts, strerror(errno));
	/* Never glue the entry to a last line without a newline. */
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n' &&
	    write(fd, "\n", 1) != 1)
		r = -1;
	if (r == 0 && write(fd, line, outlen) != (ssize_t)outlen)
		r = -1;
	if (close(fd) == -1 || r == -1)
		return tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: cannot record the host key in %s: %s", s->desc,
		    s->known_hosts, strerror(errno));
	return 0;
}

/*
 * Checks the server's host key against known_hosts.  The name looked up
 * is the one OpenSSH writes: "host" on port 22, "[host]:port" elsewhere,
 * so libssh2 is given port -1 (its checkp with a port would also accept
 * a plain "host" entry for any port).
 */
static int
ssh_hostkey(struct transport *t)
{
	struct ssh		*s = t->priv;
	LIBSSH2_KNOWNHOSTS	*kh = NULL;
	const char		*key, *hash, *kname;
	char			 fp[64], *key64 = NULL;
	size_t			 keylen;
	int			 type, kt, r, revoked;

	key = libssh2_session_hostkey(s->session, &keylen, &type);
	hash = libssh2_hostkey_hash(s->session, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (key == NULL || hash == NULL)
		return tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: the server sent no host key", s->desc);
	ssh_base64((const unsigned char *)hash, 32, fp, sizeof fp);
	kt = ssh_keytype(type, &kname);
	if ((key64 = ssh_base64_padded((const unsigned char *)key,
	    keylen)) == NULL ||
	    (kh = libssh2_knownhost_init(s->session)) == NULL) {
		r = tether_loop_seterr(t->loop, TETHER_ENOMEM,
		    "ssh: out of memory");
		goto out;
	}
	revoked = ssh_kh_load(kh, s->known_hosts, key64);
	if (!s->known_hosts_given)
		revoked |= ssh_kh_load(kh, SSH_KNOWN_HOSTS_GLOBAL, key64);
	if (revoked) {
		r = tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: the %s host key SHA256:%s is marked @revoked in "
		    "known_hosts", s->desc, kname, fp);
		goto out;
	}
	switch (libssh2_knownhost_checkp(kh, s->khname, -1, key, keylen,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kt,
	    NULL)) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		r = 0;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		r = tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: HOST KEY MISMATCH for %s: the server sent %s key "
		    "SHA256:%s, which differs from the one in %s%s; it may "
		    "have been reinstalled, or someone may be intercepting "
		    "the connection", s->desc, s->khname, kname, fp,
		    s->known_hosts, s->known_hosts_given ? "" :
		    " or " SSH_KNOWN_HOSTS_GLOBAL);
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		if (s->accept_new) {
			r = ssh_kh_record(t, kh, key, keylen, kt);
			break;
		}
		r = tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: host key for %s is not known: %s key SHA256:%s; "
		    "add it to %s or open with host-key=accept-new", s->desc,
		    s->khname, kname, fp, s->known_hosts);
		break;
	default:
		r = tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: cannot check the host key (%s key SHA256:%s): "
		    "%s", s->desc, kname, fp, ssh_liberr(s));
		break;
	}
out:
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	free(key64);
	return r;
}

/* Fails authentication, saying what was tried and what was offered. */
static int
ssh_auth_failed(struct transport *t, const char *why)
{
	struct ssh	*s = t->priv;

	s->state = SSH_ST_DONE;
	return tether_loop_seterr(t->loop, TETHER_EAUTH,
	    "ssh %s: authentication as %s failed%s%s; tried: %s; "
	    "the server offers: %s", s->desc, s->user,
	    why != NULL ? ": " : "", why != NULL ? why : "",
	    s->tried.len > 0 ? buf_str(&s->tried) : "nothing (no identity "
	    "file, agent or password= to use)",
	    s->methods != NULL ? s->methods : "?");
}

/* An authentication call failed with rc: fatal when the link is gone. */
static int
ssh_auth_gone(struct transport *t, int rc)
{
	struct ssh	*s = t->priv;

	if (!ssh_is_gone(rc))
		return 0;
	if (s->disconnect != NULL)
		return ssh_auth_failed(t, s->disconnect);
	return ssh_lost(t, "authenticating");
}

/*
 * Tries the next authentication method: identity files, the agent's
 * keys, keyboard-interactive, then password; only those the server
 * offers.  Returns 0 when authenticated, TETHER_EAGAIN, or an error.
 */
static int
ssh_auth_step(struct transport *t)
{
	struct ssh	*s = t->priv;
	unsigned int	 ulen = (unsigned int)strlen(s->user);
	int		 rc, r;

	for (;;) {
		if (libssh2_userauth_authenticated(s->session))
			return 0;
		switch (s->auth) {
		case SSH_AUTH_FILE:
			if (!ssh_offers(s, "publickey") || s->id_cur >= s->nids)
				break;
			rc = libssh2_userauth_publickey_fromfile_ex(s->session,
			    s->user, ulen, NULL, s->ids[s->id_cur],
			    s->passphrase);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc == 0)
				return 0;
			ssh_tried(s, "publickey %s (%s)", s->ids[s->id_cur],
			    ssh_auth_why(s, rc));
			if ((r = ssh_auth_gone(t, rc)) != 0)
				return r;
			s->id_cur++;
			continue;
		case SSH_AUTH_AGENT:
			if (!ssh_offers(s, "publickey") || s->agent == 0)
				break;
			if (s->agent_h == NULL) {
				if (s->agent == -1 &&
				    getenv("SSH_AUTH_SOCK") == NULL)
					break;
				s->agent_h = libssh2_agent_init(s->session);
				if (s->agent_h == NULL ||
				    libssh2_agent_connect(s->agent_h) != 0 ||
				    libssh2_agent_list_identities(s->agent_h)
				    != 0) {
					ssh_tried(s, "publickey agent "
					    "(unavailable: %s)",
					    ssh_liberr(s));
					break;
				}
			}
			if (s->agent_cur == NULL) {
				rc = libssh2_agent_get_identity(s->agent_h,
				    &s->agent_cur, s->agent_prev);
				if (rc != 0) {
					s->agent_cur = NULL;
					if (s->agent_keys == 0)
						ssh_tried(s, "publickey agent "
						    "(no keys)");
					else
						ssh_tried(s, "publickey agent "
						    "(%d key%s rejected)",
						    s->agent_keys,
						    s->agent_keys == 1 ? "" :
						    "s");
					break;
				}
			}
			rc = libssh2_agent_userauth(s->agent_h, s->user,
			    s->agent_cur);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc == 0)
				return 0;
			s->agent_keys++;
			if (ssh_is_gone(rc)) {
				ssh_tried(s, "publickey agent (%d key%s "
				    "rejected)", s->agent_keys,
				    s->agent_keys == 1 ? "" : "s");
				return ssh_auth_gone(t, rc);
			}
			s->agent_prev = s->agent_cur;
			s->agent_cur = NULL;
			continue;
		case SSH_AUTH_KBDINT:
			if (!ssh_offers(s, "keyboard-interactive") ||
			    s->password == NULL)
				break;
			rc = libssh2_userauth_keyboard_interactive_ex(
			    s->session, s->user, ulen, ssh_kbdint);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc == 0)
				return 0;
			ssh_tried(s, "keyboard-interactive (%s)",
			    s->kbd_answered == 0 && !ssh_is_gone(rc) ?
			    "no password prompt" : ssh_auth_why(s, rc));
			if ((r = ssh_auth_gone(t, rc)) != 0)
				return r;
			break;
		case SSH_AUTH_PASSWORD:
			if (!ssh_offers(s, "password") || s->password == NULL)
				break;
			rc = libssh2_userauth_password_ex(s->session, s->user,
			    ulen, s->password,
			    (unsigned int)strlen(s->password), NULL);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc == 0)
				return 0;
			ssh_tried(s, "password (%s)", ssh_auth_why(s, rc));
			if ((r = ssh_auth_gone(t, rc)) != 0)
				return r;
			break;
		case SSH_AUTH_END:
			return ssh_auth_failed(t, NULL);
		}
		s->auth++;
	}
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

/* A handshake failure: retried like a refused connection when the
 * server hung up (a forwarded port whose guest is not up yet). */
static int
ssh_handshake_failed(struct transport *t, int rc)
{
	struct ssh	*s = t->priv;

	if (ssh_is_gone(rc) && s->disconnect == NULL) {
		s->last_errno = 0;
		return ssh_tcp_retry(t);
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
	int		 rc, r, err;
	socklen_t	 len;
	char		*list;

	for (;;) {
		switch (s->state) {
		case SSH_ST_WAIT:
			if (tether_now_ms() < s->retry_at)
				return TETHER_EAGAIN;
			s->ai_cur = s->ai;
			if ((r = ssh_tcp_attempt(t)) == -1)
				return ssh_tcp_retry(t);
			if (r == TETHER_EAGAIN)
				return r;
			if ((r = ssh_session_new(t)) != 0)
				return r;
			continue;
		case SSH_ST_TCP:
			err = 0;
			len = sizeof err;
			if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
			if (err == 0) {
				struct sockaddr_storage	 peer;
				socklen_t		 plen = sizeof peer;

				if (getpeername(t->fd,
				    (struct sockaddr *)&peer, &plen) == -1)
					return TETHER_EAGAIN; /* not yet */
				if ((r = ssh_session_new(t)) != 0)
					return r;
				continue;
			}
			s->last_errno = err;
			close(t->fd);
			t->fd = -1;
			s->ai_cur = s->ai_cur->ai_next;
			if ((r = ssh_tcp_attempt(t)) == -1)
				return ssh_tcp_retry(t);
			if (r == TETHER_EAGAIN)
				return r;
			if ((r = ssh_session_new(t)) != 0)
				return r;
			continue;
		case SSH_ST_HANDSHAKE:
			rc = libssh2_session_handshake(s->session, t->fd);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc != 0)
				return ssh_handshake_failed(t, rc);
			s->handshaken = 1;
			if ((r = ssh_hostkey(t)) != 0) {
				s->state = SSH_ST_DONE;
				return r;
			}
			s->state = SSH_ST_AUTHLIST;
			continue;
		case SSH_ST_AUTHLIST:
			list = libssh2_userauth_list(s->session, s->user,
			    (unsigned int)strlen(s->user));
			if (list == NULL) {
				if (libssh2_userauth_authenticated(
				    s->session)) {
					/* "none" was accepted. */
					s->state = SSH_ST_CHANNEL;
					continue;
				}
				rc = ssh_lasterr(s);
				if (rc == LIBSSH2_ERROR_EAGAIN)
					return TETHER_EAGAIN;
				if (ssh_is_gone(rc))
					return ssh_lost(t, "authenticating");
				s->state = SSH_ST_DONE;
				return tether_loop_seterr(t->loop, TETHER_EAUTH,
				    "ssh %s: cannot list authentication "
				    "methods: %s", s->desc, ssh_liberr(s));
			}
			if ((s->methods = strdup(list)) == NULL)
				return TETHER_ENOMEM;
			s->state = SSH_ST_AUTH;
			continue;
		case SSH_ST_AUTH:
			if ((r = ssh_auth_step(t)) != 0)
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
	case SSH_ST_WAIT:
	case SSH_ST_TCP:
		return "connecting";
	case SSH_ST_HANDSHAKE:
		return "the SSH handshake (the server took the connection "
		    "but did not complete the key exchange)";
	case SSH_ST_AUTHLIST:
	case SSH_ST_AUTH:
		return "authenticating";
	default:
		return "opening the channel";
	}
}

/*
 * Sets wake_at to the next thing due: another connection attempt, the
 * timeout= of the opening, a keepalive, or at once when libssh2 holds
 * channel data it read from the socket while writing (the socket will
 * not become readable for it).
 */
static void
ssh_rearm(struct transport *t)
{
	struct ssh	*s = t->priv;
	int64_t		 w = -1;

	switch (s->state) {
	case SSH_ST_WAIT:
		w = s->retry_at;
		break;
	case SSH_ST_OPEN:
	case SSH_ST_CLOSING:
		if (s->pending)
			w = tether_now_ms();
		else if (s->keepalive > 0 && s->state == SSH_ST_OPEN)
			w = s->next_alive;
		break;
	case SSH_ST_DONE:
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

/* Parses a yes/no option value; returns 1, 0 or -1 when it is neither. */
static int
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

/* Returns the home directory, or NULL. */
static const char *
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

/* Returns a copy of path with a leading "~/" replaced by the home. */
static char *
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

/* Adds an identity file to try (a copy, "~/" expanded). */
static int
ssh_add_id(struct ssh *s, const char *path)
{
	char	**ids;

	ids = reallocarray(s->ids, s->nids + 1, sizeof *s->ids);
	if (ids == NULL)
		return TETHER_ENOMEM;
	s->ids = ids;
	if ((s->ids[s->nids] = ssh_expand(path)) == NULL)
		return TETHER_ENOMEM;
	s->nids++;
	return 0;
}

/* Reads the options; see man/notes-ssh.txt. */
static int
ssh_options(struct transport *t, struct transport_args *a)
{
	static const char *const defids[] = {
		"id_ed25519", "id_ecdsa", "id_rsa",
	};
	struct ssh	*s = t->priv;
	const char	*v, *home = ssh_home();
	char		 path[PATH_MAX];
	struct passwd	*pw;
	size_t		 i;
	int		 yn;

	if ((v = transport_opt(a, "user")) != NULL) {
		if (s->user != NULL && strcmp(s->user, v) != 0)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: user=%s contradicts the user %s in the "
			    "address", v, s->user);
		if (s->user == NULL && (s->user = strdup(v)) == NULL)
			return TETHER_ENOMEM;
	}
	if (s->user == NULL) {
		if ((pw = getpwuid(getuid())) != NULL)
			v = pw->pw_name;
		else
			v = getenv("USER");
		if (v == NULL)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: who am I? give user=");
		if ((s->user = strdup(v)) == NULL)
			return TETHER_ENOMEM;
	}
	/* Secrets of the whole run: an echo on any session is redacted. */
	if ((v = transport_opt(a, "password")) != NULL) {
		tether_loop_add_secret(t->loop, v);
		if ((s->password = strdup(v)) == NULL)
			return TETHER_ENOMEM;
	}
	if ((v = transport_opt(a, "passphrase")) != NULL) {
		tether_loop_add_secret(t->loop, v);
		if ((s->passphrase = strdup(v)) == NULL)
			return TETHER_ENOMEM;
	}

	if ((v = transport_opt(a, "identity")) != NULL) {
		if (ssh_add_id(s, v) != 0)
			return TETHER_ENOMEM;
		if (access(s->ids[0], R_OK) == -1)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: cannot read identity=%s: %s", v,
			    strerror(errno));
	} else if (home != NULL) {
		for (i = 0; i < sizeof defids / sizeof defids[0]; i++) {
			snprintf(path, sizeof path, "%s/.ssh/%s", home,
			    defids[i]);
			if (access(path, R_OK) == 0 &&
			    ssh_add_id(s, path) != 0)
				return TETHER_ENOMEM;
		}
	}
	s->agent = -1;
	if ((v = transport_opt(a, "agent")) != NULL) {
		if ((s->agent = ssh_yesno(v)) == -1)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: agent=%s: want yes or no", v);
	}

	if ((v = transport_opt(a, "known-hosts")) != NULL) {
		s->known_hosts_given = 1;
		s->known_hosts = ssh_expand(v);
	} else if (home != NULL) {
		snprintf(path, sizeof path, "%s/.ssh/known_hosts", home);
		s->known_hosts = strdup(path);
	} else
		s->known_hosts = strdup("/dev/null");
	if (s->known_hosts == NULL)
		return TETHER_ENOMEM;
	if ((v = transport_opt(a, "host-key")) != NULL) {
		if (strcmp(v, "accept-new") == 0)
			s->accept_new = 1;
		else if (strcmp(v, "strict") != 0 && strcmp(v, "yes") != 0)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: host-key=%s: want strict or accept-new", v);
	}

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
	    (transport_duration(v, &s->keepalive) != 0 ||
	    s->keepalive < 0))
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "ssh: keepalive=%s: want a duration (\"15s\")", v);
	/* libssh2 counts whole seconds, and at least 2. */
	if (s->keepalive > 0)
		s->keepalive = s->keepalive < 2000 ? 2000 :
		    (s->keepalive + 999) / 1000 * 1000;
	if ((v = transport_opt(a, "timeout")) != NULL &&
	    (transport_duration(v, &s->open_timeout) != 0 ||
	    s->open_timeout <= 0))
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "ssh: timeout=%s: want a duration (\"20s\")", v);
	return 0;
}

static int
ssh_open(struct transport *t, struct transport_args *a)
{
	struct ssh	*s;
	struct addrinfo	 hints;
	char		 port[8], *p;
	int		 r, gai;

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

	libssh2_init(0);
	snprintf(port, sizeof port, "%d", s->port);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(s->host, port, &hints, &s->ai)) != 0) {
		s->ai = NULL;
		return tether_loop_seterr(t->loop, TETHER_ECONNECT,
		    "ssh %s: cannot resolve %s: %s", s->desc, s->host,
		    gai_strerror(gai));
	}
	s->deadline = a->deadline;
	s->open_deadline = -1;
	if (s->open_timeout > 0)
		s->open_deadline = (a->deadline > tether_now_ms() ?
		    a->deadline : tether_now_ms()) + s->open_timeout;
	s->retry = SSH_RETRY_MIN;
	s->retry_at = 0;
	s->state = SSH_ST_WAIT;
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

	if (t->fd == -1)
		return 0;
	switch (s->state) {
	case SSH_ST_WAIT:
	case SSH_ST_DONE:
		return 0;
	case SSH_ST_TCP:
		return POLLOUT;
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

/* Shuts the socket down: libssh2's sends fail from now on. */
static void
ssh_shutdown(struct transport *t)
{
	struct ssh	*s = t->priv;

	s->lost = 1;
	if (t->fd != -1)
		(void)shutdown(t->fd, SHUT_RDWR);
}

/* Says goodbye within SSH_CLOSE_MS: libssh2 blocks with a timeout. */
static void
ssh_close(struct transport *t)
{
	struct ssh	*s = t->priv;
	size_t		 i;

	if (s == NULL)
		return;
	if (s->session != NULL) {
		libssh2_session_set_timeout(s->session, SSH_CLOSE_MS);
		libssh2_session_set_blocking(s->session, 1);
		/*
		 * libssh2 frees nothing while a send would block: when the
		 * server is gone or does not answer, make every send fail.
		 */
		if (s->lost || !s->handshaken)
			ssh_shutdown(t);
		if (s->channel != NULL) {
			if (!s->lost && libssh2_channel_close(s->channel) != 0)
				ssh_shutdown(t);
			(void)libssh2_channel_free(s->channel);
			s->channel = NULL;
		}
		if (s->agent_h != NULL) {
			libssh2_agent_disconnect(s->agent_h);
			libssh2_agent_free(s->agent_h);
		}
		if (!s->lost && s->handshaken &&
		    libssh2_session_disconnect(s->session, "closed") != 0)
			ssh_shutdown(t);
		libssh2_session_free(s->session);
	}
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
	if (s->ai != NULL)
		freeaddrinfo(s->ai);
	if (s->password != NULL)
		explicit_bzero(s->password, strlen(s->password));
	if (s->passphrase != NULL)
		explicit_bzero(s->passphrase, strlen(s->passphrase));
	free(s->password);
	free(s->passphrase);
	for (i = 0; i < s->nids; i++)
		free(s->ids[i]);
	free(s->ids);
	free(s->user);
	free(s->host);
	free(s->khname);
	free(s->desc);
	free(s->known_hosts);
	free(s->command);
	free(s->term);
	free(s->methods);
	free(s->disconnect);
	buf_free(&s->tried);
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
