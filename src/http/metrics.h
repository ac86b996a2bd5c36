/*
 * metrics.h - counters for /metrics, written in Prometheus text format.
 *
 * Counters are updated from any thread (a mutex; updates are a few per
 * request).  Per-source series are capped at METRICS_MAX_SOURCES names;
 * later names are counted under source="other" so a flood of made-up source
 * names cannot grow memory.
 */
#ifndef WISMO_METRICS_H
#define WISMO_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../store/writer.h"

enum route {
	ROUTE_OTHER = 0,
	ROUTE_EVENTS,
	ROUTE_ORDER,
	ROUTE_TIMELINE,
	ROUTE_ORDERS,
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS,
	ROUTE_HOOKS,
	ROUTE_UNMAPPED,
	ROUTE_REJECTED,
	/* BEGIN route ids: web pages */
	ROUTE_TRACK,
	ROUTE_TRACK_STREAM,
	ROUTE_STATIC,
	ROUTE_DASHBOARD,
	ROUTE_TRACK_LINKS,
	ROUTE_RAW,
	/* END route ids: web pages */
	/* BEGIN route ids: KPIs, agent view, streams */
	ROUTE_KPIS,
	ROUTE_SEARCH,
	ROUTE_QUEUES,
	ROUTE_STREAM,
	/* END route ids: KPIs, agent view, streams */
	/* BEGIN route ids: notifications */
	ROUTE_RULES,
	ROUTE_AUDIT,
	ROUTE_OUTBOX,
	ROUTE_CONSENT,
	/* END route ids: notifications */
	ROUTE__COUNT
};

enum ev_result { EVR_ACCEPTED = 0, EVR_DUPLICATE, EVR_REJECTED, EVR_PARKED, EVR__COUNT };

/* What became of one webhook delivery. */
enum hook_result {
	HOOK_ACCEPTED = 0,  /* stored (possibly with no events) */
	HOOK_UNAUTHORIZED,  /* missing or bad signature, or no secret configured */
	HOOK_REJECTED,      /* a body the adapter could not read (kept in the rejected list) */
	HOOK_FAILED,        /* fetch or storage failure: the source should retry */
	HOOK__COUNT
};

#define METRICS_MAX_SOURCES 64

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
void metrics_request(struct metrics *m, enum route route, unsigned status);
void metrics_events(struct metrics *m, const char *source, enum ev_result r, uint64_t n);
void metrics_hook(struct metrics *m, const char *source, enum hook_result r);
/* Live SSE streams (sse.c): delta to the open gauge, or one refused (503). */
void metrics_sse(struct metrics *m, int delta_open, bool refused);
enum werr metrics_render(struct metrics *m, const struct writer_stats *ws, struct buf *out);

#endif
