/*
 * openapi.c - GET /v1/openapi.json: the API's description (api/openapi.json,
 * docs/api.md "The API description"), read from the data directory as the
 * mappings and templates are (base/datadir.h).  No key needed: it describes
 * routes, never holds data.
 *
 * The file is read on every request (it is small and rarely asked for), so
 * an installed upgrade is served without a restart.  The answer carries an
 * ETag (a hash of the content) and may be cached for an hour; If-None-Match
 * with that tag gives 304.  A missing or unreadable file is 500 internal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "../base/crypto.h"
#include "../base/datadir.h"
#include "../base/banned.h"

#define OPENAPI_MAX ((size_t)1 << 20)

/* The whole file, NUL-terminated, in *len bytes; NULL when it cannot be read
 * or is over max.  The caller frees it. */
static char *read_all(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (!(data = malloc(max + 1)))
		goto out;
	n = fread(data, 1, max + 1, f);
	if (ferror(f) || n > max) {
		free(data);
		data = NULL;
		goto out;
	}
	data[n] = '\0';
	*len = n;
out:
	fclose(f);
	return data;
}

enum http_result api_openapi(struct http_req *r)
{
	char dir[1024], path[1100], hash[SHA256_HEX_LEN + 1], etag[24];
	const char *inm;
	size_t len = 0;
	char *data;

	datadir_path("api", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/openapi.json", dir);
	if (!(data = read_all(path, OPENAPI_MAX, &len))) {
		http_fail(r, HE_INTERNAL, "the API description cannot be read");
		return HTTP_DONE;
	}
	crypto_sha256_hex(data, len, hash);
	snprintf(etag, sizeof(etag), "\"%.16s\"", hash);
	http_add_header(r, "ETag", etag);
	http_add_header(r, "Cache-Control", "public, max-age=3600");
	inm = http_header(r, "If-None-Match");
	if (inm && strstr(inm, etag)) {
		r->status = 304;
		buf_reset(&r->out);
	} else {
		http_json(r, 200, data, len);
	}
	free(data);
	return HTTP_DONE;
}
