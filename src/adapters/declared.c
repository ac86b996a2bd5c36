/*
 * declared.c - carriers described by data (contract in declared.h; every key
 * in docs/carriers.md).
 */
#include "declared.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "carrier_scan.h"
#include "detect.h"
#include "mapping.h"
#include "../base/text.h"
#include "../base/wtime.h"
#include "../base/xml.h"
#include "../base/banned.h"

#define DECL_VALUE_MAX 512
#define DECL_HEADERS_MAX 2048 /* every [request] header line together */
#define DECL_HITS_MAX 4096 /* nodes one path may give (scans of one answer) */
#define DECL_S10_MAX 8

/* Every key a description may have: section, key, the field it fills. */
enum decl_key {
	K_LABEL, K_CARRIER, K_CODES, K_FORMAT, K_HOME,
	K_METHOD, K_URL, K_BODY, K_ACCEPT, K_AUTH, K_TOKEN_PATH, K_KEY_HEADER, K_HEADER,
	K_PATTERN, K_S10,
	K_SHIPMENTS, K_TRACKING, K_ESTIMATED, K_DESTINATION, K_ORIGIN, K_EVENTS,
	K_CODE, K_FALLBACK, K_DESCRIPTION, K_AT, K_DATE, K_TIME, K_CITY, K_REGION, K_COUNTRY, K_PLACE,
	K_ERRORS, K_ERROR_CODE, K_ERROR_MESSAGE, K_NOT_FOUND,
	K_COUNT
};

static const struct {
	const char *section, *key;
} KEYS[K_COUNT] = {
	[K_LABEL] = { "carrier", "label" },
	[K_CARRIER] = { "carrier", "carrier" },
	[K_CODES] = { "carrier", "codes" },
	[K_FORMAT] = { "carrier", "format" },
	[K_HOME] = { "carrier", "home" },
	[K_METHOD] = { "request", "method" },
	[K_URL] = { "request", "url" },
	[K_BODY] = { "request", "body" },
	[K_ACCEPT] = { "request", "accept" },
	[K_AUTH] = { "request", "auth" },
	[K_TOKEN_PATH] = { "request", "token_path" },
	[K_KEY_HEADER] = { "request", "key_header" },
	[K_HEADER] = { "request", "header" },
	[K_PATTERN] = { "detect", "pattern" },
	[K_S10] = { "detect", "s10" },
	[K_SHIPMENTS] = { "answer", "shipments" },
	[K_TRACKING] = { "answer", "tracking" },
	[K_ESTIMATED] = { "answer", "estimated" },
	[K_DESTINATION] = { "answer", "destination" },
	[K_ORIGIN] = { "answer", "origin" },
	[K_EVENTS] = { "answer", "events" },
	[K_CODE] = { "event", "code" },
	[K_FALLBACK] = { "event", "fallback" },
	[K_DESCRIPTION] = { "event", "description" },
	[K_AT] = { "event", "at" },
	[K_DATE] = { "event", "date" },
	[K_TIME] = { "event", "time" },
	[K_CITY] = { "event", "city" },
	[K_REGION] = { "event", "region" },
	[K_COUNTRY] = { "event", "country" },
	[K_PLACE] = { "event", "place" },
	[K_ERRORS] = { "error", "entries" },
	[K_ERROR_CODE] = { "error", "code" },
	[K_ERROR_MESSAGE] = { "error", "message" },
	[K_NOT_FOUND] = { "error", "not_found" },
};

struct carrier_decl {
	char name[EV_SOURCE_MAX + 1];
	char *v[K_COUNT]; /* every value; "" when the description does not say */
	bool xml;
	bool has_pattern;
	regex_t pattern;
	struct decl_request req;
	struct adapter ad;
};

