/* SPDX-License-Identifier: ISC */
/*
 * qga.h - the QEMU guest agent on a session (qga.c): the qga: row's
 * opening, which synchronises with guest-sync-delimited, and the bytes
 * part of that synchronisation, without the loop (for a fuzz harness).
 */
#ifndef QGA_H
#define QGA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tether.h"

/*
 * The qga: row's open hook (target.c): synchronises with the agent by
 * until; with no time left (until 0: open-within=0, TARGET_OPEN_LATER)
 * it does not wait, and the first command synchronises instead.
 * Returns 0 or a TETHER_E* code with the errmsg set.
 */
int	 qga_open(struct tether_session *, int64_t until);
/*
 * Looks in the len bytes at p for the agent's answer to a
 * guest-sync-delimited: a 0xFF followed by the line {"return": ID} for
 * one of the n ids sent (ids[n - 1] the latest).  Returns 2 when the
 * latest is answered (*used: the bytes up to the end of its line), 1
 * when only an earlier one is (the agent is there), else 0; *used then
 * tells how many bytes need no second look.
 */
int	 qga_sync_scan(const char *p, size_t len, const json_int_t *ids,
	    size_t n, size_t *used);

#endif /* QGA_H */
