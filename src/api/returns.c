/*
 * returns.c - the returns API (docs/api.md "Returns", docs/returns.md):
 *
 *   GET  /v1/returns?state=&reason=&limit=   the latest changed first
 *   GET  /v1/returns/{id}                    {"order", "return": as in the order's JSON}
 *   POST /v1/returns                         {"order", "items": [{sku, quantity}], "reason", "id"?}
 *   POST /v1/returns/{id}/approve            {"note"?}: a request (or a rejected one) goes ahead
 *   POST /v1/returns/{id}/reject             {"note"?}: a request (or an approval before any
 *                                            label or parcel) is declined
 *
 * Every change is an event of the source "returns" (a storefront: the
 * shop's own decision) written through the writer, so the return's state is
 * what the fold makes of it, as for any source; the answer is read back
 * from the order's projection once the event is durable.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/crypto.h"
#include "../core/return_request.h"
#include "api_int.h"
#include "../base/banned.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

static int state_valid(const char *s)
{
	return !strcmp(s, "live") ? 0 : ret_step_from_name(s);
}

static enum http_result list_returns(struct http_req *r)
{
	struct return_query q = { NULL, http_query(r, "state"), http_query(r, "reason"), 0 };
	struct return_row *rows = NULL;
	struct buf *b = &r->out;
	struct store *st;
	size_t n = 0;
	enum werr err;

	if (q.state && state_valid(q.state) < 0) {
		http_fail(r, HE_INVALID_QUERY, "unknown state '%s'", q.state);
		return HTTP_DONE;
	}
	if (!http_query_limit(r, LIST_DEFAULT, LIST_MAX, &q.limit) || !(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	if ((err = store_ret_list(st, &q, &rows, &n))) {
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	r->status = 200;
	buf_reset(b);
	buf_puts(b, "{\"returns\":[");
	for (size_t i = 0; i < n; i++) {
		const struct return_row *x = &rows[i];
		buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
		buf_json_str(b, x->id);
		api_put_str(b, "order", x->order);
		api_put_str(b, "state", x->state);
		api_put_str(b, "reason", x->reason);
		api_put_str(b, "disposition", x->disposition);
		api_put_time(b, "requested_at", x->requested_at);
		api_put_time(b, "received_at", x->received_at);
		api_put_time(b, "resolved_at", x->resolved_at);
		api_put_time(b, "updated_at", x->updated_at);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
	free(rows);
	return HTTP_DONE;
}

/* The order holding return id (the latest changed, should two orders use
 * one id), into order; false with the answer set. */
static bool find_return(struct http_req *r, struct store *st, const char *id, char order[EV_ORDER_MAX + 1])
{
	struct return_query q = { id, NULL, NULL, 1 };
	struct return_row *rows = NULL;
	size_t n = 0;
	enum werr err;

	if ((err = store_ret_list(st, &q, &rows, &n))) {
		http_werr(r, err, store_errmsg(st));
		return false;
	}
	if (!n)
		http_fail(r, HE_NOT_FOUND, "no return '%s'", id);
	else
		snprintf(order, EV_ORDER_MAX + 1, "%s", rows[0].order);
	free(rows);
	return n > 0;
}

/* Answers {"order", "return"} from the order's stored JSON. */
static enum http_result send_return(struct http_req *r, struct store *st, const char *order, const char *id,
				    unsigned status)
{
	cJSON *o = NULL, *ret, *out = NULL;
	char *json = NULL, *text = NULL;
	enum werr err;

	if ((err = store_get_order(st, order, &json))) {
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	if ((o = cJSON_Parse(json))) {
		cJSON_ArrayForEach(ret, cJSON_GetObjectItemCaseSensitive(o, "returns")) {
			const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ret, "id"));
			if (rid && !strcmp(rid, id))
				break;
		}
		if (!ret)
			http_fail(r, HE_NOT_FOUND, "no return '%s'", id);
		else if ((out = cJSON_CreateObject()) && cJSON_AddStringToObject(out, "order", order) &&
			 cJSON_AddItemReferenceToObject(out, "return", ret) && (text = cJSON_PrintUnformatted(out)))
			http_json(r, status, text, strlen(text));
	}
	if (!r->status)
		http_werr(r, WERR_NOMEM, "unable to answer");
	free(text);
	cJSON_Delete(out);
	cJSON_Delete(o);
	free(json);
	return HTTP_DONE;
}

