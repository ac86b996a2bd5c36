/*
 * answer.c - the agent's plain-language answer (answer.h).
 *
 * Built from the order's rolled-up status first (nothing shipped yet,
 * cancelled), then from its live parcels: one parcel gives one sentence
 * about "your order"; several give the count delivered and a sentence per
 * parcel still on its way.
 */
#include "answer.h"

#include <stdio.h>
#include <string.h>

#include "../base/wtime.h"
#include "kpi.h"
#include "../base/banned.h"

static const char *const weekdays[] = { "Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday",
					"Wednesday" }; /* 1970-01-01 was a Thursday */
static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
				      "August", "September", "October", "November", "December" };

static int64_t day_of(int64_t t)
{
	return kpi_day_start(t) / KPI_DAY_MS;
}

void answer_day(int64_t t, int64_t now, char *out, size_t cap)
{
	int64_t d = day_of(t), diff = d - day_of(now), y, ny;
	unsigned m, md, nm, nd;

	/* no "tomorrow"/"yesterday": an answer is pasted and read later, and a
	 * weekday stays true for days */
	if (diff == 0)
		snprintf(out, cap, "today");
	else if (diff >= -6 && diff <= 6)
		snprintf(out, cap, "on %s", weekdays[((d % 7) + 7) % 7]);
	else {
		wtime_civil_from_days(d, &y, &m, &md);
		wtime_civil_from_days(day_of(now), &ny, &nm, &nd);
		if (y == ny)
			snprintf(out, cap, "on %u %s", md, months[(m - 1) % 12]);
		else
			snprintf(out, cap, "on %u %s %lld", md, months[(m - 1) % 12], (long long)y);
	}
}

void answer_carrier(const char *code, char *out, size_t cap)
{
	static const struct {
		const char *code, *name;
	} names[] = { { "ups", "UPS" },	    { "fedex", "FedEx" }, { "usps", "USPS" },
		      { "dhl", "DHL" },	    { "dpd", "DPD" },	  { "gls", "GLS" },
		      { "tnt", "TNT" },	    { "royal_mail", "Royal Mail" },
		      { "canada_post", "Canada Post" }, { "ontrac", "OnTrac" } };

	if (!code || !code[0]) {
		snprintf(out, cap, "the carrier");
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(code, names[i].code)) {
			snprintf(out, cap, "%s", names[i].name);
			return;
		}
	snprintf(out, cap, "%s", code);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
	for (char *c = out; *c; c++)
		if (*c == '_')
			*c = ' ';
}

/* How one sentence names the parcel it is about. */
struct who {
	const char *subj; /* "Your order", "The remaining parcel" */
	const char *obj;  /* "your order", "the remaining parcel" */
};

struct ctx {
	const struct order_state *o;
	int64_t now;
	struct buf *out;
};

/* Is the parcel late against the promise, or flagged late? */
static bool is_late(const struct ctx *c, const struct package_state *p)
{
	if (p->estimated_delivery && c->o->promised_by &&
	    p->estimated_delivery > kpi_promise_deadline(c->o->promised_by))
		return true;
	return (p->status == PKG_EXCEPTION && detail_is_delay(p->detail)) ||
	       (c->o->flags & FLAG_DELAYED && p->status == PKG_IN_TRANSIT);
}

/* " and is expected on Thursday." or the late variant, or "." */
static void put_expectation(struct ctx *c, const struct package_state *p, const char *carrier)
{
	char est[48], prom[48];

	if (is_late(c, p)) {
		if (p->estimated_delivery) {
			answer_day(p->estimated_delivery, c->now, est, sizeof(est));
			buf_printf(c->out, " but is running late: it is now expected %s", est);
			if (c->o->promised_by) {
				answer_day(kpi_promise_deadline(c->o->promised_by), c->now, prom, sizeof(prom));
				buf_printf(c->out, " instead of %s", prom + (strncmp(prom, "on ", 3) ? 0 : 3));
			}
			buf_puts(c->out, ".");
		} else {
			buf_printf(c->out, " but is running late; %s has not given a new delivery date yet.",
				   carrier);
		}
		return;
	}
	if (p->estimated_delivery && p->estimated_delivery >= kpi_day_start(c->now)) {
		answer_day(p->estimated_delivery, c->now, est, sizeof(est));
		buf_printf(c->out, " and is expected %s.", est);
		return;
	}
	buf_puts(c->out, ".");
}

