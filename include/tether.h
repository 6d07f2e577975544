/* SPDX-License-Identifier: ISC */
/*
 * tether.h - public C API of libtether, the console session engine.
 *
 * A loop owns sessions; every open session is read continuously by the
 * loop whether or not anybody is expecting on it.  An expect set is a list
 * of branches (session + pattern, eof, idle) run against the sessions'
 * match views until one wins or the deadline passes.
 *
 * Conventions: functions that can fail return 0, TETHER_EAGAIN or a
 * negative TETHER_E* code; tether_strerror() gives the text and
 * tether_loop_errmsg() the detail of the last failure.  Times are
 * milliseconds on the monotonic clock (tether_now_ms()).  Every free
 * function accepts NULL.
 */
#ifndef TETHER_H
#define TETHER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this header, also for #if: TETHER_VERSION_NUM is
 * 0xMMmmpp (0x000100 for 0.1.0).  tether_version() gives the library's.
 */
#define TETHER_VERSION_MAJOR	0
#define TETHER_VERSION_MINOR	1
#define TETHER_VERSION_PATCH	0
#define TETHER_VERSION_NUM	((TETHER_VERSION_MAJOR << 16) | \
	(TETHER_VERSION_MINOR << 8) | TETHER_VERSION_PATCH)

#define TETHER_WUR __attribute__((warn_unused_result))

#define TETHER_OK		0
#define TETHER_EAGAIN		1	/* would block; try again */
#define TETHER_ENOMEM		(-1)	/* out of memory */
#define TETHER_EINVAL		(-2)	/* bad argument, URI or option */
#define TETHER_EIO		(-3)	/* I/O error */
#define TETHER_EOF		(-4)	/* end of file or connection lost */
#define TETHER_ETIMEDOUT	(-5)	/* deadline passed */
#define TETHER_ECONNECT		(-6)	/* cannot connect */
#define TETHER_EAUTH		(-7)	/* authentication failed */
#define TETHER_EHOSTKEY		(-8)	/* host key unknown or mismatched */
#define TETHER_EPROTO		(-9)	/* peer broke the protocol */
#define TETHER_ENOTSUP		(-10)	/* not supported by this session */
#define TETHER_ESPAWN		(-11)	/* cannot start a program */
#define TETHER_EREMOTE		(-12)	/* the peer reported an error */
#define TETHER_EFAIL		(-13)	/* a check or command failed */
#define TETHER_EINTR		(-14)	/* interrupted by a signal */

/* Exit statuses of tether(1), SPEC section 2. */
#define TETHER_EXIT_OK		0
#define TETHER_EXIT_FAIL	1
#define TETHER_EXIT_USAGE	2
#define TETHER_EXIT_TIMEOUT	3
#define TETHER_EXIT_EOF		4
#define TETHER_EXIT_AUTH	5
#define TETHER_EXIT_CONNECT	6

/* Returns a static string describing status code r. */
const char	*tether_strerror(int r);
/* Returns the tether(1) exit status for status code r (0 for r >= 0). */
int		 tether_exit_code(int r);
/* Returns the current monotonic time in milliseconds. */
int64_t		 tether_now_ms(void);
/* Returns the version string of the library. */
const char	*tether_version(void);

struct tether_loop;
struct tether_session;
struct tether_expect;
struct tether_match;

/*
 * Loop.
 */

/* Returns a new loop or NULL when out of memory. */
struct tether_loop *tether_loop_new(void);
/* Closes every session of the loop, stops its VMs and frees it. */
void		 tether_loop_free(struct tether_loop *);
/*
 * Waits for events until at least one was handled or deadline_ms passes
 * (-1: no deadline).  Returns 0, TETHER_ETIMEDOUT or TETHER_EINTR (the
 * interrupt flag was raised by tether_loop_interrupt).
 */
int		 tether_loop_once(struct tether_loop *, int64_t deadline_ms);
/*
 * Calls fn(arg) every period_ms while the loop waits (a live status
 * line); fn NULL stops it.  Waits go on undisturbed around it.
 */
void		 tether_loop_set_tick(struct tether_loop *, int64_t period_ms,
		     void (*fn)(void *), void *arg);
