/* SPDX-License-Identifier: ISC */
/*
 * qemu.c - the VM lifecycle: launch QEMU paused with its consoles wired to
 * tether, tear it down step by step, wait for the guest network or a host
 * port, and discover the endpoints of a QEMU started elsewhere.
 */
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "login.h"
#include "loop.h"
#include "session.h"
#include "tether.h"

#define VM_POWEROFF_MAX		15000	/* guest poweroff, at most */
#define VM_QUIT_MAX		3000	/* monitor quit */
#define VM_TERM_MAX		3000	/* SIGTERM */
#define VM_KILL_MAX		5000	/* SIGKILL: waited even past deadline */
#define VM_EXIT_GRACE		2000	/* QEMU exiting after a failed open */
#define VM_LOG_MAX		2048	/* QEMU stderr quoted in a message */
#define NET_POLL_FIRST		50
#define NET_POLL_MAX		500
#define NET_DHCP_AFTER		3000
#define PORT_POLL_FIRST		10
#define PORT_POLL_MAX		250
#define PORT_BANNER_WAIT	3000

/* A QEMU process: ours (a child we reap) or one started elsewhere. */
struct vm_proc {
	pid_t	pid;
	int	pidfd;		/* -1: none, fall back to polling */
	int	child;
	int	exited;
	int	status;		/* wait status, when a child */
};

struct tether_vm {
	struct tether_loop	*loop;
	char			*name;
	char			*rundir;
	char			*console, *monitor, *qmp, *pidfile, *log;
	struct vm_proc		 proc;
	struct tether_vm	*next;
};

static struct tether_vm	*vm_list;
static int		 vm_atexit_set;

static int
vm_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* Returns nonzero once the process has exited (reaping a child). */
static int
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

/*
 * Waits until the process exits or until passes (-1: check once).  Uses
 * the pidfd when there is one, else polls with backoff.  Returns nonzero
 * when it has exited.
 */
static int
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

static void
proc_close(struct vm_proc *p)
{
	if (p->pidfd != -1)
		close(p->pidfd);
	p->pidfd = -1;
}

/* Describes how a child ended, into buf. */
static const char *
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

