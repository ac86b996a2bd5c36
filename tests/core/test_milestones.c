/*
 * test_milestones.c - the shop's own milestones (core/milestones.h) and
 * their place in the fold (core/order.h rule 11), the exception engine,
 * the planner and the event's JSON.  Every fold runs with the events in
 * every rotation and reversed: the state must not change.
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
#include "core/event.h"
#include "core/event_json.h"
#include "core/exceptions.h"
#include "core/milestones.h"
#include "core/order.h"
#include "core/order_json.h"
#include "core/policy.h"
#include "core/rules.h"
#include "base/banned.h"

/* the tables below leave the fields a row does not need to zero */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MON INT64_C(1709510400000) /* 2024-03-04T00:00:00Z, a Monday */
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)
#define MAXEV 10

struct spec {
	const char *src;
	enum ev_status st;
	const char *ms; /* the milestone's name, for EV_MILESTONE */
	int64_t at;
	const char *pkg;
};

static struct policy pol;

static int setup(void **state)
{
	(void)state;
	policy_init_defaults(&pol);
	assert_int_equal(policy_set_kind(&pol, "erp", KIND_WAREHOUSE), WERR_OK);
	assert_int_equal(ms_config_set(&pol.milestones, "milestones", "preset", "b2b"), 1);
	return 0;
}

static void make(struct event *e, const struct spec *s, size_t i)
{
	event_init(e);
	snprintf(e->source, sizeof(e->source), "%s", s->src);
	snprintf(e->order, sizeof(e->order), "B1");
	snprintf(e->key, sizeof(e->key), "k%zu", i);
	snprintf(e->milestone, sizeof(e->milestone), "%s", s->ms ? s->ms : "");
	snprintf(e->package, sizeof(e->package), "%s", s->pkg ? s->pkg : "");
	if (s->pkg)
		snprintf(e->carrier, sizeof(e->carrier), "ups");
	e->status = s->st;
	e->occurred_at = s->at;
	e->received_at = s->at + 60000;
	e->seq = (int64_t)i + 1;
}

/* Folds specs into o in every rotation and reversed; the JSON and the
 * outcomes must be the same each time.  outc (may be NULL) gets the
 * outcomes by spec. */
static void fold(const struct spec *sp, struct order_state *o, enum ev_outcome *outc)
{
	struct event evs[MAXEV], perm[MAXEV];
	enum ev_outcome out0[MAXEV], out1[MAXEV];
	struct buf first = BUF_INIT, again = BUF_INIT;
	size_t n = 0;

	while (n < MAXEV && sp[n].src)
		n++;
	for (size_t i = 0; i < n; i++)
		make(&evs[i], &sp[i], i);
	order_init(o);
	assert_int_equal(order_fold(&pol, evs, n, o, out0), WERR_OK);
	assert_int_equal(order_to_json(o, &first), WERR_OK);
	for (size_t r = 1; r <= 2 * n; r++) {
		struct order_state x;
		size_t map[MAXEV];
		for (size_t i = 0; i < n; i++) {
			map[i] = r <= n ? (i + r) % n : n - 1 - (i + r) % n;
			perm[i] = evs[map[i]];
		}
		order_init(&x);
		assert_int_equal(order_fold(&pol, perm, n, &x, out1), WERR_OK);
		again.len = 0;
		assert_int_equal(order_to_json(&x, &again), WERR_OK);
		assert_string_equal(first.p, again.p);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out1[i], out0[map[i]]);
		order_release(&x);
	}
	if (outc)
		memcpy(outc, out0, n * sizeof(*outc));
	buf_release(&first);
	buf_release(&again);
}

