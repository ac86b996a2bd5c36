/* test_carriers.c - the direct-carrier parsers (adapters/ups.c, fedex.c, usps.c, dhl.c, carrier_scan.c).
 *
 * Each fixture under tests/data/<carrier>/ is a carrier response written by hand in the carrier's public
 * format; a readable one is compared line for line with <fixture>.expected.jsonl (event_to_json of every
 * event), an unreadable one with the reason it must give.  WISMO_UPDATE_EXPECTED=1 rewrites the expected
 * files (then read the diff: the expected files are the specification).  The DST instants are also checked
 * as numbers below, so that a rewritten file cannot hide a wrong zone rule. */
#include "fixture.h"

#include "adapters/carrier_scan.h"
#include "base/wtime.h"

#include <math.h>

extern const struct adapter adapter_ups, adapter_fedex, adapter_usps, adapter_dhl;

/* Carrier responses come without headers, and these parsers never look at the time. */
static void env_carrier(struct adapter_env *env, const struct adapter *a)
{
	fx_env_init(env, a->name, true, 0);
}

/* Parses tests/data/<rel>. */
static enum werr parse_file(const struct adapter *a, const char *rel, struct adapter_out *out)
{
	struct adapter_env env;
	size_t len = 0;
	char *body = fx_data_must(NULL, rel, &len);
	enum werr e;

	env_carrier(&env, a);
	e = fx_parse(a, &env, NULL, body, len, out);
	free(body);
	return e;
}

/* Parses fixture rel and compares with rel.expected.jsonl. */
static void expect_events(const struct adapter *a, const char *rel, size_t nevents)
{
	struct adapter_env env;
	const struct fx_case c = { .adapter = a, .env = &env, .name = rel };

	env_carrier(&env, a);
	assert_int_equal(fx_run_case(&c, NULL, NULL), nevents);
}

/* Parses fixture rel: no events, and rc; with WERR_INVALID the reason contains why. */
static void expect_answer(const struct adapter *a, const char *rel, enum werr rc, const char *why)
{
	struct adapter_out out;
	enum werr e = parse_file(a, rel, &out);

	if (e != rc)
		fail_msg("%s: got %s (%s), want %s", rel, werr_name(e), out.reason, werr_name(rc));
	if (why && !strstr(out.reason, why))
		fail_msg("%s: reason '%s' does not say '%s'", rel, out.reason, why);
	if (rc == WERR_OK)
		assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
}

static enum werr parse_text(const struct adapter *a, const char *text, struct adapter_out *out)
{
	struct adapter_env env;

	env_carrier(&env, a);
	return fx_parse(a, &env, NULL, text, strlen(text), out);
}

static int64_t at(const char *rfc3339)
{
	int64_t ms = 0;
	assert_int_equal(wtime_parse(rfc3339, 0, &ms), WTIME_OK);
	return ms;
}

/* ---- UPS ---- */

static void test_ups_dst(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_ups, "ups/dst.json", 8);
	/* The instants themselves: 2024-03-10 is the spring-forward night in New York. */
	assert_int_equal(parse_file(&adapter_ups, "ups/dst.json", &out), WERR_OK);
	assert_int_equal(out.events[4].occurred_at, at("2024-03-10T06:30:00Z")); /* 01:30 EST */
	assert_int_equal(out.events[3].occurred_at, at("2024-03-10T07:30:00Z")); /* 03:30 EDT */
	assert_int_equal(out.events[3].occurred_at - out.events[4].occurred_at, 3600 * 1000); /* one hour apart */
	assert_int_equal(out.events[0].occurred_at, at("2024-03-11T18:05:00Z"));  /* 14:05 EDT */
	assert_int_equal(out.events[6].occurred_at, at("2024-03-09T23:00:00Z"));  /* gmtDate/gmtTime win */
	assert_int_equal(out.events[7].occurred_at, at("2024-03-09T09:00:00Z"));  /* no zone known: as UTC */
	/* Type fallback, unknown kept, never a guess. */
	assert_int_equal(out.events[2].status, EV_EXCEPTION);
	assert_string_equal(out.events[2].code, "X/U5");
	assert_string_equal(out.events[2].description, "Severe weather conditions have delayed delivery.");
	assert_int_equal(out.events[5].status, EV_UNKNOWN);
	assert_string_equal(out.events[5].code, "NA/ZZ");
	assert_int_equal(out.events[1].status, EV_OUT_FOR_DELIVERY);
	assert_int_equal(out.events[7].status, EV_LABEL_CREATED);
	for (size_t i = 0; i < out.nevents; i++) {
		assert_string_equal(out.events[i].package, "1Z5R89390357567127");
		assert_string_equal(out.events[i].order, "");
		assert_string_equal(out.events[i].source, "ups");
		assert_int_equal(out.events[i].estimated_delivery, at("2024-03-11T00:00:00Z"));
	}
	assert_string_equal(out.events[4].id, "ups:1Z5R89390357567127:2024-03-10T06:30:00Z:I/DP");
	adapter_out_free(&out);
}

