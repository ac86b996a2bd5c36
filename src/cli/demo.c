/*
 * demo.c - "wismo demo": the server plus a simulator that feeds it through
 * its own HTTP API, the way a store, a warehouse and carriers would.
 *
 * Each simulated order follows a script in simulated hours (placed, paid,
 * picked, packed, labels, carrier scans, delivery), with variants: split
 * shipments, failed attempts, weather exceptions, labels never handed over,
 * pickup points, parcels that stall at a hub for days, a storefront
 * relaying carrier status (a claim), late and duplicated deliveries of
 * events.  --speed sets simulated hours per real second; event times are the
 * real times at which the step fell due, so the timeline reads as a
 * compressed but real day.  The exception engine's waits ([exceptions]) are
 * compressed by the same factor, every day counts as a working day, the
 * sweep looks every second and the lanes learn every minute, so stalls,
 * labels never handed over and late parcels open exceptions and tasks, and
 * delivery predictions appear once a lane has 20 deliveries, while the
 * demo runs.
 *
 * Each source speaks its own format to its own webhook, signed with a secret
 * the demo configures: Shopify orders/create and orders/updated
 * (X-Shopify-Hmac-Sha256), the warehouse scan feed as JSON lines (wismo's
 * generic signature), ShipStation shipments (?token=), and EasyPost
 * tracker.updated for about half of the parcels (X-Hmac-Signature, every
 * update carrying the tracker's whole history).  The other parcels' carrier
 * scans, and the storefront's relayed claims, go through POST /v1/events as
 * a carrier integration of one's own would.
 *
 * Two kinds of order are not parcels a carrier scans (docs/milestones.md,
 * docs/appointments.md): about one in fourteen is a business order from a
 * purchasing portal through the shop's B2B milestones (the preset, unless
 * the configuration names milestones of its own), some of them stuck in
 * production; about one in sixteen is furniture delivered by appointment by
 * the shop's own fleet, some appointments missed and booked again, with
 * the stops before the customer's and the proof at the door.  A few
 * customers say a delivered parcel never arrived.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/clock.h"
#include "../adapters/adapter.h"
#include "../adapters/zones.h"
#include "../base/buf.h"
#include "../base/crypto.h"
#include "../base/log.h"
#include "../base/wtime.h"
#include "../app/auth.h"
#include "serve.h"
#include "../app/links.h"
#include "cli.h"
#include "../base/banned.h"

#define MAX_STEPS 40
#define MAX_LIVE 2000

struct step {
	double at_h;         /* simulated hours after the order was placed */
	double late_h;       /* posted this much later than it happened */
	const char *source;
	const char *status;
	const char *detail;
	int pkg;             /* -1: order event */
	int city;            /* index into cities, -1 none */
	bool posted;
	bool again;          /* post a second time (duplicate delivery) */
	bool ret;            /* a step of the order's return (return_id R<number>) */
	double win_h;        /* a delivery window [win_h, win_h + 4] in simulated hours, 0 none */
	int stops;           /* stops before this one + 1 (out for delivery), 0 none */
	const char *left_at; /* proof: where it was left, NULL none */
	bool installed;      /* delivered and installed */
	const char *note;    /* the description (a customer's words), NULL none */
	const char *channel; /* on the placed event: the sales channel, NULL none */
};

struct sim_order {
	long number;
	int64_t start_ms;
	int nsteps;
	struct step steps[MAX_STEPS];
	int npkg;
	char tracking[2][32];
	const char *carrier[2];
	bool easypost[2];     /* this parcel's scans come through EasyPost */
	int customer;
	int product[2]; /* the first and (split orders) second line */
	int qty;
};

struct sim {
	char base[128];      /* http://host:port */
	char url[160];       /* POST /v1/events */
	char auth[128];
	char secret[5][33];  /* shopify, scans, shipstation, easypost, the help desk's webhook */
	struct zones *zones; /* for ShipStation's Pacific times */
	double speed, rate;
	atomic_bool stop;
	unsigned seed;
	long next_number;
	long orders, events, failures;
	long next_ticket;    /* the help desk's ticket ids */
	struct sim_order *live[MAX_LIVE];
	int nlive;
};

static const struct { const char *city, *region, *country; } cities[] = {
	{ "Louisville", "KY", "US" }, { "Memphis", "TN", "US" }, { "Chicago", "IL", "US" },
	{ "Denver", "CO", "US" },     { "Portland", "OR", "US" }, { "Austin", "TX", "US" },
	{ "Atlanta", "GA", "US" },    { "Columbus", "OH", "US" }, { "Reno", "NV", "US" },
};
#define NCITIES ((int)(sizeof(cities) / sizeof(cities[0])))

static const struct { const char *name, *email, *postal; } customers[] = {
	{ "Ada Lovelace", "ada@example.com", "40202" },  { "Grace Hopper", "grace@example.com", "10001" },
	{ "Alan Turing", "alan@example.com", "97201" },   { "Katherine Johnson", "kj@example.com", "23666" },
	{ "Edsger Dijkstra", "ed@example.com", "78701" }, { "Barbara Liskov", "bl@example.com", "02139" },
};
#define NCUSTOMERS ((int)(sizeof(customers) / sizeof(customers[0])))

