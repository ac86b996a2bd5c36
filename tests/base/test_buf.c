/*
 * test_buf.c - the growable buffer (base/buf.h): growth, the hard maximum
 * (a failed append leaves the buffer as it was, and the failure is sticky
 * until reset), detach/reset/release, and JSON string escaping as a table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_init_empty(void **state)
{
	struct buf a = BUF_INIT, b;

	(void)state;
	assert_string_equal(a.p, "");
	assert_int_equal(a.len, 0);
	assert_int_equal(a.cap, 0);
	assert_int_equal(a.max, BUF_MAX_DEFAULT);
	buf_init(&b, 0); /* 0 means the default */
	assert_int_equal(b.max, BUF_MAX_DEFAULT);
	assert_string_equal(b.p, "");
	buf_release(&a); /* releasing an empty buffer is fine */
	buf_release(&b);
	buf_reset(&b);
	assert_string_equal(b.p, "");
}

static void test_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_puts(&b, "ab"), WERR_OK);
	assert_int_equal(buf_putc(&b, 'c'), WERR_OK);
	assert_int_equal(buf_append(&b, "d\0e", 3), WERR_OK); /* bytes, NUL included */
	assert_int_equal(buf_append(&b, NULL, 0), WERR_OK);
	assert_int_equal(buf_printf(&b, "-%d-%s", 42, "x"), WERR_OK);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.p, "abcd\0e-42-x", 12);
	assert_int_equal(b.p[b.len], '\0');
	buf_release(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
}

/* Many small appends grow the buffer and keep every byte. */
static void test_growth(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), WERR_OK);
	assert_int_equal(b.len, 10000);
	assert_true(b.cap > b.len);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(b.p[i], 'a' + i % 26);
	assert_int_equal(b.p[10000], '\0');
	/* a long formatted string in one go */
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%5000d|", 7), WERR_OK);
	assert_int_equal(b.len, 5001);
	assert_int_equal(b.p[4999], '7');
	buf_release(&b);
}

/* Every append past max fails with WERR_TOO_LARGE and changes nothing. */
static void test_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), WERR_OK);
	assert_int_equal(buf_append(&b, "", 0), WERR_OK); /* full, not past max */
	assert_int_equal(buf_putc(&b, 'x'), WERR_TOO_LARGE);
	assert_int_equal(buf_puts(&b, "x"), WERR_TOO_LARGE);
	assert_int_equal(buf_printf(&b, "%d", 1), WERR_TOO_LARGE);
	assert_int_equal(buf_json_str(&b, ""), WERR_TOO_LARGE);
	assert_int_equal(buf_grow(&b, SIZE_MAX), WERR_TOO_LARGE);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.p, "12345678");
	/* the failure is sticky: even an empty append reports it */
	assert_int_equal(buf_append(&b, "", 0), WERR_TOO_LARGE);

	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "123"), WERR_OK);
	/* all but the closing quote fits: the whole string is rolled back */
	assert_int_equal(buf_json_str(&b, "ab\n"), WERR_TOO_LARGE);
	assert_string_equal(b.p, "123");
	assert_int_equal(b.len, 3);
	/* a shorter string would fit, but the text already lacks one */
	assert_int_equal(buf_json_str(&b, "ab"), WERR_TOO_LARGE);
	assert_string_equal(b.p, "123");
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "123"), WERR_OK);
	assert_int_equal(buf_json_str(&b, "ab"), WERR_OK);
	assert_string_equal(b.p, "123\"ab\"");
	buf_release(&b);
	assert_int_equal(b.max, 8); /* release keeps the limit */
}

/* The sticky failure: set by the first append past max (or by buf_grow),
 * reported by every later append and by buf_failed() / buf_error(), which
 * leave the contents as they were; cleared by reset, release and detach. */
