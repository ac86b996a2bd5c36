/*
 * test_status.c - the shared status language (core/status.h) and the
 * ownership policy (core/policy.h), as tables: one row per status, per order
 * status, per source and per (kind, milestone) pair.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "core/status.h"
#include "base/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Checks that name the table row when they fail. */
#define ROW_INT(row, got, want) do { \
	long long got_ = (long long)(got), want_ = (long long)(want); \
	if (got_ != want_) \
		fail_msg("%s: %s is %lld, want %lld", (row), #got, got_, want_); \
} while (0)
#define ROW_STR(row, got, want) do { \
	const char *got_ = (got), *want_ = (want); \
	if (strcmp(got_, want_)) \
		fail_msg("%s: %s is '%s', want '%s'", (row), #got, got_, want_); \
} while (0)

/* Every event status and what the language says about it. */
static const struct {
	enum ev_status s;
	const char *name;
	bool needs_package;
	bool order_level;
	enum milestone ms_order;   /* ev_milestone(s, false) */
	enum milestone ms_package; /* ev_milestone(s, true) */
	int order_progress;
} ev_rows[] = {
	{ EV_UNKNOWN, "unknown", false, false, MS_ORDER, MS_CARRIER, -1 },
	{ EV_LABEL_CREATED, "label_created", true, false, MS_LABEL, MS_LABEL, -1 },
	{ EV_IN_TRANSIT, "in_transit", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_OUT_FOR_DELIVERY, "out_for_delivery", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_AVAILABLE_FOR_PICKUP, "available_for_pickup", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_DELIVERY_ATTEMPTED, "delivery_attempted", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_DELIVERED, "delivered", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_EXCEPTION, "exception", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_RETURNED_TO_SENDER, "returned_to_sender", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_CANCELLED, "cancelled", false, false, MS_ORDER, MS_LABEL, 6 },
	{ EV_PLACED, "placed", false, true, MS_ORDER, MS_ORDER, 0 },
	{ EV_CONFIRMED, "confirmed", false, true, MS_ORDER, MS_ORDER, 1 },
	{ EV_PROCESSING, "processing", false, true, MS_WAREHOUSE, MS_WAREHOUSE, 2 },
	{ EV_PICKED, "picked", false, true, MS_WAREHOUSE, MS_WAREHOUSE, 3 },
	{ EV_PACKED, "packed", false, true, MS_WAREHOUSE, MS_WAREHOUSE, 4 },
	{ EV_READY_TO_SHIP, "ready_to_ship", false, true, MS_WAREHOUSE, MS_WAREHOUSE, 5 },
	{ EV_REFUNDED, "refunded", false, true, MS_ORDER, MS_ORDER, -1 },
	{ EV_CANCEL_REQUESTED, "cancel_requested", false, true, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_REQUESTED, "return_requested", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_APPROVED, "return_approved", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_REJECTED, "return_rejected", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_LABEL_CREATED, "return_label_created", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_PICKUP_SCHEDULED, "return_pickup_scheduled", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_IN_TRANSIT, "return_in_transit", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_RECEIVED, "return_received", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_INSPECTING, "return_inspecting", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_DISPOSED, "return_disposed", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_REFUNDED, "return_refunded", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_REPLACED, "return_replaced", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_STORE_CREDIT, "return_store_credit", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_CLOSED, "return_closed", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_RETURN_CANCELLED, "return_cancelled", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_MILESTONE, "milestone", false, false, MS_ORDER, MS_ORDER, -1 },
	{ EV_APPOINTMENT_OFFERED, "appointment_offered", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_APPOINTMENT_SCHEDULED, "appointment_scheduled", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_APPOINTMENT_RESCHEDULED, "appointment_rescheduled", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_APPOINTMENT_MISSED, "appointment_missed", true, false, MS_CARRIER, MS_CARRIER, -1 },
	{ EV_NOT_RECEIVED, "not_received", false, false, MS_ORDER, MS_ORDER, -1 },
};

