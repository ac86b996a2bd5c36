/*
 * test_parcels.c - who owns a tracking number (core/parcels.h) and what the
 * fold makes of it (core/order.h rule 10), as in docs/parcels.md: the
 * [parcels] setting, one test per row of parcel_decide()'s table, and the
 * folds of a claiming, an owning and a moved-from order with their facts in
 * any arrival order, and the parcel_claimed exception they open.
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
#include "core/event.h"
#include "core/exceptions.h"
#include "core/order.h"
#include "core/order_json.h"
#include "core/parcels.h"
#include "core/policy.h"
#include "base/banned.h"

#define T0 INT64_C(1710028800000)
#define DAY_MS (INT64_C(24) * 3600 * 1000)
#define HOUR_MS (INT64_C(3600) * 1000)

static struct event mk(const char *key, const char *order, const char *source, const char *pkg,
		       enum ev_status st, int64_t at)
{
	struct event e;

	event_init(&e);
	assert_int_equal(EVENT_SET(e.key, key), WERR_OK);
	assert_int_equal(EVENT_SET(e.order, order), WERR_OK);
	assert_int_equal(EVENT_SET(e.source, source), WERR_OK);
	assert_int_equal(EVENT_SET(e.package, pkg), WERR_OK);
	e.status = st;
	e.occurred_at = at;
	e.received_at = at + 60000;
	return e;
}

static struct parcel_owner owner(const char *order, const char *source, int64_t last_at)
{
	struct parcel_owner o;

	memset(&o, 0, sizeof(o));
	snprintf(o.tracking, sizeof(o.tracking), "1Z9");
	snprintf(o.order, sizeof(o.order), "%s", order);
	snprintf(o.source, sizeof(o.source), "%s", source);
	o.last_at = last_at;
	o.last_status = EV_LABEL_CREATED;
	return o;
}

/* ---- [parcels] ---- */

static void test_config(void **state)
{
	struct parcel_config c;

	(void)state;
	parcel_config_defaults(&c);
	assert_int_equal(c.reuse_after_ms, 90 * DAY_MS);
	assert_int_equal(parcel_config_set(&c, "returns", "reuse_after_days", "5"), 0);
	assert_int_equal(parcel_config_set(&c, "parcels", "reuse_after_days", "30"), 1);
	assert_int_equal(c.reuse_after_ms, 30 * DAY_MS);
	assert_int_equal(parcel_config_set(&c, "parcels", "reuse_after_days", "0"), 1);
	assert_int_equal(c.reuse_after_ms, 0);
	assert_int_equal(parcel_config_set(&c, "parcels", "reuse_after_days", "-1"), -1);
	assert_int_equal(parcel_config_set(&c, "parcels", "reuse_after_days", "3651"), -1);
	assert_int_equal(parcel_config_set(&c, "parcels", "reuse_after_days", "ten"), -1);
	assert_int_equal(parcel_config_set(&c, "parcels", "window", "10"), -1);

	struct policy pol;
	policy_init_defaults(&pol);
	assert_int_equal(pol.parcels.reuse_after_ms, 90 * DAY_MS);
}

/* ---- the decision table ---- */

struct decide_row {
	const char *name;
	bool has_owner;
	const char *owner_order, *owner_source;
	int64_t owner_last;
	const char *order, *source;
	int64_t at;
	bool carrier, held;
	int64_t window; /* -1: the default */
	enum parcel_decision want;
	const char *want_order, *want_source;
	int64_t want_last;
};

