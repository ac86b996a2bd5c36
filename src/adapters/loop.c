/*
 * loop.c - Loop Returns webhooks (/hooks/loop), the Return topic: a returns
 * portal's word on a return (docs/adapters/loop.md, docs/returns.md).
 *
 * Loop is a storefront-kind source: it owns the request, the decision, the
 * refund and the closing.  One body is the whole return as it stands, so
 * every body gives the same events for what it shows (ids from the return
 * and the fact, never the trigger), and a redelivery or a later body only
 * adds what is new:
 *
 *   created_at              return_requested with the lines and the first
 *                           reason; and return_approved at the same time
 *                           unless the state is "review" (Loop's portal
 *                           applies the shop's policy as the customer
 *                           submits; "needs review" waits for a person)
 *   labels[]                per label with a tracking number: the return
 *                           parcel's return_label_created (its status after
 *                           that is the carrier's to say: wismo tracks the
 *                           parcel like any other)
 *   refunds[]               return_refunded with their sum, when any
 *   state cancelled/expired return_cancelled (detail "expired")
 *   state closed            return_closed
 *
 * The order is Shopify's order name without its "#".  A body has no time
 * for the later facts but edited_at (else created_at).
 */
#include "adapter.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrier_names.h"
#include "../base/text.h"
#include "../base/banned.h"

static const char *header(const struct hook_request *rq, const char *name)
{
	return rq->header ? rq->header(rq->hctx, name) : NULL;
}

static enum werr loop_verify(const struct hook_request *rq, const char *secret, int64_t now_ms, char *why,
			     size_t whycap)
{
	const char *sig = header(rq, "X-Loop-Signature");

	(void)now_ms;
	if (!secret || !secret[0]) {
		snprintf(why, whycap, "no secret is configured for this source");
		return WERR_UNAUTHORIZED;
	}
	if (!sig || !sig[0]) {
		snprintf(why, whycap, "missing X-Loop-Signature");
		return WERR_UNAUTHORIZED;
	}
	if (!sig_hmac_b64_ok(secret, rq->body, rq->len, sig)) {
		snprintf(why, whycap, "signature mismatch");
		return WERR_UNAUTHORIZED;
	}
	return WERR_OK;
}

/* A string, or an exact integer written without a fraction ("1673", 1673). */
static bool scalar(const cJSON *o, const char *key, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	out[0] = '\0';
	if (cJSON_IsString(v) && v->valuestring[0] && strcmp(v->valuestring, "N/A"))
		return event_set_str(out, cap, v->valuestring) == WERR_OK;
	if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9007199254740992.0)
		return snprintf(out, cap, "%.0f", v->valuedouble) < (int)cap;
	return false;
}

/* Loop's reasons are the shop's own words ("Too small", "Changed my mind"):
 * lower case, runs of anything but letters and digits as one '_'. */
static void reason_word(const char *in, char out[EV_REASON_MAX + 1])
{
	size_t n = 0;

	for (; in && *in && n < EV_REASON_MAX; in++) {
		char ch = *in;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			out[n++] = ch;
		else if (n && out[n - 1] != '_')
			out[n++] = '_';
	}
	while (n && out[n - 1] == '_')
		n--;
	out[n] = '\0';
}

struct lctx {
	const struct adapter_env *env;
	struct adapter_out *out;
	char id[EV_RETURN_ID_MAX + 1];
	char order[EV_ORDER_MAX + 1];
	int64_t created, edited;
};

static struct event *step(struct lctx *c, enum ev_status st, int64_t at, const char *what)
{
	struct event *ev = adapter_push(c->out, c->env);

	if (!ev)
		return NULL;
	ev->status = st;
	ev->occurred_at = at;
	memcpy(ev->order, c->order, sizeof(ev->order));
	memcpy(ev->return_id, c->id, sizeof(ev->return_id));
	if (adapter_set_id(c->out, ev, "loop:%s:%s", c->id, what))
		return NULL;
	return ev;
}

static enum werr lines(struct lctx *c, const cJSON *o, struct event *ev)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "line_items"), *it;
	size_t n = 0;

	if (!cJSON_IsArray(arr) || !cJSON_GetArraySize(arr))
		return WERR_OK;
	if (cJSON_GetArraySize(arr) > EV_ITEMS_MAX)
		return adapter_fail(c->out, "return %s: more than %d line items", c->id, EV_ITEMS_MAX);
	if (!(ev->items = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*ev->items))))
		return WERR_NOMEM;
	ev->has_items = true;
	cJSON_ArrayForEach(it, arr) {
		struct event_item *item = &ev->items[n];
		char num[32];
		if (!cJSON_IsObject(it))
			return adapter_fail(c->out, "return %s: a line item is not an object", c->id);
		/* Loop lists one line per unit: the same sku twice is two */
		ADAPTER_SET_TEXT(item->sku, adapter_json_str(it, "sku"));
		if (!item->sku[0]) {
			if (!scalar(it, "provider_line_item_id", num, sizeof(num)) && !scalar(it, "line_item_id", num, sizeof(num)))
				continue;
			snprintf(item->sku, sizeof(item->sku), "line_item:%s", num);
		}
		ADAPTER_SET_TEXT(item->name, adapter_json_str(it, "title"));
		item->quantity = 1;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(ev->items[k].sku, item->sku)) {
				ev->items[k].quantity++;
				item = NULL;
				break;
			}
		if (!item)
			continue;
		if (!ev->return_reason[0])
			reason_word(adapter_json_str(it, "parent_return_reason") ? adapter_json_str(it, "parent_return_reason")
										 : adapter_json_str(it, "return_reason"),
				    ev->return_reason);
		n++;
	}
	ev->nitems = n;
	return WERR_OK;
}

