/* test_mapping.c - mapping tables (adapters/mapping.c), the zone table and
 * local-time resolution (adapters/zones.c), and the shared adapter helpers
 * (adapters/adapter.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/adapter.h"
#include "adapters/mapping.h"
#include "adapters/zones.h"
#include "base/wtime.h"

static const char table[] =
	"# a comment\n"
	"\n"
	"DP\tin_transit\t\t\tdeparted\n"
	"X1\texception\taddress_issue\tyes\tbad address\r\n"
	"D\tdelivered\t-\tno\n"
	"OT\tout_for_delivery\n";

static void test_apply_hits_and_misses(void **state)
{
	struct mappings *m = mappings_new();
	struct event ev;
	char err[256] = "";

	(void)state;
	assert_int_equal(mappings_add_text(m, "t", table, strlen(table), "t.tsv", err, sizeof(err)), WERR_OK);
	assert_int_equal(mappings_nrows(m, "t"), 4);
	event_init(&ev);
	assert_true(mapping_apply(m, "t", "X1", "Address incomplete", &ev));
	assert_int_equal(ev.status, EV_EXCEPTION);
	assert_string_equal(ev.detail, "address_issue");
	assert_int_equal(ev.action_required, 1);
	assert_string_equal(ev.code, "X1");
	assert_string_equal(ev.description, "Address incomplete");
	event_init(&ev);
	assert_true(mapping_apply(m, "t", "D", NULL, &ev));
	assert_int_equal(ev.status, EV_DELIVERED);
	assert_string_equal(ev.detail, "");
	assert_int_equal(ev.action_required, 0);
	/* a miss is unknown with the code kept, never a guess */
	event_init(&ev);
	assert_false(mapping_apply(m, "t", "ZZ", "Mystery scan", &ev));
	assert_int_equal(ev.status, EV_UNKNOWN);
	assert_string_equal(ev.code, "ZZ");
	assert_string_equal(ev.description, "Mystery scan");
	/* codes are case-sensitive; an absent table is a miss */
	event_init(&ev);
	assert_false(mapping_apply(m, "t", "dp", NULL, &ev));
	assert_false(mapping_apply(m, "nope", "DP", NULL, &ev));
	mappings_free(m);
}

static void hits(void *ctx, const char *name, const char *phrase, unsigned long long n)
{
	char *out = ctx;
	snprintf(out + strlen(out), 256 - strlen(out), "%s/%s=%llu ", name, phrase, n);
}

/* A source's words refine a coarse code: in_transit to out for delivery or
 * pickup, unknown to a label or a move; never anything else, never a said
 * unknown; the longest phrase wins; the source's table and text_any. */
