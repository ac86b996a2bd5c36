/*
 * fedex.c - the FedEx Track API response (POST /track/v1/trackingnumbers),
 * as the poller receives it, -> one event per scan event.
 *
 *   output.completeTrackResults[] {trackingNumber, trackResults[]}
 *   trackResults[].scanEvents[]:
 *     date            ISO 8601, normally with the scan's offset; FedEx
 *                     sometimes drops it (a pickup at "2024-08-15T00:00:00"):
 *                     then it is read in the zone of the scan's place
 *     eventType       the scan code (PU, AR, OD, DL, DE, ...)
 *     exceptionCode   why, for exceptions and some scans ("08": customer not
 *                     available)
 *     eventDescription, exceptionDescription, scanLocation {city,
 *     stateOrProvinceCode, countryCode}
 *   trackResults[].dateAndTimes[] (ESTIMATED_DELIVERY) and
 *   estimatedDeliveryTimeWindow.window {begins, ends}: the estimate
 *   trackResults[].deliveryDetails {signedByName, receivedByName,
 *   locationDescription}: who signed (else who received it) and where it
 *   was left ("Front Door"), the proof on the result's newest delivered
 *   event.  FedEx gives its signature and picture proof as documents of
 *   another API, not as links: none is kept.
 *
 * Status: mappings/fedex.tsv keyed "EVENTTYPE/EXCEPTIONCODE" ("DE/08"),
 * falling back to the event type ("DE").
 *
 * FedEx reuses tracking numbers: one completeTrackResults entry can hold
 * several trackResults for the same number, each a different shipment
 * (different trackingNumberUniqueId).  The package wismo polls is the newest
 * one, so only the result whose first scan is the latest is read.
 *
 * Answers: a trackResult with error TRACKING.TRACKINGNUMBER.NOTFOUND and no
 * scans (a label FedEx has not scanned yet) gives no events and WERR_OK; a
 * top-level errors[] is WERR_INVALID with FedEx's code and message, except a
 * NOTFOUND code which again means "nothing yet"; a body without
 * output.completeTrackResults is WERR_INVALID.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "carrier_scan.h"
#include "../base/text.h"
#include "../base/xml.h"
#include "../base/banned.h"

#define STR carrier_scan_str

static const cJSON *item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* The scan's time, read where it happened, else where the parcel goes or
 * came from (carrier_scan_time; note says which); false when it is not a
 * time at all.  tr may be NULL (no shipment countries). */
static bool scan_time(const struct adapter_env *env, const cJSON *tr, const cJSON *ev, int64_t *ms, char *note,
		      size_t cap)
{
	const cJSON *loc = item(ev, "scanLocation");
	const struct scan_places pl = {
		.country = STR(loc, "countryCode"),
		.region = STR(loc, "stateOrProvinceCode"),
		.dest = STR(item(item(tr, "recipientInformation"), "address"), "countryCode"),
		.orig = STR(item(item(tr, "shipperInformation"), "address"), "countryCode"),
	};
	return carrier_scan_time(env, STR(ev, "date"), &pl, ms, note, cap);
}

/* The earliest scan of a result (0 when it has none readable). */
static int64_t first_scan(const struct adapter_env *env, const cJSON *tr)
{
	const cJSON *ev;
	int64_t first = 0, t;
	char note[80];

	cJSON_ArrayForEach(ev, item(tr, "scanEvents"))
		if (scan_time(env, tr, ev, &t, note, sizeof(note)) && (!first || t < first))
			first = t;
	return first;
}

static int64_t fedex_estimate(const struct adapter_env *env, const cJSON *tr)
{
	const cJSON *addr = item(item(tr, "recipientInformation"), "address");
	const char *country = STR(addr, "countryCode"), *region = STR(addr, "stateOrProvinceCode");
	const cJSON *window = item(item(tr, "estimatedDeliveryTimeWindow"), "window");
	const cJSON *d;
	int64_t ms;

	cJSON_ArrayForEach(d, item(tr, "dateAndTimes"))
		if (!strcmp(STR(d, "type"), "ESTIMATED_DELIVERY") &&
		    adapter_time(env, STR(d, "dateTime"), country, region, &ms, NULL))
			return ms;
	/* A window's end is the promise ("by"), its start only the earliest. */
	if (adapter_time(env, STR(window, "ends"), country, region, &ms, NULL) ||
	    adapter_time(env, STR(window, "begins"), country, region, &ms, NULL))
		return ms;
	return 0;
}

static bool not_found(const char *code)
{
	return strstr(code, "NOTFOUND") != NULL;
}

/* deliveryDetails -> the proof of the newest delivered event of
 * out->events[from..). */
