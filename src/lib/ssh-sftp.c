/* SPDX-License-Identifier: ISC */
/*
 * ssh-sftp.c - files over an ssh:// session's connection: SFTP when the
 * server runs an SFTP subsystem, else `cat` on an exec channel, each on
 * its own channel of the session's libssh2 connection, non-blocking: a
 * call that would block waits in the loop, which reads the connection
 * (and so queues this channel's packets inside libssh2) and writes it as
 * libssh2's block directions ask.
 *
 * Whether the server has SFTP is asked once per session, on a channel of
 * our own: the subsystem request, then SSH_FXP_INIT, answered with
 * SSH_FXP_VERSION or by the channel's end (dropbear runs a missing
 * sftp-server and closes); libssh2_sftp_init would wait for ever there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "buf.h"
#include "session.h"
#include "ssh-int.h"
#include "ssh-sftp.h"
#include "tether.h"
#include "transport.h"

#define SX_STATE	"ssh-sftp"	/* session state: the probe's answer */
#define SX_BLOCK	(256 * 1024)	/* bytes per read and write call */
#define SX_GRACE	2000		/* ms to close down after a failure */
#define SX_ERR_MAX	512		/* stderr kept for the message */

struct sx {
	struct tether_session	*s;
	struct ssh		*ssh;
	const char		*verb;
	const char		*remote;
	int64_t			 deadline;
};

int
ssh_xfer_is_ssh(struct tether_session *s)
{
	return s->t != NULL && s->t->ops == &transport_ssh_ops &&
	    s->t->priv != NULL;
}

