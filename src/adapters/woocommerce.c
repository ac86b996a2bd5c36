/*
 * woocommerce.c - WooCommerce order webhooks (/hooks/woocommerce) as
 * normalized events.
 *
 * WooCommerce is a storefront: every order body is the whole order as it is
 * now (REST v3 shape), whatever the topic (order.created, order.updated,
 * order.restored, order.deleted).  From it come the order milestones (placed
 * always, then what the order's `status` maps to through
 * mappings/woocommerce_order_status.tsv), refunds (refunds[] against the
 * total) and, when the popular Shipment Tracking extension stored them in
 * meta_data, one label_created package per tracking number.  WooCommerce's
 * own "completed" only means the merchant marked the order done: it is never
 * read as shipped.  Decisions and what each body yields:
 * docs/adapters/woocommerce.md.
 */
#include "adapter.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrier_names.h"
#include "mapping.h"
#include "../base/text.h"
#include "../base/wtime.h"
#include "../base/banned.h"

#define T_ORDER_STATUS "woocommerce_order_status"
#define TRACKING_META_KEY "_wc_shipment_tracking_items"

/* Integers above this are not exact in a double (cJSON keeps numbers as
 * doubles); an id there would be silently wrong, so it is refused. */
#define MAX_EXACT_INT 9007199254740992.0

#define NUM_MAX 24
#define MAX_TRACKING 64

struct ctx {
	const struct adapter_env *env;
	struct adapter_out *out;
};

/* --- reading the body ------------------------------------------------------- */

/*
 * Reads an id or order number (a JSON number or a string) into buf.  Absent,
 * null, "" and 0 (WooCommerce's "none") give "" unless required.  A number
 * must be an exact integer below 2^53.
 */
static enum werr get_id(struct adapter_out *out, const cJSON *o, const char *key, const char *what,
			bool required, char *buf, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	buf[0] = '\0';
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d != floor(d) || d < 0 || d >= MAX_EXACT_INT)
			return adapter_fail(out, "%s: '%s' is not an integer below 2^53", what, key);
		if (d > 0)
			snprintf(buf, cap, "%.0f", d);
	} else if (cJSON_IsString(v) && v->valuestring[0]) {
		for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++)
			if (*p <= 0x20 || *p == 0x7f)
				return adapter_fail(out, "%s: '%s' holds a space or control character", what, key);
		if (event_set_str(buf, cap, v->valuestring))
			return adapter_fail(out, "%s: '%s' is too long", what, key);
	} else if (v && !cJSON_IsNull(v) && !cJSON_IsString(v)) {
		return adapter_fail(out, "%s: '%s' is not an id", what, key);
	}
	if (required && !buf[0])
		return adapter_fail(out, "%s: '%s' is missing", what, key);
	return WERR_OK;
}

/*
 * Reads an order time.  The *_gmt members are UTC written without an offset
 * (WooCommerce's REST convention), so they are read as UTC (as if a 'Z' were
 * appended).  When only the site-local member is there (`gmt` NULL or
 * absent), its zone is unknown and it is read as UTC too, as adapter_time
 * does for a local time with no known zone.  0 when neither is there.
 */
static enum werr get_time(const struct ctx *c, const cJSON *o, const char *gmt, const char *local, int64_t *ms)
{
	const char *s = adapter_json_str(o, gmt);
	int64_t t;

	*ms = 0;
	if (s) {
		enum wtime_parse r = wtime_parse(s, 0, &t);
		if (r != WTIME_OK && r != WTIME_NO_OFFSET)
			return adapter_fail(c->out, "order: '%s' is not a time", gmt);
		*ms = t;
		return WERR_OK;
	}
	if (local && (s = adapter_json_str(o, local)) && !adapter_time(c->env, s, NULL, NULL, ms, NULL))
		return adapter_fail(c->out, "order: '%s' is not a time", local);
	return WERR_OK;
}

