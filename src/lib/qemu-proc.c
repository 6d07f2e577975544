/* SPDX-License-Identifier: ISC */
/*
 * qemu-proc.c - QEMU processes: exits awaited on a pidfd, children
 * reaped, signals, and a command line read back from /proc.
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu-proc.h"
#include "tether.h"

int
proc_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

int
proc_check(struct vm_proc *p)
{
	int	st;

	if (p->exited)
		return 1;
	if (p->child) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->exited = 1;
			p->status = st;
		}
	} else if (kill(p->pid, 0) == -1 && errno == ESRCH)
		p->exited = 1;
	return p->exited;
}

int
proc_wait(struct vm_proc *p, int64_t until)
{
	struct pollfd	pfd;
	int64_t		now, step = 5;
	int		ms;

	while (!proc_check(p)) {
		now = tether_now_ms();
		if (until == -1 || now >= until)
			return 0;
		ms = (int)(until - now);
		if (p->pidfd != -1) {
			pfd.fd = p->pidfd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
				return proc_check(p);
			if (p->child && (pfd.revents & POLLIN)) {
				if (waitpid(p->pid, &p->status, 0) == p->pid)
					p->exited = 1;
			} else if (pfd.revents & POLLIN)
				p->exited = 1;
		} else {
			if (step < ms)
				ms = (int)step;
			poll(NULL, 0, ms);
			if (step < 100)
				step *= 2;
		}
	}
	return 1;
}

void
proc_close(struct vm_proc *p)
{
	if (p->pidfd != -1)
		close(p->pidfd);
	p->pidfd = -1;
}

const char *
proc_status(struct vm_proc *p, char *buf, size_t len)
{
	if (!p->child)
		snprintf(buf, len, "exited");
	else if (WIFEXITED(p->status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, len, "was killed by signal %d",
		    WTERMSIG(p->status));
	else
		snprintf(buf, len, "ended");
	return buf;
}

int
proc_kill(struct vm_proc *p, int64_t term_ms, int64_t kill_ms)
{
	if (proc_check(p))
		return 1;
	if (term_ms > 0) {
		kill(p->pid, SIGTERM);
		if (proc_wait(p, tether_now_ms() + term_ms))
			return 1;
	}
	kill(p->pid, SIGKILL);
	return proc_wait(p, tether_now_ms() + kill_ms);
}

int
proc_cmdline(pid_t pid, char **bufp, char ***argvp, int *argcp)
{
	char	 path[64], *buf = NULL, *nb, **argv = NULL;
	size_t	 len = 0, cap = 0, i;
	ssize_t	 n;
	int	 fd, argc = 0, k, r = -1;

	*bufp = NULL;
	*argvp = NULL;
	*argcp = 0;
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			if ((nb = realloc(buf, cap)) == NULL)
				goto out;
			buf = nb;
		}
		if ((n = read(fd, buf + len, 4096)) < 0)
			goto out;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	if (len == 0)
		goto out;
	buf[len] = '\0';
	for (i = 0; i < len; i++) {
		if (buf[i] == '\0')
			argc++;
	}
	if (buf[len - 1] != '\0')
		argc++;
	if ((argv = calloc((size_t)argc + 1, sizeof *argv)) == NULL)
		goto out;
	for (i = 0, k = 0; i < len && k < argc; k++) {
		argv[k] = buf + i;
		i += strlen(buf + i) + 1;
	}
	*bufp = buf;
	*argvp = argv;
	*argcp = argc;
	buf = NULL;
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return r;
}

int
proc_is_qemu(const char *argv0)
{
	const char	*b = strrchr(argv0, '/');

	b = b != NULL ? b + 1 : argv0;
	return strncmp(b, "qemu", 4) == 0;
}

const char *
proc_optname(const char *a)
{
	if (a[0] != '-')
		return NULL;
	return a[1] == '-' ? a + 2 : a + 1;
}