static void test_sticky(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b, 4);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_error(&b), WERR_OK);
	assert_int_equal(buf_puts(&b, "ab"), WERR_OK);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_puts(&b, "cde"), WERR_TOO_LARGE);
	assert_true(buf_failed(&b));
	assert_int_equal(buf_error(&b), WERR_TOO_LARGE);
	/* "c" would fit: it is dropped, so the text is a prefix, not a gap */
	assert_int_equal(buf_putc(&b, 'c'), WERR_TOO_LARGE);
	assert_int_equal(buf_printf(&b, "%s", ""), WERR_TOO_LARGE);
	assert_int_equal(buf_json_str(&b, ""), WERR_TOO_LARGE);
	assert_int_equal(buf_grow(&b, 0), WERR_TOO_LARGE);
	assert_string_equal(b.p, "ab");
	assert_int_equal(b.len, 2);
	assert_true(buf_failed(&b));

	buf_reset(&b);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_puts(&b, "abcd"), WERR_OK);
	assert_string_equal(b.p, "abcd");

	/* a reservation past max fails the buffer as an append would */
	buf_reset(&b);
	assert_int_equal(buf_grow(&b, 5), WERR_TOO_LARGE);
	assert_true(buf_failed(&b));
	assert_int_equal(buf_putc(&b, 'a'), WERR_TOO_LARGE);
	assert_string_equal(b.p, "");

	/* detach hands over what is there and starts afresh */
	p = buf_detach(&b);
	assert_string_equal(p, "");
	free(p);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_putc(&b, 'a'), WERR_OK);
	assert_int_equal(buf_puts(&b, "bcdef"), WERR_TOO_LARGE);
	buf_release(&b);
	assert_false(buf_failed(&b));
	assert_int_equal(b.max, 4);
	assert_int_equal(buf_puts(&b, "abcd"), WERR_OK);
	buf_release(&b);

	/* BUF_INIT starts clean too */
	{
		struct buf c = BUF_INIT;
		assert_false(buf_failed(&c));
		assert_int_equal(buf_puts(&c, "x"), WERR_OK);
		buf_release(&c);
	}
}

static void test_reset_keeps_memory(void **state)
{
	struct buf b = BUF_INIT;
	size_t cap;

	(void)state;
	assert_int_equal(buf_puts(&b, "hello world"), WERR_OK);
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.p, "");
	assert_int_equal(buf_puts(&b, "again"), WERR_OK);
	assert_string_equal(b.p, "again");
	buf_release(&b);
}

static void test_detach(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "mine"), WERR_OK);
	p = buf_detach(&b);
	assert_string_equal(p, "mine");
	free(p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	assert_string_equal(b.p, "");
	/* an empty buffer still hands over memory the caller frees */
	p = buf_detach(&b);
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);
	/* and the buffer is usable again */
	assert_int_equal(buf_puts(&b, "x"), WERR_OK);
	buf_release(&b);
}

static void test_json_str(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "a\nb\rc\td", "\"a\\nb\\rc\\td\"" },
		{ "\x01\x1f", "\"\\u0001\\u001f\"" },
		{ "\b\f", "\"\\u0008\\u000c\"" },
		{ "\x7f", "\"\x7f\"" },
		{ "/", "\"/\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"" }, /* UTF-8 passes */
		{ "</script>", "\"</script>\"" },
		{ "x\"\"y\n\\z", "\"x\\\"\\\"y\\n\\\\z\"" }, /* escapes back to back, runs between */
	};
	struct buf b = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		buf_reset(&b);
		assert_int_equal(buf_json_str(&b, rows[i].in), WERR_OK);
		if (strcmp(b.p, rows[i].out))
			fail_msg("row %zu: got %s want %s", i, b.p, rows[i].out);
	}
	/* appends after what is there */
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "{\"k\":"), WERR_OK);
	assert_int_equal(buf_json_str(&b, "v"), WERR_OK);
	assert_string_equal(b.p, "{\"k\":\"v\"");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_reset_keeps_memory),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_json_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
