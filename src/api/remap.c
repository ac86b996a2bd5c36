/*
 * remap.c - POST /v1/remap (docs/api.md): read unknown codes' raw payloads
 * again with the tables the server has loaded now (app/remap.h), and append
 * the corrected events.  Admin; bounded per call (limit payloads, a cursor
 * to go on).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "api_int.h"
#include "../app/remap.h"
#include "../base/clock.h"
#include "../base/banned.h"

#define REMAP_LIMIT_MAX 5000

/* An optional string member: NULL when absent or null; false (reply set) when of another type or too long. */
static bool opt_str(struct http_req *r, const cJSON *in, const char *name, size_t max, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return true;
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > max) {
		http_fail(r, HE_INVALID_FIELD, "'%s' must be a string of 1 to %zu bytes", name, max);
		return false;
	}
	*out = v->valuestring;
	return true;
}

enum http_result api_post_remap(struct http_req *r)
{
	struct app *a = api_app(r);
	struct remap_opts o = { .now = clock_wall_ms() };
	struct remap_result res;
	const cJSON *v;
	struct store *st;
	struct buf *b = &r->out;
	cJSON *in = app_json_body(r, 0);
	enum werr err;

	if (!in)
		return HTTP_DONE;
	if (!cJSON_IsObject(in)) {
		http_fail(r, HE_MALFORMED_JSON, "the body must be a JSON object");
		goto out;
	}
	if (!opt_str(r, in, "source", EV_SOURCE_MAX, &o.source) || !opt_str(r, in, "code", EV_CODE_MAX, &o.code))
		goto out;
	if ((v = cJSON_GetObjectItemCaseSensitive(in, "dry_run")) && !cJSON_IsNull(v)) {
		if (!cJSON_IsBool(v)) {
			http_fail(r, HE_INVALID_FIELD, "'dry_run' must be true or false");
			goto out;
		}
		o.dry_run = cJSON_IsTrue(v);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(in, "limit")) && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > REMAP_LIMIT_MAX ||
		    v->valuedouble != (double)(int)v->valuedouble) {
			http_fail(r, HE_INVALID_FIELD, "'limit' must be a whole number from 1 to %d", REMAP_LIMIT_MAX);
			goto out;
		}
		o.max_bodies = (int)v->valuedouble;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(in, "after")) && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740991.0 ||
		    v->valuedouble != (double)(int64_t)v->valuedouble) {
			http_fail(r, HE_INVALID_FIELD, "'after' must be the 'next' of an earlier answer");
			goto out;
		}
		o.after = (int64_t)v->valuedouble;
	}
	if (!(st = app_reader(a, r)))
		goto out;
	if ((err = remap_run(st, a->writer, a->maps, a->zones, a->sources, &o, &res))) {
		http_werr(r, err, "the remap stopped; what it committed stays");
		goto out;
	}
	r->status = 200;
	buf_reset(b);
	buf_printf(b,
		   "{\"dry_run\":%s,\"bodies\":%lld,\"corrected\":%lld,\"still_unknown\":%lld,\"unreadable\":%lld,"
		   "\"more\":%s,\"next\":%lld}",
		   o.dry_run ? "true" : "false", (long long)res.bodies, (long long)res.corrected,
		   (long long)res.still_unknown, (long long)res.unreadable, res.more ? "true" : "false",
		   (long long)res.next);
out:
	cJSON_Delete(in);
	return HTTP_DONE;
}
