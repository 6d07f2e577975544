/* SPDX-License-Identifier: ISC */
/*
 * qemu-teardown.c - stopping QEMU step by step: guest poweroff on a
 * logged-in console of a running VM, else ACPI system_powerdown when it
 * runs, monitor quit, SIGTERM, SIGKILL, each bounded; for a launched VM
 * or one found through its pidfile.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "login.h"
#include "loop.h"
#include "qemu-launch.h"
#include "qemu-proc.h"
#include "session.h"
#include "tether.h"

#define VM_POWEROFF_MAX		15000	/* guest poweroff, at most */
#define VM_QUIT_MAX		3000	/* monitor quit */
#define VM_STATUS_MAX		1000	/* query-status / info status */
#define VM_POWERDOWN_MAX	500	/* ACPI: a guest that acts on it */

static int64_t
vm_min(int64_t a, int64_t b)
{
	if (a == -1)
		return b;
	return a < b ? a : b;
}

static int
vm_usable(struct tether_session *s)
{
	return s != NULL && !tether_session_eof(s);
}

/*
 * Asks the monitor whether the guest's CPUs run (QMP query-status, else
 * HMP info status), within VM_STATUS_MAX.  Returns 1 running, 0 not
 * (paused, postmigrate, prelaunch, shutdown, ...), -1 unknown.
 */
static int
vm_running(struct tether_session *monitor, struct tether_session *qmp,
    int64_t deadline)
{
	json_t	*st = NULL, *v;
	char	*text = NULL;
	int64_t	 until = vm_min(deadline, tether_now_ms() + VM_STATUS_MAX);
	int	 r = -1;

	if (vm_usable(qmp)) {
		if (tether_qmp_execute(qmp, "query-status", NULL, until,
		    &st) == 0 && json_is_boolean(v = json_object_get(st,
		    "running")))
			r = json_is_true(v);
	} else if (vm_usable(monitor)) {
		if (tether_hmp_command(monitor, "info status", until,
		    &text) == 0 && (st = tether_hmp_parse("info status",
		    text)) != NULL && json_is_boolean(v = json_object_get(st,
		    "running")))
			r = json_is_true(v);
	}
	json_decref(st);
	free(text);
	return r;
}

/*
 * Returns nonzero when the console is at tether's shell prompt: login or
 * run left it there (or a run still goes: ^C gets the prompt back) and
 * the last line received, matched or not, is that prompt (not a logout's
 * login prompt, not a command typed by hand).
 */
static int
vm_at_shell(struct tether_session *console)
{
	const char	*p, *line;
	size_t		 len, n;

	if (!vm_usable(console) || !login_is_shell(console))
		return 0;
	if (login_is_busy(console))
		return 1;
	p = session_view_at(console, console->view_base, &len);
	line = login_last_line(p, len, &n);
	return n == sizeof LOGIN_PROMPT - 2 &&
	    memcmp(line, LOGIN_PROMPT, n) == 0;
}

/*
 * The steps of a teardown.  console, monitor, qmp may be NULL; signals go
 * only when may_signal.  Returns 0 once the process is gone.
 */
