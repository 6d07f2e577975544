/* SPDX-License-Identifier: ISC */
/*
 * value.h - values of the playbook language: immutable, reference counted.
 * Strings are byte strings with a length (NUL and any other byte allowed).
 * Lists and maps nest at most VALUE_MAX_DEPTH levels: the constructors
 * refuse anything deeper, so every walk over a value is bounded.
 */
#ifndef VALUE_H
#define VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Deepest nesting of lists and maps: [[1]] is 2 levels, 1 is 0. */
#define VALUE_MAX_DEPTH	1000
/* The message for a value that would nest deeper than VALUE_MAX_DEPTH. */
#define VALUE_DEPTH_MSG	"value nested deeper than 1000 levels"

enum value_type {
	VAL_NULL,
	VAL_BOOL,
	VAL_INT,
	VAL_DUR,	/* milliseconds */
	VAL_STR,
	VAL_REGEX,	/* source in s, TETHER_RE_* in flags */
	VAL_LIST,
	VAL_MAP,
};

struct value {
	enum value_type	 type;
	int		 refs;
	int64_t		 i;	/* bool, int, duration */
	char		*s;	/* string, regex: len bytes, then a NUL */
	size_t		 len;
	int		 flags;
	struct value	**items;	/* list items, map values */
	char		**keys;		/* map keys, in insertion order */
	size_t		 n;
	size_t		 cap;		/* items (and keys) allocated */
	int		 depth;		/* 0, or 1 + the deepest item's */
};

/* Constructors: each returns a new value with one reference. */
struct value	*value_null(void);
struct value	*value_bool(int);
struct value	*value_int(int64_t);
struct value	*value_dur(int64_t ms);
struct value	*value_str(const char *, size_t);
struct value	*value_strz(const char *);
/* Takes a malloc'd NUL-terminated string of length len. */
struct value	*value_str_own(char *, size_t len);
struct value	*value_regex(const char *, size_t, int flags);
struct value	*value_list(void);
struct value	*value_map(void);
/*
 * Appends v (stolen) to list l, which must have one reference.  Returns 0,
 * or -1 (v dropped, l unchanged) when l would nest deeper than
 * VALUE_MAX_DEPTH.
 */
int		 value_list_push(struct value *l, struct value *v);
/*
 * Sets key to v (stolen) in map m, which must have one reference.  Returns
 * 0, or -1 (v dropped, m unchanged) when m would nest too deeply.
 */
int		 value_map_set(struct value *m, const char *key,
		    struct value *v);

/* Returns v with one more reference. */
struct value	*value_ref(struct value *);
/* Drops a reference (NULL is fine); frees without recursion. */
void		 value_unref(struct value *);

/* Returns the map's value for key (borrowed), or NULL. */
struct value	*value_map_get(const struct value *, const char *key);
/* Returns "string", "int", ... */
const char	*value_type_name(const struct value *);
/* Returns nonzero when v counts as true. */
int		 value_truthy(const struct value *);
/*
 * Returns 0 and the integer in *i when v is an int or a string that holds
 * one (blanks around allowed); -1 otherwise.
 */
int		 value_as_int(const struct value *, int64_t *i);
/*
 * Returns 0 and the milliseconds in *ms when v is a duration, an integer
 * (seconds) or a string that holds one (text_duration(): "250ms", "1.5s",
 * "2m"; blanks around allowed); -1 otherwise.
 */
int		 value_as_duration(const struct value *, int64_t *ms);
/* Returns nonzero when a and b are equal (strings holding ints as ints). */
int		 value_equal(const struct value *, const struct value *);
/* Compares a and b into *cmp (<0, 0, >0).  Returns 0, or -1 if unordered. */
int		 value_compare(const struct value *, const struct value *,
		    int *cmp);
/*
 * Returns a new string of v as interpolation shows it: strings as they
 * are (every byte, NUL-terminated after len bytes), null as "", lists and
 * maps as compact JSON (value_json_text).  *len gets its length.
 */
char		*value_to_string(const struct value *, size_t *len);
/*
 * Returns a new string of v as compact JSON, *len (may be NULL) its
 * length: strings quoted with '"', '\\' and control bytes escaped, every
 * other byte (invalid UTF-8 too) as it is; regexes as strings, durations
 * as milliseconds.
 */
char		*value_json_text(const struct value *, size_t *len);
/* Returns a new string of v for messages: strings quoted. */
char		*value_repr(const struct value *);
/*
 * Returns a new list of the lines of len bytes of s, without their "\n"
 * or "\r\n"; no last empty line when s ends with one.
 */
struct value	*value_lines(const char *s, size_t len);
/* Returns a new string naming a duration: "250ms", "1.5s", "2m". */
char		*value_fmt_duration(int64_t ms);
/*
 * Returns a new value converted from JSON j (NULL gives null), or NULL
 * when j nests deeper than VALUE_MAX_DEPTH (VALUE_DEPTH_MSG).
 */
struct value	*value_from_json(const json_t *);
/* Returns a new JSON value converted from v. */
json_t		*value_to_json(const struct value *);
/* Returns the PCRE2 compile options for TETHER_RE_* flags. */
uint32_t	 value_regex_options(int flags);

#endif /* VALUE_H */
