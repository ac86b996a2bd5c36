/*
 * test_calendar.c - working days (core/calendar.h), against dates counted
 * by hand on a 2024 calendar.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/calendar.h"
#include "base/banned.h"

#define MON INT64_C(1709510400000) /* 2024-03-04T00:00:00Z, a Monday */
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)

static void test_parse_days(void **state)
{
	(void)state;
	assert_int_equal(calendar_parse_days("mon-fri"), 0x3e);
	assert_int_equal(calendar_parse_days("Mon-Sat"), 0x7e);
	assert_int_equal(calendar_parse_days("sun-sat"), 0x7f);
	assert_int_equal(calendar_parse_days("all"), 0x7f);
	assert_int_equal(calendar_parse_days("mon,wed,fri"), 0x2a);
	assert_int_equal(calendar_parse_days("sun"), 0x01);
	assert_int_equal(calendar_parse_days(""), -1);
	assert_int_equal(calendar_parse_days("fri-mon"), -1);
	assert_int_equal(calendar_parse_days("monday"), -1);
	assert_int_equal(calendar_parse_days("mon,"), -1);
	assert_int_equal(calendar_parse_days("mon,,tue"), -1);
}

static void test_parse_holidays(void **state)
{
	struct calendar c;
	(void)state;

	calendar_init(&c);
	assert_int_equal(calendar_parse_holidays(&c, "2024-03-08, 2024-03-06"), 0);
	assert_int_equal(c.nholidays, 2);
	assert_true(c.holidays[0] < c.holidays[1]);
	assert_false(calendar_workday(&c, MON / DAY + 2)); /* Wednesday, listed */
	assert_true(calendar_workday(&c, MON / DAY + 3));
	assert_int_equal(calendar_parse_holidays(&c, "2024-13-01"), -1);
	assert_int_equal(calendar_parse_holidays(&c, "2024-03-08x"), -1);
	assert_int_equal(calendar_parse_holidays(&c, ""), 0);
	assert_int_equal(c.nholidays, 0);
}

static void test_workdays(void **state)
{
	struct calendar c;
	(void)state;

	calendar_init(&c);
	for (int i = 0; i < 7; i++)
		assert_int_equal(calendar_workday(&c, MON / DAY + i), i < 5);
	assert_false(calendar_workday(&c, MON / DAY - 1)); /* Sunday */
	assert_true(calendar_workday(&c, 0) == true);      /* 1970-01-01, a Thursday */
	assert_false(calendar_workday(&c, -4));            /* 1969-12-28, a Sunday */
}

static void test_between(void **state)
{
	struct calendar c;
	(void)state;

	calendar_init(&c);
	assert_int_equal(calendar_between(&c, MON, MON + 5 * DAY), 5 * DAY);
	assert_int_equal(calendar_between(&c, MON, MON + 7 * DAY), 5 * DAY);
	/* Friday noon to Monday noon: the weekend does not count */
	assert_int_equal(calendar_between(&c, MON + 4 * DAY + 12 * HOUR, MON + 7 * DAY + 12 * HOUR), DAY);
	/* all within Saturday */
	assert_int_equal(calendar_between(&c, MON + 5 * DAY + HOUR, MON + 5 * DAY + 9 * HOUR), 0);
	/* five weeks: the whole-week shortcut */
	assert_int_equal(calendar_between(&c, MON + HOUR, MON + 35 * DAY + HOUR), 25 * DAY);
	assert_int_equal(calendar_between(&c, MON + DAY, MON), 0);
	/* with a holiday on Wednesday */
	calendar_parse_holidays(&c, "2024-03-06");
	assert_int_equal(calendar_between(&c, MON, MON + 7 * DAY), 4 * DAY);
	assert_int_equal(calendar_between(&c, MON, MON + 35 * DAY), 24 * DAY);
	/* a shop at UTC-5: its Saturday starts at 05:00 UTC */
	calendar_init(&c);
	c.offset_ms = -5 * HOUR;
	assert_int_equal(calendar_between(&c, MON + 5 * DAY, MON + 5 * DAY + 10 * HOUR), 5 * HOUR);
}

static void test_add(void **state)
{
	struct calendar c;
	(void)state;

	calendar_init(&c);
	assert_int_equal(calendar_add(&c, MON + HOUR, 24 * HOUR), MON + DAY + HOUR);
	/* Friday 18:00 + 24 working hours: Monday 18:00 */
	assert_int_equal(calendar_add(&c, MON + 4 * DAY + 18 * HOUR, 24 * HOUR), MON + 7 * DAY + 18 * HOUR);
	/* from Saturday: the clock starts on Monday */
	assert_int_equal(calendar_add(&c, MON + 5 * DAY + 10 * HOUR, 2 * HOUR), MON + 7 * DAY + 2 * HOUR);
	assert_int_equal(calendar_add(&c, MON + 5 * DAY + 10 * HOUR, 0), MON + 5 * DAY + 10 * HOUR);
	/* Friday 18:00 + 6 h: exactly the end of Friday */
	assert_int_equal(calendar_add(&c, MON + 4 * DAY + 18 * HOUR, 6 * HOUR), MON + 5 * DAY);
	/* add and between agree */
	for (int64_t start = MON - 3 * DAY; start < MON + 9 * DAY; start += 7 * HOUR)
		for (int64_t w = 0; w < 9 * DAY; w += 5 * HOUR)
			assert_int_equal(calendar_between(&c, start, calendar_add(&c, start, w)), w);
	c.workdays = 0;
	assert_true(calendar_add(&c, MON, HOUR) == INT64_MAX);
	calendar_init(&c);
	assert_true(calendar_add(&c, MON, CAL_ADD_MAX + 1) == INT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_days),
		cmocka_unit_test(test_parse_holidays),
		cmocka_unit_test(test_workdays),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
