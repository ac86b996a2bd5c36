/*
 * track.c - the customer's tracking page (docs/web.md).
 *
 *   GET  /track                 the lookup form
 *   POST /track                 order + contact (email or postal code) ->
 *                               303 to /track/{token}, or the form again with
 *                               one notice for every failure
 *   GET  /track/{token}         the page (signed link, link.h)
 *   GET  /track/{token}/stream  Server-Sent Events for that order (sse.h)
 *
 * The lookup never tells whether an order exists: an unknown order and a
 * wrong contact run the same steps (one index probe and one row read: an
 * unknown order reads a decoy row; never the order's JSON; both comparisons
 * in constant time) and render the same bytes with the same status.  Lookups are rate-limited per client address
 * (ratelimit.h); the limit applies before the database is read.
 *
 * What the page shows is the customer projection of the stored order JSON
 * (core/order_json.h) plus its applied events: never source names, codes,
 * carrier descriptions, street addresses or more than the first name.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/crypto.h"
#include "../base/log.h"
#include "../base/text.h"
#include "../base/wtime.h"
#include "../adapters/adapter.h"
#include "../core/order.h"
#include "../core/return_request.h"
#include "../store/writer.h"
#include "../views/views.h"
#include "web_int.h"
#include "../http/sse.h"
#include "../core/link.h"
#include "page.h"
#include "ratelimit.h"
#include "../base/banned.h"

#define LOOKUP_LINK_S (24 * 3600) /* a link made by the lookup form lasts a day */
#define EVENTS_SHOWN 20
#define CONTACT_MAX 256

/* ------------------------------------------------------------------ */
/* rate limit: one table per process, made on first use */

static bool lookup_allowed(struct http_req *r, unsigned *retry)
{
	char ip[64];

	http_client_ip(r, ip);
	return ratelimit_take(web_of(r)->lookups, ip, clock_wall_ms(), retry);
}

/* ------------------------------------------------------------------ */
/* the lookup form */

static cJSON *form_view(void)
{
	cJSON *v = cJSON_CreateObject();
	if (v)
		cJSON_AddStringToObject(v, "title", "Track your order");
	return v;
}

enum http_result web_track_form(struct http_req *r)
{
	cJSON *v = form_view();

	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	page_send(r, 200, "lookup", v);
	cJSON_Delete(v);
	return HTTP_DONE;
}

/* Lower-case, surrounding blanks dropped. */
static void norm_email(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	while (*in == ' ' || *in == '\t')
		in++;
	for (; *in && o + 1 < cap; in++)
		out[o++] = (char)tolower((unsigned char)*in);
	while (o && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	out[o] = '\0';
}

/* Upper-case, blanks and '-' dropped ("sw1a 1aa" = "SW1A1AA"). */
static void norm_postal(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (; *in && o + 1 < cap; in++)
		if (*in != ' ' && *in != '\t' && *in != '-')
			out[o++] = (char)toupper((unsigned char)*in);
	out[o] = '\0';
}

/* Constant time in the stored value's content; empty stored values never match. */
static bool same(const char *given, const char *stored)
{
	size_t gl = strlen(given), sl = strlen(stored);
	int eq = crypto_equal(given, gl, stored, sl);
	return eq && sl > 0;
}

static enum http_result lookup_failed(struct http_req *r)
{
	cJSON *v = form_view();

	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	cJSON_AddStringToObject(v, "notice",
				"We could not find an order with these details. Check the order number and the "
				"email address or postal code you used when ordering.");
	page_send(r, 200, "lookup", v);
	cJSON_Delete(v);
	return HTTP_DONE;
}

static bool make_token(struct http_req *r, const char *order, int64_t valid_s, char token[LINK_TOKEN_MAX])
{
	const struct link_signer *s = web_app(r)->links;

	return s->secretlen &&
	       !link_make(s->secret, s->secretlen, LINK_PURPOSE_TRACK, order, clock_wall_ms() / 1000 + valid_s, token);
}

enum http_result web_track_lookup(struct http_req *r)
{
	char order[EV_ORDER_MAX + 2], contact[CONTACT_MAX], ce[CONTACT_MAX], cp[CONTACT_MAX];
	char email[EV_EMAIL_MAX + 1] = "", postal[EV_POSTAL_MAX + 1] = "", se[EV_EMAIL_MAX + 1],
					 sp[EV_POSTAL_MAX + 1];
	char token[LINK_TOKEN_MAX], loc[LINK_TOKEN_MAX + 16], retry_s[16];
	struct store *st;
	unsigned retry = 1;
	enum werr err;
	bool found, ok;

	if (!lookup_allowed(r, &retry)) {
		cJSON *v = form_view();
		snprintf(retry_s, sizeof(retry_s), "%u", retry);
		http_add_header(r, "Retry-After", retry_s);
		if (!v) {
			http_werr(r, WERR_NOMEM, NULL);
			return HTTP_DONE;
		}
		cJSON_AddStringToObject(v, "notice", "Too many attempts. Please wait a minute and try again.");
		page_send(r, 429, "lookup", v);
		cJSON_Delete(v);
		return HTTP_DONE;
	}
	page_form_value(r->body.p, r->body.len, "order", order, sizeof(order));
	page_form_value(r->body.p, r->body.len, "contact", contact, sizeof(contact));
	/* blanks around the order number are a typing slip, not a different order */
	{
		size_t s = strspn(order, " \t"), n = strlen(order + s);
		memmove(order, order + s, n + 1);
		while (n && (order[n - 1] == ' ' || order[n - 1] == '\t'))
			order[--n] = '\0';
		if (order[0] == '#')
			memmove(order, order + 1, n);
	}
	if (!(st = app_reader(web_app(r), r)))
		return HTTP_DONE;
	/* an unknown order reads a decoy row and fills email/postal from it, so
	 * both paths read, normalize and compare the same kind of values */
	err = store_order_contact(st, order, email, postal);
	if (err && err != WERR_NOT_FOUND) {
		http_werr(r, err, "unable to look the order up");
		return HTTP_DONE;
	}
	found = !err && order[0] && strlen(order) <= EV_ORDER_MAX;
	norm_email(contact, ce, sizeof(ce));
	norm_postal(contact, cp, sizeof(cp));
	norm_email(email, se, sizeof(se));
	norm_postal(postal, sp, sizeof(sp));
	ok = same(ce, se);
	ok = same(cp, sp) | ok;
	if (!found || !ok || !make_token(r, order, LOOKUP_LINK_S, token))
		return lookup_failed(r);
	snprintf(loc, sizeof(loc), "/track/%s", token);
	page_redirect(r, loc);
	return HTTP_DONE;
}

/* ------------------------------------------------------------------ */
/* the page */

/* *exp receives the link's expiry (seconds) */
static bool verify_token_until(struct http_req *r, const char *token, char order[EV_ORDER_MAX + 1], int64_t *exp)
{
	const struct link_signer *s = web_app(r)->links;

	return s->secretlen && !link_verify(s->secret, s->secretlen, LINK_PURPOSE_TRACK, token, clock_wall_ms() / 1000,
					    order, EV_ORDER_MAX + 1, exp);
}

static void invalid_link(struct http_req *r)
{
	cJSON *v = form_view();

	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return;
	}
	cJSON_AddStringToObject(v, "notice",
				"This tracking link is not valid or has expired. Look your order up below.");
	page_send(r, 404, "lookup", v);
	cJSON_Delete(v);
}

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static int64_t jtime(const cJSON *o, const char *name)
{
	const char *s = jstr(o, name);
	int64_t ms = 0;
	return s && wtime_parse(s, WTIME_FLAG_DATE_OK, &ms) == WTIME_OK ? ms : 0;
}

