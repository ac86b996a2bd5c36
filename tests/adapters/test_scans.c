/* test_scans.c - the warehouse scan feed (adapters/scans.c): the generic signature, JSON lines and CSV
 * (RFC 4180 quoting, CRLF, a header row), local times across a DST change, unknown codes, and the
 * all-or-nothing rule for malformed lines.
 *
 * Each good case parses tests/data/scans/<file> and compares the events, one event_to_json() line each,
 * with <file>.expected.jsonl.  WISMO_UPDATE_EXPECTED=1 rewrites the expected files (then read the diff:
 * the expected files are the specification). */
#include "fixture.h"

extern const struct adapter adapter_scans;

static enum werr parse_body(const char *body, size_t len, const char *content_type, bool with_zones,
			    struct adapter_out *out)
{
	struct adapter_env env;
	const struct hook_request rq = { .content_type = content_type };

	fx_env_init(&env, "scans", with_zones, 0);
	return fx_parse(&adapter_scans, &env, &rq, body, len, out);
}

static void check_event(const struct event *ev)
{
	assert_string_equal(ev->source, "scans");
	assert_true(!strncmp(ev->id, "scan:", 5));
	assert_true(ev->occurred_at > 0);
	assert_true(ev->order[0] || ev->ref[0] || ev->package[0]);
	if (ev_status_is_order_level(ev->status))
		assert_string_equal(ev->package, "");
	if (ev_status_needs_package(ev->status))
		assert_true(ev->package[0] != '\0');
	assert_true(ev->code[0] != '\0');
}

static void check_out(const struct fx_case *c, const struct adapter_out *out)
{
	(void)c;
	for (size_t i = 0; i < out->nevents; i++)
		check_event(&out->events[i]);
}

/* tests/data/scans/<file> against <file>.expected.jsonl. */
static void run_case(const char *file, const char *content_type)
{
	struct adapter_env env;
	const struct hook_request rq = { .content_type = content_type };
	const struct fx_case c = { .adapter = &adapter_scans, .env = &env, .rq = &rq, .dir = "scans", .name = file,
				   .check = check_out };

	fx_env_init(&env, "scans", true, 0);
	fx_run_case(&c, NULL, NULL);
}

static void expect_invalid(const char *file, const char *content_type, const char *reason)
{
	struct adapter_out out;
	size_t len;
	char *body = fx_data_must("scans", file, &len);

	assert_int_equal(parse_body(body, len, content_type, true, &out), WERR_INVALID);
	assert_string_equal(out.reason, reason);
	adapter_out_free(&out);
	free(body);
}

/* ---- signature ---- */

static enum werr verify(const char *ts, const char *sig, const char *body, int64_t now_ms, char *why, size_t cap)
{
	struct fx_hdrs h = { { "X-Wismo-Timestamp", "X-Wismo-Signature" }, { ts, sig } };
	struct hook_request rq = { .body = body, .len = strlen(body), .header = fx_hdr_get, .hctx = &h };

	if (!ts) {
		h.name[0] = "X-None";
		h.value[0] = NULL;
	}
	why[0] = '\0';
	return adapter_scans.verify(&rq, "feed-secret", now_ms, why, cap);
}

