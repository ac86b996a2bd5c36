/*
 * test_wtime.c - RFC 3339 time stamps (base/wtime.h): a table of inputs and
 * the UTC instant each must give (offsets, leap years, date boundaries, bad
 * input), formatting, and round trips across a year that has DST changes in
 * every zone that has them - which a UTC-only parser must not notice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/wtime.h"
#include "base/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)

static const struct {
	const char *in;
	int flags;
	enum wtime_parse want;
	const char *utc; /* wtime_format of the result, for WTIME_OK */
} parse_rows[] = {
	/* the forms accepted */
	{ "2024-03-10T06:30:00Z", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "2024-03-10t06:30:00z", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "2024-03-10 06:30:00Z", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "2024-03-10T06:30:00+00:00", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "2024-03-10T06:30:00-00:00", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "1970-01-01T00:00:00.001Z", 0, WTIME_OK, "1970-01-01T00:00:00.001Z" },
	/* the epoch itself and anything before it: 0 means "not given" */
	{ "1970-01-01T00:00:00Z", 0, WTIME_BAD, NULL },
	{ "1970-01-01T00:30:00+01:00", 0, WTIME_BAD, NULL },
	{ "1970-01-01T01:00:00+01:00", 0, WTIME_BAD, NULL },
	{ "9999-12-31T23:59:59.999Z", 0, WTIME_OK, "9999-12-31T23:59:59.999Z" },
	/* fractions: milliseconds kept, the rest truncated */
	{ "2024-03-10T06:30:00.1Z", 0, WTIME_OK, "2024-03-10T06:30:00.100Z" },
	{ "2024-03-10T06:30:00.12Z", 0, WTIME_OK, "2024-03-10T06:30:00.120Z" },
	{ "2024-03-10T06:30:00.123Z", 0, WTIME_OK, "2024-03-10T06:30:00.123Z" },
	{ "2024-03-10T06:30:00.123999Z", 0, WTIME_OK, "2024-03-10T06:30:00.123Z" },
	{ "2024-03-10T06:30:00.000Z", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	/* offsets: the same instant however the sender's clock reads */
	{ "2024-03-10T01:30:00-05:00", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "2024-03-10T07:30:00+01:00", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "2024-03-10T12:00:00+05:30", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "2024-03-10T19:15:00+12:45", 0, WTIME_OK, "2024-03-10T06:30:00Z" },
	{ "2024-03-10T06:30:00.5+23:59", 0, WTIME_OK, "2024-03-09T06:31:00.500Z" },
	/* across day, month and year boundaries */
	{ "2024-01-01T00:30:00+01:00", 0, WTIME_OK, "2023-12-31T23:30:00Z" },
	{ "2023-12-31T23:30:00-01:00", 0, WTIME_OK, "2024-01-01T00:30:00Z" },
	{ "2024-03-01T00:00:00+00:01", 0, WTIME_OK, "2024-02-29T23:59:00Z" },
	{ "2023-03-01T00:00:00+00:01", 0, WTIME_OK, "2023-02-28T23:59:00Z" },
	{ "2024-02-28T23:00:00-02:00", 0, WTIME_OK, "2024-02-29T01:00:00Z" },
	{ "2023-02-28T23:00:00-02:00", 0, WTIME_OK, "2023-03-01T01:00:00Z" },
	/* leap years: by 4, not by 100, but by 400 */
	{ "2024-02-29T12:00:00Z", 0, WTIME_OK, "2024-02-29T12:00:00Z" },
	{ "2000-02-29T12:00:00Z", 0, WTIME_OK, "2000-02-29T12:00:00Z" },
	{ "2400-02-29T12:00:00Z", 0, WTIME_OK, "2400-02-29T12:00:00Z" },
	{ "2023-02-29T12:00:00Z", 0, WTIME_BAD, NULL },
	{ "2100-02-29T12:00:00Z", 0, WTIME_BAD, NULL },
	{ "2024-02-30T12:00:00Z", 0, WTIME_BAD, NULL },
	{ "2024-12-31T12:00:00Z", 0, WTIME_OK, "2024-12-31T12:00:00Z" },
	/* DST: an offset names one instant, even for a local time that a zone
	 * skips (02:30 on 2024-03-10 in New York) or repeats (01:30 on
	 * 2024-11-03) */
	{ "2024-03-10T02:30:00-05:00", 0, WTIME_OK, "2024-03-10T07:30:00Z" },
	{ "2024-03-10T03:30:00-04:00", 0, WTIME_OK, "2024-03-10T07:30:00Z" },
	{ "2024-11-03T01:30:00-04:00", 0, WTIME_OK, "2024-11-03T05:30:00Z" },
	{ "2024-11-03T01:30:00-05:00", 0, WTIME_OK, "2024-11-03T06:30:00Z" },
	{ "2024-03-31T02:30:00+01:00", 0, WTIME_OK, "2024-03-31T01:30:00Z" },
	/* a bare date, only where allowed */
	{ "2024-03-10", WTIME_FLAG_DATE_OK, WTIME_OK, "2024-03-10T00:00:00Z" },
	{ "2024-03-10", 0, WTIME_BAD, NULL },
	{ "2024-02-30", WTIME_FLAG_DATE_OK, WTIME_BAD, NULL },
	/* a local time without an offset is valid but not an instant */
	{ "2024-03-10T06:30:00", 0, WTIME_NO_OFFSET, "2024-03-10T06:30:00Z" },
	{ "2024-03-10T06:30:00.250", 0, WTIME_NO_OFFSET, "2024-03-10T06:30:00.250Z" },
	/* out of range */
	{ "1969-12-31T23:59:59Z", 0, WTIME_BAD, NULL },
	{ "0000-01-01T00:00:00Z", 0, WTIME_BAD, NULL },
	{ "2024-13-01T00:00:00Z", 0, WTIME_BAD, NULL },
	{ "2024-00-10T00:00:00Z", 0, WTIME_BAD, NULL },
	{ "2024-04-31T00:00:00Z", 0, WTIME_BAD, NULL },
	{ "2024-03-00T00:00:00Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10T24:00:00Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10T23:60:00Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10T23:59:61Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00+24:00", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00+01:60", 0, WTIME_BAD, NULL },
	/* not the format */
	{ "", 0, WTIME_BAD, NULL },
	{ "2024", 0, WTIME_BAD, NULL },
	{ "2024/03/10T06:30:00Z", 0, WTIME_BAD, NULL },
	{ "24-03-10T06:30:00Z", 0, WTIME_BAD, NULL },
	{ "2024-3-10T06:30:00Z", 0, WTIME_BAD, NULL },
	{ " 2024-03-10T06:30:00Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00Z ", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00Zx", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10T6:30:00Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10X06:30:00Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00.Z", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00+0100", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00+01", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00+01:00:00", 0, WTIME_BAD, NULL },
	{ "2024-03-10T06:30:00 UTC", 0, WTIME_BAD, NULL },
	{ "2024-03-10T", 0, WTIME_BAD, NULL },
	{ "2024-03-1OT06:30:00Z", 0, WTIME_BAD, NULL },
	{ "-2024-03-10T06:30:00Z", 0, WTIME_BAD, NULL },
	{ "+2024-03-10T06:30:00Z", 0, WTIME_BAD, NULL },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(parse_rows); i++) {
		int64_t ms = -12345;
		char out[WTIME_BUFSZ];
		enum wtime_parse r = wtime_parse(parse_rows[i].in, parse_rows[i].flags, &ms);

		if (r != parse_rows[i].want)
			fail_msg("'%s': result %d, want %d", parse_rows[i].in, r, parse_rows[i].want);
		if (r != WTIME_OK && r != WTIME_NO_OFFSET)
			continue;
		wtime_format(ms, out);
		if (strcmp(out, parse_rows[i].utc))
			fail_msg("'%s': gives %s, want %s", parse_rows[i].in, out, parse_rows[i].utc);
	}
	assert_int_equal(wtime_parse(NULL, 0, NULL), WTIME_BAD);
}

static void test_parse_leap_second(void **state)
{
	int64_t a, b, next;

	(void)state;
	/* 23:59:60 is accepted and lands in the last second of the day */
	assert_int_equal(wtime_parse("2016-12-31T23:59:60Z", 0, &a), WTIME_OK);
	assert_int_equal(wtime_parse("2016-12-31T23:59:59Z", 0, &b), WTIME_OK);
	assert_int_equal(wtime_parse("2017-01-01T00:00:00Z", 0, &next), WTIME_OK);
	assert_true(a >= b && a < next);
}

static void test_format_table(void **state)
{
	static const struct {
		int64_t ms;
		const char *out;
	} rows[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1, "1970-01-01T00:00:00.001Z" },
		{ 999, "1970-01-01T00:00:00.999Z" },
		{ 1000, "1970-01-01T00:00:01Z" },
		{ INT64_C(1710028800000), "2024-03-10T00:00:00Z" },
		{ INT64_C(1709208000000), "2024-02-29T12:00:00Z" },
		{ INT64_C(951825600000), "2000-02-29T12:00:00Z" },
		{ INT64_C(1735689599999), "2024-12-31T23:59:59.999Z" },
		{ INT64_C(253402300799999), "9999-12-31T23:59:59.999Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ -1000, "1969-12-31T23:59:59Z" },
		{ -DAY_MS, "1969-12-31T00:00:00Z" },
	};
	char out[WTIME_BUFSZ];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		assert_ptr_equal(wtime_format(rows[i].ms, out), out);
		if (strcmp(out, rows[i].out))
			fail_msg("%lld: gives %s, want %s", (long long)rows[i].ms, out, rows[i].out);
	}
}

/* format -> parse -> format over 2024 in odd steps: every instant comes back,
 * and nothing happens around the DST dates of any zone. */
static void test_round_trip_year(void **state)
{
	int64_t start, end;
	const int64_t step = 37 * 60000 + 4321; /* 37 min 4.321 s */
	size_t n = 0;

	(void)state;
	assert_int_equal(wtime_parse("2024-01-01T00:00:00Z", 0, &start), WTIME_OK);
	assert_int_equal(wtime_parse("2025-01-01T00:00:00Z", 0, &end), WTIME_OK);
	assert_int_equal(end - start, 366 * DAY_MS);
	for (int64_t t = start; t < end; t += step, n++) {
		char s[WTIME_BUFSZ], s2[WTIME_BUFSZ];
		int64_t back = 0;

		wtime_format(t, s);
		if (wtime_parse(s, 0, &back) != WTIME_OK || back != t)
			fail_msg("%lld -> %s -> %lld", (long long)t, s, (long long)back);
		wtime_format(back, s2);
		assert_string_equal(s, s2);
	}
	assert_true(n > 14000);
}

/* Each local hour on a DST day, written with the offset the zone used, is
 * one hour after the previous one. */
static void test_dst_offsets(void **state)
{
	static const char *const new_york_spring[] = {
		"2024-03-10T00:30:00-05:00", "2024-03-10T01:30:00-05:00",
		"2024-03-10T03:30:00-04:00", "2024-03-10T04:30:00-04:00",
	};
	static const char *const new_york_fall[] = {
		"2024-11-03T00:30:00-04:00", "2024-11-03T01:30:00-04:00",
		"2024-11-03T01:30:00-05:00", "2024-11-03T02:30:00-05:00",
	};
	static const char *const berlin_spring[] = {
		"2024-03-31T01:30:00+01:00", "2024-03-31T03:30:00+02:00",
		"2024-03-31T04:30:00+02:00",
	};
	const struct { const char *const *t; size_t n; } sets[] = {
		{ new_york_spring, ARRAY_SIZE(new_york_spring) },
		{ new_york_fall, ARRAY_SIZE(new_york_fall) },
		{ berlin_spring, ARRAY_SIZE(berlin_spring) },
	};

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
		int64_t prev = 0;
		for (size_t i = 0; i < sets[s].n; i++) {
			int64_t t;
			assert_int_equal(wtime_parse(sets[s].t[i], 0, &t), WTIME_OK);
			if (i && t - prev != HOUR_MS)
				fail_msg("%s is %lld ms after the previous", sets[s].t[i],
					 (long long)(t - prev));
			prev = t;
		}
	}
}

