/*
 * order_json.c - writes an order_state as the API's JSON object; see
 * order_json.h for the shape.
 *
 * The text is stored as the order's projection and compared byte for byte by
 * rebuild, so everything here is deterministic: fixed field order, times in
 * one format (wtime_format), null for a time of 0 or an empty string, and no
 * floating point.
 */
#include "order_json.h"

#include <string.h>

#include "../base/wtime.h"
#include "../base/banned.h"

/* Errors stick: every helper does nothing once one failed, so the writer
 * below reads as a straight list of fields and checks once at the end. */
struct jw {
	struct buf *b;
	enum werr err;
};

static void raw(struct jw *w, const char *s)
{
	if (!w->err)
		w->err = buf_puts(w->b, s);
}

static void str(struct jw *w, const char *s)
{
	if (!w->err)
		w->err = buf_json_str(w->b, s);
}

static void str_or_null(struct jw *w, const char *s)
{
	if (s && s[0])
		str(w, s);
	else
		raw(w, "null");
}

static void time_or_null(struct jw *w, int64_t ms)
{
	char t[WTIME_BUFSZ];

	if (ms)
		str(w, wtime_format(ms, t));
	else
		raw(w, "null");
}

static void num(struct jw *w, long long v)
{
	if (!w->err)
		w->err = buf_printf(w->b, "%lld", v);
}

/* "name": with the comma before every field but the first of an object. */
static void key(struct jw *w, const char *k, bool first)
{
	if (!first)
		raw(w, ",");
	str(w, k);
	raw(w, ":");
}

static void items(struct jw *w, const struct event_item *it, size_t n)
{
	raw(w, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			raw(w, ",");
		raw(w, "{");
		key(w, "sku", true);
		str(w, it[i].sku);
		key(w, "name", false);
		str(w, it[i].name);
		key(w, "quantity", false);
		num(w, it[i].quantity);
		raw(w, "}");
	}
	raw(w, "]");
}

static void customer_view(struct jw *w, enum cust_step step, const char *label)
{
	raw(w, "{");
	key(w, "step", true);
	num(w, step);
	key(w, "step_name", false);
	str(w, cust_step_name(step));
	key(w, "label", false);
	str(w, label);
	raw(w, "}");
}

static void location(struct jw *w, const struct event_location *l)
{
	if (!l->city[0] && !l->region[0] && !l->country[0]) {
		raw(w, "null");
		return;
	}
	raw(w, "{");
	key(w, "city", true);
	str_or_null(w, l->city);
	key(w, "region", false);
	str_or_null(w, l->region);
	key(w, "country", false);
	str_or_null(w, l->country);
	raw(w, "}");
}

/* The first word of the name: templates and pages greet, never address. */
static void customer(struct jw *w, const struct event_customer *c)
{
	const char *s = c->name;
	size_t n = 0;
	char first[EV_NAME_MAX + 1];

	while (*s == ' ' || *s == '\t')
		s++;
	while (s[n] && s[n] != ' ' && s[n] != '\t' && n < EV_NAME_MAX)
		n++;
	raw(w, "{");
	if (n) {
		memcpy(first, s, n);
		first[n] = '\0';
		key(w, "first_name", true);
		str(w, first);
	}
	raw(w, "}");
}

static void window(struct jw *w, const char *name, int64_t start, int64_t end)
{
	key(w, name, false);
	if (!start) {
		raw(w, "null");
		return;
	}
	raw(w, "{");
	key(w, "start", true);
	time_or_null(w, start);
	key(w, "end", false);
	time_or_null(w, end);
	raw(w, "}");
}

/* Rule 12's fields, each only when a source gave it: the projections of
 * parcels without them stay as they were. */
static void package_extras(struct jw *w, const struct package_state *p)
{
	const struct event_proof *pr = &p->proof;

	if (p->appt.state != EV_UNKNOWN) {
		key(w, "appointment", false);
		raw(w, "{");
		key(w, "state", true);
		str(w, ev_status_name(p->appt.state) + strlen("appointment_"));
		key(w, "at", false);
		time_or_null(w, p->appt.at);
		window(w, "window", p->appt.window_start, p->appt.window_end);
		key(w, "reason", false);
		str_or_null(w, p->appt.reason);
		key(w, "source", false);
		str(w, p->appt.source);
		raw(w, "}");
	}
	if (p->window_start)
		window(w, "window", p->window_start, p->window_end);
	if (p->has_stops) {
		key(w, "stops_away", false);
		num(w, p->stops_away);
	}
	if (pr->signed_by[0] || pr->url[0] || pr->left_at[0] || pr->has_geo) {
		key(w, "proof", false);
		raw(w, "{");
		key(w, "signed_by", true);
		str_or_null(w, pr->signed_by);
		key(w, "url", false);
		str_or_null(w, pr->url);
		key(w, "left_at", false);
		str_or_null(w, pr->left_at);
		key(w, "geo", false);
		if (pr->has_geo && !w->err)
			w->err = buf_printf(w->b, "{\"lat\":%.7f,\"lng\":%.7f}", pr->lat, pr->lng);
		else
			raw(w, "null");
		raw(w, "}");
	}
	if (p->has_installed) {
		key(w, "installed", false);
		raw(w, p->installed ? "true" : "false");
	}
}