static void put_shipped(struct ctx *c, const struct package_state *p, const struct who *w, const char *carrier)
{
	char day[48];

	if (p->shipped_at) {
		answer_day(p->shipped_at, c->now, day, sizeof(day));
		buf_printf(c->out, "%s shipped with %s %s", w->subj, carrier, day);
	} else {
		buf_printf(c->out, "%s is on its way with %s", w->subj, carrier);
	}
	put_expectation(c, p, carrier);
}

static void put_delivered(struct ctx *c, const struct package_state *p, const struct who *w)
{
	char day[48];
	const char *d = p->detail;

	answer_day(p->delivered_at ? p->delivered_at : p->status_at, c->now, day, sizeof(day));
	if (!strcmp(d, "picked_up_by_customer")) {
		buf_printf(c->out, "%s was collected from the pickup point %s.", w->subj, day);
		return;
	}
	buf_printf(c->out, "%s was delivered %s", w->subj, day);
	if (!strcmp(d, "neighbour"))
		buf_puts(c->out, " to a neighbour");
	else if (!strcmp(d, "safe_place"))
		buf_puts(c->out, " to a safe place");
	else if (!strcmp(d, "signed"))
		buf_puts(c->out, " and signed for");
	else if (!strcmp(d, "mailbox") || !strcmp(d, "letterbox"))
		buf_puts(c->out, " to the mailbox");
	else if (!strcmp(d, "damaged"))
		buf_puts(c->out, ", but the carrier noted damage: we will arrange a replacement or refund if needed");
	buf_puts(c->out, ".");
	if (p->location.city[0] && !strcmp(d, "neighbour"))
		buf_puts(c->out, " The delivery notice says which neighbour took it.");
}

static void put_attempt(struct ctx *c, const struct package_state *p, const struct who *w, const char *carrier)
{
	char day[48], est[48];

	answer_day(p->status_at, c->now, day, sizeof(day));
	if (!strcmp(p->detail, "location_inaccessible"))
		buf_printf(c->out, "%s tried to deliver %s %s but could not reach the address.", carrier, w->obj, day);
	else
		buf_printf(c->out, "%s tried to deliver %s %s but nobody was available.", carrier, w->obj, day);
	if (p->estimated_delivery && p->estimated_delivery > p->status_at) {
		answer_day(p->estimated_delivery, c->now, est, sizeof(est));
		buf_printf(c->out, " The next attempt is planned %s;", est);
	} else {
		buf_printf(c->out, " %s will try again on the next working day;", carrier);
	}
	buf_printf(c->out, " you can also rearrange the delivery with %s using the tracking number.", carrier);
}

static void put_pickup(struct ctx *c, const struct package_state *p, const struct who *w, const char *carrier)
{
	buf_printf(c->out, "%s is waiting for you at a %s pickup point", w->subj, carrier);
	if (p->location.city[0]) {
		buf_puts(c->out, " in ");
		buf_puts(c->out, p->location.city);
	}
	buf_puts(c->out, ". Please collect it soon, before it is sent back to us.");
}

static void put_exception(struct ctx *c, const struct package_state *p, const struct who *w, const char *carrier)
{
	const char *d = p->detail;

	if (detail_is_delay(d) || !strcmp(d, "stalled")) {
		put_shipped(c, p, w, carrier);
		if (!strcmp(d, "weather_delay"))
			buf_puts(c->out, " The delay is caused by bad weather.");
		else if (!strcmp(d, "stalled"))
			buf_printf(c->out, " %s has not reported progress for a while; we are checking with them.",
				   carrier);
		return;
	}
	if (!strcmp(d, "address_issue"))
		buf_printf(c->out, "%s cannot deliver %s because of a problem with the delivery address. "
				   "Please confirm your full address so we can pass it on.", carrier, w->obj);
	else if (!strcmp(d, "customs_hold"))
		buf_printf(c->out, "%s is held at customs. %s will contact you if documents or duties are needed.",
			   w->subj, carrier);
	else if (!strcmp(d, "damaged"))
		buf_printf(c->out, "%s reported %s as damaged in transit. We will send a replacement or a refund.",
			   carrier, w->obj);
	else if (!strcmp(d, "lost"))
		buf_printf(c->out, "%s has lost track of %s. We have opened an investigation and will send a "
				   "replacement or a refund.", carrier, w->obj);
	else if (!strcmp(d, "refused"))
		buf_printf(c->out, "%s was refused at delivery and is being returned to us.", w->subj);
	else if (!strcmp(d, "recipient_unavailable"))
		put_attempt(c, p, w, carrier);
	else if (!strcmp(d, "held_by_carrier"))
		buf_printf(c->out, "%s is holding %s. We are checking with them and will update you.", carrier,
			   w->obj);
	else if (!strcmp(d, "not_handed_over"))
		buf_printf(c->out, "%s is packed, but %s has not received it yet. We are checking with the warehouse.",
			   w->subj, carrier);
	else
		buf_printf(c->out, "There is a problem with the delivery of %s; %s has been contacted and we will "
				   "update you.", w->obj, carrier);
	if (p->action_required && strcmp(d, "address_issue"))
		buf_puts(c->out, " Your action is needed: please reply to this message.");
}