/* The optional {"note": "..."} of a decision, into note; false with the answer set. */
static bool read_note(struct http_req *r, char *note, size_t cap)
{
	cJSON *in, *v;

	note[0] = '\0';
	if (!r->body.len)
		return true;
	if (!(in = app_json_body(r, 0)))
		return false;
	v = cJSON_GetObjectItemCaseSensitive(in, "note");
	if (!cJSON_IsObject(in) || (v && !cJSON_IsString(v) && !cJSON_IsNull(v)))
		http_fail(r, HE_INVALID_BODY, "the body must be {\"note\": \"...\"}");
	else if (cJSON_IsString(v) && strlen(v->valuestring) >= cap)
		http_fail(r, HE_TOO_LONG, "'note' is longer than %zu bytes", cap - 1);
	else if (cJSON_IsString(v))
		snprintf(note, cap, "%s", v->valuestring);
	cJSON_Delete(in);
	return !r->status;
}

static void werr_reply(struct http_req *r, enum werr err, const char *what)
{
	if (err == WERR_NOT_FOUND)
		http_fail(r, HE_NOT_FOUND, "no such order");
	else
		http_werr(r, err, what);
}

static enum http_result decide(struct http_req *r, const char *id, bool approve)
{
	struct app *a = api_app(r);
	struct order_state o;
	const struct return_state *ret = NULL;
	char order[EV_ORDER_MAX + 1], note[EV_DESC_MAX - 40];
	struct store *st;
	struct event ev;
	enum werr err;

	if (!read_note(r, note, sizeof(note)) || !(st = app_reader(a, r)) || !find_return(r, st, id, order))
		return HTTP_DONE;
	order_init(&o);
	if ((err = view_fold(st, a->policy, order, &o))) {
		werr_reply(r, err, "unable to read the order");
		order_release(&o);
		return HTTP_DONE;
	}
	for (size_t i = 0; i < o.nreturns && !ret; i++)
		if (!strcmp(o.returns[i].id, id))
			ret = &o.returns[i];
	if (!ret || (approve ? ret->state != RET_REQUESTED && ret->state != RET_REJECTED
			     : ret->state != RET_REQUESTED && ret->state != RET_APPROVED)) {
		http_fail(r, HE_WRONG_STATE, "return '%s' is %s; %s needs a %s", id, ret ? ret_step_name(ret->state) : "unknown",
			  approve ? "approve" : "reject", approve ? "requested or rejected return" : "requested or approved return");
		order_release(&o);
		return HTTP_DONE;
	}
	event_init(&ev);
	snprintf(ev.source, sizeof(ev.source), "returns");
	ev.occurred_at = clock_wall_ms();
	/* one decision per instant: a person may change their mind later */
	snprintf(ev.id, sizeof(ev.id), "return_%s:%s:%lld", approve ? "approve" : "reject", id, (long long)ev.occurred_at);
	snprintf(ev.order, sizeof(ev.order), "%s", o.order);
	snprintf(ev.return_id, sizeof(ev.return_id), "%s", id);
	ev.status = approve ? EV_RETURN_APPROVED : EV_RETURN_REJECTED;
	snprintf(ev.description, sizeof(ev.description), "by %s%s%s", app_key(r)->prefix[0] ? app_key(r)->prefix : "staff",
		 note[0] ? ": " : "", note);
	order_release(&o);
	if ((err = app_record(a, &ev, 1, NULL))) {
		http_werr(r, err, "unable to record the decision");
		return HTTP_DONE;
	}
	return send_return(r, st, order, id, 200);
}