static const struct decide_row decide_rows[] = {
	{ "first attach takes", false, NULL, NULL, 0, "A", "shopify", T0, false, false, -1, PARCEL_TAKE, "A", "shopify", T0 },
	{ "the owner's own event keeps, last time moves on", true, "A", "shopify", T0, "A", "ups", T0 + DAY_MS, true,
	  false, -1, PARCEL_KEEP, "A", "shopify", T0 + DAY_MS },
	{ "an older own event keeps the last time", true, "A", "shopify", T0 + DAY_MS, "A", "ups", T0, true, false, -1,
	  PARCEL_KEEP, "A", "shopify", T0 + DAY_MS },
	{ "another source, another order: a claim", true, "A", "shopify", T0, "B", "woocommerce", T0 + HOUR_MS, false,
	  false, -1, PARCEL_CLAIM, "A", "shopify", T0 },
	{ "a warehouse naming another order: a claim", true, "A", "shipstation", T0, "B", "scans", T0 + HOUR_MS, false,
	  false, -1, PARCEL_CLAIM, "A", "shipstation", T0 },
	{ "the owning source names another order: a move", true, "A", "shopify", T0, "B", "shopify", T0 + HOUR_MS,
	  false, false, -1, PARCEL_MOVE, "B", "shopify", T0 + HOUR_MS },
	{ "a carrier never moves it, even its own attach", true, "A", "ups", T0, "B", "ups", T0 + HOUR_MS, true, false,
	  -1, PARCEL_CLAIM, "A", "ups", T0 },
	{ "a carrier never reuses it", true, "A", "shopify", T0, "B", "easypost", T0 + 200 * DAY_MS, true, false, -1,
	  PARCEL_CLAIM, "A", "shopify", T0 },
	{ "idle past the window: reuse", true, "A", "shopify", T0, "B", "woocommerce", T0 + 91 * DAY_MS, false, false,
	  -1, PARCEL_REUSE, "B", "woocommerce", T0 + 91 * DAY_MS },
	{ "exactly the window: still a claim", true, "A", "shopify", T0, "B", "woocommerce", T0 + 90 * DAY_MS, false,
	  false, -1, PARCEL_CLAIM, "A", "shopify", T0 },
	{ "the owning source past the window: reuse (the new source owns)", true, "A", "shopify", T0, "B", "shopify",
	  T0 + 120 * DAY_MS, false, false, -1, PARCEL_REUSE, "B", "shopify", T0 + 120 * DAY_MS },
	{ "window 0: never reused", true, "A", "shopify", T0, "B", "woocommerce", T0 + 900 * DAY_MS, false, false, 0,
	  PARCEL_CLAIM, "A", "shopify", T0 },
	{ "a held event may not reuse", true, "A", "shopify", T0, "B", "woocommerce", T0 + 200 * DAY_MS, false, true,
	  -1, PARCEL_CLAIM, "A", "shopify", T0 },
	{ "a shorter window", true, "A", "shopify", T0, "B", "woocommerce", T0 + 8 * DAY_MS, false, false, 7 * DAY_MS,
	  PARCEL_REUSE, "B", "woocommerce", T0 + 8 * DAY_MS },
};

static void test_decide_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(decide_rows) / sizeof(decide_rows[0]); i++) {
		const struct decide_row *r = &decide_rows[i];
		struct parcel_config cfg;
		struct parcel_owner cur = owner(r->owner_order ? r->owner_order : "", r->owner_source ? r->owner_source : "",
						r->owner_last), next;
		struct event e = mk("k1", r->order, r->source, "1Z9", EV_IN_TRANSIT, r->at);
		enum parcel_decision d;

		parcel_config_defaults(&cfg);
		if (r->window >= 0)
			cfg.reuse_after_ms = r->window;
		d = parcel_decide(&cfg, r->has_owner ? &cur : NULL, &e, r->carrier, r->held, &next);
		if (d != r->want || strcmp(next.order, r->want_order) || strcmp(next.source, r->want_source) ||
		    next.last_at != r->want_last)
			fail_msg("row '%s': %s -> %s/%s/%lld", r->name, parcel_decision_name(d), next.order, next.source,
				 (long long)next.last_at);
	}
}

