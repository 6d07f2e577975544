/*
 * cmd-run.c - `tether run` and `tether check`: parse a playbook, lint or
 * run it, and turn the outcome into an exit status.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int
run_usage(void)
{
	fprintf(stderr, "usage: tether run PLAYBOOK [--var NAME=VALUE]... "
	    "[--var-file FILE] [--log-dir DIR]\n"
	    "                  [--junit FILE] [--tap] [--json] [-q|-v]\n");
	return TETHER_EXIT_USAGE;
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
	const char		*playbook = NULL, *log_dir = NULL;
	char			*err = NULL;
	size_t			 nvars = 0, i;
	int			 status = TETHER_EXIT_USAGE, j;

	memset(&ro, 0, sizeof ro);
	for (j = 1; j < argc; j++) {
		const char *a = argv[j];

		if (strcmp(a, "--var") == 0 && j + 1 < argc) {
			if (add_var(&vars, &nvars, argv[++j], "--var") != 0)
				goto out;
		} else if (strncmp(a, "--var=", 6) == 0) {
			if (add_var(&vars, &nvars, a + 6, "--var") != 0)
				goto out;
		} else if (strcmp(a, "--var-file") == 0 && j + 1 < argc) {
			if (read_var_file(&vars, &nvars, argv[++j]) != 0)
				goto out;
		} else if (strcmp(a, "--log-dir") == 0 && j + 1 < argc)
			log_dir = argv[++j];
		else if (strcmp(a, "--junit") == 0 && j + 1 < argc)
			ro.junit = argv[++j];
		else if (strcmp(a, "--tap") == 0)
			ro.tap = 1;
		else if (strcmp(a, "--json") == 0)
			ro.json = 1;
		else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			ro.quiet = 1;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			ro.verbose = 1;
		else if (strcmp(a, "--") == 0 && j + 1 < argc &&
		    playbook == NULL)
			playbook = argv[++j];
		else if (a[0] == '-' && a[1] != '\0') {
			cli_error("run: unknown or incomplete option %s", a);
			status = run_usage();
			goto out;
		} else if (playbook == NULL)
			playbook = a;
		else {
			cli_error("run: more than one playbook (%s)", a);
			status = run_usage();
			goto out;
		}
	}
	if (playbook == NULL) {
		status = run_usage();
		goto out;
	}
	if (ro.tap && ro.json) {
		cli_error("run: --tap and --json both write to stdout; "
		    "pick one");
		goto out;
	}
	if (ro.quiet && ro.verbose) {
		cli_error("run: -q and -v together");
		goto out;
	}
	if (log_dir != NULL && mkdir(log_dir, 0777) == -1 && errno != EEXIST) {
		cli_error("--log-dir %s: %s", log_dir, strerror(errno));
		goto out;
	}
	if (parse_file(playbook, &prog, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if ((loop = tether_loop_new()) == NULL) {
		cli_error("out of memory");
		status = TETHER_EXIT_FAIL;
		goto out;
	}
	ro.playbook = playbook;
	rep = report_new(&ro);
	ip = interp_new(prog, loop, rep);
	ip->log_dir = log_dir;
	ip->interact = cli_interact;
	for (i = 0; i < nvars; i++)
		interp_setvar(ip, vars[i].name, value_strz(vars[i].value));

	run_loop = loop;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = run_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);

	ip->signo = &run_signo;
	status = interp_run(ip);

	/* A VM the playbook did not tear down: poweroff, quit, signals. */
	tether_loop_clear_interrupt(loop);
	if (tether_vm_teardown_all(loop, tether_now_ms() + 20000) != 0)
		cli_error("teardown of a launched VM failed: %s",
		    tether_loop_errmsg(loop));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	run_loop = NULL;
	if (report_finish(rep, status) != 0 && status == 0)
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

	for (j = 1; j < argc; j++) {
		if (strcmp(argv[j], "--strict") == 0)
			strict = 1;
		else if (argv[j][0] == '-' || playbook != NULL) {
			fprintf(stderr, "usage: tether check PLAYBOOK "
			    "[--strict]\n");
			return TETHER_EXIT_USAGE;
		} else
			playbook = argv[j];
	}
	if (playbook == NULL) {
		fprintf(stderr, "usage: tether check PLAYBOOK [--strict]\n");
		return TETHER_EXIT_USAGE;
	}
	if (parse_file(playbook, &prog, &err) != 0) {
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
