/*
 * auth.h - API keys: making them, and checking a request's bearer key.
 *
 * A key is "wsm_" followed by 43 URL-safe base64 characters (32 random
 * bytes).  Only its SHA-256 is stored.  Checking a key costs a hash and, on
 * a cache miss, one indexed read; valid keys are cached for AUTH_CACHE_MS so
 * a revoked key stops working within that time.
 */
#ifndef WISMO_AUTH_H
#define WISMO_AUTH_H

#include "../base/err.h"
#include "../store/store.h"

#define AUTH_KEY_LEN 47
#define AUTH_CACHE_MS 30000

/* Makes a new key: key receives the secret (shown once), k is filled for
 * store_key_put, hash receives its SHA-256 hex. */
enum werr auth_key_new(enum key_role role, const char *source, int64_t now_ms,
		       char key[AUTH_KEY_LEN + 1], char hash[65], struct api_key *k);

/* Looks a presented key up: WERR_UNAUTHORIZED when unknown or revoked. */
enum werr auth_lookup(struct store *reader, const char *key, int64_t now_ms, struct api_key *out);

/* The dashboard's session cookie: its value is an agent or admin key
 * (docs/web.md); http_require accepts it on GET and HEAD only. */
#define AUTH_COOKIE "wismo_session"

/* Frees the process-wide cache (at exit, for leak checkers). */
void auth_cache_clear(void);

#endif
