/*
 * views.c - the read models behind the agent view, KPIs, search and the
 * dashboard's queues (contract in views.h).  Each builder reads rows from
 * the store, computes with the pure functions of core/ (answer.c, kpi.c)
 * and returns a cJSON tree; the JSON API and the dashboard pages print or
 * render the same tree, so both always agree.
 */
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/num.h"
#include "../base/wtime.h"
#include "../core/answer.h"
#include "../core/kpi.h"
#include "../core/order.h"
#include "../base/banned.h"

#define HOUR_MS ((int64_t)3600000)
#define FAILURE_WINDOW_DAYS 7

int views_config_set(struct views_config *c, const char *section, const char *name, const char *value)
{
	long n;

	if (strcmp(section, "kpis"))
		return 0;
	if (strcmp(name, "quiet_hours") || !num_parse(value, 1, 24 * 365, &n))
		return -1;
	c->quiet_hours = (int)n;
	return 1;
}

static int quiet_hours(const struct views_config *c)
{
	return c && c->quiet_hours > 0 ? c->quiet_hours : VIEW_QUIET_HOURS_DEFAULT;
}

/* ---- small JSON helpers (cJSON reports allocation failure as NULL; the
 * builders check the root once at the end with cJSON_PrintUnformatted in
 * the API, so partial trees are only possible on out-of-memory) ---- */


