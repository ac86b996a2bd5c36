/*
 * health.c - /healthz (the process answers), /readyz (it can read its store
 * and accept writes) and /metrics (Prometheus text).  No key needed: these are
 * for the load balancer and the monitoring system, and show no order data.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "../app/counters.h"
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

enum http_result api_metrics(struct http_req *r)
{
	struct app *a = api_app(r);
	struct writer_stats ws;

	writer_stats(a->writer, &ws);
	buf_reset(&r->out);
	http_metrics_render(http_server_metrics(a->http), &r->out);
	app_counters_render(a->counters, &ws, &r->out);
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4";
	return HTTP_DONE;
}
