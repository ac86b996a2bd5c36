/*
 * notify.c - the notification API (docs/api.md): /v1/rules, /v1/audit,
 * /v1/outbox and its review/retry actions, /v1/consent.
 *
 * Reads use this thread's read-only store; writes go through the side store
 * (notify/planner.h), never the ingest writer, and each change writes an
 * audit entry in the same transaction, with the key's prefix as actor.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/wtime.h"
#include "api_int.h"
#include "../notify/planner.h"
#include "../notify/render.h"
#include "../base/banned.h"

#define LIST_MAX 1000

static void reply_json(struct http_req *r, unsigned status, cJSON *j)
{
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;

	if (!text)
		http_fail(r, HE_INTERNAL, "out of memory");
	else
		http_json(r, status, text, strlen(text));
	cJSON_free(text);
	cJSON_Delete(j);
}

static bool wrong_method(struct http_req *r, const char *allow)
{
	r->allow = allow;
	http_fail(r, HE_METHOD_NOT_ALLOWED, "use %s on this path", allow);
	return true;
}

static const char *actor(struct http_req *r)
{
	return app_key(r)->prefix[0] ? app_key(r)->prefix : "unknown";
}


/* ---- rules ---- */

static enum http_result rules_list(struct http_req *r)
{
	struct rule_set set;
	cJSON *out = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(out, "rules");

	notify_rules_snapshot(api_app(r)->planner, &set);
	for (size_t i = 0; arr && i < set.n; i++)
		cJSON_AddItemToArray(arr, rule_to_json(&set.r[i]));
	reply_json(r, 200, out);
	return HTTP_DONE;
}

static enum http_result rule_put(struct http_req *r, const char *name)
{
	struct notify_planner *p = api_app(r)->planner;
	cJSON *in = app_json_body(r, 0);
	struct rule rule, saved;
	struct rule_set set;
	char err[256];
	enum werr e;

	if (!in)
		return HTTP_DONE;
	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		http_fail(r, HE_MALFORMED_JSON, "the body must be a JSON object");
		return HTTP_DONE;
	}
	e = rule_from_json(in, name, &rule, err, sizeof(err));
	cJSON_Delete(in);
	if (e) {
		http_fail(r, HE_INVALID_RULE, "%s", err);
		return HTTP_DONE;
	}
	if (!notify_template_exists(notify_templates_dir(p), rule_channel_name(rule.channel), rule.template_name)) {
		http_fail(r, HE_UNKNOWN_TEMPLATE, "no template '%s' for channel '%s' (templates/%s/en/%s.txt)",
			   rule.template_name, rule_channel_name(rule.channel), rule_channel_name(rule.channel),
			   rule.template_name);
		return HTTP_DONE;
	}
	if ((e = notify_rule_put(p, &rule, actor(r), clock_wall_ms()))) {
		if (e == WERR_TOO_LARGE)
			http_fail(r, HE_TOO_MANY_RULES, "at most %d rules", RULES_MAX);
		else
			http_werr(r, e, "unable to store the rule");
		return HTTP_DONE;
	}
	notify_rules_snapshot(p, &set);
	saved = *rule_set_find(&set, name);
	reply_json(r, 200, rule_to_json(&saved));
	return HTTP_DONE;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > RULE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

enum http_result api_rules(struct http_req *r)
{
	const char *name = r->param;
	enum werr e;

	if (!name[0]) {
		if (!http_is_get(r) && wrong_method(r, "GET, HEAD"))
			return HTTP_DONE;
		return rules_list(r);
	}
	if (!valid_name(name)) {
		http_fail(r, HE_NOT_FOUND, "a rule name is 1..%d letters, digits, '_' or '-'", RULE_NAME_MAX);
		return HTTP_DONE;
	}
	if (!strcmp(r->method, "PUT"))
		return rule_put(r, name);
	if (!strcmp(r->method, "DELETE")) {
		e = notify_rule_delete(api_app(r)->planner, name, actor(r), clock_wall_ms());
		if (e == WERR_NOT_FOUND)
			http_fail(r, HE_NOT_FOUND, "no rule '%s'", name);
		else if (e)
			http_werr(r, e, "unable to delete the rule");
		else
			http_json(r, 204, "", 0);
		return HTTP_DONE;
	}
	if (http_is_get(r)) {
		struct rule_set set;
		const struct rule *found;
		notify_rules_snapshot(api_app(r)->planner, &set);
		if (!(found = rule_set_find(&set, name)))
			http_fail(r, HE_NOT_FOUND, "no rule '%s'", name);
		else
			reply_json(r, 200, rule_to_json(found));
		return HTTP_DONE;
	}
	wrong_method(r, "GET, HEAD, PUT, DELETE");
	return HTTP_DONE;
}

