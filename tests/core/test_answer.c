/*
 * test_answer.c - the agent's plain-language answer (core/answer.h).
 *
 * Each case folds real events (core/order.h) and compares the answer with
 * the exact sentence an agent would paste.  Times: T0 is Monday
 * 2024-03-04T00:00:00Z; D(d, h) is d days and h hours after it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/answer.h"
#include "core/order.h"
#include "core/policy.h"
#include "base/banned.h"

#define T0 INT64_C(1709510400000) /* Monday 4 March 2024, 00:00 UTC */
#define D(d, h) (T0 + (int64_t)(d) * 86400000 + (int64_t)(h) * 3600000)
#define MAXEV 10

struct spec {
	const char *src;
	const char *pkg;
	enum ev_status st;
	int64_t at;
	const char *carrier;
	int64_t eta;
	const char *detail;
	int64_t promised;
	const char *city;
};

struct answer_case {
	const char *name;
	struct spec ev[MAXEV];
	int64_t now;
	const char *want;
};

#define PLACED(at) { "shopify", NULL, EV_PLACED, (at), NULL, 0, NULL, 0, NULL }
#define PLACED_PROMISE(at, p) { "shopify", NULL, EV_PLACED, (at), NULL, 0, NULL, (p), NULL }

static const struct answer_case cases[] = {
	{ "shipped with carrier and estimate",
	  { PLACED(D(0, 9)), { "ups", "1Z1", EV_IN_TRANSIT, D(1, 10), "ups", D(3, 18), NULL, 0, NULL } },
	  D(2, 12), "Your order shipped with UPS on Tuesday and is expected on Thursday." },
	{ "shipped today, no estimate",
	  { PLACED(D(0, 9)), { "fedex", "F1", EV_IN_TRANSIT, D(2, 8), "fedex", 0, NULL, 0, NULL } },
	  D(2, 20), "Your order shipped with FedEx today." },
	{ "label only: never 'shipped' before the carrier has it",
	  { PLACED(D(0, 9)), { "shipstation", "1Z2", EV_LABEL_CREATED, D(0, 15), "ups", 0, NULL, 0, NULL } },
	  D(1, 9), "Your order is packed and waiting for the carrier to collect it." },
	{ "placed",
	  { PLACED(D(0, 9)) }, D(0, 10), "We have received your order and will start preparing it soon." },
	{ "preparing in the warehouse",
	  { PLACED(D(0, 9)), { "scans", NULL, EV_PICKED, D(0, 11), NULL, 0, NULL, 0, NULL } },
	  D(0, 12), "Your order is being prepared in our warehouse." },
	{ "delayed: the estimate is past the promise",
	  { PLACED_PROMISE(D(0, 9), D(3, 0)),
	    { "ups", "1Z3", EV_IN_TRANSIT, D(1, 10), "ups", D(5, 18), NULL, 0, NULL } },
	  D(2, 12),
	  "Your order shipped with UPS on Tuesday but is running late: it is now expected on Saturday instead of "
	  "Thursday." },
	{ "delayed by the carrier, weather",
	  { PLACED(D(0, 9)), { "ups", "1Z4", EV_IN_TRANSIT, D(1, 10), "ups", D(3, 18), NULL, 0, NULL },
	    { "ups", "1Z4", EV_EXCEPTION, D(2, 6), "ups", D(4, 18), "weather_delay", 0, NULL } },
	  D(2, 12),
	  "Your order shipped with UPS on Tuesday but is running late: it is now expected on Friday. The delay is "
	  "caused by bad weather." },
	{ "split shipment, 2 of 3 delivered",
	  { PLACED(D(0, 9)), { "ups", "1ZA", EV_IN_TRANSIT, D(1, 10), "ups", 0, NULL, 0, NULL },
	    { "ups", "1ZA", EV_DELIVERED, D(2, 14), "ups", 0, NULL, 0, NULL },
	    { "ups", "1ZB", EV_IN_TRANSIT, D(1, 10), "ups", 0, NULL, 0, NULL },
	    { "ups", "1ZB", EV_DELIVERED, D(2, 15), "ups", 0, NULL, 0, NULL },
	    { "dhl", "JD1", EV_IN_TRANSIT, D(2, 9), "dhl", D(4, 18), NULL, 0, NULL } },
	  D(3, 8),
	  "2 of 3 parcels of your order have been delivered. The remaining parcel shipped with DHL on Wednesday "
	  "and is expected on Friday." },
	{ "split shipment, none delivered",
	  { PLACED(D(0, 9)), { "ups", "1ZA", EV_IN_TRANSIT, D(1, 10), "ups", D(3, 12), NULL, 0, NULL },
	    { "shipstation", "1ZB", EV_LABEL_CREATED, D(1, 11), "ups", 0, NULL, 0, NULL } },
	  D(2, 8),
	  "Your order is coming in 2 parcels. The first parcel (1ZA) shipped with UPS on Tuesday and is expected "
	  "on Thursday. The second parcel (1ZB) is packed and waiting for UPS to collect it." },
	{ "split shipment, all delivered",
	  { PLACED(D(0, 9)), { "ups", "1ZA", EV_DELIVERED, D(2, 10), "ups", 0, NULL, 0, NULL },
	    { "ups", "1ZB", EV_DELIVERED, D(3, 11), "ups", 0, NULL, 0, NULL } },
	  D(4, 8), "All 2 parcels of your order have been delivered, the last one on Thursday." },
	{ "out for delivery today",
	  { PLACED(D(0, 9)), { "usps", "94001", EV_OUT_FOR_DELIVERY, D(3, 7), "usps", D(3, 20), NULL, 0, NULL } },
	  D(3, 9), "Your order is out for delivery with USPS and should arrive today." },
	{ "delivered to a neighbour",
	  { PLACED(D(0, 9)), { "dhl", "JD2", EV_DELIVERED, D(3, 13), "dhl", 0, "neighbour", 0, NULL } },
	  D(4, 9), "Your order was delivered on Thursday to a neighbour." },
	{ "delivered long ago: a date, not a weekday",
	  { PLACED(D(-20, 9)), { "ups", "1Z5", EV_DELIVERED, D(-16, 13), "ups", 0, NULL, 0, NULL } },
	  D(0, 9), "Your order was delivered on 17 February." },
	{ "delivered in another year",
	  { PLACED(D(-70, 9)), { "ups", "1Z6", EV_DELIVERED, D(-66, 13), "ups", 0, "signed", 0, NULL } },
	  D(0, 9), "Your order was delivered on 29 December 2023 and signed for." },
	{ "attempted, next step",
	  { PLACED(D(0, 9)), { "ups", "1Z7", EV_DELIVERY_ATTEMPTED, D(2, 15), "ups", 0, "recipient_unavailable", 0,
			       NULL } },
	  D(2, 18),
	  "UPS tried to deliver your order today but nobody was available. UPS will try again on the next "
	  "working day; you can also rearrange the delivery with UPS using the tracking number." },
	{ "attempted, with the next attempt's date",
	  { PLACED(D(0, 9)), { "fedex", "F2", EV_DELIVERY_ATTEMPTED, D(2, 15), "fedex", D(3, 12), NULL, 0, NULL } },
	  D(3, 8),
	  "FedEx tried to deliver your order on Wednesday but nobody was available. The next attempt is planned "
	  "today; you can also rearrange the delivery with FedEx using the tracking number." },
	{ "exception: address issue",
	  { PLACED(D(0, 9)), { "ups", "1Z8", EV_EXCEPTION, D(2, 10), "ups", 0, "address_issue", 0, NULL } },
	  D(2, 12),
	  "UPS cannot deliver your order because of a problem with the delivery address. Please confirm your full "
	  "address so we can pass it on." },
	{ "exception: lost",
	  { PLACED(D(0, 9)), { "ups", "1Z9", EV_IN_TRANSIT, D(1, 10), "ups", 0, NULL, 0, NULL },
	    { "ups", "1Z9", EV_EXCEPTION, D(3, 10), "ups", 0, "lost", 0, NULL } },
	  D(3, 12),
	  "UPS has lost track of your order. We have opened an investigation and will send a replacement or a "
	  "refund." },
	{ "pickup point",
	  { PLACED(D(0, 9)), { "dhl", "JD3", EV_AVAILABLE_FOR_PICKUP, D(3, 10), "dhl", 0, NULL, 0, "Leipzig" } },
	  D(3, 12),
	  "Your order is waiting for you at a DHL pickup point in Leipzig. Please collect it soon, before it is "
	  "sent back to us." },
	{ "returned to sender",
	  { PLACED(D(0, 9)), { "ups", "1ZR", EV_RETURNED_TO_SENDER, D(3, 10), "ups", 0, NULL, 0, NULL } },
	  D(3, 12),
	  "Your order is being returned to us by UPS. We will contact you about a refund or a new delivery." },
	{ "cancelled and refunded",
	  { PLACED(D(0, 9)), { "shopify", NULL, EV_CANCELLED, D(0, 12), NULL, 0, NULL, 0, NULL },
	    { "shopify", NULL, EV_REFUNDED, D(1, 9), NULL, 0, "full", 0, NULL } },
	  D(2, 9), "Your order was cancelled. A full refund was issued on Tuesday." },
	{ "delivered, then a partial refund",
	  { PLACED(D(0, 9)), { "ups", "1ZP", EV_DELIVERED, D(2, 10), "ups", 0, NULL, 0, NULL },
	    { "shopify", NULL, EV_REFUNDED, D(3, 9), NULL, 0, "partial", 0, NULL } },
	  D(3, 12), "Your order was delivered on Wednesday. A partial refund was issued today." },
	{ "an unknown carrier code gets a capitalised name",
	  { PLACED(D(0, 9)), { "easypost", "LP1", EV_IN_TRANSIT, D(1, 10), "la_poste", D(4, 12), NULL, 0, NULL } },
	  D(2, 12), "Your order shipped with La poste on Tuesday and is expected on Friday." },
};