static const struct {
	const char *id, *name, *url;
} carriers[] = {
	{ "ups", "UPS", "https://www.ups.com/track?loc=en_US&tracknum=" },
	{ "fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr=" },
	{ "usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=" },
	{ "dhl", "DHL", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=" },
};

static void add_carrier(cJSON *pkg, const char *carrier, const char *tracking)
{
	for (size_t i = 0; i < sizeof(carriers) / sizeof(carriers[0]); i++) {
		if (carrier && !strcmp(carrier, carriers[i].id)) {
			struct buf b = BUF_INIT;
			buf_puts(&b, carriers[i].url);
			page_url_escape(&b, tracking);
			cJSON_AddStringToObject(pkg, "carrier_name", carriers[i].name);
			cJSON_AddStringToObject(pkg, "track_url", b.p);
			buf_release(&b);
			return;
		}
	}
	/* another carrier: its name made presentable, no link we could vouch for */
	{
		char name[EV_CARRIER_MAX + 1];
		size_t o = 0;
		bool up = true;
		for (const char *c = carrier ? carrier : ""; *c && o + 1 < sizeof(name); c++) {
			char ch = *c == '_' || *c == '-' ? ' ' : *c;
			name[o++] = up ? (char)toupper((unsigned char)ch) : ch;
			up = ch == ' ';
		}
		name[o] = '\0';
		cJSON_AddStringToObject(pkg, "carrier_name", o ? name : "Carrier");
	}
}

/* A friendly line for an event's status (no codes, no source words). */
/* The customer's words for an event on the timeline; NULL for one the page
 * does not show.  A return parcel's scans speak of the return (os). */
static const char *event_label(const struct event *ev, const struct order_state *os, const struct ms_config *mc)
{
	const struct package_state *rp = order_package(os, ev->package);
	int step;
	static const struct {
		const char *detail, *label;
	} details[] = {
		{ "address_issue", "Address problem - delivery on hold" },
		{ "damaged", "Damaged in transit" },
		{ "lost", "Parcel could not be found" },
		{ "delayed", "Delayed" },
		{ "weather_delay", "Delayed by weather" },
		{ "customs_hold", "Held in customs" },
		{ "refused", "Delivery refused" },
		{ "recipient_unavailable", "Nobody was available to receive it" },
		{ "held_by_carrier", "Held by the carrier" },
		{ "stalled", "No recent progress" },
		{ "not_handed_over", "Not yet handed to the carrier" },
		{ "late_vs_promise", "Running late" },
	};

	if (rp && rp->is_return && !ev_status_is_return(ev->status))
		return (step = ret_step_of_parcel_status(ev->status, rp->shipped_at != 0)) >= 0
			       ? ret_step_label((enum ret_step)step)
			       : NULL;
	switch (ev->status) {
	case EV_PLACED: return "Order placed";
	case EV_CONFIRMED: return "Order confirmed";
	case EV_PROCESSING: return "Being prepared";
	case EV_PICKED: return "Items picked";
	case EV_PACKED: return "Packed";
	case EV_READY_TO_SHIP: return "Ready to ship";
	case EV_LABEL_CREATED: return "Shipping label created";
	case EV_IN_TRANSIT: return "In transit";
	case EV_OUT_FOR_DELIVERY: return "Out for delivery";
	case EV_AVAILABLE_FOR_PICKUP: return "Ready for pickup";
	case EV_DELIVERY_ATTEMPTED: return "Delivery attempted";
	case EV_DELIVERED: return ev->has_installed && ev->installed ? "Delivered and installed" : "Delivered";
	case EV_RETURNED_TO_SENDER: return "Returning to sender";
	case EV_CANCELLED: return ev->package[0] ? "Shipment cancelled" : "Order cancelled";
	case EV_REFUNDED: return "Refund issued";
	case EV_CANCEL_REQUESTED: return "You asked to cancel";
	case EV_APPOINTMENT_OFFERED: return "Delivery appointment offered";
	case EV_APPOINTMENT_SCHEDULED: return "Delivery appointment booked";
	case EV_APPOINTMENT_RESCHEDULED: return "Delivery appointment changed";
	case EV_APPOINTMENT_MISSED: return "Delivery appointment missed";
	case EV_NOT_RECEIVED: return "You told us it has not arrived";
	case EV_MILESTONE: {
		/* the shop's own step, when the customer is meant to see it */
		int d = ms_find(mc, ev->milestone);
		return d >= 0 && mc->defs[d].visible ? ms_label(&mc->defs[d], "en") : NULL;
	}
	case EV_RETURN_REQUESTED:
	case EV_RETURN_APPROVED:
	case EV_RETURN_REJECTED:
	case EV_RETURN_LABEL_CREATED:
	case EV_RETURN_PICKUP_SCHEDULED:
	case EV_RETURN_IN_TRANSIT:
	case EV_RETURN_RECEIVED:
	case EV_RETURN_INSPECTING:
	case EV_RETURN_DISPOSED:
	case EV_RETURN_REFUNDED:
	case EV_RETURN_REPLACED:
	case EV_RETURN_STORE_CREDIT:
	case EV_RETURN_CLOSED:
	case EV_RETURN_CANCELLED:
		return ret_step_label((enum ret_step)ret_step_of_status(ev->status));
	case EV_EXCEPTION:
		for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++)
			if (!strcmp(ev->detail, details[i].detail))
				return details[i].label;
		return "Delivery problem";
	case EV_UNKNOWN:
	case EV__COUNT:
		break;
	}
	return NULL;
}