static void test_decide_nothing_to_decide(void **state)
{
	struct parcel_config cfg;
	struct parcel_owner cur = owner("A", "shopify", T0);
	struct event e = mk("k1", "B", "shopify", "", EV_PLACED, T0);

	(void)state;
	parcel_config_defaults(&cfg);
	assert_int_equal(parcel_decide(&cfg, &cur, &e, false, false, NULL), PARCEL_NONE);
	e = mk("k2", "", "ups", "1Z9", EV_IN_TRANSIT, T0); /* parked: no order yet */
	assert_int_equal(parcel_decide(&cfg, &cur, &e, true, false, NULL), PARCEL_NONE);
}

/* ---- the fold with facts (rule 10) ---- */

static struct parcel_fact fact(enum parcel_role role, const char *other, const char *src, enum ev_status st,
			       int64_t at, const char *key, const char *owner_src)
{
	struct parcel_fact f;

	memset(&f, 0, sizeof(f));
	snprintf(f.tracking, sizeof(f.tracking), "1Z9");
	f.role = role;
	snprintf(f.other_order, sizeof(f.other_order), "%s", other);
	snprintf(f.claim_source, sizeof(f.claim_source), "%s", src);
	f.claim_status = st;
	f.claim_at = at;
	snprintf(f.claim_key, sizeof(f.claim_key), "%s", key);
	snprintf(f.owner_source, sizeof(f.owner_source), "%s", owner_src);
	f.owner_status = EV_IN_TRANSIT;
	return f;
}

/* Folds evs with facts as given, reversed and rotated: the JSON and the
 * outcomes must not change.  Leaves the first fold in o and its JSON in js. */
static void fold_all_ways(const struct event *evs, size_t n, const struct parcel_fact *pf, size_t npf,
			  struct order_state *o, enum ev_outcome *outc, struct buf *js)
{
	struct policy pol;
	struct event *perm = calloc(n, sizeof(*perm));

	assert_non_null(perm);
	policy_init_defaults(&pol);
	assert_int_equal(order_fold_parcels(&pol, evs, n, pf, npf, o, outc), WERR_OK);
	assert_true(order_check(o, NULL, 0));
	assert_int_equal(order_to_json(o, js), WERR_OK);
	for (size_t shift = 1; shift < n; shift++) {
		struct order_state o2;
		struct buf js2 = BUF_INIT;
		enum ev_outcome out2[16];

		for (size_t i = 0; i < n; i++)
			perm[i] = evs[(i + shift) % n];
		order_init(&o2);
		assert_int_equal(order_fold_parcels(&pol, perm, n, pf, npf, &o2, out2), WERR_OK);
		assert_int_equal(order_to_json(&o2, &js2), WERR_OK);
		assert_string_equal(js2.p, js->p);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out2[i], outc[(i + shift) % n]);
		buf_release(&js2);
		order_release(&o2);
	}
	free(perm);
}

/* B claims 1Z9, which A owns: no package on B, its event a claim, a
 * parcel conflict naming both orders, the conflict flag. */
