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
#include "../http/metrics.h"
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
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4";
	return HTTP_DONE;
}