static void package(struct jw *w, const struct package_state *p)
{
	raw(w, "{");
	key(w, "tracking_number", true);
	str(w, p->tracking);
	key(w, "carrier", false);
	str_or_null(w, p->carrier);
	key(w, "status", false);
	str(w, pkg_status_name(p->status));
	key(w, "detail", false);
	str_or_null(w, p->detail);
	key(w, "action_required", false);
	raw(w, p->action_required ? "true" : "false");
	key(w, "status_at", false);
	time_or_null(w, p->status_at);
	key(w, "shipped_at", false);
	time_or_null(w, p->shipped_at);
	key(w, "delivered_at", false);
	time_or_null(w, p->delivered_at);
	key(w, "estimated_delivery", false);
	time_or_null(w, p->estimated_delivery);
	key(w, "service", false);
	str_or_null(w, p->service);
	key(w, "label_at", false);
	time_or_null(w, p->label_at);
	key(w, "location", false);
	location(w, &p->location);
	key(w, "items", false);
	items(w, p->items, p->nitems);
	key(w, "customer_view", false);
	customer_view(w, pkg_customer_step(p->status), pkg_customer_label(p->status));
	key(w, "return_id", false);
	str_or_null(w, p->is_return ? p->return_id : "");
	package_extras(w, p);
	raw(w, "}");
}

static void a_return(struct jw *w, const struct return_state *r)
{
	raw(w, "{");
	key(w, "id", true);
	str(w, r->id);
	key(w, "state", false);
	str(w, ret_step_name(r->state));
	key(w, "reason", false);
	str_or_null(w, r->reason);
	key(w, "disposition", false);
	str_or_null(w, r->disposition != DISP_NONE ? ret_disposition_name(r->disposition) : "");
	key(w, "resolution", false);
	str_or_null(w, r->resolved_at ? ret_step_name(r->resolution) : "");
	key(w, "refund", false);
	if (r->has_refund) {
		if (!w->err)
			w->err = buf_printf(w->b, "{\"amount\":%.15g,\"currency\":", r->refund_amount);
		str_or_null(w, r->currency);
		raw(w, "}");
	} else {
		raw(w, "null");
	}
	key(w, "cancel_ignored", false);
	raw(w, r->cancel_ignored ? "true" : "false");
	key(w, "requested_at", false);
	time_or_null(w, r->requested_at);
	key(w, "received_at", false);
	time_or_null(w, r->received_at);
	key(w, "resolved_at", false);
	time_or_null(w, r->resolved_at);
	key(w, "closed_at", false);
	time_or_null(w, r->closed_at);
	key(w, "updated_at", false);
	time_or_null(w, r->updated_at);
	key(w, "parcels", false);
	raw(w, "[");
	for (size_t i = 0; i < r->nparcels; i++) {
		if (i)
			raw(w, ",");
		str(w, r->parcels[i]);
	}
	raw(w, "]");
	key(w, "items", false);
	items(w, r->items, r->nitems);
	key(w, "claims", false);
	num(w, (long long)r->nclaims);
	key(w, "customer_view", false);
	raw(w, "{");
	key(w, "step", true);
	num(w, ret_customer_step(r));
	key(w, "label", false);
	str(w, ret_customer_label(r));
	raw(w, "}");
	raw(w, "}");
}

static void conflict(struct jw *w, const struct conflict *c)
{
	raw(w, "{");
	key(w, "package", true);
	str_or_null(w, c->package);
	key(w, "milestone", false);
	/* a parcel conflict (rule 10) names the two orders: who claims, who owns */
	str(w, c->kind == CONFLICT_PARCEL ? "parcel" : milestone_name(c->milestone));
	key(w, "claim", false);
	raw(w, "{");
	key(w, "source", true);
	str(w, c->claim_source);
	key(w, "status", false);
	str(w, ev_status_name(c->claim_status));
	key(w, "at", false);
	time_or_null(w, c->claim_at);
	if (c->kind == CONFLICT_PARCEL) {
		key(w, "order", false);
		str(w, c->claim_order);
	}
	raw(w, "}");
	key(w, "resolved", false);
	raw(w, "{");
	key(w, "source", true);
	str_or_null(w, c->owner_source);
	key(w, "status", false);
	str(w, ev_status_name(c->owner_status));
	if (c->kind == CONFLICT_PARCEL) {
		key(w, "order", false);
		str(w, c->owner_order);
	}
	raw(w, "}");
	raw(w, "}");
}

enum werr order_to_json(const struct order_state *o, struct buf *out)
{
	static const struct {
		unsigned bit;
		const char *name;
	} flag_names[] = {
		{ FLAG_DELAYED, "delayed" },
		{ FLAG_ACTION_REQUIRED, "action_required" },
		{ FLAG_EXCEPTION, "exception" },
		{ FLAG_CONFLICT, "conflict" },
	};
	struct jw w = { out, WERR_OK };
	size_t start = out->len;
	bool first = true;

