/*
 * shipstation.c - ShipStation (V1 API): SHIP_NOTIFY / ORDER_NOTIFY webhooks
 * and shipment or order objects posted directly, turned into label, void and
 * warehouse-milestone events.
 *
 * ShipStation is shipping software (KIND_SHIPPING): it owns label_created and
 * a voided label (package cancelled), and, as the place where the warehouse
 * buys labels, the order's warehouse milestones (processing ...
 * ready_to_ship).  It never owns carrier possession: ShipStation's own word
 * "shipped" only means that a label exists, so nothing here ever says
 * in_transit.  docs/adapters/shipstation.md holds every decision.
 *
 * A V1 webhook body carries no data, only a resource_url to GET with the API
 * credentials; env->fetch does that (the caller rewrites the host to the
 * configured API base and adds the credentials).  The answer is paged
 * ({"shipments": [...], "page": 1, "pages": 3}): every page is read, so a
 * body's events are all-or-nothing like every other source's.
 *
 * ShipStation writes its times in US Pacific time without an offset and
 * with seven fractional digits ("2015-06-29T08:46:27.0000000"); they are
 * resolved with America/Los_Angeles through the zone table, and read as UTC
 * (saying so in the description) only when no zone table is loaded.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/text.h"
#include "../base/crypto.h"
#include "../base/wtime.h"
#include "adapter.h"
#include "carrier_names.h"
#include "mapping.h"
#include "zones.h"
#include "../base/banned.h"

#define SS_ZONE "America/Los_Angeles"
#define SS_ORDER_TABLE "shipstation_order"
#define SS_SHIPMENT_TABLE "shipstation_shipment"
/* A SHIP_NOTIFY batch is read whole; 100 pages of ShipStation's default 100
 * rows is far beyond any label batch, and bounds the fetches one body can
 * cause. */
#define SS_MAX_PAGES 100
#define SS_ID_MAX 40
#define SS_UTC_NOTE " (ShipStation local time read as UTC: no zone table)"

struct ss {
	const struct adapter_env *env;
	struct adapter_out *out;
};

/* What is being read: a shipment of /shipments or a fulfillment of
 * /fulfillments (a dropship provider's "shipped"), which share their
 * fields except the id. */
struct ss_kind {
	const char *name;    /* "shipment", "fulfillment": ids and codes */
	const char *idfield; /* "shipmentId", "fulfillmentId" */
};

static const struct ss_kind SS_SHIPMENT = { "shipment", "shipmentId" };
static const struct ss_kind SS_FULFILLMENT = { "fulfillment", "fulfillmentId" };

static const char *hdr(const struct hook_request *rq, const char *name)
{
	return rq->header ? rq->header(rq->hctx, name) : NULL;
}

/* Constant-time comparison of a presented token with the secret: both are
 * hashed first, so not even the secret's length shows in the timing. */
static bool token_ok(const char *token, const char *secret)
{
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];

	crypto_sha256_hex(token, strlen(token), a);
	crypto_sha256_hex(secret, strlen(secret), b);
	return crypto_equal(a, SHA256_HEX_LEN, b, SHA256_HEX_LEN) == 1;
}

/*
 * V1 webhooks are not signed, and ShipStation's UI cannot add headers, so
 * the secret travels in the hook URL (?token=..., handed to us by the server
 * as X-Wismo-Query-Token) or, from a relay or our own tools, in
 * X-Shipstation-Token.  A presented token decides alone; without one the
 * generic signed scheme is accepted.
 */
