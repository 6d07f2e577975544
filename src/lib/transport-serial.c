/* SPDX-License-Identifier: ISC */
/*
 * transport-serial.c - serial: a tty device (a USB adapter, a UART, a
 * pty) in raw mode at the line settings asked for, locked against other
 * users, and left as it was found.
 *
 * Locking is what minicom and picocom do, so that each of them and we
 * see the others: a UUCP lock file LCK..NAME in /run/lock (or /var/lock)
 * holding the owner's pid as ten ASCII digits and a newline, written to
 * a temporary file and linked into place so that it is never seen half
 * written, plus flock(LOCK_EX) on the device.  A lock file whose process
 * is gone is removed; a held lock fails the open (TETHER_ECONNECT) with
 * the holder's pid, from the lock file or, for a flock, /proc/locks.
 * lock=no takes neither.  The device's termios is restored on close,
 * after what is queued has been sent (waiting SERIAL_DRAIN_MAX at most:
 * a line held by flow control must not hang us).
 */
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "line.h"
#include "tether.h"
#include "transport.h"

#define SERIAL_RETRY		100	/* ms between attempts to open */
#define SERIAL_DRAIN_MAX	1000	/* ms to wait for output to drain */
#define SERIAL_DRAIN_STEP	5	/* ms between looks at the queue */

/* Where UUCP lock files live, in order of preference. */
static const char *const serial_lockdirs[] = { "/run/lock", "/var/lock" };

struct serial {
	char		*path;		/* the device, as given */
	char		*lockfile;	/* our UUCP lock file, or NULL */
	struct line	 line;
	struct termios	 orig;		/* to restore on close */
	int		 restore;	/* orig is valid */
	int		 lock;		/* lock=yes (the default) */
	int		 brk;		/* break condition set */
	char		 desc[64];	/* the line as the device has it */
	int64_t		 deadline;	/* connect-within */
};

/*
 * Returns the UUCP lock name of device path: "LCK.." and the path under
 * /dev with '/' made '_' (/dev/pts/3: LCK..pts_3), or the base name of a
 * device elsewhere; symbolic links (/dev/serial/by-id/...) resolved, so
 * two names of one device share one lock.  NULL when out of memory.
 */
static char *
serial_lockname(const char *path)
{
	char	*real, *name, *p;
	char	*out = NULL;

	if ((real = realpath(path, NULL)) == NULL &&
	    (real = strdup(path)) == NULL)
		return NULL;
	if (strncmp(real, "/dev/", 5) == 0)
		name = real + 5;
	else if ((name = strrchr(real, '/')) != NULL)
		name++;
	else
		name = real;
	for (p = name; *p != '\0'; p++) {
		if (*p == '/')
			*p = '_';
	}
	if (asprintf(&out, "LCK..%s", name) == -1)
		out = NULL;
	free(real);
	return out;
}

/* Returns the first lock directory we may write in, or NULL. */
static const char *
serial_lockdir(void)
{
	struct stat	st;
	size_t		i;

	for (i = 0; i < sizeof serial_lockdirs / sizeof serial_lockdirs[0];
	    i++) {
		if (stat(serial_lockdirs[i], &st) == 0 &&
		    S_ISDIR(st.st_mode) &&
		    access(serial_lockdirs[i], W_OK) == 0)
			return serial_lockdirs[i];
	}
	return NULL;
}

/*
 * Reads the pid in lock file path: pid = { " " } DIGIT { DIGIT } [ "\n" ].
 * Returns it, 0 when the file holds no pid, or -1 when it is gone.
 */
static long
serial_lockpid(const char *path)
{
	char	 b[32], *p, *ep;
	ssize_t	 n;
	long	 pid;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? -1 : 0;
	n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	for (p = b; *p == ' '; p++)
		continue;
	errno = 0;
	pid = strtol(p, &ep, 10);
	if (ep == p || (*ep != '\n' && *ep != '\0') || errno != 0 || pid <= 0)
		return 0;
	return pid;
}

/*
 * Takes the UUCP lock of the device.  Returns 0 (locked, or no lock
 * directory we may write in), or TETHER_ECONNECT naming the holder.
 */
