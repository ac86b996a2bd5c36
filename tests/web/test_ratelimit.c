/*
 * test_ratelimit.c - token buckets per client (web/ratelimit.h): the limit,
 * Retry-After, refill over time, other clients unaffected, and memory that
 * stays bounded under a flood of addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "web/ratelimit.h"
#include "base/banned.h"

static void test_limit_then_refused(void **state)
{
	struct ratelimit *rl = ratelimit_new(64, 10, 10);
	unsigned retry = 0;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 10; i++)
		assert_true(ratelimit_take(rl, "10.0.0.1", 1000, &retry));
	assert_false(ratelimit_take(rl, "10.0.0.1", 1000, &retry));
	assert_int_equal(retry, 6); /* one token of 10 a minute is back in 6 s */
	/* another client is not affected */
	assert_true(ratelimit_take(rl, "10.0.0.2", 1000, &retry));
	ratelimit_free(rl);
}

static void test_refill(void **state)
{
	struct ratelimit *rl = ratelimit_new(64, 60, 2); /* one a second, burst 2 */
	unsigned retry = 0;

	(void)state;
	assert_true(ratelimit_take(rl, "a", 0, NULL));
	assert_true(ratelimit_take(rl, "a", 0, NULL));
	assert_false(ratelimit_take(rl, "a", 0, &retry));
	assert_int_equal(retry, 1);
	assert_false(ratelimit_take(rl, "a", 999, NULL));
	assert_true(ratelimit_take(rl, "a", 2000, NULL));
	/* never more than the burst, however long the pause */
	assert_true(ratelimit_take(rl, "a", 1000000, NULL));
	assert_true(ratelimit_take(rl, "a", 1000000, NULL));
	assert_false(ratelimit_take(rl, "a", 1000000, NULL));
	ratelimit_free(rl);
}

static void test_flood_keeps_memory_and_limits(void **state)
{
	struct ratelimit *rl = ratelimit_new(128, 10, 10);
	char ip[64];

	(void)state;
	/* the attacker empties its bucket */
	for (int i = 0; i < 10; i++)
		assert_true(ratelimit_take(rl, "192.0.2.1", 5000, NULL));
	assert_false(ratelimit_take(rl, "192.0.2.1", 5000, NULL));
	/* 100000 other addresses pass through a table of 128 slots */
	for (int i = 0; i < 100000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		assert_true(ratelimit_take(rl, ip, 5000, NULL));
	}
	/* a client that only made a few lookups is never refused */
	assert_true(ratelimit_take(rl, "198.51.100.7", 5000, NULL));
	ratelimit_free(rl);
}

static void test_limited_clients_keep_their_bucket(void **state)
{
	struct ratelimit *rl = ratelimit_new(8, 10, 10);
	char ip[64];
	int refused = 0;

	(void)state;
	for (int i = 0; i < 10; i++)
		ratelimit_take(rl, "192.0.2.1", 0, NULL);
	/* a few new clients: full buckets are reused first, the empty one stays */
	for (int i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		ratelimit_take(rl, ip, 0, NULL);
	}
	refused += !ratelimit_take(rl, "192.0.2.1", 0, NULL);
	assert_int_equal(refused, 1);
	ratelimit_free(rl);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	assert_null(ratelimit_new(0, 10, 10));
	assert_null(ratelimit_new(10, 0, 10));
	assert_null(ratelimit_new(10, 10, 0));
	ratelimit_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_then_refused),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_flood_keeps_memory_and_limits),
		cmocka_unit_test(test_limited_clients_keep_their_bucket),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