static enum werr ss_verify(const struct hook_request *rq, const char *secret, int64_t now_ms, char *why,
			   size_t whycap)
{
	static const char *const token_headers[] = { "X-Shipstation-Token", "X-Wismo-Query-Token" };
	bool presented = false;

	if (!secret || !secret[0]) {
		snprintf(why, whycap, "no secret is configured for this source");
		return WERR_UNAUTHORIZED;
	}
	for (size_t i = 0; i < sizeof(token_headers) / sizeof(token_headers[0]); i++) {
		const char *tok = hdr(rq, token_headers[i]);
		if (!tok)
			continue;
		presented = true;
		if (!token_ok(tok, secret)) {
			snprintf(why, whycap, "%s does not match the secret",
				 i == 0 ? "X-Shipstation-Token" : "token in the hook url");
			return WERR_UNAUTHORIZED;
		}
	}
	if (presented)
		return WERR_OK;
	if (hdr(rq, "X-Wismo-Signature") || hdr(rq, "X-Wismo-Timestamp"))
		return sig_generic_check(secret, rq->body, rq->len, hdr(rq, "X-Wismo-Timestamp"),
					 hdr(rq, "X-Wismo-Signature"), now_ms, why, whycap);
	snprintf(why, whycap, "missing X-Shipstation-Token (or ?token= in the hook url) or X-Wismo-Signature");
	return WERR_UNAUTHORIZED;
}

/* ---- reading JSON fields ---- */

static const char *jstr(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/*
 * A ShipStation id (a JSON number, or a string): 1 with out filled, 0 when
 * absent or null, -1 when it is not an exact non-negative integer or does
 * not fit.  cJSON keeps numbers as doubles, so only values below 2^53 are
 * exact.
 */
static int jid(const cJSON *obj, const char *name, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v) && v->valuestring) {
		size_t n = strlen(v->valuestring);
		if (n == 0)
			return 0;
		if (n >= cap)
			return -1;
		memcpy(out, v->valuestring, n + 1);
		return 1;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d < 0 || d != floor(d) || d >= 9007199254740992.0)
			return -1;
		snprintf(out, cap, "%.0f", d);
		return 1;
	}
	return -1;
}

/* The store's order number, as the storefront and the API know it: a
 * leading '#' (Shopify's order name) is dropped.  1, 0 absent, -1 bad. */
static int jorder(const cJSON *obj, char out[EV_ORDER_MAX + 1])
{
	char tmp[EV_ORDER_MAX + 2];
	int r = jid(obj, "orderNumber", tmp, sizeof(tmp));
	const char *p = tmp;

	if (r <= 0)
		return r;
	if (*p == '#')
		p++;
	if (!*p || strlen(p) > EV_ORDER_MAX)
		return -1;
	memcpy(out, p, strlen(p) + 1);
	return 1;
}

/* Copies what fits of src, not cutting a UTF-8 sequence (names and
 * descriptions are for people; cutting them beats refusing a whole batch). */
static void cut_copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * ShipStation's carrierCode -> wismo's short carrier name.  A code is
 * matched whole or as a prefix followed by '_' ("ups_walleta" is UPS bought
 * through ShipStation's own account).  Other codes go through
 * carrier_normalize(), as every adapter's carrier names do.
 */
static void ss_carrier(const char *code, char out[EV_CARRIER_MAX + 1])
{
	static const struct {
		const char *code, *name;
	} table[] = {
		{ "ups", "ups" },                   /* ups, ups_walleta (UPS by ShipStation) */
		{ "fedex", "fedex" },               /* fedex, fedex_walleta, fedex_uk */
		{ "usps", "usps" },
		{ "stamps_com", "usps" },           /* USPS labels bought through Stamps.com */
		{ "endicia", "usps" },              /* ... or through Endicia */
		{ "express_1", "usps" },
		{ "dhl_express", "dhl" },           /* dhl_express_worldwide, _uk, _ca, _au */
		{ "dhl_global_mail", "dhl" },       /* DHL eCommerce: tracked by DHL's API */
		{ "dhl_ecommerce", "dhl" },
		{ "purolator_ca", "purolator" },
		{ "amazon_buy_shipping", "amazon" },
		{ "amazon_shipping", "amazon" },    /* amazon_shipping_us */
	};
	char tmp[4 * EV_CARRIER_MAX];

	out[0] = '\0';
	if (!code || !code[0])
		return;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t l = strlen(table[i].code);
		if (!strncmp(code, table[i].code, l) && (code[l] == '\0' || code[l] == '_')) {
			memcpy(out, table[i].name, strlen(table[i].name) + 1);
			return;
		}
	}
	/* Not a ShipStation-only code: the spelling every adapter shares. */
	carrier_normalize(code, tmp, sizeof(tmp));
	if (strlen(tmp) <= EV_CARRIER_MAX)
		memcpy(out, tmp, strlen(tmp) + 1);
}

