/*
 * transport-pty.c - spawn: a local program in a new pty, reaped cleanly.
 */
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "loop.h"
#include "tether.h"
#include "transport.h"

#define PTY_HUP_WAIT	100	/* ms after hangup before SIGTERM */
#define PTY_TERM_WAIT	1000	/* ms after SIGTERM before SIGKILL */

struct pty {
	int			 pidfd;
	int			 exited;
	int			 status;	/* exit status, 128+sig */
	struct loop_watch	*watch;
};

/*
 * Splits s into words like a shell does (quotes and backslashes), without
 * expansion.  Returns a NULL-terminated vector in *argv (free with
 * pty_argv_free), or TETHER_EINVAL for an unbalanced quote.
 */
static int
pty_split(const char *s, char ***argvp)
{
	char	**argv = NULL, **nv, *w = NULL;
	size_t	  argc = 0, wl = 0;
	int	  inword = 0, r = TETHER_ENOMEM;
	char	  q = 0;

	if ((w = malloc(strlen(s) + 1)) == NULL)
		goto out;
	for (;; s++) {
		if (q == 0 && (*s == '\0' || *s == ' ' || *s == '\t' ||
		    *s == '\n')) {
			if (inword) {
				w[wl] = '\0';
				nv = realloc(argv, (argc + 2) * sizeof *argv);
				if (nv == NULL)
					goto out;
				argv = nv;
				if ((argv[argc] = strdup(w)) == NULL)
					goto out;
				argv[++argc] = NULL;
				wl = 0;
				inword = 0;
			}
			if (*s == '\0')
				break;
			continue;
		}
		if (*s == '\0') {
			r = TETHER_EINVAL;
			goto out;
		}
		inword = 1;
		if (q == 0 && (*s == '\'' || *s == '"'))
			q = *s;
		else if (q != 0 && *s == q)
			q = 0;
		else if (*s == '\\' && q != '\'' && s[1] != '\0')
			w[wl++] = *++s;
		else
			w[wl++] = *s;
	}
	if (argc == 0) {
		r = TETHER_EINVAL;
		goto out;
	}
	*argvp = argv;
	argv = NULL;
	r = 0;
out:
	if (argv != NULL) {
		for (wl = 0; argv[wl] != NULL; wl++)
			free(argv[wl]);
		free(argv);
	}
	free(w);
	return r;
}

static void
pty_child(const char *slave, char **argv, struct winsize *ws, int noecho,
    int errfd)
{
	struct termios	tio;
	sigset_t	set;
	int		fd, e, i;

	setsid();
	if ((fd = open(slave, O_RDWR)) == -1)
		goto fail;
	ioctl(fd, TIOCSCTTY, 0);
	ioctl(fd, TIOCSWINSZ, ws);
	if (noecho && tcgetattr(fd, &tio) == 0) {
		tio.c_lflag &= ~(ECHO | ECHONL);
		tcsetattr(fd, TCSANOW, &tio);
	}
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof e) == -1)
		_exit(127);
	_exit(127);
}

