/*
 * test_returns.c - the return lifecycle (core/returns.h): one case per rule,
 * and the whole chain delivered in shuffled and duplicated orders giving
 * the same state every time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/returns.h"
#include "base/banned.h"

#define T0 INT64_C(1709510400000)
#define HOUR INT64_C(3600000)

static const struct event_item two_mugs[] = { { "MUG-1", "Blue mug", 2 } };
static const struct event_item one_mug[] = { { "MUG-1", "Blue mug", 1 } };

static struct return_event mk(const char *key, enum source_kind kind, enum ret_step step, int64_t at)
{
	struct return_event e;
	memset(&e, 0, sizeof(e));
	snprintf(e.key, sizeof(e.key), "%s", key);
	snprintf(e.id, sizeof(e.id), "R1");
	e.kind = kind;
	e.step = step;
	e.at = at;
	return e;
}

/* requested .. closed from the sources that own each step */
static size_t chain(struct return_event *e)
{
	size_t n = 0;
	e[n] = mk("a", KIND_STOREFRONT, RET_REQUESTED, T0);
	snprintf(e[n].reason, sizeof(e[n].reason), "too_small");
	e[n].items = two_mugs;
	e[n++].nitems = 1;
	e[n++] = mk("b", KIND_STOREFRONT, RET_APPROVED, T0 + HOUR);
	e[n] = mk("c", KIND_SHIPPING, RET_LABEL_CREATED, T0 + 2 * HOUR);
	snprintf(e[n++].tracking, sizeof(e[0].tracking), "1ZRET");
	e[n] = mk("d", KIND_CARRIER, RET_IN_TRANSIT, T0 + 20 * HOUR);
	snprintf(e[n++].tracking, sizeof(e[0].tracking), "1ZRET");
	e[n] = mk("e", KIND_CARRIER, RET_RECEIVED, T0 + 50 * HOUR);
	snprintf(e[n++].tracking, sizeof(e[0].tracking), "1ZRET");
	e[n++] = mk("f", KIND_WAREHOUSE, RET_INSPECTING, T0 + 52 * HOUR);
	e[n] = mk("g", KIND_WAREHOUSE, RET_DISPOSED, T0 + 53 * HOUR);
	e[n++].disposition = DISP_RESTOCK;
	e[n++] = mk("h", KIND_STOREFRONT, RET_REFUNDED, T0 + 60 * HOUR);
	e[n++] = mk("i", KIND_STOREFRONT, RET_CLOSED, T0 + 61 * HOUR);
	return n;
}

static struct return_state *fold(const struct return_event *e, size_t n, size_t *nr)
{
	struct return_state *r;
	char why[128];
	assert_int_equal(returns_fold(e, n, &r, nr), WERR_OK);
	if (!returns_check(r, *nr, why, sizeof(why)))
		fail_msg("%s", why);
	return r;
}

static enum ret_step state_of(const struct return_event *e, size_t n)
{
	size_t nr;
	struct return_state *r = fold(e, n, &nr);
	enum ret_step s;
	assert_int_equal(nr, 1);
	s = r[0].state;
	returns_free(r, nr);
	return s;
}

static void test_names_ranks_owners(void **state)
{
	(void)state;
	for (int s = 0; s < RET__COUNT; s++)
		assert_int_equal(ret_step_from_name(ret_step_name((enum ret_step)s)), s);
	assert_int_equal(ret_step_from_name("lost"), -1);
	assert_int_equal(ret_disposition_from_name("scrap"), DISP_SCRAP);
	assert_int_equal(ret_disposition_from_name("none"), -1);
	assert_true(ret_step_rank(RET_REFUNDED) == ret_step_rank(RET_STORE_CREDIT));
	assert_true(ret_step_rank(RET_RECEIVED) < ret_step_rank(RET_INSPECTING));
	assert_int_equal(ret_step_rank(RET_CANCELLED), -1);
	assert_true(ret_step_owned_by(RET_APPROVED, KIND_STOREFRONT));
	assert_false(ret_step_owned_by(RET_APPROVED, KIND_CARRIER));
	assert_false(ret_step_owned_by(RET_IN_TRANSIT, KIND_STOREFRONT));
	assert_true(ret_step_owned_by(RET_RECEIVED, KIND_WAREHOUSE));
	assert_true(ret_step_owned_by(RET_REFUNDED, KIND_GENERIC));
	assert_false(ret_step_owned_by(RET__COUNT, KIND_GENERIC));
}