/* Reads the last VM_LOG_MAX bytes of a file, trimmed; caller frees. */
static char *
vm_read_log(const char *path)
{
	char	*s, *p;
	off_t	 size;
	ssize_t	 n;
	int	 fd;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return strdup("");
	size = lseek(fd, 0, SEEK_END);
	if (size > VM_LOG_MAX)
		lseek(fd, size - VM_LOG_MAX, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	if ((s = calloc(1, VM_LOG_MAX + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	n = read(fd, s, VM_LOG_MAX);
	close(fd);
	if (n < 0)
		n = 0;
	s[n] = '\0';
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	    s[n - 1] == ' '))
		s[--n] = '\0';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	return s;
}

static void
vm_unlink(const char *path)
{
	if (path != NULL)
		unlink(path);
}

/* Removes the VM's files and run directory. */
static void
vm_remove_files(struct tether_vm *vm)
{
	vm_unlink(vm->console);
	vm_unlink(vm->monitor);
	vm_unlink(vm->qmp);
	vm_unlink(vm->pidfile);
	vm_unlink(vm->log);
	if (vm->rundir != NULL)
		rmdir(vm->rundir);
}

static void
vm_free(struct tether_vm *vm)
{
	struct tether_vm	**pp;

	if (vm == NULL)
		return;
	for (pp = &vm_list; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == vm) {
			*pp = vm->next;
			break;
		}
	}
	proc_close(&vm->proc);
	free(vm->name);
	free(vm->rundir);
	free(vm->console);
	free(vm->monitor);
	free(vm->qmp);
	free(vm->pidfile);
	free(vm->log);
	free(vm);
}

/*
 * At exit, nothing launched may survive: SIGTERM, then SIGKILL, reap and
 * remove the files.  The loop may be gone, so no session is used.
 */
static void
vm_atexit(void)
{
	struct tether_vm	*vm;

	while ((vm = vm_list) != NULL) {
		if (!proc_check(&vm->proc)) {
			kill(vm->proc.pid, SIGTERM);
			if (!proc_wait(&vm->proc, tether_now_ms() +
			    VM_TERM_MAX)) {
				kill(vm->proc.pid, SIGKILL);
				proc_wait(&vm->proc, tether_now_ms() +
				    VM_KILL_MAX);
			}
		}
		vm_remove_files(vm);
		vm_free(vm);
	}
}

static char *
vm_path(const char *dir, const char *file)
{
	char	*p;

	if (asprintf(&p, "%s/%s", dir, file) == -1)
		return NULL;
	return p;
}

/* Options launch wires itself and refuses from the user. */
static const char *const vm_refused[] = {
	"serial", "monitor", "qmp", "qmp-pretty", "mon", "pidfile",
	"daemonize", "nographic", NULL
};

/* Returns the option name of argument a ("-x" or "--x"), or NULL. */
static const char *
vm_optname(const char *a)
{
	if (a[0] != '-')
		return NULL;
	return a[1] == '-' ? a + 2 : a + 1;
}

static int
vm_check_argv(struct tether_loop *loop, const char *name, char *const argv[],
    int *has_display, int *has_s)
{
	const char	*o;
	size_t		 i, j;

	*has_display = *has_s = 0;
	for (i = 1; argv[i] != NULL; i++) {
		if ((o = vm_optname(argv[i])) == NULL)
			continue;
		for (j = 0; vm_refused[j] != NULL; j++) {
			if (strcmp(o, vm_refused[j]) == 0)
				return tether_loop_seterr(loop, TETHER_EINVAL,
				    "launch %s: drop %s, launch wires the "
				    "serial console, monitor, QMP and pidfile "
				    "itself", name, argv[i]);
		}
		if (strcmp(o, "display") == 0)
			*has_display = 1;
		if (strcmp(o, "S") == 0)
			*has_s = 1;
	}
	return 0;
}

/* Child side of the fork: never returns. */
static void
vm_exec(char *const argv[], const char *log, pid_t parent)
{
	sigset_t	set;
	int		fd, i;

	setpgid(0, 0);		/* ^C on the terminal is ours to handle */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, 0);
		if (fd > 2)
			close(fd);
	}
	if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	    0600)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	execvp(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int
vm_sock_exists(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

/* Fails the launch: QEMU exited; quotes its stderr. */
static int
vm_died(struct tether_vm *vm)
{
	char	*log, how[64];
	int	 r;

	log = vm_read_log(vm->log);
	r = tether_loop_seterr(vm->loop, TETHER_ESPAWN,
	    "launch %s: QEMU %s: %s", vm->name,
	    proc_status(&vm->proc, how, sizeof how),
	    log != NULL && *log != '\0' ? log : "(no message)");
	free(log);
	return r;
}

/*
 * Waits until QEMU has created its three sockets, watching the run
 * directory with inotify and the process with its pidfd.
 */
static int
vm_wait_sockets(struct tether_vm *vm, int ino, int64_t deadline)
{
	struct pollfd	 pfd[2];
	char		 evbuf[4096];
	int64_t		 now;
	int		 ms, n;

	for (;;) {
		if (proc_check(&vm->proc))
			return vm_died(vm);
		if (vm_sock_exists(vm->console) &&
		    vm_sock_exists(vm->monitor) && vm_sock_exists(vm->qmp))
			return 0;
		now = tether_now_ms();
		if (deadline != -1 && now >= deadline)
			return tether_loop_seterr(vm->loop, TETHER_ETIMEDOUT,
			    "launch %s: QEMU created no sockets in %s",
			    vm->name, vm->rundir);
		ms = deadline == -1 ? 1000 : (int)(deadline - now);
		n = 0;
		if (vm->proc.pidfd != -1) {
			pfd[n].fd = vm->proc.pidfd;
			pfd[n++].events = POLLIN;
		}
		if (ino != -1) {
			pfd[n].fd = ino;
			pfd[n++].events = POLLIN;
		}
		if (ino == -1 || vm->proc.pidfd == -1)
			ms = ms > 20 ? 20 : ms;
		if (tether_loop_interrupted(vm->loop))
			return TETHER_EINTR;
		if (poll(pfd, (nfds_t)n, ms) > 0 && ino != -1 &&
		    read(ino, evbuf, sizeof evbuf) == -1) {
			/* Drained or nothing: look at the files again. */
		}
		proc_wait(&vm->proc, -1);
	}
}

/* Opens one of the VM's sessions. */
static int
vm_open(struct tether_vm *vm, const char *suffix, const char *scheme,
    const char *path, int64_t deadline)
{
	struct tether_session	*s;
	struct tether_opt	 opt = { "connect-within", "5s" };
	char			*name = NULL, *uri = NULL;
	int			 r;

	if (asprintf(&name, "%s.%s", vm->name, suffix) == -1 ||
	    asprintf(&uri, "%s%s", scheme, path) == -1) {
		r = TETHER_ENOMEM;
		goto out;
	}
	r = tether_session_open(vm->loop, name, uri, &opt, 1, &s);
out:
	free(name);
	free(uri);
	return r;
}

static void
vm_close_sessions(struct tether_loop *loop, const char *name)
{
	static const char *const sfx[] = { "console", "monitor", "qmp" };
	struct tether_session	*s;
	char			 n[256];
	size_t			 i;

	for (i = 0; i < 3; i++) {
		snprintf(n, sizeof n, "%s.%s", name, sfx[i]);
		if ((s = tether_loop_session(loop, n)) != NULL)
			tether_session_close(s);
	}
}

int
tether_vm_launch(struct tether_loop *loop, const char *name,
    char *const argv[], int flags, int64_t deadline, struct tether_vm **out)
{
	struct tether_vm	*vm = NULL;
	struct tether_session	*qmp;
	const char		*tmp;
	char			**av = NULL, *sp[3] = { NULL, NULL, NULL };
	char			 buf[256];
	json_t			*res = NULL;
	size_t			 n, i, k;
	pid_t			 pid, self = getpid();
	int			 r, ino = -1, has_display, has_s;

	*out = NULL;
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL ||
	    strlen(name) > 64)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "launch: bad VM name \"%s\"", name != NULL ? name : "");
	if (argv == NULL || argv[0] == NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "launch %s: no QEMU command", name);
	if (tether_vm_find(loop, name) != NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "launch %s: a VM of that name is running", name);
	snprintf(buf, sizeof buf, "%s.console", name);
	if (tether_loop_session(loop, buf) != NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "launch %s: session %s is already open", name, buf);
	if ((r = vm_check_argv(loop, name, argv, &has_display, &has_s)) != 0)
		return r;
	if ((vm = calloc(1, sizeof *vm)) == NULL)
		return TETHER_ENOMEM;
	vm->loop = loop;
	vm->proc.pid = -1;
	vm->proc.pidfd = -1;
	vm->proc.child = 1;
	if ((vm->name = strdup(name)) == NULL) {
		r = TETHER_ENOMEM;
		goto fail;
	}
	/* Unix socket paths are short: fall back to /tmp for a long TMPDIR. */
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0' ||
	    strlen(tmp) + strlen(name) > 60)
		tmp = "/tmp";
	if (asprintf(&vm->rundir, "%s/tether-%s-XXXXXX", tmp, name) == -1) {
		vm->rundir = NULL;
		r = TETHER_ENOMEM;
		goto fail;
	}
	if (mkdtemp(vm->rundir) == NULL) {
		r = tether_loop_seterr(loop, TETHER_EIO, "launch %s: mkdtemp "
		    "%s: %s", name, vm->rundir, strerror(errno));
		free(vm->rundir);
		vm->rundir = NULL;
		goto fail;
	}
	if ((vm->console = vm_path(vm->rundir, "console.sock")) == NULL ||
	    (vm->monitor = vm_path(vm->rundir, "monitor.sock")) == NULL ||
	    (vm->qmp = vm_path(vm->rundir, "qmp.sock")) == NULL ||
	    (vm->pidfile = vm_path(vm->rundir, "qemu.pid")) == NULL ||
	    (vm->log = vm_path(vm->rundir, "qemu.log")) == NULL ||
	    asprintf(&sp[0], "unix:%s,server=on,wait=off%s", vm->console,
	    (flags & TETHER_VM_TELNET) ? ",telnet=on" : "") == -1 ||
	    asprintf(&sp[1], "unix:%s,server=on,wait=off", vm->monitor) == -1 ||
	    asprintf(&sp[2], "unix:%s,server=on,wait=off", vm->qmp) == -1) {
		r = TETHER_ENOMEM;
		goto fail;
	}
	for (n = 0; argv[n] != NULL; n++)
		;
	if ((av = calloc(n + 16, sizeof *av)) == NULL) {
		r = TETHER_ENOMEM;
		goto fail;
	}
	for (i = 0, k = 0; i < n; i++)
		av[k++] = argv[i];
	if (!has_s)
		av[k++] = "-S";
	if (!has_display) {
		av[k++] = "-display";
		av[k++] = "none";
	}
	av[k++] = "-serial";
	av[k++] = sp[0];
	av[k++] = "-monitor";
	av[k++] = sp[1];
	av[k++] = "-qmp";
	av[k++] = sp[2];
	av[k++] = "-pidfile";
	av[k++] = vm->pidfile;
	av[k] = NULL;
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino != -1 && inotify_add_watch(ino, vm->rundir, IN_CREATE |
	    IN_MOVED_TO) == -1) {
		close(ino);
		ino = -1;
	}
	if ((pid = fork()) == -1) {
		r = tether_loop_seterr(loop, TETHER_ESPAWN, "launch %s: fork: "
		    "%s", name, strerror(errno));
		goto fail;
	}
	if (pid == 0)
		vm_exec(av, vm->log, self);
	vm->proc.pid = pid;
	vm->proc.pidfd = vm_pidfd_open(pid);
	vm->next = vm_list;
	vm_list = vm;
	if (!vm_atexit_set) {
		atexit(vm_atexit);
		vm_atexit_set = 1;
	}
	if ((r = vm_wait_sockets(vm, ino, deadline)) != 0)
		goto fail;
	if ((r = vm_open(vm, "console", (flags & TETHER_VM_TELNET) ?
	    "telnet+unix:" : "unix:", vm->console, deadline)) != 0 ||
	    (r = vm_open(vm, "monitor", "hmp:unix:", vm->monitor,
	    deadline)) != 0 ||
	    (r = vm_open(vm, "qmp", "qmp:unix:", vm->qmp, deadline)) != 0) {
		/* QEMU failing after creating its sockets (no kernel...) */
		if (proc_wait(&vm->proc, tether_now_ms() + VM_EXIT_GRACE))
			r = vm_died(vm);
		goto fail;
	}
	snprintf(buf, sizeof buf, "%s.qmp", name);
	qmp = tether_loop_session(loop, buf);
	if (!has_s && (r = tether_qmp_execute(qmp, "cont", NULL, deadline,
	    &res)) != 0) {
		if (proc_wait(&vm->proc, tether_now_ms() + VM_EXIT_GRACE))
			r = vm_died(vm);
		goto fail;
	}
	json_decref(res);
	*out = vm;
	vm = NULL;
	r = 0;
	goto out;
