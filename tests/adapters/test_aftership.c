/* test_aftership.c - the AfterShip adapter (adapters/aftership.c): aftership-hmac-sha256, tracking_update
 * checkpoints mapped subtag first and tag second, local checkpoint times across the March DST change, the
 * store's order number, estimates, redeliveries in another order, webhooks without checkpoints, and the public
 * AfterShip samples of ../shared/corpora. */
#include "fixture.h"

#include <openssl/evp.h>

#include "base/crypto.h"

extern const struct adapter adapter_aftership;

#define SECRET "as_webhook_secret_5b1f"

/* base64(HMAC-SHA256(secret, body)) */
static void sign(const char *secret, const char *body, size_t len, char out[64])
{
	unsigned char mac[32];

	crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
	EVP_EncodeBlock((unsigned char *)out, mac, 32);
}

static enum werr verify(const char *secret, const char *sig, const char *body, size_t len, char *why, size_t cap)
{
	struct fx_hdrs h = { { sig ? "Aftership-Hmac-Sha256" : NULL }, { sig } };
	struct hook_request rq = { .body = body, .len = len, .header = fx_hdr_get, .hctx = &h };

	why[0] = '\0';
	return adapter_aftership.verify(&rq, secret, 0, why, cap);
}

static void test_signature_good_bad_missing(void **state)
{
	size_t len = 0;
	char *body = fx_data("aftership", "tracking_update.json", &len);
	char sig[64], why[200];

	(void)state;
	assert_non_null(body);
	sign(SECRET, body, len, sig);
	assert_int_equal(strlen(sig), 44);
	assert_int_equal(verify(SECRET, sig, body, len, why, sizeof(why)), WERR_OK);
	assert_int_equal(verify("another_secret", sig, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	assert_int_equal(verify(SECRET, sig, body, len - 1, why, sizeof(why)), WERR_UNAUTHORIZED);
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(SECRET, sig, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify(SECRET, "", body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify(SECRET, NULL, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing aftership-hmac-sha256");
	assert_int_equal(verify("", sig, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	{
		struct hook_request rq = { .body = body, .len = len };
		assert_int_equal(adapter_aftership.verify(&rq, SECRET, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	}
	free(body);
}

static void test_tracking_update(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_aftership, "tracking_update", NULL, &out), 7);
	ev = &out.events[0];
	assert_string_equal(ev->id, "aftership:usps:9400111899223197428490:2024-03-08T09:12:00-05:00:InfoReceived_001");
	assert_int_equal(ev->status, EV_LABEL_CREATED);
	assert_string_equal(ev->carrier, "usps");
	/* the store's order number, without its '#'; order_id (the store's internal id) is not an order number */
	assert_string_equal(ev->order, "1001");
	/* countries arrive as alpha-3 and leave as alpha-2 */
	assert_string_equal(ev->location.country, "US");
	/* local times without offset, in San Francisco on the night clocks went forward: 01:30 PST and 03:30 PDT
	 * are one hour apart */
	ev = fx_find_event(&out, ":2024-03-10T01:30:00:InTransit_003");
	assert_int_equal(ev->occurred_at, 1710063000000LL); /* 09:30Z */
	ev = fx_find_event(&out, ":2024-03-10T03:30:00:InTransit_007");
	assert_int_equal(ev->occurred_at, 1710066600000LL); /* 10:30Z */
	/* the estimate shown to customers now wins over the older fields, on the newest event only */
	ev = &out.events[6];
	assert_int_equal(ev->status, EV_DELIVERED);
	assert_int_equal(ev->estimated_delivery, 1710115200000LL); /* 2024-03-11 */
	assert_int_equal(out.events[5].estimated_delivery, 0);
	adapter_out_free(&out);
}

/* signed_by on the newest delivered event; coordinates only on a delivered or failed-attempt checkpoint and
 * only in range; OutForDelivery_004 is a booked appointment, which moves no parcel status. */
static void test_proof_and_appointment(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_aftership, "delivered_proof", NULL, &out), 4);
	ev = &out.events[0];
	assert_int_equal(ev->status, EV_IN_TRANSIT);
	assert_false(ev->proof.has_geo); /* where it passed, not proof */
	ev = &out.events[1];
	assert_int_equal(ev->status, EV_APPOINTMENT_SCHEDULED);
	assert_string_equal(ev->code, "OutForDelivery_004");
	assert_string_equal(ev->detail, "");
	ev = &out.events[2];
	assert_int_equal(ev->status, EV_DELIVERY_ATTEMPTED);
	assert_false(ev->proof.has_geo); /* latitude 139.7: out of range, dropped */
	assert_string_equal(ev->proof.signed_by, "");
	ev = &out.events[3];
	assert_int_equal(ev->status, EV_DELIVERED);
	assert_string_equal(ev->proof.signed_by, "M GARCIA");
	assert_true(ev->proof.has_geo);
	assert_true(ev->proof.lat == 39.7392 && ev->proof.lng == -104.9903);
	assert_string_equal(ev->proof.url, "");
	adapter_out_free(&out);

	/* one coordinate alone is no place */
	assert_int_equal(fx_parse_text(&adapter_aftership,
				       "{\"msg\": {\"tracking_number\": \"T1\", \"slug\": \"ups\", \"checkpoints\": [{"
				       "\"checkpoint_time\": \"2024-06-12T10:12:00-06:00\", \"tag\": \"Delivered\", "
				       "\"coordinate\": {\"latitude\": 39.7, \"longitude\": null}}]}}",
				       &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_false(out.events[0].proof.has_geo);
	adapter_out_free(&out);
}

static void test_checkpoints_newest_first_give_the_same_events(void **state)
{
	(void)state;
	fx_agg_case(&adapter_aftership, "tracking_update.reversed", "tracking_update.expected.jsonl", NULL);
}

static void test_exceptions_subtags_and_unknown_codes(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_aftership, "tracking_exceptions", NULL, &out), 7);
	assert_string_equal(out.events[0].order, "1002");
	assert_string_equal(out.events[0].location.country, "FR");
	ev = fx_find_event(&out, ":Exception_004");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->detail, "customs_hold");
	/* a checkpoint with only a free-text location keeps it as the place */
	assert_string_equal(ev->location.city, "MEMPHIS, TN");
	/* held for payment: the customer must act, said by the table */
	ev = fx_find_event(&out, ":Exception_006");
	assert_string_equal(ev->detail, "held_by_carrier");
	assert_int_equal(ev->action_required, 1);
	ev = fx_find_event(&out, ":AttemptFail_002");
	assert_int_equal(ev->status, EV_DELIVERY_ATTEMPTED);
	assert_string_equal(ev->detail, "recipient_unavailable");
	/* a subtag the table does not list falls back to its tag, keeping the subtag as the code */
	ev = fx_find_event(&out, ":Exception_099");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->code, "Exception_099");
	/* ... and with no place to find a zone, a local time is read as UTC */
	assert_int_equal(ev->occurred_at, 1712649600000LL); /* 2024-04-09T08:00:00Z */
	/* a tag nobody knows: unknown, code kept */
	ev = fx_find_event(&out, ":Teleported");
	assert_int_equal(ev->status, EV_UNKNOWN);
	assert_string_equal(ev->code, "Teleported");
	assert_string_equal(ev->description, "Shipment is in a state nobody has a word for");
	ev = fx_find_event(&out, ":Exception_011");
	assert_int_equal(ev->status, EV_RETURNED_TO_SENDER);
	/* only the carrier's estimate is given */
	assert_int_equal(ev->estimated_delivery, 1712707200000LL); /* 2024-04-10 */
	adapter_out_free(&out);
}

static void test_webhooks_without_checkpoints(void **state)
{
	struct adapter_out out;
	/* a payload split over lines is parenthesized: one element, not two run together by mistake */
	const char *nothing[] = {
		("{\"event\":\"edd_revise\",\"msg\":{\"tracking_number\":\"0000000000000000\",\"slug\":\"usps\","
		 "\"tag\":\"InTransit\",\"aftership_estimated_delivery_date\":{\"estimated_delivery_date\":\"2026-10-02\"}},"
		 "\"ts\":1712741700}"),
		("{\"event\":\"tracking_pending_time\",\"msg\":{\"tracking_number\":\"0000000000000000\",\"slug\":\"usps\","
		 "\"tag\":\"Pending\"},\"ts\":1712741800}"),
		"{\"event\":\"tracking_update\",\"msg\":{\"tracking_number\":\"1Z\",\"tag\":\"Pending\",\"checkpoints\":[]}}",
		"{\"event\":\"tracking_update\",\"msg\":{\"tracking_number\":\"1Z\",\"checkpoints\":null}}",
		"{\"meta\":{\"code\":200},\"data\":{}}",
		"{\"event\":\"return_update\",\"msg\":{\"rma_number\":\"R1\"}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++) {
		if (fx_parse_text(&adapter_aftership, nothing[i], &out) != WERR_OK)
			fail_msg("%s: %s", nothing[i], out.reason);
		assert_int_equal(out.nevents, 0);
		adapter_out_free(&out);
	}
}

static void test_other_shapes(void **state)
{
	struct adapter_out out;
	const char *cp = "\"checkpoints\":[{\"checkpoint_time\":\"2024-05-01T10:00:00+01:00\",\"country_iso3\":\"GBR\","
			 "\"city\":\"LONDON\",\"message\":\"Out for delivery\",\"tag\":\"OutForDelivery\","
			 "\"subtag\":\"OutForDelivery_001\"}]";
	char body[1024];

	(void)state;
	/* the API's answer, and a bare tracking: the same event */
	snprintf(body, sizeof(body),
		 "{\"meta\":{\"code\":200},\"data\":{\"tracking\":{\"tracking_number\":\"RM123456789GB\","
		 "\"slug\":\"royal-mail\",%s}}}",
		 cp);
	assert_int_equal(fx_parse_text(&adapter_aftership, body, &out), WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_string_equal(out.events[0].carrier, "royal_mail");
	assert_string_equal(out.events[0].location.country, "GB");
	assert_string_equal(out.events[0].order, "");
	assert_string_equal(out.events[0].id,
			    "aftership:royal-mail:RM123456789GB:2024-05-01T10:00:00+01:00:OutForDelivery_001");
	adapter_out_free(&out);
	snprintf(body, sizeof(body), "{\"tracking_number\":\"RM123456789GB\",\"slug\":\"royal-mail\",%s}", cp);
	assert_int_equal(fx_parse_text(&adapter_aftership, body, &out), WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_int_equal(out.events[0].status, EV_OUT_FOR_DELIVERY);
	adapter_out_free(&out);
	/* the tracking's own tag ahead of its newest checkpoint: a summary event (a claim: issue 16) */
	snprintf(body, sizeof(body), "{\"tracking_number\":\"RM123456789GB\",\"slug\":\"royal-mail\",\"tag\":\"Delivered\","
		 "\"subtag\":\"Delivered_001\",%s}", cp);
	assert_int_equal(fx_parse_text(&adapter_aftership, body, &out), WERR_OK);
	assert_int_equal(out.nevents, 2);
	assert_true(out.events[1].summary);
	assert_int_equal(out.events[1].status, EV_DELIVERED);
	assert_string_equal(out.events[1].id, "aftership:royal-mail:RM123456789GB:summary:Delivered_001");
	adapter_out_free(&out);
	/* types drift: a digits-only tracking number sent as a JSON number */
	snprintf(body, sizeof(body), "{\"tracking_number\":794644790138,\"slug\":\"fedex\",%s}", cp);
	assert_int_equal(fx_parse_text(&adapter_aftership, body, &out), WERR_OK);
	assert_string_equal(out.events[0].package, "794644790138");
	adapter_out_free(&out);
}

/* The legacy webhook (v4; before 4.0 msg had no id) still sent to accounts that chose no dated version (issue
 * 16): no subtags, the *_iso3 names, and checkpoint_time as a bare date or a local time. */
static void test_legacy_webhook(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_aftership, "legacy_v4", NULL, &out), 3);
	/* no subtag: the tag maps, and names the id */
	ev = fx_find_event(&out, ":2019-03-12T07:10:00:OutForDelivery");
	assert_int_equal(ev->status, EV_OUT_FOR_DELIVERY);
	assert_string_equal(ev->code, "OutForDelivery");
	assert_string_equal(ev->location.country, "DE");
	/* local time without offset, in Germany: 07:10 CET is 06:10Z */
	assert_int_equal(ev->occurred_at, 1552371000000LL);
	/* a bare date is local midnight of that day: 2019-03-11T00:00 CET */
	ev = fx_find_event(&out, ":2019-03-11:InTransit");
	assert_int_equal(ev->status, EV_IN_TRANSIT);
	assert_int_equal(ev->occurred_at, 1552258800000LL);
	assert_string_equal(out.events[0].order, "1187");
	/* the legacy estimate field, on the newest event */
	assert_int_equal(out.events[2].estimated_delivery, 1552435200000LL); /* 2019-03-13 */
	adapter_out_free(&out);
}

static void test_bodies_it_cannot_read(void **state)
{
	struct adapter_out out;
	static const struct {
		const char *body, *reason;
	} bad[] = {
		{ "tracking_update", "body is not JSON" },
		{ "{\"event\":", "body is not JSON" },
		{ "\"tracking_update\"", "body is not a JSON object" },
		{ "{\"msg\":{\"tracking_number\":\"1Z\",\"checkpoints\":{}}}", "checkpoints is not an array" },
		{ "{\"msg\":{\"checkpoints\":[{\"checkpoint_time\":\"2024-05-01T10:00:00Z\",\"tag\":\"InTransit\"}]}}",
		  "tracking has checkpoints but no tracking_number" },
		{ "{\"msg\":{\"tracking_number\":\"1Z\",\"checkpoints\":[\"x\"]}}", "checkpoints[0] is not an object" },
		{ "{\"msg\":{\"tracking_number\":\"1Z\",\"checkpoints\":[{\"tag\":\"InTransit\"}]}}",
		  "checkpoints[0]: checkpoint_time is missing or not a time" },
		{ "{\"msg\":{\"tracking_number\":\"1Z\",\"checkpoints\":[{\"checkpoint_time\":\"soon\"}]}}",
		  "checkpoints[0]: checkpoint_time is missing or not a time" },
		{ "{\"msg\":{\"tracking_number\":\"1Z\",\"checkpoints\":[{\"checkpoint_time\":\"2019-02-30\"}]}}",
		  "checkpoints[0]: checkpoint_time is missing or not a time" },
		/* the legacy webhook's empty time is named as such, not as a missing one */
		{ "{\"msg\":{\"tracking_number\":\"1Z\",\"checkpoints\":[{\"checkpoint_time\":\"\",\"tag\":\"InTransit\"}]}}",
		  "checkpoints[0]: checkpoint_time is empty (the legacy webhook's word for a scan without a time): a "
		  "checkpoint without a time cannot be placed" },
		/* a number past 2^53 has lost its last digits: named as such, not as a missing number */
		{ "{\"msg\":{\"tracking_number\":9400111899223197428490,\"checkpoints\":[{\"tag\":\"InTransit\"}]}}",
		  "tracking_number is a JSON number too large to read exactly: send it as a string" },
		{ "{\"msg\":{\"tracking_number\":[1],\"checkpoints\":[{\"tag\":\"InTransit\"}]}}",
		  "tracking_number is neither a string nor a number" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fx_parse_text(&adapter_aftership, bad[i].body, &out) != WERR_INVALID)
			fail_msg("%s: accepted", bad[i].body);
		assert_string_equal(out.reason, bad[i].reason);
		adapter_out_free(&out);
	}
}

/* Every AfterShip tag the public samples exercise has a row, and so has each tag's first subtag. */
static void test_every_tag_is_mapped(void **state)
{
	static const char *const tags[] = { "Pending",   "InfoReceived",	"InTransit", "OutForDelivery", "AttemptFail",
					    "Delivered", "AvailableForPickup", "Exception", "Expired" };
	char sub[64];

	(void)state;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		struct event ev;

		event_init(&ev);
		if (!mapping_apply(fx_maps, "aftership", tags[i], NULL, &ev))
			fail_msg("tag %s has no row", tags[i]);
		snprintf(sub, sizeof(sub), "%s_001", tags[i]);
		if (!mapping_apply(fx_maps, "aftership", sub, NULL, &ev))
			fail_msg("subtag %s has no row", sub);
	}
}

static void test_corpus_payloads_parse(void **state)
{
	char dir[1024];
	size_t nevents = 0;
	int files;

	(void)state;
	fx_corpus_dir("aftership", dir, sizeof(dir));
	files = fx_parse_dir(&adapter_aftership, dir, fx_check_aggregator_event, &nevents);
	print_message("aftership corpus: %d files, %zu events\n", files, nevents);
	assert_true(files >= 4);
	/* the in-transit sample has one checkpoint, without an offset or a place (read as UTC) */
	assert_int_equal(nevents, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_good_bad_missing),
		cmocka_unit_test(test_tracking_update),
		cmocka_unit_test(test_proof_and_appointment),
		cmocka_unit_test(test_checkpoints_newest_first_give_the_same_events),
		cmocka_unit_test(test_exceptions_subtags_and_unknown_codes),
		cmocka_unit_test(test_webhooks_without_checkpoints),
		cmocka_unit_test(test_other_shapes),
		cmocka_unit_test(test_legacy_webhook),
		cmocka_unit_test(test_bodies_it_cannot_read),
		cmocka_unit_test(test_every_tag_is_mapped),
		cmocka_unit_test(test_corpus_payloads_parse),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