static const struct { const char *sku, *name; } products[] = {
	{ "MUG-01", "Stoneware mug" }, { "TEE-M", "Organic tee (M)" }, { "CAP-02", "Canvas cap" },
	{ "BAG-10", "Tote bag" },      { "PEN-03", "Fountain pen" },
};

static const char *carriers[] = { "ups", "fedex", "usps", "dhl" };

static int rnd(struct sim *s, int n)
{
	return (int)(rand_r(&s->seed) % (unsigned)n);
}

static void make_tracking(struct sim *s, const char *carrier, char out[32])
{
	static const char alnum[] = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
	int i, n = 0;
	if (!strcmp(carrier, "ups")) {
		memcpy(out, "1Z", 2);
		for (i = 2; i < 18; i++)
			out[i] = alnum[rnd(s, 33)];
		n = 18;
	} else {
		int len = !strcmp(carrier, "fedex") ? 12 : !strcmp(carrier, "usps") ? 22 : 10;
		if (!strcmp(carrier, "usps"))
			memcpy(out, "9400", 4), n = 4;
		for (; n < len; n++)
			out[n] = (char)('0' + rnd(s, 10));
	}
	out[n] = '\0';
}

static void add(struct sim_order *o, double at, const char *src, const char *status, const char *detail,
		int pkg, int city)
{
	if (o->nsteps >= MAX_STEPS)
		return;
	o->steps[o->nsteps++] = (struct step){ at, 0, src, status, detail, pkg, city, false, false, false,
					       0, 0, NULL, false, NULL, NULL };
}

/* The step add() made last. */
static struct step *last(struct sim_order *o)
{
	return &o->steps[o->nsteps - 1];
}

/*
 * A business order (docs/milestones.md, the B2B preset): placed on the
 * shop's purchasing portal (channel b2b), the purchase order accepted, then
 * the ERP's materials and production; one in five stays in production past
 * its expected time (milestone_overdue), the rest pass the quality check,
 * book freight, ship, and half of them clear customs (a broker, a generic
 * source) before delivery.
 */
static void add_b2b(struct sim *s, struct sim_order *o, int origin)
{
	const char *c = carriers[rnd(s, 4)];
	int dest = rnd(s, NCITIES), v = rnd(s, 100);

	o->carrier[0] = c;
	make_tracking(s, c, o->tracking[0]);
	o->qty = 10 + rnd(s, 40);
	add(o, 0, "portal", "placed", NULL, -1, -1);
	last(o)->channel = "b2b";
	add(o, 0.5, "portal", "confirmed", NULL, -1, -1);
	add(o, 2, "portal", "po_accepted", NULL, -1, -1);
	add(o, 30, "erp", "materials_received", NULL, -1, origin);
	add(o, 40, "erp", "production_started", NULL, -1, origin);
	if (v < 20)
		return; /* stuck in production */
	add(o, 130, "erp", "quality_check_passed", NULL, -1, origin);
	add(o, 140, "erp", "freight_booked", NULL, -1, origin);
	add(o, 150, c, "label_created", NULL, 0, -1);
	add(o, 155, c, "in_transit", "picked_up", 0, origin);
	if (v < 60)
		add(o, 175, "broker", "customs_cleared", NULL, -1, dest);
	add(o, 190, c, "out_for_delivery", NULL, 0, dest);
	add(o, 192, c, "delivered", NULL, 0, dest);
	last(o)->left_at = "Loading dock";
}

/*
 * Furniture by appointment (docs/appointments.md): the shop's fleet offers a
 * window and books it; one in four is missed (nobody home) and booked again;
 * out for delivery with the stops before this one, then delivered, installed,
 * with where it was left.
 */
static void add_appointment(struct sim *s, struct sim_order *o, int origin)
{
	int dest = rnd(s, NCITIES), v = rnd(s, 100);
	double w = 50;

	o->carrier[0] = "fleet";
	snprintf(o->tracking[0], sizeof(o->tracking[0]), "FLT-%ld", o->number);
	add(o, 0, "shopify", "placed", NULL, -1, -1);
	add(o, 0.2, "shopify", "confirmed", NULL, -1, -1);
	add(o, 1, "scans", "processing", NULL, -1, origin);
	add(o, 3, "scans", "packed", NULL, -1, origin);
	add(o, 10, "fleet", "in_transit", NULL, 0, origin);
	add(o, 20, "fleet", "appointment_offered", NULL, 0, -1);
	last(o)->win_h = w;
	add(o, 22, "fleet", "appointment_scheduled", NULL, 0, -1);
	last(o)->win_h = w;
	if (v < 25) {
		add(o, w + 4, "fleet", "appointment_missed", "recipient_unavailable", 0, dest);
		w = 74;
		add(o, 60, "fleet", "appointment_rescheduled", NULL, 0, -1);
		last(o)->win_h = w;
	}
	add(o, w, "fleet", "out_for_delivery", NULL, 0, dest);
	last(o)->stops = 1 + 3 + rnd(s, 5);
	add(o, w + 1, "fleet", "out_for_delivery", NULL, 0, dest);
	last(o)->stops = 1 + 0;
	add(o, w + 1.5, "fleet", "delivered", NULL, 0, dest);
	last(o)->installed = true;
	last(o)->left_at = "Living room";
}

static const char *const reasons[] = { "too_small", "too_large", "changed_mind", "not_as_described", "damaged" };

