/*
 * test_promise.c - promises by shipping method (core/promise.h) and the
 * fold filling an order's promise from them (docs/exceptions.md
 * "Promises"): the config's syntax, the deadline's day arithmetic on both
 * sides of the cut-off, weekends and holidays, and the store's promise
 * winning over the policy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/order.h"
#include "core/policy.h"
#include "core/promise.h"
#include "base/banned.h"

#define MON INT64_C(1709510400000) /* 2024-03-04T00:00:00Z, a Monday */
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)
#define END(d) (MON + (d) * DAY + DAY - 1) /* the last millisecond of day d after MON */

static struct policy pol;

static int setup(void **state)
{
	(void)state;
	policy_init_defaults(&pol);
	assert_int_equal(promise_config_set(&pol.promises, "promises", "standard", "1,5"), 1);
	assert_int_equal(promise_config_set(&pol.promises, "promises", "express", "0, 2"), 1);
	assert_int_equal(promise_config_set(&pol.promises, "promises", "default", "2,-"), 1);
	return 0;
}

static void test_config(void **state)
{
	struct promise_config c;
	(void)state;
	promise_config_defaults(&c);
	assert_int_equal(promise_config_set(&c, "exceptions", "standard", "1,5"), 0);
	assert_int_equal(promise_config_set(&c, "promises", "standard", "1"), -1);
	assert_int_equal(promise_config_set(&c, "promises", "standard", "x,5"), -1);
	assert_int_equal(promise_config_set(&c, "promises", "standard", "1,400"), -1);
	assert_int_equal(promise_config_set(&c, "promises", "cutoff_hour", "25"), -1);
	assert_int_equal(promise_config_set(&c, "promises", "cutoff_hour", "14"), 1);
	assert_int_equal(c.cutoff_hour, 14);
	/* a method set twice keeps one row, the last value */
	assert_int_equal(promise_config_set(&c, "promises", "Standard", "1,5"), 1);
	assert_int_equal(promise_config_set(&c, "promises", "standard", "2,6"), 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(promise_rule_for(&c, "STANDARD")->deliver_days, 6);
	assert_null(promise_rule_for(&c, "express")); /* no default row */
	assert_string_equal(promise_rule_for(&pol.promises, "freight")->method, "default");
	assert_int_equal(promise_rule_for(&pol.promises, "")->ship_days, 2);
}

static void test_deadline(void **state)
{
	struct promise_config *c = &pol.promises;
	(void)state;
	/* Monday 10:00: day 0 is Monday, 1 working day is Tuesday, 5 is next Monday */
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 10 * HOUR, 0), END(0));
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 10 * HOUR, 1), END(1));
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 10 * HOUR, 5), END(7));
	/* Saturday counts from Monday */
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 5 * DAY + 10 * HOUR, 0), END(7));
	/* the cut-off: 13:59 is that day, 14:00 the next */
	c->cutoff_hour = 14;
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 14 * HOUR - 1, 1), END(1));
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 14 * HOUR, 1), END(2));
	/* Friday after the cut-off: Monday is day 0 */
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 4 * DAY + 15 * HOUR, 0), END(7));
	c->cutoff_hour = 24;
	/* a holiday on Tuesday moves one working day to Wednesday */
	assert_int_equal(calendar_parse_holidays(&pol.cal, "2024-03-05"), 0);
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 10 * HOUR, 1), END(2));
	/* the shop's own days: UTC+2 ends Monday at 21:59:59.999 UTC */
	calendar_init(&pol.cal);
	pol.cal.offset_ms = 2 * HOUR;
	assert_int_equal(promise_deadline(c, &pol.cal, MON + 10 * HOUR, 0), END(0) - 2 * HOUR);
}

static void fold1(const char *method, int64_t promised, enum ev_status st, struct order_state *o)
{
	struct event e;
	event_init(&e);
	snprintf(e.source, sizeof(e.source), "shopify");
	snprintf(e.order, sizeof(e.order), "P1");
	snprintf(e.key, sizeof(e.key), "k1");
	snprintf(e.shipping_method, sizeof(e.shipping_method), "%s", method);
	if (st != EV_PLACED) {
		snprintf(e.source, sizeof(e.source), "ups");
		snprintf(e.package, sizeof(e.package), "1Z1");
	}
	e.status = st;
	e.promised_by = promised;
	e.occurred_at = MON + 10 * HOUR;
	e.received_at = e.occurred_at + 1000;
	order_init(o);
	assert_int_equal(order_fold(&pol, &e, 1, o, NULL), WERR_OK);
}

static void test_fold(void **state)
{
	struct order_state o;
	(void)state;
	fold1("Standard", 0, EV_PLACED, &o);
	assert_int_equal(o.promised_ship_by, END(1));
	assert_int_equal(o.promised_by, END(7));
	assert_true(o.promise_from_policy);
	order_release(&o);
	/* the store's promise wins; the ship-by it did not give comes from the policy */
	fold1("standard", MON + 3 * DAY, EV_PLACED, &o);
	assert_int_equal(o.promised_by, MON + 3 * DAY);
	assert_int_equal(o.promised_ship_by, END(1));
	order_release(&o);
	/* the default row: ship within 2, no delivery promise */
	fold1("", 0, EV_PLACED, &o);
	assert_int_equal(o.promised_ship_by, END(2));
	assert_int_equal(o.promised_by, 0);
	order_release(&o);
	/* only a carrier has spoken: no order, no promise */
	fold1("", 0, EV_IN_TRANSIT, &o);
	assert_int_equal(o.promised_ship_by, 0);
	assert_false(o.promise_from_policy);
	order_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_config, setup),
		cmocka_unit_test_setup(test_deadline, setup),
		cmocka_unit_test_setup(test_fold, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
