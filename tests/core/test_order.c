/*
 * test_order.c - status resolution (core/order.h) as decision tables.
 *
 * Each row of `cases` is a list of events and the state they must give: the
 * order status and flags, every package's status (with detail and action),
 * the outcome of every event and the conflicts.  A row runs with the events
 * as written and again reversed, rotated and shuffled: the outcomes and the
 * order_to_json() bytes must not change (arrival order never decides), and
 * every folded order must pass order_check().  Each rule of order.h has at
 * least one row that fails when the rule is taken out; docs/status.md
 * repeats these tables for people.
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
#include "base/wtime.h"
#include "core/event.h"
#include "core/order.h"
#include "core/order_json.h"
#include "core/policy.h"
#include "core/rules.h"
#include "base/banned.h"

/* 2024-03-10T00:00:00Z, the day the US moves its clocks: times are UTC and
 * nothing below may care. */
#define T0 INT64_C(1710028800000)
#define MINUTES(m) ((int64_t)(m) * 60000)
#define H 60      /* in minutes, as ev_spec.at counts */
#define DAY 1440
#define MAXEV 12

enum { ACT_UNSET = 0, ACT_YES = 1, ACT_NO = 2 };

/* One event of a table row; times are minutes after T0. */
struct ev_spec {
	const char *src;
	const char *pkg;        /* NULL for an order-level event */
	enum ev_status st;
	int64_t at;
	const char *detail;
	int act;                /* ACT_* */
	const char *carrier;
	const char *city;
	int64_t eta;            /* 0: none */
	int64_t promised;       /* 0: none */
	const char *items;      /* "SKU:qty,..." ("" an empty list); NULL: none */
	const char *name;
	const char *email;
	const char *phone;
	int64_t recv;           /* 0: one minute after at */
};

struct fold_case {
	const char *name;
	const char *kinds;      /* extra policy: "source=kind ..." */
	int64_t hold;           /* terminal hold in minutes; 0: the default */
	struct ev_spec ev[MAXEV];
	enum ord_status status;
	unsigned flags;
	const char *pkgs;       /* "TRK=status[/detail][!] ..." in tracking order */
	const char *outcomes;   /* one letter per event: Applied, Claim, Unmapped, Held */
	const char *conflicts;  /* "PKG:class:claim_src:status>owner_src:status ..." */
	enum ev_status milestone; /* EV_UNKNOWN: not checked */
	void (*extra)(const struct order_state *o);
};

/* ---- building events ---- */

static void set_items(struct event *e, const char *spec)
{
	const char *p = spec;

	e->has_items = true;
	e->nitems = 0;
	e->items = calloc(EV_ITEMS_MAX, sizeof(*e->items));
	assert_non_null(e->items);
	while (*p) {
		struct event_item *it = &e->items[e->nitems++];
		const char *colon = strchr(p, ':');
		char *end;

		assert_non_null(colon);
		assert_true((size_t)(colon - p) < sizeof(it->sku));
		memcpy(it->sku, p, (size_t)(colon - p));
		snprintf(it->name, sizeof(it->name), "Item %s", it->sku);
		it->quantity = (int)strtol(colon + 1, &end, 10);
		p = *end == ',' ? end + 1 : end;
	}
}

static void make_event(struct event *e, const struct ev_spec *s, size_t idx)
{
	char key[32];

	event_init(e);
	snprintf(key, sizeof(key), "e%02zu", idx);
	assert_int_equal(EVENT_SET(e->key, key), WERR_OK);
	assert_int_equal(EVENT_SET(e->source, s->src), WERR_OK);
	assert_int_equal(EVENT_SET(e->order, "1001"), WERR_OK);
	assert_int_equal(EVENT_SET(e->package, s->pkg ? s->pkg : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->detail, s->detail ? s->detail : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->carrier, s->carrier ? s->carrier : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->location.city, s->city ? s->city : ""), WERR_OK);
	if (s->city)
		assert_int_equal(EVENT_SET(e->location.country, "US"), WERR_OK);
	assert_int_equal(EVENT_SET(e->customer.name, s->name ? s->name : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->customer.email, s->email ? s->email : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->customer.phone, s->phone ? s->phone : ""), WERR_OK);
	e->status = s->st;
	e->action_required = s->act == ACT_YES ? 1 : s->act == ACT_NO ? 0 : -1;
	e->occurred_at = T0 + MINUTES(s->at);
	e->received_at = s->recv ? T0 + MINUTES(s->recv) : e->occurred_at + MINUTES(1);
	e->seq = (int64_t)idx + 1;
	e->estimated_delivery = s->eta ? T0 + MINUTES(s->eta) : 0;
	e->promised_by = s->promised ? T0 + MINUTES(s->promised) : 0;
	if (s->items)
		set_items(e, s->items);
}

static size_t count_events(const struct fold_case *c)
{
	size_t n = 0;
	while (n < MAXEV && c->ev[n].src)
		n++;
	return n;
}

static void make_policy(struct policy *pol, const struct fold_case *c)
{
	policy_init_defaults(pol);
	if (c->hold)
		pol->terminal_hold_ms = MINUTES(c->hold);
	if (c->kinds) {
		char tmp[256], *save = NULL;
		snprintf(tmp, sizeof(tmp), "%s", c->kinds);
		for (char *tok = strtok_r(tmp, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(tok, '=');
			assert_non_null(eq);
			*eq = '\0';
			int k = source_kind_from_name(eq + 1);
			assert_true(k >= 0);
			assert_int_equal(policy_set_kind(pol, tok, (enum source_kind)k), WERR_OK);
		}
	}
}

/* ---- describing a state as the tables write it ---- */

static void describe_flags(unsigned flags, char *out, size_t cap)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ FLAG_DELAYED, "delayed" }, { FLAG_ACTION_REQUIRED, "action_required" },
		{ FLAG_EXCEPTION, "exception" }, { FLAG_CONFLICT, "conflict" },
	};
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			at += (size_t)snprintf(out + at, cap - at, "%s%s", at ? "," : "", names[i].name);
}

static void describe_pkgs(const struct order_state *o, char *out, size_t cap)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		at += (size_t)snprintf(out + at, cap - at, "%s%s=%s%s%s%s", i ? " " : "", p->tracking,
				       pkg_status_name(p->status), p->detail[0] ? "/" : "", p->detail,
				       p->action_required ? "!" : "");
	}
}

static void describe_conflicts(const struct order_state *o, char *out, size_t cap)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < o->nconflicts; i++) {
		const struct conflict *c = &o->conflicts[i];
		at += (size_t)snprintf(out + at, cap - at, "%s%s:%s:%s:%s>%s:%s", i ? " " : "",
				       c->package[0] ? c->package : "-", milestone_name(c->milestone),
				       c->claim_source, ev_status_name(c->claim_status),
				       c->owner_source[0] ? c->owner_source : "-",
				       ev_status_name(c->owner_status));
	}
}

static void describe_outcomes(const enum ev_outcome *out, size_t n, char *s)
{
	for (size_t i = 0; i < n; i++)
		s[i] = out[i] == OUT_APPLIED ? 'A' : out[i] == OUT_CLAIM ? 'C' : out[i] == OUT_HELD ? 'H' : 'U';
	s[n] = '\0';
}

static void expect_str(const char *cname, const char *what, const char *got, const char *want)
{
	if (strcmp(got, want))
		fail_msg("%s: %s is '%s', want '%s'", cname, what, got, want);
}

static void expect_valid(const char *cname, const char *how, const struct order_state *o)
{
	char why[256];

	if (!order_check(o, why, sizeof(why)))
		fail_msg("%s (%s): order_check: %s", cname, how, why);
}