/* Every package status: its class, progress and what the customer sees. */
static const struct {
	enum pkg_status s;
	bool terminal;
	bool possession;
	int progress;
	enum cust_step step;
	const char *label;
} pkg_rows[] = {
	{ PKG_UNKNOWN, false, false, 0, STEP_PREPARING, "Preparing" },
	{ PKG_LABEL_CREATED, false, false, 1, STEP_PREPARING, "Label created" },
	{ PKG_IN_TRANSIT, false, true, 2, STEP_SHIPPED, "In transit" },
	{ PKG_OUT_FOR_DELIVERY, false, true, 3, STEP_OUT_FOR_DELIVERY, "Out for delivery" },
	{ PKG_AVAILABLE_FOR_PICKUP, false, true, 3, STEP_SHIPPED, "Ready for pickup" },
	{ PKG_DELIVERY_ATTEMPTED, false, true, 3, STEP_SHIPPED, "Delivery attempted" },
	{ PKG_DELIVERED, true, true, 4, STEP_DELIVERED, "Delivered" },
	{ PKG_EXCEPTION, false, false, 2, STEP_SHIPPED, "Exception" },
	{ PKG_RETURNED_TO_SENDER, true, true, 4, STEP_SHIPPED, "Returning to sender" },
	{ PKG_CANCELLED, true, false, 4, STEP_PREPARING, "Cancelled" },
};

static const struct {
	enum ord_status s;
	const char *name;
	enum cust_step step;
	const char *label;
} ord_rows[] = {
	{ ORD_PLACED, "placed", STEP_ORDERED, "Ordered" },
	{ ORD_CONFIRMED, "confirmed", STEP_ORDERED, "Ordered" },
	{ ORD_PROCESSING, "processing", STEP_PREPARING, "Preparing" },
	{ ORD_PICKED, "picked", STEP_PREPARING, "Preparing" },
	{ ORD_PACKED, "packed", STEP_PREPARING, "Preparing" },
	{ ORD_READY_TO_SHIP, "ready_to_ship", STEP_PREPARING, "Preparing" },
	{ ORD_PARTIALLY_SHIPPED, "partially_shipped", STEP_SHIPPED, "Partially shipped" },
	{ ORD_SHIPPED, "shipped", STEP_SHIPPED, "Shipped" },
	{ ORD_OUT_FOR_DELIVERY, "out_for_delivery", STEP_OUT_FOR_DELIVERY, "Out for delivery" },
	{ ORD_PARTIALLY_DELIVERED, "partially_delivered", STEP_SHIPPED, "Partially delivered" },
	{ ORD_DELIVERED, "delivered", STEP_DELIVERED, "Delivered" },
	{ ORD_CANCELLED, "cancelled", STEP_ORDERED, "Cancelled" },
};

static void test_ev_status_table(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_SIZE(ev_rows), EV__COUNT);
	for (size_t i = 0; i < ARRAY_SIZE(ev_rows); i++) {
		enum ev_status s = ev_rows[i].s;
		const char *row = ev_rows[i].name;
		ROW_STR(row, ev_status_name(s), ev_rows[i].name);
		ROW_INT(row, ev_status_from_name(ev_rows[i].name), s);
		ROW_INT(row, ev_status_needs_package(s), ev_rows[i].needs_package);
		ROW_INT(row, ev_status_is_order_level(s), ev_rows[i].order_level);
		ROW_INT(row, ev_milestone(s, false), ev_rows[i].ms_order);
		ROW_INT(row, ev_milestone(s, true), ev_rows[i].ms_package);
		ROW_INT(row, ev_order_progress(s), ev_rows[i].order_progress);
	}
}

static void test_pkg_status_table(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_SIZE(pkg_rows), PKG__COUNT);
	for (size_t i = 0; i < ARRAY_SIZE(pkg_rows); i++) {
		enum pkg_status s = pkg_rows[i].s;
		const char *row = pkg_status_name(s);
		/* same numbers as the event statuses */
		ROW_STR(row, pkg_status_name(s), ev_status_name((enum ev_status)s));
		ROW_INT(row, pkg_status_is_terminal(s), pkg_rows[i].terminal);
		ROW_INT(row, pkg_status_is_possession(s), pkg_rows[i].possession);
		ROW_INT(row, pkg_status_progress(s), pkg_rows[i].progress);
		ROW_INT(row, pkg_customer_step(s), pkg_rows[i].step);
		ROW_STR(row, pkg_customer_label(s), pkg_rows[i].label);
	}
}

