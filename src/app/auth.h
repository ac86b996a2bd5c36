/*
 * auth.h - API keys: making them, and checking a request's bearer key.
 *
 * A key is "wsm_" followed by 43 URL-safe base64 characters (32 random
 * bytes).  Only its SHA-256 is stored.  Checking a key costs a hash and, on
 * a cache miss, one indexed read; valid keys are cached for AUTH_CACHE_MS so
 * a revoked key stops working within that time.
 */
#ifndef WISMO_APP_AUTH_H
#define WISMO_APP_AUTH_H

#include <stdbool.h>

#include "../base/err.h"
#include "../http/http.h"
#include "../http/sse.h"
#include "../store/store.h"

struct app;

#define AUTH_KEY_LEN 47
#define AUTH_CACHE_MS 30000

/* Makes a new key: key receives the secret (shown once), k is filled for
 * store_key_put, hash receives its SHA-256 hex. */
enum werr auth_key_new(enum key_role role, const char *source, int64_t now_ms,
		       char key[AUTH_KEY_LEN + 1], char hash[65], struct api_key *k);

/* Looks a presented key up: WERR_UNAUTHORIZED when unknown or revoked. */
enum werr auth_lookup(struct store *reader, const char *key, int64_t now_ms, struct api_key *out);

/* The dashboard's session cookie: its value is an agent or admin key
 * (docs/web.md); accepted on GET and HEAD only. */
#define AUTH_COOKIE "wismo_session"

/* Frees the process-wide cache (at exit, for leak checkers). */
void auth_cache_clear(void);

#define ROLE_BIT(r) (1u << (r))
/* The role sets routes name (struct http_route.roles). */
#define ROLES_ADMIN ROLE_BIT(ROLE_ADMIN)
#define ROLES_STAFF (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_AGENT))
#define ROLES_INGEST (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_INGEST))

/*
 * The transport's authorize hook (struct http_app; ctx is the struct app):
 * checks the request's key - the Authorization header's bearer key, else on
 * GET and HEAD the session cookie - against roles_mask.  True when the
 * request may go on (the key becomes its principal); otherwise the 401/403
 * (or 503) reply is set.
 */
bool app_authorize(void *ctx, struct http_req *r, unsigned roles_mask);
/* The same check without a reply (the dashboard's pages redirect instead). */
bool app_session(struct app *a, struct http_req *r, unsigned roles_mask);
/* The key the request was authorized with, or NULL. */
const struct api_key *app_key(const struct http_req *r);
/* A narrower check after the route's own: true when the request's key has
 * one of roles_mask, else false with the 403 reply set. */
bool app_require_role(struct http_req *r, unsigned roles_mask);

/*
 * A staff stream's grant (http/sse.h): audience SSE_STAFF, and as principal
 * the SHA-256 hex of the key r was authorized with, which the hub's check
 * (app_live_check) re-reads every SSE_RECHECK_MS: revoking the key ends its
 * open streams.  Call after authorization.
 */
void app_stream_grant(struct http_req *r, struct sse_grant *g);
/* True unless the store says the key of this hash is unknown or revoked (an
 * error reading it keeps the stream: the store may be busy); a revoked key
 * also leaves the cache, so it opens nothing more in this process. */
bool app_key_valid(struct store *st, const char *hash);

#endif