static void check_expectations(const struct fold_case *c, const struct order_state *o,
			       const enum ev_outcome *out, size_t n)
{
	char got[1024], want[256];

	expect_str(c->name, "status", ord_status_name(o->status), ord_status_name(c->status));
	describe_flags(o->flags, got, sizeof(got));
	describe_flags(c->flags, want, sizeof(want));
	expect_str(c->name, "flags", got, want);
	describe_pkgs(o, got, sizeof(got));
	expect_str(c->name, "packages", got, c->pkgs ? c->pkgs : "");
	describe_outcomes(out, n, got);
	expect_str(c->name, "outcomes", got, c->outcomes);
	describe_conflicts(o, got, sizeof(got));
	expect_str(c->name, "conflicts", got, c->conflicts ? c->conflicts : "");
	if (c->milestone != EV_UNKNOWN)
		expect_str(c->name, "milestone", ev_status_name(o->milestone),
			   ev_status_name(c->milestone));
	if (o->nevents != n)
		fail_msg("%s: nevents %zu, want %zu", c->name, o->nevents, n);
}

/* The permutations every row also runs with. */
static void permutation(int kind, size_t n, size_t *map)
{
	uint32_t seed = 12345;

	for (size_t i = 0; i < n; i++)
		map[i] = i;
	switch (kind) {
	case 0: /* reversed */
		for (size_t i = 0; i < n; i++)
			map[i] = n - 1 - i;
		break;
	case 1: /* rotated by one */
		for (size_t i = 0; i < n; i++)
			map[i] = (i + 1) % n;
		break;
	case 2: /* rotated by half */
		for (size_t i = 0; i < n; i++)
			map[i] = (i + n / 2) % n;
		break;
	default: /* shuffled */
		for (size_t i = n; i > 1; i--) {
			seed = seed * 1103515245u + 12345u;
			size_t j = (seed >> 16) % i, t = map[i - 1];
			map[i - 1] = map[j];
			map[j] = t;
		}
	}
}

static const char *const perm_names[] = { "reversed", "rotated by one", "rotated by half",
					  "shuffled" };

static void run_case(void **state)
{
	const struct fold_case *c = *state;
	size_t n = count_events(c);
	struct event ev[MAXEV], perm[MAXEV];
	enum ev_outcome out0[MAXEV], outp[MAXEV];
	size_t map[MAXEV];
	struct policy pol;
	struct order_state o;
	struct buf j0 = BUF_INIT, jp = BUF_INIT;

	make_policy(&pol, c);
	for (size_t i = 0; i < n; i++)
		make_event(&ev[i], &c->ev[i], i);
	order_init(&o);
	assert_int_equal(order_fold(&pol, ev, n, &o, out0), WERR_OK);
	check_expectations(c, &o, out0, n);
	expect_valid(c->name, "as written", &o);
	if (c->extra)
		c->extra(&o);
	assert_int_equal(order_to_json(&o, &j0), WERR_OK);

	for (int k = 0; k < 4; k++) {
		permutation(k, n, map);
		for (size_t i = 0; i < n; i++)
			perm[i] = ev[map[i]]; /* shallow: the copies are never released */
		assert_int_equal(order_fold(&pol, perm, n, &o, outp), WERR_OK);
		expect_valid(c->name, perm_names[k], &o);
		for (size_t i = 0; i < n; i++)
			if (outp[i] != out0[map[i]])
				fail_msg("%s (%s): outcome of event e%02zu changed", c->name,
					 perm_names[k], map[i]);
		buf_reset(&jp);
		assert_int_equal(order_to_json(&o, &jp), WERR_OK);
		if (strcmp(j0.p, jp.p))
			fail_msg("%s (%s): JSON differs:\n%s\n%s", c->name, perm_names[k], j0.p, jp.p);
		if (c->extra)
			c->extra(&o);
	}
	order_release(&o);
	buf_release(&j0);
	buf_release(&jp);
	for (size_t i = 0; i < n; i++)
		event_release(&ev[i]);
}

/* ---- field checks for rows that need more than the status ---- */

static void x_shipped_at_30(const struct order_state *o)
{
	assert_int_equal(o->packages[0].shipped_at, T0 + MINUTES(30));
	assert_int_equal(o->packages[0].status_at, T0 + MINUTES(120));
}

static void x_delivered_at_600(const struct order_state *o)
{
	assert_int_equal(o->packages[0].delivered_at, T0 + MINUTES(600));
	assert_int_equal(o->packages[0].status_at, T0 + MINUTES(600));
	assert_int_equal(o->packages[0].shipped_at, T0);
	assert_string_equal(o->packages[0].decided_by, "e01");
}

static void x_decided_by_ups(const struct order_state *o)
{
	assert_string_equal(o->packages[0].decided_source, "ups");
	assert_string_equal(o->packages[0].decided_by, "e03");
}

static void x_placed_at_first_event(const struct order_state *o)
{
	assert_int_equal(o->placed_at, T0 + MINUTES(10));
	assert_int_equal(o->npackages, 0);
}

static void x_unknown_keeps_time(const struct order_state *o)
{
	assert_int_equal(o->packages[0].status_at, T0 + MINUTES(100));
	assert_string_equal(o->packages[0].decided_by, "e00");
	assert_int_equal(o->last_event_at, T0 + MINUTES(200));
}

static void x_package_fields(const struct order_state *o)
{
	const struct package_state *p = order_package(o, "1Z1");

	assert_non_null(p);
	assert_string_equal(p->carrier, "ups");
	assert_int_equal(p->estimated_delivery, T0 + MINUTES(2 * DAY));
	assert_string_equal(p->location.city, "Berlin");
	assert_string_equal(p->location.country, "US");
	assert_int_equal(p->shipped_at, T0 + MINUTES(100));
	assert_int_equal(p->delivered_at, 0);
	assert_int_equal(p->status_at, T0 + MINUTES(320));
}

static void x_carrier_from_any(const struct order_state *o)
{
	assert_string_equal(o->packages[0].carrier, "dhl");
	assert_string_equal(o->packages[0].location.city, "");
	assert_int_equal(o->packages[0].estimated_delivery, 0);
}

static void x_package_items(const struct order_state *o)
{
	const struct package_state *p = &o->packages[0];

	assert_int_equal(p->nitems, 2);
	assert_string_equal(p->items[0].sku, "A1");
	assert_int_equal(p->items[0].quantity, 1);
	assert_string_equal(p->items[1].sku, "B1");
	assert_int_equal(p->items[1].quantity, 2);
	assert_int_equal(o->nitems, 0);
}

static void x_order_fields(const struct order_state *o)
{
	assert_string_equal(o->customer.name, "Ada Lovelace");
	assert_string_equal(o->customer.email, "ada@new.example");
	assert_string_equal(o->customer.phone, "555-0100");
	assert_int_equal(o->placed_at, T0 + MINUTES(10));
	assert_int_equal(o->promised_by, T0 + MINUTES(5 * DAY));
	assert_int_equal(o->last_event_at, T0 + MINUTES(30));
	assert_int_equal(o->updated_at, T0 + MINUTES(90));
	assert_int_equal(o->nitems, 1);
	assert_string_equal(o->items[0].sku, "A1");
	assert_int_equal(o->items[0].quantity, 1);
	assert_int_equal(o->packages[0].nitems, 1);
	assert_string_equal(o->packages[0].items[0].sku, "Z9");
}

static void x_placed_at_earliest(const struct order_state *o)
{
	assert_int_equal(o->placed_at, T0 + MINUTES(10));
}

/* ---- the decision tables ---- */

#define EV(...) { __VA_ARGS__ }

