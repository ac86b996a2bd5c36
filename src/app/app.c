/*
 * app.c - the per-thread readers of the application context (app.h).
 *
 * Each libmicrohttpd pool thread opens its own read-only store handle on
 * first use (thread-specific data, closed when the thread ends), so reads
 * never wait for the writer.
 */
#include "app.h"

#include <cjson/cJSON.h>

#include "../adapters/adapter.h"
#include "../base/log.h"
#include "../base/text.h"
#include "../base/banned.h"

static void reader_close(void *p)
{
	store_close(p);
}

enum werr app_readers_init(struct app *a)
{
	if (pthread_key_create(&a->reader_key, reader_close))
		return WERR_INTERNAL;
	a->reader_key_made = true;
	return WERR_OK;
}

void app_readers_release(struct app *a)
{
	if (a->reader_key_made)
		pthread_key_delete(a->reader_key);
	a->reader_key_made = false;
}

/* Whether this thread's handler marked its reader in use (store.h,
 * STORE_KEEP_SNAPSHOT): from its first app_reader to app_after_handler. */
static _Thread_local bool reader_in_use;

struct store *app_reader(struct app *a, struct http_req *r)
{
	struct store *st = pthread_getspecific(a->reader_key);
	char msg[256];

	if (!st) {
		/* lookups may read a replica ([store] read_url; docs/scale-out.md) */
		if (store_open(a->store->read_url[0] ? a->store->read_url : a->store->url,
			       STORE_READONLY | STORE_KEEP_SNAPSHOT, &st, msg, sizeof(msg))) {
			wlog(LOG_ERROR, "reader_open_failed", "detail", msg, NULL);
			http_fail(r, HE_STORAGE_UNAVAILABLE, "the store cannot be read now");
			r->retry_after = "1";
			return NULL;
		}
		pthread_setspecific(a->reader_key, st);
	}
	if (!reader_in_use) {
		store_reader_enter(st);
		reader_in_use = true;
	}
	return st;
}

void app_after_handler(void *ctx, struct http_req *r)
{
	struct app *a = ctx;

	(void)r;
	if (reader_in_use) {
		struct store *st = pthread_getspecific(a->reader_key);

		store_reader_leave(st);
		reader_in_use = false;
	}
}

/* Nesting depth of a JSON text, counted without parsing it, so that a deep
 * body is refused before a tree is built.  Brackets inside strings do not
 * count. */
static bool json_too_deep(const char *s, size_t len, int max)
{
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return true;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return false;
}

cJSON *app_json_body(struct http_req *r, int max_depth)
{
	enum text_fault tf;
	size_t at = 0;
	cJSON *j;

	if ((tf = text_check(r->body.p, r->body.len, true, &at))) {
		http_fail(r, HE_INVALID_TEXT, "the body %s (byte %zu)", text_fault_name(tf), at);
		return NULL;
	}
	if (max_depth > 0 && json_too_deep(r->body.p, r->body.len, max_depth)) {
		http_fail(r, HE_TOO_DEEP, "the JSON nests deeper than %d levels", max_depth);
		return NULL;
	}
	if (!(j = text_json_one(r->body.p, r->body.len, &at)))
		http_fail(r, HE_MALFORMED_JSON, "the body is not one JSON value (near byte %zu)", at);
	return j;
}

enum werr app_record(struct app *a, struct event *evs, size_t n, bool *dup)
{
	struct writer_job job = { 0 };
	bool own[4];
	enum werr err;

	if (n > sizeof(own) / sizeof(own[0]) && !dup)
		return WERR_INVALID;
	for (size_t i = 0; i < n; i++)
		adapter_event_key(a->maps, &evs[i]);
	job.events = evs;
	job.nevents = n;
	job.duplicate = dup ? dup : own;
	if ((err = writer_submit_wait(a->writer, &job)))
		return err;
	return job.result;
}