/* ---- audit ---- */

enum http_result api_audit(struct http_req *r)
{
	const char *before = http_query(r, "before");
	struct audit_row *rows = NULL;
	struct store *st;
	size_t n = 0;
	int limit;
	int64_t b = 0;
	enum werr e;
	cJSON *out, *arr;

	if (!http_query_limit(r, 100, LIST_MAX, &limit))
		return HTTP_DONE;
	if (before) {
		char *end;
		b = strtoll(before, &end, 10);
		if (!*before || *end || b < 1) {
			http_fail(r, HE_INVALID_QUERY, "'before' must be an audit entry id");
			return HTTP_DONE;
		}
	}
	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if ((e = store_audit_list(st, b, limit, &rows, &n))) {
		http_werr(r, e, store_errmsg(st));
		return HTTP_DONE;
	}
	out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(out, "entries");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *d = rows[i].detail ? cJSON_Parse(rows[i].detail) : NULL;
		cJSON_AddNumberToObject(o, "id", (double)rows[i].id);
		wtime_json_add(o, "at", rows[i].at);
		cJSON_AddStringToObject(o, "actor", rows[i].actor);
		cJSON_AddStringToObject(o, "action", rows[i].action);
		cJSON_AddStringToObject(o, "subject", rows[i].subject);
		cJSON_AddItemToObject(o, "detail", d ? d : cJSON_CreateNull());
		cJSON_AddItemToArray(arr, o);
	}
	if (n == (size_t)limit)
		cJSON_AddNumberToObject(out, "next_before", (double)rows[n - 1].id);
	audit_rows_free(rows, n);
	reply_json(r, 200, out);
	return HTTP_DONE;
}

/* ---- outbox ---- */

