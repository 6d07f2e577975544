/* SPDX-License-Identifier: ISC */
/*
 * vm-driver.c - drives the VM lifecycle through the public API: launch,
 * login, run, info pci/cpus, wait-net, wait-port, teardown; prints each
 * step with its time.  Used by tests/integration/vm-*.sh and bench/vm.
 *
 * usage: vm-driver flow KERNEL INITRD ACCEL [telnet] [PORT]
 *        vm-driver badpass KERNEL INITRD ACCEL
 *        vm-driver nologin KERNEL INITRD ACCEL TIMEOUT-MS
 *        vm-driver attach CONSOLE-URI MONITOR-URI PIDFILE PASSWORD
 *        vm-driver loops QEMU
 * Without arguments it skips (exit 77).
 */
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tether.h"

static int64_t	t0;

static struct tether_session	*lag_s;	/* console: report the lag */

/*
 * Prints a step; for a wait on the console also the lag: milliseconds
 * from reading the awaited byte to returning it to the caller.
 */
static void
step(const char *what, int r, struct tether_loop *loop)
{
	int64_t	now = tether_now_ms();

	fprintf(stderr, "[%7.3f] %-22s %s%s%s", (now - t0) / 1000.0, what,
	    r == 0 ? "ok" : tether_strerror(r), r == 0 ? "" : ": ",
	    r == 0 ? "" : tether_loop_errmsg(loop));
	if (r == 0 && lag_s != NULL)
		fprintf(stderr, "  (lag %lld ms)",
		    (long long)(now - tether_session_last_rx(lag_s)));
	fputc('\n', stderr);
}

static int
finish(struct tether_loop *loop, int r)
{
	struct rusage	ru;
	int		tr;

	lag_s = NULL;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "tether cpu: user %ld ms, system %ld ms\n",
	    (long)(ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000),
	    (long)(ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000));
	tr = tether_vm_teardown_all(loop, tether_now_ms() + 20000);
	step("teardown-all", tr, loop);
	tether_loop_free(loop);
	return tether_exit_code(r);
}

static void
build_argv(char **av, const char *kernel, const char *initrd,
    const char *accel, const char *nic, const char *append)
{
	int	k = 0;

	av[k++] = "qemu-system-x86_64";
	av[k++] = "-accel";
	av[k++] = (char *)accel;
	av[k++] = "-m";
	av[k++] = "256";
	av[k++] = "-smp";
	av[k++] = "2";
	av[k++] = "-kernel";
	av[k++] = (char *)kernel;
	av[k++] = "-initrd";
	av[k++] = (char *)initrd;
	av[k++] = "-append";
	av[k++] = (char *)append;
	av[k++] = "-nic";
	av[k++] = (char *)nic;
	av[k] = NULL;
}

/* The guest's root password: $GUEST_PASSWORD (guest.env), as mkguest. */
static const char *
guest_password(void)
{
	const char	*p = getenv("GUEST_PASSWORD");

	return p != NULL && *p != '\0' ? p : "tether-guest-pw";
}