/*
 * About one delivered single-parcel order in six comes back (docs/returns.md):
 * the store's request a day after delivery, its approval (one in ten waits
 * for a person), a return label and parcel (package 1, a carrier's scans,
 * its delivery the receipt), the warehouse's inspection and disposition,
 * then the refund.  A few stop on the way, so the returns tasks have work:
 * not inspected, or disposed and never refunded.
 */
static void add_return(struct sim *s, struct sim_order *o, double delivered_h, int origin, int dest)
{
	static const char *const disp[] = { "restock", "restock", "refurbish", "scrap" };
	double t = delivered_h + 24;
	int v = rnd(s, 100), first = o->nsteps;

	make_tracking(s, o->carrier[0], o->tracking[1]);
	o->carrier[1] = o->carrier[0];
	add(o, t, "shopify", "return_requested", reasons[rnd(s, 5)], -1, -1);
	if (v < 10)
		goto done; /* waits for a person */
	add(o, t + 2, "shopify", "return_approved", NULL, -1, -1);
	add(o, t + 3, "shopify", "return_label_created", NULL, 1, -1);
	if (v < 15)
		goto done; /* the customer never sends it */
	add(o, t + 20, o->carrier[1], "in_transit", "picked_up", 1, dest);
	add(o, t + 44, o->carrier[1], "delivered", NULL, 1, origin);
	if (v < 22)
		goto done; /* arrived, never inspected */
	add(o, t + 50, "scans", "return_inspecting", NULL, -1, origin);
	add(o, t + 52, "scans", "return_disposed", disp[rnd(s, 4)], -1, origin);
	if (v < 28)
		goto done; /* processed, never refunded */
	add(o, t + 60, "shopify", "refunded", "partial", -1, -1);
done:
	for (int i = first; i < o->nsteps; i++)
		o->steps[i].ret = true;
}

static struct sim_order *new_order(struct sim *s, int64_t now)
{
	struct sim_order *o = calloc(1, sizeof(*o));
	int origin = rnd(s, NCITIES), kind;

	if (!o)
		return NULL;
	o->number = s->next_number++;
	o->start_ms = now;
	o->customer = rnd(s, NCUSTOMERS);
	o->npkg = rnd(s, 100) < 20 ? 2 : 1;
	o->product[0] = rnd(s, 5);
	o->product[1] = (o->product[0] + 1 + rnd(s, 4)) % 5;
	o->qty = 1 + rnd(s, 2);
	kind = rnd(s, 100);
	if (kind < 7 || kind >= 94) {
		o->npkg = 1;
		if (kind < 7)
			add_b2b(s, o, origin);
		else
			add_appointment(s, o, origin);
		s->orders++;
		return o;
	}
	add(o, 0, "shopify", "placed", NULL, -1, -1);
	add(o, 0.2, "shopify", "confirmed", NULL, -1, -1);
	add(o, 1, "scans", "processing", NULL, -1, origin);
	add(o, 2, "scans", "picked", NULL, -1, origin);
	add(o, 3, "scans", "packed", NULL, -1, origin);
	for (int p = 0; p < o->npkg; p++) {
		const char *c = carriers[rnd(s, 4)];
		int dest = rnd(s, NCITIES), hub = rnd(s, NCITIES), v = rnd(s, 100);
		double d = p * 6.0; /* the second parcel of a split leaves later */
		o->carrier[p] = c;
		/* EasyPost relays what the carrier says; its table has no attempts */
		o->easypost[p] = rnd(s, 2) && !(v >= 4 && v < 14);
		make_tracking(s, c, o->tracking[p]);
		add(o, 4 + d, "shipstation", "label_created", NULL, p, -1);
		/* the customer asks the help desk: most when something is wrong, a few anyway */
		if (!p && ((v < 4 && rnd(s, 100) < 60) || (v >= 4 && v < 14 && rnd(s, 100) < 50) ||
			   (v >= 14 && v < 22 && rnd(s, 100) < 40) || (v >= 25 && v < 30 && rnd(s, 100) < 70) ||
			   (v >= 30 && rnd(s, 100) < 3)))
			add(o, v < 4 ? 40 : v < 14 ? 36 : v < 22 ? 30 : v < 30 ? 70 : 20, "zendesk", "ticket", NULL, -1, -1);
		if (v < 4)
			continue; /* label never handed to the carrier */
		add(o, 7 + d, c, "in_transit", "picked_up", p, origin);
		add(o, 18 + d, c, "in_transit", "arrived_at_facility", p, hub);
		if (rnd(s, 100) < 10)
			add(o, 8 + d, "shopify", "in_transit", NULL, p, -1); /* relayed: a claim */
		if (v < 14) {
			add(o, 30 + d, c, "out_for_delivery", NULL, p, dest);
			add(o, 33 + d, c, "delivery_attempted", "recipient_unavailable", p, dest);
			add(o, 54 + d, c, "out_for_delivery", NULL, p, dest);
			add(o, 56 + d, c, "delivered", NULL, p, dest);
		} else if (v < 22) {
			add(o, 24 + d, c, "exception", "weather_delay", p, hub);
			add(o, 40 + d, c, "in_transit", "departed_facility", p, hub);
			add(o, 54 + d, c, "out_for_delivery", NULL, p, dest);
			add(o, 57 + d, c, "delivered", NULL, p, dest);
		} else if (v < 25) {
			add(o, 32 + d, c, "available_for_pickup", NULL, p, dest);
			add(o, 60 + d, c, "delivered", "picked_up_by_customer", p, dest);
		} else if (v < 30) {
			/* stuck at the hub for days: stalled, then late against the promise */
			add(o, 92 + d, c, "in_transit", "departed_facility", p, hub);
			add(o, 100 + d, c, "out_for_delivery", NULL, p, dest);
			add(o, 103 + d, c, "delivered", NULL, p, dest);
		} else {
			add(o, 30 + d, c, "out_for_delivery", NULL, p, dest);
			add(o, 32 + d, c, "delivered", rnd(s, 4) ? NULL : "front_door", p, dest);
			if (last(o)->detail)
				last(o)->left_at = "Front door";
			if (o->npkg == 1 && rnd(s, 100) < 3) {
				/* "I haven't received it", from the tracking page */
				add(o, 40, "tracking_page", "not_received", NULL, -1, -1);
				last(o)->note = "Nothing at the door, neighbours have not seen it";
			}
			if (o->npkg == 1 && rnd(s, 100) < 16)
				add_return(s, o, 32, origin, dest);
		}
	}
	for (int i = 1; i < o->nsteps; i++) {
		if (rnd(s, 100) < 8)
			o->steps[i].late_h = 2 + rnd(s, 4); /* arrives out of order */
		if (rnd(s, 100) < 5)
			o->steps[i].again = true; /* the source delivers it twice */
	}
	s->orders++;
	return o;
}

