/*
 * auth.c - API key creation and lookup with a small cache of valid keys.
 */
#include "auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../base/b64url.h"
#include "../base/clock.h"
#include "../base/crypto.h"
#include "app.h"
#include "../base/banned.h"

#define CACHE_SLOTS 256

static struct {
	char hash[65];
	struct api_key key;
	int64_t until;
} cache[CACHE_SLOTS];
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

static unsigned hexval(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* "wsm_" and 32 random bytes in base64url */
_Static_assert(AUTH_KEY_LEN == 4 + B64URL_LEN(32), "AUTH_KEY_LEN");

enum werr auth_key_new(enum key_role role, const char *source, int64_t now_ms,
		       char key[AUTH_KEY_LEN + 1], char hash[65], struct api_key *k)
{
	unsigned char rnd[32];
	enum werr err;

	if ((err = crypto_random(rnd, sizeof(rnd))))
		return err;
	memcpy(key, "wsm_", 4);
	b64url_encode(rnd, sizeof(rnd), key + 4);
	crypto_sha256_hex(key, strlen(key), hash);
	memset(k, 0, sizeof(*k));
	k->role = role;
	if (source && EVENT_SET(k->source, source))
		return WERR_INVALID;
	k->created_at = now_ms;
	memcpy(k->prefix, key, 10);
	k->prefix[10] = '\0';
	return WERR_OK;
}

enum werr auth_lookup(struct store *reader, const char *key, int64_t now_ms, struct api_key *out)
{
	char hash[65];
	unsigned slot;
	enum werr err;

	if (strlen(key) != AUTH_KEY_LEN || strncmp(key, "wsm_", 4))
		return WERR_UNAUTHORIZED;
	crypto_sha256_hex(key, strlen(key), hash);
	slot = (hexval(hash[0]) << 4 | hexval(hash[1])) % CACHE_SLOTS;
	pthread_mutex_lock(&cache_mu);
	if (cache[slot].until > now_ms && !strcmp(cache[slot].hash, hash)) {
		*out = cache[slot].key;
		pthread_mutex_unlock(&cache_mu);
		return WERR_OK;
	}
	pthread_mutex_unlock(&cache_mu);

	err = store_key_find(reader, hash, out);
	if (err == WERR_NOT_FOUND)
		return WERR_UNAUTHORIZED;
	if (err)
		return err;
	pthread_mutex_lock(&cache_mu);
	memcpy(cache[slot].hash, hash, sizeof(hash));
	cache[slot].key = *out;
	cache[slot].until = now_ms + AUTH_CACHE_MS;
	pthread_mutex_unlock(&cache_mu);
	return WERR_OK;
}

void auth_cache_clear(void)
{
	pthread_mutex_lock(&cache_mu);
	memset(cache, 0, sizeof(cache));
	pthread_mutex_unlock(&cache_mu);
}

/*
 * The key of a request: the Authorization header's bearer key, else - on
 * GET and HEAD only, and only when no Authorization header was sent - the
 * dashboard's session cookie (AUTH_COOKIE, docs/web.md), whose value is the
 * key itself.  A cookie is never accepted on a POST (or any other method):
 * a form on another site could make the browser send it (CSRF); the
 * cookie's SameSite=Strict is the second fence, not the only one.
 * Returns WERR_UNAUTHORIZED with *why set when there is no usable key.
 */
static const char *presented_key(struct http_req *r)
{
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);

	if (h)
		return strncasecmp(h, "Bearer ", 7) ? NULL : h + 7;
	return http_is_get(r) ? http_cookie(r, AUTH_COOKIE) : NULL;
}

static enum werr request_key(struct app *a, struct http_req *r, struct api_key *out, const char **why)
{
	const char *key = presented_key(r);
	struct store *reader;
	enum werr err;

	*why = "send an API key as 'Authorization: Bearer KEY'";
	if (!key)
		return WERR_UNAUTHORIZED;
	if (!(reader = app_reader(a, r)))
		return WERR_IO; /* reply set */
	err = auth_lookup(reader, key, clock_wall_ms(), out);
	if (err == WERR_UNAUTHORIZED)
		*why = "the API key is unknown or revoked";
	return err;
}

/* Keeps k as r's principal (the transport frees it with the request). */
static bool set_principal(struct http_req *r, const struct api_key *k)
{
	struct api_key *p = malloc(sizeof(*p));

	if (!p)
		return false;
	*p = *k;
	if (r->principal_free)
		r->principal_free(r->principal);
	r->principal = p;
	r->principal_free = free;
	return true;
}

const struct api_key *app_key(const struct http_req *r)
{
	return r->principal;
}

bool app_session(struct app *a, struct http_req *r, unsigned roles_mask)
{
	const char *why;
	struct api_key k;

	if (request_key(a, r, &k, &why) || !(roles_mask & ROLE_BIT(k.role)))
		return false;
	return set_principal(r, &k);
}

bool app_require_role(struct http_req *r, unsigned roles_mask)
{
	const struct api_key *k = app_key(r);

	if (k && (roles_mask & ROLE_BIT(k->role)))
		return true;
	http_fail(r, HE_FORBIDDEN, "a key with role '%s' may not do this", k ? key_role_name(k->role) : "none");
	return false;
}

bool app_authorize(void *ctx, struct http_req *r, unsigned roles_mask)
{
	struct app *a = ctx;
	const char *why;
	struct api_key k;
	enum werr err = request_key(a, r, &k, &why);

	if (err == WERR_UNAUTHORIZED) {
		http_fail(r, HE_UNAUTHORIZED, "%s", why);
		return false;
	}
	if (err == WERR_IO && r->status)
		return false;
	if (err || !set_principal(r, &k)) {
		http_werr(r, err ? err : WERR_NOMEM, "unable to check the API key");
		return false;
	}
	if (!(roles_mask & ROLE_BIT(k.role))) {
		http_fail(r, HE_FORBIDDEN, "a key with role '%s' may not do this", key_role_name(k.role));
		return false;
	}
	return true;
}

void app_stream_grant(struct http_req *r, struct sse_grant *g)
{
	const char *key = presented_key(r);

	memset(g, 0, sizeof(*g));
	g->audience = SSE_STAFF;
	/* the hash, not the key: the hub keeps it for the stream's life */
	if (key)
		crypto_sha256_hex(key, strlen(key), g->principal);
}

bool app_key_valid(struct store *st, const char *hash)
{
	struct api_key k;

	unsigned slot;

	/* straight from the store, not the cache: a revoked key's streams end
	 * within SSE_RECHECK_MS, not AUTH_CACHE_MS */
	if (store_key_find(st, hash, &k) != WERR_NOT_FOUND)
		return true;
	/* and the stream's reconnect is refused at once, not once the cache
	 * entry runs out (the check may run before any request saw it) */
	slot = (hexval(hash[0]) << 4 | hexval(hash[1])) % CACHE_SLOTS;
	pthread_mutex_lock(&cache_mu);
	if (!strcmp(cache[slot].hash, hash))
		memset(&cache[slot], 0, sizeof(cache[slot]));
	pthread_mutex_unlock(&cache_mu);
	return false;
}
