/* SPDX-License-Identifier: ISC */
/*
 * cmd-monitor.h - what tether hmp and tether qmp share: argument parsing,
 * opening the monitor session and reporting failures.
 */
#ifndef CMD_MONITOR_H
#define CMD_MONITOR_H

#include <stdint.h>

#include <jansson.h>

#include "tether.h"

#define CLI_MONITOR_WORDS	64

struct cli_monitor {
	const char		*uri;		/* as given */
	char			*target;	/* with hmp: or qmp: */
	const char		*words[CLI_MONITOR_WORDS];
	int			 nwords;
	int			 json;		/* --json */
	const char		*timeout;	/* --timeout, default 10s */
	int64_t			 timeout_ms;
	const char		*within;	/* --connect-within or NULL */
	int64_t			 within_ms;	/* 0 without */
	const char		*open_within;	/* --open-within or NULL */
	int64_t			 open_ms;
	int64_t			 deadline;	/* of the call (after open) */
	struct tether_loop	*loop;
	struct tether_session	*s;
};

/*
 * Parses URI, words and --json, --timeout DUR, --connect-within DUR,
 * --open-within DUR, -h for scheme "hmp" or "qmp" with getopt_long
 * (options anywhere, -- ends them; an unknown one is a usage error).
 * Returns 0, 1 after printing the help for -h or --help, or -1 after
 * printing the error and usage.
 */
int	cli_monitor_args(int argc, char **argv, const char *scheme,
	    struct cli_monitor *);
/*
 * Opens the session, the greeting bounded by --open-within or else by
 * --timeout, and sets m->deadline for the command: --timeout after the
 * start (plus --connect-within), or after the open with --open-within.
 * Returns 0 or a TETHER_E* code after reporting it.
 */
int	cli_monitor_open(struct cli_monitor *, const char *name);
/* Prints the failure r with its detail and the session's last lines. */
void	cli_monitor_fail(struct cli_monitor *, int r);
/* Closes the session and frees what cli_monitor_args allocated. */
void	cli_monitor_close(struct cli_monitor *);
/* Prints v as indented JSON and a newline.  Returns 0 or -1. */
int	cli_print_json(json_t *);

#endif /* CMD_MONITOR_H */
