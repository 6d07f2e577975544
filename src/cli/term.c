/* SPDX-License-Identifier: ISC */
/*
 * term.c - the local terminal: saved and raw modes, the window size, and
 * restoring the saved mode on exit, on terminating signals and on crashes.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"
#include "tether.h"

/* Signals we catch, and what we do with them. */
enum term_sigkind {
	TERM_SIG_NOTE,		/* just noted on the pipe */
	TERM_SIG_FATAL,		/* restore, note, interrupt the loop */
	TERM_SIG_CRASH,		/* restore, then die as before */
	TERM_SIG_STOP,		/* restore, stop; raw again on SIGCONT */
};

static const struct {
	int			sig;
	enum term_sigkind	kind;
} term_sigs[] = {
	{ SIGWINCH, TERM_SIG_NOTE },
	{ SIGCONT, TERM_SIG_NOTE },
	{ SIGTERM, TERM_SIG_FATAL },
	{ SIGHUP, TERM_SIG_FATAL },
	{ SIGINT, TERM_SIG_FATAL },
	{ SIGQUIT, TERM_SIG_FATAL },
	{ SIGSEGV, TERM_SIG_CRASH },
	{ SIGBUS, TERM_SIG_CRASH },
	{ SIGFPE, TERM_SIG_CRASH },
	{ SIGILL, TERM_SIG_CRASH },
	{ SIGABRT, TERM_SIG_CRASH },
	{ SIGTSTP, TERM_SIG_STOP },
};
#define TERM_NSIGS	(sizeof term_sigs / sizeof term_sigs[0])

static struct {
	int			 depth;		/* term_open nesting */
	int			 fd;
	struct termios		 saved;		/* as we found it */
	struct termios		 stopped;	/* as it was at SIGTSTP */
	volatile sig_atomic_t	 raw;
	int			 pipe[2];
	struct tether_loop	*loop;
	struct sigaction	 old[TERM_NSIGS];
	volatile sig_atomic_t	 fatal;
	int			 atexit_done;
} term = { .fd = -1, .pipe = { -1, -1 } };

/* Async-signal-safe: puts the saved mode back. */
static void
term_restore_now(void)
{
	if (term.depth > 0 && term.fd != -1) {
		tcsetattr(term.fd, TCSANOW, &term.saved);
		term.raw = 0;
	}
}

static void
term_note(int sig)
{
	unsigned char	c = (unsigned char)sig;

	if (term.pipe[1] != -1 && write(term.pipe[1], &c, 1) == -1) {
		/* Pipe full: the loop has plenty to read already. */
	}
}

static void
term_handler(int sig)
{
	size_t	i;
	int	saved_errno = errno;

	for (i = 0; i < TERM_NSIGS; i++) {
		if (term_sigs[i].sig == sig)
			break;
	}
	if (i == TERM_NSIGS)
		goto out;
	switch (term_sigs[i].kind) {
	case TERM_SIG_NOTE:
		if (sig == SIGCONT && term.depth > 0 && term.fd != -1)
			tcsetattr(term.fd, TCSANOW, &term.stopped);
		term_note(sig);
		break;
	case TERM_SIG_FATAL:
		if (term.old[i].sa_handler == SIG_IGN)
			break;		/* nohup, a background job */
		term_restore_now();
		if (term.fatal != 0) {
			/* Second time: no more waiting for a clean exit. */
			signal(sig, SIG_DFL);
			raise(sig);
			break;
		}
		term.fatal = sig;
		term_note(sig);
		if (term.old[i].sa_handler != SIG_DFL &&
		    !(term.old[i].sa_flags & SA_SIGINFO))
			term.old[i].sa_handler(sig);
		else if (term.loop != NULL)
			tether_loop_interrupt(term.loop);
		break;
	case TERM_SIG_CRASH:
		term_restore_now();
		sigaction(sig, &term.old[i], NULL);
		raise(sig);
		break;
	case TERM_SIG_STOP:
		if (term.fd != -1) {
			tcgetattr(term.fd, &term.stopped);
			tcsetattr(term.fd, TCSANOW, &term.saved);
		}
		signal(SIGTSTP, SIG_DFL);
		raise(SIGTSTP);
		/* Continued: SIGCONT put the mode back. */
		signal(SIGTSTP, term_handler);
		break;
	}
out:
	errno = saved_errno;
}

static void
term_atexit(void)
{
	term_restore_now();
}

int
term_open(int fd, struct tether_loop *loop)
{
	struct sigaction	sa;
	size_t			i;

	if (term.depth > 0) {
		term.depth++;
		if (loop != NULL)
			term.loop = loop;
		return 0;
	}
	if (!isatty(fd) || tcgetattr(fd, &term.saved) == -1)
		return -1;
	if (pipe2(term.pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	term.fd = fd;
	term.stopped = term.saved;
	term.loop = loop;
	term.fatal = 0;
	term.raw = 0;
	term.depth = 1;
	if (!term.atexit_done) {
		atexit(term_atexit);
		term.atexit_done = 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = term_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < TERM_NSIGS; i++)
		sigaction(term_sigs[i].sig, &sa, &term.old[i]);
	return 0;
}

void
term_close(void)
{
	size_t	i;

	if (term.depth == 0 || --term.depth > 0)
		return;
	term.depth = 1;		/* so that the restore happens */
	term_restore_now();
	term.depth = 0;
	for (i = 0; i < TERM_NSIGS; i++)
		sigaction(term_sigs[i].sig, &term.old[i], NULL);
	close(term.pipe[0]);
	close(term.pipe[1]);
	term.pipe[0] = term.pipe[1] = -1;
	term.fd = -1;
	term.loop = NULL;
}

int
term_raw(void)
{
	struct termios	t;

	if (term.depth == 0)
		return -1;
	t = term.saved;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(term.fd, TCSADRAIN, &t) == -1)
		return -1;
	term.raw = 1;
	return 0;
}

int
term_cooked(int noisig)
{
	struct termios	t;

	if (term.depth == 0)
		return -1;
	t = term.saved;
	if (noisig) {
		t.c_lflag &= ~(ISIG | ECHO | ICANON | IEXTEN);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
	}
	if (tcsetattr(term.fd, TCSADRAIN, &t) == -1)
		return -1;
	term.raw = 0;
	return 0;
}

int
term_is_raw(void)
{
	return term.raw;
}

int
term_size(int *rows, int *cols)
{
	struct winsize	ws;
	int		fd = term.fd != -1 ? term.fd : STDIN_FILENO;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_row == 0 ||
	    ws.ws_col == 0)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}

int
term_sigfd(void)
{
	return term.pipe[0];
}

int
term_signal_next(void)
{
	unsigned char	c;

	if (term.pipe[0] == -1 || read(term.pipe[0], &c, 1) != 1)
		return 0;
	return c;
}

int
term_fatal(void)
{
	return term.fatal;
}

void
term_reraise(void)
{
	int	sig = term.fatal;

	if (sig == 0)
		return;
	if (term.depth > 0) {
		term.depth = 1;
		term_close();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}
