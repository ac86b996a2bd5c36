/*
 * shopify.c - Shopify webhooks (/hooks/shopify): orders, fulfillments,
 * fulfillment events and refunds as normalized events.
 *
 * Shopify is a storefront: it owns the order milestones (placed, confirmed,
 * cancelled, refunded).  What it says about parcels is either the label (a
 * fulfillment with a tracking number: the package exists at label_created,
 * a Shopify "fulfilled" is never "shipped") or a carrier status it relays
 * (shipment_status, fulfillment events), which the core ranks below carriers
 * and aggregators by the source's kind.
 *
 * Shopify names orders by a numeric id in every body but gives the merchant's
 * order number only in order bodies, so an order body records the alias
 * "order:<id>" -> order number and a fulfillment body records
 * "fulfillment:<id>" -> its first tracking number; bodies that only know those
 * ids set `ref` and leave `order` (and for fulfillment events `package`) to
 * the writer.  What each topic yields, and why: docs/adapters/shopify.md.
 */
#include "adapter.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "carrier_names.h"
#include "mapping.h"
#include "../base/text.h"
#include "../base/banned.h"

#define T_FULFILLMENT_EVENT "shopify_fulfillment_event"
#define T_SHIPMENT_STATUS "shopify_shipment_status"
#define T_FULFILLMENT_STATUS "shopify_fulfillment_status"
#define T_FINANCIAL_STATUS "shopify_financial_status"

/* Integers above this are not exact in a double (cJSON keeps numbers as
 * doubles); an id there would be silently wrong, so it is refused. */
#define MAX_EXACT_INT 9007199254740992.0

#define NUM_MAX 24 /* a decimal id below 2^53, or a string id we accept */

struct ctx {
	const struct adapter_env *env;
	struct adapter_out *out;
};

/* --- reading the body ------------------------------------------------------- */

/*
 * Reads an id (a JSON number, or a string from apps that send them so) into
 * buf.  Absent or null gives "" unless required.  A number must be an exact
 * integer below 2^53.  Fails with out->reason naming `what` and the key.
 */
static enum werr get_id(struct adapter_out *out, const cJSON *o, const char *key, const char *what,
			bool required, char *buf, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	buf[0] = '\0';
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return adapter_fail(out, "%s: '%s' is missing", what, key);
		return WERR_OK;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d != floor(d) || d < 0 || d >= MAX_EXACT_INT)
			return adapter_fail(out, "%s: '%s' is not an integer below 2^53", what, key);
		snprintf(buf, cap, "%.0f", d);
		return WERR_OK;
	}
	if (cJSON_IsString(v) && v->valuestring[0]) {
		for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++)
			if (*p <= 0x20 || *p == 0x7f)
				return adapter_fail(out, "%s: '%s' holds a space or control character", what, key);
		if (event_set_str(buf, cap, v->valuestring))
			return adapter_fail(out, "%s: '%s' is too long", what, key);
		return WERR_OK;
	}
	return adapter_fail(out, "%s: '%s' is not an id", what, key);
}

/* Reads a time member (Shopify always gives an offset).  0 when absent or
 * null and not required. */
static enum werr get_time(const struct ctx *c, const cJSON *o, const char *key, const char *what, bool required,
			  int64_t *ms)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ms = 0;
	if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0])) {
		if (required)
			return adapter_fail(c->out, "%s: '%s' is missing", what, key);
		return WERR_OK;
	}
	if (!cJSON_IsString(v) || !adapter_time(c->env, v->valuestring, NULL, NULL, ms, NULL))
		return adapter_fail(c->out, "%s: '%s' is not a time", what, key);
	return WERR_OK;
}

/*
 * Shopify's tracking_company is a display name ("UPS", "FedEx", "DHL
 * Express", "Canada Post").  wismo's carrier ids come from the shared table
 * (carrier_names.h), so a carrier has one id whichever source names it
 * (every DHL division is "dhl": one tracking API serves them all).
 */
static void carrier_norm(const char *name, char out[EV_CARRIER_MAX + 1])
{
	carrier_normalize(name, out, EV_CARRIER_MAX + 1);
}

/*
 * Line items -> ev->items.  A line without a sku gets "variant:<variant_id>"
 * (else "line_item:<id>"): the same line in an order and in its fulfillments
 * then has the same key, which is what coverage compares.  Lines with no
 * positive integer quantity are skipped (removed in an order edit); a list
 * longer than EV_ITEMS_MAX is left out whole, so the order has no items
 * rather than wrong ones.
 */
