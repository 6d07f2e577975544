/* SPDX-License-Identifier: ISC */
/*
 * test-parse.c - unit tests of the playbook parser: the tree it builds,
 * the messages of syntax errors and the bounds it keeps; and of values:
 * their depth limit, byte strings and JSON text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ast.h"
#include "builtin.h"
#include "parse.h"
#include "tether.h"
#include "value.h"

static struct ast_program *
parse_ok(const char *src)
{
	struct ast_program	*prog;
	char			*err;

	if (parse_text("t.tether", src, strlen(src), &prog, &err) != 0) {
		print_error("unexpected error: %s\n", err);
		free(err);
		fail();
	}
	return prog;
}

static char *
parse_err(const char *src)
{
	struct ast_program	*prog;
	char			*err;

	assert_int_equal(parse_text("t.tether", src, strlen(src), &prog,
	    &err), -1);
	assert_null(prog);
	assert_non_null(err);
	return err;
}

static void
test_statements(void **state)
{
	struct ast_program	*p;
	struct ast_stmt		*st;

	p = parse_ok("open c \"spawn:cat\" connect-within=5s\n"
	    "sendline -secret c $pw; send -pace 10ms c \"x\"\n"
	    "expect c /x/ timeout 1s\n");
	st = p->body;
	assert_int_equal(st->kind, STMT_OPEN);
	assert_string_equal(st->sess->bare, "c");
	assert_int_equal(st->nwords, 2);
	assert_string_equal(st->words[1]->key, "connect-within");
	st = st->next;
	assert_int_equal(st->kind, STMT_SEND);
	assert_int_equal(st->flags, SEND_LINE | SEND_SECRET);
	assert_int_equal(st->e1->kind, EXPR_VAR);
	st = st->next;
	assert_int_equal(st->kind, STMT_SEND);
	assert_non_null(st->e2);
	st = st->next;
	assert_int_equal(st->kind, STMT_EXPECT);
	assert_true(st->flags & EXPECT_SIMPLE);
	assert_int_equal(st->branches[0]->pat->value->kind, EXPR_REGEX);
	assert_non_null(st->e1);
	assert_null(st->next);
	parse_free(p);
}

static void
test_expect_branches(void **state)
{
	struct ast_program	*p;
	struct ast_stmt		*st;

	p = parse_ok("expect a {\n"
	    "  /login:/ { again }\n"
	    "  b \"lit\" { }\n"
	    "  b eof { }\n"
	    "  timeout 5s { }\n"
	    "  idle 1s { }\n"
	    "  eof { }\n"
	    "}\n");
	st = p->body;
	assert_int_equal(st->nbranches, 6);
	assert_int_equal(st->branches[0]->kind, BRANCH_PATTERN);
	assert_int_equal(st->branches[0]->body->kind, STMT_AGAIN);
	assert_string_equal(st->branches[1]->sess->bare, "b");
	assert_int_equal(st->branches[2]->kind, BRANCH_EOF);
	assert_non_null(st->branches[2]->sess);
	assert_int_equal(st->branches[3]->kind, BRANCH_TIMEOUT);
	assert_int_equal(st->branches[4]->kind, BRANCH_IDLE);
	assert_int_equal(st->branches[5]->kind, BRANCH_EOF);
	parse_free(p);
}

static void
test_expressions(void **state)
{
	struct ast_program	*p;
	struct ast_expr		*e;

	p = parse_ok("set x = 1 + 2 * 3 == 7 and not false\n"
	    "check ${#a.b[0]} >= 3 \"msg\"\n"
	    "set m = {a: [1, 2], \"b\": 30s}\n"
	    "print \"v=${m.a[1]} $x\"\n");
	e = p->body->e1;
	assert_int_equal(e->kind, EXPR_AND);
	assert_int_equal(e->a->kind, EXPR_BIN);
	assert_int_equal(e->a->op, OP_EQ);
	assert_int_equal(e->a->a->op, OP_ADD);
	assert_int_equal(e->a->a->b->op, OP_MUL);
	e = p->body->next->e1;
	assert_int_equal(e->op, OP_GE);
	assert_int_equal(e->a->kind, EXPR_LEN);
	assert_int_equal(e->a->a->kind, EXPR_INDEX);
	assert_int_equal(e->a->a->a->kind, EXPR_FIELD);
	assert_non_null(p->body->next->e2);
	e = p->body->next->next->e1;
	assert_int_equal(e->kind, EXPR_MAP);
	assert_int_equal(e->nitems, 2);
	assert_int_equal(e->items[1]->kind, EXPR_DUR);
	assert_int_equal(e->items[1]->i, 30000);
	e = p->body->next->next->next->e1;
	assert_int_equal(e->kind, EXPR_STR);
	assert_int_equal(e->nitems, 4);
	parse_free(p);
}

static void
test_control(void **state)
{
	struct ast_program	*p;
	struct ast_stmt		*st;

	p = parse_ok("if a { } elif b { } else { }\n"
	    "for i in range(3) { log \"$i\" }\n"
	    "retry within 10s every 1s { }\nretry 3 { }\n"
	    "def f(x, y) { return x + y }\nf(1, 2)\n"
	    "step \"s\" { finally { } }\n");
	st = p->body;
	assert_int_equal(st->kind, STMT_IF);
	assert_int_equal(st->alt->kind, STMT_IF);
	assert_int_equal(st->alt->alt->kind, STMT_BLOCK);
	st = st->next;
	assert_int_equal(st->kind, STMT_FOR);
	assert_string_equal(st->name, "i");
	st = st->next;
	assert_int_equal(st->kind, STMT_RETRY);
	assert_null(st->e1);
	assert_non_null(st->e2);
	assert_non_null(st->e3);
	st = st->next;
	assert_non_null(st->e1);
	st = st->next;
	assert_int_equal(st->kind, STMT_DEF);
	assert_non_null(ast_def_find(p, "f"));
	assert_int_equal(ast_def_find(p, "f")->nparams, 2);
	st = st->next;
	assert_int_equal(st->kind, STMT_CALL);
	assert_ptr_equal(st->e1->def, ast_def_find(p, "f"));
	parse_free(p);
}

/* while, break and continue: where a loop is, and only there. */
static void
test_loops(void **state)
{
	struct ast_program	*p;
	struct ast_stmt		*st;
	char			*err;

	p = parse_ok("while a < 3 { if a { break } else { continue } }\n"
	    "for i in [1] { expect c { /x/ { break } } }\n"
	    "for i in [1] { retry 2 { step \"s\" { continue } } }\n");
	st = p->body;
	assert_int_equal(st->kind, STMT_WHILE);
	assert_non_null(st->e1);
	assert_int_equal(st->body->kind, STMT_IF);
	assert_int_equal(st->body->body->kind, STMT_BREAK);
	assert_int_equal(st->body->alt->body->kind, STMT_CONTINUE);
	st = st->next;
	assert_int_equal(st->body->branches[0]->body->kind, STMT_BREAK);
	parse_free(p);
	err = parse_err("print 1\n  break\n");
	assert_string_equal(err, "t.tether:2:3: break outside a for or while "
	    "loop\n  break\n  ^");
	free(err);
	err = parse_err("while true { def f() { continue } }\n");
	assert_non_null(strstr(err, "continue outside"));
	free(err);
	err = parse_err("for i in [1] { }\ndef f() { for j in [1] { }\n"
	    "continue }\n");
	assert_non_null(strstr(err, "t.tether:3:1: continue outside a for or "
	    "while loop"));
	free(err);
	err = parse_err("while true { finally { break } }\n");
	assert_non_null(strstr(err, "1:24: break outside"));
	free(err);
	err = parse_err("while true { watch c /x/ { break } }\n");
	assert_non_null(strstr(err, "1:28: break outside"));
	free(err);
	err = parse_err("while { }\n");
	assert_non_null(err);
	free(err);
}

