/*
 * zones.c - location -> IANA zone, and local wall time -> UTC with the
 * zone's rules read from TZif files (RFC 8536).
 *
 * Only what resolving a carrier's local time needs: the 64-bit transition
 * table of a version 2+ file and, past its last transition, the POSIX TZ
 * footer with "Mm.w.d[/time]" rules (what every zone that still changes
 * clocks uses).  Zones are read on first use and kept; a mutex guards the
 * cache, a loaded zone is never changed, so lookups of loaded zones need no
 * lock beyond finding them.
 */
#include "zones.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/wtime.h"
#include "../base/banned.h"

#define ZONE_NAME_MAX 64
#define TZIF_MAX (256u * 1024)

struct rule {            /* a POSIX "Mm.w.d/time" transition */
	int month, week, wday;
	int32_t secs;        /* local time of day, seconds */
};

struct zone {
	char name[ZONE_NAME_MAX + 1];
	int64_t *trans;      /* UTC seconds */
	int32_t *trans_off;  /* offset in effect from trans[i] */
	size_t ntrans;
	int32_t first_off;   /* before the first transition */
	bool has_footer;
	int32_t std_off, dst_off;  /* seconds east of UTC */
	bool has_dst;
	struct rule start, end;
	struct zone *next;
};

struct zrow {
	char country[48];     /* ISO code or a name as carriers write it */
	char region[16];
	char zone[ZONE_NAME_MAX + 1];
};

struct zones {
	char dir[1024];
	struct zrow *rows;
	size_t nrows;
	pthread_mutex_t mu;
	struct zone *loaded;
};

static int64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static int32_t be32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/* Parses [+-]hh[:mm[:ss]]; returns the end or NULL. */
static const char *parse_hms(const char *p, int32_t *secs)
{
	int sign = 1, h = 0, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		h = h * 10 + (*p++ - '0');
	if (*p == ':') {
		p++;
		while (*p >= '0' && *p <= '9')
			m = m * 10 + (*p++ - '0');
		if (*p == ':') {
			p++;
			while (*p >= '0' && *p <= '9')
				s = s * 10 + (*p++ - '0');
		}
	}
	if (h > 167 || m > 59 || s > 59)
		return NULL;
	*secs = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *skip_name(const char *p)
{
	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p ? p + 1 : NULL;
	}
	const char *s = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

static const char *parse_rule(const char *p, struct rule *r)
{
	char *end;

	if (*p++ != 'M')
		return NULL;
	r->month = (int)strtol(p, &end, 10);
	if (*end != '.')
		return NULL;
	r->week = (int)strtol(end + 1, &end, 10);
	if (*end != '.')
		return NULL;
	r->wday = (int)strtol(end + 1, &end, 10);
	if (r->month < 1 || r->month > 12 || r->week < 1 || r->week > 5 || r->wday < 0 || r->wday > 6)
		return NULL;
	p = end;
	r->secs = 7200;
	if (*p == '/') {
		p = parse_hms(p + 1, &r->secs);
		if (!p)
			return NULL;
	}
	return p;
}

/* "EST5EDT,M3.2.0,M11.1.0": POSIX offsets are west-positive. */
static bool parse_footer(const char *p, struct zone *z)
{
	int32_t off;

	if (!(p = skip_name(p)) || !(p = parse_hms(p, &off)))
		return false;
	z->std_off = -off;
	z->has_dst = false;
	if (*p == '\0')
		return true;
	if (!(p = skip_name(p)))
		return false;
	z->dst_off = z->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = parse_hms(p, &off)))
			return false;
		z->dst_off = -off;
	}
	if (*p++ != ',' || !(p = parse_rule(p, &z->start)) || *p++ != ',' || !(p = parse_rule(p, &z->end)))
		return false;
	z->has_dst = *p == '\0';
	return z->has_dst;
}

static void zone_free(struct zone *z)
{
	if (!z)
		return;
	free(z->trans);
	free(z->trans_off);
	free(z);
}

static enum werr parse_tzif(const unsigned char *b, size_t len, struct zone *z)
{
	const unsigned char *p = b;
	size_t cnt[6], need;