static void make_event(struct event *e, const struct spec *s, size_t i)
{
	char key[16];

	event_init(e);
	snprintf(key, sizeof(key), "k%02zu", i);
	assert_int_equal(EVENT_SET(e->key, key), WERR_OK);
	assert_int_equal(EVENT_SET(e->source, s->src), WERR_OK);
	assert_int_equal(EVENT_SET(e->order, "1001"), WERR_OK);
	assert_int_equal(EVENT_SET(e->package, s->pkg ? s->pkg : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->carrier, s->carrier ? s->carrier : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->detail, s->detail ? s->detail : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->location.city, s->city ? s->city : ""), WERR_OK);
	e->status = s->st;
	e->occurred_at = s->at;
	e->received_at = s->at + 60000;
	e->seq = (int64_t)i + 1;
	e->estimated_delivery = s->eta;
	e->promised_by = s->promised;
}

static void run_case(const struct answer_case *c)
{
	struct event evs[MAXEV];
	struct policy pol;
	struct order_state o;
	struct buf out = BUF_INIT;
	size_t n = 0;

	policy_init_defaults(&pol);
	while (n < MAXEV && c->ev[n].src) {
		make_event(&evs[n], &c->ev[n], n);
		n++;
	}
	order_init(&o);
	assert_int_equal(order_fold(&pol, evs, n, &o, NULL), WERR_OK);
	assert_int_equal(answer_text(&o, NULL, c->now, &out), WERR_OK);
	if (strcmp(out.p, c->want))
		fail_msg("case '%s':\n  got  \"%s\"\n  want \"%s\"", c->name, out.p, c->want);
	/* the core rule: no "shipped" before a carrier has a parcel */
	if (o.status <= ORD_READY_TO_SHIP)
		assert_null(strstr(out.p, "shipped"));
	buf_release(&out);
	order_release(&o);
	for (size_t i = 0; i < n; i++)
		event_release(&evs[i]);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void test_day_words(void **state)
{
	char b[48];
	(void)state;

	answer_day(D(2, 23), D(2, 0), b, sizeof(b));
	assert_string_equal(b, "today");
	answer_day(D(3, 1), D(2, 23), b, sizeof(b));
	assert_string_equal(b, "on Thursday"); /* no "tomorrow": read later, still true */
	answer_day(D(1, 1), D(2, 1), b, sizeof(b));
	assert_string_equal(b, "on Tuesday");
	answer_day(D(8, 0), D(2, 0), b, sizeof(b));
	assert_string_equal(b, "on Tuesday"); /* six days ahead: a weekday */
	answer_day(D(9, 0), D(2, 0), b, sizeof(b));
	assert_string_equal(b, "on 13 March"); /* seven: a date */
	answer_day(D(-6, 0), D(0, 0), b, sizeof(b));
	assert_string_equal(b, "on Tuesday");
	answer_day(D(-7, 0), D(0, 0), b, sizeof(b));
	assert_string_equal(b, "on 26 February");
	answer_day(D(302, 0), D(0, 0), b, sizeof(b));
	assert_string_equal(b, "on 31 December");
	answer_day(D(303, 0), D(298, 0), b, sizeof(b));
	assert_string_equal(b, "on Wednesday"); /* across the new year by weekday */
	answer_day(D(310, 0), D(298, 0), b, sizeof(b));
	assert_string_equal(b, "on 8 January 2025");
}

static void test_carrier_names(void **state)
{
	char b[48];
	(void)state;

	answer_carrier("ups", b, sizeof(b));
	assert_string_equal(b, "UPS");
	answer_carrier("fedex", b, sizeof(b));
	assert_string_equal(b, "FedEx");
	answer_carrier("royal_mail", b, sizeof(b));
	assert_string_equal(b, "Royal Mail");
	answer_carrier("postnl", b, sizeof(b));
	assert_string_equal(b, "Postnl");
	answer_carrier("", b, sizeof(b));
	assert_string_equal(b, "the carrier");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_day_words),
		cmocka_unit_test(test_carrier_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
