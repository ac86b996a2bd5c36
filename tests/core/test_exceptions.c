/*
 * test_exceptions.c - the exception engine (core/exceptions.h): one case
 * per row of the decision tables in docs/exceptions.md, each on both sides
 * of its threshold, built from events through the real fold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/event.h"
#include "core/exceptions.h"
#include "core/order.h"
#include "core/policy.h"
#include "base/banned.h"

/* the tables below leave the fields a row does not need to zero */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MON INT64_C(1709510400000) /* 2024-03-04T00:00:00Z, a Monday */
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)
#define MAXEV 8

struct spec {
	const char *src;
	const char *pkg;
	enum ev_status st;
	int64_t at;
	const char *detail;
	int64_t eta;
	int64_t promised, promised_ship;
};

static struct policy pol;
static struct exc_config cfg;

static void fold(const struct spec *sp, struct order_state *o)
{
	struct event evs[MAXEV];
	size_t n = 0;

	for (; sp[n].src && n < MAXEV; n++) {
		struct event *e = &evs[n];
		event_init(e);
		snprintf(e->source, sizeof(e->source), "%s", sp[n].src);
		snprintf(e->order, sizeof(e->order), "A1");
		snprintf(e->package, sizeof(e->package), "%s", sp[n].pkg ? sp[n].pkg : "");
		snprintf(e->key, sizeof(e->key), "k%zu", n);
		snprintf(e->detail, sizeof(e->detail), "%s", sp[n].detail ? sp[n].detail : "");
		if (sp[n].pkg)
			snprintf(e->carrier, sizeof(e->carrier), "ups");
		e->status = sp[n].st;
		e->occurred_at = sp[n].at;
		e->received_at = sp[n].at + 60000;
		e->estimated_delivery = sp[n].eta;
		e->promised_by = sp[n].promised;
		e->promised_ship_by = sp[n].promised_ship;
	}
	order_init(o);
	assert_int_equal(order_fold(&pol, evs, n, o, NULL), WERR_OK);
}

/* Runs the engine; returns the kinds open as "kind[@pkg] ..." and sets *next. */
static const char *run(const struct spec *sp, const struct lane_stat *stats, int64_t now, int64_t *next,
		       struct order_exception *first)
{
	static char out[512];
	struct order_state o;
	struct order_exception x[16];
	size_t n, len = 0;
	int64_t nx;

	fold(sp, &o);
	exceptions_compute(&o, &pol.cal, &cfg, stats, now, x, 16, &n, &nx);
	assert_true(n <= exceptions_max(&o));
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s%s%s", i ? " " : "",
					exc_kind_name(x[i].kind), x[i].package[0] ? "@" : "", x[i].package);
		assert_true(x[i].since <= now);
		assert_true(x[i].reason[0] != '\0');
	}
	if (next)
		*next = nx;
	if (first && n)
		*first = x[0];
	order_release(&o);
	return out;
}

static int setup(void **state)
{
	(void)state;
	policy_init_defaults(&pol);
	exc_config_defaults(&cfg);
	return 0;
}