/* Raises the interrupt flag (async-signal-safe): waits return EINTR. */
void		 tether_loop_interrupt(struct tether_loop *);
/* Returns nonzero when the interrupt flag is raised. */
int		 tether_loop_interrupted(struct tether_loop *);
/* Lowers the interrupt flag (an interactive prompt goes on after ^C). */
void		 tether_loop_clear_interrupt(struct tether_loop *);
/*
 * Returns the detail message of the last failure ("" when none).  Every
 * call that can fail clears it on entry: it is the failing call's own.
 */
const char	*tether_loop_errmsg(struct tether_loop *);
/* Sets the detail message of the last failure; returns r. */
int		 tether_loop_seterr(struct tether_loop *, int r,
		     const char *fmt, ...)
		     __attribute__((format(printf, 3, 4)));
/* What every secret is replaced by, in every output. */
#define TETHER_MASK	"********"

/*
 * Registers a secret for the whole run: it is redacted on every session
 * of the loop (transcripts, tails) and by tether_loop_redact().  Values
 * shorter than 1 byte are ignored; the loop keeps a copy, wiped on free.
 */
void		 tether_loop_add_secret(struct tether_loop *, const char *);
/*
 * Returns a copy of len bytes of s with every secret of the loop (also
 * when split by CR/LF or terminal escape sequences), a leading part of
 * one longer than 3 bytes at its end and a trailing part at its start
 * replaced by ********, its length in *outlen (may be NULL).  Caller
 * frees; NULL when out of memory.
 */
char		*tether_loop_redact(struct tether_loop *, const char *s,
		     size_t len, size_t *outlen);
/*
 * Returns NULL when every transcript of the loop was written in full, or
 * a message naming the first file that lost data and why ("cannot write
 * /x/con.log: No space left on device").
 */
const char	*tether_loop_lost(struct tether_loop *);
/* Returns the session named name, or NULL. */
struct tether_session *tether_loop_session(struct tether_loop *,
		     const char *name);
/*
 * Calls fn for every session the loop opens, whoever opens it (a playbook's
 * open, launch), once it is open and before anything is read from it by
 * its opener: where transcripts and settings are applied.
 */
void		 tether_loop_set_on_open(struct tether_loop *,
		     void (*fn)(struct tether_session *, void *), void *arg);
/* Calls fn for every open session, in opening order. */
void		 tether_loop_foreach(struct tether_loop *,
		     void (*fn)(struct tether_session *, void *), void *);

/*
 * Sessions.
 */

/* One open option, "key=value" from a playbook or --key value. */
struct tether_opt {
	const char	*key;
	const char	*value;
};

/*
 * Opens session name on uri (SPEC section 1) with nopts options.
 * Returns 0 and sets *out, or a TETHER_E* code with the detail in
 * tether_loop_errmsg().  Options not understood by the transport are
 * refused with TETHER_EINVAL.
 */
int		 tether_session_open(struct tether_loop *, const char *name,
		     const char *uri, const struct tether_opt *opts,
		     size_t nopts, struct tether_session **out) TETHER_WUR;
/* Flushes the transcripts, closes the transport and frees the session. */
void		 tether_session_close(struct tether_session *);
/* Returns the session's name. */
const char	*tether_session_name(struct tether_session *);
/* Returns the URI the session was opened on. */
const char	*tether_session_uri(struct tether_session *);
/* Returns the loop that owns the session. */
struct tether_loop *tether_session_loop(struct tether_session *);
/* Returns the transport name at the top of the chain ("pty", "unix"...). */
const char	*tether_session_kind(struct tether_session *);

#define TETHER_SEND_SECRET	0x1	/* never logged; redacted if echoed */

/*
 * Queues len bytes to the session and waits (reading every session) until
 * they are written or deadline_ms passes.  Returns 0 or a TETHER_E* code.
 */
int		 tether_session_send(struct tether_session *, const void *,
		     size_t len, int flags, int64_t deadline_ms) TETHER_WUR;
/* Like send, followed by the session's line ending. */
int		 tether_session_sendline(struct tether_session *, const char *,
		     int flags, int64_t deadline_ms) TETHER_WUR;
/* Sends one byte every pace_ms milliseconds (slow UARTs). */
int		 tether_session_send_paced(struct tether_session *,
		     const void *, size_t len, int64_t pace_ms, int flags,
		     int64_t deadline_ms) TETHER_WUR;