static void test_signature(void **state)
{
	const char *body = "{\"scan_id\":\"1\",\"order\":\"1\",\"event\":\"picked\",\"time\":\"2024-05-01T09:00:00Z\"}\n";
	int64_t now = 1714554000000LL;
	char ts[24], sig[80], why[200];

	(void)state;
	sig_generic_sign("feed-secret", body, strlen(body), now, ts, sig);
	/* good, a little later, a little earlier (clocks differ) */
	assert_int_equal(verify(ts, sig, body, now, why, sizeof(why)), WERR_OK);
	assert_int_equal(verify(ts, sig, body, now + 299000, why, sizeof(why)), WERR_OK);
	assert_int_equal(verify(ts, sig, body, now - 299000, why, sizeof(why)), WERR_OK);
	/* bad: one byte of the body changed, or of the signature */
	assert_int_equal(verify(ts, sig, "{\"scan_id\":\"2\"}", now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	sig[10] = sig[10] == 'a' ? 'b' : 'a';
	assert_int_equal(verify(ts, sig, body, now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	assert_int_equal(verify(ts, "deadbeef", body, now, why, sizeof(why)), WERR_UNAUTHORIZED);
	/* missing */
	assert_int_equal(verify(NULL, sig, body, now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing X-Wismo-Timestamp");
	assert_int_equal(verify(ts, NULL, body, now, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "missing X-Wismo-Signature");
	/* stale: a replay six minutes later; and a timestamp from the future */
	sig_generic_sign("feed-secret", body, strlen(body), now, ts, sig);
	assert_int_equal(verify(ts, sig, body, now + 301000, why, sizeof(why)), WERR_UNAUTHORIZED);
	assert_string_equal(why, "X-Wismo-Timestamp is more than 300 s away from now");
	assert_int_equal(verify(ts, sig, body, now - 301000, why, sizeof(why)), WERR_UNAUTHORIZED);
	/* no header callback at all */
	{
		struct hook_request rq = { .body = body, .len = strlen(body) };
		assert_int_equal(adapter_scans.verify(&rq, "feed-secret", now, why, sizeof(why)), WERR_UNAUTHORIZED);
	}
}

/* ---- formats ---- */

static void test_jsonl(void **state)
{
	(void)state;
	run_case("scans.jsonl", "application/x-ndjson");
}

/* Without a content type the body's first byte tells JSON lines from CSV. */
static void test_jsonl_sniffed_and_jsonl_type(void **state)
{
	struct adapter_out a, b;
	size_t len;
	char *body = fx_data_must("scans", "scans.jsonl", &len);

	(void)state;
	assert_int_equal(parse_body(body, len, NULL, true, &a), WERR_OK);
	assert_int_equal(parse_body(body, len, "application/jsonl; charset=utf-8", true, &b), WERR_OK);
	assert_int_equal(a.nevents, 10);
	assert_int_equal(b.nevents, 10);
	adapter_out_free(&a);
	adapter_out_free(&b);
	free(body);
}

/* Return scans: a return parcel's barcode at the returns dock, the
 * inspection and the disposition (from the code's row or its column). */
static void test_returns(void **state)
{
	struct adapter_out out;
	size_t len;
	char *body = fx_data_must("scans", "returns.jsonl", &len);

	(void)state;
	run_case("returns.jsonl", "application/x-ndjson");
	assert_int_equal(parse_body(body, len, NULL, true, &out), WERR_OK);
	assert_int_equal(out.nevents, 4);
	assert_int_equal(out.events[0].status, EV_RETURN_RECEIVED);
	assert_string_equal(out.events[0].package, "1ZRETURN0001");
	assert_string_equal(out.events[0].order, "");
	assert_int_equal(out.events[1].status, EV_RETURN_INSPECTING);
	assert_string_equal(out.events[1].return_id, "R-1001-1");
	assert_string_equal(out.events[2].disposition, "restock");
	assert_string_equal(out.events[3].disposition, "refurbish");
	assert_string_equal(out.events[3].return_reason, "damaged");
	adapter_out_free(&out);
	free(body);
	/* a disposition wismo does not know is refused, naming the line */
	body = strdup("{\"order\":\"1\",\"event\":\"return_disposed\",\"disposition\":\"burn\","
		      "\"time\":\"2024-03-20T15:05:00Z\"}\n");
	assert_int_equal(parse_body(body, strlen(body), NULL, true, &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "line 1: disposition 'burn'"));
	adapter_out_free(&out);
	free(body);
}

static void test_csv_quoted_commas_and_crlf(void **state)
{
	(void)state;
	run_case("scans.csv", "text/csv");
}

static void test_csv_sniffed_barcode_only(void **state)
{
	(void)state;
	run_case("barcode_only.csv", NULL);
}

/* 2024-03-10 in California: 01:30 PST is 09:30Z, 03:30 PDT is 10:30Z; without a zone, UTC and a note. */
static void test_local_times_across_dst(void **state)
{
	const char *body =
		"{\"scan_id\":\"d1\",\"order\":\"9\",\"event\":\"packed\",\"time\":\"2024-03-10T01:30:00.1234567\","
		"\"region\":\"CA\",\"country\":\"US\"}\n"
		"{\"scan_id\":\"d2\",\"order\":\"9\",\"event\":\"labelled\",\"time\":\"2024-03-10 03:30:00\","
		"\"region\":\"CA\",\"country\":\"US\"}\n";
	struct adapter_out out;

	(void)state;
	assert_int_equal(parse_body(body, strlen(body), NULL, true, &out), WERR_OK);
	assert_int_equal(out.nevents, 2);
	assert_int_equal(out.events[0].occurred_at, 1710063000123LL);
	assert_int_equal(out.events[1].occurred_at, 1710066600000LL);
	assert_string_equal(out.events[0].description, "packed");
	adapter_out_free(&out);
	assert_int_equal(parse_body(body, strlen(body), NULL, false, &out), WERR_OK);
	assert_int_equal(out.events[0].occurred_at, 1710034200123LL); /* 01:30:00.123Z */
	assert_string_equal(out.events[0].description, "packed; local time, zone unknown: read as UTC");
	adapter_out_free(&out);
}

static void test_unknown_code_is_unknown(void **state)
{
	const char *body = "scan_id,order,event,time\nU-1,55,teleported,2024-05-01T09:00:00Z\n";
	struct adapter_out out;

	(void)state;
	assert_int_equal(parse_body(body, strlen(body), "text/csv", true, &out), WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_int_equal(out.events[0].status, EV_UNKNOWN);
	assert_string_equal(out.events[0].code, "teleported");
	assert_string_equal(out.events[0].order, "55");
	assert_string_equal(out.events[0].package, "");
	adapter_out_free(&out);
}

static void test_empty_feeds(void **state)
{
	struct adapter_out out;

	(void)state;
	assert_int_equal(parse_body("", 0, "text/csv", true, &out), WERR_OK);
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
	assert_int_equal(parse_body("order,event,time\r\n", 18, NULL, true, &out), WERR_OK);
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
	assert_int_equal(parse_body("\n\n", 2, "application/x-ndjson", true, &out), WERR_OK);
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
}

/* ---- all or nothing ---- */

static void test_malformed_csv(void **state)
{
	(void)state;
	/* line 2 holds a quoted line break, so the bad row is on line 5 */
	expect_invalid("bad_quote.csv", "text/csv", "line 5: 'x' after a closing quote (a quote inside a field is written \"\")");
	expect_invalid("bad_fields.csv", "text/csv", "line 3: 3 fields, the header row has 4");
	expect_invalid("unterminated.csv", "text/csv", "line 2: quoted field never closed");
	expect_invalid("bare_quote.csv", NULL, "line 3: a quote inside an unquoted field");
}

static void test_malformed_jsonl(void **state)
{
	(void)state;
	expect_invalid("bad.jsonl", "application/x-ndjson", "line 3: not one JSON object");
}

static void test_bad_scans(void **state)
{
	static const struct {
		const char *body, *reason;
	} cases[] = {
		{ "{\"order\":\"1\",\"time\":\"2024-05-01T09:00:00Z\"}", "line 1: no event" },
		{ "{\"order\":\"1\",\"event\":\"picked\"}", "line 1: no time" },
		{ "{\"order\":\"1\",\"event\":\"picked\",\"time\":\"May 1st\"}",
		  "line 1: time 'May 1st' is not an RFC 3339 time" },
		{ "{\"event\":\"picked\",\"time\":\"2024-05-01T09:00:00Z\",\"scanner\":\"S\"}",
		  "line 1: a scan needs an order or a barcode" },
		{ "{\"order\":\"#\",\"event\":\"picked\",\"time\":\"2024-05-01T09:00:00Z\"}",
		  "line 1: a scan needs an order or a barcode" },
		{ "\n{\"order\":1.5,\"event\":\"picked\",\"time\":\"2024-05-01T09:00:00Z\"}",
		  "line 2: order is not a whole number below 2^53" },
		{ "{\"order\":\"1\",\"barcode\":9400111899561704681189,\"event\":\"picked\",\"time\":\"2024-05-01T09:00:00Z\"}",
		  "line 1: barcode must be a string" },
		{ "[{\"order\":\"1\"}]", "line 1: a JSON array: send one JSON object per line (JSON lines)" },
		{ "order,time\n1,2024-05-01T09:00:00Z\n",
		  "line 1: not JSON lines, and not a CSV header row with columns event, time and order or barcode" },
		{ "order,event,time,Order\n", "line 1: column 'order' appears twice" },
		{ "{\"order\":\"1\",\"event\":\"picked\",\"time\":\"2024-05-01T09:00:00Z\"}\n{\"order\":\"1\",\"event\":\"packed\",\"time\":\"2024-05-01T09:00:00Z\"}\0x",
		  "line 2: a NUL byte" },
	};
	struct adapter_out out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].body);
		if (strstr(cases[i].reason, "NUL"))
			len += 2;
		assert_int_equal(parse_body(cases[i].body, len, NULL, true, &out), WERR_INVALID);
		if (strcmp(out.reason, cases[i].reason))
			fail_msg("case %zu: got '%s', want '%s'", i, out.reason, cases[i].reason);
		adapter_out_free(&out);
	}
}

/* A package status needs a barcode: only reachable through a user's table, so tested with one. */
static void test_package_status_from_user_table(void **state)
{
	static const char table[] = "voided\tcancelled\nlabel_printed\tlabel_created\n";
	struct mappings *m = mappings_new();
	struct adapter_env env = { .source = "scans", .zones = fx_zones };
	const char *ok = "order,barcode,event,time\n7,1Z1,label_printed,2024-05-01T09:00:00Z\n"
			 "7,1Z1,voided,2024-05-01T09:05:00Z\n7,,voided,2024-05-01T09:06:00Z\n";
	const char *bad = "order,barcode,event,time\n7,,label_printed,2024-05-01T09:00:00Z\n";
	struct hook_request rq = { .body = ok, .len = strlen(ok), .content_type = "text/csv" };
	struct adapter_out out = { 0 };
	char err[200];

	(void)state;
	assert_int_equal(mappings_add_text(m, "scans", table, strlen(table), "t", err, sizeof(err)), WERR_OK);
	env.maps = m;
	assert_int_equal(adapter_scans.parse(&env, &rq, &out), WERR_OK);
	assert_int_equal(out.nevents, 3);
	assert_int_equal(out.events[0].status, EV_LABEL_CREATED);
	assert_string_equal(out.events[0].package, "1Z1");
	assert_int_equal(out.events[1].status, EV_CANCELLED);
	assert_string_equal(out.events[1].package, "1Z1");
	/* cancelled without a barcode is the order's */
	assert_int_equal(out.events[2].status, EV_CANCELLED);
	assert_string_equal(out.events[2].package, "");
	adapter_out_free(&out);
	rq.body = bad;
	rq.len = strlen(bad);
	assert_int_equal(adapter_scans.parse(&env, &rq, &out), WERR_INVALID);
	assert_string_equal(out.reason, "line 2: event 'label_printed' means label_created, which needs a barcode");
	adapter_out_free(&out);
	mappings_free(m);
}

/* The shop's own milestones by name (docs/milestones.md): a code the table
 * does not have but the configuration names is that milestone, about the
 * order (the barcode is not its package); one neither knows stays unknown. */
static void test_milestone_by_name(void **state)
{
	const char *body = "order,barcode,event,time\n7,1Z1,PRODUCTION_STARTED,2024-05-01T09:00:00Z\n"
			   "7,,painting_done,2024-05-01T09:05:00Z\n7,,packed,2024-05-01T09:06:00Z\n";
	struct ms_config mc = { 0 };
	struct adapter_env env = { .source = "scans", .zones = fx_zones, .maps = fx_maps, .milestones = &mc };
	struct hook_request rq = { .body = body, .len = strlen(body), .content_type = "text/csv" };
	struct adapter_out out = { 0 };

	(void)state;
	ms_config_preset_b2b(&mc);
	assert_int_equal(adapter_scans.parse(&env, &rq, &out), WERR_OK);
	assert_int_equal(out.nevents, 3);
	assert_int_equal(out.events[0].status, EV_MILESTONE);
	assert_string_equal(out.events[0].milestone, "production_started");
	assert_string_equal(out.events[0].package, "");
	assert_string_equal(out.events[0].order, "7");
	assert_int_equal(out.events[1].status, EV_UNKNOWN);
	assert_string_equal(out.events[1].code, "painting_done");
	assert_int_equal(out.events[2].status, EV_PACKED);
	adapter_out_free(&out);
	/* without the configuration the same scan is an unmapped code */
	env.milestones = NULL;
	assert_int_equal(adapter_scans.parse(&env, &rq, &out), WERR_OK);
	assert_int_equal(out.events[0].status, EV_UNKNOWN);
	adapter_out_free(&out);
}

static void test_at_most_10000_scans(void **state)
{
	struct buf b = BUF_INIT;
	struct adapter_out out;

	(void)state;
	buf_puts(&b, "scan_id,order,event,time\n");
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "S%d,1,picked,2024-05-01T09:00:00Z\n", i);
	assert_int_equal(parse_body(b.p, b.len, "text/csv", true, &out), WERR_OK);
	assert_int_equal(out.nevents, 10000);
	adapter_out_free(&out);
	buf_puts(&b, "S10000,1,picked,2024-05-01T09:00:00Z\n");
	assert_int_equal(parse_body(b.p, b.len, "text/csv", true, &out), WERR_INVALID);
	assert_string_equal(out.reason, "line 10002: more than 10000 scans in one body: send smaller batches");
	adapter_out_free(&out);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_jsonl_sniffed_and_jsonl_type),
		cmocka_unit_test(test_returns),
		cmocka_unit_test(test_csv_quoted_commas_and_crlf),
		cmocka_unit_test(test_csv_sniffed_barcode_only),
		cmocka_unit_test(test_local_times_across_dst),
		cmocka_unit_test(test_unknown_code_is_unknown),
		cmocka_unit_test(test_empty_feeds),
		cmocka_unit_test(test_malformed_csv),
		cmocka_unit_test(test_malformed_jsonl),
		cmocka_unit_test(test_bad_scans),
		cmocka_unit_test(test_package_status_from_user_table),
		cmocka_unit_test(test_milestone_by_name),
		cmocka_unit_test(test_at_most_10000_scans),
	};
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
