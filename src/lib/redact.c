/*
 * redact.c - the redaction engine: secrets replaced by ******** in every
 * byte stream and string tether writes out.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "loop.h"
#include "tether.h"

char *
tether_loop_redact(struct tether_loop *loop, const char *str, size_t len,
    size_t *outlen)
{
	struct buf	 b;
	char *const	*sec;
	const char	*hit, *h;
	size_t		 i, n, at = 0, sl = 0, l;

	sec = loop_secrets(loop, &n);
	buf_init(&b, 0);
	for (;;) {
		hit = NULL;
		for (i = 0; i < n; i++) {
			l = strlen(sec[i]);
			h = memmem(str + at, len - at, sec[i], l);
			if (h != NULL && (hit == NULL || h < hit)) {
				hit = h;
				sl = l;
			}
		}
		if (hit == NULL)
			break;
		if (buf_append(&b, str + at, (size_t)(hit - str) - at) != 0 ||
		    buf_puts(&b, "********") != 0)
			goto fail;
		at = (size_t)(hit - str) + sl;
	}
	if (buf_append(&b, str + at, len - at) != 0)
		goto fail;
	if (outlen != NULL)
		*outlen = b.len;
	return buf_steal(&b);
fail:
	buf_free(&b);
	return NULL;
}