static void test_ord_status_table(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_SIZE(ord_rows), ORD__COUNT);
	for (size_t i = 0; i < ARRAY_SIZE(ord_rows); i++) {
		enum ord_status s = ord_rows[i].s;
		const char *row = ord_rows[i].name;
		ROW_STR(row, ord_status_name(s), ord_rows[i].name);
		ROW_INT(row, ord_status_from_name(ord_rows[i].name), s);
		ROW_INT(row, ord_customer_step(s), ord_rows[i].step);
		ROW_STR(row, ord_customer_label(s), ord_rows[i].label);
	}
}

static void test_names_unknown(void **state)
{
	static const char *const bad[] = { "", "Delivered", "delivered ", "shipped", "nope" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (strcmp(bad[i], "shipped"))
			assert_int_equal(ord_status_from_name(bad[i]), -1);
		assert_int_equal(ev_status_from_name(bad[i]), -1);
	}
	assert_int_equal(ev_status_from_name(NULL), -1);
	assert_int_equal(ord_status_from_name(NULL), -1);
	assert_int_equal(ord_status_from_name("partially_shipped"), ORD_PARTIALLY_SHIPPED);
	/* out of range values still name something */
	assert_string_equal(ev_status_name(EV__COUNT), "unknown");
	assert_string_equal(pkg_status_name(PKG__COUNT), "unknown");
	assert_string_equal(ord_status_name(ORD__COUNT), "placed");
}

