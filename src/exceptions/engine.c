/*
 * engine.c - the exception engine's project hook (engine.h).
 */
#include "engine.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/walloc.h"
#include "../base/banned.h"

#define HOUR_MS ((int64_t)3600000)
#define LIVE_TASKS_MAX 200

int64_t exc_task_due(enum exc_priority p, int64_t at)
{
	switch (p) {
	case PRIO_HIGH: return at + 4 * HOUR_MS;
	case PRIO_LOW: return at + 72 * HOUR_MS;
	default: return at + 24 * HOUR_MS;
	}
}

static void to_row(const char *order, const struct order_exception *x, struct exception_row *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->order, sizeof(r->order), "%s", order);
	snprintf(r->kind, sizeof(r->kind), "%s", exc_kind_name(x->kind));
	snprintf(r->package, sizeof(r->package), "%s", x->package);
	r->since = x->since;
	snprintf(r->reason, sizeof(r->reason), "%s", x->reason);
	snprintf(r->basis, sizeof(r->basis), "%s", x->basis);
	r->threshold = x->threshold;
}

static bool same_row(const struct exception_row *a, const struct exception_row *b)
{
	return !strcmp(a->kind, b->kind) && !strcmp(a->package, b->package) && a->since == b->since &&
	       !strcmp(a->reason, b->reason) && !strcmp(a->basis, b->basis) && a->threshold == b->threshold;
}

/* The same set of rows (the store lists them in its own order). */
static bool same_rows(const struct exception_row *a, size_t na, const struct exception_row *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		size_t k = 0;
		while (k < nb && !same_row(&a[i], &b[k]))
			k++;
		if (k == nb)
			return false;
	}
	return true;
}

static enum werr audit(struct store *st, const struct task_row *t, const char *action, int64_t now)
{
	char subject[48], detail[512];

	snprintf(subject, sizeof(subject), "task:%lld", (long long)t->id);
	snprintf(detail, sizeof(detail), "{\"order\":\"%s\",\"kind\":\"%s\",\"state\":\"%s\"}", t->order, t->kind,
		 t->state);
	/* the order number is the caller's text: the audit detail must stay JSON */
	for (char *c = detail; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '\\')
			*c = ' ';
	return store_audit_put(st, "wismo", action, subject, detail, now);
}

/* Opens the task of each exception that has none, resolves the live tasks
 * whose exception closed. */
static enum werr sync_tasks(const struct exc_config *cfg, struct store *st, const char *order,
			    const struct order_exception *x, size_t n, int64_t now)
{
	struct task_query q = { "live", NULL, NULL, order, LIVE_TASKS_MAX };
	struct task_row *live = NULL;
	size_t nlive = 0;
	enum werr err;

	if ((err = store_task_list(st, &q, &live, &nlive)))
		return err;
	for (size_t i = 0; i < nlive && !err; i++) {
		bool open = false;
		for (size_t k = 0; k < n && !open; k++)
			open = !strcmp(live[i].kind, exc_kind_name(x[k].kind)) && !strcmp(live[i].package, x[k].package);
		if (open)
			continue;
		snprintf(live[i].state, sizeof(live[i].state), "resolved");
		snprintf(live[i].resolution, sizeof(live[i].resolution), "auto");
		live[i].resolved_at = now;
		if (!(err = store_task_update(st, &live[i])))
			err = audit(st, &live[i], "task.auto_resolve", now);
	}
	for (size_t k = 0; k < n && !err; k++) {
		struct task_row t = { 0 };
		bool exists;
		snprintf(t.order, sizeof(t.order), "%s", order);
		snprintf(t.kind, sizeof(t.kind), "%s", exc_kind_name(x[k].kind));
		snprintf(t.package, sizeof(t.package), "%s", x[k].package);
		snprintf(t.team, sizeof(t.team), "%s", exc_team_name(cfg->team[x[k].kind]));
		snprintf(t.priority, sizeof(t.priority), "%s", exc_priority_name(cfg->priority[x[k].kind]));
		snprintf(t.reason, sizeof(t.reason), "%s", x[k].reason);
		t.since = x[k].since;
		t.opened_at = now;
		t.due_at = exc_task_due(cfg->priority[x[k].kind], now);
		if (!(err = store_task_open(st, &t, &exists)) && !exists)
			err = audit(st, &t, "task.open", now);
	}
	free(live);
	return err;
}

/* The package_lanes rows of o: every parcel a carrier took. */
static enum werr put_lanes(const struct exc_engine *e, struct store *st, const struct order_state *o,
			   const struct lane_stat *stats)
{
	struct package_lane_row *rows = wcalloc(o->npackages, sizeof(*rows));
	size_t n = 0;
	enum werr err;

	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		struct package_lane_row *r = &rows[n];
		if (!p->shipped_at || p->is_return)
			continue; /* a return parcel's trip says nothing of the outbound lane */
		snprintf(r->order, sizeof(r->order), "%s", o->order);
		snprintf(r->package, sizeof(r->package), "%s", p->tracking);
		exceptions_lane(o, p, &r->sample.lane);
		r->sample.shipped_at = p->shipped_at;
		r->sample.delivered_at = p->status == PKG_DELIVERED ? p->delivered_at : 0;
		r->sample.max_gap = p->max_gap;
		r->sample.first_estimate = p->first_estimate;
		if (predict_delivery(&stats[i], &e->pol->cal, p->shipped_at, p->estimated_delivery, &r->pred))
			r->best = predict_best(&r->pred, p);
		n++;
	}
	err = store_lane_put(st, o->order, rows, n);
	free(rows);
	return err;
}

enum werr exc_engine_project(void *ctx, struct store *st, const struct order_state *o, int64_t now)
{
	const struct exc_engine *e = ctx;
	size_t cap = exceptions_max(o), n = 0, nold = 0;
	struct order_exception *x = wmalloc(cap * sizeof(*x));
	struct exception_row *rows = wmalloc(cap * sizeof(*rows)), *old = NULL;
	struct lane_stat *stats = wmalloc((o->npackages ? o->npackages : 1) * sizeof(*stats));
	int64_t next = 0;
	enum werr err = WERR_OK;

	exc_lanes_lookup(e->lanes, o, stats);
	exceptions_compute(o, &e->pol->cal, e->cfg, stats, now, x, cap, &n, &next);
	for (size_t i = 0; i < n; i++)
		to_row(o->order, &x[i], &rows[i]);
	/* an order without parcels has no lane rows to keep or clear, unless
	 * its parcels moved to another order (docs/parcels.md) */
	if (o->npackages || o->nmoved)
		err = put_lanes(e, st, o, stats);
	if (!err && !(err = store_exc_list(st, o->order, (int)cap + 1, &old, &nold))) {
		if (same_rows(old, nold, rows, n))
			/* the same exceptions: only the next check may have moved */
			err = store_exc_put(st, o->order, NULL, 0, next);
		else if (!(err = store_exc_put(st, o->order, rows, n, next)))
			err = sync_tasks(e->cfg, st, o->order, x, n, now);
	}
	free(old);
	free(rows);
	free(stats);
	free(x);
	return err;
}
