/* SPDX-License-Identifier: ISC */
/*
 * func.c - the built-in functions of expressions and their table.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "func.h"
#include "interp.h"
#include "sha256.h"
#include "tether.h"
#include "value.h"
#include "xmalloc.h"

/* b64decode(S): the bytes the base64 text S holds (blanks ignored). */
static struct value *
func_b64decode(struct func_call *c)
{
	static const char	 set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	struct value		*a = c->args[0];
	const char		*p;
	char			*out;
	size_t			 i, n = 0, pad = 0, k = 0;
	uint32_t		 acc = 0;

	if (a->type != VAL_STR)
		return func_fail(c, "b64decode() of %s", value_type_name(a));
	out = xmalloc(a->len / 4 * 3 + 4);
	for (i = 0; i < a->len; i++) {
		if (memchr(" \t\r\n", a->s[i], 4) != NULL)
			continue;
		if (a->s[i] == '=' && k >= 2 && pad < 2) {
			pad++;
			acc <<= 6;
			if (++k == 4)
				goto group;
			continue;
		}
		if (pad > 0 || a->s[i] == '\0' ||
		    (p = strchr(set, a->s[i])) == NULL) {
			free(out);
			return func_fail(c, "b64decode(): invalid base64 at "
			    "byte %zu", i);
		}
		acc = acc << 6 | (uint32_t)(p - set);
		if (++k < 4)
			continue;
group:
		out[n++] = (char)(acc >> 16);
		if (pad < 2)
			out[n++] = (char)(acc >> 8);
		if (pad < 1)
			out[n++] = (char)acc;
		acc = 0;
		k = 0;
		if (pad > 0)
			pad = 3;	/* nothing may follow the padding */
	}
	if (k != 0 || pad == 1 || pad == 2) {
		free(out);
		return func_fail(c, "b64decode(): truncated base64 (%zu "
		    "characters left over)", k);
	}
	out[n] = '\0';
	return value_str_own(out, n);
}

/* b64encode(S): the bytes of S in base64 (RFC 4648, padded, one line). */
static struct value *
func_b64encode(struct func_call *c)
{
	static const char	 set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*in;
	char			*s, *out;
	size_t			 len, i, n = 0;
	uint32_t		 acc;

	s = value_to_string(c->args[0], &len);
	in = (const unsigned char *)s;
	out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		acc = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[n++] = set[acc >> 18 & 63];
		out[n++] = set[acc >> 12 & 63];
		out[n++] = set[acc >> 6 & 63];
		out[n++] = set[acc & 63];
	}
	if (i < len) {
		acc = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			acc |= (uint32_t)in[i + 1] << 8;
		out[n++] = set[acc >> 18 & 63];
		out[n++] = set[acc >> 12 & 63];
		out[n++] = i + 1 < len ? set[acc >> 6 & 63] : '=';
		out[n++] = '=';
	}
	out[n] = '\0';
	free(s);
	return value_str_own(out, n);
}

/* defined(NAME): whether variable NAME is set. */
static struct value *
func_defined(struct func_call *c)
{
	struct value	*r;
	char		*s;

	s = value_to_string(c->args[0], NULL);
	r = value_bool(interp_getvar(c->ip, s) != NULL);
	free(s);
	return r;
}

/* env(NAME): the environment variable, or null. */
static struct value *
func_env(struct func_call *c)
{
	const char	*env;
	char		*s;

	s = value_to_string(c->args[0], NULL);
	env = getenv(s);
	free(s);
	return env != NULL ? value_strz(env) : value_null();
}

/*
 * Looks key up in container a (a map by string key, a list by integer
 * index).  Returns 0 with the item (borrowed, NULL when absent) in *v, or
 * -1 with the failure recorded.
 */
