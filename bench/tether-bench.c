/* SPDX-License-Identifier: ISC */
/*
 * tether-bench.c - the benchmark scenarios driven through libtether's C
 * API, one scenario per run, printing one line of key=value results.
 *
 * usage: tether-bench s1 SIZE FLOOD	spawn FLOOD SIZE, expect "READY> "
 *	  tether-bench s1u PATH		unix:PATH, expect "READY> "
 *	  tether-bench s2 N		N send/expect round trips with cat
 *	  tether-bench s3 N		N cat sessions, one round trip each
 *	  tether-bench s4 N PATH	N "echo i" / prompt round trips on
 *					unix:PATH (sh -i behind socat)
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tether.h"

#define BENCH_PROMPT	"READY> "
#define BENCH_SHPROMPT	"PROMPT> "
#define BENCH_DEADLINE	600000		/* ms: generous, never hit */

static int64_t	bench_deadline;

/* Returns monotonic seconds, finer than tether_now_ms(). */
static double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_die(struct tether_loop *loop, const char *what, int r)
{
	fprintf(stderr, "tether-bench: %s: %s: %s\n", what,
	    tether_strerror(r), loop != NULL ? tether_loop_errmsg(loop) : "");
	exit(1);
}

/* Returns the CPU time (user + system) this process used, in seconds. */
static double
bench_cpu(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Returns the resident set size now, in KiB. */
static long
bench_rss_kb(void)
{
	FILE	*f;
	long	 size, rss = 0;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Returns the peak resident set size in KiB: VmHWM, which starts afresh
 * at exec (ru_maxrss keeps the parent's peak from before the exec).
 */
static long
bench_maxrss_kb(void)
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

/* Waits for literal lit on s; dies on anything but a match. */
static void
bench_expect(struct tether_session *s, const char *lit)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct tether_expect	*e;
	struct tether_match	*m = NULL;
	int			 r;

	if ((e = tether_expect_new(loop)) == NULL)
		bench_die(loop, "expect", TETHER_ENOMEM);
	if ((r = tether_expect_literal(e, s, lit, strlen(lit), 0)) != 0)
		bench_die(loop, "expect", r);
	if ((r = tether_expect_run(e, bench_deadline, &m)) != 0)
		bench_die(loop, "expect", r);
	if (tether_match_outcome(m) != TETHER_MATCH_PATTERN) {
		fprintf(stderr, "tether-bench: waiting for \"%s\" on %s: %s\n",
		    lit, tether_session_name(s),
		    tether_match_outcome(m) == TETHER_MATCH_EOF ?
		    "end of file" : "timeout");
		exit(1);
	}
	tether_match_free(m);
	tether_expect_free(e);
}

static struct tether_session *
bench_open(struct tether_loop *loop, const char *name, const char *uri,
    const struct tether_opt *opts, size_t nopts)
{
	struct tether_session	*s;
	int			 r;

	if ((r = tether_session_open(loop, name, uri, opts, nopts, &s)) != 0)
		bench_die(loop, uri, r);
	return s;
}

static void
bench_send(struct tether_session *s, const char *line)
{
	int	r;

	if ((r = tether_session_sendline(s, line, 0, bench_deadline)) != 0)
		bench_die(tether_session_loop(s), "send", r);
}

/* S1 and S1u: one flood, one literal at its end. */
static void
bench_flood(struct tether_loop *loop, const char *uri)
{
	struct tether_session	*s;
	double			 t0, t, c0, c;
	uint64_t		 rx;

	t0 = bench_now();
	c0 = bench_cpu();
	s = bench_open(loop, "flood", uri, NULL, 0);
	bench_expect(s, BENCH_PROMPT);
	t = bench_now() - t0;
	c = bench_cpu() - c0;
	rx = tether_session_rx_bytes(s);
	tether_session_close(s);
	printf("secs=%.6f cpu=%.6f count=%llu maxrss_kb=%ld\n", t, c,
	    (unsigned long long)rx, bench_maxrss_kb());
}

/* S2: round trips with cat, echo off. */
static void
bench_cat(struct tether_loop *loop, int n)
{
	struct tether_opt	 opts[] = { { "echo", "no" } };
	struct tether_session	*s;
	char			 line[32], want[32];
	double			 t0, t, c0, c;
	int			 i;

	s = bench_open(loop, "cat", "spawn:cat", opts, 1);
	t0 = bench_now();
	c0 = bench_cpu();
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "%d", i);
		snprintf(want, sizeof want, "%d\r\n", i);
		bench_send(s, line);
		bench_expect(s, want);
	}
	t = bench_now() - t0;
	c = bench_cpu() - c0;
	tether_session_close(s);
	printf("secs=%.6f cpu=%.6f count=%d maxrss_kb=%ld\n", t, c, n,
	    bench_maxrss_kb());
}