/*
 * A ShipStation time: Pacific local time without offset (any number of
 * fractional digits; wtime keeps milliseconds), a bare date (midnight
 * Pacific), or, should ShipStation ever add one, a time with an offset.
 * *utc_guess is set when no zone table could resolve it and it was read as
 * UTC.
 */
static bool ss_time(const struct adapter_env *env, const char *s, int64_t *ms, bool *utc_guess)
{
	int64_t t;
	enum wtime_parse r;

	*utc_guess = false;
	if (!s || !s[0])
		return false;
	r = wtime_parse(s, WTIME_FLAG_DATE_OK, &t);
	if (r == WTIME_BAD)
		return false;
	if (r == WTIME_OK && strlen(s) > 10) {
		*ms = t; /* it had an offset */
		return true;
	}
	if (env->zones && zones_to_utc(env->zones, SS_ZONE, t, ms) == WERR_OK && *ms > 0)
		return true;
	*utc_guess = true;
	*ms = t;
	return true;
}

/* The first of the named fields that holds a time.  false when none does;
 * a field present but unreadable is an error (*bad names it). */
static bool ss_first_time(const struct adapter_env *env, const cJSON *obj, const char *const *names, int64_t *ms,
			  bool *utc_guess, const char **bad)
{
	*bad = NULL;
	for (size_t i = 0; names[i]; i++) {
		const char *s = jstr(obj, names[i]);
		if (!s || !s[0])
			continue;
		if (!ss_time(env, s, ms, utc_guess)) {
			*bad = names[i];
			return false;
		}
		return true;
	}
	return false;
}

/* Items of a shipment (shipmentItems) or an order (items).  ShipStation's
 * adjustment lines (discount codes) are not goods and are left out; has_items
 * is set only when a real item remains, since ShipStation sends null or []
 * when it was not asked for items (includeShipmentItems=False). */
static enum werr ss_items(struct ss *c, const cJSON *arr, struct event *ev, const char *what)
{
	const cJSON *it;
	size_t n = 0;

	if (!cJSON_IsArray(arr))
		return WERR_OK;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsObject(it))
			return adapter_fail(c->out, "%s: an item is not an object", what);
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "adjustment")))
			n++;
	}
	if (n == 0)
		return WERR_OK;
	if (n > EV_ITEMS_MAX)
		return adapter_fail(c->out, "%s: %zu items, more than %d", what, n, EV_ITEMS_MAX);
	ev->items = calloc(n, sizeof(*ev->items));
	if (!ev->items)
		return WERR_NOMEM;
	ev->has_items = true;
	cJSON_ArrayForEach(it, arr) {
		struct event_item *item;
		const cJSON *q;
		char sku[EV_SKU_MAX + 2] = "";

		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "adjustment")))
			continue;
		item = &ev->items[ev->nitems++];
		if (jid(it, "sku", sku, sizeof(sku)) < 0 || strlen(sku) > EV_SKU_MAX)
			return adapter_fail(c->out, "%s: item sku is not a string of at most %d bytes", what,
					    EV_SKU_MAX);
		memcpy(item->sku, sku, strlen(sku) + 1);
		cut_copy(item->name, sizeof(item->name), jstr(it, "name"));
		q = cJSON_GetObjectItemCaseSensitive(it, "quantity");
		if (!q || cJSON_IsNull(q)) {
			item->quantity = 1;
		} else if (cJSON_IsNumber(q) && q->valuedouble >= 0 && q->valuedouble <= 1e6 &&
			   q->valuedouble == floor(q->valuedouble)) {
			item->quantity = (int)q->valuedouble;
		} else {
			return adapter_fail(c->out, "%s: item quantity is not a whole number", what);
		}
	}
	return WERR_OK;
}

