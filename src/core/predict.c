/*
 * predict.c - when a parcel will arrive (predict.h).
 */
#include "predict.h"

#include "../base/banned.h"

const char *predict_basis(const struct prediction *p)
{
	return p->level >= 0 ? "lane" : "carrier";
}

bool predict_delivery(const struct lane_stat *st, const struct calendar *cal, int64_t shipped_at,
		      int64_t carrier_estimate, struct prediction *out)
{
	out->earliest = out->likely = out->latest = 0;
	out->level = -1;
	out->n = 0;
	if (st && st->level >= 0 && shipped_at > 0) {
		int64_t lo = calendar_add(cal, shipped_at, st->transit_p05);
		int64_t hi = calendar_add(cal, shipped_at, st->transit_p95);
		if (hi == INT64_MAX)
			return false; /* a calendar without working days */
		out->earliest = calendar_day_start(cal, lo);
		out->likely = calendar_add(cal, shipped_at, st->transit_p50);
		out->latest = calendar_day_start(cal, hi) + CAL_DAY_MS - 1;
		out->level = st->level;
		out->n = st->n;
		return true;
	}
	if (carrier_estimate > 0) {
		out->earliest = calendar_day_start(cal, carrier_estimate);
		out->likely = carrier_estimate;
		out->latest = out->earliest + CAL_DAY_MS - 1;
		return true;
	}
	return false;
}

int64_t predict_best(const struct prediction *p, const struct package_state *ps)
{
	bool revised = ps->estimated_delivery && ps->estimated_at > ps->shipped_at && ps->shipped_at &&
		       ps->estimated_delivery != ps->first_estimate;

	if (revised)
		return ps->estimated_delivery;
	if (p && p->level >= 0)
		return p->likely;
	return ps->estimated_delivery;
}