static void test_milestone_and_step_names(void **state)
{
	static const struct { enum milestone m; const char *name; } ms[] = {
		{ MS_ORDER, "order" }, { MS_WAREHOUSE, "warehouse" },
		{ MS_LABEL, "label" }, { MS_CARRIER, "carrier" },
	};
	static const struct { enum cust_step s; const char *name; } steps[] = {
		{ STEP_ORDERED, "ordered" }, { STEP_PREPARING, "preparing" },
		{ STEP_SHIPPED, "shipped" }, { STEP_OUT_FOR_DELIVERY, "out_for_delivery" },
		{ STEP_DELIVERED, "delivered" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ms); i++)
		assert_string_equal(milestone_name(ms[i].m), ms[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		assert_string_equal(cust_step_name(steps[i].s), steps[i].name);
	/* the steps are numbered 1..5 in order */
	assert_int_equal(STEP_ORDERED, 1);
	assert_int_equal(STEP_DELIVERED, 5);
}

static void test_progress_is_monotone(void **state)
{
	(void)state;
	/* along the normal path the number only grows */
	static const enum pkg_status path[] = { PKG_UNKNOWN, PKG_LABEL_CREATED, PKG_IN_TRANSIT,
						PKG_OUT_FOR_DELIVERY, PKG_DELIVERED };
	for (size_t i = 1; i < ARRAY_SIZE(path); i++)
		assert_true(pkg_status_progress(path[i]) > pkg_status_progress(path[i - 1]));
	for (int s = EV_PLACED; s < EV_READY_TO_SHIP; s++)
		assert_true(ev_order_progress((enum ev_status)(s + 1)) >
			    ev_order_progress((enum ev_status)s));
	assert_true(ev_order_progress(EV_CANCELLED) > ev_order_progress(EV_READY_TO_SHIP));
}

static void test_default_action_required(void **state)
{
	static const struct {
		enum pkg_status s;
		const char *detail;
		bool want;
	} rows[] = {
		{ PKG_AVAILABLE_FOR_PICKUP, "", true },
		{ PKG_AVAILABLE_FOR_PICKUP, NULL, true },
		{ PKG_EXCEPTION, "address_issue", true },
		{ PKG_EXCEPTION, "customs_hold", true },
		{ PKG_EXCEPTION, "damaged", false },
		{ PKG_EXCEPTION, "delayed", false },
		{ PKG_EXCEPTION, "refused", false },
		{ PKG_EXCEPTION, "", false },
		{ PKG_EXCEPTION, NULL, false },
		{ PKG_DELIVERY_ATTEMPTED, "", false },
		{ PKG_IN_TRANSIT, "address_issue", false },
		{ PKG_DELIVERED, "", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char row[96];
		snprintf(row, sizeof(row), "%s/%s", pkg_status_name(rows[i].s),
			 rows[i].detail ? rows[i].detail : "(null)");
		ROW_INT(row, pkg_default_action_required(rows[i].s, rows[i].detail), rows[i].want);
	}
}

static void test_detail_is_delay(void **state)
{
	static const struct { const char *detail; bool want; } rows[] = {
		{ "delayed", true }, { "weather_delay", true }, { "late_vs_promise", true },
		{ "stalled", false }, { "lost", false }, { "", false }, { NULL, false },
		{ "Delayed", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		assert_int_equal(detail_is_delay(rows[i].detail), rows[i].want);
}

static void test_exception_details(void **state)
{
	static const char *const required[] = {
		"address_issue", "damaged", "lost", "delayed", "weather_delay", "customs_hold",
		"refused", "recipient_unavailable", "held_by_carrier", "stalled",
		"not_handed_over", "late_vs_promise",
	};
	size_t n = 0;

	(void)state;
	while (status_exception_details[n])
		n++;
	assert_int_equal(n, ARRAY_SIZE(required));
	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		bool found = false;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(status_exception_details[j], required[i]))
				found = true;
		assert_true(found);
	}
}

/* ---- policy ---- */

static const struct {
	const char *source;
	enum source_kind kind;
} kind_rows[] = {
	{ "shopify", KIND_STOREFRONT }, { "woocommerce", KIND_STOREFRONT },
	{ "scans", KIND_WAREHOUSE }, { "shipstation", KIND_SHIPPING },
	{ "easypost", KIND_AGGREGATOR }, { "aftership", KIND_AGGREGATOR },
	{ "shippo", KIND_AGGREGATOR }, { "ups", KIND_CARRIER }, { "fedex", KIND_CARRIER },
	{ "usps", KIND_CARRIER }, { "dhl", KIND_CARRIER },
	{ "acme", KIND_GENERIC }, { "UPS", KIND_GENERIC }, { "", KIND_GENERIC },
};

#define N TRUST_NONE
#define R TRUST_RELAY
#define G TRUST_GENERIC
#define O TRUST_OWNER
/* DESIGN.md section 5 as a table: rows are kinds, columns milestone classes. */
static const enum trust trust_rows[KIND__COUNT][MS__COUNT] = {
	/*                    order warehouse label carrier */
	[KIND_GENERIC] =    { G, G, G, G },
	[KIND_STOREFRONT] = { O, N, R, R },
	[KIND_WAREHOUSE] =  { N, O, R, N },
	[KIND_SHIPPING] =   { N, O, O, N },
	[KIND_CARRIER] =    { N, N, O, O },
	[KIND_AGGREGATOR] = { N, N, O, O },
};
#undef N
#undef R
#undef G
#undef O

static void test_policy_kinds(void **state)
{
	struct policy p;

	(void)state;
	policy_init_defaults(&p);
	for (size_t i = 0; i < ARRAY_SIZE(kind_rows); i++) {
		ROW_INT(kind_rows[i].source, policy_kind(&p, kind_rows[i].source), kind_rows[i].kind);
	}
	assert_int_equal(policy_kind(&p, NULL), KIND_GENERIC);
}

static void test_policy_trust(void **state)
{
	static const char *const example[KIND__COUNT] = {
		[KIND_GENERIC] = "acme", [KIND_STOREFRONT] = "shopify", [KIND_WAREHOUSE] = "scans",
		[KIND_SHIPPING] = "shipstation", [KIND_CARRIER] = "ups",
		[KIND_AGGREGATOR] = "aftership",
	};
	struct policy p;

	(void)state;
	policy_init_defaults(&p);
	for (int k = 0; k < KIND__COUNT; k++)
		for (int m = 0; m < MS__COUNT; m++) {
			char row[64];
			snprintf(row, sizeof(row), "%s/%s", source_kind_name((enum source_kind)k),
				 milestone_name((enum milestone)m));
			ROW_INT(row, p.trust[k][m], trust_rows[k][m]);
			ROW_INT(row, policy_trust(&p, example[k], (enum milestone)m), trust_rows[k][m]);
		}
}

static void test_policy_precedence(void **state)
{
	static const struct { const char *source; int prec; } rows[] = {
		{ "ups", 5 }, { "easypost", 4 }, { "shipstation", 3 }, { "scans", 2 },
		{ "acme", 1 }, { "shopify", 0 },
	};
	struct policy p;

	(void)state;
	policy_init_defaults(&p);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		assert_int_equal(policy_precedence(&p, rows[i].source), rows[i].prec);
	assert_int_equal(p.terminal_hold_ms, INT64_C(12) * 3600 * 1000);
}

static void test_policy_set_kind(void **state)
{
	struct policy p;
	char name[EV_SOURCE_MAX + 2];

	(void)state;
	policy_init_defaults(&p);
	/* a new name */
	assert_int_equal(policy_set_kind(&p, "parcelco", KIND_CARRIER), WERR_OK);
	assert_int_equal(policy_kind(&p, "parcelco"), KIND_CARRIER);
	assert_int_equal(policy_trust(&p, "parcelco", MS_CARRIER), TRUST_OWNER);
	/* a built-in name can change kind */
	assert_int_equal(policy_set_kind(&p, "ups", KIND_AGGREGATOR), WERR_OK);
	assert_int_equal(policy_kind(&p, "ups"), KIND_AGGREGATOR);
	assert_int_equal(policy_precedence(&p, "ups"), 4);
	/* names that do not fit */
	assert_int_equal(policy_set_kind(&p, "", KIND_CARRIER), WERR_INVALID);
	assert_int_equal(policy_set_kind(&p, NULL, KIND_CARRIER), WERR_INVALID);
	assert_int_equal(policy_set_kind(&p, "x", KIND__COUNT), WERR_INVALID);
	memset(name, 'a', EV_SOURCE_MAX);
	name[EV_SOURCE_MAX] = '\0';
	assert_int_equal(policy_set_kind(&p, name, KIND_WAREHOUSE), WERR_OK);
	assert_int_equal(policy_kind(&p, name), KIND_WAREHOUSE);
	name[EV_SOURCE_MAX] = 'a';
	name[EV_SOURCE_MAX + 1] = '\0';
	assert_int_equal(policy_set_kind(&p, name, KIND_WAREHOUSE), WERR_INVALID);
	/* a full table */
	while (p.nsources < POLICY_MAX_SOURCES) {
		snprintf(name, sizeof(name), "src%d", p.nsources);
		assert_int_equal(policy_set_kind(&p, name, KIND_CARRIER), WERR_OK);
	}
	assert_int_equal(policy_set_kind(&p, "onemore", KIND_CARRIER), WERR_TOO_LARGE);
	assert_int_equal(policy_kind(&p, "onemore"), KIND_GENERIC);
	/* changing a known name still works when full */
	assert_int_equal(policy_set_kind(&p, "shopify", KIND_GENERIC), WERR_OK);
	assert_int_equal(policy_kind(&p, "shopify"), KIND_GENERIC);
}

static void test_kind_names(void **state)
{
	static const struct { enum source_kind k; const char *name; } rows[] = {
		{ KIND_GENERIC, "generic" }, { KIND_STOREFRONT, "storefront" },
		{ KIND_WAREHOUSE, "warehouse" }, { KIND_SHIPPING, "shipping" },
		{ KIND_CARRIER, "carrier" }, { KIND_AGGREGATOR, "aggregator" },
	};

	(void)state;
	assert_int_equal(ARRAY_SIZE(rows), KIND__COUNT);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		assert_string_equal(source_kind_name(rows[i].k), rows[i].name);
		assert_int_equal(source_kind_from_name(rows[i].name), rows[i].k);
	}
	assert_int_equal(source_kind_from_name("courier"), -1);
	assert_int_equal(source_kind_from_name(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ev_status_table),
		cmocka_unit_test(test_pkg_status_table),
		cmocka_unit_test(test_ord_status_table),
		cmocka_unit_test(test_names_unknown),
		cmocka_unit_test(test_milestone_and_step_names),
		cmocka_unit_test(test_progress_is_monotone),
		cmocka_unit_test(test_default_action_required),
		cmocka_unit_test(test_detail_is_delay),
		cmocka_unit_test(test_exception_details),
		cmocka_unit_test(test_policy_kinds),
		cmocka_unit_test(test_policy_trust),
		cmocka_unit_test(test_policy_precedence),
		cmocka_unit_test(test_policy_set_kind),
		cmocka_unit_test(test_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
