/*
 * test_link.c - signed tracking links (core/link.h): a made token verifies
 * and names its order; expiry, any changed character, another secret or
 * purpose, and malformed tokens are refused; base64url round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/link.h"
#include "base/banned.h"

static const char secret[] = "s3cret-for-tests";
#define NOW 1760000000

static void test_round_trip(void **state)
{
	char tok[LINK_TOKEN_MAX], order[EV_ORDER_MAX + 1];
	int64_t exp = 0;

	(void)state;
	assert_int_equal(link_make(secret, strlen(secret), LINK_PURPOSE_TRACK, "A-1001", NOW + 60, tok), WERR_OK);
	assert_non_null(strchr(tok, '.'));
	assert_null(strpbrk(tok, "+/= "));
	assert_int_equal(link_verify(secret, strlen(secret), LINK_PURPOSE_TRACK, tok, NOW, order, sizeof(order), &exp),
			 WERR_OK);
	assert_string_equal(order, "A-1001");
	assert_int_equal(exp, NOW + 60);
}

static void test_order_with_bar_and_unicode(void **state)
{
	const char *o = "x|y|Zürich #7";
	char tok[LINK_TOKEN_MAX], order[EV_ORDER_MAX + 1];

	(void)state;
	assert_int_equal(link_make(secret, strlen(secret), "p", o, NOW + 1, tok), WERR_OK);
	assert_int_equal(link_verify(secret, strlen(secret), "p", tok, NOW, order, sizeof(order), NULL), WERR_OK);
	assert_string_equal(order, o);
}

static void test_longest_order(void **state)
{
	char o[EV_ORDER_MAX + 1], tok[LINK_TOKEN_MAX], order[EV_ORDER_MAX + 1];

	(void)state;
	memset(o, 'Z', EV_ORDER_MAX);
	o[EV_ORDER_MAX] = '\0';
	assert_int_equal(link_make(secret, strlen(secret), "p", o, INT64_MAX / 2, tok), WERR_OK);
	assert_true(strlen(tok) < LINK_TOKEN_MAX);
	assert_int_equal(link_verify(secret, strlen(secret), "p", tok, NOW, order, sizeof(order), NULL), WERR_OK);
	assert_string_equal(order, o);
	/* one byte more is refused when making */
	assert_int_equal(link_make(secret, strlen(secret), "p", "", NOW, tok), WERR_INVALID);
}

static void test_expired(void **state)
{
	char tok[LINK_TOKEN_MAX], order[EV_ORDER_MAX + 1];

	(void)state;
	assert_int_equal(link_make(secret, strlen(secret), "p", "1001", NOW, tok), WERR_OK);
	assert_int_equal(link_verify(secret, strlen(secret), "p", tok, NOW, order, sizeof(order), NULL), WERR_FORBIDDEN);
	assert_int_equal(link_verify(secret, strlen(secret), "p", tok, NOW + 5, order, sizeof(order), NULL),
			 WERR_FORBIDDEN);
	assert_string_equal(order, "");
	assert_int_equal(link_verify(secret, strlen(secret), "p", tok, NOW - 1, order, sizeof(order), NULL), WERR_OK);
}

static void test_every_changed_character_is_refused(void **state)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
	char tok[LINK_TOKEN_MAX], bad[LINK_TOKEN_MAX + 1], order[EV_ORDER_MAX + 1];
	size_t n, accepted = 0;

	(void)state;
	assert_int_equal(link_make(secret, strlen(secret), "p", "1001", NOW + 100, tok), WERR_OK);
	n = strlen(tok);
	for (size_t i = 0; i < n; i++) {
		for (const char *c = alphabet; *c; c++) {
			if (*c == tok[i])
				continue;
			memcpy(bad, tok, n + 1);
			bad[i] = *c;
			if (link_verify(secret, strlen(secret), "p", bad, NOW, order, sizeof(order), NULL) == WERR_OK)
				accepted++;
		}
	}
	assert_int_equal(accepted, 0);
	/* truncated, extended, empty parts */
	memcpy(bad, tok, n + 1);
	bad[n - 1] = '\0';
	assert_int_equal(link_verify(secret, strlen(secret), "p", bad, NOW, order, sizeof(order), NULL),
			 WERR_UNAUTHORIZED);
	memcpy(bad, tok, n);
	bad[n] = 'A';
	bad[n + 1] = '\0';
	assert_int_equal(link_verify(secret, strlen(secret), "p", bad, NOW, order, sizeof(order), NULL),
			 WERR_UNAUTHORIZED);
	assert_int_equal(link_verify(secret, strlen(secret), "p", strchr(tok, '.'), NOW, order, sizeof(order), NULL),
			 WERR_UNAUTHORIZED);
}

static void test_other_secret_or_purpose(void **state)
{
	char tok[LINK_TOKEN_MAX], order[EV_ORDER_MAX + 1];

	(void)state;
	assert_int_equal(link_make(secret, strlen(secret), "track-link", "1001", NOW + 100, tok), WERR_OK);
	assert_int_equal(link_verify("other", 5, "track-link", tok, NOW, order, sizeof(order), NULL), WERR_UNAUTHORIZED);
	assert_int_equal(link_verify(secret, strlen(secret), "session", tok, NOW, order, sizeof(order), NULL),
			 WERR_UNAUTHORIZED);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = { "", ".", "abc", "abc.", ".abc", "a.b.c", "!!!.???", "YWJj.YWJj",
					   "MTAwMQ.AAAAAAAAAAAAAAAAAAAAAA" };
	char order[EV_ORDER_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(link_verify(secret, strlen(secret), "p", bad[i], NOW, order, sizeof(order), NULL),
				 WERR_UNAUTHORIZED);
}

static void test_b64url(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = { { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg" },
		      { "\xfb\xff", "-_8" } };
	char out[32];
	unsigned char back[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].in);
		link_b64url((const unsigned char *)cases[i].in, n, out);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(link_unb64url(out, strlen(out), back, sizeof(back)), (long)n);
		assert_memory_equal(back, cases[i].in, n);
	}
	assert_int_equal(link_unb64url("Zh", 2, back, sizeof(back)), -1); /* non-zero spare bits */
	assert_int_equal(link_unb64url("Z", 1, back, sizeof(back)), -1);
	assert_int_equal(link_unb64url("Zm9v", 4, back, 2), -1);          /* does not fit */
	assert_int_equal(link_unb64url("Zm+v", 4, back, sizeof(back)), -1); /* not url-safe */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_order_with_bar_and_unicode),
		cmocka_unit_test(test_longest_order),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_every_changed_character_is_refused),
		cmocka_unit_test(test_other_secret_or_purpose),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_b64url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
