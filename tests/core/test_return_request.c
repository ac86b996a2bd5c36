/*
 * test_return_request.c - the shop's returns policy ([returns], core/returns.h)
 * and a request checked against the order (core/return_request.h): what can
 * be returned (delivered, within the window, less what the returns hold),
 * the events a request becomes, auto-approval by reason and value, refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/return_request.h"
#include "base/banned.h"

#define T0 INT64_C(1709510400000)
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)

static struct event evs[8];
static size_t nev;

static struct event *add(const char *src, const char *pkg, enum ev_status st, int64_t at)
{
	struct event *e = &evs[nev];
	event_init(e);
	snprintf(e->key, sizeof(e->key), "k%zu", nev);
	snprintf(e->source, sizeof(e->source), "%s", src);
	snprintf(e->order, sizeof(e->order), "1001");
	snprintf(e->package, sizeof(e->package), "%s", pkg ? pkg : "");
	e->status = st;
	e->occurred_at = at;
	e->received_at = at;
	nev++;
	return e;
}

static void items(struct event *e, const char *sku, int q, const char *sku2, int q2)
{
	e->has_items = true;
	e->nitems = sku2 ? 2 : 1;
	e->items = calloc(e->nitems, sizeof(*e->items));
	snprintf(e->items[0].sku, sizeof(e->items[0].sku), "%s", sku);
	snprintf(e->items[0].name, sizeof(e->items[0].name), "Item %s", sku);
	e->items[0].quantity = q;
	if (sku2) {
		snprintf(e->items[1].sku, sizeof(e->items[1].sku), "%s", sku2);
		e->items[1].quantity = q2;
	}
}

static void fold(struct order_state *o)
{
	struct policy pol;
	policy_init_defaults(&pol);
	order_init(o);
	assert_int_equal(order_fold(&pol, evs, nev, o, NULL), WERR_OK);
}

static void reset(void)
{
	for (size_t i = 0; i < nev; i++)
		event_release(&evs[i]);
	nev = 0;
}

static void test_config(void **state)
{
	struct returns_config c;
	(void)state;

	returns_config_defaults(&c);
	assert_int_equal(c.window_days, 30);
	assert_true(returns_reason_offered(&c, "too_small"));
	assert_false(returns_reason_offered(&c, "meh"));
	/* defaults: small reasons approve themselves up to 250; damage waits for a person */
	assert_true(returns_auto_approve(&c, "too_small", true, 250));
	assert_false(returns_auto_approve(&c, "too_small", true, 250.01));
	assert_false(returns_auto_approve(&c, "too_small", false, 0));
	assert_false(returns_auto_approve(&c, "damaged", true, 10));
	assert_int_equal(returns_config_set(&c, "returns", "window_days", "14"), 1);
	assert_int_equal(c.window_days, 14);
	assert_int_equal(returns_config_set(&c, "returns", "window_days", "-1"), -1);
	assert_int_equal(returns_config_set(&c, "returns", "reasons", " fit , broken,  other "), 1);
	assert_int_equal(c.nreasons, 3);
	assert_string_equal(c.reasons[1], "broken");
	assert_int_equal(returns_config_set(&c, "returns", "reasons", "Too Small"), -1);
	assert_int_equal(returns_config_set(&c, "returns", "reasons", ""), -1);
	assert_int_equal(returns_config_set(&c, "returns", "auto_approve", "*"), 1);
	assert_int_equal(returns_config_set(&c, "returns", "auto_approve_max_value", "none"), 1);
	assert_true(returns_auto_approve(&c, "broken", false, 0));
	assert_int_equal(returns_config_set(&c, "returns", "auto_approve", ""), 1);
	assert_false(returns_auto_approve(&c, "broken", true, 1));
	assert_int_equal(returns_config_set(&c, "returns", "auto_approve_max_value", "12x"), -1);
	assert_int_equal(returns_config_set(&c, "returns", "instructions", "Use the label."), 1);
	assert_string_equal(c.instructions, "Use the label.");
	assert_int_equal(returns_config_set(&c, "returns", "colour", "x"), -1);
	assert_int_equal(returns_config_set(&c, "exceptions", "window_days", "3"), 0);
}

