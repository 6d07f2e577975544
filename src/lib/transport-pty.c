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
#include <spawn.h>
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

/*
 * Finds the program like execvp would, so a missing one is reported
 * here whatever posix_spawn can tell (under valgrind it cannot).
 * Returns a new path, or NULL with errno set.
 */
static char *
pty_which(const char *prog)
{
	const char	*path, *p, *colon;
	char		*cand;
	int		 err = ENOENT;

	if (strchr(prog, '/') != NULL) {
		if (access(prog, X_OK) != 0)
			return NULL;
		return strdup(prog);
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = colon + 1) {
		colon = strchr(p, ':');
		if (asprintf(&cand, "%.*s/%s",
		    (int)(colon != NULL ? colon - p : (int)strlen(p)), p,
		    prog) == -1)
			return NULL;
		if (access(cand, X_OK) == 0)
			return cand;
		if (errno != ENOENT && errno != ENOTDIR)
			err = errno;
		free(cand);
		if (colon == NULL)
			break;
	}
	errno = err;
	return NULL;
}

/*
 * Prepares the slave side from here (window size, echo) so the child
 * needs no code of ours: posix_spawn (vfork-like) is much cheaper than
 * fork with many sessions open, and reports an exec failure itself.
 */
static int
pty_spawn(struct transport *t, int m, char **argv, struct winsize *ws,
    int noecho, pid_t *pid)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	struct termios			 tio;
	sigset_t			 all, none;
	char				 slave[128], *prog;
	int				 sfd = -1, e, r = 0;

	if ((prog = pty_which(argv[0])) == NULL)
		return tether_loop_seterr(t->loop, TETHER_ESPAWN,
		    "cannot run %s: %s", argv[0], strerror(errno));
	if (ptsname_r(m, slave, sizeof slave) != 0 ||
	    (sfd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		free(prog);
		return tether_loop_seterr(t->loop, TETHER_ESPAWN, "pty: %s",
		    strerror(errno));
	}
	ioctl(sfd, TIOCSWINSZ, ws);
	if (noecho && tcgetattr(sfd, &tio) == 0) {
		tio.c_lflag &= ~(ECHO | ECHONL);
		tcsetattr(sfd, TCSANOW, &tio);
	}
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* A session leader opening the tty acquires it as controlling. */
	posix_spawn_file_actions_addopen(&fa, 0, slave, O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	posix_spawn_file_actions_adddup2(&fa, 0, 2);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	e = posix_spawn(pid, prog, &fa, &attr, argv, environ);
	if (e != 0)
		r = tether_loop_seterr(t->loop, TETHER_ESPAWN,
		    "cannot run %s: %s", argv[0], strerror(e));
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(sfd);
	free(prog);
	return r;
}

static int
pty_open(struct transport *t, struct transport_args *a)
{
	struct pty	*p;
	struct winsize	 ws;
	char		**argv = NULL;
	const char	*echo;
	int		 r, m = -1, noecho = 0, i;
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
	    grantpt(m) == -1 || unlockpt(m) == -1) {
		r = tether_loop_seterr(t->loop, TETHER_ESPAWN, "pty: %s",
		    strerror(errno));
		goto out;
	}
	if ((r = pty_spawn(t, m, argv, &ws, noecho, &pid)) != 0)
		goto out;
	t->pid = pid;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	t->fd = m;
	m = -1;
out:
	if (m != -1)
		close(m);
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
