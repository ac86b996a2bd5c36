/*
 * ups.c - the UPS Track API response (GET /api/track/v1/details/{number}),
 * as the poller receives it, -> one event per package activity.
 *
 *   trackResponse.shipment[].package[].activity[]:
 *     status {type, code, description}   type is UPS's class of the scan (I in
 *                                        transit, D delivered, X exception, M
 *                                        label, ...); code the scan itself
 *     date "YYYYMMDD", time "HHMMSS"     local time at the scan, no offset
 *     gmtDate, gmtTime, gmtOffset        the same instant in UTC, when given
 *     location.address {city, stateProvince, countryCode}
 *   package[].deliveryDate[] {type SDD|RDD|DEL, date}  the estimate
 *   package[].deliveryInformation {receivedBy, location}  who took the
 *                                        parcel and where it was left
 *                                        ("FRONT DOOR"): the proof on the
 *                                        package's newest delivered event.
 *                                        Its signature, pod and
 *                                        deliveryPhoto are base64 images,
 *                                        not links: not kept.
 *
 * Status: mappings/ups.tsv keyed "TYPE/CODE" ("I/OT"), falling back to the
 * type alone ("X"): UPS publishes its types, not a full list of codes, so a
 * code we have no row for still gets UPS's own class.  A local time is read
 * in the zone of the scan's country and state (adapter_time).
 *
 * Answers: a shipment whose only content is a warning (TW0001 "Tracking
 * Information Not Found": a label UPS has not scanned yet) gives no events
 * and WERR_OK; a top-level response.errors[] (bad credentials, invalid
 * inquiry number) is WERR_INVALID with UPS's code and message; anything that
 * is not a trackResponse is WERR_INVALID.
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

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[n] == '\0';
}

/* "20240310" + "013000" (or "01:30:00") -> "2024-03-10T01:30:00". */
static bool ups_local(const char *date, const char *time, char out[32])
{
	char t[7];
	size_t j = 0;

	if (strlen(date) != 8 || !all_digits(date, 8))
		return false;
	for (const char *p = time; *p && j < sizeof(t); p++)
		if (*p != ':')
			t[j++] = *p;
	if (j == sizeof(t))
		return false;
	t[j] = '\0';
	if (j == 4) { /* HHMM */
		t[4] = '0';
		t[5] = '0';
		t[6] = '\0';
		j = 6;
	}
	if (j != 6 || !all_digits(t, 6))
		return false;
	snprintf(out, 32, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", date, date + 4, date + 6, t, t + 2, t + 4);
	return true;
}

/* UPS's estimate: a rescheduled date wins over the scheduled one. */
static int64_t ups_estimate(const cJSON *pkg)
{
	const cJSON *d;
	int64_t sdd = 0, rdd = 0;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(pkg, "deliveryDate")) {
		const char *type = carrier_scan_str(d, "type");
		const char *date = carrier_scan_str(d, "date");
		char iso[16];
		int64_t ms;

		if (strlen(date) != 8 || !all_digits(date, 8))
			continue; /* UPS's documentation samples say "string" here */
		snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", date, date + 4, date + 6);
		if (wtime_parse(iso, WTIME_FLAG_DATE_OK, &ms) != WTIME_OK)
			continue;
		if (!strcmp(type, "RDD"))
			rdd = ms;
		else if (!strcmp(type, "SDD"))
			sdd = ms;
	}
	return rdd ? rdd : sdd;
}

/* The package's country of type (ORIGIN, DESTINATION) in packageAddress[],
 * or "". */
static const char *ups_country_of(const cJSON *pkg, const char *type)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(pkg, "packageAddress"))
		if (strstr(carrier_scan_str(a, "type"), type)) {
			const cJSON *addr = cJSON_GetObjectItemCaseSensitive(a, "address");
			const char *c = carrier_scan_str(addr, "countryCode");
			return c[0] ? c : carrier_scan_str(addr, "country");
		}
	return "";
}