static enum werr time_of(struct lctx *c, const cJSON *o, const char *key, bool required, int64_t *ms)
{
	const char *s = adapter_json_str(o, key);

	*ms = 0;
	if (!s)
		return required ? adapter_fail(c->out, "return: '%s' is missing", key) : WERR_OK;
	if (!adapter_time(c->env, s, NULL, NULL, ms, NULL))
		return adapter_fail(c->out, "return: '%s' is not a time", key);
	return WERR_OK;
}

static enum werr return_body(struct lctx *c, const cJSON *o)
{
	const char *state = adapter_json_str(o, "state"), *name = adapter_json_str(o, "order_name");
	const cJSON *l, *r;
	struct event *ev;
	int64_t later;
	double refund = 0;
	bool refunded = false;
	char cur[EV_CURRENCY_MAX + 1] = "";
	enum werr e;

	if (!scalar(o, "id", c->id, sizeof(c->id)))
		return adapter_fail(c->out, "return: 'id' is missing or too long");
	if (name && name[0] == '#')
		name++;
	if (!name || !name[0]) {
		if (!scalar(o, "order_number", c->order, sizeof(c->order)))
			return adapter_fail(c->out, "return %s: neither 'order_name' nor 'order_number'", c->id);
	} else if (event_set_str(c->order, sizeof(c->order), name)) {
		return adapter_fail(c->out, "return %s: 'order_name' is too long", c->id);
	}
	if ((e = time_of(c, o, "created_at", true, &c->created)) || (e = time_of(c, o, "edited_at", false, &c->edited)))
		return e;
	later = c->edited > c->created ? c->edited : c->created;
	if (!(ev = step(c, EV_RETURN_REQUESTED, c->created, "requested")))
		return WERR_NOMEM;
	if ((e = lines(c, o, ev)))
		return e;
	if (state && strcmp(state, "review") && strcmp(state, "needs review") &&
	    !(ev = step(c, EV_RETURN_APPROVED, c->created, "approved")))
		return WERR_NOMEM;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(o, "labels")) {
		char trk[EV_PACKAGE_MAX + 1], what[EV_PACKAGE_MAX + 16];
		int64_t at;
		if (!scalar(l, "tracking_number", trk, sizeof(trk)))
			continue;
		if ((e = time_of(c, l, "updated_at", false, &at)))
			return e;
		snprintf(what, sizeof(what), "label:%s", trk);
		if (!(ev = step(c, EV_RETURN_LABEL_CREATED, at ? at : c->created, what)))
			return WERR_NOMEM;
		memcpy(ev->package, trk, sizeof(ev->package));
		carrier_normalize(adapter_json_str(l, "carrier"), ev->carrier, sizeof(ev->carrier));
		ev->is_return = true;
	}
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(o, "refunds")) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(r, "amount");
		double v = cJSON_IsNumber(a) ? a->valuedouble : cJSON_IsString(a) ? strtod(a->valuestring, NULL) : -1;
		if (v >= 0 && v <= EV_VALUE_MAX) {
			refund += v;
			refunded = true;
			if (!cur[0] && adapter_json_str(r, "currency") && strlen(adapter_json_str(r, "currency")) == 3)
				snprintf(cur, sizeof(cur), "%s", adapter_json_str(r, "currency"));
		}
	}
	if (refunded) {
		if (!(ev = step(c, EV_RETURN_REFUNDED, later, "refunded")))
			return WERR_NOMEM;
		ev->has_refund_amount = true;
		ev->refund_amount = refund;
		memcpy(ev->currency, cur, sizeof(cur));
	}
	if (state && (!strcmp(state, "cancelled") || !strcmp(state, "expired"))) {
		if (!(ev = step(c, EV_RETURN_CANCELLED, later, state)))
			return WERR_NOMEM;
		if (!strcmp(state, "expired"))
			EVENT_SET(ev->detail, "expired");
	}
	if (state && !strcmp(state, "closed") && !step(c, EV_RETURN_CLOSED, later, "closed"))
		return WERR_NOMEM;
	return WERR_OK;
}

static enum werr loop_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	struct lctx c = { env, out, "", "", 0, 0 };
	size_t at = 0;
	const char *topic;
	cJSON *o = text_json_one(rq->body, rq->len, &at);
	enum werr e = WERR_OK;

	if (!o)
		return adapter_fail(out, "body is not JSON, or has text after its value (near byte %zu)", at);
	if (!cJSON_IsObject(o)) {
		e = adapter_fail(out, "body is not a JSON object");
	} else {
		topic = adapter_json_str(o, "topic");
		/* the Return topic; label, restock, gift card ... say nothing a
		 * return's own body does not (docs/adapters/loop.md) */
		if (!topic || !strcmp(topic, "return"))
			e = return_body(&c, o);
	}
	cJSON_Delete(o);
	return e;
}

const struct adapter adapter_loop = {
	.name = "loop",
	.kind = KIND_STOREFRONT,
	.verify = loop_verify,
	.parse = loop_parse,
};