/* One sentence (or two) about one parcel. */
static void put_package(struct ctx *c, const struct package_state *p, const struct who *w)
{
	char carrier[48], day[48];

	answer_carrier(p->carrier, carrier, sizeof(carrier));
	switch (p->status) {
	case PKG_UNKNOWN:
	case PKG_LABEL_CREATED:
		buf_printf(c->out, "%s is packed and waiting for %s to collect it.", w->subj,
			   p->carrier[0] ? carrier : "the carrier");
		break;
	case PKG_IN_TRANSIT:
		put_shipped(c, p, w, carrier);
		break;
	case PKG_OUT_FOR_DELIVERY:
		if (day_of(p->status_at) == day_of(c->now)) {
			buf_printf(c->out, "%s is out for delivery with %s and should arrive today.", w->subj, carrier);
		} else {
			answer_day(p->status_at, c->now, day, sizeof(day));
			buf_printf(c->out, "%s went out for delivery with %s %s.", w->subj, carrier, day);
		}
		break;
	case PKG_AVAILABLE_FOR_PICKUP:
		put_pickup(c, p, w, carrier);
		break;
	case PKG_DELIVERY_ATTEMPTED:
		put_attempt(c, p, w, carrier);
		break;
	case PKG_DELIVERED:
		put_delivered(c, p, w);
		break;
	case PKG_EXCEPTION:
		put_exception(c, p, w, carrier);
		break;
	case PKG_RETURNED_TO_SENDER:
		buf_printf(c->out, "%s is being returned to us by %s. We will contact you about a refund or a new "
				   "delivery.", w->subj, carrier);
		break;
	case PKG_CANCELLED:
	case PKG__COUNT:
		buf_printf(c->out, "The shipment of %s was cancelled.", w->obj);
		break;
	}
}

static void put_refund(struct ctx *c)
{
	char day[48];

	if (!c->o->refunded_at)
		return;
	answer_day(c->o->refunded_at, c->now, day, sizeof(day));
	buf_printf(c->out, " A %s refund was issued %s.", strcmp(c->o->refund, "full") ? "partial" : "full", day);
}

/* The newest return, in the words the page and the messages use. */
static void put_return(struct ctx *c)
{
	const struct return_state *r = NULL;
	char day[48];

	for (size_t i = 0; i < c->o->nreturns; i++)
		if (!r || c->o->returns[i].updated_at > r->updated_at)
			r = &c->o->returns[i];
	if (!r)
		return;
	answer_day(r->updated_at, c->now, day, sizeof(day));
	switch (r->state) {
	case RET_REQUESTED:
		buf_printf(c->out, " The customer asked to return items %s (return %s); it waits for the shop's decision.",
			   day, r->id);
		break;
	case RET_REJECTED:
		buf_printf(c->out, " A return (%s) was declined %s.", r->id, day);
		break;
	case RET_CANCELLED:
		buf_printf(c->out, " A return (%s) was cancelled %s.", r->id, day);
		break;
	case RET_APPROVED:
	case RET_LABEL_CREATED:
	case RET_PICKUP_SCHEDULED:
		buf_printf(c->out, " A return (%s) was approved; the items have not been sent back yet.", r->id);
		break;
	case RET_IN_TRANSIT:
		buf_printf(c->out, " The return (%s) is on its way back to us%s%s.", r->id,
			   r->nparcels ? " in parcel " : "", r->nparcels ? r->parcels[0] : "");
		break;
	case RET_RECEIVED:
	case RET_INSPECTING:
	case RET_DISPOSED:
		answer_day(r->received_at, c->now, day, sizeof(day));
		buf_printf(c->out, " The return (%s) arrived %s; the refund follows once it is checked.", r->id, day);
		break;
	default:
		buf_printf(c->out, " The return (%s) is complete: %s.", r->id, ret_customer_label(r));
		break;
	}
}

static const char *const ordinals[] = { "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
					"eighth", "ninth", "tenth" };

