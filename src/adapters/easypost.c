/*
 * easypost.c - EasyPost tracker webhooks at /hooks/easypost.
 *
 * EasyPost posts an Event {"object":"Event","description":"tracker.updated",
 * "result": Tracker} whenever a tracker changes.  A Tracker carries the whole
 * history (tracking_details), so every delivery repeats the facts of the
 * earlier ones: each detail becomes one event whose id is built from what the
 * detail says ("easypost:<tracker id>:<datetime>:<status>:<status_detail>"),
 * and the writer's dedupe keeps only the new ones.  Status codes map through
 * mappings/easypost.tsv, first as "status/status_detail" (the detail refines
 * failures and delays: "failure/address_correction"), then as "status".
 * The tracker's signed_by (who signed, as the carrier reports it) is the
 * proof of its newest delivered event; EasyPost gives no proof link, place
 * or coordinates, and no appointment status (its status_detail list has
 * none).
 *
 * Also read, for `wismo parse` and replays: a Tracker posted alone, a
 * Shipment that embeds its tracker, and the API's lists {"trackers":[...]}
 * and {"events":[...]}.  Events other than tracker.* and objects that are none
 * of these hold nothing wismo tracks: no events, no error.
 *
 * Signature: X-Hmac-Signature: hmac-sha256-hex=<hex of HMAC-SHA256(key, raw
 * body)>, where key is the NFKD form of the webhook secret, as EasyPost's
 * client libraries compute it (nfkd.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "adapter.h"
#include "aggregator.h"
#include "carrier_names.h"
#include "nfkd.h"
#include "../base/banned.h"

#define TABLE "easypost"
#define SIG_HEADER "X-Hmac-Signature"
#define SIG_PREFIX "hmac-sha256-hex="
#define SECRET_MAX 1024

static enum werr ep_verify(const struct hook_request *rq, const char *secret, int64_t now_ms, char *why,
			   size_t whycap)
{
	const char *h = rq->header ? rq->header(rq->hctx, SIG_HEADER) : NULL;
	const size_t plen = sizeof(SIG_PREFIX) - 1;
	char key[SECRET_MAX];
	enum werr e;
	bool ok;

	(void)now_ms; /* EasyPost's signature has no time stamp */
	if (!secret || !secret[0]) {
		snprintf(why, whycap, "no secret is configured for this source");
		return WERR_UNAUTHORIZED;
	}
	if (!h) {
		snprintf(why, whycap, "missing " SIG_HEADER);
		return WERR_UNAUTHORIZED;
	}
	if (strncasecmp(h, SIG_PREFIX, plen) || strlen(h + plen) != 64) {
		snprintf(why, whycap, SIG_HEADER " must be " SIG_PREFIX "<64 hex digits>");
		return WERR_UNAUTHORIZED;
	}
	e = nfkd_latin(secret, key, sizeof(key));
	if (e) {
		snprintf(why, whycap, "the easypost secret cannot be NFKD-normalised (%s): use ASCII or Latin letters",
			 e == WERR_UNSUPPORTED ? "a character outside the Latin range" : werr_name(e));
		return WERR_UNAUTHORIZED;
	}
	ok = sig_hmac_hex_ok(key, rq->body, rq->len, h + plen);
	explicit_bzero(key, sizeof(key)); /* the secret, derived */
	if (!ok) {
		snprintf(why, whycap, "signature mismatch");
		return WERR_UNAUTHORIZED;
	}
	return WERR_OK;
}

/* One TrackingDetail -> one event. */
static enum werr parse_detail(const struct adapter_env *env, const cJSON *d, size_t idx, const char *trk,
			      const char *package, const char *carrier, struct adapter_out *out)
{
	const char *when = agg_str(d, "datetime");
	const char *status = agg_strz(d, "status");
	const char *sdetail = agg_strz(d, "status_detail");
	const char *message = agg_strz(d, "message");
	const cJSON *loc = agg_obj(d, "tracking_location");
	const char *city = agg_strz(loc, "city");
	const char *state = agg_strz(loc, "state");
	const char *country = agg_country_iso2(agg_strz(loc, "country"));
	char combined[2 * EV_CODE_MAX + 2];
	char natural[512];
	const char *codes[2];
	int64_t at, est;
	struct event *ev;

	if (!cJSON_IsObject(d))
		return adapter_fail(out, "tracking_details[%zu] is not an object", idx);
	if (!when || !adapter_time(env, when, country, state, &at, NULL))
		return adapter_fail(out, "tracking_details[%zu]: datetime is missing or not a time", idx);
	if (!(ev = adapter_push(out, env)))
		return WERR_NOMEM;
	ev->occurred_at = at;
	EVENT_SET(ev->package, package);
	EVENT_SET(ev->carrier, carrier);
	snprintf(natural, sizeof(natural), "easypost:%s:%s:%s:%s", trk, when, status, sdetail);
	agg_set_id(ev, "easypost", natural);
	AGG_SET_CUT(ev->location.city, city);
	AGG_SET_CUT(ev->location.region, state);
	AGG_SET_CUT(ev->location.country, country);
	if (agg_estimate(env, agg_str(d, "est_delivery_date"), country, state, &est))
		ev->estimated_delivery = est;
	snprintf(combined, sizeof(combined), "%s/%s", status, sdetail);
	codes[0] = sdetail[0] ? combined : status;
	codes[1] = status;
	agg_map(env, TABLE, codes, 2, message[0] ? message : agg_strz(d, "description"), ev);
	return WERR_OK;
}

