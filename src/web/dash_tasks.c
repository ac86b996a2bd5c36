/*
 * dash_tasks.c - the dashboard's task queues (docs/web.md "Tasks"): the
 * live tasks that exceptions opened (docs/exceptions.md), one queue per
 * team, soonest due first, with every team's live and overdue counts.
 *
 *   GET /dashboard/tasks[?team=support|warehouse|operations|returns]
 *
 * Live: dashboard.js refreshes #task-teams and #task-items whenever an
 * order changes (a task opens or closes with its order's exceptions).
 * Acting on a task is the tasks API's (docs/api.md "Tasks").
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/wtime.h"
#include "../core/exceptions.h"
#include "page.h"
#include "web_int.h"
#include "../base/banned.h"

#define TASKS_SHOWN 500
#define HOUR_MS INT64_C(3600000)

/* "3 h", "2 d": how long a task has been open. */
static void age_text(int64_t ms, char *out, size_t cap)
{
	if (ms < 0)
		ms = 0;
	if (ms < 48 * HOUR_MS)
		snprintf(out, cap, "%lld h", (long long)(ms / HOUR_MS));
	else
		snprintf(out, cap, "%lld d", (long long)(ms / (24 * HOUR_MS)));
}

/* Each team's live and overdue tasks (every live task, however many). */
static enum werr add_teams(struct store *st, cJSON *v, const char *selected, int64_t now)
{
	struct task_kpi_row *rows = NULL;
	size_t n = 0;
	cJSON *teams = cJSON_AddArrayToObject(v, "teams");
	enum werr err = store_task_kpis(st, now, now, &rows, &n);

	for (int t = 0; !err && teams && t < TEAM__COUNT; t++) {
		const char *name = exc_team_name((enum exc_team)t);
		long live = 0, overdue = 0;
		cJSON *x = cJSON_CreateObject();
		char url[64];
		for (size_t i = 0; i < n; i++) {
			if (!rows[i].live || strcmp(rows[i].team, name))
				continue;
			live++;
			overdue += now > rows[i].due_at;
		}
		if (!x || !cJSON_AddItemToArray(teams, x)) {
			cJSON_Delete(x);
			err = WERR_NOMEM;
			break;
		}
		snprintf(url, sizeof(url), "/dashboard/tasks?team=%s", name);
		cJSON_AddStringToObject(x, "name", name);
		cJSON_AddStringToObject(x, "url", url);
		cJSON_AddNumberToObject(x, "live", (double)live);
		if (overdue)
			cJSON_AddNumberToObject(x, "overdue", (double)overdue);
		if (selected && !strcmp(selected, name))
			cJSON_AddTrueToObject(x, "selected");
	}
	free(rows);
	return err;
}

static enum werr add_tasks(struct store *st, cJSON *v, const char *team, int64_t now)
{
	struct task_query q = { "live", team, NULL, NULL, TASKS_SHOWN };
	struct task_row *t = NULL;
	size_t n = 0;
	cJSON *arr = cJSON_AddArrayToObject(v, "tasks");
	enum werr err = store_task_list(st, &q, &t, &n);

	for (size_t i = 0; !err && arr && i < n; i++) {
		cJSON *x = view_task_json(&t[i], now);
		char age[32];
		if (!x || !cJSON_AddItemToArray(arr, x)) {
			cJSON_Delete(x);
			err = WERR_NOMEM;
			break;
		}
		web_dash_order_url(x, "order_url", t[i].order);
		age_text(now - t[i].opened_at, age, sizeof(age));
		cJSON_AddStringToObject(x, "age", age);
	}
	if (!err && n)
		cJSON_AddTrueToObject(v, "has_tasks");
	free(t);
	return err;
}

enum http_result web_dashboard_tasks(struct http_req *r)
{
	const char *team = http_query(r, "team");
	int64_t now = clock_wall_ms();
	struct store *st;
	cJSON *v;
	enum werr err;

	if (!web_dash_session(r) || !(st = app_reader(web_app(r), r)))
		return HTTP_DONE;
	if (team && !team[0])
		team = NULL;
	if (team && exc_team_from_name(team) < 0) {
		http_add_header(r, "Content-Security-Policy", PAGE_CSP);
		http_fail(r, HE_INVALID_QUERY, "no team '%s' (support, warehouse, operations, returns)", team);
		return HTTP_DONE;
	}
	if (!(v = web_dash_view(r, team ? team : "Tasks"))) {
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	if (team)
		cJSON_AddStringToObject(v, "team", team);
	if ((err = add_teams(st, v, team, now)) || (err = add_tasks(st, v, team, now))) {
		cJSON_Delete(v);
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	web_dash_send(r, 200, "dash_tasks", v);
	return HTTP_DONE;
}