static void test_words_refine_coarse_codes(void **state)
{
	static const char any[] = "out for delivery\tout_for_delivery\n"
				  "label created\tlabel_created\n"
				  "delivered\tdelivered\t\t\tnever applies: not finer than a code\n";
	static const char dhl[] = "zustellfahrzeug\tout_for_delivery\n"
				  "in der filiale\tavailable_for_pickup\n";
	struct mappings *m = mappings_new();
	struct event ev;
	char err[256] = "", counted[256] = "";

	(void)state;
	assert_int_equal(mappings_add_text(m, "text_any", any, strlen(any), "a.tsv", err, sizeof(err)), WERR_OK);
	assert_int_equal(mappings_add_text(m, "text_dhl", dhl, strlen(dhl), "d.tsv", err, sizeof(err)), WERR_OK);
	event_init(&ev);
	ev.status = EV_IN_TRANSIT;
	snprintf(ev.description, sizeof(ev.description), "Die Sendung wurde in das ZUSTELLFAHRZEUG geladen");
	assert_true(mapping_refine_text(m, "dhl", &ev));
	assert_int_equal(ev.status, EV_OUT_FOR_DELIVERY);
	/* another source does not read dhl's words; text_any applies to all */
	event_init(&ev);
	ev.status = EV_IN_TRANSIT;
	snprintf(ev.description, sizeof(ev.description), "Die Sendung wurde in das Zustellfahrzeug geladen");
	assert_false(mapping_refine_text(m, "ups", &ev));
	assert_int_equal(ev.status, EV_IN_TRANSIT);
	snprintf(ev.description, sizeof(ev.description), "Out For Delivery Today");
	assert_true(mapping_refine_text(m, "ups", &ev));
	assert_int_equal(ev.status, EV_OUT_FOR_DELIVERY);
	/* a code no table knew, with words that say the label exists */
	event_init(&ev);
	ev.status = EV_UNKNOWN;
	snprintf(ev.description, sizeof(ev.description), "Shipping Label Created, USPS Awaiting Item");
	assert_true(mapping_refine_text(m, "usps", &ev));
	assert_int_equal(ev.status, EV_LABEL_CREATED);
	/* a source's own unknown stays; words never override a finer code or claim a delivery */
	event_init(&ev);
	ev.status = EV_UNKNOWN;
	snprintf(ev.detail, sizeof(ev.detail), MAPPING_SAID_UNKNOWN);
	snprintf(ev.description, sizeof(ev.description), "label created");
	assert_false(mapping_refine_text(m, "ups", &ev));
	event_init(&ev);
	ev.status = EV_EXCEPTION;
	snprintf(ev.description, sizeof(ev.description), "out for delivery, then damaged");
	assert_false(mapping_refine_text(m, "ups", &ev));
	event_init(&ev);
	ev.status = EV_IN_TRANSIT;
	snprintf(ev.description, sizeof(ev.description), "Delivered to the neighbour");
	assert_false(mapping_refine_text(m, "ups", &ev));
	assert_int_equal(ev.status, EV_IN_TRANSIT);
	mappings_text_hits(m, hits, counted);
	assert_string_equal(counted, "text_any/label created=1 text_any/out for delivery=1 text_dhl/zustellfahrzeug=1 ");
	mappings_free(m);
}

static void test_bad_tables_are_refused(void **state)
{
	static const char *bad[] = {
		"A\tshipped\n",                 /* not a status word */
		"A\tin_transit\n A \tdelivered\n", /* listed twice */
		"A\texception\tx\tmaybe\n",     /* action_required */
		"lonely\n",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mappings *m = mappings_new();
		err[0] = '\0';
		assert_int_equal(mappings_add_text(m, "t", bad[i], strlen(bad[i]), "t.tsv", err, sizeof(err)),
				 WERR_INVALID);
		assert_non_null(strstr(err, "t.tsv"));
		assert_int_equal(mappings_ntables(m), 0);
		mappings_free(m);
	}
}

static void test_shipped_tables_load(void **state)
{
	char dir[2048], err[512] = "";
	struct mappings *m = NULL;
	const char *src = getenv("WISMO_SRCDIR");

	(void)state;
	assert_non_null(src);
	snprintf(dir, sizeof(dir), "%s/mappings", src);
	assert_int_equal(mappings_load(dir, "/nonexistent-override", &m, err, sizeof(err)), WERR_OK);
	mappings_free(m);
}

static void test_override_replaces_a_table(void **state)
{
	struct mappings *m = mappings_new();
	struct event ev;
	char err[256];
	static const char over[] = "OT\texception\tdelayed\n";

	(void)state;
	assert_int_equal(mappings_add_text(m, "t", table, strlen(table), "a", err, sizeof(err)), WERR_OK);
	assert_int_equal(mappings_add_text(m, "t", over, strlen(over), "b", err, sizeof(err)), WERR_OK);
	assert_int_equal(mappings_ntables(m), 1);
	assert_int_equal(mappings_nrows(m, "t"), 1);
	event_init(&ev);
	assert_true(mapping_apply(m, "t", "OT", NULL, &ev));
	assert_int_equal(ev.status, EV_EXCEPTION);
	assert_false(mapping_apply(m, "t", "DP", NULL, &ev));
	mappings_free(m);
}

static struct zones *load_zones(void)
{
	char path[2048], err[256];
	struct zones *z = NULL;

	snprintf(path, sizeof(path), "%s/mappings/zones.tsv", getenv("WISMO_SRCDIR"));
	assert_int_equal(zones_load(path, NULL, &z, err, sizeof(err)), WERR_OK);
	return z;
}

