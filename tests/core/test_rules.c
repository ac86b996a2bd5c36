/*
 * test_rules.c - notification rules and the planner (core/rules.h) and the
 * template view (core/notify_view.h).
 *
 * Orders are folded from events with order_fold(), as the writer does, so
 * the planner sees real states: a label alone, carrier possession, a
 * delivery long ago, a delay past the promise.  The idempotence cases feed
 * the same events shuffled and duplicated and check that the set of
 * (milestone, channel, recipient) the plans name after each arrival stays
 * within what the milestones allow, and that the final plan does not depend
 * on arrival order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "core/notify_view.h"
#include "core/order.h"
#include "core/policy.h"
#include "core/rules.h"
#include "base/banned.h"

#define T0 INT64_C(1717200000000) /* 2024-06-01T00:00:00Z */
#define MIN(m) ((int64_t)(m) * 60000)
#define HOURS(h) MIN((h) * 60)

struct spec {
	const char *src;
	const char *pkg;
	enum ev_status st;
	int64_t at;        /* minutes after T0 */
	const char *detail;
	int64_t eta;       /* minutes after T0, 0 none */
	int64_t promised;  /* minutes after T0, 0 none */
};

static void make(struct event *e, const struct spec *s, int idx)
{
	char key[16];

	event_init(e);
	snprintf(key, sizeof(key), "k%02d", idx);
	assert_int_equal(EVENT_SET(e->key, key), WERR_OK);
	assert_int_equal(EVENT_SET(e->source, s->src), WERR_OK);
	assert_int_equal(EVENT_SET(e->order, "1001"), WERR_OK);
	assert_int_equal(EVENT_SET(e->package, s->pkg ? s->pkg : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->carrier, s->pkg ? "ups" : ""), WERR_OK);
	assert_int_equal(EVENT_SET(e->detail, s->detail ? s->detail : ""), WERR_OK);
	e->status = s->st;
	e->occurred_at = T0 + MIN(s->at);
	e->received_at = e->occurred_at + 1000;
	e->estimated_delivery = s->eta ? T0 + MIN(s->eta) : 0;
	e->promised_by = s->promised ? T0 + MIN(s->promised) : 0;
	if (!s->pkg) {
		assert_int_equal(EVENT_SET(e->customer.name, "Ada Lovelace"), WERR_OK);
		assert_int_equal(EVENT_SET(e->customer.email, "ada@example.com"), WERR_OK);
		assert_int_equal(EVENT_SET(e->customer.phone, "+15551230000"), WERR_OK);
		assert_int_equal(EVENT_SET(e->customer.postal_code, "94107"), WERR_OK);
	}
}

/* Folds the events idx[0..n) of specs. */
static void fold(const struct spec *specs, const int *idx, size_t n, struct order_state *o)
{
	struct event evs[32];
	struct policy pol;

	assert_true(n <= 32);
	policy_init_defaults(&pol);
	for (size_t i = 0; i < n; i++)
		make(&evs[i], &specs[idx[i]], idx[i]);
	order_init(o);
	assert_int_equal(order_fold(&pol, evs, n, o, NULL), WERR_OK);
	for (size_t i = 0; i < n; i++)
		event_release(&evs[i]);
}

static void fold_all(const struct spec *specs, size_t n, struct order_state *o)
{
	int idx[32];

	for (size_t i = 0; i < n; i++)
		idx[i] = (int)i;
	fold(specs, idx, n, o);
}

static const char *const subs[] = { "erp", "crm" };

static struct rules_env env_all(void)
{
	struct rules_env env = { .email = true, .sms = true, .webhook = true, .ticket = true };

	env.team[AUD_SUPPORT] = "support@shop.example";
	env.subscribers = subs;
	env.nsubscribers = 2;
	env.locale = "en";
	return env;
}

/* "rule/milestone/channel/recipient" of each plan, joined by spaces. */
static void describe(const struct rule *rules, const struct rule_plan *p, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s/%s/%s/%s", i ? " " : "", rules[p[i].rule].name,
					p[i].milestone, rule_channel_name(p[i].channel), p[i].recipient);
}