static void add_place(cJSON *o, const char *city, const char *region, const char *country)
{
	struct buf b = BUF_INIT;
	const char *parts[3] = { city, region, country };

	for (int i = 0; i < 3; i++) {
		if (!parts[i] || !parts[i][0])
			continue;
		if (b.len)
			buf_puts(&b, ", ");
		buf_puts(&b, parts[i]);
	}
	if (b.len)
		cJSON_AddStringToObject(o, "place", b.p);
	buf_release(&b);
}

/* Events applied to the order, newest first, as the customer sees them. */
static enum werr add_events(const struct event *evs, size_t n, const enum ev_outcome *outc,
			    const struct order_state *os, const struct ms_config *mc, cJSON *view)
{
	cJSON *arr = cJSON_AddArrayToObject(view, "events");
	size_t *idx = n ? calloc(n, sizeof(*idx)) : NULL, k = 0;

	if (!arr || (n && !idx)) {
		free(idx);
		return WERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (outc[i] == OUT_APPLIED && event_label(&evs[i], os, mc))
			idx[k++] = i;
	/* newest first by event time (a small n: insertion sort) */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && (evs[idx[j]].occurred_at > evs[idx[j - 1]].occurred_at ||
					     (evs[idx[j]].occurred_at == evs[idx[j - 1]].occurred_at &&
					      evs[idx[j]].seq > evs[idx[j - 1]].seq));
		     j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	for (size_t i = 0; i < k && i < EVENTS_SHOWN; i++) {
		const struct event *ev = &evs[idx[i]];
		cJSON *e = cJSON_CreateObject();
		char when[48], iso[WTIME_BUFSZ];
		if (!e || !cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			free(idx);
			return WERR_NOMEM;
		}
		page_datetime(ev->occurred_at, when, sizeof(when));
		cJSON_AddStringToObject(e, "when", when);
		cJSON_AddStringToObject(e, "iso", wtime_format(ev->occurred_at, iso));
		cJSON_AddStringToObject(e, "label", event_label(ev, os, mc));
		add_place(e, ev->location.city, ev->location.region, ev->location.country);
	}
	free(idx);
	return WERR_OK;
}

/*
 * The shop's own milestones (docs/milestones.md) as steps, for an order that
 * reached one: the customer-visible ones it reached, with their dates, then
 * those still ahead of it.  One the order went past without reaching it
 * (no customs on a domestic order) is not shown.
 */
static void add_milestones(const struct ms_config *mc, const struct order_state *os, cJSON *view)
{
	const struct ms_reached *last = os->nms_reached ? &os->ms_reached[os->nms_reached - 1] : NULL;
	int lastdef = last ? ms_find(mc, last->name) : -1;
	cJSON *arr;

	if (lastdef < 0 || !(arr = cJSON_AddArrayToObject(view, "milestones")))
		return;
	int order[MS_DEFS_MAX], n = ms_in_order(mc, order);

	for (int k = 0; k < n; k++) {
		const struct ms_def *d = &mc->defs[order[k]];
		const struct ms_reached *got = NULL;
		cJSON *m;
		char when[48];
		for (size_t i = 0; i < os->nms_reached && !got; i++)
			if (!strcmp(os->ms_reached[i].name, d->name))
				got = &os->ms_reached[i];
		if (!d->visible)
			continue;
		/* ahead: after the furthest reached, and the order not past it */
		if (!got && (ms_position(mc, order[k]) < ms_position(mc, lastdef) || os->status > d->after ||
			     os->status == ORD_CANCELLED))
			continue;
		if (!(m = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, m)) {
			cJSON_Delete(m);
			return;
		}
		cJSON_AddStringToObject(m, "name", d->name);
		cJSON_AddStringToObject(m, "label", ms_label(d, "en"));
		if (got) {
			page_datetime(got->at, when, sizeof(when));
			cJSON_AddStringToObject(m, "when", when);
			cJSON_AddBoolToObject(m, "done", true);
		}
		if (got && os->ms_current >= 0 && got == &os->ms_reached[os->ms_current])
			cJSON_AddBoolToObject(m, "current", true);
	}
	cJSON_AddBoolToObject(view, "has_milestones", cJSON_GetArraySize(arr) > 0);
}

/* ------------------------------------------------------------------ */
/* returns (docs/returns.md "Self-service") */

#define LINK_PURPOSE_RETURN_FORM "return-form"

/* "too_small" -> "Too small" */
static void reason_label(const char *word, char *out, size_t cap)
{
	snprintf(out, cap, "%s", word);
	for (char *c = out; *c; c++)
		if (*c == '_')
			*c = ' ';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

static void add_return_items(cJSON *dst, const struct event_item *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON *x = cJSON_CreateObject();
		if (!x || !cJSON_AddItemToArray(dst, x)) {
			cJSON_Delete(x);
			return;
		}
		cJSON_AddStringToObject(x, "name", it[i].name[0] ? it[i].name : it[i].sku);
		cJSON_AddNumberToObject(x, "quantity", it[i].quantity);
	}
}

/* The order's returns, each with its four steps and what to do next; and
 * the "Start a return" form while something can still be returned.  The
 * headline becomes the newest return's words. */
static void add_returns(struct http_req *r, const struct order_state *os, const char *token, int64_t expires,
			cJSON *v)
{
	static const char *const steps[] = { "Requested", "On its way", "Received", "Refunded" };
	const struct returns_config *cfg = web_app(r)->returns;
	const struct link_signer *ls = web_app(r)->links;
	struct event_item can[RET_LINES_MAX];
	const struct return_state *newest = NULL;
	cJSON *arr, *x, *st, *s;
	size_t ncan;

	if (os->nreturns && (arr = cJSON_AddArrayToObject(v, "returns"))) {
		cJSON_AddTrueToObject(v, "has_returns");
		for (size_t i = 0; i < os->nreturns; i++) {
			const struct return_state *ret = &os->returns[i];
			int cur = ret_customer_step(ret);
			if (!newest || ret->updated_at > newest->updated_at)
				newest = ret;
			if (!(x = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, x)) {
				cJSON_Delete(x);
				return;
			}
			cJSON_AddStringToObject(x, "id", ret->id);
			cJSON_AddStringToObject(x, "label", ret_customer_label(ret));
			if (ret->nparcels)
				cJSON_AddStringToObject(x, "tracking", ret->parcels[0]);
			if ((st = cJSON_AddArrayToObject(x, "steps")))
				for (int k = 0; cur && k < 4; k++) {
					if (!(s = cJSON_CreateObject()) || !cJSON_AddItemToArray(st, s)) {
						cJSON_Delete(s);
						break;
					}
					cJSON_AddStringToObject(s, "name", steps[k]);
					if (k + 1 < cur)
						cJSON_AddTrueToObject(s, "done");
					if (k + 1 == cur)
						cJSON_AddTrueToObject(s, "current");
				}
			if ((st = cJSON_AddArrayToObject(x, "items")))
				add_return_items(st, ret->items, ret->nitems);
			if (ret->state == RET_REQUESTED)
				cJSON_AddStringToObject(x, "note", "We have your request and will confirm it shortly.");
			else if (ret->state == RET_REJECTED)
				cJSON_AddStringToObject(x, "note", "We could not accept this return. Please contact us.");
			else if (ret->state >= RET_APPROVED && ret->state <= RET_PICKUP_SCHEDULED)
				cJSON_AddStringToObject(x, "note", cfg->instructions[0]
									   ? cfg->instructions
									   : "Please pack the items securely and send them back "
									     "to us. Your refund follows once we have received "
									     "and checked them.");
		}
		if (newest)
			cJSON_ReplaceItemInObject(v, "status_label", cJSON_CreateString(ret_customer_label(newest)));
	}
	ncan = returns_returnable(cfg, os, clock_wall_ms(), can, RET_LINES_MAX);
	if (ncan && cfg->nreasons && ls->secretlen) {
		char csrf[LINK_TOKEN_MAX], label[RET_REASON_MAX + 1], name[24];
		struct buf url = BUF_INIT;
		cJSON *form = cJSON_AddObjectToObject(v, "return_form"), *lines, *reasons;
		if (!form || link_make(ls->secret, ls->secretlen, LINK_PURPOSE_RETURN_FORM, os->order, expires, csrf))
			return;
		buf_printf(&url, "/track/%s/return", token);
		cJSON_AddStringToObject(form, "action", url.p);
		buf_release(&url);
		cJSON_AddStringToObject(form, "csrf", csrf);
		if ((lines = cJSON_AddArrayToObject(form, "lines")))
			for (size_t i = 0; i < ncan; i++) {
				if (!(x = cJSON_CreateObject()) || !cJSON_AddItemToArray(lines, x)) {
					cJSON_Delete(x);
					break;
				}
				snprintf(name, sizeof(name), "q%zu", i);
				cJSON_AddStringToObject(x, "field", name);
				snprintf(name, sizeof(name), "s%zu", i);
				cJSON_AddStringToObject(x, "sku_field", name);
				cJSON_AddStringToObject(x, "sku", can[i].sku);
				cJSON_AddStringToObject(x, "name", can[i].name[0] ? can[i].name : can[i].sku);
				cJSON_AddNumberToObject(x, "max", can[i].quantity);
			}
		if ((reasons = cJSON_AddArrayToObject(form, "reasons")))
			for (size_t i = 0; i < cfg->nreasons; i++) {
				if (!(x = cJSON_CreateObject()) || !cJSON_AddItemToArray(reasons, x)) {
					cJSON_Delete(x);
					break;
				}
				reason_label(cfg->reasons[i], label, sizeof(label));
				cJSON_AddStringToObject(x, "value", cfg->reasons[i]);
				cJSON_AddStringToObject(x, "label", label);
			}
	}
}

static const char *action_text(const char *status, const char *detail, const char *carrier)
{
	if (status && !strcmp(status, "available_for_pickup"))
		return "Action needed — your parcel is waiting for you at a pickup point. Collect it with ID "
		       "before the carrier returns it.";
	if (detail && !strcmp(detail, "address_issue"))
		return "Action needed — the carrier cannot deliver to the address given. Contact us to confirm "
		       "or correct your address.";
	if (detail && !strcmp(detail, "customs_hold"))
		return "Action needed — customs needs information or payment before releasing your parcel. "
		       "Follow the carrier's instructions or contact us.";
	(void)carrier;
	return "Action needed — please contact us so we can get your parcel moving again.";
}

/* Appends {name, quantity} for each item of src (the projection's items). */
static void add_items(cJSON *dst, const cJSON *src)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, src) {
		cJSON *x = cJSON_CreateObject();
		const cJSON *q = cJSON_GetObjectItemCaseSensitive(it, "quantity");
		if (!x)
			break;
		cJSON_AddStringToObject(x, "name", jstr(it, "name") ? jstr(it, "name")
							     : jstr(it, "sku") ? jstr(it, "sku") : "Item");
		cJSON_AddNumberToObject(x, "quantity", cJSON_IsNumber(q) ? q->valuedouble : 1);
		cJSON_AddItemToArray(dst, x);
	}
}

