/*
 * test_outbox.c - the outbox state machine (core/outbox.h): each row of the
 * transition table is a case of its own, and every (move, from, to) not in
 * the table is refused.  The expected table is written out here again on
 * purpose, so that a row added to or dropped from outbox.c fails a test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/outbox.h"
#include "base/banned.h"

static const struct outbox_transition expected[] = {
	{ OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_REVIEW },
	{ OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_PENDING },
	{ OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_CANCELLED },
	{ OUTBOX_CLAIM, OUTBOX_PENDING, OUTBOX_SENDING },
	{ OUTBOX_CLAIM, OUTBOX_SENDING, OUTBOX_SENDING },
	{ OUTBOX_FINISH, OUTBOX_SENDING, OUTBOX_SENT },
	{ OUTBOX_FINISH, OUTBOX_SENDING, OUTBOX_PENDING },
	{ OUTBOX_FINISH, OUTBOX_SENDING, OUTBOX_DEAD },
	{ OUTBOX_APPROVE, OUTBOX_REVIEW, OUTBOX_PENDING },
	{ OUTBOX_REJECT, OUTBOX_REVIEW, OUTBOX_CANCELLED },
	{ OUTBOX_RETRY, OUTBOX_DEAD, OUTBOX_PENDING },
	{ OUTBOX_CANCEL, OUTBOX_PENDING, OUTBOX_CANCELLED },
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static bool in_expected(enum outbox_move m, enum outbox_state from, enum outbox_state to)
{
	for (size_t i = 0; i < NEXPECTED; i++)
		if (expected[i].move == m && expected[i].from == from && expected[i].to == to)
			return true;
	return false;
}

static bool is_set(enum outbox_move m)
{
	return m == OUTBOX_APPROVE || m == OUTBOX_REJECT || m == OUTBOX_RETRY || m == OUTBOX_CANCEL;
}

/* One table row (the prestate): legal, and in outbox.c's table at the same place. */
static void test_row(void **state)
{
	const struct outbox_transition *t = *state, *table;
	size_t i = (size_t)(t - expected), n;

	table = outbox_transitions(&n);
	assert_int_equal(n, NEXPECTED);
	assert_int_equal(table[i].move, t->move);
	assert_int_equal(table[i].from, t->from);
	assert_int_equal(table[i].to, t->to);
	assert_true(outbox_move_ok(t->move, t->from, t->to));
	assert_true(outbox_move_reaches(t->move, t->to));
	assert_int_equal(outbox_set_ok(t->from, t->to), is_set(t->move));
	if (is_set(t->move))
		assert_true(outbox_set_target(t->to));
}

/* Every combination outside the table is refused. */
static void test_illegal_refused(void **state)
{
	size_t refused = 0;
	(void)state;

	for (int m = 0; m < OUTBOX__MOVES; m++)
		for (int f = 0; f < OUTBOX__COUNT; f++)
			for (int t = 0; t < OUTBOX__COUNT; t++)
				if (!in_expected(m, f, t)) {
					assert_false(outbox_move_ok(m, f, t));
					refused++;
				}
	assert_int_equal(refused, (size_t)OUTBOX__MOVES * OUTBOX__COUNT * OUTBOX__COUNT - NEXPECTED);
	/* a few that matter, spelled out */
	assert_false(outbox_set_ok(OUTBOX_SENT, OUTBOX_PENDING));      /* sent stays sent */
	assert_false(outbox_set_ok(OUTBOX_CANCELLED, OUTBOX_PENDING)); /* cancelled stays cancelled */
	assert_false(outbox_set_ok(OUTBOX_SENDING, OUTBOX_CANCELLED)); /* the worker finishes first */
	assert_false(outbox_set_ok(OUTBOX_DEAD, OUTBOX_CANCELLED));
	assert_false(outbox_move_ok(OUTBOX_CLAIM, OUTBOX_REVIEW, OUTBOX_SENDING)); /* never claimed in review */
	assert_false(outbox_move_ok(OUTBOX_FINISH, OUTBOX_SENDING, OUTBOX_REVIEW));
	assert_false(outbox_move_ok(OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_SENT));
	assert_false(outbox_move_ok(OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_SENDING));
	assert_false(outbox_move_ok(OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_DEAD));
	assert_false(outbox_move_ok(OUTBOX__MOVES, OUTBOX_NEW, OUTBOX_PENDING));
	/* what store_outbox_set_state may be asked for at all */
	assert_true(outbox_set_target(OUTBOX_PENDING));
	assert_true(outbox_set_target(OUTBOX_CANCELLED));
	assert_false(outbox_set_target(OUTBOX_SENT));
	assert_false(outbox_set_target(OUTBOX_SENDING));
	assert_false(outbox_set_target(OUTBOX_DEAD));
	assert_false(outbox_set_target(OUTBOX_REVIEW));
	assert_false(outbox_move_reaches(OUTBOX_FINISH, OUTBOX_REVIEW));
	assert_false(outbox_move_reaches(OUTBOX_FINISH, OUTBOX_SENDING));
}

/* The names are the stored and wire values: they never change. */
static void test_names(void **state)
{
	static const char *const names[] = { "review", "pending", "sending", "sent", "dead", "cancelled" };
	(void)state;

	for (int i = 0; i < 6; i++) {
		assert_int_equal(outbox_state_from_name(names[i]), OUTBOX_REVIEW + i);
		assert_string_equal(outbox_state_name(OUTBOX_REVIEW + i), names[i]);
	}
	assert_int_equal(outbox_state_from_name("new"), -1);
	assert_int_equal(outbox_state_from_name(""), -1);
	assert_int_equal(outbox_state_from_name(NULL), -1);
	assert_int_equal(outbox_state_from_name("Pending"), -1);
	assert_int_equal(outbox_state_from_name("bogus"), -1);
	assert_string_equal(outbox_state_name(OUTBOX__COUNT), "unknown");
	assert_string_equal(outbox_move_name(OUTBOX_RETRY), "retry");
	assert_string_equal(outbox_move_name(OUTBOX__MOVES), "unknown");
}

#define ROW(i) cmocka_unit_test_prestate(test_row, (void *)&expected[i])

int main(void)
{
	const struct CMUnitTest tests[] = {
		ROW(0), ROW(1), ROW(2), ROW(3), ROW(4), ROW(5), ROW(6), ROW(7), ROW(8), ROW(9), ROW(10), ROW(11),
		cmocka_unit_test(test_illegal_refused),
		cmocka_unit_test(test_names),
	};
	_Static_assert(NEXPECTED == 12, "one ROW() per expected transition");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
