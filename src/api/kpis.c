/*
 * kpis.c - the staff read API over views.c: GET /v1/kpis, /v1/search,
 * /v1/queues[/{name}], /v1/orders/{order}?view=agent, and the live streams
 * GET /v1/stream/orders/{order} and /v1/stream/dashboard (sse.h).  Also the
 * one place request threads count a failed sync event (writer_note_failure).
 *
 * All of these are for agent or admin keys; the rejected-bodies queue
 * names raw payloads and is admin-only, as GET /v1/rejected is.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "../base/wtime.h"
#include "../core/kpi.h"
#include "api_int.h"
#include "../http/sse.h"
#include "../views/views.h"
#include "../base/banned.h"

#define KPI_DEFAULT_DAYS 30

/* Sends a view: 200 with its JSON, or the error. */
static enum http_result send_view(struct http_req *r, struct store *st, enum werr err, cJSON *j,
				  const char *not_found)
{
	char *text;

	if (err == WERR_NOT_FOUND) {
		http_fail(r, HE_NOT_FOUND, "%s", not_found);
	} else if (err) {
		http_werr(r, err, store_errmsg(st));
	} else if (!(text = cJSON_PrintUnformatted(j))) {
		http_werr(r, WERR_NOMEM, NULL);
	} else {
		http_json(r, 200, text, strlen(text));
		free(text);
	}
	cJSON_Delete(j);
	return HTTP_DONE;
}

enum http_result api_get_order_agent(struct http_req *r, const char *order)
{
	struct store *st;
	cJSON *j = NULL;
	enum werr err;

	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	err = view_agent(st, api_app(r)->policy, order, clock_wall_ms(), &j);
	return send_view(r, st, err, j, "no such order or tracking number");
}

/* A bound of the period: RFC 3339 with an offset, or a date (midnight UTC;
 * as `to`, a date includes that whole day). */
static bool read_bound(struct http_req *r, const char *name, bool is_to, int64_t *out)
{
	const char *v = http_query(r, name);
	int64_t ms;

	if (!v)
		return true;
	if (wtime_parse(v, WTIME_FLAG_DATE_OK, &ms) != WTIME_OK) {
		http_fail(r, HE_INVALID_QUERY, "'%s' must be a date (YYYY-MM-DD) or an RFC 3339 time with an offset",
			   name);
		return false;
	}
	if (is_to && strlen(v) == 10)
		ms += KPI_DAY_MS;
	*out = ms;
	return true;
}

enum http_result api_get_kpis(struct http_req *r)
{
	const char *group_by = http_query(r, "group_by");
	int64_t now = clock_wall_ms(), from = 0, to = 0;
	struct store *st;
	cJSON *j = NULL;
	enum werr err;

	if (!read_bound(r, "from", false, &from) || !read_bound(r, "to", true, &to))
		return HTTP_DONE;
	if (group_by && strcmp(group_by, "source") && strcmp(group_by, "carrier")) {
		http_fail(r, HE_INVALID_QUERY, "'group_by' must be 'source' or 'carrier'");
		return HTTP_DONE;
	}
	if (!to)
		to = from ? from + KPI_DEFAULT_DAYS * KPI_DAY_MS : now;
	if (!from)
		from = to - KPI_DEFAULT_DAYS * KPI_DAY_MS;
	if (to <= from) {
		http_fail(r, HE_INVALID_QUERY, "'to' must be after 'from'");
		return HTTP_DONE;
	}
	if (kpi_days(from, to) > KPI_MAX_DAYS) {
		http_fail(r, HE_INVALID_QUERY, "the period is longer than %d days", KPI_MAX_DAYS);
		return HTTP_DONE;
	}
	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	err = view_kpis(st, from, to, group_by, now, &j);
	return send_view(r, st, err, j, "no KPIs");
}

enum http_result api_search(struct http_req *r)
{
	const char *q = http_query(r, "q");
	struct store *st;
	cJSON *j = NULL;
	int limit = 20;
	enum werr err;

	if (!http_query_limit(r, 20, 100, &limit))
		return HTTP_DONE;
	if (!q || !q[0]) {
		http_fail(r, HE_INVALID_QUERY, "'q' (an order number, tracking number or email) is required");
		return HTTP_DONE;
	}
	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	err = view_search(st, q, limit, &j);
	if (err == WERR_INVALID) {
		http_fail(r, HE_INVALID_QUERY, "'q' is empty or too long");
		return HTTP_DONE;
	}
	return send_view(r, st, err, j, "no match");
}

/* Drops what only admins may follow (raw payload ids) from queue items. */
static void strip_raw(cJSON *j)
{
	cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "items"))
		cJSON_DeleteItemFromObjectCaseSensitive(it, "sample_raw_id");
}

/* The queues' sizes (GET /v1/queues). */
static enum http_result get_queues(struct http_req *r)
{
	struct store *st;
	cJSON *j = NULL;
	enum werr err;

	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	err = view_queue_counts(st, api_app(r)->views, clock_wall_ms(), &j);
	return send_view(r, st, err, j, "no queues");
}

enum http_result api_get_queue(struct http_req *r)
{
	const char *name = r->param;
	struct store *st;
	cJSON *j = NULL;
	int limit = 100;
	enum werr err;

	if (!name[0])
		return get_queues(r);
	/* rejected bodies may hold personal data: admins only */
	if ((!strcmp(name, "rejected") && !app_require_role(r, ROLES_ADMIN)) || !http_query_limit(r, 100, 1000, &limit) ||
	    !(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	err = view_queue(st, api_app(r)->views, name, clock_wall_ms(), limit, &j);
	if (!err && app_key(r)->role != ROLE_ADMIN)
		strip_raw(j);
	return send_view(r, st, err, j, "no such queue: use conflicts, unmapped, rejected, quiet or failures");
}

enum http_result api_stream_dashboard(struct http_req *r)
{
	struct sse_grant g;

	app_stream_grant(r, &g);
	return http_sse(r, "dashboard", &g);
}

enum http_result api_stream_order(struct http_req *r)
{
	const char *id = r->param;
	char order[EV_ORDER_MAX + 1], topic[SSE_TOPIC_MAX + 1];
	struct sse_grant g;
	struct store *st;
	char *json = NULL;
	enum werr err = WERR_NOT_FOUND;

	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	/* the order by number, "#" + number, or a tracking number: the
	 * stream's topic is always the order number */
	if (strlen(id) <= EV_ORDER_MAX) {
		memcpy(order, id, strlen(id) + 1);
		err = store_get_order(st, order, &json);
		if (err == WERR_NOT_FOUND && !store_find_package(st, id, order))
			err = store_get_order(st, order, &json);
		if (err == WERR_NOT_FOUND && id[0] == '#' && id[1]) {
			memcpy(order, id + 1, strlen(id));
			err = store_get_order(st, order, &json);
		}
	}
	free(json);
	if (err == WERR_NOT_FOUND) {
		http_fail(r, HE_NOT_FOUND, "no order or tracking number '%s'", id);
		return HTTP_DONE;
	}
	if (err) {
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	snprintf(topic, sizeof(topic), "order:%s", order);
	app_stream_grant(r, &g);
	return http_sse(r, topic, &g);
}