/* Carriers rarely say what a parcel holds: the only parcel holds the order's
 * items; with several parcels none of which lists items (or none yet), the
 * order's items are listed once, apart. */
static void place_order_items(cJSON *v, const cJSON *o, int nitems)
{
	const cJSON *oitems = cJSON_GetObjectItemCaseSensitive(o, "items");
	cJSON *pkgs = cJSON_GetObjectItemCaseSensitive(v, "packages"), *dst;

	if (nitems || !cJSON_GetArraySize(oitems))
		return;
	if (cJSON_GetArraySize(pkgs) == 1)
		dst = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(pkgs, 0), "items");
	else if ((dst = cJSON_AddArrayToObject(v, "order_items")))
		cJSON_AddTrueToObject(v, "has_order_items");
	if (dst)
		add_items(dst, oitems);
}

/* "Mar 9, 08:00 UTC - 12:00 UTC" (the end's date too when it is another day). */
static void window_text(int64_t start, int64_t end, char *out, size_t cap)
{
	char a[48], b[48];

	page_datetime(start, a, sizeof(a));
	page_datetime(end, b, sizeof(b));
	if (start / 86400000 == end / 86400000 && strchr(b, ','))
		snprintf(out, cap, "%s - %s", a, strchr(b, ',') + 2);
	else
		snprintf(out, cap, "%s - %s", a, b);
}

/* [web] reschedule_url with {order} and {tracking} replaced (escaped). */
static void reschedule_link(const char *tmpl, const char *order, const char *tracking, struct buf *out)
{
	for (const char *c = tmpl; *c; c++) {
		if (!strncmp(c, "{order}", 7)) {
			page_url_escape(out, order);
			c += 6;
		} else if (!strncmp(c, "{tracking}", 10)) {
			page_url_escape(out, tracking);
			c += 9;
		} else {
			buf_putc(out, *c);
		}
	}
}

/*
 * Appointments, a route's progress and proof of delivery on one package
 * (docs/appointments.md): the window and the way to book another, the stops
 * before the customer's, and of the proof only what is the customer's own
 * to see: where it was left, and an installation.  Who signed (maybe a
 * neighbour), the photo and the coordinates are for staff.
 */
