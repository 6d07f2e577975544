/*
 * main.c - tether(1) entry point: dispatches to the command files.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tether.h"

static const struct cli_cmd cmds[] = {
	{ "run", cmd_run, "run PLAYBOOK [--var NAME=VALUE]... [--var-file FILE] "
	    "[--log-dir DIR] [--junit FILE] [--tap] [--json] [-q|-v]",
	    "run a playbook" },
	{ "check", cmd_check, "check PLAYBOOK [--strict]",
	    "parse and lint a playbook" },
	{ "hmp", cmd_hmp, "hmp URI COMMAND... [--json] [--timeout DUR] "
	    "[--connect-within DUR]",
	    "run a QEMU human monitor command (URI: unix:PATH, tcp:HOST:PORT)" },
	{ "qmp", cmd_qmp, "qmp URI COMMAND [ARGUMENTS-JSON] [--timeout DUR] "
	    "[--connect-within DUR]",
	    "execute a QMP command and print its return value as JSON" },
	{ "attach", cmd_attach, "attach URI|NAME=URI... [--escape KEY] "
	    "[--log-dir DIR] [--connect-within DUR] [--OPTION VALUE]...",
	    "interactive console; the escape key (^]) opens a command prompt" },
	{ "repl", cmd_repl, "repl [--var NAME=VALUE]... [--log-dir DIR] [-q|-v]",
	    "interactive playbook shell" },
	{ "discover", cmd_discover, "discover PID [--json]",
	    "endpoints of a running QEMU (serial, monitor, qmp, hostfwd)" },
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

void
cli_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("tether: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: tether COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  tether %s\n      %s\n", cmds[i].usage,
		    cmds[i].summary);
	fprintf(f, "  tether --version | --help | help COMMAND\n");
}

int
main(int argc, char **argv)
{
	size_t	i;

	if (argc < 2) {
		usage(stderr);
		return TETHER_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tether %s\n", tether_version());
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		for (i = 0; i < NCMDS; i++) {
			if (strcmp(argv[2], cmds[i].name) == 0) {
				printf("usage: tether %s\n%s\n",
				    cmds[i].usage, cmds[i].summary);
				return 0;
			}
		}
		cli_error("no help for %s", argv[2]);
		return TETHER_EXIT_USAGE;
	}
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	}
	cli_error("unknown command %s (try tether --help)", argv[1]);
	return TETHER_EXIT_USAGE;
}