/* S3: n concurrent cat sessions, one round trip each. */
static void
bench_many(struct tether_loop *loop, int n)
{
	struct tether_opt	  opts[] = { { "echo", "no" } };
	struct tether_session	**s;
	struct rlimit		  rl;
	char			  name[32], line[32], want[32];
	long			  rss0, rss1;
	double			  t0, t, c0, c, topen;
	int			  i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((s = calloc((size_t)n, sizeof *s)) == NULL)
		bench_die(loop, "calloc", TETHER_ENOMEM);
	rss0 = bench_rss_kb();
	t0 = bench_now();
	c0 = bench_cpu();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "cat%d", i);
		s[i] = bench_open(loop, name, "spawn:cat", opts, 1);
	}
	topen = bench_now() - t0;
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "hello %d", i);
		bench_send(s[i], line);
	}
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof want, "hello %d\r\n", i);
		bench_expect(s[i], want);
	}
	t = bench_now() - t0;
	c = bench_cpu() - c0;
	rss1 = bench_rss_kb();
	printf("secs=%.6f cpu=%.6f count=%d maxrss_kb=%ld "
	    "per_session_kb=%.1f open_secs=%.6f\n", t, c, n, bench_maxrss_kb(),
	    (double)(rss1 - rss0) / n, topen);
	fflush(stdout);
	for (i = 0; i < n; i++)
		tether_session_close(s[i]);
	free(s);
}

/* S4: "echo i" and the prompt, on sh -i behind a unix socket. */
static void
bench_shell(struct tether_loop *loop, int n, const char *path)
{
	struct tether_opt	 opts[] = { { "connect-within", "10s" } };
	struct tether_session	*s;
	char			 uri[512], line[32], want[64];
	double			 t0, t, c0, c;
	int			 i;

	snprintf(uri, sizeof uri, "unix:%s", path);
	s = bench_open(loop, "sh", uri, opts, 1);
	bench_expect(s, BENCH_SHPROMPT);
	t0 = bench_now();
	c0 = bench_cpu();
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "echo %d", i);
		snprintf(want, sizeof want, "%d\r\n" BENCH_SHPROMPT, i);
		bench_send(s, line);
		bench_expect(s, want);
	}
	t = bench_now() - t0;
	c = bench_cpu() - c0;
	tether_session_close(s);
	printf("secs=%.6f cpu=%.6f count=%d maxrss_kb=%ld\n", t, c, n,
	    bench_maxrss_kb());
}

static void
bench_usage(void)
{
	fprintf(stderr, "usage: tether-bench s1 SIZE FLOOD | s1u PATH | "
	    "s2 N | s3 N | s4 N PATH\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct tether_loop	*loop;
	char			 uri[1024];

	if (argc < 3)
		bench_usage();
	if ((loop = tether_loop_new()) == NULL)
		bench_die(NULL, "loop", TETHER_ENOMEM);
	bench_deadline = tether_now_ms() + BENCH_DEADLINE;
	if (strcmp(argv[1], "s1") == 0 && argc == 4) {
		snprintf(uri, sizeof uri, "spawn:%s %s", argv[3], argv[2]);
		bench_flood(loop, uri);
	} else if (strcmp(argv[1], "s1u") == 0 && argc == 3) {
		snprintf(uri, sizeof uri, "unix:%s", argv[2]);
		bench_flood(loop, uri);
	} else if (strcmp(argv[1], "s2") == 0 && argc == 3)
		bench_cat(loop, atoi(argv[2]));
	else if (strcmp(argv[1], "s3") == 0 && argc == 3)
		bench_many(loop, atoi(argv[2]));
	else if (strcmp(argv[1], "s4") == 0 && argc == 4)
		bench_shell(loop, atoi(argv[2]), argv[3]);
	else
		bench_usage();
	tether_loop_free(loop);
	return 0;
}
