/*
 * test_woocommerce.c - the WooCommerce adapter (adapters/woocommerce.c).
 *
 * Fixture tests are data: tests/data/woocommerce/<case>.json is a
 * hand-written order webhook body and <case>.expected.jsonl the exact events
 * (event_to_json() lines; empty when the body yields nothing).  Every fixture
 * is parsed twice (same ids, same bytes) and, where the body is an order,
 * once more without headers (the topic inferred from the body).  WISMO_UPDATE_EXPECTED=1
 * rewrites the expected files after a deliberate change.
 */
#include "fixture.h"


extern const struct adapter adapter_woocommerce;

/* --- harness (the shared part is fixture.h) --------------------------------- */

static enum werr run(const char *body, size_t len, const char *topic, struct adapter_out *out)
{
	struct adapter_env env;
	const struct fx_hdrs h = { { "X-WC-Webhook-Topic", "X-WC-Webhook-Resource" }, { topic, "order" } };
	const struct hook_request rq = { .header = fx_hdr_get, .hctx = &h };

	fx_env_init(&env, "woocommerce", true, 0);
	return fx_parse(&adapter_woocommerce, &env, topic ? &rq : NULL, body, len, out);
}

static void render(const struct adapter_out *out, struct buf *b)
{
	for (size_t i = 0; i < out->nevents; i++) {
		assert_int_equal(event_to_json(&out->events[i], false, b), WERR_OK);
		buf_putc(b, '\n');
	}
	assert_int_equal(out->naliases, 0); /* every body names its order */
}

static void check_rules(const struct adapter_out *out)
{
	for (size_t i = 0; i < out->nevents; i++) {
		const struct event *ev = &out->events[i];
		assert_true(ev->id[0]);
		assert_string_equal(ev->source, "woocommerce");
		assert_true(ev->occurred_at > 0);
		assert_true(ev->order[0]);
		assert_false(ev->ref[0]);
		if (ev_status_is_order_level(ev->status))
			assert_false(ev->package[0]);
		if (ev_status_needs_package(ev->status))
			assert_true(ev->package[0]);
		if (ev->status == EV_UNKNOWN)
			assert_true(ev->code[0]);
		/* a storefront's "completed" is never a carrier's word */
		assert_true(ev->status == EV_LABEL_CREATED || ev->status == EV_UNKNOWN ||
			    ev_status_is_order_level(ev->status) || ev->status == EV_CANCELLED);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ev->id, out->events[j].id);
	}
}

/* --- fixtures ---------------------------------------------------------------- */

struct fx {
	const char *name;
	const char *topic;
	bool infer; /* the body is an order: no headers must give the same */
};

static void check_out(const struct fx_case *c, const struct adapter_out *out)
{
	(void)c;
	check_rules(out);
}

/* The fixture against its expected file; parsed again (same ids, same bytes) and, where the body is an
 * order, without headers (the topic inferred from the body). */
static void test_fixture(void **state)
{
	const struct fx *fx = *state;
	struct adapter_env env;
	const struct fx_hdrs h = { { "X-WC-Webhook-Topic", "X-WC-Webhook-Resource" }, { fx->topic, "order" } };
	const struct hook_request rq = { .header = fx_hdr_get, .hctx = &h };
	const struct fx_case c = { .adapter = &adapter_woocommerce, .env = &env, .rq = fx->topic ? &rq : NULL,
				   .dir = "woocommerce", .name = fx->name, .ext = ".json", .check = check_out,
				   .render = render, .again = true, .bare = fx->infer };

	fx_env_init(&env, "woocommerce", true, 0);
	fx_run_case(&c, NULL, NULL);
}

