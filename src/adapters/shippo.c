/*
 * shippo.c - Shippo track_updated webhooks at /hooks/shippo.
 *
 * Shippo posts {"event":"track_updated","test":bool,"data": Track}; a Track
 * holds the parcel's tracking_history and its latest tracking_status (the
 * same shape: status, status_details, status_date, substatus, location).
 * Each entry becomes one event, id
 * "shippo:<carrier>:<tracking_number>:<status_date>:<status>[:<substatus>]".
 * Not Shippo's object_id: Shippo mints new object_ids for the same history
 * entry on every answer, so they would make every redelivery look new.  The
 * latest status is usually also the last history entry, so it only adds an
 * event when its id is not already there.
 *
 * Codes map through mappings/shippo.tsv, substatus code first (lower case:
 * "address_issue", "package_held"), status as fallback (upper case:
 * "TRANSIT", "FAILURE").  A substatus's own action_required, when Shippo
 * gives it, is kept on the event: it is Shippo's word about that parcel.
 *
 * The order: Shippo carries whatever the merchant put in `metadata`; when it
 * reads like an order number ("Order #1001", "Order 1001", "#1001") the event
 * names order 1001, otherwise the writer finds the order by tracking number.
 *
 * Also read: a bare Track (the answer of GET /tracks/..., `wismo parse`,
 * and the webhook body of API versions before 2017-08-01, which had no
 * envelope), and entries without substatus (older bodies).  Other webhook
 * events (transaction_created, batch_*) hold no event.
 *
 * Signature: Shippo does not sign its webhooks.  wismo accepts either
 *  - a token in the hook URL, /hooks/shippo?token=SECRET, which the server
 *    hands over as the pseudo-header X-Wismo-Query-Token, compared with the
 *    secret in constant time (length included); or
 *  - wismo's generic scheme (X-Wismo-Timestamp + X-Wismo-Signature), for a
 *    relay that re-signs what Shippo sent.
 * A token that is present decides alone (a wrong one is refused even next to
 * a valid signature), as for ShipStation, the other source that signs nothing.
 */
#include <stdio.h>
#include <string.h>

#include "adapter.h"
#include "aggregator.h"
#include "carrier_names.h"
#include "../base/crypto.h"
#include "../base/banned.h"

#define TABLE "shippo"
#define TOKEN_HEADER "X-Wismo-Query-Token"

static const char *header(const struct hook_request *rq, const char *name)
{
	return rq->header ? rq->header(rq->hctx, name) : NULL;
}

static enum werr sp_verify(const struct hook_request *rq, const char *secret, int64_t now_ms, char *why,
			   size_t whycap)
{
	const char *sig = header(rq, "X-Wismo-Signature");
	const char *ts = header(rq, "X-Wismo-Timestamp");
	const char *tok = header(rq, TOKEN_HEADER);
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];

	if (!secret || !secret[0]) {
		snprintf(why, whycap, "no secret is configured for this source");
		return WERR_UNAUTHORIZED;
	}
	if (tok) {
		/* Comparing digests keeps the secret's length out of the timing. */
		crypto_sha256_hex(tok, strlen(tok), a);
		crypto_sha256_hex(secret, strlen(secret), b);
		if (crypto_equal(a, SHA256_HEX_LEN, b, SHA256_HEX_LEN) != 1) {
			snprintf(why, whycap, "token in the hook url does not match the secret");
			return WERR_UNAUTHORIZED;
		}
		return WERR_OK;
	}
	if (sig || ts)
		return sig_generic_check(secret, rq->body, rq->len, ts, sig, now_ms, why, whycap);
	snprintf(why, whycap, "missing ?token= in the hook url (" TOKEN_HEADER ") or X-Wismo-Signature");
	return WERR_UNAUTHORIZED;
}

struct track_ctx {
	char number[EV_PACKAGE_MAX + 1];
	char carrier[EV_CARRIER_MAX + 1];
	char order[EV_ORDER_MAX + 1];
};

/* One tracking status (a history entry or the latest) -> one event.  what
 * names it in error messages. */
