/* SPDX-License-Identifier: ISC */
/*
 * qemu-launch.h - a launched VM as the teardown sees it.  Private to the
 * VM lifecycle files.
 *
 * The VMs launched on a loop belong to it: they are kept in a set that is
 * the argument of the loop's cleanup hook (loop_cleanup_add), so freeing
 * the loop kills, reaps and removes whatever was not torn down.
 */
#ifndef QEMU_LAUNCH_H
#define QEMU_LAUNCH_H

#include "qemu-proc.h"
#include "tether.h"

struct vm_set;

struct tether_vm {
	struct vm_set		*set;		/* the loop's VMs */
	struct tether_loop	*loop;
	char			*name;
	char			*rundir;
	char			*console, *monitor, *qmp, *pidfile, *log;
	char			*agent;		/* guest agent socket, or NULL */
	char			*migsock;	/* incoming unix socket, or NULL */
	int			 incoming;	/* TETHER_VM_INCOMING_*, or 0 */
	struct vm_proc		 proc;
	struct tether_vm	*next;
	char			*cmdline;	/* adopted: its /proc cmdline */
	size_t			 cmdlen;	/* ... at adoption */
};

/* Returns the first VM launched on the loop (then ->next), or NULL. */
struct tether_vm *vm_first(struct tether_loop *);
/*
 * Returns the VM's session NAME.suffix ("console", "monitor", "qmp",
 * "agent") on its loop, or NULL when it is closed.
 */
struct tether_session *vm_session(struct tether_vm *, const char *suffix);
/* Closes the VM's sessions (console, monitor, qmp, agent: those open). */
void	 vm_close_sessions(struct tether_vm *);
/* Removes the VM's sockets, pidfile, log and run directory. */
void	 vm_remove_files(struct tether_vm *);
/* Takes the VM out of its loop's set and frees it (NULL is fine). */
void	 vm_free(struct tether_vm *);
/*
 * Returns the last lines QEMU wrote to its log at path as one line
 * (newlines made blanks; "" when there is none), or NULL (no memory).
 * The caller frees it.
 */
char	*vm_log_tail(const char *path);
/*
 * Fails an operation on the VM because QEMU exited: sets the loop's
 * errmsg to "WHAT NAME: QEMU exited with ...: its stderr".  Returns
 * TETHER_ESPAWN.
 */
int	 vm_died(struct tether_vm *, const char *what);
/* Returns nonzero when path is a unix socket. */
int	 vm_sock_exists(const char *path);

/* --- issue 12 (adopt): a QEMU started elsewhere in the loop's set --- */
/*
 * Registers the running QEMU pid (not our child) as VM name, with the
 * unix socket paths of its endpoints (NULL: none, or not a unix socket:
 * nothing to remove) and its pidfile (may be NULL).  Adopted VMs are a
 * second set of the loop: tether_vm_find() finds them, so teardown NAME
 * stops one like a launched VM, but vm_first() does not list them, so
 * tether_vm_teardown_all() and freeing the loop leave them running.  The
 * sessions NAME.* are the caller's to open.  Returns 0 and sets *out.
 */
int	 vm_adopt_add(struct tether_loop *, const char *name, pid_t pid,
	    const char *console, const char *monitor, const char *qmp,
	    const char *pidfile, struct tether_vm **out);
/* Returns the VM adopted as name on the loop, or NULL. */
struct tether_vm *vm_adopted_find(struct tether_loop *, const char *name);
/*
 * Returns nonzero when signals may go to the VM's pid: it is our child,
 * or (adopted) /proc/PID/cmdline is still the one seen at adoption.
 */
int	 vm_may_signal(struct tether_vm *);

#endif /* QEMU_LAUNCH_H */