static void add_delivery(struct http_req *r, cJSON *pk, const cJSON *p, const char *order, const char *tn)
{
	const cJSON *ap = cJSON_GetObjectItemCaseSensitive(p, "appointment");
	const cJSON *win = cJSON_GetObjectItemCaseSensitive(ap ? ap : p, "window");
	const cJSON *proof = cJSON_GetObjectItemCaseSensitive(p, "proof");
	const cJSON *stops = cJSON_GetObjectItemCaseSensitive(p, "stops_away");
	const char *pst = jstr(p, "status"), *ast = jstr(ap, "state"), *left = jstr(proof, "left_at");
	const char *tmpl = web_of(r)->cfg.reschedule_url;
	char when[128], line[256];
	bool open = pst && strcmp(pst, "delivered") && strcmp(pst, "cancelled") && strcmp(pst, "returned_to_sender");

	if (open && ast) {
		bool missed = !strcmp(ast, "missed");
		if (jtime(win, "start"))
			window_text(jtime(win, "start"), jtime(win, "end"), when, sizeof(when));
		else
			snprintf(when, sizeof(when), "a time to be agreed");
		if (missed)
			snprintf(line, sizeof(line), "The delivery appointment was missed. Please choose a new time.");
		else if (!strcmp(ast, "offered"))
			snprintf(line, sizeof(line), "Delivery appointment offered: %s. Please confirm or choose another time.",
				 when);
		else
			snprintf(line, sizeof(line), "Delivery appointment: %s", when);
		cJSON_AddStringToObject(pk, "appointment", line);
		if (missed)
			cJSON_AddTrueToObject(pk, "appointment_missed");
		if (tmpl[0]) {
			struct buf b = BUF_INIT;
			reschedule_link(tmpl, order, tn, &b);
			if (b.p)
				cJSON_AddStringToObject(pk, "reschedule_url", b.p);
			buf_release(&b);
		}
	} else if (open && pst && !strcmp(pst, "out_for_delivery") && jtime(win, "start")) {
		window_text(jtime(win, "start"), jtime(win, "end"), when, sizeof(when));
		snprintf(line, sizeof(line), "Expected %s", when);
		cJSON_AddStringToObject(pk, "window", line);
	}
	if (open && pst && !strcmp(pst, "out_for_delivery") && cJSON_IsNumber(stops)) {
		if (stops->valueint == 0)
			snprintf(line, sizeof(line), "You are the driver's next stop.");
		else
			snprintf(line, sizeof(line), "The driver has %d %s before yours.", stops->valueint,
				 stops->valueint == 1 ? "stop" : "stops");
		cJSON_AddStringToObject(pk, "stops", line);
	}
	if (pst && !strcmp(pst, "delivered")) {
		if (left && left[0]) {
			snprintf(line, sizeof(line), "Left at: %s", left);
			cJSON_AddStringToObject(pk, "left_at", line);
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "installed")))
			cJSON_AddStringToObject(pk, "installed", "Delivered and installed");
	}
}

#define NOT_RECEIVED_DAYS 60

/* The page offers "I haven't received it": an order shown delivered (in
 * part or whole), its last delivery within NOT_RECEIVED_DAYS, not reported
 * yet. */
static bool not_received_open(const cJSON *o, int64_t now)
{
	const char *st = jstr(o, "status");
	const cJSON *p;
	int64_t last = 0;

	if (!st || (strcmp(st, "delivered") && strcmp(st, "partially_delivered")) ||
	    cJSON_GetObjectItemCaseSensitive(o, "not_received"))
		return false;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "packages"))
		if (!jstr(p, "return_id") && jtime(p, "delivered_at") > last)
			last = jtime(p, "delivered_at");
	return last && now - last <= (int64_t)NOT_RECEIVED_DAYS * 86400000;
}