static void put_split(struct ctx *c, const struct package_state **live, size_t n)
{
	size_t delivered = 0, remaining;
	char subj[EV_PACKAGE_MAX + 64], obj[EV_PACKAGE_MAX + 64];

	for (size_t i = 0; i < n; i++)
		delivered += live[i]->status == PKG_DELIVERED;
	remaining = n - delivered;
	if (remaining == 0) {
		int64_t last = 0;
		char day[48];
		for (size_t i = 0; i < n; i++)
			if (live[i]->delivered_at > last)
				last = live[i]->delivered_at;
		answer_day(last, c->now, day, sizeof(day));
		buf_printf(c->out, "All %zu parcels of your order have been delivered, the last one %s.", n, day);
		return;
	}
	if (delivered)
		buf_printf(c->out, "%zu of %zu parcels of your order have been delivered.", delivered, n);
	else
		buf_printf(c->out, "Your order is coming in %zu parcels.", n);
	for (size_t i = 0, k = 0; i < n; i++) {
		const struct package_state *p = live[i];
		struct who w = { subj, obj };

		if (p->status == PKG_DELIVERED)
			continue;
		if (remaining == 1 && delivered) {
			snprintf(subj, sizeof(subj), "The remaining parcel");
			snprintf(obj, sizeof(obj), "the remaining parcel");
		} else if (k < sizeof(ordinals) / sizeof(ordinals[0]) && !delivered) {
			snprintf(subj, sizeof(subj), "The %s parcel (%s)", ordinals[k], p->tracking);
			snprintf(obj, sizeof(obj), "the %s parcel (%s)", ordinals[k], p->tracking);
		} else {
			snprintf(subj, sizeof(subj), "Parcel %s", p->tracking);
			snprintf(obj, sizeof(obj), "parcel %s", p->tracking);
		}
		k++;
		buf_putc(c->out, ' ');
		put_package(c, p, &w);
	}
}

/* The shop's own milestone the order is in, when the customer may see it
 * (docs/milestones.md). */
static const struct ms_def *visible_step(const struct order_state *o, const struct ms_config *mc)
{
	int d = mc && o->ms_current >= 0 ? ms_find(mc, o->ms_reached[o->ms_current].name) : -1;

	return d >= 0 && mc->defs[d].visible ? &mc->defs[d] : NULL;
}

enum werr answer_text(const struct order_state *o, const struct ms_config *mc, int64_t now, struct buf *out)
{
	const struct ms_def *step = visible_step(o, mc);
	struct ctx c = { o, now, out };
	const struct package_state *live[64];
	size_t nlive = 0, start = out->len;
	static const struct who order_who = { "Your order", "your order" };

	for (size_t i = 0; i < o->npackages && nlive < sizeof(live) / sizeof(live[0]); i++)
		if (o->packages[i].status != PKG_CANCELLED && !o->packages[i].is_return)
			live[nlive++] = &o->packages[i];
	switch (o->status) {
	case ORD_CANCELLED:
		buf_puts(out, "Your order was cancelled.");
		break;
	case ORD_PLACED:
	case ORD_CONFIRMED:
		buf_puts(out, step ? "We are working on your order."
				   : "We have received your order and will start preparing it soon.");
		break;
	case ORD_PROCESSING:
	case ORD_PICKED:
		buf_puts(out, "Your order is being prepared in our warehouse.");
		break;
	case ORD_PACKED:
		buf_puts(out, "Your order is packed and will be handed to the carrier soon.");
		break;
	case ORD_READY_TO_SHIP:
		if (nlive > 1)
			buf_printf(out, "Your order is packed in %zu parcels waiting for the carrier to collect them.",
				   nlive);
		else if (nlive == 1 && live[0]->status == PKG_EXCEPTION)
			put_package(&c, live[0], &order_who);
		else
			buf_puts(out, "Your order is packed and waiting for the carrier to collect it.");
		break;
	default:
		if (nlive == 1)
			put_package(&c, live[0], &order_who);
		else if (nlive > 1)
			put_split(&c, live, nlive);
		else
			buf_printf(out, "Your order is %s.", ord_customer_label(o->status));
		break;
	}
	if (step) {
		char day[32];
		answer_day(o->ms_reached[o->ms_current].at, now, day, sizeof(day));
		buf_printf(out, " Latest step: %s, %s.", ms_label(step, "en"), day);
	}
	put_return(&c);
	put_refund(&c);
	if (out->len == start)
		return WERR_NOMEM;
	return WERR_OK;
}
