/* SPDX-License-Identifier: ISC */
/*
 * buf.c - the one byte buffer: growable, capped, always NUL-terminated.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 want, ncap;
	char	*p;

	if (n > SIZE_MAX / 2 - b->len)
		return TETHER_ENOMEM;
	want = b->len + n;
	if (b->max != 0 && want > b->max)
		return TETHER_ENOMEM;
	if (want <= b->cap && b->data != NULL)
		return 0;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < want)
		ncap *= 2;
	if ((p = realloc(b->data, ncap + 1)) == NULL)
		return TETHER_ENOMEM;
	b->data = p;
	b->cap = ncap;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	int	r;

	if ((r = buf_reserve(b, n)) != 0)
		return r;
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
	char	ch = (char)c;

	return buf_append(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n, r;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return TETHER_EINVAL;
	if ((r = buf_reserve(b, (size_t)n)) != 0)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

const char *
buf_str(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *
buf_steal(struct buf *b)
{
	char	*p;

	if (b->data == NULL)
		return strdup("");
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
