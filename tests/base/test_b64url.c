/*
 * test_b64url.c - base/b64url.h: the RFC 4648 section 10 test vectors with
 * the padding removed (and the url-safe alphabet's two characters), round
 * trips over every byte value and length, and the strict decoder refusing
 * every input the encoder could not have written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/b64url.h"
#include "base/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *bytes, *text;
} vectors[] = {
	/* RFC 4648 section 10, "=" padding removed */
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
	/* the two characters base64url changes: 62 is '-', 63 is '_' */
	{ "\xfb\xff", "-_8" },
	{ "\xff\xff\xff", "____" },
	{ "\xfb\xef\xbe", "----" },
};

static void rfc4648_vectors(void **state)
{
	char out[32];
	unsigned char back[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		size_t n = strlen(vectors[i].bytes);
		b64url_encode((const unsigned char *)vectors[i].bytes, n, out);
		assert_string_equal(out, vectors[i].text);
		assert_int_equal(strlen(out), B64URL_LEN(n));
		assert_int_equal(b64url_decode(out, strlen(out), back, sizeof(back)), (long)n);
		assert_memory_equal(back, vectors[i].bytes, n);
	}
}

/* Every length up to 64 over every byte value, exactly-sized buffers. */
static void round_trip(void **state)
{
	unsigned char in[256], back[64];
	char out[B64URL_LEN(sizeof(back)) + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(255 - i);
	for (size_t off = 0; off + sizeof(back) <= sizeof(in); off += 16)
		for (size_t n = 0; n <= sizeof(back); n++) {
			b64url_encode(in + off, n, out);
			assert_int_equal(strlen(out), B64URL_LEN(n));
			assert_null(strpbrk(out, "+/="));
			assert_int_equal(b64url_decode(out, strlen(out), back, n), (long)n);
			assert_memory_equal(back, in + off, n);
		}
}

static void invalid_refused(void **state)
{
	static const char *const bad[] = {
		"Zg==",  /* padding */
		"Zm8=",
		"Zm+v",  /* the standard alphabet */
		"Zm/v",
		"Z",     /* a lone character: 6 bits */
		"Zm9vY",
		"Zh",    /* non-zero spare bits: a second spelling of "f" */
		"Zm9",
		"Zm 9v", /* blanks, line breaks */
		"Zm9v\n",
		"Zm9v.",
	};
	unsigned char back[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(b64url_decode(bad[i], strlen(bad[i]), back, sizeof(back)), -1);
	/* a NUL inside the given length is not a character of the alphabet */
	assert_int_equal(b64url_decode("Zm\0v", 4, back, sizeof(back)), -1);
	/* a result longer than cap */
	assert_int_equal(b64url_decode("Zm9v", 4, back, 2), -1);
	assert_int_equal(b64url_decode("Zm9v", 4, back, 3), 3);
	assert_int_equal(b64url_decode("", 0, back, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4648_vectors),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(invalid_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