/* deliveryInformation: who took it and where it was left, on the delivered event only; its base64 images
 * are not links and are not kept; empty strings give no proof. */
static void test_ups_proof(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_ups, "ups/delivered_proof.json", 4);
	assert_int_equal(parse_file(&adapter_ups, "ups/delivered_proof.json", &out), WERR_OK);
	assert_int_equal(out.events[0].status, EV_DELIVERED);
	assert_string_equal(out.events[0].proof.signed_by, "DRIVER RELEASE");
	assert_string_equal(out.events[0].proof.left_at, "FRONT DOOR");
	assert_string_equal(out.events[0].proof.url, "");
	assert_false(out.events[0].proof.has_geo);
	for (size_t i = 1; i < out.nevents; i++) {
		assert_string_equal(out.events[i].proof.signed_by, "");
		assert_string_equal(out.events[i].proof.left_at, "");
	}
	adapter_out_free(&out);
}

static void test_ups_answers(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_answer(&adapter_ups, "ups/not_found.json", WERR_OK, NULL);
	expect_answer(&adapter_ups, "ups/auth_error.json", WERR_INVALID,
		      "ups reported error 250003: Invalid Access License number");
	expect_answer(&adapter_ups, "ups/bad_time.json", WERR_INVALID, "date/time");
	assert_int_equal(parse_text(&adapter_ups, "{\"output\": {}}", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "not a track response"));
	adapter_out_free(&out);
	assert_int_equal(parse_text(&adapter_ups, "<html>gateway timeout</html>", &out), WERR_INVALID);
	adapter_out_free(&out);
}

/* ---- FedEx ---- */

static void test_fedex_reused_number(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_fedex, "fedex/reused_number.json", 8);
	assert_int_equal(parse_file(&adapter_fedex, "fedex/reused_number.json", &out), WERR_OK);
	/* Only the newest of the two shipments that share the number. */
	for (size_t i = 0; i < out.nevents; i++) {
		assert_string_equal(out.events[i].package, "790535312317");
		assert_true(out.events[i].occurred_at >= at("2024-11-01T00:00:00Z"));
		/* The window's end, 20:00 in Fresno (PST, -8). */
		assert_int_equal(out.events[i].estimated_delivery, at("2024-11-05T04:00:00Z"));
	}
	/* A date without an offset: 02:10 in Memphis is CDT (-5) on 2 Nov 2024. */
	assert_int_equal(out.events[5].occurred_at, at("2024-11-02T07:10:00Z"));
	assert_int_equal(out.events[4].status, EV_DELIVERY_ATTEMPTED);
	assert_string_equal(out.events[4].detail, "recipient_unavailable");
	assert_string_equal(out.events[4].code, "DE/08");
	assert_int_equal(out.events[3].status, EV_EXCEPTION); /* DY/A99 falls back to DY */
	assert_string_equal(out.events[3].detail, "delayed");
	assert_int_equal(out.events[2].status, EV_UNKNOWN);
	assert_string_equal(out.events[2].code, "ZZ");
	assert_int_equal(out.events[1].status, EV_AVAILABLE_FOR_PICKUP);
	assert_int_equal(out.events[7].status, EV_LABEL_CREATED);
	adapter_out_free(&out);
}