static int
flow(int argc, char **argv)
{
	struct tether_loop		*loop = tether_loop_new();
	struct tether_vm		*vm;
	struct tether_session		*con, *mon;
	struct tether_login_opts	 lo = { "root", NULL, NULL, NULL,
					    NULL };
	struct tether_waitnet_opts	 wn = { NULL, "^10\\.0\\.2\\.", 1 };
	char				*av[32], nic[128], *out = NULL, *addr;
	int				 r, st, port, flags = 0;
	size_t				 i;
	static const char *const cmds[] = {
		"uname -r", "grep -c ^processor /proc/cpuinfo", "false",
		"echo 'a long line that wraps past eighty columns of the "
		"serial terminal, with quotes \" and $dollar and a tab\t"
		"- end'", NULL
	};

	lo.password = guest_password();
	port = argc > 5 ? atoi(argv[5]) : 10022;
	if (argc > 4 && strcmp(argv[4], "telnet") == 0)
		flags |= TETHER_VM_TELNET;
	snprintf(nic, sizeof nic, "user,hostfwd=tcp:127.0.0.1:%d-:22", port);
	build_argv(av, argv[1], argv[2], argv[3], nic, "console=ttyS0 quiet");
	r = tether_vm_launch(loop, "vm0", av, flags, tether_now_ms() + 20000,
	    &vm);
	step("launch", r, loop);
	if (r != 0)
		return finish(loop, r);
	fprintf(stderr, "          pid %ld rundir %s\n",
	    (long)tether_vm_pid(vm), tether_vm_rundir(vm));
	con = tether_loop_session(loop, "vm0.console");
	mon = tether_loop_session(loop, "vm0.monitor");
	lag_s = con;
	r = tether_login(con, &lo, tether_now_ms() + 120000);
	step("login", r, loop);
	if (r != 0)
		return finish(loop, r);
	for (i = 0; cmds[i] != NULL; i++) {
		r = tether_run(con, cmds[i], tether_now_ms() + 10000, &out,
		    &st);
		step("run", r, loop);
		if (r != 0)
			return finish(loop, r);
		printf("run[%zu] status=%d out=<%s>\n", i, st, out);
		free(out);
	}
	lag_s = mon;
	r = tether_hmp_command(mon, "info cpus", tether_now_ms() + 5000,
	    &out);
	step("hmp info cpus", r, loop);
	lag_s = con;
	if (r == 0) {
		json_t *j = tether_hmp_parse("info cpus", out);

		printf("vcpus=%zu\n", j != NULL ? json_array_size(j) : 0);
		json_decref(j);
		free(out);
	}
	r = tether_wait_net(con, &wn, tether_now_ms() + 60000, &addr);
	step("wait-net", r, loop);
	if (r != 0)
		return finish(loop, r);
	printf("addr=%s\n", addr);
	free(addr);
	lag_s = NULL;
	r = tether_wait_port(loop, "127.0.0.1", port, "^SSH-",
	    tether_now_ms() + 60000);
	step("wait-port", r, loop);
	if (r != 0)
		return finish(loop, r);
	{
		const char *how;

		r = tether_vm_teardown(vm, tether_now_ms() + 20000, &how);
		step("teardown", r, loop);
		printf("teardown=%s\n", how);
	}
	return finish(loop, r);
}

static int
badpass(int argc, char **argv)
{
	struct tether_loop		*loop = tether_loop_new();
	struct tether_vm		*vm;
	struct tether_login_opts	 lo = { "root", "wrong", NULL, NULL,
					    NULL };
	char				*av[32];
	int				 r;

	build_argv(av, argv[1], argv[2], argv[3], "none",
	    "console=ttyS0 quiet");
	r = tether_vm_launch(loop, "vm0", av, 0, tether_now_ms() + 20000,
	    &vm);
	step("launch", r, loop);
	if (r != 0)
		return finish(loop, r);
	r = tether_login(tether_loop_session(loop, "vm0.console"), &lo,
	    tether_now_ms() + 120000);
	step("login", r, loop);
	return finish(loop, r);
}

static int
nologin(int argc, char **argv)
{
	struct tether_loop		*loop = tether_loop_new();
	struct tether_vm		*vm;
	struct tether_login_opts	 lo = { "root", NULL, NULL, NULL,
					    NULL };
	char				*av[32];
	int64_t				 start, ms;
	int				 r;

	lo.password = guest_password();
	ms = argc > 4 ? atoi(argv[4]) : 5000;
	/* The console is elsewhere (ttyS1): ttyS0 never shows a prompt. */
	build_argv(av, argv[1], argv[2], argv[3], "none",
	    "console=ttyS1 quiet");
	r = tether_vm_launch(loop, "vm0", av, 0, tether_now_ms() + 20000,
	    &vm);
	step("launch", r, loop);
	if (r != 0)
		return finish(loop, r);
	start = tether_now_ms();
	r = tether_login(tether_loop_session(loop, "vm0.console"), &lo,
	    start + ms);
	step("login", r, loop);
	printf("login-waited-ms=%lld deadline-ms=%lld\n",
	    (long long)(tether_now_ms() - start), (long long)ms);
	return finish(loop, r);
}

