/* test_event_json.c - the event contract of POST /v1/events (core/event_json.c, core/event.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/event_json.h"

static enum werr parse(const char *text, struct event *ev, struct ev_error *err)
{
	cJSON *j = cJSON_Parse(text);
	enum werr e;
	assert_non_null(j);
	event_init(ev);
	e = event_from_json(j, false, ev, err);
	cJSON_Delete(j);
	return e;
}

static void test_full_event_round_trips(void **state)
{
	const char *in =
		"{\"source\":\"ups\",\"id\":\"e-1\",\"order\":\"1001\",\"package\":\"1Z1\",\"carrier\":\"ups\","
		"\"status\":\"delivered\",\"detail\":\"front_door\",\"description\":\"Left at \\\"door\\\"\","
		"\"action_required\":false,\"occurred_at\":\"2026-03-08T01:30:00.250-05:00\","
		"\"estimated_delivery\":\"2026-03-09\",\"location\":{\"city\":\"Reno\",\"region\":\"NV\",\"country\":\"US\"},"
		"\"customer\":{\"name\":\"Ada L\",\"email\":\"a@x.org\",\"phone\":\"+1555\",\"postal_code\":40202},"
		"\"items\":[{\"sku\":\"A\",\"name\":\"Mug\",\"quantity\":2},{\"sku\":7}],\"extra\":{\"ignored\":true}}";
	struct event a, b;
	struct ev_error err;
	struct buf out = BUF_INIT, out2 = BUF_INIT;
	cJSON *j;

	assert_int_equal(parse(in, &a, &err), WERR_OK);
	assert_int_equal(a.status, EV_DELIVERED);
	assert_int_equal(a.occurred_at, 1772951400250LL); /* 06:30:00.250Z */
	assert_int_equal(a.estimated_delivery, 1773014400000LL);
	assert_string_equal(a.customer.postal_code, "40202");
	assert_int_equal(a.nitems, 2);
	assert_int_equal(a.items[1].quantity, 1);
	assert_string_equal(a.items[1].sku, "7");
	assert_int_equal(a.action_required, 0);
	a.seq = 42;
	a.received_at = 1772951500000LL;
	memcpy(a.key, "i:abc", 6);

	assert_int_equal(event_to_json(&a, true, &out), WERR_OK);
	j = cJSON_Parse(out.p);
	assert_non_null(j);
	event_init(&b);
	assert_int_equal(event_from_json(j, true, &b, &err), WERR_OK);
	cJSON_Delete(j);
	assert_int_equal(event_to_json(&b, true, &out2), WERR_OK);
	assert_string_equal(out.p, out2.p);
	assert_int_equal(b.seq, 42);
	assert_string_equal(b.description, "Left at \"door\"");
	event_release(&a);
	event_release(&b);
	buf_release(&out);
	buf_release(&out2);
}