	raw(&w, "{");
	key(&w, "order", true);
	str(&w, o->order);
	key(&w, "status", false);
	str(&w, ord_status_name(o->status));
	key(&w, "flags", false);
	raw(&w, "[");
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(o->flags & flag_names[i].bit))
			continue;
		if (!first)
			raw(&w, ",");
		str(&w, flag_names[i].name);
		first = false;
	}
	raw(&w, "]");
	key(&w, "customer_view", false);
	customer_view(&w, ord_customer_step(o->status), ord_customer_label(o->status));
	key(&w, "placed_at", false);
	time_or_null(&w, o->placed_at);
	key(&w, "promised_by", false);
	time_or_null(&w, o->promised_by);
	key(&w, "promised_ship_by", false);
	time_or_null(&w, o->promised_ship_by);
	key(&w, "promise_source", false);
	str_or_null(&w, o->promised_by || o->promised_ship_by ? (o->promise_from_policy ? "policy" : "store") : "");
	key(&w, "shipping_method", false);
	str_or_null(&w, o->shipping_method);
	if (o->channel[0]) {
		/* only when a store names one: other orders' projections stay as they were */
		key(&w, "channel", false);
		str(&w, o->channel);
	}
	key(&w, "value", false);
	if (o->has_value) {
		/* %.15g: the amount as given (money has at most a few decimals) */
		if (!w.err)
			w.err = buf_printf(w.b, "{\"amount\":%.15g,\"currency\":", o->value);
		str_or_null(&w, o->currency);
		raw(&w, "}");
	} else {
		raw(&w, "null");
	}
	key(&w, "ship_to", false);
	location(&w, &o->ship_to);
	key(&w, "refund", false);
	if (o->refunded_at) {
		raw(&w, "{\"status\":");
		str(&w, o->refund);
		raw(&w, ",\"at\":");
		time_or_null(&w, o->refunded_at);
		raw(&w, "}");
	} else {
		raw(&w, "null");
	}
	key(&w, "cancel_requested_at", false);
	time_or_null(&w, o->cancel_requested_at);
	if (o->not_received_at) {
		/* only once a customer reported one (rule 12) */
		key(&w, "not_received", false);
		raw(&w, "{");
		key(&w, "at", true);
		time_or_null(&w, o->not_received_at);
		key(&w, "note", false);
		str_or_null(&w, o->not_received_note);
		raw(&w, "}");
	}
	key(&w, "updated_at", false);
	time_or_null(&w, o->updated_at);
	key(&w, "last_event_at", false);
	time_or_null(&w, o->last_event_at);
	key(&w, "customer", false);
	customer(&w, &o->customer);
	key(&w, "items", false);
	items(&w, o->items, o->nitems);
	key(&w, "packages", false);
	raw(&w, "[");
	for (size_t i = 0; i < o->npackages; i++) {
		if (i)
			raw(&w, ",");
		package(&w, &o->packages[i]);
	}
	raw(&w, "]");
	key(&w, "conflicts", false);
	raw(&w, "[");
	for (size_t i = 0; i < o->nconflicts; i++) {
		if (i)
			raw(&w, ",");
		conflict(&w, &o->conflicts[i]);
	}
	raw(&w, "]");
	key(&w, "moved_parcels", false);
	raw(&w, "[");
	for (size_t i = 0; i < o->nmoved; i++) {
		if (i)
			raw(&w, ",");
		raw(&w, "{");
		key(&w, "package", true);
		str(&w, o->moved[i].tracking);
		key(&w, "to", false);
		str(&w, o->moved[i].to_order);
		key(&w, "source", false);
		str(&w, o->moved[i].source);
		key(&w, "at", false);
		time_or_null(&w, o->moved[i].at);
		raw(&w, "}");
	}
	raw(&w, "]");
	key(&w, "returns", false);
	raw(&w, "[");
	for (size_t i = 0; i < o->nreturns; i++) {
		if (i)
			raw(&w, ",");
		a_return(&w, &o->returns[i]);
	}
	raw(&w, "]");
	if (o->nms_reached) {
		/* only orders with the shop's own milestones carry the field: the
		 * projections of every other order stay as they were */
		key(&w, "milestones", false);
		raw(&w, "[");
		for (size_t i = 0; i < o->nms_reached; i++) {
			raw(&w, i ? ",{" : "{");
			key(&w, "name", true);
			str(&w, o->ms_reached[i].name);
			key(&w, "at", false);
			time_or_null(&w, o->ms_reached[i].at);
			key(&w, "left_at", false);
			time_or_null(&w, o->ms_reached[i].left_at);
			key(&w, "source", false);
			str(&w, o->ms_reached[i].source);
			key(&w, "current", false);
			raw(&w, o->ms_current == (int)i ? "true" : "false");
			key(&w, "due", false);
			time_or_null(&w, o->ms_current == (int)i ? o->ms_due : 0);
			raw(&w, "}");
		}
		raw(&w, "]");
	}
	key(&w, "events", false);
	num(&w, (long long)o->nevents);
	raw(&w, "}");
	if (w.err) {
		/* leave the buffer as it was */
		out->len = start;
		if (out->cap)
			out->p[start] = '\0';
	}
	return w.err;
}
