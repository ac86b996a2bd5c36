/*
 * metrics.h - the transport's counters for /metrics: requests by route label
 * and status code, and live event streams (open, opened, refused).
 *
 * Every status 100..599 is counted under its own code (code="429"); only a
 * status outside that range would count as code="other".
 *
 * The labels are the route tables' (struct http_route.label), gathered once
 * at start; a request that matched no route counts as "other".  Counters are
 * updated from any thread (a mutex; one update per request).
 */
#ifndef WISMO_HTTP_METRICS_H
#define WISMO_HTTP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "http.h"

struct http_metrics;

struct http_metrics *http_metrics_new(const struct http_routes *tables, size_t ntables);
void http_metrics_free(struct http_metrics *m);
/* label NULL: "other". */
void http_metrics_request(struct http_metrics *m, const char *label, unsigned status);
/* Live SSE streams (sse.c): delta to the open gauge, or one refused (503). */
void http_metrics_sse(struct http_metrics *m, int delta_open, bool refused);
/* Appends the counters in Prometheus text format. */
void http_metrics_render(struct http_metrics *m, struct buf *out);
/* The server's counters, for the handler of /metrics. */
struct http_metrics *http_server_metrics(struct http_server *s);

#endif