/* Row N1-N3: a label and no carrier scan: open after 24 working hours. */
static void test_not_handed_over(void **state)
{
	struct spec label[] = { { "shipstation", "1Z1", EV_LABEL_CREATED, MON + 10 * HOUR }, { 0 } };
	struct spec friday[] = { { "shipstation", "1Z1", EV_LABEL_CREATED, MON + 4 * DAY + 10 * HOUR }, { 0 } };
	struct spec scanned[] = { { "shipstation", "1Z1", EV_LABEL_CREATED, MON + 10 * HOUR },
				  { "ups", "1Z1", EV_IN_TRANSIT, MON + 40 * HOUR }, { 0 } };
	struct order_exception x;
	int64_t next;
	(void)state;

	/* N1: 23 h 59 min after the label: nothing yet, checked again at 24 h */
	assert_string_equal(run(label, NULL, MON + 34 * HOUR - 60000, &next, NULL), "");
	assert_true(next == MON + 34 * HOUR);
	/* N1: at 24 h: open, since the threshold */
	assert_string_equal(run(label, NULL, MON + 34 * HOUR, &next, &x), "not_handed_over@1Z1");
	assert_true(x.since == MON + 34 * HOUR);
	assert_non_null(strstr(x.reason, "tracking number not found"));
	/* N1: open, the next check is when the team's 24 working hours of grace
	 * end (the customer's rules may fire then); none after that */
	assert_true(next == MON + 58 * HOUR);
	assert_true(exc_customer_at(&cfg, &pol.cal, EXC_NOT_HANDED_OVER, x.since) == MON + 58 * HOUR);
	assert_string_equal(run(label, NULL, MON + 58 * HOUR, &next, NULL), "not_handed_over@1Z1");
	assert_true(next == 0);
	assert_int_equal(exc_config_set(&cfg, "exceptions", "grace.not_handed_over", "0"), 1);
	assert_string_equal(run(label, NULL, MON + 34 * HOUR, &next, NULL), "not_handed_over@1Z1");
	assert_true(next == 0);
	assert_true(exc_customer_at(&cfg, &pol.cal, EXC_NOT_HANDED_OVER, x.since) == x.since);
	assert_int_equal(exc_config_set(&cfg, "exceptions", "grace.not_handed_over", "x"), -1);
	assert_int_equal(exc_config_set(&cfg, "exceptions", "grace.not_handed_over", "24"), 1);
	/* N2: a label on Friday 10:00: the weekend does not count, due Monday 10:00 */
	assert_string_equal(run(friday, NULL, MON + 7 * DAY + 9 * HOUR, &next, NULL), "");
	assert_true(next == MON + 7 * DAY + 10 * HOUR);
	assert_string_equal(run(friday, NULL, MON + 7 * DAY + 10 * HOUR, NULL, NULL), "not_handed_over@1Z1");
	/* N3: a carrier scan closes it */
	assert_string_equal(run(scanned, NULL, MON + 41 * HOUR, NULL, NULL), "");
	/* threshold configured */
	assert_int_equal(exc_config_set(&cfg, "exceptions", "not_handed_over_hours", "8"), 1);
	assert_string_equal(run(label, NULL, MON + 18 * HOUR, NULL, NULL), "not_handed_over@1Z1");
	assert_string_equal(run(label, NULL, MON + 18 * HOUR - 1, NULL, NULL), "");
	assert_int_equal(exc_config_set(&cfg, "exceptions", "enabled.not_handed_over", "false"), 1);
	assert_string_equal(run(label, NULL, MON + 30 * DAY, &next, NULL), "");
	assert_true(next == 0);
}

