/*
 * fuzz-parse.c - libFuzzer harness for the playbook lexer and parser:
 * any input must give a program or a syntax error, never a crash, and
 * lint must cope with whatever parsed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lint.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ast_program	*prog = NULL;
	char			*err = NULL;
	int			 nwarn;
	static FILE		*devnull;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	if (parse_text("fuzz.tether", (const char *)data, len, &prog,
	    &err) == 0) {
		lint_program(prog, devnull, &nwarn);
		parse_free(prog);
	} else if (err == NULL)
		abort();
	free(err);
	return 0;
}
