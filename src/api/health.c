/*
 * health.c - /healthz (the process answers), /readyz (it can read its store
 * and accept writes) and /metrics (Prometheus text).  No key needed: these are
 * for the load balancer and the monitoring system, and show no order data.
 */
#include <stdlib.h>
#include <string.h>

#include "../http/http.h"
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
	struct store *st = server_reader(r);
	char *json = NULL;
	enum werr err;

	if (!st)
		return HTTP_DONE;
	/* One indexed read: answers NOT_FOUND when the store is readable. */
	err = store_get_order(st, "", &json);
	free(json);
	if (err && err != WERR_NOT_FOUND) {
		http_error(r, 503, "not_ready", "the store cannot be read");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	http_json(r, 200, ok, sizeof(ok) - 1);
	return HTTP_DONE;
}

enum http_result api_metrics(struct http_req *r)
{
	struct writer_stats ws;

	writer_stats(server_writer(r->srv), &ws);
	buf_reset(&r->out);
	metrics_render(server_metrics(r->srv), &ws, &r->out);
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4";
	return HTTP_DONE;
}