static void config(void **state)
{
	struct ms_config c = { 0 };
	int i;

	(void)state;
	assert_int_equal(ms_config_set(&c, "milestone tooling_ready", "label", "Tooling ready"), 1);
	assert_int_equal(ms_config_set(&c, "milestone tooling_ready", "label.de", "Werkzeug bereit"), 1);
	assert_int_equal(ms_config_set(&c, "milestone tooling_ready", "owner", "shipping"), 1);
	assert_int_equal(ms_config_set(&c, "milestone tooling_ready", "after", "processing"), 1);
	assert_int_equal(ms_config_set(&c, "milestone tooling_ready", "visible", "internal"), 1);
	assert_int_equal(ms_config_set(&c, "milestone tooling_ready", "expected_hours", "36"), 1);
	i = ms_find(&c, "tooling_ready");
	assert_int_equal(i, 0);
	assert_int_equal(c.defs[i].cls, MS_LABEL);
	assert_int_equal(c.defs[i].after, ORD_PROCESSING);
	assert_false(c.defs[i].visible);
	assert_int_equal(c.defs[i].expected_ms, 36 * HOUR);
	assert_string_equal(ms_label(&c.defs[i], "de-AT"), "Werkzeug bereit");
	assert_string_equal(ms_label(&c.defs[i], "fr"), "Tooling ready");
	/* refused: a built-in word, a bad name, places off the one line, unknown keys */
	assert_int_equal(ms_config_set(&c, "milestone shipped", "label", "x"), -1);
	assert_int_equal(ms_config_set(&c, "milestone Bad-Name", "label", "x"), -1);
	assert_int_equal(ms_config_set(&c, "milestone x1", "after", "cancelled"), -1);
	assert_int_equal(ms_config_set(&c, "milestone x1", "after", "partially_shipped"), -1);
	assert_int_equal(ms_config_set(&c, "milestone x1", "owner", "customer"), -1);
	assert_int_equal(ms_config_set(&c, "milestone x1", "visible", "yes"), -1);
	assert_int_equal(ms_config_set(&c, "milestone x1", "colour", "red"), -1);
	assert_int_equal(ms_config_set(&c, "milestones", "preset", "b2c"), -1);
	assert_int_equal(ms_config_set(&c, "promises", "default", "1,3"), 0);
	/* the preset keeps the shop's own definitions and adds the rest */
	assert_int_equal(ms_config_set(&c, "milestone production_started", "expected_hours", "200"), 1);
	ms_config_preset_b2b(&c);
	assert_int_equal(c.defs[ms_find(&c, "production_started")].expected_ms, 200 * HOUR);
	assert_true(ms_find(&c, "customs_cleared") >= 0);
	assert_string_equal(ms_label(&pol.milestones.defs[ms_find(&pol.milestones, "customs_cleared")], "en"),
			    "Cleared customs");
}

/* A B2B order through its steps, reported by three sources in any order. */
static void fold_b2b(void **state)
{
	const struct spec sp[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		{ "shopify", EV_MILESTONE, "po_accepted", MON + 2 * HOUR },
		{ "erp", EV_MILESTONE, "quality_check_passed", MON + 5 * DAY },
		{ "erp", EV_MILESTONE, "production_started", MON + DAY },
		{ "erp", EV_MILESTONE, "materials_received", MON + DAY - HOUR },
		{ NULL },
	};
	struct order_state o;
	enum ev_outcome out[MAXEV];
	struct buf b = BUF_INIT;

	(void)state;
	fold(sp, &o, out);
	for (int i = 0; i < 5; i++)
		assert_int_equal(out[i], OUT_APPLIED);
	assert_int_equal(o.status, ORD_PLACED);
	assert_int_equal(o.nms_reached, 4);
	assert_string_equal(o.ms_reached[0].name, "po_accepted");
	assert_string_equal(o.ms_reached[1].name, "materials_received");
	assert_string_equal(o.ms_reached[2].name, "production_started");
	assert_string_equal(o.ms_reached[3].name, "quality_check_passed");
	assert_string_equal(o.ms_reached[3].source, "erp");
	assert_int_equal(o.ms_current, 3);
	/* 24 working hours from Saturday 00:00: Monday's end... the calendar's answer */
	assert_int_equal(o.ms_due, calendar_add(&pol.cal, MON + 5 * DAY, 24 * HOUR));
	assert_true(o.ms_due > MON + 5 * DAY);
	/* the agent's answer names the step the customer may see */
	assert_int_equal(answer_text(&o, &pol.milestones, MON + 6 * DAY, &b), WERR_OK);
	assert_string_equal(b.p, "We are working on your order. Latest step: Quality check passed, on Saturday.");
	buf_release(&b);
	order_release(&o);
}

/* Rule 11: trust per milestone, by its owner's class. */
static void fold_trust(void **state)
{
	const struct spec sp[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		/* production belongs to the warehouse: a storefront's word is a claim */
		{ "shopify", EV_MILESTONE, "production_started", MON + HOUR },
		{ "erp", EV_MILESTONE, "production_started", MON + 3 * HOUR },
		/* nobody configured this one: a claim, nothing reached */
		{ "erp", EV_MILESTONE, "painting_done", MON + 4 * HOUR },
		/* a generic source is trusted where no owner spoke */
		{ "acme_broker", EV_MILESTONE, "customs_cleared", MON + 5 * HOUR },
		{ NULL },
	};
	struct order_state o;
	enum ev_outcome out[MAXEV];

	(void)state;
	fold(sp, &o, out);
	assert_int_equal(out[1], OUT_CLAIM);
	assert_int_equal(out[2], OUT_APPLIED);
	assert_int_equal(out[3], OUT_CLAIM);
	assert_int_equal(out[4], OUT_APPLIED);
	assert_int_equal(o.nms_reached, 2);
	assert_string_equal(o.ms_reached[0].name, "production_started");
	assert_int_equal(o.ms_reached[0].at, MON + 3 * HOUR);
	assert_string_equal(o.ms_reached[1].name, "customs_cleared");
	/* customs_cleared sits after shipped; the order is only placed: in it */
	assert_int_equal(o.ms_current, 1);
	assert_int_equal(o.nconflicts, 0);
	order_release(&o);
}