static int
vm_stop(struct tether_loop *loop, struct vm_proc *p,
    struct tether_session *console, struct tether_session *monitor,
    struct tether_session *qmp, int may_signal, int64_t deadline,
    const char **how)
{
	static const char	 quit_qmp[] = "{\"execute\":\"quit\"}\n";
	static const char	 down_qmp[] =
	    "{\"execute\":\"system_powerdown\"}\n";
	int64_t			 now, rest, until;
	int			 intr = tether_loop_interrupted(loop);
	int			 running = -1, shell;

	*how = "exited";
	/*
	 * A session at end of file means QEMU closed it: it is exiting (its
	 * files close before it becomes a zombie), so give it a moment.
	 */
	if ((console != NULL && tether_session_eof(console)) ||
	    (monitor != NULL && tether_session_eof(monitor)) ||
	    (qmp != NULL && tether_session_eof(qmp)))
		until = tether_now_ms() + PROC_EXIT_GRACE;
	else
		until = -1;
	if (proc_wait(p, until))
		return 0;
	/*
	 * 0. Only a running guest can power itself off: a paused,
	 * postmigrate, prelaunch or shut down VM goes straight to quit.
	 */
	shell = !intr && vm_at_shell(console);
	if (!intr && (shell || vm_usable(console)))
		running = vm_running(monitor, qmp, deadline);
	/* 1. A logged-in guest powers itself off. */
	if (shell && running != 0) {
		now = tether_now_ms();
		rest = deadline == -1 ? 2 * VM_POWEROFF_MAX : deadline - now;
		until = now + vm_min(rest / 2, VM_POWEROFF_MAX);
		if (login_is_busy(console) &&
		    tether_session_send(console, "\003", 1, 0, until) != 0)
			until = now;
		if (tether_session_sendline(console, "poweroff", 0,
		    until) == 0 && proc_wait(p, until)) {
			*how = "poweroff";
			return 0;
		}
	}
	/*
	 * 1b. A running guest with no shell tether knows (never logged in,
	 * logged out) gets the ACPI power button, briefly.
	 */
	if (!intr && !shell && running == 1) {
		until = vm_min(deadline, tether_now_ms() + VM_POWERDOWN_MAX);
		if (((vm_usable(qmp) && tether_session_send(qmp, down_qmp,
		    sizeof down_qmp - 1, 0, until) == 0) ||
		    (!vm_usable(qmp) && vm_usable(monitor) &&
		    tether_session_send(monitor, "system_powerdown\n", 17, 0,
		    until) == 0)) && proc_wait(p, until)) {
			*how = "system_powerdown";
			return 0;
		}
	}
	/* 2. The monitor quits QEMU. */
	if (vm_usable(monitor) || vm_usable(qmp)) {
		now = tether_now_ms();
		until = vm_min(deadline, now + VM_QUIT_MAX);
		if (vm_usable(monitor) && tether_session_send(monitor,
		    "quit\n", 5, 0, until) == 0 && proc_wait(p, until)) {
			*how = "quit";
			return 0;
		}
		if (vm_usable(qmp) && tether_session_send(qmp, quit_qmp,
		    sizeof quit_qmp - 1, 0, until) == 0 &&
		    proc_wait(p, until)) {
			*how = "quit";
			return 0;
		}
	}
	if (!may_signal)
		return proc_wait(p, -1) ? 0 : TETHER_EIO;
	/* 3. SIGTERM: QEMU exits cleanly. */
	now = tether_now_ms();
	if (kill(p->pid, SIGTERM) == 0 &&
	    proc_wait(p, vm_min(deadline, now + PROC_TERM_MAX))) {
		*how = "SIGTERM";
		return 0;
	}
	/* 4. SIGKILL, waited for even when the deadline has passed. */
	if (proc_wait(p, -1))
		return 0;
	kill(p->pid, SIGKILL);
	*how = "SIGKILL";
	return proc_wait(p, tether_now_ms() + PROC_KILL_MAX) ? 0 : TETHER_EIO;
}

static int
vm_teardown(struct tether_vm *vm, int64_t deadline, const char **how)
{
	struct tether_session	*s[3];
	const char		*h = "exited";
	int			 r;

	if (vm == NULL)
		return 0;
	s[0] = vm_session(vm, "console");
	s[1] = vm_session(vm, "monitor");
	s[2] = vm_session(vm, "qmp");
	r = vm_stop(vm->loop, &vm->proc, s[0], s[1], s[2], vm_may_signal(vm),
	    deadline, &h);
	if (how != NULL)
		*how = h;
	if (r != 0)
		return tether_loop_seterr(vm->loop, r, "teardown %s: QEMU pid "
		    "%ld survived SIGKILL", vm->name, (long)vm->proc.pid);
	vm_close_sessions(vm);
	vm_remove_files(vm);
	vm_free(vm);
	return 0;
}

int
tether_vm_teardown(struct tether_vm *vm, int64_t deadline, const char **how)
{
	struct tether_loop	*loop;

	if (vm == NULL)
		return 0;
	loop = vm->loop;	/* vm is freed by the teardown */
	loop_enter(loop);
	return loop_leave(loop, vm_teardown(vm, deadline, how));
}

