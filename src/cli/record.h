/* SPDX-License-Identifier: ISC */
/*
 * record.h - tether record: what the user does in an attach, turned into
 * a playbook: an open per session, and per typed line an expect on the
 * prompt that preceded it and a sendline (send for control keys); lines
 * typed where echo was off become sendline -secret with the password
 * read from the environment, and never reach the file.
 */
#ifndef RECORD_H
#define RECORD_H

#include <stddef.h>

#include "interact.h"
#include "tether.h"

struct rec;

/*
 * Returns a recorder that writes the playbook to path when it ends, or
 * NULL after a message (path cannot be written).
 */
struct rec *rec_new(const char *path);
/*
 * Records the open of session name at uri with its options (password
 * options become environment placeholders).  Returns 0 or -1 (memory).
 */
int	 rec_open(struct rec *, const char *name, const char *uri,
	    const struct tether_opt *, size_t nopts);
/* Returns the tap that feeds the recorder the keys and the output. */
const struct ia_tap *rec_tap(struct rec *);
/* Writes out the lines typed so far (before a prompt statement). */
void	 rec_settle(struct rec *);
/*
 * Records a statement typed at the attach prompt, as it ran; one that
 * sends to session to (may be NULL) comes after an expect on its prompt.
 */
void	 rec_statement(struct rec *, const char *src, size_t len,
	    struct tether_session *to);
/*
 * Writes the playbook, says so on stderr (with the password variables)
 * and frees the recorder.  Returns the number of statements written, or
 * -1 after a message.
 */
int	 rec_finish(struct rec *);
/* Removes the playbook begun (attach failed to start) and frees r. */
void	 rec_abort(struct rec *);

#endif /* RECORD_H */
