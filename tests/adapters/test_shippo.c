/* test_shippo.c - the Shippo adapter (adapters/shippo.c): the hook-url token and the generic signature (Shippo
 * signs nothing), track_updated with its history and latest status, substatus first and status second, Shippo's
 * own action_required, order numbers from metadata, redeliveries in another order, bare Track objects, and the
 * public Shippo recordings of ../shared/corpora. */
#include "fixture.h"

extern const struct adapter adapter_shippo;

#define SECRET "shippo-hook-token-7c41"

static enum werr verify(const struct fx_hdrs *h, const char *body, int64_t now_ms, char *why, size_t cap)
{
	struct hook_request rq = { .body = body, .len = strlen(body), .header = fx_hdr_get, .hctx = h };

	why[0] = '\0';
	return adapter_shippo.verify(&rq, SECRET, now_ms, why, cap);
}

static void test_token_good_bad_missing(void **state)
{
	const char *body = "{\"event\":\"track_updated\",\"data\":{}}";
	struct fx_hdrs good = { { "X-Wismo-Query-Token" }, { SECRET } };
	struct fx_hdrs bad = { { "x-wismo-query-token" }, { "shippo-hook-token-7c42" } };
	struct fx_hdrs prefix = { { "X-Wismo-Query-Token" }, { "shippo" } };
	struct fx_hdrs empty = { { "X-Wismo-Query-Token" }, { "" } };
	struct fx_hdrs none = { { NULL }, { NULL } };
	char why[200];

	(void)state;
	assert_int_equal(verify(&good, body, 0, why, sizeof(why)), WERR_OK);
	assert_int_equal(verify(&bad, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "token in the hook url does not match the secret");
	assert_int_equal(verify(&prefix, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify(&empty, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify(&none, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing ?token= in the hook url (X-Wismo-Query-Token) or X-Wismo-Signature");
	{
		struct hook_request rq = { .body = body, .len = strlen(body) };
		assert_int_equal(adapter_shippo.verify(&rq, SECRET, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
		/* no secret configured: refused whatever is presented */
		rq.header = fx_hdr_get;
		rq.hctx = &good;
		assert_int_equal(adapter_shippo.verify(&rq, "", 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	}
}

static void test_generic_signature(void **state)
{
	const char *body = "{\"event\":\"track_updated\",\"data\":{}}";
	int64_t now = 1717900000000LL;
	char ts[24], sig[80], why[200];
	struct fx_hdrs h = { { "X-Wismo-Timestamp", "X-Wismo-Signature" }, { ts, sig } };
	struct fx_hdrs both = { { "X-Wismo-Timestamp", "X-Wismo-Signature", "X-Wismo-Query-Token" }, { ts, sig, "nope" } };

	(void)state;
	sig_generic_sign(SECRET, body, strlen(body), now, ts, sig);
	assert_int_equal(verify(&h, body, now + 2000, why, sizeof(why)), WERR_OK);
	/* a token that is present decides alone: a wrong one is refused next to a valid signature */
	assert_int_equal(verify(&both, body, now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "token in the hook url does not match the secret");
	assert_int_equal(verify(&h, body, now + (SIG_GENERIC_WINDOW_S + 1) * 1000LL, why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	assert_int_equal(verify(&h, "{\"event\":\"track_updated\"}", now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	h.name[1] = NULL; /* a time stamp without signature */
	assert_int_equal(verify(&h, body, now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing X-Wismo-Signature");
}

static void test_track_updated(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	/* seven history entries; the latest status repeats the last one and adds nothing */
	assert_int_equal(fx_agg_case(&adapter_shippo, "track_updated", NULL, &out), 7);
	ev = &out.events[0];
	assert_string_equal(ev->id, "shippo:usps:9205590164917312751089:2024-06-03T15:12:00Z:PRE_TRANSIT:information_received");
	assert_int_equal(ev->status, EV_LABEL_CREATED);
	/* metadata "Order #1003" names the order */
	assert_string_equal(ev->order, "1003");
	/* address_issue with Shippo's action_required true */
	ev = fx_find_event(&out, ":TRANSIT:address_issue");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->detail, "address_issue");
	assert_int_equal(ev->action_required, 1);
	/* delayed: Shippo says no action */
	ev = fx_find_event(&out, ":TRANSIT:delayed");
	assert_string_equal(ev->detail, "delayed");
	assert_int_equal(ev->action_required, 0);
	/* substatus "other" has no row: the status decides, the finer code is kept */
	ev = fx_find_event(&out, ":TRANSIT:other");
	assert_int_equal(ev->status, EV_IN_TRANSIT);
	assert_string_equal(ev->code, "other");
	ev = &out.events[6];
	assert_int_equal(ev->status, EV_DELIVERED);
	assert_int_equal(ev->estimated_delivery, 1717804800000LL); /* eta 2024-06-08 */
	adapter_out_free(&out);
}

static void test_history_newest_first_gives_the_same_events(void **state)
{
	(void)state;
	fx_agg_case(&adapter_shippo, "track_updated.reversed", "track_updated.expected.jsonl", NULL);
}

static void test_exceptions_and_unknown_codes(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	/* a bare Track; five history entries and a latest status that is not among them */
	assert_int_equal(fx_agg_case(&adapter_shippo, "track_exceptions", NULL, &out), 6);
	/* metadata that is no order number names no order */
	assert_string_equal(out.events[0].order, "");
	/* no status_date: Shippo's own record time stands in */
	ev = &out.events[0];
	assert_string_equal(ev->id, "shippo:fedex:449044304137821:2024-07-08T12:00:03.000Z:UNKNOWN");
	assert_int_equal(ev->status, EV_UNKNOWN);
	assert_string_equal(ev->code, "UNKNOWN");
	/* an unknown substatus falls back to its status, keeping its code */
	ev = fx_find_event(&out, ":TRANSIT:teleportation_hub");
	assert_int_equal(ev->status, EV_IN_TRANSIT);
	assert_string_equal(ev->code, "teleportation_hub");
	ev = fx_find_event(&out, ":TRANSIT:contact_carrier");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->detail, "held_by_carrier");
	assert_int_equal(ev->action_required, 1);
	assert_string_equal(ev->location.country, "CA");
	assert_string_equal(ev->location.region, "ON");
	/* a status nobody knows: unknown, code and words kept */
	ev = fx_find_event(&out, ":SCHRODINGER");
	assert_int_equal(ev->status, EV_UNKNOWN);
	assert_string_equal(ev->code, "SCHRODINGER");
	assert_string_equal(ev->description, "Both delivered and not");
	ev = fx_find_event(&out, ":RETURNED:package_unclaimed");
	assert_int_equal(ev->status, EV_RETURNED_TO_SENDER);
	assert_int_equal(ev->action_required, 0);
	ev = fx_find_event(&out, ":FAILURE:package_undeliverable");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->detail, "undeliverable");
	assert_int_equal(ev->action_required, 1);
	assert_int_equal(ev->estimated_delivery, 0); /* eta null */
	adapter_out_free(&out);
}

static void test_order_number_from_metadata(void **state)
{
	static const char *const cases[][2] = {
		{ "Order #1001", "1001" },
		{ "order 1001", "1001" },
		{ "ORDER NO. 1001", "1001" },
		{ "Order no 1001", "1001" },
		{ "Order number: A-1001", "A-1001" },
		{ "  #1001  ", "1001" },
		{ "Order #SO.2024.77", "SO.2024.77" },
		{ "Shippo test tracking", "" },
		{ "metadata", "" },
		{ "1001", "" },            /* a bare number might be anything */
		{ "Order #1001 gift", "" }, /* more than a number */
		{ "Order #", "" },
		{ "Order #abc", "" },      /* no digit */
		{ "", "" },
	};
	char body[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct adapter_out out;

		snprintf(body, sizeof(body),
			 "{\"carrier\":\"ups\",\"tracking_number\":\"1Z999\",\"metadata\":\"%s\",\"tracking_history\":"
			 "[{\"status\":\"TRANSIT\",\"status_date\":\"2024-06-03T23:05:00Z\"}]}",
			 cases[i][0]);
		assert_int_equal(fx_parse_text(&adapter_shippo, body, &out), WERR_OK);
		assert_int_equal(out.nevents, 1);
		if (strcmp(out.events[0].order, cases[i][1]))
			fail_msg("metadata '%s': order '%s', want '%s'", cases[i][0], out.events[0].order, cases[i][1]);
		adapter_out_free(&out);
	}
}

static void test_other_events_and_shapes(void **state)
{
	struct adapter_out out;
	/* a payload split over lines is parenthesized: one element, not two run together by mistake */
	const char *nothing[] = {
		"{\"event\":\"transaction_created\",\"test\":true,\"data\":{\"tracking_number\":\"1Z\",\"status\":\"SUCCESS\"}}",
		"{\"event\":\"batch_purchased\",\"data\":{\"object_id\":\"b1\"}}",
		("{\"event\":\"track_updated\",\"data\":{\"tracking_number\":\"1Z\",\"tracking_status\":null,"
		 "\"tracking_history\":[]}}"),
		"{\"object_id\":\"adr_1\",\"city\":\"Austin\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++) {
		if (fx_parse_text(&adapter_shippo, nothing[i], &out) != WERR_OK)
			fail_msg("%s: %s", nothing[i], out.reason);
		assert_int_equal(out.nevents, 0);
		adapter_out_free(&out);
	}
	/* test-mode webhooks parse like live ones */
	assert_int_equal(fx_parse_text(&adapter_shippo,
				    "{\"event\":\"track_updated\",\"test\":true,\"data\":{\"carrier\":\"shippo\","
				    "\"tracking_number\":\"SHIPPO_TRANSIT\",\"tracking_status\":{\"status\":\"TRANSIT\","
				    "\"status_date\":\"2019-09-12T19:38:42.117Z\"}}}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_string_equal(out.events[0].carrier, "shippo");
	assert_string_equal(out.events[0].id, "shippo:shippo:SHIPPO_TRANSIT:2019-09-12T19:38:42.117Z:TRANSIT");
	adapter_out_free(&out);
}

/* Older API versions still in use (issue 16): before 2017-08-01 the webhook body was the bare Track, and
 * entries had no substatus (and before 2018-02-08 no PRE_TRANSIT: a label was UNKNOWN); the 2017-08-01
 * changelog calls the envelope's member event_type. */
static void test_older_api_versions(void **state)
{
	struct adapter_out out;
	const struct event *ev;
	char *data, body[8192];
	size_t len = 0;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_shippo, "legacy_track", NULL, &out), 3);
	/* no substatus: the status alone maps, and the id has no substatus part */
	ev = fx_find_event(&out, ":2017-05-09T01:58:00Z:TRANSIT");
	assert_int_equal(ev->status, EV_IN_TRANSIT);
	assert_string_equal(ev->code, "TRANSIT");
	assert_string_equal(ev->order, "2044");
	/* an older version's label: UNKNOWN, kept as unknown with its code, not guessed */
	ev = fx_find_event(&out, ":2017-05-08T21:31:00Z:UNKNOWN");
	assert_int_equal(ev->status, EV_UNKNOWN);
	/* tracking_status repeats the last history entry: no fourth event */
	assert_int_equal(out.events[2].status, EV_DELIVERED);
	adapter_out_free(&out);
	/* the same Track in an envelope that says event_type: the same events */
	data = fx_data("shippo", "legacy_track.json", &len);
	assert_non_null(data);
	snprintf(body, sizeof(body), "{\"event_type\":\"track_updated\",\"data\":%.*s}", (int)len, data);
	assert_int_equal(fx_parse_text(&adapter_shippo, body, &out), WERR_OK);
	assert_int_equal(out.nevents, 3);
	assert_string_equal(out.events[0].id, "shippo:usps:9405500000000000000042:2017-05-08T21:31:00Z:UNKNOWN");
	adapter_out_free(&out);
	snprintf(body, sizeof(body), "{\"event_type\":\"transaction_updated\",\"data\":%.*s}", (int)len, data);
	assert_int_equal(fx_parse_text(&adapter_shippo, body, &out), WERR_OK);
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
	free(data);
}

static void test_bodies_it_cannot_read(void **state)
{
	struct adapter_out out;
	static const struct {
		const char *body, *reason;
	} bad[] = {
		{ "event=track_updated", "body is not JSON" },
		{ "null", "body is not a JSON object" },
		{ "{\"event\":\"track_updated\"}", "track_updated without a data object" },
		{ "{\"event\":\"track_updated\",\"data\":{\"carrier\":\"usps\"}}", "track has no tracking_number" },
		{ "{\"tracking_number\":\"1Z\",\"tracking_history\":\"none\"}", "tracking_history is not an array" },
		{ "{\"tracking_number\":\"1Z\",\"tracking_history\":[7]}", "tracking_history[0] is not an object" },
		{ "{\"tracking_number\":\"1Z\",\"tracking_history\":[{\"status\":\"TRANSIT\"}]}",
		  "tracking_history[0]: status_date is missing or not a time" },
		{ "{\"tracking_number\":\"1Z\",\"tracking_status\":{\"status\":\"TRANSIT\",\"status_date\":\"June\"}}",
		  "tracking_status: status_date is missing or not a time" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fx_parse_text(&adapter_shippo, bad[i].body, &out) != WERR_INVALID)
			fail_msg("%s: accepted", bad[i].body);
		assert_string_equal(out.reason, bad[i].reason);
		adapter_out_free(&out);
	}
}

/* Every Shippo status of the public enum has a row. */
static void test_every_status_is_mapped(void **state)
{
	static const char *const statuses[] = { "UNKNOWN", "PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE" };

	(void)state;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct event ev;

		event_init(&ev);
		if (!mapping_apply(fx_maps, "shippo", statuses[i], NULL, &ev))
			fail_msg("status %s has no row", statuses[i]);
	}
}

/* The public Track objects (the `data` of a track_updated webhook) parse, bare and wrapped. */
static void test_corpus_payloads_parse(void **state)
{
	char dir[1024];
	size_t nevents = 0;
	int files;

	(void)state;
	fx_corpus_dir("shippo/api_responses", dir, sizeof(dir));
	files = fx_parse_dir(&adapter_shippo, dir, fx_check_aggregator_event, &nevents);
	print_message("shippo corpus: %d files, %zu events\n", files, nevents);
	assert_true(files >= 4);
	assert_true(nevents >= 20);
	fx_corpus_dir("shippo", dir, sizeof(dir));
	fx_parse_dir(&adapter_shippo, dir, fx_check_aggregator_event, &nevents);
	/* wrapped in the webhook envelope, a corpus Track gives the same events as bare */
	{
		char path[1200], *track, *wrapped;
		size_t len = 0;
		struct adapter_out a, b;
		struct buf ta = BUF_INIT, tb = BUF_INIT;

		snprintf(path, sizeof(path), "%s/api_responses/python_test_get_status.0.json", dir);
		track = fx_slurp(path, &len);
		assert_non_null(track);
		wrapped = malloc(len + 64);
		assert_non_null(wrapped);
		snprintf(wrapped, len + 64, "{\"event\":\"track_updated\",\"test\":true,\"data\":%s}", track);
		assert_int_equal(fx_parse_text(&adapter_shippo, track, &a), WERR_OK);
		assert_int_equal(fx_parse_text(&adapter_shippo, wrapped, &b), WERR_OK);
		for (size_t i = 0; i < a.nevents; i++)
			fx_check_aggregator_event(&a.events[i], "shippo");
		for (size_t i = 0; i < b.nevents; i++)
			fx_check_aggregator_event(&b.events[i], "shippo");
		fx_events_json(&a, &ta);
		fx_events_json(&b, &tb);
		assert_string_equal(ta.p, tb.p);
		assert_true(a.nevents >= 8);
		assert_int_equal(a.events[a.nevents - 1].status, EV_DELIVERED);
		assert_string_equal(a.events[0].carrier, "usps");
		adapter_out_free(&a);
		adapter_out_free(&b);
		buf_release(&ta);
		buf_release(&tb);
		free(wrapped);
		free(track);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_good_bad_missing),
		cmocka_unit_test(test_generic_signature),
		cmocka_unit_test(test_track_updated),
		cmocka_unit_test(test_history_newest_first_gives_the_same_events),
		cmocka_unit_test(test_exceptions_and_unknown_codes),
		cmocka_unit_test(test_order_number_from_metadata),
		cmocka_unit_test(test_other_events_and_shapes),
		cmocka_unit_test(test_older_api_versions),
		cmocka_unit_test(test_bodies_it_cannot_read),
		cmocka_unit_test(test_every_status_is_mapped),
		cmocka_unit_test(test_corpus_payloads_parse),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