/* Takes one key; on a bad one writes why into err. */
static bool on_entry(struct carrier_decl *d, const char *section, const char *key, const char *value, char *err,
		     size_t errcap)
{
	for (int k = 0; k < K_COUNT; k++) {
		if (strcmp(KEYS[k].section, section) || strcmp(KEYS[k].key, key))
			continue;
		/* [request] header may be given once per header: the lines are kept joined by '\n' */
		bool more = k == K_HEADER && d->v[k][0];
		if (d->v[k][0] && !more) {
			snprintf(err, errcap, "[%s] %s is given twice", section, key);
			return false;
		}
		if (strlen(value) > DECL_VALUE_MAX || (more && strlen(d->v[k]) + 1 + strlen(value) > DECL_HEADERS_MAX)) {
			snprintf(err, errcap, "[%s] %s is longer than %d bytes", section, key,
				 more ? DECL_HEADERS_MAX : DECL_VALUE_MAX);
			return false;
		}
		size_t had = more ? strlen(d->v[k]) + 1 : 0;
		char *dup = malloc(had + strlen(value) + 1);
		if (!dup) {
			snprintf(err, errcap, "out of memory");
			return false;
		}
		if (more) {
			memcpy(dup, d->v[k], had - 1);
			dup[had - 1] = '\n';
		}
		memcpy(dup + had, value, strlen(value) + 1);
		free(d->v[k]);
		d->v[k] = dup;
		return true;
	}
	snprintf(err, errcap, "unknown key '%s' in [%s] (docs/carriers.md)", key, section);
	return false;
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * The INI dialect of a description: "[section]", "key = value" (the value
 * runs to the end of the line, whatever its length: URLs and request bodies
 * are long), '#' or ';' at the start of a line for comments.  Returns 0, or
 * the number of the first bad line (err says why).
 */
static int read_ini(struct carrier_decl *d, char *text, char *err, size_t errcap)
{
	char section[32] = "";
	int lineno = 0;

	for (char *line = text, *next; line; line = next) {
		char *s, *eq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		s = trim(line);
		if (!s[0] || s[0] == '#' || s[0] == ';')
			continue;
		if (s[0] == '[') {
			char *close = strchr(s, ']');
			if (!close || close[1] || (size_t)(close - s - 1) >= sizeof(section)) {
				snprintf(err, errcap, "a section is written [name]");
				return lineno;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", s + 1);
			continue;
		}
		if (!(eq = strchr(s, '=')) || eq == s) {
			snprintf(err, errcap, "expected 'key = value'");
			return lineno;
		}
		*eq = '\0';
		if (!section[0]) {
			snprintf(err, errcap, "a key before any [section]");
			return lineno;
		}
		if (!on_entry(d, section, trim(s), trim(eq + 1), err, errcap))
			return lineno;
	}
	return 0;
}

static const char *V(const struct carrier_decl *d, enum decl_key k)
{
	return d->v[k];
}

/* A tracking number's pattern is simple: a few repetitions, none applied
 * to another ("a++" makes the regex compiler's tree grow without bound),
 * counts small.  Anything else is refused at load. */
static bool pattern_modest(const char *re)
{
	int reps = 0;
	bool after_rep = false;

	for (const char *p = re; *p; p++) {
		bool rep = *p == '*' || *p == '+' || *p == '?' || *p == '{';
		if (*p == '\\' && p[1]) {
			p++;
			after_rep = false;
			continue;
		}
		if (rep && (after_rep || ++reps > 16))
			return false;
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (!close)
				return false;
			for (const char *q = p + 1; q < close; q++)
				if (isdigit((unsigned char)*q) && strtol(q, NULL, 10) > 64)
					return false;
			p = close;
		}
		after_rep = rep;
	}
	return true;
}

static enum werr check(struct carrier_decl *d, const char *origin, char *err, size_t errcap)
{
	static const enum decl_key required[] = { K_FORMAT, K_URL, K_TRACKING, K_EVENTS, K_CODE };
	const char *auth = V(d, K_AUTH), *method = V(d, K_METHOD);

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!V(d, required[i])[0]) {
			snprintf(err, errcap, "%s: [%s] %s is required", origin, KEYS[required[i]].section,
				 KEYS[required[i]].key);
			return WERR_INVALID;
		}
	if (strcmp(V(d, K_FORMAT), "json") && strcmp(V(d, K_FORMAT), "xml")) {
		snprintf(err, errcap, "%s: [carrier] format is json or xml, not '%s'", origin, V(d, K_FORMAT));
		return WERR_INVALID;
	}
	d->xml = !strcmp(V(d, K_FORMAT), "xml");
	if (!V(d, K_AT)[0] && !V(d, K_DATE)[0]) {
		snprintf(err, errcap, "%s: [event] needs at (a time stamp) or date (and time)", origin);
		return WERR_INVALID;
	}
	if (method[0] && strcmp(method, "GET") && strcmp(method, "POST")) {
		snprintf(err, errcap, "%s: [request] method is GET or POST, not '%s'", origin, method);
		return WERR_INVALID;
	}
	if (auth[0] && strcmp(auth, "none") && strcmp(auth, "basic") && strcmp(auth, "bearer") &&
	    strcmp(auth, "header")) {
		snprintf(err, errcap, "%s: [request] auth is none, basic, bearer or header, not '%s'", origin, auth);
		return WERR_INVALID;
	}
	if (!strcmp(auth, "bearer") && !V(d, K_TOKEN_PATH)[0]) {
		snprintf(err, errcap, "%s: [request] auth = bearer needs token_path", origin);
		return WERR_INVALID;
	}
	if (!strcmp(auth, "header") && !V(d, K_KEY_HEADER)[0]) {
		snprintf(err, errcap, "%s: [request] auth = header needs key_header", origin);
		return WERR_INVALID;
	}
	if (V(d, K_PATTERN)[0] && !pattern_modest(V(d, K_PATTERN))) {
		snprintf(err, errcap, "%s: [detect] pattern is too elaborate for a tracking number (at most 16 "
			 "repetitions, none repeated twice, counts up to 64)", origin);
		return WERR_INVALID;
	}
	if (V(d, K_PATTERN)[0]) {
		char re[DECL_VALUE_MAX + 8];
		snprintf(re, sizeof(re), "^(%s)$", V(d, K_PATTERN));
		if (regcomp(&d->pattern, re, REG_EXTENDED | REG_NOSUB)) {
			snprintf(err, errcap, "%s: [detect] pattern is not a POSIX extended regular expression", origin);
			return WERR_INVALID;
		}
		d->has_pattern = true;
	}
	return WERR_OK;
}