static void add_opt_str(cJSON *o, const char *name, const char *v)
{
	if (v && v[0])
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void add_int(cJSON *o, const char *name, int64_t v)
{
	cJSON_AddNumberToObject(o, name, (double)v);
}

static void add_opt_int(cJSON *o, const char *name, int64_t v, bool have)
{
	if (have)
		add_int(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void add_rate(cJSON *o, const char *name, int64_t num, int64_t den)
{
	double r = kpi_rate(num, den);

	if (r < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, (double)(int64_t)(r * 10000.0 + 0.5) / 10000.0);
}

static enum werr done(cJSON *root, cJSON **out)
{
	if (!root)
		return WERR_NOMEM;
	*out = root;
	return WERR_OK;
}

/* ---- the agent view ---- */

/* The order number for an order number, "#" + it, or a tracking number,
 * with its events. */
static enum werr load_order(struct store *st, const char *id, char order[EV_ORDER_MAX + 1], struct event **evs,
			    size_t *n)
{
	enum werr err;

	*evs = NULL;
	*n = 0;
	if (strlen(id) > EV_ORDER_MAX || !id[0])
		return WERR_NOT_FOUND;
	memcpy(order, id, strlen(id) + 1);
	if ((err = store_order_events(st, order, evs, n)))
		return err;
	if (!*n && !store_find_package(st, id, order) && (err = store_order_events(st, order, evs, n)))
		return err;
	if (!*n && id[0] == '#' && id[1]) {
		memcpy(order, id + 1, strlen(id));
		if ((err = store_order_events(st, order, evs, n)))
			return err;
	}
	return *n ? WERR_OK : WERR_NOT_FOUND;
}

enum werr view_fold(struct store *st, const struct policy *pol, const char *id, struct order_state *o)
{
	char order[EV_ORDER_MAX + 1];
	struct event *evs = NULL;
	size_t n = 0;
	enum werr err;

	if (!(err = load_order(st, id, order, &evs, &n)))
		err = store_fold(st, pol, evs, n, o, NULL);
	event_array_free(evs, n);
	return err;
}

struct tl_item {
	const struct event *ev;
	enum ev_outcome outcome;
};

static int cmp_tl(const void *a, const void *b)
{
	const struct tl_item *x = a, *y = b;

	if (x->ev->occurred_at != y->ev->occurred_at)
		return x->ev->occurred_at < y->ev->occurred_at ? -1 : 1;
	return strcmp(x->ev->key, y->ev->key);
}

static bool decisive(const struct order_state *o, const char *key)
{
	for (size_t i = 0; i < o->npackages; i++)
		if (!strcmp(o->packages[i].decided_by, key))
			return true;
	return false;
}

static bool conflicting(const struct order_state *o, const char *key)
{
	for (size_t i = 0; i < o->nconflicts; i++)
		if (!strcmp(o->conflicts[i].claim_key, key))
			return true;
	return false;
}

static cJSON *timeline_entry(const struct order_state *o, const struct tl_item *t, const struct event_meta *meta,
			     size_t nmeta)
{
	const struct event *ev = t->ev;
	cJSON *e = cJSON_CreateObject();
	int64_t raw = 0, visible = 0;

	if (!e)
		return NULL;
	for (size_t i = 0; i < nmeta; i++)
		if (!strcmp(meta[i].key, ev->key)) {
			raw = meta[i].raw_id;
			visible = meta[i].visible_at;
			break;
		}
	cJSON_AddStringToObject(e, "key", ev->key);
	cJSON_AddStringToObject(e, "source", ev->source);
	add_opt_str(e, "source_event_id", ev->id);
	add_opt_str(e, "package", ev->package);
	add_opt_str(e, "carrier", ev->carrier);
	cJSON_AddStringToObject(e, "status", ev_status_name(ev->status));
	add_opt_str(e, "detail", ev->detail);
	add_opt_str(e, "code", ev->code);
	add_opt_str(e, "description", ev->description);
	wtime_json_add(e, "occurred_at", ev->occurred_at);
	wtime_json_add(e, "received_at", ev->received_at);
	wtime_json_add(e, "visible_at", visible);
	if (ev->location.city[0] || ev->location.country[0]) {
		cJSON *l = cJSON_AddObjectToObject(e, "location");
		if (l) {
			add_opt_str(l, "city", ev->location.city);
			add_opt_str(l, "region", ev->location.region);
			add_opt_str(l, "country", ev->location.country);
		}
	}
	cJSON_AddStringToObject(e, "outcome", ev_outcome_name(t->outcome));
	/* a parcel its owning source moved to another order says where
	 * (docs/parcels.md) */
	for (size_t i = 0; t->outcome == OUT_MOVED && i < o->nmoved; i++)
		if (!strcmp(o->moved[i].tracking, ev->package))
			cJSON_AddStringToObject(e, "moved_to", o->moved[i].to_order);
	/* a source's summary (never applied), a remap's correction of an unknown
	 * event (docs/adapters.md "Remapping") */
	if (ev->summary)
		cJSON_AddBoolToObject(e, "summary", true);
	if (ev->supersedes[0])
		cJSON_AddStringToObject(e, "supersedes", ev->supersedes);
	cJSON_AddBoolToObject(e, "decisive", decisive(o, ev->key));
	cJSON_AddBoolToObject(e, "conflict", conflicting(o, ev->key));
	add_opt_int(e, "raw_id", raw, raw != 0);
	return e;
}

/* A key delivered again, as an entry of GET /v1/orders/{o}/timeline. */
static cJSON *duplicate_entry(const struct dup_row *d, int64_t at)
{
	cJSON *e = cJSON_CreateObject();

	if (!e)
		return NULL;
	cJSON_AddStringToObject(e, "key", d->key);
	cJSON_AddStringToObject(e, "source", d->source);
	cJSON_AddStringToObject(e, "outcome", "duplicate");
	add_int(e, "count", d->count);
	wtime_json_add(e, "occurred_at", at);
	wtime_json_add(e, "first_received_at", d->first_received);
	wtime_json_add(e, "received_at", d->last_received);
	return e;
}

struct tl_row {
	int64_t at;
	const char *key;
	const struct tl_item *item; /* NULL for a duplicate */
	const struct dup_row *dup;
};

static int cmp_row(const void *a, const void *b)
{
	const struct tl_row *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (!x->dup != !y->dup)
		return x->dup ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Inserts entry into the time-ordered arr before the first entry after at. */
static void insert_at(cJSON *arr, cJSON *entry, int64_t at)
{
	int i = 0;
	const cJSON *it;

	cJSON_ArrayForEach(it, arr) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "occurred_at");
		int64_t ms;
		if (cJSON_IsString(t) && wtime_parse(t->valuestring, 0, &ms) == WTIME_OK && ms > at)
			break;
		i++;
	}
	if (i < cJSON_GetArraySize(arr))
		cJSON_InsertItemInArray(arr, i, entry);
	else
		cJSON_AddItemToArray(arr, entry);
}

static void add_task_entry(cJSON *arr, const struct task_row *t, const char *action, int64_t at)
{
	cJSON *e = cJSON_CreateObject();

	if (!e)
		return;
	cJSON_AddStringToObject(e, "outcome", "task");
	cJSON_AddNumberToObject(e, "task", (double)t->id);
	cJSON_AddStringToObject(e, "action", action);
	cJSON_AddStringToObject(e, "exception", t->kind);
	add_opt_str(e, "package", t->package);
	cJSON_AddStringToObject(e, "team", t->team);
	cJSON_AddStringToObject(e, "priority", t->priority);
	wtime_json_add(e, "occurred_at", at);
	if (!strcmp(action, "opened")) {
		wtime_json_add(e, "since", t->since);
		cJSON_AddStringToObject(e, "reason", t->reason);
	} else if (!strcmp(action, "resolved")) {
		cJSON_AddStringToObject(e, "resolution", t->resolution);
		if (t->note[0])
			cJSON_AddStringToObject(e, "note", t->note);
	}
	insert_at(arr, e, at);
}

enum werr view_ticket_entries(struct store *st, const char *order, cJSON *arr)
{
	struct ticket_row *t = NULL;
	size_t n = 0;
	enum werr err = store_tk_list(st, order, &t, &n);

	for (size_t i = 0; !err && i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		if (!e) {
			err = WERR_NOMEM;
			break;
		}
		cJSON_AddStringToObject(e, "outcome", "ticket");
		cJSON_AddStringToObject(e, "ticket", t[i].ticket_id);
		cJSON_AddStringToObject(e, "ticket_status", t[i].status);
		cJSON_AddStringToObject(e, "matched", t[i].matched);
		cJSON_AddStringToObject(e, "cause", t[i].cause);
		add_opt_str(e, "link", t[i].link);
		wtime_json_add(e, "occurred_at", t[i].opened_at);
		insert_at(arr, e, t[i].opened_at);
	}
	free(t);
	return err;
}

enum werr view_task_entries(struct store *st, const char *order, cJSON *arr)
{
	struct task_query q = { NULL, NULL, NULL, order, 1000 };
	struct task_row *t = NULL;
	size_t n = 0;
	enum werr err = store_task_list(st, &q, &t, &n);

	for (size_t i = 0; !err && i < n; i++) {
		add_task_entry(arr, &t[i], "opened", t[i].opened_at);
		if (t[i].acked_at)
			add_task_entry(arr, &t[i], "acknowledged", t[i].acked_at);
		if (t[i].resolved_at)
			add_task_entry(arr, &t[i], "resolved", t[i].resolved_at);
	}
	free(t);
	return err;
}

enum werr view_timeline(struct store *st, const struct policy *pol, const char *id, cJSON **out)
{
	char order[EV_ORDER_MAX + 1];
	struct event *evs = NULL;
	struct dup_row *dups = NULL;
	struct event_meta *meta = NULL;
	size_t n = 0, ndup = 0, nmeta = 0, nrows = 0;
	enum ev_outcome *outc = NULL;
	struct tl_item *items = NULL;
	struct tl_row *rows = NULL;
	struct order_state o;
	cJSON *root = NULL, *arr;
	enum werr err;

	*out = NULL;
	order_init(&o);
	if ((err = load_order(st, id, order, &evs, &n)) || (err = store_order_duplicates(st, order, &dups, &ndup)) ||
	    (err = store_event_meta(st, order, &meta, &nmeta)))
		goto out;
	err = WERR_NOMEM;
	if (!(outc = calloc(n, sizeof(*outc))) || !(items = calloc(n, sizeof(*items))) ||
	    !(rows = calloc(n + ndup, sizeof(*rows))))
		goto out;
	if ((err = store_fold(st, pol, evs, n, &o, outc)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		items[i] = (struct tl_item){ &evs[i], outc[i] };
		rows[nrows++] = (struct tl_row){ evs[i].occurred_at, evs[i].key, &items[i], NULL };
	}
	for (size_t i = 0; i < ndup; i++) {
		int64_t at = 0;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(evs[j].key, dups[i].key))
				at = evs[j].occurred_at;
		rows[nrows++] = (struct tl_row){ at, dups[i].key, NULL, &dups[i] };
	}
	qsort(rows, nrows, sizeof(*rows), cmp_row);
	err = WERR_NOMEM;
	if (!(root = cJSON_CreateObject()) || !cJSON_AddStringToObject(root, "order", order) ||
	    !cJSON_AddStringToObject(root, "status", ord_status_name(o.status)) ||
	    !(arr = cJSON_AddArrayToObject(root, "events")))
		goto out;
	for (size_t i = 0; i < nrows; i++)
		cJSON_AddItemToArray(arr, rows[i].dup ? duplicate_entry(rows[i].dup, rows[i].at)
						      : timeline_entry(&o, rows[i].item, meta, nmeta));
	*out = root;
	root = NULL;
	err = WERR_OK;
out:
	cJSON_Delete(root);
	order_release(&o);
	free(rows);
	free(items);
	free(outc);
	free(meta);
	free(dups);
	event_array_free(evs, n);
	return err;
}

cJSON *view_task_json(const struct task_row *t, int64_t now)
{
	cJSON *e = cJSON_CreateObject();

	if (!e)
		return NULL;
	cJSON_AddNumberToObject(e, "id", (double)t->id);
	cJSON_AddStringToObject(e, "order", t->order);
	cJSON_AddStringToObject(e, "kind", t->kind);
	add_opt_str(e, "package", t->package);
	cJSON_AddStringToObject(e, "team", t->team);
	cJSON_AddStringToObject(e, "priority", t->priority);
	cJSON_AddStringToObject(e, "state", t->state);
	add_opt_str(e, "assignee", t->assignee);
	cJSON_AddStringToObject(e, "reason", t->reason);
	wtime_json_add(e, "opened_at", t->opened_at);
	wtime_json_add(e, "due_at", t->due_at);
	if (t->resolved_at)
		wtime_json_add(e, "resolved_at", t->resolved_at);
	cJSON_AddBoolToObject(e, "overdue", strcmp(t->state, "resolved") && now > t->due_at);
	return e;
}

/* The order's open exceptions and its tasks (docs/exceptions.md), into root. */
static enum werr agent_work(struct store *st, const char *order, int64_t now, cJSON *root)
{
	struct exception_row *x = NULL;
	struct task_row *t = NULL;
	struct task_query q = { NULL, NULL, NULL, order, 1000 };
	struct ticket_row *tk = NULL;
	size_t nx = 0, nt = 0, ntk = 0;
	cJSON *arr;
	enum werr err;

	if ((err = store_exc_list(st, order, 1000, &x, &nx)) || (err = store_task_list(st, &q, &t, &nt)))
		goto out;
	err = WERR_NOMEM;
	if (!(arr = cJSON_AddArrayToObject(root, "exceptions")))
		goto out;
	for (size_t i = 0; i < nx; i++) {
		cJSON *e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e))
			goto out;
		cJSON_AddStringToObject(e, "kind", x[i].kind);
		add_opt_str(e, "package", x[i].package);
		wtime_json_add(e, "since", x[i].since);
		cJSON_AddStringToObject(e, "reason", x[i].reason);
		if (x[i].basis[0])
			cJSON_AddStringToObject(e, "rhythm", x[i].basis);
		if (x[i].threshold)
			cJSON_AddNumberToObject(e, "threshold_hours", (double)x[i].threshold / 3600000.0);
	}
	if (!(arr = cJSON_AddArrayToObject(root, "tasks")))
		goto out;
	for (size_t i = 0; i < nt; i++) {
		cJSON *e = view_task_json(&t[i], now);
		if (!e || !cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			goto out;
		}
	}
	/* the customers' own tickets about the order (docs/helpdesk.md) */
	if ((err = store_tk_list(st, order, &tk, &ntk)))
		goto out;
	err = WERR_NOMEM;
	if (!(arr = cJSON_AddArrayToObject(root, "tickets")))
		goto out;
	for (size_t i = 0; i < ntk; i++) {
		cJSON *e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e)) {
			cJSON_Delete(e);
			goto out;
		}
		cJSON_AddStringToObject(e, "id", tk[i].ticket_id);
		cJSON_AddStringToObject(e, "status", tk[i].status);
		cJSON_AddStringToObject(e, "matched", tk[i].matched);
		cJSON_AddStringToObject(e, "cause", tk[i].cause);
		add_opt_str(e, "link", tk[i].link);
		wtime_json_add(e, "opened_at", tk[i].opened_at);
		wtime_json_add(e, "updated_at", tk[i].updated_at);
	}
	err = WERR_OK;