/* deliveryDetails: signedByName before receivedByName, locationDescription; on the newest delivered event of
 * each number. */
static void test_fedex_proof(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_fedex, "fedex/delivered_proof.json", 4);
	assert_int_equal(parse_file(&adapter_fedex, "fedex/delivered_proof.json", &out), WERR_OK);
	assert_int_equal(out.events[0].status, EV_DELIVERED);
	assert_string_equal(out.events[0].proof.signed_by, "PNGUYEN");
	assert_string_equal(out.events[0].proof.left_at, "Receptionist/Front Desk");
	assert_string_equal(out.events[1].proof.signed_by, "");
	assert_string_equal(out.events[1].proof.left_at, "");
	assert_string_equal(out.events[3].package, "794843185282");
	assert_string_equal(out.events[3].proof.signed_by, "");
	assert_string_equal(out.events[3].proof.left_at, "Front Door");
	assert_string_equal(out.events[3].proof.url, "");
	adapter_out_free(&out);
}

static void test_fedex_answers(void **state)
{
	(void)state;
	expect_answer(&adapter_fedex, "fedex/not_found.json", WERR_OK, NULL);
	expect_answer(&adapter_fedex, "fedex/error.json", WERR_INVALID,
		      "fedex reported error TRACKING.TRACKINGNUMBER.EMPTY: Please provide tracking number.");
}

/* A scan without a place (issue 16, local times): read in the parcel's destination, else its origin, and
 * the event says so; UPS from packageAddress[], FedEx from the recipient's and shipper's addresses. */