static void
test_verbs(void **state)
{
	struct ast_program	*p;
	struct ast_stmt		*st;

	p = parse_ok("run con \"uname -r\" -> kernel timeout 5s\n"
	    "qmp mon \"device_add\" {driver: \"e1000\"} -> r\n"
	    "launch vm0 qemu -m 256 -nic user,hostfwd=tcp::2222-:22\n");
	st = p->body;
	assert_int_equal(st->kind, STMT_BUILTIN);
	assert_string_equal(st->bi->name, "run");
	assert_string_equal(st->name, "kernel");
	assert_int_equal(st->nwords, 4);
	st = st->next;
	assert_int_equal(st->words[2]->value->kind, EXPR_MAP);
	st = st->next;
	assert_int_equal(st->nwords, 6);
	assert_string_equal(st->words[5]->bare,
	    "user,hostfwd=tcp::2222-:22");
	parse_free(p);
}

static void
test_errors(void **state)
{
	char	*err;

	err = parse_err("print 1\nfrob x\n");
	assert_string_equal(err, "t.tether:2:1: unknown statement 'frob'\n"
	    "frob x\n^");
	free(err);
	err = parse_err("expect c /a(/\n");
	assert_non_null(strstr(err, "t.tether:1:13: bad regex"));
	free(err);
	err = parse_err("\tset x = \"\\q\"\n");
	assert_string_equal(err, "t.tether:1:11: unknown escape \\q (known: "
	    "\\r \\n \\t \\e \\xHH \\\\ \\\" \\$)\n"
	    "\tset x = \"\\q\"\n\t         ^");
	free(err);
	err = parse_err("again\n");
	assert_non_null(strstr(err, "again outside an expect branch"));
	free(err);
	err = parse_err("return 1\n");
	assert_non_null(strstr(err, "return outside a def"));
	free(err);
	err = parse_err("print f(1)\n");
	assert_non_null(strstr(err, "unknown function f()"));
	free(err);
	err = parse_err("if x {\n");
	assert_non_null(strstr(err, "1:6: this '{' is never closed"));
	free(err);
	err = parse_err("print 1 2\n");
	assert_non_null(strstr(err, "expected the end of the statement"));
	free(err);
	err = parse_err("def f() { }\ndef f() { }\n");
	assert_non_null(strstr(err, "f is already defined"));
	free(err);
}

