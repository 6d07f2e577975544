/* SPDX-License-Identifier: ISC */
/*
 * buf.h - the one byte buffer: growable, capped, always NUL-terminated.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "tether.h"

struct buf {
	char	*data;		/* NUL-terminated; NULL until first append */
	size_t	 len;		/* bytes held */
	size_t	 cap;		/* bytes allocated, excluding the NUL */
	size_t	 max;		/* cap on len, 0 for none */
};

/* Initialises an empty buffer that may hold at most max bytes (0: any). */
void	 buf_init(struct buf *, size_t max);
/* Frees the storage; the buffer is empty and usable again. */
void	 buf_free(struct buf *);
/* Appends n bytes.  Returns 0, or TETHER_ENOMEM past max or malloc. */
int	 buf_append(struct buf *, const void *, size_t n) TETHER_WUR;
/* Appends a NUL-terminated string. */
int	 buf_puts(struct buf *, const char *) TETHER_WUR;
/* Appends one byte. */
int	 buf_putc(struct buf *, int) TETHER_WUR;
/* Appends formatted text. */
int	 buf_printf(struct buf *, const char *, ...) TETHER_WUR
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list) TETHER_WUR;
/* Removes n bytes from the front (all when n >= len). */
void	 buf_consume(struct buf *, size_t n);
/* Empties the buffer, keeping its storage. */
void	 buf_reset(struct buf *);
/* Returns the data as a string ("" when empty); never NULL. */
const char *buf_str(const struct buf *);
/* Returns the data as a malloc'd string the caller owns, and empties. */
char	*buf_steal(struct buf *) TETHER_WUR;
/* Makes room for n more bytes; returns 0 or TETHER_ENOMEM. */
int	 buf_reserve(struct buf *, size_t n) TETHER_WUR;

#endif /* BUF_H */
