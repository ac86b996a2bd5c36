/*
 * kpi_returns.c - the returns' figures of the KPIs (views.h
 * view_kpis_returns, docs/kpis.md "Returns"), read from the returns
 * projection (store.h struct store_return_ops).
 *
 * Return rate: returns requested in the range per order delivered in it
 * (the series' deliveries).  Cycle time: request -> resolution (refund,
 * replacement or store credit) of the returns resolved in the range;
 * receipt -> resolution likewise: the part the shop controls.  Live: every
 * return not yet resolved, closed, rejected or cancelled, whenever made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "views.h"
#include "../core/kpi.h"
#include "../core/returns.h"
#include "../base/banned.h"

/* {"n", "p50_ms", "p90_ms"} of s (sorted here). */
static void add_dist(cJSON *o, const char *name, struct kpi_samples *s)
{
	cJSON *d = cJSON_AddObjectToObject(o, name);
	struct kpi_dist dist;
	int64_t p90;

	if (!d)
		return;
	kpi_dist(s->v, s->n, &dist);
	cJSON_AddNumberToObject(d, "n", (double)dist.n);
	if (dist.n && kpi_percentile(s->v, s->n, 90, &p90)) {
		cJSON_AddNumberToObject(d, "p50_ms", (double)dist.p50);
		cJSON_AddNumberToObject(d, "p90_ms", (double)p90);
	} else {
		cJSON_AddNullToObject(d, "p50_ms");
		cJSON_AddNullToObject(d, "p90_ms");
	}
}

enum werr view_kpis_returns(struct store *st, int64_t from, int64_t to, cJSON *root)
{
	struct counts reasons = { 0 }, disps = { 0 }, states = { 0 };
	size_t n = 0;
	struct kpi_samples cycle = { 0 }, r2r = { 0 };
	int64_t requested = 0, received = 0, resolved = 0, live = 0, delivered = 0;
	struct return_row *rows = NULL;
	const cJSON *day;
	cJSON *x;
	enum werr err;

	if ((err = store_ret_kpis(st, from, to, &rows, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct return_row *r = &rows[i];
		bool in_req = r->requested_at >= from && r->requested_at < to;
		bool in_res = r->resolved_at >= from && r->resolved_at < to;
		int s = ret_step_from_name(r->state);
		if (in_req) {
			requested++;
			counts_bump(&reasons, r->reason[0] ? r->reason : "none");
		}
		received += r->received_at >= from && r->received_at < to;
		if (r->disposition[0] && r->received_at >= from && r->received_at < to)
			counts_bump(&disps, r->disposition);
		if (in_res) {
			resolved++;
			if (r->requested_at && r->resolved_at >= r->requested_at)
				kpi_samples_add(&cycle, r->resolved_at - r->requested_at);
			if (r->received_at && r->resolved_at >= r->received_at)
				kpi_samples_add(&r2r, r->resolved_at - r->received_at);
		}
		if (s >= 0 && ret_step_rank((enum ret_step)s) >= 0 && ret_step_rank((enum ret_step)s) < 7 &&
		    s != RET_REJECTED) {
			live++;
			counts_bump(&states, r->state);
		}
	}
	free(rows);
	cJSON_ArrayForEach(day, cJSON_GetObjectItemCaseSensitive(root, "series")) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(day, "delivered");
		if (cJSON_IsNumber(d))
			delivered += (int64_t)d->valuedouble;
	}
	err = WERR_NOMEM;
	if (!(x = cJSON_AddObjectToObject(root, "returns")))
		goto out;
	cJSON_AddNumberToObject(x, "requested", (double)requested);
	cJSON_AddNumberToObject(x, "received", (double)received);
	cJSON_AddNumberToObject(x, "resolved", (double)resolved);
	cJSON_AddNumberToObject(x, "delivered_orders", (double)delivered);
	if (delivered)
		cJSON_AddNumberToObject(x, "return_rate", (double)requested / (double)delivered);
	else
		cJSON_AddNullToObject(x, "return_rate");
	add_dist(x, "cycle_time", &cycle);
	add_dist(x, "receipt_to_refund", &r2r);
	cJSON_AddNumberToObject(x, "open", (double)live);
	if (!counts_json(x, "by_reason", "reason", "returns", &reasons) ||
	    !counts_json(x, "by_disposition", "disposition", "returns", &disps) ||
	    !counts_json(x, "open_by_state", "state", "returns", &states))
		goto out;
	err = WERR_OK;
out:
	kpi_samples_release(&cycle);
	kpi_samples_release(&r2r);
	return err;
}
