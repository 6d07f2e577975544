/* SPDX-License-Identifier: ISC */
/*
 * cmocka.h - stands in for cmocka's header when configure found no cmocka
 * (a test-only dependency): the unit tests still compile, and their main()
 * returns 77, which make check counts as skipped.  No test function
 * runs.
 */
#ifndef TETHER_NOCMOCKA_H
#define TETHER_NOCMOCKA_H

#include <stdint.h>
#include <stdio.h>

typedef uintmax_t LargestIntegralType;
typedef void (*CMUnitTestFunction)(void **);
typedef int (*CMFixtureFunction)(void **);

struct CMUnitTest {
	const char		*name;
	CMUnitTestFunction	 test_func;
	CMFixtureFunction	 setup_func;
	CMFixtureFunction	 teardown_func;
	void			*initial_state;
};

/* Returns 77 (skipped) after saying why. */
static inline int
nocmocka_skip(const char *group)
{
	printf("skip: %s: built without cmocka (apt-get install "
	    "libcmocka-dev)\n", group);
	return 77;
}

/* Takes a message and its arguments and does nothing with them. */
static inline void
nocmocka_msg(const char *fmt, ...)
{
	(void)fmt;
}

#define cmocka_unit_test(f)	{ #f, f, NULL, NULL, NULL }
#define cmocka_unit_test_setup(f, s)	{ #f, f, s, NULL, NULL }
#define cmocka_unit_test_teardown(f, t)	{ #f, f, NULL, t, NULL }
#define cmocka_unit_test_setup_teardown(f, s, t)	{ #f, f, s, t, NULL }
#define cmocka_unit_test_prestate(f, p)	{ #f, f, NULL, NULL, p }
#define cmocka_run_group_tests(g, s, t)					\
	((void)(g), (void)(s), (void)(t), nocmocka_skip(#g))
#define cmocka_run_group_tests_name(n, g, s, t)				\
	((void)(g), (void)(s), (void)(t), nocmocka_skip(n))

/* Each argument is evaluated (for the compiler: no test runs) and used. */
#define nocmocka_use1(a)						\
	({ __auto_type nocmocka_a = (a); (void)nocmocka_a; })
#define nocmocka_use2(a, b)						\
	({ __auto_type nocmocka_a = (a); __auto_type nocmocka_b = (b);	\
	    (void)nocmocka_a; (void)nocmocka_b; })
#define nocmocka_use3(a, b, c)						\
	({ __auto_type nocmocka_a = (a); __auto_type nocmocka_b = (b);	\
	    __auto_type nocmocka_c = (c);					\
	    (void)nocmocka_a; (void)nocmocka_b; (void)nocmocka_c; })
#define assert_true(c)			nocmocka_use1(c)
#define assert_false(c)			nocmocka_use1(c)
#define assert_null(p)			nocmocka_use1(p)
#define assert_non_null(p)		nocmocka_use1(p)
#define assert_return_code(r, e)	nocmocka_use2(r, e)
#define assert_int_equal(a, b)		nocmocka_use2(a, b)
#define assert_int_not_equal(a, b)	nocmocka_use2(a, b)
#define assert_uint_equal(a, b)		nocmocka_use2(a, b)
#define assert_ptr_equal(a, b)		nocmocka_use2(a, b)
#define assert_ptr_not_equal(a, b)	nocmocka_use2(a, b)
#define assert_string_equal(a, b)	nocmocka_use2(a, b)
#define assert_string_not_equal(a, b)	nocmocka_use2(a, b)
#define assert_memory_equal(a, b, n)	nocmocka_use3(a, b, n)
#define assert_memory_not_equal(a, b, n)	nocmocka_use3(a, b, n)
#define assert_in_range(v, lo, hi)	nocmocka_use3(v, lo, hi)
#define assert_not_in_range(v, lo, hi)	nocmocka_use3(v, lo, hi)
#define fail()				((void)0)
#define fail_msg(...)			nocmocka_msg(__VA_ARGS__)
#define print_message(...)		nocmocka_msg(__VA_ARGS__)
#define print_error(...)		nocmocka_msg(__VA_ARGS__)
#define skip()				((void)0)

#endif
