/*
 * dhl.c - DHL tracking responses, as the poller receives them, -> one event
 * per checkpoint.  Three shapes, told apart by the body:
 *
 *  1. Shipment Tracking - Unified API (GET /track/shipments), JSON:
 *       shipments[] {id, events[] {timestamp, statusCode, status,
 *       description, location.address {addressLocality, countryCode}},
 *       estimatedTimeOfDelivery, details.proofOfDelivery {documentUrl,
 *       signatureUrl, signed {name, givenName, familyName}}}
 *     statusCode is DHL's own normalized word (pre-transit, transit,
 *     delivered, failure, unknown): the table key.  The proof of delivery
 *     goes on the shipment's newest delivered event: who signed, and the
 *     proof document's link (else the signature's), https only.
 *  2. MyDHL API (DHL Express, GET /shipments/{number}/tracking), JSON:
 *       shipments[] {shipmentTrackingNumber, estimatedTimeOfDelivery,
 *       events[] {date, time, GMTOffset, typeCode, description,
 *       serviceArea[] {code, description}}}
 *     typeCode is the DHL Express checkpoint code (PU, PL, DF, AF, AR, WC,
 *     OK, ...): the table key.
 *  3. DHL Express XML Services (XML-PI) TrackingResponse, XML:
 *       AWBInfo[] {AWBNumber, Status {ActionStatus, Condition},
 *       ShipmentInfo {EstDlvyDateUTC, ShipmentEvent[] {Date, Time,
 *       ServiceEvent {EventCode, Description}, ServiceArea {Description}}}}
 *     read with the small XML reader (base/xml.h).
 *
 * Both key spaces live in mappings/dhl.tsv: DHL's normalized words are
 * lower-case, Express checkpoint codes two upper-case letters.
 *
 * Time: an offset when the body gives one (Unified timestamps often carry
 * none; MyDHL's GMTOffset); otherwise local time in the zone of the event's
 * country when known (Unified countryCode; "City-CC" service areas), else
 * read as UTC (XML-PI gives a service area name only).
 *
 * Answers: "no shipment found" (Unified/MyDHL problem JSON with status 404;
 * XML-PI ActionStatus "No Shipments Found" / condition 103) gives no events
 * and WERR_OK; any other DHL error is WERR_INVALID with DHL's code and words;
 * a body in none of these shapes, or XML that is not well formed, is
 * WERR_INVALID.  DHL Parcel DE and DHL Poland responses are other APIs and
 * are not read (docs/conformance.md).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* "Leipzig-DE" -> city "Leipzig", country "DE"; "Barcelona - Spain" ->
 * "Barcelona", "Spain"; a text without '-' is all city. */
static void split_area(const char *area, char *city, size_t ccap, char *country, size_t kcap)
{
	const char *dash = strrchr(area, '-');
	char tmp[EV_DESC_MAX + 1];
	size_t n;

	country[0] = '\0';
	if (!dash || dash == area || !dash[1]) {
		carrier_scan_text(city, ccap, area);
		return;
	}
	n = (size_t)(dash - area);
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, area, n);
	tmp[n] = '\0';
	carrier_scan_text(city, ccap, tmp);
	carrier_scan_text(country, kcap, dash + 1);
	if (!city[0] || !country[0]) {
		carrier_scan_text(city, ccap, area);
		country[0] = '\0';
	}
}

/* ---- 1 and 2: JSON ---- */

/* details.proofOfDelivery -> the proof of the newest delivered event of
 * out->events[from..). */
static void unified_proof(struct adapter_out *out, size_t from, const cJSON *sh)
{
	const cJSON *pod = item(item(sh, "details"), "proofOfDelivery");
	const cJSON *who = item(pod, "signed");
	struct event *ev;

	if (!cJSON_IsObject(pod) || !(ev = adapter_newest_with(out, from, EV_DELIVERED)))
		return;
	if (STR(who, "name")[0]) {
		carrier_scan_text(ev->proof.signed_by, sizeof(ev->proof.signed_by), STR(who, "name"));
	} else if (STR(who, "givenName")[0] || STR(who, "familyName")[0]) {
		char both[2 * EV_NAME_MAX + 2];
		snprintf(both, sizeof(both), "%.*s %.*s", EV_NAME_MAX, STR(who, "givenName"), EV_NAME_MAX,
			 STR(who, "familyName"));
		carrier_scan_text(ev->proof.signed_by, sizeof(ev->proof.signed_by), both);
	}
	if (!adapter_proof_url(&ev->proof, STR(pod, "documentUrl")))
		adapter_proof_url(&ev->proof, STR(pod, "signatureUrl"));
}