enum werr decl_load(const char *name, const char *text, size_t len, const char *origin,
		    struct carrier_decl **out, char *err, size_t errcap)
{
	struct carrier_decl *d;
	char *copy;
	enum werr e;
	int rc;

	*out = NULL;
	err[0] = '\0';
	if (strlen(name) > EV_SOURCE_MAX || !name[0]) {
		snprintf(err, errcap, "%s: a carrier's name is 1 to %d bytes", origin, EV_SOURCE_MAX);
		return WERR_INVALID;
	}
	if (!(d = calloc(1, sizeof(*d))) || !(copy = malloc(len + 1))) {
		free(d);
		return WERR_NOMEM;
	}
	memcpy(d->name, name, strlen(name) + 1);
	for (int k = 0; k < K_COUNT; k++)
		if (!(d->v[k] = strdup(""))) {
			free(copy);
			decl_free(d);
			return WERR_NOMEM;
		}
	memcpy(copy, text, len);
	copy[len] = '\0';
	rc = read_ini(d, copy, err, errcap);
	free(copy);
	if (rc) {
		char why[300];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errcap, "%s:%d: %s", origin, rc, why);
		decl_free(d);
		return WERR_INVALID;
	}
	if ((e = check(d, origin, err, errcap))) {
		decl_free(d);
		return e;
	}
	d->req = (struct decl_request){
		.method = V(d, K_METHOD)[0] ? V(d, K_METHOD) : "GET",
		.url = V(d, K_URL),
		.body = V(d, K_BODY),
		.accept = V(d, K_ACCEPT)[0] ? V(d, K_ACCEPT) : (d->xml ? "application/xml" : "application/json"),
		.auth = V(d, K_AUTH)[0] ? V(d, K_AUTH) : "none",
		.token_path = V(d, K_TOKEN_PATH),
		.key_header = V(d, K_KEY_HEADER),
		.header = V(d, K_HEADER),
	};
	d->ad = (struct adapter){ .name = d->name, .kind = KIND_CARRIER, .decl = d };
	*out = d;
	return WERR_OK;
}

void decl_free(struct carrier_decl *d)
{
	if (!d)
		return;
	for (int k = 0; k < K_COUNT; k++)
		free(d->v[k]);
	if (d->has_pattern)
		regfree(&d->pattern);
	free(d);
}

const char *decl_name(const struct carrier_decl *d)
{
	return d->name;
}

const struct adapter *decl_adapter(const struct carrier_decl *d)
{
	return &d->ad;
}

