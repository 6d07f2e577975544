/* SPDX-License-Identifier: ISC */
/*
 * sha256.h - SHA-256 (FIPS 180-4) over bytes given in any number of
 * pieces.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t	 h[8];
	uint64_t	 len;
	unsigned char	 blk[64];
	size_t		 n;
};

/* Starts a digest. */
void	 sha256_init(struct sha256 *);
/* Adds n bytes at data. */
void	 sha256_update(struct sha256 *, const void *data, size_t n);
/* Ends the digest: writes it as 64 hex digits and a NUL into hex. */
void	 sha256_hex(struct sha256 *, char hex[65]);

#endif /* SHA256_H */