static const struct fx fx_created = { "order_created", "order.created", true };
static const struct fx fx_completed = { "order_completed_tracking", "order.updated", true };
static const struct fx fx_partial = { "order_partial_refund", "order.updated", true };
static const struct fx fx_refunded = { "order_refunded", "order.updated", true };
static const struct fx fx_cancelled = { "order_cancelled", "order.updated", true };
static const struct fx fx_pending = { "order_pending", "order.created", true };
static const struct fx fx_failed = { "order_failed", "order.updated", true };
static const struct fx fx_custom = { "order_custom_status", "order.updated", true };
static const struct fx fx_on_hold = { "order_on_hold_local_times", "order.created", true };
static const struct fx fx_trash = { "order_deleted_trash", "order.deleted", true };
static const struct fx fx_deleted = { "order_deleted_id_only", "order.deleted", false };
static const struct fx fx_draft = { "order_checkout_draft", "order.created", true };
static const struct fx fx_ping = { "ping", NULL, false };
static const struct fx fx_legacy = { "legacy_v3_order", "order.updated", true };

static void parse_fixture(const struct fx *fx, struct adapter_out *out)
{
	size_t len;
	char *body = fx_dataf(&len, "woocommerce/%s.json", fx->name);
	assert_non_null(body);
	assert_int_equal(run(body, len, fx->topic, out), WERR_OK);
	free(body);
}

static const struct event *find(const struct adapter_out *out, const char *id)
{
	for (size_t i = 0; i < out->nevents; i++)
		if (!strcmp(out->events[i].id, id))
			return &out->events[i];
	fail_msg("no event '%s'", id);
	return NULL;
}

/* --- what the fixtures must show, spelled out -------------------------------- */

static void test_completed_is_not_shipped(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	parse_fixture(&fx_completed, &out);
	assert_int_equal(out.nevents, 4); /* placed, completed, two labels */
	ev = find(&out, "wc_order:7311:completed");
	assert_int_equal(ev->status, EV_CONFIRMED);
	assert_string_equal(ev->detail, "completed");
	assert_string_equal(ev->order, "WC-7311");
	ev = find(&out, "wc_order:7311:tracking:1Z12345E0205271688:label_created");
	assert_int_equal(ev->status, EV_LABEL_CREATED);
	assert_string_equal(ev->carrier, "ups");
	assert_int_equal(ev->occurred_at, 1710115200000LL);
	ev = find(&out, "wc_order:7311:tracking:7023210039414604:label_created");
	assert_string_equal(ev->carrier, "canada_post");
	assert_int_equal(ev->occurred_at, 1710201600000LL);
	/* first name from shipping when billing has none; never the street */
	assert_string_equal(out.events[0].customer.name, "Margaret");
	assert_string_equal(out.events[0].customer.postal_code, "02139");
	adapter_out_free(&out);
}

static void test_refunds(void **state)
{
	struct adapter_out out;
	const struct event *ev;

	(void)state;
	parse_fixture(&fx_partial, &out);
	ev = find(&out, "wc_order:7312:refund:7401");
	assert_int_equal(ev->status, EV_REFUNDED);
	assert_string_equal(ev->detail, "partial");
	assert_string_equal(ev->description, "one mug chipped");
	assert_string_equal(ev->package, "");
	adapter_out_free(&out);

	/* refunds adding up to the total: one full refund, no partial ones */
	parse_fixture(&fx_refunded, &out);
	assert_int_equal(out.nevents, 2);
	ev = find(&out, "wc_order:7313:refunded");
	assert_int_equal(ev->status, EV_REFUNDED);
	assert_string_equal(ev->detail, "full");
	adapter_out_free(&out);

	/* the same refunds while the status still says processing */
	static const char body[] =
		"{\"id\":9,\"number\":\"9\",\"status\":\"processing\",\"date_created_gmt\":\"2024-03-09T16:00:00\","
		"\"total\":\"40.00\",\"refunds\":[{\"id\":1,\"total\":\"-15.00\"},{\"id\":2,\"total\":\"-25.00\"}]}";
	assert_int_equal(run(body, strlen(body), "order.updated", &out), WERR_OK);
	assert_int_equal(out.nevents, 3);
	ev = find(&out, "wc_order:9:refunded");
	assert_string_equal(ev->detail, "full");
	adapter_out_free(&out);
}