static size_t defaults(struct rule *r)
{
	return rules_defaults(r, RULES_MAX);
}

static void plan_desc(const struct rule *rules, size_t nr, const struct rules_env *env, const struct order_state *o,
		      int64_t now, char *out, size_t cap)
{
	struct rule_plan *p;
	size_t n;

	assert_int_equal(rules_plan(rules, nr, env, o, now, &p, &n), WERR_OK);
	describe(rules, p, n, out, cap);
	free(p);
}

static void defaults_are_valid(void **state)
{
	struct rule r[RULES_MAX];
	size_t n = defaults(r);
	char err[256];

	(void)state;
	assert_int_equal(n, 21);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rule_check(&r[i], err, sizeof(err)), WERR_OK);
		assert_string_equal(r[i].origin, "default");
	}
	assert_int_equal(r[3].channel, RCH_SMS);
	assert_string_equal(r[3].trigger, "out_for_delivery");
}

static void validation(void **state)
{
	struct rule r;
	char err[256];
	cJSON *j, *back;
	char *text;

	(void)state;
	rule_init(&r, "x");
	assert_int_equal(rule_set(&r, "trigger", "teleported", err, sizeof(err)), WERR_INVALID);
	assert_non_null(strstr(err, "unknown trigger 'teleported'"));
	assert_int_equal(rule_set(&r, "channel", "pigeon", err, sizeof(err)), WERR_INVALID);
	assert_non_null(strstr(err, "unknown channel"));
	assert_int_equal(rule_set(&r, "template", "../etc/passwd", err, sizeof(err)), WERR_INVALID);
	assert_int_equal(rule_set(&r, "delay_minutes", "-5", err, sizeof(err)), WERR_INVALID);
	assert_int_equal(rule_set(&r, "colour", "red", err, sizeof(err)), WERR_INVALID);
	assert_non_null(strstr(err, "unknown rule field 'colour'"));
	assert_int_equal(rule_check(&r, err, sizeof(err)), WERR_INVALID); /* no trigger */

	/* SMS to a team, a ticket to the customer: refused */
	j = cJSON_Parse("{\"trigger\":\"shipped\",\"channel\":\"sms\",\"audience\":\"support\",\"template\":\"t\"}");
	assert_int_equal(rule_from_json(j, "x", &r, err, sizeof(err)), WERR_INVALID);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"trigger\":\"exception\",\"channel\":\"ticket\",\"template\":\"t\"}");
	assert_int_equal(rule_from_json(j, "x", &r, err, sizeof(err)), WERR_INVALID);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"trigger\":\"shipped\",\"channel\":\"email\",\"template\":\"t\",\"name\":\"other\"}");
	assert_int_equal(rule_from_json(j, "x", &r, err, sizeof(err)), WERR_INVALID);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"trigger\":\"delivered\",\"detail\":\"lost\",\"template\":\"t\"}");
	assert_int_equal(rule_from_json(j, "x", &r, err, sizeof(err)), WERR_INVALID);
	cJSON_Delete(j);

	/* a full rule round-trips through its JSON */
	j = cJSON_Parse("{\"trigger\":\"exception\",\"detail\":\"lost\",\"channel\":\"ticket\",\"audience\":"
			"\"warehouse\",\"template\":\"lost_parcel\",\"delay_minutes\":15,\"requires_approval\":true,"
			"\"max_age_hours\":24,\"enabled\":false,\"min_value\":100}");
	assert_int_equal(rule_from_json(j, "lost", &r, err, sizeof(err)), WERR_OK);
	cJSON_Delete(j);
	assert_string_equal(r.origin, "api");
	assert_int_equal(r.delay_minutes, 15);
	assert_true(r.requires_approval);
	assert_false(r.enabled);
	assert_true(r.has_min_value);
	back = rule_to_json(&r);
	text = cJSON_PrintUnformatted(back);
	assert_string_equal(text, "{\"name\":\"lost\",\"trigger\":\"exception\",\"detail\":\"lost\",\"audience\":"
				  "\"warehouse\",\"channel\":\"ticket\",\"template\":\"lost_parcel\",\"delay_minutes\":"
				  "15,\"max_age_hours\":24,\"requires_approval\":true,\"enabled\":false,\"min_value\":"
				  "100,\"max_value\":null,\"origin\":\"api\"}");
	{
		struct rule again;
		assert_int_equal(rule_from_json(back, "lost", &again, err, sizeof(err)), WERR_OK);
		assert_memory_equal(&again, &r, sizeof(r));
	}
	cJSON_free(text);
	cJSON_Delete(back);

	/* a webhook rule gets the subscribers and the milestone body */
	j = cJSON_Parse("{\"trigger\":\"any\",\"channel\":\"webhook\"}");
	assert_int_equal(rule_from_json(j, "hooks", &r, err, sizeof(err)), WERR_OK);
	cJSON_Delete(j);
	assert_int_equal(r.audience, AUD_SUBSCRIBERS);
	assert_string_equal(r.template_name, "milestone");
}

