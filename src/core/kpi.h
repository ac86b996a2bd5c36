/*
 * kpi.h - the pure computations behind the KPIs (docs/kpis.md):
 * percentiles, UTC days, rates, the on-time rule and the timing columns an
 * order projection carries for them.  No I/O, no clock: the store gives
 * rows (and stores what kpi_order_times says), src/views/views.c reads them
 * and calls these.
 *
 * Percentiles are nearest-rank: the p-th percentile of n sorted values is
 * the value at rank ceil(p / 100 * n) (1-based), so it is always one of the
 * observed values; with no values there is none.
 */
#ifndef WISMO_KPI_H
#define WISMO_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "order.h"
#include "status.h"

#define KPI_DAY_MS ((int64_t)86400000)
#define KPI_MAX_DAYS 366 /* longest period a request may ask for */

/* A growing array of samples (ms).  kpi_samples_release frees it. */
struct kpi_samples {
	int64_t *v;
	size_t n, cap;
};

/* Returns WERR_OK: an allocation failure ends the process (base/walloc.h). */
enum werr kpi_samples_add(struct kpi_samples *s, int64_t v);
void kpi_samples_release(struct kpi_samples *s);

/* Summary of a sample set; p50/p95 valid only when n > 0. */
struct kpi_dist {
	size_t n;
	int64_t p50, p95;
};

/* Sorts v in place and fills *out (out->n = n). */
void kpi_dist(int64_t *v, size_t n, struct kpi_dist *out);
/* Nearest-rank percentile (0 < p <= 100) of n sorted values; false if n == 0. */
bool kpi_percentile(const int64_t *sorted, size_t n, double p, int64_t *out);

/* Start (ms) of the UTC day holding t, and its "YYYY-MM-DD" name. */
int64_t kpi_day_start(int64_t t);
void kpi_day_name(int64_t t, char out[11]);
/* Number of UTC days that [from, to) touches (to > from), else 0. */
size_t kpi_days(int64_t from, int64_t to);
/* Index of t's day in the series that starts on from's day. */
size_t kpi_day_index(int64_t from, int64_t t);

/*
 * Delivered on time: on or before the promise.  A promise at exactly
 * midnight UTC is a date ("deliver by 7 March") and holds until the end of
 * that day.  No promise (0) is not on time nor late: callers count only
 * orders with a promise.
 */
bool kpi_on_time(int64_t delivered_at, int64_t promised_by);
/* The effective deadline of a promise (see kpi_on_time). */
int64_t kpi_promise_deadline(int64_t promised_by);

/* An event that reports a carrier milestone of a parcel (the latency
 * sample: in_transit ... returned_to_sender, on an event with a package). */
bool kpi_is_carrier_event(enum ev_status s, bool has_package);

/*
 * The timing columns stored with an order's projection (the cycle_time and
 * click_to_door samples of docs/kpis.md): *shipped_at the earliest carrier
 * possession of any parcel, *delivered_at, only when the whole order is
 * delivered, the last parcel's delivery.  0: none.
 */
void kpi_order_times(const struct order_state *o, int64_t *shipped_at, int64_t *delivered_at);

/* num / den, or a negative number when den == 0 (no rate). */
double kpi_rate(int64_t num, int64_t den);

#endif