fail:
	if (vm != NULL) {
		vm_close_sessions(loop, name);
		if (vm->proc.pid > 0 && !proc_check(&vm->proc)) {
			kill(vm->proc.pid, SIGKILL);
			proc_wait(&vm->proc, tether_now_ms() + VM_KILL_MAX);
		}
		vm_remove_files(vm);
		vm_free(vm);
	}
out:
	if (ino != -1)
		close(ino);
	free(av);
	for (i = 0; i < 3; i++)
		free(sp[i]);
	return r;
}

struct tether_vm *
tether_vm_find(struct tether_loop *loop, const char *name)
{
	struct tether_vm	*vm;

	for (vm = vm_list; vm != NULL; vm = vm->next) {
		if (vm->loop == loop && strcmp(vm->name, name) == 0)
			return vm;
	}
	return NULL;
}

pid_t
tether_vm_pid(struct tether_vm *vm)
{
	return vm->proc.pid;
}

const char *
tether_vm_rundir(struct tether_vm *vm)
{
	return vm->rundir;
}

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
	int64_t			 now, rest, until;
	int			 intr = tether_loop_interrupted(loop);

	*how = "exited";
	/*
	 * A session at end of file means QEMU closed it: it is exiting (its
	 * files close before it becomes a zombie), so give it a moment.
	 */
	if ((console != NULL && tether_session_eof(console)) ||
	    (monitor != NULL && tether_session_eof(monitor)) ||
	    (qmp != NULL && tether_session_eof(qmp)))
		until = tether_now_ms() + VM_EXIT_GRACE;
	else
		until = -1;
	if (proc_wait(p, until))
		return 0;
	/* 1. A logged-in guest powers itself off. */
	if (!intr && vm_usable(console) && login_is_shell(console)) {
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
	    proc_wait(p, vm_min(deadline, now + VM_TERM_MAX))) {
		*how = "SIGTERM";
		return 0;
	}
	/* 4. SIGKILL, waited for even when the deadline has passed. */
	if (proc_wait(p, -1))
		return 0;
	kill(p->pid, SIGKILL);
	*how = "SIGKILL";
	return proc_wait(p, tether_now_ms() + VM_KILL_MAX) ? 0 : TETHER_EIO;
}