/* Contact fields for the order's projection (never a street address). */
static void ss_customer(const cJSON *obj, struct event *ev)
{
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(obj, "shipTo");
	const char *email = jstr(obj, "customerEmail");

	if (cJSON_IsObject(to)) {
		cut_copy(ev->customer.name, sizeof(ev->customer.name), jstr(to, "name"));
		cut_copy(ev->customer.phone, sizeof(ev->customer.phone), jstr(to, "phone"));
		cut_copy(ev->customer.postal_code, sizeof(ev->customer.postal_code), jstr(to, "postalCode"));
	}
	if (email && strlen(email) <= EV_EMAIL_MAX)
		memcpy(ev->customer.email, email, strlen(email) + 1);
}

/* Records "shipstation:order:<orderId>" -> order, so that a later body
 * naming only the orderId (a label response) finds its order. */
static enum werr ss_order_alias(struct ss *c, const char *order_id, const char *order)
{
	char ref[EV_ID_MAX + 1];
	const struct adapter_alias *last;

	if (!order_id[0] || !order[0])
		return WERR_OK;
	snprintf(ref, sizeof(ref), "shipstation:order:%s", order_id);
	last = c->out->naliases ? &c->out->aliases[c->out->naliases - 1] : NULL;
	if (last && !strcmp(last->ref, ref) && !strcmp(last->order, order))
		return WERR_OK;
	return adapter_alias(c->out, ref, order, NULL, NULL);
}

/* Pushes one event with id and time set; the caller maps the code. */
static struct event *ss_push(struct ss *c, const char *id, int64_t at)
{
	struct event *ev = adapter_push(c->out, c->env);

	if (!ev)
		return NULL;
	EVENT_SET(ev->id, id); /* ids are built below EV_ID_MAX */
	ev->occurred_at = at;
	return ev;
}

/* Where an event belongs: the order number, else a reference the writer
 * resolves through the alias an order body recorded. */
static void ss_place(struct event *ev, const char *order, const char *ref)
{
	if (order[0])
		EVENT_SET(ev->order, order);
	else
		EVENT_SET(ev->ref, ref);
}

/* A package code's event names the package unless the (possibly
 * user-overridden) table made it an order milestone, which must not. */
static void ss_package(struct event *ev, const char *tracking)
{
	if (!ev_status_is_order_level(ev->status))
		EVENT_SET(ev->package, tracking);
}

/*
 * One shipment (or fulfillment) object:
 *
 *   order milestone  <kind>.order   -> ready_to_ship  at createDate  (not for a voided label)
 *   package          <kind>         -> label_created  at createDate  (needs a trackingNumber)
 *   package          <kind>.voided  -> cancelled      at voidDate    (voided: true)
 *
 * Return labels (isReturnLabel) give nothing: they are the customer's parcel
 * back to the shop, and wismo has no return lifecycle yet; as a package of
 * the order they would make it look unshipped.
 */
static enum werr ss_shipment(struct ss *c, const cJSON *s, const struct ss_kind *k)
{
	static const char *const label_times[] = { "createDate", "shipDate", NULL };
	static const char *const void_times[] = { "voidDate", NULL };
	char sid[SS_ID_MAX], oid[SS_ID_MAX] = "", order[EV_ORDER_MAX + 1] = "", ref[EV_ID_MAX + 1] = "";
	char tracking[EV_PACKAGE_MAX + 2] = "", carrier[EV_CARRIER_MAX + 1], id[EV_ID_MAX + 1];
	char what[64], desc[EV_DESC_MAX + 1], code[EV_CODE_MAX + 1];
	const char *bad, *service = jstr(s, "serviceCode"), *carrier_code = jstr(s, "carrierCode");
	int64_t t_label, t_void;
	bool guess_label, guess_void = false, voided, void_time_known = false;
	struct event *ev;
	enum werr e;
	int r;

