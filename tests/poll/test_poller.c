/* test_poller.c - the carrier poller's schedule (poll/poller.c): how long
 * until a package is asked about again, by its state and its failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "poll/poller.h"

#define MIN (60 * 1000LL)

static void test_interval_by_status(void **state)
{
	(void)state;
	assert_int_equal(poll_interval_ms(PKG_LABEL_CREATED, 0), 240 * MIN);
	assert_int_equal(poll_interval_ms(PKG_IN_TRANSIT, 0), 120 * MIN);
	assert_int_equal(poll_interval_ms(PKG_EXCEPTION, 0), 120 * MIN);
	assert_int_equal(poll_interval_ms(PKG_UNKNOWN, 0), 120 * MIN);
	/* near the door: ask more often */
	assert_int_equal(poll_interval_ms(PKG_OUT_FOR_DELIVERY, 0), 30 * MIN);
	assert_int_equal(poll_interval_ms(PKG_AVAILABLE_FOR_PICKUP, 0), 30 * MIN);
	assert_int_equal(poll_interval_ms(PKG_DELIVERY_ATTEMPTED, 0), 30 * MIN);
}

static void test_backoff_doubles_up_to_twelve_hours(void **state)
{
	(void)state;
	assert_int_equal(poll_interval_ms(PKG_OUT_FOR_DELIVERY, 1), 5 * MIN);
	assert_int_equal(poll_interval_ms(PKG_IN_TRANSIT, 2), 10 * MIN);
	assert_int_equal(poll_interval_ms(PKG_IN_TRANSIT, 3), 20 * MIN);
	assert_int_equal(poll_interval_ms(PKG_IN_TRANSIT, 8), 640 * MIN);
	assert_int_equal(poll_interval_ms(PKG_IN_TRANSIT, 9), 720 * MIN);
	assert_int_equal(poll_interval_ms(PKG_IN_TRANSIT, 1000), 720 * MIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_by_status),
		cmocka_unit_test(test_backoff_doubles_up_to_twelve_hours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
