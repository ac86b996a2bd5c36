/* metrics.c - request and stream counters in Prometheus text format (contract in metrics.h). */
#include "metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/banned.h"

/*
 * Every status code is counted as itself: a fixed list folded 201, 204, 303,
 * 409, 429 and 502 into "other", which hid rate limiting and failed fetches.
 * Column c counts status CODE_MIN + c; the last column anything outside
 * 100..599, which only a bug could answer.  A row is 4 KB per route label.
 */
#define CODE_MIN 100u
#define CODE_MAX 599u
#define NCODES (CODE_MAX - CODE_MIN + 1)

struct http_metrics {
	pthread_mutex_t mu;
	size_t nlabels;           /* labels[0] is "other" */
	const char **labels;
	uint64_t (*requests)[NCODES + 1]; /* per label; last column: any other code */
	int64_t sse_open;                 /* SSE streams open now (sse.c) */
	uint64_t sse_opened, sse_refused;
};

struct http_metrics *http_metrics_new(const struct http_routes *tables, size_t ntables)
{
	struct http_metrics *m = calloc(1, sizeof(*m));
	size_t max = 1;

	if (!m)
		return NULL;
	for (size_t t = 0; t < ntables; t++)
		max += tables[t].n;
	m->labels = calloc(max, sizeof(*m->labels));
	m->requests = calloc(max, sizeof(*m->requests));
	if (!m->labels || !m->requests) {
		http_metrics_free(m);
		return NULL;
	}
	m->labels[m->nlabels++] = "other";
	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < tables[t].n; i++) {
			size_t k;
			for (k = 0; k < m->nlabels && strcmp(m->labels[k], tables[t].rows[i].label); k++)
				;
			if (k == m->nlabels)
				m->labels[m->nlabels++] = tables[t].rows[i].label;
		}
	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void http_metrics_free(struct http_metrics *m)
{
	if (!m)
		return;
	if (m->labels && m->requests)
		pthread_mutex_destroy(&m->mu);
	free(m->labels);
	free(m->requests);
	free(m);
}

void http_metrics_request(struct http_metrics *m, const char *label, unsigned status)
{
	size_t i, k = 0;

	i = status >= CODE_MIN && status <= CODE_MAX ? status - CODE_MIN : NCODES;
	if (label)
		for (k = m->nlabels - 1; k > 0 && strcmp(m->labels[k], label); k--)
			;
	pthread_mutex_lock(&m->mu);
	m->requests[k][i]++;
	pthread_mutex_unlock(&m->mu);
}

void http_metrics_sse(struct http_metrics *m, int delta_open, bool refused)
{
	pthread_mutex_lock(&m->mu);
	m->sse_open += delta_open;
	if (delta_open > 0)
		m->sse_opened += (uint64_t)delta_open;
	if (refused)
		m->sse_refused++;
	pthread_mutex_unlock(&m->mu);
}

void http_metrics_render(struct http_metrics *m, struct buf *b)
{
	pthread_mutex_lock(&m->mu);
	buf_puts(b, "# HELP wismo_http_requests_total HTTP requests by route and status code.\n"
		    "# TYPE wismo_http_requests_total counter\n");
	for (size_t r = 0; r < m->nlabels; r++)
		for (size_t c = 0; c <= NCODES; c++)
			if (m->requests[r][c]) {
				if (c < NCODES)
					buf_printf(b, "wismo_http_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
						   m->labels[r], CODE_MIN + (unsigned)c, (unsigned long long)m->requests[r][c]);
				else
					buf_printf(b, "wismo_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
						   m->labels[r], (unsigned long long)m->requests[r][c]);
			}
	buf_printf(b, "# HELP wismo_sse_streams Server-Sent Event streams open now.\n"
		      "# TYPE wismo_sse_streams gauge\nwismo_sse_streams %lld\n"
		      "# HELP wismo_sse_streams_opened_total Server-Sent Event streams opened.\n"
		      "# TYPE wismo_sse_streams_opened_total counter\nwismo_sse_streams_opened_total %llu\n"
		      "# HELP wismo_sse_streams_refused_total Streams refused (limit reached or stopping).\n"
		      "# TYPE wismo_sse_streams_refused_total counter\nwismo_sse_streams_refused_total %llu\n",
		   (long long)m->sse_open, (unsigned long long)m->sse_opened, (unsigned long long)m->sse_refused);
	pthread_mutex_unlock(&m->mu);
}
