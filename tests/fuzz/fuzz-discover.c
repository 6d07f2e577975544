/* SPDX-License-Identifier: ISC */
/*
 * fuzz-discover.c - libFuzzer harness for discover's QEMU command-line
 * parser (tether_qemu_endpoints): the input is split into argv at NULs,
 * as /proc/PID/cmdline is.  The result must be a JSON object with the
 * four endpoint lists, each entry a map whose "uri" is a string or null.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tether.h"

#define ARGV_MAX	512

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_list(json_t *j, const char *key)
{
	json_t	*a, *e, *u;
	size_t	 i;

	if ((a = json_object_get(j, key)) == NULL || !json_is_array(a))
		abort();
	json_array_foreach(a, i, e) {
		if (!json_is_object(e))
			abort();
		u = json_object_get(e, "uri");
		if (u != NULL && !json_is_string(u) && !json_is_null(u))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf, *argv[ARGV_MAX + 1], *dump;
	json_t	*j;
	size_t	 i, start = 0;
	int	 argc = 0;

	/* Each argument in its own allocation: an overread is seen. */
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i <= size && argc < ARGV_MAX; i++) {
		if (i < size && buf[i] != '\0')
			continue;
		if (i == size && i == start && argc > 0)
			break;	/* the cmdline's final NUL */
		if ((argv[argc] = strndup(buf + start, i - start)) == NULL)
			abort();
		argc++;
		start = i + 1;
	}
	argv[argc] = NULL;
	if ((j = tether_qemu_endpoints(argc, argv)) == NULL ||
	    !json_is_object(j))
		abort();
	check_list(j, "serial");
	check_list(j, "monitor");
	check_list(j, "qmp");
	check_list(j, "hostfwd");
	if ((dump = json_dumps(j, JSON_COMPACT)) == NULL)
		abort();
	free(dump);
	json_decref(j);
	for (i = 0; i < (size_t)argc; i++)
		free(argv[i]);
	free(buf);
	return 0;
}