out:
	free(x);
	free(t);
	free(tk);
	return err;
}

enum werr view_add_predictions(struct store *st, const char *order, cJSON *packages)
{
	struct package_lane_row *rows = NULL;
	size_t n = 0;
	cJSON *p;
	enum werr err;

	if ((err = store_lane_list(st, order, &rows, &n)))
		return err;
	cJSON_ArrayForEach(p, packages) {
		const cJSON *tn = cJSON_GetObjectItemCaseSensitive(p, "tracking_number");
		for (size_t i = 0; i < n && cJSON_IsString(tn); i++) {
			const struct prediction *pr = &rows[i].pred;
			cJSON *x;
			if (strcmp(rows[i].package, tn->valuestring) || !pr->likely)
				continue;
			if (!(x = cJSON_AddObjectToObject(p, "predicted"))) {
				free(rows);
				return WERR_NOMEM;
			}
			wtime_json_add(x, "earliest", pr->earliest);
			wtime_json_add(x, "likely", pr->likely);
			wtime_json_add(x, "latest", pr->latest);
			cJSON_AddStringToObject(x, "basis", predict_basis(pr));
			if (pr->level >= 0)
				cJSON_AddNumberToObject(x, "lane_level", pr->level);
			else
				cJSON_AddNullToObject(x, "lane_level");
			add_int(x, "samples", (int64_t)pr->n);
			wtime_json_add(x, "best", rows[i].best);
		}
	}
	free(rows);
	return WERR_OK;
}