static void event_json(struct sim *s, struct buf *b, struct sim_order *o, int i, int64_t at)
{
	struct step *st = &o->steps[i];
	char ts[WTIME_BUFSZ];

	buf_printf(b, "%s{\"source\":\"%s\",\"id\":\"demo-%ld-%d\",\"order\":\"%ld\",\"status\":\"%s\","
		      "\"occurred_at\":\"%s\"", b->len > 11 ? "," : "", st->source, o->number, i, o->number,
		   st->status, wtime_format(at, ts));
	if (st->ret) {
		/* the return's fields; its reason and disposition ride in the step's detail */
		buf_printf(b, ",\"return_id\":\"R%ld\"", o->number);
		if (!strcmp(st->status, "return_requested"))
			buf_printf(b, ",\"return_reason\":\"%s\",\"items\":[{\"sku\":\"%s\",\"name\":\"%s\","
				      "\"quantity\":1}]",
				   st->detail, products[o->product[0]].sku, products[o->product[0]].name);
		else if (!strcmp(st->status, "refunded"))
			buf_puts(b, ",\"detail\":\"partial\",\"refund_amount\":29.5,\"currency\":\"USD\"");
		else if (st->pkg >= 0)
			buf_puts(b, ",\"is_return\":true");
	} else if (st->detail) {
		buf_printf(b, ",\"detail\":\"%s\"", st->detail);
	}
	if (st->pkg >= 0)
		buf_printf(b, ",\"package\":\"%s\",\"carrier\":\"%s\"", o->tracking[st->pkg],
			   o->carrier[st->pkg]);
	if (st->win_h) {
		/* a 4-hour window, in the simulated hours of the order */
		int64_t w = o->start_ms + (int64_t)(st->win_h * 1000.0 / s->speed);
		buf_printf(b, ",\"window\":{\"start\":\"%s\"", wtime_format(w, ts));
		buf_printf(b, ",\"end\":\"%s\"}", wtime_format(w + (int64_t)(4 * 1000.0 / s->speed) + 1000, ts));
	}
	if (st->stops)
		buf_printf(b, ",\"stops_away\":%d", st->stops - 1);
	if (st->installed)
		buf_puts(b, ",\"installed\":true");
	if (st->left_at)
		buf_printf(b, ",\"proof\":{\"left_at\":\"%s\"%s}", st->left_at,
			   st->installed ? ",\"signed_by\":\"The customer\"" : "");
	if (st->note)
		buf_printf(b, ",\"description\":\"%s\"", st->note);
	if (st->channel)
		buf_printf(b, ",\"channel\":\"%s\"", st->channel);
	if (st->city >= 0)
		buf_printf(b, ",\"location\":{\"city\":\"%s\",\"region\":\"%s\",\"country\":\"%s\"}",
			   cities[st->city].city, cities[st->city].region, cities[st->city].country);
	if (!strcmp(st->status, "placed")) {
		int a = o->product[0], c = o->product[1];
		buf_printf(b, ",\"customer\":{\"name\":\"%s\",\"email\":\"%s\",\"postal_code\":\"%s\"}",
			   customers[o->customer].name, customers[o->customer].email,
			   customers[o->customer].postal);
		buf_printf(b, ",\"promised_by\":\"%s\"",
			   wtime_format(at + (int64_t)(72 * 3600 * 1000 / (s->speed * 3600)), ts));
		buf_printf(b, ",\"items\":[{\"sku\":\"%s\",\"name\":\"%s\",\"quantity\":%d}",
			   products[a].sku, products[a].name, o->qty);
		if (o->npkg > 1)
			buf_printf(b, ",{\"sku\":\"%s\",\"name\":\"%s\",\"quantity\":1}", products[c].sku,
				   products[c].name);
		buf_putc(b, ']');
	}
	if (st->pkg >= 0 && !strcmp(st->status, "label_created") && o->npkg > 1) {
		int k = o->product[st->pkg]; /* each parcel of a split carries one line */
		buf_printf(b, ",\"items\":[{\"sku\":\"%s\",\"quantity\":%d}]", products[k].sku,
			   st->pkg ? 1 : o->qty);
	}
	buf_putc(b, '}');
}

