/*
 * kpi_exceptions.c - the exceptions' and tasks' figures of the KPIs
 * (views.h view_kpis, docs/kpis.md "Exceptions and tasks").
 *
 * Counted through the tasks: each exception opens exactly one task and the
 * engine resolves it when the exception closes, so a task opened in the
 * range is an exception opened, a task resolved in it one closed (by
 * itself or by a person), and resolved_at - opened_at its time to resolve.
 * Overdue: a live task whose due time is before now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "views.h"
#include "../core/exceptions.h"
#include "../core/kpi.h"
#include "../base/banned.h"

struct kind_counts {
	int64_t opened, closed, live, overdue;
	struct kpi_samples resolve;
};

static void add_dist(cJSON *o, struct kpi_samples *s)
{
	struct kpi_dist d;

	kpi_dist(s->v, s->n, &d);
	cJSON_AddNumberToObject(o, "resolved_n", (double)d.n);
	if (d.n) {
		cJSON_AddNumberToObject(o, "resolve_p50_ms", (double)d.p50);
		cJSON_AddNumberToObject(o, "resolve_p95_ms", (double)d.p95);
	} else {
		cJSON_AddNullToObject(o, "resolve_p50_ms");
		cJSON_AddNullToObject(o, "resolve_p95_ms");
	}
}

enum werr view_kpis_exceptions(struct store *st, int64_t from, int64_t to, int64_t now, cJSON *root)
{
	struct kind_counts kinds[EXC__COUNT + 1] = { 0 }; /* the last: every kind */
	struct { int64_t live, overdue; } teams[TEAM__COUNT] = { 0 };
	struct task_kpi_row *rows = NULL;
	size_t n = 0;
	cJSON *x, *arr, *o;
	enum werr err;

	if ((err = store_task_kpis(st, from, to, &rows, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct task_kpi_row *r = &rows[i];
		int k = exc_kind_from_name(r->kind), t = exc_team_from_name(r->team);
		struct kind_counts *c[2] = { &kinds[EXC__COUNT], k >= 0 ? &kinds[k] : NULL };
		for (int j = 0; j < 2; j++) {
			if (!c[j])
				continue;
			c[j]->opened += r->opened_at >= from && r->opened_at < to;
			if (r->resolved_at >= from && r->resolved_at < to) {
				c[j]->closed++;
				kpi_samples_add(&c[j]->resolve, r->resolved_at > r->opened_at ? r->resolved_at - r->opened_at : 0);
			}
			c[j]->live += r->live;
			c[j]->overdue += r->live && r->due_at < now;
		}
		if (t >= 0 && r->live) {
			teams[t].live++;
			teams[t].overdue += r->due_at < now;
		}
	}
	free(rows);
	err = WERR_NOMEM;
	if (!(x = cJSON_AddObjectToObject(root, "exceptions")))
		goto out;
	cJSON_AddNumberToObject(x, "opened", (double)kinds[EXC__COUNT].opened);
	cJSON_AddNumberToObject(x, "closed", (double)kinds[EXC__COUNT].closed);
	add_dist(x, &kinds[EXC__COUNT].resolve);
	cJSON_AddNumberToObject(x, "open_tasks", (double)kinds[EXC__COUNT].live);
	cJSON_AddNumberToObject(x, "overdue_tasks", (double)kinds[EXC__COUNT].overdue);
	if (!(arr = cJSON_AddArrayToObject(x, "by_kind")))
		goto out;
	for (int k = 0; k < EXC__COUNT; k++) {
		struct kind_counts *c = &kinds[k];
		if (!c->opened && !c->closed && !c->live)
			continue;
		if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, o))
			goto out;
		cJSON_AddStringToObject(o, "kind", exc_kind_name((enum exc_kind)k));
		cJSON_AddNumberToObject(o, "opened", (double)c->opened);
		cJSON_AddNumberToObject(o, "closed", (double)c->closed);
		add_dist(o, &c->resolve);
		cJSON_AddNumberToObject(o, "open_tasks", (double)c->live);
		cJSON_AddNumberToObject(o, "overdue_tasks", (double)c->overdue);
	}
	if (!(arr = cJSON_AddArrayToObject(x, "by_team")))
		goto out;
	for (int t = 0; t < TEAM__COUNT; t++) {
		if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, o))
			goto out;
		cJSON_AddStringToObject(o, "team", exc_team_name((enum exc_team)t));
		cJSON_AddNumberToObject(o, "open_tasks", (double)teams[t].live);
		cJSON_AddNumberToObject(o, "overdue_tasks", (double)teams[t].overdue);
	}
	err = WERR_OK;
out:
	for (int k = 0; k <= EXC__COUNT; k++)
		kpi_samples_release(&kinds[k].resolve);
	return err;
}
