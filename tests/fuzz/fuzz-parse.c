/* SPDX-License-Identifier: ISC */
/*
 * fuzz-parse.c - libFuzzer harness for the playbook language: any input
 * must give a program or a syntax error, never a crash; lint must cope
 * with whatever parsed; the program's constant expressions (set, print,
 * check, json() of deep text, nested list and map literals) evaluate or
 * fail cleanly; and the same bytes, read as JSON and as a program for a
 * small value machine, build values up to and past the depth limit that
 * print, compare, convert and free without recursing without bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "interp.h"
#include "lint.h"
#include "parse.h"
#include "tether.h"
#include "value.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_EVAL	64	/* expressions evaluated per input */

/* Returns nonzero when the len bytes at s are valid UTF-8 for jansson. */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	c;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 1, c = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 2, c = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 3, c = s[i] & 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * Prints, compares and converts v: value_json_text must be what jansson
 * writes for valid UTF-8, and read back it must give an equal value.
 */
static void
check_value(const struct value *v, int plain)
{
	struct value	*back;
	json_t		*j, *k;
	char		*text, *dump, *s;
	size_t		 len, slen;

	text = value_json_text(v, &len);
	s = value_to_string(v, &slen);
	if (!value_equal(v, v))
		abort();
	free(value_repr(v));
	j = value_to_json(v);
	if (j == NULL)
		abort();
	if (utf8_valid((unsigned char *)text, len)) {
		dump = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		if (dump == NULL || strlen(dump) != len ||
		    memcmp(dump, text, len) != 0)
			abort();
		free(dump);
		if (plain) {
			k = json_loadb(text, len, JSON_DECODE_ANY |
			    JSON_ALLOW_NUL, NULL);
			if (k == NULL || (back = value_from_json(k)) == NULL ||
			    !value_equal(v, back))
				abort();
			value_unref(back);
			json_decref(k);
		}
	}
	json_decref(j);
	free(text);
	free(s);
}

/* Returns nonzero when e may run: no def (statements), no big range(). */
static int
expr_safe(const struct ast_expr *e)
{
	size_t	i;

	if (e == NULL)
		return 1;
	if (e->kind == EXPR_CALL && (e->def != NULL ||
	    strcmp(e->s, "range") == 0))
		return 0;
	if (!expr_safe(e->a) || !expr_safe(e->b))
		return 0;
	for (i = 0; i < e->nitems; i++) {
		if (!expr_safe(e->items[i]) ||
		    (e->keys != NULL && !expr_safe(e->keys[i])))
			return 0;
	}
	return 1;
}

static void
eval_one(struct interp *ip, const struct ast_expr *e, const char *set,
    int *budget)
{
	struct value	*v;

	if (e == NULL || *budget <= 0 || !expr_safe(e))
		return;
	(*budget)--;
	if ((v = interp_eval(ip, e)) == NULL) {
		interp_clear_fail(ip);
		return;
	}
	check_value(v, 0);
	if (set != NULL)
		interp_setvar(ip, set, v);
	else
		value_unref(v);
}

/* Evaluates the expressions of the statements at st, sets included. */
static void
eval_block(struct interp *ip, const struct ast_stmt *st, int *budget)
{
	size_t	i;

	for (; st != NULL && *budget > 0; st = st->next) {
		eval_one(ip, st->e1, st->kind == STMT_SET ? st->name : NULL,
		    budget);
		eval_one(ip, st->e2, NULL, budget);
		eval_one(ip, st->e3, NULL, budget);
		for (i = 0; i < st->nwords; i++)
			eval_one(ip, st->words[i]->value, NULL, budget);
		for (i = 0; i < st->nbranches; i++)
			eval_block(ip, st->branches[i]->body, budget);
		eval_block(ip, st->body, budget);
		eval_block(ip, st->alt, budget);
	}
}

static void
fuzz_program(const uint8_t *data, size_t len)
{
	struct ast_program	*prog = NULL;
	struct tether_loop	*loop;
	struct interp		*ip;
	char			*err = NULL;
	int			 nwarn, budget = FUZZ_MAX_EVAL;
	static FILE		*devnull;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	if (parse_text("fuzz.tether", (const char *)data, len, &prog,
	    &err) != 0) {
		if (err == NULL)
			abort();
		free(err);
		return;
	}
	lint_program(prog, devnull, &nwarn);
	if ((loop = tether_loop_new()) == NULL)
		abort();
	ip = interp_new(prog, loop, NULL);
	eval_block(ip, prog->body, &budget);
	interp_free(ip);
	tether_loop_free(loop);
	parse_free(prog);
}

static void
fuzz_json(const uint8_t *data, size_t len)
{
	struct value	*v;
	json_t		*j;

	j = json_loadb((const char *)data, len, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, NULL);
	if (j == NULL)
		return;
	if ((v = value_from_json(j)) != NULL) {
		if (v->depth > VALUE_MAX_DEPTH)
			abort();
		check_value(v, 1);
		value_unref(v);
	}
	json_decref(j);
}

/*
 * A value machine: '[' and '{' open a list or a map, ']' and '}' close
 * one into its parent (a map's item goes under "k" and the next byte),
 * '"' takes the next byte as a string, '0'..'9' are integers, 'n' null,
 * 'x' closes everything open.  Nesting goes past VALUE_MAX_DEPTH: the
 * pushes must refuse it, and what was built must stay within it.
 */
#define VM_STACK	(VALUE_MAX_DEPTH + 64)

static void
vm_add(struct value *parent, struct value *v, int key)
{
	char	k[3] = { 'k', (char)key, '\0' };

	if (k[1] == '\0')
		k[1] = '0';
	/* Too deep: v is dropped, which is what is tested. */
	if (parent->type == VAL_LIST)
		(void)value_list_push(parent, v);
	else
		(void)value_map_set(parent, k, v);
}

static void
fuzz_values(const uint8_t *data, size_t len)
{
	static struct value	*st[VM_STACK];
	struct value		*v;
	size_t			 n = 0, i;
	int			 key;
	char			 c;

	st[n++] = value_list();
	for (i = 0; i < len; i++) {
		key = i + 1 < len ? data[i + 1] : 0;
		v = NULL;
		switch (data[i]) {
		case '[':
		case '{':
			if (n < VM_STACK)
				st[n++] = data[i] == '[' ? value_list() :
				    value_map();
			break;
		case ']':
		case '}':
		case 'x':
			while (n > 1) {
				v = st[--n];
				vm_add(st[n - 1], v, key);
				if (data[i] != 'x')
					break;
			}
			v = NULL;
			break;
		case '"':
			c = (char)key;
			v = value_str(&c, 1);
			i++;
			break;
		case 'n':
			v = value_null();
			break;
		default:
			if (data[i] >= '0' && data[i] <= '9')
				v = value_int(data[i] - '0');
			break;
		}
		if (v != NULL)
			vm_add(st[n - 1], v, key);
	}
	while (n > 1) {
		v = st[--n];
		vm_add(st[n - 1], v, 0);
	}
	if (st[0]->depth > VALUE_MAX_DEPTH)
		abort();
	check_value(st[0], 1);
	value_unref(st[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_program(data, len);
	fuzz_json(data, len);
	fuzz_values(data, len);
	return 0;
}