static enum werr ups_activity(const struct adapter_env *env, struct adapter_out *out, const char *tracking,
			      int64_t estimated, const cJSON *pkg, const cJSON *act, size_t idx)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(act, "status");
	const cJSON *addr = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(act, "location"),
							       "address");
	const char *type = carrier_scan_str(status, "type");
	const char *code = carrier_scan_str(status, "code");
	const char *country = carrier_scan_str(addr, "countryCode");
	const char *region = carrier_scan_str(addr, "stateProvince");
	char key[EV_CODE_MAX + 1], local[32], note[80] = "";
	struct carrier_scan s = { .carrier = "ups", .tracking = tracking, .estimated = estimated, .note = note };

	if (!country[0])
		country = carrier_scan_str(addr, "country");
	if (type[0] && code[0])
		snprintf(key, sizeof(key), "%s/%s", type, code);
	else
		snprintf(key, sizeof(key), "%s", code[0] ? code : type);

	/* The UTC fields, where UPS sends them, are exact; otherwise the local
	 * time is read in the zone of the scan's place. */
	if (ups_local(carrier_scan_str(act, "gmtDate"), carrier_scan_str(act, "gmtTime"), local)) {
		char utc[40];
		snprintf(utc, sizeof(utc), "%sZ", local);
		if (wtime_parse(utc, 0, &s.at) != WTIME_OK)
			return adapter_fail(out, "ups: activity %zu of %s: bad gmtDate/gmtTime", idx, tracking);
	} else {
		const struct scan_places pl = { country, region, ups_country_of(pkg, "DESTINATION"),
						 ups_country_of(pkg, "ORIGIN"), NULL };
		if (!ups_local(carrier_scan_str(act, "date"), carrier_scan_str(act, "time"), local) ||
		    !carrier_scan_time(env, local, &pl, &s.at, note, sizeof(note)))
			return adapter_fail(out, "ups: activity %zu of %s: date/time is not YYYYMMDD/HHMMSS", idx,
					    tracking);
	}
	s.code = key;
	s.fallback = type;
	s.description = carrier_scan_str(status, "description");
	s.city = carrier_scan_str(addr, "city");
	s.region = region;
	s.country = country;
	return carrier_scan_emit(env, out, &s);
}

/* deliveryInformation -> the proof of the newest delivered event of the
 * package's events out->events[from..). */
static void ups_proof(struct adapter_out *out, size_t from, const cJSON *pkg)
{
	const cJSON *di = cJSON_GetObjectItemCaseSensitive(pkg, "deliveryInformation");
	struct event *ev;

	if (!cJSON_IsObject(di) || !(ev = adapter_newest_with(out, from, EV_DELIVERED)))
		return;
	carrier_scan_text(ev->proof.signed_by, sizeof(ev->proof.signed_by), carrier_scan_str(di, "receivedBy"));
	carrier_scan_text(ev->proof.left_at, sizeof(ev->proof.left_at), carrier_scan_str(di, "location"));
}

static enum werr ups_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	cJSON *root = text_json_one(rq->body, rq->len, NULL);
	const cJSON *errors, *shipments, *shipment;
	enum werr e = WERR_OK;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		if (xml_looks_like(rq->body, rq->len) && memmem(rq->body, rq->len, "TrackResponse", 13))
			return adapter_fail(out, "ups: an XML answer is UPS's retired XML tracking API, which wismo does not read: "
					    "use the Track API (JSON, OAuth; docs/adapters.md)");
		return adapter_fail(out, "ups: body is not a JSON object");
	}
	errors = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "response"), "errors");
	if (cJSON_IsArray(errors)) {
		const cJSON *first = cJSON_GetArrayItem(errors, 0);
		e = adapter_fail(out, "ups reported error %s: %s", carrier_scan_str(first, "code"), carrier_scan_str(first, "message"));
		goto out;
	}
	shipments = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "trackResponse"),
						     "shipment");
	if (!cJSON_IsArray(shipments)) {
		e = adapter_fail(out, "ups: not a track response (no trackResponse.shipment[])");
		goto out;
	}
	cJSON_ArrayForEach(shipment, shipments) {
		const char *inquiry = carrier_scan_str(shipment, "inquiryNumber");
		const cJSON *pkg;

		/* A shipment without packages is UPS's "not found yet" (warning
		 * TW0001): a normal answer for a fresh label. */
		cJSON_ArrayForEach(pkg, cJSON_GetObjectItemCaseSensitive(shipment, "package")) {
			const char *tracking = carrier_scan_str(pkg, "trackingNumber");
			int64_t estimated = ups_estimate(pkg);
			const cJSON *act;
			size_t idx = 0, from = out->nevents;

			if (!tracking[0])
				tracking = inquiry;
			cJSON_ArrayForEach(act, cJSON_GetObjectItemCaseSensitive(pkg, "activity")) {
				e = ups_activity(env, out, tracking, estimated, pkg, act, idx++);
				if (e)
					goto out;
			}
			ups_proof(out, from, pkg);
		}
	}
out:
	cJSON_Delete(root);
	return e;
}

const struct adapter adapter_ups = {
	.name = "ups",
	.kind = KIND_CARRIER,
	.verify = NULL,
	.parse = ups_parse,
};