static void test_fold_claimant(void **state)
{
	struct event evs[] = {
		mk("b1", "B", "shopify", "", EV_PLACED, T0),
		mk("b2", "B", "woocommerce", "1Z9", EV_LABEL_CREATED, T0 + HOUR_MS),
		mk("b3", "B", "shopify", "", EV_CONFIRMED, T0 + 2 * HOUR_MS),
	};
	struct parcel_fact pf = fact(PARCEL_CLAIMANT, "A", "woocommerce", EV_LABEL_CREATED, T0 + HOUR_MS, "b2", "shopify");
	struct order_state o;
	enum ev_outcome outc[3];
	struct buf js = BUF_INIT;

	(void)state;
	order_init(&o);
	fold_all_ways(evs, 3, &pf, 1, &o, outc, &js);
	assert_int_equal(o.npackages, 0);
	assert_int_equal(o.status, ORD_CONFIRMED);
	assert_int_equal(outc[1], OUT_CLAIM);
	assert_int_equal(outc[0], OUT_APPLIED);
	assert_true(o.flags & FLAG_CONFLICT);
	assert_int_equal(o.nconflicts, 1);
	assert_int_equal(o.conflicts[0].kind, CONFLICT_PARCEL);
	assert_string_equal(o.conflicts[0].claim_order, "B");
	assert_string_equal(o.conflicts[0].owner_order, "A");
	assert_non_null(strstr(js.p, "\"conflicts\":[{\"package\":\"1Z9\",\"milestone\":\"parcel\","
				     "\"claim\":{\"source\":\"woocommerce\",\"status\":\"label_created\","
				     "\"at\":\"2024-03-10T01:00:00Z\",\"order\":\"B\"},"
				     "\"resolved\":{\"source\":\"shopify\",\"status\":\"in_transit\",\"order\":\"A\"}}]"));
	/* the claimant opens no task: the owner does */
	{
		struct exc_config cfg;
		struct calendar cal;
		struct order_exception x[16];
		size_t n;
		int64_t next;
		exc_config_defaults(&cfg);
		calendar_init(&cal);
		exceptions_compute(&o, &cal, &cfg, NULL, T0 + DAY_MS, x, 16, &n, &next);
		for (size_t i = 0; i < n; i++)
			assert_int_not_equal(x[i].kind, EXC_PARCEL_CLAIMED);
	}
	buf_release(&js);
	order_release(&o);
}

/* A owns 1Z9 and B and C claim it: the package stays, one conflict per
 * claimant, and one parcel_claimed exception naming every order. */
static void test_fold_owner_and_task(void **state)
{
	struct event evs[] = {
		mk("a1", "A", "shopify", "", EV_PLACED, T0),
		mk("a2", "A", "shopify", "1Z9", EV_LABEL_CREATED, T0 + HOUR_MS),
		mk("a3", "A", "ups", "1Z9", EV_IN_TRANSIT, T0 + 3 * HOUR_MS),
	};
	struct parcel_fact pf[] = {
		fact(PARCEL_CLAIMED, "C", "scans", EV_LABEL_CREATED, T0 + 5 * HOUR_MS, "c1", "shopify"),
		fact(PARCEL_CLAIMED, "B", "woocommerce", EV_LABEL_CREATED, T0 + 2 * HOUR_MS, "b2", "shopify"),
	};
	struct order_state o;
	enum ev_outcome outc[3];
	struct buf js = BUF_INIT;
	struct exc_config cfg;
	struct calendar cal;
	struct order_exception x[16];
	size_t n;
	int64_t next;
	bool found = false;

	(void)state;
	order_init(&o);
	fold_all_ways(evs, 3, pf, 2, &o, outc, &js);
	assert_int_equal(o.npackages, 1);
	assert_int_equal(o.packages[0].status, PKG_IN_TRANSIT);
	assert_int_equal(o.status, ORD_SHIPPED);
	assert_int_equal(outc[1], OUT_APPLIED);
	assert_int_equal(outc[2], OUT_APPLIED);
	assert_int_equal(o.nconflicts, 2);
	assert_string_equal(o.conflicts[0].claim_order, "B"); /* sorted by the claiming order */
	assert_string_equal(o.conflicts[1].claim_order, "C");
	assert_string_equal(o.conflicts[0].owner_order, "A");
	assert_true(o.flags & FLAG_CONFLICT);

	exc_config_defaults(&cfg);
	calendar_init(&cal);
	assert_true(exceptions_max(&o) >= 1);
	exceptions_compute(&o, &cal, &cfg, NULL, T0 + 6 * HOUR_MS, x, 16, &n, &next);
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(x[i].kind, EXC_CONFLICT_UNRESOLVED); /* the parcel's own task covers it */
		if (x[i].kind != EXC_PARCEL_CLAIMED)
			continue;
		found = true;
		assert_string_equal(x[i].package, "1Z9");
		assert_int_equal(x[i].since, T0 + 2 * HOUR_MS);
		assert_non_null(strstr(x[i].reason, "Tracking number 1Z9 is claimed by orders A, B and C"));
	}
	assert_true(found);
	assert_int_equal(cfg.team[EXC_PARCEL_CLAIMED], TEAM_WAREHOUSE);
	assert_string_equal(exc_kind_name(EXC_PARCEL_CLAIMED), "parcel_claimed");
	buf_release(&js);
	order_release(&o);
}