/*
 * WooCommerce gives product names HTML-escaped, as WordPress stores them
 * ("Bug Jar &ndash; Large"): decode numeric entities and the named ones
 * WordPress's texturize writes, so people read "Bug Jar – Large".  Anything
 * else is left as it is.  out is at least 5 bytes; decoding never lengthens
 * the text, and the caller cuts the result to its field.
 */
static void html_unescape(const char *s, char *out, size_t cap)
{
	static const struct {
		const char *name, *utf8;
	} named[] = {
		{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
		{ "nbsp", " " }, { "ndash", "\xe2\x80\x93" }, { "mdash", "\xe2\x80\x94" },
		{ "hellip", "\xe2\x80\xa6" }, { "lsquo", "\xe2\x80\x98" }, { "rsquo", "\xe2\x80\x99" },
		{ "ldquo", "\xe2\x80\x9c" }, { "rdquo", "\xe2\x80\x9d" }, { "times", "\xc3\x97" },
	};
	size_t n = 0;

	while (*s && n + 4 < cap) {
		const char *semi = *s == '&' ? strchr(s, ';') : NULL;
		if (semi && semi - s >= 3 && semi - s <= 10) {
			size_t len = 0, elen = (size_t)(semi - s - 1);
			if (s[1] == '#') {
				bool hex = s[2] == 'x' || s[2] == 'X';
				char *end = NULL;
				unsigned long cp = strtoul(s + (hex ? 3 : 2), &end, hex ? 16 : 10);
				if (end == semi && end > s + (hex ? 3 : 2))
					len = text_utf8_put(cp, out + n);
			} else {
				for (size_t i = 0; i < sizeof(named) / sizeof(named[0]) && !len; i++)
					if (strlen(named[i].name) == elen && !memcmp(s + 1, named[i].name, elen)) {
						len = strlen(named[i].utf8);
						memcpy(out + n, named[i].utf8, len);
					}
			}
			if (len) {
				n += len;
				s = semi + 1;
				continue;
			}
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
}

/* Tracking providers are names or slugs ("UPS", "fedex", "dhl-us", "Canada
 * Post"): the shared carrier ids (carrier_names.h), every DHL as "dhl". */
static void carrier_norm(const char *name, char out[EV_CARRIER_MAX + 1])
{
	carrier_normalize(name, out, EV_CARRIER_MAX + 1);
}

/* A money amount ("29.35", or a number) in cents; false when not one. */
static bool get_cents(const cJSON *v, long long *cents)
{
	double d;
	char *end = NULL;

	if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
	} else if (cJSON_IsString(v) && v->valuestring[0]) {
		d = strtod(v->valuestring, &end);
		if (*end)
			return false;
	} else {
		return false;
	}
	if (!isfinite(d) || fabs(d) > 1e15)
		return false;
	*cents = llround(d * 100.0);
	return true;
}

/*
 * line_items -> ev->items.  A line without a sku gets "variation:<id>", else
 * "product:<id>", else "line_item:<id>", so it still counts for coverage.
 * Lines without a positive integer quantity are skipped; a list longer than
 * EV_ITEMS_MAX is left out whole (no items rather than wrong ones).
 */
static enum werr get_items(struct adapter_out *out, const cJSON *o, struct event *ev)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "line_items");
	static const char *const fallback[][2] = {
		{ "variation_id", "variation" }, { "product_id", "product" }, { "id", "line_item" },
	};
	const cJSON *it;
	size_t n = 0;

	if (!arr || cJSON_IsNull(arr))
		return WERR_OK;
	if (!cJSON_IsArray(arr))
		return adapter_fail(out, "order: 'line_items' is not an array");
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
		char plain[4 * EV_NAME_MAX];
		const char *name;

		if (!cJSON_IsObject(it))
			return adapter_fail(out, "order: 'line_items' holds a non-object");
		if (!cJSON_IsNumber(q) || q->valuedouble != floor(q->valuedouble) || q->valuedouble < 1 ||
		    q->valuedouble > 1000000)
			continue;
		item->quantity = (int)q->valuedouble;
		ADAPTER_SET_TEXT(item->sku, adapter_json_str(it, "sku"));
		for (size_t i = 0; !item->sku[0] && i < sizeof(fallback) / sizeof(fallback[0]); i++) {
			char num[NUM_MAX];
			enum werr e = get_id(out, it, fallback[i][0], "order line item", false, num, sizeof(num));
			if (e)
				return e;
			if (num[0])
				snprintf(item->sku, sizeof(item->sku), "%s:%s", fallback[i][1], num);
		}
		if (!item->sku[0])
			continue;
		plain[0] = '\0';
		if ((name = adapter_json_str(it, "name")))
			html_unescape(name, plain, sizeof(plain));
		ADAPTER_SET_TEXT(item->name, plain);
		n++;
	}
	ev->nitems = n;
	return WERR_OK;
}

