/* test_num.c - strict whole numbers (base/num.h): digits only, within range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../../src/base/num.h"

static void test_num_parse(void **state)
{
	long n = 7;

	(void)state;
	assert_true(num_parse("42", 1, 100, &n));
	assert_int_equal(n, 42);
	assert_true(num_parse("-3", -5, 5, &n));
	assert_int_equal(n, -3);
	assert_true(num_parse("100", 1, 100, &n)); /* both ends are in */
	assert_true(num_parse("1", 1, 100, &n));
	n = 7;
	assert_false(num_parse("101", 1, 100, &n));
	assert_false(num_parse("0", 1, 100, &n));
	assert_false(num_parse("", 1, 100, &n));
	assert_false(num_parse(NULL, 1, 100, &n));
	assert_false(num_parse("12abc", 1, 100, &n));
	assert_false(num_parse("12 ", 1, 100, &n));
	assert_false(num_parse(" 12", 1, 100, &n));
	assert_false(num_parse("+12", 1, 100, &n));
	assert_false(num_parse("-", -5, 5, &n));
	assert_false(num_parse("99999999999999999999999", 0, 100, &n)); /* overflow is not the maximum */
	assert_int_equal(n, 7); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_num_parse) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