static const struct fold_case cases[] = {
	/* rule 1: the latest event by event time decides */
	{ .name = "rule 1: latest by event time, not by arrival",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 60),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 120),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 30) },
	  .status = ORD_OUT_FOR_DELIVERY, .pkgs = "1Z1=out_for_delivery", .outcomes = "AAA",
	  .extra = x_shipped_at_30 },
	{ .name = "rule 1: at the same time the higher precedence wins",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 60),
		  EV(.src = "easypost", .pkg = "1Z1", .st = EV_EXCEPTION, .at = 60, .detail = "delayed") },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AA" },
	{ .name = "rule 1: same time and source, further progress wins",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 60),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 60) },
	  .status = ORD_OUT_FOR_DELIVERY, .pkgs = "1Z1=out_for_delivery", .outcomes = "AA" },

	/* rule 2: terminal statuses hold */
	{ .name = "rule 2: delivered holds against a near-simultaneous scan",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 0),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 600),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 610) },
	  .status = ORD_DELIVERED, .pkgs = "1Z1=delivered", .outcomes = "AAA",
	  .extra = x_delivered_at_600 },
	{ .name = "rule 2: the hold includes its last millisecond",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 0),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 600),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 600 + 12 * H) },
	  .status = ORD_DELIVERED, .pkgs = "1Z1=delivered", .outcomes = "AAA" },
	{ .name = "rule 2: after the hold a non-terminal event moves on",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 0),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 600),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 600 + 12 * H + 1) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AAA" },
	{ .name = "rule 2: returned_to_sender holds",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 0),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_RETURNED_TO_SENDER, .at = 600),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 660) },
	  .status = ORD_SHIPPED, .flags = FLAG_EXCEPTION, .pkgs = "1Z1=returned_to_sender",
	  .outcomes = "AAA" },
	{ .name = "rule 2: a voided label holds against a late label scan",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .st = EV_CONFIRMED, .at = 5),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 100),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_CANCELLED, .at = 200),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 230) },
	  .status = ORD_CONFIRMED, .pkgs = "1Z1=cancelled", .outcomes = "AAAAA",
	  .milestone = EV_CONFIRMED },
	{ .name = "rule 2: the hold is policy",
	  .hold = 30,
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 600),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 640) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AA" },

	/* rule 3: follows from rule 1 */
	{ .name = "rule 3: attempt, then out for delivery the next day",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 0),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERY_ATTEMPTED, .at = 600),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 600 + DAY) },
	  .status = ORD_OUT_FOR_DELIVERY, .pkgs = "1Z1=out_for_delivery", .outcomes = "AAA" },
	{ .name = "rule 3: an attempt alone raises the exception flag",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 0),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERY_ATTEMPTED, .at = 600) },
	  .status = ORD_SHIPPED, .flags = FLAG_EXCEPTION, .pkgs = "1Z1=delivery_attempted",
	  .outcomes = "AA" },
	{ .name = "rule 3: a delay exception",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 0),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_EXCEPTION, .at = 300, .detail = "weather_delay") },
	  .status = ORD_SHIPPED, .flags = FLAG_DELAYED | FLAG_EXCEPTION,
	  .pkgs = "1Z1=exception/weather_delay", .outcomes = "AA" },
	{ .name = "rule 3: exception then in_transit clears the exception",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 0),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_EXCEPTION, .at = 300, .detail = "weather_delay"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 900) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AAA" },

	/* rule 4: order milestones */
	{ .name = "rule 4: the furthest milestone, whatever the time",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .st = EV_CONFIRMED, .at = 5),
		  EV(.src = "scans", .st = EV_PROCESSING, .at = 60),
		  EV(.src = "scans", .st = EV_PACKED, .at = 120),
		  EV(.src = "scans", .st = EV_PICKED, .at = 130) },
	  .status = ORD_PACKED, .outcomes = "AAAAA", .milestone = EV_PACKED },
	{ .name = "rule 4: a storefront cancel cancels the order",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .st = EV_CONFIRMED, .at = 5),
		  EV(.src = "scans", .st = EV_PICKED, .at = 60),
		  EV(.src = "shopify", .st = EV_CANCELLED, .at = 90),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_CANCELLED, .pkgs = "1Z1=in_transit", .outcomes = "AAAAA",
	  .milestone = EV_CANCELLED },
	{ .name = "rule 4: placed while no order milestone was applied",
	  .ev = { EV(.src = "ups", .st = EV_CONFIRMED, .at = 10) },
	  .status = ORD_PLACED, .flags = FLAG_CONFLICT, .outcomes = "C",
	  .conflicts = "-:order:ups:confirmed>-:placed", .milestone = EV_PLACED,
	  .extra = x_placed_at_first_event },

	/* rule 5: owners, relays, claims and conflicts */
	{ .name = "rule 5: a storefront relay applies while no carrier speaks",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .carrier = "ups") },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AA" },
	{ .name = "rule 5: the relay becomes a claim once the carrier speaks",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 50),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 90) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "ACAA",
	  .extra = x_decided_by_ups },
	{ .name = "rule 5: a relay ahead of the carrier is a conflict",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .pkg = "1Z1", .st = EV_DELIVERED, .at = 200),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_SHIPPED, .flags = FLAG_CONFLICT, .pkgs = "1Z1=in_transit",
	  .outcomes = "ACA", .conflicts = "1Z1:carrier:shopify:delivered>ups:in_transit" },
	{ .name = "rule 5: a warehouse claiming delivered is a conflict",
	  .ev = { EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 100),
		  EV(.src = "scans", .pkg = "1Z1", .st = EV_DELIVERED, .at = 200) },
	  .status = ORD_READY_TO_SHIP, .flags = FLAG_CONFLICT, .pkgs = "1Z1=label_created",
	  .outcomes = "AC", .conflicts = "1Z1:carrier:scans:delivered>shipstation:label_created" },
	{ .name = "rule 5: a claim ahead of the owner is a conflict even when older",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 300),
		  EV(.src = "scans", .pkg = "1Z1", .st = EV_DELIVERED, .at = 200) },
	  .status = ORD_SHIPPED, .flags = FLAG_CONFLICT, .pkgs = "1Z1=in_transit",
	  .outcomes = "AAC", .conflicts = "1Z1:carrier:scans:delivered>ups:in_transit" },
	{ .name = "rule 5: an older claim behind the owner is no conflict",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 300),
		  EV(.src = "scans", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 50) },
	  .status = ORD_DELIVERED, .pkgs = "1Z1=delivered", .outcomes = "AAC" },
	{ .name = "rule 5: a newer claim that differs is a conflict even when behind",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 200),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 250) },
	  .status = ORD_OUT_FOR_DELIVERY, .flags = FLAG_CONFLICT, .pkgs = "1Z1=out_for_delivery",
	  .outcomes = "AAC", .conflicts = "1Z1:carrier:shipstation:in_transit>ups:out_for_delivery" },
	{ .name = "rule 5: a newer claim that agrees is no conflict",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 250) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AC" },
	{ .name = "rule 5: a relayed label older than the carrier's scan is no conflict",
	  .ev = { EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 40),
		  EV(.src = "shopify", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 50),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "ACA" },
	{ .name = "rule 5: a generic source applies when alone",
	  .ev = { EV(.src = "acme", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "A" },
	{ .name = "rule 5: a generic source yields to an owner",
	  .ev = { EV(.src = "acme", .pkg = "1Z1", .st = EV_DELIVERED, .at = 300),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_SHIPPED, .flags = FLAG_CONFLICT, .pkgs = "1Z1=in_transit",
	  .outcomes = "CA", .conflicts = "1Z1:carrier:acme:delivered>ups:in_transit" },
	{ .name = "rule 5: a generic source outranks a relay",
	  .ev = { EV(.src = "shopify", .pkg = "1Z1", .st = EV_DELIVERED, .at = 200),
		  EV(.src = "acme", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_SHIPPED, .flags = FLAG_CONFLICT, .pkgs = "1Z1=in_transit",
	  .outcomes = "CA", .conflicts = "1Z1:carrier:shopify:delivered>acme:in_transit" },
	{ .name = "rule 5: one conflict per package and class, the latest claim",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "scans", .pkg = "1Z1", .st = EV_DELIVERED, .at = 200),
		  EV(.src = "scans", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 250) },
	  .status = ORD_SHIPPED, .flags = FLAG_CONFLICT, .pkgs = "1Z1=in_transit",
	  .outcomes = "ACC", .conflicts = "1Z1:carrier:scans:out_for_delivery>ups:in_transit" },
	{ .name = "rule 5: conflicts on two packages and the order",
	  .ev = { EV(.src = "shopify", .st = EV_CONFIRMED, .at = 5),
		  EV(.src = "ups", .st = EV_CANCELLED, .at = 300),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "scans", .pkg = "1Z2", .st = EV_DELIVERED, .at = 200),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "scans", .pkg = "1Z1", .st = EV_CANCELLED, .at = 200),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 50) },
	  .status = ORD_SHIPPED, .flags = FLAG_CONFLICT, .pkgs = "1Z1=in_transit 1Z2=in_transit",
	  .outcomes = "ACACACA",
	  .conflicts = "-:order:ups:cancelled>shopify:confirmed "
		       "1Z1:label:scans:cancelled>ups:in_transit "
		       "1Z2:carrier:scans:delivered>ups:in_transit" },
	{ .name = "rule 5: a carrier cancelling the order is a conflict",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .st = EV_CONFIRMED, .at = 5),
		  EV(.src = "ups", .st = EV_CANCELLED, .at = 100) },
	  .status = ORD_CONFIRMED, .flags = FLAG_CONFLICT, .outcomes = "AAC",
	  .conflicts = "-:order:ups:cancelled>shopify:confirmed", .milestone = EV_CONFIRMED },
	{ .name = "rule 5: a configured source has its kind",
	  .kinds = "parcelco=carrier",
	  .ev = { EV(.src = "parcelco", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "acme", .pkg = "1Z1", .st = EV_DELIVERED, .at = 200) },
	  .status = ORD_SHIPPED, .flags = FLAG_CONFLICT, .pkgs = "1Z1=in_transit",
	  .outcomes = "AC", .conflicts = "1Z1:carrier:acme:delivered>parcelco:in_transit" },
	{ .name = "rule 5: label and carrier classes resolve separately",
	  .ev = { EV(.src = "shopify", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 50),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AA" },
	{ .name = "rule 5: a package status without a package is a claim",
	  .ev = { EV(.src = "ups", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_PLACED, .outcomes = "C" },

	/* rule 6: unknown */
	{ .name = "rule 6: unknown never changes a status",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_UNKNOWN, .at = 200, .detail = "XQ") },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AU",
	  .extra = x_unknown_keeps_time },
	{ .name = "rule 6: unknown creates the package",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "scans", .st = EV_PACKED, .at = 50),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_UNKNOWN, .at = 100) },
	  .status = ORD_READY_TO_SHIP, .pkgs = "1Z2=unknown", .outcomes = "AAU" },
	{ .name = "rule 6: unknown without a package",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .st = EV_UNKNOWN, .at = 10) },
	  .status = ORD_PLACED, .outcomes = "AU", .milestone = EV_PLACED },

	/* rule 8: events dated far ahead of their receipt (issue 12, defect 15) */
	{ .name = "test_12_15 rule 8: an event dated a year ahead is held, a later real one decides",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 100 + 60 * 24 * 365, .recv = 101),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 200) },
	  .status = ORD_OUT_FOR_DELIVERY, .pkgs = "1Z1=out_for_delivery", .outcomes = "AHA" },
	{ .name = "rule 8: within the skew (23 hours ahead) an event applies",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 100 + 60 * 23, .recv = 100) },
	  .status = ORD_DELIVERED, .pkgs = "1Z1=delivered", .outcomes = "AA" },

	/* rule 7: roll-up */
	{ .name = "rule 7: a label alone is ready_to_ship, never shipped",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "shopify", .st = EV_CONFIRMED, .at = 5),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 100) },
	  .status = ORD_READY_TO_SHIP, .pkgs = "1Z1=label_created", .outcomes = "AAA" },
	{ .name = "rule 7: one of two shipped is partially_shipped",
	  .ev = { EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 100),
		  EV(.src = "shipstation", .pkg = "1Z2", .st = EV_LABEL_CREATED, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 200) },
	  .status = ORD_PARTIALLY_SHIPPED, .pkgs = "1Z1=in_transit 1Z2=label_created",
	  .outcomes = "AAA" },
	{ .name = "rule 7: all shipped, one out for delivery",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_OUT_FOR_DELIVERY, .at = 300) },
	  .status = ORD_OUT_FOR_DELIVERY, .pkgs = "1Z1=in_transit 1Z2=out_for_delivery",
	  .outcomes = "AAA" },
	{ .name = "rule 7: one delivered, one in transit is partially_delivered",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_DELIVERED, .at = 300) },
	  .status = ORD_PARTIALLY_DELIVERED, .pkgs = "1Z1=in_transit 1Z2=delivered",
	  .outcomes = "AAA" },
	{ .name = "rule 7: one delivered, one only labelled is partially_delivered",
	  .ev = { EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 100),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_DELIVERED, .at = 300) },
	  .status = ORD_PARTIALLY_DELIVERED, .pkgs = "1Z1=label_created 1Z2=delivered",
	  .outcomes = "AA" },
	{ .name = "rule 7: all delivered",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 200),
		  EV(.src = "fedex", .pkg = "7700", .st = EV_DELIVERED, .at = 300) },
	  .status = ORD_DELIVERED, .pkgs = "1Z1=delivered 7700=delivered", .outcomes = "AA" },
	{ .name = "rule 7: a cancelled package is not live",
	  .ev = { EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 50),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_CANCELLED, .at = 60),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_IN_TRANSIT, .at = 100) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=cancelled 1Z2=in_transit", .outcomes = "AAA" },
	{ .name = "rule 7: no live package gives the milestone",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0),
		  EV(.src = "scans", .st = EV_PACKED, .at = 50),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 60),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_CANCELLED, .at = 70) },
	  .status = ORD_PACKED, .pkgs = "1Z1=cancelled", .outcomes = "AAAA" },
	{ .name = "rule 7: an exception before any carrier scan is not shipped",
	  .ev = { EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_EXCEPTION, .at = 200, .detail = "address_issue") },
	  .status = ORD_READY_TO_SHIP, .flags = FLAG_ACTION_REQUIRED | FLAG_EXCEPTION,
	  .pkgs = "1Z1=exception/address_issue!", .outcomes = "AA" },
	{ .name = "rule 7: an exception after a carrier scan is still shipped",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_EXCEPTION, .at = 200, .detail = "damaged") },
	  .status = ORD_SHIPPED, .flags = FLAG_EXCEPTION, .pkgs = "1Z1=exception/damaged",
	  .outcomes = "AA" },
	{ .name = "rule 7: items not all in parcels is partially_shipped",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .items = "A1:2,B1:1"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .items = "A1:2") },
	  .status = ORD_PARTIALLY_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AA" },
	{ .name = "rule 7: items across parcels cover the order",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .items = "A1:2,B1:1"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .items = "A1:1"),
		  EV(.src = "ups", .pkg = "1Z2", .st = EV_IN_TRANSIT, .at = 100, .items = "B1:1,A1:1") },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit 1Z2=in_transit", .outcomes = "AAA" },
	{ .name = "rule 7: ordered quantities add up per sku",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .items = "A1:1,A1:1"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .items = "A1:1") },
	  .status = ORD_PARTIALLY_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AA" },
	{ .name = "rule 7: items not all in parcels, all delivered is partially_delivered",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .items = "A1:2,B1:1"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 100, .items = "A1:2") },
	  .status = ORD_PARTIALLY_DELIVERED, .pkgs = "1Z1=delivered", .outcomes = "AA" },
	{ .name = "rule 7: items not all in parcels, out for delivery is partially_shipped",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .items = "A1:2,B1:1"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 100, .items = "A1:2") },
	  .status = ORD_PARTIALLY_SHIPPED, .pkgs = "1Z1=out_for_delivery", .outcomes = "AA" },
	{ .name = "rule 7: parcels that list no items do not limit the roll-up",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .items = "A1:2,B1:1"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 100) },
	  .status = ORD_DELIVERED, .pkgs = "1Z1=delivered", .outcomes = "AA" },

	/* flags */
	{ .name = "flags: an estimate past the promise is delayed",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .promised = 3 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .eta = 4 * DAY) },
	  .status = ORD_SHIPPED, .flags = FLAG_DELAYED, .pkgs = "1Z1=in_transit", .outcomes = "AA" },
	{ .name = "flags: an estimate within the promise is not delayed",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .promised = 3 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .eta = 2 * DAY) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AA" },
	{ .name = "flags: the latest estimate counts",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .promised = 3 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .eta = 4 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 200, .eta = 2 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 300) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AAAA" },
	{ .name = "flags: a delivered package is never delayed",
	  .ev = { EV(.src = "shopify", .st = EV_PLACED, .at = 0, .promised = 3 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .eta = 4 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = DAY) },
	  .status = ORD_DELIVERED, .pkgs = "1Z1=delivered", .outcomes = "AAA" },
	{ .name = "flags: available_for_pickup asks for action",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_AVAILABLE_FOR_PICKUP, .at = 200) },
	  .status = ORD_SHIPPED, .flags = FLAG_ACTION_REQUIRED,
	  .pkgs = "1Z1=available_for_pickup!", .outcomes = "AA" },
	{ .name = "flags: an explicit action_required=false wins",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_AVAILABLE_FOR_PICKUP, .at = 200, .act = ACT_NO) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=available_for_pickup", .outcomes = "AA" },
	{ .name = "flags: an explicit action_required=true wins",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_EXCEPTION, .at = 200, .detail = "lost",
		     .act = ACT_YES) },
	  .status = ORD_SHIPPED, .flags = FLAG_ACTION_REQUIRED | FLAG_EXCEPTION,
	  .pkgs = "1Z1=exception/lost!", .outcomes = "AA" },
	{ .name = "flags: a cancelled package raises nothing",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_EXCEPTION, .at = 10, .detail = "delayed"),
		  EV(.src = "shipstation", .pkg = "1Z1", .st = EV_CANCELLED, .at = 20) },
	  .status = ORD_PLACED, .pkgs = "1Z1=cancelled", .outcomes = "AA" },

	/* the other fields */
	{ .name = "fields: estimate, carrier, location and times of a package",
	  .ev = { EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 10, .carrier = "ups"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .city = "Memphis",
		     .eta = 3 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 200, .eta = 2 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 300, .city = "Berlin"),
		  EV(.src = "scans", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 50, .eta = 9 * DAY,
		     .carrier = "dhl", .city = "Nowhere"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 320) },
	  .status = ORD_OUT_FOR_DELIVERY, .pkgs = "1Z1=out_for_delivery", .outcomes = "AAAACA",
	  .extra = x_package_fields },
	{ .name = "fields: the carrier from any event when no applied one names it",
	  .ev = { EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100),
		  EV(.src = "scans", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 50, .carrier = "dhl",
		     .city = "Nowhere", .eta = DAY) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AC",
	  .extra = x_carrier_from_any },
	{ .name = "fields: package items from the latest event that lists them",
	  .ev = { EV(.src = "shipstation", .pkg = "1Z1", .st = EV_LABEL_CREATED, .at = 10, .items = "A1:1"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .items = "A1:1,B1:2"),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_OUT_FOR_DELIVERY, .at = 200) },
	  .status = ORD_OUT_FOR_DELIVERY, .pkgs = "1Z1=out_for_delivery", .outcomes = "AAA",
	  .extra = x_package_items },
	{ .name = "fields: customer, items, promise and placed_at of the order",
	  .ev = { EV(.src = "shopify", .st = EV_CONFIRMED, .at = 30, .email = "ada@new.example",
		     .items = "A1:1", .promised = 5 * DAY, .recv = 90),
		  EV(.src = "shopify", .st = EV_PLACED, .at = 10, .name = "Ada Lovelace",
		     .email = "ada@old.example", .phone = "555-0100", .items = "A1:2",
		     .promised = 3 * DAY),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 5, .items = "Z9:1") },
	  .status = ORD_PARTIALLY_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AAA",
	  .extra = x_order_fields },
	{ .name = "fields: placed_at is the earliest event without a placed one",
	  .ev = { EV(.src = "shopify", .st = EV_CONFIRMED, .at = 20),
		  EV(.src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 10) },
	  .status = ORD_SHIPPED, .pkgs = "1Z1=in_transit", .outcomes = "AA",
	  .extra = x_placed_at_earliest },
};