static void fedex_proof(struct adapter_out *out, size_t from, const cJSON *tr)
{
	const cJSON *dd = item(tr, "deliveryDetails");
	const char *who = STR(dd, "signedByName");
	struct event *ev;

	if (!cJSON_IsObject(dd) || !(ev = adapter_newest_with(out, from, EV_DELIVERED)))
		return;
	carrier_scan_text(ev->proof.signed_by, sizeof(ev->proof.signed_by), who[0] ? who : STR(dd, "receivedByName"));
	carrier_scan_text(ev->proof.left_at, sizeof(ev->proof.left_at), STR(dd, "locationDescription"));
}

static enum werr fedex_result(const struct adapter_env *env, struct adapter_out *out, const char *tracking,
			      const cJSON *tr)
{
	const cJSON *ev;
	int64_t estimated = fedex_estimate(env, tr);
	size_t idx = 0, from = out->nevents;

	if (!tracking[0])
		tracking = STR(item(tr, "trackingNumberInfo"), "trackingNumber");
	cJSON_ArrayForEach(ev, item(tr, "scanEvents")) {
		const cJSON *loc = item(ev, "scanLocation");
		const char *type = STR(ev, "eventType"), *exc = STR(ev, "exceptionCode");
		const char *what = STR(ev, "eventDescription"), *why = STR(ev, "exceptionDescription");
		char key[EV_CODE_MAX + 1], desc[EV_DESC_MAX + 1], note[80];
		struct carrier_scan s = { .carrier = "fedex", .tracking = tracking, .estimated = estimated };
		enum werr e;

		if (!scan_time(env, tr, ev, &s.at, note, sizeof(note)))
			return adapter_fail(out, "fedex: scan %zu of %s: date is not a time", idx, tracking);
		s.note = note;
		if (exc[0])
			snprintf(key, sizeof(key), "%s/%s", type, exc);
		else
			snprintf(key, sizeof(key), "%s", type);
		/* "Delivery exception: Customer not available or business closed". */
		if (why[0] && what[0] && strcmp(why, what))
			snprintf(desc, sizeof(desc), "%s: %s", what, why);
		else
			snprintf(desc, sizeof(desc), "%s", what[0] ? what : why);
		s.code = key;
		s.fallback = type;
		s.description = desc;
		s.city = STR(loc, "city");
		s.region = STR(loc, "stateOrProvinceCode");
		s.country = STR(loc, "countryCode");
		e = carrier_scan_emit(env, out, &s);
		if (e)
			return e;
		idx++;
	}
	fedex_proof(out, from, tr);
	return WERR_OK;
}

static enum werr fedex_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	cJSON *root = text_json_one(rq->body, rq->len, NULL);
	const cJSON *errors, *results, *ctr;
	enum werr e = WERR_OK;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		if (xml_looks_like(rq->body, rq->len) && memmem(rq->body, rq->len, "TrackReply", 10))
			return adapter_fail(out, "fedex: an XML answer is FedEx's retired Web Services (SOAP) tracking, which wismo "
					    "does not read: use the Track API (JSON, OAuth; docs/adapters.md)");
		return adapter_fail(out, "fedex: body is not a JSON object");
	}
	results = item(item(root, "output"), "completeTrackResults");
	errors = item(root, "errors");
	if (!cJSON_IsArray(results) && cJSON_IsArray(errors)) {
		const cJSON *first = cJSON_GetArrayItem(errors, 0);
		const char *code = STR(first, "code");
		if (!not_found(code))
			e = adapter_fail(out, "fedex reported error %s: %s", code, STR(first, "message"));
		goto out;
	}
	if (!cJSON_IsArray(results)) {
		e = adapter_fail(out, "fedex: not a track response (no output.completeTrackResults[])");
		goto out;
	}
	cJSON_ArrayForEach(ctr, results) {
		const cJSON *tr, *newest = NULL;
		int64_t newest_start = 0;

		/* Per-number errors (NOTFOUND for a fresh label) leave that number
		 * without events; the other numbers of the answer still count. */
		cJSON_ArrayForEach(tr, item(ctr, "trackResults")) {
			int64_t start = first_scan(env, tr);
			if (start && start >= newest_start) {
				newest = tr;
				newest_start = start;
			}
		}
		if (newest) {
			e = fedex_result(env, out, STR(ctr, "trackingNumber"), newest);
			if (e)
				goto out;
		}
	}
out:
	cJSON_Delete(root);
	return e;
}

const struct adapter adapter_fedex = {
	.name = "fedex",
	.kind = KIND_CARRIER,
	.verify = NULL,
	.parse = fedex_parse,
};
