/*
 * calendar.h - working days: which days count when wismo measures how long
 * a parcel or an order has waited (docs/exceptions.md, "Working time").
 *
 * Working time is whole days: a working day counts its 24 hours, any other
 * day (a weekday outside the mask, a listed holiday) counts none.  Carriers
 * scan around the clock, so office hours would be the wrong unit; "24
 * business hours" is one working day.  Days are cut at midnight of the
 * shop's local time, given as a fixed offset from UTC (a daylight-saving
 * hour moves a cut by one hour, which no threshold here is sharp enough to
 * notice).
 *
 * Pure: no clock, no I/O, plain data; share a calendar read-only.
 */
#ifndef WISMO_CALENDAR_H
#define WISMO_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#define CAL_DAY_MS ((int64_t)86400000)
#define CAL_HOLIDAYS_MAX 64
#define CAL_ADD_MAX (3660 * CAL_DAY_MS) /* calendar_add: longer is "never" */

struct calendar {
	unsigned workdays;        /* bit d set: weekday d works (0 = Sunday ... 6 = Saturday) */
	int64_t offset_ms;        /* the shop's local time minus UTC */
	int nholidays;
	int64_t holidays[CAL_HOLIDAYS_MAX]; /* local day numbers (days since 1970-01-01), sorted */
};

/* Monday to Friday, UTC, no holidays. */
void calendar_init(struct calendar *c);
/* "mon-fri", "mon,wed,fri", "mon-sat", "sun-sat" (also "all"): the mask,
 * or -1 for text that is none of these. */
int calendar_parse_days(const char *text);
/* "2026-12-25,2027-01-01": sets the holidays; -1 for a bad date or too many. */
int calendar_parse_holidays(struct calendar *c, const char *text);
/* The start of the shop's local day holding t (a UTC instant). */
int64_t calendar_day_start(const struct calendar *c, int64_t t);
/* Whether local day number `day` works. */
bool calendar_workday(const struct calendar *c, int64_t day);
/* Working milliseconds in [from, to); 0 when to <= from. */
int64_t calendar_between(const struct calendar *c, int64_t from, int64_t to);
/* The first instant at which `work` milliseconds of working time have passed
 * since `from` (work >= 0).  With no working day in the mask the answer is
 * INT64_MAX (the time never comes), and so it is for work > CAL_ADD_MAX. */
int64_t calendar_add(const struct calendar *c, int64_t from, int64_t work);

#endif