static enum werr get_items(struct adapter_out *out, const cJSON *o, const char *what, struct event *ev)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "line_items");
	const cJSON *it;
	size_t n = 0;

	if (!arr || cJSON_IsNull(arr))
		return WERR_OK;
	if (!cJSON_IsArray(arr))
		return adapter_fail(out, "%s: 'line_items' is not an array", what);
	if ((size_t)cJSON_GetArraySize(arr) > EV_ITEMS_MAX)
		return WERR_OK;
	ev->has_items = true;
	if (!cJSON_GetArraySize(arr))
		return WERR_OK;
	ev->items = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*ev->items));
	if (!ev->items)
		return WERR_NOMEM;
	cJSON_ArrayForEach(it, arr) {
		struct event_item *item = &ev->items[n];
		const cJSON *q = cJSON_GetObjectItemCaseSensitive(it, "quantity");
		const char *name;
		char num[NUM_MAX];
		enum werr e;

		if (!cJSON_IsObject(it))
			return adapter_fail(out, "%s: 'line_items' holds a non-object", what);
		if (!cJSON_IsNumber(q) || q->valuedouble != floor(q->valuedouble) || q->valuedouble < 1 ||
		    q->valuedouble > 1000000)
			continue;
		item->quantity = (int)q->valuedouble;
		ADAPTER_SET_TEXT(item->sku, adapter_json_str(it, "sku"));
		if (!item->sku[0]) {
			if ((e = get_id(out, it, "variant_id", what, false, num, sizeof(num))))
				return e;
			if (num[0]) {
				snprintf(item->sku, sizeof(item->sku), "variant:%s", num);
			} else {
				if ((e = get_id(out, it, "id", what, false, num, sizeof(num))))
					return e;
				if (!num[0])
					continue;
				snprintf(item->sku, sizeof(item->sku), "line_item:%s", num);
			}
		}
		name = adapter_json_str(it, "name");
		ADAPTER_SET_TEXT(item->name, name ? name : adapter_json_str(it, "title"));
		n++;
	}
	ev->nitems = n;
	return WERR_OK;
}

/* Where an event's order comes from: the order number when the body is an
 * order, else a ref for the writer to resolve. */
struct owner {
	const char *order;    /* order number, or NULL */
	const char *order_id; /* Shopify's order id, for the ref */
};

static enum werr set_owner(struct adapter_out *out, struct event *ev, const struct owner *ow)
{
	if (ow->order && ow->order[0])
		return EVENT_SET(ev->order, ow->order) ? adapter_fail(out, "order number is too long") : WERR_OK;
	if (snprintf(ev->ref, sizeof(ev->ref), "order:%s", ow->order_id) >= (int)sizeof(ev->ref))
		return adapter_fail(out, "order id is too long");
	return WERR_OK;
}

static struct event *push(const struct ctx *c)
{
	return adapter_push(c->out, c->env);
}

/* --- refunds ---------------------------------------------------------------- */

/*
 * A refund is money back, an order-level fact (status refunded).  One refund
 * cannot tell whether it empties the order (the body has no order total), so
 * it says "partial"; the order body's financial_status "refunded" gives the
 * separate "full" fact (see order_events).
 */
static enum werr refund_events(const struct ctx *c, const cJSON *r, const struct owner *parent)
{
	char id[NUM_MAX], order_id[NUM_MAX];
	struct owner ow = { NULL, NULL };
	const cJSON *t;
	struct event *ev;
	int64_t at;
	enum werr e;

	if (!cJSON_IsObject(r))
		return adapter_fail(c->out, "refund: not an object");
	if ((e = get_id(c->out, r, "id", "refund", true, id, sizeof(id))) ||
	    (e = get_id(c->out, r, "order_id", "refund", !parent, order_id, sizeof(order_id))) ||
	    (e = get_time(c, r, "created_at", "refund", false, &at)))
		return e;
	if (!at && (e = get_time(c, r, "processed_at", "refund", true, &at)))
		return e;
	if (parent)
		ow = *parent;
	else
		ow.order_id = order_id;
	if (!(ev = push(c)))
		return WERR_NOMEM;
	ev->status = EV_REFUNDED;
	EVENT_SET(ev->detail, "partial");
	ev->occurred_at = at;
	ADAPTER_SET_TEXT(ev->description, adapter_json_str(r, "note"));
	/* the money: the successful refund transactions, in their currency */
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r, "transactions")) {
		const char *amount = adapter_json_str(t, "amount"), *cur = adapter_json_str(t, "currency");
		char *end;
		double v;
		if (!amount || strcmp(adapter_json_str(t, "kind") ? adapter_json_str(t, "kind") : "", "refund") ||
		    strcmp(adapter_json_str(t, "status") ? adapter_json_str(t, "status") : "", "success"))
			continue;
		v = strtod(amount, &end);
		if (*end || !(v >= 0 && v <= EV_VALUE_MAX) || (ev->currency[0] && cur && strcmp(cur, ev->currency)))
			continue;
		ev->has_refund_amount = true;
		ev->refund_amount += v;
		if (cur && strlen(cur) == 3)
			EVENT_SET(ev->currency, cur);
	}
	/* a refund for a return (API 2023-04 and later: "return": {"id"}) */
	if ((e = get_id(c->out, cJSON_GetObjectItemCaseSensitive(r, "return"), "id", "refund", false, ev->return_id,
			sizeof(ev->return_id))))
		return e;
	if ((e = adapter_set_id(c->out, ev, "refund:%s", id)) || (e = set_owner(c->out, ev, &ow)))
		return e;
	return WERR_OK;
}