/* Returns the line ending ("\r", "\n" or "\r\n"). */
const char	*tether_session_eol(struct tether_session *);
/* Sets the line ending: "cr", "lf" or "crlf".  Returns 0 or EINVAL. */
int		 tether_session_set_eol(struct tether_session *, const char *);
/*
 * Registers a secret for the whole run, as tether_loop_add_secret() does:
 * it is redacted on every session of the loop, not only this one.
 */
void		 tether_session_add_secret(struct tether_session *,
		     const char *);
/* Propagates a window size (pty, telnet NAWS, ssh). */
int		 tether_session_set_winsize(struct tether_session *, int rows,
		     int cols);
/*
 * Sends a BREAK lasting ms (<= 0: 250 ms) once what is queued has gone
 * out: a serial line held at space, telnet's IAC BRK, the RFC 2217 break.
 * Returns 0, TETHER_ENOTSUP when the transport has none, or an error.
 */
int		 tether_session_break(struct tether_session *, int64_t ms,
		     int64_t deadline_ms);
/*
 * Returns the serial line of a serial: session as the device has it
 * ("115200 8N1 flow none"), or what an rfc2217: server last reported
 * (with its line and modem state); NULL for other sessions.
 */
const char	*tether_session_line(struct tether_session *);
/*
 * Returns why the session's transport failed (a protocol error, a reset
 * connection), or NULL while it is open or after a plain end of file.
 */
const char	*tether_session_error(struct tether_session *);
/* Returns nonzero once end of file was read on the session. */
int		 tether_session_eof(struct tether_session *);
/* Returns the program's pid for spawn: sessions, else -1. */
pid_t		 tether_session_pid(struct tether_session *);
/*
 * Waits until a spawn: program (or an ssh exec=yes command) has exited
 * and returns its exit status (128+signal when killed) in *status.
 * Returns 0, TETHER_ETIMEDOUT, TETHER_EOF or TETHER_ENOTSUP.
 */
int		 tether_session_wait(struct tether_session *,
		     int64_t deadline_ms, int *status);
/* Sets the match window (default 1 MiB, at least 256 bytes). */
void		 tether_session_set_match_max(struct tether_session *, size_t);
/* Nonzero: match the raw bytes, not the view with escapes removed. */
void		 tether_session_set_raw_match(struct tether_session *, int);
/*
 * Starts (or with NULL paths stops) the raw log and the asciicast.
 * Returns 0 or TETHER_EIO.
 */
int		 tether_session_set_log(struct tether_session *,
		     const char *log_path, const char *cast_path);
/*
 * Copies the last nlines lines of the match view, at most 4 KiB of them
 * ("..." marks a cut), into a new string (secrets redacted, control
 * characters made visible).  Caller frees; NULL when out of memory.
 */
char		*tether_session_tail(struct tether_session *, int nlines);
/* Returns the time of the last byte received, or of opening. */
int64_t		 tether_session_last_rx(struct tether_session *);
/* Total bytes received on the session. */
uint64_t	 tether_session_rx_bytes(struct tether_session *);
/*
 * Calls fn with every chunk of raw bytes as it is received (attach mode
 * echoes them to the terminal).  fn NULL removes it.
 */
void		 tether_session_set_output(struct tether_session *,
		     void (*fn)(void *, const void *, size_t), void *arg);
/* Drops whatever is in the match view not yet consumed by a match. */
void		 tether_session_flush(struct tether_session *);
/* Returns the unconsumed match view, its length in *len. */
const char	*tether_session_pending(struct tether_session *, size_t *len);
/* Sets and gets an opaque pointer for the caller. */
void		 tether_session_set_udata(struct tether_session *, void *);
void		*tether_session_udata(struct tether_session *);

/*
 * Expect.
 */

#define TETHER_RE_CASELESS	0x1	/* /i */
#define TETHER_RE_MULTILINE	0x2	/* /m */
#define TETHER_RE_DOTALL	0x4	/* /s */
#define TETHER_RE_EXTENDED	0x8	/* /x */

enum tether_outcome {
	TETHER_MATCH_PATTERN = 1,	/* a pattern branch matched */
	TETHER_MATCH_EOF,		/* a watched session reached EOF */
	TETHER_MATCH_IDLE,		/* no byte for the idle time */
	TETHER_MATCH_TIMEOUT,		/* the deadline passed */
};