/* Rows S1-S4: stalled against the default rhythm, a learned one, the floor. */
static void test_stalled(void **state)
{
	struct spec moving[] = { { "ups", "1Z1", EV_IN_TRANSIT, MON + 9 * HOUR },
				 { "ups", "1Z1", EV_IN_TRANSIT, MON + 20 * HOUR }, { 0 } };
	struct spec resumed[] = { { "ups", "1Z1", EV_IN_TRANSIT, MON + 9 * HOUR },
				  { "ups", "1Z1", EV_IN_TRANSIT, MON + 20 * HOUR },
				  { "ups", "1Z1", EV_IN_TRANSIT, MON + 70 * HOUR }, { 0 } };
	struct lane_stat learned = { .level = 2, .n = 40, .gap_p90 = 30 * HOUR };
	struct lane_stat tight = { .level = 0, .n = 40, .gap_p90 = 6 * HOUR };
	struct lane_stat none = { .level = -1 };
	struct order_exception x;
	int64_t next;
	(void)state;

	/* S1: default 48 working hours after the last scan (Monday 20:00 -> Wednesday 20:00) */
	assert_string_equal(run(moving, NULL, MON + 68 * HOUR - 1, &next, NULL), "");
	assert_true(next == MON + 68 * HOUR);
	assert_string_equal(run(moving, &none, MON + 68 * HOUR, NULL, &x), "stalled@1Z1");
	assert_string_equal(x.basis, "default");
	assert_true(x.threshold == 48 * HOUR);
	/* S2: a learned rhythm of 30 h */
	assert_string_equal(run(moving, &learned, MON + 50 * HOUR - 1, NULL, NULL), "");
	assert_string_equal(run(moving, &learned, MON + 50 * HOUR, NULL, &x), "stalled@1Z1");
	assert_string_equal(x.basis, "learned");
	assert_non_null(strstr(x.reason, "90th percentile of 40"));
	/* S3: a learned rhythm below the floor (24 h) waits for the floor */
	assert_string_equal(run(moving, &tight, MON + 44 * HOUR - 1, NULL, NULL), "");
	assert_string_equal(run(moving, &tight, MON + 44 * HOUR, NULL, NULL), "stalled@1Z1");
	/* S4: a new scan closes it */
	assert_string_equal(run(resumed, NULL, MON + 72 * HOUR, NULL, NULL), "");
}

/* Row S5: the weekend is not a stall. */
static void test_stalled_weekend(void **state)
{
	struct spec friday[] = { { "ups", "1Z1", EV_IN_TRANSIT, MON + 4 * DAY + 18 * HOUR }, { 0 } };
	int64_t next;
	(void)state;

	/* Friday 18:00 + 48 working hours = Tuesday 18:00 */
	assert_string_equal(run(friday, NULL, MON + 7 * DAY + 23 * HOUR, &next, NULL), "");
	assert_true(next == MON + 8 * DAY + 18 * HOUR);
	assert_string_equal(run(friday, NULL, MON + 8 * DAY + 18 * HOUR, NULL, NULL), "stalled@1Z1");
}

