/*
 * routes.c - the JSON API's route table (docs/api.md).  A new resource adds
 * its file and its rows here; nothing in src/http/ changes.  Matching rules
 * are in http.h (literal patterns first, then table order).
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "../base/num.h"
#include "../base/banned.h"

static const struct http_route rows[] = {
	{ "POST", "/v1/events", ROLES_INGEST, "events", api_post_events },
	{ "GET", "/v1/orders", ROLES_STAFF, "orders", api_list_orders },
	{ "GET", "/v1/orders/", ROLES_STAFF, "orders", api_list_orders },
	{ "GET", "/v1/orders/{order*}/timeline", ROLES_STAFF, "timeline", api_get_timeline },
	{ "GET", "/v1/orders/{order*}", ROLES_STAFF, "order", api_get_order },
	{ "POST", "/hooks/sms", 0, "hooks", api_post_sms_hook },   /* signed by the SMS provider */
	{ "POST", "/hooks/{source}", 0, "hooks", api_post_hook },  /* signed by the source */
	{ "GET", "/v1/unmapped", ROLES_STAFF, "unmapped", api_list_unmapped },
	{ "POST", "/v1/remap", ROLES_ADMIN, "remap", api_post_remap },
	{ "GET", "/v1/rejected", ROLES_ADMIN, "rejected", api_list_rejected },
	{ "GET", "/v1/kpis", ROLES_STAFF, "kpis", api_get_kpis },
	{ "GET", "/v1/search", ROLES_STAFF, "search", api_search },
	{ "GET", "/v1/queues", ROLES_STAFF, "queues", api_get_queue },
	{ "GET", "/v1/queues/{name*}", ROLES_STAFF, "queues", api_get_queue },
	{ "GET", "/v1/stream/dashboard", ROLES_STAFF, "stream", api_stream_dashboard },
	{ "GET", "/v1/stream/orders/{order}", ROLES_STAFF, "stream", api_stream_order },
	{ "GET", "/v1/rules", ROLES_ADMIN, "rules", api_rules },
	{ "GET", "/v1/rules/{name*}", ROLES_ADMIN, "rules", api_rules },
	{ "PUT", "/v1/rules/{name*}", ROLES_ADMIN, "rules", api_rules },
	{ "DELETE", "/v1/rules/{name*}", ROLES_ADMIN, "rules", api_rules },
	{ "GET", "/v1/audit", ROLES_ADMIN, "audit", api_audit },
	{ "GET", "/v1/outbox", ROLES_ADMIN, "outbox", api_outbox },
	{ "GET", "/v1/outbox/{rest*}", ROLES_ADMIN, "outbox", api_outbox },
	{ "POST", "/v1/outbox/{rest*}", ROLES_ADMIN, "outbox", api_outbox },
	{ "POST", "/v1/consent", ROLES_INGEST, "consent", api_post_consent },
	{ "POST", "/v1/erasures", ROLES_ADMIN, "privacy", api_post_erasure },
	{ "POST", "/v1/exports", ROLES_ADMIN, "privacy", api_post_export },
	{ "GET", "/v1/tasks", ROLES_STAFF, "tasks", api_tasks },
	{ "GET", "/v1/tasks/{rest*}", ROLES_STAFF, "tasks", api_tasks },
	{ "POST", "/v1/tasks/{rest*}", ROLES_STAFF, "tasks", api_tasks },
	{ "GET", "/v1/returns", ROLES_STAFF, "returns", api_returns },
	{ "GET", "/v1/returns/{rest*}", ROLES_STAFF, "returns", api_returns },
	/* a request: staff, and the store's own backend (its ingest key) */
	{ "POST", "/v1/returns", ROLES_STAFF | ROLES_INGEST, "returns", api_returns },
	{ "POST", "/v1/returns/{rest*}", ROLES_STAFF, "returns", api_returns },
	/* staff, and the store's own backend (its ingest key) before checkout */
	{ "POST", "/v1/predictions", ROLES_STAFF | ROLES_INGEST, "predictions", api_post_predictions },
	/* for the load balancer and the monitoring system: no key, no order data */
	{ "GET", "/healthz", 0, "healthz", api_healthz },
	{ "GET", "/readyz", 0, "readyz", api_readyz },
	{ "GET", "/metrics", 0, "metrics", api_metrics },
	/* the API's description (api/openapi.json): no key, no data */
	{ "GET", "/v1/openapi.json", 0, "openapi", api_openapi },
};

struct http_routes api_routes(struct api *a)
{
	return HTTP_ROUTES(rows, a);
}

void api_config_defaults(struct api_config *c)
{
	c->max_depth = 32;
	c->max_batch = 1000;
}

int api_config_set(struct api_config *c, const char *section, const char *name, const char *value)
{
	bool depth = !strcmp(name, "max_depth");
	long n;

	if (strcmp(section, "limits") || (!depth && strcmp(name, "max_batch")))
		return 0;
	if (!num_parse(value, depth ? 2 : 1, depth ? 512 : 10000, &n))
		return -1;
	*(depth ? &c->max_depth : &c->max_batch) = (int)n;
	return 1;
}
