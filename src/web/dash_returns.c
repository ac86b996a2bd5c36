/*
 * dash_returns.c - the dashboard's returns queue (docs/web.md "Returns",
 * docs/returns.md): the returns still to be resolved, the latest changed
 * first, with a count per state; or every return of one state.
 *
 *   GET /dashboard/returns[?state=live|requested|approved|...|closed]
 *
 * A request waiting for a decision is also a return_approval task (the
 * returns team's queue under /dashboard/tasks); deciding is the returns
 * API's (docs/api.md "Returns").
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/wtime.h"
#include "../core/returns.h"
#include "page.h"
#include "web_int.h"
#include "../base/banned.h"

#define RETURNS_SHOWN 500

static void add_time(cJSON *x, const char *name, int64_t ms)
{
	char t[WTIME_BUFSZ];

	if (ms)
		cJSON_AddStringToObject(x, name, wtime_format(ms, t));
}

/* The live returns per state (every one, from the KPIs' read of the projection). */
static enum werr add_states(struct store *st, cJSON *v, const char *selected, int64_t now)
{
	struct return_row *rows = NULL;
	size_t n = 0;
	cJSON *states = cJSON_AddArrayToObject(v, "states");
	enum werr err = store_ret_kpis(st, now, now, &rows, &n);

	for (int s = 0; !err && states && s < RET__COUNT; s++) {
		const char *name = ret_step_name((enum ret_step)s);
		long count = 0;
		cJSON *x;
		char url[64];
		for (size_t i = 0; i < n; i++)
			count += !strcmp(rows[i].state, name);
		if (!count)
			continue;
		if (!(x = cJSON_CreateObject()) || !cJSON_AddItemToArray(states, x)) {
			cJSON_Delete(x);
			err = WERR_NOMEM;
			break;
		}
		snprintf(url, sizeof(url), "/dashboard/returns?state=%s", name);
		cJSON_AddStringToObject(x, "name", name);
		cJSON_AddStringToObject(x, "url", url);
		cJSON_AddNumberToObject(x, "count", (double)count);
		if (selected && !strcmp(selected, name))
			cJSON_AddTrueToObject(x, "selected");
	}
	free(rows);
	return err;
}

static enum werr add_returns(struct store *st, cJSON *v, const char *state)
{
	struct return_query q = { NULL, state, NULL, RETURNS_SHOWN };
	struct return_row *rows = NULL;
	size_t n = 0;
	cJSON *arr = cJSON_AddArrayToObject(v, "returns");
	enum werr err = store_ret_list(st, &q, &rows, &n);

	for (size_t i = 0; !err && arr && i < n; i++) {
		cJSON *x = cJSON_CreateObject();
		if (!x || !cJSON_AddItemToArray(arr, x)) {
			cJSON_Delete(x);
			err = WERR_NOMEM;
			break;
		}
		cJSON_AddStringToObject(x, "id", rows[i].id);
		cJSON_AddStringToObject(x, "order", rows[i].order);
		web_dash_order_url(x, "order_url", rows[i].order);
		cJSON_AddStringToObject(x, "state", rows[i].state);
		cJSON_AddStringToObject(x, "reason", rows[i].reason);
		cJSON_AddStringToObject(x, "disposition", rows[i].disposition);
		add_time(x, "requested_at", rows[i].requested_at);
		add_time(x, "received_at", rows[i].received_at);
		add_time(x, "updated_at", rows[i].updated_at);
	}
	if (!err && n)
		cJSON_AddTrueToObject(v, "has_returns");
	free(rows);
	return err;
}

enum http_result web_dashboard_returns(struct http_req *r)
{
	const char *state = http_query(r, "state");
	struct store *st;
	cJSON *v;
	enum werr err;

	if (!web_dash_session(r) || !(st = app_reader(web_app(r), r)))
		return HTTP_DONE;
	if (!state || !state[0])
		state = "live";
	if (strcmp(state, "live") && ret_step_from_name(state) < 0) {
		http_add_header(r, "Content-Security-Policy", PAGE_CSP);
		http_fail(r, HE_INVALID_QUERY, "no return state '%s'", state);
		return HTTP_DONE;
	}
	if (!(v = web_dash_view(r, "Returns"))) {
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	cJSON_AddStringToObject(v, "state", state);
	if ((err = add_states(st, v, state, clock_wall_ms())) || (err = add_returns(st, v, state))) {
		cJSON_Delete(v);
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	web_dash_send(r, 200, "dash_returns", v);
	return HTTP_DONE;
}