const struct decl_request *decl_request(const struct carrier_decl *d)
{
	return &d->req;
}

const char *decl_carrier(const struct carrier_decl *d)
{
	return V(d, K_CARRIER)[0] ? V(d, K_CARRIER) : d->name;
}

bool decl_detect(const struct carrier_decl *d, const char *tracking)
{
	const char *s10 = V(d, K_S10);
	size_t n = strlen(tracking);

	if (d->has_pattern && !regexec(&d->pattern, tracking, 0, NULL, 0))
		return true;
	if (!s10[0] || !detect_s10(tracking))
		return false;
	/* "CA" or "CA, CP": the last two letters name the posting country */
	for (const char *p = s10; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (p[0] && p[1] && (p[2] == '\0' || p[2] == ',' || p[2] == ' ') && n == 13 &&
		    toupper((unsigned char)p[0]) == tracking[11] && toupper((unsigned char)p[1]) == tracking[12])
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

/* ---- paths ---- */

/* The nodes a path finds: at most max of them, in n (the caller's array). */
struct hits {
	const cJSON **n;
	size_t count, max;
	bool full; /* more were there */
};

static void hit(struct hits *h, const cJSON *v)
{
	if (h->count < h->max)
		h->n[h->count++] = v;
	else
		h->full = true;
}

/* Room for every scan of one answer (free()). */
static struct hits *hits_new(void)
{
	struct hits *h = malloc(sizeof(*h) + DECL_HITS_MAX * sizeof(*h->n));

	if (h)
		*h = (struct hits){ (const cJSON **)(h + 1), 0, DECL_HITS_MAX, false };
	return h;
}

/* Walks p[0..len) (one alternative, names joined by '.') from v. */
static void walk(const cJSON *v, const char *p, size_t len, struct hits *h)
{
	const cJSON *e;
	size_t seg;

	if (h->full)
		return; /* enough: the rest is not looked at */
	while (len && (*p == ' ' || *p == '.')) {
		p++;
		len--;
	}
	while (len && p[len - 1] == ' ')
		len--;
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v)
			walk(e, p, len, h);
		return;
	}
	if (!len) {
		if (v && !cJSON_IsNull(v))
			hit(h, v);
		return;
	}
	if (!cJSON_IsObject(v))
		return;
	for (seg = 0; seg < len && p[seg] != '.'; seg++)
		;
	cJSON_ArrayForEach(e, v)
		if (e->string && ((seg == 1 && p[0] == '*') || (strlen(e->string) == seg && !memcmp(e->string, p, seg))))
			walk(e, p + seg, len - seg, h);
}

/* Every node path finds from v: the first alternative that finds any. */
static void find(const cJSON *v, const char *path, struct hits *h)
{
	h->count = 0;
	h->full = false;
	do {
		const char *bar = strchr(path, '|');
		size_t len = bar ? (size_t)(bar - path) : strlen(path);
		walk(v, path, len, h);
		path = bar ? bar + 1 : NULL;
	} while (path && !h->count);
}

/* The text of the first node path finds ("" when none): a string, an
 * object's "#text", an integer number. */
static const char *text_at(const cJSON *v, const char *path, char *buf, size_t cap)
{
	const cJSON *found[8];
	struct hits hs = { found, 0, 8, false }, *h = &hs;
	const char *s = "";

	buf[0] = '\0';
	if (!path[0])
		return buf;
	find(v, path, h);
	for (size_t i = 0; i < h->count && !s[0]; i++) {
		const cJSON *n = h->n[i];
		if (cJSON_IsObject(n))
			n = cJSON_GetObjectItemCaseSensitive(n, "#text");
		if (cJSON_IsString(n))
			s = n->valuestring;
		else if (cJSON_IsNumber(n) && fabs(n->valuedouble) < 9007199254740992.0 &&
			 n->valuedouble == floor(n->valuedouble)) {
			snprintf(buf, cap, "%lld", (long long)n->valuedouble);
			s = buf;
		}
	}
	if (s != buf)
		carrier_scan_text(buf, cap, s);
	return buf;
}

/* The text of "a + b": each path's text, the non-empty ones joined by '/'
 * ("ice + ric" -> "NTDEL/NHOME"). */