/* Reads {"order", "items", "reason", "id"?} into rq (items owned by *items). */
static bool read_request(struct http_req *r, char *order, char *id, char *reason, struct event_item **items,
			 size_t *nitems)
{
	cJSON *in, *arr, *it;
	const char *s;
	size_t i = 0;

	*items = NULL;
	*nitems = 0;
	if (!(in = app_json_body(r, 0)))
		return false;
	arr = cJSON_GetObjectItemCaseSensitive(in, "items");
	if (!cJSON_IsObject(in) || !cJSON_IsArray(arr)) {
		http_fail(r, HE_INVALID_BODY, "the body must be {\"order\", \"items\": [{\"sku\", \"quantity\"}], \"reason\"}");
		goto out;
	}
	if (!(s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "order"))) || !s[0] || strlen(s) > EV_ORDER_MAX) {
		http_fail(r, HE_MISSING_FIELD, "'order' must be an order number");
		goto out;
	}
	snprintf(order, EV_ORDER_MAX + 1, "%s", s);
	s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "reason"));
	snprintf(reason, RET_REASON_MAX + 1, "%s", s && strlen(s) <= RET_REASON_MAX ? s : "");
	if ((s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "id")))) {
		if (!s[0] || strlen(s) > RET_ID_MAX) {
			http_fail(r, HE_INVALID_FIELD, "'id' must be 1 to 64 characters");
			goto out;
		}
		snprintf(id, RET_ID_MAX + 1, "%s", s);
	}
	if (cJSON_GetArraySize(arr) < 1 || cJSON_GetArraySize(arr) > RET_LINES_MAX) {
		http_fail(r, HE_INVALID_FIELD, "'items' holds 1 to %d entries", RET_LINES_MAX);
		goto out;
	}
	if (!(*items = calloc((size_t)cJSON_GetArraySize(arr), sizeof(**items)))) {
		http_werr(r, WERR_NOMEM, "unable to read the request");
		goto out;
	}
	cJSON_ArrayForEach(it, arr) {
		const cJSON *q = cJSON_GetObjectItemCaseSensitive(it, "quantity");
		s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "sku"));
		if (!s || !s[0] || strlen(s) > EV_SKU_MAX || (q && (!cJSON_IsNumber(q) || q->valuedouble < 1 ||
								   q->valuedouble > 1000000 ||
								   q->valuedouble != (double)(int)q->valuedouble))) {
			http_fail(r, HE_INVALID_FIELD, "each item needs a 'sku' and a 'quantity' from 1 to 1000000");
			goto out;
		}
		snprintf((*items)[i].sku, sizeof((*items)[i].sku), "%s", s);
		(*items)[i].quantity = q ? (int)q->valuedouble : 1;
		*nitems = ++i;
	}
out:
	cJSON_Delete(in);
	return !r->status;
}

static enum http_result create_return(struct http_req *r)
{
	struct app *a = api_app(r);
	char order[EV_ORDER_MAX + 1], id[RET_ID_MAX + 1] = "", reason[RET_REASON_MAX + 1], why[256];
	struct event_item *items = NULL;
	struct event evs[2];
	struct order_state o;
	struct return_request rq;
	unsigned char rnd[5];
	const char *code = NULL;
	struct store *st;
	size_t nitems = 0, nev = 0;
	enum werr err;

	order_init(&o);
	if (!read_request(r, order, id, reason, &items, &nitems) || !(st = app_reader(a, r)))
		goto out;
	if ((err = view_fold(st, a->policy, order, &o))) {
		werr_reply(r, err, "unable to read the order");
		goto out;
	}
	if (!id[0]) {
		/* a new id, never one a source gave: RT- and 10 hex digits */
		if (crypto_random(rnd, sizeof(rnd))) {
			http_werr(r, WERR_INTERNAL, "unable to make an id");
			goto out;
		}
		snprintf(id, sizeof(id), "RT-%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4]);
	}
	rq = (struct return_request){ "returns", id, reason, nitems, items };
	if (!(nev = returns_request_events(a->returns, &o, &rq, clock_wall_ms(), evs, &code, why, sizeof(why)))) {
		http_fail(r, strcmp(code, "invalid_field") ? HE_NOT_RETURNABLE : HE_INVALID_FIELD, "%s", why);
		goto out;
	}
	if ((err = app_record(a, evs, nev, NULL)))
		http_werr(r, err, "unable to record the request");
	else
		send_return(r, st, o.order, id, 201);
	for (size_t i = 0; i < 2; i++)
		event_release(&evs[i]);
out:
	free(items);
	order_release(&o);
	return HTTP_DONE;
}

enum http_result api_returns(struct http_req *r)
{
	const char *rest = r->param, *slash = strchr(rest, '/');
	char id[RET_ID_MAX + 1], order[EV_ORDER_MAX + 1];
	struct store *st;
	size_t len = slash ? (size_t)(slash - rest) : strlen(rest);

	if (!rest[0])
		return http_is_get(r) ? list_returns(r) : create_return(r);
	if (!len || len > RET_ID_MAX) {
		http_fail(r, HE_NOT_FOUND, "no such return");
		return HTTP_DONE;
	}
	snprintf(id, sizeof(id), "%.*s", (int)len, rest);
	if (slash) {
		if (http_is_get(r) || (strcmp(slash, "/approve") && strcmp(slash, "/reject"))) {
			http_fail(r, HE_NOT_FOUND, "returns take approve and reject");
			return HTTP_DONE;
		}
		return decide(r, id, !strcmp(slash, "/approve"));
	}
	if (!http_is_get(r)) {
		r->allow = "GET, HEAD";
		http_fail(r, HE_METHOD_NOT_ALLOWED, "use GET on this path");
		return HTTP_DONE;
	}
	if (!(st = app_reader(api_app(r), r)) || !find_return(r, st, id, order))
		return HTTP_DONE;
	return send_return(r, st, order, id, 200);
}