/* Returns a new, empty expect set or NULL when out of memory. */
struct tether_expect *tether_expect_new(struct tether_loop *);
void		 tether_expect_free(struct tether_expect *);
/*
 * Adds a PCRE2 branch on session s, identified by id.  Returns 0, or
 * TETHER_EINVAL with the compile error and its offset in the errmsg.
 */
int		 tether_expect_regex(struct tether_expect *,
		     struct tether_session *s, const char *re, int flags,
		     int id) TETHER_WUR;
/* Adds a literal branch. */
int		 tether_expect_literal(struct tether_expect *,
		     struct tether_session *s, const void *lit, size_t len,
		     int id) TETHER_WUR;
/* Adds an eof branch on s. */
int		 tether_expect_eof(struct tether_expect *,
		     struct tether_session *s, int id) TETHER_WUR;
/* Adds an idle branch: no byte on any of the set's sessions for ms. */
int		 tether_expect_idle(struct tether_expect *, int64_t ms,
		     int id) TETHER_WUR;
/*
 * Runs the set until a branch wins or deadline_ms passes, reading every
 * session meanwhile.  Returns 0 and fills *m (outcome, id, texts); an EOF
 * with no eof branch gives outcome TETHER_MATCH_EOF and id -1, the
 * deadline gives TETHER_MATCH_TIMEOUT and id -1.  Returns TETHER_EINTR
 * when interrupted, TETHER_EINVAL for an empty set, TETHER_EFAIL when
 * PCRE2 gave up on a pattern (the errmsg names it and the session).
 */
int		 tether_expect_run(struct tether_expect *, int64_t deadline_ms,
		     struct tether_match **m) TETHER_WUR;

void		 tether_match_free(struct tether_match *);
/* Returns the outcome of the run. */
enum tether_outcome tether_match_outcome(const struct tether_match *);
/* Returns the id of the winning branch, -1 when none. */
int		 tether_match_id(const struct tether_match *);
/* Returns the session the outcome happened on (NULL for a timeout). */
struct tether_session *tether_match_session(const struct tether_match *);
/* Returns milliseconds waited. */
int64_t		 tether_match_waited(const struct tether_match *);
/*
 * Returns group i (0 = whole match) as a NUL-terminated string and its
 * length in *len, or NULL when the group did not take part.
 */
const char	*tether_match_group(const struct tether_match *, int i,
		     size_t *len);
/* Returns the number of groups, including group 0. */
int		 tether_match_ngroups(const struct tether_match *);
/* Returns the name of named group number i of the set, or NULL. */
const char	*tether_match_group_name(const struct tether_match *, int i);
/* Returns the text received before the match. */
const char	*tether_match_before(const struct tether_match *, size_t *len);

/*
 * One-shot helpers built on the above.
 */

/* Waits for regex re on s.  Returns 0, TETHER_ETIMEDOUT or TETHER_EOF. */
int		 tether_expect_one(struct tether_session *, const char *re,
		     int64_t deadline_ms, struct tether_match **m) TETHER_WUR;

/*
 * Shell sessions (login.c).
 */

struct tether_login_opts {
	const char	*user;
	const char	*password;
	const char	*prompt;	/* shell prompt regex, NULL default */
	const char	*login_prompt;	/* NULL default */
	const char	*password_prompt; /* NULL default */
};

/*
 * Logs in on a console and leaves it at a recognisable shell prompt.
 * Returns 0, TETHER_EAUTH (login incorrect), TETHER_ETIMEDOUT or TETHER_EOF.
 */
int		 tether_login(struct tether_session *,
		     const struct tether_login_opts *, int64_t deadline_ms)
		     TETHER_WUR;
/*
 * Runs cmd on a logged-in shell; *out gets its output without echo and
 * prompt (caller frees), *status its exit status.
 */
int		 tether_run(struct tether_session *, const char *cmd,
		     int64_t deadline_ms, char **out, int *status) TETHER_WUR;

/*
 * QEMU monitors (hmp.c, qmp.c, monitor-parse.c).
 */

/*
 * Runs an HMP command on an hmp: session; *out gets its output with echo,
 * prompt and escape sequences removed (caller frees).
 */
