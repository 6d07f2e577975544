/* SPDX-License-Identifier: ISC */
/*
 * test-hmp-error.c - tether_hmp_error on texts QEMU 7.2's human monitor
 * prints (refusals, and outputs that merely contain their words).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tether.h"

/* Asserts that text refuses cmd with message want (NULL: no refusal). */
static void
check(const char *cmd, const char *text, const char *want)
{
	char	*msg = NULL;
	int	 r;

	r = tether_hmp_error(cmd, text, &msg);
	if (want == NULL) {
		assert_int_equal(r, 0);
		assert_null(msg);
		return;
	}
	assert_int_equal(r, 1);
	assert_non_null(msg);
	assert_string_equal(msg, want);
	free(msg);
	assert_int_equal(tether_hmp_error(cmd, text, NULL), 1);
}

static void
test_refusals(void **state)
{
	(void)state;
	check("sendkey nosuchkey", "invalid parameter: nosuchkey\n",
	    "invalid parameter: nosuchkey");
	check("migrate", "migrate: string expected\n"
	    "Try \"help migrate\" for more information\n",
	    "migrate: string expected");
	check("info status foo", "status: extraneous characters at the end "
	    "of line\nTry \"help info status\" for more information\n",
	    "status: extraneous characters at the end of line");
	check("cpu 99", "invalid CPU index\n", "invalid CPU index");
	check("nosuch", "unknown command: 'nosuch'\n",
	    "unknown command: 'nosuch'");
	check("info nosuch", "unknown command: 'info nosuch'\n",
	    "unknown command: 'info nosuch'");
	check("device_add x", "Error: 'x' is not a valid device model name\n",
	    "Error: 'x' is not a valid device model name");
	check("memsave 0 10 /x/y", "Could not open '/x/y'\n",
	    "Could not open '/x/y'");
	check("migrate -b tcp:h:1", "progress line\nError: it failed\n",
	    "progress line Error: it failed");
	check("info registers", "No CPU available\n", "No CPU available");
}

static void
test_not_refusals(void **state)
{
	(void)state;
	check("info status", "VM status: running\n", NULL);
	check("stop", "", NULL);
	check("info chardev", "Error: filename=null\n"
	    "compat_monitor0: filename=unix:/tmp/hmp,server=on\n", NULL);
	check("info network", "Error: index=0,type=user,net=10.0.2.0,"
	    "restrict=off\n", NULL);
	/* words of a refusal inside a line, or not at the first line */
	check("info qtree", "  dev: e1000, id \"Error: x\"\n", NULL);
	check("info chardev", "a: filename=pty\nError: filename=null\n",
	    NULL);
	check("info history", "0: 'invalid CPU index'\n", NULL);
	check("help sendkey", "sendkey keys [hold_ms] -- send keys to the "
	    "VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)\n",
	    NULL);
	check("info status", "Try \"help\" later\n", NULL);
	check(NULL, "Error: x\n", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_not_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