/* ---- tests outside the tables ---- */

static void fold_specs(const struct ev_spec *specs, size_t n, struct event *ev,
		       struct order_state *o)
{
	struct policy pol;

	policy_init_defaults(&pol);
	for (size_t i = 0; i < n; i++)
		make_event(&ev[i], &specs[i], i);
	order_init(o);
	assert_int_equal(order_fold(&pol, ev, n, o, NULL), WERR_OK);
	expect_valid("fold_specs", "as written", o);
}

static void release_events(struct event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		event_release(&ev[i]);
}

static void test_fold_empty(void **state)
{
	struct policy pol;
	struct order_state o;
	struct buf b = BUF_INIT;
	char why[128];

	(void)state;
	policy_init_defaults(&pol);
	order_init(&o);
	assert_int_equal(order_fold(&pol, NULL, 0, &o, NULL), WERR_OK);
	assert_int_equal(o.status, ORD_PLACED);
	assert_int_equal(o.milestone, EV_PLACED);
	assert_int_equal(o.npackages, 0);
	assert_int_equal(o.nevents, 0);
	assert_true(order_check(&o, why, sizeof(why)));
	assert_int_equal(order_to_json(&o, &b), WERR_OK);
	assert_string_equal(b.p,
		"{\"order\":\"\",\"status\":\"placed\",\"flags\":[],"
		"\"customer_view\":{\"step\":1,\"step_name\":\"ordered\",\"label\":\"Ordered\"},"
		"\"placed_at\":null,\"promised_by\":null,\"promised_ship_by\":null,\"promise_source\":null,\"shipping_method\":null,"
		"\"value\":null,\"ship_to\":null,\"refund\":null,\"cancel_requested_at\":null,\"updated_at\":null,\"last_event_at\":null,"
		"\"customer\":{},\"items\":[],\"packages\":[],\"conflicts\":[],\"moved_parcels\":[],\"returns\":[],\"events\":0}");
	/* the store's order facts, as the fold keeps them */
	o.has_value = true;
	o.value = 129.5;
	snprintf(o.currency, sizeof(o.currency), "EUR");
	snprintf(o.shipping_method, sizeof(o.shipping_method), "express");
	snprintf(o.ship_to.country, sizeof(o.ship_to.country), "DE");
	buf_reset(&b);
	assert_int_equal(order_to_json(&o, &b), WERR_OK);
	assert_non_null(strstr(b.p, "\"shipping_method\":\"express\",\"value\":{\"amount\":129.5,\"currency\":\"EUR\"},"
				    "\"ship_to\":{\"city\":null,\"region\":null,\"country\":\"DE\"},"));
	buf_release(&b);
	order_release(&o);
}