static bool have_id(const struct adapter_out *out, size_t from, const char *id)
{
	for (size_t i = from; i < out->nevents; i++)
		if (!strcmp(out->events[i].id, id))
			return true;
	return false;
}

/* --- one order -------------------------------------------------------------- */

struct order {
	char id[NUM_MAX];
	char number[EV_ORDER_MAX + 1];
	int64_t created, modified, paid, completed;
	size_t first;          /* index of this order's first event in out */
};

static struct event *push_order_event(const struct ctx *c, const struct order *od)
{
	struct event *ev = adapter_push(c->out, c->env);
	if (ev)
		memcpy(ev->order, od->number, sizeof(ev->order));
	return ev;
}

static void order_customer(const cJSON *o, struct event_customer *cu)
{
	const cJSON *bill = adapter_json_obj(o, "billing"), *ship = adapter_json_obj(o, "shipping");
	const char *s;

	/* First name, contact and postal code only: never a street (DESIGN.md 3). */
	s = bill ? adapter_json_str(bill, "first_name") : NULL;
	ADAPTER_SET_TEXT(cu->name, s ? s : ship ? adapter_json_str(ship, "first_name") : NULL);
	ADAPTER_SET_CONTACT(cu->email, bill ? adapter_json_str(bill, "email") : NULL);
	if (!(s = bill ? adapter_json_str(bill, "phone") : NULL) && ship)
		s = adapter_json_str(ship, "phone");
	ADAPTER_SET_CONTACT(cu->phone, s);
	ADAPTER_SET_CONTACT(cu->postal_code, ship ? adapter_json_str(ship, "postcode") : NULL);
}

/* The Shipment Tracking extension's items, one label_created each. */
static enum werr tracking_events(const struct ctx *c, const cJSON *o, const struct order *od)
{
	const cJSON *meta = adapter_json_arr(o, "meta_data");
	const cJSON *m, *items = NULL, *it;
	char seen[MAX_TRACKING][EV_PACKAGE_MAX + 1];
	size_t nseen = 0;
	enum werr e;