/* Rows A1-A8: carrier attention states open at their event, close when it clears. */
static void test_attention(void **state)
{
	static const struct {
		enum ev_status st;
		const char *detail;
		const char *want;
	} rows[] = {
		{ EV_DELIVERY_ATTEMPTED, "", "delivery_attempted@1Z1" },
		{ EV_EXCEPTION, "address_issue", "address_issue@1Z1" },
		{ EV_EXCEPTION, "damaged", "damaged@1Z1" },
		{ EV_EXCEPTION, "lost", "lost@1Z1" },
		{ EV_EXCEPTION, "refused", "refused@1Z1" },
		{ EV_EXCEPTION, "customs_hold", "customs_hold@1Z1" },
		{ EV_EXCEPTION, "weather_delay", "carrier_exception@1Z1" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct spec sp[] = { { "ups", "1Z1", EV_IN_TRANSIT, MON + 9 * HOUR },
				     { "ups", "1Z1", rows[i].st, MON + 30 * HOUR, rows[i].detail }, { 0 } };
		struct spec cleared[] = { { "ups", "1Z1", EV_IN_TRANSIT, MON + 9 * HOUR },
					  { "ups", "1Z1", rows[i].st, MON + 30 * HOUR, rows[i].detail },
					  { "ups", "1Z1", EV_OUT_FOR_DELIVERY, MON + 50 * HOUR }, { 0 } };
		struct order_exception x;
		assert_string_equal(run(sp, NULL, MON + 31 * HOUR, NULL, &x), rows[i].want);
		assert_true(x.since == MON + 30 * HOUR);
		assert_string_equal(run(cleared, NULL, MON + 51 * HOUR, NULL, NULL), "");
	}
}

/* Row P1: a pickup waiting more than 5 calendar days (weekends count). */
static void test_pickup(void **state)
{
	struct spec sp[] = { { "ups", "1Z1", EV_IN_TRANSIT, MON + 9 * HOUR },
			     { "ups", "1Z1", EV_AVAILABLE_FOR_PICKUP, MON + 4 * DAY + 9 * HOUR }, { 0 } };
	int64_t next;
	(void)state;

	assert_string_equal(run(sp, NULL, MON + 9 * DAY + 9 * HOUR - 1, &next, NULL), "");
	assert_true(next == MON + 9 * DAY + 9 * HOUR);
	assert_string_equal(run(sp, NULL, MON + 9 * DAY + 9 * HOUR, NULL, NULL), "pickup_not_collected@1Z1");
}

/* Rows R1-R5: promises. */
static void test_promises(void **state)
{
	struct spec unshipped[] = { { "shopify", NULL, EV_PLACED, MON, .promised_ship = MON + 2 * DAY,
				      .promised = MON + 6 * DAY }, { 0 } };
	struct spec shipped[] = { { "shopify", NULL, EV_PLACED, MON, .promised_ship = MON + 2 * DAY,
				    .promised = MON + 6 * DAY },
				  { "ups", "1Z1", EV_IN_TRANSIT, MON + DAY }, { 0 } };
	struct spec late_eta[] = { { "shopify", NULL, EV_PLACED, MON, .promised = MON + 6 * DAY },
				   { "ups", "1Z1", EV_IN_TRANSIT, MON + DAY, .eta = MON + 8 * DAY }, { 0 } };
	struct spec delivered[] = { { "shopify", NULL, EV_PLACED, MON, .promised = MON + 2 * DAY },
				    { "ups", "1Z1", EV_IN_TRANSIT, MON + DAY },
				    { "ups", "1Z1", EV_DELIVERED, MON + 4 * DAY }, { 0 } };
	struct order_exception x;
	int64_t next;
	(void)state;

	/* R1: ship-by is a date: it holds to the end of that day */
	assert_string_equal(run(unshipped, NULL, MON + 3 * DAY - 1, &next, NULL), "");
	assert_true(next == MON + 3 * DAY);
	assert_string_equal(run(unshipped, NULL, MON + 3 * DAY, NULL, NULL), "not_shipped_by_promise");
	/* R2: shipped in time: never (the parcel has stalled meanwhile); R3: deliver-by passed undelivered */
	assert_string_equal(run(shipped, NULL, MON + 7 * DAY - 1, NULL, NULL), "stalled@1Z1");
	assert_string_equal(run(shipped, NULL, MON + 7 * DAY + 1, NULL, NULL), "stalled@1Z1 late_vs_promise");
	assert_string_equal(run(shipped, NULL, MON + 7 * DAY, NULL, NULL), "stalled@1Z1 late_vs_promise");
	/* R4: the carrier's estimate is after the promise: late from that news */
	assert_string_equal(run(late_eta, NULL, MON + DAY + HOUR, NULL, &x), "late_vs_promise");
	assert_true(x.since == MON + DAY);
	/* R5: delivered (late or not): no promise exception */
	assert_string_equal(run(delivered, NULL, MON + 10 * DAY, &next, NULL), "");
	assert_true(next == 0);
}

/* Row R6: wismo's own prediction: when even the lane's earliest day is
 * after the promise, late from the first scan; a lane that makes it in time,
 * or a carrier estimate revised after the scan, opens nothing. */
static void test_promise_vs_prediction(void **state)
{
	struct spec sp[] = { { "shopify", NULL, EV_PLACED, MON, .promised = MON + 3 * DAY },
			     { "ups", "1Z1", EV_IN_TRANSIT, MON + 10 * HOUR }, { 0 } };
	struct spec revised[] = { { "shopify", NULL, EV_PLACED, MON, .promised = MON + 3 * DAY },
				  { "ups", "1Z1", EV_IN_TRANSIT, MON + 10 * HOUR },
				  { "ups", "1Z1", EV_IN_TRANSIT, MON + 20 * HOUR, .eta = MON + 3 * DAY }, { 0 } };
	struct lane_stat slow = { .level = 1, .n = 40, .transit_p05 = 4 * DAY, .transit_p50 = 5 * DAY,
				  .transit_p95 = 6 * DAY, .gap_p90 = 30 * HOUR };
	struct lane_stat quick = slow;
	struct order_exception x;
	(void)state;

	/* Monday 10:00 + 4 working days = Friday: after Thursday's promise */
	assert_string_equal(run(sp, &slow, MON + 11 * HOUR, NULL, &x), "late_vs_promise");
	assert_true(x.since == MON + 10 * HOUR);
	assert_non_null(strstr(x.reason, "from 40 deliveries on its lane"));
	quick.transit_p05 = 2 * DAY; /* Wednesday: in time */
	assert_string_equal(run(sp, &quick, MON + 11 * HOUR, NULL, NULL), "");
	assert_string_equal(run(revised, &slow, MON + 21 * HOUR, NULL, NULL), "");
}

/* Row C1: a conflict open for more than 24 working hours. */
static void test_conflict(void **state)
{
	/* the storefront claims delivered; the carrier owns it and says in transit */
	struct spec sp[] = { { "ups", "1Z1", EV_IN_TRANSIT, MON + 9 * HOUR },
			     { "shopify", "1Z1", EV_DELIVERED, MON + 10 * HOUR },
			     { "ups", "1Z1", EV_IN_TRANSIT, MON + 12 * HOUR }, { 0 } };
	(void)state;

	assert_string_equal(run(sp, NULL, MON + 34 * HOUR - 1, NULL, NULL), "");
	assert_string_equal(run(sp, NULL, MON + 34 * HOUR, NULL, NULL), "conflict_unresolved");
}

/* Row K1: the customer's cancellation request stays open until the store
 * cancels or refunds. */
static void test_cancel_requested(void **state)
{
	struct spec asked[] = { { "shopify", NULL, EV_PLACED, MON + 9 * HOUR },
				{ "tracking_page", NULL, EV_CANCEL_REQUESTED, MON + 10 * HOUR }, { 0 } };
	struct spec cancelled[] = { { "shopify", NULL, EV_PLACED, MON + 9 * HOUR },
				    { "tracking_page", NULL, EV_CANCEL_REQUESTED, MON + 10 * HOUR },
				    { "shopify", NULL, EV_CANCELLED, MON + 12 * HOUR }, { 0 } };
	struct spec refunded[] = { { "shopify", NULL, EV_PLACED, MON + 9 * HOUR },
				   { "tracking_page", NULL, EV_CANCEL_REQUESTED, MON + 10 * HOUR },
				   { "shopify", NULL, EV_REFUNDED, MON + 12 * HOUR }, { 0 } };
	struct order_exception x;
	(void)state;

	assert_string_equal(run(asked, NULL, MON + 10 * HOUR - 1, NULL, NULL), "");
	assert_string_equal(run(asked, NULL, MON + 10 * HOUR, NULL, &x), "cancel_requested");
	assert_true(x.since == MON + 10 * HOUR);
	assert_string_equal(run(cancelled, NULL, MON + 30 * HOUR, NULL, NULL), "");
	assert_string_equal(run(refunded, NULL, MON + 30 * HOUR, NULL, NULL), "");
	assert_int_equal(cfg.team[EXC_CANCEL_REQUESTED], TEAM_SUPPORT);
	assert_int_equal(cfg.priority[EXC_CANCEL_REQUESTED], PRIO_HIGH);
}

/* Rows RT1-RT5: a return's waits (docs/returns.md "Tasks"); events naming no
 * return are the order's return, named by the order ("A1"). */
static void test_returns(void **state)
{
	struct spec asked[] = { { "ups", "1Z1", EV_DELIVERED, MON + 9 * HOUR },
				{ "shopify", NULL, EV_RETURN_REQUESTED, MON + 30 * HOUR }, { 0 } };
	struct spec moving[] = { { "ups", "1Z1", EV_DELIVERED, MON + 9 * HOUR },
				 { "shopify", NULL, EV_RETURN_APPROVED, MON + 30 * HOUR },
				 { "shopify", "1ZR", EV_RETURN_LABEL_CREATED, MON + 31 * HOUR },
				 { "ups", "1ZR", EV_IN_TRANSIT, MON + 40 * HOUR }, { 0 } };
	struct spec back[] = { { "ups", "1Z1", EV_DELIVERED, MON + 9 * HOUR },
			       { "shopify", "1ZR", EV_RETURN_LABEL_CREATED, MON + 31 * HOUR },
			       { "ups", "1ZR", EV_IN_TRANSIT, MON + 40 * HOUR },
			       { "ups", "1ZR", EV_DELIVERED, MON + 50 * HOUR }, { 0 } };
	struct spec disposed[] = { { "ups", "1Z1", EV_DELIVERED, MON + 9 * HOUR },
				   { "scans", NULL, EV_RETURN_RECEIVED, MON + 50 * HOUR },
				   { "scans", NULL, EV_RETURN_DISPOSED, MON + 52 * HOUR }, { 0 } };
	struct spec refunded[] = { { "ups", "1Z1", EV_DELIVERED, MON + 9 * HOUR },
				   { "scans", NULL, EV_RETURN_DISPOSED, MON + 52 * HOUR },
				   { "shopify", NULL, EV_RETURN_REFUNDED, MON + 60 * HOUR }, { 0 } };
	struct order_exception x;
	int64_t next;
	(void)state;

	/* RT1: a request waits for a person at once */
	assert_string_equal(run(asked, NULL, MON + 30 * HOUR, NULL, &x), "return_approval@A1");
	assert_int_equal(cfg.team[EXC_RETURN_APPROVAL], TEAM_RETURNS);
	/* RT2: a moving return parcel is the warehouse's heads-up, never a stalled outbound parcel */
	assert_string_equal(run(moving, NULL, MON + 40 * HOUR, NULL, &x), "return_moving@A1");
	assert_true(x.since == MON + 40 * HOUR);
	assert_string_equal(run(moving, NULL, MON + 20 * DAY, NULL, NULL), "return_moving@A1");
	/* RT3: received (a Wednesday), not inspected after 48 working hours */
	assert_string_equal(run(back, NULL, MON + 50 * HOUR, &next, NULL), "");
	assert_true(next == MON + 98 * HOUR);
	assert_string_equal(run(back, NULL, MON + 98 * HOUR, NULL, &x), "return_not_inspected@A1");
	/* RT4: disposed, no refund after 48 working hours: high, the returns team's */
	assert_string_equal(run(disposed, NULL, MON + 100 * HOUR, NULL, &x), "return_not_refunded@A1");
	assert_true(x.since == MON + 100 * HOUR);
	assert_int_equal(cfg.priority[EXC_RETURN_NOT_REFUNDED], PRIO_HIGH);
	/* RT5: a refund ends the waits */
	assert_string_equal(run(refunded, NULL, MON + 20 * DAY, NULL, NULL), "");
}

/* Rows X1-X2: cancelled and delivered parcels raise nothing; a fixed order. */
static void test_quiet_states_and_order(void **state)
{
	struct spec sp[] = { { "shipstation", "1Z2", EV_LABEL_CREATED, MON + 9 * HOUR },
			     { "ups", "1Z1", EV_IN_TRANSIT, MON + 9 * HOUR },
			     { "shipstation", "1Z3", EV_LABEL_CREATED, MON + 9 * HOUR },
			     { "shipstation", "1Z3", EV_CANCELLED, MON + 10 * HOUR },
			     { "ups", "1Z4", EV_IN_TRANSIT, MON + 9 * HOUR },
			     { "ups", "1Z4", EV_DELIVERED, MON + 20 * HOUR }, { 0 } };
	(void)state;

	assert_string_equal(run(sp, NULL, MON + 30 * DAY, NULL, NULL), "not_handed_over@1Z2 stalled@1Z1");
}

static void test_config(void **state)
{
	struct exc_config c;
	(void)state;

	exc_config_defaults(&c);
	assert_int_equal(exc_config_set(&c, "exceptions", "stalled_hours", "72"), 1);
	assert_true(c.stalled_ms == 72 * HOUR);
	assert_int_equal(exc_config_set(&c, "exceptions", "stalled_hours", "0"), -1);
	assert_int_equal(exc_config_set(&c, "exceptions", "team.stalled", "warehouse"), 1);
	assert_int_equal(c.team[EXC_STALLED], TEAM_WAREHOUSE);
	assert_int_equal(exc_config_set(&c, "exceptions", "team.stalled", "nobody"), -1);
	assert_int_equal(exc_config_set(&c, "exceptions", "team.nothing", "support"), -1);
	assert_int_equal(exc_config_set(&c, "exceptions", "priority.lost", "low"), 1);
	assert_int_equal(exc_config_set(&c, "exceptions", "business_days", "mon-sat"), 0);
	assert_int_equal(exc_config_set(&c, "exceptions", "bogus", "1"), -1);
	assert_int_equal(exc_config_set(&c, "other", "stalled_hours", "1"), 0);
	/* the calendar's keys are the policy's */
	assert_int_equal(policy_config_set(&pol, "exceptions", "business_days", "mon-sat"), 1);
	assert_int_equal(pol.cal.workdays, 0x7eu);
	assert_int_equal(policy_config_set(&pol, "exceptions", "stalled_hours", "3"), 0);
	assert_int_equal(policy_config_set(&pol, "calendar", "business_days", "someday"), -1);
	assert_int_equal(policy_config_set(&pol, "calendar", "bogus", "1"), -1);
	policy_init_defaults(&pol);
	for (int k = 0; k < EXC__COUNT; k++)
		assert_int_equal(exc_kind_from_name(exc_kind_name((enum exc_kind)k)), k);
}

/* The fold measures the longest working-time wait between scans. */
static void test_fold_scan_fields(void **state)
{
	struct spec sp[] = { { "shipstation", "1Z1", EV_LABEL_CREATED, MON + 8 * HOUR },
			     { "ups", "1Z1", EV_IN_TRANSIT, MON + 4 * DAY + 12 * HOUR },  /* Friday */
			     { "ups", "1Z1", EV_IN_TRANSIT, MON + 7 * DAY + 6 * HOUR },   /* Monday */
			     { "ups", "1Z1", EV_IN_TRANSIT, MON + 7 * DAY + 20 * HOUR }, { 0 } };
	struct order_state o;
	(void)state;

	fold(sp, &o);
	assert_true(o.packages[0].label_at == MON + 8 * HOUR);
	assert_true(o.packages[0].last_scan_at == MON + 7 * DAY + 20 * HOUR);
	/* Friday 12:00 -> Monday 06:00 is 18 working hours; Monday 06 -> 20 is 14 */
	assert_true(o.packages[0].max_gap == 18 * HOUR);
	order_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_not_handed_over, setup),
		cmocka_unit_test_setup(test_stalled, setup),
		cmocka_unit_test_setup(test_stalled_weekend, setup),
		cmocka_unit_test_setup(test_attention, setup),
		cmocka_unit_test_setup(test_pickup, setup),
		cmocka_unit_test_setup(test_promises, setup),
		cmocka_unit_test_setup(test_promise_vs_prediction, setup),
		cmocka_unit_test_setup(test_conflict, setup),
		cmocka_unit_test_setup(test_cancel_requested, setup),
		cmocka_unit_test_setup(test_returns, setup),
		cmocka_unit_test_setup(test_quiet_states_and_order, setup),
		cmocka_unit_test_setup(test_config, setup),
		cmocka_unit_test_setup(test_fold_scan_fields, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