/* The owning source moved 1Z9 from A to B: A has no such package any more,
 * its events for it are "moved", and the order says where it went. */
static void test_fold_moved_away(void **state)
{
	struct event evs[] = {
		mk("a1", "A", "shopify", "", EV_PLACED, T0),
		mk("a2", "A", "shopify", "1Z9", EV_LABEL_CREATED, T0 + HOUR_MS),
		mk("a3", "A", "ups", "1Z9", EV_IN_TRANSIT, T0 + 3 * HOUR_MS),
	};
	struct parcel_fact pf = fact(PARCEL_MOVED_AWAY, "B", "shopify", EV_LABEL_CREATED, T0 + 4 * HOUR_MS, "b9", "");
	struct order_state o;
	enum ev_outcome outc[3];
	struct buf js = BUF_INIT;

	(void)state;
	order_init(&o);
	fold_all_ways(evs, 3, &pf, 1, &o, outc, &js);
	assert_int_equal(o.npackages, 0);
	assert_int_equal(o.status, ORD_PLACED);
	assert_int_equal(outc[0], OUT_APPLIED);
	assert_int_equal(outc[1], OUT_MOVED);
	assert_int_equal(outc[2], OUT_MOVED);
	assert_string_equal(ev_outcome_name(OUT_MOVED), "moved");
	assert_int_equal(o.nconflicts, 0);
	assert_int_equal(o.nmoved, 1);
	assert_non_null(strstr(js.p, "\"moved_parcels\":[{\"package\":\"1Z9\",\"to\":\"B\",\"source\":\"shopify\","
				     "\"at\":\"2024-03-10T04:00:00Z\"}]"));
	buf_release(&js);
	order_release(&o);
}

/* Facts about numbers the order never names change nothing, and no facts
 * is order_fold() itself. */
static void test_fold_unrelated_facts(void **state)
{
	struct event evs[] = {
		mk("a1", "A", "shopify", "", EV_PLACED, T0),
		mk("a2", "A", "ups", "1Z1", EV_IN_TRANSIT, T0 + HOUR_MS),
	};
	struct parcel_fact pf = fact(PARCEL_CLAIMANT, "Z", "scans", EV_LABEL_CREATED, T0, "z1", "shopify");
	struct order_state o1, o2;
	struct buf j1 = BUF_INIT, j2 = BUF_INIT;
	struct policy pol;

	(void)state;
	policy_init_defaults(&pol);
	order_init(&o1);
	order_init(&o2);
	assert_int_equal(order_fold_parcels(&pol, evs, 2, &pf, 1, &o1, NULL), WERR_OK);
	assert_int_equal(order_fold(&pol, evs, 2, &o2, NULL), WERR_OK);
	assert_int_equal(order_to_json(&o1, &j1), WERR_OK);
	assert_int_equal(order_to_json(&o2, &j2), WERR_OK);
	assert_string_equal(j1.p, j2.p);
	assert_int_equal(o1.nconflicts, 0);
	buf_release(&j1);
	buf_release(&j2);
	order_release(&o1);
	order_release(&o2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_decide_table),
		cmocka_unit_test(test_decide_nothing_to_decide),
		cmocka_unit_test(test_fold_claimant),
		cmocka_unit_test(test_fold_owner_and_task),
		cmocka_unit_test(test_fold_moved_away),
		cmocka_unit_test(test_fold_unrelated_facts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
