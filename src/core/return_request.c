/*
 * return_request.c - what an order lets its customer return, and a request
 * turned into events (return_request.h).
 */
#include "return_request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/walloc.h"
#include "../base/banned.h"

#define DAY_MS ((int64_t)86400000)

static void add_line(struct event_item *out, size_t cap, size_t *n, const struct event_item *it, int q)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(out[i].sku, it->sku)) {
			out[i].quantity += q;
			if (!out[i].name[0])
				snprintf(out[i].name, sizeof(out[i].name), "%s", it->name);
			return;
		}
	if (*n < cap) {
		out[*n] = *it;
		out[*n].quantity = q;
		(*n)++;
	}
}

/* The name the order gives a sku ("" when it lists none). */
static const char *item_name(const struct order_state *o, const char *sku)
{
	for (size_t i = 0; i < o->nitems; i++)
		if (!strcmp(o->items[i].sku, sku))
			return o->items[i].name;
	return "";
}

size_t returns_returnable(const struct returns_config *c, const struct order_state *o, int64_t now,
			  struct event_item *out, size_t cap)
{
	int64_t window = (int64_t)c->window_days * DAY_MS, last = 0;
	bool listed = false;
	size_t n = 0, k = 0;

	if (!c->window_days)
		return 0;
	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		if (p->is_return || p->status == PKG_CANCELLED)
			continue;
		listed = listed || p->nitems;
		if (p->status != PKG_DELIVERED || now - p->delivered_at > window)
			continue;
		if (p->delivered_at > last)
			last = p->delivered_at;
		for (size_t j = 0; j < p->nitems; j++)
			add_line(out, cap, &n, &p->items[j], p->items[j].quantity);
	}
	if (!listed && o->status == ORD_DELIVERED && last)
		for (size_t j = 0; j < o->nitems; j++)
			add_line(out, cap, &n, &o->items[j], o->items[j].quantity);
	/* less what the returns hold already */
	for (size_t r = 0; r < o->nreturns; r++) {
		const struct return_state *x = &o->returns[r];
		if (x->state == RET_REJECTED || x->state == RET_CANCELLED)
			continue;
		for (size_t j = 0; j < x->nitems; j++)
			for (size_t i = 0; i < n; i++)
				if (!strcmp(out[i].sku, x->items[j].sku))
					out[i].quantity -= x->items[j].quantity;
	}
	for (size_t i = 0; i < n; i++)
		if (out[i].quantity > 0) {
			out[k] = out[i];
			if (!out[k].name[0])
				snprintf(out[k].name, sizeof(out[k].name), "%s", item_name(o, out[k].sku));
			k++;
		}
	return k;
}

static size_t refuse(const char **code, const char *c, char *why, size_t cap, const char *msg, ...)
	__attribute__((format(printf, 5, 6)));

static size_t refuse(const char **code, const char *c, char *why, size_t cap, const char *msg, ...)
{
	va_list ap;

	*code = c;
	va_start(ap, msg);
	vsnprintf(why, cap, msg, ap);
	va_end(ap);
	return 0;
}

size_t returns_request_events(const struct returns_config *c, const struct order_state *o,
			      const struct return_request *rq, int64_t now, struct event evs[2], const char **code,
			      char *why, size_t cap)
{
	struct event_item can[RET_LINES_MAX];
	size_t ncan = returns_returnable(c, o, now, can, RET_LINES_MAX), nev;

	event_init(&evs[0]);
	event_init(&evs[1]);
	if (!rq->reason || !rq->reason[0] || strlen(rq->reason) > RET_REASON_MAX || !returns_reason_offered(c, rq->reason))
		return refuse(code, "invalid_field", why, cap, "'reason' must be one the shop offers");
	if (!rq->id || !rq->id[0] || strlen(rq->id) > RET_ID_MAX)
		return refuse(code, "invalid_field", why, cap, "a return needs an id of at most 64 characters");
	if (!ncan)
		return refuse(code, "window_closed", why, cap,
			      "nothing of this order can be returned now (not delivered, already returned, or more "
			      "than the shop's return window ago)");
	if (!rq->nitems || rq->nitems > RET_LINES_MAX)
		return refuse(code, "invalid_field", why, cap, "pick between 1 and 64 items to return");
	for (size_t i = 0; i < rq->nitems; i++) {
		const struct event_item *it = &rq->items[i];
		int have = 0, asked = 0;
		for (size_t j = 0; j < ncan; j++)
			if (!strcmp(can[j].sku, it->sku))
				have = can[j].quantity;
		for (size_t j = 0; j < rq->nitems; j++)
			if (!strcmp(rq->items[j].sku, it->sku))
				asked += rq->items[j].quantity;
		if (it->quantity < 1 || asked > have)
			return refuse(code, "not_returnable", why, cap,
				      "item '%s' cannot be returned in that quantity (delivered, within the window, "
				      "and not in another return)", it->sku);
	}
	nev = returns_auto_approve(c, rq->reason, o->has_value, o->value) ? 2 : 1;
	for (size_t e = 0; e < nev; e++) {
		struct event *ev = &evs[e];
		snprintf(ev->source, sizeof(ev->source), "%s", rq->source);
		snprintf(ev->id, sizeof(ev->id), "%s:%s", e ? "return_approve" : "return_request", rq->id);
		snprintf(ev->order, sizeof(ev->order), "%s", o->order);
		snprintf(ev->return_id, sizeof(ev->return_id), "%s", rq->id);
		ev->status = e ? EV_RETURN_APPROVED : EV_RETURN_REQUESTED;
		ev->occurred_at = now;
		if (!e) {
			snprintf(ev->return_reason, sizeof(ev->return_reason), "%s", rq->reason);
			ev->has_items = true;
			ev->nitems = rq->nitems;
			ev->items = wcalloc(rq->nitems, sizeof(*ev->items));
			for (size_t i = 0; i < rq->nitems; i++) {
				ev->items[i] = rq->items[i];
				for (size_t j = 0; j < ncan; j++)
					if (!strcmp(can[j].sku, rq->items[i].sku) && !ev->items[i].name[0])
						snprintf(ev->items[i].name, sizeof(ev->items[i].name), "%s", can[j].name);
			}
		} else {
			snprintf(ev->detail, sizeof(ev->detail), "auto");
		}
	}
	return nev;
}