enum werr view_agent(struct store *st, const struct policy *pol, const char *id, int64_t now, cJSON **out)
{
	char order[EV_ORDER_MAX + 1];
	struct event *evs = NULL;
	struct dup_row *dups = NULL;
	struct event_meta *meta = NULL;
	size_t n = 0, ndup = 0, nmeta = 0;
	enum ev_outcome *outc = NULL;
	struct tl_item *items = NULL;
	struct order_state o;
	struct buf answer = BUF_INIT;
	char *json = NULL;
	cJSON *root = NULL, *proj = NULL, *arr;
	enum werr err;

	*out = NULL;
	order_init(&o);
	if ((err = load_order(st, id, order, &evs, &n)) || (err = store_order_duplicates(st, order, &dups, &ndup)) ||
	    (err = store_event_meta(st, order, &meta, &nmeta)))
		goto out;
	err = store_get_order(st, order, &json);
	if (err)
		goto out; /* WERR_NOT_FOUND: events not yet projected (rebuild running) */
	err = WERR_NOMEM;
	if (!(outc = calloc(n, sizeof(*outc))) || !(items = calloc(n, sizeof(*items))))
		goto out;
	if ((err = store_fold(st, pol, evs, n, &o, outc)))
		goto out;
	if ((err = answer_text(&o, &pol->milestones, now, &answer)))
		goto out;
	err = WERR_NOMEM;
	if (!(proj = cJSON_Parse(json)) || !(root = cJSON_CreateObject()))
		goto out;
	cJSON_AddItemToObject(root, "order", proj);
	cJSON_AddStringToObject(root, "answer", answer.p);
	for (size_t i = 0; i < n; i++)
		items[i] = (struct tl_item){ &evs[i], outc[i] };
	qsort(items, n, sizeof(*items), cmp_tl);
	if (!(arr = cJSON_AddArrayToObject(root, "timeline")))
		goto out_proj_owned;
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, timeline_entry(&o, &items[i], meta, nmeta));

	if (!(arr = cJSON_AddArrayToObject(root, "duplicates")))
		goto out_proj_owned;
	for (size_t i = 0; i < ndup; i++) {
		cJSON *d = cJSON_CreateObject();
		if (!d)
			goto out_proj_owned;
		cJSON_AddStringToObject(d, "key", dups[i].key);
		cJSON_AddStringToObject(d, "source", dups[i].source);
		add_int(d, "count", dups[i].count);
		wtime_json_add(d, "first_received_at", dups[i].first_received);
		wtime_json_add(d, "last_received_at", dups[i].last_received);
		cJSON_AddItemToArray(arr, d);
	}
	arr = cJSON_GetObjectItemCaseSensitive(proj, "conflicts");
	cJSON_AddItemToObject(root, "conflicts", arr ? cJSON_Duplicate(arr, 1) : cJSON_CreateArray());
	add_int(root, "open_conflicts", (int64_t)o.nconflicts);
	if ((err = agent_work(st, o.order, now, root)) ||
	    (err = view_add_predictions(st, o.order, cJSON_GetObjectItemCaseSensitive(proj, "packages"))))
		goto out_proj_owned;
	proj = NULL;
	*out = root;
	root = NULL;
	err = WERR_OK;
	goto out;
out_proj_owned:
	proj = NULL; /* owned by root */
out:
	cJSON_Delete(root);
	cJSON_Delete(proj);
	buf_release(&answer);
	free(json);
	free(items);
	free(outc);
	free(meta);
	free(dups);
	order_release(&o);
	event_array_free(evs, n);
	return err;
}

/* ---- KPIs ---- */

/* Latency samples of one group (a source or a carrier). */
struct group {
	char key[EV_SOURCE_MAX + 1];
	struct kpi_samples c2r, r2v;
	int64_t events;
};

struct groups {
	struct group *g;
	size_t n, cap;
};

static struct group *group_get(struct groups *gs, const char *key)
{
	for (size_t i = 0; i < gs->n; i++)
		if (!strcmp(gs->g[i].key, key))
			return &gs->g[i];
	if (gs->n == gs->cap) {
		size_t nc = gs->cap ? gs->cap * 2 : 16;
		struct group *p = realloc(gs->g, nc * sizeof(*p));
		if (!p)
			return NULL;
		gs->g = p;
		gs->cap = nc;
	}
	memset(&gs->g[gs->n], 0, sizeof(gs->g[0]));
	snprintf(gs->g[gs->n].key, sizeof(gs->g[0].key), "%s", key);
	return &gs->g[gs->n++];
}