static void test_scans_without_a_place(void **state)
{
	struct adapter_out out;

	(void)state;
	assert_int_equal(parse_text(&adapter_fedex,
				    "{\"output\":{\"completeTrackResults\":[{\"trackingNumber\":\"794644790138\","
				    "\"trackResults\":[{\"recipientInformation\":{\"address\":{\"countryCode\":\"DE\"}},"
				    "\"shipperInformation\":{\"address\":{\"countryCode\":\"US\"}},\"scanEvents\":["
				    "{\"date\":\"2026-07-01T10:00:00\",\"eventType\":\"AR\",\"eventDescription\":\"At local facility\"},"
				    "{\"date\":\"2026-07-01T08:00:00\",\"eventType\":\"DP\",\"eventDescription\":\"Left FedEx origin\","
				    "\"scanLocation\":{\"countryCode\":\"US\",\"stateOrProvinceCode\":\"TN\"}}]}]}]}}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 2);
	assert_int_equal(out.events[0].occurred_at, at("2026-07-01T08:00:00Z")); /* 10:00 CEST: the destination */
	assert_string_equal(out.events[0].description,
			    "At local facility (local time read in DE, the parcel's destination)");
	assert_int_equal(out.events[1].occurred_at, at("2026-07-01T13:00:00Z")); /* its own place: Memphis, CDT */
	assert_string_equal(out.events[1].description, "Left FedEx origin");
	adapter_out_free(&out);
	assert_int_equal(parse_text(&adapter_ups,
				    "{\"trackResponse\":{\"shipment\":[{\"package\":[{\"trackingNumber\":\"1Z5R89390357567127\","
				    "\"packageAddress\":[{\"type\":\"ORIGIN\",\"address\":{\"countryCode\":\"FR\"}}],"
				    "\"activity\":[{\"date\":\"20260105\",\"time\":\"120000\",\"status\":{\"type\":\"M\","
				    "\"code\":\"MP\",\"description\":\"Label created\"}}]}]}]}}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.events[0].occurred_at, at("2026-01-05T11:00:00Z")); /* 12:00 CET: the origin */
	assert_string_equal(out.events[0].description, "Label created (local time read in FR, the parcel's origin)");
	adapter_out_free(&out);
}

/* Answers of retired APIs still in use (issue 16, versions): refused with a reason that names them, not
 * "not a JSON object"; other XML is still "not a JSON object". */
static void test_retired_xml_apis_are_named(void **state)
{
	static const struct {
		const struct adapter *a;
		const char *body, *why;
	} cases[] = {
		{ &adapter_usps, "<?xml version=\"1.0\"?><TrackResponse><TrackInfo ID=\"9400\"/></TrackResponse>",
		  "usps: an XML answer is the retired Web Tools API (TrackResponse)" },
		{ &adapter_ups, "<TrackResponse><Response><ResponseStatusCode>1</ResponseStatusCode></Response></TrackResponse>",
		  "ups: an XML answer is UPS's retired XML tracking API" },
		{ &adapter_fedex, "<soapenv:Envelope><soapenv:Body><v14:TrackReply><v14:HighestSeverity>SUCCESS"
				  "</v14:HighestSeverity></v14:TrackReply></soapenv:Body></soapenv:Envelope>",
		  "fedex: an XML answer is FedEx's retired Web Services (SOAP) tracking" },
		{ &adapter_fedex, "<wrapper/>", "fedex: body is not a JSON object" },
	};
	struct adapter_out out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_text(cases[i].a, cases[i].body, &out), WERR_INVALID);
		if (!strstr(out.reason, cases[i].why))
			fail_msg("case %zu: '%s' does not say '%s'", i, out.reason, cases[i].why);
		adapter_out_free(&out);
	}
}

/* ---- USPS ---- */

static void test_usps_track(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_usps, "usps/track.json", 5);
	assert_int_equal(parse_file(&adapter_usps, "usps/track.json", &out), WERR_OK);
	assert_int_equal(out.events[0].occurred_at, at("2024-11-05T18:58:40Z")); /* GMTTimestamp */
	assert_int_equal(out.events[1].occurred_at, at("2024-11-04T15:00:00Z")); /* eventTimestamp + GMTOffset */
	/* 2024-11-03 01:30 happens twice in New York: the first (EDT) is taken. */
	assert_int_equal(out.events[3].occurred_at, at("2024-11-03T05:30:00Z"));
	assert_int_equal(out.events[4].occurred_at, at("2024-11-01T16:00:00Z")); /* PDT in CA */
	assert_int_equal(out.events[1].status, EV_EXCEPTION);
	assert_string_equal(out.events[1].detail, "address_issue");
	assert_int_equal(out.events[1].action_required, 1);
	assert_int_equal(out.events[2].status, EV_UNKNOWN); /* no eventCode: eventType is the code */
	assert_string_equal(out.events[2].code, "Arrived at Hub");
	assert_int_equal(out.events[4].status, EV_LABEL_CREATED);
	adapter_out_free(&out);
}

static void test_usps_answers(void **state)
{
	(void)state;
	expect_answer(&adapter_usps, "usps/not_found.json", WERR_OK, NULL);
	expect_answer(&adapter_usps, "usps/auth_error.json", WERR_INVALID,
		      "usps reported error invalid_client: Client authentication failed.");
	expect_answer(&adapter_usps, "usps/bad_request.json", WERR_INVALID, "usps reported error 400");
	expect_answer(&adapter_usps, "ups/dst.json", WERR_INVALID, "no trackingNumber");
}

/* ---- DHL ---- */

static void test_dhl_unified(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_dhl, "dhl/unified.json", 5);
	assert_int_equal(parse_file(&adapter_dhl, "dhl/unified.json", &out), WERR_OK);
	assert_string_equal(out.events[0].package, "3318810025"); /* a numeric id, exact */
	/* 02:30 on 27 Oct 2024 happens twice in Germany: the first (CEST, +2). */
	assert_int_equal(out.events[3].occurred_at, at("2024-10-27T00:30:00Z"));
	assert_int_equal(out.events[1].occurred_at, at("2024-10-27T13:00:00Z")); /* CET after the change */
	assert_int_equal(out.events[2].status, EV_EXCEPTION);
	assert_int_equal(out.events[1].status, EV_UNKNOWN);
	assert_string_equal(out.events[1].code, "unknown");
	assert_string_equal(out.events[1].description, "Status update");
	assert_int_equal(out.events[4].status, EV_LABEL_CREATED);
	adapter_out_free(&out);
}

