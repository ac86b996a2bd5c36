/*
 * dashboard.c - the operations dashboard (docs/web.md), for agent and admin
 * keys:
 *
 *   GET  /dashboard                     overview: search, queue counts, KPIs of the last 7 days
 *   GET  /dashboard/search?q=           orders by number, tracking number or email
 *   GET  /dashboard/orders/{order}      the agent view: answer, packages, full timeline
 *   GET  /dashboard/queues/{name}       conflicts | unmapped | rejected | quiet | failures
 *   GET  /dashboard/kpis?from=&to=&group_by=
 *   GET  /dashboard/tasks?team=         the teams' task queues (dash_tasks.c)
 *   POST /dashboard/login               form key=... -> session cookie, 303 /dashboard
 *   POST /dashboard/logout              clears it
 *
 * Sessions: the cookie's value is the API key itself (HttpOnly,
 * SameSite=Strict, Path=/, Secure when public_url is https); auth.c accepts
 * it on GET and HEAD only.  A revoked key stops working as it does in the
 * Authorization header (within the key cache's 30 seconds).
 *
 * Every page is rendered on the server from the read models of
 * views/views.h; the charts are SVG made here (svg.h), so the pages work
 * without JavaScript.  dashboard.js adds live refresh.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../views/views.h"
#include "../base/wtime.h"
#include "web_int.h"
#include "page.h"
#include "svg.h"
#include "../base/banned.h"

#define DAY_MS ((int64_t)86400000)
#define SEARCH_LIMIT 50
#define QUEUE_LIMIT 200

static const char *const queue_names[] = { "conflicts", "unmapped", "rejected", "quiet", "failures" };

cJSON *web_dash_view(struct http_req *r, const char *title)
{
	cJSON *v = cJSON_CreateObject();

	if (!v)
		return NULL;
	cJSON_AddStringToObject(v, "title", title);
	cJSON_AddStringToObject(v, "body_class", "dash");
	cJSON_AddStringToObject(v, "script", "/static/dashboard.js");
	if (app_key(r)) {
		cJSON *nav = cJSON_AddObjectToObject(v, "nav");
		if (nav)
			cJSON_AddStringToObject(nav, "role", key_role_name(app_key(r)->role));
		if (app_key(r)->role == ROLE_ADMIN)
			cJSON_AddTrueToObject(v, "admin");
	}
	return v;
}

void web_dash_send(struct http_req *r, unsigned status, const char *name, cJSON *v)
{
	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return;
	}
	page_send(r, status, name, v);
	cJSON_Delete(v);
}

static void login_page(struct http_req *r, unsigned status, const char *notice)
{
	cJSON *v = cJSON_CreateObject();

	if (v) {
		cJSON_AddStringToObject(v, "title", "Sign in");
		cJSON_AddStringToObject(v, "body_class", "dash");
		if (notice)
			cJSON_AddStringToObject(v, "notice", notice);
	}
	web_dash_send(r, status, "dash_login", v);
}

static bool https_public(const struct web_config *c)
{
	return !strncmp(c->public_url, "https://", 8);
}

enum http_result web_dashboard_login(struct http_req *r)
{
	const struct web_config *c = &web_of(r)->cfg;
	char key[128], cookie[256];
	struct api_key k;
	struct store *st;
	enum werr err;

	page_form_value(r->body.p, r->body.len, "key", key, sizeof(key));
	if (!(st = app_reader(web_app(r), r)))
		return HTTP_DONE;
	err = auth_lookup(st, key, clock_wall_ms(), &k);
	if (err == WERR_UNAUTHORIZED || (!err && k.role != ROLE_ADMIN && k.role != ROLE_AGENT)) {
		login_page(r, 401, "That key is not valid for the dashboard (an agent or admin key is needed).");
		return HTTP_DONE;
	}
	if (err) {
		http_werr(r, err, "unable to check the key");
		return HTTP_DONE;
	}
	snprintf(cookie, sizeof(cookie), AUTH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", key,
		 https_public(c) ? "; Secure" : "");
	http_add_header(r, "Set-Cookie", cookie);
	page_redirect(r, "/dashboard");
	return HTTP_DONE;
}

enum http_result web_dashboard_logout(struct http_req *r)
{
	const struct web_config *c = &web_of(r)->cfg;
	char cookie[160];

	snprintf(cookie, sizeof(cookie), AUTH_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		 https_public(c) ? "; Secure" : "");
	http_add_header(r, "Set-Cookie", cookie);
	page_redirect(r, "/dashboard");
	return HTTP_DONE;
}

/* ------------------------------------------------------------------ */

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *name)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static void fmt_ms(double ms, char *out, size_t cap)
{
	if (!isfinite(ms))
		snprintf(out, cap, "n/a");
	else if (ms < 1000)
		snprintf(out, cap, "%.0f ms", ms);
	else if (ms < 120000)
		snprintf(out, cap, "%.1f s", ms / 1000);
	else if (ms < 7200000)
		snprintf(out, cap, "%.0f min", ms / 60000);
	else if (ms < 2 * DAY_MS)
		snprintf(out, cap, "%.1f h", ms / 3600000);
	else
		snprintf(out, cap, "%.1f days", ms / (double)DAY_MS);
}