	if (len < 44 || memcmp(b, "TZif", 4) || b[4] < '2')
		return WERR_INVALID;
	/* skip the version 1 block */
	for (int i = 0; i < 6; i++)
		cnt[i] = (size_t)be32(b + 20 + 4 * i);
	need = 44 + cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
	if (need + 44 > len)
		return WERR_INVALID;
	p = b + need;
	if (memcmp(p, "TZif", 4))
		return WERR_INVALID;
	for (int i = 0; i < 6; i++)
		cnt[i] = (size_t)be32(p + 20 + 4 * i);
	size_t isut = cnt[0], isstd = cnt[1], leap = cnt[2], timecnt = cnt[3], typecnt = cnt[4], charcnt = cnt[5];
	need = 44 + timecnt * 9 + typecnt * 6 + charcnt + leap * 12 + isstd + isut;
	if (typecnt == 0 || (size_t)(p - b) + need > len)
		return WERR_INVALID;
	const unsigned char *times = p + 44, *idx = times + timecnt * 8, *types = idx + timecnt;
	z->trans = calloc(timecnt ? timecnt : 1, sizeof(*z->trans));
	z->trans_off = calloc(timecnt ? timecnt : 1, sizeof(*z->trans_off));
	if (!z->trans || !z->trans_off)
		return WERR_NOMEM;
	for (size_t i = 0; i < timecnt; i++) {
		if (idx[i] >= typecnt)
			return WERR_INVALID;
		z->trans[i] = be64(times + 8 * i);
		z->trans_off[i] = be32(types + 6 * idx[i]);
	}
	z->ntrans = timecnt;
	z->first_off = be32(types); /* type 0: the time before the first transition */
	/* footer: "\n<TZ string>\n" */
	const unsigned char *f = p + need;
	if (f < b + len && *f == '\n') {
		const unsigned char *e = memchr(f + 1, '\n', (size_t)(b + len - f - 1));
		if (e && e - f - 1 < 128) {
			char tz[128];
			memcpy(tz, f + 1, (size_t)(e - f - 1));
			tz[e - f - 1] = '\0';
			z->has_footer = tz[0] && parse_footer(tz, z);
		}
	}
	return WERR_OK;
}

static struct zone *zone_read(const char *dir, const char *name)
{
	char path[2048];
	unsigned char *buf;
	size_t len;
	struct zone *z;
	FILE *f;

	/* IANA names: letters, digits, '/', '_', '-', '+'; never "..". */
	if (!name[0] || strlen(name) > ZONE_NAME_MAX || strstr(name, "..") || name[0] == '/')
		return NULL;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '/' || *c == '_' || *c == '-' || *c == '+'))
			return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")))
		return NULL;
	buf = malloc(TZIF_MAX);
	z = calloc(1, sizeof(*z));
	len = buf ? fread(buf, 1, TZIF_MAX, f) : 0;
	fclose(f);
	if (!buf || !z || parse_tzif(buf, len, z)) {
		free(buf);
		zone_free(z);
		return NULL;
	}
	free(buf);
	memcpy(z->name, name, strlen(name) + 1);
	return z;
}

/* The zone, read on first use. */
static struct zone *zone_get(const struct zones *cz, const char *name)
{
	struct zones *zs = (struct zones *)cz; /* the cache is internal state */
	struct zone *z;

	pthread_mutex_lock(&zs->mu);
	for (z = zs->loaded; z; z = z->next)
		if (!strcmp(z->name, name))
			break;
	if (!z && (z = zone_read(zs->dir, name))) {
		z->next = zs->loaded;
		zs->loaded = z;
	}
	pthread_mutex_unlock(&zs->mu);
	return z;
}

/* UTC seconds of a rule's transition in year y, given the offset in effect
 * before it. */
