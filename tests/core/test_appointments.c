/*
 * test_appointments.c - appointment deliveries, proof of delivery and "I
 * haven't received it" (core/order.h rule 12, docs/appointments.md): the
 * fold (every rotation and reversed give the same JSON), the exceptions
 * they open and close, and the event's JSON.
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
#include "core/event_json.h"
#include "core/exceptions.h"
#include "core/order.h"
#include "core/order_json.h"
#include "core/policy.h"
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
	int64_t at;
	const char *pkg;
	int64_t win_start, win_end;
	const char *detail;
	const char *left_at, *signed_by, *url;
	int installed; /* 0 not given, 1 yes, 2 no */
	const char *note;
};

static struct policy pol;
static struct exc_config cfg;

static int setup(void **state)
{
	(void)state;
	policy_init_defaults(&pol);
	assert_int_equal(policy_set_kind(&pol, "fleet", KIND_CARRIER), WERR_OK);
	pol.cal.workdays = 0x7f; /* every day: the graces below do not depend on the weekday */
	exc_config_defaults(&cfg);
	return 0;
}

static void make(struct event *e, const struct spec *s, size_t i)
{
	event_init(e);
	snprintf(e->source, sizeof(e->source), "%s", s->src);
	snprintf(e->order, sizeof(e->order), "F1");
	snprintf(e->key, sizeof(e->key), "k%zu", i);
	snprintf(e->package, sizeof(e->package), "%s", s->pkg ? s->pkg : "");
	snprintf(e->carrier, sizeof(e->carrier), "%s", s->pkg ? "ups" : "");
	snprintf(e->detail, sizeof(e->detail), "%s", s->detail ? s->detail : "");
	snprintf(e->description, sizeof(e->description), "%s", s->note ? s->note : "");
	snprintf(e->proof.left_at, sizeof(e->proof.left_at), "%s", s->left_at ? s->left_at : "");
	snprintf(e->proof.signed_by, sizeof(e->proof.signed_by), "%s", s->signed_by ? s->signed_by : "");
	snprintf(e->proof.url, sizeof(e->proof.url), "%s", s->url ? s->url : "");
	e->has_installed = s->installed != 0;
	e->installed = s->installed == 1;
	e->status = s->st;
	e->occurred_at = s->at;
	e->received_at = s->at + 60000;
	e->window_start = s->win_start;
	e->window_end = s->win_end;
	e->seq = (int64_t)i + 1;
}

/* Folds specs in every rotation and reversed: one JSON, one set of outcomes. */
static void fold(const struct spec *sp, struct order_state *o, struct buf *json)
{
	struct event evs[MAXEV], perm[MAXEV];
	enum ev_outcome out0[MAXEV], out1[MAXEV];
	struct buf again = BUF_INIT;
	size_t n = 0;

	while (n < MAXEV && sp[n].src)
		n++;
	for (size_t i = 0; i < n; i++)
		make(&evs[i], &sp[i], i);
	order_init(o);
	assert_int_equal(order_fold(&pol, evs, n, o, out0), WERR_OK);
	json->len = 0;
	assert_int_equal(order_to_json(o, json), WERR_OK);
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
		assert_string_equal(json->p, again.p);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out1[i], out0[map[i]]);
		order_release(&x);
	}
	buf_release(&again);
}

/* The exceptions open at now, as "kind@package ...". */
static const char *open_at(const struct order_state *o, int64_t now, int64_t *next, struct order_exception *first)
{
	static char out[256];
	struct order_exception x[16];
	size_t n, len = 0;
	int64_t nx;

	exceptions_compute(o, &pol.cal, &cfg, NULL, now, x, 16, &n, &nx);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s@%s", i ? " " : "", exc_kind_name(x[i].kind),
					x[i].package);
	if (next)
		*next = nx;
	if (first && n)
		*first = x[0];
	return out;
}

/* A sofa by appointment: offered, booked, missed, booked again, delivered
 * and installed; the words move no status. */