static int
vm_teardown_all(struct tether_loop *loop, int64_t deadline)
{
	struct tether_vm	*vm, *next;
	int			 r, first = 0;

	for (vm = vm_first(loop); vm != NULL; vm = next) {
		next = vm->next;
		if ((r = tether_vm_teardown(vm, deadline, NULL)) != 0 &&
		    first == 0)
			first = r;
	}
	return first;
}

int
tether_vm_teardown_all(struct tether_loop *loop, int64_t deadline)
{
	loop_enter(loop);
	return loop_leave(loop, vm_teardown_all(loop, deadline));
}

/* Unlinks the socket of a unix: session URI, if still a socket. */
static void
vm_unlink_uri(struct tether_session *s)
{
	const char	*u, *p;
	char		 path[PATH_MAX];
	size_t		 len;

	if (s == NULL)
		return;
	u = tether_session_uri(s);
	if (strncmp(u, "hmp:", 4) == 0 || strncmp(u, "qmp:", 4) == 0)
		u += 4;
	if (strncmp(u, "telnet+unix:", 12) == 0)
		u += 12;
	else if (strncmp(u, "unix:", 5) == 0)
		u += 5;
	else
		return;
	len = (p = strchr(u, ',')) != NULL ? (size_t)(p - u) : strlen(u);
	if (len == 0 || len >= sizeof path)
		return;
	memcpy(path, u, len);
	path[len] = '\0';
	if (vm_sock_exists(path))
		unlink(path);
}

static int
vm_teardown_pidfile(struct tether_loop *loop,
    struct tether_session *console, struct tether_session *monitor,
    const char *pidfile, int64_t deadline, const char **how)
{
	struct vm_proc	 p;
	const char	*h = "exited";
	char		 buf[64], *cbuf = NULL, **cargv = NULL;
	ssize_t		 n;
	long		 pid;
	int		 fd, r, cargc, may_signal = 1;

	memset(&p, 0, sizeof p);
	p.pidfd = -1;
	if (how != NULL)
		*how = h;
	if (pidfile == NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "teardown: no pidfile");
	if ((fd = open(pidfile, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			return tether_loop_seterr(loop, TETHER_EIO, "teardown: "
			    "%s: %s", pidfile, strerror(errno));
		/* No pidfile: QEMU removed it on a clean exit. */
		vm_unlink_uri(console);
		vm_unlink_uri(monitor);
		return 0;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if ((pid = strtol(buf, NULL, 10)) <= 1)
		return tether_loop_seterr(loop, TETHER_EINVAL, "teardown: %s "
		    "holds no pid", pidfile);
	p.pid = (pid_t)pid;
	p.pidfd = proc_pidfd(p.pid);
	if (p.pidfd == -1 && errno == ESRCH)
		p.exited = 1;
	else if (proc_cmdline(p.pid, &cbuf, &cargv, &cargc) != 0 ||
	    !proc_is_qemu(cargv[0])) {
		/* A reused pid: never signal somebody else's process. */
		may_signal = 0;
		if (cbuf == NULL)
			p.exited = 1;
	}
	free(cbuf);
	free(cargv);
	r = vm_stop(loop, &p, console, monitor, NULL, may_signal, deadline,
	    &h);
	proc_close(&p);
	if (how != NULL)
		*how = h;
	if (r != 0)
		return tether_loop_seterr(loop, r, "teardown: pid %ld from %s "
		    "%s", pid, pidfile, may_signal ? "survived SIGKILL" :
		    "is not a QEMU and did not quit: not signalled");
	unlink(pidfile);
	vm_unlink_uri(console);
	vm_unlink_uri(monitor);
	return 0;
}

int
tether_vm_teardown_pidfile(struct tether_loop *loop,
    struct tether_session *console, struct tether_session *monitor,
    const char *pidfile, int64_t deadline, const char **how)
{
	loop_enter(loop);
	return loop_leave(loop, vm_teardown_pidfile(loop, console, monitor,
	    pidfile, deadline, how));
}