static int cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->key, ((const struct group *)b)->key);
}

static void groups_release(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		kpi_samples_release(&gs->g[i].c2r);
		kpi_samples_release(&gs->g[i].r2v);
	}
	free(gs->g);
}

static cJSON *dist_json(const char *keyname, const char *key, struct kpi_samples *s)
{
	struct kpi_dist d;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	kpi_dist(s->v, s->n, &d);
	if (keyname)
		cJSON_AddStringToObject(o, keyname, key);
	add_int(o, "n", (int64_t)d.n);
	add_opt_int(o, "p50_ms", d.p50, d.n > 0);
	add_opt_int(o, "p95_ms", d.p95, d.n > 0);
	return o;
}

/* Delivered orders with a promise, and how many of them on time, of one
 * carrier (dest NULL) or one lane (carrier and destination country). */
struct ontime {
	char carrier[EV_CARRIER_MAX + 1];
	char dest[EV_PLACE_MAX + 1];
	int64_t n, ok;
};

struct ontimes {
	struct ontime *v;
	size_t n, cap;
};

static bool ontime_add(struct ontimes *t, const char *carrier, const char *dest, bool ok)
{
	size_t i = 0;

	while (i < t->n && (strcmp(t->v[i].carrier, carrier) || strcmp(t->v[i].dest, dest ? dest : "")))
		i++;
	if (i == t->n) {
		if (t->n == t->cap) {
			size_t nc = t->cap ? 2 * t->cap : 16;
			struct ontime *p = realloc(t->v, nc * sizeof(*p));
			if (!p)
				return false;
			t->v = p;
			t->cap = nc;
		}
		memset(&t->v[i], 0, sizeof(t->v[i]));
		snprintf(t->v[i].carrier, sizeof(t->v[i].carrier), "%s", carrier);
		snprintf(t->v[i].dest, sizeof(t->v[i].dest), "%s", dest ? dest : "");
		t->n++;
	}
	t->v[i].n++;
	t->v[i].ok += ok;
	return true;
}

static int cmp_ontime(const void *a, const void *b)
{
	const struct ontime *x = a, *y = b;
	int c = strcmp(x->carrier, y->carrier);
	return c ? c : strcmp(x->dest, y->dest);
}

static bool ontimes_json(cJSON *parent, const char *name, struct ontimes *t, bool lanes)
{
	cJSON *arr = cJSON_AddArrayToObject(parent, name), *o;

	if (t->n > 1)
		qsort(t->v, t->n, sizeof(t->v[0]), cmp_ontime);
	for (size_t i = 0; arr && i < t->n; i++) {
		if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, o))
			return false;
		cJSON_AddStringToObject(o, "carrier", t->v[i].carrier);
		if (lanes)
			cJSON_AddStringToObject(o, "to", t->v[i].dest);
		add_int(o, "delivered_with_promise", t->v[i].n);
		add_int(o, "on_time", t->v[i].ok);
		add_rate(o, "rate", t->v[i].ok, t->v[i].n);
	}
	return arr != NULL;
}

/* Per-day series entry. */
struct day {
	int64_t events, failures, delivered, on_time;
	struct kpi_samples c2r;
};

enum werr view_kpis(struct store *st, int64_t from, int64_t to, const char *group_by, int64_t now, cJSON **out)
{
	struct kpi_event_row *evs = NULL;
	struct kpi_order_row *ords = NULL;
	struct sync_failure_row *fails = NULL;
	size_t nev = 0, nord = 0, nfail = 0, ndays;
	struct groups gs = { 0 }, srcs = { 0 };
	struct day *days = NULL;
	struct kpi_samples cycle = { 0 }, c2d = { 0 };
	struct ontimes by_carrier_ot = { 0 }, by_lane = { 0 };
	int64_t agree_n = 0, agree_conf = 0, del_promised = 0, del_on_time = 0, fail_total = 0;
	bool by_carrier;
	cJSON *root = NULL, *lat, *a1, *a2, *o;
	enum werr err;

	*out = NULL;
	if (group_by && strcmp(group_by, "source") && strcmp(group_by, "carrier"))
		return WERR_INVALID;
	ndays = kpi_days(from, to);
	if (!ndays || ndays > KPI_MAX_DAYS)
		return WERR_INVALID;
	by_carrier = group_by && !strcmp(group_by, "carrier");
	if ((err = store_kpi_events(st, from, to, &evs, &nev)) || (err = store_kpi_orders(st, from, to, &ords, &nord)) ||
	    (err = store_sync_failures(st, from, to, &fails, &nfail)))
		goto out;
	err = WERR_NOMEM;
	if (!(days = calloc(ndays, sizeof(*days))))
		goto out;

