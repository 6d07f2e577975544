/* SPDX-License-Identifier: ISC */
/*
 * cmd-run.c - `tether run` and `tether check`: parse a playbook, lint or
 * run it, and turn the outcome into an exit status.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "interp.h"
#include "lint.h"
#include "parse.h"
#include "report.h"
#include "tether.h"
#include "value.h"
#include "xmalloc.h"

static struct tether_loop	*run_loop;
static volatile sig_atomic_t	 run_signo;

static void
run_signal(int sig)
{
	run_signo = sig;
	if (run_loop != NULL)
		tether_loop_interrupt(run_loop);
}

/* The name a playbook read from standard input ("-") has in messages. */
#define RUN_STDIN_NAME	"<stdin>"

/* run's options; those without a short form are numbered from 256. */
enum {
	RUN_VAR = 256,
	RUN_VAR_FILE,
	RUN_LOG_DIR,
	RUN_JUNIT,
	RUN_TAP,
	RUN_JSON,
};
#define RUN_SHORTOPTS	":hqv"
static const struct option run_longopts[] = {
	{ "help",	no_argument,		NULL, 'h' },
	{ "json",	no_argument,		NULL, RUN_JSON },
	{ "junit",	required_argument,	NULL, RUN_JUNIT },
	{ "log-dir",	required_argument,	NULL, RUN_LOG_DIR },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "tap",	no_argument,		NULL, RUN_TAP },
	{ "var",	required_argument,	NULL, RUN_VAR },
	{ "var-file",	required_argument,	NULL, RUN_VAR_FILE },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ NULL,		0,			NULL, 0 }
};
#define CHECK_STRICT	256
#define CHECK_SHORTOPTS	":h"
static const struct option check_longopts[] = {
	{ "help",	no_argument,		NULL, 'h' },
	{ "strict",	no_argument,		NULL, CHECK_STRICT },
	{ NULL,		0,			NULL, 0 }
};

/* Returns the name playbook has in messages and reports. */
static const char *
run_name(const char *playbook)
{
	return strcmp(playbook, "-") == 0 ? RUN_STDIN_NAME : playbook;
}

/*
 * Parses the playbook in file playbook, or on standard input when it is
 * "-" (includes then relative to the current directory).  Returns 0 and
 * the program in *prog, or -1 and in *err a message the caller frees.
 */
static int
run_parse(const char *playbook, struct ast_program **prog, char **err)
{
	char	*text = NULL;
	size_t	 len = 0, cap = 0, got;
	int	 r;

	if (strcmp(playbook, "-") != 0)
		return parse_file(playbook, prog, err);
	*prog = NULL;
	*err = NULL;
	for (;;) {
		if (cap - len < 8192) {
			cap = cap * 2 + 8192;
			text = xreallocarray(text, cap, 1);
		}
		if ((got = fread(text + len, 1, cap - len, stdin)) == 0)
			break;
		len += got;
	}
	if (ferror(stdin)) {
		*err = xasprintf("%s: %s", RUN_STDIN_NAME, strerror(errno));
		free(text);
		return -1;
	}
	r = parse_text(RUN_STDIN_NAME, text, len, prog, err);
	free(text);
	return r;
}

struct run_var {
	char		*name;
	char		*value;
};

static int
var_name_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; i < len; i++) {
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	}
	return 1;
}

/* Adds NAME=VALUE to vars.  Returns 0 or -1 (message printed). */
static int
add_var(struct run_var **vars, size_t *n, const char *spec,
    const char *where)
{
	const char	*eq = strchr(spec, '=');

	if (eq == NULL || !var_name_ok(spec, eq - spec)) {
		cli_error("%s: expected NAME=VALUE, got \"%s\"", where,
		    spec);
		return -1;
	}
	*vars = xreallocarray(*vars, *n + 1, sizeof **vars);
	(*vars)[*n].name = xstrndup(spec, eq - spec);
	(*vars)[*n].value = xstrdup(eq + 1);
	(*n)++;
	return 0;
}

