/* SPDX-License-Identifier: ISC */
/*
 * test-buf.c - the byte buffer: growth, cap, consume, NUL termination.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_append_and_nul(void **state)
{
	struct buf	b;

	buf_init(&b, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_append(&b, "ab\0cd", 5), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "ab\0cd", 5);
	assert_int_equal(b.data[5], '\0');
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_memory_equal(b.data + 5, "42-x", 5);
	buf_free(&b);
	buf_free(&b);		/* twice is fine */
}

static void
test_cap(void **state)
{
	struct buf	b;

	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "12345678", 8), 0);
	assert_int_equal(buf_append(&b, "9", 1), TETHER_ENOMEM);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	buf_consume(&b, 3);
	assert_string_equal(b.data, "45678");
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_string_equal(b.data, "45678abc");
	buf_free(&b);
}

static void
test_consume_steal(void **state)
{
	struct buf	 b;
	char		*s;
	int		 i;

	buf_init(&b, 0);
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_putc(&b, 'a' + i % 26), 0);
	assert_int_equal(b.len, 10000);
	buf_consume(&b, 9998);
	assert_string_equal(b.data, "op");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_puts(&b, "hello"), 0);
	s = buf_steal(&b);
	assert_string_equal(s, "hello");
	assert_null(b.data);
	free(s);
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_nul),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_consume_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