	for (size_t i = 0; i < nev; i++) {
		const struct kpi_event_row *e = &evs[i];
		struct group *g = group_get(&gs, by_carrier ? (e->carrier[0] ? e->carrier : "unknown") : e->source);
		struct group *sg = group_get(&srcs, e->source);
		struct day *d = &days[kpi_day_index(from, e->received_at)];

		if (!g || !sg)
			goto out;
		sg->events++;
		d->events++;
		if (kpi_is_carrier_event(e->status, e->has_package) && e->occurred_at) {
			/* a clock ahead of ours gives a negative latency: counted as 0 */
			int64_t l = e->received_at > e->occurred_at ? e->received_at - e->occurred_at : 0;
			if (kpi_samples_add(&g->c2r, l) || kpi_samples_add(&d->c2r, l))
				goto out;
		}
		if (e->visible_at && kpi_samples_add(&g->r2v, e->visible_at > e->received_at ?
								 e->visible_at - e->received_at : 0))
			goto out;
	}
	for (size_t i = 0; i < nord; i++) {
		const struct kpi_order_row *r = &ords[i];

		if (r->updated_at >= from && r->updated_at < to) {
			agree_n++;
			agree_conf += r->conflicts > 0;
		}
		if (r->shipped_at >= from && r->shipped_at < to && r->placed_at && r->shipped_at >= r->placed_at &&
		    kpi_samples_add(&cycle, r->shipped_at - r->placed_at))
			goto out;
		if (r->delivered_at >= from && r->delivered_at < to) {
			struct day *d = &days[kpi_day_index(from, r->delivered_at)];
			d->delivered++;
			if (r->placed_at && r->delivered_at >= r->placed_at &&
			    kpi_samples_add(&c2d, r->delivered_at - r->placed_at))
				goto out;
			if (r->promised_by) {
				bool ok = kpi_on_time(r->delivered_at, r->promised_by);
				del_promised++;
				del_on_time += ok;
				d->on_time += ok;
				if (!ontime_add(&by_carrier_ot, r->carrier, NULL, ok) ||
				    !ontime_add(&by_lane, r->carrier, r->dest, ok))
					goto out;
			}
		}
	}
	if (gs.n > 1)
		qsort(gs.g, gs.n, sizeof(*gs.g), cmp_group);
	if (srcs.n > 1)
		qsort(srcs.g, srcs.n, sizeof(*srcs.g), cmp_group);

	if (!(root = cJSON_CreateObject()))
		goto out;
	wtime_json_add(root, "from", from);
	wtime_json_add(root, "to", to);
	cJSON_AddStringToObject(root, "group_by", by_carrier ? "carrier" : "source");
	wtime_json_add(root, "generated_at", now);
	lat = cJSON_AddObjectToObject(root, "latency");
	a1 = cJSON_AddArrayToObject(lat, "carrier_to_received");
	a2 = cJSON_AddArrayToObject(lat, "received_to_visible");
	if (!a1 || !a2)
		goto out;
	for (size_t i = 0; i < gs.n; i++) {
		if (gs.g[i].c2r.n)
			cJSON_AddItemToArray(a1, dist_json("key", gs.g[i].key, &gs.g[i].c2r));
		if (gs.g[i].r2v.n)
			cJSON_AddItemToArray(a2, dist_json("key", gs.g[i].key, &gs.g[i].r2v));
	}
	o = cJSON_AddObjectToObject(root, "status_agreement");
	if (!o)
		goto out;
	add_int(o, "orders", agree_n);
	add_int(o, "with_open_conflict", agree_conf);
	add_rate(o, "rate", agree_n - agree_conf, agree_n);
	o = cJSON_AddObjectToObject(root, "on_time");
	if (!o)
		goto out;
	add_int(o, "delivered_with_promise", del_promised);
	add_int(o, "on_time", del_on_time);
	add_rate(o, "rate", del_on_time, del_promised);
	if (!ontimes_json(o, "by_carrier", &by_carrier_ot, false) || !ontimes_json(o, "by_lane", &by_lane, true))
		goto out;
	cJSON_AddItemToObject(root, "cycle_time", dist_json(NULL, NULL, &cycle));
	cJSON_AddItemToObject(root, "click_to_door", dist_json(NULL, NULL, &c2d));
	if (!(a1 = cJSON_AddArrayToObject(root, "events_per_source")))
		goto out;
	for (size_t i = 0; i < srcs.n; i++) {
		if (!(o = cJSON_CreateObject()))
			goto out;
		cJSON_AddStringToObject(o, "source", srcs.g[i].key);
		add_int(o, "events", srcs.g[i].events);
		cJSON_AddItemToArray(a1, o);
	}
	if (!(a1 = cJSON_AddArrayToObject(root, "failures")))
		goto out;
	for (size_t i = 0; i < nfail; i++) {
		char dn[11];
		if (!(o = cJSON_CreateObject()))
			goto out;
		cJSON_AddStringToObject(o, "day", fails[i].day);
		cJSON_AddStringToObject(o, "source", fails[i].source);
		cJSON_AddStringToObject(o, "kind", fails[i].kind);
		add_int(o, "count", fails[i].count);
		cJSON_AddItemToArray(a1, o);
		fail_total += fails[i].count;
		for (size_t k = 0; k < ndays; k++) {
			kpi_day_name(kpi_day_start(from) + (int64_t)k * KPI_DAY_MS, dn);
			if (!strcmp(dn, fails[i].day)) {
				days[k].failures += fails[i].count;
				break;
			}
		}
	}
	add_int(root, "failures_total", fail_total);
	if (!(a1 = cJSON_AddArrayToObject(root, "series")))
		goto out;
	for (size_t k = 0; k < ndays; k++) {
		char dn[11];
		struct kpi_dist d;
		if (!(o = cJSON_CreateObject()))
			goto out;
		kpi_day_name(kpi_day_start(from) + (int64_t)k * KPI_DAY_MS, dn);
		kpi_dist(days[k].c2r.v, days[k].c2r.n, &d);
		cJSON_AddStringToObject(o, "day", dn);
		add_int(o, "events", days[k].events);
		add_int(o, "failures", days[k].failures);
		add_int(o, "delivered", days[k].delivered);
		add_int(o, "on_time", days[k].on_time);
		add_opt_int(o, "latency_p50_ms", d.p50, d.n > 0);
		add_opt_int(o, "latency_p95_ms", d.p95, d.n > 0);
		cJSON_AddItemToArray(a1, o);
	}
	if ((err = view_kpis_exceptions(st, from, to, now, root)) || (err = view_kpis_returns(st, from, to, root)) ||
	    (err = view_kpis_tickets(st, from, to, root)) || (err = view_kpis_milestones(st, from, to, root)))
		goto out;
	*out = root;
	root = NULL;
	err = WERR_OK;
out:
	free(by_carrier_ot.v);
	free(by_lane.v);
	cJSON_Delete(root);
	if (days)
		for (size_t k = 0; k < ndays; k++)
			kpi_samples_release(&days[k].c2r);
	free(days);
	kpi_samples_release(&cycle);
	kpi_samples_release(&c2d);
	groups_release(&gs);
	groups_release(&srcs);
	free(evs);
	free(ords);
	free(fails);
	return err;
}

