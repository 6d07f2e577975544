/* SPDX-License-Identifier: ISC */
/*
 * main.c - tether(1) entry point: dispatches to the command files and
 * holds every command's usage and help.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tether.h"

/*
 * The usage and help texts here are what `tether COMMAND --help` prints;
 * man/tether.1 (SYNOPSIS, COMMANDS) says the same, and
 * tests/integration/cli.sh holds the two to agreeing.
 */
static const struct cli_cmd cmds[] = {
	{ "run", cmd_run,
	    "run PLAYBOOK|- [ARG]... [--var NAME=VALUE]... [--var-file FILE]\n"
	    "[--log-dir DIR] [--junit FILE] [--tap] [--json] [-q|-v]",
	    "run a playbook",
	    "  --var NAME=VALUE      set variable NAME to the string VALUE "
	    "(repeatable)\n"
	    "  --var-file FILE       read NAME=VALUE lines from FILE\n"
	    "  --log-dir DIR         write NAME.log and NAME.cast of every "
	    "session in DIR\n"
	    "  --junit FILE          write a JUnit XML report, a testcase "
	    "per step\n"
	    "  --tap                 print TAP on standard output\n"
	    "  --json                print a JSON object per finished step\n"
	    "  -q, --quiet           only failures on standard error\n"
	    "  -v, --verbose         a trace line per statement\n"
	    "  -h, --help            print this help\n"
	    "  --                    end of options: the words after it are\n"
	    "                        PLAYBOOK and ARGs\n"
	    "PLAYBOOK - reads the playbook from standard input (named "
	    "<stdin>).\n"
	    "The ARGs are the list $argv (empty without any); options after "
	    "PLAYBOOK\n"
	    "are options unless they follow --.  A playbook whose first line "
	    "is\n"
	    "    #!/usr/bin/env -S tether run\n"
	    "runs as a command: ./deploy.tether ARG...\n" },
	{ "check", cmd_check,
	    "check PLAYBOOK|- [--strict]",
	    "parse and lint a playbook; exit 0, or 2 with file:line:col "
	    "messages",
	    "  --strict              warnings give exit status 2 as well\n"
	    "  -h, --help            print this help\n"
	    "PLAYBOOK - reads the playbook from standard input (named "
	    "<stdin>).\n" },
	{ "hmp", cmd_hmp,
	    "hmp URI COMMAND... [--json] [--timeout DUR]\n"
	    "[--connect-within DUR] [--open-within DUR]",
	    "run a QEMU human monitor command (URI: unix:PATH, tcp:HOST:PORT)",
	    "  --json                print the structured value of info pci, "
	    "cpus,\n"
	    "                        status, migrate (other commands: the "
	    "text) as JSON\n"
	    "  --timeout DUR         the whole call once connected, greeting "
	    "included\n"
	    "                        (default 10s)\n"
	    "  --connect-within DUR  retry the connection until DUR passes\n"
	    "  --open-within DUR     wait at most DUR for the greeting "
	    "(default: --timeout)\n"
	    "  -h, --help            print this help\n"
	    "  --                    end of options: a command word that "
	    "starts\n"
	    "                        with - goes after it\n"
	    "Options may come anywhere; URI may have hmp: in front.  Exit "
	    "status 1 when\n"
	    "QEMU answers with an error.\n" },
	{ "qmp", cmd_qmp,
	    "qmp URI COMMAND [ARGUMENTS-JSON] [--timeout DUR]\n"
	    "[--connect-within DUR] [--open-within DUR] [--json]",
	    "execute a QMP command and print its return value as JSON",
	    "  --timeout DUR         the whole call once connected, greeting "
	    "included\n"
	    "                        (default 10s)\n"
	    "  --connect-within DUR  retry the connection until DUR passes\n"
	    "  --open-within DUR     wait at most DUR for the greeting "
	    "(default: --timeout)\n"
	    "  --json                accepted as for hmp: the output is JSON "
	    "anyway\n"
	    "  -h, --help            print this help\n"
	    "  --                    end of options\n"
	    "ARGUMENTS-JSON is a JSON object.  Options may come anywhere; URI "
	    "may have\n"
	    "qmp: in front.\n" },
	{ "attach", cmd_attach,
	    "attach URI|NAME=URI... [--escape KEY] [--log-dir DIR]\n"
	    "[--connect-within DUR] [--OPTION VALUE]...",
	    "interactive console; the escape key (^]) opens a command prompt",
	    "  --escape KEY          the key for the command prompt: ^X, C-x, "
	    "0xNN,\n"
	    "                        one character or none (default ^])\n"
	    "  --log-dir DIR         write NAME.log and NAME.cast of every "
	    "session in DIR\n"
	    "  --connect-within DUR  retry the connections until DUR passes\n"
	    "  --OPTION VALUE        any other open option, for every session\n"
	    "                        (--line-ending crlf, --identity FILE, "
	    "...)\n"
	    "  -h, --help            print this help\n"
	    "  --                    end of options\n"
	    "Standard input and output must be a terminal.\n" },
	{ "record", cmd_record,
	    "record OUT.tether URI|NAME=URI... [--escape KEY] [--log-dir DIR]\n"
	    "[--connect-within DUR] [--OPTION VALUE]...",
	    "attach, and write what you type as a playbook to replay",
	    "  --escape KEY          the key for the command prompt (default "
	    "^])\n"
	    "  --log-dir DIR         write NAME.log and NAME.cast of every "
	    "session in DIR\n"
	    "  --connect-within DUR  retry the connections until DUR passes\n"
	    "  --OPTION VALUE        any other open option, for every session\n"
	    "  -h, --help            print this help\n"
	    "  --                    end of options\n"
	    "OUT.tether gets an open per session, then per line typed an "
	    "expect on the\nprompt before it and a sendline (send for "
	    "control keys); prompt lines that\nare playbook statements "
	    "are kept as they ran.  A line typed where echo was\noff is a "
	    "password: sendline -secret with ${env(\"NAME_PASSWORD\")} "
	    "(NAME the\nsession's, upper case), never the text typed.  "
	    "Replay: tether run OUT.tether.\n" },
	{ "repl", cmd_repl,
	    "repl [--var NAME=VALUE]... [--log-dir DIR] [-q|-v]",
	    "interactive playbook shell",
	    "  --var NAME=VALUE      set variable NAME to the string VALUE "
	    "(repeatable)\n"
	    "  --log-dir DIR         write NAME.log and NAME.cast of every "
	    "session in DIR\n"
	    "  -q, --quiet           only failures on standard error\n"
	    "  -v, --verbose         a trace line per statement\n"
	    "  -h, --help            print this help\n"
	    "Without a terminal, statements are read from standard input.\n" },
	{ "discover", cmd_discover,
	    "discover PID [--json]",
	    "endpoints of a running QEMU (serial, monitor, qmp, hostfwd)",
	    "  --json                print them as one JSON object\n"
	    "  -h, --help            print this help\n" },
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

/* Returns the command called name, or NULL. */
static const struct cli_cmd *
cmd_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	}
	return NULL;
}

