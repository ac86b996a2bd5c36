/*
 * app.c - the per-thread readers of the application context (app.h).
 *
 * Each libmicrohttpd pool thread opens its own read-only store handle on
 * first use (thread-specific data, closed when the thread ends), so reads
 * never wait for the writer.
 */
#include "app.h"

#include "../base/log.h"
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

struct store *app_reader(struct app *a, struct http_req *r)
{
	struct store *st = pthread_getspecific(a->reader_key);
	char msg[256];

	if (st)
		return st;
	if (store_open(a->store->url, STORE_READONLY, &st, msg, sizeof(msg))) {
		wlog(LOG_ERROR, "reader_open_failed", "detail", msg, NULL);
		http_fail(r, HE_STORAGE_UNAVAILABLE, "the store cannot be read now");
		r->retry_after = "1";
		return NULL;
	}
	pthread_setspecific(a->reader_key, st);
	return st;
}
