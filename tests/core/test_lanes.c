/*
 * test_lanes.c - the lane model (core/lanes.h) and the delivery prediction
 * built on it (core/predict.h): levels and their fallbacks, the sample
 * threshold on both sides, the percentiles, the day-rounded window.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/lanes.h"
#include "core/predict.h"
#include "base/banned.h"

#define MON INT64_C(1709510400000) /* 2024-03-04T00:00:00Z, a Monday */
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)

static struct calendar cal;

static void lane(struct lane *l, const char *carrier, const char *service, const char *from, const char *to)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->carrier, sizeof(l->carrier), "%s", carrier);
	snprintf(l->service, sizeof(l->service), "%s", service);
	snprintf(l->origin, sizeof(l->origin), "%s", from);
	snprintf(l->destination, sizeof(l->destination), "%s", to);
}

/* n samples on a lane, shipped Monday 10:00, delivered after 1..n working
 * hours * scale, longest gap i hours. */
static size_t add(struct lane_sample *s, size_t at, size_t n, const struct lane *l, int64_t scale)
{
	for (size_t i = 0; i < n; i++) {
		struct lane_sample *x = &s[at + i];
		memset(x, 0, sizeof(*x));
		x->lane = *l;
		x->shipped_at = MON + 10 * HOUR;
		x->delivered_at = calendar_add(&cal, x->shipped_at, (int64_t)(i + 1) * scale);
		x->max_gap = (int64_t)(i + 1) * HOUR;
	}
	return at + n;
}

static int setup(void **state)
{
	(void)state;
	calendar_init(&cal);
	return 0;
}

static void test_region(void **state)
{
	char r[LANE_REGION_MAX + 1];
	(void)state;
	lane_region("US", "CA", r);
	assert_string_equal(r, "US-CA");
	lane_region("DE", "", r);
	assert_string_equal(r, "DE");
	lane_region("", "CA", r);
	assert_string_equal(r, "");
}

static void test_levels_and_threshold(void **state)
{
	struct lane_sample s[200];
	struct lane a, b, q;
	struct lane_stat st;
	struct lanes_model *m;
	size_t n = 0;
	(void)state;

	lane(&a, "ups", "ground", "US-CA", "US-NY");
	lane(&b, "ups", "ground", "US-TX", "US-NY");
	n = add(s, n, LANES_MIN_SAMPLES, &a, HOUR);     /* level 0 of a answers */
	n = add(s, n, LANES_MIN_SAMPLES - 1, &b, DAY);  /* level 0 of b does not */
	assert_int_equal(lanes_model_build(s, n, &cal, &m), WERR_OK);

	assert_true(lanes_lookup(m, &a, &st));
	assert_int_equal(st.level, 0);
	assert_int_equal(st.n, LANES_MIN_SAMPLES);
	assert_int_equal(st.transit_p50, 10 * HOUR); /* nearest rank: 10th of 20 */
	assert_int_equal(st.transit_p05, 1 * HOUR);
	assert_int_equal(st.transit_p95, 19 * HOUR);
	assert_int_equal(st.gap_p90, 18 * HOUR);

	/* b has 19 of its own: the coarser level (carrier, service,
	 * destination) with all 39 answers */
	assert_true(lanes_lookup(m, &b, &st));
	assert_int_equal(st.level, 1);
	assert_int_equal(st.n, 2 * LANES_MIN_SAMPLES - 1);

	/* another destination: carrier + service */
	lane(&q, "ups", "ground", "US-CA", "US-WA");
	assert_true(lanes_lookup(m, &q, &st));
	assert_int_equal(st.level, 2);
	/* another service: the carrier */
	lane(&q, "ups", "next_day_air", "US-CA", "US-NY");
	assert_true(lanes_lookup(m, &q, &st));
	assert_int_equal(st.level, 3);
	/* another carrier: nobody */
	lane(&q, "fedex", "ground", "US-CA", "US-NY");
	assert_false(lanes_lookup(m, &q, &st));
	assert_int_equal(st.level, -1);
	assert_int_equal(lanes_model_groups(m), 4);
	lanes_model_free(m);
}

static void test_unusable_samples_skipped(void **state)
{
	struct lane_sample s[LANES_MIN_SAMPLES];
	struct lane a;
	struct lane_stat st;
	struct lanes_model *m;
	(void)state;

	lane(&a, "dhl", "", "DE", "FR");
	add(s, 0, LANES_MIN_SAMPLES, &a, HOUR);
	s[3].shipped_at = 0;                             /* never with the carrier */
	assert_int_equal(lanes_model_build(s, LANES_MIN_SAMPLES, &cal, &m), WERR_OK);
	assert_false(lanes_lookup(m, &a, &st));          /* 19 usable */
	lanes_model_free(m);
	assert_int_equal(lanes_model_build(NULL, 0, &cal, &m), WERR_OK);
	assert_false(lanes_lookup(m, &a, &st));
	lanes_model_free(m);
}