/* POSTs body to url with extra headers (may be NULL; freed here); 0 on a 200. */
static int post_to(struct sim *s, CURL *curl, const char *url, struct curl_slist *h, const char *ctype,
		   struct buf *body)
{
	char ct[80];
	long code = 0;
	CURLcode rc;

	snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
	h = curl_slist_append(h, ct);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->p);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body->len);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	if (rc != CURLE_OK || code != 200) {
		s->failures++;
		return -1;
	}
	return 0;
}

static int post(struct sim *s, CURL *curl, struct buf *body)
{
	return post_to(s, curl, s->url, curl_slist_append(NULL, s->auth), "application/json", body);
}

static void hook_url(struct sim *s, char *url, size_t cap, const char *source, const char *token)
{
	snprintf(url, cap, "%s/hooks/%s%s%s", s->base, source, token ? "?token=" : "", token ? token : "");
}

/* The wall clock in Los Angeles at UTC instant at, read as if it were UTC
 * (ShipStation's way of writing times). */
static int64_t pacific_time(struct sim *s, int64_t at)
{
	for (int off = 7; off <= 8; off++) {
		int64_t local = at - off * 3600 * 1000LL, back;
		if (!zones_to_utc(s->zones, "America/Los_Angeles", local, &back) && back == at)
			return local;
	}
	return at - 8 * 3600 * 1000LL;
}

/* The order as a Shopify orders/create or orders/updated body. */
static void shopify_order(struct sim *s, struct buf *b, struct sim_order *o, int64_t placed, int64_t paid)
{
	char t1[WTIME_BUFSZ], t2[WTIME_BUFSZ];
	const char *name = customers[o->customer].name;
	int first = (int)strcspn(name, " ");

	buf_printf(b, "{\"id\":%ld,\"order_number\":%ld,\"name\":\"#%ld\",\"created_at\":\"%s\"",
		   o->number * 7, o->number, o->number, wtime_format(placed, t1));
	if (paid)
		buf_printf(b, ",\"processed_at\":\"%s\",\"financial_status\":\"paid\"", wtime_format(paid, t2));
	else
		buf_puts(b, ",\"financial_status\":\"pending\"");
	buf_printf(b, ",\"email\":\"%s\",\"customer\":{\"first_name\":\"%.*s\"},"
		      "\"shipping_address\":{\"first_name\":\"%.*s\",\"zip\":\"%s\"},\"line_items\":[",
		   customers[o->customer].email, first, name, first, name, customers[o->customer].postal);
	buf_printf(b, "{\"id\":1,\"sku\":\"%s\",\"name\":\"%s\",\"quantity\":%d}", products[o->product[0]].sku,
		   products[o->product[0]].name, o->qty);
	if (o->npkg > 1)
		buf_printf(b, ",{\"id\":2,\"sku\":\"%s\",\"name\":\"%s\",\"quantity\":1}",
			   products[o->product[1]].sku, products[o->product[1]].name);
	buf_puts(b, "]}");
}

/* The statuses EasyPost would report for one of our carrier steps. */
static void easypost_words(const struct step *st, const char **status, const char **detail)
{
	*status = st->status;
	*detail = st->detail ? st->detail : "";
	if (!strcmp(st->status, "exception"))
		*status = "in_transit"; /* in_transit/weather_delay: the table says exception */
	else if (!strcmp(st->status, "available_for_pickup"))
		*detail = "";
}

/* A tracker.updated event carrying every step of the parcel up to step i. */
static void easypost_body(struct buf *b, struct sim_order *o, int i, double ms_per_h)
{
	const struct step *st = &o->steps[i];
	char ts[WTIME_BUFSZ];
	const char *status, *detail;
	bool first = true;

	easypost_words(st, &status, &detail);
	buf_printf(b, "{\"object\":\"Event\",\"id\":\"evt_%ld_%d\",\"description\":\"tracker.updated\","
		      "\"result\":{\"object\":\"Tracker\",\"id\":\"trk_%s\",\"tracking_code\":\"%s\","
		      "\"carrier\":\"%s\",\"status\":\"%s\",\"tracking_details\":[",
		   o->number, i, o->tracking[st->pkg], o->tracking[st->pkg], o->carrier[st->pkg], status);
	for (int k = 0; k <= i; k++) {
		const struct step *d = &o->steps[k];
		if (d->pkg != st->pkg || !strcmp(d->source, "shopify") || !strcmp(d->source, "shipstation"))
			continue;
		int64_t at = o->start_ms + (int64_t)(d->at_h * ms_per_h);
		if (k != i && !d->posted)
			continue;
		easypost_words(d, &status, &detail);
		buf_printf(b, "%s{\"object\":\"TrackingDetail\",\"datetime\":\"%s\",\"status\":\"%s\","
			      "\"status_detail\":\"%s\",\"message\":\"%s\"",
			   first ? "" : ",", wtime_format(at, ts), status, detail, d->status);
		if (d->city >= 0)
			buf_printf(b, ",\"tracking_location\":{\"city\":\"%s\",\"state\":\"%s\",\"country\":\"%s\"}",
				   cities[d->city].city, cities[d->city].region, cities[d->city].country);
		buf_putc(b, '}');
		first = false;
	}
	buf_puts(b, "]}}");
}