static void rule_sets(void **state)
{
	struct rule_set s = { .n = 0 };
	struct rule r;

	(void)state;
	s.n = rules_defaults(s.r, RULES_MAX);
	rule_init(&r, "shipped");
	snprintf(r.trigger, sizeof(r.trigger), "shipped");
	snprintf(r.template_name, sizeof(r.template_name), "custom_shipped");
	assert_int_equal(rule_set_put(&s, &r), WERR_OK);
	assert_int_equal(s.n, 21);
	assert_string_equal(rule_set_find(&s, "shipped")->template_name, "custom_shipped");
	assert_true(rule_set_remove(&s, "delivered"));
	assert_false(rule_set_remove(&s, "delivered"));
	assert_null(rule_set_find(&s, "delivered"));
	assert_int_equal(s.n, 20);
	for (int i = 0; s.n < RULES_MAX; i++) {
		snprintf(r.name, sizeof(r.name), "r%d", i);
		assert_int_equal(rule_set_put(&s, &r), WERR_OK);
	}
	snprintf(r.name, sizeof(r.name), "one_too_many");
	assert_int_equal(rule_set_put(&s, &r), WERR_TOO_LARGE);
}

/* The outbound path of one order, from three sources. */
static const struct spec journey[] = {
	{ "shopify", NULL, EV_CONFIRMED, 0, NULL, 0, 0 },
	{ "shipstation", "1Z999", EV_LABEL_CREATED, 60, NULL, 0, 0 },
	{ "ups", "1Z999", EV_IN_TRANSIT, 180, NULL, MIN(3 * 1440), 0 },
	{ "ups", "1Z999", EV_OUT_FOR_DELIVERY, 2 * 1440, NULL, 0, 0 },
	{ "ups", "1Z999", EV_DELIVERED, 2 * 1440 + 240, NULL, 0, 0 },
};

