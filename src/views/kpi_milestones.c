/*
 * kpi_milestones.c - the time orders spend in each of the shop's milestones,
 * in the KPIs (views.h view_kpis_milestones, docs/kpis.md "Milestones"),
 * read from the order_milestones projection (store.h struct
 * store_milestone_ops); the grouping and the percentiles are core/kpi_ms.c.
 */
#include <stdlib.h>

#include "views.h"
#include "../core/kpi_ms.h"
#include "../base/banned.h"

/* "n", "p50_ms", "p90_ms", "open" of s into o. */
static void add_stat(cJSON *o, const struct kpi_ms_stat *s)
{
	cJSON_AddNumberToObject(o, "n", (double)s->n);
	if (s->n) {
		cJSON_AddNumberToObject(o, "p50_ms", (double)s->p50);
		cJSON_AddNumberToObject(o, "p90_ms", (double)s->p90);
	} else {
		cJSON_AddNullToObject(o, "p50_ms");
		cJSON_AddNullToObject(o, "p90_ms");
	}
	cJSON_AddNumberToObject(o, "open", (double)s->open);
}

enum werr view_kpis_milestones(struct store *st, int64_t from, int64_t to, cJSON *root)
{
	struct kpi_ms_row *rows = NULL;
	struct kpi_ms_figures f;
	size_t n = 0;
	cJSON *arr;
	enum werr err;

	if ((err = store_ms_kpis(st, from, to, &rows, &n)))
		return err;
	kpi_ms_figures(rows, n, from, to, &f);
	free(rows);
	err = WERR_NOMEM;
	if (!(arr = cJSON_AddArrayToObject(root, "milestones")))
		goto out;
	for (size_t i = 0; i < f.n; i++) {
		cJSON *m = cJSON_CreateObject(), *by;
		if (!m)
			goto out;
		cJSON_AddItemToArray(arr, m);
		cJSON_AddStringToObject(m, "name", f.v[i].name);
		add_stat(m, &f.v[i].s);
		if (!(by = cJSON_AddArrayToObject(m, "by_channel")))
			goto out;
		for (size_t k = 0; k < f.v[i].nchannels; k++) {
			cJSON *c = cJSON_CreateObject();
			if (!c)
				goto out;
			cJSON_AddItemToArray(by, c);
			cJSON_AddStringToObject(c, "channel", f.v[i].channels[k].channel);
			add_stat(c, &f.v[i].channels[k].s);
		}
	}
	err = WERR_OK;
out:
	kpi_ms_figures_release(&f);
	return err;
}