static void test_local_times_and_numbers(void **state)
{
	struct adapter_out out;

	(void)state;
	parse_fixture(&fx_on_hold, &out);
	/* no *_gmt: the site-local time read as UTC; a numeric number is read as text */
	assert_string_equal(out.events[0].order, "7318");
	assert_int_equal(out.events[0].occurred_at, 1710072000000LL); /* 2024-03-10T12:00:00Z */
	assert_string_equal(out.events[0].items[0].sku, "product:190");
	assert_int_equal(out.nevents, 2);
	assert_int_equal(out.events[1].status, EV_PLACED);
	assert_string_equal(out.events[1].detail, "on_hold");
	adapter_out_free(&out);
}

static void test_item_names(void **state)
{
	/* WordPress stores names HTML-escaped; a literal '&' and unknown or
	 * invalid entities stay as they are */
	static const char body[] =
		"{\"id\":8,\"status\":\"pending\",\"date_created_gmt\":\"2024-03-09T16:00:00\",\"line_items\":["
		"{\"id\":1,\"sku\":\"A\",\"quantity\":1,\"name\":\"Tom &amp; Jerry&#8217;s &#x1F600; mug\"},"
		"{\"id\":2,\"sku\":\"B\",\"quantity\":1,\"name\":\"R&D &bogus; &#0; &#xD800; &;\"},"
		"{\"id\":3,\"sku\":\"C\",\"quantity\":0,\"name\":\"removed line\"},"
		"{\"id\":4,\"sku\":\"\",\"product_id\":0,\"variation_id\":0,\"quantity\":2}]}";
	struct adapter_out out;

	(void)state;
	assert_int_equal(run(body, strlen(body), "order.created", &out), WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_int_equal(out.events[0].nitems, 3);
	assert_string_equal(out.events[0].items[0].name, "Tom & Jerry\xe2\x80\x99s \xf0\x9f\x98\x80 mug");
	assert_string_equal(out.events[0].items[1].name, "R&D &bogus; &#0; &#xD800; &;");
	assert_string_equal(out.events[0].items[2].sku, "line_item:4");
	assert_int_equal(out.events[0].items[2].quantity, 2);
	adapter_out_free(&out);
}

static void test_nothing_to_say(void **state)
{
	static const struct {
		const char *body, *topic;
	} cases[] = {
		{ "{\"webhook_id\": 17}", NULL },
		{ "{\"webhook_id\": 17}", "order.created" },
		{ "webhook_id=17", NULL },
		{ "{\"id\": 7320}", "order.deleted" },
		{ "{\"id\": 55, \"name\": \"Widget\", \"status\": \"publish\"}", "product.updated" },
		{ "{\"id\": 7321, \"number\": \"7321\", \"status\": \"checkout-draft\"}", "order.created" },
	};
	struct adapter_out out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run(cases[i].body, strlen(cases[i].body), cases[i].topic, &out), WERR_OK);
		assert_int_equal(out.nevents, 0);
		adapter_out_free(&out);
	}
}

/* --- the status table, row by row ---------------------------------------------- */

