/*
 * health.c - /healthz (the process answers), /readyz (it can read its store
 * and accept writes) and /metrics (Prometheus text).  No key needed: these are
 * for the load balancer and the monitoring system, and show no order data.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "../app/counters.h"
#include "../adapters/mapping.h"
#include "../base/clock.h"
#include "../http/metrics.h"
#include "../store/store_cache.h"
#include "../views/views.h"
#include "../base/banned.h"

enum http_result api_healthz(struct http_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	http_json(r, 200, ok, sizeof(ok) - 1);
	return HTTP_DONE;
}

enum http_result api_readyz(struct http_req *r)
{
	static const char ok[] = "{\"status\":\"ready\"}";
	struct store *st = app_reader(api_app(r), r);
	char *json = NULL;
	enum werr err;

	if (!st)
		return HTTP_DONE;
	/* One indexed read: answers NOT_FOUND when the store is readable. */
	err = store_get_order(st, "", &json);
	free(json);
	if (err && err != WERR_NOT_FOUND) {
		http_fail(r, HE_NOT_READY, "the store cannot be read");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	http_json(r, 200, ok, sizeof(ok) - 1);
	return HTTP_DONE;
}

/* One text rule that decided (adapters/mapping.h): its table and phrase. */
static void text_hit(void *ctx, const char *table, const char *phrase, unsigned long long n)
{
	struct buf *b = ctx;

	buf_printf(b, "wismo_text_rules_total{table=\"%s\",phrase=\"", table);
	for (const char *p = phrase; *p; p++)
		if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			buf_putc(b, *p);
	buf_printf(b, "\"} %llu\n", n);
}

/* The dashboard's queues (GET /v1/queues) as gauges: what an operator alerts
 * on (docs/operations.md).  false with a 503 set when the store cannot be
 * read. */
static bool queue_gauges(struct app *a, struct http_req *r, struct buf *b)
{
	struct store *st = app_reader(a, r);
	const cJSON *c;
	cJSON *q = NULL;

	if (!st)
		return false;
	if (view_queue_counts(st, a->views, clock_wall_ms(), &q)) {
		http_fail(r, HE_STORAGE_UNAVAILABLE, "unable to read the store's queues");
		return false;
	}
	buf_puts(b, "# HELP wismo_queue_items Items in the dashboard's queues: source conflicts, unmapped codes, "
		    "rejected payloads, quiet parcels, failed syncs of the last 7 days.\n"
		    "# TYPE wismo_queue_items gauge\n");
	cJSON_ArrayForEach(c, q)
		if (cJSON_IsNumber(c))
			buf_printf(b, "wismo_queue_items{queue=\"%s\"} %.0f\n", c->string, c->valuedouble);
	cJSON_Delete(q);
	return true;
}

/* The lookup cache (docs/scale-out.md), when this node runs one. */
static void cache_metrics(struct buf *b)
{
	struct lookup_cache_stats cs;

	if (!store_cache_stats(&cs))
		return;
	buf_printf(b,
		   "# HELP wismo_lookup_cache_hits_total Order lookups answered from the lookup cache.\n"
		   "# TYPE wismo_lookup_cache_hits_total counter\nwismo_lookup_cache_hits_total %llu\n"
		   "# HELP wismo_lookup_cache_misses_total Order lookups the lookup cache sent to the database.\n"
		   "# TYPE wismo_lookup_cache_misses_total counter\nwismo_lookup_cache_misses_total %llu\n"
		   "# HELP wismo_lookup_cache_invalidations_total Orders the lookup cache forgot: this node's "
		   "commits and the announcements it heard.\n"
		   "# TYPE wismo_lookup_cache_invalidations_total counter\nwismo_lookup_cache_invalidations_total %llu\n"
		   "# HELP wismo_lookup_cache_flushes_total Times the lookup cache was emptied (listener down, rebuild).\n"
		   "# TYPE wismo_lookup_cache_flushes_total counter\nwismo_lookup_cache_flushes_total %llu\n"
		   "# HELP wismo_lookup_cache_evictions_total Entries dropped to stay within lookup_cache_mb.\n"
		   "# TYPE wismo_lookup_cache_evictions_total counter\nwismo_lookup_cache_evictions_total %llu\n"
		   "# HELP wismo_lookup_cache_refused_total Insertions refused: the order changed during its read.\n"
		   "# TYPE wismo_lookup_cache_refused_total counter\nwismo_lookup_cache_refused_total %llu\n"
		   "# HELP wismo_lookup_cache_entries Orders in the lookup cache.\n"
		   "# TYPE wismo_lookup_cache_entries gauge\nwismo_lookup_cache_entries %zu\n"
		   "# HELP wismo_lookup_cache_bytes Memory the lookup cache's entries hold.\n"
		   "# TYPE wismo_lookup_cache_bytes gauge\nwismo_lookup_cache_bytes %zu\n"
		   "# HELP wismo_lookup_cache_usable 1 while the announcements are heard and the cache is used.\n"
		   "# TYPE wismo_lookup_cache_usable gauge\nwismo_lookup_cache_usable %d\n",
		   (unsigned long long)cs.hits, (unsigned long long)cs.misses, (unsigned long long)cs.invalidations,
		   (unsigned long long)cs.flushes, (unsigned long long)cs.evictions, (unsigned long long)cs.refused,
		   cs.entries, cs.bytes, cs.usable ? 1 : 0);
}

enum http_result api_metrics(struct http_req *r)
{
	struct app *a = api_app(r);
	struct writer_stats ws;

	writer_stats(a->writer, &ws);
	buf_reset(&r->out);
	http_metrics_render(http_server_metrics(a->http), &r->out);
	app_counters_render(a->counters, &ws, &r->out);
	buf_puts(&r->out, "# HELP wismo_text_rules_total Events whose status a source's words decided, by rule.\n"
			  "# TYPE wismo_text_rules_total counter\n");
	mappings_text_hits(a->maps, text_hit, &r->out);
	cache_metrics(&r->out);
	if (!queue_gauges(a, r, &r->out))
		return HTTP_DONE; /* the store cannot be read: the 503 says so */
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4";
	return HTTP_DONE;
}
