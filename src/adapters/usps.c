/*
 * usps.c - the USPS Tracking API v3 response (GET /tracking/v3/tracking/
 * {number}?expand=DETAIL), as the poller receives it, -> one event per
 * tracking event.  Domestic and international (S10) items answer alike.
 *
 *   trackingNumber
 *   trackingEvents[]:
 *     eventCode       the PTR event code ("01" delivered, "OF" out for
 *                     delivery, "GX" label created, ...)
 *     eventType       USPS's words for it
 *     eventTimestamp  local time at the scan, usually without an offset
 *     GMTTimestamp    the same instant in UTC, when given; GMTOffset the
 *                     local offset
 *     eventCity, eventState, eventZIP, eventCountry (null for domestic)
 *   expectedDeliveryTimeStamp / expectedDeliveryDate: the estimate
 *
 * Time: GMTTimestamp when present (exact); else eventTimestamp with
 * GMTOffset; else eventTimestamp in the zone of (eventCountry or US,
 * eventState).  Status: mappings/usps.tsv keyed by eventCode; an event
 * without a code keeps eventType as its code (and is unknown unless mapped).
 *
 * Only the JSON API is read: the retired Web Tools XML (TrackResponse) is not.
 *
 * Answers: an error whose code or status is 404 (no record of the number yet)
 * gives no events and WERR_OK; any other error object, and the OAuth error
 * {"error": "invalid_client", ...}, is WERR_INVALID with USPS's words; a
 * body without trackingNumber is WERR_INVALID.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "carrier_scan.h"
#include "../base/text.h"
#include "../base/xml.h"
#include "../base/wtime.h"
#include "../base/banned.h"

#define STR carrier_scan_str

static const cJSON *item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static bool is_404(const cJSON *err)
{
	const cJSON *e;

	if (!strcmp(STR(err, "code"), "404"))
		return true;
	cJSON_ArrayForEach(e, item(err, "errors"))
		if (!strcmp(STR(e, "status"), "404"))
			return true;
	return false;
}

static bool event_time(const struct adapter_env *env, const cJSON *ev, int64_t *ms)
{
	const char *gmt = STR(ev, "GMTTimestamp"), *local = STR(ev, "eventTimestamp");
	const char *off = STR(ev, "GMTOffset"), *country = STR(ev, "eventCountry");
	int64_t t;

	if (gmt[0] && wtime_parse(gmt, 0, &t) == WTIME_OK) {
		*ms = t;
		return true;
	}
	if (local[0] && off[0] && strlen(local) < 40) {
		char withoff[64];
		snprintf(withoff, sizeof(withoff), "%s%s", local, off);
		if (wtime_parse(withoff, 0, &t) == WTIME_OK) {
			*ms = t;
			return true;
		}
	}
	/* eventCountry is empty for domestic scans. */
	return adapter_time(env, local, country[0] ? country : "US", STR(ev, "eventState"), ms, NULL);
}

static int64_t usps_estimate(const struct adapter_env *env, const cJSON *root)
{
	const char *stamp = STR(root, "expectedDeliveryTimeStamp");
	const char *date = STR(root, "expectedDeliveryDate");
	int64_t ms;

	if (stamp[0] && adapter_time(env, stamp, "US", STR(root, "destinationState"), &ms, NULL))
		return ms;
	if (date[0] && wtime_parse(date, WTIME_FLAG_DATE_OK, &ms) == WTIME_OK)
		return ms;
	return 0;
}

static enum werr usps_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	cJSON *root = text_json_one(rq->body, rq->len, NULL);
	const cJSON *err, *ev;
	const char *tracking;
	int64_t estimated;
	enum werr e = WERR_OK;
	size_t idx = 0;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		if (xml_looks_like(rq->body, rq->len) && memmem(rq->body, rq->len, "TrackResponse", 13))
			return adapter_fail(out, "usps: an XML answer is the retired Web Tools API (TrackResponse), which wismo "
					    "does not read: use the Tracking API v3 (JSON, OAuth; docs/adapters.md)");
		return adapter_fail(out, "usps: body is not a JSON object");
	}
	err = item(root, "error");
	if (cJSON_IsString(err)) { /* OAuth: {"error": "invalid_client", "error_description": ...} */
		e = adapter_fail(out, "usps reported error %s: %s", err->valuestring, STR(root, "error_description"));
		goto out;
	}
	if (cJSON_IsObject(err)) {
		if (!is_404(err))
			e = adapter_fail(out, "usps reported error %s: %s", STR(err, "code"), STR(err, "message"));
		goto out;
	}
	tracking = STR(root, "trackingNumber");
	if (!tracking[0]) {
		e = adapter_fail(out, "usps: not a tracking response (no trackingNumber)");
		goto out;
	}
	estimated = usps_estimate(env, root);
	cJSON_ArrayForEach(ev, item(root, "trackingEvents")) {
		const char *code = STR(ev, "eventCode"), *type = STR(ev, "eventType");
		struct carrier_scan s = { .carrier = "usps", .tracking = tracking, .estimated = estimated };

		if (!event_time(env, ev, &s.at)) {
			e = adapter_fail(out, "usps: event %zu of %s: eventTimestamp is not a time", idx, tracking);
			goto out;
		}
		s.code = code[0] ? code : type;
		s.description = type;
		s.city = STR(ev, "eventCity");
		s.region = STR(ev, "eventState");
		s.country = STR(ev, "eventCountry");
		e = carrier_scan_emit(env, out, &s);
		if (e)
			goto out;
		idx++;
	}
out:
	cJSON_Delete(root);
	return e;
}

const struct adapter adapter_usps = {
	.name = "usps",
	.kind = KIND_CARRIER,
	.verify = NULL,
	.parse = usps_parse,
};