static int
func_lookup(struct func_call *c, struct value **v)
{
	struct value	*a = c->args[0], *k = c->args[1];
	int64_t		 i;
	char		*key;

	*v = NULL;
	if (a->type == VAL_MAP) {
		key = value_to_string(k, NULL);
		*v = value_map_get(a, key);
		free(key);
		return 0;
	}
	if (a->type == VAL_LIST) {
		if (value_as_int(k, &i) != 0) {
			func_fail(c, "%s() of a list needs an integer index, "
			    "not %s", c->e->s, value_type_name(k));
			return -1;
		}
		if (i < 0)
			i += (int64_t)a->n;
		if (i >= 0 && (uint64_t)i < a->n)
			*v = a->items[i];
		return 0;
	}
	func_fail(c, "%s() of %s: a map or a list is needed", c->e->s,
	    value_type_name(a));
	return -1;
}

/* get(MAP, KEY [, DEFAULT]): the item, or DEFAULT (null) when absent. */
static struct value *
func_get(struct func_call *c)
{
	struct value	*v;

	if (func_lookup(c, &v) != 0)
		return NULL;
	if (v != NULL)
		return value_ref(v);
	return c->nargs > 2 ? value_ref(c->args[2]) : value_null();
}

/* has(MAP, KEY): whether the map has KEY (a list: index KEY). */
static struct value *
func_has(struct func_call *c)
{
	struct value	*v;

	if (func_lookup(c, &v) != 0)
		return NULL;
	return value_bool(v != NULL);
}

/* hex(N): N in hexadecimal. */
static struct value *
func_hex(struct func_call *c)
{
	struct value	*r;
	int64_t		 n;
	char		*s;

	if (value_as_int(c->args[0], &n) != 0)
		return func_fail(c, "hex() of a %s that holds no integer",
		    value_type_name(c->args[0]));
	s = xasprintf("%llx", (unsigned long long)n);
	r = value_strz(s);
	free(s);
	return r;
}

/* int(V): an integer from an integer, a string holding one, a duration. */
static struct value *
func_int(struct func_call *c)
{
	struct value	*a = c->args[0];
	int64_t		 n;

	if (value_as_int(a, &n) == 0)
		return value_int(n);
	if (a->type == VAL_DUR)
		return value_int(a->i);
	return func_fail(c, "int() of a %s that holds no integer",
	    value_type_name(a));
}