	if (!cJSON_IsObject(s))
		return adapter_fail(c->out, "a %s is not an object", k->name);
	r = jid(s, k->idfield, sid, sizeof(sid));
	if (r <= 0)
		return adapter_fail(c->out, "%s %s %s", k->name, k->idfield,
				    r ? "is not a whole number" : "is missing");
	snprintf(what, sizeof(what), "%s %s", k->name, sid);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "isReturnLabel")))
		return WERR_OK;
	if (jid(s, "orderId", oid, sizeof(oid)) < 0)
		return adapter_fail(c->out, "%s: orderId is not a whole number", what);
	if (jorder(s, order) < 0)
		return adapter_fail(c->out, "%s: orderNumber is not a string of at most %d bytes", what,
				    EV_ORDER_MAX);
	if (oid[0])
		snprintf(ref, sizeof(ref), "shipstation:order:%s", oid);
	if (jid(s, "trackingNumber", tracking, sizeof(tracking)) < 0 || strlen(tracking) > EV_PACKAGE_MAX)
		return adapter_fail(c->out, "%s: trackingNumber is not a string of at most %d bytes", what,
				    EV_PACKAGE_MAX);
	if (!ss_first_time(c->env, s, label_times, &t_label, &guess_label, &bad))
		return bad ? adapter_fail(c->out, "%s: %s '%s' is not a time", what, bad, jstr(s, bad))
			   : adapter_fail(c->out, "%s has neither createDate nor shipDate: no time for the label",
					  what);
	voided = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "voided"));
	if (ss_first_time(c->env, s, void_times, &t_void, &guess_void, &bad)) {
		voided = true; /* a voidDate is a void, whatever the flag says */
		void_time_known = true;
	} else if (bad) {
		return adapter_fail(c->out, "%s: voidDate '%s' is not a time", what, jstr(s, bad));
	}
	if (!void_time_known) {
		/* Voided with no date: the void is no earlier than the label; at
		 * the same instant it still wins, being terminal. */
		t_void = t_label;
		guess_void = guess_label;
	}
	ss_carrier(carrier_code, carrier);
	if ((e = ss_order_alias(c, oid, order)))
		return e;

	if (!voided && (order[0] || ref[0])) {
		snprintf(id, sizeof(id), "shipstation:%s:%s:ready_to_ship", k->name, sid);
		snprintf(code, sizeof(code), "%s.order", k->name);
		snprintf(desc, sizeof(desc), "label %s bought in ShipStation%s", tracking[0] ? tracking : sid,
			 guess_label ? SS_UTC_NOTE : "");
		if (!(ev = ss_push(c, id, t_label)))
			return WERR_NOMEM;
		ss_place(ev, order, ref);
		ss_customer(s, ev);
		mapping_apply(c->env->maps, SS_SHIPMENT_TABLE, code, desc, ev);
	}
	if (!tracking[0])
		return WERR_OK; /* no parcel to name */

	snprintf(id, sizeof(id), "shipstation:%s:%s:label_created", k->name, sid);
	snprintf(desc, sizeof(desc), "label created: %s%s%s%s", carrier_code ? carrier_code : "carrier unknown",
		 service ? " " : "", service ? service : "", guess_label ? SS_UTC_NOTE : "");
	if (!(ev = ss_push(c, id, t_label)))
		return WERR_NOMEM;
	ss_place(ev, order, ref);
	EVENT_SET(ev->carrier, carrier);
	mapping_apply(c->env->maps, SS_SHIPMENT_TABLE, k->name, desc, ev);
	ss_package(ev, tracking);
	if ((e = ss_items(c, cJSON_GetObjectItemCaseSensitive(s, "shipmentItems"), ev, what)))
		return e;

	if (voided) {
		snprintf(id, sizeof(id), "shipstation:%s:%s:voided", k->name, sid);
		snprintf(code, sizeof(code), "%s.voided", k->name);
		snprintf(desc, sizeof(desc), "label voided%s%s", void_time_known ? "" : " (no voidDate: time of the label)",
			 guess_void ? SS_UTC_NOTE : "");
		if (!(ev = ss_push(c, id, t_void)))
			return WERR_NOMEM;
		ss_place(ev, order, ref);
		EVENT_SET(ev->carrier, carrier);
		mapping_apply(c->env->maps, SS_SHIPMENT_TABLE, code, desc, ev);
		ss_package(ev, tracking);
	}
	return WERR_OK;
}