static cJSON *build_view(struct http_req *r, const cJSON *o, const char *token, const char *order)
{
	static const char *const step_keys[] = { "ordered", "preparing", "shipped", "out_for_delivery",
						 "delivered" };
	static const char *const step_names[] = { "Ordered", "Preparing", "Shipped", "Out for delivery",
						  "Delivered" };
	cJSON *v = cJSON_CreateObject(), *steps, *pkgs, *ret = NULL;
	const cJSON *cv = cJSON_GetObjectItemCaseSensitive(o, "customer_view");
	const cJSON *step = cJSON_GetObjectItemCaseSensitive(cv, "step");
	const cJSON *cust = cJSON_GetObjectItemCaseSensitive(o, "customer");
	const cJSON *flags = cJSON_GetObjectItemCaseSensitive(o, "flags"), *p, *f;
	const char *status = jstr(o, "status"), *first = jstr(cust, "first_name");
	int cur = cJSON_IsNumber(step) ? step->valueint : 1;
	int64_t promised = jtime(o, "promised_by"), newest_eta = 0;
	int nitems = 0;
	bool delayed = false, cancelled = status && !strcmp(status, "cancelled");
	char buf[96], title[EV_ORDER_MAX + 16];
	struct buf stream = BUF_INIT;

	if (!v)
		return NULL;
	snprintf(title, sizeof(title), "Order %s", order);
	cJSON_AddStringToObject(v, "title", title);
	cJSON_AddStringToObject(v, "order", order);
	cJSON_AddStringToObject(v, "status", status ? status : "placed");
	cJSON_AddStringToObject(v, "status_label", jstr(cv, "label") ? jstr(cv, "label") : "Ordered");
	cJSON_AddStringToObject(v, "updated_at", jstr(o, "updated_at") ? jstr(o, "updated_at") : "");
	buf_printf(&stream, "/track/%s/stream", token);
	cJSON_AddStringToObject(v, "stream", stream.p);
	cJSON_AddStringToObject(v, "script", "/static/track.js");
	buf_release(&stream);
	if (first && first[0])
		cJSON_AddStringToObject(v, "first_name", first);
	if (cancelled)
		cJSON_AddTrueToObject(v, "cancelled");
	if (cur < 1 || cur > 5)
		cur = 1;
	steps = cJSON_AddArrayToObject(v, "steps");
	for (int i = 0; i < 5 && steps; i++) {
		cJSON *s = cJSON_CreateObject();
		if (!s)
			break;
		cJSON_AddStringToObject(s, "key", step_keys[i]);
		cJSON_AddStringToObject(s, "name", step_names[i]);
		if (i + 1 < cur)
			cJSON_AddTrueToObject(s, "done");
		if (i + 1 == cur)
			cJSON_AddTrueToObject(s, "current");
		cJSON_AddItemToArray(steps, s);
	}
	cJSON_ArrayForEach(f, flags)
		if (cJSON_IsString(f) && !strcmp(f->valuestring, "delayed"))
			delayed = true;
	if (promised) {
		page_date(promised, buf, sizeof(buf));
		cJSON_AddStringToObject(v, "promised", buf);
	}
	pkgs = cJSON_AddArrayToObject(v, "packages");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "packages")) {
		cJSON *pk = cJSON_CreateObject(), *items;
		const char *tn = jstr(p, "tracking_number"), *pst = jstr(p, "status"), *det = jstr(p, "detail");
		const cJSON *pcv = cJSON_GetObjectItemCaseSensitive(p, "customer_view");
		const cJSON *act = cJSON_GetObjectItemCaseSensitive(p, "action_required");
		/* the one date: the prediction's choice (docs/predictions.md), else the carrier's */
		int64_t best = jtime(cJSON_GetObjectItemCaseSensitive(p, "predicted"), "best");
		int64_t carrier_eta = jtime(p, "estimated_delivery"), delivered = jtime(p, "delivered_at");
		int64_t eta = best ? best : carrier_eta;
		if (jstr(p, "return_id")) {
			cJSON_Delete(pk);
			continue; /* a return parcel: the return's section shows it */
		}
		if (!pk || !pkgs)
			break;
		cJSON_AddItemToArray(pkgs, pk);
		cJSON_AddStringToObject(pk, "tracking", tn ? tn : "");
		add_carrier(pk, jstr(p, "carrier"), tn ? tn : "");
		cJSON_AddStringToObject(pk, "status_label", jstr(pcv, "label") ? jstr(pcv, "label") : "");
		if ((items = cJSON_AddArrayToObject(pk, "items")))
			add_items(items, cJSON_GetObjectItemCaseSensitive(p, "items"));
		add_delivery(r, pk, p, order, tn ? tn : "");
		nitems += cJSON_GetArraySize(items);
		if (delivered) {
			page_date(delivered, buf, sizeof(buf));
			cJSON_AddStringToObject(pk, "delivered_on", buf);
		} else if (eta && !(pst && !strcmp(pst, "returned_to_sender")) &&
			   !(pst && !strcmp(pst, "cancelled"))) {
			page_date(eta, buf, sizeof(buf));
			cJSON_AddStringToObject(pk, "eta", buf);
			/* late is the carrier's word (or the store's), not a guess */
			if (promised && carrier_eta > promised)
				delayed = true;
			if (eta > newest_eta)
				newest_eta = eta;
		}
		if (det && (!strcmp(det, "delayed") || !strcmp(det, "weather_delay") ||
			    !strcmp(det, "late_vs_promise")))
			delayed = true;
		if (cJSON_IsTrue(act) && !cJSON_GetObjectItemCaseSensitive(v, "action"))
			cJSON_AddStringToObject(v, "action", action_text(pst, det, jstr(p, "carrier")));
		if (pst && !strcmp(pst, "returned_to_sender")) {
			cJSON *rp;
			if (!ret && (!(ret = cJSON_AddArrayToObject(v, "returning")) ||
				     !cJSON_AddTrueToObject(v, "has_returning")))
				continue;
			if ((rp = cJSON_CreateObject())) {
				cJSON_AddStringToObject(rp, "tracking", tn ? tn : "");
				cJSON_AddStringToObject(rp, "label", "Your parcel is on its way back to us");
				cJSON_AddItemToArray(ret, rp);
			}
		}
	}
	place_order_items(v, o, nitems);
	if (delayed && !cancelled && cur < 5) {
		char line[160];
		if (newest_eta) {
			page_date(newest_eta, buf, sizeof(buf));
			snprintf(line, sizeof(line), "Delayed — new date %s", buf);
		} else {
			snprintf(line, sizeof(line), "Delayed — new date to be confirmed by the carrier");
		}
		cJSON_AddStringToObject(v, "delay", line);
	}
	/* the mail-order rule's choice: wait for the new date, or cancel for a
	 * prompt refund (docs/web.md "Cancel and refund") */
	if (jtime(cJSON_GetObjectItemCaseSensitive(o, "not_received"), "at")) {
		char line[256];
		page_date(jtime(cJSON_GetObjectItemCaseSensitive(o, "not_received"), "at"), buf, sizeof(buf));
		snprintf(line, sizeof(line),
			 "You told us on %s that your order has not arrived. Our support team is checking the "
			 "carrier's proof of delivery and will contact you within one working day.",
			 buf);
		cJSON_AddStringToObject(v, "not_received", line);
	} else if (not_received_open(o, clock_wall_ms())) {
		struct buf url = BUF_INIT;
		buf_printf(&url, "/track/%s/not-received", token);
		cJSON_AddStringToObject(v, "not_received_url", url.p);
		buf_release(&url);
	}
	if (jtime(o, "cancel_requested_at")) {
		char line[256];
		page_date(jtime(o, "cancel_requested_at"), buf, sizeof(buf));
		snprintf(line, sizeof(line),
			 "You asked to cancel this order on %s. The shop will confirm the cancellation and your refund.",
			 buf);
		cJSON_AddStringToObject(v, "cancel_requested", line);
	} else if (delayed && !cancelled && cur < 5 && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "refund"))) {
		struct buf url = BUF_INIT;
		buf_printf(&url, "/track/%s/cancel", token);
		cJSON_AddStringToObject(v, "cancel_url", url.p);
		buf_release(&url);
	}
	{
		const cJSON *refund = cJSON_GetObjectItemCaseSensitive(o, "refund");
		if (cJSON_IsObject(refund)) {
			int64_t at = jtime(refund, "at");
			char line[128];
			page_date(at, buf, sizeof(buf));
			snprintf(line, sizeof(line), "%s refund issued on %s",
				 jstr(refund, "status") && !strcmp(jstr(refund, "status"), "full") ? "Full" : "Partial",
				 buf);
			cJSON_AddStringToObject(v, "refund", line);
		}
	}
	return v;
}

/* The order a page's link names: its number, this thread's store and its
 * stored JSON (free()); false with the answer set for a bad or expired link
 * and for an order erased since (the same page: nothing tells them apart). */
static bool open_link(struct http_req *r, const char *token, char order[EV_ORDER_MAX + 1], struct store **st,
		      char **json, int64_t *exp)
{
	enum werr err;

	*json = NULL;
	if (!verify_token_until(r, token, order, exp)) {
		invalid_link(r);
		return false;
	}
	if (!(*st = app_reader(web_app(r), r)))
		return false;
	err = store_get_order(*st, order, json);
	if (err == WERR_NOT_FOUND)
		invalid_link(r);
	else if (err)
		http_werr(r, err, "unable to read the order");
	if (err) {
		free(*json);
		*json = NULL;
	}
	return !err;
}