static void appointment_lifecycle(void **state)
{
	struct spec sp[MAXEV] = {
		{ "shopify", EV_PLACED, MON },
		{ "fleet", EV_IN_TRANSIT, MON + DAY, "SOFA1" },
		{ "fleet", EV_APPOINTMENT_OFFERED, MON + DAY + HOUR, "SOFA1", MON + 3 * DAY + 8 * HOUR,
		  MON + 3 * DAY + 12 * HOUR },
		{ "fleet", EV_APPOINTMENT_SCHEDULED, MON + 2 * DAY, "SOFA1", MON + 3 * DAY + 8 * HOUR,
		  MON + 3 * DAY + 12 * HOUR },
		{ "fleet", EV_APPOINTMENT_MISSED, MON + 3 * DAY + 12 * HOUR, "SOFA1", 0, 0, "recipient_unavailable" },
	};
	struct order_state o;
	struct order_exception x;
	struct buf json = BUF_INIT;
	int64_t next;

	(void)state;
	fold(sp, &o, &json);
	assert_int_equal(o.packages[0].status, PKG_IN_TRANSIT);
	assert_int_equal(o.packages[0].appt.state, EV_APPOINTMENT_MISSED);
	assert_string_equal(o.packages[0].appt.reason, "recipient_unavailable");
	/* the missed word gives no window: the booked one stays */
	assert_int_equal(o.packages[0].appt.window_start, MON + 3 * DAY + 8 * HOUR);
	assert_non_null(strstr(json.p, "\"appointment\":{\"state\":\"missed\""));
	assert_string_equal(open_at(&o, MON + 3 * DAY + 13 * HOUR, &next, &x), "appointment_missed@SOFA1");
	assert_int_equal(x.since, MON + 3 * DAY + 12 * HOUR);
	assert_non_null(strstr(x.reason, "recipient_unavailable"));
	/* the team first: the customer may hear an hour later */
	assert_int_equal(exc_customer_at(&cfg, &pol.cal, EXC_APPOINTMENT_MISSED, x.since), x.since + HOUR);
	order_release(&o);

	/* booked again: closed */
	sp[5] = (struct spec){ "fleet", EV_APPOINTMENT_RESCHEDULED, MON + 4 * DAY, "SOFA1", MON + 5 * DAY + 13 * HOUR,
			       MON + 5 * DAY + 17 * HOUR };
	fold(sp, &o, &json);
	assert_int_equal(o.packages[0].appt.state, EV_APPOINTMENT_RESCHEDULED);
	assert_int_equal(o.packages[0].appt.window_start, MON + 5 * DAY + 13 * HOUR);
	assert_int_equal(o.packages[0].window_end, MON + 5 * DAY + 17 * HOUR);
	assert_string_equal(open_at(&o, MON + 4 * DAY + HOUR, NULL, NULL), "");
	order_release(&o);

	/* delivered and installed, with the proof */
	sp[6] = (struct spec){ "fleet", EV_DELIVERED, MON + 5 * DAY + 15 * HOUR, "SOFA1", 0, 0, NULL, "Living room",
			       "A. Customer", "https://pod.example/p/1", 1 };
	fold(sp, &o, &json);
	assert_int_equal(o.status, ORD_DELIVERED);
	assert_true(o.packages[0].has_installed && o.packages[0].installed);
	assert_string_equal(o.packages[0].proof.left_at, "Living room");
	assert_non_null(strstr(json.p, "\"installed\":true"));
	assert_non_null(strstr(json.p, "\"signed_by\":\"A. Customer\""));
	assert_string_equal(open_at(&o, MON + 6 * DAY, NULL, NULL), "");
	order_release(&o);
	buf_release(&json);
}

/* A parcel without any of it keeps its projection: no new fields. */
static void nothing_new_for_plain_parcels(void **state)
{
	const struct spec sp[] = {
		{ "shopify", EV_PLACED, MON },
		{ "ups", EV_DELIVERED, MON + DAY, "1Z1" },
		{ NULL },
	};
	struct order_state o;
	struct buf json = BUF_INIT;

	(void)state;
	fold(sp, &o, &json);
	assert_null(strstr(json.p, "appointment"));
	assert_null(strstr(json.p, "proof"));
	assert_null(strstr(json.p, "window"));
	assert_null(strstr(json.p, "installed"));
	assert_null(strstr(json.p, "not_received"));
	order_release(&o);
	buf_release(&json);
}

/* "I haven't received it": the task's reason has the proof and the claim
 * window; a refund or a later delivery settles it. */
