/*
 * tasks.c - the tasks API (docs/api.md "Tasks", docs/exceptions.md):
 *
 *   GET  /v1/tasks?state=&team=&kind=&order=&limit=   by due time
 *   GET  /v1/tasks/{id}
 *   POST /v1/tasks/{id}/ack        open -> acknowledged
 *   POST /v1/tasks/{id}/assign     {"assignee": "..."}, while not resolved
 *   POST /v1/tasks/{id}/resolve    {"note": "..."} (required), while not resolved
 *   GET  /v1/orders/{order}/exceptions is part of the order's answer (orders.c)
 *
 * Reads use this thread's read-only store; changes go through the side store
 * (notify/planner.h) with an audit entry (subject "task:ID") in the same
 * transaction, the key's prefix as actor, then the order is handed to the
 * live streams (app/live.h), so open dashboard pages refresh.  The
 * exception engine opens and auto-resolves tasks in the writer's
 * transaction (exceptions/engine.h).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/num.h"
#include "../core/exceptions.h"
#include "api_int.h"
#include "../http/sse.h"
#include "../notify/planner.h"
#include "../base/banned.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

void api_task_json(struct buf *b, const struct task_row *t, int64_t now)
{
	buf_printf(b, "{\"id\":%lld", (long long)t->id);
	api_put_str(b, "order", t->order);
	api_put_str(b, "kind", t->kind);
	api_put_str(b, "package", t->package);
	api_put_str(b, "team", t->team);
	api_put_str(b, "priority", t->priority);
	api_put_str(b, "state", t->state);
	api_put_str(b, "assignee", t->assignee);
	api_put_str(b, "reason", t->reason);
	api_put_time(b, "since", t->since);
	api_put_time(b, "opened_at", t->opened_at);
	api_put_time(b, "due_at", t->due_at);
	api_put_time(b, "acknowledged_at", t->acked_at);
	api_put_time(b, "resolved_at", t->resolved_at);
	api_put_str(b, "resolution", t->resolution);
	api_put_str(b, "note", t->note);
	buf_printf(b, ",\"overdue\":%s}", strcmp(t->state, "resolved") && now > t->due_at ? "true" : "false");
}

static bool check_filter(struct http_req *r, const char *name, const char *v, int (*valid)(const char *))
{
	if (!v || valid(v) >= 0)
		return true;
	http_fail(r, HE_INVALID_QUERY, "unknown %s '%s'", name, v);
	return false;
}

static int state_valid(const char *s)
{
	return !strcmp(s, "open") || !strcmp(s, "acknowledged") || !strcmp(s, "resolved") || !strcmp(s, "live")
		       ? 0
		       : -1;
}

static enum http_result list_tasks(struct http_req *r)
{
	struct task_query q = { http_query(r, "state"), http_query(r, "team"), http_query(r, "kind"),
				http_query(r, "order"), 0 };
	struct task_row *rows = NULL;
	size_t n = 0;
	struct store *st;
	struct buf *b = &r->out;
	int64_t now = clock_wall_ms();
	enum werr err;

	if (!check_filter(r, "state", q.state, state_valid) || !check_filter(r, "team", q.team, exc_team_from_name) ||
	    !check_filter(r, "kind", q.kind, exc_kind_from_name) ||
	    !http_query_limit(r, LIST_DEFAULT, LIST_MAX, &q.limit) || !(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if ((err = store_task_list(st, &q, &rows, &n))) {
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	r->status = 200;
	buf_reset(b);
	buf_puts(b, "{\"tasks\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		api_task_json(b, &rows[i], now);
	}
	buf_puts(b, "]}");
	free(rows);
	return HTTP_DONE;
}

/* Reads the body's one string member `name` (required: non-empty). */
static bool body_string(struct http_req *r, const char *name, bool required, char *out, size_t cap)
{
	cJSON *in, *v;

	out[0] = '\0';
	if (!r->body.len && !required)
		return true;
	if (!(in = app_json_body(r, 0)))
		return false;
	v = cJSON_IsObject(in) ? cJSON_GetObjectItemCaseSensitive(in, name) : NULL;
	if (!cJSON_IsObject(in) || (v && !cJSON_IsString(v) && !cJSON_IsNull(v))) {
		http_fail(r, HE_INVALID_BODY, "the body must be {\"%s\": \"...\"}", name);
	} else if (cJSON_IsString(v) && strlen(v->valuestring) >= cap) {
		http_fail(r, HE_TOO_LONG, "'%s' is longer than %zu bytes", name, cap - 1);
	} else if (required && (!cJSON_IsString(v) || !v->valuestring[0])) {
		http_fail(r, HE_MISSING_FIELD, "'%s' is required", name);
	} else {
		if (cJSON_IsString(v))
			snprintf(out, cap, "%s", v->valuestring);
		cJSON_Delete(in);
		return true;
	}
	cJSON_Delete(in);
	return false;
}