/*
 * One order object: its orderStatus through shipstation_order, as one
 * order-level event.  The time is that of the status where ShipStation has
 * it (orderDate for awaiting_payment) and otherwise the last modification,
 * which is when ShipStation noticed the change.
 */
static enum werr ss_order(struct ss *c, const cJSON *o)
{
	static const char *const placed_times[] = { "orderDate", "createDate", "modifyDate", NULL };
	static const char *const status_times[] = { "modifyDate", "createDate", "paymentDate", "orderDate", NULL };
	char oid[SS_ID_MAX] = "", key[EV_ID_MAX] = "", order[EV_ORDER_MAX + 1] = "", ref[EV_ID_MAX + 1] = "";
	char id[EV_ID_MAX + 1], what[EV_ORDER_MAX + 32], desc[EV_DESC_MAX + 1];
	const char *status = jstr(o, "orderStatus"), *hold = jstr(o, "holdUntilDate"), *bad;
	const cJSON *adv = cJSON_GetObjectItemCaseSensitive(o, "advancedOptions");
	int64_t at;
	bool guess;
	struct event *ev;
	enum werr e;
	int n;

	if (!cJSON_IsObject(o))
		return adapter_fail(c->out, "an order is not an object");
	if (jid(o, "orderId", oid, sizeof(oid)) < 0)
		return adapter_fail(c->out, "order: orderId is not a whole number");
	if (jorder(o, order) < 0)
		return adapter_fail(c->out, "order %s: orderNumber is not a string of at most %d bytes", oid,
				    EV_ORDER_MAX);
	snprintf(what, sizeof(what), "order %s", order[0] ? order : oid);
	if (!order[0] && !oid[0])
		return adapter_fail(c->out, "an order has neither orderNumber nor orderId");
	if (!status || !status[0] || strlen(status) > EV_CODE_MAX)
		return adapter_fail(c->out, "%s: orderStatus is missing or not a short string", what);
	if (oid[0]) {
		snprintf(ref, sizeof(ref), "shipstation:order:%s", oid);
		n = snprintf(id, sizeof(id), "shipstation:order:%s:%s", oid, status);
	} else if (jid(o, "orderKey", key, sizeof(key)) > 0) {
		n = snprintf(id, sizeof(id), "shipstation:order_key:%s:%s", key, status);
	} else {
		n = snprintf(id, sizeof(id), "shipstation:order_number:%s:%s", order, status);
	}
	if (n < 0 || (size_t)n >= sizeof(id))
		return adapter_fail(c->out, "%s: its id and status make an event id over %d bytes", what, EV_ID_MAX);
	if (!ss_first_time(c->env, o, strcmp(status, "awaiting_payment") ? status_times : placed_times, &at, &guess,
			   &bad))
		return bad ? adapter_fail(c->out, "%s: %s '%s' is not a time", what, bad, jstr(o, bad))
			   : adapter_fail(c->out, "%s has no date at all", what);
	if ((e = ss_order_alias(c, oid, order)))
		return e;
	if (hold && hold[0] && !strcmp(status, "on_hold"))
		snprintf(desc, sizeof(desc), "ShipStation order %s until %s%s", status, hold, guess ? SS_UTC_NOTE : "");
	else
		snprintf(desc, sizeof(desc), "ShipStation order %s%s", status, guess ? SS_UTC_NOTE : "");
	if (!(ev = ss_push(c, id, at)))
		return WERR_NOMEM;
	ss_place(ev, order, ref);
	ss_customer(o, ev);
	mapping_apply(c->env->maps, SS_ORDER_TABLE, status, desc, ev);
	if (!ev_status_is_order_level(ev->status) && ev->status != EV_CANCELLED && ev->status != EV_UNKNOWN)
		return adapter_fail(c->out, "%s: table %s maps '%s' to %s, which needs a package", what,
				    SS_ORDER_TABLE, status, ev_status_name(ev->status));
	/* A merged or split order's lines are not the store's order: leave the
	 * ordered items to the storefront then. */
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(adv, "mergedOrSplit")))
		return ss_items(c, cJSON_GetObjectItemCaseSensitive(o, "items"), ev, what);
	return WERR_OK;
}