static int
badlaunch(int argc, char **argv)
{
	struct tether_loop	*loop = tether_loop_new();
	struct tether_vm	*vm;
	char			*av[32];
	int			 r;

	build_argv(av, argv[1], argv[2], argv[3], "none", "console=ttyS0");
	r = tether_vm_launch(loop, "vm0", av, 0, tether_now_ms() + 20000,
	    &vm);
	step("launch", r, loop);
	printf("launch=%d msg=%s\n", r, tether_loop_errmsg(loop));
	return finish(loop, r);
}

/* Launches a paused, machine-less QEMU as vm0 on loop; returns it or NULL. */
static struct tether_vm *
loops_launch(struct tether_loop *loop, const char *qemu, const char *what)
{
	struct tether_vm	*vm;
	char			*av[] = { (char *)qemu, "-S", "-machine",
				    "none", "-nodefaults", NULL };
	int			 r;

	r = tether_vm_launch(loop, "vm0", av, 0, tether_now_ms() + 20000,
	    &vm);
	step(what, r, loop);
	return r == 0 ? vm : NULL;
}

/* Returns nonzero while pid is a process (ours: reaped once it is gone). */
static int
loops_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/*
 * The VMs belong to their loop: two loops each launch a vm0; freeing the
 * first stops its QEMU and removes its run directory, and only those.
 */
static int
loops(const char *qemu)
{
	struct tether_loop	*a = tether_loop_new(), *b = tether_loop_new();
	struct tether_vm	*va, *vb;
	char			 ra[256], rb[256];
	pid_t			 pa, pb;
	int			 bad = 0;

	if ((va = loops_launch(a, qemu, "launch a")) == NULL ||
	    (vb = loops_launch(b, qemu, "launch b")) == NULL) {
		tether_loop_free(a);
		tether_loop_free(b);
		return 1;
	}
	pa = tether_vm_pid(va);
	pb = tether_vm_pid(vb);
	snprintf(ra, sizeof ra, "%s", tether_vm_rundir(va));
	snprintf(rb, sizeof rb, "%s", tether_vm_rundir(vb));
	printf("a pid %ld %s\nb pid %ld %s\n", (long)pa, ra, (long)pb, rb);
	tether_loop_free(a);
	if (loops_alive(pa) || access(ra, F_OK) == 0) {
		printf("FAIL: loop a freed, its QEMU %ld or %s is left\n",
		    (long)pa, ra);
		bad = 1;
	}
	if (!loops_alive(pb) || access(rb, F_OK) != 0 ||
	    tether_vm_find(b, "vm0") != vb) {
		printf("FAIL: loop a freed, loop b's vm0 is gone too\n");
		bad = 1;
	}
	tether_loop_free(b);
	if (loops_alive(pb) || access(rb, F_OK) == 0) {
		printf("FAIL: loop b freed, its QEMU %ld or %s is left\n",
		    (long)pb, rb);
		bad = 1;
	}
	if (!bad)
		printf("ok each loop stops only its own VMs\n");
	return bad;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	t0 = tether_now_ms();
	if (argc == 3 && strcmp(argv[1], "loops") == 0)
		return loops(argv[2]);
	if (argc < 5)
		return 77;
	if (strcmp(argv[1], "flow") == 0)
		return flow(argc - 1, argv + 1);
	if (strcmp(argv[1], "badpass") == 0)
		return badpass(argc - 1, argv + 1);
	if (strcmp(argv[1], "nologin") == 0)
		return nologin(argc - 1, argv + 1);
	if (strcmp(argv[1], "badlaunch") == 0)
		return badlaunch(argc - 1, argv + 1);
	return 2;
}