/* ---- search ---- */

static bool has_result(cJSON *results, const char *order)
{
	cJSON *it;

	cJSON_ArrayForEach(it, results) {
		cJSON *o = cJSON_GetObjectItemCaseSensitive(it, "order");
		if (cJSON_IsString(o) && !strcmp(o->valuestring, order))
			return true;
	}
	return false;
}

/* Adds one result from a stored projection. */
static void add_result(cJSON *results, const char *order, const char *json, const char *matched)
{
	cJSON *proj, *r;

	if (has_result(results, order) || !(proj = cJSON_Parse(json)))
		return;
	if ((r = cJSON_CreateObject())) {
		cJSON *st = cJSON_GetObjectItemCaseSensitive(proj, "status");
		cJSON *up = cJSON_GetObjectItemCaseSensitive(proj, "updated_at");
		cJSON_AddStringToObject(r, "order", order);
		cJSON_AddItemToObject(r, "status", st ? cJSON_Duplicate(st, 1) : cJSON_CreateNull());
		cJSON_AddItemToObject(r, "updated_at", up ? cJSON_Duplicate(up, 1) : cJSON_CreateNull());
		cJSON_AddStringToObject(r, "matched", matched);
		cJSON_AddItemToArray(results, r);
	}
	cJSON_Delete(proj);
}

/* The order by number: WERR_OK with a result added, WERR_NOT_FOUND, or an error. */
static enum werr search_order(struct store *st, cJSON *results, const char *order, const char *matched)
{
	char *json = NULL;
	enum werr err = store_get_order(st, order, &json);

	if (!err)
		add_result(results, order, json, matched);
	free(json);
	return err;
}

enum werr view_search(struct store *st, const char *q, int limit, cJSON **out)
{
	char term[EV_EMAIL_MAX + 1], order[EV_ORDER_MAX + 1];
	size_t len;
	cJSON *root, *results;
	enum werr err = WERR_OK;
	const char *s = q ? q : "";

	*out = NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!len || len > EV_EMAIL_MAX)
		return WERR_INVALID;
	memcpy(term, s, len);
	term[len] = '\0';
	if (limit < 1 || limit > 100)
		limit = 20;
	if (!(root = cJSON_CreateObject()))
		return WERR_NOMEM;
	cJSON_AddStringToObject(root, "query", term);
	if (!(results = cJSON_AddArrayToObject(root, "results"))) {
		cJSON_Delete(root);
		return WERR_NOMEM;
	}
	if (strchr(term, '@')) {
		struct order_row *rows = NULL;
		size_t n = 0;
		err = store_orders_by_email(st, term, limit, &rows, &n);
		for (size_t i = 0; !err && i < n; i++)
			add_result(results, rows[i].order, rows[i].json, "email");
		order_rows_free(rows, n);
	} else {
		if (len <= EV_ORDER_MAX) {
			err = search_order(st, results, term, "order");
			if (err == WERR_NOT_FOUND && term[0] == '#' && term[1])
				err = search_order(st, results, term + 1, "order");
			if (err == WERR_NOT_FOUND)
				err = WERR_OK;
		}
		if (!err && len <= EV_PACKAGE_MAX) {
			err = store_find_package(st, term, order);
			if (!err)
				err = search_order(st, results, order, "tracking");
			if (err == WERR_NOT_FOUND)
				err = WERR_OK;
		}
	}
	if (err) {
		cJSON_Delete(root);
		return err;
	}
	return done(root, out);
}

/* ---- queues ---- */

static const char *const queue_names[] = { "conflicts", "unmapped", "rejected", "quiet", "failures", NULL };

static int64_t quiet_before(const struct views_config *cfg, int64_t now)
{
	return now - (int64_t)quiet_hours(cfg) * HOUR_MS;
}

static int64_t failures_since(int64_t now)
{
	return kpi_day_start(now) - (FAILURE_WINDOW_DAYS - 1) * KPI_DAY_MS;
}

