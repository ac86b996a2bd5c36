/*
 * test_svg.c - server-rendered bar charts (web/svg.h): the accessible
 * wrapper, one bar per value with heights in proportion, escaping, nice axis
 * maxima, the empty chart, and bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/svg.h"
#include "base/banned.h"

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The height attribute of the k-th bar. */
static double bar_height(const char *svg, size_t k)
{
	const char *p = svg;
	for (size_t i = 0; i <= k; i++) {
		p = strstr(p, "<rect class=\"bar\"");
		assert_non_null(p);
		p++;
	}
	p = strstr(p, "height=\"");
	assert_non_null(p);
	return strtod(p + 8, NULL);
}

static void test_grouped_bars(void **state)
{
	const char *cats[] = { "2026-03-01", "2026-03-02", "2026-03-03" };
	const double a[] = { 12.5, 25, 50 }, b[] = { 5, 0, 1 };
	const struct svg_series ser[] = { { "ups", a }, { "fedex", b } };
	const struct svg_chart c = { "Events per source per day", "events", 3, cats, 2, ser };
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(svg_bar_chart(&out, &c), WERR_OK);
	assert_true(!strncmp(out.p, "<svg class=\"chart\" role=\"img\"", 29));
	assert_non_null(strstr(out.p, "aria-label=\"Events per source per day\""));
	assert_non_null(strstr(out.p, "<title>Events per source per day</title>"));
	assert_int_equal(count(out.p, "<rect class=\"bar\""), 6);
	assert_non_null(strstr(out.p, "<title>2026-03-02 - ups: 25 events</title>"));
	assert_non_null(strstr(out.p, "<title>2026-03-01 - fedex: 5 events</title>"));
	assert_non_null(strstr(out.p, "<title>2026-03-01 - ups: 12.5 events</title>"));
	/* bars in order cat0/ups, cat0/fedex, cat1/ups ...; heights proportional */
	assert_true(fabs(bar_height(out.p, 4) - 2 * bar_height(out.p, 2)) < 0.2);
	assert_true(fabs(bar_height(out.p, 2) - 2 * bar_height(out.p, 0)) < 0.2);
	assert_true(bar_height(out.p, 3) == 0);
	/* the axis top is 50 (already nice): the tallest bar fills the plot */
	assert_true(fabs(bar_height(out.p, 4) - 200) < 0.2);
	/* no style attributes (CSP style-src 'self') and no script */
	assert_null(strstr(out.p, "style="));
	assert_null(strstr(out.p, "<script"));
	assert_true(!strcmp(out.p + out.len - 7, "</svg>\n"));
	buf_release(&out);
}

static void test_escaping(void **state)
{
	const char *cats[] = { "<b>&\"'" };
	const double a[] = { 1 };
	const struct svg_series ser[] = { { "x<y", a } };
	const struct svg_chart c = { "A \"chart\" & <more>", NULL, 1, cats, 1, ser };
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(svg_bar_chart(&out, &c), WERR_OK);
	assert_non_null(strstr(out.p, "aria-label=\"A &quot;chart&quot; &amp; &lt;more&gt;\""));
	assert_non_null(strstr(out.p, "&lt;b&gt;&amp;&quot;&#39;"));
	assert_non_null(strstr(out.p, "x&lt;y"));
	assert_null(strstr(out.p, "<b>"));
	assert_null(strstr(out.p, "x<y"));
	buf_release(&out);
}

static void test_empty_and_odd_values(void **state)
{
	const char *cats[] = { "a", "b" };
	const double a[] = { -3, NAN };
	const struct svg_series ser[] = { { "s", a } };
	const struct svg_chart empty = { "Nothing", NULL, 0, NULL, 0, NULL };
	const struct svg_chart odd = { "Odd", "ms", 2, cats, 1, ser };
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(svg_bar_chart(&out, &empty), WERR_OK);
	assert_non_null(strstr(out.p, "No data"));
	assert_int_equal(count(out.p, "<rect class=\"bar\""), 0);
	buf_reset(&out);
	assert_int_equal(svg_bar_chart(&out, &odd), WERR_OK);
	assert_int_equal(count(out.p, "<rect class=\"bar\""), 2);
	assert_true(bar_height(out.p, 0) == 0 && bar_height(out.p, 1) == 0);
	assert_non_null(strstr(out.p, "b - s: n/a ms"));
	assert_non_null(strstr(out.p, "a - s: -3 ms"));
	buf_release(&out);
}

static void test_bad_input(void **state)
{
	const double a[] = { 1 };
	const char *cats[] = { "a" };
	struct svg_series many[SVG_SERIES_MAX + 1];
	const struct svg_series noname[] = { { NULL, a } };
	struct svg_chart c = { "t", NULL, 1, cats, SVG_SERIES_MAX + 1, many };
	struct buf out = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < SVG_SERIES_MAX + 1; i++)
		many[i] = (struct svg_series){ "s", a };
	assert_int_equal(svg_bar_chart(&out, &c), WERR_INVALID);
	c.nseries = 1;
	c.series = noname;
	assert_int_equal(svg_bar_chart(&out, &c), WERR_INVALID);
	c.series = many;
	c.title = NULL;
	assert_int_equal(svg_bar_chart(&out, &c), WERR_INVALID);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void test_nice_max(void **state)
{
	static const double cases[][2] = { { 0, 1 },     { -5, 1 },     { 0.3, 0.5 }, { 1, 1 },     { 1.1, 2 },
					   { 2.2, 2.5 }, { 3, 5 },      { 7, 10 },    { 40, 50 },   { 41, 50 },
					   { 51, 100 },  { 230, 250 },  { 1e6, 1e6 }, { 1234, 2000 } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = svg_nice_max(cases[i][0]);
		if (fabs(got - cases[i][1]) > 1e-9 * cases[i][1]) {
			print_error("svg_nice_max(%g) = %g, expected %g\n", cases[i][0], got, cases[i][1]);
			fail();
		}
	}
	assert_true(svg_nice_max(INFINITY) == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped_bars),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_empty_and_odd_values),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_nice_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