/* Fails the transfer with a message.  Returns r. */
static int
sx_fail(struct sx *x, int r, const char *what, const char *detail)
{
	return tether_loop_seterr(x->s->loop, r, "%s on %s: %s: %s%s%s",
	    x->verb, x->s->name, x->remote, what, detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
}

/*
 * libssh2 said EAGAIN: lets the loop read and write the connection once.
 * Returns 0 to try again, or an error (lost, deadline, interrupted).
 */
static int
sx_wait(struct sx *x, int64_t deadline)
{
	int	r;

	if (session_done(x->s) || x->ssh->state == SSH_ST_DONE)
		return sx_fail(x, TETHER_EOF, "the connection was lost", NULL);
	if (deadline != -1 && tether_now_ms() >= deadline)
		return sx_fail(x, TETHER_ETIMEDOUT, "timed out", NULL);
	r = tether_loop_once(x->s->loop, deadline);
	if (r == TETHER_ETIMEDOUT)
		return sx_fail(x, r, "timed out", NULL);
	return r < 0 ? r : 0;
}

/*
 * The same after a failure, without a message: returns nonzero to give up
 * (the connection is gone, until passed).
 */
static int
sx_pump(struct sx *x, int64_t until)
{
	if (session_done(x->s) || x->ssh->state == SSH_ST_DONE ||
	    tether_now_ms() >= until)
		return -1;
	return tether_loop_once(x->s->loop, until) < 0 ? -1 : 0;
}

/* Returns the failure of libssh2 code rc doing what. */
static int
sx_libfail(struct sx *x, int rc, const char *what)
{
	if (ssh_is_gone(rc))
		return sx_fail(x, TETHER_EOF, what, "the connection was lost");
	return sx_fail(x, TETHER_EREMOTE, what, ssh_liberr(x->ssh));
}

/* Opens a session channel.  Returns 0 with *chp, or an error. */
static int
sx_channel(struct sx *x, LIBSSH2_CHANNEL **chp)
{
	int	r;

	while ((*chp = libssh2_channel_open_session(x->ssh->session)) ==
	    NULL) {
		if (ssh_lasterr(x->ssh) != LIBSSH2_ERROR_EAGAIN)
			return sx_libfail(x, ssh_lasterr(x->ssh),
			    "cannot open a channel");
		if ((r = sx_wait(x, x->deadline)) != 0)
			return r;
	}
	return 0;
}

/* Closes and frees ch, waiting at most SX_GRACE ms. */
static void
sx_channel_free(struct sx *x, LIBSSH2_CHANNEL *ch)
{
	int64_t	until = tether_now_ms() + SX_GRACE;

	if (ch == NULL)
		return;
	while (libssh2_channel_close(ch) == LIBSSH2_ERROR_EAGAIN &&
	    sx_pump(x, until) == 0)
		;
	while (libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN &&
	    sx_pump(x, until) == 0)
		;
}

/* Keeps what the channel says on stderr (at most SX_ERR_MAX bytes). */
static int
sx_drain_stderr(LIBSSH2_CHANNEL *ch, struct buf *err)
{
	char	b[1024];
	ssize_t	n;

	while ((n = libssh2_channel_read_stderr(ch, b, sizeof b)) > 0) {
		if (err->len < SX_ERR_MAX &&
		    buf_append(err, b, (size_t)n) != 0)
			return TETHER_ENOMEM;
	}
	return n == 0 || n == LIBSSH2_ERROR_EAGAIN ? 0 : (int)n;
}

/* Returns err as one printable line (in place). */
static const char *
sx_errtext(struct buf *err)
{
	size_t	i;

	if (err->len > SX_ERR_MAX)
		err->len = SX_ERR_MAX;
	while (err->len > 0 && (err->data[err->len - 1] == '\n' ||
	    err->data[err->len - 1] == '\r'))
		err->len--;
	for (i = 0; i < err->len; i++) {
		if ((unsigned char)err->data[i] < 0x20 || err->data[i] == 0x7f)
			err->data[i] = err->data[i] == '\n' ? ';' : '?';
	}
	return err->len > 0 ? buf_str(err) : "(nothing on stderr)";
}

/* Appends path to b in single quotes for the remote shell. */
static int
sx_quote(struct buf *b, const char *path)
{
	const char	*p;
	int		 r = 0;

	r |= buf_putc(b, '\'');
	for (p = path; *p != '\0' && r == 0; p++)
		r |= *p == '\'' ? buf_puts(b, "'\\''") : buf_putc(b, *p);
	r |= buf_putc(b, '\'');
	return r != 0 ? TETHER_ENOMEM : 0;
}

/*
 * The probe: does the server answer SSH_FXP_INIT on the sftp subsystem?
 * Returns 0 with *has 1 or 0, or an error (the connection).
 */
static int
sx_probe(struct sx *x, int *has)
{
	static const char	 init[9] = { 0, 0, 0, 5, 1, 0, 0, 0, 3 };
	LIBSSH2_CHANNEL		*ch = NULL;
	struct buf		 err;
	unsigned char		 ans[5];
	size_t			 got = 0, sent = 0;
	ssize_t			 n;
	int			 rc, r, *cache;

	*has = 0;
	if ((cache = session_state_get(x->s, SX_STATE)) != NULL) {
		*has = *cache;
		return 0;
	}
	buf_init(&err, 0);
	if ((r = sx_channel(x, &ch)) != 0)
		goto out;
	while ((rc = libssh2_channel_subsystem(ch, "sftp")) ==
	    LIBSSH2_ERROR_EAGAIN) {
		if ((r = sx_wait(x, x->deadline)) != 0)
			goto out;
	}
	if (rc != 0) {
		if (ssh_is_gone(rc)) {
			r = sx_libfail(x, rc, "asking for SFTP");
			goto out;
		}
		goto answer;		/* refused: no SFTP */
	}
	while (sent < sizeof init) {
		n = libssh2_channel_write(ch, init + sent, sizeof init - sent);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if ((r = sx_wait(x, x->deadline)) != 0)
				goto out;
			continue;
		}
		if (n < 0)
			goto answer;	/* closed under us */
		sent += (size_t)n;
	}
	while (got < sizeof ans) {
		n = libssh2_channel_read(ch, (char *)ans + got,
		    sizeof ans - got);
		if (sx_drain_stderr(ch, &err) == TETHER_ENOMEM) {
			r = TETHER_ENOMEM;
			goto out;
		}
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0 && libssh2_channel_eof(ch))
			goto answer;	/* sftp-server missing */
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			if (ssh_is_gone((int)n)) {
				r = sx_libfail(x, (int)n, "asking for SFTP");
				goto out;
			}
			goto answer;
		}
		if ((r = sx_wait(x, x->deadline)) != 0)
			goto out;
	}
	*has = ans[4] == 2;		/* SSH_FXP_VERSION */