static int64_t rule_utc(const struct rule *r, int64_t y, int32_t off_before)
{
	int64_t first = wtime_days_from_civil(y, (unsigned)r->month, 1);
	int wd_first = (int)((first % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	int64_t day = first + (r->wday - wd_first + 7) % 7 + (int64_t)(r->week - 1) * 7;
	int64_t y2;
	unsigned m2, d2;

	if (r->week == 5) { /* the last such weekday of the month */
		wtime_civil_from_days(day, &y2, &m2, &d2);
		if (m2 != (unsigned)r->month)
			day -= 7;
	}
	return day * 86400 + r->secs - off_before;
}

static int32_t footer_offset(const struct zone *z, int64_t t)
{
	int64_t y;
	unsigned m, d;
	int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;

	if (!z->has_dst)
		return z->std_off;
	wtime_civil_from_days(day, &y, &m, &d);
	int64_t s = rule_utc(&z->start, y, z->std_off), e = rule_utc(&z->end, y, z->dst_off);
	if (s < e)
		return t >= s && t < e ? z->dst_off : z->std_off;
	return t >= e && t < s ? z->std_off : z->dst_off; /* southern hemisphere */
}

/* Offset (seconds east) in effect at UTC second t. */
static int32_t zone_offset(const struct zone *z, int64_t t)
{
	size_t lo = 0, hi = z->ntrans;

	if (!z->ntrans || t < z->trans[0])
		return z->ntrans || !z->has_footer ? z->first_off : footer_offset(z, t);
	if (t >= z->trans[z->ntrans - 1] && z->has_footer)
		return footer_offset(z, t);
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->trans_off[lo];
}

enum werr zones_to_utc(const struct zones *zs, const char *name, int64_t local_ms, int64_t *utc_ms)
{
	const struct zone *z = zs ? zone_get(zs, name) : NULL;
	int64_t ms = local_ms % 1000, local = (local_ms - ms) / 1000;
	int32_t before, after, cand[2];
	int64_t best = 0;
	bool found = false;

	if (ms < 0) {
		ms += 1000;
		local -= 1;
	}
	if (!z)
		return WERR_NOT_FOUND;
	/* The offsets around this wall time; no zone changes twice in 52 h. */
	before = zone_offset(z, local - 26 * 3600);
	after = zone_offset(z, local + 26 * 3600);
	cand[0] = before;
	cand[1] = after;
	for (int i = 0; i < 2; i++) {
		int64_t u = local - cand[i];
		if (zone_offset(z, u) == cand[i] && (!found || u < best)) {
			best = u; /* a repeated hour: the first occurrence */
			found = true;
		}
	}
	if (!found)
		best = local - before; /* a skipped hour: the offset before the change */
	*utc_ms = best * 1000 + ms;
	return WERR_OK;
}

static bool field_ok(const char *s, size_t max)
{
	return s[0] && strlen(s) <= max;
}

enum werr zones_load(const char *table_path, const char *zoneinfo_dir, struct zones **out, char *err,
		     size_t errcap)
{
	struct zones *zs;
	FILE *f;
	char line[512];
	size_t lineno = 0, cap = 0;

	*out = NULL;
	zs = calloc(1, sizeof(*zs));
	if (!zs)
		return WERR_NOMEM;
	pthread_mutex_init(&zs->mu, NULL);
	snprintf(zs->dir, sizeof(zs->dir), "%s", zoneinfo_dir ? zoneinfo_dir : "/usr/share/zoneinfo");
	if (!table_path) {
		*out = zs;
		return WERR_OK;
	}
	if (!(f = fopen(table_path, "r"))) {
		snprintf(err, errcap, "unable to open '%s': %s", table_path, strerror(errno));
		zones_free(zs);
		return WERR_IO;
	}
	while (fgets(line, sizeof(line), f)) {
		char *cols[3], *p = line, *save = NULL;
		int n = 0;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		for (char *tok = strtok_r(p, "\t", &save); tok && n < 3; tok = strtok_r(NULL, "\t", &save))
			cols[n++] = tok;
		if (n != 3 || !field_ok(cols[0], 47) || !field_ok(cols[1], 15) || !field_ok(cols[2], ZONE_NAME_MAX)) {
			snprintf(err, errcap, "%s:%zu: expected 'country<TAB>region<TAB>zone'", table_path, lineno);
			fclose(f);
			zones_free(zs);
			return WERR_INVALID;
		}
		if (zs->nrows == cap) {
			size_t nc = cap ? cap * 2 : 128;
			struct zrow *r = realloc(zs->rows, nc * sizeof(*r));
			if (!r) {
				fclose(f);
				zones_free(zs);
				return WERR_NOMEM;
			}
			zs->rows = r;
			cap = nc;
		}
		struct zrow *r = &zs->rows[zs->nrows++];
		snprintf(r->country, sizeof(r->country), "%s", cols[0]);
		snprintf(r->region, sizeof(r->region), "%s", cols[1]);
		snprintf(r->zone, sizeof(r->zone), "%s", cols[2]);
	}
	fclose(f);
	*out = zs;
	return WERR_OK;
}

void zones_free(struct zones *zs)
{
	if (!zs)
		return;
	while (zs->loaded) {
		struct zone *n = zs->loaded->next;
		zone_free(zs->loaded);
		zs->loaded = n;
	}
	pthread_mutex_destroy(&zs->mu);
	free(zs->rows);
	free(zs);
}

const char *zones_lookup(const struct zones *zs, const char *country, const char *region)
{
	const char *fallback = NULL;

	if (!zs || !country || !country[0])
		return NULL;
	for (size_t i = 0; i < zs->nrows; i++) {
		const struct zrow *r = &zs->rows[i];
		if (strcasecmp(r->country, country))
			continue;
		if (region && region[0] && !strcasecmp(r->region, region))
			return r->zone;
		if (!strcmp(r->region, "*"))
			fallback = r->zone;
	}
	return fallback;
}