static void test_fold_two_orders(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "shopify", .st = EV_PLACED, .at = 0 },
		{ .src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 10 },
	};
	struct event ev[2];
	struct policy pol;
	struct order_state o;

	(void)state;
	fold_specs(specs, 2, ev, &o);
	assert_int_equal(o.npackages, 1);
	assert_int_equal(EVENT_SET(ev[1].order, "1002"), WERR_OK);
	policy_init_defaults(&pol);
	/* a failed fold leaves the state empty, not half old */
	assert_int_equal(order_fold(&pol, ev, 2, &o, NULL), WERR_INVALID);
	assert_int_equal(o.npackages, 0);
	assert_null(o.packages);
	assert_int_equal(o.nevents, 0);
	order_release(&o);
	release_events(ev, 2);
}

/* An aggregator's own summary (issue 16): never applied; ahead of the scans, a conflict on the parcel; in
 * agreement once the scans catch up. */
static void test_summary_is_a_claim(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "shopify", .st = EV_PLACED, .at = 0 },
		{ .src = "easypost", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 10, .carrier = "ups" },
		{ .src = "easypost", .pkg = "1Z1", .st = EV_DELIVERED, .at = 10, .carrier = "ups" },
		{ .src = "easypost", .pkg = "1Z1", .st = EV_DELIVERED, .at = 20, .carrier = "ups" },
	};
	struct event ev[4];
	enum ev_outcome out[4];
	struct policy pol;
	struct order_state o;

	(void)state;
	fold_specs(specs, 3, ev, &o); /* the scans say in transit, the tracker says delivered */
	order_release(&o);
	ev[2].summary = true;
	policy_init_defaults(&pol);
	assert_int_equal(order_fold(&pol, ev, 3, &o, out), WERR_OK);
	assert_int_equal(o.packages[0].status, PKG_IN_TRANSIT);
	assert_int_equal(out[1], OUT_APPLIED);
	assert_int_equal(out[2], OUT_CLAIM);
	assert_int_equal(o.nconflicts, 1);
	assert_int_equal(o.conflicts[0].claim_status, EV_DELIVERED);
	assert_string_equal(o.conflicts[0].claim_source, "easypost");
	assert_true(o.flags & FLAG_CONFLICT);
	order_release(&o);
	/* the delivered scan comes: the summary agrees, no conflict */
	make_event(&ev[3], &specs[3], 3);
	assert_int_equal(order_fold(&pol, ev, 4, &o, out), WERR_OK);
	assert_int_equal(o.packages[0].status, PKG_DELIVERED);
	assert_int_equal(o.nconflicts, 0);
	order_release(&o);
	release_events(ev, 4);
}