int		 tether_hmp_command(struct tether_session *, const char *cmd,
		     int64_t deadline_ms, char **out) TETHER_WUR;
/*
 * Parses the output of a known HMP command ("info pci", "info cpus",
 * "info status", "info migrate") into a new JSON value; NULL when cmd is
 * not known or the text does not parse.
 */
json_t		*tether_hmp_parse(const char *cmd, const char *text);
/*
 * Executes a QMP command on a qmp: session; *result gets the "return"
 * value (new reference).  A QMP error returns TETHER_EREMOTE with QEMU's
 * desc in the errmsg.  Events that arrive meanwhile are queued.
 */
int		 tether_qmp_execute(struct tether_session *, const char *cmd,
		     json_t *args, int64_t deadline_ms, json_t **result)
		     TETHER_WUR;
/*
 * Waits for a queued or future QMP event named event (NULL: any); *ev
 * gets it (new reference).
 */
int		 tether_qmp_event(struct tether_session *, const char *event,
		     int64_t deadline_ms, json_t **ev) TETHER_WUR;

/*
 * Exact monitor verbs (issue 12: hmp.c, qmp.c).
 */

/*
 * Returns 1 when text, the output of HMP command cmd, is QEMU refusing
 * it ("Error: ...", "unknown command: ...", an argument that did not
 * parse, ...: the list is in hmp.c), with QEMU's text as one line in
 * *msg (caller frees; msg may be NULL); 0 when not; TETHER_ENOMEM.
 */
int		 tether_hmp_error(const char *cmd, const char *text,
		     char **msg);
/*
 * Takes, without waiting, every QMP event named event (NULL: any) that
 * is queued or has already arrived; *events gets them as a new array,
 * oldest first (maybe empty).  Returns 0 or a TETHER_E* code.
 */
int		 tether_qmp_drain(struct tether_session *, const char *event,
		     json_t **events) TETHER_WUR;

/* VM lifecycle (qemu-launch.c, qemu-teardown.c, netwait.c, discover.c) */

struct tether_vm;

#define TETHER_VM_TELNET	0x1	/* serial console speaks telnet */

/*
 * Starts QEMU (argv[0] the program, argv NULL-terminated) paused, with its
 * serial console, HMP, QMP and pidfile in a private run directory; opens
 * sessions NAME.console, NAME.monitor and NAME.qmp on the loop, then
 * continues it, so no boot output is lost.  The VM belongs to the loop:
 * tether_loop_free() stops it (SIGTERM, SIGKILL) when not torn down.
 * Returns 0 and sets *out, TETHER_ESPAWN when QEMU cannot start or exits
 * (its stderr is in the errmsg), TETHER_EINVAL for a clashing option, or
 * another code.
 */
int		 tether_vm_launch(struct tether_loop *, const char *name,
		     char *const argv[], int flags, int64_t deadline,
		     struct tether_vm **out) TETHER_WUR;
/* Returns the VM launched as name on the loop, or NULL. */
struct tether_vm *tether_vm_find(struct tether_loop *, const char *name);
/* Returns QEMU's pid. */
pid_t		 tether_vm_pid(struct tether_vm *);
/* Returns the VM's private run directory. */
const char	*tether_vm_rundir(struct tether_vm *);
/*
 * Stops the VM: guest poweroff on its console when logged in, monitor
 * quit, SIGTERM, SIGKILL, each step bounded, the first three within
 * deadline; then closes its sessions, removes its run directory and frees
 * it.  *how (may be NULL) names the step that ended QEMU.  Returns 0, or
 * TETHER_EIO when QEMU survived SIGKILL (the VM is then kept).
 */
int		 tether_vm_teardown(struct tether_vm *, int64_t deadline,
		     const char **how);
/* Tears down every VM launched on the loop.  Returns the first error. */
int		 tether_vm_teardown_all(struct tether_loop *,
		     int64_t deadline);
/*
 * Stops a QEMU started elsewhere the same way: console and monitor may be
 * NULL, the pid comes from pidfile (signals only go to a QEMU process).
 * Removes the pidfile and the sockets of unix: sessions once it is gone.
 */