static void fmt_rate(double v, char *out, size_t cap)
{
	if (!isfinite(v))
		snprintf(out, cap, "n/a");
	else
		snprintf(out, cap, "%.1f%%", v * 100);
}

static void add_kpi(cJSON *arr, const char *label, const char *value)
{
	cJSON *k = cJSON_CreateObject();
	if (!k)
		return;
	cJSON_AddStringToObject(k, "label", label);
	cJSON_AddStringToObject(k, "value", value);
	cJSON_AddItemToArray(arr, k);
}

/* Unique strings of field `name` over an array, in first-seen order. */
static size_t distinct(const cJSON *arr, const char *name, const char **out, size_t cap)
{
	size_t n = 0;
	const cJSON *x;

	cJSON_ArrayForEach(x, arr) {
		const char *s = jstr(x, name);
		size_t i;
		if (!s)
			continue;
		for (i = 0; i < n && strcmp(out[i], s); i++)
			;
		if (i == n && n < cap)
			out[n++] = s;
	}
	return n;
}

static void add_chart(cJSON *charts, const struct svg_chart *c)
{
	struct buf b = BUF_INIT;
	cJSON *o;

	if (svg_bar_chart(&b, c) || !(o = cJSON_CreateObject())) {
		buf_release(&b);
		return;
	}
	cJSON_AddStringToObject(o, "title", c->title);
	cJSON_AddStringToObject(o, "svg", b.p);
	cJSON_AddItemToArray(charts, o);
	buf_release(&b);
}

#define CATS_MAX 400

