/* SPDX-License-Identifier: ISC */
/*
 * cli.h - tether(1): one file per command, dispatched from main.c.
 */
#ifndef CLI_H
#define CLI_H

struct cli_cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv); /* argv[0] is the name */
	const char	*usage;		/* after "tether ", lines indented */
	const char	*summary;	/* one line */
	const char	*help;		/* options and notes, lines */
};

/*
 * Each returns a tether(1) exit status (TETHER_EXIT_*).  Each parses its
 * options with getopt_long (argv[0] is the command name, optind is reset)
 * and answers -h and --help with cli_help().
 */
int	cmd_run(int, char **);
int	cmd_check(int, char **);
int	cmd_hmp(int, char **);
int	cmd_qmp(int, char **);
int	cmd_attach(int, char **);
int	cmd_record(int, char **);
int	cmd_repl(int, char **);
int	cmd_discover(int, char **);

struct tether_session;
/*
 * interact NAME: hands the terminal to session s until the escape byte
 * (negative: ^]) is typed.  Returns 0 then; TETHER_ENOTSUP at once when
 * stdin or stdout is not a terminal, TETHER_EOF when the session ended,
 * TETHER_EINTR on a signal, with the message in tether_loop_errmsg().
 */
int	cli_interact(struct tether_session *s, int escape_char);

/* Prints "tether: " and the message to stderr. */
void	cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Prints the help of command name (usage, summary, options) on stdout,
 * as `tether help NAME` does.  Returns TETHER_EXIT_OK.
 */
int	cli_help(const char *name);
/* Prints the usage of command name on stderr.  Returns TETHER_EXIT_USAGE. */
int	cli_usage(const char *name);
/*
 * Reports the option that getopt_long refused with ch ('?' or ':', the
 * optstring starting with ':') in argv for command name, then the usage.
 * Returns TETHER_EXIT_USAGE.
 */
int	cli_bad_option(const char *name, int ch, char **argv,
	    const char *shortopts);

#endif /* CLI_H */