	cJSON_ArrayForEach(m, meta) {
		const char *key = cJSON_IsObject(m) ? adapter_json_str(m, "key") : NULL;
		if (key && !strcmp(key, TRACKING_META_KEY))
			items = cJSON_GetObjectItemCaseSensitive(m, "value");
	}
	if (!items)
		return WERR_OK;
	if (!cJSON_IsArray(items))
		return adapter_fail(c->out, "order: meta_data '%s' is not an array", TRACKING_META_KEY);
	cJSON_ArrayForEach(it, items) {
		char number[EV_PACKAGE_MAX + 1], carrier[EV_CARRIER_MAX + 1];
		const cJSON *shipped;
		const char *provider;
		struct event *ev;
		bool dup = false;
		int64_t at = 0;

		if (!cJSON_IsObject(it))
			return adapter_fail(c->out, "order: a shipment tracking item is not an object");
		if ((e = get_id(c->out, it, "tracking_number", "shipment tracking", false, number, sizeof(number))))
			return e;
		if (!number[0])
			continue;
		for (size_t i = 0; i < nseen && !dup; i++)
			dup = !strcmp(seen[i], number);
		if (dup || nseen == MAX_TRACKING)
			continue;
		/* date_shipped is unix seconds (as a string or a number); some
		 * versions store a date.  Without it: when the order was completed,
		 * else last modified. */
		shipped = cJSON_GetObjectItemCaseSensitive(it, "date_shipped");
		if (cJSON_IsNumber(shipped) && shipped->valuedouble > 0 && shipped->valuedouble < 1e11) {
			at = (int64_t)shipped->valuedouble * 1000;
		} else if (cJSON_IsString(shipped) && shipped->valuestring[0]) {
			char *end = NULL;
			long long secs = strtoll(shipped->valuestring, &end, 10);
			int64_t t;
			if (!*end && secs > 0 && secs < 100000000000LL)
				at = (int64_t)secs * 1000;
			else if (wtime_parse(shipped->valuestring, WTIME_FLAG_DATE_OK, &t) != WTIME_BAD)
				at = t;
		}
		if (!at)
			at = od->completed ? od->completed : od->modified;
		if (!(provider = adapter_json_str(it, "tracking_provider")))
			provider = adapter_json_str(it, "custom_tracking_provider");
		carrier_norm(provider, carrier);

		if (!(ev = push_order_event(c, od)))
			return WERR_NOMEM;
		memcpy(seen[nseen++], number, sizeof(number));
		ev->status = EV_LABEL_CREATED;
		ev->occurred_at = at;
		memcpy(ev->package, number, sizeof(ev->package));
		memcpy(ev->carrier, carrier, sizeof(ev->carrier));
		if ((e = adapter_set_id(c->out, ev, "wc_order:%s:tracking:%s:label_created", od->id, number)))
			return e;
	}
	return WERR_OK;
}

/*
 * refunds[] lists every refund of the order ({id, reason, total: "-10.00"})
 * but not when each was made.  While they add up to less than the order's
 * total each is a partial refund of its own; once they reach it the order
 * is refunded in full (the same fact, and id, as status "refunded").
 */
static enum werr refund_events(const struct ctx *c, const cJSON *o, const struct order *od)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "refunds");
	const cJSON *r;
	long long total = 0, refunded = 0;
	struct event *ev;
	enum werr e;

	if (!cJSON_IsArray(arr) || !cJSON_GetArraySize(arr))
		return WERR_OK;
	cJSON_ArrayForEach(r, arr) {
		long long cents;
		if (!cJSON_IsObject(r) || !get_cents(cJSON_GetObjectItemCaseSensitive(r, "total"), &cents))
			return adapter_fail(c->out, "order: a refund has no 'total' amount");
		refunded += llabs(cents);
	}
	if (get_cents(cJSON_GetObjectItemCaseSensitive(o, "total"), &total) && total > 0 && refunded >= total) {
		char id[EV_ID_MAX + 1];
		snprintf(id, sizeof(id), "wc_order:%s:refunded", od->id);
		if (have_id(c->out, od->first, id))
			return WERR_OK;
		if (!(ev = push_order_event(c, od)))
			return WERR_NOMEM;
		ev->status = EV_REFUNDED;
		EVENT_SET(ev->detail, "full");
		ev->occurred_at = od->modified;
		memcpy(ev->id, id, sizeof(ev->id));
		return WERR_OK;
	}
	cJSON_ArrayForEach(r, arr) {
		char rid[NUM_MAX];
		if ((e = get_id(c->out, r, "id", "refund", true, rid, sizeof(rid))))
			return e;
		if (!(ev = push_order_event(c, od)))
			return WERR_NOMEM;
		ev->status = EV_REFUNDED;
		EVENT_SET(ev->detail, "partial");
		ev->occurred_at = od->modified;
		ADAPTER_SET_TEXT(ev->description, adapter_json_str(r, "reason"));
		if ((e = adapter_set_id(c->out, ev, "wc_order:%s:refund:%s", od->id, rid)))
			return e;
	}
	return WERR_OK;
}