static const char *joined_at(const cJSON *v, const char *spec, size_t speclen, char *buf, size_t cap)
{
	char part[EV_CODE_MAX + 1], path[DECL_VALUE_MAX + 1];
	size_t at = 0;

	buf[0] = '\0';
	for (const char *p = spec, *end = spec + speclen; p < end;) {
		const char *plus = memchr(p, '+', (size_t)(end - p));
		size_t n = plus ? (size_t)(plus - p) : (size_t)(end - p);
		snprintf(path, sizeof(path), "%.*s", (int)n, p);
		text_at(v, path, part, sizeof(part));
		if (part[0] && at + (at ? 1 : 0) + strlen(part) < cap)
			at += (size_t)snprintf(buf + at, cap - at, "%s%s", at ? "/" : "", part);
		p += n + (plus ? 1 : 0);
	}
	return buf;
}

/* The first of the comma-separated candidates of spec (each "a + b") whose
 * text has a row in the code table; "" when none has. */
static const char *fallback_at(const struct carrier_decl *d, const struct adapter_env *env, const cJSON *v,
			       const char *spec, char *buf, size_t cap)
{
	struct event probe;

	for (const char *p = spec; *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		joined_at(v, p, n, buf, cap);
		event_init(&probe);
		if (buf[0] && mapping_apply(env->maps, d->name, buf, NULL, &probe))
			return buf;
		p += n + (comma ? 1 : 0);
	}
	buf[0] = '\0';
	return buf;
}

/* The shipment's tracking number: the first alternative of [answer] tracking
 * that finds one, where "{tracking}" is the number the answer was asked
 * about (env->tracking; nothing when not known).  With asked false, only
 * the answer's own paths count. */
static const char *tracking_at(const struct carrier_decl *d, const struct adapter_env *env, const cJSON *sh,
			       bool asked, char *buf, size_t cap)
{
	char alt[DECL_VALUE_MAX + 1];

	buf[0] = '\0';
	for (const char *p = V(d, K_TRACKING); *p && !buf[0];) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		char *a;
		snprintf(alt, sizeof(alt), "%.*s", (int)n, p);
		a = trim(alt);
		if (strcmp(a, "{tracking}"))
			text_at(sh, a, buf, cap);
		else if (asked && env && env->tracking)
			carrier_scan_text(buf, cap, env->tracking);
		p += n + (bar ? 1 : 0);
	}
	return buf;
}

/* Whether [answer] tracking has an alternative other than "{tracking}". */
static bool answer_names_number(const struct carrier_decl *d)
{
	char alt[DECL_VALUE_MAX + 1];

	for (const char *p = V(d, K_TRACKING); *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		snprintf(alt, sizeof(alt), "%.*s", (int)n, p);
		if (trim(alt)[0] && strcmp(trim(alt), "{tracking}"))
			return true;
		p += n + (bar ? 1 : 0);
	}
	return false;
}

/* ---- times ---- */

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* A time stamp's offset written "+HHMM" (GLS: "2024-10-07T10:46:14+0200") as
 * RFC 3339's "+HH:MM"; any other text is copied. */
static void colon_offset(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s);

	if (n > 19 && n + 2 <= cap && (s[n - 5] == '+' || s[n - 5] == '-') && all_digits(s + n - 4, 4) &&
	    strchr(s, 'T'))
		snprintf(out, cap, "%.*s:%s", (int)(n - 2), s, s + n - 2);
	else
		snprintf(out, cap, "%s", s);
}

/*
 * A US date with a 12-hour clock, month first, as ISO 8601 text: "M/D/YYYY
 * h:mm[:ss] AM|PM" (Landmark's "10/01/2025 03:02 PM", DPD's "8/17/2021
 * 7:11:26 PM"); 12 AM is midnight, 12 PM noon.  Anything else: false.
 */
static bool us_12_hour(const char *s, char *out, size_t cap)
{
	unsigned mo, da, yr, hh, mi, ss = 0;
	char ap = 0, m = 0;
	int used = 0;

	if (sscanf(s, "%2u/%2u/%4u %2u:%2u%n", &mo, &da, &yr, &hh, &mi, &used) != 5)
		return false;
	s += used;
	if (*s == ':' && sscanf(s, ":%2u%n", &ss, &used) == 1)
		s += used;
	if (sscanf(s, " %c%c%n", &ap, &m, &used) != 2 || s[used] || (m != 'M' && m != 'm'))
		return false;
	ap = (char)toupper((unsigned char)ap);
	if ((ap != 'A' && ap != 'P') || mo < 1 || mo > 12 || da < 1 || da > 31 || yr < 1000 || hh < 1 || hh > 12 ||
	    mi > 59 || ss > 60)
		return false;
	hh = hh % 12 + (ap == 'P' ? 12 : 0);
	snprintf(out, cap, "%04u-%02u-%02uT%02u:%02u:%02u", yr, mo, da, hh, mi, ss);
	return true;
}

