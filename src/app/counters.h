/*
 * counters.h - the application's counters for /metrics: events received per
 * source and outcome, webhook deliveries per source and outcome, and the
 * writer's queue and commit figures (docs/api.md lists the names).
 *
 * Counters are updated from any thread (a mutex; a few updates per request).
 * Per-source series are capped at COUNTERS_MAX_SOURCES names; later names are
 * counted under source="other", so a flood of made-up source names cannot
 * grow memory.
 */
#ifndef WISMO_APP_COUNTERS_H
#define WISMO_APP_COUNTERS_H

#include <stdint.h>

#include "../base/buf.h"
#include "../store/writer.h"

enum ev_result { EVR_ACCEPTED = 0, EVR_DUPLICATE, EVR_REJECTED, EVR_PARKED, EVR__COUNT };

/* What became of one webhook delivery. */
enum hook_result {
	HOOK_ACCEPTED = 0,  /* stored (possibly with no events) */
	HOOK_UNAUTHORIZED,  /* missing or bad signature, or no secret configured */
	HOOK_REJECTED,      /* a body the adapter could not read (kept in the rejected list) */
	HOOK_FAILED,        /* fetch or storage failure: the source should retry */
	HOOK__COUNT
};

#define COUNTERS_MAX_SOURCES 64

struct app_counters;

struct app_counters *app_counters_new(void);
void app_counters_free(struct app_counters *m);
void app_count_events(struct app_counters *m, const char *source, enum ev_result r, uint64_t n);
void app_count_hook(struct app_counters *m, const char *source, enum hook_result r);
/* Appends the counters and the writer's figures ws in Prometheus text format. */
void app_counters_render(struct app_counters *m, const struct writer_stats *ws, struct buf *out);

#endif