static void
test_deep_nesting(void **state)
{
	char	*src, *err;
	size_t	 i, n = 5000;

	src = malloc(n * 2 + 16);
	strcpy(src, "set x = ");
	for (i = 0; i < n; i++)
		strcat(src, "(");
	err = parse_err(src);
	assert_non_null(strstr(err, "nested too deeply"));
	free(err);
	free(src);
}

/* Returns n copies of s followed by tail (caller frees). */
static char *
repeat(const char *head, const char *s, size_t n, const char *tail)
{
	size_t	 l = strlen(s), i;
	char	*r, *p;

	r = malloc(strlen(head) + l * n + strlen(tail) + 1);
	strcpy(r, head);
	p = r + strlen(r);
	for (i = 0; i < n; i++, p += l)
		memcpy(p, s, l);
	strcpy(p, tail);
	return r;
}

static void
test_open_brace_notes(void **state)
{
	char	*err;

	err = parse_err("step \"s\" {\n  expect c {\n    /a/ { }\n");
	assert_string_equal(err, "t.tether:4:1: expected a pattern, timeout, "
	    "idle or eof, found end of file\n\n^\n"
	    "t.tether:2:12: note: '{' opened here\n"
	    "t.tether:1:10: note: '{' opened here");
	free(err);
	/* The '{' the message names is not a note again. */
	err = parse_err("if a {\n  if b {\n");
	assert_string_equal(err, "t.tether:2:8: this '{' is never closed\n"
	    "  if b {\n       ^\n"
	    "t.tether:1:6: note: '{' opened here");
	free(err);
	/* Not at the end of the file: no notes. */
	err = parse_err("if a {\n  frob\n");
	assert_null(strstr(err, "note:"));
	free(err);
	/* The end of a string's ${...} is not the end of the file. */
	err = parse_err("step \"s\" {\n  print \"${1 +}\"\n}\n");
	assert_null(strstr(err, "note:"));
	free(err);
}