static void label_is_not_shipped(void **state)
{
	struct rule r[RULES_MAX];
	size_t nr = defaults(r);
	struct rules_env env = env_all();
	struct order_state o;
	char got[2048];

	(void)state;
	fold_all(journey, 2, &o); /* confirmed + label */
	assert_int_equal(o.status, ORD_READY_TO_SHIP);
	plan_desc(r, nr, &env, &o, T0 + MIN(61), got, sizeof(got));
	assert_string_equal(got, "order_confirmed/confirmed/email/ada@example.com "
				 "webhooks/confirmed/webhook/erp webhooks/confirmed/webhook/crm");
	order_release(&o);

	fold_all(journey, 3, &o); /* + carrier possession */
	plan_desc(r, nr, &env, &o, T0 + MIN(181), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com "
				 "webhooks/shipped/webhook/erp webhooks/shipped/webhook/crm");
	order_release(&o);

	fold_all(journey, 4, &o); /* on the van: SMS, needs consent; shipped still current */
	{
		struct rule_plan *p;
		size_t n;
		assert_int_equal(rules_plan(r, nr, &env, &o, T0 + MIN(2 * 1440 + 1), &p, &n), WERR_OK);
		describe(r, p, n, got, sizeof(got));
		assert_string_equal(got, "shipped/shipped/email/ada@example.com "
					 "out_for_delivery/out_for_delivery:1Z999/sms/+15551230000 "
					 "webhooks/shipped/webhook/erp webhooks/shipped/webhook/crm "
					 "webhooks/out_for_delivery:1Z999/webhook/erp webhooks/out_for_delivery:1Z999/webhook/crm");
		assert_true(p[1].needs_consent);
		assert_false(p[0].needs_consent);
		assert_int_equal(p[1].package, 0);
		free(p);
	}
	order_release(&o);

	fold_all(journey, 5, &o); /* delivered: only "delivered" remains */
	plan_desc(r, nr, &env, &o, T0 + MIN(2 * 1440 + 241), got, sizeof(got));
	assert_string_equal(got, "delivered/delivered/email/ada@example.com "
				 "webhooks/delivered/webhook/erp webhooks/delivered/webhook/crm");
	order_release(&o);
}

/* Every arrival order, with repeats: each intermediate plan only names
 * milestones of the journey, "shipped" never before carrier possession, and
 * the final plan is the same whatever the order. */
static void idempotent_across_orders(void **state)
{
	static const char *const allowed[] = { "confirmed", "shipped", "out_for_delivery:1Z999", "delivered", NULL };
	struct rule r[RULES_MAX];
	size_t nr = defaults(r);
	struct rules_env env = env_all();
	char first_final[2048] = "", got[2048];
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 200; round++) {
		int idx[10];
		size_t n = 0;
		bool possessed = false;
		/* each event once or twice, in a random order */
		for (int i = 0; i < 5; i++) {
			idx[n++] = i;
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) & 1)
				idx[n++] = i;
		}
		for (size_t i = n - 1; i > 0; i--) {
			seed = seed * 1103515245u + 12345u;
			size_t j = (seed >> 16) % (i + 1);
			int t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
		}
		for (size_t k = 1; k <= n; k++) {
			struct order_state o;
			struct rule_plan *p;
			size_t np;
			int latest = 0;
			/* a duplicate keeps its key: the store would drop it; fold the distinct ones */
			int uniq[10];
			size_t nu = 0;
			for (size_t i = 0; i < k; i++) {
				bool seen = false;
				for (size_t q = 0; q < nu; q++)
					seen = seen || uniq[q] == idx[i];
				if (!seen)
					uniq[nu++] = idx[i];
				if (journey[idx[i]].at > journey[latest].at)
					latest = idx[i];
				if (journey[idx[i]].st == EV_IN_TRANSIT || journey[idx[i]].st == EV_OUT_FOR_DELIVERY ||
				    journey[idx[i]].st == EV_DELIVERED)
					possessed = true;
			}
			fold(journey, uniq, nu, &o);
			assert_int_equal(rules_plan(r, nr, &env, &o, T0 + MIN(journey[latest].at + 1), &p, &np),
					 WERR_OK);
			for (size_t i = 0; i < np; i++) {
				bool ok = false;
				for (size_t a = 0; allowed[a]; a++)
					ok = ok || !strcmp(p[i].milestone, allowed[a]);
				assert_true(ok);
				if (!strcmp(p[i].milestone, "shipped"))
					assert_true(possessed);
			}
			if (k == n) {
				describe(r, p, np, got, sizeof(got));
				if (!first_final[0])
					snprintf(first_final, sizeof(first_final), "%s", got);
				assert_string_equal(got, first_final);
			}
			free(p);
			order_release(&o);
		}
	}
	assert_string_equal(first_final, "delivered/delivered/email/ada@example.com "
					 "webhooks/delivered/webhook/erp webhooks/delivered/webhook/crm");
}