static int
serial_uucp_lock(struct transport *t)
{
	struct serial	*s = t->priv;
	const char	*dir;
	char		*name = NULL, *tmp = NULL, *lf = NULL, b[16];
	long		 pid;
	int		 fd, tries, r = 0;

	if ((dir = serial_lockdir()) == NULL)
		return 0;
	if ((name = serial_lockname(s->path)) == NULL)
		return TETHER_ENOMEM;
	if (asprintf(&lf, "%s/%s", dir, name) == -1) {
		lf = NULL;
		r = TETHER_ENOMEM;
		goto out;
	}
	if (asprintf(&tmp, "%s/.%s.%ld", dir, name, (long)getpid()) == -1) {
		tmp = NULL;
		r = TETHER_ENOMEM;
		goto out;
	}
	/* The temporary file holds our pid, and is linked into place. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1)
		goto out;	/* no lock file for us: flock still applies */
	snprintf(b, sizeof b, "%10ld\n", (long)getpid());
	if (write(fd, b, strlen(b)) != (ssize_t)strlen(b)) {
		close(fd);
		goto out;
	}
	close(fd);
	for (tries = 0; tries < 3; tries++) {
		if (link(tmp, lf) == 0) {
			s->lockfile = lf;
			lf = NULL;
			goto out;
		}
		if (errno != EEXIST)
			goto out;
		if ((pid = serial_lockpid(lf)) == -1)
			continue;	/* just released: try again */
		if (pid > 0 && kill((pid_t)pid, 0) == -1 && errno == ESRCH) {
			unlink(lf);	/* stale: its process is gone */
			continue;
		}
		if (pid > 0)
			r = tether_loop_seterr(t->loop, TETHER_ECONNECT,
			    "serial:%s is locked by pid %ld (%s)", s->path,
			    pid, lf);
		else
			r = tether_loop_seterr(t->loop, TETHER_ECONNECT,
			    "serial:%s is locked: %s holds no pid (remove it "
			    "if no program uses the device)", s->path, lf);
		goto out;
	}
	r = tether_loop_seterr(t->loop, TETHER_ECONNECT,
	    "serial:%s: cannot take the lock %s", s->path, lf);
out:
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(lf);
	free(name);
	return r;
}

/* Returns the pid holding a flock on the file of fd (/proc/locks), or 0. */
static long
serial_flock_holder(int fd)
{
	struct stat	 st;
	FILE		*f;
	char		 line[256], kind[16];
	unsigned int	 maj, min;
	unsigned long	 ino;
	long		 pid, found = 0;

	if (fstat(fd, &st) == -1 || (f = fopen("/proc/locks", "re")) == NULL)
		return 0;
	/* "1: FLOCK  ADVISORY  WRITE 1234 00:18:3 0 EOF" */
	while (found == 0 && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", kind, &pid,
		    &maj, &min, &ino) == 5 && strcmp(kind, "FLOCK") == 0 &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) &&
		    ino == (unsigned long)st.st_ino)
			found = pid;
	}
	fclose(f);
	return found;
}

/* Returns the termios character size flag for bits (5..8). */
static tcflag_t
serial_csize(int bits)
{
	switch (bits) {
	case 5:
		return CS5;
	case 6:
		return CS6;
	case 7:
		return CS7;
	}
	return CS8;
}

/* Describes the line that tio sets into buf. */
static void
serial_describe(const struct termios *tio, char *buf, size_t len)
{
	struct line	l;

	memset(&l, 0, sizeof l);
	l.baud = line_bps(cfgetospeed(tio));
	switch (tio->c_cflag & CSIZE) {
	case CS5:
		l.data = 5;
		break;
	case CS6:
		l.data = 6;
		break;
	case CS7:
		l.data = 7;
		break;
	default:
		l.data = 8;
		break;
	}
	l.parity = !(tio->c_cflag & PARENB) ? LINE_PARITY_NONE :
	    (tio->c_cflag & PARODD) ? LINE_PARITY_ODD : LINE_PARITY_EVEN;
	l.stop = (tio->c_cflag & CSTOPB) ? 2 : 1;
	l.flow = (tio->c_cflag & CRTSCTS) ? LINE_FLOW_RTSCTS :
	    (tio->c_iflag & IXON) ? LINE_FLOW_XONXOFF : LINE_FLOW_NONE;
	line_describe(&l, buf, len);
}