/* The KPI summary and charts of view_kpis' answer k, into v. */
static void kpi_section(cJSON *v, const cJSON *k)
{
	const cJSON *series = cJSON_GetObjectItemCaseSensitive(k, "series");
	const cJSON *lat = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(k, "latency"),
							    "carrier_to_received");
	const cJSON *vis = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(k, "latency"),
							    "received_to_visible");
	const cJSON *fails = cJSON_GetObjectItemCaseSensitive(k, "failures");
	const cJSON *eps = cJSON_GetObjectItemCaseSensitive(k, "events_per_source"), *x;
	cJSON *sum = cJSON_AddArrayToObject(v, "kpi_summary"), *charts = cJSON_AddArrayToObject(v, "charts");
	const char *cats[CATS_MAX], *srcs[SVG_SERIES_MAX];
	double *vals = calloc(SVG_SERIES_MAX * CATS_MAX, sizeof(double));
	struct svg_series ser[SVG_SERIES_MAX];
	struct svg_chart ch;
	char t[64];
	size_t n, ns;

	if (!sum || !charts || !vals) {
		free(vals);
		return;
	}
	fmt_rate(jnum(cJSON_GetObjectItemCaseSensitive(k, "status_agreement"), "rate"), t, sizeof(t));
	add_kpi(sum, "Status agreement", t);
	fmt_rate(jnum(cJSON_GetObjectItemCaseSensitive(k, "on_time"), "rate"), t, sizeof(t));
	add_kpi(sum, "On-time delivery", t);
	fmt_ms(jnum(cJSON_GetObjectItemCaseSensitive(k, "cycle_time"), "p50_ms"), t, sizeof(t));
	add_kpi(sum, "Order cycle time (p50)", t);
	fmt_ms(jnum(cJSON_GetObjectItemCaseSensitive(k, "click_to_door"), "p50_ms"), t, sizeof(t));
	add_kpi(sum, "Click to door (p50)", t);
	snprintf(t, sizeof(t), "%.0f", isfinite(jnum(k, "failures_total")) ? jnum(k, "failures_total") : 0);
	add_kpi(sum, "Failed sync events", t);
	fmt_ms(jnum(cJSON_GetObjectItemCaseSensitive(k, "exceptions"), "resolve_p50_ms"), t, sizeof(t));
	add_kpi(sum, "Exception resolved in (p50)", t);
	snprintf(t, sizeof(t), "%.0f",
		 isfinite(jnum(cJSON_GetObjectItemCaseSensitive(k, "exceptions"), "overdue_tasks"))
			 ? jnum(cJSON_GetObjectItemCaseSensitive(k, "exceptions"), "overdue_tasks")
			 : 0);
	add_kpi(sum, "Overdue tasks", t);
	fmt_rate(jnum(cJSON_GetObjectItemCaseSensitive(k, "returns"), "return_rate"), t, sizeof(t));
	add_kpi(sum, "Return rate", t);
	fmt_ms(jnum(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(k, "returns"), "cycle_time"),
		    "p50_ms"),
	       t, sizeof(t));
	add_kpi(sum, "Return to refund (p50)", t);
	snprintf(t, sizeof(t), "%.0f",
		 isfinite(jnum(cJSON_GetObjectItemCaseSensitive(k, "returns"), "open"))
			 ? jnum(cJSON_GetObjectItemCaseSensitive(k, "returns"), "open")
			 : 0);
	add_kpi(sum, "Open returns", t);
	{
		const cJSON *tk = cJSON_GetObjectItemCaseSensitive(k, "tickets");
		double per = jnum(tk, "per_100_shipped");
		if (isfinite(per))
			snprintf(t, sizeof(t), "%.1f", per);
		else
			snprintf(t, sizeof(t), "n/a");
		add_kpi(sum, "WISMO tickets per 100 shipped", t);
		fmt_rate(jnum(tk, "linked") > 0 ? jnum(tk, "avoidable") / jnum(tk, "linked") : NAN, t, sizeof(t));
		add_kpi(sum, "Avoidable tickets", t);
		fmt_rate(jnum(cJSON_GetObjectItemCaseSensitive(tk, "self_service"), "share"), t, sizeof(t));
		add_kpi(sum, "Delivered orders whose tracking page was opened", t);
	}

	/* 1: events and failures per day */
	n = 0;
	cJSON_ArrayForEach(x, series) {
		if (n == CATS_MAX || !jstr(x, "day"))
			break;
		cats[n] = jstr(x, "day");
		vals[n] = jnum(x, "events");
		vals[CATS_MAX + n] = jnum(x, "failures");
		n++;
	}
	ser[0] = (struct svg_series){ "events", vals };
	ser[1] = (struct svg_series){ "failed sync events", vals + CATS_MAX };
	ch = (struct svg_chart){ "Events and failed sync events per day", "events", n, cats, 2, ser };
	add_chart(charts, &ch);

	/* 2: failed sync events per source per day */
	ns = distinct(fails, "source", srcs, SVG_SERIES_MAX);
	for (size_t s = 0; s < ns; s++) {
		for (size_t i = 0; i < n; i++)
			vals[s * CATS_MAX + i] = 0;
		cJSON_ArrayForEach(x, fails) {
			const char *d = jstr(x, "day"), *so = jstr(x, "source");
			for (size_t i = 0; d && so && i < n; i++)
				if (!strcmp(cats[i], d) && !strcmp(srcs[s], so))
					vals[s * CATS_MAX + i] += isfinite(jnum(x, "count")) ? jnum(x, "count") : 0;
		}
		ser[s] = (struct svg_series){ srcs[s], vals + s * CATS_MAX };
	}
	ch = (struct svg_chart){ "Failed sync events per source per day", "events", ns ? n : 0, cats, ns, ser };
	add_chart(charts, &ch);

	/* 3: events per source */
	n = 0;
	cJSON_ArrayForEach(x, eps) {
		if (n == CATS_MAX || !jstr(x, "source"))
			break;
		cats[n] = jstr(x, "source");
		vals[n] = jnum(x, "events");
		n++;
	}
	ser[0] = (struct svg_series){ "events", vals };
	ch = (struct svg_chart){ "Events per source", "events", n, cats, 1, ser };
	add_chart(charts, &ch);

	/* 4 and 5: latency p50 / p95 per source (or carrier), in seconds */
	for (int pass = 0; pass < 2; pass++) {
		const cJSON *arr = pass ? vis : lat;
		n = 0;
		cJSON_ArrayForEach(x, arr) {
			if (n == CATS_MAX || !jstr(x, "key"))
				break;
			cats[n] = jstr(x, "key");
			vals[n] = jnum(x, "p50_ms") / 1000;
			vals[CATS_MAX + n] = jnum(x, "p95_ms") / 1000;
			n++;
		}
		ser[0] = (struct svg_series){ "p50", vals };
		ser[1] = (struct svg_series){ "p95", vals + CATS_MAX };
		ch = (struct svg_chart){ pass ? "Latency, received to visible (p50 and p95)"
					      : "Latency, carrier event to received (p50 and p95)",
					 "seconds", n, cats, 2, ser };
		add_chart(charts, &ch);
	}

	/* 6: on time against the promise, per carrier (docs/kpis.md) */
	n = 0;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(k, "on_time"),
							       "by_carrier")) {
		if (n == CATS_MAX || !jstr(x, "carrier"))
			break;
		cats[n] = jstr(x, "carrier");
		vals[n] = isfinite(jnum(x, "rate")) ? 100 * jnum(x, "rate") : 0;
		n++;
	}
	ser[0] = (struct svg_series){ "on time", vals };
	ch = (struct svg_chart){ "On-time delivery against the promise, per carrier", "%", n, cats, 1, ser };
	add_chart(charts, &ch);

	/* 7 and 8: exceptions opened and closed per kind; live and overdue tasks per team */
	for (int pass = 0; pass < 2; pass++) {
		const cJSON *exc = cJSON_GetObjectItemCaseSensitive(k, "exceptions");
		const char *field = pass ? "team" : "kind", *a = pass ? "open_tasks" : "opened",
			   *b = pass ? "overdue_tasks" : "closed";
		n = 0;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(exc, pass ? "by_team" : "by_kind")) {
			if (n == CATS_MAX || !jstr(x, field))
				break;
			cats[n] = jstr(x, field);
			vals[n] = isfinite(jnum(x, a)) ? jnum(x, a) : 0;
			vals[CATS_MAX + n] = isfinite(jnum(x, b)) ? jnum(x, b) : 0;
			n++;
		}
		ser[0] = (struct svg_series){ pass ? "open tasks" : "opened", vals };
		ser[1] = (struct svg_series){ pass ? "overdue" : "closed", vals + CATS_MAX };
		ch = (struct svg_chart){ pass ? "Open and overdue tasks per team" : "Exceptions opened and closed per kind",
					 pass ? "tasks" : "exceptions", n, cats, 2, ser };
		add_chart(charts, &ch);
	}

	/* 11 and 12 (below the returns): the tickets' causes, and what to fix first */
	for (int pass = 0; pass < 2; pass++) {
		const char *field = pass ? "link" : "cause";
		size_t nt = 0;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(k, "tickets"),
									pass ? "by_link" : "by_cause")) {
			if (nt == CATS_MAX || !jstr(x, field))
				break;
			cats[nt] = jstr(x, field);
			vals[nt] = isfinite(jnum(x, "tickets")) ? jnum(x, "tickets") : 0;
			nt++;
		}
		ser[0] = (struct svg_series){ "tickets", vals };
		ch = (struct svg_chart){ pass ? "Avoidable WISMO tickets by link (what to fix first)"
					      : "WISMO tickets by cause",
					 "tickets", nt, cats, 1, ser };
		add_chart(charts, &ch);
	}

	/* 9 and 10: returns by reason, and by what became of the goods */
	for (int pass = 0; pass < 2; pass++) {
		const char *field = pass ? "disposition" : "reason";
		n = 0;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(k, "returns"),
									pass ? "by_disposition" : "by_reason")) {
			if (n == CATS_MAX || !jstr(x, field))
				break;
			cats[n] = jstr(x, field);
			vals[n] = isfinite(jnum(x, "returns")) ? jnum(x, "returns") : 0;
			n++;
		}
		ser[0] = (struct svg_series){ "returns", vals };
		ch = (struct svg_chart){ pass ? "Returns received per disposition" : "Returns requested per reason",
					 "returns", n, cats, 1, ser };
		add_chart(charts, &ch);
	}
	free(vals);
}