static void test_order_package(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "ups", .pkg = "1Z9", .st = EV_IN_TRANSIT, .at = 10 },
		{ .src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 10 },
		{ .src = "ups", .pkg = "1Z5", .st = EV_DELIVERED, .at = 10 },
	};
	struct event ev[3];
	struct order_state o;

	(void)state;
	fold_specs(specs, 3, ev, &o);
	assert_int_equal(o.npackages, 3);
	assert_string_equal(o.packages[0].tracking, "1Z1");
	assert_string_equal(o.packages[2].tracking, "1Z9");
	assert_int_equal(order_package(&o, "1Z5")->status, PKG_DELIVERED);
	assert_null(order_package(&o, "1Z4"));
	assert_null(order_package(&o, ""));
	assert_null(order_package(&o, NULL));
	order_release(&o);
	release_events(ev, 3);
}

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(ev_outcome_name(OUT_APPLIED), "applied");
	assert_string_equal(ev_outcome_name(OUT_CLAIM), "claim");
	assert_string_equal(ev_outcome_name(OUT_UNMAPPED), "unmapped");
}

/* The exact API shape, byte for byte. */
static void test_json_golden(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "shopify", .st = EV_PLACED, .at = 0, .name = "  Ada \"Countess\" Lovelace",
		  .items = "A1:2,B1:1", .promised = 3 * DAY },
		{ .src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 100, .carrier = "ups",
		  .city = "Memphis", .eta = 4 * DAY, .items = "A1:2" },
		{ .src = "ups", .pkg = "1Z2", .st = EV_DELIVERED, .at = 200, .items = "B1:1" },
		{ .src = "scans", .pkg = "1Z1", .st = EV_DELIVERED, .at = 150 },
	};
	struct event ev[4];
	struct order_state o;
	struct buf b = BUF_INIT;

	(void)state;
	fold_specs(specs, 4, ev, &o);
	assert_true(order_check(&o, NULL, 0));
	assert_int_equal(order_to_json(&o, &b), WERR_OK);
	assert_string_equal(b.p,
		"{\"order\":\"1001\",\"status\":\"partially_delivered\","
		"\"flags\":[\"delayed\",\"conflict\"],"
		"\"customer_view\":{\"step\":3,\"step_name\":\"shipped\",\"label\":\"Partially delivered\"},"
		"\"placed_at\":\"2024-03-10T00:00:00Z\",\"promised_by\":\"2024-03-13T00:00:00Z\","
		"\"promised_ship_by\":null,\"promise_source\":\"store\",\"shipping_method\":null,\"value\":null,\"ship_to\":null,"
		"\"refund\":null,\"cancel_requested_at\":null,\"updated_at\":\"2024-03-10T03:21:00Z\",\"last_event_at\":\"2024-03-10T03:20:00Z\","
		"\"customer\":{\"first_name\":\"Ada\"},"
		"\"items\":[{\"sku\":\"A1\",\"name\":\"Item A1\",\"quantity\":2},"
		"{\"sku\":\"B1\",\"name\":\"Item B1\",\"quantity\":1}],"
		"\"packages\":[{\"tracking_number\":\"1Z1\",\"carrier\":\"ups\",\"status\":\"in_transit\","
		"\"detail\":null,\"action_required\":false,\"status_at\":\"2024-03-10T01:40:00Z\","
		"\"shipped_at\":\"2024-03-10T01:40:00Z\",\"delivered_at\":null,"
		"\"estimated_delivery\":\"2024-03-14T00:00:00Z\",\"service\":null,\"label_at\":null,"
		"\"location\":{\"city\":\"Memphis\",\"region\":null,\"country\":\"US\"},"
		"\"items\":[{\"sku\":\"A1\",\"name\":\"Item A1\",\"quantity\":2}],"
		"\"customer_view\":{\"step\":3,\"step_name\":\"shipped\",\"label\":\"In transit\"},\"return_id\":null},"
		"{\"tracking_number\":\"1Z2\",\"carrier\":null,\"status\":\"delivered\","
		"\"detail\":null,\"action_required\":false,\"status_at\":\"2024-03-10T03:20:00Z\","
		"\"shipped_at\":\"2024-03-10T03:20:00Z\",\"delivered_at\":\"2024-03-10T03:20:00Z\","
		"\"estimated_delivery\":null,\"service\":null,\"label_at\":null,\"location\":null,"
		"\"items\":[{\"sku\":\"B1\",\"name\":\"Item B1\",\"quantity\":1}],"
		"\"customer_view\":{\"step\":5,\"step_name\":\"delivered\",\"label\":\"Delivered\"},\"return_id\":null}],"
		"\"conflicts\":[{\"package\":\"1Z1\",\"milestone\":\"carrier\","
		"\"claim\":{\"source\":\"scans\",\"status\":\"delivered\",\"at\":\"2024-03-10T02:30:00Z\"},"
		"\"resolved\":{\"source\":\"ups\",\"status\":\"in_transit\"}}],\"moved_parcels\":[],"
		"\"returns\":[],\"events\":4}");
	buf_release(&b);
	order_release(&o);
	release_events(ev, 4);
}