/* A local time without its place: read in the destination's zone (else the
 * origin's), and the event says so; with neither, UTC and said too. */
/* proofOfDelivery: signed.name (else given and family name), the document's link before the signature's,
 * and a link that is not https dropped, not the event. */
static void test_dhl_unified_proof(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_dhl, "dhl/unified_proof.json", 3);
	assert_int_equal(parse_file(&adapter_dhl, "dhl/unified_proof.json", &out), WERR_OK);
	assert_int_equal(out.events[0].status, EV_DELIVERED);
	assert_string_equal(out.events[0].proof.signed_by, "Anna Schr\xC3\xB6" "der");
	assert_string_equal(out.events[0].proof.url, "https://proof.dhl.example/pod/00340434161094042557.pdf");
	assert_string_equal(out.events[1].proof.signed_by, "");
	assert_string_equal(out.events[1].proof.url, "");
	assert_string_equal(out.events[2].proof.signed_by, "Jonas Weber");
	assert_string_equal(out.events[2].proof.url, "https://proof.dhl.example/signature/00340434161094042564.png");
	adapter_out_free(&out);

	/* only an http link: no url, the rest of the proof and the event kept */
	assert_int_equal(parse_text(&adapter_dhl,
				    "{\"shipments\": [{\"id\": \"JJD0099\", \"details\": {\"proofOfDelivery\": "
				    "{\"documentUrl\": \"http://x.example/p\", \"signed\": {\"name\": \"K\"}}}, \"events\": "
				    "[{\"timestamp\": \"2024-05-14T12:10:00+02:00\", \"statusCode\": \"delivered\"}]}]}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_string_equal(out.events[0].proof.url, "");
	assert_string_equal(out.events[0].proof.signed_by, "K");
	adapter_out_free(&out);
}

static void test_dhl_local_time_without_place(void **state)
{
	struct adapter_out out;
	(void)state;

	assert_int_equal(fx_parse_text(&adapter_dhl,
				       "{\"shipments\":[{\"id\":\"1234567890\",\"destination\":{\"address\":"
				       "{\"countryCode\":\"DE\"}},\"origin\":{\"address\":{\"countryCode\":\"US\"}},"
				       "\"events\":[{\"timestamp\":\"2024-07-01T10:00:00\",\"statusCode\":\"transit\","
				       "\"description\":\"In transit\"}]}]}",
				       &out),
			 WERR_OK);
	assert_int_equal(out.events[0].occurred_at, at("2024-07-01T08:00:00Z")); /* CEST */
	assert_string_equal(out.events[0].description, "In transit (local time read in DE, the parcel's destination)");
	adapter_out_free(&out);
	assert_int_equal(fx_parse_text(&adapter_dhl,
				       "{\"shipments\":[{\"id\":\"1234567890\",\"events\":[{\"timestamp\":"
				       "\"2024-07-01T10:00:00\",\"statusCode\":\"transit\",\"description\":\"In transit\"}]}]}",
				       &out),
			 WERR_OK);
	assert_int_equal(out.events[0].occurred_at, at("2024-07-01T10:00:00Z"));
	assert_string_equal(out.events[0].description, "In transit (local time, zone unknown: read as UTC)");
	adapter_out_free(&out);
}

static void test_dhl_mydhl(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_dhl, "dhl/mydhl.json", 5);
	assert_int_equal(parse_file(&adapter_dhl, "dhl/mydhl.json", &out), WERR_OK);
	assert_int_equal(out.events[0].occurred_at, at("2024-06-12T02:02:00Z")); /* GMTOffset +09:00 */
	assert_int_equal(out.events[1].occurred_at, at("2024-06-11T23:15:00Z")); /* "Tokyo-JP": Asia/Tokyo */
	assert_string_equal(out.events[1].location.city, "Tokyo");
	assert_string_equal(out.events[1].location.country, "JP");
	assert_int_equal(out.events[2].status, EV_EXCEPTION);
	assert_string_equal(out.events[2].detail, "customs_hold");
	assert_int_equal(out.events[2].action_required, 1);
	assert_int_equal(out.events[4].status, EV_IN_TRANSIT);
	adapter_out_free(&out);
}