/* json(V): a string parsed as JSON, anything else printed as JSON. */
static struct value *
func_json(struct func_call *c)
{
	struct value	*a = c->args[0], *r = NULL;
	json_t		*j;
	json_error_t	 jerr;
	char		*s;
	size_t		 len;

	if (a->type != VAL_STR) {
		s = value_json_text(a, &len);
		return value_str_own(s, len);
	}
	j = json_loadb(a->s, a->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (j == NULL && json_error_code(&jerr) == json_error_stack_overflow)
		func_fail(c, "json(): %s", VALUE_DEPTH_MSG);
	else if (j == NULL)
		func_fail(c, "json(): %s at line %d column %d", jerr.text,
		    jerr.line, jerr.column);
	else if ((r = value_from_json(j)) == NULL)
		func_fail(c, "json(): %s", VALUE_DEPTH_MSG);
	json_decref(j);
	return r;
}

/* keys(MAP): the keys, in order. */
static struct value *
func_keys(struct func_call *c)
{
	struct value	*a = c->args[0], *l;
	size_t		 i;

	if (a->type != VAL_MAP)
		return func_fail(c, "keys() of %s", value_type_name(a));
	l = value_list();
	for (i = 0; i < a->n; i++)
		value_list_push(l, value_strz(a->keys[i]));
	return l;
}

/* len(V): bytes of a string, items of a list or map. */
static struct value *
func_len(struct func_call *c)
{
	struct value	*a = c->args[0];

	if (a->type == VAL_STR)
		return value_int(a->len);
	if (a->type == VAL_LIST || a->type == VAL_MAP)
		return value_int(a->n);
	return func_fail(c, "len() of %s", value_type_name(a));
}

/* lines(S): the lines of S, without their line ends. */
static struct value *
func_lines(struct func_call *c)
{
	struct value	*r;
	char		*s;
	size_t		 len;

	s = value_to_string(c->args[0], &len);
	r = value_lines(s, len);
	free(s);
	return r;
}

/* range(N): [0, 1, ..., N - 1]. */
static struct value *
func_range(struct func_call *c)
{
	struct value	*l;
	int64_t		 n, i;

	if (value_as_int(c->args[0], &n) != 0 || n < 0 || n > 1000000)
		return func_fail(c, "range() needs an integer 0..1000000");
	l = value_list();
	for (i = 0; i < n; i++)
		value_list_push(l, value_int(i));
	return l;
}

/* re(S): a regex of the text S. */
static struct value *
func_re(struct func_call *c)
{
	struct value	*r;
	char		*s;
	size_t		 len;

	s = value_to_string(c->args[0], &len);
	r = value_regex(s, len, 0);
	free(s);
	return r;
}

/* sha256(S): the SHA-256 of the bytes of S, in lowercase hexadecimal. */
static struct value *
func_sha256(struct func_call *c)
{
	struct sha256	 d;
	char		*s, hex[65];
	size_t		 len;

	s = value_to_string(c->args[0], &len);
	sha256_init(&d);
	sha256_update(&d, s, len);
	sha256_hex(&d, hex);
	free(s);
	return value_strz(hex);
}

/* str(V): V as interpolation shows it. */
static struct value *
func_str(struct func_call *c)
{
	char	*s;
	size_t	 len;

	s = value_to_string(c->args[0], &len);
	return value_str_own(s, len);
}

/* tojson(V): V as compact JSON text; a string becomes a JSON string. */
static struct value *
func_tojson(struct func_call *c)
{
	char	*s;
	size_t	 len;

	s = value_json_text(c->args[0], &len);
	return value_str_own(s, len);
}

/* trim(S): S without blanks and line ends around it. */
static struct value *
func_trim(struct func_call *c)
{
	struct value	*r;
	char		*s, *t;
	size_t		 len;

	s = value_to_string(c->args[0], &len);
	for (t = s; *t == ' ' || *t == '\t' || *t == '\r' || *t == '\n'; t++)
		;
	len -= t - s;
	while (len > 0 && memchr(" \t\r\n", t[len - 1], 4) != NULL)
		len--;
	r = value_str(t, len);
	free(s);
	return r;
}

/* One line per function, sorted. */
static const struct func funcs[] = {
	{ "b64decode",	1, 1, func_b64decode },
	{ "b64encode",	1, 1, func_b64encode },
	{ "defined",	1, 1, func_defined },
	{ "env",	1, 1, func_env },
	{ "get",	2, 3, func_get },
	{ "has",	2, 2, func_has },
	{ "hex",	1, 1, func_hex },
	{ "int",	1, 1, func_int },
	{ "json",	1, 1, func_json },
	{ "keys",	1, 1, func_keys },
	{ "len",	1, 1, func_len },
	{ "lines",	1, 1, func_lines },
	{ "range",	1, 1, func_range },
	{ "re",		1, 1, func_re },
	{ "sha256",	1, 1, func_sha256 },
	{ "str",	1, 1, func_str },
	{ "tojson",	1, 1, func_tojson },
	{ "trim",	1, 1, func_trim },
	{ NULL,		0, 0, NULL },
};

const struct func *
func_table(void)
{
	return funcs;
}

const struct func *
func_find(const char *name)
{
	const struct func	*f;

	for (f = funcs; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

struct value *
func_fail(struct func_call *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	interp_fail(c->ip, &c->e->loc, TETHER_EFAIL, "%s", msg != NULL ? msg :
	    "error");
	free(msg);
	return NULL;
}

struct value *
func_call(const struct func *f, struct func_call *c)
{
	if (c->nargs < f->min || c->nargs > f->max) {
		if (f->min == f->max && f->min == 1)
			return func_fail(c, "%s() takes one argument",
			    f->name);
		if (f->min == f->max)
			return func_fail(c, "%s() takes %zu arguments",
			    f->name, f->min);
		return func_fail(c, "%s() takes %zu to %zu arguments",
		    f->name, f->min, f->max);
	}
	return f->fn(c);
}