/*
 * Puts the device in raw mode at the settings asked for; what was not
 * asked for is 8N1 without flow control at the device's current speed.
 * What the device reads back is not checked: a pty, for one, keeps the
 * speed but not the character size or parity.
 */
static int
serial_setup(struct transport *t)
{
	struct serial	*s = t->priv;
	struct line	*l = &s->line;
	struct termios	 tio;
	speed_t		 sp;

	if (tcgetattr(t->fd, &s->orig) == -1)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "serial:%s: not a terminal device (%s)", s->path,
		    strerror(errno));
	s->restore = 1;
	tio = s->orig;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
	tio.c_cflag |= serial_csize(l->data);
	if (l->parity == LINE_PARITY_ODD)
		tio.c_cflag |= PARENB | PARODD;
	else if (l->parity == LINE_PARITY_EVEN)
		tio.c_cflag |= PARENB;
	if (l->stop == 2)
		tio.c_cflag |= CSTOPB;
	tio.c_iflag &= ~(IXON | IXOFF | IXANY);
	if (l->flow == LINE_FLOW_RTSCTS)
		tio.c_cflag |= CRTSCTS;
	else if (l->flow == LINE_FLOW_XONXOFF)
		tio.c_iflag |= IXON | IXOFF;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (l->baud != 0) {
		sp = line_speed(l->baud);
		cfsetispeed(&tio, sp);
		cfsetospeed(&tio, sp);
	}
	if (tcsetattr(t->fd, TCSANOW, &tio) == -1)
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "serial:%s: cannot set the line: %s", s->path,
		    strerror(errno));
	if (tcgetattr(t->fd, &tio) == 0)
		serial_describe(&tio, s->desc, sizeof s->desc);
	return 0;
}

/* Closes the device: the break cleared, termios restored, locks freed. */
static void
serial_release(struct transport *t)
{
	struct serial	*s = t->priv;
	struct timespec	 ts = { 0, SERIAL_DRAIN_STEP * 1000000L };
	int		 n, waited;

	if (t->fd != -1) {
		if (s->brk)
			ioctl(t->fd, TIOCCBRK);
		s->brk = 0;
		if (s->restore) {
			/* Let what is queued go out at the settings it had. */
			for (waited = 0; waited < SERIAL_DRAIN_MAX &&
			    ioctl(t->fd, TIOCOUTQ, &n) == 0 && n > 0;
			    waited += SERIAL_DRAIN_STEP)
				nanosleep(&ts, NULL);
			tcsetattr(t->fd, TCSANOW, &s->orig);
		}
		close(t->fd);	/* releases the flock */
		t->fd = -1;
	}
	s->restore = 0;
	if (s->lockfile != NULL) {
		unlink(s->lockfile);
		free(s->lockfile);
		s->lockfile = NULL;
	}
}

/*
 * One attempt at opening, locking and setting up the device.  Returns
 * 0, or a TETHER_E* code with the message set (TETHER_ECONNECT: worth
 * another attempt before the deadline).
 */
static int
serial_attempt(struct transport *t)
{
	struct serial	*s = t->priv;
	long		 pid;
	int		 fd, r;

	fd = open(s->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return tether_loop_seterr(t->loop, errno == ENOENT ||
		    errno == EBUSY || errno == EACCES || errno == ENXIO ||
		    errno == EIO ? TETHER_ECONNECT : TETHER_EIO,
		    "cannot open serial:%s: %s", s->path, strerror(errno));
	t->fd = fd;
	if (!isatty(fd)) {
		r = tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "serial:%s: not a terminal device", s->path);
		goto fail;
	}
	if (s->lock) {
		if ((r = serial_uucp_lock(t)) != 0)
			goto fail;
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno != EWOULDBLOCK) {
				r = tether_loop_seterr(t->loop, TETHER_EIO,
				    "serial:%s: flock: %s", s->path,
				    strerror(errno));
			} else if ((pid = serial_flock_holder(fd)) > 0) {
				r = tether_loop_seterr(t->loop,
				    TETHER_ECONNECT, "serial:%s is locked by "
				    "pid %ld (flock)", s->path, pid);
			} else
				r = tether_loop_seterr(t->loop,
				    TETHER_ECONNECT, "serial:%s is locked by "
				    "another process (flock)", s->path);
			goto fail;
		}
	}
	if ((r = serial_setup(t)) != 0)
		goto fail;
	return 0;
