/*
 * test_color.c - readable brand colours (web/color.h): WCAG luminance and
 * contrast against known values, and the guarantee that text on any brand
 * colour, and a brand colour as text on white, reaches 4.5:1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "web/color.h"
#include "base/banned.h"

static void test_parse_format(void **state)
{
	unsigned char c[3];
	char out[8];

	(void)state;
	assert_true(color_parse("#1F4e8c", c));
	assert_int_equal(c[0], 0x1f);
	assert_int_equal(c[1], 0x4e);
	assert_int_equal(c[2], 0x8c);
	color_format(c, out);
	assert_string_equal(out, "#1f4e8c");
	assert_false(color_parse("1f4e8c", c));
	assert_false(color_parse("#1f4e8", c));
	assert_false(color_parse("#1f4e8g", c));
	assert_false(color_parse(NULL, c));
}

static void test_known_contrasts(void **state)
{
	const unsigned char black[3] = { 0, 0, 0 }, white[3] = { 255, 255, 255 }, grey[3] = { 0x76, 0x76, 0x76 };

	(void)state;
	assert_true(fabs(color_contrast(black, white) - 21) < 1e-9);
	assert_true(fabs(color_contrast(white, white) - 1) < 1e-9);
	/* #767676 on white is the well-known 4.54:1 */
	assert_true(fabs(color_contrast(grey, white) - 4.54) < 0.01);
}

static void test_every_colour_gets_readable_text(void **state)
{
	const unsigned char white[3] = { 255, 255, 255 };
	double worst_on = 21, worst_ink = 21;

	(void)state;
	for (int r = 0; r < 256; r += 15)
		for (int g = 0; g < 256; g += 15)
			for (int b = 0; b < 256; b += 15) {
				unsigned char c[3] = { (unsigned char)r, (unsigned char)g, (unsigned char)b }, t[3];
				char out[8];
				color_text_on(c, out);
				assert_true(!strcmp(out, "#000000") || !strcmp(out, "#ffffff"));
				assert_true(color_parse(out, t));
				if (color_contrast(c, t) < worst_on)
					worst_on = color_contrast(c, t);
				color_readable_on_white(c, 4.5, out);
				assert_true(color_parse(out, t));
				if (color_contrast(t, white) < worst_ink)
					worst_ink = color_contrast(t, white);
			}
	assert_true(worst_on >= 4.5);
	assert_true(worst_ink >= 4.5);
}

static void test_dark_colours_unchanged(void **state)
{
	unsigned char c[3] = { 0x1f, 0x4e, 0x8c };
	char out[8];

	(void)state;
	color_readable_on_white(c, 4.5, out);
	assert_string_equal(out, "#1f4e8c");
	color_text_on(c, out);
	assert_string_equal(out, "#ffffff");
	c[0] = 0xff, c[1] = 0xd7, c[2] = 0x00; /* gold: black text */
	color_text_on(c, out);
	assert_string_equal(out, "#000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_known_contrasts),
		cmocka_unit_test(test_every_colour_gets_readable_text),
		cmocka_unit_test(test_dark_colours_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