int
tether_vm_teardown(struct tether_vm *vm, int64_t deadline, const char **how)
{
	struct tether_session	*s[3];
	const char		*h = "exited";
	char			 n[256];
	int			 r;

	if (vm == NULL)
		return 0;
	snprintf(n, sizeof n, "%s.console", vm->name);
	s[0] = tether_loop_session(vm->loop, n);
	snprintf(n, sizeof n, "%s.monitor", vm->name);
	s[1] = tether_loop_session(vm->loop, n);
	snprintf(n, sizeof n, "%s.qmp", vm->name);
	s[2] = tether_loop_session(vm->loop, n);
	r = vm_stop(vm->loop, &vm->proc, s[0], s[1], s[2], 1, deadline, &h);
	if (how != NULL)
		*how = h;
	if (r != 0)
		return tether_loop_seterr(vm->loop, r, "teardown %s: QEMU pid "
		    "%ld survived SIGKILL", vm->name, (long)vm->proc.pid);
	vm_close_sessions(vm->loop, vm->name);
	vm_remove_files(vm);
	vm_free(vm);
	return 0;
}

int
tether_vm_teardown_all(struct tether_loop *loop, int64_t deadline)
{
	struct tether_vm	*vm, *next;
	int			 r, first = 0;

	for (vm = vm_list; vm != NULL; vm = next) {
		next = vm->next;
		if (vm->loop != loop)
			continue;
		if ((r = tether_vm_teardown(vm, deadline, NULL)) != 0 &&
		    first == 0)
			first = r;
	}
	return first;
}

