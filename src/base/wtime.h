/*
 * wtime.h - RFC 3339 time stamps <-> milliseconds since the Unix epoch (UTC).
 *
 * Pure: no clock, no time zone database, no locale.  All wismo times are
 * int64_t milliseconds in UTC.  Parsing accepts "YYYY-MM-DDTHH:MM:SS[.fff]"
 * followed by "Z" or "+HH:MM"/"-HH:MM" ('t', 'z' and a space for 'T' too),
 * or a bare date "YYYY-MM-DD" (taken as midnight UTC) where the caller allows
 * it.  Fractions below a millisecond are truncated.
 */
#ifndef WISMO_WTIME_H
#define WISMO_WTIME_H

#include <stdbool.h>
#include <stdint.h>

enum wtime_parse {
	WTIME_OK = 0,
	WTIME_BAD = -1,       /* not a time stamp, or out of range */
	WTIME_NO_OFFSET = -2, /* a valid local time without a zone offset; *ms_out
	                         holds it read as if it were UTC */
};

#define WTIME_FLAG_DATE_OK 1 /* accept "YYYY-MM-DD" alone */

enum wtime_parse wtime_parse(const char *s, int flags, int64_t *ms_out);

/* Writes "YYYY-MM-DDTHH:MM:SSZ", with ".mmm" before the Z when ms % 1000 != 0.
 * out must hold WTIME_BUFSZ bytes.  Returns out. */
#define WTIME_BUFSZ 32
char *wtime_format(int64_t ms, char out[WTIME_BUFSZ]);

/* Days since 1970-01-01 for a proleptic Gregorian date, and the inverse. */
int64_t wtime_days_from_civil(int64_t y, unsigned m, unsigned d);
void wtime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

struct cJSON;
/* Adds name: the RFC 3339 text of ms, or null when ms is 0 (the "time or
 * null" of every JSON answer).  False when cJSON could not allocate. */
bool wtime_json_add(struct cJSON *o, const char *name, int64_t ms);

#endif