static int
pty_open(struct transport *t, struct transport_args *a)
{
	struct pty	*p;
	struct winsize	 ws;
	char		**argv = NULL, slave[128];
	const char	*echo;
	int		 r, m = -1, ep[2] = { -1, -1 }, e, noecho = 0, i;
	ssize_t		 n;
	pid_t		 pid;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return TETHER_ENOMEM;
	p->pidfd = -1;
	t->priv = p;
	if ((echo = transport_opt(a, "echo")) != NULL) {
		if (strcmp(echo, "no") == 0)
			noecho = 1;
		else if (strcmp(echo, "yes") != 0)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "echo=%s: want yes or no", echo);
	}
	if ((r = pty_split(a->addr, &argv)) != 0) {
		if (r == TETHER_EINVAL)
			tether_loop_seterr(t->loop, r,
			    "bad program \"%s\": empty or unbalanced quote",
			    a->addr);
		goto out;
	}
	memset(&ws, 0, sizeof ws);
	ws.ws_row = a->rows > 0 ? a->rows : 24;
	ws.ws_col = a->cols > 0 ? a->cols : 80;
	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    grantpt(m) == -1 || unlockpt(m) == -1 ||
	    ptsname_r(m, slave, sizeof slave) != 0 ||
	    pipe2(ep, O_CLOEXEC) == -1) {
		r = tether_loop_seterr(t->loop, TETHER_ESPAWN, "pty: %s",
		    strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		r = tether_loop_seterr(t->loop, TETHER_ESPAWN, "fork: %s",
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		pty_child(slave, argv, &ws, noecho, ep[1]);
	close(ep[1]);
	ep[1] = -1;
	t->pid = pid;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* The pipe closes on exec; bytes on it mean exec failed. */
	do {
		n = read(ep[0], &e, sizeof e);
	} while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof e) {
		r = tether_loop_seterr(t->loop, TETHER_ESPAWN,
		    "cannot run %s: %s", argv[0], strerror(e));
		goto out;
	}
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	t->fd = m;
	m = -1;
	r = 0;
out:
	if (m != -1)
		close(m);
	if (ep[0] != -1)
		close(ep[0]);
	if (ep[1] != -1)
		close(ep[1]);
	if (argv != NULL) {
		for (i = 0; argv[i] != NULL; i++)
			free(argv[i]);
		free(argv);
	}
	return r;
}

static int
pty_read(struct transport *t, void *buf, size_t n, size_t *nread)
{
	ssize_t	r;

	r = read(t->fd, buf, n);
	if (r > 0) {
		*nread = (size_t)r;
		return 0;
	}
	if (r == 0 || errno == EIO)	/* EIO: the slave side is gone */
		return TETHER_EOF;
	if (errno == EAGAIN || errno == EINTR)
		return TETHER_EAGAIN;
	return tether_loop_seterr(t->loop, TETHER_EIO, "read: %s",
	    strerror(errno));
}

static int
pty_write(struct transport *t, const void *buf, size_t n, size_t *nwritten)
{
	ssize_t	r;

	r = write(t->fd, buf, n);
	if (r > 0) {
		*nwritten = (size_t)r;
		return 0;
	}
	if (r == 0 || errno == EAGAIN || errno == EINTR)
		return TETHER_EAGAIN;
	if (errno == EIO)
		return TETHER_EOF;
	return tether_loop_seterr(t->loop, TETHER_EIO, "write: %s",
	    strerror(errno));
}

/* Reaps the child if it exited.  Returns nonzero once it has. */
static int
pty_reap(struct transport *t)
{
	struct pty	*p = t->priv;
	int		 st;
	pid_t		 r;

	if (p->exited || t->pid == -1)
		return 1;
	do {
		r = waitpid(t->pid, &st, WNOHANG);
	} while (r == -1 && errno == EINTR);
	if (r == 0)
		return 0;
	p->exited = 1;
	if (r == -1)
		p->status = 255;
	else if (WIFSIGNALED(st))
		p->status = 128 + WTERMSIG(st);
	else
		p->status = WEXITSTATUS(st);
	return 1;
}

static void
pty_woken(int fd, int revents, void *arg)
{
}

static int
pty_wait(struct transport *t, int64_t deadline, int *status)
{
	struct pty	*p = t->priv;
	int		 r;

	while (!pty_reap(t)) {
		if (deadline != -1 && tether_now_ms() >= deadline)
			return TETHER_ETIMEDOUT;
		if (p->watch == NULL && p->pidfd != -1)
			p->watch = loop_watch_add(t->loop, p->pidfd, POLLIN,
			    pty_woken, t);
		if (p->watch == NULL) {
			/* No pidfd (old kernel): poll the child. */
			poll(NULL, 0, 10);
			continue;
		}
		r = tether_loop_once(t->loop, deadline);
		if (r == TETHER_EINTR)
			return r;
	}
	loop_watch_del(p->watch);
	p->watch = NULL;
	*status = p->status;
	return 0;
}

/* Waits up to ms for the child to exit, on its pidfd alone. */
static int
pty_reap_within(struct transport *t, int ms)
{
	struct pty	*p = t->priv;
	struct pollfd	 pfd;
	int64_t		 end = tether_now_ms() + ms, now;

	while (!pty_reap(t)) {
		if ((now = tether_now_ms()) >= end)
			return 0;
		if (p->pidfd == -1) {
			poll(NULL, 0, 5);
			continue;
		}
		pfd.fd = p->pidfd;
		pfd.events = POLLIN;
		poll(&pfd, 1, (int)(end - now));
	}
	return 1;
}

static int
pty_winsize(struct transport *t, int rows, int cols)
{
	struct winsize	ws;

	memset(&ws, 0, sizeof ws);
	ws.ws_row = rows;
	ws.ws_col = cols;
	if (ioctl(t->fd, TIOCSWINSZ, &ws) == -1)
		return TETHER_EIO;
	return 0;
}

static void
pty_close(struct transport *t)
{
	struct pty	*p = t->priv;

	if (p == NULL)
		return;
	loop_watch_del(p->watch);
	if (t->fd != -1)
		close(t->fd);	/* the program sees a hangup */
	t->fd = -1;
	if (t->pid != -1 && !pty_reap_within(t, PTY_HUP_WAIT)) {
		kill(-t->pid, SIGTERM);
		kill(t->pid, SIGTERM);
		if (!pty_reap_within(t, PTY_TERM_WAIT)) {
			kill(-t->pid, SIGKILL);
			kill(t->pid, SIGKILL);
			pty_reap_within(t, 5000);
		}
	}
	if (p->pidfd != -1)
		close(p->pidfd);
	free(p);
	t->priv = NULL;
}

const struct transport_ops transport_pty_ops = {
	.name = "pty",
	.open = pty_open,
	.read = pty_read,
	.write = pty_write,
	.winsize = pty_winsize,
	.wait = pty_wait,
	.close = pty_close,
};