static void test_the_whole_chain(void **state)
{
	struct return_event e[16];
	size_t n = chain(e), nr;
	struct return_state *r;
	(void)state;

	r = fold(e, n, &nr);
	assert_int_equal(nr, 1);
	assert_string_equal(r[0].id, "R1");
	assert_int_equal(r[0].state, RET_CLOSED);
	assert_string_equal(r[0].reason, "too_small");
	assert_int_equal(r[0].disposition, DISP_RESTOCK);
	assert_true(r[0].requested_at == T0 && r[0].received_at == T0 + 50 * HOUR);
	assert_true(r[0].resolved_at == T0 + 60 * HOUR && r[0].closed_at == T0 + 61 * HOUR);
	assert_int_equal(r[0].nparcels, 1);
	assert_string_equal(r[0].parcels[0], "1ZRET");
	assert_int_equal(r[0].nitems, 1);
	assert_int_equal(r[0].items[0].quantity, 2);
	returns_free(r, nr);
	/* each prefix ends in its own step */
	for (size_t k = 1; k <= n; k++)
		assert_int_equal(state_of(e, k), e[k - 1].step);
}

/* Arrival order never decides, duplicates change nothing. */
static void test_shuffled_and_duplicated(void **state)
{
	struct return_event base[16], e[48];
	size_t n = chain(base), nr0, nr;
	struct return_state *want = fold(base, n, &nr0);
	unsigned seed = 12345;
	(void)state;

	for (int round = 0; round < 500; round++) {
		size_t m = 0;
		struct return_state *got;
		for (size_t i = 0; i < n; i++) {
			e[m++] = base[i];
			seed = seed * 1103515245u + 12345u;
			if (seed >> 16 & 1)
				e[m++] = base[i]; /* delivered twice */
		}
		for (size_t i = m - 1; i > 0; i--) {
			struct return_event t;
			size_t j;
			seed = seed * 1103515245u + 12345u;
			j = (seed >> 16) % (i + 1);
			t = e[i];
			e[i] = e[j];
			e[j] = t;
		}
		got = fold(e, m, &nr);
		assert_int_equal(nr, nr0);
		assert_int_equal(got[0].state, want[0].state);
		assert_true(got[0].received_at == want[0].received_at && got[0].resolved_at == want[0].resolved_at);
		assert_string_equal(got[0].reason, want[0].reason);
		assert_int_equal(got[0].nparcels, want[0].nparcels);
		assert_int_equal(got[0].nitems, want[0].nitems);
		assert_int_equal(got[0].nclaims, 0);
		returns_free(got, nr);
	}
	returns_free(want, nr0);
}

/* Rule 2 within a rank, rule 3: a rejection stands only while nothing went ahead. */
static void test_rejected_and_ties(void **state)
{
	struct return_event e[4];
	(void)state;

	e[0] = mk("a", KIND_STOREFRONT, RET_REQUESTED, T0);
	e[1] = mk("b", KIND_STOREFRONT, RET_APPROVED, T0 + HOUR);
	e[2] = mk("c", KIND_STOREFRONT, RET_REJECTED, T0 + 2 * HOUR);
	assert_int_equal(state_of(e, 3), RET_REJECTED); /* the later decision */
	e[2].at = T0 + HOUR / 2;
	assert_int_equal(state_of(e, 3), RET_APPROVED);
	e[2].at = T0 + 2 * HOUR;
	e[3] = mk("d", KIND_CARRIER, RET_IN_TRANSIT, T0 + 30 * HOUR);
	assert_int_equal(state_of(e, 4), RET_IN_TRANSIT); /* it went ahead */
}

