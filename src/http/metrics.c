/* metrics.c - request and event counters in Prometheus text format. */
#include "metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/event.h"
#include "../base/banned.h"

static const char *route_names[ROUTE__COUNT] = {
	"other", "events", "order", "timeline", "orders", "healthz", "readyz", "metrics",
	"hooks", "unmapped", "rejected",
	/* BEGIN route ids: web pages */
	"track", "track_stream", "static", "dashboard", "track_links", "raw",
	/* END route ids: web pages */
	/* BEGIN route ids: KPIs, agent view, streams */
	"kpis", "search", "queues", "stream",
	/* END route ids: KPIs, agent view, streams */
	/* BEGIN route ids: notifications */
	"rules", "audit", "outbox", "consent",
	/* END route ids: notifications */
};
static const char *result_names[EVR__COUNT] = { "accepted", "duplicate", "rejected", "parked" };
static const char *hook_names[HOOK__COUNT] = { "accepted", "unauthorized", "rejected", "failed" };

/* status classes counted: 2xx, 4xx by code, 5xx */
static const unsigned codes[] = { 200, 400, 401, 403, 404, 405, 413, 415, 422, 500, 503 };
#define NCODES (sizeof(codes) / sizeof(codes[0]))

struct metrics {
	pthread_mutex_t mu;
	uint64_t requests[ROUTE__COUNT][NCODES + 1]; /* last column: any other code */
	int nsources;
	char sources[METRICS_MAX_SOURCES + 1][EV_SOURCE_MAX + 1];
	uint64_t events[METRICS_MAX_SOURCES + 1][EVR__COUNT];
	uint64_t hooks[METRICS_MAX_SOURCES + 1][HOOK__COUNT];
	int64_t sse_open;                 /* SSE streams open now (sse.c) */
	uint64_t sse_opened, sse_refused;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (m)
		pthread_mutex_init(&m->mu, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void metrics_request(struct metrics *m, enum route route, unsigned status)
{
	size_t i;
	for (i = 0; i < NCODES && codes[i] != status; i++)
		;
	pthread_mutex_lock(&m->mu);
	m->requests[route][i]++;
	pthread_mutex_unlock(&m->mu);
}

/* The series index of a source name; call with mu held. */
static int source_index(struct metrics *m, const char *source)
{
	int i;

	for (i = 0; i < m->nsources && strcmp(m->sources[i], source); i++)
		;
	if (i == m->nsources) {
		if (m->nsources < METRICS_MAX_SOURCES && strlen(source) <= EV_SOURCE_MAX) {
			memcpy(m->sources[i], source, strlen(source) + 1);
			m->nsources++;
		} else {
			i = METRICS_MAX_SOURCES; /* "other" */
		}
	}
	return i;
}

void metrics_events(struct metrics *m, const char *source, enum ev_result r, uint64_t n)
{
	if (!n)
		return;
	pthread_mutex_lock(&m->mu);
	m->events[source_index(m, source)][r] += n;
	pthread_mutex_unlock(&m->mu);
}

void metrics_hook(struct metrics *m, const char *source, enum hook_result r)
{
	pthread_mutex_lock(&m->mu);
	m->hooks[source_index(m, source)][r]++;
	pthread_mutex_unlock(&m->mu);
}

void metrics_sse(struct metrics *m, int delta_open, bool refused)
{
	pthread_mutex_lock(&m->mu);
	m->sse_open += delta_open;
	if (delta_open > 0)
		m->sse_opened += (uint64_t)delta_open;
	if (refused)
		m->sse_refused++;
	pthread_mutex_unlock(&m->mu);
}

static void hist(struct buf *b, const char *name, const uint64_t *h, double sum)
{
	uint64_t cum = 0;
	double bound = 1;
	for (int i = 0; i < WRITER_HIST_BUCKETS - 1; i++, bound *= 2) {
		cum += h[i];
		buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, bound, (unsigned long long)cum);
	}
	cum += h[WRITER_HIST_BUCKETS - 1];
	buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %g\n%s_count %llu\n", name,
		   (unsigned long long)cum, name, sum, name, (unsigned long long)cum);
}

