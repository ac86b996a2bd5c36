/*
 * test_text.c - the entry checks of every body (base/text.h) and media types
 * (base/media.h): issue 12, defects 1, 2, 3 and 14.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "../../src/base/media.h"
#include "../../src/base/text.h"

static enum text_fault check(const char *s, bool json, size_t *at)
{
	return text_check(s, strlen(s), json, at);
}

static void test_12_2_utf8(void **state)
{
	static const struct { const char *s; size_t at; } bad[] = {
		{ "ab\xff", 2 },             /* a byte UTF-8 never uses */
		{ "\x80", 0 },               /* a continuation byte first */
		{ "a\xc0\xaf", 1 },          /* overlong '/' */
		{ "\xe0\x80\xaf", 0 },       /* overlong, three bytes */
		{ "\xed\xa0\x80", 0 },       /* a UTF-16 surrogate */
		{ "x\xe2\x82", 1 },          /* cut short */
		{ "\xf4\x90\x80\x80", 0 },   /* past U+10FFFF */
		{ "\xc3(", 0 },              /* not a continuation */
	};
	size_t at = 99;

	(void)state;
	assert_int_equal(check("plain ascii", false, &at), TEXT_OK);
	assert_int_equal(check("Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x93\xa6 \xf4\x8f\xbf\xbf", false, &at), TEXT_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(check(bad[i].s, false, &at), TEXT_BAD_UTF8);
		assert_int_equal(at, bad[i].at);
	}
	assert_string_equal(text_fault_name(TEXT_BAD_UTF8), "not valid UTF-8");
}

static void test_12_3_nul(void **state)
{
	size_t at = 0;

	(void)state;
	assert_int_equal(text_check("ab\0cd", 5, false, &at), TEXT_NUL);
	assert_int_equal(at, 2);
	assert_int_equal(check("{\"id\":\"shop\\u0000ify\"}", true, &at), TEXT_NUL);
	assert_int_equal(at, 11);
	/* an escaped backslash before u0000 is text; an escaped quote does not end the string */
	assert_int_equal(check("{\"id\":\"a\\\\u0000b\"}", true, &at), TEXT_OK);
	assert_int_equal(check("{\"id\":\"a\\\"\\u0000\"}", true, &at), TEXT_NUL);
	/* outside strings, and when the text is not JSON, the six characters are just text */
	assert_int_equal(check("\\u0000", true, &at), TEXT_OK);
	assert_int_equal(check("<x>\\u0000</x>", false, &at), TEXT_OK);
	assert_int_equal(check("{\"k\":\"\\u0001\"}", true, &at), TEXT_OK);
}

static void test_12_1_one_json_value(void **state)
{
	size_t at = 0;
	cJSON *j;

	(void)state;
	assert_non_null(j = text_json_one("{\"a\":1} \n\t\r", 11, &at));
	cJSON_Delete(j);
	assert_null(text_json_one("{\"a\":1}{\"b\":2}", 14, &at));
	assert_int_equal(at, 7);
	assert_null(text_json_one("{\"a\":1} x", 9, &at));
	assert_int_equal(at, 8);
	assert_null(text_json_one("{\"a\":", 5, &at));
	assert_null(text_json_one("", 0, NULL));
	/* a lone surrogate escape is not JSON text cJSON accepts */
	assert_null(text_json_one("\"\\ud800\"", 8, NULL));
}

static void test_12_14_media_types(void **state)
{
	(void)state;
	assert_true(media_type_is("application/json", "application/json"));
	assert_true(media_type_is("APPLICATION/JSON", "application/json"));
	assert_true(media_type_is("application/json; charset=utf-8", "application/json"));
	assert_true(media_type_is("  Application/Json ;charset=UTF-8", "application/json"));
	assert_false(media_type_is("application/jsonx", "application/json"));
	assert_false(media_type_is("application/json-seq", "application/json"));
	assert_false(media_type_is("text/json", "application/json"));
	assert_false(media_type_is("", "application/json"));
	assert_false(media_type_is(NULL, "application/json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_12_2_utf8),
		cmocka_unit_test(test_12_3_nul),
		cmocka_unit_test(test_12_1_one_json_value),
		cmocka_unit_test(test_12_14_media_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