static bool add_queue_counts(struct http_req *r, struct store *st, cJSON *v)
{
	cJSON *counts = NULL, *arr;
	enum werr err = view_queue_counts(st, web_app(r)->views, clock_wall_ms(), &counts);

	if (err) {
		http_werr(r, err, store_errmsg(st));
		return false;
	}
	if ((arr = cJSON_AddArrayToObject(v, "queues"))) {
		for (size_t i = 0; i < sizeof(queue_names) / sizeof(queue_names[0]); i++) {
			cJSON *q = cJSON_CreateObject();
			double n = jnum(counts, queue_names[i]);
			if (!q)
				break;
			cJSON_AddStringToObject(q, "name", queue_names[i]);
			cJSON_AddNumberToObject(q, "count", isfinite(n) ? n : 0);
			cJSON_AddItemToArray(arr, q);
		}
	}
	cJSON_Delete(counts);
	return true;
}

static void overview(struct http_req *r, struct store *st)
{
	cJSON *v = web_dash_view(r, "Dashboard"), *k = NULL;
	int64_t now = clock_wall_ms(), to = (now / DAY_MS + 1) * DAY_MS;
	enum werr err;

	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return;
	}
	if (!add_queue_counts(r, st, v)) {
		cJSON_Delete(v);
		return;
	}
	if ((err = view_kpis(st, to - 7 * DAY_MS, to, NULL, now, &k))) {
		http_werr(r, err, store_errmsg(st));
		cJSON_Delete(v);
		return;
	}
	kpi_section(v, k);
	cJSON_Delete(k);
	web_dash_send(r, 200, "dash_overview", v);
}

