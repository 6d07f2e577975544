/* SPDX-License-Identifier: ISC */
/*
 * test-lex.c - unit tests of the playbook lexer: modes, words, strings,
 * regexes, numbers and durations, positions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lex.h"
#include "tether.h"
#include "text.h"

static enum tok
lex1(struct lexer *lx, const char *src, enum lex_mode mode, struct token *t)
{
	lex_init(lx, src, strlen(src), 1, 1);
	return lex_next(lx, mode, t);
}

static void
test_words(void **state)
{
	struct lexer	lx;
	struct token	t;
	const char	*src = "open con spawn:/bin/sh user=root -> out";

	lex_init(&lx, src, strlen(src), 1, 1);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(t.len, 4);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(t.len, strlen("spawn:/bin/sh"));
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_OPTKEY);
	assert_memory_equal(t.text, "user", 4);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_memory_equal(t.text, "root", 4);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_ARROW);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_EOF);
}

static void
test_word_regex_and_path(void **state)
{
	struct lexer	lx;
	struct token	t;
	const char	*src = "match=/a\\/b/i $dir/file";

	lex_init(&lx, src, strlen(src), 1, 1);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_OPTKEY);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_REGEX);
	assert_int_equal(t.len, 4);
	assert_int_equal(t.flags, TETHER_RE_CASELESS);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_VAR);
	/* A slash inside a word is text, not a regex. */
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(t.space, 0);
	assert_int_equal(t.len, 5);
}

static void
test_strings(void **state)
{
	struct lexer	lx;
	struct token	t;

	assert_int_equal(lex1(&lx, "\"a\\\"b ${f(\"}\")} c\" x", LEX_WORD,
	    &t), T_STRING);
	assert_int_equal(t.len, strlen("a\\\"b ${f(\"}\")} c"));
	assert_int_equal(lex1(&lx, "'raw \\n'", LEX_OPERAND, &t), T_RAW);
	assert_int_equal(t.len, 6);
	assert_int_equal(lex1(&lx, "\"open", LEX_WORD, &t), T_ERROR);
	assert_string_equal(t.err, "unterminated string");
}

static void
test_numbers(void **state)
{
	struct lexer	lx;
	struct token	t;

	assert_int_equal(lex1(&lx, "42", LEX_OPERAND, &t), T_INT);
	assert_int_equal(t.num, 42);
	assert_int_equal(lex1(&lx, "250ms", LEX_OPERAND, &t), T_DUR);
	assert_int_equal(t.num, 250);
	assert_int_equal(lex1(&lx, "2m", LEX_OPERAND, &t), T_DUR);
	assert_int_equal(t.num, 120000);
	assert_int_equal(lex1(&lx, "1h", LEX_OPERAND, &t), T_DUR);
	assert_int_equal(t.num, 3600000);
	assert_int_equal(lex1(&lx, "1.5s", LEX_OPERAND, &t), T_DUR);
	assert_int_equal(t.num, 1500);
	assert_int_equal(lex1(&lx, "0.5", LEX_OPERAND, &t), T_DUR);
	assert_int_equal(t.num, 500);
	assert_int_equal(lex1(&lx, "10x", LEX_OPERAND, &t), T_ERROR);
	assert_int_equal(lex1(&lx, "99999999999999999999", LEX_OPERAND, &t),
	    T_ERROR);
}