struct seen {
	int n;
	char all[256];
};

static void collect(void *ctx, const char *carrier, const char *service)
{
	struct seen *s = ctx;
	size_t len = strlen(s->all);
	snprintf(s->all + len, sizeof(s->all) - len, "%s/%s ", carrier, service);
	s->n++;
}

static void test_each_service(void **state)
{
	struct lane_sample s[3 * LANES_MIN_SAMPLES];
	struct lane a;
	struct lanes_model *m;
	struct seen seen = { 0 };
	size_t n = 0;
	(void)state;

	lane(&a, "ups", "ground", "US-CA", "US-NY");
	n = add(s, n, LANES_MIN_SAMPLES, &a, HOUR);
	lane(&a, "ups", "", "US-CA", "US-NY");
	n = add(s, n, LANES_MIN_SAMPLES, &a, HOUR);
	lane(&a, "usps", "priority", "US-CA", "US-NY");
	n = add(s, n, LANES_MIN_SAMPLES, &a, HOUR);
	assert_int_equal(lanes_model_build(s, n, &cal, &m), WERR_OK);
	lanes_each_service(m, collect, &seen);
	/* ups/ground, ups (carrier level), usps/priority, usps: not "ups/" */
	assert_int_equal(seen.n, 4);
	assert_non_null(strstr(seen.all, "ups/ground "));
	assert_non_null(strstr(seen.all, "usps/priority "));
	assert_null(strstr(seen.all, "ups/ ups/ "));
	lanes_model_free(m);
}

static void test_predict_window(void **state)
{
	struct lane_stat st = { 0 };
	struct prediction p;
	struct package_state ps;
	int64_t shipped = MON + 4 * DAY + 15 * HOUR; /* Friday 15:00 */
	(void)state;

	st.level = 1;
	st.n = 40;
	st.transit_p05 = 12 * HOUR; /* Saturday and Sunday do not count */
	st.transit_p50 = DAY;
	st.transit_p95 = 3 * DAY;
	assert_true(predict_delivery(&st, &cal, shipped, 0, &p));
	assert_int_equal(p.earliest, MON + 7 * DAY);                 /* Monday (03:00) -> its day */
	assert_int_equal(p.likely, MON + 7 * DAY + 15 * HOUR);        /* Monday 15:00 */
	assert_int_equal(p.latest, MON + 10 * DAY - 1);               /* Wednesday 15:00 -> its day's end */
	assert_string_equal(predict_basis(&p), "lane");

	/* no lane: the carrier's estimate, one day */
	st.level = -1;
	assert_true(predict_delivery(&st, &cal, shipped, MON + 8 * DAY + 18 * HOUR, &p));
	assert_int_equal(p.earliest, MON + 8 * DAY);
	assert_int_equal(p.latest, MON + 9 * DAY - 1);
	assert_string_equal(predict_basis(&p), "carrier");
	/* neither */
	assert_false(predict_delivery(NULL, &cal, shipped, 0, &p));

	/* the shop's local day: UTC-5 moves the cuts */
	cal.offset_ms = -5 * HOUR;
	assert_int_equal(calendar_day_start(&cal, MON + 2 * HOUR), MON - DAY + 5 * HOUR);
	assert_int_equal(calendar_day_start(&cal, MON + 6 * HOUR), MON + 5 * HOUR);

	/* the page's one date */
	st.level = 1;
	cal.offset_ms = 0;
	assert_true(predict_delivery(&st, &cal, shipped, 0, &p));
	memset(&ps, 0, sizeof(ps));
	ps.shipped_at = shipped;
	ps.estimated_delivery = ps.first_estimate = MON + 9 * DAY;
	ps.estimated_at = shipped - HOUR; /* given with the label */
	assert_int_equal(predict_best(&p, &ps), p.likely);
	ps.estimated_delivery = MON + 11 * DAY; /* revised after the carrier took it */
	ps.estimated_at = shipped + DAY;
	assert_int_equal(predict_best(&p, &ps), MON + 11 * DAY);
	ps.estimated_delivery = ps.first_estimate;
	ps.estimated_at = shipped - HOUR;
	assert_int_equal(predict_best(NULL, &ps), MON + 9 * DAY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_region, setup),
		cmocka_unit_test_setup(test_levels_and_threshold, setup),
		cmocka_unit_test_setup(test_unusable_samples_skipped, setup),
		cmocka_unit_test_setup(test_each_service, setup),
		cmocka_unit_test_setup(test_predict_window, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