/* The hand-written digits agree with a printf of the civil date, from
 * year 0 to 9999, with and without milliseconds, before and after 1970. */
static void test_format_digits(void **state)
{
	int64_t lo = -62167219200000LL, hi = 253402300799999LL; /* 0000-01-01 .. 9999-12-31 */
	uint64_t x = 88172645463325252ULL;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char got[WTIME_BUFSZ], want[WTIME_BUFSZ];
		int64_t ms, secs, days, rem, y;
		unsigned m, d;
		int frac;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		ms = i == 0 ? lo : i == 1 ? hi : lo + (int64_t)(x % (uint64_t)(hi - lo));
		if (i % 3 == 0)
			ms -= ms % 1000; /* whole seconds */
		secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
		frac = (int)(ms - secs * 1000);
		days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
		rem = secs - days * 86400;
		wtime_civil_from_days(days, &y, &m, &d);
		snprintf(want, sizeof(want), frac ? "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ" : "%04lld-%02u-%02uT%02d:%02d:%02dZ",
			 (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), frac);
		wtime_format(ms, got);
		if (strcmp(got, want))
			fail_msg("%lld: got %s want %s", (long long)ms, got, want);
	}
}

static void test_civil_days(void **state)
{
	static const struct {
		int64_t y;
		unsigned m, d;
		int64_t days;
	} rows[] = {
		{ 1970, 1, 1, 0 },
		{ 1969, 12, 31, -1 },
		{ 2000, 1, 1, 10957 },
		{ 2000, 3, 1, 11017 },
		{ 2024, 2, 29, 19782 },
		{ 2024, 3, 10, 19792 },
		{ 1600, 1, 1, -135140 },
	};
	int64_t y;
	unsigned m, d;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		assert_int_equal(wtime_days_from_civil(rows[i].y, rows[i].m, rows[i].d), rows[i].days);
		wtime_civil_from_days(rows[i].days, &y, &m, &d);
		assert_int_equal(y, rows[i].y);
		assert_int_equal(m, rows[i].m);
		assert_int_equal(d, rows[i].d);
	}
	/* the inverse holds for every day from 1600 to 2600 */
	for (int64_t z = -135140; z < 230000; z++) {
		wtime_civil_from_days(z, &y, &m, &d);
		if (wtime_days_from_civil(y, m, d) != z)
			fail_msg("day %lld -> %lld-%u-%u", (long long)z, (long long)y, m, d);
	}
	/* year lengths: leap by 4, not by 100, but by 400 */
	static const struct { int64_t y; int64_t len; } years[] = {
		{ 2023, 365 }, { 2024, 366 }, { 1900, 365 }, { 2000, 366 }, { 2100, 365 },
		{ 2400, 366 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(years); i++)
		assert_int_equal(wtime_days_from_civil(years[i].y + 1, 1, 1) -
				 wtime_days_from_civil(years[i].y, 1, 1), years[i].len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_leap_second),
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_round_trip_year),
		cmocka_unit_test(test_dst_offsets),
		cmocka_unit_test(test_civil_days),
		cmocka_unit_test(test_format_digits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