static enum werr ss_list(struct ss *c, const cJSON *arr, const char *name)
{
	const cJSON *it;
	enum werr e;

	if (!cJSON_IsArray(arr))
		return adapter_fail(c->out, "'%s' is not an array", name);
	cJSON_ArrayForEach(it, arr) {
		if (!strcmp(name, "orders"))
			e = ss_order(c, it);
		else
			e = ss_shipment(c, it, !strcmp(name, "shipments") ? &SS_SHIPMENT : &SS_FULFILLMENT);
		if (e)
			return e;
	}
	return WERR_OK;
}

/* resource_url for page n: any page parameter it had is replaced. */
static enum werr page_url(const char *url, int page, struct buf *b)
{
	const char *q = strchr(url, '?');
	enum werr e;

	buf_reset(b);
	if (!q)
		return buf_printf(b, "%s?page=%d", url, page);
	if ((e = buf_append(b, url, (size_t)(q - url) + 1)))
		return e;
	for (const char *p = q + 1; *p;) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		if (n && !(n >= 5 && !strncmp(p, "page=", 5))) {
			if ((e = buf_append(b, p, n)) || (e = buf_putc(b, '&')))
				return e;
		}
		p += n + (amp ? 1 : 0);
	}
	return buf_printf(b, "page=%d", page);
}

static int jint(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e9 ? (int)v->valuedouble : 0;
}

/*
 * The webhooks of ShipStation's other API: the V2 API (ShipEngine-based:
 * TRACK_EVENT_V2, LABEL_CREATED_V2, FULFILLMENT_SHIPPED_V2, BATCH_PROCESSED_V2,
 * ...) and ShipEngine itself, now "ShipStation API" (API_TRACK, API_BATCH,
 * ...).  Their bodies carry the resource in "data" with other names and
 * codes, and TRACK_EVENT_V2 / API_TRACK relay the carrier's scans, which
 * shipping software does not own here; they are refused naming what they
 * are rather than as an unknown type (docs/adapters/shipstation.md,
 * "Versions").
 */
static bool ss_v2_type(const char *type)
{
	size_t n = strlen(type);

	return (n > 3 && !strcmp(type + n - 3, "_V2")) || !strncmp(type, "API_", 4);
}

/* A V1 webhook: GET resource_url (every page) and read what it lists. */
static enum werr ss_webhook(struct ss *c, const char *url, const char *type)
{
	const char *list;
	struct buf body = BUF_INIT, u = BUF_INIT;
	enum werr e = WERR_OK;
	char why[200] = "";

