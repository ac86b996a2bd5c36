/*
 * counters.c - what ingest counts per source, and the writer's figures, in
 * Prometheus text format (contract in counters.h).
 */
#include "counters.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/event.h"
#include "../base/banned.h"

static const char *result_names[EVR__COUNT] = { "accepted", "duplicate", "rejected", "parked" };
static const char *hook_names[HOOK__COUNT] = { "accepted", "unauthorized", "rejected", "failed" };

struct app_counters {
	pthread_mutex_t mu;
	int nsources;
	char sources[COUNTERS_MAX_SOURCES + 1][EV_SOURCE_MAX + 1];
	uint64_t events[COUNTERS_MAX_SOURCES + 1][EVR__COUNT];
	uint64_t hooks[COUNTERS_MAX_SOURCES + 1][HOOK__COUNT];
};

struct app_counters *app_counters_new(void)
{
	struct app_counters *m = calloc(1, sizeof(*m));

	if (m)
		pthread_mutex_init(&m->mu, NULL);
	return m;
}

void app_counters_free(struct app_counters *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* The series index of a source name; call with mu held. */
static int source_index(struct app_counters *m, const char *source)
{
	int i;

	for (i = 0; i < m->nsources && strcmp(m->sources[i], source); i++)
		;
	if (i == m->nsources) {
		if (m->nsources < COUNTERS_MAX_SOURCES && strlen(source) <= EV_SOURCE_MAX) {
			memcpy(m->sources[i], source, strlen(source) + 1);
			m->nsources++;
		} else {
			i = COUNTERS_MAX_SOURCES; /* "other" */
		}
	}
	return i;
}

void app_count_events(struct app_counters *m, const char *source, enum ev_result r, uint64_t n)
{
	if (!n)
		return;
	pthread_mutex_lock(&m->mu);
	m->events[source_index(m, source)][r] += n;
	pthread_mutex_unlock(&m->mu);
}

void app_count_hook(struct app_counters *m, const char *source, enum hook_result r)
{
	pthread_mutex_lock(&m->mu);
	m->hooks[source_index(m, source)][r]++;
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

void app_counters_render(struct app_counters *m, const struct writer_stats *ws, struct buf *b)
{
	pthread_mutex_lock(&m->mu);
	buf_puts(b, "# HELP wismo_events_total Events received, by source and outcome.\n"
		    "# TYPE wismo_events_total counter\n");
	for (int s = 0; s <= COUNTERS_MAX_SOURCES; s++) {
		if (s >= m->nsources && s != COUNTERS_MAX_SOURCES)
			continue;
		for (int r = 0; r < EVR__COUNT; r++)
			if (m->events[s][r])
				buf_printf(b, "wismo_events_total{source=\"%s\",outcome=\"%s\"} %llu\n",
					   s == COUNTERS_MAX_SOURCES ? "other" : m->sources[s], result_names[r],
					   (unsigned long long)m->events[s][r]);
	}
	buf_puts(b, "# HELP wismo_hook_deliveries_total Webhook deliveries, by source and outcome.\n"
		    "# TYPE wismo_hook_deliveries_total counter\n");
	for (int s = 0; s <= COUNTERS_MAX_SOURCES; s++) {
		if (s >= m->nsources && s != COUNTERS_MAX_SOURCES)
			continue;
		for (int r = 0; r < HOOK__COUNT; r++)
			if (m->hooks[s][r])
				buf_printf(b, "wismo_hook_deliveries_total{source=\"%s\",outcome=\"%s\"} %llu\n",
					   s == COUNTERS_MAX_SOURCES ? "other" : m->sources[s], hook_names[r],
					   (unsigned long long)m->hooks[s][r]);
	}
	pthread_mutex_unlock(&m->mu);

	buf_printf(b, "# HELP wismo_writer_queue_events Events waiting for the writer.\n"
		      "# TYPE wismo_writer_queue_events gauge\nwismo_writer_queue_events %zu\n"
		      "# HELP wismo_writer_queue_requests Requests waiting for the writer.\n"
		      "# TYPE wismo_writer_queue_requests gauge\nwismo_writer_queue_requests %zu\n"
		      "# HELP wismo_writer_commits_total Transactions committed (or failed).\n"
		      "# TYPE wismo_writer_commits_total counter\nwismo_writer_commits_total %llu\n"
		      "# HELP wismo_writer_failures_total Transactions that failed and were rolled back.\n"
		      "# TYPE wismo_writer_failures_total counter\nwismo_writer_failures_total %llu\n"
		      "# HELP wismo_writer_pages_written_total Database pages the writer's commits wrote.\n"
		      "# TYPE wismo_writer_pages_written_total counter\nwismo_writer_pages_written_total %llu\n",
		   ws->queue_events, ws->queue_jobs, (unsigned long long)ws->commits,
		   (unsigned long long)ws->failures, (unsigned long long)ws->pages_written);
	buf_puts(b, "# HELP wismo_commit_batch_events Events per committed transaction.\n"
		    "# TYPE wismo_commit_batch_events histogram\n");
	hist(b, "wismo_commit_batch_events", ws->batch_hist, (double)ws->batch_sum);
	buf_puts(b, "# HELP wismo_commit_latency_ms Time to write and commit one batch, in milliseconds.\n"
		    "# TYPE wismo_commit_latency_ms histogram\n");
	hist(b, "wismo_commit_latency_ms", ws->latency_hist, ws->latency_sum_ms);
}