/* --- returns ---------------------------------------------------------------- */

/* Shopify's return reasons (upper or lower case) as wismo's words
 * (docs/returns.md "Reasons"); another reason is kept lower-cased. */
static void return_reason(const char *in, char out[EV_REASON_MAX + 1])
{
	static const struct {
		const char *shopify, *wismo;
	} map[] = {
		{ "size_too_small", "too_small" }, { "size_too_large", "too_large" }, { "unwanted", "changed_mind" },
		{ "not_as_described", "not_as_described" }, { "wrong_item", "wrong_item" }, { "defective", "damaged" },
		{ "style", "style" }, { "color", "color" }, { "other", "other" },
	};
	size_t i;

	out[0] = '\0';
	if (!in)
		return;
	for (i = 0; in[i] && i < EV_REASON_MAX; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);
	out[i] = '\0';
	if (!strcmp(out, "unknown"))
		out[0] = '\0';
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(out, map[i].shopify))
			snprintf(out, EV_REASON_MAX + 1, "%s", map[i].wismo);
}

/* The returned lines of a return body (return_line_items[].quantity and its
 * fulfillment line item's line item: sku, else "line_item:<id>", as the
 * order's lines are keyed), and the first reason given. */
static enum werr return_lines(const struct ctx *c, const cJSON *o, struct event *ev)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "return_line_items"), *it;
	size_t n = 0;

	if (!cJSON_IsArray(arr) || !cJSON_GetArraySize(arr) || cJSON_GetArraySize(arr) > EV_ITEMS_MAX)
		return WERR_OK;
	if (!(ev->items = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*ev->items))))
		return WERR_NOMEM;
	ev->has_items = true;
	cJSON_ArrayForEach(it, arr) {
		const cJSON *q = cJSON_GetObjectItemCaseSensitive(it, "quantity");
		const cJSON *li = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(it, "fulfillment_line_item"), "line_item");
		struct event_item *item = &ev->items[n];
		char num[NUM_MAX];
		enum werr e;

		if (!cJSON_IsNumber(q) || q->valuedouble != floor(q->valuedouble) || q->valuedouble < 1 ||
		    q->valuedouble > 1000000)
			continue;
		if (!ev->return_reason[0])
			return_reason(adapter_json_str(it, "return_reason"), ev->return_reason);
		item->quantity = (int)q->valuedouble;
		ADAPTER_SET_TEXT(item->sku, adapter_json_str(li, "sku"));
		ADAPTER_SET_TEXT(item->name, adapter_json_str(li, "name") ? adapter_json_str(li, "name")
									 : adapter_json_str(li, "title"));
		if (!item->sku[0]) {
			if ((e = get_id(c->out, li, "id", "return line", false, num, sizeof(num))))
				return e;
			if (!num[0])
				continue;
			snprintf(item->sku, sizeof(item->sku), "line_item:%s", num);
		}
		n++;
	}
	ev->nitems = n;
	return WERR_OK;
}

/*
 * returns/request, approve, decline, cancel, close: one return step each, the
 * return named by Shopify's id, its order by "order":{"id"} (an alias, as for
 * refunds).  A return body may carry no time: the moment wismo received it
 * stands in (docs/adapters/shopify.md).
 */
static enum werr return_events(const struct ctx *c, const cJSON *o, enum ev_status st, const char *step)
{
	char id[NUM_MAX], order_id[NUM_MAX];
	const cJSON *order = cJSON_GetObjectItemCaseSensitive(o, "order");
	struct owner ow = { NULL, order_id };
	struct event *ev;
	int64_t at = 0;
	enum werr e;

	if ((e = get_id(c->out, o, "id", "return", true, id, sizeof(id))) ||
	    (e = get_id(c->out, cJSON_IsObject(order) ? order : o, cJSON_IsObject(order) ? "id" : "order_id", "return",
			true, order_id, sizeof(order_id))))
		return e;
	for (const char *const *k = (const char *const[]){ "updated_at", "created_at", NULL }; *k && !at; k++)
		if ((e = get_time(c, o, *k, "return", false, &at)))
			return e;
	if (!(ev = push(c)))
		return WERR_NOMEM;
	ev->status = st;
	ev->occurred_at = at ? at : c->env->now_ms;
	snprintf(ev->return_id, sizeof(ev->return_id), "%s", id);
	if (st == EV_RETURN_REQUESTED && (e = return_lines(c, o, ev)))
		return e;
	if (st == EV_RETURN_REJECTED) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "decline");
		ADAPTER_SET_TEXT(ev->description, adapter_json_str(d, "note") ? adapter_json_str(d, "note")
									       : adapter_json_str(d, "reason"));
	}
	if ((e = adapter_set_id(c->out, ev, "return:%s:%s", id, step)) || (e = set_owner(c->out, ev, &ow)))
		return e;
	return WERR_OK;
}

