/* SPDX-License-Identifier: ISC */
/*
 * bench-flood.c - writes SIZE bytes of non-matching lines, then "READY> ",
 * to its stdout (a pty under the benchmark) or to one unix-socket client.
 *
 * usage: bench-flood SIZE			write to stdout, then wait for
 *						hangup on stdin
 *	  bench-flood -u PATH SIZE		listen on PATH, print
 *						"listening", serve one client
 *						and exit
 * SIZE takes a k, m or g suffix (powers of 1024).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOOD_BLOCK	(64 * 1024)
#define FLOOD_PROMPT	"READY> "

static void
flood_usage(void)
{
	fprintf(stderr, "usage: bench-flood [-u path] size\n");
	exit(2);
}

/* Returns the size in bytes that s names, exits on nonsense. */
static uint64_t
flood_size(const char *s)
{
	char		*ep;
	uint64_t	 n;

	n = strtoull(s, &ep, 10);
	switch (*ep) {
	case 'k': case 'K':
		n <<= 10, ep++;
		break;
	case 'm': case 'M':
		n <<= 20, ep++;
		break;
	case 'g': case 'G':
		n <<= 30, ep++;
		break;
	}
	if (*ep != '\0')
		flood_usage();
	return n;
}

/* Fills b with log-like lines that never contain the prompt. */
static void
flood_fill(char *b, size_t len)
{
	static const char *words[] = {
		"kernel:", "eth0", "link", "up", "speed", "1000", "duplex",
		"full", "usb", "3-1:", "new", "device", "found", "systemd",
		"started", "session", "of", "user", "root.", "mounted",
		"filesystem", "with", "ordered", "data", "mode.", "quota",
		"off.", "audit:", "type=1400", "apparmor=\"STATUS\"",
	};
	char		 line[128];
	size_t		 o = 0, ll, nw = sizeof words / sizeof words[0], w = 0;
	unsigned	 n = 0;

	while (o < len) {
		ll = (size_t)snprintf(line, sizeof line, "[%5u.%06u]",
		    n / 100, (n * 7919) % 1000000);
		while (ll < 72) {
			ll += (size_t)snprintf(line + ll, sizeof line - ll,
			    " %s", words[w++ % nw]);
		}
		line[ll++] = '\n';
		if (ll > len - o)
			ll = len - o;
		memcpy(b + o, line, ll);
		o += ll;
		n++;
		w += n % 3;
	}
	b[len - 1] = '\n';
}

/* Writes all of p to fd.  Returns 0, or -1 when the reader went away. */
static int
flood_write(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
flood_run(int fd, uint64_t size)
{
	static char	block[FLOOD_BLOCK];
	size_t		n;

	flood_fill(block, sizeof block);
	while (size > 0) {
		n = size < sizeof block ? (size_t)size : sizeof block;
		if (flood_write(fd, block, n) != 0)
			return -1;
		size -= n;
	}
	return flood_write(fd, FLOOD_PROMPT, strlen(FLOOD_PROMPT));
}

static int
flood_serve(const char *path, uint64_t size)
{
	struct sockaddr_un	 sun;
	int			 lfd, fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		flood_usage();
	strcpy(sun.sun_path, path);
	unlink(path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(lfd, 4) == -1) {
		perror(path);
		return 1;
	}
	/* The caller waits for this line before connecting. */
	printf("listening\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	unlink(path);
	if (fd == -1) {
		perror("accept");
		return 1;
	}
	flood_run(fd, size);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	char	c;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "-u") == 0)
		return flood_serve(argv[2], flood_size(argv[3]));
	if (argc != 2)
		flood_usage();
	if (flood_run(1, flood_size(argv[1])) != 0)
		return 1;
	/* Stay until the reader hangs up so no byte is lost in the pty. */
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
