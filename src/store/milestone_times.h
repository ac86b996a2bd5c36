/*
 * milestone_times.h - the writer's project hook that keeps the
 * order_milestones projection (store.h struct store_milestone_ops, core/
 * kpi_ms.h): for each refolded order, the milestones it reached, when it
 * left each and its channel, for the KPIs' "milestones" (docs/kpis.md).
 *
 * The hook replaces the order's rows (delete + insert) when the order has
 * an event naming a shop milestone (o->nms_events), and does nothing
 * otherwise: an order without one never had a row, so most orders cost no
 * statement.  An order whose milestone events no longer reach a milestone
 * (the configuration changed) loses its rows at its next refold.
 *
 * Wiring: serve.c adds milestone_times_project with
 * writer_add_project_hook; `wismo rebuild` passes milestone_times_chain,
 * which runs it and then the one other hook store_rebuild takes.  Both run
 * on the writer's (or the rebuild's) thread, inside its transaction; a
 * store error is returned and rolls the batch back.  ctx is unused by
 * milestone_times_project (NULL).
 */
#ifndef WISMO_MILESTONE_TIMES_H
#define WISMO_MILESTONE_TIMES_H

#include <stdint.h>

#include "store.h"
#include "writer.h"

enum werr milestone_times_project(void *ctx, struct store *st, const struct order_state *o, int64_t now);

/* For store_rebuild, which takes one hook: ctx is a struct
 * milestone_times_chain; runs milestone_times_project, then next (may be
 * NULL) with its ctx. */
struct milestone_times_chain {
	writer_project_fn next;
	void *ctx;
};
enum werr milestone_times_chain(void *ctx, struct store *st, const struct order_state *o, int64_t now);

#endif