static enum werr unified_shipment(const struct adapter_env *env, struct adapter_out *out, const cJSON *sh)
{
	char tracking[EV_PACKAGE_MAX + 1];
	const cJSON *ev;
	int64_t estimated = 0;
	size_t idx = 0, from = out->nevents;

	/* a scan's local time without its place is read where the parcel goes,
	 * else where it came from; the event says which (issue 16) */
	const char *dest = STR(item(item(sh, "destination"), "address"), "countryCode");
	const char *orig = STR(item(item(sh, "origin"), "address"), "countryCode");

	if (!carrier_scan_id(sh, "id", tracking, sizeof(tracking)))
		return adapter_fail(out, "dhl: shipment without a usable id");
	if (!adapter_time(env, STR(sh, "estimatedTimeOfDelivery"), NULL, NULL, &estimated, NULL))
		estimated = 0;
	cJSON_ArrayForEach(ev, item(sh, "events")) {
		const cJSON *addr = item(item(ev, "location"), "address");
		const char *country = STR(addr, "countryCode"), *desc = STR(ev, "description");
		const struct scan_places pl = { .country = country, .dest = dest, .orig = orig };
		struct carrier_scan s = { .carrier = "dhl", .tracking = tracking, .estimated = estimated };
		char note[80];

		if (!carrier_scan_time(env, STR(ev, "timestamp"), &pl, &s.at, note, sizeof(note)))
			return adapter_fail(out, "dhl: event %zu of %s: timestamp is not a time", idx, tracking);
		s.code = STR(ev, "statusCode");
		s.description = desc[0] ? desc : STR(ev, "status");
		s.note = note;
		s.city = STR(addr, "addressLocality");
		s.country = country;
		enum werr e = carrier_scan_emit(env, out, &s);
		if (e)
			return e;
		idx++;
	}
	unified_proof(out, from, sh);
	return WERR_OK;
}

static enum werr mydhl_shipment(const struct adapter_env *env, struct adapter_out *out, const cJSON *sh)
{
	const char *tracking = STR(sh, "shipmentTrackingNumber");
	const cJSON *ev;
	int64_t estimated = 0;
	size_t idx = 0;

	if (!adapter_time(env, STR(sh, "estimatedTimeOfDelivery"), NULL, NULL, &estimated, NULL))
		estimated = 0;
	cJSON_ArrayForEach(ev, item(sh, "events")) {
		const char *area = STR(cJSON_GetArrayItem(item(ev, "serviceArea"), 0), "description");
		const char *date = STR(ev, "date"), *time = STR(ev, "time"), *off = STR(ev, "GMTOffset");
		char city[EV_PLACE_MAX + 1], country[EV_PLACE_MAX + 1], when[64];
		struct carrier_scan s = { .carrier = "dhl", .tracking = tracking, .estimated = estimated };

		split_area(area, city, sizeof(city), country, sizeof(country));
		if (strlen(date) > 10 || strlen(time) > 12 || strlen(off) > 8)
			return adapter_fail(out, "dhl: event %zu of %s: date/time too long", idx, tracking);
		snprintf(when, sizeof(when), "%sT%s%s", date, time, off);
		if (!adapter_time(env, when, country, NULL, &s.at, NULL))
			return adapter_fail(out, "dhl: event %zu of %s: date/time is not a time", idx, tracking);
		s.code = STR(ev, "typeCode");
		s.description = STR(ev, "description");
		s.city = city;
		s.country = country;
		enum werr e = carrier_scan_emit(env, out, &s);
		if (e)
			return e;
		idx++;
	}
	return WERR_OK;
}

static enum werr dhl_json(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	cJSON *root = text_json_one(rq->body, rq->len, NULL);
	const cJSON *shipments, *sh, *status;
	enum werr e = WERR_OK;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return adapter_fail(out, "dhl: body is not a JSON object");
	}
	shipments = item(root, "shipments");
	status = item(root, "status");
	if (!cJSON_IsArray(shipments)) {
		/* RFC 7807 problem: {"status": 404, "title": ..., "detail": ...}. */
		if (cJSON_IsNumber(status) && status->valuedouble == 404)
			goto out;
		if (cJSON_IsNumber(status) && (item(root, "title") || item(root, "detail")))
			e = adapter_fail(out, "dhl reported error %d: %s: %s", status->valueint, STR(root, "title"),
					 STR(root, "detail"));
		else
			e = adapter_fail(out, "dhl: not a tracking response (no shipments[])");
		goto out;
	}
	cJSON_ArrayForEach(sh, shipments) {
		e = item(sh, "shipmentTrackingNumber") ? mydhl_shipment(env, out, sh) : unified_shipment(env, out, sh);
		if (e)
			goto out;
	}
out:
	cJSON_Delete(root);
	return e;
}

/* ---- 3: XML (base/xml.h) ---- */