answer:
	if ((cache = malloc(sizeof *cache)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	*cache = *has;
	r = session_state_set(x->s, SX_STATE, cache, free);
out:
	sx_channel_free(x, ch);
	buf_free(&err);
	return r;
}

/* Returns the text of an SFTP status code. */
static const char *
sx_fxtext(unsigned long code)
{
	switch (code) {
	case LIBSSH2_FX_EOF:
		return "end of file";
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		return "no such file or directory";
	case LIBSSH2_FX_PERMISSION_DENIED:
		return "permission denied";
	case LIBSSH2_FX_FAILURE:
		return "failure (a full disk, a directory, or a read-only "
		    "file system)";
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		return "no space left";
	case LIBSSH2_FX_WRITE_PROTECT:
		return "read-only file system";
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return "file exists";
	case LIBSSH2_FX_NOT_A_DIRECTORY:
		return "not a directory";
	case LIBSSH2_FX_OP_UNSUPPORTED:
		return "operation not supported";
	}
	return "SFTP error";
}

/* Fails an SFTP call that returned rc. */
static int
sx_sftp_fail(struct sx *x, LIBSSH2_SFTP *sftp, int rc, const char *what)
{
	char	detail[96];

	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL && sftp != NULL) {
		snprintf(detail, sizeof detail, "%s",
		    sx_fxtext(libssh2_sftp_last_error(sftp)));
		return sx_fail(x, TETHER_EREMOTE, what, detail);
	}
	return sx_libfail(x, rc, what);
}

/*
 * Closes handle h (may be NULL) and the SFTP session.  With report, by
 * the deadline, a failed close failing the transfer; without (after a
 * failure), quietly within SX_GRACE ms.  Returns 0 or an error.
 */
static int
sx_sftp_end(struct sx *x, LIBSSH2_SFTP *sftp, LIBSSH2_SFTP_HANDLE *h,
    int report)
{
	int64_t	until = tether_now_ms() + SX_GRACE;
	int	rc = 0, r = 0;

	if (h != NULL) {
		while ((rc = libssh2_sftp_close_handle(h)) ==
		    LIBSSH2_ERROR_EAGAIN) {
			if (report && (r = sx_wait(x, x->deadline)) != 0)
				return r;
			if (!report && sx_pump(x, until) != 0)
				return 0;
		}
		if (rc != 0 && report)
			r = sx_sftp_fail(x, sftp, rc, "closing it failed");
	}
	while (libssh2_sftp_shutdown(sftp) == LIBSSH2_ERROR_EAGAIN) {
		if (sx_pump(x, until) != 0)
			break;
	}
	return r;
}

/* Starts SFTP and opens remote.  Returns 0 with *sftpp and *hp, or r. */
static int
sx_sftp_open(struct sx *x, unsigned long flags, int mode,
    LIBSSH2_SFTP **sftpp, LIBSSH2_SFTP_HANDLE **hp)
{
	int	r, rc;

	*hp = NULL;
	while ((*sftpp = libssh2_sftp_init(x->ssh->session)) == NULL) {
		if (ssh_lasterr(x->ssh) != LIBSSH2_ERROR_EAGAIN)
			return sx_libfail(x, ssh_lasterr(x->ssh),
			    "cannot start SFTP");
		if ((r = sx_wait(x, x->deadline)) != 0)
			return r;
	}
	while ((*hp = libssh2_sftp_open_ex(*sftpp, x->remote,
	    (unsigned int)strlen(x->remote), flags, mode,
	    LIBSSH2_SFTP_OPENFILE)) == NULL) {
		rc = ssh_lasterr(x->ssh);
		if (rc != LIBSSH2_ERROR_EAGAIN)
			return sx_sftp_fail(x, *sftpp, rc, "cannot open it");
		if ((r = sx_wait(x, x->deadline)) != 0)
			return r;
	}
	return 0;
}

