/* SPDX-License-Identifier: ISC */
/*
 * cmd-record.c - tether record OUT URI...: tether attach that also writes
 * what the user types as a playbook (record.c) that tether run replays.
 */
#include "attach.h"
#include "cli.h"

int
cmd_record(int argc, char **argv)
{
	return att_main(argc, argv, "record");
}
