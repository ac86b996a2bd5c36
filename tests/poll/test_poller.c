/* test_poller.c - the carrier poller's schedule (poll/poller.c): how long
 * until a package is asked about again, by its state and its failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "poll/fetcher.h"
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

/* A webhook's fetch (issue 12, defect 7): the poller's backoff, and a bound
 * after which the body is given up to the rejected list. */
static void test_12_7_fetch_retries_back_off_then_give_up(void **state)
{
	int64_t total = 0;

	(void)state;
	assert_int_equal(fetcher_retry_ms(1), 5 * MIN);
	assert_int_equal(fetcher_retry_ms(2), 10 * MIN);
	for (int failures = 1; failures < FETCHER_ATTEMPTS; failures++) {
		assert_true(fetcher_retry_ms(failures) > 0);
		total += fetcher_retry_ms(failures);
	}
	assert_int_equal(fetcher_retry_ms(FETCHER_ATTEMPTS), 0);
	assert_int_equal(fetcher_retry_ms(FETCHER_ATTEMPTS + 1), 0);
	/* docs/adapters.md: the last attempt about 10.6 h after the first */
	assert_int_equal(total, 635 * MIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_by_status),
		cmocka_unit_test(test_backoff_doubles_up_to_twelve_hours),
		cmocka_unit_test(test_12_7_fetch_retries_back_off_then_give_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