/* The order moves past a milestone with its own statuses. */
static void fold_moves_past(void **state)
{
	const struct spec sp[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		{ "erp", EV_MILESTONE, "production_started", MON + HOUR },
		{ "scans", EV_PROCESSING, NULL, MON + 3 * DAY },
		{ NULL },
	};
	const struct spec shipped[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		{ "erp", EV_MILESTONE, "freight_booked", MON + HOUR },
		{ "ups", EV_IN_TRANSIT, NULL, MON + DAY, "1Z1" },
		{ "acme_broker", EV_MILESTONE, "customs_cleared", MON + 2 * DAY },
		{ NULL },
	};
	const struct spec done[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		{ "acme_broker", EV_MILESTONE, "customs_cleared", MON + 2 * DAY },
		{ "ups", EV_DELIVERED, NULL, MON + 3 * DAY, "1Z1" },
		{ NULL },
	};
	const struct spec cancelled[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		{ "erp", EV_MILESTONE, "production_started", MON + HOUR },
		{ "shopify", EV_CANCELLED, NULL, MON + DAY },
		{ NULL },
	};
	struct order_state o;

	(void)state;
	fold(sp, &o, NULL);
	assert_int_equal(o.status, ORD_PROCESSING);
	assert_int_equal(o.nms_reached, 1);
	assert_int_equal(o.ms_reached[0].left_at, MON + 3 * DAY);
	assert_int_equal(o.ms_current, -1);
	assert_int_equal(o.ms_due, 0);
	order_release(&o);
	fold(shipped, &o, NULL);
	assert_int_equal(o.status, ORD_SHIPPED);
	assert_int_equal(o.nms_reached, 2);
	assert_string_equal(o.ms_reached[o.ms_current].name, "customs_cleared");
	/* freight_booked ended with the first scan, before customs */
	assert_int_equal(o.ms_reached[0].left_at, MON + DAY);
	assert_int_equal(o.ms_reached[1].left_at, 0);
	order_release(&o);
	fold(done, &o, NULL);
	assert_int_equal(o.status, ORD_DELIVERED);
	assert_int_equal(o.ms_current, -1);
	assert_int_equal(o.ms_reached[0].left_at, MON + 3 * DAY);
	order_release(&o);
	fold(cancelled, &o, NULL);
	assert_int_equal(o.ms_current, -1);
	order_release(&o);
}

/* milestone_overdue: at the due time, not before; the next check is it. */
static void overdue(void **state)
{
	const struct spec sp[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		{ "erp", EV_MILESTONE, "production_started", MON + HOUR },
		{ NULL },
	};
	struct exc_config cfg;
	struct order_exception x[8];
	struct order_state o;
	size_t n;
	int64_t next;

	(void)state;
	exc_config_defaults(&cfg);
	fold(sp, &o, NULL);
	assert_int_equal(o.ms_due, calendar_add(&pol.cal, MON + HOUR, 120 * HOUR));
	exceptions_compute(&o, &pol.cal, &cfg, NULL, o.ms_due - 1, x, 8, &n, &next);
	assert_int_equal(n, 0);
	assert_int_equal(next, o.ms_due);
	exceptions_compute(&o, &pol.cal, &cfg, NULL, o.ms_due, x, 8, &n, &next);
	assert_int_equal(n, 1);
	assert_int_equal(x[0].kind, EXC_MILESTONE_OVERDUE);
	assert_string_equal(x[0].package, "production_started");
	assert_int_equal(x[0].since, o.ms_due);
	assert_non_null(strstr(x[0].reason, "production_started"));
	assert_string_equal(exc_kind_name(EXC_MILESTONE_OVERDUE), "milestone_overdue");
	order_release(&o);
}

/* The planner: the milestone the order is in, to the customer only when
 * it is visible; stale once the order moved on. */
