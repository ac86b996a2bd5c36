/*
 * milestone_times.c - the order_milestones projection, written from each
 * refolded order (milestone_times.h).
 */
#include "milestone_times.h"

#include <stdlib.h>

#include "../base/walloc.h"
#include "../base/banned.h"

enum werr milestone_times_project(void *ctx, struct store *st, const struct order_state *o, int64_t now)
{
	struct kpi_ms_row *rows;
	size_t n;
	enum werr err;

	(void)ctx;
	(void)now;
	/* no milestone event: no row now, none before (the log only grows) */
	if (!o->nms_events)
		return WERR_OK;
	rows = wmalloc((o->nms_reached ? o->nms_reached : 1) * sizeof(*rows));
	n = kpi_ms_rows(o, rows);
	err = store_ms_put(st, o->order, rows, n);
	free(rows);
	return err;
}

enum werr milestone_times_chain(void *ctx, struct store *st, const struct order_state *o, int64_t now)
{
	const struct milestone_times_chain *c = ctx;
	enum werr err = milestone_times_project(NULL, st, o, now);

	return err || !c->next ? err : c->next(c->ctx, st, o, now);
}
