/* SPDX-License-Identifier: ISC */
/*
 * value.c - playbook values: construction, conversion, comparison.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tether.h"
#include "text.h"
#include "value.h"
#include "xmalloc.h"

uint32_t
value_regex_options(int flags)
{
	uint32_t	o = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;

	if (flags & TETHER_RE_CASELESS)
		o |= PCRE2_CASELESS;
	if (flags & TETHER_RE_MULTILINE)
		o |= PCRE2_MULTILINE;
	if (flags & TETHER_RE_DOTALL)
		o |= PCRE2_DOTALL;
	if (flags & TETHER_RE_EXTENDED)
		o |= PCRE2_EXTENDED;
	return o;
}

static struct value *
value_new(enum value_type type)
{
	struct value	*v;

	v = xcalloc(1, sizeof *v);
	v->type = type;
	v->refs = 1;
	return v;
}

struct value *
value_null(void)
{
	return value_new(VAL_NULL);
}

struct value *
value_bool(int b)
{
	struct value	*v = value_new(VAL_BOOL);

	v->i = b != 0;
	return v;
}

struct value *
value_int(int64_t i)
{
	struct value	*v = value_new(VAL_INT);

	v->i = i;
	return v;
}

struct value *
value_dur(int64_t ms)
{
	struct value	*v = value_new(VAL_DUR);

	v->i = ms;
	return v;
}

struct value *
value_str(const char *s, size_t len)
{
	return value_str_own(xstrndup(s, len), len);
}

struct value *
value_strz(const char *s)
{
	return value_str(s, strlen(s));
}

struct value *
value_str_own(char *s, size_t len)
{
	struct value	*v = value_new(VAL_STR);

	v->s = s;
	v->len = len;
	return v;
}

struct value *
value_regex(const char *s, size_t len, int flags)
{
	struct value	*v = value_new(VAL_REGEX);

	v->s = xstrndup(s, len);
	v->len = len;
	v->flags = flags;
	return v;
}

struct value *
value_list(void)
{
	struct value	*v = value_new(VAL_LIST);

	v->depth = 1;
	return v;
}

struct value *
value_map(void)
{
	struct value	*v = value_new(VAL_MAP);

	v->depth = 1;
	return v;
}

/* Makes room for one more item (and key) in a list or map. */
static void
value_grow(struct value *c)
{
	size_t	cap;

	if (c->n < c->cap)
		return;
	cap = c->cap < 4 ? 4 : c->cap * 2;
	c->items = xreallocarray(c->items, cap, sizeof *c->items);
	if (c->type == VAL_MAP)
		c->keys = xreallocarray(c->keys, cap, sizeof *c->keys);
	c->cap = cap;
}

int
value_list_push(struct value *l, struct value *v)
{
	if (v->depth >= VALUE_MAX_DEPTH) {
		value_unref(v);
		return -1;
	}
	value_grow(l);
	l->items[l->n++] = v;
	if (v->depth + 1 > l->depth)
		l->depth = v->depth + 1;
	return 0;
}

int
value_map_set(struct value *m, const char *key, struct value *v)
{
	size_t	i;

	if (v->depth >= VALUE_MAX_DEPTH) {
		value_unref(v);
		return -1;
	}
	if (v->depth + 1 > m->depth)
		m->depth = v->depth + 1;
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->keys[i], key) == 0) {
			value_unref(m->items[i]);
			m->items[i] = v;
			return 0;
		}
	}
	value_grow(m);
	m->keys[m->n] = xstrdup(key);
	m->items[m->n++] = v;
	return 0;
}

struct value *
value_ref(struct value *v)
{
	if (v != NULL)
		v->refs++;
	return v;
}

/* Frees one value whose items have been released already. */
static void
value_free1(struct value *v)
{
	size_t	i;

	if (v->keys != NULL) {
		for (i = 0; i < v->n; i++)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

/*
 * Depth-first with an explicit stack of (container, next item) frames, so
 * that no nesting, however deep, recurses.
 */
void
value_unref(struct value *v)
{
	struct frame {
		struct value	*v;
		size_t		 i;
	}		 fixed[32], *st = fixed, *top;
	struct value	*c;
	size_t		 n = 0, cap = 32;

	if (v == NULL || --v->refs > 0)
		return;
	if (v->n == 0) {
		value_free1(v);
		return;
	}
	st[n].v = v;
	st[n++].i = 0;
	while (n > 0) {
		top = &st[n - 1];
		if (top->i == top->v->n) {
			value_free1(top->v);
			n--;
			continue;
		}
		c = top->v->items[top->i++];
		if (c == NULL || --c->refs > 0)
			continue;
		if (c->n == 0) {
			value_free1(c);
			continue;
		}
		if (n == cap) {
			cap *= 2;
			if (st == fixed) {
				st = xreallocarray(NULL, cap, sizeof *st);
				memcpy(st, fixed, sizeof fixed);
			} else
				st = xreallocarray(st, cap, sizeof *st);
		}
		st[n].v = c;
		st[n++].i = 0;
	}
	if (st != fixed)
		free(st);
}

struct value *
value_map_get(const struct value *m, const char *key)
{
	size_t	i;

	if (m->type != VAL_MAP)
		return NULL;
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->keys[i], key) == 0)
			return m->items[i];
	}
	return NULL;
}