int		 tether_vm_teardown_pidfile(struct tether_loop *,
		     struct tether_session *console,
		     struct tether_session *monitor, const char *pidfile,
		     int64_t deadline, const char **how);

struct tether_waitnet_opts {
	const char	*iface;		/* NULL: any interface but lo */
	const char	*match;		/* regex an address must match */
	int		 dhcp;		/* nonzero: kick DHCP when slow */
};

/*
 * Polls the guest's IPv4 addresses on a logged-in shell (ip, else
 * ifconfig) with backoff until one matches; *addr gets it (caller frees).
 * Returns 0, TETHER_ETIMEDOUT or another code.
 */
int		 tether_wait_net(struct tether_session *,
		     const struct tether_waitnet_opts *, int64_t deadline,
		     char **addr) TETHER_WUR;
/*
 * Waits until host:port accepts a TCP connection (and, with banner_re,
 * sends data matching it), reading every session meanwhile.  Returns 0,
 * TETHER_ETIMEDOUT or TETHER_EINVAL.
 */
int		 tether_wait_port(struct tether_loop *, const char *host,
		     int port, const char *banner_re, int64_t deadline)
		     TETHER_WUR;
/*
 * Returns the endpoints found in a QEMU command line as a new JSON object
 * {program, name, pidfile, serial, monitor, qmp, agent, hostfwd}: tether
 * URIs (agent: qga: URIs of guest agent sockets, not serial consoles).
 */
json_t		*tether_qemu_endpoints(int argc, char *const argv[]);
/*
 * Reads /proc/PID/cmdline of a running QEMU into tether_qemu_endpoints.
 * Returns 0 and sets *out, or TETHER_EINVAL (no such process, not QEMU).
 */
int		 tether_qemu_discover(pid_t pid, json_t **out, char *err,
		     size_t errlen);

/*
 * Launch options and live migration (issue 12: launch; qemu-launch.c,
 * migrate.c).  More flags of tether_vm_launch():
 */
#define TETHER_VM_AGENT_ISA	0x02	/* guest agent on an isa-serial
					   port: session NAME.agent */
#define TETHER_VM_AGENT_VIRTIO	0x04	/* ... on a virtserialport named
					   org.qemu.guest_agent.0 */
#define TETHER_VM_INCOMING_UNIX	0x08	/* a destination (-incoming defer)
					   migrated into over unix */
#define TETHER_VM_INCOMING_TCP	0x10	/* ... over tcp on 127.0.0.1 */

/*
 * Migrates src's guest into dst over QMP: dst listens on a private unix
 * socket in its run directory (on 127.0.0.1 with TETHER_VM_INCOMING_TCP),
 * src migrates, both MIGRATION events are awaited, dst must run; past
 * deadline the migration is cancelled.  A console logged in on src is
 * logged in on dst after it.  *info (may be NULL) gets {status,
 * total_time_ms, downtime_ms, transferred_bytes}.  Returns 0, or
 * TETHER_EREMOTE / TETHER_ESPAWN / TETHER_ETIMEDOUT with QEMU's reason.
 */
int		 tether_vm_migrate(struct tether_vm *src,
		     struct tether_vm *dst, int64_t deadline, json_t **info)
		     TETHER_WUR;

/*
 * Issue 12 (adopt): CPU pinning (pin.c) and adopting a QEMU started
 * elsewhere (adopt.c).
 */

#define TETHER_SCHED_KEEP	0	/* scheduling policy unchanged */
#define TETHER_SCHED_OTHER	1
#define TETHER_SCHED_FIFO	2
#define TETHER_SCHED_RR		3

struct tether_pin_opts {
	const int	*cpus;		/* host CPUs for the vCPUs */
	size_t		 ncpus;		/* 0: affinity unchanged */
	int		 vcpu;		/* -1: every vCPU, round-robin onto
					   cpus; else that one, onto all */
	int		 policy;	/* TETHER_SCHED_* of the vCPU threads */
	int		 priority;	/* 1-99 for FIFO and RR */
	const int	*emulator;	/* NULL: QEMU's other threads unchanged */
	size_t		 nemulator;
};