/*
 * reverse_fulfillment_orders/dispose: what became of returned goods.
 * RESTOCKED is restock, NOT_RESTOCKED scrap (Shopify's word for "not back
 * on sale"), PROCESSING_REQUIRED an inspection still to come; MISSING says
 * nothing of the goods.  The body names the order, not the return: the
 * order's only return takes it (core/order.h rule 9).
 */
static enum werr dispose_events(const struct ctx *c, const cJSON *o)
{
	char id[NUM_MAX], order_id[NUM_MAX], ret[NUM_MAX];
	struct owner ow = { NULL, order_id };
	const cJSON *d;
	struct event *ev;
	enum werr e;
	int64_t at = 0;

	if ((e = get_id(c->out, o, "id", "reverse fulfillment order", true, id, sizeof(id))) ||
	    (e = get_id(c->out, o, "order_id", "reverse fulfillment order", true, order_id, sizeof(order_id))) ||
	    (e = get_id(c->out, cJSON_GetObjectItemCaseSensitive(o, "return"), "id", "reverse fulfillment order", false,
			ret, sizeof(ret))) ||
	    (e = get_time(c, o, "updated_at", "reverse fulfillment order", false, &at)))
		return e;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(o, "dispositions")) {
		const char *type = adapter_json_str(d, "type");
		const char *disp = NULL;
		enum ev_status st = EV_RETURN_DISPOSED;
		char lid[NUM_MAX];

		if (!type)
			continue;
		if (!strcasecmp(type, "restocked"))
			disp = "restock";
		else if (!strcasecmp(type, "not_restocked"))
			disp = "scrap";
		else if (!strcasecmp(type, "processing_required"))
			st = EV_RETURN_INSPECTING;
		else
			continue;
		if ((e = get_id(c->out, cJSON_GetObjectItemCaseSensitive(d, "reverse_fulfillment_order_line_item"), "id",
				"disposition", false, lid, sizeof(lid))))
			return e;
		if (!(ev = push(c)))
			return WERR_NOMEM;
		ev->status = st;
		ev->occurred_at = at ? at : c->env->now_ms;
		snprintf(ev->return_id, sizeof(ev->return_id), "%s", ret);
		if (disp)
			EVENT_SET(ev->disposition, disp);
		ADAPTER_SET_TEXT(ev->description, type);
		if ((e = adapter_set_id(c->out, ev, "dispose:%s:%s:%s", id, lid, type)) ||
		    (e = set_owner(c->out, ev, &ow)))
			return e;
	}
	return WERR_OK;
}

/* --- fulfillments ----------------------------------------------------------- */

/* The tracking numbers of a fulfillment, in order, without repeats. */
#define MAX_TRACKING 64

static size_t tracking_numbers(const cJSON *f, const char *out[MAX_TRACKING])
{
	const cJSON *arr = adapter_json_arr(f, "tracking_numbers");
	const cJSON *it;
	const char *one;
	size_t n = 0;

	cJSON_ArrayForEach(it, arr) {
		bool seen = false;
		if (!cJSON_IsString(it) || !it->valuestring[0] || n == MAX_TRACKING)
			continue;
		for (size_t i = 0; i < n && !seen; i++)
			seen = !strcmp(out[i], it->valuestring);
		if (!seen)
			out[n++] = it->valuestring;
	}
	if (!n && (one = adapter_json_str(f, "tracking_number")))
		out[n++] = one;
	return n;
}

/*
 * One fulfillment, from a fulfillments/create or /update body (parent NULL: the order is only
 * known by order_id) or embedded in an order body.  Per tracking number:
 *
 *   label_created at created_at      always: the fulfillment made a label
 *   <status> at updated_at           when the fulfillment's status maps to
 *                                    anything but label_created (cancelled)
 *   <shipment_status> at updated_at  the carrier status the store relays
 *
 * A fulfillment without a tracking number names no parcel: nothing.
 */
static enum werr fulfillment_events(const struct ctx *c, const cJSON *f, const struct owner *parent)
{
	char id[NUM_MAX], order_id[NUM_MAX], carrier[EV_CARRIER_MAX + 1];
	const char *tracking[MAX_TRACKING];
	const char *status, *shipment;
	struct owner ow = { NULL, NULL };
	int64_t created, updated;
	struct event *ev;
	size_t ntrk;
	enum werr e;