/* Reads /proc/PID/cmdline into argv form; caller frees *buf and *argv. */
static int
vm_cmdline(pid_t pid, char **bufp, char ***argvp, int *argcp)
{
	char	 path[64], *buf = NULL, **argv = NULL;
	size_t	 len = 0, cap = 0, i;
	ssize_t	 n;
	int	 fd, argc = 0, k;

	*bufp = NULL;
	*argvp = NULL;
	*argcp = 0;
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap * 2 + 8192;
			if ((nb = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nb;
		}
		if ((n = read(fd, buf + len, 4096)) < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	if (len == 0)
		goto fail;
	buf[len] = '\0';
	for (i = 0; i < len; i++) {
		if (buf[i] == '\0')
			argc++;
	}
	if (buf[len - 1] != '\0')
		argc++;
	if ((argv = calloc((size_t)argc + 1, sizeof *argv)) == NULL)
		goto fail;
	for (i = 0, k = 0; i < len && k < argc; k++) {
		argv[k] = buf + i;
		i += strlen(buf + i) + 1;
	}
	*bufp = buf;
	*argvp = argv;
	*argcp = argc;
	return 0;
fail:
	if (fd != -1)
		close(fd);
	free(buf);
	return -1;
}

/* Returns nonzero when argv[0]'s base name says QEMU. */
static int
vm_is_qemu(const char *argv0)
{
	const char	*b = strrchr(argv0, '/');

	b = b != NULL ? b + 1 : argv0;
	return strncmp(b, "qemu", 4) == 0;
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

int
tether_vm_teardown_pidfile(struct tether_loop *loop,
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
	p.pidfd = vm_pidfd_open(p.pid);
	if (p.pidfd == -1 && errno == ESRCH)
		p.exited = 1;
	else if (vm_cmdline(p.pid, &cbuf, &cargv, &cargc) != 0 ||
	    !vm_is_qemu(cargv[0])) {
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

/*
 * wait-net
 */

/* Compiles re; returns NULL with the message set. */
static pcre2_code *
net_compile(struct tether_loop *loop, const char *re)
{
	pcre2_code	*c;
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[256];
	int		 ec;

	c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &ec, &off,
	    NULL);
	if (c == NULL) {
		pcre2_get_error_message(ec, msg, sizeof msg);
		tether_loop_seterr(loop, TETHER_EINVAL, "bad regex /%s/ at "
		    "offset %zu: %s", re, (size_t)off, (char *)msg);
	}
	return c;
}

/* Finds the first non-loopback IPv4 address in out that matches. */
static char *
net_find(const char *out, pcre2_code *inet, pcre2_code *want)
{
	pcre2_match_data	*md, *md2;
	PCRE2_SIZE		*ov;
	size_t			 len = strlen(out), at = 0;
	char			*addr = NULL, a[64];
	size_t			 al;

	md = pcre2_match_data_create_from_pattern(inet, NULL);
	md2 = want != NULL ? pcre2_match_data_create_from_pattern(want,
	    NULL) : NULL;
	if (md == NULL || (want != NULL && md2 == NULL))
		goto out;
	while (at < len && pcre2_match(inet, (PCRE2_SPTR)out, len, at, 0, md,
	    NULL) > 1) {
		ov = pcre2_get_ovector_pointer(md);
		at = ov[1];
		al = ov[3] - ov[2];
		if (al >= sizeof a)
			continue;
		memcpy(a, out + ov[2], al);
		a[al] = '\0';
		if (strncmp(a, "127.", 4) == 0)
			continue;
		if (want != NULL && pcre2_match(want, (PCRE2_SPTR)a, al, 0, 0,
		    md2, NULL) < 0)
			continue;
		addr = strdup(a);
		break;
	}
out:
	pcre2_match_data_free(md);
	pcre2_match_data_free(md2);
	return addr;
}

/* Waits until passes, reading every session.  Returns 0 or EINTR. */
static int
vm_sleep(struct tether_loop *loop, int64_t until)
{
	int	r;

	while (tether_now_ms() < until) {
		r = tether_loop_once(loop, until);
		if (r == TETHER_EINTR)
			return r;
	}
	return 0;
}

/* An interface name safe to put on a shell command line. */
static int
net_iface_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._-@:", *s) != NULL))
			return 0;
	}
	return 1;
}

int
tether_wait_net(struct tether_session *s, const struct tether_waitnet_opts *o,
    int64_t deadline, char **addrp)
{
	struct tether_loop	*loop = tether_session_loop(s);
	pcre2_code		*inet = NULL, *want = NULL;
	char			 cmd[512], kick[512], *out = NULL;
	const char		*ifc = o != NULL ? o->iface : NULL;
	int64_t			 started = tether_now_ms(), every, now;
	int			 r, status, kicked = 0, polls = 0;

	*addrp = NULL;
	if (ifc != NULL && (*ifc == '\0' || !net_iface_ok(ifc)))
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "wait-net: bad interface name \"%s\"", ifc);
	if ((inet = net_compile(loop,
	    "inet (?:addr:)?(\\d+\\.\\d+\\.\\d+\\.\\d+)")) == NULL ||
	    (o != NULL && o->match != NULL &&
	    (want = net_compile(loop, o->match)) == NULL)) {
		r = TETHER_EINVAL;
		goto out;
	}
	if (ifc != NULL) {
		snprintf(cmd, sizeof cmd, "ip -4 -o addr show dev %s "
		    "2>/dev/null || ifconfig %s 2>/dev/null", ifc, ifc);
		snprintf(kick, sizeof kick, "udhcpc -n -q -t 3 -T 1 -i %s "
		    ">/dev/null 2>&1 || dhclient -1 %s >/dev/null 2>&1", ifc,
		    ifc);
	} else {
		snprintf(cmd, sizeof cmd, "ip -4 -o addr show 2>/dev/null || "
		    "ifconfig 2>/dev/null");
		snprintf(kick, sizeof kick, "for i in /sys/class/net/*; do "
		    "i=${i##*/}; [ \"$i\" = lo ] && continue; "
		    "udhcpc -n -q -t 3 -T 1 -i \"$i\" >/dev/null 2>&1 || "
		    "dhclient -1 \"$i\" >/dev/null 2>&1; done");
	}
	every = NET_POLL_FIRST;
	for (;;) {
		free(out);
		out = NULL;
		if ((r = tether_run(s, cmd, deadline, &out, &status)) != 0)
			goto out;
		polls++;
		if ((*addrp = net_find(out, inet, want)) != NULL)
			break;
		now = tether_now_ms();
		if (deadline != -1 && now >= deadline) {
			r = tether_loop_seterr(loop, TETHER_ETIMEDOUT,
			    "wait-net %s: no IPv4 address%s%s%s on %s after "
			    "%lld ms (%d polls%s)", s->name,
			    want != NULL ? " matching /" : "",
			    want != NULL ? o->match : "",
			    want != NULL ? "/" : "",
			    ifc != NULL ? ifc : "any interface",
			    (long long)(now - started), polls,
			    kicked ? ", DHCP kicked" : "");
			goto out;
		}
		if (o != NULL && o->dhcp && !kicked &&
		    now - started >= NET_DHCP_AFTER) {
			kicked = 1;
			free(out);
			out = NULL;
			if ((r = tether_run(s, kick, deadline, &out,
			    &status)) != 0)
				goto out;
			continue;
		}
		if ((r = vm_sleep(loop, vm_min(deadline, now + every))) != 0)
			goto out;
		if ((every *= 2) > NET_POLL_MAX)
			every = NET_POLL_MAX;
	}
	r = 0;
out:
	free(out);
	pcre2_code_free(inet);
	pcre2_code_free(want);
	return r;
}

/*
 * wait-port
 */

struct port_wait {
	int	ready;
	int	revents;
};

static void
port_ready(int fd, int revents, void *arg)
{
	struct port_wait	*pw = arg;

	pw->ready = 1;
	pw->revents = revents;
}

/* Waits for events on fd, reading every session.  Returns 0/ETIMEDOUT/EINTR. */
static int
port_poll(struct tether_loop *loop, int fd, int events, int64_t until)
{
	struct port_wait	 pw = { 0, 0 };
	struct loop_watch	*w;
	int			 r = 0;

	if ((w = loop_watch_add(loop, fd, events, port_ready, &pw)) == NULL)
		return TETHER_EIO;
	while (!pw.ready) {
		if (tether_now_ms() >= until) {
			r = TETHER_ETIMEDOUT;
			break;
		}
		r = tether_loop_once(loop, until);
		if (r == TETHER_EINTR)
			break;
		r = 0;
	}
	loop_watch_del(w);
	return r;
}

/*
 * One attempt: connect, and read a banner when asked.  Returns 0 when the
 * port is ready, TETHER_EAGAIN to try again, or EINTR.
 */
static int
port_try(struct tether_loop *loop, const struct addrinfo *ai,
    pcre2_code *banner, int64_t until)
{
	pcre2_match_data	*md = NULL;
	char			 b[4096];
	size_t			 len = 0;
	socklen_t		 sl = sizeof(int);
	ssize_t			 n;
	int			 fd, r = TETHER_EAGAIN, err = 0;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol)) == -1)
		return TETHER_EAGAIN;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto out;
		if ((r = port_poll(loop, fd, POLLOUT, until)) != 0) {
			if (r != TETHER_EINTR)
				r = TETHER_EAGAIN;
			goto out;
		}
		r = TETHER_EAGAIN;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0)
			goto out;
	}
	if (banner == NULL) {
		r = 0;
		goto out;
	}
	if ((md = pcre2_match_data_create_from_pattern(banner, NULL)) == NULL)
		goto out;
	while (len < sizeof b - 1) {
		if ((r = port_poll(loop, fd, POLLIN, until)) != 0) {
			if (r != TETHER_EINTR)
				r = TETHER_EAGAIN;
			goto out;
		}
		r = TETHER_EAGAIN;
		if ((n = read(fd, b + len, sizeof b - 1 - len)) <= 0) {
			if (n < 0 && errno == EAGAIN)
				continue;
			goto out;	/* closed: nobody behind the port yet */
		}
		len += (size_t)n;
		if (pcre2_match(banner, (PCRE2_SPTR)b, len, 0, 0, md,
		    NULL) >= 0) {
			r = 0;
			goto out;
		}
	}