static void stale_milestones(void **state)
{
	struct rule r[RULES_MAX];
	size_t nr = defaults(r);
	struct rules_env env = env_all();
	struct order_state o;
	char got[2048];
	const int64_t delivered_at = T0 + MIN(2 * 1440 + 240);

	(void)state;
	fold_all(journey, 5, &o);
	/* first seen ten days after delivery (a rebuild, a late import): nothing */
	plan_desc(r, nr, &env, &o, delivered_at + HOURS(240), got, sizeof(got));
	assert_string_equal(got, "");
	/* just inside the default 72 h */
	plan_desc(r, nr, &env, &o, delivered_at + HOURS(71), got, sizeof(got));
	assert_string_equal(got, "delivered/delivered/email/ada@example.com "
				 "webhooks/delivered/webhook/erp webhooks/delivered/webhook/crm");
	order_release(&o);

	/* out for delivery, but planned 13 h later: the SMS rule's 12 h max age */
	fold_all(journey, 4, &o);
	plan_desc(r, 4 + 1, &env, &o, T0 + MIN(2 * 1440) + HOURS(13), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com");
	order_release(&o);
}

static void channels_and_recipients(void **state)
{
	struct rule r[RULES_MAX];
	size_t nr = defaults(r);
	struct rules_env env = { .email = true }; /* only SMTP configured */
	struct order_state o;
	char got[2048];

	(void)state;
	fold_all(journey, 4, &o);
	plan_desc(r, nr, &env, &o, T0 + MIN(2 * 1440 + 1), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com");
	/* no email address known: no plan */
	o.customer.email[0] = '\0';
	plan_desc(r, nr, &env, &o, T0 + MIN(2 * 1440 + 1), got, sizeof(got));
	assert_string_equal(got, "");
	order_release(&o);
}

static void attempted_task_first(void **state)
{
	static const struct spec s[] = {
		{ "shopify", NULL, EV_CONFIRMED, 0, NULL, 0, 0 },
		{ "ups", "1Z999", EV_IN_TRANSIT, 180, NULL, 0, 0 },
		{ "ups", "1Z999", EV_DELIVERY_ATTEMPTED, 1440, NULL, 0, 0 },
	};
	struct rule r[RULES_MAX];
	size_t nr = defaults(r);
	struct rules_env env = env_all();
	struct order_state o;
	char got[2048];

	struct rules_exception x = { EXC_DELIVERY_ATTEMPTED, 0, T0 + MIN(1440), T0 + MIN(1440), AUD_SUPPORT, NULL, NULL, -1 };

	(void)state;
	env.webhook = false;
	fold_all(s, 3, &o);
	env.exceptions = &x;
	env.nexceptions = 1;
	plan_desc(r, nr, &env, &o, T0 + MIN(1441), got, sizeof(got));
	/* the team's ticket and email are planned before the customer's message */
	assert_string_equal(got, "shipped/shipped/email/ada@example.com "
				 "exception_task/exc:delivery_attempted:1Z999@28621440/ticket/support "
				 "exception_alert/exc:delivery_attempted:1Z999@28621440/email/support@shop.example "
				 "delivery_attempted/delivery_attempted:1Z999/email/ada@example.com");
	order_release(&o);
}

static void delayed_with_revised_date(void **state)
{
	static const struct spec s[] = {
		{ "shopify", NULL, EV_CONFIRMED, 0, NULL, 0, 3 * 1440 },
		{ "ups", "1Z999", EV_IN_TRANSIT, 180, NULL, 2 * 1440, 0 },
		{ "ups", "1Z999", EV_IN_TRANSIT, 1440, NULL, 5 * 1440, 0 },  /* estimate past the promise */
		{ "ups", "1Z999", EV_IN_TRANSIT, 2000, NULL, 6 * 1440, 0 },  /* slips again */
	};
	struct rule r[RULES_MAX];
	size_t nr = defaults(r);
	struct rules_env env = { .email = true };
	struct order_state o;
	char got[2048];
	cJSON *v;

	(void)state;
	fold_all(s, 2, &o);
	plan_desc(r, nr, &env, &o, T0 + MIN(181), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com");
	order_release(&o);
	fold_all(s, 3, &o);
	plan_desc(r, nr, &env, &o, T0 + MIN(1441), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com delayed/delayed:2024-06-06/email/ada@example.com");
	struct notify_view_ctx c = { .milestone = "delayed:2024-06-06", .trigger = "delayed", .package = 0 };
	v = notify_view(&o, &c);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "dates"), "estimated")->valuestring,
			    "2024-06-06");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "dates"), "promised")->valuestring,
			    "2024-06-04");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "flags"), "delayed")));
	cJSON_Delete(v);
	order_release(&o);
	fold_all(s, 4, &o);
	plan_desc(r, nr, &env, &o, T0 + MIN(2001), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com delayed/delayed:2024-06-07/email/ada@example.com");
	order_release(&o);
}