static const struct {
	const char *zone, *local, *utc;
} local_rows[] = {
	/* New York, spring forward 2024-03-10 02:00 EST -> 03:00 EDT */
	{ "America/New_York", "2024-03-10T01:30:00", "2024-03-10T06:30:00Z" },
	{ "America/New_York", "2024-03-10T02:30:00", "2024-03-10T07:30:00Z" }, /* skipped: offset before */
	{ "America/New_York", "2024-03-10T03:30:00", "2024-03-10T07:30:00Z" },
	/* fall back 2024-11-03 02:00 EDT -> 01:00 EST: 01:30 happens twice */
	{ "America/New_York", "2024-11-03T00:30:00", "2024-11-03T04:30:00Z" },
	{ "America/New_York", "2024-11-03T01:30:00", "2024-11-03T05:30:00Z" }, /* first occurrence */
	{ "America/New_York", "2024-11-03T02:30:00", "2024-11-03T07:30:00Z" },
	/* the rules past the table's last transition (POSIX footer) */
	{ "America/New_York", "2045-07-01T12:00:00", "2045-07-01T16:00:00Z" },
	{ "America/New_York", "2045-12-01T12:00:00", "2045-12-01T17:00:00Z" },
	/* southern hemisphere: Sydney is on daylight time in January */
	{ "Australia/Sydney", "2024-01-15T10:00:00", "2024-01-14T23:00:00Z" },
	{ "Australia/Sydney", "2024-07-15T10:00:00", "2024-07-15T00:00:00Z" },
	{ "Europe/Berlin", "2024-03-31T02:30:00.250", "2024-03-31T01:30:00.250Z" },
	{ "Asia/Kolkata", "2024-03-31T12:00:00", "2024-03-31T06:30:00Z" },
	{ "America/Phoenix", "2024-07-01T12:00:00", "2024-07-01T19:00:00Z" },
};

static void test_local_times_across_dst(void **state)
{
	struct zones *z = load_zones();

	(void)state;
	for (size_t i = 0; i < sizeof(local_rows) / sizeof(local_rows[0]); i++) {
		int64_t local, utc;
		char out[WTIME_BUFSZ];
		assert_int_equal(wtime_parse(local_rows[i].local, 0, &local), WTIME_NO_OFFSET);
		assert_int_equal(zones_to_utc(z, local_rows[i].zone, local, &utc), WERR_OK);
		wtime_format(utc, out);
		if (strcmp(out, local_rows[i].utc))
			fail_msg("%s %s: %s, want %s", local_rows[i].zone, local_rows[i].local, out,
				 local_rows[i].utc);
	}
	int64_t t;
	assert_int_equal(zones_to_utc(z, "Nowhere/Atlantis", 1000, &t), WERR_NOT_FOUND);
	assert_int_equal(zones_to_utc(z, "../../etc/passwd", 1000, &t), WERR_NOT_FOUND);
	zones_free(z);
}

static void test_zone_lookup_and_adapter_time(void **state)
{
	struct zones *z = load_zones();
	struct adapter_env env = { .source = "x", .zones = z };
	int64_t ms;
	bool guess;
	char out[WTIME_BUFSZ];

	(void)state;
	assert_string_equal(zones_lookup(z, "US", "CA"), "America/Los_Angeles");
	assert_string_equal(zones_lookup(z, "usa", "ny"), "America/New_York");
	assert_string_equal(zones_lookup(z, "US", ""), "America/New_York");
	assert_string_equal(zones_lookup(z, "DE", "BY"), "Europe/Berlin");
	assert_null(zones_lookup(z, "XX", "YY"));
	/* with an offset the location does not matter */
	assert_true(adapter_time(&env, "2024-03-10T01:30:00-08:00", "US", "NY", &ms, &guess));
	assert_false(guess);
	assert_string_equal(wtime_format(ms, out), "2024-03-10T09:30:00Z");
	/* without one, the location's zone; a space for the T */
	assert_true(adapter_time(&env, "2024-03-10 01:30:00", "US", "CA", &ms, &guess));
	assert_false(guess);
	assert_string_equal(wtime_format(ms, out), "2024-03-10T09:30:00Z");
	/* unknown place: UTC, and the caller is told */
	assert_true(adapter_time(&env, "2024-03-10T01:30:00", "XX", NULL, &ms, &guess));
	assert_true(guess);
	assert_string_equal(wtime_format(ms, out), "2024-03-10T01:30:00Z");
	assert_false(adapter_time(&env, "yesterday", "US", NULL, &ms, &guess));
	zones_free(z);
}