out:
	pcre2_match_data_free(md);
	close(fd);
	return r;
}

int
tether_wait_port(struct tether_loop *loop, const char *host, int port,
    const char *banner_re, int64_t deadline)
{
	struct addrinfo		 hints, *res = NULL, *ai;
	pcre2_code		*banner = NULL;
	char			 ps[16];
	int64_t			 started = tether_now_ms(), every, now, until;
	int			 r, tries = 0;

	if (port <= 0 || port > 65535)
		return tether_loop_seterr(loop, TETHER_EINVAL,
		    "wait-port: bad port %d", port);
	if (banner_re != NULL && (banner = net_compile(loop, banner_re)) ==
	    NULL)
		return TETHER_EINVAL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof ps, "%d", port);
	if ((r = getaddrinfo(host, ps, &hints, &res)) != 0) {
		r = tether_loop_seterr(loop, TETHER_EINVAL, "wait-port %s:%d: "
		    "%s", host, port, gai_strerror(r));
		goto out;
	}
	every = PORT_POLL_FIRST;
	for (;;) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			tries++;
			until = vm_min(deadline, tether_now_ms() +
			    PORT_BANNER_WAIT);
			r = port_try(loop, ai, banner, until);
			if (r == 0 || r == TETHER_EINTR)
				goto out;
		}
		now = tether_now_ms();
		if (deadline != -1 && now >= deadline) {
			r = tether_loop_seterr(loop, TETHER_ETIMEDOUT,
			    "wait-port %s:%d: %s after %lld ms (%d tries)",
			    host, port, banner != NULL ? "no banner matching "
			    "the pattern" : "not accepting",
			    (long long)(now - started), tries);
			goto out;
		}
		if ((r = vm_sleep(loop, vm_min(deadline, now + every))) != 0)
			goto out;
		if ((every *= 2) > PORT_POLL_MAX)
			every = PORT_POLL_MAX;
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	pcre2_code_free(banner);
	return r;
}

/*
 * discover
 */

/* Value of key=... in a comma-separated option string, into out. */
static int
opt_value(const char *opts, const char *key, char *out, size_t len)
{
	const char	*p = opts, *e;
	size_t		 kl = strlen(key), vl;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			vl = e != NULL ? (size_t)(e - p - kl - 1) :
			    strlen(p + kl + 1);
			if (vl >= len)
				vl = len - 1;
			memcpy(out, p + kl + 1, vl);
			out[vl] = '\0';
			return 1;
		}
		if (strncmp(p, key, kl) == 0 && (p[kl] == ',' ||
		    p[kl] == '\0')) {
			snprintf(out, len, "on");
			return 1;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return 0;
}

