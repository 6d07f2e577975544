/* SPDX-License-Identifier: ISC */
/*
 * fuzz-monitor-parse.c - libFuzzer harness for HMP output cleaning and
 * the info pci / cpus / status / migrate parsers.  The first byte picks
 * the command, the rest is the monitor's text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "monitor-parse.h"
#include "tether.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const cmds[] = {
	"info pci", "info cpus", "info status", "info migrate",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*cmd;
	char		*text, *clean, *dump;
	json_t		*v;

	if (size == 0)
		return 0;
	cmd = cmds[data[0] % 4];
	data++;
	size--;
	if ((clean = monitor_clean((const char *)data, size, cmd)) == NULL)
		return 0;
	if ((text = malloc(size + 1)) == NULL) {
		free(clean);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	/* The raw text and the cleaned one both go through the parser. */
	v = tether_hmp_parse(cmd, text);
	if (v != NULL && (dump = json_dumps(v, JSON_ENCODE_ANY)) != NULL)
		free(dump);
	json_decref(v);
	v = tether_hmp_parse(cmd, clean);
	if (v != NULL && (dump = json_dumps(v, JSON_ENCODE_ANY)) != NULL)
		free(dump);
	json_decref(v);
	free(text);
	free(clean);
	return 0;
}
