/*
 * test_ticket.c - what a ticket names (core/ticket.h ticket_refs) and why it
 * was opened (ticket_cause): one case per rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ticket.h"
#include "base/banned.h"

#define T0 INT64_C(1709510400000)
#define HOUR INT64_C(3600000)

static void test_refs(void **state)
{
	struct ticket_refs r;
	const char *tags[] = { "vip", "order_1001", "order-BR-7", NULL };
	(void)state;

	ticket_refs("#2002", tags, "Where is my order #3003? Tracking 1Z999AA10123456784",
		    "Hi, order no. 3003 again, tel 12, code AB-12, x-9, zip 40202", &r);
	/* the field and the tags first, trusted; then the words, without repeats */
	assert_string_equal(r.ref[0], "2002");
	assert_true(r.from_field[0]);
	assert_string_equal(r.ref[1], "1001");
	assert_string_equal(r.ref[2], "BR-7");
	assert_true(r.from_field[2]);
	assert_string_equal(r.ref[3], "3003");
	assert_false(r.from_field[3]);
	assert_string_equal(r.ref[4], "1Z999AA10123456784");
	assert_string_equal(r.ref[5], "40202");
	assert_int_equal(r.n, 6); /* "12", "AB-12" and "x-9" are too short to be either */
	ticket_refs(NULL, NULL, NULL, NULL, &r);
	assert_int_equal(r.n, 0);
	/* no more than TICKET_REFS_MAX, whatever the text */
	{
		char text[2048] = "";
		for (int i = 0; i < 40; i++)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%d ", 1000 + i);
		ticket_refs(NULL, NULL, text, NULL, &r);
		assert_int_equal(r.n, TICKET_REFS_MAX);
	}
}

static struct event evs[6];
static size_t nev;

static void add(const char *src, const char *pkg, enum ev_status st, int64_t at)
{
	struct event *e = &evs[nev];
	event_init(e);
	snprintf(e->key, sizeof(e->key), "k%zu", nev);
	snprintf(e->source, sizeof(e->source), "%s", src);
	snprintf(e->order, sizeof(e->order), "1001");
	snprintf(e->package, sizeof(e->package), "%s", pkg ? pkg : "");
	if (pkg)
		snprintf(e->carrier, sizeof(e->carrier), "ups");
	e->status = st;
	e->occurred_at = e->received_at = at;
	nev++;
}

static enum ticket_cause cause_of(struct order_exception *x, const int64_t *told, size_t nx, size_t unmapped,
				  int64_t now, char *link)
{
	struct policy pol;
	struct order_state o;
	enum ticket_cause c;

	policy_init_defaults(&pol);
	order_init(&o);
	assert_int_equal(order_fold(&pol, evs, nev, &o, NULL), WERR_OK);
	c = ticket_cause(&o, x, told, nx, unmapped, "scans", now, link, 80);
	order_release(&o);
	for (size_t i = 0; i < nev; i++)
		event_release(&evs[i]);
	nev = 0;
	return c;
}

static void test_cause(void **state)
{
	struct order_exception stalled = { .kind = EXC_STALLED, .package = "1Z1" };
	struct order_exception attempt = { .kind = EXC_DELIVERY_ATTEMPTED, .package = "1Z1" };
	int64_t told_later = T0 + 30 * HOUR, told_before = T0;
	char link[80];
	(void)state;

	/* healthy: on its way, nothing open */
	add("ups", "1Z1", EV_IN_TRANSIT, T0);
	assert_int_equal(cause_of(NULL, NULL, 0, 0, T0 + HOUR, link), CAUSE_HEALTHY);
	assert_string_equal(link, "");
	/* conflict first: the claiming source is the link */
	add("ups", "1Z1", EV_IN_TRANSIT, T0);
	add("shopify", "1Z1", EV_DELIVERED, T0 + HOUR);
	assert_int_equal(cause_of(&stalled, NULL, 1, 1, T0 + 2 * HOUR, link), CAUSE_CONFLICT);
	assert_string_equal(link, "source:shopify");
	/* an unmapped code: its source */
	add("ups", "1Z1", EV_IN_TRANSIT, T0);
	assert_int_equal(cause_of(&stalled, NULL, 1, 2, T0 + HOUR, link), CAUSE_UNMAPPED);
	assert_string_equal(link, "source:scans");
	/* stale: the parcel's carrier */
	add("ups", "1Z1", EV_IN_TRANSIT, T0);
	assert_int_equal(cause_of(&stalled, NULL, 1, 0, T0 + 60 * HOUR, link), CAUSE_STALE);
	assert_string_equal(link, "carrier:ups");
	/* an exception the customer was not yet told of; told already: healthy */
	add("ups", "1Z1", EV_DELIVERY_ATTEMPTED, T0);
	assert_int_equal(cause_of(&attempt, &told_later, 1, 0, T0 + HOUR, link), CAUSE_EXCEPTION);
	add("ups", "1Z1", EV_DELIVERY_ATTEMPTED, T0);
	assert_int_equal(cause_of(&attempt, &told_before, 1, 0, T0 + HOUR, link), CAUSE_HEALTHY);
	/* late: the promise passed undelivered */
	add("ups", "1Z1", EV_IN_TRANSIT, T0);
	evs[0].promised_by = T0 + 2 * HOUR;
	assert_int_equal(cause_of(NULL, NULL, 0, 0, T0 + 3 * HOUR, link), CAUSE_LATE);
	assert_string_equal(link, "promise");
	assert_string_equal(ticket_cause_name(CAUSE_LATE), "late");
	assert_int_equal(ticket_cause_from_name("stale"), CAUSE_STALE);
	assert_int_equal(ticket_cause_from_name("x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_cause),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
