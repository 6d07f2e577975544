/* SPDX-License-Identifier: ISC */
/*
 * text.h - the one grammar of the small texts every layer reads: the
 * duration, the escapes of a quoted string and the regex flag letters.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>
#include <stdint.h>

/* The escapes text_unescape() knows, for messages. */
#define TEXT_ESCAPES	"\\r \\n \\t \\e \\xHH \\\\ \\\" \\$"
/* The regex flag letters, in the order text_re_letters() writes them. */
#define TEXT_RE_LETTERS	"imsx"

/*
 * Parses a duration: DIGITS [ "." DIGITS ] [ "ms" | "s" | "m" | "h" ],
 * seconds without a unit ("250ms", "1.5s", "2m", "0.5"); a fraction is
 * truncated to whole milliseconds.  Returns 0 and the milliseconds in
 * *ms, or TETHER_EINVAL (*ms unchanged).
 */
int	 text_duration(const char *s, int64_t *ms);
/* text_duration() of len bytes of s (no NUL needed). */
int	 text_duration_n(const char *s, size_t len, int64_t *ms);

/*
 * Decodes the one escape at s (s[0] is the backslash, len bytes there):
 * \r \n \t \e \xHH \\ \" \$, or a backslash-newline, which stands for
 * nothing.  Returns the bytes it takes (2 or 4) and the byte in *c (-1
 * for a backslash-newline), or 0 when it is no escape.
 */
size_t	 text_unescape(const char *s, size_t len, int *c);

/* Returns the TETHER_RE_* flag of regex flag letter c, or 0. */
int	 text_re_flag(int c);
/*
 * Writes the letters of TETHER_RE_* flags into buf, which has room for
 * sizeof TEXT_RE_LETTERS bytes, NUL-terminated.  Returns buf.
 */
char	*text_re_letters(int flags, char *buf);

#endif /* TEXT_H */
