/*
 * test_kpi.c - percentiles, UTC days, the on-time rule and an order's
 * timing columns (core/kpi.h), with values computed by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/kpi.h"
#include "base/banned.h"

#define T0 INT64_C(1709510400000) /* 2024-03-04T00:00:00Z */
#define HOUR INT64_C(3600000)

static void test_percentiles(void **state)
{
	int64_t v[] = { 50, 10, 40, 20, 30 };
	int64_t one[] = { 7 };
	int64_t hundred[100];
	struct kpi_dist d;
	int64_t x;
	(void)state;

	kpi_dist(v, 5, &d);
	assert_int_equal(d.n, 5);
	assert_int_equal(d.p50, 30);  /* rank ceil(2.5) = 3 */
	assert_int_equal(d.p95, 50);  /* rank ceil(4.75) = 5 */
	assert_int_equal(v[0], 10);   /* sorted in place */
	kpi_dist(one, 1, &d);
	assert_int_equal(d.p50, 7);
	assert_int_equal(d.p95, 7);
	for (int i = 0; i < 100; i++)
		hundred[i] = 100 - i;     /* 100..1 */
	kpi_dist(hundred, 100, &d);
	assert_int_equal(d.p50, 50);
	assert_int_equal(d.p95, 95);
	assert_true(kpi_percentile(hundred, 100, 1, &x));
	assert_int_equal(x, 1);
	assert_true(kpi_percentile(hundred, 100, 100, &x));
	assert_int_equal(x, 100);
	assert_false(kpi_percentile(hundred, 0, 50, &x));
	assert_false(kpi_percentile(hundred, 100, 0, &x));
	kpi_dist(NULL, 0, &d);
	assert_int_equal(d.n, 0);
}

static void test_samples(void **state)
{
	struct kpi_samples s = { 0 };
	(void)state;

	for (int i = 0; i < 1000; i++)
		assert_int_equal(kpi_samples_add(&s, i), WERR_OK);
	assert_int_equal(s.n, 1000);
	assert_int_equal(s.v[999], 999);
	kpi_samples_release(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
}

static void test_days(void **state)
{
	char name[11];
	(void)state;

	assert_int_equal(kpi_day_start(T0 + 5 * HOUR), T0);
	assert_int_equal(kpi_day_start(T0), T0);
	assert_int_equal(kpi_day_start(T0 - 1), T0 - 24 * HOUR);
	assert_int_equal(kpi_day_start(-1), -24 * HOUR); /* before 1970 too */
	kpi_day_name(T0 + 23 * HOUR, name);
	assert_string_equal(name, "2024-03-04");
	kpi_day_name(T0 - 1, name);
	assert_string_equal(name, "2024-03-03");
	kpi_day_name(T0 - 4 * 24 * HOUR, name);
	assert_string_equal(name, "2024-02-29");
	assert_int_equal(kpi_days(T0, T0 + 24 * HOUR), 1);
	assert_int_equal(kpi_days(T0, T0 + 24 * HOUR + 1), 2);
	assert_int_equal(kpi_days(T0 + 12 * HOUR, T0 + 36 * HOUR), 2);
	assert_int_equal(kpi_days(T0, T0), 0);
	assert_int_equal(kpi_days(T0 + 1, T0), 0);
	assert_int_equal(kpi_day_index(T0 + 12 * HOUR, T0 + 30 * HOUR), 1);
	assert_int_equal(kpi_day_index(T0 + 12 * HOUR, T0 + 13 * HOUR), 0);
}

static void test_on_time(void **state)
{
	int64_t promise_date = T0 + 3 * 24 * HOUR;     /* "by 7 March": a bare date */
	int64_t promise_time = promise_date + 17 * HOUR; /* "by 7 March 17:00 UTC" */
	(void)state;

	assert_true(kpi_on_time(promise_date + 23 * HOUR, promise_date)); /* any time that day */
	assert_false(kpi_on_time(promise_date + 24 * HOUR, promise_date)); /* the next day is late */
	assert_true(kpi_on_time(promise_time, promise_time));               /* on the promise */
	assert_false(kpi_on_time(promise_time + 1, promise_time));
	assert_true(kpi_on_time(T0, promise_time));
	assert_false(kpi_on_time(T0, 0));  /* no promise: not counted as on time */
	assert_false(kpi_on_time(0, promise_time));
	assert_int_equal(kpi_promise_deadline(promise_date), promise_date + 24 * HOUR - 1);
	assert_int_equal(kpi_promise_deadline(promise_time), promise_time);
}

static void test_carrier_events_and_rates(void **state)
{
	(void)state;
	assert_true(kpi_is_carrier_event(EV_IN_TRANSIT, true));
	assert_true(kpi_is_carrier_event(EV_DELIVERED, true));
	assert_true(kpi_is_carrier_event(EV_EXCEPTION, true));
	assert_false(kpi_is_carrier_event(EV_IN_TRANSIT, false));
	assert_false(kpi_is_carrier_event(EV_LABEL_CREATED, true)); /* the carrier does not have it */
	assert_false(kpi_is_carrier_event(EV_PLACED, false));
	assert_false(kpi_is_carrier_event(EV_UNKNOWN, true));
	assert_true(kpi_rate(2, 3) > 0.6666 && kpi_rate(2, 3) < 0.6667);
	assert_true(kpi_rate(0, 0) < 0);
	assert_true(kpi_rate(0, 5) == 0.0);
}

/* The projection's timing columns: first carrier possession of any parcel;
 * delivery only once the whole order is delivered, then the last parcel's. */
static void test_order_times(void **state)
{
	struct package_state p[3];
	struct order_state o;
	int64_t shipped = -1, delivered = -1;
	(void)state;

	memset(&o, 0, sizeof(o));
	memset(p, 0, sizeof(p));
	o.status = ORD_SHIPPED;
	kpi_order_times(&o, &shipped, &delivered); /* no parcels */
	assert_int_equal(shipped, 0);
	assert_int_equal(delivered, 0);

	o.packages = p;
	o.npackages = 3;
	p[0].shipped_at = T0 + 5 * HOUR;
	p[1].shipped_at = 0; /* label only: never with the carrier */
	p[2].shipped_at = T0 + 2 * HOUR;
	p[0].delivered_at = T0 + 30 * HOUR;
	p[2].delivered_at = T0 + 20 * HOUR;
	kpi_order_times(&o, &shipped, &delivered);
	assert_int_equal(shipped, T0 + 2 * HOUR); /* the earliest, not the first listed */
	assert_int_equal(delivered, 0);           /* partly delivered: no time yet */

	o.status = ORD_DELIVERED;
	kpi_order_times(&o, &shipped, &delivered);
	assert_int_equal(shipped, T0 + 2 * HOUR);
	assert_int_equal(delivered, T0 + 30 * HOUR); /* the last parcel's */
	/* the cycle-time and click-to-door samples they give */
	assert_int_equal(shipped - T0, 2 * HOUR);
	assert_int_equal(delivered - T0, 30 * HOUR);

	p[0].shipped_at = p[2].shipped_at = 0;
	kpi_order_times(&o, &shipped, &delivered);
	assert_int_equal(shipped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_on_time),
		cmocka_unit_test(test_carrier_events_and_rates),
		cmocka_unit_test(test_order_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
