/* SPDX-License-Identifier: ISC */
/*
 * qemu-proc.h - a QEMU process, ours (a child we reap) or one started
 * elsewhere: waiting for it to exit through its pidfd, and its command
 * line.  Private to the VM lifecycle files.
 */
#ifndef QEMU_PROC_H
#define QEMU_PROC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define PROC_TERM_MAX	3000	/* ms QEMU gets to exit on SIGTERM */
#define PROC_KILL_MAX	5000	/* ... on SIGKILL: waited even past a
				   deadline */
#define PROC_EXIT_GRACE	2000	/* ... once it closed its sockets */

struct vm_proc {
	pid_t	pid;
	int	pidfd;		/* -1: none, fall back to polling */
	int	child;
	int	exited;
	int	status;		/* wait status, when a child */
};

/* Returns a pidfd for pid, or -1 with errno set (ENOSYS: none here). */
int	 proc_pidfd(pid_t);
/* Returns nonzero once the process has exited (reaping a child). */
int	 proc_check(struct vm_proc *);
/*
 * Waits until the process exits or until passes (-1: check once), on the
 * pidfd when there is one, else polling with backoff.  Returns nonzero
 * when it has exited.
 */
int	 proc_wait(struct vm_proc *, int64_t until);
/* Closes the pidfd. */
void	 proc_close(struct vm_proc *);
/*
 * Describes how the process ended ("exited with status 1", "was killed
 * by signal 9") into buf.  Returns buf.
 */
const char *proc_status(struct vm_proc *, char *buf, size_t len);
/*
 * Stops the process for good: SIGTERM, then SIGKILL when it outlives
 * term_ms, each waited for.  Returns nonzero when it is gone.
 */
int	 proc_kill(struct vm_proc *, int64_t term_ms, int64_t kill_ms);

/*
 * Reads /proc/PID/cmdline into argv form: *argvp (NULL-terminated, *argcp
 * strings) points into *bufp.  Returns 0, or -1 when it cannot be read
 * (no such process, no access, empty).  Caller frees *bufp and *argvp.
 */
int	 proc_cmdline(pid_t, char **bufp, char ***argvp, int *argcp);
/* Returns nonzero when argv[0]'s base name says QEMU ("qemu..."). */
int	 proc_is_qemu(const char *argv0);
/* Returns the option name of QEMU argument a ("-x" or "--x"), or NULL. */
const char *proc_optname(const char *a);

#endif /* QEMU_PROC_H */