/* Rule 4: cancelled wins before the receipt, is kept after it. */
static void test_cancelled(void **state)
{
	struct return_event e[4];
	size_t nr;
	struct return_state *r;
	(void)state;

	e[0] = mk("a", KIND_STOREFRONT, RET_REQUESTED, T0);
	e[1] = mk("b", KIND_CARRIER, RET_IN_TRANSIT, T0 + 30 * HOUR);
	e[2] = mk("c", KIND_STOREFRONT, RET_CANCELLED, T0 + HOUR); /* older than the transit scan */
	assert_int_equal(state_of(e, 3), RET_CANCELLED);
	e[3] = mk("d", KIND_WAREHOUSE, RET_RECEIVED, T0 + 50 * HOUR);
	r = fold(e, 4, &nr);
	assert_int_equal(r[0].state, RET_RECEIVED);
	assert_true(r[0].cancel_ignored);
	returns_free(r, nr);
}

/* Rule 1: a step from a kind that does not own it is a claim. */
static void test_claims(void **state)
{
	struct return_event e[3];
	size_t nr;
	struct return_state *r;
	(void)state;

	e[0] = mk("a", KIND_STOREFRONT, RET_REQUESTED, T0);
	e[1] = mk("b", KIND_CARRIER, RET_REFUNDED, T0 + HOUR);
	e[2] = mk("c", KIND_GENERIC, RET_APPROVED, T0 + 2 * HOUR);
	r = fold(e, 3, &nr);
	assert_int_equal(r[0].state, RET_APPROVED);
	assert_int_equal(r[0].nclaims, 1);
	assert_true(r[0].resolved_at == 0);
	returns_free(r, nr);
}

/* Several returns of one order; items and reason from the latest that gives them. */
static void test_several_returns(void **state)
{
	struct return_event e[5];
	size_t nr;
	struct return_state *r;
	(void)state;

	e[0] = mk("a", KIND_STOREFRONT, RET_REQUESTED, T0);
	snprintf(e[0].id, sizeof(e[0].id), "R2");
	e[1] = mk("b", KIND_STOREFRONT, RET_REQUESTED, T0);
	e[1].items = two_mugs;
	e[1].nitems = 1;
	e[2] = mk("c", KIND_STOREFRONT, RET_APPROVED, T0 + HOUR);
	e[2].items = one_mug; /* the shop approved one of the two */
	e[2].nitems = 1;
	e[3] = mk("d", KIND_STOREFRONT, RET_REQUESTED, T0);
	e[3].id[0] = '\0'; /* no id: not a return */
	e[4] = mk("e", KIND_STOREFRONT, RET_APPROVED, T0 + 2 * HOUR);
	snprintf(e[4].id, sizeof(e[4].id), "R2");
	r = fold(e, 5, &nr);
	assert_int_equal(nr, 2);
	assert_string_equal(r[0].id, "R1");
	assert_string_equal(r[1].id, "R2");
	assert_int_equal(r[0].items[0].quantity, 1);
	assert_int_equal(r[1].state, RET_APPROVED);
	assert_int_equal(r[1].nitems, 0);
	returns_free(r, nr);
	assert_int_equal(returns_fold(NULL, 0, &r, &nr), WERR_OK);
	assert_int_equal(nr, 0);
	returns_free(r, nr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_ranks_owners),
		cmocka_unit_test(test_the_whole_chain),
		cmocka_unit_test(test_shuffled_and_duplicated),
		cmocka_unit_test(test_rejected_and_ties),
		cmocka_unit_test(test_cancelled),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_several_returns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
