/* SPDX-License-Identifier: ISC */
/*
 * transport-pty.c - spawn: a local program in a new pty, reaped cleanly,
 * and never outliving us.
 *
 * If we are killed outright (SIGKILL), nobody closes the sessions: the
 * program gets PR_SET_PDEATHSIG (SIGKILL when the thread that spawned it
 * ends), and a guard process started with the first spawn kills the
 * process group of every program still running once our end of its
 * pipe closes, which also takes the children the program started (a
 * shell's background jobs, a sleep under a shell ignoring SIGHUP).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
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
#define PTY_GUARD_MAX	16384	/* process groups the guard keeps */

static int	pty_guard_fd = -1;	/* our end of the guard's pipe */
static pid_t	pty_guard_owner = -1;	/* the process that started it */
static volatile int32_t *pty_guard_tab;	/* groups to kill, 0: free */
static size_t	pty_guard_hint;		/* where a free slot may be */

struct pty {
	int			 pidfd;
	int			 exited;
	int			 status;	/* exit status, 128+sig */
	struct loop_watch	*watch;
	int			 guard_slot;	/* in the guard's table or -1 */
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
 * The guard: waits for the pipe from us to close, which happens when we
 * are gone (or exec), then kills the process group of every program
 * still listed in the table it shares with us.  Only system calls: it
 * may be forked from a threaded program.  Never returns.
 */
static void
pty_guard_run(int fd, volatile int32_t *tab)
{
	char	c;
	size_t	i;

	while (read(fd, &c, 1) == -1 && errno == EINTR)
		;
	for (i = 0; i < PTY_GUARD_MAX; i++) {
		if (tab[i] > 0)
			kill(-tab[i], SIGKILL);
	}
	_exit(0);
}

/*
 * Starts the guard once per process: a table shared with it, where a
 * spawn costs one store, and a pipe whose end it waits on.  Without it
 * (no memory, fork failed) the programs still get PR_SET_PDEATHSIG.
 */
static void
pty_guard_start(void)
{
	static const int	 quiet[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM,
				    SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
	sigset_t		 none;
	size_t			 i;
	pid_t			 pid;
	void			*m;
	int			 pp[2], fd;

	if (pty_guard_owner == getpid())
		return;
	/* A fork's copy of the parent's guard is not ours. */
	if (pty_guard_fd != -1)
		close(pty_guard_fd);
	if (pty_guard_tab != NULL)
		munmap((void *)pty_guard_tab, PTY_GUARD_MAX * sizeof(int32_t));
	pty_guard_fd = -1;
	pty_guard_tab = NULL;
	pty_guard_owner = getpid();
	m = mmap(NULL, PTY_GUARD_MAX * sizeof(int32_t), PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	if (pipe2(pp, O_CLOEXEC) == -1) {
		munmap(m, PTY_GUARD_MAX * sizeof(int32_t));
		return;
	}
	if ((pid = fork()) == 0) {
		/* It ends with us, not with the terminal's signals. */
		for (fd = 1; fd < NSIG; fd++)
			signal(fd, SIG_DFL);
		for (i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
			signal(quiet[i], SIG_IGN);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Hold no pty, pipe or socket of ours open. */
		if (dup2(pp[0], 3) == -1)
			_exit(1);
		for (fd = 0; fd < 3; fd++)
			close(fd);
		if (syscall(SYS_close_range, 4U, ~0U, 0U) == -1) {
			for (fd = 4; fd < 65536; fd++)
				close(fd);
		}
		pty_guard_run(3, m);
	}
	close(pp[0]);
	if (pid == -1) {
		close(pp[1]);
		munmap(m, PTY_GUARD_MAX * sizeof(int32_t));
		return;
	}
	pty_guard_fd = pp[1];
	pty_guard_tab = m;
}

/* Lists a new process group with the guard; returns its slot or -1. */
static int
pty_guard_add(pid_t pgid)
{
	size_t	i, k;

	if (pty_guard_tab == NULL || pty_guard_owner != getpid())
		return -1;
	for (i = 0; i < PTY_GUARD_MAX; i++) {
		k = (pty_guard_hint + i) % PTY_GUARD_MAX;
		if (pty_guard_tab[k] == 0) {
			pty_guard_tab[k] = (int32_t)pgid;
			pty_guard_hint = k + 1;
			return (int)k;
		}
	}
	return -1;	/* full: PR_SET_PDEATHSIG still holds */
}

/* Takes a reaped program's group off the guard's list. */
static void
pty_guard_del(int slot)
{
	if (slot >= 0 && pty_guard_tab != NULL &&
	    pty_guard_owner == getpid())
		pty_guard_tab[slot] = 0;
}

/*
 * The child between vfork and exec: it shares our memory (signals are
 * blocked until its handlers are reset), so it calls only system calls
 * and writes nothing but to errfd, where an exec failure is reported.
 * It leads a new session whose controlling terminal is the slave, dies
 * with the thread that spawned it, and starts with default signal
 * handling and an empty mask.  Never returns.
 */
static void
pty_child(const char *prog, char **argv, const char *slave, pid_t parent,
    int errfd)
{
	struct sigaction	sa;
	sigset_t		none;
	int			fd, i, e;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (i = 1; i < NSIG; i++)
		(void)sigaction(i, &sa, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(127);	/* we died before it could be armed */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	/* A session leader opening the tty acquires it as controlling. */
	if ((fd = open(slave, O_RDWR)) == -1)
		goto fail;
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		goto fail;
	if (fd > 2)
		close(fd);
	execve(prog, argv, environ);
fail:
	e = errno;
	if (write(errfd, &e, sizeof e) != (ssize_t)sizeof e)
		_exit(126);	/* the parent sees the exit, not why */
	_exit(127);
}

/*
 * Starts the child with vfork, all signals blocked meanwhile; kept apart
 * so that nothing of the caller's lives across the vfork.  Returns its
 * pid, or -1 with errno set.
 */
static pid_t __attribute__((noinline))
pty_vfork(const char *prog, char **argv, const char *slave, int errfd)
{
	sigset_t	all, old;
	pid_t		self = getpid(), pid;
	int		e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if ((pid = vfork()) == 0)
		pty_child(prog, argv, slave, self, errfd);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

/*
 * Prepares the slave side from here (window size, echo) so the child
 * does as little as it can: vfork + exec costs what posix_spawn costs
 * (much less than fork with many sessions open), and lets the child arm
 * PR_SET_PDEATHSIG, which posix_spawn cannot.
 */
static int
pty_spawn(struct transport *t, int m, char **argv, struct winsize *ws,
    int noecho, pid_t *pidp)
{
	struct termios	 tio;
	char		 slave[128], *prog;
	int		 sfd = -1, ep[2] = { -1, -1 }, e = 0, r = 0;
	ssize_t		 n;
	pid_t		 pid;

	if ((prog = pty_which(argv[0])) == NULL)
		return tether_loop_seterr(t->loop, TETHER_ESPAWN,
		    "cannot run %s: %s", argv[0], strerror(errno));
	if (ptsname_r(m, slave, sizeof slave) != 0 ||
	    (sfd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1) {
		r = tether_loop_seterr(t->loop, TETHER_ESPAWN, "pty: %s",
		    strerror(errno));
		goto out;
	}
	ioctl(sfd, TIOCSWINSZ, ws);
	if (noecho && tcgetattr(sfd, &tio) == 0) {
		tio.c_lflag &= ~(ECHO | ECHONL);
		tcsetattr(sfd, TCSANOW, &tio);
	}
	pty_guard_start();
	if ((pid = pty_vfork(prog, argv, slave, ep[1])) == -1)
		e = errno;
	close(ep[1]);
	ep[1] = -1;
	if (pid == -1) {
		r = tether_loop_seterr(t->loop, TETHER_ESPAWN,
		    "cannot run %s: vfork: %s", argv[0], strerror(e));
		goto out;
	}
	/* The pipe closes at exec, or carries the child's errno. */
	do {
		n = read(ep[0], &e, sizeof e);
	} while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof e) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		r = tether_loop_seterr(t->loop, TETHER_ESPAWN,
		    "cannot run %s: %s", argv[0], strerror(e));
		goto out;
	}
	*pidp = pid;
out:
	if (ep[0] != -1)
		close(ep[0]);
	if (ep[1] != -1)
		close(ep[1]);
	if (sfd != -1)
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
	pid_t		 pid = -1;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return TETHER_ENOMEM;
	p->pidfd = -1;
	p->guard_slot = -1;
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
	p->guard_slot = pty_guard_add(pid);
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
	pty_guard_del(p->guard_slot);
	p->guard_slot = -1;
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