	if (!cJSON_IsObject(f))
		return adapter_fail(c->out, "fulfillment: not an object");
	if ((e = get_id(c->out, f, "id", "fulfillment", true, id, sizeof(id))) ||
	    (e = get_id(c->out, f, "order_id", "fulfillment", !parent, order_id, sizeof(order_id))) ||
	    (e = get_time(c, f, "created_at", "fulfillment", true, &created)) ||
	    (e = get_time(c, f, "updated_at", "fulfillment", false, &updated)))
		return e;
	if (!updated)
		updated = created;
	if (parent)
		ow = *parent;
	else
		ow.order_id = order_id;
	carrier_norm(adapter_json_str(f, "tracking_company"), carrier);
	status = adapter_json_str(f, "status");
	shipment = adapter_json_str(f, "shipment_status");
	ntrk = tracking_numbers(f, tracking);
	for (size_t i = 0; i < ntrk; i++) {
		const char *t = tracking[i];

		for (const unsigned char *p = (const unsigned char *)t; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				return adapter_fail(c->out, "fulfillment: tracking number holds a control character");
		if (strlen(t) > EV_PACKAGE_MAX)
			return adapter_fail(c->out, "fulfillment: tracking number is longer than %d bytes",
					    EV_PACKAGE_MAX);

		if (!(ev = push(c)))
			return WERR_NOMEM;
		ev->status = EV_LABEL_CREATED;
		ev->occurred_at = created;
		EVENT_SET(ev->package, t);
		EVENT_SET(ev->carrier, carrier);
		if ((e = adapter_set_id(c->out, ev, "fulfillment:%s:%s:label_created", id, t)) ||
		    (e = set_owner(c->out, ev, &ow)) || (e = get_items(c->out, f, "fulfillment", ev)))
			return e;

		if (status) {
			if (!(ev = push(c)))
				return WERR_NOMEM;
			mapping_apply(c->env->maps, T_FULFILLMENT_STATUS, status, NULL, ev);
			if (ev->status == EV_LABEL_CREATED) {
				adapter_pop(c->out); /* the label event above says it */
			} else {
				ev->occurred_at = updated;
				EVENT_SET(ev->package, t);
				EVENT_SET(ev->carrier, carrier);
				if ((e = adapter_set_id(c->out, ev, "fulfillment:%s:%s:status:%s", id, t, status)) ||
				    (e = set_owner(c->out, ev, &ow)))
					return e;
			}
		}

		if (shipment) {
			if (!(ev = push(c)))
				return WERR_NOMEM;
			mapping_apply(c->env->maps, T_SHIPMENT_STATUS, shipment, NULL, ev);
			ev->occurred_at = updated;
			EVENT_SET(ev->package, t);
			EVENT_SET(ev->carrier, carrier);
			if ((e = adapter_set_id(c->out, ev, "fulfillment:%s:%s:shipment_status:%s", id, t, shipment)) ||
			    (e = set_owner(c->out, ev, &ow)))
				return e;
		}
	}
	if (ntrk) {
		char ref[EV_ID_MAX + 1];
		snprintf(ref, sizeof(ref), "fulfillment:%s", id);
		e = adapter_alias(c->out, ref, ow.order ? ow.order : "", tracking[0], carrier);
		if (e)
			return e == WERR_NOMEM ? e : adapter_fail(c->out, "fulfillment: cannot record alias");
	}
	return WERR_OK;
}

/* --- fulfillment events ----------------------------------------------------- */

/* A carrier status the store relays for one fulfillment.  The body names
 * neither the order number nor the tracking number: both come from the
 * fulfillment's alias (ref), so `order` and `package` stay "". */
static enum werr fulfillment_event_events(const struct ctx *c, const cJSON *o)
{
	char id[NUM_MAX], fid[NUM_MAX];
	const char *status;
	struct event *ev;
	int64_t at, eta;
	enum werr e;

	if ((e = get_id(c->out, o, "id", "fulfillment event", true, id, sizeof(id))) ||
	    (e = get_id(c->out, o, "fulfillment_id", "fulfillment event", true, fid, sizeof(fid))) ||
	    (e = get_time(c, o, "happened_at", "fulfillment event", false, &at)) ||
	    (e = get_time(c, o, "estimated_delivery_at", "fulfillment event", false, &eta)))
		return e;
	if (!at && (e = get_time(c, o, "created_at", "fulfillment event", true, &at)))
		return e;
	if (!(status = adapter_json_str(o, "status")))
		return adapter_fail(c->out, "fulfillment event: 'status' is missing");
	if (!(ev = push(c)))
		return WERR_NOMEM;
	ADAPTER_SET_TEXT(ev->description, adapter_json_str(o, "message"));
	mapping_apply(c->env->maps, T_FULFILLMENT_EVENT, status, NULL, ev);
	ev->occurred_at = at;
	ev->estimated_delivery = eta;
	ADAPTER_SET_TEXT(ev->location.city, adapter_json_str(o, "city"));
	ADAPTER_SET_TEXT(ev->location.region, adapter_json_str(o, "province"));
	ADAPTER_SET_TEXT(ev->location.country, adapter_json_str(o, "country"));
	if ((e = adapter_set_id(c->out, ev, "fulfillment_event:%s", id)))
		return e;
	snprintf(ev->ref, sizeof(ev->ref), "fulfillment:%s", fid);
	return WERR_OK;
}

/* --- orders ----------------------------------------------------------------- */

static void order_customer(const cJSON *o, struct event_customer *cu)
{
	const cJSON *cust = cJSON_GetObjectItemCaseSensitive(o, "customer");
	const cJSON *ship = cJSON_GetObjectItemCaseSensitive(o, "shipping_address");
	const char *s;

	if (!cJSON_IsObject(cust))
		cust = NULL;
	if (!cJSON_IsObject(ship))
		ship = NULL;
	/* First name only, and of the address only the postal code: wismo keeps
	 * what lookup and notifications need, never a street (DESIGN.md 3). */
	s = cust ? adapter_json_str(cust, "first_name") : NULL;
	ADAPTER_SET_TEXT(cu->name, s ? s : ship ? adapter_json_str(ship, "first_name") : NULL);
	if (!(s = adapter_json_str(o, "email")) && !(s = adapter_json_str(o, "contact_email")) && cust)
		s = adapter_json_str(cust, "email");
	ADAPTER_SET_CONTACT(cu->email, s);
	if (!(s = adapter_json_str(o, "phone")) && !(s = ship ? adapter_json_str(ship, "phone") : NULL) && cust)
		s = adapter_json_str(cust, "phone");
	ADAPTER_SET_CONTACT(cu->phone, s);
	ADAPTER_SET_CONTACT(cu->postal_code, ship ? adapter_json_str(ship, "zip") : NULL);
}

/* The time of the order's full refund: its latest refund, else the order's
 * last update. */
static enum werr full_refund_time(const struct ctx *c, const cJSON *o, int64_t updated, int64_t *at)
{
	const cJSON *arr = adapter_json_arr(o, "refunds");
	const cJSON *r;
	enum werr e;