static void not_received(void **state)
{
	struct spec sp[MAXEV] = {
		{ "shopify", EV_PLACED, MON },
		{ "ups", EV_DELIVERED, MON + DAY, "1Z1", 0, 0, NULL, "Front door", "NEIGHBOUR", "https://pod.example/1Z1" },
		{ "tracking_page", EV_NOT_RECEIVED, MON + 2 * DAY, NULL, 0, 0, NULL, NULL, NULL, NULL, 0,
		  "Nothing at the door" },
	};
	struct order_state o;
	struct order_exception x;
	struct buf json = BUF_INIT;
	char until[WTIME_BUFSZ];

	(void)state;
	fold(sp, &o, &json);
	assert_int_equal(o.not_received_at, MON + 2 * DAY);
	assert_string_equal(o.not_received_note, "Nothing at the door");
	assert_non_null(strstr(json.p, "\"not_received\":{\"at\":"));
	assert_string_equal(open_at(&o, MON + 2 * DAY + 1, NULL, &x), "not_received@1Z1");
	wtime_format(MON + DAY + 60 * DAY, until); /* ups: 60 days */
	assert_non_null(strstr(x.reason, until));
	assert_non_null(strstr(x.reason, "left at Front door"));
	assert_int_equal(exc_claim_until(&cfg, "dhl", MON), MON + 30 * DAY);
	assert_int_equal(exc_claim_until(&cfg, "acme", MON), MON + 30 * DAY);
	order_release(&o);
	/* the store refunds it: closed */
	sp[3] = (struct spec){ "shopify", EV_REFUNDED, MON + 3 * DAY, NULL, 0, 0, "full" };
	fold(sp, &o, &json);
	assert_string_equal(open_at(&o, MON + 3 * DAY + 1, NULL, NULL), "");
	order_release(&o);
	/* or the carrier delivers it (again) after the report: closed */
	sp[3] = (struct spec){ "ups", EV_DELIVERED, MON + 3 * DAY, "1Z1" };
	fold(sp, &o, &json);
	assert_string_equal(open_at(&o, MON + 3 * DAY + 1, NULL, NULL), "");
	order_release(&o);
	buf_release(&json);
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

#define HEAD "{\"source\":\"fleet\",\"order\":\"F1\",\"occurred_at\":\"2024-03-04T10:00:00Z\","

static void event_json(void **state)
{
	struct event ev, back;
	struct ev_error err;
	struct buf b = BUF_INIT;
	cJSON *o;

	(void)state;
	assert_int_equal(parse(HEAD "\"status\":\"delivered\",\"package\":\"S1\",\"installed\":true,\"stops_away\":0,"
				    "\"window\":{\"start\":\"2024-03-04T08:00:00Z\",\"end\":\"2024-03-04T12:00:00Z\"},"
				    "\"proof\":{\"signed_by\":\"J Smith\",\"url\":\"https://pod.example/1\","
				    "\"left_at\":\"Porch\",\"lat\":52.52,\"lng\":13.405}}",
			       &ev, &err),
			 WERR_OK);
	assert_true(ev.has_installed && ev.installed && ev.has_stops && ev.stops_away == 0 && ev.proof.has_geo);
	assert_int_equal(event_to_json(&ev, false, &b), WERR_OK);
	o = cJSON_Parse(b.p);
	event_init(&back);
	assert_int_equal(event_from_json(o, false, &back, &err), WERR_OK);
	assert_string_equal(back.proof.left_at, "Porch");
	assert_true(back.window_end - back.window_start == 4 * HOUR);
	assert_true(back.proof.lat > 52.5199 && back.proof.lat < 52.5201);
	cJSON_Delete(o);
	event_release(&back);
	event_release(&ev);
	assert_int_equal(parse(HEAD "\"status\":\"appointment_scheduled\"}", &ev, &err), WERR_INVALID);
	assert_string_equal(err.code, "package_required");
	assert_int_equal(parse(HEAD "\"status\":\"not_received\",\"package\":\"S1\"}", &ev, &err), WERR_INVALID);
	assert_int_equal(parse(HEAD "\"status\":\"not_received\"}", &ev, &err), WERR_OK);
	event_release(&ev);
	assert_int_equal(parse(HEAD "\"status\":\"appointment_scheduled\",\"package\":\"S1\",\"window\":{\"start\":"
				    "\"2024-03-04T12:00:00Z\",\"end\":\"2024-03-04T08:00:00Z\"}}",
			       &ev, &err),
			 WERR_INVALID);
	assert_int_equal(parse(HEAD "\"status\":\"delivered\",\"package\":\"S1\",\"proof\":{\"url\":\"http://x\"}}", &ev,
			       &err),
			 WERR_INVALID);
	assert_int_equal(parse(HEAD "\"status\":\"delivered\",\"package\":\"S1\",\"proof\":{\"lat\":1}}", &ev, &err),
			 WERR_INVALID);
	assert_int_equal(parse(HEAD "\"status\":\"out_for_delivery\",\"package\":\"S1\",\"stops_away\":-1}", &ev, &err),
			 WERR_INVALID);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appointment_lifecycle),
		cmocka_unit_test(nothing_new_for_plain_parcels),
		cmocka_unit_test(not_received),
		cmocka_unit_test(event_json),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
