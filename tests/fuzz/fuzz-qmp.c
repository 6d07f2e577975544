/* SPDX-License-Identifier: ISC */
/*
 * fuzz-qmp.c - differential libFuzzer harness for the QMP line reader and
 * id matching in qmp.c: a QMP stream fed in random chunks through
 * qmp_next(), as qmp_read() takes it from a session's view (consumed
 * offset, bytes already searched), must give the same messages and
 * errors as the whole stream at once, never searching a byte twice for
 * a newline; qmp_classify() must take as the answer only a "return" or
 * "error" whose id is exactly the command's (or that has none).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "qmp.h"
#include "tether.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define QMP_ID	"tether-7"

struct reader {
	const char	*p;		/* the stream so far */
	size_t		 len;
	size_t		 consumed;
	size_t		 seen;
	char		*log;		/* what was read, as text */
	size_t		 loglen;
};

/* Returns the next random number. */
static uint32_t
rnd(uint32_t *rng)
{
	*rng = *rng * 1103515245 + 12345;
	return *rng >> 16;
}

static void
log_add(struct reader *rd, const char *s)
{
	size_t	n = strlen(s);
	char	*p;

	if ((p = realloc(rd->log, rd->loglen + n + 1)) == NULL)
		abort();
	rd->log = p;
	memcpy(rd->log + rd->loglen, s, n + 1);
	rd->loglen += n;
}

/* Checks qmp_classify against what the protocol says of msg. */
static int
classify(json_t *msg)
{
	json_t	*id = json_object_get(msg, "id");
	int	 kind = qmp_classify(msg, QMP_ID), want;

	if (json_object_get(msg, "event") != NULL)
		want = QMP_EVENT;
	else if (json_object_get(msg, "return") == NULL &&
	    json_object_get(msg, "error") == NULL)
		want = QMP_OTHER;
	else if (id == NULL || (json_is_string(id) &&
	    json_string_length(id) == strlen(QMP_ID) &&
	    strcmp(json_string_value(id), QMP_ID) == 0))
		want = QMP_ANSWER;
	else
		want = QMP_OTHER;
	if (kind != want)
		abort();
	return kind;
}

/* Reads every whole message there is, logging each. */
static void
drain(struct reader *rd)
{
	json_error_t	 jerr;
	json_t		*msg;
	size_t		 used;
	char		*dump, line[64];
	int		 r;

	for (;;) {
		r = qmp_next(rd->p + rd->consumed, rd->len - rd->consumed,
		    &rd->seen, &used, &msg, &jerr);
		if (used > rd->len - rd->consumed)
			abort();
		/* all that is left is known to hold no newline */
		if (r == 0 && (rd->seen != rd->len - rd->consumed - used ||
		    memchr(rd->p + rd->consumed + used, '\n', rd->seen) !=
		    NULL))
			abort();
		rd->consumed += used;
		if (r == 0)
			return;
		if (r == 1) {
			snprintf(line, sizeof line, "msg %d @%zu: ",
			    classify(msg), rd->consumed);
			log_add(rd, line);
			dump = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS |
			    JSON_ENCODE_ANY);
			log_add(rd, dump != NULL ? dump : "(no dump)");
			log_add(rd, "\n");
			free(dump);
			json_decref(msg);
		} else if (r == TETHER_EPROTO) {
			snprintf(line, sizeof line, "error @%zu: ",
			    rd->consumed);
			log_add(rd, line);
			log_add(rd, jerr.text);
			log_add(rd, "\n");
		} else
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader	 whole, parts;
	uint32_t	 rng;
	size_t		 off, k;
	int		 maxchunk;

	if (size < 2)
		return 0;
	rng = data[0];
	maxchunk = 1 + (data[1] & 0x7f);
	data += 2;
	size -= 2;
	memset(&whole, 0, sizeof whole);
	memset(&parts, 0, sizeof parts);
	whole.p = parts.p = (const char *)data;
	whole.len = size;
	drain(&whole);
	for (off = 0; off < size; off += k) {
		k = 1 + rnd(&rng) % (unsigned)maxchunk;
		if (k > size - off)
			k = size - off;
		parts.len = off + k;
		drain(&parts);
	}
	if (parts.consumed != whole.consumed ||
	    parts.loglen != whole.loglen ||
	    (whole.log != NULL && memcmp(parts.log, whole.log,
	    whole.loglen) != 0)) {
		fprintf(stderr, "fuzz-qmp: whole:\n%s\nin chunks:\n%s\n",
		    whole.log != NULL ? whole.log : "",
		    parts.log != NULL ? parts.log : "");
		abort();
	}
	free(whole.log);
	free(parts.log);
	return 0;
}
