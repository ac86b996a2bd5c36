/*
 * kpi_ms.h - the time orders spend in each of the shop's milestones
 * (docs/kpis.md "Milestones", docs/milestones.md): the rows an order's fold
 * gives (one per milestone reached, rule 11 of docs/status.md) and the
 * figures over a period.  Pure: no I/O, no clock.  The writer's hook
 * (store/milestone_times.h) stores the rows, src/views/kpi_milestones.c
 * reads them back and prints what kpi_ms_figures() computes.
 *
 * A row's time in the milestone is left_at - reached_at (a negative one,
 * the next milestone reported with an earlier time, counts as 0).  The
 * sample of a period [from, to) is the rows that LEFT in it; "open" counts
 * the rows of the milestone each order is in now, whenever reached.
 * Percentiles are nearest-rank (core/kpi.h).
 *
 * Memory: kpi_ms_figures() allocates out's arrays (never fails: base/
 * walloc.h); kpi_ms_figures_release() frees them.
 */
#ifndef WISMO_KPI_MS_H
#define WISMO_KPI_MS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "milestones.h"
#include "order.h"

/* Distinct channels kept per milestone in by_channel; rows of further
 * channels count in the milestone's own figures only. */
#define KPI_MS_CHANNELS_MAX 64

/* One milestone an order reached, as stored (table order_milestones). */
struct kpi_ms_row {
	char order[EV_ORDER_MAX + 1];
	char name[MS_NAME_MAX + 1];
	char channel[EV_CHANNEL_MAX + 1]; /* the order's sales channel or product line, "" none */
	int64_t reached_at;
	int64_t left_at;                  /* 0: not left (still in it, or unknown) */
	bool current;                     /* the milestone the order is in now */
};

/* The rows of o into out[0..o->nms_reached), in progress order; returns
 * their number. */
size_t kpi_ms_rows(const struct order_state *o, struct kpi_ms_row *out);

struct kpi_ms_stat {
	size_t n;         /* rows that left in the period */
	int64_t p50, p90; /* of their times in it (ms); valid when n > 0 */
	int64_t open;     /* rows current now */
};

struct kpi_ms_channel {
	char channel[EV_CHANNEL_MAX + 1]; /* "none" for rows without one */
	struct kpi_ms_stat s;
};

struct kpi_ms_figure {
	char name[MS_NAME_MAX + 1];
	struct kpi_ms_stat s;
	size_t nchannels;
	struct kpi_ms_channel *channels; /* by channel name (bytes) */
};

struct kpi_ms_figures {
	size_t n;
	struct kpi_ms_figure *v; /* by name (bytes); a name with no row left in the period nor open is absent */
};

/*
 * The figures of rows[0..n) over [from, to).  Sorts rows in place and
 * writes "none" into the channel of rows without one.  out is overwritten
 * (not released first).
 */
void kpi_ms_figures(struct kpi_ms_row *rows, size_t n, int64_t from, int64_t to, struct kpi_ms_figures *out);
void kpi_ms_figures_release(struct kpi_ms_figures *f);

#endif