static int
opt_on(const char *opts, const char *key)
{
	char	v[16];

	return opt_value(opts, key, v, sizeof v) && (strcmp(v, "on") == 0 ||
	    strcmp(v, "yes") == 0 || strcmp(v, "true") == 0);
}

/* The host to connect to for a listening address. */
static const char *
conn_host(const char *h)
{
	if (*h == '\0' || strcmp(h, "0.0.0.0") == 0)
		return "127.0.0.1";
	if (strcmp(h, "::") == 0)
		return "::1";
	return h;
}

/*
 * Turns a character device spec ("unix:PATH,server", "telnet::4444,server",
 * "tcp:HOST:PORT,...") into a tether URI for proto ("" serial, "hmp:",
 * "qmp:").  Returns a new string or NULL when not attachable.
 */
static char *
spec_uri(const char *spec, const char *proto)
{
	const char	*rest, *comma, *opts;
	char		 addr[PATH_MAX], *uri = NULL, *colon;
	size_t		 len;
	int		 telnet = 0;

	if (strncmp(spec, "mon:", 4) == 0)
		spec += 4;
	comma = strchr(spec, ',');
	opts = comma != NULL ? comma + 1 : "";
	if (strncmp(spec, "unix:", 5) == 0) {
		rest = spec + 5;
		telnet = opt_on(opts, "telnet");
	} else if (strncmp(spec, "telnet:", 7) == 0) {
		rest = spec + 7;
		telnet = 1;
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		rest = spec + 4;
		telnet = opt_on(opts, "telnet");
	} else
		return NULL;
	len = comma != NULL ? (size_t)(comma - rest) : strlen(rest);
	if (len == 0 || len >= sizeof addr)
		return NULL;
	memcpy(addr, rest, len);
	addr[len] = '\0';
	if (strncmp(spec, "unix:", 5) == 0) {
		if (asprintf(&uri, "%s%s%s", proto, telnet && *proto == '\0' ?
		    "telnet+unix:" : "unix:", addr) == -1)
			return NULL;
		return uri;
	}
	if ((colon = strrchr(addr, ':')) == NULL)
		return NULL;
	*colon = '\0';
	if (asprintf(&uri, "%s%s%s:%s", proto, telnet && *proto == '\0' ?
	    "telnet:" : "tcp:", conn_host(addr), colon + 1) == -1)
		return NULL;
	return uri;
}

/* Turns "-chardev socket,id=X,path=P|host=H,port=N,..." into a spec. */
static char *
chardev_spec(const char *cd)
{
	char	 path[PATH_MAX], host[256], port[16], *spec = NULL;
	int	 telnet = opt_on(cd, "telnet");

	if (strncmp(cd, "socket,", 7) != 0)
		return NULL;
	if (opt_value(cd, "path", path, sizeof path)) {
		if (asprintf(&spec, "unix:%s%s", path, telnet ?
		    ",telnet=on" : "") == -1)
			return NULL;
	} else if (opt_value(cd, "port", port, sizeof port)) {
		if (!opt_value(cd, "host", host, sizeof host))
			host[0] = '\0';
		if (asprintf(&spec, "tcp:%s:%s%s", host, port, telnet ?
		    ",telnet=on" : "") == -1)
			return NULL;
	}
	return spec;
}

/* Finds -chardev ...,id=ID in argv; returns its spec (new) or NULL. */
static char *
chardev_find(int argc, char *const argv[], const char *id)
{
	char	 v[256];
	int	 i;

	for (i = 1; i + 1 < argc; i++) {
		const char *o = vm_optname(argv[i]);

		if (o == NULL || strcmp(o, "chardev") != 0)
			continue;
		if (opt_value(argv[i + 1], "id", v, sizeof v) &&
		    strcmp(v, id) == 0)
			return chardev_spec(argv[i + 1]);
	}
	return NULL;
}

/* Appends {uri, spec} to list a. */
static void
ep_add(json_t *a, const char *uri, const char *spec)
{
	json_t	*o = json_object();

	json_object_set_new(o, "uri", uri != NULL ? json_string(uri) :
	    json_null());
	json_object_set_new(o, "spec", json_string(spec));
	json_array_append_new(a, o);
}

/* Adds the endpoint of spec (or chardev:ID) to list a for proto. */
static void
ep_spec(json_t *a, int argc, char *const argv[], const char *spec,
    const char *proto)
{
	char	*cs = NULL, *uri;

	if (strncmp(spec, "chardev:", 8) == 0) {
		if ((cs = chardev_find(argc, argv, spec + 8)) == NULL) {
			ep_add(a, NULL, spec);
			return;
		}
		uri = spec_uri(cs, proto);
	} else
		uri = spec_uri(spec, proto);
	ep_add(a, uri, spec);
	free(uri);
	free(cs);
}

/*
 * Adds every hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
 * of a -nic/-netdev/-net option string.
 */
