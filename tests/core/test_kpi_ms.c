/*
 * test_kpi_ms.c - the time spent in each of the shop's milestones
 * (core/kpi_ms.h): an order's rows from its fold, and the figures of a
 * period, nearest-rank, with values computed by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/kpi_ms.h"
#include "base/banned.h"

#define T0 INT64_C(1709510400000) /* 2024-03-04T00:00:00Z */
#define HOUR INT64_C(3600000)

static struct kpi_ms_row row(const char *name, const char *channel, int64_t at, int64_t left, bool current)
{
	struct kpi_ms_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.channel, sizeof(r.channel), "%s", channel);
	r.reached_at = at;
	r.left_at = left;
	r.current = current;
	return r;
}

/* Ten orders left production in the period after 1..10 hours, three of
 * them without a channel; one left before it, one after it; two are in it
 * now.  p50 is rank 5 (5 h), p90 rank 9 (9 h). */
static void test_figures(void **state)
{
	struct kpi_ms_row rows[20];
	struct kpi_ms_figures f;
	size_t n = 0;
	(void)state;

	for (int h = 1; h <= 10; h++)
		rows[n++] = row("production_started", h <= 3 ? "" : h <= 7 ? "retail" : "wholesale", T0,
				T0 + h * HOUR, false);
	rows[n++] = row("production_started", "retail", T0 - 10 * HOUR, T0 - HOUR, false);   /* left before */
	rows[n++] = row("production_started", "retail", T0, T0 + 100 * HOUR, false);         /* left after */
	rows[n++] = row("production_started", "retail", T0, 0, true);
	rows[n++] = row("production_started", "", T0, 0, true);
	rows[n++] = row("po_accepted", "retail", T0 + 2 * HOUR, T0 + HOUR, false); /* reported out of order: 0 */
	rows[n++] = row("freight_booked", "", T0, 0, false);                       /* neither left nor open */
	kpi_ms_figures(rows, n, T0, T0 + 24 * HOUR, &f);

	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].name, "po_accepted");
	assert_int_equal(f.v[0].s.n, 1);
	assert_int_equal(f.v[0].s.p50, 0);
	assert_int_equal(f.v[0].s.p90, 0);
	assert_int_equal(f.v[0].s.open, 0);

	assert_string_equal(f.v[1].name, "production_started");
	assert_int_equal(f.v[1].s.n, 10);
	assert_int_equal(f.v[1].s.p50, 5 * HOUR);
	assert_int_equal(f.v[1].s.p90, 9 * HOUR);
	assert_int_equal(f.v[1].s.open, 2);
	assert_int_equal(f.v[1].nchannels, 3);
	/* "none" (3 values: 1, 2, 3 h; one open) */
	assert_string_equal(f.v[1].channels[0].channel, "none");
	assert_int_equal(f.v[1].channels[0].s.n, 3);
	assert_int_equal(f.v[1].channels[0].s.p50, 2 * HOUR);
	assert_int_equal(f.v[1].channels[0].s.p90, 3 * HOUR);
	assert_int_equal(f.v[1].channels[0].s.open, 1);
	/* retail: 4..7 h in the period (p50 rank 2: 5 h, p90 rank 4: 7 h), one open */
	assert_string_equal(f.v[1].channels[1].channel, "retail");
	assert_int_equal(f.v[1].channels[1].s.n, 4);
	assert_int_equal(f.v[1].channels[1].s.p50, 5 * HOUR);
	assert_int_equal(f.v[1].channels[1].s.p90, 7 * HOUR);
	assert_int_equal(f.v[1].channels[1].s.open, 1);
	/* wholesale: 8, 9, 10 h */
	assert_string_equal(f.v[1].channels[2].channel, "wholesale");
	assert_int_equal(f.v[1].channels[2].s.n, 3);
	assert_int_equal(f.v[1].channels[2].s.p50, 9 * HOUR);
	assert_int_equal(f.v[1].channels[2].s.p90, 10 * HOUR);
	assert_int_equal(f.v[1].channels[2].s.open, 0);
	kpi_ms_figures_release(&f);
}

/* Only open: n 0, no percentiles, still listed. */
static void test_open_only_and_empty(void **state)
{
	struct kpi_ms_row rows[1] = { row("customs_cleared", "b2b", T0, 0, true) };
	struct kpi_ms_figures f;
	(void)state;

	kpi_ms_figures(rows, 1, T0, T0 + HOUR, &f);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].s.n, 0);
	assert_int_equal(f.v[0].s.open, 1);
	assert_int_equal(f.v[0].nchannels, 1);
	assert_string_equal(f.v[0].channels[0].channel, "b2b");
	kpi_ms_figures_release(&f);
	kpi_ms_figures(NULL, 0, T0, T0 + HOUR, &f);
	assert_int_equal(f.n, 0);
	kpi_ms_figures_release(&f);
}

/* An order's rows: one per milestone reached, its channel, the current one. */
static void test_rows_of_order(void **state)
{
	struct ms_reached ms[2];
	struct order_state o;
	struct kpi_ms_row rows[2];
	(void)state;

	order_init(&o);
	memset(ms, 0, sizeof(ms));
	snprintf(o.order, sizeof(o.order), "B-7");
	snprintf(o.channel, sizeof(o.channel), "wholesale");
	snprintf(ms[0].name, sizeof(ms[0].name), "po_accepted");
	ms[0].at = T0;
	ms[0].left_at = T0 + HOUR;
	snprintf(ms[1].name, sizeof(ms[1].name), "production_started");
	ms[1].at = T0 + HOUR;
	o.ms_reached = ms;
	o.nms_reached = 2;
	o.ms_current = 1;
	assert_int_equal(kpi_ms_rows(&o, rows), 2);
	assert_string_equal(rows[0].order, "B-7");
	assert_string_equal(rows[0].name, "po_accepted");
	assert_string_equal(rows[0].channel, "wholesale");
	assert_int_equal(rows[0].reached_at, T0);
	assert_int_equal(rows[0].left_at, T0 + HOUR);
	assert_false(rows[0].current);
	assert_string_equal(rows[1].name, "production_started");
	assert_int_equal(rows[1].left_at, 0);
	assert_true(rows[1].current);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_open_only_and_empty),
		cmocka_unit_test(test_rows_of_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
