/* test_easypost.c - the EasyPost adapter (adapters/easypost.c): X-Hmac-Signature with an NFKD-normalised secret
 * (and EasyPost's own vector from ../shared/corpora), tracker.updated Events and Trackers posted alone, the
 * status/status_detail table with its fallbacks, redeliveries in another order, every public EasyPost payload,
 * and the shared carrier names (adapters/carrier_names.c) and NFKD (adapters/nfkd.c) it relies on. */
#include "fixture.h"

#include <cjson/cJSON.h>

#include "adapters/carrier_names.h"
#include "adapters/nfkd.h"
#include "base/crypto.h"

extern const struct adapter adapter_easypost;

#define SECRET "whsec_9f8e7d6c5b4a"

/* "hmac-sha256-hex=" + hex(HMAC-SHA256(key, body)) */
static void sign(const char *key, const char *body, size_t len, char out[96])
{
	unsigned char mac[32];
	char hex[65];

	crypto_hmac_sha256(key, strlen(key), body, len, mac);
	crypto_hex(mac, 32, hex);
	snprintf(out, 96, "hmac-sha256-hex=%s", hex);
}

static enum werr verify(const char *secret, const char *sig, const char *body, size_t len, char *why, size_t cap)
{
	struct fx_hdrs h = { { sig ? "x-hmac-signature" : NULL }, { sig } };
	struct hook_request rq = { .body = body, .len = len, .header = fx_hdr_get, .hctx = &h };

	why[0] = '\0';
	return adapter_easypost.verify(&rq, secret, 0, why, cap);
}

/* ---- signatures ---- */

