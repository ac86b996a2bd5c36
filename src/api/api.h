/*
 * api.h - the JSON API (docs/api.md): its settings, its context and its
 * route table.  The wiring (src/cli/serve.c) makes one struct api, hands
 * api_routes() to the transport, and keeps the api alive until the server
 * has stopped.
 */
#ifndef WISMO_API_H
#define WISMO_API_H

#include "../app/app.h"
#include "../http/http.h"
#include "../notify/notify_config.h"

/* [limits] max_depth and max_batch (docs/config.md). */
struct api_config {
	int max_depth;  /* JSON nesting; 400 above */
	int max_batch;  /* events per request; 413 above */
};

void api_config_defaults(struct api_config *c);
/* One INI entry: 1 taken, 0 not ours, -1 bad value. */
int api_config_set(struct api_config *c, const char *section, const char *name, const char *value);

/* What the API's handlers read (http_ctx(r) of their routes). */
struct api {
	struct app *app;
	struct api_config cfg;
	const struct notify_config *notify; /* the SMS provider's settings for /hooks/sms */
};

/* The API's route table; its ctx is a. */
struct http_routes api_routes(struct api *a);

#endif
