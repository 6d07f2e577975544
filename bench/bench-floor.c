/* SPDX-License-Identifier: ISC */
/*
 * bench-floor.c - the floors of the benchmark: the same bytes and round
 * trips as the engines, done by bare blocking C loops (64 KiB reads and
 * memmem), with no engine in the way.
 *
 * usage: bench-floor pty SIZE FLOOD	  FLOOD SIZE in a pty, read to prompt
 *	  bench-floor unix PATH		  read a unix socket to "READY> "
 *	  bench-floor rt-pty N		  N round trips with cat in a pty
 *	  bench-floor rt-unix N PATH	  N "echo i" / prompt round trips
 * Each prints one line of key=value pairs, secs= first.
 */
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_READ	(64 * 1024)
#define FLOOR_PROMPT	"READY> "
#define FLOOR_SHPROMPT	"PROMPT> "

static double
floor_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns the CPU time (user + system) this process used, in seconds. */
static double
floor_cpu(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
floor_die(const char *what)
{
	perror(what);
	exit(1);
}

/* Starts argv in a new pty like spawn: does.  Returns the master fd. */
static int
floor_spawn(char **argv, int noecho, pid_t *pidp)
{
	struct termios	 tio;
	struct winsize	 ws;
	char		*slave;
	int		 m, fd;
	pid_t		 pid;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    grantpt(m) == -1 || unlockpt(m) == -1 ||
	    (slave = ptsname(m)) == NULL)
		floor_die("pty");
	if ((pid = fork()) == -1)
		floor_die("fork");
	if (pid == 0) {
		setsid();
		if ((fd = open(slave, O_RDWR)) == -1)
			_exit(127);
		ioctl(fd, TIOCSCTTY, 0);
		memset(&ws, 0, sizeof ws);
		ws.ws_row = 24;
		ws.ws_col = 80;
		ioctl(fd, TIOCSWINSZ, &ws);
		if (noecho && tcgetattr(fd, &tio) == 0) {
			tio.c_lflag &= ~(ECHO | ECHONL);
			tcsetattr(fd, TCSANOW, &tio);
		}
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
		execvp(argv[0], argv);
		_exit(127);
	}
	*pidp = pid;
	return m;
}

static void
floor_reap(int fd, pid_t pid)
{
	int	st;

	close(fd);
	kill(pid, SIGHUP);
	waitpid(pid, &st, 0);
}

static int
floor_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "%s: path too long\n", path);
		exit(1);
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		floor_die(path);
	return fd;
}

/*
 * Reads fd in 64 KiB reads until lit appears, searching each read plus
 * the tail of the one before.  Returns the bytes read, -1 on EOF first.
 */
static long long
floor_scan(int fd, const char *lit)
{
	static char	 b[FLOOR_READ + 64];
	size_t		 ll = strlen(lit), keep = 0;
	long long	 total = 0;
	ssize_t		 n;

	for (;;) {
		n = read(fd, b + keep, FLOOR_READ);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		total += n;
		if (memmem(b, keep + (size_t)n, lit, ll) != NULL)
			return total;
		if (keep + (size_t)n >= ll - 1) {
			memmove(b, b + keep + (size_t)n - (ll - 1), ll - 1);
			keep = ll - 1;
		} else
			keep += (size_t)n;
	}
}

/*
 * Reads fd until want appears in what arrived since the last call.
 * Returns 0, -1 on EOF.
 */
static int
floor_await(int fd, const char *want, size_t wl)
{
	static char	b[FLOOR_READ];
	size_t		have = 0;
	ssize_t		n;

	for (;;) {
		if (have == sizeof b)
			have = 0;	/* never happens with short replies */
		n = read(fd, b + have, sizeof b - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		have += (size_t)n;
		if (memmem(b, have, want, wl) != NULL)
			return 0;
	}
}

static void
floor_write(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			floor_die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * Returns the peak resident set size in KiB: VmHWM, which starts afresh
 * at exec (ru_maxrss keeps the parent's peak from before the exec).
 */
static long
floor_maxrss(void)
{
	FILE	*f;
	char	 line[128];
	long	 kb = 0;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

int
main(int argc, char **argv)
{
	char		 line[64], want[64], *av[3];
	double		 t0, t, c0, c;
	long long	 got;
	pid_t		 pid;
	int		 fd, i, n;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "pty") == 0) {
		av[0] = argv[3];
		av[1] = argv[2];
		av[2] = NULL;
		t0 = floor_now();
		c0 = floor_cpu();
		fd = floor_spawn(av, 0, &pid);
		got = floor_scan(fd, FLOOR_PROMPT);
		t = floor_now() - t0;
		c = floor_cpu() - c0;
		floor_reap(fd, pid);
	} else if (argc == 3 && strcmp(argv[1], "unix") == 0) {
		t0 = floor_now();
		c0 = floor_cpu();
		fd = floor_connect(argv[2]);
		got = floor_scan(fd, FLOOR_PROMPT);
		t = floor_now() - t0;
		c = floor_cpu() - c0;
		close(fd);
	} else if (argc == 3 && strcmp(argv[1], "rt-pty") == 0) {
		n = atoi(argv[2]);
		av[0] = "cat";
		av[1] = NULL;
		fd = floor_spawn(av, 1, &pid);
		t0 = floor_now();
		c0 = floor_cpu();
		for (i = 0, got = 0; i < n; i++) {
			snprintf(line, sizeof line, "%d\n", i);
			snprintf(want, sizeof want, "%d\r\n", i);
			floor_write(fd, line, strlen(line));
			if (floor_await(fd, want, strlen(want)) != 0)
				break;
			got++;
		}
		t = floor_now() - t0;
		c = floor_cpu() - c0;
		floor_reap(fd, pid);
	} else if (argc == 4 && strcmp(argv[1], "rt-unix") == 0) {
		n = atoi(argv[2]);
		fd = floor_connect(argv[3]);
		if (floor_await(fd, FLOOR_SHPROMPT, strlen(FLOOR_SHPROMPT))
		    != 0)
			floor_die("no prompt");
		t0 = floor_now();
		c0 = floor_cpu();
		for (i = 0, got = 0; i < n; i++) {
			snprintf(line, sizeof line, "echo %d\r", i);
			snprintf(want, sizeof want, "%d\r\n" FLOOR_SHPROMPT, i);
			floor_write(fd, line, strlen(line));
			if (floor_await(fd, want, strlen(want)) != 0)
				break;
			got++;
		}
		t = floor_now() - t0;
		c = floor_cpu() - c0;
		close(fd);
	} else {
		fprintf(stderr, "usage: bench-floor pty SIZE FLOOD | unix PATH"
		    " | rt-pty N | rt-unix N PATH\n");
		return 2;
	}
	if (got < 0) {
		fprintf(stderr, "bench-floor: end of file before the match\n");
		return 1;
	}
	printf("secs=%.6f cpu=%.6f count=%lld maxrss_kb=%ld\n", t, c, got,
	    floor_maxrss());
	return 0;
}
