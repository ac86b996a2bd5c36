/*
 * privacy.c - a person's data through the API (docs/api.md "Personal data",
 * docs/privacy.md): POST /v1/erasures erases, POST /v1/exports returns what
 * wismo holds.  Both take the person in the body ({"email"}, {"phone"} or
 * {"order"}), never in the URL, so no access log carries it.
 *
 * The erasure writes through the side store (notify/planner.h), as the
 * other admin changes do, not the ingest writer: it is rare, and its one
 * transaction waits its turn for the database lock like any other writer.
 * The export reads with this thread's read-only store.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../notify/planner.h"
#include "../store/privacy.h"
#include "api_int.h"
#include "../base/banned.h"

/* The person the body names, or false after answering. */
static bool read_who(struct http_req *r, struct privacy_who *who)
{
	static const char *const names[] = { "email", "phone", "order" };
	cJSON *in = cJSON_ParseWithLength(r->body.p, r->body.len);
	const char *by = NULL, *value = NULL;
	char why[128];
	int n = 0;

	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		http_fail(r, HE_MALFORMED_JSON, "the body must be a JSON object");
		return false;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(in, names[i]);
		if (!v)
			continue;
		n++;
		by = names[i];
		value = cJSON_IsString(v) ? v->valuestring : "";
	}
	if (n != 1 || privacy_who_set(who, by, value, why, sizeof(why))) {
		cJSON_Delete(in);
		http_fail(r, HE_INVALID_FIELD, "%s",
			  n != 1 ? "name the person by exactly one of 'email', 'phone' or 'order' (a string)" : why);
		return false;
	}
	cJSON_Delete(in);
	return true;
}

enum http_result api_post_erasure(struct http_req *r)
{
	struct notify_planner *p = api_app(r)->planner;
	const struct api_key *k = app_key(r);
	struct privacy_result res = { 0 };
	struct privacy_who who;
	struct store *st;
	struct buf *b = &r->out;
	enum werr e;

	if (!read_who(r, &who))
		return HTTP_DONE;
	if (!(st = notify_side_lock(p))) {
		http_fail(r, HE_STORAGE_UNAVAILABLE, "the store cannot be written now");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	if (!(e = store_begin(st))) {
		if (!(e = privacy_erase(st, api_app(r)->policy, &who, k->prefix[0] ? k->prefix : "unknown",
					clock_wall_ms(), &res)))
			e = store_commit(st);
		if (e)
			store_rollback(st);
	}
	notify_side_unlock(p);
	if (e) {
		privacy_result_release(&res);
		http_werr(r, e, "unable to erase; nothing was changed");
		return HTTP_DONE;
	}
	r->status = 200;
	buf_reset(b);
	buf_puts(b, "{\"orders\":[");
	for (size_t i = 0; i < res.norders; i++) {
		if (i)
			buf_putc(b, ',');
		buf_json_str(b, res.orders[i]);
	}
	buf_printf(b,
		   "],\"events\":%lld,\"raw_payloads\":%lld,\"messages\":%lld,\"parked\":%lld,\"consent\":%lld,"
		   "\"audit\":%lld}",
		   (long long)res.counts.events, (long long)res.counts.raws, (long long)res.counts.outbox,
		   (long long)res.counts.parked, (long long)res.counts.consent, (long long)res.counts.audit);
	privacy_result_release(&res);
	return HTTP_DONE;
}

enum http_result api_post_export(struct http_req *r)
{
	struct privacy_who who;
	struct store *st;
	struct buf *b = &r->out;
	enum werr e;

	if (!read_who(r, &who))
		return HTTP_DONE;
	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	buf_reset(b);
	if ((e = privacy_export(st, &who, b))) {
		buf_reset(b);
		http_werr(r, e, store_errmsg(st));
		return HTTP_DONE;
	}
	r->status = 200;
	http_add_header(r, "Cache-Control", "no-store"); /* a person's data: no copy on the way */
	return HTTP_DONE;
}