static cJSON *row_json(const struct outbox_row *m)
{
	cJSON *o = cJSON_CreateObject(), *v = m->view ? cJSON_Parse(m->view) : NULL;

	cJSON_AddNumberToObject(o, "id", (double)m->id);
	cJSON_AddStringToObject(o, "key", m->key);
	cJSON_AddStringToObject(o, "order", m->order);
	cJSON_AddStringToObject(o, "rule", m->rule);
	cJSON_AddStringToObject(o, "milestone", m->milestone);
	cJSON_AddStringToObject(o, "channel", m->channel);
	cJSON_AddStringToObject(o, "recipient", m->recipient);
	cJSON_AddStringToObject(o, "template", m->template_name);
	cJSON_AddStringToObject(o, "locale", m->locale);
	cJSON_AddStringToObject(o, "state", m->state);
	cJSON_AddNumberToObject(o, "attempts", m->attempts);
	wtime_json_add(o, "created_at", m->created_at);
	wtime_json_add(o, "next_at", m->next_at);
	wtime_json_add(o, "sent_at", m->sent_at);
	if (m->last_error[0])
		cJSON_AddStringToObject(o, "last_error", m->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	if (m->remote_id[0])
		cJSON_AddStringToObject(o, "remote_id", m->remote_id);
	else
		cJSON_AddNullToObject(o, "remote_id");
	cJSON_AddItemToObject(o, "view", v ? v : cJSON_CreateNull());
	return o;
}

static bool valid_state(const char *s)
{
	return outbox_state_from_name(s) >= 0;
}

static enum http_result outbox_list(struct http_req *r)
{
	const char *state = http_query(r, "state"), *order = http_query(r, "order");
	struct outbox_row *rows = NULL;
	struct store *st;
	size_t n = 0;
	int limit;
	enum werr e;
	cJSON *out, *arr;

	if (state && !valid_state(state)) {
		http_fail(r, HE_INVALID_QUERY, "'state' is one of review, pending, sending, sent, dead, cancelled");
		return HTTP_DONE;
	}
	if (order && (!order[0] || strlen(order) > EV_ORDER_MAX)) {
		http_fail(r, HE_INVALID_QUERY, "'order' must be an order number");
		return HTTP_DONE;
	}
	if (!http_query_limit(r, 100, LIST_MAX, &limit) || !(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if ((e = store_outbox_list(st, state, order, limit, &rows, &n))) {
		http_werr(r, e, store_errmsg(st));
		return HTTP_DONE;
	}
	out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(out, "messages");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, row_json(&rows[i]));
	outbox_rows_free(rows, n);
	reply_json(r, 200, out);
	return HTTP_DONE;
}

/* retry, approve and reject: their moves in core/outbox.h's table. */
static enum http_result outbox_action(struct http_req *r, int64_t id, const char *action)
{
	struct notify_planner *p = api_app(r)->planner;
	enum outbox_move mv = !strcmp(action, "retry")  ? OUTBOX_RETRY :
			      !strcmp(action, "reject") ? OUTBOX_REJECT : OUTBOX_APPROVE;
	const char *need = outbox_state_name(mv == OUTBOX_RETRY ? OUTBOX_DEAD : OUTBOX_REVIEW);
	enum outbox_state to_state = mv == OUTBOX_REJECT ? OUTBOX_CANCELLED : OUTBOX_PENDING;
	const char *to = outbox_state_name(to_state);
	struct outbox_row m = { 0 };
	struct store *st;
	char audit_action[32], subject[32], detail[160];
	int64_t now = clock_wall_ms();
	enum werr e;

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
	e = store_outbox_get(st, id, &m);
	if (!e && !outbox_move_ok(mv, (enum outbox_state)outbox_state_from_name(m.state), to_state)) {
		store_rollback(st);
		notify_side_unlock(p);
		http_fail(r, HE_WRONG_STATE, "message %lld is %s; %s needs a %s message", (long long)id, m.state,
			   action, need);
		free(m.view);
		return HTTP_DONE;
	}
	snprintf(audit_action, sizeof(audit_action), "outbox.%s", action);
	snprintf(subject, sizeof(subject), "%lld", (long long)id);
	snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":\"%s\"}", m.state, to);
	if (!e && !(e = store_outbox_set_state(st, id, to, now)) &&
	    !(e = store_audit_put(st, actor(r), audit_action, subject, detail, now)))
		e = store_commit(st);
	if (e)
		store_rollback(st);
	free(m.view);
	memset(&m, 0, sizeof(m));
	if (!e)
		e = store_outbox_get(st, id, &m);
	notify_side_unlock(p);
	if (e == WERR_NOT_FOUND)
		http_fail(r, HE_NOT_FOUND, "no message %lld", (long long)id);
	else if (e)
		http_werr(r, e, "unable to change the message");
	else
		reply_json(r, 200, row_json(&m));
	free(m.view);
	return HTTP_DONE;
}

enum http_result api_outbox(struct http_req *r)
{
	const char *rest = r->param;
	char *end;
	long long id;

	if (!rest[0]) {
		if (!http_is_get(r) && wrong_method(r, "GET, HEAD"))
			return HTTP_DONE;
		return outbox_list(r);
	}
	id = strtoll(rest, &end, 10);
	if (id < 1 || end == rest || (*end && *end != '/')) {
		http_fail(r, HE_NOT_FOUND, "no such message");
		return HTTP_DONE;
	}
	if (!*end) {
		struct outbox_row m;
		struct store *st;
		enum werr e;
		if (!http_is_get(r) && wrong_method(r, "GET, HEAD"))
			return HTTP_DONE;
		if (!(st = app_reader(api_app(r), r)))
			return HTTP_DONE;
		if ((e = store_outbox_get(st, id, &m)) == WERR_NOT_FOUND)
			http_fail(r, HE_NOT_FOUND, "no message %lld", id);
		else if (e)
			http_werr(r, e, store_errmsg(st));
		else
			reply_json(r, 200, row_json(&m));
		if (!e)
			free(m.view);
		return HTTP_DONE;
	}
	if (strcmp(end, "/retry") && strcmp(end, "/approve") && strcmp(end, "/reject")) {
		http_fail(r, HE_NOT_FOUND, "actions are retry, approve and reject");
		return HTTP_DONE;
	}
	if (strcmp(r->method, "POST") && wrong_method(r, "POST"))
		return HTTP_DONE;
	return outbox_action(r, id, end + 1);
}

/* ---- consent ---- */

static bool valid_phone(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != '+' || n < 8 || n > 16)
		return false;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

enum http_result api_post_consent(struct http_req *r)
{
	struct notify_planner *p = api_app(r)->planner;
	cJSON *in, *phone, *sms, *source;
	char src[EV_SOURCE_MAX + 1], detail[160];
	struct store *st;
	int64_t now = clock_wall_ms();
	enum werr e;
	bool in_opt;

	if (!(in = app_json_body(r, 0)))
		return HTTP_DONE;
	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		http_fail(r, HE_MALFORMED_JSON, "the body must be a JSON object");
		return HTTP_DONE;
	}
	phone = cJSON_GetObjectItemCaseSensitive(in, "phone");
	sms = cJSON_GetObjectItemCaseSensitive(in, "sms");
	source = cJSON_GetObjectItemCaseSensitive(in, "source");
	if (!cJSON_IsString(phone) || !valid_phone(phone->valuestring)) {
		cJSON_Delete(in);
		http_fail(r, HE_INVALID_FIELD, "'phone' must be an E.164 number (+ and 7 to 15 digits)");
		return HTTP_DONE;
	}
	if (!cJSON_IsBool(sms)) {
		cJSON_Delete(in);
		http_fail(r, HE_INVALID_FIELD, "'sms' must be true (opt-in) or false (opt-out)");
		return HTTP_DONE;
	}
	if (source && (!cJSON_IsString(source) || strlen(source->valuestring) > EV_SOURCE_MAX)) {
		cJSON_Delete(in);
		http_fail(r, HE_INVALID_FIELD, "'source' must be a short string");
		return HTTP_DONE;
	}
	/* an ingest key records consent in the name of its own source */
	snprintf(src, sizeof(src), "%s",
		 app_key(r)->role == ROLE_INGEST && app_key(r)->source[0] ? app_key(r)->source
		 : source && source->valuestring[0]              ? source->valuestring
								  : "api");
	in_opt = cJSON_IsTrue(sms);
	snprintf(detail, sizeof(detail), "{\"sms\":%s}", in_opt ? "true" : "false");
	if (!(st = notify_side_lock(p))) {
		cJSON_Delete(in);
		http_fail(r, HE_STORAGE_UNAVAILABLE, "the store cannot be written now");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	if (!(e = store_begin(st))) {
		if (!(e = store_consent_put(st, phone->valuestring, in_opt, src, now)) &&
		    !(e = store_audit_put(st, actor(r), in_opt ? "consent.sms_opt_in" : "consent.sms_opt_out",
					  phone->valuestring, detail, now)))
			e = store_commit(st);
		if (e)
			store_rollback(st);
	}
	notify_side_unlock(p);
	if (e) {
		cJSON_Delete(in);
		http_werr(r, e, "unable to record consent");
		return HTTP_DONE;
	}
	{
		cJSON *out = cJSON_CreateObject();
		char ts[WTIME_BUFSZ];
		cJSON_AddStringToObject(out, "phone", phone->valuestring);
		cJSON_AddBoolToObject(out, "sms", in_opt);
		cJSON_AddStringToObject(out, "source", src);
		cJSON_AddStringToObject(out, "at", wtime_format(now, ts));
		cJSON_Delete(in);
		reply_json(r, 200, out);
	}
	return HTTP_DONE;
}
