/*
 * notify_view.c - the minimal template view of an order (notify_view.h).
 */
#include "notify_view.h"

#include <stdio.h>
#include <string.h>

#include "../base/wtime.h"
#include "../base/banned.h"

void notify_carrier_link(const char *carrier, const char *tracking, char *out, size_t cap)
{
	static const struct {
		const char *carrier, *prefix;
	} links[] = {
		{ "ups", "https://www.ups.com/track?tracknum=" },
		{ "fedex", "https://www.fedex.com/fedextrack/?trknbr=" },
		{ "usps", "https://tools.usps.com/go/TrackConfirmAction?tLabels=" },
		{ "dhl", "https://www.dhl.com/global-en/home/tracking.html?tracking-id=" },
	};

	out[0] = '\0';
	if (!carrier || !tracking || !tracking[0])
		return;
	for (const char *p = tracking; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (!strcmp(carrier, links[i].carrier)) {
			snprintf(out, cap, "%s%s", links[i].prefix, tracking);
			return;
		}
}

/* The first word of a name ("Ada Lovelace" -> "Ada"). */
static void first_name(const char *name, char out[EV_NAME_MAX + 1])
{
	size_t n;

	while (*name == ' ')
		name++;
	n = strcspn(name, " \t");
	if (n > EV_NAME_MAX)
		n = EV_NAME_MAX;
	memcpy(out, name, n);
	out[n] = '\0';
}

static bool add_str(cJSON *o, const char *k, const char *v)
{
	return v && v[0] ? cJSON_AddStringToObject(o, k, v) != NULL : cJSON_AddNullToObject(o, k) != NULL;
}

/* "date": "2024-05-07" and "at": RFC 3339, or nulls. */
static bool add_time(cJSON *o, const char *k, int64_t ms)
{
	char iso[WTIME_BUFSZ], key[48];

	snprintf(key, sizeof(key), "%s_at", k);
	if (!ms)
		return cJSON_AddNullToObject(o, k) && cJSON_AddNullToObject(o, key);
	wtime_format(ms, iso);
	if (!cJSON_AddStringToObject(o, key, iso))
		return false;
	iso[10] = '\0';
	return cJSON_AddStringToObject(o, k, iso) != NULL;
}

static cJSON *items_json(const struct event_item *items, size_t n)
{
	cJSON *a = cJSON_CreateArray(), *it;

	for (size_t i = 0; a && i < n; i++) {
		if (!(it = cJSON_CreateObject()) || !cJSON_AddItemToArray(a, it) ||
		    !add_str(it, "name", items[i].name[0] ? items[i].name : items[i].sku) ||
		    !add_str(it, "sku", items[i].sku) || !cJSON_AddNumberToObject(it, "quantity", items[i].quantity)) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static cJSON *package_json(const struct package_state *p)
{
	cJSON *o = cJSON_CreateObject(), *items;
	char link[256];
	bool ok = o;

	notify_carrier_link(p->carrier, p->tracking, link, sizeof(link));
	ok = ok && add_str(o, "tracking_number", p->tracking);
	ok = ok && add_str(o, "carrier", p->carrier);
	ok = ok && add_str(o, "carrier_link", link);
	ok = ok && add_str(o, "status", pkg_status_name(p->status));
	ok = ok && add_str(o, "status_label", pkg_customer_label(p->status));
	ok = ok && add_str(o, "detail", p->detail);
	ok = ok && cJSON_AddBoolToObject(o, "action_required", p->action_required);
	ok = ok && add_time(o, "shipped", p->shipped_at);
	ok = ok && add_time(o, "estimated", p->estimated_delivery);
	ok = ok && add_time(o, "delivered", p->delivered_at);
	ok = ok && add_str(o, "city", p->location.city); /* city level only, as on the tracking page */
	ok = ok && (items = items_json(p->items, p->nitems)) && cJSON_AddItemToObject(o, "items", items);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The return a message is about: its id, words, items and refund, and the
 * shop's instructions for sending it back. */
static cJSON *return_json(const struct return_state *r, const char *instructions)
{
	cJSON *o = cJSON_CreateObject(), *items;
	bool ok = o;

	ok = ok && add_str(o, "id", r->id);
	ok = ok && add_str(o, "state", ret_step_name(r->state));
	ok = ok && add_str(o, "label", ret_customer_label(r));
	ok = ok && add_str(o, "reason", r->reason);
	ok = ok && (items = items_json(r->items, r->nitems)) && cJSON_AddItemToObject(o, "items", items);
	ok = ok && cJSON_AddBoolToObject(o, "has_items", r->nitems > 0);
	ok = ok && add_str(o, "tracking_number", r->nparcels ? r->parcels[0] : NULL);
	ok = ok && add_time(o, "received", r->received_at);
	if (ok && r->has_refund) {
		char amount[48];
		snprintf(amount, sizeof(amount), "%.2f%s%s", r->refund_amount, r->currency[0] ? " " : "", r->currency);
		ok = add_str(o, "refund_amount", amount);
	}
	ok = ok && add_str(o, "instructions", instructions);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool add_exception(cJSON *v, const struct rules_exception *x)
{
	cJSON *e;

	if (!x)
		return cJSON_AddNullToObject(v, "exception") != NULL;
	return (e = cJSON_AddObjectToObject(v, "exception")) && add_str(e, "kind", exc_kind_name(x->kind)) &&
	       add_str(e, "reason", x->reason) &&
	       add_str(e, "team", x->owner >= AUD_SUPPORT && x->owner <= AUD_RETURNS && x->owner != AUD_SUBSCRIBERS
					  ? rule_audience_name(x->owner) : "support") &&
	       add_str(e, "priority", x->priority) && add_time(e, "since", x->since);
}

bool notify_view_add_timeline(cJSON *view, const struct event *evs, size_t n, size_t max)
{
	cJSON *a = cJSON_AddArrayToObject(view, "timeline"), *it;
	char iso[WTIME_BUFSZ];

	for (size_t i = n > max ? n - max : 0; a && i < n; i++) {
		const struct event *e = &evs[i];
		wtime_format(e->occurred_at, iso);
		if (!(it = cJSON_CreateObject()) || !cJSON_AddItemToArray(a, it) || !add_str(it, "at", iso) ||
		    !add_str(it, "source", e->source) || !add_str(it, "status", ev_status_name(e->status)) ||
		    !add_str(it, "detail", e->detail) || !add_str(it, "package", e->package) ||
		    !add_str(it, "carrier", e->carrier) || !add_str(it, "city", e->location.city))
			return false;
	}
	return a && cJSON_AddBoolToObject(view, "has_timeline", n > 0);
}

/* "shop_milestone": the shop's own milestone the order is in, with its
 * label in the message's locale; null when none. */
static bool add_shop_milestone(cJSON *v, const struct order_state *o, const struct ms_config *mc, const char *locale)
{
	const struct ms_reached *m = o->ms_current >= 0 ? &o->ms_reached[o->ms_current] : NULL;
	int d = m && mc ? ms_find(mc, m->name) : -1;
	cJSON *s;

	if (!m)
		return cJSON_AddNullToObject(v, "shop_milestone") != NULL;
	return (s = cJSON_AddObjectToObject(v, "shop_milestone")) && add_str(s, "name", m->name) &&
	       add_str(s, "label", d >= 0 ? ms_label(&mc->defs[d], locale) : m->name) && add_time(s, "date", m->at);
}

cJSON *notify_view(const struct order_state *o, const struct notify_view_ctx *c)
{
	cJSON *v = cJSON_CreateObject(), *dates, *pkgs, *p, *support, *flags, *items;
	char name[EV_NAME_MAX + 1];
	int64_t shipped = 0, estimated = 0, delivered = 0;
	bool ok = v;

	first_name(o->customer.name, name);
	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *ps = &o->packages[i];
		if (ps->is_return)
			continue;
		if (ps->shipped_at && (!shipped || ps->shipped_at < shipped))
			shipped = ps->shipped_at;
		if (ps->status != PKG_DELIVERED && ps->status != PKG_CANCELLED && ps->estimated_delivery > estimated)
			estimated = ps->estimated_delivery;
		if (ps->delivered_at > delivered)
			delivered = ps->delivered_at;
	}
	ok = ok && add_str(v, "first_name", name);
	ok = ok && add_str(v, "order_number", o->order);
	ok = ok && add_str(v, "status", ord_status_name(o->status));
	ok = ok && add_str(v, "status_label", ord_customer_label(o->status));
	ok = ok && add_str(v, "milestone", c ? c->milestone : NULL);
	ok = ok && add_str(v, "trigger", c ? c->trigger : NULL);
	ok = ok && add_str(v, "rule", c ? c->rule : NULL);
	ok = ok && add_str(v, "locale", c && c->locale && c->locale[0] ? c->locale : "en");
	ok = ok && add_str(v, "tracking_url", c ? c->tracking_url : NULL);
	ok = ok && add_str(v, "shop_name", c ? c->shop_name : NULL);
	ok = ok && (dates = cJSON_AddObjectToObject(v, "dates"));
	ok = ok && add_time(dates, "placed", o->placed_at) && add_time(dates, "shipped", shipped) &&
	     add_time(dates, "estimated", estimated) && add_time(dates, "promised", o->promised_by) &&
	     add_time(dates, "delivered", o->status == ORD_DELIVERED ? delivered : 0) &&
	     add_time(dates, "refunded", o->refunded_at);
	ok = ok && (flags = cJSON_AddObjectToObject(v, "flags"));
	ok = ok && cJSON_AddBoolToObject(flags, "delayed", (o->flags & FLAG_DELAYED) != 0) &&
	     cJSON_AddBoolToObject(flags, "action_required", (o->flags & FLAG_ACTION_REQUIRED) != 0) &&
	     cJSON_AddBoolToObject(flags, "exception", (o->flags & FLAG_EXCEPTION) != 0);
	ok = ok && add_str(v, "refund", o->refunded_at ? (o->refund[0] ? o->refund : "partial") : NULL);
	ok = ok && (items = items_json(o->items, o->nitems)) && cJSON_AddItemToObject(v, "items", items);
	ok = ok && cJSON_AddBoolToObject(v, "has_items", o->nitems > 0);
	ok = ok && (pkgs = cJSON_AddArrayToObject(v, "packages"));
	for (size_t i = 0; ok && i < o->npackages; i++)
		ok = (p = package_json(&o->packages[i])) && cJSON_AddItemToArray(pkgs, p);
	if (ok && c && c->package >= 0 && (size_t)c->package < o->npackages)
		ok = (p = package_json(&o->packages[c->package])) && cJSON_AddItemToObject(v, "package", p);
	else if (ok)
		ok = cJSON_AddNullToObject(v, "package") != NULL;
	if (ok && c && c->ret >= 0 && (size_t)c->ret < o->nreturns)
		ok = (p = return_json(&o->returns[c->ret], c->return_instructions)) &&
		     cJSON_AddItemToObject(v, "return", p);
	else if (ok)
		ok = cJSON_AddNullToObject(v, "return") != NULL;
	ok = ok && add_exception(v, c ? c->exc : NULL);
	ok = ok && add_shop_milestone(v, o, c ? c->milestones : NULL, c && c->locale ? c->locale : "en");
	ok = ok && (support = cJSON_AddObjectToObject(v, "support"));
	ok = ok && add_str(support, "email", c ? c->support_email : NULL) &&
	     add_str(support, "phone", c ? c->support_phone : NULL);
	if (!ok) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}
