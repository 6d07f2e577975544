/*
 * transcript.h - a session's raw log and asciicast v2 recording.
 */
#ifndef TRANSCRIPT_H
#define TRANSCRIPT_H

#include <stddef.h>

struct transcript;

/*
 * Opens the raw log and/or the asciicast (either path may be NULL).
 * Returns the transcript or NULL with errno set.
 */
struct transcript *transcript_open(const char *log_path,
	    const char *cast_path, int cols, int rows);
/*
 * Records n received bytes.  Secrets are replaced by ******** in both
 * files; a tail that could begin a secret is held back until it cannot.
 */
void	 transcript_write(struct transcript *, const char *, size_t n,
	    char *const *secrets, size_t nsecrets);
/* Writes out what is held back and flushes both files. */
void	 transcript_flush(struct transcript *);
/* Flushes, closes and frees (NULL is fine). */
void	 transcript_close(struct transcript *);

#endif /* TRANSCRIPT_H */