/*
 * A carrier's date and time as ISO 8601 text for adapter_time: dates
 * "YYYY-MM-DD", "DD.MM.YYYY", "DD-MM-YYYY" (PostNL), "YYYYMMDD"; a US date
 * and 12-hour time in one value ("10/01/2025 03:02 PM", us_12_hour); times
 * "HH:MM[:SS[.fff]]", "HHMMSS", "HHMM"; a date and time in one value
 * ("DD.MM.YYYY HH:MM", "DD-MM-YYYY HH:MM:SS") split at the first space; an
 * offset after the time is kept ("+0200" as "+02:00"); a time stamp
 * "YYYY-MM-DD HH:MM:SS" as it is; ten digits alone are seconds since the
 * Unix epoch (Spring's "Timestamp": 1704110400), an instant in UTC.
 */
static bool iso_when(const char *date, const char *time, char *out, size_t cap)
{
	char d[16], t[40];
	size_t dl = strlen(date), tl;

	if (!time[0]) {
		const char *sp = strchr(date, ' ');
		if (us_12_hour(date, out, cap))
			return true;
		if (dl == 10 && all_digits(date, 10)) {
			char stamp[WTIME_BUFSZ];
			snprintf(out, cap, "%s", wtime_format(strtoll(date, NULL, 10) * 1000, stamp));
			return true;
		}
		if (sp && all_digits(date, 2) && (date[2] == '.' || date[2] == '-')) { /* "17.03.2016 11:44" */
			dl = (size_t)(sp - date);
			time = sp + 1;
		} else if (dl > 10 && (!sp || (date[4] == '-' && sp == date + 10))) {
			colon_offset(date, out, cap); /* already a time stamp */
			return true;
		}
	}
	if (dl == 10 && ((date[2] == '.' && date[5] == '.') || (date[2] == '-' && date[5] == '-')))
		snprintf(d, sizeof(d), "%.4s-%.2s-%.2s", date + 6, date + 3, date); /* day first: "07-03-2018" */
	else if (dl == 8 && all_digits(date, 8))
		snprintf(d, sizeof(d), "%.4s-%.2s-%.2s", date, date + 4, date + 6);
	else if (dl == 10 && date[4] == '-' && date[7] == '-')
		snprintf(d, sizeof(d), "%.10s", date);
	else
		return false;
	tl = strlen(time);
	if (!tl)
		snprintf(t, sizeof(t), "00:00:00");
	else if ((tl == 6 || tl == 4) && all_digits(time, tl))
		snprintf(t, sizeof(t), "%.2s:%.2s:%.2s", time, time + 2, tl == 6 ? time + 4 : "00");
	else if (tl == 5 && time[2] == ':')
		snprintf(t, sizeof(t), "%s:00", time);
	else if (tl < sizeof(t))
		snprintf(t, sizeof(t), "%s", time);
	else
		return false;
	snprintf(out, cap, "%sT%s", d, t);
	return true;
}

/* ---- answers ---- */

static cJSON *read_body(const struct carrier_decl *d, const struct hook_request *rq, struct adapter_out *out,
			enum werr *e)
{
	cJSON *root;

	*e = WERR_OK;
	if (d->xml) {
		const char *why = NULL;
		struct xml_node *x;
		if (!xml_looks_like(rq->body, rq->len)) {
			*e = adapter_fail(out, "%s: the answer is not XML", d->name);
			return NULL;
		}
		if (!(x = xml_parse(rq->body, rq->len, &why))) {
			*e = adapter_fail(out, "%s: the answer is not well-formed XML (%s)", d->name, why);
			return NULL;
		}
		/* paths start at the root element's name: "tracking-detail.pin" */
		cJSON *el = xml_to_json(x);
		root = cJSON_CreateObject();
		if (!el || !root || !cJSON_AddItemToObject(root, x->name, el)) {
			cJSON_Delete(el);
			cJSON_Delete(root);
			root = NULL;
			*e = WERR_NOMEM;
		}
		xml_free(x);
		return root;
	}
	if (!(root = text_json_one(rq->body, rq->len, NULL)))
		*e = adapter_fail(out, "%s: the answer is not one JSON value", d->name);
	return root;
}