static void
test_duration(void **state)
{
	int64_t	ms;

	assert_int_equal(text_duration_n("30s", 3, &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(text_duration_n("5", 1, &ms), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(text_duration_n("", 0, &ms), TETHER_EINVAL);
	assert_int_equal(text_duration_n("s", 1, &ms), TETHER_EINVAL);
	assert_int_equal(text_duration_n("3d", 2, &ms), TETHER_EINVAL);
	/* The one grammar: fractions everywhere, bare numbers in seconds. */
	assert_int_equal(text_duration("1.5s", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(text_duration("0.25", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(text_duration("1.5m", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(text_duration("0.5h", &ms), 0);
	assert_int_equal(ms, 1800000);
	assert_int_equal(text_duration("2.9ms", &ms), 0);
	assert_int_equal(ms, 2);
	assert_int_equal(text_duration("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(text_duration("1.", &ms), TETHER_EINVAL);
	assert_int_equal(text_duration(".5s", &ms), TETHER_EINVAL);
	assert_int_equal(text_duration("1.5 s", &ms), TETHER_EINVAL);
	assert_int_equal(text_duration("99999999999999999999s", &ms),
	    TETHER_EINVAL);
	assert_int_equal(text_duration("9223372036854775807h", &ms),
	    TETHER_EINVAL);
}

/* The one escape decoder and the regex flag letters. */
static void
test_text(void **state)
{
	char	fl[sizeof TEXT_RE_LETTERS];
	int	c;

	assert_int_equal(text_unescape("\\n", 2, &c), 2);
	assert_int_equal(c, '\n');
	assert_int_equal(text_unescape("\\e", 2, &c), 2);
	assert_int_equal(c, 0x1b);
	assert_int_equal(text_unescape("\\$", 2, &c), 2);
	assert_int_equal(c, '$');
	assert_int_equal(text_unescape("\\x4fz", 5, &c), 4);
	assert_int_equal(c, 0x4f);
	assert_int_equal(text_unescape("\\xff", 4, &c), 4);
	assert_int_equal(c, 0xff);
	assert_int_equal(text_unescape("\\x4", 3, &c), 0);
	assert_int_equal(text_unescape("\\xg0", 4, &c), 0);
	assert_int_equal(text_unescape("\\q", 2, &c), 0);
	assert_int_equal(text_unescape("\\", 1, &c), 0);
	assert_int_equal(text_unescape("\\\n", 2, &c), 2);
	assert_int_equal(c, -1);
	assert_int_equal(text_re_flag('i'), TETHER_RE_CASELESS);
	assert_int_equal(text_re_flag('x'), TETHER_RE_EXTENDED);
	assert_int_equal(text_re_flag('q'), 0);
	assert_string_equal(text_re_letters(TETHER_RE_EXTENDED |
	    TETHER_RE_CASELESS, fl), "ix");
	assert_string_equal(text_re_letters(0, fl), "");
}

static void
test_slash_modes(void **state)
{
	struct lexer	lx;
	struct token	t;

	assert_int_equal(lex1(&lx, "/x+/ms", LEX_OPERAND, &t), T_REGEX);
	assert_int_equal(t.flags, TETHER_RE_MULTILINE | TETHER_RE_DOTALL);
	assert_int_equal(lex1(&lx, "/ 2", LEX_OPERATOR, &t), T_SLASH);
	assert_int_equal(lex1(&lx, "/x/q", LEX_OPERAND, &t), T_ERROR);
	assert_int_equal(lex1(&lx, "/x", LEX_OPERAND, &t), T_ERROR);
}

static void
test_operators(void **state)
{
	struct lexer	lx;
	struct token	t;
	const char	*src = "== != <= >= < > =~ = + - * % ( ) [ ] , : .";
	enum tok	 want[] = { T_EQ, T_NE, T_LE, T_GE, T_LT, T_GT,
			    T_MATCH, T_ASSIGN, T_PLUS, T_MINUS, T_STAR,
			    T_PERCENT, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK,
			    T_COMMA, T_COLON, T_DOT, T_EOF };
	size_t		 i;

	lex_init(&lx, src, strlen(src), 1, 1);
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_int_equal(lex_next(&lx, LEX_OPERATOR, &t), want[i]);
}

static void
test_comments_and_lines(void **state)
{
	struct lexer	lx;
	struct token	t;
	const char	*src = "a # comment\n  b \\\n c; d";

	lex_init(&lx, src, strlen(src), 1, 1);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_NL);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(t.line, 2);
	assert_int_equal(t.col, 3);
	/* The continuation joins the lines. */
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(t.line, 3);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_NL);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_WORD);
	assert_int_equal(lex_next(&lx, LEX_WORD, &t), T_EOF);
}

static void
test_hash_in_expression(void **state)
{
	struct lexer	lx;
	struct token	t;

	lex_init(&lx, "#list", 5, 1, 1);
	lx.nest = 1;
	assert_int_equal(lex_next(&lx, LEX_OPERAND, &t), T_HASH);
	assert_int_equal(lex_next(&lx, LEX_OPERAND, &t), T_IDENT);
	/* Outside brackets '#' starts a comment. */
	assert_int_equal(lex1(&lx, "#list", LEX_OPERAND, &t), T_EOF);
}

/* Strings in ${...} in strings: LEX_MAX_NEST levels, then an error. */
static void
test_string_nesting(void **state)
{
	struct lexer	lx;
	struct token	t;
	char		src[1024];
	size_t		i, n;
	int		levels;

	for (levels = LEX_MAX_NEST; levels <= LEX_MAX_NEST + 1; levels++) {
		n = 0;
		for (i = 0; i <= (size_t)levels; i++) {
			memcpy(src + n, "\"${", 3);
			n += 3;
		}
		src[n++] = '1';
		for (i = 0; i <= (size_t)levels; i++) {
			memcpy(src + n, "}\"", 2);
			n += 2;
		}
		lex_init(&lx, src, n, 1, 1);
		if (levels == LEX_MAX_NEST) {
			assert_int_equal(lex_next(&lx, LEX_OPERAND, &t),
			    T_STRING);
			assert_int_equal(t.len, n - 2);
			assert_ptr_equal(lex_skip_string(src + 1, src + n),
			    src + n);
		} else {
			assert_int_equal(lex_next(&lx, LEX_OPERAND, &t),
			    T_ERROR);
			assert_string_equal(t.err, "strings nested too "
			    "deeply inside ${...}");
			assert_null(lex_skip_string(src + 1, src + n));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_word_regex_and_path),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_slash_modes),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_comments_and_lines),
		cmocka_unit_test(test_hash_in_expression),
		cmocka_unit_test(test_string_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