/* Sets o.name to the agent view's path for order: the number is data (it may
 * hold '?', '#', '%' or '/'), so it is percent-encoded as one path segment;
 * the router decodes it back before the page reads r->param. */
void web_dash_order_url(cJSON *o, const char *name, const char *order)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "/dashboard/orders/");
	page_url_escape(&b, order);
	if (!buf_failed(&b))
		cJSON_AddStringToObject(o, name, b.p);
	buf_release(&b);
}

static void search(struct http_req *r, struct store *st)
{
	const char *q = http_query(r, "q");
	cJSON *v = web_dash_view(r, "Search"), *res = NULL, *x;
	enum werr err;

	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return;
	}
	if (q && q[0]) {
		cJSON_AddStringToObject(v, "q", q);
		if ((err = view_search(st, q, SEARCH_LIMIT, &res))) {
			http_werr(r, err, store_errmsg(st));
			cJSON_Delete(v);
			return;
		}
		x = cJSON_DetachItemFromObjectCaseSensitive(res, "results");
		if (x) {
			cJSON *row;
			cJSON_ArrayForEach(row, x)
				if (jstr(row, "order"))
					web_dash_order_url(row, "url", jstr(row, "order"));
			cJSON_AddItemToObject(v, "results", x);
			if (cJSON_GetArraySize(x) > 0)
				cJSON_AddTrueToObject(v, "found");
		}
		cJSON_Delete(res);
		cJSON_AddTrueToObject(v, "searched");
	}
	web_dash_send(r, 200, "dash_search", v);
}