/* Reads NAME=VALUE lines ('#' comments, blank lines skipped). */
static int
read_var_file(struct run_var **vars, size_t *n, const char *path)
{
	FILE	*f;
	char	*line = NULL, *p, *where;
	size_t	 cap = 0, len;
	ssize_t	 got;
	int	 lineno = 0, r = 0;

	if ((f = fopen(path, "r")) == NULL) {
		cli_error("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((got = getline(&line, &cap, f)) != -1) {
		lineno++;
		len = (size_t)got;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		/* NAME='value' and NAME="value", as shell env files have */
		if ((where = strchr(p, '=')) != NULL &&
		    (len = strlen(where + 1)) >= 2 &&
		    (where[1] == '\'' || where[1] == '"') &&
		    where[len] == where[1]) {
			where[len] = '\0';
			memmove(where + 1, where + 2, len - 1);
		}
		where = xasprintf("%s:%d", path, lineno);
		r = add_var(vars, n, p, where);
		free(where);
		if (r != 0)
			break;
	}
	free(line);
	fclose(f);
	return r;
}

/*
 * Makes sure that --log-dir DIR is a directory that files can be created
 * in (made when missing).  Returns 0, or -1 with the message printed.
 */
static int
run_check_log_dir(const char *dir)
{
	struct stat	 st;
	char		*probe;
	int		 fd, err = 0;

	if (mkdir(dir, 0777) == -1 && errno != EEXIST)
		err = errno;
	else if (stat(dir, &st) == -1)
		err = errno;
	else if (!S_ISDIR(st.st_mode))
		err = ENOTDIR;
	else {
		probe = xasprintf("%s/.tether-XXXXXX", dir);
		if ((fd = mkstemp(probe)) == -1)
			err = errno;
		else {
			close(fd);
			unlink(probe);
		}
		free(probe);
	}
	if (err != 0) {
		cli_error("--log-dir %s: cannot write: %s", dir,
		    strerror(err));
		return -1;
	}
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	struct report_opts	 ro;
	struct report		*rep = NULL;
	struct ast_program	*prog = NULL;
	struct tether_loop	*loop = NULL;
	struct interp		*ip = NULL;
	struct run_var		*vars = NULL;
	struct sigaction	 sa, old_int, old_term;
	struct value		*args;
	const char		*playbook = NULL, *log_dir = NULL, *lost;
	char			*err = NULL;
	size_t			 nvars = 0, i;
	int			 status = TETHER_EXIT_USAGE, j, first_arg;

	memset(&ro, 0, sizeof ro);
	while ((j = getopt_long(argc, argv, RUN_SHORTOPTS, run_longopts,
	    NULL)) != -1) {
		switch (j) {
		case RUN_VAR:
			if (add_var(&vars, &nvars, optarg, "--var") != 0)
				goto out;
			break;
		case RUN_VAR_FILE:
			if (read_var_file(&vars, &nvars, optarg) != 0)
				goto out;
			break;
		case RUN_LOG_DIR:
			log_dir = optarg;
			break;
		case RUN_JUNIT:
			ro.junit = optarg;
			break;
		case RUN_TAP:
			ro.tap = 1;
			break;
		case RUN_JSON:
			ro.json = 1;
			break;
		case 'q':
			ro.quiet = 1;
			break;
		case 'v':
			ro.verbose = 1;
			break;
		case 'h':
			status = cli_help("run");
			goto out;
		default:
			status = cli_bad_option("run", j, argv, RUN_SHORTOPTS);
			goto out;
		}
	}
	/* PLAYBOOK [ARG]...: the ARGs are $argv. */
	if (optind >= argc) {
		status = cli_usage("run");
		goto out;
	}
	playbook = argv[optind];
	first_arg = optind + 1;
	if (ro.tap && ro.json) {
		cli_error("run: --tap and --json both write to stdout; "
		    "pick one");
		goto out;
	}
	if (ro.quiet && ro.verbose) {
		cli_error("run: -q and -v together");
		goto out;
	}
	/* Before anything runs: a report that cannot be written. */
	if (log_dir != NULL && run_check_log_dir(log_dir) != 0)
		goto out;
	if ((loop = tether_loop_new()) == NULL) {
		cli_error("out of memory");
		status = TETHER_EXIT_FAIL;
		goto out;
	}
	/* A closed stdout is a report that cannot be written, not a death. */
	signal(SIGPIPE, SIG_IGN);
	ro.playbook = run_name(playbook);
	ro.redact = report_redact_loop;
	ro.redact_ctx = loop;
	rep = report_new(&ro);
	if (report_open(rep) != 0)
		goto out;
	if (run_parse(playbook, &prog, &err) != 0) {
		report_error(rep, err);
		report_finish(rep, status);
		goto out;
	}
	ip = interp_new(prog, loop, report_reporter(rep));
	interp_set_log_dir(ip, log_dir);
	interp_set_interact(ip, cli_interact);
	for (i = 0; i < nvars; i++)
		interp_setvar(ip, vars[i].name, value_strz(vars[i].value));
	/* After the --vars: $argv is always the list of ARGs. */
	args = value_list();
	for (j = first_arg; j < argc; j++)
		(void)value_list_push(args, value_strz(argv[j]));
	interp_setvar(ip, "argv", args);

	run_loop = loop;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = run_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	interp_set_signo(ip, &run_signo);
	status = interp_run(ip);

	/* A VM the playbook did not tear down: poweroff, quit, signals. */
	tether_loop_clear_interrupt(loop);
	if (tether_vm_teardown_all(loop, tether_now_ms() + 20000) != 0)
		report_note(rep, "teardown of a launched VM failed: %s",
		    tether_loop_errmsg(loop));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	run_loop = NULL;
	/* A transcript that lost data fails a run that passed. */
	if ((lost = tether_loop_lost(loop)) != NULL) {
		report_failure(rep, lost, NULL);
		if (status == TETHER_EXIT_OK)
			status = TETHER_EXIT_FAIL;
	}
	if (report_finish(rep, status) != 0 && status == TETHER_EXIT_OK)
		status = TETHER_EXIT_FAIL;
out:
	interp_free(ip);
	tether_loop_free(loop);
	report_free(rep);
	parse_free(prog);
	free(err);
	for (i = 0; i < nvars; i++) {
		free(vars[i].name);
		free(vars[i].value);
	}
	free(vars);
	return status;
}

int
cmd_check(int argc, char **argv)
{
	struct ast_program	*prog = NULL;
	const char		*playbook = NULL;
	char			*err = NULL;
	int			 j, nerr, nwarn = 0, strict = 0;

	while ((j = getopt_long(argc, argv, CHECK_SHORTOPTS, check_longopts,
	    NULL)) != -1) {
		switch (j) {
		case CHECK_STRICT:
			strict = 1;
			break;
		case 'h':
			return cli_help("check");
		default:
			return cli_bad_option("check", j, argv,
			    CHECK_SHORTOPTS);
		}
	}
	if (optind != argc - 1) {
		if (optind < argc)
			cli_error("check: one playbook at a time (%s)",
			    argv[optind + 1]);
		return cli_usage("check");
	}
	playbook = argv[optind];
	if (run_parse(playbook, &prog, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return TETHER_EXIT_USAGE;
	}
	nerr = lint_program(prog, stderr, &nwarn);
	parse_free(prog);
	if (nerr > 0 || (strict && nwarn > 0))
		return TETHER_EXIT_USAGE;
	return TETHER_EXIT_OK;
}