static void conditions_approval_delay(void **state)
{
	struct rule r[2];
	struct rules_env env = { .email = true };
	struct order_state o;
	struct rule_plan *p;
	size_t n;
	char err[128];

	(void)state;
	fold_all(journey, 3, &o);
	rule_init(&r[0], "big_orders");
	assert_int_equal(rule_set(&r[0], "trigger", "shipped", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r[0], "template", "shipped", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r[0], "min_value", "100", err, sizeof(err)), WERR_OK);
	rule_init(&r[1], "reviewed");
	assert_int_equal(rule_set(&r[1], "trigger", "shipped", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r[1], "template", "shipped", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r[1], "requires_approval", "true", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r[1], "delay_minutes", "30", err, sizeof(err)), WERR_OK);
	assert_int_equal(rules_plan(r, 2, &env, &o, T0 + MIN(200), &p, &n), WERR_OK);
	/* no order value is known: the value rule cannot fire */
	assert_int_equal(n, 1);
	assert_int_equal(p[0].rule, 1);
	assert_true(p[0].review);
	assert_int_equal(p[0].next_at, T0 + MIN(230));
	assert_int_equal(p[0].trigger_at, T0 + MIN(180));
	free(p);
	r[1].enabled = false;
	assert_int_equal(rules_plan(r, 2, &env, &o, T0 + MIN(200), &p, &n), WERR_OK);
	assert_int_equal(n, 0);
	free(p);
	order_release(&o);
}

static void exceptions_and_refunds(void **state)
{
	static const struct spec s[] = {
		{ "shopify", NULL, EV_CONFIRMED, 0, NULL, 0, 0 },
		{ "ups", "1Z999", EV_IN_TRANSIT, 180, NULL, 0, 0 },
		{ "ups", "1Z999", EV_EXCEPTION, 1440, "damaged", 0, 0 },
		{ "shopify", NULL, EV_REFUNDED, 1500, "full", 0, 0 },
	};
	struct rule r[RULES_MAX];
	size_t nr = defaults(r);
	struct rules_env env = env_all();
	struct order_state o;
	char got[2048];

	struct rules_exception x = { EXC_DAMAGED, 0, T0 + MIN(1440), T0 + MIN(1440), AUD_OPERATIONS, "damaged", "high", -1 };

	(void)state;
	env.webhook = false;
	fold_all(s, 4, &o);
	env.exceptions = &x;
	env.nexceptions = 1;
	plan_desc(r, nr, &env, &o, T0 + MIN(1501), got, sizeof(got));
	/* the owner is operations: its ticket; no operations address, no email */
	assert_string_equal(got, "shipped/shipped/email/ada@example.com "
				 "exception_task/exc:damaged:1Z999@28621440/ticket/operations "
				 "refund_issued/refunded:full/email/ada@example.com");
	order_release(&o);
}

/* Internal first: a stalled parcel reaches its owning team at once and the
 * customer only after the team's grace; a second stall is a new milestone. */