static void order_page(struct http_req *r, struct store *st, const char *order)
{
	cJSON *v = web_dash_view(r, "Order"), *a = NULL, *x;
	const char *number;
	enum werr err;
	char title[EV_ORDER_MAX + 16];

	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return;
	}
	err = view_agent(st, web_app(r)->policy, order, clock_wall_ms(), &a);
	if (err == WERR_NOT_FOUND) {
		cJSON_AddStringToObject(v, "q", order);
		cJSON_AddTrueToObject(v, "searched");
		cJSON_AddStringToObject(v, "notice", "No order or tracking number matches.");
		web_dash_send(r, 404, "dash_search", v);
		return;
	}
	if (err) {
		http_werr(r, err, store_errmsg(st));
		cJSON_Delete(v);
		return;
	}
	/* the order's own number (the path may name a parcel) */
	if ((number = jstr(cJSON_GetObjectItemCaseSensitive(a, "order"), "order")))
		order = number;
	/* the shop's own milestones (docs/milestones.md): a heading only when there are some */
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "order"), "milestones")))
		cJSON_AddTrueToObject(cJSON_GetObjectItemCaseSensitive(a, "order"), "has_milestones");
	x = cJSON_GetObjectItemCaseSensitive(a, "timeline");
	/* the tasks' openings and closings among the events */
	if ((err = view_task_entries(st, order, x)) || (err = view_ticket_entries(st, order, x))) {
		http_werr(r, err, store_errmsg(st));
		cJSON_Delete(a);
		cJSON_Delete(v);
		return;
	}
	{
		cJSON *e;
		cJSON_ArrayForEach(e, x) {
			const cJSON *raw = cJSON_GetObjectItemCaseSensitive(e, "raw_id");
			const char *outcome = jstr(e, "outcome");
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "conflict")))
				cJSON_AddTrueToObject(e, "is_conflict");
			if (outcome && !strcmp(outcome, "task"))
				cJSON_AddTrueToObject(e, "is_task");
			if (outcome && !strcmp(outcome, "ticket"))
				cJSON_AddTrueToObject(e, "is_ticket");
			if (app_key(r)->role == ROLE_ADMIN && cJSON_IsNumber(raw)) {
				char url[48];
				snprintf(url, sizeof(url), "/v1/raw/%.0f", raw->valuedouble);
				cJSON_AddStringToObject(e, "raw_url", url);
			}
		}
	}
	snprintf(title, sizeof(title), "Order %s", order);
	cJSON_ReplaceItemInObjectCaseSensitive(v, "title", cJSON_CreateString(title));
	cJSON_AddItemToObject(v, "agent", a);
	web_dash_send(r, 200, "dash_order", v);
}

/* A generic table of a queue's items: scalar fields as columns. */
static void queue_page(struct http_req *r, struct store *st, const char *name)
{
	cJSON *v, *q = NULL, *items, *cols, *rows, *it, *f;
	char title[64];
	enum werr err;

	snprintf(title, sizeof(title), "Queue: %s", name);
	if (!(v = web_dash_view(r, title))) {
		http_werr(r, WERR_NOMEM, NULL);
		return;
	}
	err = view_queue(st, web_app(r)->views, name, clock_wall_ms(), QUEUE_LIMIT, &q);
	if (err == WERR_NOT_FOUND) {
		cJSON_Delete(v);
		http_add_header(r, "Content-Security-Policy", PAGE_CSP);
		http_fail(r, HE_NOT_FOUND, "no queue '%s'", name);
		return;
	}
	if (err) {
		cJSON_Delete(v);
		http_werr(r, err, store_errmsg(st));
		return;
	}
	cJSON_AddStringToObject(v, "queue", name);
	cJSON_AddNumberToObject(v, "count", isfinite(jnum(q, "count")) ? jnum(q, "count") : 0);
	items = cJSON_GetObjectItemCaseSensitive(q, "items");
	cols = cJSON_AddArrayToObject(v, "columns");
	rows = cJSON_AddArrayToObject(v, "rows");
	if (cJSON_GetArraySize(items) > 0)
		cJSON_AddTrueToObject(v, "has_rows");
	cJSON_ArrayForEach(f, cJSON_GetArrayItem(items, 0))
		if (!cJSON_IsObject(f) && !cJSON_IsArray(f))
			cJSON_AddItemToArray(cols, cJSON_CreateString(f->string));
	cJSON_ArrayForEach(it, items) {
		cJSON *row = cJSON_CreateObject(), *cells;
		const cJSON *c;
		if (!row)
			break;
		cJSON_AddItemToArray(rows, row);
		cells = cJSON_AddArrayToObject(row, "cells");
		cJSON_ArrayForEach(c, cols) {
			const cJSON *val = cJSON_GetObjectItemCaseSensitive(it, c->valuestring);
			cJSON *cell = cJSON_CreateObject();
			char text[64] = "", url[48] = "";
			if (!cell)
				break;
			if (cJSON_IsString(val))
				cJSON_AddStringToObject(cell, "text", val->valuestring);
			else if (cJSON_IsNumber(val))
				snprintf(text, sizeof(text), "%.15g", val->valuedouble);
			else if (cJSON_IsBool(val))
				snprintf(text, sizeof(text), "%s", cJSON_IsTrue(val) ? "yes" : "no");
			if (text[0])
				cJSON_AddStringToObject(cell, "text", text);
			if (!strcmp(c->valuestring, "order") && cJSON_IsString(val))
				web_dash_order_url(cell, "url", val->valuestring);
			else if ((!strcmp(c->valuestring, "raw_id") || !strcmp(c->valuestring, "sample_raw_id")) &&
				 cJSON_IsNumber(val) && app_key(r)->role == ROLE_ADMIN)
				snprintf(url, sizeof(url), "/v1/raw/%.0f", val->valuedouble);
			if (url[0])
				cJSON_AddStringToObject(cell, "url", url);
			cJSON_AddItemToArray(cells, cell);
		}
		if (jstr(it, "order"))
			cJSON_AddStringToObject(row, "order", jstr(it, "order"));
	}
	cJSON_Delete(q);
	web_dash_send(r, 200, "dash_queue", v);
}