static enum werr parse_tracker(const struct adapter_env *env, const cJSON *t, struct adapter_out *out)
{
	char code[EV_PACKAGE_MAX + 1];
	const char *trk = agg_str(t, "id");
	const cJSON *details = cJSON_GetObjectItemCaseSensitive(t, "tracking_details");
	char carrier[EV_CARRIER_MAX + 1];
	size_t first = out->nevents, i = 0;
	const cJSON *d;
	int64_t est;

	enum werr e0;

	if ((e0 = agg_tracking(t, "tracking_code", code, out)))
		return e0;
	if (!code[0])
		return adapter_fail(out, "tracker has no tracking_code");
	if (!details || cJSON_IsNull(details))
		return WERR_OK; /* a tracker EasyPost has not heard about yet */
	if (!cJSON_IsArray(details))
		return adapter_fail(out, "tracking_details is not an array");
	carrier_normalize(agg_str(t, "carrier"), carrier, sizeof(carrier));
	cJSON_ArrayForEach(d, details) {
		enum werr e = parse_detail(env, d, i++, trk && trk[0] ? trk : code, code, carrier, out);
		if (e)
			return e;
	}
	agg_sort_events(out, first);
	agg_mark_return(out, first, t);
	{
		struct event *dl = adapter_newest_with(out, first, EV_DELIVERED);
		if (dl)
			ADAPTER_SET_TEXT(dl->proof.signed_by, agg_strz(t, "signed_by"));
	}
	if (agg_estimate(env, agg_str(t, "est_delivery_date"), NULL, NULL, &est))
		agg_estimate_on_newest(out, first, est);
	{
		/* the tracker's own status, when its newest scan says otherwise (a claim: aggregator.h) */
		const char *status = agg_strz(t, "status"), *sd = agg_strz(t, "status_detail");
		char combined[2 * EV_CODE_MAX + 2], prefix[EV_ID_MAX + 1];
		const char *codes[2];
		snprintf(combined, sizeof(combined), "%s/%s", status, sd);
		codes[0] = sd[0] ? combined : status;
		codes[1] = status;
		snprintf(prefix, sizeof(prefix), "easypost:%s", trk && trk[0] ? trk : code);
		agg_summary(env, TABLE, codes, 2, prefix, out, first);
	}
	return WERR_OK;
}

static enum werr parse_event(const struct adapter_env *env, const cJSON *j, struct adapter_out *out)
{
	const char *desc = agg_strz(j, "description");
	const cJSON *result = agg_obj(j, "result");

	/* batch.*, refund.*, insurance.*, payment.*, report.* ... say nothing
	 * about a parcel; an Event listed by the API has no result. */
	if (strncmp(desc, "tracker.", 8) || !result)
		return WERR_OK;
	return parse_tracker(env, result, out);
}

static enum werr parse_list(const struct adapter_env *env, const cJSON *list, const char *name,
			    enum werr (*one)(const struct adapter_env *, const cJSON *, struct adapter_out *),
			    struct adapter_out *out)
{
	const cJSON *item;
	size_t i = 0;

	cJSON_ArrayForEach(item, list) {
		enum werr e;

		if (!cJSON_IsObject(item))
			return adapter_fail(out, "%s[%zu] is not an object", name, i);
		if ((e = one(env, item, out)))
			return e;
		i++;
	}
	return WERR_OK;
}

static enum werr parse_root(const struct adapter_env *env, const cJSON *j, struct adapter_out *out)
{
	const char *object = agg_strz(j, "object");
	const cJSON *list;

	if (!strcmp(object, "Event"))
		return parse_event(env, j, out);
	if (!strcmp(object, "Tracker"))
		return parse_tracker(env, j, out);
	if (!strcmp(object, "Shipment")) {
		/* a return label's shipment says is_return: its parcel is a return's */
		const cJSON *t = agg_obj(j, "tracker");
		size_t first = out->nevents;
		enum werr e = t ? parse_tracker(env, t, out) : WERR_OK;
		if (!e)
			agg_mark_return(out, first, j);
		return e;
	}
	if (object[0])
		return WERR_OK; /* Webhook, Address, ... */
	if (cJSON_IsArray(list = cJSON_GetObjectItemCaseSensitive(j, "trackers")))
		return parse_list(env, list, "trackers", parse_tracker, out);
	if (cJSON_IsArray(list = cJSON_GetObjectItemCaseSensitive(j, "events")))
		return parse_list(env, list, "events", parse_event, out);
	/* Without "object": an Event or a Tracker written by hand. */
	if (agg_obj(j, "result") && agg_str(j, "description"))
		return parse_event(env, j, out);
	if (cJSON_GetObjectItemCaseSensitive(j, "tracking_code"))
		return parse_tracker(env, j, out);
	return WERR_OK;
}

static enum werr ep_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	cJSON *root;
	enum werr e = agg_parse_object(rq, out, &root);

	if (e)
		return e;
	e = parse_root(env, root, out);
	cJSON_Delete(root);
	return e;
}

const struct adapter adapter_easypost = {
	.name = "easypost",
	.kind = KIND_AGGREGATOR,
	.verify = ep_verify,
	.parse = ep_parse,
};
