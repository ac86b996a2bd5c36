/*
 * test_order_random.c - the fold's invariants on random event sets.
 *
 * The decision tables of test_order.c pin each rule; this test looks for the
 * combinations no table lists.  It folds many random sets of events (random
 * sources of every kind, statuses, times, packages, items and estimates, a
 * fixed seed so a failure repeats) and requires of each: order_check()
 * holds (order_fold() also asserts it in builds with assertions), and the
 * result, as order_to_json() bytes and outcomes, does not change when the
 * same events arrive reversed or shuffled.  Half the sets also get random
 * parcel facts (rule 10: a number claimed from another order, claimed by
 * other orders, or moved away), as the store could give them.  The cases the
 * random sets found are kept below as fixed rows.
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
#include "core/order.h"
#include "core/order_json.h"
#include "core/policy.h"
#include "base/banned.h"

#define T0 INT64_C(1710028800000)
#define MINUTE INT64_C(60000)
#define MAXEV 10
#define ROUNDS 20000

static const char *const sources[] = { "ups", "fedex", "easypost", "shipstation", "scans", "shopify", "acme" };
static const char *const packages[] = { "", "1Z1", "1Z2", "7700" };
static const char *const details[] = { "", "damaged", "weather_delay", "address_issue", "full", "partial" };

/* xorshift64*: the same sequence on every platform, unlike rand() */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * UINT64_C(2685821657736338717)) >> 33) % n;
}

#define PICK(a) (a)[rnd(sizeof(a) / sizeof((a)[0]))]

static void random_event(struct event *e, size_t idx)
{
	char key[16];

	event_init(e);
	snprintf(key, sizeof(key), "e%02zu", idx);
	assert_int_equal(EVENT_SET(e->key, key), WERR_OK);
	assert_int_equal(EVENT_SET(e->source, PICK(sources)), WERR_OK);
	assert_int_equal(EVENT_SET(e->order, "1001"), WERR_OK);
	assert_int_equal(EVENT_SET(e->package, PICK(packages)), WERR_OK);
	assert_int_equal(EVENT_SET(e->detail, PICK(details)), WERR_OK);
	if (rnd(3) == 0)
		assert_int_equal(EVENT_SET(e->carrier, "UPS"), WERR_OK);
	if (rnd(3) == 0)
		assert_int_equal(EVENT_SET(e->location.city, "Reno"), WERR_OK);
	if (rnd(4) == 0)
		assert_int_equal(EVENT_SET(e->customer.email, "ada@example.com"), WERR_OK);
	e->status = (enum ev_status)rnd(EV__COUNT);
	e->action_required = (int)rnd(3) - 1;
	/* few distinct times, so ties and the terminal hold both come up */
	e->occurred_at = T0 + (int64_t)rnd(8) * 6 * 60 * MINUTE + (int64_t)rnd(2) * MINUTE;
	e->received_at = e->occurred_at + MINUTE;
	e->seq = (int64_t)idx + 1;
	if (rnd(4) == 0)
		e->estimated_delivery = T0 + (int64_t)rnd(5) * 1440 * MINUTE;
	if (rnd(6) == 0)
		e->promised_by = T0 + (int64_t)rnd(5) * 1440 * MINUTE;
	if (rnd(5) == 0) {
		size_t n = rnd(3);
		e->has_items = true;
		e->items = n ? calloc(n, sizeof(*e->items)) : NULL;
		for (size_t i = 0; i < n; i++) {
			snprintf(e->items[i].sku, sizeof(e->items[i].sku), "%s", rnd(2) ? "A1" : "B1");
			e->items[i].quantity = 1 + (int)rnd(2);
		}
		e->nitems = n;
	}
}

/* Random facts about the parcels, in the store's order (role, tracking,
 * other order); per number only what the store can say at once: this order
 * owns it (claimed by B and/or C), or not (claims it, moved it away, both). */
static size_t random_facts(struct parcel_fact *pf)
{
	size_t n = 0;
	struct parcel_fact tmp[12];
	int kind[4] = { 0 };

	for (size_t k = 1; k < 4; k++)
		kind[k] = (int)rnd(6); /* 0 none, 1 claimant, 2 claimed by B, 3 by B and C, 4 moved, 5 claimant+moved */
	for (int role = 0; role < 3; role++)
		for (size_t k = 1; k < 4; k++) {
			const char *others[2] = { NULL, NULL };
			int m = kind[k];
			if (role == PARCEL_CLAIMANT && (m == 1 || m == 5))
				others[0] = "A";
			if (role == PARCEL_CLAIMED && (m == 2 || m == 3)) {
				others[0] = "B";
				others[1] = m == 3 ? "C" : NULL;
			}
			if (role == PARCEL_MOVED_AWAY && (m == 4 || m == 5))
				others[0] = "B";
			for (int j = 0; j < 2 && others[j]; j++) {
				struct parcel_fact *f = &tmp[n++];
				memset(f, 0, sizeof(*f));
				snprintf(f->tracking, sizeof(f->tracking), "%s", packages[k]);
				f->role = (enum parcel_role)role;
				snprintf(f->other_order, sizeof(f->other_order), "%s", others[j]);
				snprintf(f->claim_source, sizeof(f->claim_source), "%s", PICK(sources));
				f->claim_status = (enum ev_status)rnd(EV__COUNT);
				f->claim_at = T0 + (int64_t)rnd(8) * 6 * 60 * MINUTE;
				snprintf(f->claim_key, sizeof(f->claim_key), "x%zu", n);
				snprintf(f->owner_source, sizeof(f->owner_source), "%s", PICK(sources));
				f->owner_status = (enum ev_status)rnd(EV__COUNT);
			}
		}
	memcpy(pf, tmp, n * sizeof(*pf));
	return n;
}

