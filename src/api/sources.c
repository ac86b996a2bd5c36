/*
 * sources.c - the queues of what sources sent that wismo could not use:
 * GET /v1/unmapped (codes no mapping table knows, counted) and
 * GET /v1/rejected (bodies an adapter could not read, with the reason).
 */
#include <stdlib.h>
#include <string.h>

#include "../base/wtime.h"
#include "api_int.h"
#include "../base/banned.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

static void time_field(struct buf *b, const char *name, int64_t ms)
{
	char ts[WTIME_BUFSZ];

	buf_printf(b, ",\"%s\":", name);
	if (ms)
		buf_printf(b, "\"%s\"", wtime_format(ms, ts));
	else
		buf_puts(b, "null");
}

enum http_result api_list_unmapped(struct http_req *r)
{
	struct unmapped_row *rows = NULL;
	size_t n = 0;
	struct store *st;
	struct buf *b = &r->out;
	enum werr err;
	int limit;

	if (!http_query_limit(r, LIST_DEFAULT, LIST_MAX, &limit) ||
	    !(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if ((err = store_unmapped_list(st, limit, &rows, &n))) {
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	r->status = 200;
	buf_reset(b);
	buf_puts(b, "{\"unmapped\":[");
	for (size_t i = 0; i < n; i++) {
		const struct unmapped_row *u = &rows[i];
		buf_puts(b, i ? ",{\"source\":" : "{\"source\":");
		buf_json_str(b, u->source);
		buf_puts(b, ",\"carrier\":");
		if (u->carrier[0])
			buf_json_str(b, u->carrier);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"code\":");
		buf_json_str(b, u->code);
		buf_puts(b, ",\"description\":");
		buf_json_str(b, u->description);
		buf_printf(b, ",\"count\":%lld", (long long)u->count);
		time_field(b, "first_seen", u->first_seen);
		time_field(b, "last_seen", u->last_seen);
		buf_puts(b, ",\"sample\":");
		buf_puts(b, u->sample_event[0] ? u->sample_event : "null");
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
	unmapped_rows_free(rows, n);
	return HTTP_DONE;
}

enum http_result api_list_rejected(struct http_req *r)
{
	struct rejected_row *rows = NULL;
	size_t n = 0;
	struct store *st;
	struct buf *b = &r->out;
	const char *source = http_query(r, "source");
	enum werr err;
	int limit;

	if (!http_query_limit(r, LIST_DEFAULT, LIST_MAX, &limit) || !(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if ((err = store_rejected_list(st, source && source[0] ? source : NULL, limit, &rows, &n))) {
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	r->status = 200;
	buf_reset(b);
	buf_puts(b, "{\"rejected\":[");
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, "%s{\"id\":%lld,\"source\":", i ? "," : "", (long long)rows[i].id);
		buf_json_str(b, rows[i].source);
		buf_puts(b, ",\"reason\":");
		buf_json_str(b, rows[i].reason);
		time_field(b, "received_at", rows[i].received_at);
		buf_printf(b, ",\"raw_id\":%lld}", (long long)rows[i].raw_id);
	}
	buf_puts(b, "]}");
	free(rows);
	return HTTP_DONE;
}
