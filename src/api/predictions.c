/*
 * predictions.c - POST /v1/predictions (docs/predictions.md): for a lane
 * and a ship date, the delivery window each carrier + service known to
 * wismo would give, from the shop's own delivered parcels (the promise a
 * store can show before checkout).
 *
 *   {"ship_date": "2026-12-07" | RFC 3339 time,
 *    "destination": {"country": "US", "region": "NY"},   country required
 *    "origin": {"country": "US", "region": "CA"},        optional
 *    "carrier": "ups"}                                   optional filter
 *
 * A date alone means the carrier takes the parcel at 17:00 of that day,
 * shop time ([calendar] utc_offset_hours).  The answer lists the carriers
 * and services whose lane (at some level, core/lanes.h) has learned
 * enough, soonest likely date first; none learned yet is an empty list.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/wtime.h"
#include "../exceptions/engine.h"
#include "api_int.h"
#include "../base/banned.h"

#define QUOTES_MAX 64
#define PICKUP_HOUR_MS (17 * INT64_C(3600000))

/* "US" + "NY" from {"country","region"}: false (answered) when malformed. */
static bool read_place(struct http_req *r, const cJSON *in, const char *name, bool required,
		       char out[LANE_REGION_MAX + 1])
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "country");
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(v, "region");
	char country[3];

	out[0] = '\0';
	if (!v && !required)
		return true;
	if (!cJSON_IsObject(v) || !cJSON_IsString(c) || strlen(c->valuestring) != 2 ||
	    !isalpha((unsigned char)c->valuestring[0]) || !isalpha((unsigned char)c->valuestring[1]) ||
	    (g && !cJSON_IsNull(g) && (!cJSON_IsString(g) || strlen(g->valuestring) > 20))) {
		http_fail(r, HE_INVALID_FIELD, "'%s' must be {\"country\": two letters, \"region\": up to 20 bytes}",
			  name);
		return false;
	}
	country[0] = (char)toupper((unsigned char)c->valuestring[0]);
	country[1] = (char)toupper((unsigned char)c->valuestring[1]);
	country[2] = '\0';
	lane_region(country, cJSON_IsString(g) ? g->valuestring : "", out);
	return true;
}

static int cmp_quote(const void *a, const void *b)
{
	const struct lane_quote *x = a, *y = b;
	int c = (x->pred.likely > y->pred.likely) - (x->pred.likely < y->pred.likely);
	return c ? c : strcmp(x->carrier, y->carrier) ? strcmp(x->carrier, y->carrier) : strcmp(x->service, y->service);
}

enum http_result api_post_predictions(struct http_req *r)
{
	struct app *a = api_app(r);
	cJSON *in = app_json_body(r, 0);
	const cJSON *date, *carrier;
	struct lane where = { 0 };
	struct lane_quote *q = NULL;
	struct buf b = BUF_INIT;
	int64_t shipped = 0;
	size_t n;

	if (!in)
		return HTTP_DONE;
	date = cJSON_GetObjectItemCaseSensitive(in, "ship_date");
	carrier = cJSON_GetObjectItemCaseSensitive(in, "carrier");
	if (!cJSON_IsObject(in)) {
		http_fail(r, HE_INVALID_BODY, "the body must be a JSON object");
		goto out;
	}
	if (!cJSON_IsString(date)) {
		http_fail(r, HE_MISSING_FIELD, "'ship_date' is required (a date or an RFC 3339 time)");
		goto out;
	}
	if (wtime_parse(date->valuestring, WTIME_FLAG_DATE_OK, &shipped) != WTIME_OK) {
		http_fail(r, HE_INVALID_TIME, "'ship_date' is not a date or an RFC 3339 time");
		goto out;
	}
	if (strlen(date->valuestring) == 10) /* a day: its pickup, shop time */
		shipped += PICKUP_HOUR_MS - a->policy->cal.offset_ms;
	if (carrier && !cJSON_IsNull(carrier) &&
	    (!cJSON_IsString(carrier) || strlen(carrier->valuestring) > EV_CARRIER_MAX)) {
		http_fail(r, HE_INVALID_FIELD, "'carrier' must be a carrier's code");
		goto out;
	}
	if (!read_place(r, in, "destination", true, where.destination) ||
	    !read_place(r, in, "origin", false, where.origin))
		goto out;
	if (cJSON_IsString(carrier))
		snprintf(where.carrier, sizeof(where.carrier), "%s", carrier->valuestring);
	q = calloc(QUOTES_MAX, sizeof(*q));
	if (!q) {
		http_werr(r, WERR_NOMEM, NULL);
		goto out;
	}
	n = exc_lanes_quote(a->lanes, &where, &a->policy->cal, shipped, q, QUOTES_MAX);
	qsort(q, n, sizeof(*q), cmp_quote);
	buf_puts(&b, "{\"origin\":");
	buf_json_str(&b, where.origin);
	buf_puts(&b, ",\"destination\":");
	buf_json_str(&b, where.destination);
	api_put_time(&b, "ship_date", shipped);
	buf_puts(&b, ",\"predictions\":[");
	for (size_t i = 0; i < n; i++) {
		buf_puts(&b, i ? ",{\"carrier\":" : "{\"carrier\":");
		buf_json_str(&b, q[i].carrier);
		buf_puts(&b, ",\"service\":");
		if (q[i].service[0])
			buf_json_str(&b, q[i].service);
		else
			buf_puts(&b, "null");
		api_put_time(&b, "earliest", q[i].pred.earliest);
		api_put_time(&b, "likely", q[i].pred.likely);
		api_put_time(&b, "latest", q[i].pred.latest);
		buf_printf(&b, ",\"lane_level\":%d,\"samples\":%zu}", q[i].pred.level, q[i].pred.n);
	}
	buf_puts(&b, "]}");
	if (b.err)
		http_werr(r, b.err, NULL);
	else
		http_json(r, 200, b.p, b.len);
out:
	buf_release(&b);
	free(q);
	cJSON_Delete(in);
	return HTTP_DONE;
}