	if (!strcmp(type, "SHIP_NOTIFY") || !strcmp(type, "ITEM_SHIP_NOTIFY"))
		list = "shipments";
	else if (!strcmp(type, "ORDER_NOTIFY") || !strcmp(type, "ITEM_ORDER_NOTIFY"))
		list = "orders";
	else if (!strcmp(type, "FULFILLMENT_SHIPPED"))
		list = "fulfillments";
	else if (!strcmp(type, "FULFILLMENT_REJECTED"))
		return WERR_OK; /* the order comes back as an ORDER_NOTIFY; no parcel exists */
	else if (ss_v2_type(type))
		return adapter_fail(c->out,
				    "a ShipStation API V2 / ShipEngine webhook ('%.40s') is not read: subscribe this url "
				    "to the V1 webhooks (SHIP_NOTIFY, ORDER_NOTIFY, FULFILLMENT_SHIPPED) instead",
				    type);
	else
		return adapter_fail(c->out, "unknown resource_type '%.40s'", type);
	if (!url[0])
		return adapter_fail(c->out, "resource_url is empty");
	if (!c->env->fetch) {
		snprintf(c->out->reason, sizeof(c->out->reason),
			 "%s needs resource_url fetched, and no ShipStation API access is configured", type);
		return WERR_IO;
	}
	for (int page = 1;; page++) {
		cJSON *root;
		int pages;

		if ((e = page == 1 ? buf_puts(&u, url) : page_url(url, page, &u)))
			break;
		buf_reset(&body);
		why[0] = '\0';
		if ((e = c->env->fetch(c->env->fctx, u.p, &body, why, sizeof(why)))) {
			snprintf(c->out->reason, sizeof(c->out->reason), "fetching resource_url page %d: %s", page,
				 why[0] ? why : werr_name(e));
			break;
		}
		root = cJSON_ParseWithLength(body.p, body.len);
		if (!cJSON_IsObject(root)) {
			cJSON_Delete(root);
			e = adapter_fail(c->out, "resource_url page %d is not a JSON object", page);
			break;
		}
		if (!cJSON_GetObjectItemCaseSensitive(root, list))
			e = adapter_fail(c->out, "resource_url page %d has no '%s' list", page, list);
		else
			e = ss_list(c, cJSON_GetObjectItemCaseSensitive(root, list), list);
		pages = jint(root, "pages");
		cJSON_Delete(root);
		if (e || pages <= page)
			break; /* ShipStation says pages 0 for a short list */
		if (pages > SS_MAX_PAGES) {
			e = adapter_fail(c->out, "resource_url lists %d pages, more than %d", pages, SS_MAX_PAGES);
			break;
		}
	}
	buf_release(&body);
	buf_release(&u);
	return e;
}

/*
 * What a body is, by its shape:
 *   {"resource_url", "resource_type"}         a V1 webhook: fetch it
 *   {"shipments"|"orders"|"fulfillments": []}  a list page, as /shipments gives
 *   {"shipmentId", ...} / {"fulfillmentId"}    one shipment / fulfillment
 *   {"orderStatus", ...}                       one order
 */
static enum werr ss_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	struct ss c = { env, out };
	cJSON *root = text_json_one(rq->body, rq->len, NULL);
	const cJSON *v;
	enum werr e;

	if (!root)
		return adapter_fail(out, "body is not JSON");
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return adapter_fail(out, "body is not a JSON object");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "resource_url"))) {
		const char *type = jstr(root, "resource_type");
		if (!cJSON_IsString(v) || !type)
			e = adapter_fail(out, "a webhook needs resource_url and resource_type strings");
		else
			e = ss_webhook(&c, v->valuestring, type);
	} else if ((v = cJSON_GetObjectItemCaseSensitive(root, "shipments"))) {
		e = ss_list(&c, v, "shipments");
	} else if ((v = cJSON_GetObjectItemCaseSensitive(root, "orders"))) {
		e = ss_list(&c, v, "orders");
	} else if ((v = cJSON_GetObjectItemCaseSensitive(root, "fulfillments"))) {
		e = ss_list(&c, v, "fulfillments");
	} else if (cJSON_GetObjectItemCaseSensitive(root, "shipmentId")) {
		e = ss_shipment(&c, root, &SS_SHIPMENT);
	} else if (cJSON_GetObjectItemCaseSensitive(root, "fulfillmentId")) {
		e = ss_shipment(&c, root, &SS_FULFILLMENT);
	} else if (cJSON_GetObjectItemCaseSensitive(root, "orderStatus")) {
		e = ss_order(&c, root);
	} else {
		e = adapter_fail(out, "not a ShipStation webhook, shipment or order");
	}
	cJSON_Delete(root);
	return e;
}

const struct adapter adapter_shipstation = {
	.name = "shipstation",
	.kind = KIND_SHIPPING,
	.verify = ss_verify,
	.parse = ss_parse,
};