static enum werr xmlpi_awb(const struct adapter_env *env, struct adapter_out *out, const struct xml_node *awb)
{
	char tracking[EV_PACKAGE_MAX + 2];
	const char *action = xml_path(awb, "Status", "ActionStatus", NULL);
	const char *cond = xml_path(awb, "Status", "Condition", "ConditionCode", NULL);
	const struct xml_node *info = xml_child(awb, "ShipmentInfo");
	char trimmed_action[64], trimmed_cond[16];
	int64_t estimated = 0;
	size_t idx = 0;

	carrier_scan_text(tracking, sizeof(tracking), xml_path(awb, "AWBNumber", NULL));
	carrier_scan_text(trimmed_action, sizeof(trimmed_action), action);
	carrier_scan_text(trimmed_cond, sizeof(trimmed_cond), cond);
	if (strcasecmp(trimmed_action, "success")) {
		if (!strcmp(trimmed_cond, "103") || !strcasecmp(trimmed_action, "No Shipments Found"))
			return WERR_OK;
		char data[160];
		carrier_scan_text(data, sizeof(data), xml_path(awb, "Status", "Condition", "ConditionData", NULL));
		return adapter_fail(out, "dhl reported error %s: %s", trimmed_cond[0] ? trimmed_cond : trimmed_action,
				    data);
	}
	{
		char utc[40];
		carrier_scan_text(utc, sizeof(utc), xml_path(info, "EstDlvyDateUTC", NULL));
		if (utc[0] && strlen(utc) < 30) {
			char z[48];
			snprintf(z, sizeof(z), "%sZ", utc); /* "2021-05-08 03:59:00" is UTC */
			if (wtime_parse(z, 0, &estimated) != WTIME_OK)
				estimated = 0;
		}
	}
	for (const struct xml_node *ev = info ? info->child : NULL; ev; ev = ev->next) {
		char date[16], time[16], code[EV_CODE_MAX + 1], when[40];
		char city[EV_PLACE_MAX + 1], country[EV_PLACE_MAX + 1], area[EV_DESC_MAX + 1];
		struct carrier_scan s = { .carrier = "dhl", .tracking = tracking, .estimated = estimated };

		if (strcmp(ev->name, "ShipmentEvent"))
			continue;
		carrier_scan_text(date, sizeof(date), xml_path(ev, "Date", NULL));
		carrier_scan_text(time, sizeof(time), xml_path(ev, "Time", NULL));
		carrier_scan_text(code, sizeof(code), xml_path(ev, "ServiceEvent", "EventCode", NULL));
		carrier_scan_text(area, sizeof(area), xml_path(ev, "ServiceArea", "Description", NULL));
		split_area(area, city, sizeof(city), country, sizeof(country));
		snprintf(when, sizeof(when), "%sT%s", date, time);
		if (!adapter_time(env, when, country, NULL, &s.at, NULL))
			return adapter_fail(out, "dhl: event %zu of %s: Date/Time is not a time", idx, tracking);
		s.code = code;
		s.description = xml_path(ev, "ServiceEvent", "Description", NULL);
		s.city = city;
		s.country = country;
		enum werr e = carrier_scan_emit(env, out, &s);
		if (e)
			return e;
		idx++;
	}
	return WERR_OK;
}

static enum werr dhl_xml(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	const char *err = NULL;
	struct xml_node *root = xml_parse(rq->body, rq->len, &err);
	enum werr e = WERR_OK;

	if (!root)
		return adapter_fail(out, "dhl: body is not well-formed XML (%s)", err);
	if (!strcmp(root->name, "TrackingResponse")) {
		for (const struct xml_node *c = root->child; c && !e; c = c->next)
			if (!strcmp(c->name, "AWBInfo"))
				e = xmlpi_awb(env, out, c);
	} else if (!strcmp(root->name, "ShipmentTrackingErrorResponse")) {
		char code[16], data[160];
		carrier_scan_text(code, sizeof(code), xml_path(root, "Response", "Status", "Condition", "ConditionCode", NULL));
		carrier_scan_text(data, sizeof(data), xml_path(root, "Response", "Status", "Condition", "ConditionData", NULL));
		e = adapter_fail(out, "dhl reported error %s: %s", code, data);
	} else {
		e = adapter_fail(out, "dhl: XML root '%s' is not an XML-PI TrackingResponse", root->name);
	}
	xml_free(root);
	return e;
}

static enum werr dhl_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	if (xml_looks_like(rq->body, rq->len))
		return dhl_xml(env, rq, out);
	return dhl_json(env, rq, out);
}

const struct adapter adapter_dhl = {
	.name = "dhl",
	.kind = KIND_CARRIER,
	.verify = NULL,
	.parse = dhl_parse,
};