	*at = 0;
	cJSON_ArrayForEach(r, arr) {
		int64_t t;
		if (!cJSON_IsObject(r))
			continue; /* refund_events() refuses it */
		if ((e = get_time(c, r, "created_at", "refund", false, &t)))
			return e;
		if (t > *at)
			*at = t;
	}
	if (!*at)
		*at = updated;
	return WERR_OK;
}

static enum werr order_events(const struct ctx *c, const cJSON *o, bool cancelled_topic)
{
	char id[NUM_MAX], number[NUM_MAX], ref[EV_ID_MAX + 1];
	const char *fs;
	const cJSON *arr, *it;
	struct owner ow;
	struct event *ev;
	int64_t created, processed, updated, cancelled;
	enum werr e;

	/* A subscription may limit the body to some fields (includeFields,
	 * REST `fields`): an order body with its id but not the members wismo
	 * needs says which setting to widen rather than only what is missing. */
	if (adapter_json_has(o, "id") && (!adapter_json_has(o, "order_number") || !adapter_json_has(o, "created_at")))
		return adapter_fail(c->out,
				    "order: '%s' is missing (a webhook subscription limited with includeFields / "
				    "fields must include id, order_number and created_at)",
				    adapter_json_has(o, "order_number") ? "created_at" : "order_number");
	if ((e = get_id(c->out, o, "id", "order", true, id, sizeof(id))) ||
	    (e = get_id(c->out, o, "order_number", "order", true, number, sizeof(number))) ||
	    (e = get_time(c, o, "created_at", "order", true, &created)) ||
	    (e = get_time(c, o, "processed_at", "order", false, &processed)) ||
	    (e = get_time(c, o, "updated_at", "order", false, &updated)) ||
	    (e = get_time(c, o, "cancelled_at", "order", false, &cancelled)))
		return e;
	if (!updated)
		updated = created;
	ow.order = number;
	ow.order_id = id;
	snprintf(ref, sizeof(ref), "order:%s", id);
	if ((e = adapter_alias(c->out, ref, number, NULL, NULL)))
		return e == WERR_NOMEM ? e : adapter_fail(c->out, "order: cannot record alias");

	if (!(ev = push(c)))
		return WERR_NOMEM;
	ev->status = EV_PLACED;
	ev->occurred_at = created;
	order_customer(o, &ev->customer);
	if ((e = adapter_set_id(c->out, ev, "order:%s:placed", id)) || (e = set_owner(c->out, ev, &ow)) ||
	    (e = get_items(c->out, o, "order", ev)))
		return e;

	/* financial_status says whether the money was taken.  A row mapping to
	 * placed adds nothing to the placed event above; an unmapped status is
	 * kept as an unknown order event so it reaches the unmapped list. */
	if ((fs = adapter_json_str(o, "financial_status"))) {
		if (!(ev = push(c)))
			return WERR_NOMEM;
		mapping_apply(c->env->maps, T_FINANCIAL_STATUS, fs, NULL, ev);
		if (ev->status == EV_PLACED) {
			adapter_pop(c->out);
		} else {
			if (ev->status == EV_CONFIRMED) {
				ev->occurred_at = processed ? processed : created;
				e = adapter_set_id(c->out, ev, "order:%s:confirmed", id);
			} else {
				ev->occurred_at = updated;
				e = adapter_set_id(c->out, ev, "order:%s:financial_status:%s", id, fs);
			}
			if (e || (e = set_owner(c->out, ev, &ow)))
				return e;
		}
		/* "refunded" is also the one place Shopify says the whole order
		 * was refunded; single refunds only ever say "partial". */
		if (!strcmp(fs, "refunded")) {
			if (!(ev = push(c)))
				return WERR_NOMEM;
			ev->status = EV_REFUNDED;
			EVENT_SET(ev->detail, "full");
			if ((e = full_refund_time(c, o, updated, &ev->occurred_at)) ||
			    (e = adapter_set_id(c->out, ev, "order:%s:refunded", id)) || (e = set_owner(c->out, ev, &ow)))
				return e;
		}
	}