enum http_result web_track_page(struct http_req *r)
{
	const char *token = r->param;
	char order[EV_ORDER_MAX + 1], *json = NULL;
	struct event *evs = NULL;
	enum ev_outcome *outc = NULL;
	struct order_state os;
	struct store *st;
	cJSON *o = NULL, *v = NULL;
	size_t n = 0;
	int64_t exp;
	enum werr err;

	order_init(&os);
	if (!open_link(r, token, order, &st, &json, &exp))
		return HTTP_DONE;
	/* the events, folded once: the timeline's outcomes and the returns */
	if ((err = store_order_events(st, order, &evs, &n)) ||
	    (n && !(outc = calloc(n, sizeof(*outc))) && (err = WERR_NOMEM)) ||
	    (n && (err = store_fold(st, web_app(r)->policy, evs, n, &os, outc)))) {
		http_werr(r, err, "unable to read the order's events");
		goto out;
	}
	if (!(o = cJSON_Parse(json))) {
		http_werr(r, WERR_NOMEM, "unable to build the page");
		goto out;
	}
	if ((err = view_add_predictions(st, order, cJSON_GetObjectItemCaseSensitive(o, "packages")))) {
		http_werr(r, err, "unable to read the order's predictions");
		goto out;
	}
	if (!(v = build_view(r, o, token, order))) {
		http_werr(r, WERR_NOMEM, "unable to build the page");
		goto out;
	}
	add_returns(r, &os, token, exp, v);
	add_milestones(&web_app(r)->policy->milestones, &os, v);
	if ((err = add_events(evs, n, outc, &os, &web_app(r)->policy->milestones, v))) {
		http_werr(r, err, "unable to build the page");
		goto out;
	}
	http_add_header(r, "Cache-Control", "no-store, private");
	page_send(r, 200, "track", v);
	web_opens_note(web_of(r)->opens, web_app(r), order, clock_wall_ms());
out:
	cJSON_Delete(v);
	cJSON_Delete(o);
	free(json);
	free(outc);
	order_release(&os);
	event_array_free(evs, n);
	return HTTP_DONE;
}

/* A refused request from the page: the customer's words on a page of their own,
 * with the way back to the order (a form post is a person, not a client). */
static void refused(struct http_req *r, unsigned status, const char *token, const char *title, const char *notice)
{
	cJSON *v = cJSON_CreateObject();
	struct buf back = BUF_INIT;

	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return;
	}
	buf_printf(&back, "/track/%s", token);
	cJSON_AddStringToObject(v, "title", title);
	cJSON_AddStringToObject(v, "notice", notice);
	cJSON_AddStringToObject(v, "back", back.p);
	buf_release(&back);
	http_add_header(r, "Cache-Control", "no-store, private");
	page_send(r, status, "notice", v);
	cJSON_Delete(v);
}

/*
 * POST /track/{token}/return: "Start a return" (docs/returns.md
 * "Self-service").  The form carries a CSRF token made for this order
 * (purpose "return-form", as long as the link lasts), the quantities q<i>
 * of the returnable lines s<i> and a reason; requests share the lookup
 * form's budget per client.  A valid request is a return_requested event of
 * the source "tracking_page" (and return_approved when the shop's policy
 * approves it by itself); then back to the page (303), which shows the
 * return.  Anything else gets the page's own words, nothing recorded.
 */
enum http_result web_track_return(struct http_req *r)
{
	const char *token = r->param;
	const struct link_signer *ls = web_app(r)->links;
	char order[EV_ORDER_MAX + 1], csrf[LINK_TOKEN_MAX + 1], named[EV_ORDER_MAX + 1], reason[RET_REASON_MAX + 1];
	char field[24], val[EV_SKU_MAX + 2], id[RET_ID_MAX + 1], why[256], *json = NULL;
	struct event_item can[RET_LINES_MAX], asked[RET_LINES_MAX];
	struct event evs[2];
	struct order_state os;
	struct return_request rq;
	struct buf loc = BUF_INIT;
	unsigned char rnd[4];
	const char *code = NULL;
	size_t ncan, nasked = 0, nev = 0;
	unsigned retry = 1;
	struct store *st;
	int64_t exp, cexp;
	enum werr err;

	order_init(&os);
	if (!open_link(r, token, order, &st, &json, &exp))
		return HTTP_DONE;
	free(json);
	page_form_value(r->body.p, r->body.len, "csrf", csrf, sizeof(csrf));
	if (!ls->secretlen ||
	    link_verify(ls->secret, ls->secretlen, LINK_PURPOSE_RETURN_FORM, csrf, clock_wall_ms() / 1000, named,
			sizeof(named), &cexp) ||
	    strcmp(named, order)) {
		refused(r, 403, token, "Your return", "This form has expired. Go back to your order, reload it and try again.");
		return HTTP_DONE;
	}
	if (!lookup_allowed(r, &retry)) {
		char s[16];
		snprintf(s, sizeof(s), "%u", retry);
		http_add_header(r, "Retry-After", s);
		refused(r, 429, token, "Your return", "Too many attempts. Please wait a minute and try again.");
		return HTTP_DONE;
	}
	if ((err = view_fold(st, web_app(r)->policy, order, &os))) {
		http_werr(r, err, "unable to read the order");
		goto out;
	}
	ncan = returns_returnable(web_app(r)->returns, &os, clock_wall_ms(), can, RET_LINES_MAX);
	for (size_t i = 0; i < ncan; i++) {
		long q;
		char *end;
		snprintf(field, sizeof(field), "s%zu", i);
		/* the line the page showed at i: a list changed since is asked again */
		if (!page_form_value(r->body.p, r->body.len, field, val, sizeof(val)) || strcmp(val, can[i].sku))
			continue;
		snprintf(field, sizeof(field), "q%zu", i);
		if (!page_form_value(r->body.p, r->body.len, field, val, sizeof(val)) || !val[0])
			continue;
		q = strtol(val, &end, 10);
		if (*end || q < 0 || q > can[i].quantity) {
			refused(r, 422, token, "Your return", "Choose how many of each item to return, up to what was delivered.");
			goto out;
		}
		if (q) {
			asked[nasked] = can[i];
			asked[nasked++].quantity = (int)q;
		}
	}
	page_form_value(r->body.p, r->body.len, "reason", reason, sizeof(reason));
	if (crypto_random(rnd, sizeof(rnd))) {
		http_werr(r, WERR_INTERNAL, "unable to make an id");
		goto out;
	}
	/* the order's number and a random part: readable, never a source's id */
	snprintf(id, sizeof(id), "%.40s-R%02x%02x%02x%02x", order, rnd[0], rnd[1], rnd[2], rnd[3]);
	rq = (struct return_request){ "tracking_page", id, reason, nasked, asked };
	if (!(nev = returns_request_events(web_app(r)->returns, &os, &rq, clock_wall_ms(), evs, &code, why,
					   sizeof(why)))) {
		refused(r, strcmp(code, "invalid_field") ? 409 : 422, token, "Your return",
			       !nasked ? "Choose at least one item to return."
			       : !strcmp(code, "invalid_field")
				       ? "Choose a reason for your return."
				       : "These items can no longer be returned online. Please contact us.");
		goto out;
	}
	err = app_record(web_app(r), evs, nev, NULL);
	for (size_t i = 0; i < 2; i++)
		event_release(&evs[i]);
	if (err) {
		http_werr(r, err, "unable to record the request");
		goto out;
	}
	wlog(LOG_INFO, "return_requested", "auto_approved", nev == 2 ? "true" : "false", NULL);
	buf_printf(&loc, "/track/%s", token);
	page_redirect(r, loc.p);
	buf_release(&loc);
out:
	order_release(&os);
	return HTTP_DONE;
}