static enum werr queue_items(struct store *st, const struct views_config *cfg, const char *name, int64_t now,
			    int limit, cJSON *items,
			     int64_t *failures_sum)
{
	enum werr err;

	if (!strcmp(name, "conflicts")) {
		struct order_row *rows = NULL;
		size_t n = 0;
		if (!(err = store_conflict_orders(st, limit, &rows, &n)))
			for (size_t i = 0; i < n; i++) {
				cJSON *it = cJSON_CreateObject(), *proj = cJSON_Parse(rows[i].json);
				cJSON *c = proj ? cJSON_GetObjectItemCaseSensitive(proj, "conflicts") : NULL;
				if (it) {
					cJSON_AddStringToObject(it, "order", rows[i].order);
					cJSON_AddStringToObject(it, "status", rows[i].status);
					wtime_json_add(it, "updated_at", rows[i].updated_at);
					cJSON_AddItemToObject(it, "conflicts", c ? cJSON_Duplicate(c, 1) : cJSON_CreateArray());
					cJSON_AddItemToArray(items, it);
				}
				cJSON_Delete(proj);
			}
		order_rows_free(rows, n);
		return err;
	}
	if (!strcmp(name, "unmapped")) {
		struct unmapped_row *rows = NULL;
		size_t n = 0;
		if (!(err = store_unmapped_list(st, limit, &rows, &n)))
			for (size_t i = 0; i < n; i++) {
				cJSON *it = cJSON_CreateObject();
				if (!it)
					continue;
				cJSON_AddStringToObject(it, "source", rows[i].source);
				add_opt_str(it, "carrier", rows[i].carrier);
				cJSON_AddStringToObject(it, "code", rows[i].code);
				add_opt_str(it, "description", rows[i].description);
				add_int(it, "count", rows[i].count);
				wtime_json_add(it, "first_seen", rows[i].first_seen);
				wtime_json_add(it, "last_seen", rows[i].last_seen);
				add_opt_int(it, "sample_raw_id", rows[i].sample_raw_id, rows[i].sample_raw_id != 0);
				cJSON_AddItemToArray(items, it);
			}
		unmapped_rows_free(rows, n);
		return err;
	}
	if (!strcmp(name, "rejected")) {
		struct rejected_row *rows = NULL;
		size_t n = 0;
		if (!(err = store_rejected_list(st, NULL, limit, &rows, &n)))
			for (size_t i = 0; i < n; i++) {
				cJSON *it = cJSON_CreateObject();
				if (!it)
					continue;
				add_int(it, "id", rows[i].id);
				cJSON_AddStringToObject(it, "source", rows[i].source);
				cJSON_AddStringToObject(it, "reason", rows[i].reason);
				wtime_json_add(it, "received_at", rows[i].received_at);
				add_opt_int(it, "raw_id", rows[i].raw_id, rows[i].raw_id != 0);
				cJSON_AddItemToArray(items, it);
			}
		free(rows);
		return err;
	}
	if (!strcmp(name, "quiet")) {
		struct quiet_row *rows = NULL;
		size_t n = 0;
		if (!(err = store_quiet_packages(st, quiet_before(cfg, now), limit, &rows, &n)))
			for (size_t i = 0; i < n; i++) {
				cJSON *it = cJSON_CreateObject();
				if (!it)
					continue;
				cJSON_AddStringToObject(it, "order", rows[i].order);
				cJSON_AddStringToObject(it, "tracking_number", rows[i].tracking);
				add_opt_str(it, "carrier", rows[i].carrier);
				cJSON_AddStringToObject(it, "status", pkg_status_name(rows[i].status));
				wtime_json_add(it, "status_at", rows[i].status_at);
				add_int(it, "quiet_hours", (now - rows[i].status_at) / HOUR_MS);
				cJSON_AddItemToArray(items, it);
			}
		free(rows);
		return err;
	}
	if (!strcmp(name, "failures")) {
		struct sync_failure_row *rows = NULL;
		size_t n = 0;
		*failures_sum = 0;
		if (!(err = store_sync_failures(st, failures_since(now), kpi_day_start(now) + KPI_DAY_MS, &rows, &n)))
			/* newest day first */
			for (size_t i = n; i-- > 0;) {
				cJSON *it;
				*failures_sum += rows[i].count;
				if ((int)(n - 1 - i) >= limit || !(it = cJSON_CreateObject()))
					continue;
				cJSON_AddStringToObject(it, "day", rows[i].day);
				cJSON_AddStringToObject(it, "source", rows[i].source);
				cJSON_AddStringToObject(it, "kind", rows[i].kind);
				add_int(it, "count", rows[i].count);
				wtime_json_add(it, "last_at", rows[i].last_at);
				cJSON_AddItemToArray(items, it);
			}
		free(rows);
		return err;
	}
	return WERR_NOT_FOUND;
}

enum werr view_queue_counts(struct store *st, const struct views_config *cfg, int64_t now, cJSON **out)
{
	struct web_counts c;
	enum werr err;
	cJSON *root;

	*out = NULL;
	if ((err = store_web_counts(st, quiet_before(cfg, now), failures_since(now), &c)))
		return err;
	if (!(root = cJSON_CreateObject()))
		return WERR_NOMEM;
	add_int(root, "conflicts", c.conflicts);
	add_int(root, "unmapped", c.unmapped);
	add_int(root, "rejected", c.rejected);
	add_int(root, "quiet", c.quiet);
	add_int(root, "failures", c.failures);
	return done(root, out);
}

enum werr view_queue(struct store *st, const struct views_config *cfg, const char *name, int64_t now, int limit,
		     cJSON **out)
{
	struct web_counts c;
	int64_t count = 0, fsum = 0;
	cJSON *root, *items;
	enum werr err;
	size_t i;

	*out = NULL;
	for (i = 0; queue_names[i] && strcmp(queue_names[i], name); i++)
		;
	if (!queue_names[i])
		return WERR_NOT_FOUND;
	if (limit < 1 || limit > 1000)
		limit = 100;
	if ((err = store_web_counts(st, quiet_before(cfg, now), failures_since(now), &c)))
		return err;
	if (!(root = cJSON_CreateObject()))
		return WERR_NOMEM;
	cJSON_AddStringToObject(root, "queue", name);
	if (!(items = cJSON_CreateArray())) {
		cJSON_Delete(root);
		return WERR_NOMEM;
	}
	if ((err = queue_items(st, cfg, name, now, limit, items, &fsum))) {
		cJSON_Delete(items);
		cJSON_Delete(root);
		return err;
	}
	switch (i) {
	case 0: count = c.conflicts; break;
	case 1: count = c.unmapped; break;
	case 2: count = c.rejected; break;
	case 3: count = c.quiet; break;
	default: count = fsum; break;
	}
	add_int(root, "count", count);
	if (!strcmp(name, "quiet"))
		add_int(root, "quiet_hours", quiet_hours(cfg));
	cJSON_AddItemToObject(root, "items", items);
	return done(root, out);
}