/* "YYYY-MM-DD" -> ms at midnight UTC; 0 when absent or bad. */
static int64_t day_param(struct http_req *r, const char *name)
{
	const char *s = http_query(r, name);
	int64_t ms = 0;
	return s && s[0] && wtime_parse(s, WTIME_FLAG_DATE_OK, &ms) == WTIME_OK ? ms : 0;
}

static void kpis_page(struct http_req *r, struct store *st)
{
	cJSON *v = web_dash_view(r, "KPIs"), *k = NULL;
	int64_t now = clock_wall_ms(), from = day_param(r, "from"), to = day_param(r, "to");
	const char *gb = http_query(r, "group_by");
	char d1[WTIME_BUFSZ], d2[WTIME_BUFSZ];
	enum werr err;

	if (!v) {
		http_werr(r, WERR_NOMEM, NULL);
		return;
	}
	if (gb && strcmp(gb, "source") && strcmp(gb, "carrier"))
		gb = NULL;
	if (!to)
		to = (now / DAY_MS + 1) * DAY_MS;
	else
		to += DAY_MS; /* the "to" day is included */
	if (!from || from >= to)
		from = to - 30 * DAY_MS;
	if (to - from > 366 * DAY_MS)
		from = to - 366 * DAY_MS;
	if ((err = view_kpis(st, from, to, gb, now, &k))) {
		http_werr(r, err, store_errmsg(st));
		cJSON_Delete(v);
		return;
	}
	wtime_format(from, d1);
	wtime_format(to - DAY_MS, d2);
	d1[10] = d2[10] = '\0';
	cJSON_AddStringToObject(v, "from", d1);
	cJSON_AddStringToObject(v, "to", d2);
	cJSON_AddStringToObject(v, "group_by", gb ? gb : "source");
	if (gb && !strcmp(gb, "carrier"))
		cJSON_AddTrueToObject(v, "by_carrier");
	kpi_section(v, k);
	cJSON_Delete(k);
	web_dash_send(r, 200, "dash_kpis", v);
}

bool web_dash_session(struct http_req *r)
{
	if (app_session(web_app(r), r, ROLES_STAFF))
		return true;
	if (r->status != 503)
		login_page(r, 200, NULL);
	return false;
}

enum http_result web_dashboard(struct http_req *r)
{
	const char *page = r->param;
	struct store *st;

	if (!web_dash_session(r) || !(st = app_reader(web_app(r), r)))
		return HTTP_DONE;
	if (!page[0])
		overview(r, st);
	else if (!strcmp(page, "search"))
		search(r, st);
	else if (!strncmp(page, "orders/", 7) && page[7] && strlen(page + 7) <= EV_ORDER_MAX)
		order_page(r, st, page + 7);
	else if (!strncmp(page, "queues/", 7) && page[7])
		queue_page(r, st, page + 7);
	else if (!strcmp(page, "kpis"))
		kpis_page(r, st);
	else
		http_fail(r, HE_NOT_FOUND, "no such dashboard page");
	return HTTP_DONE;
}
