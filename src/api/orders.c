/*
 * orders.c - GET /v1/orders/{order}, /v1/orders/{order}/timeline and the
 * paginated /v1/orders list.  Reads only: each uses this thread's read-only
 * store handle and never waits for the writer.
 */
#include <stdlib.h>
#include <string.h>

#include "../base/wtime.h"
#include "../core/order.h"
#include "../views/views.h"
#include "api_int.h"
#include "../base/banned.h"


/* The order by its number, or by the tracking number of one of its parcels.
 * A store's order name ("#1001") is the order number with a '#' in front. */
static enum werr find_order(struct store *st, const char *id, char **json)
{
	char order[EV_ORDER_MAX + 1];
	enum werr err = store_get_order(st, id, json);

	if (err == WERR_NOT_FOUND && !store_find_package(st, id, order))
		return store_get_order(st, order, json);
	if (err == WERR_NOT_FOUND && id[0] == '#' && id[1])
		return store_get_order(st, id + 1, json);
	return err;
}

/* An order or tracking number in a path: 1..EV_ORDER_MAX bytes, else 404. */
static bool valid_ref(struct http_req *r, const char *id)
{
	if (id[0] && strlen(id) <= EV_ORDER_MAX)
		return true;
	http_fail(r, HE_NOT_FOUND, "no such order");
	return false;
}

enum http_result api_get_order(struct http_req *r)
{
	const char *id = r->param;
	struct store *st;
	char *json = NULL;
	enum werr err;
	const char *view = http_query(r, "view");

	if (!valid_ref(r, id))
		return HTTP_DONE;
	if (view && strcmp(view, "agent")) {
		http_fail(r, HE_INVALID_QUERY, "'view' can only be 'agent'");
		return HTTP_DONE;
	}
	if (view) /* the agent view (kpis.c, docs/api.md) */
		return api_get_order_agent(r, id);
	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	err = find_order(st, id, &json);
	if (err == WERR_NOT_FOUND)
		http_fail(r, HE_NOT_FOUND, "no order or tracking number '%s'", id);
	else if (err)
		http_werr(r, err, store_errmsg(st));
	else
		http_json(r, 200, json, strlen(json));
	free(json);
	return HTTP_DONE;
}

enum http_result api_get_timeline(struct http_req *r)
{
	const char *id = r->param;
	struct store *st;
	cJSON *j = NULL;
	char *text;
	enum werr err;

	if (!valid_ref(r, id) || !(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	err = view_timeline(st, api_app(r)->policy, id, &j);
	if (err == WERR_NOT_FOUND)
		http_fail(r, HE_NOT_FOUND, "no order or tracking number '%s'", id);
	else if (err)
		http_werr(r, err, store_errmsg(st));
	else if (!(text = cJSON_PrintUnformatted(j)))
		http_werr(r, WERR_NOMEM, NULL);
	else {
		http_json(r, 200, text, strlen(text));
		cJSON_free(text);
	}
	cJSON_Delete(j);
	return HTTP_DONE;
}

enum http_result api_list_orders(struct http_req *r)
{
	const char *status = http_query(r, "status");
	const char *since = http_query(r, "updated_since");
	const char *limit = http_query(r, "limit");
	struct order_query q = { NULL, 0, http_query(r, "cursor"), 100 };
	struct order_page page = { 0 };
	struct store *st;
	enum werr err;

	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if (status && status[0]) {
		if (ord_status_from_name(status) < 0) {
			http_fail(r, HE_INVALID_QUERY, "'status' is not an order status (docs/status.md)");
			return HTTP_DONE;
		}
		q.status = status;
	}
	if (since && since[0] && wtime_parse(since, WTIME_FLAG_DATE_OK, &q.updated_since)) {
		http_fail(r, HE_INVALID_QUERY, "'updated_since' must be an RFC 3339 time with an offset");
		return HTTP_DONE;
	}
	if (limit) {
		char *end;
		long v = strtol(limit, &end, 10);
		if (*end || v < 1 || v > 1000) {
			http_fail(r, HE_INVALID_QUERY, "'limit' must be from 1 to 1000");
			return HTTP_DONE;
		}
		q.limit = (int)v;
	}
	err = store_list_orders(st, &q, &page);
	if (err == WERR_INVALID) {
		http_fail(r, HE_INVALID_QUERY, "'cursor' is not one this server gave out");
		return HTTP_DONE;
	}
	if (err) {
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	buf_reset(&r->out);
	buf_puts(&r->out, "{\"orders\":[");
	for (size_t i = 0; i < page.n; i++) {
		if (i)
			buf_putc(&r->out, ',');
		buf_puts(&r->out, page.rows[i].json);
	}
	buf_puts(&r->out, "],\"next_cursor\":");
	if (page.next_cursor[0])
		buf_json_str(&r->out, page.next_cursor);
	else
		buf_puts(&r->out, "null");
	buf_putc(&r->out, '}');
	r->status = 200;
	order_page_release(&page);
	return HTTP_DONE;
}