static void test_rejections_have_codes(void **state)
{
	static const struct {
		const char *json;
		const char *code;
	} cases[] = {
		{ "{\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "missing_field" },
		{ "{\"source\":\"\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "missing_field" },
		{ "{\"source\":\"a b\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "invalid_field" },
		{ "{\"source\":\"s\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "missing_field" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"shipped\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "unknown_status" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"in_transit\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "package_required" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"package\":\"p\",\"status\":\"picked\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "invalid_field" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\"}", "missing_field" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00\"}", "time_without_offset" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-02-30T00:00:00Z\"}", "invalid_time" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":1700000000}", "invalid_time" },
		{ "{\"source\":\"s\",\"order\":9007199254740993,\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "invalid_field" },
		{ "{\"source\":\"s\",\"order\":1.5,\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}", "invalid_field" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"action_required\":\"yes\"}", "invalid_field" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"items\":[{\"quantity\":1}]}", "missing_field" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"items\":[{\"sku\":\"a\",\"quantity\":0}]}", "invalid_field" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"location\":\"Reno\"}", "invalid_field" },
		{ "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"detail\":\"a\\u0001\"}", "invalid_field" },
		{ "[1]", "invalid_field" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event ev;
		struct ev_error err = { 0 };
		enum werr e = parse(cases[i].json, &ev, &err);
		if (e != WERR_INVALID || strcmp(err.code, cases[i].code))
			fail_msg("case %zu: got %d/%s, want %s (%s)", i, e, err.code ? err.code : "-", cases[i].code,
				 cases[i].json);
		assert_true(err.message[0] != '\0');
		assert_null(ev.items); /* released on failure */
	}
}

static void test_too_long_and_too_many(void **state)
{
	char json[4096];
	struct event ev;
	struct ev_error err;
	char longorder[80];

	memset(longorder, 'x', sizeof(longorder) - 1);
	longorder[sizeof(longorder) - 1] = '\0';
	snprintf(json, sizeof(json),
		 "{\"source\":\"s\",\"order\":\"%s\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}",
		 longorder);
	assert_int_equal(parse(json, &ev, &err), WERR_INVALID);
	assert_string_equal(err.code, "too_long");

	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\",\"occurred_at\":\"2026-01-01T00:00:00Z\",\"items\":[");
	for (int i = 0; i < 201; i++)
		buf_printf(&b, "%s{\"sku\":\"k%d\"}", i ? "," : "", i);
	buf_puts(&b, "]}");
	assert_int_equal(parse(b.p, &ev, &err), WERR_INVALID);
	assert_string_equal(err.code, "too_many_items");
	buf_release(&b);
}

static void test_key_material(void **state)
{
	struct event a, b;
	char m1[512], m2[512];
	size_t n1, n2;

	event_init(&a);
	EVENT_SET(a.source, "ups");
	EVENT_SET(a.order, "1");
	EVENT_SET(a.package, "p");
	a.status = EV_IN_TRANSIT;
	a.occurred_at = 1000;
	b = a;
	n1 = event_key_material(&a, m1, sizeof(m1));
	n2 = event_key_material(&b, m2, sizeof(m2));
	assert_int_equal(n1, n2);
	assert_memory_equal(m1, m2, n1);
	assert_string_equal(event_key_prefix(&a), "h:");
	b.occurred_at = 1001; /* another time is another event */
	n2 = event_key_material(&b, m2, sizeof(m2));
	assert_true(n1 != n2 || memcmp(m1, m2, n1));
	/* with an id, only source and id count */
	EVENT_SET(a.id, "e1");
	EVENT_SET(b.id, "e1");
	n1 = event_key_material(&a, m1, sizeof(m1));
	n2 = event_key_material(&b, m2, sizeof(m2));
	assert_int_equal(n1, n2);
	assert_memory_equal(m1, m2, n1);
	assert_string_equal(event_key_prefix(&a), "i:");
	/* the parts are NUL-separated: ("ab","c") differs from ("a","bc") */
	EVENT_SET(a.source, "ab");
	EVENT_SET(a.id, "c");
	EVENT_SET(b.source, "a");
	EVENT_SET(b.id, "bc");
	n1 = event_key_material(&a, m1, sizeof(m1));
	n2 = event_key_material(&b, m2, sizeof(m2));
	assert_true(n1 != n2 || memcmp(m1, m2, n1));
}

static void test_copy_is_deep(void **state)
{
	struct event a, b;
	struct ev_error err;
	assert_int_equal(parse("{\"source\":\"s\",\"order\":\"1\",\"status\":\"placed\","
			       "\"occurred_at\":\"2026-01-01T00:00:00Z\",\"items\":[{\"sku\":\"a\"}]}",
			       &a, &err),
			 WERR_OK);
	assert_int_equal(event_copy(&b, &a), WERR_OK);
	assert_ptr_not_equal(a.items, b.items);
	assert_string_equal(b.items[0].sku, "a");
	event_release(&a);
	assert_string_equal(b.items[0].sku, "a");
	event_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_event_round_trips),
		cmocka_unit_test(test_rejections_have_codes),
		cmocka_unit_test(test_too_long_and_too_many),
		cmocka_unit_test(test_key_material),
		cmocka_unit_test(test_copy_is_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