enum werr metrics_render(struct metrics *m, const struct writer_stats *ws, struct buf *b)
{
	pthread_mutex_lock(&m->mu);
	buf_puts(b, "# HELP wismo_http_requests_total HTTP requests by route and status code.\n"
		    "# TYPE wismo_http_requests_total counter\n");
	for (int r = 0; r < ROUTE__COUNT; r++)
		for (size_t c = 0; c <= NCODES; c++)
			if (m->requests[r][c]) {
				if (c < NCODES)
					buf_printf(b, "wismo_http_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
						   route_names[r], codes[c], (unsigned long long)m->requests[r][c]);
				else
					buf_printf(b, "wismo_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
						   route_names[r], (unsigned long long)m->requests[r][c]);
			}
	buf_puts(b, "# HELP wismo_events_total Events received, by source and outcome.\n"
		    "# TYPE wismo_events_total counter\n");
	for (int s = 0; s <= METRICS_MAX_SOURCES; s++) {
		if (s >= m->nsources && s != METRICS_MAX_SOURCES)
			continue;
		for (int r = 0; r < EVR__COUNT; r++)
			if (m->events[s][r])
				buf_printf(b, "wismo_events_total{source=\"%s\",outcome=\"%s\"} %llu\n",
					   s == METRICS_MAX_SOURCES ? "other" : m->sources[s], result_names[r],
					   (unsigned long long)m->events[s][r]);
	}
	buf_puts(b, "# HELP wismo_hook_deliveries_total Webhook deliveries, by source and outcome.\n"
		    "# TYPE wismo_hook_deliveries_total counter\n");
	for (int s = 0; s <= METRICS_MAX_SOURCES; s++) {
		if (s >= m->nsources && s != METRICS_MAX_SOURCES)
			continue;
		for (int r = 0; r < HOOK__COUNT; r++)
			if (m->hooks[s][r])
				buf_printf(b, "wismo_hook_deliveries_total{source=\"%s\",outcome=\"%s\"} %llu\n",
					   s == METRICS_MAX_SOURCES ? "other" : m->sources[s], hook_names[r],
					   (unsigned long long)m->hooks[s][r]);
	}
	buf_printf(b, "# HELP wismo_sse_streams Server-Sent Event streams open now.\n"
		      "# TYPE wismo_sse_streams gauge\nwismo_sse_streams %lld\n"
		      "# HELP wismo_sse_streams_opened_total Server-Sent Event streams opened.\n"
		      "# TYPE wismo_sse_streams_opened_total counter\nwismo_sse_streams_opened_total %llu\n"
		      "# HELP wismo_sse_streams_refused_total Streams refused (limit reached or stopping).\n"
		      "# TYPE wismo_sse_streams_refused_total counter\nwismo_sse_streams_refused_total %llu\n",
		   (long long)m->sse_open, (unsigned long long)m->sse_opened, (unsigned long long)m->sse_refused);
	pthread_mutex_unlock(&m->mu);

	buf_printf(b, "# HELP wismo_writer_queue_events Events waiting for the writer.\n"
		      "# TYPE wismo_writer_queue_events gauge\nwismo_writer_queue_events %zu\n"
		      "# HELP wismo_writer_queue_requests Requests waiting for the writer.\n"
		      "# TYPE wismo_writer_queue_requests gauge\nwismo_writer_queue_requests %zu\n"
		      "# HELP wismo_writer_commits_total Transactions committed (or failed).\n"
		      "# TYPE wismo_writer_commits_total counter\nwismo_writer_commits_total %llu\n"
		      "# HELP wismo_writer_failures_total Transactions that failed and were rolled back.\n"
		      "# TYPE wismo_writer_failures_total counter\nwismo_writer_failures_total %llu\n",
		   ws->queue_events, ws->queue_jobs, (unsigned long long)ws->commits,
		   (unsigned long long)ws->failures);
	buf_puts(b, "# HELP wismo_commit_batch_events Events per committed transaction.\n"
		    "# TYPE wismo_commit_batch_events histogram\n");
	hist(b, "wismo_commit_batch_events", ws->batch_hist, (double)ws->batch_sum);
	buf_puts(b, "# HELP wismo_commit_latency_ms Time to write and commit one batch, in milliseconds.\n"
		    "# TYPE wismo_commit_latency_ms histogram\n");
	hist(b, "wismo_commit_latency_ms", ws->latency_hist, ws->latency_sum_ms);
	return WERR_OK;
}
