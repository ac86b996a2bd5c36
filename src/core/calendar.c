/*
 * calendar.c - working days (calendar.h).
 */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/wtime.h"

#define ALL_DAYS 0x7fu

void calendar_init(struct calendar *c)
{
	memset(c, 0, sizeof(*c));
	c->workdays = 0x3eu; /* Monday .. Friday */
}

static int day_index(const char *s, size_t len)
{
	static const char *const names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

	if (len != 3)
		return -1;
	for (int i = 0; i < 7; i++)
		if (!strncasecmp(s, names[i], 3))
			return i;
	return -1;
}

int calendar_parse_days(const char *text)
{
	unsigned mask = 0;
	const char *p = text;

	if (!strcasecmp(text, "all"))
		return ALL_DAYS;
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *dash = memchr(p, '-', len);
		int a, b;

		if (dash) {
			a = day_index(p, (size_t)(dash - p));
			b = day_index(dash + 1, len - (size_t)(dash - p) - 1);
			if (a < 0 || b < 0 || b < a)
				return -1;
		} else if ((a = b = day_index(p, len)) < 0) {
			return -1;
		}
		for (int d = a; d <= b; d++)
			mask |= 1u << d;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	return mask ? (int)mask : -1;
}

static int cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int calendar_parse_holidays(struct calendar *c, const char *text)
{
	const char *p = text;
	int n = 0;
	int64_t days[CAL_HOLIDAYS_MAX];

	while (*p) {
		unsigned y, m, d;
		int used = 0;

		while (*p == ' ')
			p++;
		if (sscanf(p, "%4u-%2u-%2u%n", &y, &m, &d, &used) != 3 || used != 10 || m < 1 || m > 12 ||
		    d < 1 || d > 31 || n == CAL_HOLIDAYS_MAX)
			return -1;
		days[n++] = wtime_days_from_civil(y, m, d);
		p += used;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	qsort(days, (size_t)n, sizeof(days[0]), cmp_day);
	memcpy(c->holidays, days, (size_t)n * sizeof(days[0]));
	c->nholidays = n;
	return 0;
}

int64_t calendar_day_start(const struct calendar *c, int64_t t)
{
	int64_t local = t + c->offset_ms, day = local / CAL_DAY_MS;

	if (local % CAL_DAY_MS < 0)
		day--;
	return day * CAL_DAY_MS - c->offset_ms;
}

bool calendar_workday(const struct calendar *c, int64_t day)
{
	int wd = (int)(((day % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */

	if (!(c->workdays & (1u << wd)))
		return false;
	return !c->nholidays ||
	       !bsearch(&day, c->holidays, (size_t)c->nholidays, sizeof(c->holidays[0]), cmp_day);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t calendar_between(const struct calendar *c, int64_t from, int64_t to)
{
	int64_t a, b, da, db, sum = 0;

	if (to <= from)
		return 0;
	a = from + c->offset_ms;
	b = to + c->offset_ms;
	da = floor_div(a, CAL_DAY_MS);
	db = floor_div(b, CAL_DAY_MS);
	if (da == db)
		return calendar_workday(c, da) ? b - a : 0;
	if (calendar_workday(c, da))
		sum += (da + 1) * CAL_DAY_MS - a;
	for (int64_t d = da + 1; d < db; d++) {
		/* whole weeks at once: the mask repeats, holidays are few */
		if (db - d > 7 && !c->nholidays) {
			int64_t weeks = (db - d) / 7;
			sum += weeks * __builtin_popcount(c->workdays & ALL_DAYS) * CAL_DAY_MS;
			d += weeks * 7 - 1;
			continue;
		}
		if (calendar_workday(c, d))
			sum += CAL_DAY_MS;
	}
	if (calendar_workday(c, db))
		sum += b - db * CAL_DAY_MS;
	return sum;
}

int64_t calendar_add(const struct calendar *c, int64_t from, int64_t work)
{
	int64_t a = from + c->offset_ms, day = floor_div(a, CAL_DAY_MS);
	int64_t left = work, t = a;

	if (work <= 0)
		return from;
	if (!(c->workdays & ALL_DAYS) || work > CAL_ADD_MAX)
		return INT64_MAX;
	/* A week holds a working day and holidays are finite: the walk ends. */
	for (;;) {
		int64_t end = (day + 1) * CAL_DAY_MS;
		if (calendar_workday(c, day)) {
			if (left <= end - t)
				return t + left - c->offset_ms;
			left -= end - t;
		}
		day++;
		t = end;
	}
}