static void
test_bounds(void **state)
{
	struct ast_program	*p;
	char			*src, *err;

	/* A chain of 1000 operators parses, 1001 is an error. */
	src = repeat("print 1", " + 1", 999, "\n");
	p = parse_ok(src);
	parse_free(p);
	free(src);
	src = repeat("print 1", " + 1", 300000, "\n");
	err = parse_err(src);
	assert_non_null(strstr(err, "t.tether:1:7: expression nested too "
	    "deeply"));
	assert_true(strlen(err) < 1000);	/* the line is cut */
	free(err);
	free(src);
	src = repeat("set x = a", ".b", 5000, "\n");
	err = parse_err(src);
	assert_non_null(strstr(err, "expression nested too deeply"));
	free(err);
	free(src);
	/* 1000 elif branches, not more. */
	src = repeat("if a { }", " elif a { }", 1000, "\n");
	p = parse_ok(src);
	parse_free(p);
	free(src);
	src = repeat("if a { }", "\nelif a { }", 200000, "\n");
	err = parse_err(src);
	assert_non_null(strstr(err, "t.tether:1002:1: more than 1000 elif"));
	free(err);
	free(src);
	/* Strings inside ${...} inside strings. */
	src = repeat("print ", "\"${", 100000, "");
	err = parse_err(src);
	assert_non_null(strstr(err, "strings nested too deeply"));
	free(err);
	free(src);
}

static void
test_source_lines(void **state)
{
	struct ast_program	*p;
	const char		*line;
	size_t			 len;
	char			*src;

	src = repeat("", "print 1\n", 100000, "print 2");
	p = parse_ok(src);
	line = ast_source_line(p, "t.tether", 100001, &len);
	assert_non_null(line);
	assert_int_equal(len, 7);
	assert_memory_equal(line, "print 2", 7);
	line = ast_source_line(p, "t.tether", 1, &len);
	assert_int_equal(len, 7);
	assert_null(ast_source_line(p, "t.tether", 100002, &len));
	assert_null(ast_source_line(p, "other.tether", 1, &len));
	parse_free(p);
	free(src);
}

static void
test_value_depth(void **state)
{
	struct value	*v, *w;
	json_t		*j, *k;
	int		 i;

	v = value_list();
	for (i = 1; i < VALUE_MAX_DEPTH; i++) {
		w = value_list();
		assert_int_equal(value_list_push(w, v), 0);
		v = w;
	}
	assert_int_equal(v->depth, VALUE_MAX_DEPTH);
	w = value_list();
	assert_int_equal(value_list_push(w, value_ref(v)), -1);
	assert_int_equal(w->n, 0);
	value_unref(w);
	w = value_map();
	assert_int_equal(value_map_set(w, "k", value_ref(v)), -1);
	assert_int_equal(w->n, 0);
	value_unref(w);
	value_unref(v);

	/* JSON: 1000 levels convert, 1001 do not. */
	j = json_array();
	for (i = 1; i < VALUE_MAX_DEPTH; i++) {
		k = json_array();
		json_array_append_new(k, j);
		j = k;
	}
	assert_non_null(v = value_from_json(j));
	assert_int_equal(v->depth, VALUE_MAX_DEPTH);
	value_unref(v);
	k = json_object();
	json_object_set_new(k, "a", j);
	assert_null(value_from_json(k));
	json_decref(k);
}

static void
test_value_bytes(void **state)
{
	struct value	*a, *b, *l;
	json_t		*j;
	char		*s, *d;
	size_t		 len;

	a = value_str("a\0b\xff", 4);
	b = value_str("a\0c\xff", 4);
	assert_false(value_equal(a, b));
	s = value_to_string(a, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(s, "a\0b\xff", 4);
	free(s);
	l = value_list();
	value_list_push(l, a);
	value_list_push(l, value_strz("\"\\\n\x01\x7f\xc3\xa9"));
	value_list_push(l, value_dur(1500));
	value_list_push(l, value_regex("a/b", 3, 0));
	s = value_json_text(l, &len);
	assert_int_equal(len, strlen(s));
	assert_string_equal(s, "[\"a\\u0000b\xff\",\"\\\"\\\\\\n"
	    "\\u0001\x7f\xc3\xa9\",1500,\"a/b\"]");
	free(s);
	/* Valid UTF-8 gives what jansson gives. */
	value_unref(b);
	b = value_list();
	value_list_push(b, value_strz("\"\\\n\x01\x7f\xc3\xa9"));
	value_list_push(b, value_map());
	value_map_set(b->items[1], "k\t", value_bool(1));
	value_list_push(b, value_null());
	s = value_json_text(b, NULL);
	j = value_to_json(b);
	d = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_string_equal(s, d);
	free(s);
	free(d);
	json_decref(j);
	value_unref(b);
	value_unref(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_expect_branches),
		cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_open_brace_notes),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_source_lines),
		cmocka_unit_test(test_value_depth),
		cmocka_unit_test(test_value_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