static void planning(void **state)
{
	const struct spec sp[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		{ "erp", EV_MILESTONE, "production_started", MON + HOUR },
		{ NULL },
	};
	const struct spec internal[] = {
		{ "shopify", EV_PLACED, NULL, MON },
		{ "erp", EV_MILESTONE, "materials_received", MON + HOUR },
		{ NULL },
	};
	struct rules_env env = { .email = true };
	struct rule r[RULES_MAX];
	size_t nr = rules_defaults(r, RULES_MAX), np;
	struct rule_plan *p;
	struct order_state o;
	bool found = false;

	(void)state;
	env.milestones = &pol.milestones;
	assert_true(rules_trigger_valid("milestone"));
	fold(sp, &o, NULL);
	for (size_t i = 0; i < nr; i++)
		r[i].enabled = !strcmp(r[i].name, "milestone_update");
	snprintf(o.customer.email, sizeof(o.customer.email), "buyer@example.com");
	assert_int_equal(rules_plan(r, nr, &env, &o, MON + 2 * HOUR, &p, &np), WERR_OK);
	for (size_t i = 0; i < np; i++)
		if (!strcmp(p[i].milestone, "ms:production_started") && !strcmp(p[i].recipient, "buyer@example.com"))
			found = true;
	assert_true(found);
	assert_int_equal(np, 1);
	free(p);
	order_release(&o);
	fold(internal, &o, NULL);
	snprintf(o.customer.email, sizeof(o.customer.email), "buyer@example.com");
	assert_int_equal(rules_plan(r, nr, &env, &o, MON + 2 * HOUR, &p, &np), WERR_OK);
	assert_int_equal(np, 0);
	free(p);
	order_release(&o);
}

static enum werr parse(const char *json, struct event *ev, struct ev_error *err)
{
	cJSON *o = cJSON_Parse(json);
	enum werr e;

	assert_non_null(o);
	event_init(ev);
	e = event_from_json(o, false, ev, err);
	cJSON_Delete(o);
	return e;
}

/* The API's two spellings, what is refused, and the stored form. */
static void event_json(void **state)
{
	struct event ev, back;
	struct ev_error err;
	struct buf b = BUF_INIT;
	char m1[256], m2[256];
	size_t l1, l2;
	cJSON *o;

	(void)state;
	assert_int_equal(parse("{\"source\":\"erp\",\"order\":\"B1\",\"status\":\"production_started\","
			       "\"occurred_at\":\"2024-03-04T10:00:00Z\"}",
			       &ev, &err),
			 WERR_OK);
	assert_int_equal(ev.status, EV_MILESTONE);
	assert_string_equal(ev.milestone, "production_started");
	assert_int_equal(event_to_json(&ev, false, &b), WERR_OK);
	assert_non_null(strstr(b.p, "\"status\":\"milestone\",\"milestone\":\"production_started\""));
	o = cJSON_Parse(b.p);
	event_init(&back);
	assert_int_equal(event_from_json(o, false, &back, &err), WERR_OK);
	assert_string_equal(back.milestone, "production_started");
	cJSON_Delete(o);
	/* the key tells milestones at one instant apart */
	l1 = event_key_material(&ev, m1, sizeof(m1));
	snprintf(back.milestone, sizeof(back.milestone), "quality_check_passed");
	l2 = event_key_material(&back, m2, sizeof(m2));
	assert_true(l1 != l2 || memcmp(m1, m2, l1));
	event_release(&back);
	event_release(&ev);
	assert_int_equal(parse("{\"source\":\"erp\",\"order\":\"B1\",\"status\":\"milestone\",\"milestone\":\"x_1\","
			       "\"occurred_at\":\"2024-03-04T10:00:00Z\"}",
			       &ev, &err),
			 WERR_OK);
	event_release(&ev);
	assert_int_equal(parse("{\"source\":\"erp\",\"order\":\"B1\",\"status\":\"milestone\","
			       "\"occurred_at\":\"2024-03-04T10:00:00Z\"}",
			       &ev, &err),
			 WERR_INVALID);
	assert_string_equal(err.code, "missing_field");
	assert_int_equal(parse("{\"source\":\"erp\",\"order\":\"B1\",\"status\":\"shipped\",\"milestone\":\"x\","
			       "\"occurred_at\":\"2024-03-04T10:00:00Z\"}",
			       &ev, &err),
			 WERR_INVALID);
	assert_int_equal(parse("{\"source\":\"erp\",\"order\":\"B1\",\"status\":\"customs_cleared\",\"package\":\"1Z\","
			       "\"occurred_at\":\"2024-03-04T10:00:00Z\"}",
			       &ev, &err),
			 WERR_INVALID);
	assert_string_equal(err.code, "invalid_field");
	/* not a milestone's shape: still a word the language does not have */
	assert_int_equal(parse("{\"source\":\"erp\",\"order\":\"B1\",\"status\":\"Shipped!\","
			       "\"occurred_at\":\"2024-03-04T10:00:00Z\"}",
			       &ev, &err),
			 WERR_INVALID);
	assert_string_equal(err.code, "unknown_status");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config),
		cmocka_unit_test(fold_b2b),
		cmocka_unit_test(fold_trust),
		cmocka_unit_test(fold_moves_past),
		cmocka_unit_test(overdue),
		cmocka_unit_test(planning),
		cmocka_unit_test(event_json),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