static enum http_result task_action(struct http_req *r, int64_t id, const char *action)
{
	struct notify_planner *p = api_app(r)->planner;
	struct task_row t = { 0 };
	char value[512], subject[48], detail[768], audit_action[32];
	const char *actor;
	struct store *st;
	int64_t now = clock_wall_ms();
	enum werr e;
	bool ack = !strcmp(action, "ack"), assign = !strcmp(action, "assign"), resolve = !strcmp(action, "resolve");

	if (!ack && !assign && !resolve) {
		http_fail(r, HE_NOT_FOUND, "tasks take ack, assign and resolve");
		return HTTP_DONE;
	}
	if (!body_string(r, assign ? "assignee" : "note", assign || resolve, value,
			 assign ? sizeof(t.assignee) : sizeof(t.note)))
		return HTTP_DONE;
	if (!(st = notify_side_lock(p))) {
		http_fail(r, HE_STORAGE_UNAVAILABLE, "the store cannot be written now");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	if ((e = store_begin(st))) {
		notify_side_unlock(p);
		http_werr(r, e, "unable to begin");
		return HTTP_DONE;
	}
	e = store_task_get(st, id, &t);
	if (!e && (!strcmp(t.state, "resolved") || (ack && strcmp(t.state, "open")))) {
		store_rollback(st);
		notify_side_unlock(p);
		http_fail(r, HE_WRONG_STATE, "task %lld is %s; %s needs %s task", (long long)id, t.state, action,
			  ack ? "an open" : "an open or acknowledged");
		return HTTP_DONE;
	}
	if (!e) {
		if (ack) {
			snprintf(t.state, sizeof(t.state), "acknowledged");
			t.acked_at = now;
		} else if (assign) {
			snprintf(t.assignee, sizeof(t.assignee), "%.*s", (int)sizeof(t.assignee) - 1, value);
		} else {
			snprintf(t.state, sizeof(t.state), "resolved");
			snprintf(t.resolution, sizeof(t.resolution), "manual");
			snprintf(t.note, sizeof(t.note), "%s", value);
			t.resolved_at = now;
		}
		actor = app_key(r)->prefix[0] ? app_key(r)->prefix : "unknown";
		snprintf(subject, sizeof(subject), "task:%lld", (long long)id);
		{
			struct buf d = BUF_INIT;
			buf_puts(&d, "{\"order\":");
			buf_json_str(&d, t.order);
			buf_puts(&d, ",\"state\":");
			buf_json_str(&d, t.state);
			if (!ack) {
				buf_puts(&d, assign ? ",\"assignee\":" : ",\"note\":");
				buf_json_str(&d, value);
			}
			buf_putc(&d, '}');
			snprintf(detail, sizeof(detail), "%s", buf_failed(&d) ? "{}" : d.p);
			buf_release(&d);
		}
		snprintf(audit_action, sizeof(audit_action), "task.%s", action);
		if (!(e = store_task_update(st, &t)) && !(e = store_audit_put(st, actor, audit_action, subject, detail, now)))
			e = store_commit(st);
	}
	if (e)
		store_rollback(st);
	notify_side_unlock(p);
	if (e == WERR_NOT_FOUND) {
		http_fail(r, HE_NOT_FOUND, "no task %lld", (long long)id);
	} else if (e) {
		http_werr(r, e, "unable to change the task");
	} else {
		const char *order = t.order;
		r->status = 200;
		buf_reset(&r->out);
		api_task_json(&r->out, &t, now);
		/* open dashboard pages hear of it as of any change of the order */
		if (api_app(r)->http)
			sse_hub_notify(http_server_hub(api_app(r)->http), &order, 1);
	}
	return HTTP_DONE;
}

enum http_result api_tasks(struct http_req *r)
{
	const char *rest = r->param, *slash;
	struct task_row t;
	struct store *st;
	char idtext[24];
	long id;
	enum werr e;

	if (!rest[0]) {
		if (!http_is_get(r)) {
			r->allow = "GET, HEAD";
			http_fail(r, HE_METHOD_NOT_ALLOWED, "use GET on this path");
			return HTTP_DONE;
		}
		return list_tasks(r);
	}
	slash = strchr(rest, '/');
	snprintf(idtext, sizeof(idtext), "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest), rest);
	if (!num_parse(idtext, 1, 1L << 53, &id)) {
		http_fail(r, HE_NOT_FOUND, "a task id is a positive integer");
		return HTTP_DONE;
	}
	if (slash) {
		if (strcmp(r->method, "POST")) {
			r->allow = "POST";
			http_fail(r, HE_METHOD_NOT_ALLOWED, "use POST for a task's actions");
			return HTTP_DONE;
		}
		return task_action(r, id, slash + 1);
	}
	if (!http_is_get(r)) {
		r->allow = "GET, HEAD";
		http_fail(r, HE_METHOD_NOT_ALLOWED, "use GET on this path");
		return HTTP_DONE;
	}
	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if ((e = store_task_get(st, id, &t))) {
		if (e == WERR_NOT_FOUND)
			http_fail(r, HE_NOT_FOUND, "no task %ld", id);
		else
			http_werr(r, e, store_errmsg(st));
		return HTTP_DONE;
	}
	r->status = 200;
	buf_reset(&r->out);
	api_task_json(&r->out, &t, clock_wall_ms());
	return HTTP_DONE;
}