static void test_status_rows(void **state)
{
	/* From WooCommerce's order statuses, not from the .tsv. */
	static const struct {
		const char *code, *status, *detail;
	} rows[] = {
		{ "pending", NULL, NULL }, /* placed: nothing beyond the placed event */
		{ "on-hold", "placed", "on_hold" },
		{ "failed", "placed", "payment_failed" },
		{ "processing", "confirmed", "" },
		{ "completed", "confirmed", "completed" },
		{ "cancelled", "cancelled", "" },
		{ "refunded", "refunded", "full" },
		{ "trash", "unknown", "source_unknown" }, /* on purpose: not in the unmapped queue */
		{ "Processing", "unknown", "" },
		{ "wc-shipped", "unknown", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char body[512], id[64];
		struct adapter_out out;
		int n = snprintf(body, sizeof(body),
				 "{\"id\":42,\"number\":\"42\",\"status\":\"%s\",\"date_created_gmt\":"
				 "\"2024-03-09T16:00:00\",\"date_modified_gmt\":\"2024-03-09T17:00:00\"}", rows[i].code);
		assert_int_equal(run(body, (size_t)n, "order.updated", &out), WERR_OK);
		assert_int_equal(out.events[0].status, EV_PLACED);
		assert_string_equal(out.events[0].id, "wc_order:42:placed");
		if (!rows[i].status) {
			assert_int_equal(out.nevents, 1);
		} else {
			assert_int_equal(out.nevents, 2);
			assert_string_equal(ev_status_name(out.events[1].status), rows[i].status);
			assert_string_equal(out.events[1].detail, rows[i].detail);
			assert_string_equal(out.events[1].code, rows[i].code);
			snprintf(id, sizeof(id), "wc_order:42:%s", rows[i].code);
			assert_string_equal(out.events[1].id, id);
			assert_int_equal(out.events[1].occurred_at, 1710003600000LL); /* date_modified_gmt */
		}
		adapter_out_free(&out);
	}
}

/* --- bodies it refuses -------------------------------------------------------- */

static void expect_invalid(const char *body, const char *topic, const char *reason_part)
{
	struct adapter_out out;

	assert_int_equal(run(body, strlen(body), topic, &out), WERR_INVALID);
	if (!strstr(out.reason, reason_part))
		fail_msg("reason '%s' lacks '%s'", out.reason, reason_part);
	adapter_out_free(&out);
}

static void test_bad_bodies(void **state)
{
	(void)state;
	expect_invalid("<html>nope</html>", "order.created", "not JSON");
	expect_invalid("", "order.created", "not JSON");
	expect_invalid("webhook_id=17&x=1", NULL, "not JSON");
	expect_invalid("\"order\"", "order.created", "not a JSON object");
	expect_invalid("{\"number\":\"1\",\"status\":\"processing\"}", "order.created", "'id' is missing");
	expect_invalid("{\"id\":1,\"number\":\"1\"}", "order.created", "'status' is missing");
	expect_invalid("{\"id\":1,\"status\":\"processing\"}", "order.created", "'date_created_gmt' is missing");
	expect_invalid("{\"id\":1,\"status\":\"processing\",\"date_created_gmt\":\"yesterday\"}", "order.created",
		       "'date_created_gmt' is not a time");
	expect_invalid("{\"id\":1e300,\"status\":\"processing\"}", "order.created", "below 2^53");
	expect_invalid("{\"id\":1,\"status\":\"processing\",\"date_created_gmt\":\"2024-03-09T16:00:00\","
		       "\"total\":\"5.00\",\"refunds\":[{\"id\":3}]}", "order.updated", "refund");
	expect_invalid("{\"id\":1,\"status\":\"processing\",\"date_created_gmt\":\"2024-03-09T16:00:00\","
		       "\"meta_data\":[{\"key\":\"_wc_shipment_tracking_items\",\"value\":\"1Z\"}]}",
		       "order.updated", "_wc_shipment_tracking_items");
	expect_invalid("{\"name\":\"not an order\"}", NULL, "no X-WC-Webhook-Topic");
	/* the legacy API's list is named as what it is, not as a missing id */
	expect_invalid("{\"orders\":[{\"id\":1}]}", "order.updated", "legacy REST API list of orders");
	expect_invalid("{\"order\":{\"order_number\":1,\"status\":\"processing\"}}", "order.updated", "'id' is missing");
}

/* Every prefix of every fixture, with and without a topic: the adapter
 * answers OK or INVALID with a reason, and never reads past the body (the
 * sanitizer build checks that). */
static void test_truncated_bodies(void **state)
{
	const struct fx *all[] = { &fx_created, &fx_completed, &fx_partial, &fx_refunded, &fx_on_hold };

	(void)state;
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		struct adapter_env env;
		const struct fx_hdrs h = { { "X-WC-Webhook-Topic", "X-WC-Webhook-Resource" }, { all[k]->topic, "order" } };
		const struct hook_request rq = { .header = fx_hdr_get, .hctx = &h };
		size_t len;
		char *body = fx_dataf(&len, "woocommerce/%s.json", all[k]->name);

		assert_non_null(body);
		fx_env_init(&env, "woocommerce", true, 0);
		fx_every_prefix(&adapter_woocommerce, &env, &rq, body, len);
		free(body);
	}
}