/*
 * Sends step i of o in its source's own format, signed.  Returns 1 when it
 * went as a webhook, 0 when the caller should put it in the /v1/events batch.
 */
static int send_webhook(struct sim *s, CURL *curl, struct sim_order *o, int i, double ms_per_h)
{
	struct step *st = &o->steps[i];
	int64_t at = o->start_ms + (int64_t)(st->at_h * ms_per_h);
	const char *ctype = "application/json";
	struct buf b = BUF_INIT;
	struct curl_slist *h = NULL;
	char url[256], hdr[160], ts[24], sig[80];
	int64_t now = clock_wall_ms();

	if (!strcmp(st->source, "zendesk")) {
		/* a customer's ticket, as a Zendesk trigger sends it (docs/helpdesk.md) */
		unsigned char mac[32], b64[48];
		char t[WTIME_BUFSZ], now_ts[WTIME_BUFSZ];
		struct buf msg = BUF_INIT;
		buf_printf(&b, "{\"ticket\":{\"id\":%ld,\"status\":\"new\",\"subject\":\"Where is my order #%ld?\","
			       "\"description\":\"Hello, my order has not arrived yet.\",\"requester\":{\"email\":\"%s\"},"
			       "\"tags\":\"web\",\"created_at\":\"%s\"}}",
			   s->next_ticket++, o->number, customers[o->customer].email, wtime_format(at, t));
		wtime_format(now, now_ts);
		buf_puts(&msg, now_ts);
		buf_append(&msg, b.p, b.len);
		crypto_hmac_sha256(s->secret[4], strlen(s->secret[4]), msg.p, msg.len, mac);
		buf_release(&msg);
		EVP_EncodeBlock(b64, mac, 32);
		snprintf(hdr, sizeof(hdr), "X-Zendesk-Webhook-Signature: %s", b64);
		h = curl_slist_append(h, hdr);
		snprintf(hdr, sizeof(hdr), "X-Zendesk-Webhook-Signature-Timestamp: %s", now_ts);
		h = curl_slist_append(h, hdr);
		snprintf(url, sizeof(url), "%s/hooks/helpdesk", s->base);
	} else if (!strcmp(st->source, "shopify") && st->pkg < 0 && !st->ret) {
		unsigned char mac[32], b64[48];
		bool paid = !strcmp(st->status, "confirmed");
		shopify_order(s, &b, o, o->start_ms, paid ? at : 0);
		crypto_hmac_sha256(s->secret[0], strlen(s->secret[0]), b.p, b.len, mac);
		EVP_EncodeBlock(b64, mac, 32);
		snprintf(hdr, sizeof(hdr), "X-Shopify-Hmac-Sha256: %s", b64);
		h = curl_slist_append(h, hdr);
		h = curl_slist_append(h, paid ? "X-Shopify-Topic: orders/updated" : "X-Shopify-Topic: orders/create");
		hook_url(s, url, sizeof(url), "shopify", NULL);
	} else if (!strcmp(st->source, "scans")) {
		char t[WTIME_BUFSZ];
		buf_printf(&b, "{\"scan_id\":\"demo-%ld-%d\",\"order\":\"%ld\",\"event\":\"%s\",\"time\":\"%s\","
			       "\"scanner\":\"RF-%d\",\"location\":\"DOCK-%d\"",
			   o->number, i, o->number,
			   !strcmp(st->status, "processing") ? "received" : st->status, wtime_format(at, t), 1 + i % 4,
			   1 + (int)(o->number % 3));
		if (st->city >= 0)
			buf_printf(&b, ",\"city\":\"%s\",\"region\":\"%s\",\"country\":\"%s\"",
				   cities[st->city].city, cities[st->city].region, cities[st->city].country);
		if (st->ret)
			buf_printf(&b, ",\"return_id\":\"R%ld\"%s%s%s", o->number, st->detail ? ",\"disposition\":\"" : "",
				   st->detail ? st->detail : "", st->detail ? "\"" : "");
		buf_puts(&b, "}\n");
		sig_generic_sign(s->secret[1], b.p, b.len, now, ts, sig);
		snprintf(hdr, sizeof(hdr), "X-Wismo-Timestamp: %s", ts);
		h = curl_slist_append(h, hdr);
		snprintf(hdr, sizeof(hdr), "X-Wismo-Signature: %s", sig);
		h = curl_slist_append(h, hdr);
		hook_url(s, url, sizeof(url), "scans", NULL);
		ctype = "application/x-ndjson";
	} else if (!strcmp(st->source, "shipstation")) {
		char t[WTIME_BUFSZ];
		int k = o->product[st->pkg];
		/* ShipStation writes Pacific time without an offset */
		wtime_format(pacific_time(s, at), t);
		t[strlen(t) - 1] = '\0'; /* no Z, and seven digits of fraction */
		buf_printf(&b, "{\"shipmentId\":%ld%d,\"orderNumber\":\"%ld\",\"createDate\":\"%s%s\","
			       "\"trackingNumber\":\"%s\",\"carrierCode\":\"%s\",\"voided\":false,"
			       "\"shipmentItems\":[{\"sku\":\"%s\",\"name\":\"%s\",\"quantity\":%d}",
			   o->number, st->pkg, o->number, t, strchr(t, '.') ? "0000" : ".0000000", o->tracking[st->pkg], o->carrier[st->pkg], products[k].sku,
			   products[k].name, st->pkg ? 1 : o->qty);
		buf_puts(&b, "]}");
		hook_url(s, url, sizeof(url), "shipstation", s->secret[2]);
	} else if (st->pkg >= 0 && o->easypost[st->pkg] && strcmp(st->source, "shopify")) {
		unsigned char mac[32];
		char hex[65];
		easypost_body(&b, o, i, ms_per_h);
		crypto_hmac_sha256(s->secret[3], strlen(s->secret[3]), b.p, b.len, mac);
		crypto_hex(mac, 32, hex);
		snprintf(hdr, sizeof(hdr), "X-Hmac-Signature: hmac-sha256-hex=%s", hex);
		h = curl_slist_append(h, hdr);
		hook_url(s, url, sizeof(url), "easypost", NULL);
	} else {
		buf_release(&b);
		return 0;
	}
	if (!post_to(s, curl, url, h, ctype, &b))
		s->events++;
	buf_release(&b);
	return 1;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	return size * n;
}

