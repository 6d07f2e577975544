/* SPDX-License-Identifier: ISC */
/*
 * text.c - durations, string escapes and regex flag letters: one parser
 * each, shared by the library, the language and the command line.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tether.h"
#include "text.h"

/* Digits of a fraction that count: past them, not even a nanosecond. */
#define TEXT_FRAC_DIGITS	9

static const struct {
	const char	*unit;
	int64_t		 ms;
} text_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60000 },
	{ "h", 3600000 },
	{ "", 1000 },
	{ NULL, 0 },
};

static const struct {
	char	letter;
	int	flag;
} text_re_flags[] = {
	{ 'i', TETHER_RE_CASELESS },
	{ 'm', TETHER_RE_MULTILINE },
	{ 's', TETHER_RE_DOTALL },
	{ 'x', TETHER_RE_EXTENDED },
	{ '\0', 0 },
};

static int
text_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* duration = DIGITS [ "." DIGITS ] [ "ms" | "s" | "m" | "h" ] */
int
text_duration_n(const char *s, size_t len, int64_t *ms)
{
	const char	*end = s + len, *u;
	int64_t		 n = 0, frac = 0, scale = 1, mul = -1;
	size_t		 i, ulen;

	if (s == NULL || len == 0 || !text_digit((unsigned char)*s))
		return TETHER_EINVAL;
	for (; s < end && text_digit((unsigned char)*s); s++) {
		if (n > (INT64_MAX - 9) / 10)
			return TETHER_EINVAL;
		n = n * 10 + (*s - '0');
	}
	if (s < end && *s == '.') {
		if (++s == end || !text_digit((unsigned char)*s))
			return TETHER_EINVAL;
		for (i = 0; s < end && text_digit((unsigned char)*s); s++) {
			if (i++ < TEXT_FRAC_DIGITS) {
				frac = frac * 10 + (*s - '0');
				scale *= 10;
			}
		}
	}
	u = s;
	ulen = (size_t)(end - s);
	for (i = 0; text_units[i].unit != NULL; i++) {
		if (strlen(text_units[i].unit) == ulen &&
		    memcmp(text_units[i].unit, u, ulen) == 0) {
			mul = text_units[i].ms;
			break;
		}
	}
	if (mul < 0 || n > INT64_MAX / mul)
		return TETHER_EINVAL;
	/* frac < scale <= 10^9 and mul <= 3.6e6: no overflow. */
	frac = frac * mul / scale;
	if (n * mul > INT64_MAX - frac)
		return TETHER_EINVAL;
	*ms = n * mul + frac;
	return 0;
}

int
text_duration(const char *s, int64_t *ms)
{
	if (s == NULL)
		return TETHER_EINVAL;
	return text_duration_n(s, strlen(s), ms);
}

static int
text_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * escape = "\r" | "\n" | "\t" | "\e" | "\xHH" | "\\" | "\"" | "\$"
 *	| "\" NEWLINE
 */
size_t
text_unescape(const char *s, size_t len, int *c)
{
	int	h1, h2;

	if (len < 2 || s[0] != '\\')
		return 0;
	switch (s[1]) {
	case 'r':
		*c = '\r';
		return 2;
	case 'n':
		*c = '\n';
		return 2;
	case 't':
		*c = '\t';
		return 2;
	case 'e':
		*c = 0x1b;
		return 2;
	case '\\':
	case '"':
	case '$':
		*c = (unsigned char)s[1];
		return 2;
	case '\n':
		*c = -1;
		return 2;
	case 'x':
		if (len < 4 || (h1 = text_hex((unsigned char)s[2])) < 0 ||
		    (h2 = text_hex((unsigned char)s[3])) < 0)
			return 0;
		*c = h1 * 16 + h2;
		return 4;
	}
	return 0;
}

int
text_re_flag(int c)
{
	size_t	i;

	for (i = 0; text_re_flags[i].letter != '\0'; i++) {
		if (text_re_flags[i].letter == c)
			return text_re_flags[i].flag;
	}
	return 0;
}

char *
text_re_letters(int flags, char *buf)
{
	size_t	i, n = 0;

	for (i = 0; text_re_flags[i].letter != '\0'; i++) {
		if (flags & text_re_flags[i].flag)
			buf[n++] = text_re_flags[i].letter;
	}
	buf[n] = '\0';
	return buf;
}