static int
sx_sftp_put(struct sx *x, int fd, uint64_t size, int mode,
    tether_progress_fn progress, void *arg)
{
	LIBSSH2_SFTP		*sftp = NULL;
	LIBSSH2_SFTP_HANDLE	*h = NULL;
	LIBSSH2_SFTP_ATTRIBUTES	 at;
	char			*b = NULL;
	uint64_t		 done = 0;
	ssize_t			 n, w;
	size_t			 off;
	int			 r, rc;

	if ((b = malloc(SX_BLOCK)) == NULL)
		return TETHER_ENOMEM;
	if ((r = sx_sftp_open(x, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
	    LIBSSH2_FXF_TRUNC, mode, &sftp, &h)) != 0)
		goto out;
	for (;;) {
		if ((n = pread(fd, b, SX_BLOCK, (off_t)done)) < 0) {
			if (errno == EINTR)
				continue;
			r = sx_fail(x, TETHER_EIO, "reading the local file",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n; ) {
			w = libssh2_sftp_write(h, b + off, (size_t)n - off);
			if (w == LIBSSH2_ERROR_EAGAIN) {
				if ((r = sx_wait(x, x->deadline)) != 0)
					goto out;
				continue;
			}
			if (w < 0) {
				r = sx_sftp_fail(x, sftp, (int)w,
				    "writing it failed");
				goto out;
			}
			off += (size_t)w;
			if (progress != NULL)
				progress(arg, done + off, size);
		}
		done += (uint64_t)n;
	}
	memset(&at, 0, sizeof at);
	at.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
	at.permissions = (unsigned long)mode;
	while ((rc = libssh2_sftp_fsetstat(h, &at)) == LIBSSH2_ERROR_EAGAIN) {
		if ((r = sx_wait(x, x->deadline)) != 0)
			goto out;
	}
	if (rc != 0) {
		r = sx_sftp_fail(x, sftp, rc, "chmod failed");
		goto out;
	}
	r = sx_sftp_end(x, sftp, h, 1);
	sftp = NULL;
out:
	if (sftp != NULL)
		(void)sx_sftp_end(x, sftp, h, 0);
	free(b);
	return r;
}

static int
sx_sftp_get(struct sx *x, int fd, tether_progress_fn progress, void *arg,
    uint64_t *sizep)
{
	LIBSSH2_SFTP		*sftp = NULL;
	LIBSSH2_SFTP_HANDLE	*h = NULL;
	LIBSSH2_SFTP_ATTRIBUTES	 at;
	char			*b = NULL;
	uint64_t		 total = 0;
	ssize_t			 n, w;
	size_t			 off;
	int			 r, rc;

	*sizep = 0;
	if ((b = malloc(SX_BLOCK)) == NULL)
		return TETHER_ENOMEM;
	if ((r = sx_sftp_open(x, LIBSSH2_FXF_READ, 0, &sftp, &h)) != 0)
		goto out;
	memset(&at, 0, sizeof at);
	while ((rc = libssh2_sftp_fstat(h, &at)) == LIBSSH2_ERROR_EAGAIN) {
		if ((r = sx_wait(x, x->deadline)) != 0)
			goto out;
	}
	if (rc == 0 && (at.flags & LIBSSH2_SFTP_ATTR_SIZE))
		total = at.filesize;
	for (;;) {
		n = libssh2_sftp_read(h, b, SX_BLOCK);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if ((r = sx_wait(x, x->deadline)) != 0)
				goto out;
			continue;
		}
		if (n < 0) {
			r = sx_sftp_fail(x, sftp, (int)n, "reading it failed");
			goto out;
		}
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			if ((w = write(fd, b + off, (size_t)n - off)) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				r = sx_fail(x, TETHER_EIO, "writing the local "
				    "file", strerror(errno));
				goto out;
			}
		}
		*sizep += (uint64_t)n;
		if (progress != NULL)
			progress(arg, *sizep, total > *sizep ? total : *sizep);
	}
	/* Read to the end: a failed close loses nothing. */
	r = sx_sftp_end(x, sftp, h, 0);
	sftp = NULL;