static void test_dhl_express_xml(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_events(&adapter_dhl, "dhl/express.xml", 5);
	assert_int_equal(parse_file(&adapter_dhl, "dhl/express.xml", &out), WERR_OK);
	assert_string_equal(out.events[1].description, "Departed from DHL facility in Barcelona - Spain");
	assert_string_equal(out.events[2].description, "Checkpoint <new> & unlisted");
	assert_int_equal(out.events[2].status, EV_UNKNOWN);
	assert_string_equal(out.events[3].description, "With delivery courier \xE2\x80\x93 Milan");
	assert_int_equal(out.events[0].occurred_at, at("2024-06-10T11:26:00Z")); /* Barcelona-ES: CEST */
	assert_int_equal(out.events[1].occurred_at, at("2024-06-10T20:01:00Z")); /* "Spain": the name, CEST */
	assert_int_equal(out.events[4].estimated_delivery, at("2024-06-12T16:59:00Z"));
	assert_int_equal(out.events[4].status, EV_DELIVERED);
	adapter_out_free(&out);
}

static void test_dhl_answers(void **state)
{
	struct adapter_out out;

	(void)state;
	expect_answer(&adapter_dhl, "dhl/not_found.json", WERR_OK, NULL);
	expect_answer(&adapter_dhl, "dhl/unauthorized.json", WERR_INVALID,
		      "dhl reported error 401: Unauthorized: Invalid API key.");
	expect_answer(&adapter_dhl, "dhl/express_error.xml", WERR_INVALID,
		      "dhl reported error 111: Error Parsing incoming request XML: 'Password' is too short");
	expect_answer(&adapter_dhl, "dhl/truncated.xml", WERR_INVALID, "not well-formed");
	expect_answer(&adapter_dhl, "dhl/doctype.xml", WERR_INVALID, "DOCTYPE");
	assert_int_equal(parse_text(&adapter_dhl, "<a><b></a></b>", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "mismatched end tag"));
	adapter_out_free(&out);
	assert_int_equal(parse_text(&adapter_dhl, "<Other/>", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "not an XML-PI TrackingResponse"));
	adapter_out_free(&out);
	assert_int_equal(parse_text(&adapter_dhl, "<a>&bogus;</a>", &out), WERR_INVALID);
	adapter_out_free(&out);
	assert_int_equal(parse_text(&adapter_dhl, "{\"shipments\": [{\"id\": 1.5, \"events\": []}]}", &out),
			 WERR_INVALID);
	adapter_out_free(&out);
	assert_int_equal(parse_text(&adapter_dhl, "[1, 2]", &out), WERR_INVALID);
	adapter_out_free(&out);
}

/* Deeply nested XML is refused, not a stack overflow. */
static void test_dhl_xml_depth(void **state)
{
	struct adapter_out out;
	struct buf b = BUF_INIT;

	(void)state;
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_puts(&b, "<a>"), WERR_OK);
	assert_int_equal(parse_text(&adapter_dhl, b.p, &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "too deep"));
	adapter_out_free(&out);
	buf_release(&b);
}

/* ---- shared ---- */