static const struct parcel_fact *facts;
static size_t nfacts;

static void fold_to_json(const struct policy *pol, const struct event *ev, size_t n, struct buf *json,
			 enum ev_outcome *out, const char *what)
{
	struct order_state o;
	char why[256];

	order_init(&o);
	assert_int_equal(order_fold_parcels(pol, ev, n, facts, nfacts, &o, out), WERR_OK);
	if (!order_check(&o, why, sizeof(why)))
		fail_msg("%s: order_check: %s", what, why);
	buf_reset(json);
	assert_int_equal(order_to_json(&o, json), WERR_OK);
	order_release(&o);
}

static void test_random_sets(void **state)
{
	struct policy pol;
	struct event ev[MAXEV], perm[MAXEV];
	enum ev_outcome out[MAXEV], pout[MAXEV];
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct parcel_fact pf[12];

	(void)state;
	policy_init_defaults(&pol);
	facts = pf;
	for (int round = 0; round < ROUNDS; round++) {
		size_t n = 1 + rnd(MAXEV);
		size_t idx[MAXEV];

		nfacts = rnd(2) ? random_facts(pf) : 0;
		for (size_t i = 0; i < n; i++)
			random_event(&ev[i], i);
		fold_to_json(&pol, ev, n, &a, out, "as generated");

		/* reversed, then shuffled: same bytes, same outcomes per event */
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < n; i++)
				idx[i] = pass == 0 ? n - 1 - i : i;
			for (size_t i = n; pass == 1 && i > 1; i--) {
				size_t j = rnd((unsigned)i), t = idx[i - 1];
				idx[i - 1] = idx[j];
				idx[j] = t;
			}
			for (size_t i = 0; i < n; i++)
				perm[i] = ev[idx[i]]; /* shallow: the fold only reads */
			fold_to_json(&pol, perm, n, &b, pout, pass ? "shuffled" : "reversed");
			if (strcmp(a.p, b.p))
				fail_msg("round %d: arrival order changed the order:\n%s\n%s", round, a.p, b.p);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(pout[i], out[idx[i]]);
		}
		for (size_t i = 0; i < n; i++)
			event_release(&ev[i]);
	}
	buf_release(&a);
	buf_release(&b);
	facts = NULL;
	nfacts = 0;
}

/* Found by the random sets (and the durability test): a label event after the
 * carrier's scan makes the package "label created" again, but possession is
 * for good (rule 7), so the order stays shipped and the invariants hold; the
 * same step without possession is still caught. */
static void test_label_after_scan(void **state)
{
	static const enum ev_status seq[] = { EV_IN_TRANSIT, EV_LABEL_CREATED };
	struct policy pol;
	struct event ev[2];
	struct order_state o;
	char why[256];

	(void)state;
	policy_init_defaults(&pol);
	for (size_t i = 0; i < 2; i++) {
		event_init(&ev[i]);
		assert_int_equal(EVENT_SET(ev[i].key, i ? "e1" : "e0"), WERR_OK);
		assert_int_equal(EVENT_SET(ev[i].source, "ups"), WERR_OK);
		assert_int_equal(EVENT_SET(ev[i].order, "1001"), WERR_OK);
		assert_int_equal(EVENT_SET(ev[i].package, "1Z1"), WERR_OK);
		ev[i].status = seq[i];
		ev[i].occurred_at = T0 + (int64_t)(i + 1) * 60 * MINUTE;
		ev[i].received_at = ev[i].occurred_at;
	}
	order_init(&o);
	assert_int_equal(order_fold(&pol, ev, 2, &o, NULL), WERR_OK);
	assert_int_equal(o.status, ORD_SHIPPED);
	assert_int_equal(o.packages[0].status, PKG_LABEL_CREATED);
	assert_true(o.packages[0].shipped_at != 0);
	if (!order_check(&o, why, sizeof(why)))
		fail_msg("order_check: %s", why);
	o.packages[0].shipped_at = 0; /* no possession: shipped is ahead */
	assert_false(order_check(&o, why, sizeof(why)));
	order_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_after_scan),
		cmocka_unit_test(test_random_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