out:
	if (sftp != NULL)
		(void)sx_sftp_end(x, sftp, h, 0);
	free(b);
	return r;
}

/*
 * Runs cmd on an exec channel: writes the size bytes of fd (in >= 0) to
 * its stdin, or its stdout to fd (out >= 0); *status gets its exit status.
 */
static int
sx_exec(struct sx *x, const char *cmd, int in, uint64_t size, int out,
    tether_progress_fn progress, void *arg, uint64_t *moved)
{
	LIBSSH2_CHANNEL	*ch = NULL;
	struct buf	 err;
	char		*b = NULL;
	uint64_t	 done = 0;
	ssize_t		 n, w;
	size_t		 off, have = 0;
	int		 r, rc, status;

	*moved = 0;
	buf_init(&err, 0);
	if ((b = malloc(SX_BLOCK)) == NULL)
		return TETHER_ENOMEM;
	if ((r = sx_channel(x, &ch)) != 0)
		goto out;
	while ((rc = libssh2_channel_exec(ch, cmd)) == LIBSSH2_ERROR_EAGAIN) {
		if ((r = sx_wait(x, x->deadline)) != 0)
			goto out;
	}
	if (rc != 0) {
		r = sx_libfail(x, rc, "the server refused to run cat");
		goto out;
	}
	/* stdin: the file, then EOF. */
	while (in >= 0) {
		if (have == 0) {
			if ((n = pread(in, b, SX_BLOCK, (off_t)done)) < 0) {
				if (errno == EINTR)
					continue;
				r = sx_fail(x, TETHER_EIO, "reading the local "
				    "file", strerror(errno));
				goto out;
			}
			if (n == 0)
				break;
			have = (size_t)n;
			off = 0;
		}
		w = libssh2_channel_write(ch, b + off, have - off);
		if ((r = sx_drain_stderr(ch, &err)) == TETHER_ENOMEM)
			goto out;
		if (w == LIBSSH2_ERROR_EAGAIN) {
			if ((r = sx_wait(x, x->deadline)) != 0)
				goto out;
			continue;
		}
		if (w < 0) {
			if (ssh_is_gone((int)w)) {
				r = sx_libfail(x, (int)w, "writing it failed");
				goto out;
			}
			break;		/* cat went away: its status says */
		}
		off += (size_t)w;
		if (off == have) {
			done += have;
			have = 0;
			if (progress != NULL)
				progress(arg, done, size);
		}
	}
	if (in >= 0) {
		while ((rc = libssh2_channel_send_eof(ch)) ==
		    LIBSSH2_ERROR_EAGAIN) {
			if ((r = sx_wait(x, x->deadline)) != 0)
				goto out;
		}
	}
	/* stdout until EOF (kept with out >= 0), stderr for the message. */
	for (;;) {
		n = libssh2_channel_read(ch, b, SX_BLOCK);
		if ((r = sx_drain_stderr(ch, &err)) == TETHER_ENOMEM)
			goto out;
		if (n > 0) {
			for (off = 0; out >= 0 && off < (size_t)n;
			    off += (size_t)w) {
				if ((w = write(out, b + off, (size_t)n -
				    off)) < 0) {
					if (errno == EINTR) {
						w = 0;
						continue;
					}
					r = sx_fail(x, TETHER_EIO,
					    "writing the local file",
					    strerror(errno));
					goto out;
				}
			}
			*moved += (uint64_t)n;
			if (out >= 0 && progress != NULL)
				progress(arg, *moved, *moved);
			continue;
		}
		if (n == 0 && libssh2_channel_eof(ch))
			break;
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			r = sx_libfail(x, (int)n, "reading from cat failed");
			goto out;
		}
		if ((r = sx_wait(x, x->deadline)) != 0)
			goto out;
	}
	while ((rc = libssh2_channel_wait_closed(ch)) ==
	    LIBSSH2_ERROR_EAGAIN) {
		if ((r = sx_wait(x, x->deadline)) != 0)
			goto out;
	}
	status = libssh2_channel_get_exit_status(ch);
	if (in >= 0)
		*moved = done;
	if (status != 0) {
		char	what[64];

		snprintf(what, sizeof what, "%s failed (exit status %d)",
		    in >= 0 ? "writing it" : "reading it", status);
		r = sx_fail(x, TETHER_EREMOTE, what, sx_errtext(&err));
		goto out;
	}
	r = 0;
