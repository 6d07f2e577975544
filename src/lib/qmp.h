/* SPDX-License-Identifier: ISC */
/*
 * qmp.h - the part of QMP (qmp.c) that works on bytes, without the loop:
 * the line reader and which message answers which command.  The session
 * (or a fuzz harness) feeds the bytes.  The reader is told how many bytes
 * it already searched for a newline (seen, kept by the caller while the
 * text only grows), so each byte is searched once however the text
 * arrives.
 */
#ifndef QMP_H
#define QMP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tether.h"

enum {
	QMP_EVENT = 1,		/* {"event": ...} */
	QMP_ANSWER,		/* the answer to the command asked */
	QMP_OTHER,		/* a greeting, an answer to another command */
};

/*
 * The qmp: row's open hook (target.c): reads the greeting and negotiates
 * capabilities.  Returns 0 or a TETHER_E* code with the errmsg set.
 */
int	 qmp_open(struct tether_session *, int64_t deadline);
/*
 * Takes the next message from the len unread bytes at p (*seen of them
 * hold no newline).  Returns 1 and *msg (a new reference), 0 for none yet
 * or TETHER_EPROTO (why in jerr); *used bytes were read.
 */
int	 qmp_next(const char *p, size_t len, size_t *seen, size_t *used,
	    json_t **msg, json_error_t *jerr);
/*
 * Returns what msg is to the command sent with id: QMP_EVENT, QMP_ANSWER
 * (a "return" or "error" with that id, or with none, as QEMU answers a
 * line it could not parse) or QMP_OTHER.
 */
int	 qmp_classify(json_t *msg, const char *id);

#endif /* QMP_H */