/* Statuses of an order that is not one yet: the block checkout's draft and
 * WordPress's auto-draft.  They yield nothing. */
static bool is_draft(const char *status)
{
	return !strcmp(status, "checkout-draft") || !strcmp(status, "auto-draft");
}

static enum werr order_events(const struct ctx *c, const cJSON *o, bool deleted_topic)
{
	struct order od;
	const char *status;
	struct event *ev;
	enum werr e;

	memset(&od, 0, sizeof(od));
	od.first = c->out->nevents;
	if ((e = get_id(c->out, o, "id", "order", true, od.id, sizeof(od.id))))
		return e;
	status = adapter_json_str(o, "status");
	/* order.deleted with {"id": N}: deleted for good, no order left to read */
	if (!status && deleted_topic)
		return WERR_OK;
	if (!status)
		return adapter_fail(c->out, "order: 'status' is missing");
	if (is_draft(status))
		return WERR_OK;
	if ((e = get_id(c->out, o, "number", "order", false, od.number, sizeof(od.number))))
		return e;
	if (!od.number[0])
		memcpy(od.number, od.id, sizeof(od.id));
	if ((e = get_time(c, o, "date_created_gmt", "date_created", &od.created)) ||
	    (e = get_time(c, o, "date_modified_gmt", "date_modified", &od.modified)) ||
	    (e = get_time(c, o, "date_paid_gmt", "date_paid", &od.paid)) ||
	    (e = get_time(c, o, "date_completed_gmt", "date_completed", &od.completed)))
		return e;
	if (!od.created)
		return adapter_fail(c->out, "order: 'date_created_gmt' is missing");
	if (!od.modified)
		od.modified = od.created;

	if (!(ev = push_order_event(c, &od)))
		return WERR_NOMEM;
	ev->status = EV_PLACED;
	ev->occurred_at = od.created;
	order_customer(o, &ev->customer);
	if ((e = adapter_set_id(c->out, ev, "wc_order:%s:placed", od.id)) || (e = get_items(c->out, o, ev)))
		return e;

	/* The current status.  One that only restates "placed" (pending) adds
	 * nothing; one with a detail (on-hold, failed) is kept. */
	if (!(ev = push_order_event(c, &od)))
		return WERR_NOMEM;
	mapping_apply(c->env->maps, T_ORDER_STATUS, status, NULL, ev);
	if (ev->status == EV_PLACED && !ev->detail[0]) {
		adapter_pop(c->out);
	} else {
		if (!strcmp(status, "processing") && od.paid)
			ev->occurred_at = od.paid;
		else if (!strcmp(status, "completed") && od.completed)
			ev->occurred_at = od.completed;
		else
			ev->occurred_at = od.modified;
		if ((e = adapter_set_id(c->out, ev, "wc_order:%s:%s", od.id, status)))
			return e;
	}

	if ((e = refund_events(c, o, &od)) || (e = tracking_events(c, o, &od)))
		return e;
	return WERR_OK;
}

/* --- the adapter ------------------------------------------------------------ */

static const char *header(const struct hook_request *rq, const char *name)
{
	return rq->header ? rq->header(rq->hctx, name) : NULL;
}

/*
 * WooCommerce pings a new webhook's URL once with the form body
 * "webhook_id=<n>", unsigned, and keeps the webhook waiting until it gets a
 * 200.  That exact body is accepted without a signature: it carries nothing
 * and parses to no events.
 */
static bool is_form_ping(const char *body, size_t len)
{
	static const char pfx[] = "webhook_id=";
	size_t i = sizeof(pfx) - 1;

	if (len <= i || memcmp(body, pfx, i))
		return false;
	for (; i < len; i++)
		if (body[i] < '0' || body[i] > '9')
			return false;
	return len - (sizeof(pfx) - 1) <= 20;
}

