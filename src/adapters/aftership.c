/*
 * aftership.c - AfterShip tracking webhooks at /hooks/aftership.
 *
 * AfterShip posts {"event":"tracking_update","msg": Tracking,"ts":...} when a
 * tracking changes; the Tracking carries every checkpoint so far, each with
 * a tag (InTransit, Exception, ...) and a subtag (InTransit_007,
 * Exception_011, ...).  Each checkpoint becomes one event, id
 * "aftership:<slug>:<tracking_number>:<checkpoint_time>:<subtag or tag>" (the
 * source's own words, so a redelivery gives the same ids).  Codes map through
 * mappings/aftership.tsv, subtag first (it says why: customer moved, refused,
 * customs), the tag as fallback.
 *
 * checkpoint_time is usually the local time with its offset; when the offset
 * is missing it is read in the zone of the checkpoint's country and state
 * (adapter_time).  AfterShip gives countries as ISO 3166 alpha-3; events carry
 * alpha-2 like the other sources.
 *
 * Versions (docs/adapters/aggregators.md, "Versions"): the legacy webhook
 * (v4, no as-webhook-version header; before 4.0 msg had no id, which is not
 * read anyway) and the dated ones (2023-10 ...) share this shape; what they
 * renamed is read under both names (country_region / country_iso3,
 * destination_country_region / destination_country_iso3), a checkpoint
 * without a subtag maps by its tag, and the legacy bare-date checkpoint_time
 * is read.
 *
 * Proof (docs/appointments.md): the Tracking's signed_by goes on its newest
 * delivered event; a delivered or failed-attempt checkpoint's coordinate
 * {latitude, longitude} (2023-10 and later; the legacy "coordinates" array
 * was deprecated in 2013 and is not read) is where the driver was.  A
 * coordinate on any other checkpoint is where the parcel passed, not proof,
 * and is not kept.  Appointments: subtag OutForDelivery_004 ("delivery
 * appointment scheduled") maps to appointment_scheduled.
 *
 * Also read: the API's {"data":{"tracking":{...}}} and a bare Tracking.  A
 * webhook without checkpoints (tracking_pending_time, an edd_revise with no
 * new scan) holds no event: an estimate alone has no status to carry it.
 *
 * Signature: aftership-hmac-sha256 = base64(HMAC-SHA256(secret, raw body)).
 */
#include <stdio.h>
#include <string.h>

#include "adapter.h"
#include "aggregator.h"
#include "carrier_names.h"
#include "../base/banned.h"

#define TABLE "aftership"
#define SIG_HEADER "aftership-hmac-sha256"

static enum werr as_verify(const struct hook_request *rq, const char *secret, int64_t now_ms, char *why,
			   size_t whycap)
{
	const char *h = rq->header ? rq->header(rq->hctx, SIG_HEADER) : NULL;

	(void)now_ms; /* AfterShip's signature has no time stamp */
	if (!secret || !secret[0]) {
		snprintf(why, whycap, "no secret is configured for this source");
		return WERR_UNAUTHORIZED;
	}
	if (!h) {
		snprintf(why, whycap, "missing " SIG_HEADER);
		return WERR_UNAUTHORIZED;
	}
	if (!sig_hmac_b64_ok(secret, rq->body, rq->len, h)) {
		snprintf(why, whycap, "signature mismatch");
		return WERR_UNAUTHORIZED;
	}
	return WERR_OK;
}

/* The first non-empty string of obj[keys...]. */
static const char *first_str(const cJSON *obj, const char *a, const char *b, const char *c)
{
	const char *s;

	if ((s = agg_str(obj, a)) && s[0])
		return s;
	if (b && (s = agg_str(obj, b)) && s[0])
		return s;
	if (c && (s = agg_str(obj, c)) && s[0])
		return s;
	return "";
}

/* The newest estimate the Tracking gives, best source first: the one shown
 * to customers now (2024+ API), the carrier's, the legacy field, then
 * AfterShip's own prediction. */