out:
	sx_channel_free(x, ch);
	buf_free(&err);
	free(b);
	return r;
}

/* Fills x for s.  Returns 0 or an error (not open). */
static int
sx_start(struct sx *x, struct tether_session *s, const char *verb,
    const char *remote, int64_t deadline)
{
	memset(x, 0, sizeof *x);
	x->s = s;
	x->ssh = s->t->priv;
	x->verb = verb;
	x->remote = remote;
	x->deadline = deadline;
	if (x->ssh->state != SSH_ST_OPEN || x->ssh->session == NULL)
		return sx_fail(x, TETHER_EOF, "the ssh connection is not open",
		    NULL);
	return 0;
}

int
ssh_xfer_put(struct tether_session *s, int fd, uint64_t size,
    const char *remote, int mode, int64_t deadline,
    tether_progress_fn progress, void *arg, const char **method)
{
	struct sx	 x;
	struct buf	 cmd;
	uint64_t	 moved;
	int		 r, has;

	buf_init(&cmd, 0);
	if ((r = sx_start(&x, s, "put", remote, deadline)) != 0 ||
	    (r = sx_probe(&x, &has)) != 0)
		goto out;
	if (has) {
		*method = "sftp";
		r = sx_sftp_put(&x, fd, size, mode, progress, arg);
		goto out;
	}
	*method = "exec";
	if (buf_puts(&cmd, "cat >") != 0 || sx_quote(&cmd, remote) != 0 ||
	    buf_printf(&cmd, " && chmod %o ", mode) != 0 ||
	    sx_quote(&cmd, remote) != 0) {
		r = TETHER_ENOMEM;
		goto out;
	}
	r = sx_exec(&x, buf_str(&cmd), fd, size, -1, progress, arg, &moved);
out:
	buf_free(&cmd);
	return r;
}

int
ssh_xfer_get(struct tether_session *s, const char *remote, int fd,
    int64_t deadline, tether_progress_fn progress, void *arg,
    uint64_t *size, const char **method)
{
	struct sx	 x;
	struct buf	 cmd;
	int		 r, has;

	*size = 0;
	buf_init(&cmd, 0);
	if ((r = sx_start(&x, s, "get", remote, deadline)) != 0 ||
	    (r = sx_probe(&x, &has)) != 0)
		goto out;
	if (has) {
		*method = "sftp";
		r = sx_sftp_get(&x, fd, progress, arg, size);
		goto out;
	}
	*method = "exec";
	if (buf_puts(&cmd, "cat ") != 0 || sx_quote(&cmd, remote) != 0) {
		r = TETHER_ENOMEM;
		goto out;
	}
	r = sx_exec(&x, buf_str(&cmd), -1, 0, fd, progress, arg, size);
out:
	buf_free(&cmd);
	return r;
}
