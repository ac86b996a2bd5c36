/*
 * api_int.h - what the files of src/api/ share: their context and their
 * handlers (one file per resource; routes.c is the table).
 */
#ifndef WISMO_API_INT_H
#define WISMO_API_INT_H

#include "../app/auth.h"
#include "api.h"

static inline struct api *api_of(struct http_req *r)
{
	return http_ctx(r);
}

static inline struct app *api_app(struct http_req *r)
{
	return api_of(r)->app;
}

/* events.c */
enum http_result api_post_events(struct http_req *r);
/* hooks.c, sms_hook.c */
enum http_result api_post_hook(struct http_req *r);
enum http_result api_post_sms_hook(struct http_req *r);
/* sources.c */
enum http_result api_list_unmapped(struct http_req *r);
enum http_result api_list_rejected(struct http_req *r);
enum http_result api_post_remap(struct http_req *r);
/* orders.c */
enum http_result api_get_order(struct http_req *r);
enum http_result api_get_timeline(struct http_req *r);
enum http_result api_list_orders(struct http_req *r);
/* health.c */
enum http_result api_healthz(struct http_req *r);
enum http_result api_readyz(struct http_req *r);
enum http_result api_metrics(struct http_req *r);
/* openapi.c */
enum http_result api_openapi(struct http_req *r);
/* kpis.c */
enum http_result api_get_order_agent(struct http_req *r, const char *order); /* ?view=agent of api_get_order */
enum http_result api_get_kpis(struct http_req *r);
enum http_result api_search(struct http_req *r);
enum http_result api_get_queue(struct http_req *r);
enum http_result api_stream_order(struct http_req *r);
enum http_result api_stream_dashboard(struct http_req *r);
/* notify.c */
enum http_result api_rules(struct http_req *r);
enum http_result api_audit(struct http_req *r);
enum http_result api_outbox(struct http_req *r);
enum http_result api_post_consent(struct http_req *r);
/* privacy.c */
enum http_result api_post_erasure(struct http_req *r);
enum http_result api_post_export(struct http_req *r);
enum http_result api_tasks(struct http_req *r);
/* ,"name":"value" into b; null for "" (json_out.c). */
void api_put_str(struct buf *b, const char *name, const char *v);
/* ,"name":"RFC 3339" into b; null for 0. */
void api_put_time(struct buf *b, const char *name, int64_t t);
enum http_result api_returns(struct http_req *r);
enum http_result api_post_predictions(struct http_req *r);
/* A task as the API shows it (tasks.c); overdue at now. */
void api_task_json(struct buf *b, const struct task_row *t, int64_t now);
/* A source's privacy webhook (adapter.h, struct adapter_privacy), from hooks.c. */
struct adapter_privacy;
enum http_result api_privacy_hook(struct http_req *r, const char *source, const struct adapter_privacy *pr);

#endif
