/*
 * web.h - the pages people open (docs/web.md): the customer's tracking page
 * and lookup form, the staff dashboard, static files, and the two API
 * resources that belong to them (signed links, raw payloads).  Its settings
 * ([web]), its context and its route table.  The wiring (src/cli/serve.c)
 * makes one with web_new(), hands web_routes() to the transport, and frees
 * it after the server stopped.
 */
#ifndef WISMO_WEB_H
#define WISMO_WEB_H

#include "../app/app.h"
#include "../http/http.h"

/* [web] (docs/config.md); "" and 0 mean the built-in default. */
struct web_config {
	char name[128];            /* shop name shown on pages */
	char logo[512];            /* URL, or a file name under web/static */
	char primary[8];           /* "#rrggbb" */
	char accent[8];            /* "#rrggbb" */
	char support_email[256];
	char support_phone[64];
	char public_url[512];      /* base of signed links; default http://127.0.0.1:PORT */
	char link_secret[256];     /* WISMO_LINK_SECRET wins; else one kept in the database */
	char templates[1024];      /* override directory: page templates found here win */
	char reschedule_url[512];  /* where a customer books another delivery appointment:
	                              {order} and {tracking} are replaced; "" none */
	int lookups_per_minute;    /* lookups per client IP; default 10 */
	int link_days;             /* validity of links the lookup form makes; default 30 */
};

/* One INI entry of [web]: 1 taken, 0 not ours (or an unknown key), -1 bad value. */
int web_config_set(struct web_config *c, const char *section, const char *name, const char *value);

struct web;

/* The context of the web routes: the app, a copy of cfg, the lookup form's
 * rate limiter. */
enum werr web_new(struct app *app, const struct web_config *cfg, struct web **out);
void web_free(struct web *w);
struct http_routes web_routes(struct web *w);

#endif