static void test_json_cancelled_and_appends(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "shopify", .st = EV_PLACED, .at = 0, .name = "Grace" },
		{ .src = "shopify", .st = EV_CANCELLED, .at = 10 },
	};
	struct event ev[2];
	struct order_state o;
	struct buf b = BUF_INIT, small;

	(void)state;
	fold_specs(specs, 2, ev, &o);
	assert_int_equal(o.status, ORD_CANCELLED);
	/* appends to what the buffer holds */
	assert_int_equal(buf_puts(&b, "x="), WERR_OK);
	assert_int_equal(order_to_json(&o, &b), WERR_OK);
	assert_non_null(strstr(b.p, "x={\"order\":\"1001\",\"status\":\"cancelled\",\"flags\":[],"
				    "\"customer_view\":{\"step\":1,\"step_name\":\"ordered\","
				    "\"label\":\"Cancelled\"}"));
	assert_non_null(strstr(b.p, "\"customer\":{\"first_name\":\"Grace\"}"));
	/* too small: fails and leaves the buffer as it was */
	buf_init(&small, 40);
	assert_int_equal(buf_puts(&small, "keep"), WERR_OK);
	assert_int_equal(order_to_json(&o, &small), WERR_TOO_LARGE);
	assert_string_equal(small.p, "keep");
	assert_int_equal(small.len, 4);
	buf_release(&small);
	buf_release(&b);
	order_release(&o);
	release_events(ev, 2);
}

/* A refund moves no status; "full" wins over "partial" whatever the order. */
static void test_refunds(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "shopify", .st = EV_CONFIRMED, .at = 0 },
		{ .src = "shopify", .st = EV_REFUNDED, .at = 30, .detail = "full" },
		{ .src = "shopify", .st = EV_REFUNDED, .at = 20, .detail = "partial" },
		{ .src = "scans", .st = EV_PROCESSING, .at = 10 },
	};
	struct event ev[4];
	struct order_state o;
	struct buf b = BUF_INIT;

	(void)state;
	fold_specs(specs, 3, ev, &o);
	assert_int_equal(o.status, ORD_CONFIRMED);
	assert_string_equal(o.refund, "full");
	assert_int_equal(order_to_json(&o, &b), WERR_OK);
	assert_non_null(strstr(b.p, "\"refund\":{\"status\":\"full\",\"at\":\"2024-03-10T00:30:00Z\"}"));
	order_release(&o);
	release_events(ev, 3);
	/* a partial refund alone, and a later warehouse milestone still moves on */
	fold_specs(specs + 2, 2, ev, &o);
	assert_int_equal(o.status, ORD_PROCESSING);
	assert_string_equal(o.refund, "partial");
	assert_int_equal(o.refunded_at, ev[0].occurred_at);
	order_release(&o);
	release_events(ev, 2);
	buf_release(&b);
}

/* Rule 9: a delivered order's return, told by the store, a carrier and the
 * warehouse; the return parcel's delivery is the receipt and never the
 * order's; any arrival order gives the same bytes. */
static void test_returns(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "shopify", .st = EV_CONFIRMED, .at = 0, .items = "A1:2" },
		{ .src = "ups", .pkg = "1ZOUT", .st = EV_IN_TRANSIT, .at = 60 },
		{ .src = "ups", .pkg = "1ZOUT", .st = EV_DELIVERED, .at = DAY },
		{ .src = "shopify", .st = EV_RETURN_REQUESTED, .at = 3 * DAY, .items = "A1:1" },
		{ .src = "shopify", .st = EV_RETURN_APPROVED, .at = 3 * DAY + 60 },
		{ .src = "shopify", .pkg = "1ZBACK", .st = EV_RETURN_LABEL_CREATED, .at = 3 * DAY + 61 },
		{ .src = "ups", .pkg = "1ZBACK", .st = EV_IN_TRANSIT, .at = 4 * DAY },
		{ .src = "ups", .pkg = "1ZBACK", .st = EV_DELIVERED, .at = 6 * DAY },
		{ .src = "scans", .st = EV_RETURN_DISPOSED, .at = 6 * DAY + 60 },
		{ .src = "shopify", .st = EV_REFUNDED, .at = 7 * DAY, .detail = "partial" },
		/* a carrier cannot approve a return: a claim */
		{ .src = "ups", .st = EV_RETURN_REJECTED, .at = 3 * DAY + 90 },
	};
	enum { N = sizeof(specs) / sizeof(specs[0]) };
	struct event ev[N], rev[N];
	enum ev_outcome out[N];
	struct order_state o, o2;
	struct policy pol;
	struct buf a = BUF_INIT, b = BUF_INIT;
	const struct package_state *p;
	const struct return_state *r;
	struct rules_milestone ms[16];
	size_t nms;

	(void)state;
	policy_init_defaults(&pol);
	for (size_t i = 0; i < N; i++) {
		make_event(&ev[i], &specs[i], i);
		if (ev_status_is_return(ev[i].status) || ev[i].status == EV_REFUNDED)
			snprintf(ev[i].return_id, sizeof(ev[i].return_id), "R1");
	}
	snprintf(ev[3].return_reason, sizeof(ev[3].return_reason), "too_small");
	snprintf(ev[8].disposition, sizeof(ev[8].disposition), "restock");
	ev[9].has_refund_amount = true;
	ev[9].refund_amount = 25;
	snprintf(ev[9].currency, sizeof(ev[9].currency), "EUR");
	order_init(&o);
	assert_int_equal(order_fold(&pol, ev, N, &o, out), WERR_OK);
	expect_valid("returns", "as written", &o);
	/* the outbound parcel decides the order; the return parcel is the return's */
	assert_int_equal(o.status, ORD_DELIVERED);
	assert_int_equal(o.flags, 0);
	/* what was ordered stays what was ordered: the return's lines are its own */
	assert_int_equal(o.nitems, 1);
	assert_int_equal(o.items[0].quantity, 2);
	assert_non_null(p = order_package(&o, "1ZBACK"));
	assert_true(p->is_return);
	assert_string_equal(p->return_id, "R1");
	assert_int_equal(p->status, PKG_DELIVERED);
	assert_false(order_package(&o, "1ZOUT")->is_return);
	assert_int_equal(o.nreturns, 1);
	r = &o.returns[0];
	assert_int_equal(r->state, RET_REFUNDED);
	assert_int_equal(r->resolution, RET_REFUNDED);
	assert_int_equal(r->disposition, DISP_RESTOCK);
	assert_string_equal(r->reason, "too_small");
	assert_int_equal(r->received_at, T0 + MINUTES(6 * DAY));
	assert_int_equal(r->moving_at, T0 + MINUTES(4 * DAY));
	assert_int_equal(r->nparcels, 1);
	assert_int_equal(r->nitems, 1);
	assert_int_equal(r->items[0].quantity, 1);
	assert_true(r->has_refund);
	assert_int_equal(r->nclaims, 1);
	assert_int_equal(out[10], OUT_CLAIM);
	assert_int_equal(out[4], OUT_APPLIED);
	/* the delivered message stays the outbound parcel's */
	nms = rules_milestones(&o, ms, 16);
	for (size_t i = 0; i < nms; i++)
		if (!strcmp(ms[i].trigger, "delivered"))
			assert_int_equal(ms[i].at, T0 + MINUTES(DAY));
	assert_int_equal(order_to_json(&o, &a), WERR_OK);
	assert_non_null(strstr(a.p, "\"return_id\":\"R1\""));
	assert_non_null(strstr(a.p, "\"returns\":[{\"id\":\"R1\",\"state\":\"refunded\",\"reason\":\"too_small\","
				    "\"disposition\":\"restock\",\"resolution\":\"refunded\","
				    "\"refund\":{\"amount\":25,\"currency\":\"EUR\"}"));
	/* reversed arrival: the same bytes */
	for (size_t i = 0; i < N; i++)
		assert_int_equal(event_copy(&rev[i], &ev[N - 1 - i]), WERR_OK);
	order_init(&o2);
	assert_int_equal(order_fold(&pol, rev, N, &o2, NULL), WERR_OK);
	assert_int_equal(order_to_json(&o2, &b), WERR_OK);
	assert_string_equal(a.p, b.p);
	order_release(&o2);
	release_events(rev, N);
	order_release(&o);
	/* the return parcel alone never delivers the order */
	order_init(&o);
	assert_int_equal(order_fold(&pol, ev + 5, 3, &o, NULL), WERR_OK);
	assert_int_equal(o.status, ORD_PLACED);
	assert_int_equal(o.nreturns, 1);
	assert_int_equal(o.returns[0].state, RET_RECEIVED);
	order_release(&o);
	release_events(ev, N);
	buf_release(&a);
	buf_release(&b);
}

