/* wtime.c - RFC 3339 parsing and formatting without libc time zones. */
#include "wtime.h"

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t wtime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void wtime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

enum wtime_parse wtime_parse(const char *s, int flags, int64_t *ms_out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0;
	bool no_offset = false;
	const char *p;

	if (!s || strlen(s) < 10)
		return WTIME_BAD;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return WTIME_BAD;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return WTIME_BAD;
	p = s + 10;
	if (*p == '\0') {
		if (!(flags & WTIME_FLAG_DATE_OK))
			return WTIME_BAD;
		*ms_out = wtime_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000LL;
		return WTIME_OK;
	}
	if (*p != 'T' && *p != 't' && *p != ' ')
		return WTIME_BAD;
	p++;
	if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi) || p[5] != ':' ||
	    digits(p + 6, 2, &sec))
		return WTIME_BAD;
	if (h > 23 || mi > 59 || sec > 60)
		return WTIME_BAD;
	if (sec == 60)
		sec = 59; /* a leap second is read as :59 (plus its fraction) */
	p += 8;
	if (*p == '.') {
		int n = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (n < 3)
				ms = ms * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			return WTIME_BAD;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return WTIME_BAD;
		off = sign * (oh * 60 + om);
		p += 6;
	} else if (*p == '\0') {
		no_offset = true;
	} else {
		return WTIME_BAD;
	}
	if (*p != '\0')
		return WTIME_BAD;
	int64_t days = wtime_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t t = ((days * 24 + h) * 60 + mi) * 60 + sec;
	t -= (int64_t)off * 60;
	if (t * 1000 + ms <= 0)
		return WTIME_BAD; /* 0 means "not given" everywhere */
	*ms_out = t * 1000 + ms;
	return no_offset ? WTIME_NO_OFFSET : WTIME_OK;
}

char *wtime_format(int64_t ms, char out[WTIME_BUFSZ])
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int frac = (int)(ms - secs * 1000);
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rem = secs - days * 86400;
	int64_t y;
	unsigned m, d;

	wtime_civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999) {
		/* digits by hand: snprintf's conversions were a visible share of
		 * writing an event (docs/performance.md) */
		int v[6] = { (int)y, (int)m, (int)d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60) };
		char *p = out;
		*p++ = (char)('0' + v[0] / 1000);
		*p++ = (char)('0' + v[0] / 100 % 10);
		for (int i = 0; i < 6; i++) {
			*p++ = (char)('0' + v[i] / 10 % 10);
			*p++ = (char)('0' + v[i] % 10);
			*p++ = "--T::"[i < 5 ? i : 0];
		}
		p--; /* the separator after the seconds */
		if (frac) {
			*p++ = '.';
			*p++ = (char)('0' + frac / 100);
			*p++ = (char)('0' + frac / 10 % 10);
			*p++ = (char)('0' + frac % 10);
		}
		*p++ = 'Z';
		*p = '\0';
	} else if (frac)
		snprintf(out, WTIME_BUFSZ, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
			 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), frac);
	else
		snprintf(out, WTIME_BUFSZ, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
			 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	return out;
}

bool wtime_json_add(cJSON *o, const char *name, int64_t ms)
{
	char ts[WTIME_BUFSZ];

	return (ms ? cJSON_AddStringToObject(o, name, wtime_format(ms, ts)) : cJSON_AddNullToObject(o, name)) != NULL;
}
