/* SPDX-License-Identifier: ISC */
/*
 * cmd-discover.c - tether discover PID: the endpoints of a running QEMU
 * (consoles, monitors, QMP, guest agent, hostfwd), read from its command
 * line, as tether URIs (or JSON with --json).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tether.h"

/* Prints one list of endpoints, one "LABEL URI" line each. */
static void
discover_list(json_t *j, const char *key, const char *label)
{
	json_t		*e;
	const char	*uri;
	size_t		 i;

	json_array_foreach(json_object_get(j, key), i, e) {
		uri = json_string_value(json_object_get(e, "uri"));
		if (uri != NULL)
			printf("%-8s %s\n", label, uri);
		else
			printf("%-8s (not attachable: %s)\n", label,
			    json_string_value(json_object_get(e, "spec")));
	}
}

#define DISCOVER_JSON		256
#define DISCOVER_SHORTOPTS	":h"
static const struct option discover_longopts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ "json",	no_argument,	NULL, DISCOVER_JSON },
	{ NULL,		0,		NULL, 0 }
};

int
cmd_discover(int argc, char **argv)
{
	json_t		*j = NULL, *e;
	const char	*s;
	char		 err[256], *ep;
	long		 pid = -1;
	int		 ch, as_json = 0, r;
	size_t		 k;

	while ((ch = getopt_long(argc, argv, DISCOVER_SHORTOPTS,
	    discover_longopts, NULL)) != -1) {
		switch (ch) {
		case DISCOVER_JSON:
			as_json = 1;
			break;
		case 'h':
			return cli_help("discover");
		default:
			return cli_bad_option("discover", ch, argv,
			    DISCOVER_SHORTOPTS);
		}
	}
	if (optind != argc - 1)
		return cli_usage("discover");
	pid = strtol(argv[optind], &ep, 10);
	if (*ep != '\0' || pid <= 0) {
		cli_error("discover: bad pid %s", argv[optind]);
		return cli_usage("discover");
	}
	if ((r = tether_qemu_discover((pid_t)pid, &j, err, sizeof err)) != 0) {
		cli_error("discover: %s", err);
		return TETHER_EXIT_FAIL;
	}
	if (as_json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
		return TETHER_EXIT_OK;
	}
	printf("%-8s %ld (%s", "pid", pid,
	    json_string_value(json_object_get(j, "program")));
	if ((s = json_string_value(json_object_get(j, "name"))) != NULL)
		printf(", name %s", s);
	printf(")\n");
	discover_list(j, "serial", "serial");
	discover_list(j, "monitor", "monitor");
	discover_list(j, "qmp", "qmp");
	discover_list(j, "agent", "agent");
	json_array_foreach(json_object_get(j, "hostfwd"), k, e) {
		printf("%-8s %s -> guest port %lld", "hostfwd",
		    json_string_value(json_object_get(e, "uri")),
		    (long long)json_integer_value(json_object_get(e,
		    "guest_port")));
		if ((s = json_string_value(json_object_get(e, "ssh"))) != NULL)
			printf(" (%s)", s);
		putchar('\n');
	}
	if ((s = json_string_value(json_object_get(j, "pidfile"))) != NULL)
		printf("%-8s %s\n", "pidfile", s);
	json_decref(j);
	return TETHER_EXIT_OK;
}
