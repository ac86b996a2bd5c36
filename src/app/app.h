/*
 * app.h - the application context: what every handler of src/api/ and
 * src/web/ shares, built once by the wiring (src/cli/serve.c) and read-only
 * for the handlers afterwards.
 *
 *   settings   the store URL, the ownership policy, the sources, the read
 *              models' thresholds (owned by the wiring's configuration)
 *   services   the group-commit writer, the counters for /metrics, the HTTP
 *              server (its hub and transport counters), the mapping and
 *              zone tables, the notification planner, the link signer
 *   per thread a read-only store handle (app_reader)
 *
 * A handler folder keeps its own context beside this one (struct api,
 * struct web) and reaches it with http_ctx(r); it holds a pointer to the
 * app.  Auth (auth.h) is the transport's authorize hook.
 *
 * Thread-safety: every field is set before the server starts and only read
 * afterwards; the services are thread-safe themselves.
 */
#ifndef WISMO_APP_H
#define WISMO_APP_H

#include <pthread.h>
#include <stdbool.h>

#include "../adapters/sources.h"
#include "../core/link.h"
#include "../core/policy.h"
#include "../http/http.h"
#include "../store/store.h"
#include "../store/store_config.h"
#include "../store/writer.h"
#include "../views/views.h"

struct app {
	const struct store_config *store;
	const struct policy *policy;
	const struct sources_config *sources;
	const struct views_config *views;
	const struct returns_config *returns;

	struct writer *writer;
	struct app_counters *counters;
	struct http_server *http;
	const struct mappings *maps;
	const struct zones *zones;
	struct notify_planner *planner;
	const struct link_signer *links;
	struct exc_lanes *lanes; /* the exception engine's lane model (exceptions/engine.h) */

	pthread_key_t reader_key;
	bool reader_key_made;
};

/* Prepares the per-thread readers; WERR_INTERNAL when no key can be made. */
enum werr app_readers_init(struct app *a);
/* Closes this process's reader key (after the server stopped). */
void app_readers_release(struct app *a);
/* This thread's read-only store handle (opened on first use), or NULL with
 * a 503 reply already set on r. */
struct store *app_reader(struct app *a, struct http_req *r);
/* The server's after-handler hook (http.h): the thread's reader is no
 * longer in use until its next app_reader (its kept snapshot may then be
 * ended by a checkpoint; store.h, STORE_KEEP_SNAPSHOT). */
void app_after_handler(void *ctx, struct http_req *r);

/* Records events wismo itself makes (a request on the tracking page, a
 * person's decision in the API) in one commit: each one's key from
 * (source, id, ...), then the writer; returns once they are durable or
 * refused.  dup (n entries, may be NULL): the key was stored already. */
enum werr app_record(struct app *a, struct event *evs, size_t n, bool *dup);

struct cJSON;
/*
 * The request's body as exactly one JSON value, after the checks every JSON
 * body gets (issue 12): valid UTF-8 with no NUL in a string (400
 * invalid_text), nesting within max_depth when it is > 0 (400 too_deep),
 * nothing after the value (400 malformed_json).  NULL with the reply set;
 * else the caller deletes the tree.
 */
struct cJSON *app_json_body(struct http_req *r, int max_depth);

#endif