/* --- signatures -------------------------------------------------------------- */

/* Computed with: printf '%s' BODY | openssl dgst -sha256 -hmac wc-secret -binary | base64 */
static const char sig_body[] = "{\"id\":7310,\"status\":\"processing\"}";
static const char sig_good[] = "7Ck7ehMbZr8+Iy0F9Y+kbyeVPXnGlpddUOBjO1aGEkw=";

static enum werr verify(const char *body, const char *sig, const char *secret, char *why, size_t cap)
{
	struct fx_hdrs h = { { "X-WC-Webhook-Signature", "X-WC-Webhook-Topic" }, { sig, "order.updated" } };
	struct hook_request rq = { .body = body, .len = strlen(body), .header = fx_hdr_get, .hctx = &h };
	why[0] = '\0';
	return adapter_woocommerce.verify(&rq, secret, 0, why, cap);
}

static void test_signature(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(verify(sig_body, sig_good, "wc-secret", why, sizeof(why)), WERR_OK);
	assert_int_equal(verify(sig_body, "8Ck7ehMbZr8+Iy0F9Y+kbyeVPXnGlpddUOBjO1aGEkw=", "wc-secret", why,
				sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	assert_int_equal(verify(sig_body, sig_good, "other", why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify("{\"id\":7310,\"status\":\"completed\"}", sig_good, "wc-secret", why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	assert_int_equal(verify(sig_body, NULL, "wc-secret", why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing X-WC-Webhook-Signature");
	assert_int_equal(verify(sig_body, sig_good, "", why, sizeof(why)), WERR_UNAUTHORIZED);
	/* WooCommerce's unsigned first ping, and only that exact body */
	assert_int_equal(verify("webhook_id=17", NULL, "wc-secret", why, sizeof(why)), WERR_OK);
	assert_int_equal(verify("webhook_id=17&status=processing", NULL, "wc-secret", why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	assert_int_equal(verify("{\"webhook_id\":17}", NULL, "wc-secret", why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_int_equal(verify("webhook_id=", NULL, "wc-secret", why, sizeof(why)), WERR_UNAUTHORIZED);
}

static void test_registry(void **state)
{
	(void)state;
	assert_ptr_equal(adapter_find("woocommerce"), &adapter_woocommerce);
	assert_int_equal(adapter_woocommerce.kind, KIND_STOREFRONT);
	assert_true(mappings_nrows(fx_maps, "woocommerce_order_status") > 0);
}

/* --- main -------------------------------------------------------------------- */

#define FIXTURE(fx) { "fixture " #fx, test_fixture, NULL, NULL, (void *)&(fx) }

int main(void)
{
	const struct CMUnitTest tests[] = {
		FIXTURE(fx_created),
		FIXTURE(fx_completed),
		FIXTURE(fx_partial),
		FIXTURE(fx_refunded),
		FIXTURE(fx_cancelled),
		FIXTURE(fx_pending),
		FIXTURE(fx_failed),
		FIXTURE(fx_custom),
		FIXTURE(fx_on_hold),
		FIXTURE(fx_trash),
		FIXTURE(fx_deleted),
		FIXTURE(fx_draft),
		FIXTURE(fx_ping),
		FIXTURE(fx_legacy),
		cmocka_unit_test(test_completed_is_not_shipped),
		cmocka_unit_test(test_refunds),
		cmocka_unit_test(test_local_times_and_numbers),
		cmocka_unit_test(test_item_names),
		cmocka_unit_test(test_nothing_to_say),
		cmocka_unit_test(test_status_rows),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_truncated_bodies),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