const char *
value_type_name(const struct value *v)
{
	switch (v->type) {
	case VAL_NULL:	return "null";
	case VAL_BOOL:	return "bool";
	case VAL_INT:	return "int";
	case VAL_DUR:	return "duration";
	case VAL_STR:	return "string";
	case VAL_REGEX:	return "regex";
	case VAL_LIST:	return "list";
	case VAL_MAP:	return "map";
	}
	return "value";
}

int
value_truthy(const struct value *v)
{
	switch (v->type) {
	case VAL_NULL:
		return 0;
	case VAL_BOOL:
	case VAL_INT:
	case VAL_DUR:
		return v->i != 0;
	case VAL_STR:
		return v->len != 0;
	case VAL_REGEX:
		return 1;
	case VAL_LIST:
	case VAL_MAP:
		return v->n != 0;
	}
	return 0;
}

static int
str_as_int(const char *s, size_t len, int64_t *out)
{
	const char	*end = s + len;
	int		 neg = 0, digits = 0;
	int64_t		 n = 0;

	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	for (; s < end && isdigit((unsigned char)*s); s++, digits++) {
		if (n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (s != end || digits == 0)
		return -1;
	*out = neg ? -n : n;
	return 0;
}

int
value_as_int(const struct value *v, int64_t *i)
{
	if (v->type == VAL_INT) {
		*i = v->i;
		return 0;
	}
	if (v->type == VAL_STR)
		return str_as_int(v->s, v->len, i);
	return -1;
}

int
value_as_duration(const struct value *v, int64_t *ms)
{
	const char	*s, *end;

	switch (v->type) {
	case VAL_DUR:
		*ms = v->i;
		return 0;
	case VAL_INT:
		if (v->i < 0 || v->i > INT64_MAX / 1000)
			return -1;
		*ms = v->i * 1000;
		return 0;
	case VAL_STR:
		s = v->s;
		end = s + v->len;
		while (s < end && isspace((unsigned char)*s))
			s++;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		return text_duration_n(s, end - s, ms) == 0 ? 0 : -1;
	default:
		return -1;
	}
}

static int
value_is_num(const struct value *v, int64_t *i)
{
	if (v->type == VAL_BOOL)
		return 0;
	return value_as_int(v, i) == 0;
}

int
value_equal(const struct value *a, const struct value *b)
{
	int64_t	x, y;
	size_t	i;

	if (value_is_num(a, &x) && value_is_num(b, &y))
		return x == y;
	if (a->type == VAL_DUR || b->type == VAL_DUR) {
		if (value_as_duration(a, &x) != 0 ||
		    value_as_duration(b, &y) != 0)
			return 0;
		return x == y;
	}
	if ((a->type == VAL_STR || a->type == VAL_REGEX) && a->type == b->type)
		return a->len == b->len && memcmp(a->s, b->s, a->len) == 0 &&
		    a->flags == b->flags;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case VAL_NULL:
		return 1;
	case VAL_BOOL:
		return a->i == b->i;
	case VAL_LIST:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++) {
			if (!value_equal(a->items[i], b->items[i]))
				return 0;
		}
		return 1;
	case VAL_MAP:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++) {
			const struct value *o = value_map_get(b, a->keys[i]);

			if (o == NULL || !value_equal(a->items[i], o))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

int
value_compare(const struct value *a, const struct value *b, int *cmp)
{
	int64_t	x, y;
	size_t	n;
	int	c;

	if (value_is_num(a, &x) && value_is_num(b, &y)) {
		*cmp = (x > y) - (x < y);
		return 0;
	}
	if (a->type == VAL_DUR || b->type == VAL_DUR) {
		if (value_as_duration(a, &x) != 0 ||
		    value_as_duration(b, &y) != 0)
			return -1;
		*cmp = (x > y) - (x < y);
		return 0;
	}
	if (a->type == VAL_STR && b->type == VAL_STR) {
		n = a->len < b->len ? a->len : b->len;
		c = memcmp(a->s, b->s, n);
		if (c == 0)
			c = (a->len > b->len) - (a->len < b->len);
		*cmp = c;
		return 0;
	}
	return -1;
}

struct value *
value_lines(const char *s, size_t len)
{
	struct value	*l = value_list();
	const char	*end = s + len, *nl;
	size_t		 n;

	while (s < end) {
		nl = memchr(s, '\n', end - s);
		n = (nl != NULL ? nl : end) - s;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		value_list_push(l, value_str(s, n));
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return l;
}

char *
value_fmt_duration(int64_t ms)
{
	if (ms != 0 && ms % 3600000 == 0)
		return xasprintf("%" PRId64 "h", ms / 3600000);
	if (ms != 0 && ms % 60000 == 0)
		return xasprintf("%" PRId64 "m", ms / 60000);
	if (ms % 1000 == 0)
		return xasprintf("%" PRId64 "s", ms / 1000);
	if (ms > 1000)
		return xasprintf("%" PRId64 ".%03" PRId64 "s", ms / 1000,
		    ms % 1000);
	return xasprintf("%" PRId64 "ms", ms);
}

/* A growing output string for value_json_text. */
struct text {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

static void
text_add(struct text *t, const char *s, size_t n)
{
	size_t	cap;

	if (t->cap - t->len <= n) {
		cap = t->cap < 64 ? 64 : t->cap;
		while (cap - t->len <= n)
			cap *= 2;
		t->s = xreallocarray(t->s, cap, 1);
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

/* A JSON string as jansson's compact dump writes it, any byte kept. */
static void
text_quote(struct text *t, const char *s, size_t len)
{
	const char	*end = s + len, *run;
	char		 esc[8];
	unsigned char	 c;

	text_add(t, "\"", 1);
	while (s < end) {
		for (run = s; s < end; s++) {
			c = (unsigned char)*s;
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		text_add(t, run, s - run);
		if (s == end)
			break;
		c = (unsigned char)*s++;
		switch (c) {
		case '"':	text_add(t, "\\\"", 2); break;
		case '\\':	text_add(t, "\\\\", 2); break;
		case '\b':	text_add(t, "\\b", 2); break;
		case '\f':	text_add(t, "\\f", 2); break;
		case '\n':	text_add(t, "\\n", 2); break;
		case '\r':	text_add(t, "\\r", 2); break;
		case '\t':	text_add(t, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", c);
			text_add(t, esc, 6);
			break;
		}
	}
	text_add(t, "\"", 1);
}

/* Writes a scalar (anything but a list or a map). */
static void
text_scalar(struct text *t, const struct value *v)
{
	char	num[32];
	int	n;

	switch (v->type) {
	case VAL_BOOL:
		if (v->i)
			text_add(t, "true", 4);
		else
			text_add(t, "false", 5);
		break;
	case VAL_INT:
	case VAL_DUR:
		n = snprintf(num, sizeof num, "%" PRId64, v->i);
		text_add(t, num, n);
		break;
	case VAL_STR:
	case VAL_REGEX:
		text_quote(t, v->s, v->len);
		break;
	default:
		text_add(t, "null", 4);
		break;
	}
}

/*
 * Depth-first with an explicit stack of (container, next item) frames;
 * the output is that of json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) for
 * valid UTF-8, and keeps every other byte as it is.
 */
char *
value_json_text(const struct value *v, size_t *len)
{
	struct frame {
		const struct value	*v;
		size_t			 i;
	}			 fixed[32], *st = fixed, *top;
	const struct value	*c;
	struct text		 t = { NULL, 0, 0 };
	size_t			 n = 0, cap = 32;

	text_add(&t, "", 0);
	c = v;
	for (;;) {
		if (c != NULL && c->type != VAL_LIST && c->type != VAL_MAP)
			text_scalar(&t, c);
		else if (c != NULL) {
			text_add(&t, c->type == VAL_LIST ? "[" : "{", 1);
			if (n == cap) {
				cap *= 2;
				if (st == fixed) {
					st = xreallocarray(NULL, cap,
					    sizeof *st);
					memcpy(st, fixed, sizeof fixed);
				} else
					st = xreallocarray(st, cap,
					    sizeof *st);
			}
			st[n].v = c;
			st[n++].i = 0;
		}
		c = NULL;
		while (n > 0) {
			top = &st[n - 1];
			if (top->i == top->v->n) {
				text_add(&t, top->v->type == VAL_LIST ? "]" :
				    "}", 1);
				n--;
				continue;
			}
			if (top->i > 0)
				text_add(&t, ",", 1);
			if (top->v->type == VAL_MAP) {
				text_quote(&t, top->v->keys[top->i],
				    strlen(top->v->keys[top->i]));
				text_add(&t, ":", 1);
			}
			c = top->v->items[top->i++];
			break;
		}
		if (c == NULL)
			break;
	}
	if (st != fixed)
		free(st);
	if (len != NULL)
		*len = t.len;
	return t.s;
}

char *
value_to_string(const struct value *v, size_t *len)
{
	char	*s;

	switch (v->type) {
	case VAL_NULL:
		s = xstrdup("");
		break;
	case VAL_BOOL:
		s = xstrdup(v->i ? "true" : "false");
		break;
	case VAL_INT:
		s = xasprintf("%" PRId64, v->i);
		break;
	case VAL_DUR:
		s = value_fmt_duration(v->i);
		break;
	case VAL_STR:
		s = xstrndup(v->s, v->len);
		if (len != NULL)
			*len = v->len;
		return s;
	case VAL_REGEX:
		s = xstrndup(v->s, v->len);
		break;
	default:
		return value_json_text(v, len);
	}
	if (len != NULL)
		*len = strlen(s);
	return s;
}

char *
value_repr(const struct value *v)
{
	char	*s, *r, fl[sizeof TEXT_RE_LETTERS];

	switch (v->type) {
	case VAL_NULL:
		return xstrdup("null");
	case VAL_STR:
	case VAL_LIST:
	case VAL_MAP:
		return value_json_text(v, NULL);
	case VAL_REGEX:
		s = xstrndup(v->s, v->len);
		r = xasprintf("/%s/%s", s, text_re_letters(v->flags, fl));
		free(s);
		return r;
	default:
		return value_to_string(v, NULL);
	}
}

/* Converts a JSON scalar (anything but an array or an object). */
static struct value *
value_from_json_scalar(const json_t *j)
{
	double	 d;
	char	*s;

	switch (json_typeof(j)) {
	case JSON_STRING:
		return value_str(json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		return value_int(json_integer_value(j));
	case JSON_REAL:
		d = json_real_value(j);
		if (d > -9e18 && d < 9e18 && d == (double)(int64_t)d)
			return value_int((int64_t)d);
		s = xasprintf("%.17g", d);
		return value_str_own(s, strlen(s));
	case JSON_TRUE:
		return value_bool(1);
	case JSON_FALSE:
		return value_bool(0);
	default:
		return value_null();
	}
}

/*
 * Converts j, found inside `level` arrays and objects: the recursion
 * stops at VALUE_MAX_DEPTH levels.
 */
static struct value *
value_from_json_at(const json_t *j, int level)
{
	struct value	*v, *item;
	const char	*key;
	json_t		*ji;
	size_t		 i;

	if (!json_is_object(j) && !json_is_array(j))
		return value_from_json_scalar(j);
	if (level >= VALUE_MAX_DEPTH)
		return NULL;
	if (json_is_object(j)) {
		v = value_map();
		json_object_foreach((json_t *)j, key, ji) {
			if ((item = value_from_json_at(ji, level + 1)) ==
			    NULL || value_map_set(v, key, item) != 0)
				goto out;
		}
	} else {
		v = value_list();
		json_array_foreach(j, i, ji) {
			if ((item = value_from_json_at(ji, level + 1)) ==
			    NULL || value_list_push(v, item) != 0)
				goto out;
		}
	}
	return v;
out:
	value_unref(v);
	return NULL;
}

struct value *
value_from_json(const json_t *j)
{
	if (j == NULL)
		return value_null();
	return value_from_json_at(j, 0);
}

/* Recursive, bounded by VALUE_MAX_DEPTH like every value. */
json_t *
value_to_json(const struct value *v)
{
	json_t	*j;
	size_t	 i;

	switch (v->type) {
	case VAL_NULL:
		return json_null();
	case VAL_BOOL:
		return json_boolean(v->i);
	case VAL_INT:
	case VAL_DUR:
		return json_integer(v->i);
	case VAL_STR:
	case VAL_REGEX:
		j = json_stringn_nocheck(v->s, v->len);
		return j != NULL ? j : json_null();
	case VAL_LIST:
		j = json_array();
		for (i = 0; i < v->n; i++)
			json_array_append_new(j, value_to_json(v->items[i]));
		return j;
	case VAL_MAP:
		j = json_object();
		for (i = 0; i < v->n; i++)
			json_object_set_new(j, v->keys[i],
			    value_to_json(v->items[i]));
		return j;
	}
	return json_null();
}