/* Whether code is one of list's comma-separated words. */
static bool listed(const char *list, const char *code)
{
	size_t n = strlen(code);

	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = p;
		while (*end && *end != ',')
			end++;
		size_t len = (size_t)(end - p);
		while (len && p[len - 1] == ' ')
			len--;
		if (len && len == n && !memcmp(p, code, n))
			return true;
		p = end;
	}
	return false;
}

/* Whether any [error] entry of the answer has a code or a message. */
static bool error_entries_say(const struct carrier_decl *d, const cJSON *root)
{
	struct hits *h = hits_new();
	char code[EV_CODE_MAX + 1], msg[200];
	bool any = false;

	if (!h)
		return false;
	find(root, V(d, K_ERRORS), h);
	for (size_t i = 0; i < h->count && !any; i++)
		any = text_at(h->n[i], V(d, K_ERROR_CODE), code, sizeof(code))[0] ||
		      text_at(h->n[i], V(d, K_ERROR_MESSAGE), msg, sizeof(msg))[0];
	free(h);
	return any;
}

/* An answer without shipments: its error entries, or a reason. */
static enum werr error_answer(const struct carrier_decl *d, const cJSON *root, struct adapter_out *out)
{
	struct hits *h = hits_new();
	char code[EV_CODE_MAX + 1], msg[200];
	enum werr e = WERR_OK;
	bool any = false;

	if (!h)
		return WERR_NOMEM;
	if (V(d, K_ERRORS)[0] || V(d, K_ERROR_CODE)[0])
		find(root, V(d, K_ERRORS), h);
	else
		h->count = 0;
	for (size_t i = 0; i < h->count && !e; i++) {
		text_at(h->n[i], V(d, K_ERROR_CODE), code, sizeof(code));
		text_at(h->n[i], V(d, K_ERROR_MESSAGE), msg, sizeof(msg));
		if (!code[0] && !msg[0])
			continue;
		any = true;
		if (code[0] && listed(V(d, K_NOT_FOUND), code))
			continue; /* no record of the number yet */
		e = adapter_fail(out, "%s reported error %s: %s", d->name, code[0] ? code : "(no code)", msg);
	}
	if (!any)
		e = adapter_fail(out, "%s: not a tracking answer (nothing at [answer] shipments = '%s')", d->name,
				 V(d, K_SHIPMENTS));
	free(h);
	return e;
}

static enum werr one_shipment(const struct carrier_decl *d, const struct adapter_env *env, const cJSON *sh,
			      struct adapter_out *out)
{
	char tracking[EV_PACKAGE_MAX + 2], dest[EV_PLACE_MAX + 1], orig[EV_PLACE_MAX + 1], est[64];
	struct hits *h = hits_new();
	const char *carrier = decl_carrier(d), *home = V(d, K_HOME);
	int64_t estimated = 0;
	enum werr e = WERR_OK;

