/*
 * web_int.h - what the files of src/web/ share: their context and their
 * handlers (routes.c is the table; page.h the page helpers).
 */
#ifndef WISMO_WEB_INT_H
#define WISMO_WEB_INT_H

#include "../app/auth.h"
#include "opens.h"
#include "web.h"

struct web {
	struct app *app;
	struct web_config cfg;
	struct ratelimit *lookups; /* the lookup form's budget per client */
	struct web_opens *opens;   /* the orders whose tracking page was opened (opens.h) */
};

static inline struct web *web_of(struct http_req *r)
{
	return http_ctx(r);
}

static inline struct app *web_app(struct http_req *r)
{
	return web_of(r)->app;
}

/* track.c */
enum http_result web_track_form(struct http_req *r);
enum http_result web_track_return(struct http_req *r);
enum http_result web_track_lookup(struct http_req *r);
enum http_result web_track_page(struct http_req *r);
enum http_result web_track_stream(struct http_req *r);
enum http_result web_track_cancel(struct http_req *r);
enum http_result web_track_not_received(struct http_req *r);
/* static.c */
enum http_result web_static(struct http_req *r);
/* dashboard.c */
enum http_result web_dashboard(struct http_req *r);
enum http_result web_dashboard_login(struct http_req *r);
enum http_result web_dashboard_logout(struct http_req *r);
enum http_result web_dashboard_tasks(struct http_req *r);
enum http_result web_dashboard_returns(struct http_req *r);

/* What the dashboard's pages share (dashboard.c): the session check (false
 * with the login page or a 503 set), a page's view with the navigation, its
 * rendering (takes v; NULL answers 500), an order's agent-view link as
 * o.name. */
bool web_dash_session(struct http_req *r);
struct cJSON *web_dash_view(struct http_req *r, const char *title);
void web_dash_send(struct http_req *r, unsigned status, const char *name, struct cJSON *v);
void web_dash_order_url(struct cJSON *o, const char *name, const char *order);
/* api.c */
enum http_result web_post_track_link(struct http_req *r);
enum http_result web_get_raw(struct http_req *r);

#endif