/* Prints "tether USAGE", later lines of it indented under the first word. */
static void
usage_print(FILE *f, const char *lead, const struct cli_cmd *c)
{
	const char	*p;
	int		 pad;

	pad = fprintf(f, "%stether %s ", lead, c->name);
	for (p = c->usage + strlen(c->name) + 1; *p != '\0'; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fprintf(f, "%*s", pad, "");
	}
	fputc('\n', f);
}

static void
usage_all(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: tether COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++) {
		usage_print(f, "  ", &cmds[i]);
		fprintf(f, "      %s\n", cmds[i].summary);
	}
	fprintf(f, "  tether --version | --help | help COMMAND\n"
	    "\n`tether COMMAND --help` describes a command's options; "
	    "man tether for more.\n");
}

int
cli_help(const char *name)
{
	const struct cli_cmd	*c = cmd_find(name);

	if (c == NULL)
		return TETHER_EXIT_USAGE;
	usage_print(stdout, "usage: ", c);
	printf("%c%s.\n\noptions:\n%s",
	    toupper((unsigned char)c->summary[0]), c->summary + 1, c->help);
	return TETHER_EXIT_OK;
}

int
cli_usage(const char *name)
{
	const struct cli_cmd	*c = cmd_find(name);

	if (c != NULL) {
		usage_print(stderr, "usage: ", c);
		fprintf(stderr, "(tether %s --help for more)\n", name);
	}
	return TETHER_EXIT_USAGE;
}

int
cli_bad_option(const char *name, int ch, char **argv, const char *shortopts)
{
	const char	*arg = argv[optind - 1];

	if (ch == ':')
		cli_error("%s: option %s needs a value", name, arg);
	else if (optopt == 0)
		cli_error("%s: unknown option %s", name, arg);
	else if (optopt > 0 && optopt < 256 &&
	    strchr(shortopts, optopt) == NULL)
		cli_error("%s: unknown option -%c", name, optopt);
	else
		cli_error("%s: option %s takes no value", name, arg);
	return cli_usage(name);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	const struct cli_cmd		*c;
	int				 ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage_all(stdout);
			return TETHER_EXIT_OK;
		case 'V':
			printf("tether %s\n", tether_version());
			return TETHER_EXIT_OK;
		default:
			cli_error("unknown option %s (try tether --help)",
			    argv[optind - 1]);
			return TETHER_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage_all(stderr);
		return TETHER_EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc < 2) {
			usage_all(stdout);
			return TETHER_EXIT_OK;
		}
		if (cmd_find(argv[1]) == NULL) {
			cli_error("no help for %s (commands: run, check, hmp, "
			    "qmp, attach, record, repl, discover)", argv[1]);
			return TETHER_EXIT_USAGE;
		}
		return cli_help(argv[1]);
	}
	if ((c = cmd_find(argv[0])) == NULL) {
		cli_error("unknown command %s (try tether --help)", argv[0]);
		return TETHER_EXIT_USAGE;
	}
	/* Each command parses its own options from its argv[1]. */
	optind = 0;
	return c->fn(argc, argv);
}
