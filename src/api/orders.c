/*
 * orders.c - GET /v1/orders/{order}, /v1/orders/{order}/timeline and the
 * paginated /v1/orders list.  Reads only: each uses this thread's read-only
 * store handle and never waits for the writer.
 */
#include <stdlib.h>
#include <string.h>

#include "../base/wtime.h"
#include "../core/order.h"
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

struct tl_entry {
	int64_t at;
	const char *key;
	const struct event *ev;      /* NULL for a duplicate row */
	const struct dup_row *dup;
	enum ev_outcome outcome;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct tl_entry *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (!x->dup != !y->dup)
		return x->dup ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void put_time(struct buf *b, const char *name, int64_t ms)
{
	char ts[WTIME_BUFSZ];
	buf_printf(b, ",\"%s\":", name);
	if (ms)
		buf_printf(b, "\"%s\"", wtime_format(ms, ts));
	else
		buf_puts(b, "null");
}

static void put_opt(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, ",\"%s\":", name);
	if (v[0])
		buf_json_str(b, v);
	else
		buf_puts(b, "null");
}

static bool is_decisive(const struct order_state *o, const struct event *ev)
{
	for (size_t i = 0; i < o->npackages; i++)
		if (!strcmp(o->packages[i].decided_by, ev->key))
			return true;
	return false;
}

static void put_entry(struct buf *b, const struct tl_entry *e, const struct order_state *o)
{
	const struct event *ev = e->ev;
	static const char *names[] = { "applied", "claim", "unmapped" };

	buf_puts(b, "{\"key\":");
	buf_json_str(b, e->key);
	if (!e->dup) {
		buf_puts(b, ",\"source\":");
		buf_json_str(b, ev->source);
		put_opt(b, "source_event_id", ev->id);
		put_opt(b, "package", ev->package);
		put_opt(b, "carrier", ev->carrier);
		buf_printf(b, ",\"status\":\"%s\"", ev_status_name(ev->status));
		put_opt(b, "detail", ev->detail);
		put_opt(b, "description", ev->description);
		put_time(b, "occurred_at", ev->occurred_at);
		put_time(b, "received_at", ev->received_at);
		buf_printf(b, ",\"outcome\":\"%s\",\"decisive\":%s", names[e->outcome],
			   is_decisive(o, ev) ? "true" : "false");
		if (ev->location.city[0] || ev->location.country[0]) {
			buf_puts(b, ",\"location\":{\"city\":");
			buf_json_str(b, ev->location.city);
			buf_puts(b, ",\"region\":");
			buf_json_str(b, ev->location.region);
			buf_puts(b, ",\"country\":");
			buf_json_str(b, ev->location.country);
			buf_putc(b, '}');
		}
	} else {
		buf_puts(b, ",\"source\":");
		buf_json_str(b, e->dup->source);
		buf_puts(b, ",\"outcome\":\"duplicate\"");
		buf_printf(b, ",\"count\":%lld", (long long)e->dup->count);
		put_time(b, "occurred_at", e->at);
		put_time(b, "first_received_at", e->dup->first_received);
		put_time(b, "received_at", e->dup->last_received);
	}
	buf_putc(b, '}');
}

enum http_result api_get_timeline(struct http_req *r)
{
	const char *id = r->param;
	struct store *st;
	struct event *evs = NULL;
	struct dup_row *dups = NULL;
	size_t n = 0, ndup = 0, ne = 0;
	enum ev_outcome *outc = NULL;
	struct tl_entry *ents = NULL;
	struct order_state o;
	char order[EV_ORDER_MAX + 1];
	enum werr err;

	order_init(&o);
	if (!valid_ref(r, id) || !(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if (EVENT_SET(order, id)) {
		http_fail(r, HE_NOT_FOUND, "no such order");
		return HTTP_DONE;
	}
	err = store_order_events(st, order, &evs, &n);
	if (!err && n == 0 && !store_find_package(st, id, order))
		err = store_order_events(st, order, &evs, &n);
	if (!err && n == 0 && id[0] == '#' && id[1])
		err = store_order_events(st, id + 1, &evs, &n);
	if (!err && n == 0) {
		http_fail(r, HE_NOT_FOUND, "no order or tracking number '%s'", id);
		goto out;
	}
	if (!err)
		err = store_order_duplicates(st, order, &dups, &ndup);
	if (err) {
		http_werr(r, err, store_errmsg(st));
		goto out;
	}
	outc = calloc(n, sizeof(*outc));
	ents = calloc(n + ndup, sizeof(*ents));
	if (!outc || !ents || order_fold(api_app(r)->policy, evs, n, &o, outc)) {
		http_werr(r, WERR_NOMEM, NULL);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ents[ne++] = (struct tl_entry){ evs[i].occurred_at, evs[i].key, &evs[i], NULL, outc[i] };
	for (size_t i = 0; i < ndup; i++) {
		int64_t at = 0;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(evs[j].key, dups[i].key))
				at = evs[j].occurred_at;
		ents[ne++] = (struct tl_entry){ at, dups[i].key, NULL, &dups[i], OUT_APPLIED };
	}
	qsort(ents, ne, sizeof(*ents), cmp_entry);

	buf_reset(&r->out);
	buf_puts(&r->out, "{\"order\":");
	buf_json_str(&r->out, order);
	buf_printf(&r->out, ",\"status\":\"%s\",\"events\":[", ord_status_name(o.status));
	for (size_t i = 0; i < ne; i++) {
		if (i)
			buf_putc(&r->out, ',');
		put_entry(&r->out, &ents[i], &o);
	}
	buf_puts(&r->out, "]}");
	r->status = 200;
out:
	order_release(&o);
	free(ents);
	free(outc);
	free(dups);
	event_array_free(evs, n);
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