	if (!h)
		return WERR_NOMEM;
	tracking_at(d, env, sh, true, tracking, sizeof(tracking));
	if (!tracking[0]) {
		free(h);
		return adapter_fail(out, "%s: a shipment without a tracking number at '%s'%s", d->name, V(d, K_TRACKING),
				    strstr(V(d, K_TRACKING), "{tracking}") ? " (the number asked about: wismo parse --tracking)"
									   : "");
	}
	text_at(sh, V(d, K_DESTINATION), dest, sizeof(dest));
	text_at(sh, V(d, K_ORIGIN), orig, sizeof(orig));
	text_at(sh, V(d, K_ESTIMATED), est, sizeof(est));
	if (est[0]) {
		char iso[80];
		const char *zc = dest[0] ? dest : home;
		if (!iso_when(est, "", iso, sizeof(iso)) || !adapter_time(env, iso, zc, NULL, &estimated, NULL))
			estimated = 0;
	}
	find(sh, V(d, K_EVENTS), h);
	for (size_t i = 0; i < h->count && !e; i++) {
		const cJSON *ev = h->n[i];
		char code[EV_CODE_MAX + 1], fallback[EV_CODE_MAX + 1], desc[EV_DESC_MAX + 1], note[80];
		char city[EV_PLACE_MAX + 1], region[EV_PLACE_MAX + 1], country[EV_PLACE_MAX + 1];
		char date[64], time[64], iso[160];
		struct carrier_scan s = { .carrier = carrier, .table = d->name, .tracking = tracking,
					  .estimated = estimated };

		joined_at(ev, V(d, K_CODE), strlen(V(d, K_CODE)), code, sizeof(code));
		fallback_at(d, env, ev, V(d, K_FALLBACK), fallback, sizeof(fallback));
		text_at(ev, V(d, K_DESCRIPTION), desc, sizeof(desc));
		text_at(ev, V(d, K_CITY), city, sizeof(city));
		text_at(ev, V(d, K_REGION), region, sizeof(region));
		text_at(ev, V(d, K_COUNTRY), country, sizeof(country));
		if (!city[0] && V(d, K_PLACE)[0]) {
			/* one text for the place: "MONTREAL SORT CTR, PQ" -> city, region */
			char place[EV_PLACE_MAX + 1];
			const char *comma;
			text_at(ev, V(d, K_PLACE), place, sizeof(place));
			comma = strrchr(place, ',');
			if (comma && !region[0] && strlen(comma + 1) <= 4 && comma[1]) {
				snprintf(region, sizeof(region), "%s", comma + 1 + (comma[1] == ' '));
				snprintf(city, sizeof(city), "%.*s", (int)(comma - place), place);
			} else {
				snprintf(city, sizeof(city), "%s", place);
			}
		}
		if (V(d, K_AT)[0]) {
			text_at(ev, V(d, K_AT), date, sizeof(date));
			time[0] = '\0';
		} else {
			text_at(ev, V(d, K_DATE), date, sizeof(date));
			text_at(ev, V(d, K_TIME), time, sizeof(time));
		}
		const struct scan_places pl = { country, region, dest, orig, home };
		if (!iso_when(date, time, iso, sizeof(iso)) || !carrier_scan_time(env, iso, &pl, &s.at, note, sizeof(note))) {
			e = adapter_fail(out, "%s: scan %zu of %s: '%s %s' is not a time", d->name, i, tracking, date,
					 time);
			break;
		}
		s.code = code[0] ? code : desc;
		s.fallback = fallback;
		s.description = desc;
		s.note = note;
		s.city = city;
		s.region = region;
		s.country = country;
		e = carrier_scan_emit(env, out, &s);
	}
	if (!e && h->full)
		e = adapter_fail(out, "%s: more than %d scans in one answer", d->name, DECL_HITS_MAX);
	free(h);
	return e;
}

enum werr decl_parse(const struct carrier_decl *d, const struct adapter_env *env, const struct hook_request *rq,
		     struct adapter_out *out)
{
	struct hits *h;
	enum werr e;
	cJSON *root = read_body(d, rq, out, &e);

	if (!root)
		return e;
	if (!(h = hits_new())) {
		cJSON_Delete(root);
		return WERR_NOMEM;
	}
	find(root, V(d, K_SHIPMENTS), h);
	if (h->count && V(d, K_ERRORS)[0]) {
		/* shipments none of which has a tracking number in the answer, where the [error] entries are,
		 * make an error answer: GLS's parcels[] {requested, errorCode}, or an answer that is its own
		 * shipment (Asendia's problem document).  A carrier that never repeats the number (only
		 * "{tracking}"): an answer whose error entries say anything is one (Sendle's {error}). */
		char tracking[EV_PACKAGE_MAX + 2];
		size_t named = 0;
		if (answer_names_number(d)) {
			for (size_t i = 0; i < h->count && !named; i++)
				named += tracking_at(d, env, h->n[i], false, tracking, sizeof(tracking))[0] != '\0';
		} else {
			named = !error_entries_say(d, root);
		}
		if (!named)
			h->count = 0;
	}
	if (!h->count)
		e = error_answer(d, root, out);
	for (size_t i = 0; i < h->count && !e; i++)
		e = one_shipment(d, env, h->n[i], out);
	free(h);
	cJSON_Delete(root);
	return e;
}