static void *sim_main(void *p)
{
	struct sim *s = p;
	CURL *curl = curl_easy_init();
	struct buf body = BUF_INIT;
	double owed = 1; /* start with one order at once */
	int64_t last = clock_wall_ms(), last_report = last;

	if (!curl)
		return NULL;
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	while (!atomic_load(&s->stop)) {
		int64_t now = clock_wall_ms();
		double ms_per_h = 1000.0 / s->speed;
		int n = 0;

		owed += (double)(now - last) / 1000.0 * s->rate;
		last = now;
		while (owed >= 1 && s->nlive < MAX_LIVE) {
			struct sim_order *o = new_order(s, now);
			owed -= 1;
			if (o)
				s->live[s->nlive++] = o;
		}
		buf_reset(&body);
		buf_puts(&body, "{\"events\":[");
		for (int k = 0; k < s->nlive; k++) {
			struct sim_order *o = s->live[k];
			bool left = false;
			for (int i = 0; i < o->nsteps; i++) {
				struct step *st = &o->steps[i];
				int64_t at = o->start_ms + (int64_t)(st->at_h * ms_per_h);
				int64_t post_at = at + (int64_t)(st->late_h * ms_per_h);
				if (st->posted) {
					if (st->again && now >= post_at + (int64_t)ms_per_h) {
						if (!send_webhook(s, curl, o, i, ms_per_h)) {
							event_json(s, &body, o, i, at);
							n++;
						}
						st->again = false;
					}
					left |= st->again;
					continue;
				}
				left = true;
				if (now >= post_at && n < 500) {
					if (!send_webhook(s, curl, o, i, ms_per_h)) {
						event_json(s, &body, o, i, at);
						n++;
					}
					st->posted = true;
				}
			}
			if (!left) {
				free(o);
				s->live[k--] = s->live[--s->nlive];
			}
		}
		if (n) {
			buf_puts(&body, "]}");
			if (!post(s, curl, &body))
				s->events += n;
		}
		if (now - last_report >= 10000) {
			char a[24], b[24], c[24];
			snprintf(a, sizeof(a), "%ld", s->orders);
			snprintf(b, sizeof(b), "%ld", s->events);
			snprintf(c, sizeof(c), "%ld", s->failures);
			wlog(LOG_INFO, "demo_progress", "orders", a, "events_posted", b, "failed_posts", c, NULL);
			last_report = now;
		}
		usleep(100000);
	}
	for (int k = 0; k < s->nlive; k++)
		free(s->live[k]);
	buf_release(&body);
	curl_easy_cleanup(curl);
	return NULL;
}

static int make_key(struct store *st, enum key_role role, char key[AUTH_KEY_LEN + 1])
{
	char hash[65];
	struct api_key k;
	int64_t id;

	if (auth_key_new(role, NULL, clock_wall_ms(), key, hash, &k) || store_begin(st) ||
	    store_key_put(st, hash, &k, &id) || store_commit(st))
		return -1;
	return 0;
}

/* The exception engine's waits in simulated time: one simulated hour is
 * 1 / speed real seconds; every day works (the simulated week does not
 * follow the real one); the sweep looks every second, the lanes learn
 * every minute. */
static void compress_exceptions(struct config *cfg, double speed)
{
	struct exc_config *x = &cfg->exceptions;
	int64_t *waits[] = { &x->not_handed_over_ms, &x->stalled_ms, &x->stalled_floor_ms, &x->pickup_ms,
			     &x->conflict_ms, &x->return_inspect_ms, &x->return_refund_ms };
	double f = 1.0 / (3600.0 * speed);

	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++)
		*waits[i] = (int64_t)((double)*waits[i] * f) + 1;
	for (int k = 0; k < EXC__COUNT; k++)
		x->grace_ms[k] = (int64_t)((double)x->grace_ms[k] * f);
	for (int i = 0; i < cfg->policy.milestones.n; i++) {
		int64_t *e = &cfg->policy.milestones.defs[i].expected_ms;
		*e = *e ? (int64_t)((double)*e * f) + 1 : 0;
	}
	x->sweep_seconds = 1;
	x->lanes_refresh_minutes = 1;
	cfg->policy.cal.workdays = 0x7f;
	cfg->policy.cal.nholidays = 0;
}

