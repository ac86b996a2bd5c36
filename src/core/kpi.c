/*
 * kpi.c - percentiles, UTC days and the on-time rule (kpi.h).
 */
#include "kpi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/walloc.h"
#include "../base/wtime.h"
#include "../base/banned.h"

enum werr kpi_samples_add(struct kpi_samples *s, int64_t v)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		s->v = wrealloc(s->v, nc * sizeof(*s->v));
		s->cap = nc;
	}
	s->v[s->n++] = v;
	return WERR_OK;
}

void kpi_samples_release(struct kpi_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

bool kpi_percentile(const int64_t *sorted, size_t n, double p, int64_t *out)
{
	double r;
	size_t rank;

	if (!n || !(p > 0) || p > 100)
		return false;
	r = ceil(p / 100.0 * (double)n);
	rank = r < 1 ? 1 : (size_t)r;
	if (rank > n)
		rank = n;
	*out = sorted[rank - 1];
	return true;
}

void kpi_dist(int64_t *v, size_t n, struct kpi_dist *out)
{
	out->n = n;
	out->p50 = out->p95 = 0;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	kpi_percentile(v, n, 50, &out->p50);
	kpi_percentile(v, n, 95, &out->p95);
}

int64_t kpi_day_start(int64_t t)
{
	int64_t d = t / KPI_DAY_MS;
	if (t % KPI_DAY_MS < 0)
		d--;
	return d * KPI_DAY_MS;
}

void kpi_day_name(int64_t t, char out[11])
{
	int64_t y;
	unsigned m, d;

	wtime_civil_from_days(kpi_day_start(t) / KPI_DAY_MS, &y, &m, &d);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(((y % 10000) + 10000) % 10000), m % 100, d % 100);
}

size_t kpi_days(int64_t from, int64_t to)
{
	if (to <= from)
		return 0;
	return (size_t)((kpi_day_start(to - 1) - kpi_day_start(from)) / KPI_DAY_MS + 1);
}

size_t kpi_day_index(int64_t from, int64_t t)
{
	int64_t d = (kpi_day_start(t) - kpi_day_start(from)) / KPI_DAY_MS;
	return d < 0 ? 0 : (size_t)d;
}

int64_t kpi_promise_deadline(int64_t promised_by)
{
	if (promised_by % KPI_DAY_MS == 0)
		return promised_by + KPI_DAY_MS - 1;
	return promised_by;
}

bool kpi_on_time(int64_t delivered_at, int64_t promised_by)
{
	if (!promised_by || !delivered_at)
		return false;
	return delivered_at <= kpi_promise_deadline(promised_by);
}

bool kpi_is_carrier_event(enum ev_status s, bool has_package)
{
	if (!has_package)
		return false;
	switch (s) {
	case EV_IN_TRANSIT:
	case EV_OUT_FOR_DELIVERY:
	case EV_AVAILABLE_FOR_PICKUP:
	case EV_DELIVERY_ATTEMPTED:
	case EV_DELIVERED:
	case EV_EXCEPTION:
	case EV_RETURNED_TO_SENDER:
		return true;
	default:
		return false;
	}
}

void kpi_order_times(const struct order_state *o, int64_t *shipped_at, int64_t *delivered_at)
{
	*shipped_at = *delivered_at = 0;
	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];

		if (p->is_return)
			continue; /* a return parcel's trip is the return's (returns KPIs) */
		if (p->shipped_at && (!*shipped_at || p->shipped_at < *shipped_at))
			*shipped_at = p->shipped_at;
		/* a partly delivered order has no click-to-door time yet */
		if (o->status == ORD_DELIVERED && p->delivered_at > *delivered_at)
			*delivered_at = p->delivered_at;
	}
}

double kpi_rate(int64_t num, int64_t den)
{
	return den > 0 ? (double)num / (double)den : -1.0;
}