fail:
	serial_release(t);
	return r;
}

/* Attempts, and on a failure worth retrying schedules the next one. */
static int
serial_try(struct transport *t)
{
	struct serial	*s = t->priv;
	int64_t		 now;
	int		 r;

	if ((r = serial_attempt(t)) == 0) {
		t->wake_at = -1;
		return 0;
	}
	now = tether_now_ms();
	if (r != TETHER_ECONNECT || now + SERIAL_RETRY > s->deadline) {
		t->wake_at = -1;
		return r;
	}
	t->wake_at = now + SERIAL_RETRY;
	return TETHER_EAGAIN;
}

/* lock = "yes" | "no" (and the line options of line_parse). */
static int
serial_open(struct transport *t, struct transport_args *a)
{
	struct serial	*s;
	const char	*v;
	int		 r;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return TETHER_ENOMEM;
	t->priv = s;
	s->lock = 1;
	if (*a->addr == '\0')
		return tether_loop_seterr(t->loop, TETHER_EINVAL,
		    "serial: wants a device path (serial:/dev/ttyUSB0)");
	if ((s->path = strdup(a->addr)) == NULL)
		return TETHER_ENOMEM;
	if ((r = line_parse(a, t->loop, &s->line)) != 0)
		return r;
	if ((v = transport_opt(a, "lock")) != NULL) {
		if (strcmp(v, "no") == 0)
			s->lock = 0;
		else if (strcmp(v, "yes") != 0)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "lock=%s: want yes or no", v);
	}
	s->deadline = a->deadline;
	return serial_try(t);
}

static int
serial_connect(struct transport *t)
{
	if (t->fd != -1)
		return 0;
	return serial_try(t);
}

static int
serial_read(struct transport *t, void *p, size_t n, size_t *nread)
{
	ssize_t	r;

	r = read(t->fd, p, n);
	if (r > 0) {
		*nread = (size_t)r;
		return 0;
	}
	if (r == 0)
		return TETHER_EOF;	/* hung up */
	if (errno == EAGAIN || errno == EINTR)
		return TETHER_EAGAIN;
	if (errno == EIO)
		return TETHER_EOF;	/* device gone, or pty closed */
	return tether_loop_seterr(t->loop, TETHER_EIO, "read: %s",
	    strerror(errno));
}

static int
serial_write(struct transport *t, const void *p, size_t n,
    size_t *nwritten)
{
	ssize_t	r;

	r = write(t->fd, p, n);
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

/* Sets or clears the break condition once the output has drained. */
static int
serial_brk(struct transport *t, int on)
{
	struct serial	*s = t->priv;
	int		 n;

	if (on && ioctl(t->fd, TIOCOUTQ, &n) == 0 && n > 0)
		return TETHER_EAGAIN;	/* bytes before it still go out */
	if (ioctl(t->fd, on ? TIOCSBRK : TIOCCBRK) == -1)
		return tether_loop_seterr(t->loop, TETHER_EIO,
		    "serial:%s: break: %s", s->path, strerror(errno));
	s->brk = on;
	return 0;
}

/* The line as the device has it (a pty keeps no parity: 8N). */
static const char *
serial_line(struct transport *t)
{
	struct serial	*s = t->priv;

	return s != NULL && *s->desc != '\0' ? s->desc : NULL;
}

static void
serial_close(struct transport *t)
{
	struct serial	*s = t->priv;

	if (s == NULL)
		return;
	serial_release(t);
	free(s->path);
	free(s);
	t->priv = NULL;
}

const struct transport_ops transport_serial_ops = {
	.name = "serial",
	.open = serial_open,
	.connect = serial_connect,
	.read = serial_read,
	.write = serial_write,
	.brk = serial_brk,
	.line = serial_line,
	.close = serial_close,
};
