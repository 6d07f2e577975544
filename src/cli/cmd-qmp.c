/* SPDX-License-Identifier: ISC */
/*
 * cmd-qmp.c - tether qmp: executes one QMP command and prints its return
 * value as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cmd-monitor.h"
#include "tether.h"

int
cmd_qmp(int argc, char **argv)
{
	struct cli_monitor	 m;
	json_t			*args = NULL, *result = NULL;
	json_error_t		 jerr;
	int			 r, ex = TETHER_EXIT_OK;

	if ((r = cli_monitor_args(argc, argv, "qmp", &m)) != 0)
		return r == 1 ? TETHER_EXIT_OK : TETHER_EXIT_USAGE;
	if (m.nwords > 2) {
		cli_error("qmp: ARGUMENTS-JSON is one word (quote it): %s",
		    m.words[2]);
		ex = cli_usage("qmp");
		goto out;
	}
	if (m.nwords == 2) {
		args = json_loads(m.words[1], 0, &jerr);
		if (args == NULL || !json_is_object(args)) {
			cli_error("arguments of %s: want a JSON object%s%s",
			    m.words[0], args == NULL ? ": " : "",
			    args == NULL ? jerr.text : "");
			ex = TETHER_EXIT_USAGE;
			goto out;
		}
	}
	if ((r = cli_monitor_open(&m, "monitor")) != 0) {
		ex = tether_exit_code(r);
		goto out;
	}
	r = tether_qmp_execute(m.s, m.words[0], args, m.deadline, &result);
	if (r != 0) {
		cli_monitor_fail(&m, r);
		ex = tether_exit_code(r);
		goto out;
	}
	if (cli_print_json(result) != 0) {
		cli_error("cannot print the return value of %s", m.words[0]);
		ex = TETHER_EXIT_FAIL;
	}
out:
	json_decref(result);
	json_decref(args);
	cli_monitor_close(&m);
	if (fflush(stdout) != 0 && ex == TETHER_EXIT_OK)
		ex = TETHER_EXIT_FAIL;
	return ex;
}
