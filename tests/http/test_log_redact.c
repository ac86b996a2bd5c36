/*
 * test_log_redact.c - what the transport lets into a log line
 * (http_log_redact, http.h): paths cut after their first segment, key-like
 * runs replaced, ordinary words and the library's HTML kept, and the output
 * cut to its buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/http/http.h"

static void check(const char *in, const char *want)
{
	char out[512];

	http_log_redact(in, out, sizeof(out));
	assert_string_equal(out, want);
}

/* issue 12, defect 11: a signed tracking link copied from the log opened the customer's page */
static void test_12_11_tokens_and_keys_redacted(void **state)
{
	check("Failed to send data in request for /track/QTF8MTc5NjQyOTg4MQ.Vd2MMCU6QoigWd11hbdj3Q/stream.",
	      "Failed to send data in request for /track/...");
	check("Failed to send the footers for the request for `/track/QTF8MTc5.Vd2M/stream'. Error: reset",
	      "Failed to send the footers for the request for `/track/...'. Error: reset");
	check("for `/v1/orders/A1?view=agent'", "for `/v1/...'");
	check("for `/lookup?order=1001&postal=12345'", "for `/lookup/...'");
	check("for `/healthz'", "for `/healthz'");
	/* a path whose first segment is itself a token */
	check("for `/QTF8MTc5NjQyOTg4MQ.Vd2MMCU6QoigWd11hbdj3Q'", "for `/[redacted]'");
	/* keys, secrets and hashes anywhere */
	check("bad header Bearer wsm_5z-t1XAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abc here",
	      "bad header Bearer [redacted] here");
	check("sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "sha [redacted]");
	/* what is not a secret stays readable */
	check("Failed to parse `Content-Length' header. Closing connection.",
	      "Failed to parse `Content-Length' header. Closing connection.");
	check("('<html><head><title>Request malformed</title></head></html>')",
	      "('<html><head><title>Request malformed</title></head></html>')");
	check("line\nbreak", "line break");
}

static void test_cut_to_cap(void **state)
{
	char out[8];

	http_log_redact("a fairly long message", out, sizeof(out));
	assert_string_equal(out, "a fairl");
	http_log_redact("x /track/abc/def", out, 1);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_12_11_tokens_and_keys_redacted),
		cmocka_unit_test(test_cut_to_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