/* The proof rules every adapter shares (adapter.h). */
static void test_proof_rules(void **state)
{
	struct event_proof pr;
	char longurl[EV_URL_MAX + 2];

	(void)state;
	memset(&pr, 0, sizeof(pr));
	assert_false(adapter_proof_url(&pr, "http://a.example/p"));
	assert_false(adapter_proof_url(&pr, "ftp://a.example/p"));
	assert_false(adapter_proof_url(&pr, "https://"));
	assert_false(adapter_proof_url(&pr, "https://a.example/p q"));
	assert_false(adapter_proof_url(&pr, "https://a.example/\n"));
	assert_false(adapter_proof_url(&pr, ""));
	assert_false(adapter_proof_url(&pr, NULL));
	assert_string_equal(pr.url, "");
	assert_true(adapter_proof_url(&pr, "HTTPS://a.example/P"));
	assert_string_equal(pr.url, "https://a.example/P");
	/* a link that would be cut is dropped whole: the one before stays */
	memset(longurl, 'a', sizeof(longurl) - 1);
	memcpy(longurl, "https://", 8);
	longurl[sizeof(longurl) - 1] = '\0';
	assert_false(adapter_proof_url(&pr, longurl));
	assert_string_equal(pr.url, "https://a.example/P");
	longurl[EV_URL_MAX] = '\0';
	assert_true(adapter_proof_url(&pr, longurl));
	assert_int_equal(strlen(pr.url), EV_URL_MAX);

	assert_false(adapter_proof_geo(&pr, 90.5, 10));
	assert_false(adapter_proof_geo(&pr, 10, -180.5));
	assert_false(adapter_proof_geo(&pr, NAN, 10));
	assert_false(pr.has_geo);
	assert_true(adapter_proof_geo(&pr, -90, 180));
	assert_true(pr.has_geo);
	assert_true(pr.lat == -90 && pr.lng == 180);
}

static void test_long_text_is_cut_at_a_character(void **state)
{
	char dst[8];

	(void)state;
	carrier_scan_text(dst, sizeof(dst), "  a\n\tb  ");
	assert_string_equal(dst, "a b");
	carrier_scan_text(dst, sizeof(dst), "abcdef\xC3\xA9"); /* é would straddle the cut */
	assert_string_equal(dst, "abcdef");
	carrier_scan_text(dst, sizeof(dst), "abcd\xE2\x80\x93z"); /* a whole 3-byte – fits */
	assert_string_equal(dst, "abcd\xE2\x80\x93");
	carrier_scan_text(dst, sizeof(dst), NULL);
	assert_string_equal(dst, "");
}

static void test_every_code_row_is_a_known_word(void **state)
{
	/* Loading the tables already refuses a bad status word; this checks that they are there and
	 * non-trivial, so a misnamed file is not silently an empty table. */
	(void)state;
	assert_true(mappings_nrows(fx_maps, "ups") >= 12);
	assert_true(mappings_nrows(fx_maps, "fedex") >= 40);
	assert_true(mappings_nrows(fx_maps, "usps") >= 50);
	assert_true(mappings_nrows(fx_maps, "dhl") >= 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ups_dst),
		cmocka_unit_test(test_ups_proof),
		cmocka_unit_test(test_ups_answers),
		cmocka_unit_test(test_fedex_reused_number),
		cmocka_unit_test(test_fedex_proof),
		cmocka_unit_test(test_fedex_answers),
		cmocka_unit_test(test_scans_without_a_place),
		cmocka_unit_test(test_retired_xml_apis_are_named),
		cmocka_unit_test(test_usps_track),
		cmocka_unit_test(test_usps_answers),
		cmocka_unit_test(test_dhl_unified),
		cmocka_unit_test(test_dhl_unified_proof),
		cmocka_unit_test(test_dhl_local_time_without_place),
		cmocka_unit_test(test_dhl_mydhl),
		cmocka_unit_test(test_dhl_express_xml),
		cmocka_unit_test(test_dhl_answers),
		cmocka_unit_test(test_dhl_xml_depth),
		cmocka_unit_test(test_proof_rules),
		cmocka_unit_test(test_long_text_is_cut_at_a_character),
		cmocka_unit_test(test_every_code_row_is_a_known_word),
	};
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