	if (cancelled || cancelled_topic) {
		if (!(ev = push(c)))
			return WERR_NOMEM;
		ev->status = EV_CANCELLED;
		ev->occurred_at = cancelled ? cancelled : updated;
		ADAPTER_SET_TEXT(ev->detail, adapter_json_str(o, "cancel_reason"));
		if ((e = adapter_set_id(c->out, ev, "order:%s:cancelled", id)) || (e = set_owner(c->out, ev, &ow)))
			return e;
	}

	arr = adapter_json_arr(o, "fulfillments");
	cJSON_ArrayForEach(it, arr)
		if ((e = fulfillment_events(c, it, &ow)))
			return e;
	arr = adapter_json_arr(o, "refunds");
	cJSON_ArrayForEach(it, arr)
		if ((e = refund_events(c, it, &ow)))
			return e;
	return WERR_OK;
}

/* --- the adapter ------------------------------------------------------------ */

/* The topic of a body that came without X-Shopify-Topic (`wismo parse`), from
 * the members only that topic's body has.  NULL when none fits. */
static const char *infer_topic(const cJSON *o)
{
	const char *gid;

	if (adapter_json_has(o, "fulfillment_id") && adapter_json_has(o, "status"))
		return "fulfillment_events/create";
	if (adapter_json_has(o, "refund_line_items") || (adapter_json_has(o, "order_id") && adapter_json_has(o, "transactions")))
		return "refunds/create";
	if (adapter_json_has(o, "order_id") && (adapter_json_has(o, "tracking_numbers") || adapter_json_has(o, "tracking_number") ||
				    adapter_json_has(o, "tracking_company") || adapter_json_has(o, "shipment_status")))
		return "fulfillments/update";
	if (adapter_json_has(o, "order_number") || adapter_json_has(o, "financial_status"))
		return "orders/updated";
	gid = adapter_json_str(o, "admin_graphql_api_id");
	if (gid && !strncmp(gid, "gid://shopify/Return/", 21)) {
		/* a return's topic from its status */
		static const char *const by_status[][2] = { { "requested", "returns/request" }, { "open", "returns/approve" },
							    { "declined", "returns/decline" }, { "canceled", "returns/cancel" },
							    { "closed", "returns/close" } };
		const char *st = adapter_json_str(o, "status");
		for (size_t i = 0; st && i < sizeof(by_status) / sizeof(by_status[0]); i++)
			if (!strcasecmp(st, by_status[i][0]))
				return by_status[i][1];
	}
	if (adapter_json_has(o, "return_line_items"))
		return "returns/request";
	if (adapter_json_has(o, "dispositions"))
		return "reverse_fulfillment_orders/dispose";
	return NULL;
}

static const char *header(const struct hook_request *rq, const char *name)
{
	return rq->header ? rq->header(rq->hctx, name) : NULL;
}

/*
 * A webhook subscription's format is JSON or XML, in every API version
 * (WebhookSubscriptionFormat); an XML body is named as such rather than as
 * "not JSON": the fix is a setting, not the sender's bug.  Told by the
 * body, which opens with '<' after white space (a JSON body never does; the
 * Content-Type is not trusted over the body).
 */
static bool xml_body(const struct hook_request *rq)
{
	size_t i = 0;

	while (i < rq->len && (rq->body[i] == ' ' || rq->body[i] == '\t' || rq->body[i] == '\r' || rq->body[i] == '\n'))
		i++;
	return i < rq->len && rq->body[i] == '<';
}

static enum werr shopify_verify(const struct hook_request *rq, const char *secret, int64_t now_ms, char *why,
				size_t whycap)
{
	const char *sig = header(rq, "X-Shopify-Hmac-Sha256");

	if (!secret || !secret[0]) {
		snprintf(why, whycap, "no secret is configured for this source");
		return WERR_UNAUTHORIZED;
	}
	if (!sig || !sig[0]) {
		snprintf(why, whycap, "missing X-Shopify-Hmac-Sha256");
		return WERR_UNAUTHORIZED;
	}
	if (!sig_hmac_b64_ok(secret, rq->body, rq->len, sig)) {
		snprintf(why, whycap, "signature mismatch");
		return WERR_UNAUTHORIZED;
	}
	return WERR_OK;
}

/*
 * The mandatory privacy webhooks (docs/privacy.md): customers/redact and
 * customers/data_request name a customer (email, phone) and the shop's
 * order ids (orders_to_redact, orders_requested); shop/redact names the
 * whole shop, 48 hours after it uninstalled the app.  No events: the hook
 * path erases, or records the request for an export.
 */
static enum werr privacy_request(struct adapter_out *out, const cJSON *o, const char *action, const char *orders)
{
	struct adapter_privacy *pr = &out->privacy;
	const cJSON *cust = adapter_json_obj(o, "customer"), *id;
	enum werr e;