static void exception_grace_and_owner(void **state)
{
	static const struct spec s[] = {
		{ "shopify", NULL, EV_CONFIRMED, 0, NULL, 0, 0 },
		{ "ups", "1Z999", EV_IN_TRANSIT, 180, NULL, 0, 0 },
	};
	struct rule r[RULES_MAX];
	size_t nr = defaults(r);
	struct rules_env env = env_all();
	struct rules_exception x = { EXC_STALLED, 0, T0 + HOURS(51), T0 + HOURS(75), AUD_OPERATIONS, "no scan", "normal", -1 };
	struct order_state o;
	char got[2048];

	(void)state;
	env.webhook = false;
	env.team[AUD_OPERATIONS] = "ops@shop.example";
	fold_all(s, 2, &o);
	env.exceptions = &x;
	env.nexceptions = 1;
	/* during the grace: the team only */
	plan_desc(r, nr, &env, &o, T0 + HOURS(52), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com "
				 "exception_task/exc:stalled:1Z999@28623060/ticket/operations "
				 "exception_alert/exc:stalled:1Z999@28623060/email/ops@shop.example");
	/* one minute before the grace ends: still the team only */
	plan_desc(r, nr, &env, &o, T0 + HOURS(75) - MIN(1), got, sizeof(got));
	assert_null(strstr(got, "stalled/exc:stalled:1Z999@28623060/email/ada@example.com"));
	/* when it ends: the customer too, same milestone key */
	plan_desc(r, nr, &env, &o, T0 + HOURS(75), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com "
				 "exception_task/exc:stalled:1Z999@28623060/ticket/operations "
				 "exception_alert/exc:stalled:1Z999@28623060/email/ops@shop.example "
				 "stalled/exc:stalled:1Z999@28623060/email/ada@example.com");
	/* the customer's max age counts from the end of the grace */
	plan_desc(r, nr, &env, &o, T0 + HOURS(75 + 72), got, sizeof(got));
	assert_non_null(strstr(got, "stalled/exc:stalled:1Z999@28623060/email/ada@example.com"));
	/* an order-level exception: "order" in the key; "owner" reaches the
	 * warehouse; the status "any" rule does not see exceptions */
	x = (struct rules_exception){ EXC_NOT_SHIPPED_BY_PROMISE, -1, T0 + HOURS(1), T0 + HOURS(1), AUD_WAREHOUSE, NULL,
				      "high", -1 };
	env.webhook = true;
	env.ticket = false;
	env.team[AUD_WAREHOUSE] = "wh@shop.example";
	plan_desc(r, nr, &env, &o, T0 + HOURS(2), got, sizeof(got));
	assert_string_equal(got, "shipped/shipped/email/ada@example.com "
				 "exception_alert/exc:not_shipped_by_promise:order@28620060/email/wh@shop.example "
				 "webhooks/shipped/webhook/erp webhooks/shipped/webhook/crm "
				 "webhook_exceptions/exc:not_shipped_by_promise:order@28620060/webhook/erp "
				 "webhook_exceptions/exc:not_shipped_by_promise:order@28620060/webhook/crm");
	order_release(&o);
}

/* min_value / max_value hold against the order's value; no value, no fire. */
static void value_conditions(void **state)
{
	struct rule r;
	struct rules_env env = { .email = true };
	struct order_state o;
	struct rule_plan *p;
	size_t n;
	char err[128];

	(void)state;
	fold_all(journey, 3, &o);
	rule_init(&r, "big_orders");
	assert_int_equal(rule_set(&r, "trigger", "shipped", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r, "template", "shipped", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r, "min_value", "100", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r, "max_value", "500", err, sizeof(err)), WERR_OK);
	const struct {
		bool has;
		double value;
		size_t plans;
	} rows[] = { { false, 0, 0 }, { true, 99.99, 0 }, { true, 100, 1 }, { true, 500, 1 }, { true, 500.01, 0 } };
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		o.has_value = rows[i].has;
		o.value = rows[i].value;
		assert_int_equal(rules_plan(&r, 1, &env, &o, T0 + MIN(200), &p, &n), WERR_OK);
		assert_int_equal(n, rows[i].plans);
		free(p);
	}
	order_release(&o);
}