static enum werr parse_status(const struct adapter_env *env, const struct track_ctx *tc, const cJSON *s,
			      const char *what, struct adapter_out *out)
{
	const cJSON *sub = agg_obj(s, "substatus");
	const cJSON *loc = agg_obj(s, "location");
	const cJSON *act = sub ? cJSON_GetObjectItemCaseSensitive(sub, "action_required") : NULL;
	const char *status = agg_strz(s, "status");
	const char *subcode = agg_strz(sub, "code");
	const char *when = agg_str(s, "status_date");
	const char *state = agg_strz(loc, "state");
	const char *country = agg_country_iso2(agg_strz(loc, "country"));
	const char *desc = agg_strz(s, "status_details");
	char natural[512];
	const char *codes[2];
	struct event *ev;
	int64_t at;

	/* status_date is when the carrier saw it; Shippo leaves it null on
	 * some early entries, and then its own record time is the best left. */
	if (!when)
		when = agg_str(s, "object_created");
	if (!when || !adapter_time(env, when, country, state, &at, NULL))
		return adapter_fail(out, "%s: status_date is missing or not a time", what);
	if (!(ev = adapter_push(out, env)))
		return WERR_NOMEM;
	ev->occurred_at = at;
	EVENT_SET(ev->package, tc->number);
	EVENT_SET(ev->carrier, tc->carrier);
	EVENT_SET(ev->order, tc->order);
	snprintf(natural, sizeof(natural), "shippo:%s:%s:%s:%s%s%s", tc->carrier, tc->number, when, status,
		 subcode[0] ? ":" : "", subcode);
	agg_set_id(ev, "shippo", natural);
	AGG_SET_CUT(ev->location.city, agg_strz(loc, "city"));
	AGG_SET_CUT(ev->location.region, state);
	AGG_SET_CUT(ev->location.country, country);
	codes[0] = subcode;
	codes[1] = status;
	agg_map(env, TABLE, codes, 2, desc[0] ? desc : agg_strz(sub, "text"), ev);
	if (cJSON_IsBool(act))
		ev->action_required = cJSON_IsTrue(act) ? 1 : 0;
	return WERR_OK;
}

static enum werr parse_track(const struct adapter_env *env, const cJSON *t, struct adapter_out *out)
{
	const cJSON *hist = cJSON_GetObjectItemCaseSensitive(t, "tracking_history");
	const cJSON *entries;
	const cJSON *latest = agg_obj(t, "tracking_status");
	struct track_ctx tc;
	size_t first = out->nevents, i = 0;
	const cJSON *h;
	char what[48];
	int64_t est;
	enum werr e;

	memset(&tc, 0, sizeof(tc));
	if ((e = agg_tracking(t, "tracking_number", tc.number, out)))
		return e;
	if (!tc.number[0])
		return adapter_fail(out, "track has no tracking_number");
	if (hist && !cJSON_IsNull(hist) && !cJSON_IsArray(hist))
		return adapter_fail(out, "tracking_history is not an array");
	carrier_normalize(agg_str(t, "carrier"), tc.carrier, sizeof(tc.carrier));
	agg_order_from_text(agg_str(t, "metadata"), tc.order, sizeof(tc.order));
	entries = cJSON_IsArray(hist) ? hist : NULL;
	cJSON_ArrayForEach(h, entries) {
		snprintf(what, sizeof(what), "tracking_history[%zu]", i);
		if (!cJSON_IsObject(h))
			return adapter_fail(out, "%s is not an object", what);
		if ((e = parse_status(env, &tc, h, what, out)))
			return e;
		i++;
	}
	if (latest) {
		if ((e = parse_status(env, &tc, latest, "tracking_status", out)))
			return e;
		for (size_t k = first; k + 1 < out->nevents; k++)
			if (!strcmp(out->events[k].id, out->events[out->nevents - 1].id)) {
				adapter_pop(out); /* already in the history */
				break;
			}
	}
	agg_sort_events(out, first);
	agg_mark_return(out, first, t);
	if (agg_estimate(env, agg_str(t, "eta"), NULL, NULL, &est))
		agg_estimate_on_newest(out, first, est);
	return WERR_OK;
}

static enum werr sp_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	cJSON *root;
	const cJSON *data;
	const char *event;
	enum werr e = agg_parse_object(rq, out, &root);

	if (e)
		return e;
	/* Shippo's 2017-08-01 changelog names the member event_type; bodies
	 * since say event.  Either names the event (docs/adapters/aggregators.md,
	 * "Versions"): without this a track_updated under the older name was
	 * read as nothing. */
	if (!(event = agg_str(root, "event")))
		event = agg_str(root, "event_type");
	data = agg_obj(root, "data");
	if (event) {
		if (!strcmp(event, "track_updated")) {
			if (!data)
				e = adapter_fail(out, "track_updated without a data object");
			else
				e = parse_track(env, data, out);
		}
	} else if (cJSON_GetObjectItemCaseSensitive(root, "tracking_number")) {
		e = parse_track(env, root, out);
	}
	cJSON_Delete(root);
	return e;
}

const struct adapter adapter_shippo = {
	.name = "shippo",
	.kind = KIND_AGGREGATOR,
	.verify = sp_verify,
	.parse = sp_parse,
};