static enum werr wc_verify(const struct hook_request *rq, const char *secret, int64_t now_ms, char *why,
			   size_t whycap)
{
	const char *sig = header(rq, "X-WC-Webhook-Signature");

	if (!secret || !secret[0]) {
		snprintf(why, whycap, "no secret is configured for this source");
		return WERR_UNAUTHORIZED;
	}
	if (!sig || !sig[0]) {
		if (is_form_ping(rq->body, rq->len))
			return WERR_OK;
		snprintf(why, whycap, "missing X-WC-Webhook-Signature");
		return WERR_UNAUTHORIZED;
	}
	if (!sig_hmac_b64_ok(secret, rq->body, rq->len, sig)) {
		snprintf(why, whycap, "signature mismatch");
		return WERR_UNAUTHORIZED;
	}
	return WERR_OK;
}

/*
 * Stores still on WooCommerce's legacy REST API (v3, WooCommerce 2.x and the
 * "legacy REST API" plugin) send the order wrapped, {"order": {...}}, with
 * the older names: order_number, created_at, updated_at, completed_at (UTC,
 * with Z), billing_address, shipping_address.  The order is taken out of its
 * wrapper and its members renamed to today's, so one reader serves both.
 * Returns the order to read (owned by root), or NULL with out->reason set
 * for a legacy body wismo cannot read.
 */
static cJSON *legacy_order(cJSON *root, struct adapter_out *out)
{
	static const char *const names[][2] = {
		{ "order_number", "number" },	     { "created_at", "date_created_gmt" },
		{ "updated_at", "date_modified_gmt" }, { "completed_at", "date_completed_gmt" },
		{ "billing_address", "billing" },     { "shipping_address", "shipping" },
	};
	cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "order");

	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "orders"))) {
		adapter_fail(out, "a WooCommerce legacy REST API list of orders ({\"orders\": [...]}) is not a webhook "
				  "body: send one order per webhook (API v3 or later, or the legacy {\"order\": {...}})");
		return NULL;
	}
	if (!cJSON_IsObject(o))
		return root;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(o, names[i][0]);
		if (v && !cJSON_GetObjectItemCaseSensitive(o, names[i][1]))
			cJSON_AddItemToObject(o, names[i][1], v);
		else
			cJSON_Delete(v);
	}
	return o;
}

static enum werr wc_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	struct ctx c = { env, out };
	size_t at = 0;
	const char *topic;
	cJSON *o, *body;
	enum werr e = WERR_OK;

	if (is_form_ping(rq->body, rq->len))
		return WERR_OK;
	o = text_json_one(rq->body, rq->len, &at);
	if (!o)
		return adapter_fail(out, "body is not JSON, or has text after its value (near byte %zu)", at);
	if (!cJSON_IsObject(o)) {
		e = adapter_fail(out, "body is not a JSON object");
		goto out;
	}
	if (!(body = legacy_order(o, out))) {
		e = WERR_INVALID;
		goto out;
	}
	/* the JSON form of the ping: {"webhook_id": N} */
	if (adapter_json_has(body, "webhook_id") && !adapter_json_has(body, "id"))
		goto out;
	topic = header(rq, "X-WC-Webhook-Topic");
	if (!topic || !topic[0]) {
		if (!adapter_json_has(body, "id") || !adapter_json_has(body, "status") ||
		    !(adapter_json_has(body, "number") || adapter_json_has(body, "order_key") || adapter_json_has(body, "line_items"))) {
			e = adapter_fail(out, "no X-WC-Webhook-Topic, and the body is not an order");
			goto out;
		}
		topic = "order.updated";
	}
	if (!strcmp(topic, "order.created") || !strcmp(topic, "order.updated") ||
	    !strcmp(topic, "order.restored"))
		e = order_events(&c, body, false);
	else if (!strcmp(topic, "order.deleted"))
		e = order_events(&c, body, true);
	/* any other topic (products, customers, coupons): nothing wismo tracks */
out:
	cJSON_Delete(o);
	return e;
}

const struct adapter adapter_woocommerce = {
	.name = "woocommerce",
	.kind = KIND_STOREFRONT,
	.verify = wc_verify,
	.parse = wc_parse,
};