/* exception triggers: every kind by name, "exception:any", nothing else */
static void exception_triggers(void **state)
{
	char err[256];
	struct rule r;

	(void)state;
	for (int k = 0; k < EXC__COUNT; k++) {
		const char *t = rules_exception_trigger((enum exc_kind)k);
		assert_true(rules_trigger_valid(t));
		assert_string_equal(t + 10, exc_kind_name((enum exc_kind)k));
	}
	assert_true(rules_trigger_valid("exception:any"));
	assert_false(rules_trigger_valid("exception:"));
	assert_false(rules_trigger_valid("exception:bogus"));
	rule_init(&r, "x");
	assert_int_equal(rule_set(&r, "trigger", "exception:not_shipped_by_promise", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r, "audience", "owner", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r, "channel", "sms", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_set(&r, "template", "t", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_check(&r, err, sizeof(err)), WERR_INVALID); /* SMS: the customer only */
	assert_int_equal(rule_set(&r, "channel", "ticket", err, sizeof(err)), WERR_OK);
	assert_int_equal(rule_check(&r, err, sizeof(err)), WERR_OK);
}

static void long_keys_fit(void **state)
{
	static const struct spec s[] = {
		{ "ups", "1ZAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", EV_DELIVERY_ATTEMPTED, 0,
		  NULL, 0, 0 },
	};
	struct rules_milestone m[8];
	struct order_state o;
	size_t n;

	(void)state;
	fold_all(s, 1, &o);
	n = rules_milestones(&o, m, 8);
	assert_int_equal(n, 2); /* shipped (an attempt means the carrier has it) and the attempt */
	assert_string_equal(m[0].key, "shipped");
	assert_true(strlen(m[1].key) <= RULE_MILESTONE_MAX);
	assert_non_null(strstr(m[1].key, "delivery_attempted:#"));
	order_release(&o);
}

static void view_is_minimal(void **state)
{
	struct order_state o;
	struct notify_view_ctx c = { .milestone = "shipped", .trigger = "shipped", .package = -1,
				     .tracking_url = "https://shop.example/track/abc", .support_email = "help@shop.example",
				     .locale = "de" };
	cJSON *v;
	char *text;

	(void)state;
	fold_all(journey, 3, &o);
	v = notify_view(&o, &c);
	assert_non_null(v);
	text = cJSON_PrintUnformatted(v);
	assert_null(strstr(text, "ada@example.com"));
	assert_null(strstr(text, "+1555"));
	assert_null(strstr(text, "94107"));
	assert_null(strstr(text, "Lovelace"));
	assert_string_equal(cJSON_GetObjectItem(v, "first_name")->valuestring, "Ada");
	assert_string_equal(cJSON_GetObjectItem(v, "order_number")->valuestring, "1001");
	assert_string_equal(cJSON_GetObjectItem(v, "status_label")->valuestring, "Shipped");
	assert_string_equal(cJSON_GetObjectItem(v, "locale")->valuestring, "de");
	assert_string_equal(cJSON_GetObjectItem(v, "tracking_url")->valuestring, "https://shop.example/track/abc");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(v, "packages"), 0),
						"carrier_link")->valuestring,
			    "https://www.ups.com/track?tracknum=1Z999");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "dates"), "shipped")->valuestring,
			    "2024-06-01");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(v, "package")));
	cJSON_free(text);
	cJSON_Delete(v);
	order_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_valid),
		cmocka_unit_test(validation),
		cmocka_unit_test(rule_sets),
		cmocka_unit_test(label_is_not_shipped),
		cmocka_unit_test(idempotent_across_orders),
		cmocka_unit_test(stale_milestones),
		cmocka_unit_test(channels_and_recipients),
		cmocka_unit_test(attempted_task_first),
		cmocka_unit_test(delayed_with_revised_date),
		cmocka_unit_test(conditions_approval_delay),
		cmocka_unit_test(exceptions_and_refunds),
		cmocka_unit_test(exception_grace_and_owner),
		cmocka_unit_test(value_conditions),
		cmocka_unit_test(exception_triggers),
		cmocka_unit_test(long_keys_fit),
		cmocka_unit_test(view_is_minimal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