int cmd_demo(struct config *cfg, const struct cli_opts *o)
{
	struct serve *srv;
	struct store *st;
	struct sim *s;
	pthread_t th;
	char msg[512], admin[AUTH_KEY_LEN + 1], ingest[AUTH_KEY_LEN + 1];
	char secrets[5][33];

	cli_block_signals();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (store_open(cfg->store.url, 0, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	if (make_key(st, ROLE_ADMIN, admin) || make_key(st, ROLE_INGEST, ingest)) {
		fprintf(stderr, "wismo: demo: unable to create keys: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	store_close(st);
	/* the simulated sources sign with secrets made for this run */
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = { "shopify", "scans", "shipstation", "easypost" };
		unsigned char rnd_bytes[16];
		struct source_cfg *sc = sources_add(&cfg->sources, names[i]);
		if (!sc || crypto_random(rnd_bytes, sizeof(rnd_bytes))) {
			fprintf(stderr, "wismo: demo: unable to configure sources\n");
			return 1;
		}
		crypto_hex(rnd_bytes, sizeof(rnd_bytes), secrets[i]);
		snprintf(sc->secret, sizeof(sc->secret), "%s", secrets[i]);
	}
	{
		/* customers ask their help desk (docs/helpdesk.md): signed like Zendesk's webhook */
		unsigned char rnd_bytes[16];
		if (crypto_random(rnd_bytes, sizeof(rnd_bytes))) {
			fprintf(stderr, "wismo: demo: unable to configure the help desk\n");
			return 1;
		}
		crypto_hex(rnd_bytes, sizeof(rnd_bytes), secrets[4]);
		snprintf(cfg->tickets.webhook_secret, sizeof(cfg->tickets.webhook_secret), "%s", secrets[4]);
	}
	/* the business orders' portal and ERP, the furniture fleet: and the B2B
	 * milestones, unless the shop configured its own */
	if (!cfg->policy.milestones.n)
		ms_config_preset_b2b(&cfg->policy.milestones);
	if (policy_set_kind(&cfg->policy, "portal", KIND_STOREFRONT) ||
	    policy_set_kind(&cfg->policy, "erp", KIND_WAREHOUSE) || policy_set_kind(&cfg->policy, "fleet", KIND_CARRIER)) {
		fprintf(stderr, "wismo: demo: too many sources configured\n");
		return 1;
	}
	compress_exceptions(cfg, o->speed);
	if (serve_start(cfg, &srv, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		serve_stop(srv);
		return 1;
	}
	snprintf(s->base, sizeof(s->base), "http://%s%s%s:%d", strchr(cfg->http.listen_host, ':') ? "[" : "",
		 cfg->http.listen_host, strchr(cfg->http.listen_host, ':') ? "]" : "", serve_port(srv));
	snprintf(s->url, sizeof(s->url), "%s/v1/events", s->base);
	memcpy(s->secret, secrets, sizeof(secrets));
	if (zones_load(NULL, NULL, &s->zones, msg, sizeof(msg))) {
		free(s);
		serve_stop(srv);
		return 1;
	}
	snprintf(s->auth, sizeof(s->auth), "Authorization: Bearer %s", ingest);
	s->speed = o->speed;
	s->rate = o->rate;
	s->seed = (unsigned)clock_wall_ms();
	s->next_number = 1001 + (long)(clock_wall_ms() / 1000 % 90000) * 10;
	s->next_ticket = 50000 + (long)(clock_wall_ms() / 1000 % 100000) * 10;
	if (pthread_create(&th, NULL, sim_main, s)) {
		free(s);
		serve_stop(srv);
		return 1;
	}
	{
		char first[24], store[sizeof(cfg->store.url)];
		struct buf link = BUF_INIT;
		int64_t exp;

		/* the first simulated order's tracking page (valid once the feed has placed it) */
		snprintf(first, sizeof(first), "%ld", s->next_number);
		store_url_display(cfg->store.url, store, sizeof(store));
		if (link_signer_url(serve_links(srv), first, 7, clock_wall_ms(), &link, &exp))
			buf_puts(&link, "(no link secret)");
		printf("wismo demo: serving %s  (store %s)\n"
		       "  simulated feed: %.2f new orders/s, %.1f simulated hours per second\n"
		       "  admin key: %s\n"
		       "  dashboard:      %s/dashboard  (log in with the admin key)\n"
		       "  tracking page:  %s  (order %s)\n"
		       "  lookup form:    %s/track\n"
		       "  try:  curl -H 'Authorization: Bearer %s' %s/v1/orders/%s?view=agent\n"
		       "  stop with Ctrl-C\n",
		       s->base, store, s->rate, s->speed, admin, s->base, link.p, first, s->base, admin,
		       s->base, first);
		buf_release(&link);
	}
	fflush(stdout);
	cli_wait_signal();
	atomic_store(&s->stop, true);
	pthread_join(th, NULL);
	serve_stop(srv);
	zones_free(s->zones);
	free(s);
	curl_global_cleanup();
	return 0;
}