static void test_signature_good_bad_missing(void **state)
{
	size_t len = 0;
	char *body = fx_data("easypost", "tracker_updated.json", &len);
	char sig[96], why[200];

	(void)state;
	assert_non_null(body);
	sign(SECRET, body, len, sig);
	assert_int_equal(verify(SECRET, sig, body, len, why, sizeof(why)), WERR_OK);
	/* upper-case hex is the same signature */
	for (char *p = sig + 16; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(verify(SECRET, sig, body, len, why, sizeof(why)), WERR_OK);
	/* another secret, another body */
	assert_int_equal(verify("whsec_other", sig, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	assert_int_equal(verify(SECRET, sig, body, len - 1, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	/* missing, malformed */
	assert_int_equal(verify(SECRET, NULL, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing X-Hmac-Signature");
	assert_int_equal(verify(SECRET, sig + 16, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "X-Hmac-Signature must be hmac-sha256-hex=<64 hex digits>");
	assert_int_equal(verify(SECRET, "hmac-sha256-hex=abc", body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	/* no secret configured */
	assert_int_equal(verify("", sig, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	/* no headers at all (wismo parse) */
	{
		struct hook_request rq = { .body = body, .len = len };
		assert_int_equal(adapter_easypost.verify(&rq, SECRET, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
		assert_string_equal(why, "missing X-Hmac-Signature");
	}
	free(body);
}

static void test_signature_key_is_nfkd_of_the_secret(void **state)
{
	const char *body = "{\"description\":\"tracker.updated\"}";
	char sig[96], why[200];

	(void)state;
	/* signed with the decomposed key: the composed secret verifies */
	sign("se\xcc\x81" "cret", body, strlen(body), sig);
	assert_int_equal(verify("s\xc3\xa9" "cret", sig, body, strlen(body), why, sizeof(why)), WERR_OK);
	/* signed with the composed bytes (what a client without NFKD would do): refused */
	sign("s\xc3\xa9" "cret", body, strlen(body), sig);
	assert_int_equal(verify("s\xc3\xa9" "cret", sig, body, strlen(body), why, sizeof(why)), WERR_UNAUTHORIZED);
	/* a secret wismo cannot normalise is refused with the reason, not guessed */
	assert_int_equal(verify("\xe7\xa7\x98\xe5\xaf\x86", sig, body, strlen(body), why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	assert_string_equal(why, "the easypost secret cannot be NFKD-normalised (a character outside the Latin "
				 "range): use ASCII or Latin letters");
}

/* EasyPost's own vector: event-body.json without its trailing newline, secret "sécret". */
static void test_corpus_hmac_vector(void **state)
{
	char dir[1024], path[1200], why[200];
	char *body, *vec;
	size_t len = 0;
	cJSON *j;
	const char *secret, *sig;

	(void)state;
	fx_corpus_dir("easypost/webhook_events", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/event-body.tracker.updated.json", dir);
	body = fx_slurp(path, &len);
	snprintf(path, sizeof(path), "%s/webhook-hmac-vector.json", dir);
	vec = fx_slurp(path, NULL);
	assert_non_null(body);
	assert_non_null(vec);
	j = cJSON_Parse(vec);
	assert_non_null(j);
	secret = cJSON_GetStringValue(cJSON_GetObjectItem(j, "secret"));
	sig = cJSON_GetStringValue(cJSON_GetObjectItem(j, "hmac_signature"));
	assert_non_null(secret);
	assert_non_null(sig);
	assert_string_equal(secret, "s\xc3\xa9" "cret");
	/* the body as sent has no trailing newline */
	assert_int_equal(verify(secret, sig, body, len, why, sizeof(why)), WERR_UNAUTHORIZED);
	while (len && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	assert_int_equal(len, 3550);
	assert_int_equal(verify(secret, sig, body, len, why, sizeof(why)), WERR_OK);
	/* and the events it carries */
	{
		struct adapter_env env;
		struct adapter_out out;

		fx_env_init(&env, "easypost", true, FX_NOW_MS);
		assert_int_equal(fx_parse(&adapter_easypost, &env, &fx_json_request, body, len, &out), WERR_OK);
		assert_int_equal(out.nevents, 7);
		assert_string_equal(out.events[0].carrier, "fedex");
		assert_string_equal(out.events[0].package, "1");
		assert_int_equal(out.events[0].status, EV_LABEL_CREATED);
		assert_string_equal(out.events[6].id, "easypost:trk_1:2024-08-02T18:50:00Z:in_transit:arrived_at_facility");
		assert_int_equal(out.events[6].status, EV_IN_TRANSIT);
		assert_true(out.events[6].estimated_delivery > 0);
		adapter_out_free(&out);
	}
	cJSON_Delete(j);
	free(vec);
	free(body);
}

/* ---- parsing ---- */

/* Types drift: a tracking code sent as a JSON number is read when exact, named when not. */
static void test_numeric_tracking_code(void **state)
{
	struct adapter_out out;
	(void)state;

	assert_int_equal(fx_parse_text(&adapter_easypost,
				       "{\"object\":\"Tracker\",\"id\":\"trk_n\",\"tracking_code\":940011189922,"
				       "\"carrier\":\"USPS\",\"tracking_details\":[{\"status\":\"in_transit\","
				       "\"datetime\":\"2024-03-01T10:00:00Z\",\"message\":\"Arrived\"}]}",
				       &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_string_equal(out.events[0].package, "940011189922");
	adapter_out_free(&out);
	assert_int_equal(fx_parse_text(&adapter_easypost,
				       "{\"object\":\"Tracker\",\"tracking_code\":9400111899223197428490,"
				       "\"tracking_details\":[]}",
				       &out),
			 WERR_INVALID);
	assert_string_equal(out.reason, "tracking_code is a JSON number too large to read exactly: send it as a string");
	adapter_out_free(&out);
}

/* The tracker's own status ahead of its newest scan: one more event, a summary (a claim the order shows as a
 * conflict, order.h rule 5), at the newest scan's time; none when they agree (issue 16). */
static void test_tracker_status_disagreeing_with_its_scans(void **state)
{
	static const char body[] =
		"{\"object\":\"Tracker\",\"id\":\"trk_s\",\"tracking_code\":\"9400111899223100000001\",\"carrier\":\"USPS\","
		"\"status\":\"%s\",\"tracking_details\":[{\"status\":\"delivered\",\"datetime\":\"2024-03-01T09:00:00Z\"},"
		"{\"status\":\"in_transit\",\"datetime\":\"2024-03-01T10:00:00Z\",\"message\":\"Arrived\"}]}";
	char text[1024];
	struct adapter_out out;
	(void)state;

	snprintf(text, sizeof(text), body, "delivered");
	assert_int_equal(fx_parse_text(&adapter_easypost, text, &out), WERR_OK);
	assert_int_equal(out.nevents, 3);
	assert_false(out.events[1].summary);
	assert_true(out.events[2].summary);
	assert_int_equal(out.events[2].status, EV_DELIVERED);
	assert_int_equal(out.events[2].occurred_at, out.events[1].occurred_at);
	assert_string_equal(out.events[2].package, "9400111899223100000001");
	assert_string_equal(out.events[2].id, "easypost:trk_s:summary:delivered");
	assert_non_null(strstr(out.events[2].description, "own status for the parcel: delivered (its newest scan: in_transit)"));
	adapter_out_free(&out);
	snprintf(text, sizeof(text), body, "in_transit"); /* agrees with the newest scan */
	assert_int_equal(fx_parse_text(&adapter_easypost, text, &out), WERR_OK);
	assert_int_equal(out.nevents, 2);
	adapter_out_free(&out);
	snprintf(text, sizeof(text), body, "no_such_status"); /* a summary no row knows says nothing */
	assert_int_equal(fx_parse_text(&adapter_easypost, text, &out), WERR_OK);
	assert_int_equal(out.nevents, 2);
	adapter_out_free(&out);
}

/* A return label's Shipment (is_return): its parcel's events are a return parcel's. */
static void test_shipment_is_return(void **state)
{
	struct adapter_out out;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_easypost, "shipment_return", NULL, &out), 2);
	for (size_t i = 0; i < out.nevents; i++) {
		assert_true(out.events[i].is_return);
		assert_string_equal(out.events[i].package, "1ZRETURN9999");
	}
	adapter_out_free(&out);
}

static void test_tracker_updated(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_easypost, "tracker_updated", NULL, &out), 7);
	ev = &out.events[0];
	assert_string_equal(ev->id,
			    "easypost:trk_3b9e5c1a7d2f4e6a8c0b2d4f6a8c0e2f:2024-03-08T14:02:00Z:pre_transit:label_created");
	assert_int_equal(ev->status, EV_LABEL_CREATED);
	assert_string_equal(ev->carrier, "ups");
	assert_string_equal(ev->order, "");
	ev = fx_find_event(&out, ":in_transit:weather_delay");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->detail, "weather_delay");
	assert_string_equal(ev->code, "in_transit/weather_delay");
	/* the estimate rides on the newest event only */
	assert_int_equal(out.events[5].estimated_delivery, 0);
	assert_int_equal(out.events[6].status, EV_DELIVERED);
	assert_int_equal(out.events[6].estimated_delivery, 1710115200000LL); /* 2024-03-11 */
	/* the tracker's signed_by is the proof of its delivered event, and of no other */
	assert_string_equal(out.events[6].proof.signed_by, "J SMITH");
	assert_string_equal(out.events[6].proof.url, "");
	assert_string_equal(out.events[6].proof.left_at, "");
	assert_false(out.events[6].proof.has_geo);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(out.events[i].proof.signed_by, "");
	adapter_out_free(&out);
}

/* signed_by on a tracker not delivered is nobody's proof; a long name is cut at a character, not refused. */
static void test_signed_by_only_on_delivered(void **state)
{
	struct adapter_out out;
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(fx_parse_text(&adapter_easypost,
				       "{\"object\": \"Tracker\", \"id\": \"trk_1\", \"tracking_code\": \"EZ1\", \"signed_by\": "
				       "\"J SMITH\", \"tracking_details\": [{\"status\": \"in_transit\", \"datetime\": "
				       "\"2024-03-10T10:00:00Z\"}]}",
				       &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_string_equal(out.events[0].proof.signed_by, "");
	adapter_out_free(&out);

	assert_int_equal(buf_puts(&b, "{\"object\": \"Tracker\", \"id\": \"trk_2\", \"tracking_code\": \"EZ2\", "
				      "\"signed_by\": \""), WERR_OK);
	for (int i = 0; i < EV_NAME_MAX - 1; i++)
		assert_int_equal(buf_puts(&b, "a"), WERR_OK);
	assert_int_equal(buf_puts(&b, "\xC3\xA9\xC3\xA9\", \"tracking_details\": [{\"status\": \"delivered\", "
				      "\"datetime\": \"2024-03-10T10:00:00Z\"}]}"), WERR_OK);
	assert_int_equal(fx_parse_text(&adapter_easypost, b.p, &out), WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_int_equal(strlen(out.events[0].proof.signed_by), EV_NAME_MAX - 1); /* the é would straddle the cut */
	adapter_out_free(&out);
	buf_release(&b);
}

static void test_details_newest_first_give_the_same_events(void **state)
{
	(void)state;
	fx_agg_case(&adapter_easypost, "tracker_updated.reversed", "tracker_updated.expected.jsonl", NULL);
}

static void test_exceptions_fallbacks_and_unknown_codes(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_easypost, "tracker_exceptions", NULL, &out), 7);
	/* a Tracker posted alone, FedEx spelled as EasyPost's account name */
	assert_string_equal(out.events[0].carrier, "fedex");
	/* the carrier corrects the address itself: an exception that asks nothing of the customer */
	ev = fx_find_event(&out, ":in_transit:address_correction");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->detail, "address_issue");
	assert_int_equal(ev->action_required, 0);
	/* the carrier waits for the recipient: action required, said by the table */
	ev = fx_find_event(&out, ":failure:awaiting_information");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->detail, "held_by_carrier");
	assert_int_equal(ev->action_required, 1);
	/* failure/address_correction: address_issue, action_required left to the default (yes) */
	ev = fx_find_event(&out, ":failure:address_correction");
	assert_int_equal(ev->status, EV_EXCEPTION);
	assert_string_equal(ev->detail, "address_issue");
	assert_int_equal(ev->action_required, -1);
	assert_true(pkg_default_action_required(PKG_EXCEPTION, ev->detail));
	/* a status_detail the table does not know falls back to its status, keeping the finer code */
	ev = fx_find_event(&out, ":in_transit:teleported_to_hub");
	assert_int_equal(ev->status, EV_IN_TRANSIT);
	assert_string_equal(ev->code, "in_transit/teleported_to_hub");
	/* a status nobody knows: unknown, code and words kept, never a guess */
	ev = fx_find_event(&out, ":quantum_superposition:unknown");
	assert_int_equal(ev->status, EV_UNKNOWN);
	assert_string_equal(ev->code, "quantum_superposition/unknown");
	assert_string_equal(ev->description, "Held in a parallel universe");
	assert_string_equal(ev->location.city, "");
	/* returned, refused */
	ev = fx_find_event(&out, ":return_to_sender:refused");
	assert_int_equal(ev->status, EV_RETURNED_TO_SENDER);
	assert_string_equal(ev->detail, "refused");
	adapter_out_free(&out);
}

/* A tracker from before status_detail and carrier_detail (issue 16: older trackers still post): the status
 * alone maps, the id ends with an empty detail, a detail without a place or a message still reads. */
static void test_legacy_tracker(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	assert_int_equal(fx_agg_case(&adapter_easypost, "tracker_legacy", NULL, &out), 4);
	ev = fx_find_event(&out, ":2016-09-20T02:48:00Z:in_transit:");
	assert_int_equal(ev->status, EV_IN_TRANSIT);
	assert_string_equal(ev->code, "in_transit");
	assert_string_equal(ev->location.city, "MEMPHIS");
	/* no tracking_location, an empty message: the legacy description says what happened */
	ev = fx_find_event(&out, ":2016-09-22T13:05:00Z:out_for_delivery:");
	assert_int_equal(ev->status, EV_OUT_FOR_DELIVERY);
	assert_string_equal(ev->description, "Out for Delivery");
	/* the tracker's status agrees with its newest scan: no summary event */
	assert_int_equal(out.events[3].status, EV_DELIVERED);
	assert_false(out.events[3].summary);
	adapter_out_free(&out);
}

static void test_other_shapes(void **state)
{
	struct adapter_out out;
	const char *nothing[] = {
		/* events that say nothing about a parcel */
		"{\"object\":\"Event\",\"description\":\"batch.created\",\"result\":{\"object\":\"Batch\"}}",
		"{\"object\":\"Event\",\"description\":\"refund.successful\",\"result\":{\"tracking_code\":\"X\"}}",
		/* an Event as the API lists it, without result */
		"{\"object\":\"Event\",\"description\":\"tracker.created\",\"id\":\"evt_1\"}",
		"{\"object\":\"Webhook\",\"url\":\"http://example.com\"}",
		"{\"success\":true}",
		/* a tracker EasyPost has no detail for yet */
		"{\"object\":\"Tracker\",\"tracking_code\":\"EZ1\",\"status\":\"unknown\",\"tracking_details\":[]}",
		"{\"object\":\"Tracker\",\"tracking_code\":\"EZ1\",\"tracking_details\":null}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++) {
		if (fx_parse_text(&adapter_easypost, nothing[i], &out) != WERR_OK)
			fail_msg("%s: %s", nothing[i], out.reason);
		assert_int_equal(out.nevents, 0);
		adapter_out_free(&out);
	}
	/* the API's lists, and a Shipment with its tracker */
	assert_int_equal(fx_parse_text(&adapter_easypost,
				    "{\"trackers\":[{\"object\":\"Tracker\",\"id\":\"trk_a\",\"tracking_code\":\"EZ1\","
				    "\"carrier\":\"USPS\",\"tracking_details\":[{\"status\":\"pre_transit\","
				    "\"status_detail\":\"status_update\",\"datetime\":\"2025-04-09T20:40:17Z\"}]},"
				    "{\"object\":\"Tracker\",\"id\":\"trk_b\",\"tracking_code\":\"EZ2\",\"carrier\":\"DHLExpress\","
				    "\"tracking_details\":[{\"status\":\"delivered\",\"datetime\":\"2025-04-10T10:00:00Z\"}]}],"
				    "\"has_more\":false}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 2);
	assert_string_equal(out.events[0].id, "easypost:trk_a:2025-04-09T20:40:17Z:pre_transit:status_update");
	assert_int_equal(out.events[0].status, EV_LABEL_CREATED);
	assert_string_equal(out.events[0].carrier, "usps");
	assert_string_equal(out.events[1].carrier, "dhl");
	assert_string_equal(out.events[1].code, "delivered");
	assert_int_equal(out.events[1].status, EV_DELIVERED);
	adapter_out_free(&out);
	assert_int_equal(fx_parse_text(&adapter_easypost,
				    "{\"object\":\"Shipment\",\"id\":\"shp_1\",\"tracker\":{\"object\":\"Tracker\","
				    "\"tracking_code\":\"9400100000000000000000\",\"carrier\":\"USPS\",\"tracking_details\":"
				    "[{\"status\":\"in_transit\",\"status_detail\":\"arrived_at_facility\","
				    "\"datetime\":\"2025-04-10T10:00:00Z\"}]}}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 1);
	/* no tracker id: the tracking code stands in */
	assert_string_equal(out.events[0].id,
			    "easypost:9400100000000000000000:2025-04-10T10:00:00Z:in_transit:arrived_at_facility");
	adapter_out_free(&out);
}

static void test_bodies_it_cannot_read(void **state)
{
	struct adapter_out out;
	static const struct {
		const char *body, *reason;
	} bad[] = {
		{ "not json at all", "body is not JSON" },
		{ "<xml/>", "body is not JSON" },
		{ "[{\"object\":\"Tracker\"}]", "body is not a JSON object" },
		{ "", "body is empty" },
		{ "{\"object\":\"Tracker\",\"tracking_details\":[]}", "tracker has no tracking_code" },
		{ "{\"object\":\"Tracker\",\"tracking_code\":\"1Z\",\"tracking_details\":{}}",
		  "tracking_details is not an array" },
		{ "{\"object\":\"Tracker\",\"tracking_code\":\"1Z\",\"tracking_details\":[42]}",
		  "tracking_details[0] is not an object" },
		{ "{\"object\":\"Tracker\",\"tracking_code\":\"1Z\",\"tracking_details\":[{\"status\":\"delivered\"}]}",
		  "tracking_details[0]: datetime is missing or not a time" },
		{ "{\"object\":\"Tracker\",\"tracking_code\":\"1Z\",\"tracking_details\":[{\"status\":\"delivered\","
		  "\"datetime\":\"yesterday\"}]}",
		  "tracking_details[0]: datetime is missing or not a time" },
		{ "{\"trackers\":[\"trk_1\"]}", "trackers[0] is not an object" },
		{ "{\"object\":\"Tracker\",\"tracking_code\":\"12345678901234567890123456789012345678901234567890123456789"
		  "0123456\",\"tracking_details\":[]}",
		  "tracking_code is longer than 64 characters" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct adapter_env env;
		enum werr e;

		fx_env_init(&env, "easypost", true, FX_NOW_MS);
		e = fx_parse(&adapter_easypost, &env, &fx_json_request, bad[i].body, strlen(bad[i].body), &out);
		if (e != WERR_INVALID)
			fail_msg("%s: %s", bad[i].body, werr_name(e));
		assert_string_equal(out.reason, bad[i].reason);
		adapter_out_free(&out);
	}
}

static void test_long_ids_are_hashed_not_refused(void **state)
{
	struct adapter_out out;
	char body[1024];
	char detail[120];

	(void)state;
	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	snprintf(body, sizeof(body),
		 "{\"object\":\"Tracker\",\"id\":\"trk_1\",\"tracking_code\":\"1Z\",\"tracking_details\":[{\"status\":"
		 "\"in_transit\",\"status_detail\":\"%s\",\"datetime\":\"2025-04-10T10:00:00Z\"}]}",
		 detail);
	assert_int_equal(fx_parse_text(&adapter_easypost, body, &out), WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_int_equal(strncmp(out.events[0].id, "easypost:h:", 11), 0);
	assert_int_equal(strlen(out.events[0].id), 11 + 40);
	assert_int_equal(out.events[0].status, EV_IN_TRANSIT);
	adapter_out_free(&out);
}

/* Every public EasyPost payload parses: the webhook event, API answers and the client libraries' recordings. */
static void test_corpus_payloads_parse(void **state)
{
	char dir[1024];
	size_t nevents = 0;
	int files = 0;

	(void)state;
	fx_corpus_dir("easypost", dir, sizeof(dir));
	files += fx_parse_dir(&adapter_easypost, dir, fx_check_aggregator_event, &nevents);
	fx_corpus_dir("easypost/webhook_events", dir, sizeof(dir));
	files += fx_parse_dir(&adapter_easypost, dir, fx_check_aggregator_event, &nevents);
	fx_corpus_dir("easypost/api_responses", dir, sizeof(dir));
	files += fx_parse_dir(&adapter_easypost, dir, fx_check_aggregator_event, &nevents);
	fx_corpus_dir("easypost/cassette_responses", dir, sizeof(dir));
	files += fx_parse_dir(&adapter_easypost, dir, fx_check_aggregator_event, &nevents);
	print_message("easypost corpus: %d files, %zu events\n", files, nevents);
	assert_true(files >= 20);
	assert_true(nevents >= 20);
}

/* ---- shared pieces ---- */

static void test_registry(void **state)
{
	(void)state;
	assert_ptr_equal(adapter_find("easypost"), &adapter_easypost);
	assert_int_equal(adapter_easypost.kind, KIND_AGGREGATOR);
	assert_non_null(adapter_find("aftership"));
	assert_non_null(adapter_find("shippo"));
	assert_true(mappings_nrows(fx_maps, "easypost") > 10);
}

static void test_carrier_names(void **state)
{
	static const char *const cases[][2] = {
		{ "UPS", "ups" },
		{ "UPSDAP", "ups" },
		{ "FedEx", "fedex" },
		{ "FedExDefault", "fedex" },
		{ "fedex-uk", "fedex" },
		{ "USPS", "usps" },
		{ "DHLExpress", "dhl" },
		{ "dhl_express", "dhl" },
		{ "dhl-global-mail", "dhl" },
		{ "DhlEcs", "dhl" },
		{ "CanadaPost", "canada_post" },
		{ "canada-post", "canada_post" },
		{ "RoyalMail", "royal_mail" },
		{ "royal_mail", "royal_mail" },
		{ "australia-post", "australia_post" },
		{ "shippo", "shippo" },
		{ "La Poste!", "la_poste" },
		{ "  Yun--Express  ", "yun_express" },
		{ "GLS", "gls" },
		{ "dhl-us", "dhl" },
		{ "DHL Parcel UK", "dhl" },
		{ "FedEx Freight", "fedex" },
		{ "stamps_com", "usps" },
		{ "UPS Freight", "ups_freight" }, /* TForce now: not UPS's tracking */
		{ "DPD", "dpd" },
		{ "", "" },
		{ "--", "" },
	};
	char out[EV_CARRIER_MAX + 1], small[5];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(carrier_normalize(cases[i][0], out, sizeof(out)), cases[i][1]);
	assert_string_equal(carrier_normalize(NULL, out, sizeof(out)), "");
	assert_string_equal(carrier_normalize("Some Long Carrier", small, sizeof(small)), "some");
	assert_string_equal(carrier_normalize("ab cd", small, sizeof(small)), "ab_c");
	assert_string_equal(carrier_normalize("abcd efg", small, sizeof(small)), "abcd");
}

static void test_nfkd(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(nfkd_latin("whsec_ASCII-stays 123", out, sizeof(out)), WERR_OK);
	assert_string_equal(out, "whsec_ASCII-stays 123");
	assert_int_equal(nfkd_latin("s\xc3\xa9" "cret", out, sizeof(out)), WERR_OK);
	assert_string_equal(out, "se\xcc\x81" "cret");
	/* two marks from one letter (U+01D6: u, diaeresis, macron) */
	assert_int_equal(nfkd_latin("\xc7\x96", out, sizeof(out)), WERR_OK);
	assert_string_equal(out, "u\xcc\x88\xcc\x84");
	/* compatibility: U+00BD one half -> 1 U+2044 2; U+00A0 -> space; U+0133 ij -> i j */
	assert_int_equal(nfkd_latin("\xc2\xbd\xc2\xa0\xc4\xb3", out, sizeof(out)), WERR_OK);
	assert_string_equal(out, "1\xe2\x81\x84" "2 ij");
	/* canonical order: e + circumflex (230) + dot below (220) -> dot below first; and U+1EC7 the same */
	assert_int_equal(nfkd_latin("e\xcc\x82\xcc\xa3", out, sizeof(out)), WERR_OK);
	assert_string_equal(out, "e\xcc\xa3\xcc\x82");
	assert_int_equal(nfkd_latin("\xe1\xbb\x87", out, sizeof(out)), WERR_OK);
	assert_string_equal(out, "e\xcc\xa3\xcc\x82");
	/* outside the Latin range, invalid UTF-8, too small */
	assert_int_equal(nfkd_latin("\xef\xac\x81", out, sizeof(out)), WERR_UNSUPPORTED); /* U+FB01 fi */
	assert_string_equal(out, "");
	assert_int_equal(nfkd_latin("\xc3", out, sizeof(out)), WERR_INVALID);
	assert_int_equal(nfkd_latin("\xc0\xaf", out, sizeof(out)), WERR_INVALID); /* overlong */
	assert_int_equal(nfkd_latin("abcdef", out, 4), WERR_TOO_LARGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_good_bad_missing),
		cmocka_unit_test(test_signature_key_is_nfkd_of_the_secret),
		cmocka_unit_test(test_corpus_hmac_vector),
		cmocka_unit_test(test_tracker_updated),
		cmocka_unit_test(test_signed_by_only_on_delivered),
		cmocka_unit_test(test_shipment_is_return),
		cmocka_unit_test(test_tracker_status_disagreeing_with_its_scans),
		cmocka_unit_test(test_numeric_tracking_code),
		cmocka_unit_test(test_details_newest_first_give_the_same_events),
		cmocka_unit_test(test_exceptions_fallbacks_and_unknown_codes),
		cmocka_unit_test(test_legacy_tracker),
		cmocka_unit_test(test_other_shapes),
		cmocka_unit_test(test_bodies_it_cannot_read),
		cmocka_unit_test(test_long_ids_are_hashed_not_refused),
		cmocka_unit_test(test_corpus_payloads_parse),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_carrier_names),
		cmocka_unit_test(test_nfkd),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