static void test_returnable(void **state)
{
	struct returns_config c;
	struct event_item out[RET_LINES_MAX];
	struct order_state o;
	(void)state;

	returns_config_defaults(&c);
	items(add("shopify", NULL, EV_PLACED, T0), "A", 2, "B", 1);
	add("ups", "1Z1", EV_IN_TRANSIT, T0 + HOUR);
	fold(&o);
	/* not delivered: nothing */
	assert_int_equal(returns_returnable(&c, &o, T0 + DAY, out, RET_LINES_MAX), 0);
	order_release(&o);
	add("ups", "1Z1", EV_DELIVERED, T0 + DAY);
	fold(&o);
	assert_int_equal(returns_returnable(&c, &o, T0 + 2 * DAY, out, RET_LINES_MAX), 2);
	assert_string_equal(out[0].sku, "A");
	assert_int_equal(out[0].quantity, 2);
	assert_string_equal(out[0].name, "Item A");
	/* the window closes 30 days after the delivery (to the millisecond) */
	assert_int_equal(returns_returnable(&c, &o, T0 + 31 * DAY + 1, out, RET_LINES_MAX), 0);
	order_release(&o);
	/* a return holds one A; a rejected one holds nothing */
	{
		struct event *r = add("shopify", NULL, EV_RETURN_REQUESTED, T0 + 2 * DAY);
		snprintf(r->return_id, sizeof(r->return_id), "R1");
		items(r, "A", 1, NULL, 0);
		r = add("shopify", NULL, EV_RETURN_REQUESTED, T0 + 2 * DAY);
		snprintf(r->return_id, sizeof(r->return_id), "R2");
		items(r, "B", 1, NULL, 0);
		r = add("shopify", NULL, EV_RETURN_REJECTED, T0 + 3 * DAY);
		snprintf(r->return_id, sizeof(r->return_id), "R2");
	}
	fold(&o);
	assert_int_equal(o.nreturns, 2);
	assert_int_equal(returns_returnable(&c, &o, T0 + 4 * DAY, out, RET_LINES_MAX), 2);
	assert_int_equal(out[0].quantity, 1);
	assert_int_equal(out[1].quantity, 1);
	order_release(&o);
	reset();
}

static void test_request_events(void **state)
{
	struct returns_config c;
	struct order_state o;
	struct event ev[2];
	struct event_item ask[] = { { "A", "", 1 } }, too_many[] = { { "A", "", 3 } }, unknown[] = { { "Z", "", 1 } };
	const char *code;
	char why[256];
	(void)state;

	returns_config_defaults(&c);
	{
		struct event *p = add("shopify", NULL, EV_PLACED, T0);
		items(p, "A", 2, NULL, 0);
		p->has_value = true;
		p->value = 80;
	}
	add("ups", "1Z1", EV_DELIVERED, T0 + DAY);
	fold(&o);
	struct return_request rq = { "tracking_page", "1001-R1", "too_small", 1, ask };
	assert_int_equal(returns_request_events(&c, &o, &rq, T0 + 2 * DAY, ev, &code, why, sizeof(why)), 2);
	assert_int_equal(ev[0].status, EV_RETURN_REQUESTED);
	assert_string_equal(ev[0].return_id, "1001-R1");
	assert_string_equal(ev[0].return_reason, "too_small");
	assert_string_equal(ev[0].items[0].name, "Item A");
	assert_string_equal(ev[0].id, "return_request:1001-R1");
	assert_int_equal(ev[1].status, EV_RETURN_APPROVED);
	assert_string_equal(ev[1].detail, "auto");
	assert_true(ev[0].occurred_at == T0 + 2 * DAY);
	event_release(&ev[0]);
	event_release(&ev[1]);
	/* damage waits for a person: one event */
	rq.reason = "damaged";
	assert_int_equal(returns_request_events(&c, &o, &rq, T0 + 2 * DAY, ev, &code, why, sizeof(why)), 1);
	event_release(&ev[0]);
	/* refusals, with their codes */
	rq.reason = "meh";
	assert_int_equal(returns_request_events(&c, &o, &rq, T0 + 2 * DAY, ev, &code, why, sizeof(why)), 0);
	assert_string_equal(code, "invalid_field");
	rq.reason = "too_small";
	rq.items = too_many;
	assert_int_equal(returns_request_events(&c, &o, &rq, T0 + 2 * DAY, ev, &code, why, sizeof(why)), 0);
	assert_string_equal(code, "not_returnable");
	assert_non_null(strstr(why, "'A'"));
	rq.items = unknown;
	assert_int_equal(returns_request_events(&c, &o, &rq, T0 + 2 * DAY, ev, &code, why, sizeof(why)), 0);
	assert_string_equal(code, "not_returnable");
	rq.items = ask;
	rq.nitems = 0;
	assert_int_equal(returns_request_events(&c, &o, &rq, T0 + 2 * DAY, ev, &code, why, sizeof(why)), 0);
	assert_string_equal(code, "invalid_field");
	rq.nitems = 1;
	assert_int_equal(returns_request_events(&c, &o, &rq, T0 + 40 * DAY, ev, &code, why, sizeof(why)), 0);
	assert_string_equal(code, "window_closed");
	order_release(&o);
	reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_returnable),
		cmocka_unit_test(test_request_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
