/*
 * web_int.h - what the files of src/web/ share: their context and their
 * handlers (routes.c is the table; page.h the page helpers).
 */
#ifndef WISMO_WEB_INT_H
#define WISMO_WEB_INT_H

#include "../app/auth.h"
#include "web.h"

struct web {
	struct app *app;
	struct web_config cfg;
	struct ratelimit *lookups; /* the lookup form's budget per client */
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
enum http_result web_track_lookup(struct http_req *r);
enum http_result web_track_page(struct http_req *r);
enum http_result web_track_stream(struct http_req *r);
enum http_result web_track_cancel(struct http_req *r);
/* static.c */
enum http_result web_static(struct http_req *r);
/* dashboard.c */
enum http_result web_dashboard(struct http_req *r);
enum http_result web_dashboard_login(struct http_req *r);
enum http_result web_dashboard_logout(struct http_req *r);
/* api.c */
enum http_result web_post_track_link(struct http_req *r);
enum http_result web_get_raw(struct http_req *r);

#endif