	snprintf(pr->action, sizeof(pr->action), "%s", action);
	if (!strcmp(action, "erase_source"))
		return WERR_OK;
	if (!cust)
		return adapter_fail(out, "%s: 'customer' is missing", action);
	ADAPTER_SET_CONTACT(pr->email, adapter_json_str(cust, "email"));
	ADAPTER_SET_CONTACT(pr->phone, adapter_json_str(cust, "phone"));
	if (!strcmp(action, "data_request") && adapter_json_obj(o, "data_request") &&
	    (e = get_id(out, adapter_json_obj(o, "data_request"), "id", "data_request", false, pr->request_id,
			sizeof(pr->request_id))))
		return e;
	cJSON_ArrayForEach(id, adapter_json_arr(o, orders)) {
		char num[EV_ID_MAX - 8];

		if (pr->nrefs == ADAPTER_PRIVACY_REFS)
			return adapter_fail(out, "%s: more than %d orders", orders, ADAPTER_PRIVACY_REFS);
		if (!cJSON_IsNumber(id) || id->valuedouble != floor(id->valuedouble) || id->valuedouble < 0 ||
		    id->valuedouble >= MAX_EXACT_INT)
			return adapter_fail(out, "%s: an order id is not an integer below 2^53", orders);
		snprintf(num, sizeof(num), "%.0f", id->valuedouble);
		snprintf(pr->refs[pr->nrefs++], sizeof(pr->refs[0]), "order:%s", num);
	}
	if (!pr->email[0] && !pr->phone[0] && !pr->nrefs)
		return adapter_fail(out, "%s: the customer has neither email nor phone, and no order is named", action);
	return WERR_OK;
}

static enum werr shopify_parse(const struct adapter_env *env, const struct hook_request *rq,
			       struct adapter_out *out)
{
	struct ctx c = { env, out };
	size_t at = 0;
	const char *topic;
	cJSON *o;
	enum werr e = WERR_OK;

	if (xml_body(rq))
		return adapter_fail(out, "an XML webhook (the subscription's format is xml) is not read: set the "
					 "webhook subscription's format to JSON");
	o = text_json_one(rq->body, rq->len, &at);
	if (!o)
		return adapter_fail(out, "body is not JSON, or has text after its value (near byte %zu)", at);
	if (!cJSON_IsObject(o)) {
		e = adapter_fail(out, "body is not a JSON object");
		goto out;
	}
	topic = header(rq, "X-Shopify-Topic");
	if (!topic || !topic[0]) {
		topic = infer_topic(o);
		if (!topic) {
			e = adapter_fail(out, "no X-Shopify-Topic, and the body is not an order, fulfillment, "
					      "fulfillment event or refund");
			goto out;
		}
	}
	if (!strcmp(topic, "orders/create") || !strcmp(topic, "orders/updated"))
		e = order_events(&c, o, false);
	else if (!strcmp(topic, "orders/cancelled"))
		e = order_events(&c, o, true);
	else if (!strcmp(topic, "fulfillments/create") || !strcmp(topic, "fulfillments/update"))
		e = fulfillment_events(&c, o, NULL);
	else if (!strcmp(topic, "fulfillment_events/create"))
		e = fulfillment_event_events(&c, o);
	else if (!strcmp(topic, "refunds/create"))
		e = refund_events(&c, o, NULL);
	else if (!strcmp(topic, "returns/request"))
		e = return_events(&c, o, EV_RETURN_REQUESTED, "request");
	else if (!strcmp(topic, "returns/approve"))
		e = return_events(&c, o, EV_RETURN_APPROVED, "approve");
	else if (!strcmp(topic, "returns/decline"))
		e = return_events(&c, o, EV_RETURN_REJECTED, "decline");
	else if (!strcmp(topic, "returns/cancel"))
		e = return_events(&c, o, EV_RETURN_CANCELLED, "cancel");
	else if (!strcmp(topic, "returns/close"))
		e = return_events(&c, o, EV_RETURN_CLOSED, "close");
	else if (!strcmp(topic, "reverse_fulfillment_orders/dispose"))
		e = dispose_events(&c, o);
	else if (!strcmp(topic, "customers/redact"))
		e = privacy_request(out, o, "erase", "orders_to_redact");
	else if (!strcmp(topic, "customers/data_request"))
		e = privacy_request(out, o, "data_request", "orders_requested");
	else if (!strcmp(topic, "shop/redact"))
		e = privacy_request(out, o, "erase_source", NULL);
	/* any other topic: valid, and nothing wismo tracks */
out:
	cJSON_Delete(o);
	return e;
}

const struct adapter adapter_shopify = {
	.name = "shopify",
	.kind = KIND_STOREFRONT,
	.verify = shopify_verify,
	.parse = shopify_parse,
};