/* Records the page's one event ev (a customer's request of the source
 * "tracking_page"), logs what it was and whether it was a duplicate, and
 * sends the customer back to the page (303). */
static void record_then_back(struct http_req *r, struct event *ev, const char *token)
{
	struct buf loc = BUF_INIT;
	bool dup = false;
	enum werr err;

	snprintf(ev->source, sizeof(ev->source), "tracking_page");
	if ((err = app_record(web_app(r), ev, 1, &dup))) {
		http_werr(r, err, "unable to record the request");
		return;
	}
	wlog(LOG_INFO, ev_status_name(ev->status), "duplicate", dup ? "true" : "false", NULL);
	buf_printf(&loc, "/track/%s", token);
	page_redirect(r, loc.p);
	buf_release(&loc);
}

/*
 * POST /track/{token}/cancel: the customer asks to cancel a delayed order
 * for a refund.  Recorded as a cancel_requested event of the source
 * "tracking_page" on the order's timeline (one per order: a second press
 * is a duplicate), which opens a support task (docs/exceptions.md); the
 * store cancels and refunds.  Then back to the page (303).
 */
enum http_result web_track_cancel(struct http_req *r)
{
	const char *token = r->param;
	char order[EV_ORDER_MAX + 1], *json = NULL;
	struct event ev;
	struct store *st;
	int64_t exp;

	if (!open_link(r, token, order, &st, &json, &exp))
		return HTTP_DONE;
	free(json);
	event_init(&ev);
	snprintf(ev.order, sizeof(ev.order), "%s", order);
	snprintf(ev.id, sizeof(ev.id), "cancel_request");
	ev.status = EV_CANCEL_REQUESTED;
	ev.occurred_at = clock_wall_ms();
	record_then_back(r, &ev, token);
	return HTTP_DONE;
}

/*
 * POST /track/{token}/not-received: "I haven't received it" on a delivered
 * order (docs/appointments.md).  Reached only through the signed link, and
 * within the lookup form's budget per client.  Recorded as a not_received
 * event of the source "tracking_page" with the customer's own words (the
 * form's "note", at most EV_DESC_MAX bytes of UTF-8; one report per order
 * and day: a second press is a duplicate), which opens a support task with
 * the carrier's proof and claim window.  Then back to the page (303), which
 * says what happens next.
 */
enum http_result web_track_not_received(struct http_req *r)
{
	const char *token = r->param;
	char order[EV_ORDER_MAX + 1], note[1024], day[WTIME_BUFSZ], *json = NULL;
	unsigned retry = 1;
	struct event ev;
	struct store *st;
	cJSON *o = NULL;
	int64_t exp, now = clock_wall_ms();
	size_t n, at;

	if (!open_link(r, token, order, &st, &json, &exp))
		return HTTP_DONE;
	o = cJSON_Parse(json);
	free(json);
	if (!lookup_allowed(r, &retry)) {
		char s[16];
		snprintf(s, sizeof(s), "%u", retry);
		http_add_header(r, "Retry-After", s);
		refused(r, 429, token, "Your order", "Too many attempts. Please wait a minute and try again.");
		goto out;
	}
	if (!o || !not_received_open(o, now)) {
		refused(r, 409, token, "Your order",
			       "This order is not shown as delivered, so there is nothing to report yet. Please contact us.");
		goto out;
	}
	page_form_value(r->body.p, r->body.len, "note", note, sizeof(note));
	if (text_check(note, strlen(note), false, &at) != TEXT_OK) {
		refused(r, 422, token, "Your order", "Please write your message again (it holds characters we cannot read).");
		goto out;
	}
	for (char *c = note; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	/* cut at EV_DESC_MAX on a character's first byte */
	n = strlen(note);
	if (n > EV_DESC_MAX)
		for (n = EV_DESC_MAX; n && ((unsigned char)note[n] & 0xC0) == 0x80; n--)
			;
	note[n] = '\0';
	event_init(&ev);
	snprintf(ev.order, sizeof(ev.order), "%s", order);
	wtime_format(now, day);
	snprintf(ev.id, sizeof(ev.id), "not_received:%.10s", day);
	memcpy(ev.description, note, n + 1); /* n <= EV_DESC_MAX (above) */
	ev.status = EV_NOT_RECEIVED;
	ev.occurred_at = now;
	record_then_back(r, &ev, token);
out:
	cJSON_Delete(o);
	return HTTP_DONE;
}

enum http_result web_track_stream(struct http_req *r)
{
	const char *token = r->param;
	char order[EV_ORDER_MAX + 1], topic[SSE_TOPIC_MAX], *json = NULL;
	struct sse_grant g = { .audience = SSE_PUBLIC };
	struct store *st;
	enum werr err;
	int64_t exp;

	if (!verify_token_until(r, token, order, &exp)) {
		http_fail(r, HE_NOT_FOUND, "this tracking link is not valid or has expired");
		return HTTP_DONE;
	}
	/* like the page: a genuine link to an order that is gone streams nothing */
	if (!(st = app_reader(web_app(r), r)))
		return HTTP_DONE;
	err = store_get_order(st, order, &json);
	free(json);
	if (err == WERR_NOT_FOUND) {
		http_fail(r, HE_NOT_FOUND, "this tracking link is not valid or has expired");
		return HTTP_DONE;
	}
	if (err) {
		http_werr(r, err, "unable to read the order");
		return HTTP_DONE;
	}
	snprintf(topic, sizeof(topic), "order:%s", order);
	/* the tracking-page budget, and the stream ends when the link does */
	g.expires_ms = exp * 1000;
	return http_sse(r, topic, &g);
}
