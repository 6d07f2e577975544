/* SPDX-License-Identifier: ISC */
/*
 * qemu-launch.c - launching QEMU paused with its serial console, HMP, QMP
 * and pidfile wired to tether in a private run directory, and the set of
 * VMs a loop owns until they are torn down or the loop is freed.
 */
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "qemu-launch.h"
#include "qemu-proc.h"
#include "tether.h"

#define VM_LOG_MAX		2048	/* QEMU stderr quoted in a message */

/* The VMs launched on one loop: the arg of the loop's cleanup hook. */
struct vm_set {
	struct tether_vm	*first;
};

/*
 * The loop is being freed: nothing launched on it may survive.  Closes
 * the VM's sessions, then SIGTERM, SIGKILL, reap and remove the files.
 */
static void
vm_set_cleanup(void *arg)
{
	struct vm_set		*set = arg;
	struct tether_vm	*vm;

	while ((vm = set->first) != NULL) {
		vm_close_sessions(vm);
		proc_kill(&vm->proc, PROC_TERM_MAX, PROC_KILL_MAX);
		vm_remove_files(vm);
		vm_free(vm);
	}
	free(set);
}

/* Returns the loop's VM set, made on first use, or NULL (no memory). */
static struct vm_set *
vm_set_get(struct tether_loop *loop)
{
	struct vm_set	*set;

	if ((set = loop_cleanup_arg(loop, vm_set_cleanup)) != NULL)
		return set;
	if ((set = calloc(1, sizeof *set)) == NULL)
		return NULL;
	if (loop_cleanup_add(loop, vm_set_cleanup, set) == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

struct tether_vm *
vm_first(struct tether_loop *loop)
{
	struct vm_set	*set = loop_cleanup_arg(loop, vm_set_cleanup);

	return set != NULL ? set->first : NULL;
}

struct tether_session *
vm_session(struct tether_vm *vm, const char *suffix)
{
	char	n[256];

	snprintf(n, sizeof n, "%s.%s", vm->name, suffix);
	return tether_loop_session(vm->loop, n);
}

void
vm_close_sessions(struct tether_vm *vm)
{
	static const char *const sfx[] = {
		"console", "monitor", "qmp", "agent"
	};
	struct tether_session	*s;
	size_t			 i;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		if ((s = vm_session(vm, sfx[i])) != NULL)
			tether_session_close(s);
	}
}

/* Reads the last VM_LOG_MAX bytes of a file, trimmed. */
char *
vm_log_tail(const char *path)
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
void
vm_remove_files(struct tether_vm *vm)
{
	vm_unlink(vm->console);
	vm_unlink(vm->monitor);
	vm_unlink(vm->qmp);
	vm_unlink(vm->pidfile);
	vm_unlink(vm->log);
	vm_unlink(vm->agent);
	vm_unlink(vm->migsock);
	if (vm->rundir != NULL)
		rmdir(vm->rundir);
}

void
vm_free(struct tether_vm *vm)
{
	struct tether_vm	**pp;

	if (vm == NULL)
		return;
	pp = vm->set != NULL ? &vm->set->first : NULL;
	for (; pp != NULL && *pp != NULL; pp = &(*pp)->next) {
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
	free(vm->agent);
	free(vm->migsock);
	free(vm->cmdline);	/* issue 12 (adopt) */
	free(vm);
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

#define VM_AGENT	(TETHER_VM_AGENT_ISA | TETHER_VM_AGENT_VIRTIO)
#define VM_INCOMING	(TETHER_VM_INCOMING_UNIX | TETHER_VM_INCOMING_TCP)

static int
vm_check_argv(struct tether_loop *loop, const char *name, char *const argv[],
    int flags, int *has_display, int *has_s)
{
	const char	*o;
	size_t		 i, j;

	*has_display = *has_s = 0;
	if ((flags & VM_AGENT) == VM_AGENT)
		return tether_loop_seterr(loop, TETHER_EINVAL, "launch %s: "
		    "one agent, isa-serial or virtio", name);
	if ((flags & VM_INCOMING) == VM_INCOMING)
		return tether_loop_seterr(loop, TETHER_EINVAL, "launch %s: "
		    "one incoming, unix or tcp", name);
	for (i = 1; argv[i] != NULL; i++) {
		if ((o = proc_optname(argv[i])) == NULL)
			continue;
		if ((flags & VM_INCOMING) && strcmp(o, "incoming") == 0)
			return tether_loop_seterr(loop, TETHER_EINVAL,
			    "launch %s: drop %s, incoming= wires the incoming "
			    "migration itself", name, argv[i]);
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

int
vm_sock_exists(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

/* QEMU exited: quotes its stderr. */
int
vm_died(struct tether_vm *vm, const char *what)
{
	char	*log, how[64];
	int	 r;

	log = vm_log_tail(vm->log);
	r = tether_loop_seterr(vm->loop, TETHER_ESPAWN,
	    "%s %s: QEMU %s: %s", what, vm->name,
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
			return vm_died(vm, "launch");
		if (vm_sock_exists(vm->console) &&
		    vm_sock_exists(vm->monitor) && vm_sock_exists(vm->qmp) &&
		    (vm->agent == NULL || vm_sock_exists(vm->agent)))
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

/*
 * The options of the agent session: connect at once (QEMU listens: no
 * connect-within, which would also lengthen the open), but the guest
 * agent answers only once the guest runs it, long after the launch: with
 * open-within=0 the qga: row syncs on the first command, within that
 * command's deadline (api-qga.md).
 */
static const struct tether_opt vm_agent_opts[] = {
	{ "open-within", "0" },
};

/* Opens one of the VM's sessions. */
static int
vm_open(struct tether_vm *vm, const char *suffix, const char *scheme,
    const char *path)
{
	struct tether_session	*s;
	const struct tether_opt	*opts;
	struct tether_opt	 opt = { "connect-within", "5s" };
	char			*name = NULL, *uri = NULL;
	size_t			 nopts = 1;
	int			 r;

	opts = &opt;
	if (strcmp(suffix, "agent") == 0) {
		opts = vm_agent_opts;
		nopts = sizeof vm_agent_opts / sizeof vm_agent_opts[0];
	}
	if (asprintf(&name, "%s.%s", vm->name, suffix) == -1 ||
	    asprintf(&uri, "%s%s", scheme, path) == -1) {
		r = TETHER_ENOMEM;
		goto out;
	}
	r = tether_session_open(vm->loop, name, uri, opts, nopts, &s);
out:
	free(name);
	free(uri);
	return r;
}

static int
vm_launch(struct tether_loop *loop, const char *name,
    char *const argv[], int flags, int64_t deadline, struct tether_vm **out)
{
	struct vm_set		*set;
	struct tether_vm	*vm = NULL;
	struct tether_session	*qmp;
	const char		*tmp;
	char			**av = NULL, *sp[4] = { 0 };
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
	if ((r = vm_check_argv(loop, name, argv, flags, &has_display,
	    &has_s)) != 0)
		return r;
	if ((set = vm_set_get(loop)) == NULL)
		return TETHER_ENOMEM;
	if ((vm = calloc(1, sizeof *vm)) == NULL)
		return TETHER_ENOMEM;
	vm->loop = loop;
	vm->proc.pid = -1;
	vm->proc.pidfd = -1;
	vm->proc.child = 1;
	vm->incoming = flags & VM_INCOMING;
	if ((vm->name = strdup(name)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	/* Unix socket paths are short: fall back to /tmp for a long TMPDIR. */
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0' ||
	    strlen(tmp) + strlen(name) > 60)
		tmp = "/tmp";
	if (asprintf(&vm->rundir, "%s/tether-%s-XXXXXX", tmp, name) == -1) {
		vm->rundir = NULL;
		r = TETHER_ENOMEM;
		goto out;
	}
	if (mkdtemp(vm->rundir) == NULL) {
		r = tether_loop_seterr(loop, TETHER_EIO, "launch %s: mkdtemp "
		    "%s: %s", name, vm->rundir, strerror(errno));
		free(vm->rundir);
		vm->rundir = NULL;
		goto out;
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
		goto out;
	}
	if ((flags & VM_AGENT) &&
	    ((vm->agent = vm_path(vm->rundir, "qga.sock")) == NULL ||
	    asprintf(&sp[3], "socket,path=%s,server=on,wait=off,id=qga0",
	    vm->agent) == -1)) {
		r = TETHER_ENOMEM;
		goto out;
	}
	for (n = 0; argv[n] != NULL; n++)
		;
	if ((av = calloc(n + 24, sizeof *av)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
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
	if (flags & VM_AGENT) {
		/* CSIT's second serial line, or DTS's virtio port */
		av[k++] = "-chardev";
		av[k++] = sp[3];
		if (flags & TETHER_VM_AGENT_VIRTIO) {
			av[k++] = "-device";
			av[k++] = "virtio-serial";
			av[k++] = "-device";
			av[k++] = "virtserialport,chardev=qga0,"
			    "name=org.qemu.guest_agent.0";
		} else {
			av[k++] = "-device";
			av[k++] = "isa-serial,chardev=qga0";
		}
	}
	if (flags & VM_INCOMING) {
		av[k++] = "-incoming";
		av[k++] = "defer";
	}
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
		goto out;
	}
	if (pid == 0)
		vm_exec(av, vm->log, self);
	vm->proc.pid = pid;
	vm->proc.pidfd = proc_pidfd(pid);
	vm->set = set;
	vm->next = set->first;
	set->first = vm;
	if ((r = vm_wait_sockets(vm, ino, deadline)) != 0)
		goto out;
	if ((r = vm_open(vm, "console", (flags & TETHER_VM_TELNET) ?
	    "telnet+unix:" : "unix:", vm->console)) != 0 ||
	    (r = vm_open(vm, "monitor", "hmp:unix:", vm->monitor)) != 0 ||
	    (r = vm_open(vm, "qmp", "qmp:unix:", vm->qmp)) != 0 ||
	    (vm->agent != NULL &&
	    (r = vm_open(vm, "agent", "qga:unix:", vm->agent)) != 0)) {
		/* QEMU failing after creating its sockets (no kernel...) */
		if (proc_wait(&vm->proc, tether_now_ms() + PROC_EXIT_GRACE))
			r = vm_died(vm, "launch");
		goto out;
	}
	qmp = vm_session(vm, "qmp");
	if (!has_s && (r = tether_qmp_execute(qmp, "cont", NULL, deadline,
	    &res)) != 0) {
		if (proc_wait(&vm->proc, tether_now_ms() + PROC_EXIT_GRACE))
			r = vm_died(vm, "launch");
		goto out;
	}
	json_decref(res);
	*out = vm;
	vm = NULL;
	r = 0;
out:
	if (vm != NULL) {
		vm_close_sessions(vm);
		if (vm->proc.pid > 0)
			proc_kill(&vm->proc, 0, PROC_KILL_MAX);
		vm_remove_files(vm);
		vm_free(vm);
	}
	if (ino != -1)
		close(ino);
	free(av);
	for (i = 0; i < sizeof sp / sizeof sp[0]; i++)
		free(sp[i]);
	return r;
}

int
tether_vm_launch(struct tether_loop *loop, const char *name,
    char *const argv[], int flags, int64_t deadline, struct tether_vm **out)
{
	loop_enter(loop);
	return loop_leave(loop, vm_launch(loop, name, argv, flags, deadline, out));
}

struct tether_vm *
tether_vm_find(struct tether_loop *loop, const char *name)
{
	struct tether_vm	*vm;

	for (vm = vm_first(loop); vm != NULL; vm = vm->next) {
		if (strcmp(vm->name, name) == 0)
			return vm;
	}
	return vm_adopted_find(loop, name);	/* issue 12 (adopt) */
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

/* --- issue 12 (adopt): a QEMU started elsewhere in the loop's set --- */

/* Reads /proc/PID/cmdline raw into *buf (caller frees).  Returns 0 or -1. */
static int
vm_cmdline_raw(pid_t pid, char **buf, size_t *len)
{
	char	 path[64], *b = NULL, *nb;
	size_t	 n = 0, cap = 0;
	ssize_t	 k;
	int	 fd;

	*buf = NULL;
	*len = 0;
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (n == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if ((nb = realloc(b, cap)) == NULL)
				break;
			b = nb;
		}
		if ((k = read(fd, b + n, cap - n)) <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (n == 0) {
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/*
 * The loop is being freed: an adopted QEMU is not ours to stop.  Closes
 * its sessions and forgets it.
 */
static void
vm_adopted_cleanup(void *arg)
{
	struct vm_set		*set = arg;
	struct tether_vm	*vm;

	while ((vm = set->first) != NULL) {
		vm_close_sessions(vm);
		vm_free(vm);
	}
	free(set);
}

struct tether_vm *
vm_adopted_find(struct tether_loop *loop, const char *name)
{
	struct vm_set		*set;
	struct tether_vm	*vm;

	set = loop_cleanup_arg(loop, vm_adopted_cleanup);
	for (vm = set != NULL ? set->first : NULL; vm != NULL; vm = vm->next) {
		if (strcmp(vm->name, name) == 0)
			return vm;
	}
	return NULL;
}

int
vm_adopt_add(struct tether_loop *loop, const char *name, pid_t pid,
    const char *console, const char *monitor, const char *qmp,
    const char *pidfile, struct tether_vm **out)
{
	struct vm_set		*set;
	struct tether_vm	*vm;

	*out = NULL;
	if (tether_vm_find(loop, name) != NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL, "adopt %s: a "
		    "VM of that name is running", name);
	if ((set = loop_cleanup_arg(loop, vm_adopted_cleanup)) == NULL) {
		if ((set = calloc(1, sizeof *set)) == NULL)
			return TETHER_ENOMEM;
		if (loop_cleanup_add(loop, vm_adopted_cleanup, set) == NULL) {
			free(set);
			return TETHER_ENOMEM;
		}
	}
	if ((vm = calloc(1, sizeof *vm)) == NULL)
		return TETHER_ENOMEM;
	vm->loop = loop;
	vm->proc.pid = pid;
	vm->proc.pidfd = proc_pidfd(pid);
	vm->proc.child = 0;
	if ((vm->name = strdup(name)) == NULL ||
	    (console != NULL && (vm->console = strdup(console)) == NULL) ||
	    (monitor != NULL && (vm->monitor = strdup(monitor)) == NULL) ||
	    (qmp != NULL && (vm->qmp = strdup(qmp)) == NULL) ||
	    (pidfile != NULL && (vm->pidfile = strdup(pidfile)) == NULL)) {
		vm_free(vm);
		return TETHER_ENOMEM;
	}
	if (vm_cmdline_raw(pid, &vm->cmdline, &vm->cmdlen) != 0) {
		vm_free(vm);
		return tether_loop_seterr(loop, TETHER_EINVAL, "adopt %s: pid "
		    "%ld: no such process", name, (long)pid);
	}
	vm->set = set;
	vm->next = set->first;
	set->first = vm;
	*out = vm;
	return 0;
}

int
vm_may_signal(struct tether_vm *vm)
{
	char	*b;
	size_t	 n;
	int	 same;

	if (vm->proc.child)
		return 1;
	if (vm_cmdline_raw(vm->proc.pid, &b, &n) != 0)
		return 0;
	same = n == vm->cmdlen && memcmp(b, vm->cmdline, n) == 0;
	free(b);
	return same;
}
