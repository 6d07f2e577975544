/* SPDX-License-Identifier: ISC */
/*
 * transcript.h - a session's raw log and asciicast v2 recording.
 */
#ifndef TRANSCRIPT_H
#define TRANSCRIPT_H

#include <stddef.h>

struct tether_loop;
struct transcript;

/*
 * Opens the raw log and/or the asciicast (either path may be NULL), the
 * asciicast header giving the window size; write errors are reported to
 * loop (tether_loop_lost).  Returns the transcript or NULL with errno set.
 */
struct transcript *transcript_open(struct tether_loop *,
	    const char *log_path, const char *cast_path, int cols, int rows);
/*
 * Records n received bytes.  Secrets are replaced by ******** in both
 * files (redact.h); a tail that could begin one is held back until it
 * cannot.
 */
void	 transcript_write(struct transcript *, const char *, size_t n,
	    char *const *secrets, size_t nsecrets);
/* Records a window size change in the asciicast ("r" event). */
void	 transcript_resize(struct transcript *, int cols, int rows);
/* Writes out the pending asciicast event (never what is held back). */
void	 transcript_flush(struct transcript *);
/*
 * Writes what is held back (a leading part of a secret masked), closes
 * and frees (NULL is fine).
 */
void	 transcript_close(struct transcript *, char *const *secrets,
	    size_t nsecrets);

#endif /* TRANSCRIPT_H */
