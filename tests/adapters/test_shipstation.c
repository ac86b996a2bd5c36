/* test_shipstation.c - the ShipStation adapter (adapters/shipstation.c): tokens and signatures, SHIP_NOTIFY
 * and ORDER_NOTIFY through a fetch stub that serves fixtures from disk, shipments posted directly, voided
 * labels, Pacific times across both DST changes, and the public V1 bodies of ../shared/corpora.
 *
 * Each case parses tests/data/shipstation/<case>.json and compares the events, one event_to_json() line
 * each, with <case>.expected.jsonl.  WISMO_UPDATE_EXPECTED=1 rewrites the expected files (then read the
 * diff: the expected files are the specification). */
#include "fixture.h"

#include <dirent.h>

extern const struct adapter adapter_shipstation;

static char *fixture(const char *name, size_t *len)
{
	return fx_data("shipstation", name, len);
}

/* ---- the fetch stub: resource_url -> a fixture file ---- */

struct stub {
	const char *url[4], *file[4];
	char asked[4][512];
	int nasked;
	enum werr fail; /* answer every fetch with this error */
};

static enum werr stub_fetch(void *fctx, const char *url, struct buf *out, char *why, size_t whycap)
{
	struct stub *s = fctx;

	if (s->nasked < 4)
		snprintf(s->asked[s->nasked], sizeof(s->asked[0]), "%s", url);
	s->nasked++;
	if (s->fail) {
		snprintf(why, whycap, "ssapi.shipstation.com answered 429");
		return s->fail;
	}
	for (int i = 0; i < 4 && s->url[i]; i++)
		if (!strcmp(s->url[i], url)) {
			size_t len;
			char *body = fixture(s->file[i], &len);
			enum werr e;
			assert_non_null(body);
			e = buf_append(out, body, len);
			free(body);
			return e;
		}
	snprintf(why, whycap, "no fixture for '%s'", url);
	return WERR_NOT_FOUND;
}

/* ---- running a case ---- */

static void env_init(struct adapter_env *env, bool with_zones, struct stub *stub)
{
	fx_env_init(env, "shipstation", with_zones, FX_NOW_MS);
	if (stub) {
		env->fetch = stub_fetch;
		env->fctx = stub;
	}
}

/* The rules every adapter's events follow (adapter.h). */
static void check_event(const struct event *ev)
{
	assert_string_equal(ev->source, "shipstation");
	assert_true(ev->id[0] != '\0');
	assert_true(ev->occurred_at > 0);
	assert_true(ev->order[0] || ev->ref[0] || ev->package[0]);
	if (ev_status_is_order_level(ev->status))
		assert_string_equal(ev->package, "");
	if (ev_status_needs_package(ev->status))
		assert_true(ev->package[0] != '\0');
	assert_true(ev->code[0] != '\0');
}

static enum werr parse_body(const struct adapter_env *env, const char *body, size_t len, struct adapter_out *out)
{
	return fx_parse(&adapter_shipstation, env, &fx_json_request, body, len, out);
}

static void check_out(const struct fx_case *c, const struct adapter_out *out)
{
	(void)c;
	for (size_t i = 0; i < out->nevents; i++)
		check_event(&out->events[i]);
}

/* Each parse starts with a stub that has not been asked yet. */
static void stub_reset(const struct adapter_env *env)
{
	if (env->fctx)
		((struct stub *)env->fctx)->nasked = 0;
}

/* Parses <name>.json and compares with expected (NULL: <name>.expected.jsonl); then the same body parsed
 * again gives the same events (ids are stable). */
static void run_case(const char *name, const char *expected, bool with_zones, struct stub *stub)
{
	struct adapter_env env;
	const struct fx_case c = { .adapter = &adapter_shipstation, .env = &env, .rq = &fx_json_request,
				   .dir = "shipstation", .name = name, .ext = ".json", .expected = expected,
				   .check = check_out, .again = true, .before_again = stub_reset };

	env_init(&env, with_zones, stub);
	fx_run_case(&c, NULL, NULL);
}

static enum werr parse_text(const char *text, bool with_zones, struct stub *stub, struct adapter_out *out)
{
	struct adapter_env env;

	env_init(&env, with_zones, stub);
	return parse_body(&env, text, strlen(text), out);
}

/* ---- verify ---- */