/* Found by the tables fuzz target: a table of comments only has no rows (a
 * NULL array), and looking a code up in it passed NULL to bsearch, which
 * UBSan reports as undefined behaviour. */
static void test_12_fuzz_empty_table_lookup(void **state)
{
	static const char comments[] = "# a table with no rows yet\n\n";
	struct mappings *m = mappings_new();
	struct event ev;
	char err[256];

	(void)state;
	assert_int_equal(mappings_add_text(m, "t", comments, strlen(comments), "t.tsv", err, sizeof(err)), WERR_OK);
	assert_int_equal(mappings_nrows(m, "t"), 0);
	event_init(&ev);
	assert_false(mapping_apply(m, "t", "X1", "something", &ev));
	assert_int_equal(ev.status, EV_UNKNOWN);
	assert_string_equal(ev.code, "X1");
	mappings_free(m);
}

static void test_signatures(void **state)
{
	static const char body[] = "{\"a\":1}";
	char ts[24], sig[80], why[128];
	const int64_t now = 1700000000000LL;

	(void)state;
	/* HMAC-SHA256("hush", body) computed independently with openssl dgst */
	static const char hex[] = "dfe62afd3a708ea27b217b8cabc11f103edbfb2d176e892a38a2d475a803c4c2";
	static const char HEX[] = "DFE62AFD3A708EA27B217B8CABC11F103EDBFB2D176E892A38A2D475A803C4C2";
	static const char b64[] = "3+Yq/TpwjqJ7IXuMq8EfED7b+y0XbokqOKLUdagDxMI=";
	assert_true(sig_hmac_hex_ok("hush", body, strlen(body), hex));
	assert_true(sig_hmac_hex_ok("hush", body, strlen(body), HEX));
	assert_false(sig_hmac_hex_ok("hush!", body, strlen(body), hex));
	assert_false(sig_hmac_hex_ok("hush", body, strlen(body) - 1, hex));
	assert_false(sig_hmac_hex_ok("hush", body, strlen(body), NULL));
	assert_true(sig_hmac_b64_ok("hush", body, strlen(body), b64));
	assert_false(sig_hmac_b64_ok("hush", body, strlen(body), "3+Yq"));
	assert_false(sig_hmac_b64_ok("", body, strlen(body), b64));
	sig_generic_sign("s3cret", body, strlen(body), now, ts, sig);
	assert_int_equal(sig_generic_check("s3cret", body, strlen(body), ts, sig, now, why, sizeof(why)), WERR_OK);
	assert_int_equal(sig_generic_check("s3cret", body, strlen(body), ts, sig, now + 301000, why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	assert_non_null(strstr(why, "away from now"));
	assert_int_equal(sig_generic_check("other", body, strlen(body), ts, sig, now, why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	assert_string_equal(why, "signature mismatch");
	assert_int_equal(sig_generic_check("s3cret", "{\"a\":2}", 7, ts, sig, now, why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	assert_int_equal(sig_generic_check("s3cret", body, strlen(body), NULL, sig, now, why, sizeof(why)),
			 WERR_UNAUTHORIZED);
	assert_int_equal(sig_generic_check("", body, strlen(body), ts, sig, now, why, sizeof(why)),
			 WERR_UNAUTHORIZED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_hits_and_misses),
		cmocka_unit_test(test_words_refine_coarse_codes),
		cmocka_unit_test(test_bad_tables_are_refused),
		cmocka_unit_test(test_shipped_tables_load),
		cmocka_unit_test(test_override_replaces_a_table),
		cmocka_unit_test(test_local_times_across_dst),
		cmocka_unit_test(test_zone_lookup_and_adapter_time),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_12_fuzz_empty_table_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