/*
 * Pins the vCPU threads of the QEMU behind monitor (a qmp: session:
 * query-cpus-fast, or an hmp: one: info cpus) with sched_setaffinity and
 * sets their policy with sched_setscheduler; QEMU's other threads go onto
 * o->emulator.  *result (may be NULL) gets [{vcpu, thread_id, cpus}] (new
 * reference).  Returns 0, TETHER_EINVAL (a CPU the host lacks, no such
 * vCPU), TETHER_EFAIL (the kernel refused: EPERM...) or another code.
 */
int		 tether_qemu_pin(struct tether_session *monitor,
		     const struct tether_pin_opts *o, int64_t deadline,
		     json_t **result) TETHER_WUR;
/*
 * Adopts the running QEMU pid (pid <= 0: the pid in pidfile) as VM name:
 * its endpoints, read as tether_qemu_discover does, open as NAME.console
 * (a unix: or telnet: serial), NAME.monitor (HMP), NAME.qmp and
 * NAME.agent (a qga: guest agent, when this build has qga:) for those it
 * has.  tether_vm_find() finds it and tether_vm_teardown() stops it as a
 * launched VM (signals only while /proc/PID/cmdline is unchanged);
 * tether_vm_teardown_all() and tether_loop_free() leave it running.
 * *info (may be NULL) gets the endpoints plus {sessions}.
 * Returns 0 and sets *out, TETHER_EINVAL (no such QEMU) or another code.
 */
int		 tether_vm_adopt(struct tether_loop *, const char *name,
		     pid_t pid, const char *pidfile, json_t **info,
		     struct tether_vm **out) TETHER_WUR;

/*
 * Files into and out of a session's machine (xfer.c, ssh-sftp.c): on an
 * ssh:// session over SFTP when the server offers it, else over an exec
 * channel (cat); on a console shell (after login or run) as base64 lines
 * typed into the shell, verified with sha256sum on both sides.
 */

/* Called as a transfer goes on: done bytes of total. */
typedef void	(*tether_progress_fn)(void *arg, uint64_t done,
		     uint64_t total);

struct tether_xfer_info {
	const char	*method;	/* "sftp", "exec" or "console" */
	uint64_t	 bytes;		/* file size */
	int64_t		 ms;		/* time taken */
	char		 sha256[65];	/* hex SHA-256 of the file */
};

/*
 * Copies the local file local to remote on s's machine, created or
 * truncated with permissions mode (-1: 0644), by deadline_ms; progress
 * (may be NULL) is called with arg as it goes, info (may be NULL) filled
 * in.  Returns 0, or a TETHER_E* code with the reason in the errmsg
 * (TETHER_EFAIL for a digest mismatch: both digests given).
 */
int		 tether_put(struct tether_session *, const char *local,
		     const char *remote, int mode, int64_t deadline_ms,
		     tether_progress_fn progress, void *arg,
		     struct tether_xfer_info *info) TETHER_WUR;
/*
 * Copies the file remote on s's machine to local (written to a temporary
 * file renamed into place once complete and verified), as tether_put.
 */
int		 tether_get(struct tether_session *, const char *remote,
		     const char *local, int64_t deadline_ms,
		     tether_progress_fn progress, void *arg,
		     struct tether_xfer_info *info) TETHER_WUR;

/*
 * The QEMU guest agent (issue 12: qga.c), on a qga: session: opening
 * synchronises with guest-sync-delimited within open-within (0: the
 * first command does, within its own deadline).
 */

/*
 * Runs agent command cmd (args: a JSON object, or NULL) by deadline_ms;
 * *reply (may be NULL) gets its "return" (new reference).  An agent
 * error returns TETHER_EREMOTE with its desc and class in the errmsg.
 */
int		 tether_qga(struct tether_session *, const char *cmd,
		     json_t *args, int64_t deadline_ms, json_t **reply)
		     TETHER_WUR;
/*
 * Runs "sh -c cmd" in the guest (guest-exec with its output captured)
 * and polls until it exited; *out and *err (may be NULL) get its decoded
 * stdout and stderr (NUL-terminated, caller frees; lengths in *outlen,
 * *errlen, may be NULL), *status its exit code (128 + signal).
 */
int		 tether_qga_exec(struct tether_session *, const char *cmd,
		     int64_t deadline_ms, char **out, size_t *outlen,
		     char **err, size_t *errlen, int *status) TETHER_WUR;

#ifdef __cplusplus
}
#endif

#endif /* TETHER_H */