static enum werr verify(const struct fx_hdrs *h, const char *body, int64_t now_ms, char *why, size_t cap)
{
	struct hook_request rq = { .body = body, .len = strlen(body), .header = fx_hdr_get, .hctx = h };

	why[0] = '\0';
	return adapter_shipstation.verify(&rq, "s3cret-token", now_ms, why, cap);
}

static void test_token_header_and_query_token(void **state)
{
	const char *body = "{\"resource_url\":\"x\",\"resource_type\":\"SHIP_NOTIFY\"}";
	struct fx_hdrs good = { { "x-shipstation-token" }, { "s3cret-token" } };
	struct fx_hdrs query = { { "X-Wismo-Query-Token" }, { "s3cret-token" } };
	struct fx_hdrs bad = { { "X-Shipstation-Token" }, { "s3cret-tokem" } };
	struct fx_hdrs prefix = { { "X-Shipstation-Token" }, { "s3cret" } };
	struct fx_hdrs empty = { { "X-Shipstation-Token" }, { "" } };
	struct fx_hdrs bad_query = { { "X-Wismo-Query-Token" }, { "nope" } };
	/* a wrong token is refused even next to a right one */
	struct fx_hdrs mixed = { { "X-Shipstation-Token", "X-Wismo-Query-Token" }, { "s3cret-token", "nope" } };
	struct fx_hdrs none = { { NULL }, { NULL } };
	char why[200];

	(void)state;
	assert_int_equal(verify(&good, body, 0, why, sizeof(why)), WERR_OK);
	assert_int_equal(verify(&query, body, 0, why, sizeof(why)), WERR_OK);
	assert_int_equal(verify(&bad, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "X-Shipstation-Token does not match the secret");
	assert_int_equal(verify(&prefix, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify(&empty, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify(&bad_query, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "token in the hook url does not match the secret");
	assert_int_equal(verify(&mixed, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify(&none, body, 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing X-Shipstation-Token (or ?token= in the hook url) or X-Wismo-Signature");
	{
		/* no header callback at all (wismo parse) */
		struct hook_request rq = { .body = body, .len = strlen(body) };
		assert_int_equal(adapter_shipstation.verify(&rq, "s3cret-token", 0, why, sizeof(why)),
				 WERR_UNAUTHORIZED);
		/* no secret configured: refused whatever is presented */
		rq.header = fx_hdr_get;
		rq.hctx = &good;
		assert_int_equal(adapter_shipstation.verify(&rq, "", 0, why, sizeof(why)), WERR_UNAUTHORIZED);
	}
}

static void test_generic_signature_is_accepted(void **state)
{
	const char *body = "{\"shipmentId\":1}";
	int64_t now = 1710000000000LL;
	char ts[24], sig[80], why[200];
	struct fx_hdrs h = { { "X-Wismo-Timestamp", "X-Wismo-Signature" }, { ts, sig } };

	(void)state;
	sig_generic_sign("s3cret-token", body, strlen(body), now, ts, sig);
	assert_int_equal(verify(&h, body, now + 1000, why, sizeof(why)), WERR_OK);
	/* stale */
	assert_int_equal(verify(&h, body, now + (SIG_GENERIC_WINDOW_S + 1) * 1000LL, why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	/* another body */
	assert_int_equal(verify(&h, "{\"shipmentId\":2}", now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	/* a timestamp alone */
	h.name[1] = NULL;
	assert_int_equal(verify(&h, body, now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing X-Wismo-Signature");
}

/* ---- webhooks ---- */

static void test_ship_notify_reads_every_page(void **state)
{
	struct stub stub = {
		.url = { "https://ssapi.shipstation.com/shipments?storeID=12345&batchId=9911&includeShipmentItems=True",
			 "https://ssapi.shipstation.com/shipments?storeID=12345&batchId=9911&includeShipmentItems=True&page=2" },
		.file = { "ship_notify.page1.json", "ship_notify.page2.json" },
	};

	(void)state;
	run_case("ship_notify", NULL, true, &stub);
	assert_int_equal(stub.nasked, 2);
	assert_string_equal(stub.asked[1], stub.url[1]);
}

static void test_ship_notify_aliases_order_ids(void **state)
{
	struct stub stub = {
		.url = { "https://ssapi.shipstation.com/shipments?storeID=12345&batchId=9911&includeShipmentItems=True",
			 "https://ssapi.shipstation.com/shipments?storeID=12345&batchId=9911&includeShipmentItems=True&page=2" },
		.file = { "ship_notify.page1.json", "ship_notify.page2.json" },
	};
	struct adapter_out out;
	char *body = fixture("ship_notify.json", NULL);

	(void)state;
	assert_int_equal(parse_text(body, true, &stub, &out), WERR_OK);
	assert_int_equal(out.naliases, 2);
	assert_string_equal(out.aliases[0].ref, "shipstation:order:54320001");
	assert_string_equal(out.aliases[0].order, "1001");
	assert_string_equal(out.aliases[1].ref, "shipstation:order:54320002");
	assert_string_equal(out.aliases[1].order, "1002");
	adapter_out_free(&out);
	free(body);
}

static void test_page_parameter_is_replaced(void **state)
{
	/* a resource_url that already names a page gets that parameter replaced, not doubled */
	struct stub stub = {
		.url = { "https://ssapi.shipstation.com/shipments?page=1&batchId=9911",
			 "https://ssapi.shipstation.com/shipments?batchId=9911&page=2" },
		.file = { "ship_notify.page1.json", "ship_notify.page2.json" },
	};
	struct adapter_out out;

	(void)state;
	assert_int_equal(parse_text("{\"resource_url\":\"https://ssapi.shipstation.com/shipments?page=1&batchId=9911\","
				    "\"resource_type\":\"ITEM_SHIP_NOTIFY\"}",
				    true, &stub, &out),
			 WERR_OK);
	assert_int_equal(stub.nasked, 2);
	assert_int_equal(out.nevents, 4);
	adapter_out_free(&out);
}

static void test_order_notify(void **state)
{
	struct stub stub = {
		.url = { "https://ssapi.shipstation.com/orders?storeID=12345&importBatch=1ab23c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d" },
		.file = { "order_notify.orders.json" },
	};

	(void)state;
	run_case("order_notify", NULL, true, &stub);
	assert_int_equal(stub.nasked, 1);
}

static void test_webhook_without_fetch_is_a_failed_fetch(void **state)
{
	struct adapter_out out;
	char *body = fixture("ship_notify.json", NULL);

	(void)state;
	assert_int_equal(parse_text(body, true, NULL, &out), WERR_IO); /* a fetch that cannot be made: 502, the source retries */
	assert_string_equal(out.reason,
			    "SHIP_NOTIFY needs resource_url fetched, and no ShipStation API access is configured");
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
	free(body);
}

static void test_fetch_error_is_passed_on(void **state)
{
	struct stub stub = { .fail = WERR_BUSY };
	struct adapter_out out;
	char *body = fixture("ship_notify.json", NULL);

	(void)state;
	assert_int_equal(parse_text(body, true, &stub, &out), WERR_BUSY);
	assert_string_equal(out.reason, "fetching resource_url page 1: ssapi.shipstation.com answered 429");
	adapter_out_free(&out);
	free(body);
}

static void test_webhook_edge_cases(void **state)
{
	struct stub stub = { .url = { "https://x/shipments?batchId=1" }, .file = { "order_notify.orders.json" } };
	struct adapter_out out;

	(void)state;
	/* a rejected dropship fulfillment: nothing to fetch, nothing to say */
	assert_int_equal(parse_text("{\"resource_url\":\"https://x/f\",\"resource_type\":\"FULFILLMENT_REJECTED\"}",
				    true, &stub, &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 0);
	assert_int_equal(stub.nasked, 0);
	adapter_out_free(&out);
	assert_int_equal(parse_text("{\"resource_url\":\"https://x/f\",\"resource_type\":\"NEW_THING\"}", true, &stub,
				    &out),
			 WERR_INVALID);
	assert_string_equal(out.reason, "unknown resource_type 'NEW_THING'");
	adapter_out_free(&out);
	/* the V2 API's and ShipEngine's webhooks are named as what they are (issue 16), and nothing is fetched */
	{
		static const char *const v2[][2] = {
			{ "v2_track_event.json", "TRACK_EVENT_V2" },
			{ "v2_label_created.json", "LABEL_CREATED_V2" },
			{ "v2_api_track.json", "API_TRACK" },
		};
		for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
			size_t len = 0;
			char *body = fx_data("shipstation", v2[i][0], &len), want[256];

			assert_non_null(body);
			assert_int_equal(parse_text(body, true, &stub, &out), WERR_INVALID);
			snprintf(want, sizeof(want),
				 "a ShipStation API V2 / ShipEngine webhook ('%s') is not read: subscribe this url to the "
				 "V1 webhooks (SHIP_NOTIFY, ORDER_NOTIFY, FULFILLMENT_SHIPPED) instead",
				 v2[i][1]);
			assert_string_equal(out.reason, want);
			assert_int_equal(out.nevents, 0);
			adapter_out_free(&out);
			free(body);
		}
		assert_int_equal(stub.nasked, 0);
	}
	/* the resource does not list what the type promised */
	assert_int_equal(parse_text("{\"resource_url\":\"https://x/shipments?batchId=1\",\"resource_type\":\"SHIP_NOTIFY\"}",
				    true, &stub, &out),
			 WERR_INVALID);
	assert_string_equal(out.reason, "resource_url page 1 has no 'shipments' list");
	adapter_out_free(&out);
	assert_int_equal(parse_text("{\"resource_url\":42,\"resource_type\":\"SHIP_NOTIFY\"}", true, &stub, &out),
			 WERR_INVALID);
	adapter_out_free(&out);
}

/* ---- shipments posted directly ---- */

static void test_direct_shipment(void **state)
{
	(void)state;
	run_case("shipment_direct", NULL, true, NULL);
}

static void test_two_shipments_one_order(void **state)
{
	(void)state;
	run_case("multi_package", NULL, true, NULL);
}

static void test_voided_labels(void **state)
{
	(void)state;
	run_case("voided", NULL, true, NULL);
}

/* 2024-03-10: 01:30 PST is 09:30Z; 03:30 PDT, an hour of wall clock later, is 10:30Z (02:00-03:00 does not
 * exist that night).  Seven fractional digits keep their milliseconds. */
static void test_pacific_times_across_dst(void **state)
{
	struct adapter_out out;
	char *body = fixture("dst.json", NULL);

	(void)state;
	run_case("dst", NULL, true, NULL);
	assert_int_equal(parse_text(body, true, NULL, &out), WERR_OK);
	assert_int_equal(out.nevents, 4);
	assert_int_equal(out.events[1].occurred_at, 1710063000123LL); /* 2024-03-10T09:30:00.123Z */
	assert_int_equal(out.events[3].occurred_at, 1710066600987LL); /* 2024-03-10T10:30:00.987Z */
	adapter_out_free(&out);
	/* without a zone table: read as UTC, and the description says so */
	run_case("dst", "dst.utc.expected.jsonl", false, NULL);
	free(body);
}

static void test_return_label_is_skipped(void **state)
{
	(void)state;
	run_case("return_label", NULL, true, NULL);
}

static void test_shipment_naming_only_the_order_id(void **state)
{
	(void)state;
	run_case("order_id_only", NULL, true, NULL);
}

static void test_unreadable_bodies(void **state)
{
	static const struct {
		const char *body, *reason;
	} cases[] = {
		{ "not json", "body is not JSON" },
		{ "[1,2]", "body is not a JSON object" },
		{ "{\"success\":true,\"message\":\"Order held successfully.\"}",
		  "not a ShipStation webhook, shipment or order" },
		{ "{\"shipmentId\":1.5,\"createDate\":\"2024-01-01T00:00:00.0000000\"}",
		  "shipment shipmentId is not a whole number" },
		{ "{\"shipmentId\":7,\"orderNumber\":\"1\",\"createDate\":\"yesterday\",\"trackingNumber\":\"1Z\"}",
		  "shipment 7: createDate 'yesterday' is not a time" },
		{ "{\"shipmentId\":7,\"orderNumber\":\"1\",\"createDate\":\"2024-01-01T00:00:00.0000000\","
		  "\"trackingNumber\":\"1Z\",\"voidDate\":\"soon\"}",
		  "shipment 7: voidDate 'soon' is not a time" },
		{ "{\"shipments\":{}}", "'shipments' is not an array" },
		{ "{\"shipments\":[{\"shipmentId\":8,\"orderNumber\":\"1\",\"createDate\":\"2024-01-01T00:00:00\","
		  "\"trackingNumber\":\"1Z\",\"shipmentItems\":[{\"sku\":\"A\",\"quantity\":-1}]}]}",
		  "shipment 8: item quantity is not a whole number" },
		{ "{\"orderId\":5,\"orderNumber\":\"1\",\"orderStatus\":\"shipped\"}", "order 1 has no date at all" },
		{ "{\"orderId\":5,\"orderNumber\":\"1\",\"orderDate\":\"2024-01-01T00:00:00\"}",
		  "not a ShipStation webhook, shipment or order" },
		{ "{\"orderStatus\":\"shipped\",\"orderDate\":\"2024-01-01T00:00:00\"}",
		  "an order has neither orderNumber nor orderId" },
	};
	struct adapter_out out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_text(cases[i].body, true, NULL, &out), WERR_INVALID);
		assert_string_equal(out.reason, cases[i].reason);
		adapter_out_free(&out);
	}
}

/* A create-label response has no time: rejected with that reason rather than given a made-up one. */
static void test_label_response_without_time_is_refused(void **state)
{
	struct adapter_out out;
	char *body = fixture("label_response.json", NULL);

	(void)state;
	assert_int_equal(parse_text(body, true, NULL, &out), WERR_INVALID);
	assert_string_equal(out.reason, "shipment 81235200 has neither createDate nor shipDate: no time for the label");
	adapter_out_free(&out);
	free(body);
}

/* ---- conformance: the V1 bodies of ../shared/corpora/shipstation ---- */

/* Order- or shipment-shaped: what ShipStation sends or /orders and /shipments list. */
static bool shaped(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	bool yes = cJSON_IsObject(j) &&
		   (cJSON_GetObjectItem(j, "orders") || cJSON_GetObjectItem(j, "shipments") ||
		    cJSON_GetObjectItem(j, "orderStatus") ||
		    (cJSON_GetObjectItem(j, "shipmentId") &&
		     (cJSON_GetObjectItem(j, "createDate") || cJSON_GetObjectItem(j, "shipDate"))));
	cJSON_Delete(j);
	return yes;
}

static void test_corpora_bodies_parse(void **state)
{
	char dir[1024];
	DIR *d;
	struct dirent *de;
	int parsed = 0, events = 0;

	(void)state;
	fx_corpus_dir("shipstation", dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		skip();
	while ((de = readdir(d))) {
		char path[2048];
		size_t len;
		char *text;
		struct adapter_out out;
		enum werr e;

		if (!strstr(de->d_name, ".json") || !strcmp(de->d_name, "webhook-note.json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		text = fx_slurp(path, &len);
		assert_non_null(text);
		if (!shaped(text)) {
			free(text);
			continue;
		}
		e = parse_text(text, true, NULL, &out);
		if (e)
			fail_msg("%s: %s", de->d_name, out.reason);
		assert_true(out.nevents > 0);
		for (size_t i = 0; i < out.nevents; i++) {
			check_event(&out.events[i]);
			/* ShipStation never says the carrier has a parcel */
			assert_false(out.events[i].status == EV_IN_TRANSIT || out.events[i].status == EV_DELIVERED);
		}
		parsed++;
		events += (int)out.nevents;
		adapter_out_free(&out);
		free(text);
	}
	closedir(d);
	print_message("shipstation corpora: %d bodies parsed, %d events\n", parsed, events);
	assert_true(parsed >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_header_and_query_token),
		cmocka_unit_test(test_generic_signature_is_accepted),
		cmocka_unit_test(test_ship_notify_reads_every_page),
		cmocka_unit_test(test_ship_notify_aliases_order_ids),
		cmocka_unit_test(test_page_parameter_is_replaced),
		cmocka_unit_test(test_order_notify),
		cmocka_unit_test(test_webhook_without_fetch_is_a_failed_fetch),
		cmocka_unit_test(test_fetch_error_is_passed_on),
		cmocka_unit_test(test_webhook_edge_cases),
		cmocka_unit_test(test_direct_shipment),
		cmocka_unit_test(test_two_shipments_one_order),
		cmocka_unit_test(test_voided_labels),
		cmocka_unit_test(test_pacific_times_across_dst),
		cmocka_unit_test(test_return_label_is_skipped),
		cmocka_unit_test(test_shipment_naming_only_the_order_id),
		cmocka_unit_test(test_unreadable_bodies),
		cmocka_unit_test(test_label_response_without_time_is_refused),
		cmocka_unit_test(test_corpora_bodies_parse),
	};
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