/* order_check catches each broken invariant. */
struct breakage {
	const char *name;
	void (*breaks)(struct order_state *o);
};

static void br_status(struct order_state *o) { o->status = ORD_SHIPPED; }
static void br_unsorted(struct order_state *o)
{
	struct package_state t = o->packages[0];
	o->packages[0] = o->packages[1];
	o->packages[1] = t;
}
static void br_duplicate(struct order_state *o)
{
	memcpy(o->packages[1].tracking, o->packages[0].tracking, sizeof(o->packages[0].tracking));
}
static void br_empty_tracking(struct order_state *o) { o->packages[0].tracking[0] = '\0'; }
static void br_delivered_at_set(struct order_state *o) { o->packages[1].delivered_at = T0; }
static void br_delivered_at_clear(struct order_state *o) { o->packages[0].delivered_at = 0; }
static void br_shipped_late(struct order_state *o)
{
	o->packages[0].shipped_at = o->packages[0].delivered_at + 1;
}
static void br_conflict_flag(struct order_state *o) { o->flags &= ~(unsigned)FLAG_CONFLICT; }
static void br_conflict_none(struct order_state *o) { o->nconflicts = 0; }
static void br_flag_exception(struct order_state *o) { o->flags &= ~(unsigned)FLAG_EXCEPTION; }
static void br_flag_delayed(struct order_state *o) { o->flags |= FLAG_DELAYED; }
static void br_status_at(struct order_state *o) { o->packages[1].status_at = 0; }
static void br_decided_by(struct order_state *o) { o->packages[1].decided_by[0] = '\0'; }
static void br_milestone(struct order_state *o) { o->milestone = EV_IN_TRANSIT; }
static void br_conflict_pkg(struct order_state *o) { o->conflicts[0].package[0] = 'X'; }
static void br_conflict_class(struct order_state *o) { o->conflicts[0].milestone = MS_ORDER; }
static void br_delivered_unshipped(struct order_state *o) { o->packages[0].shipped_at = 0; }

static const struct breakage breakages[] = {
	{ "status differs from the roll-up", br_status },
	{ "packages out of order", br_unsorted },
	{ "duplicate tracking number", br_duplicate },
	{ "empty tracking number", br_empty_tracking },
	{ "delivered_at on an undelivered package", br_delivered_at_set },
	{ "no delivered_at on a delivered package", br_delivered_at_clear },
	{ "shipped after delivered", br_shipped_late },
	{ "conflicts without the flag", br_conflict_flag },
	{ "the flag without conflicts", br_conflict_none },
	{ "exception flag missing", br_flag_exception },
	{ "delayed flag without a delay", br_flag_delayed },
	{ "status_at without decided_by", br_status_at },
	{ "decided_by without status_at", br_decided_by },
	{ "milestone not an order milestone", br_milestone },
	{ "conflict on an unknown package", br_conflict_pkg },
	{ "package conflict in an order class", br_conflict_class },
	{ "delivered but never shipped", br_delivered_unshipped },
};

static void test_check_catches(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 10 },
		{ .src = "ups", .pkg = "1Z1", .st = EV_DELIVERED, .at = 100 },
		{ .src = "ups", .pkg = "1Z2", .st = EV_IN_TRANSIT, .at = 20 },
		{ .src = "ups", .pkg = "1Z2", .st = EV_EXCEPTION, .at = 200, .detail = "damaged" },
		{ .src = "scans", .pkg = "1Z2", .st = EV_DELIVERED, .at = 300 },
	};
	struct event ev[5];
	struct order_state o;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(breakages) / sizeof(breakages[0]); i++) {
		size_t nconflicts;

		fold_specs(specs, 5, ev, &o);
		assert_int_equal(o.status, ORD_PARTIALLY_DELIVERED);
		assert_int_equal(o.flags, FLAG_EXCEPTION | FLAG_CONFLICT);
		assert_true(order_check(&o, why, sizeof(why)));
		nconflicts = o.nconflicts;
		breakages[i].breaks(&o);
		why[0] = '\0';
		if (order_check(&o, why, sizeof(why)))
			fail_msg("order_check missed: %s", breakages[i].name);
		assert_true(why[0] != '\0');
		o.nconflicts = nconflicts; /* so release frees what it owns */
		order_release(&o);
		release_events(ev, 5);
	}
}

/* Folding again into a used state replaces it (ASan sees any leak). */
static void test_refold_replaces(void **state)
{
	static const struct ev_spec a[] = {
		{ .src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 10, .items = "A1:1" },
		{ .src = "shopify", .st = EV_PLACED, .at = 0, .items = "A1:1" },
		{ .src = "scans", .pkg = "1Z1", .st = EV_DELIVERED, .at = 20 },
	};
	static const struct ev_spec b[] = {
		{ .src = "shopify", .st = EV_PLACED, .at = 0 },
	};
	struct event ea[3], eb[1];
	struct order_state o;
	struct policy pol;

	(void)state;
	fold_specs(a, 3, ea, &o);
	assert_int_equal(o.nconflicts, 1);
	policy_init_defaults(&pol);
	make_event(&eb[0], &b[0], 0);
	assert_int_equal(order_fold(&pol, eb, 1, &o, NULL), WERR_OK);
	expect_valid("refold", "as written", &o);
	assert_int_equal(o.npackages, 0);
	assert_int_equal(o.nconflicts, 0);
	assert_int_equal(o.nitems, 0);
	assert_int_equal(o.flags, 0);
	order_release(&o);
	release_events(ea, 3);
	release_events(eb, 1);
}

/* Outcomes come back indexed like the input. */
static void test_outcomes_indexed(void **state)
{
	static const struct ev_spec specs[] = {
		{ .src = "scans", .pkg = "1Z1", .st = EV_DELIVERED, .at = 300 },
		{ .src = "ups", .pkg = "1Z1", .st = EV_UNKNOWN, .at = 100 },
		{ .src = "ups", .pkg = "1Z1", .st = EV_IN_TRANSIT, .at = 200 },
	};
	struct event ev[3];
	struct order_state o;
	struct policy pol;
	enum ev_outcome out[3];

	(void)state;
	fold_specs(specs, 3, ev, &o);
	policy_init_defaults(&pol);
	assert_int_equal(order_fold(&pol, ev, 3, &o, out), WERR_OK);
	expect_valid("outcomes", "as written", &o);
	assert_int_equal(out[0], OUT_CLAIM);
	assert_int_equal(out[1], OUT_UNMAPPED);
	assert_int_equal(out[2], OUT_APPLIED);
	order_release(&o);
	release_events(ev, 3);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_fold_empty),
		cmocka_unit_test(test_fold_two_orders),
		cmocka_unit_test(test_summary_is_a_claim),
		cmocka_unit_test(test_order_package),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_json_golden),
		cmocka_unit_test(test_json_cancelled_and_appends),
		cmocka_unit_test(test_refunds),
		cmocka_unit_test(test_returns),
		cmocka_unit_test(test_check_catches),
		cmocka_unit_test(test_refold_replaces),
		cmocka_unit_test(test_outcomes_indexed),
	};
	enum { NCASES = sizeof(cases) / sizeof(cases[0]), NFIXED = sizeof(fixed) / sizeof(fixed[0]) };
	static struct CMUnitTest tests[NCASES + NFIXED];

	/* one cmocka test per table row, named after it */
	for (size_t i = 0; i < NCASES; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	for (size_t i = 0; i < NFIXED; i++)
		tests[NCASES + i] = fixed[i];
	return _cmocka_run_group_tests("order", tests, NCASES + NFIXED, NULL, NULL);
}