static void
ep_hostfwd(json_t *a, const char *opts)
{
	const char	*p = opts;
	char		 f[512], *proto, *haddr, *hport, *gport, *dash, *c;
	char		*uri;
	json_t		*o;
	size_t		 len;

	while ((p = strstr(p, "hostfwd=")) != NULL) {
		p += 8;
		len = strcspn(p, ",");
		if (len >= sizeof f)
			continue;
		memcpy(f, p, len);
		f[len] = '\0';
		if ((dash = strchr(f, '-')) == NULL)
			continue;
		*dash = '\0';
		gport = (c = strrchr(dash + 1, ':')) != NULL ? c + 1 :
		    dash + 1;
		/* f is now PROTO:HADDR:HPORT */
		if ((c = strchr(f, ':')) == NULL)
			continue;
		*c = '\0';
		proto = *f != '\0' ? f : "tcp";
		haddr = c + 1;
		if ((c = strrchr(haddr, ':')) == NULL)
			continue;
		*c = '\0';
		hport = c + 1;
		if (atoi(hport) <= 0 || atoi(gport) <= 0)
			continue;
		o = json_object();
		json_object_set_new(o, "proto", json_string(proto));
		json_object_set_new(o, "host",
		    json_string(conn_host(haddr)));
		json_object_set_new(o, "port", json_integer(atoi(hport)));
		json_object_set_new(o, "guest_port",
		    json_integer(atoi(gport)));
		if (asprintf(&uri, "%s:%s:%s", strcmp(proto, "udp") == 0 ?
		    "udp" : "tcp", conn_host(haddr), hport) != -1) {
			json_object_set_new(o, "uri", json_string(uri));
			free(uri);
		}
		if (atoi(gport) == 22 && strcmp(proto, "tcp") == 0 &&
		    asprintf(&uri, "ssh://%s:%s", conn_host(haddr),
		    hport) != -1) {
			json_object_set_new(o, "ssh", json_string(uri));
			free(uri);
		}
		json_array_append_new(a, o);
	}
}

json_t *
tether_qemu_endpoints(int argc, char *const argv[])
{
	json_t		*j, *serial, *mon, *qmp, *fwd;
	const char	*o, *v;
	char		 id[256], mode[32], *cs;
	int		 i;

	j = json_object();
	serial = json_array();
	mon = json_array();
	qmp = json_array();
	fwd = json_array();
	json_object_set_new(j, "program", json_string(argc > 0 ?
	    argv[0] : ""));
	for (i = 1; i < argc; i++) {
		if ((o = vm_optname(argv[i])) == NULL || i + 1 >= argc)
			continue;
		v = argv[i + 1];
		if (strcmp(o, "serial") == 0)
			ep_spec(serial, argc, argv, v, "");
		else if (strcmp(o, "monitor") == 0)
			ep_spec(mon, argc, argv, v, "hmp:");
		else if (strcmp(o, "qmp") == 0 || strcmp(o, "qmp-pretty") == 0)
			ep_spec(qmp, argc, argv, v, "qmp:");
		else if (strcmp(o, "mon") == 0 &&
		    opt_value(v, "chardev", id, sizeof id)) {
			if (!opt_value(v, "mode", mode, sizeof mode))
				strcpy(mode, "readline");
			if ((cs = chardev_find(argc, argv, id)) == NULL)
				continue;
			ep_spec(strcmp(mode, "control") == 0 ? qmp : mon,
			    argc, argv, cs, strcmp(mode, "control") == 0 ?
			    "qmp:" : "hmp:");
			free(cs);
		} else if (strcmp(o, "device") == 0 &&
		    (strncmp(v, "isa-serial,", 11) == 0 ||
		    strncmp(v, "pci-serial,", 11) == 0 ||
		    strncmp(v, "virtconsole,", 12) == 0) &&
		    opt_value(v, "chardev", id, sizeof id)) {
			if ((cs = chardev_find(argc, argv, id)) != NULL) {
				ep_spec(serial, argc, argv, cs, "");
				free(cs);
			}
		} else if (strcmp(o, "nic") == 0 || strcmp(o, "netdev") == 0 ||
		    strcmp(o, "net") == 0)
			ep_hostfwd(fwd, v);
		else if (strcmp(o, "pidfile") == 0)
			json_object_set_new(j, "pidfile", json_string(v));
		else if (strcmp(o, "name") == 0) {
			if (!opt_value(v, "guest", id, sizeof id))
				snprintf(id, sizeof id, "%.*s",
				    (int)strcspn(v, ","), v);
			json_object_set_new(j, "name", json_string(id));
		} else
			continue;
		i++;
	}
	json_object_set_new(j, "serial", serial);
	json_object_set_new(j, "monitor", mon);
	json_object_set_new(j, "qmp", qmp);
	json_object_set_new(j, "hostfwd", fwd);
	return j;
}

int
tether_qemu_discover(pid_t pid, json_t **out, char *err, size_t errlen)
{
	char	*buf = NULL, **argv = NULL;
	int	 argc;

	*out = NULL;
	if (vm_cmdline(pid, &buf, &argv, &argc) != 0) {
		snprintf(err, errlen, "pid %ld: no such process (or no "
		    "access to its command line)", (long)pid);
		return TETHER_EINVAL;
	}
	if (!vm_is_qemu(argv[0])) {
		snprintf(err, errlen, "pid %ld is %s, not a QEMU", (long)pid,
		    argv[0]);
		free(buf);
		free(argv);
		return TETHER_EINVAL;
	}
	*out = tether_qemu_endpoints(argc, argv);
	json_object_set_new(*out, "pid", json_integer(pid));
	free(buf);
	free(argv);
	return 0;
}
