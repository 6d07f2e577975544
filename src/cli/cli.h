/*
 * cli.h - tether(1): one file per command, dispatched from main.c.
 */
#ifndef CLI_H
#define CLI_H

struct cli_cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv); /* argv[0] is the name */
	const char	*usage;
	const char	*summary;
};

/* Each returns a tether(1) exit status (TETHER_EXIT_*). */
int	cmd_run(int, char **);
int	cmd_check(int, char **);

/* Prints "tether: " and the message to stderr. */
void	cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* CLI_H */