static bool tracking_estimate(const struct adapter_env *env, const cJSON *t, int64_t *ms)
{
	const char *country = agg_country_iso2(first_str(t, "destination_country_region", "destination_country_iso3",
							 NULL));
	const char *state = agg_strz(t, "destination_state");
	const cJSON *o;

	if ((o = agg_obj(t, "latest_estimated_delivery")) &&
	    (agg_estimate(env, agg_str(o, "datetime"), country, state, ms) ||
	     agg_estimate(env, agg_str(o, "datetime_max"), country, state, ms)))
		return true;
	if ((o = agg_obj(t, "courier_estimated_delivery_date")) &&
	    agg_estimate(env, agg_str(o, "estimated_delivery_date"), country, state, ms))
		return true;
	if (agg_estimate(env, agg_str(t, "expected_delivery"), country, state, ms))
		return true;
	return (o = agg_obj(t, "aftership_estimated_delivery_date")) &&
	       agg_estimate(env, agg_str(o, "estimated_delivery_date"), country, state, ms);
}

/*
 * A checkpoint's time.  The legacy (v4) webhook documents four forms: "",
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" and the same with an offset.  A bare
 * date is a scan the carrier dated but did not time: it is read as local
 * midnight of that day in the checkpoint's zone (so it sorts before the
 * day's timed scans), through adapter_time like a local time.
 */
static bool checkpoint_time(const struct adapter_env *env, const char *when, const char *country,
			    const char *state, int64_t *at)
{
	char day[32];

	if (strlen(when) == 10 && when[4] == '-' && when[7] == '-') {
		snprintf(day, sizeof(day), "%sT00:00:00", when);
		return adapter_time(env, day, country, state, at, NULL);
	}
	return adapter_time(env, when, country, state, at, NULL);
}

struct tracking_ctx {
	char number[EV_PACKAGE_MAX + 1];
	const char *slug;
	char carrier[EV_CARRIER_MAX + 1];
	char order[EV_ORDER_MAX + 1];
};

static enum werr parse_checkpoint(const struct adapter_env *env, const struct tracking_ctx *tc, const cJSON *c,
				  size_t idx, struct adapter_out *out)
{
	const char *when, *tag, *subtag, *city, *state, *country, *message;
	char natural[512];
	const char *codes[2];
	struct event *ev;
	int64_t at;

	if (!cJSON_IsObject(c))
		return adapter_fail(out, "checkpoints[%zu] is not an object", idx);
	when = agg_str(c, "checkpoint_time");
	tag = agg_strz(c, "tag");
	subtag = agg_strz(c, "subtag");
	state = agg_strz(c, "state");
	/* country_region is the 2024+ name of country_iso3 */
	country = agg_country_iso2(first_str(c, "country_region", "country_iso3", NULL));
	if (!country[0])
		country = first_str(c, "country_region_name", "country_name", NULL);
	city = first_str(c, "city", "location", NULL);
	message = first_str(c, "message", "subtag_message", NULL);
	if (when && !when[0])
		return adapter_fail(out,
				    "checkpoints[%zu]: checkpoint_time is empty (the legacy webhook's word for a scan "
				    "without a time): a checkpoint without a time cannot be placed",
				    idx);
	if (!when || !checkpoint_time(env, when, country, state, &at))
		return adapter_fail(out, "checkpoints[%zu]: checkpoint_time is missing or not a time", idx);
	if (!(ev = adapter_push(out, env)))
		return WERR_NOMEM;
	ev->occurred_at = at;
	EVENT_SET(ev->package, tc->number);
	EVENT_SET(ev->carrier, tc->carrier);
	EVENT_SET(ev->order, tc->order);
	snprintf(natural, sizeof(natural), "aftership:%s:%s:%s:%s", tc->slug, tc->number, when,
		 subtag[0] ? subtag : tag);
	agg_set_id(ev, "aftership", natural);
	AGG_SET_CUT(ev->location.city, city);
	AGG_SET_CUT(ev->location.region, state);
	AGG_SET_CUT(ev->location.country, country);
	codes[0] = subtag;
	codes[1] = tag;
	agg_map(env, TABLE, codes, 2, message, ev);
	if (ev->status == EV_DELIVERED || ev->status == EV_DELIVERY_ATTEMPTED) {
		const cJSON *co = agg_obj(c, "coordinate");
		const cJSON *lat = co ? cJSON_GetObjectItemCaseSensitive(co, "latitude") : NULL;
		const cJSON *lng = co ? cJSON_GetObjectItemCaseSensitive(co, "longitude") : NULL;
		if (cJSON_IsNumber(lat) && cJSON_IsNumber(lng))
			adapter_proof_geo(&ev->proof, lat->valuedouble, lng->valuedouble);
	}
	return WERR_OK;
}

static enum werr parse_tracking(const struct adapter_env *env, const cJSON *t, struct adapter_out *out)
{
	const cJSON *cps = cJSON_GetObjectItemCaseSensitive(t, "checkpoints");
	struct tracking_ctx tc;
	size_t first = out->nevents, i = 0;
	const cJSON *c;
	int64_t est;
	enum werr e;

	if (!cps || cJSON_IsNull(cps) || (cJSON_IsArray(cps) && !cJSON_GetArraySize(cps)))
		return WERR_OK;
	if (!cJSON_IsArray(cps))
		return adapter_fail(out, "checkpoints is not an array");
	memset(&tc, 0, sizeof(tc));
	if ((e = agg_tracking(t, "tracking_number", tc.number, out)))
		return e;
	if (!tc.number[0])
		return adapter_fail(out, "tracking has checkpoints but no tracking_number");
	tc.slug = agg_strz(t, "slug");
	if (!tc.slug[0] && cJSON_IsObject(cps->child))
		tc.slug = agg_strz(cps->child, "slug");
	carrier_normalize(tc.slug, tc.carrier, sizeof(tc.carrier));
	/* order_number is the store's order number ("#1001" or "1001");
	 * order_id is the store's internal id, not what wismo keys orders by,
	 * so it is not used: the writer finds the order by tracking number. */
	agg_order_number(agg_str(t, "order_number"), tc.order, sizeof(tc.order));
	cJSON_ArrayForEach(c, cps)
		if ((e = parse_checkpoint(env, &tc, c, i++, out)))
			return e;
	agg_sort_events(out, first);
	{
		struct event *dl = adapter_newest_with(out, first, EV_DELIVERED);
		if (dl)
			ADAPTER_SET_TEXT(dl->proof.signed_by, agg_strz(t, "signed_by"));
	}
	if (tracking_estimate(env, t, &est))
		agg_estimate_on_newest(out, first, est);
	{
		/* the tracking's own tag, when its newest checkpoint says otherwise (a claim: aggregator.h) */
		const char *codes[2] = { agg_strz(t, "subtag"), agg_strz(t, "tag") };
		char prefix[EV_ID_MAX + 1];
		snprintf(prefix, sizeof(prefix), "aftership:%s:%s", tc.slug, tc.number);
		agg_summary(env, TABLE, codes, 2, prefix, out, first);
	}
	return WERR_OK;
}

static enum werr as_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	cJSON *root;
	const cJSON *t = NULL, *data;
	enum werr e = agg_parse_object(rq, out, &root);

	if (e)
		return e;
	/* Any webhook event whose msg is a tracking (tracking_update,
	 * edd_revise, tracking_pending_time), the API's answer, or a bare
	 * tracking; other shapes hold nothing wismo tracks. */
	if ((t = agg_obj(root, "msg")) == NULL) {
		if ((data = agg_obj(root, "data")))
			t = agg_obj(data, "tracking");
		else if (cJSON_GetObjectItemCaseSensitive(root, "tracking_number"))
			t = root;
	}
	if (t)
		e = parse_tracking(env, t, out);
	cJSON_Delete(root);
	return e;
}

const struct adapter adapter_aftership = {
	.name = "aftership",
	.kind = KIND_AGGREGATOR,
	.verify = as_verify,
	.parse = as_parse,
};
