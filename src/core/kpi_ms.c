/*
 * kpi_ms.c - the time spent in each of the shop's milestones (kpi_ms.h):
 * the rows of an order and the figures of a period, grouped by milestone
 * name and, inside it, by channel.
 */
#include "kpi_ms.h"

#include <stdlib.h>
#include <string.h>

#include "kpi.h"
#include "../base/walloc.h"
#include "../base/banned.h"

#define COPY_STR(dst, src) \
	do { \
		size_t n_ = strnlen((src), sizeof(dst) - 1); \
		memcpy((dst), (src), n_); \
		(dst)[n_] = '\0'; \
	} while (0)

size_t kpi_ms_rows(const struct order_state *o, struct kpi_ms_row *out)
{
	for (size_t k = 0; k < o->nms_reached; k++) {
		const struct ms_reached *m = &o->ms_reached[k];
		struct kpi_ms_row *r = &out[k];
		memset(r, 0, sizeof(*r));
		COPY_STR(r->order, o->order);
		COPY_STR(r->name, m->name);
		COPY_STR(r->channel, o->channel);
		r->reached_at = m->at;
		r->left_at = m->left_at;
		r->current = (int)k == o->ms_current;
	}
	return o->nms_reached;
}

static int by_name_channel(const void *a, const void *b)
{
	const struct kpi_ms_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->channel, y->channel);
}

/* The figures of rows[0..n) (one group) into *s. */
static void stat_of(const struct kpi_ms_row *rows, size_t n, int64_t from, int64_t to, struct kpi_ms_stat *s)
{
	struct kpi_samples v = { 0 };
	struct kpi_dist d;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		const struct kpi_ms_row *r = &rows[i];
		s->open += r->current;
		if (r->left_at && r->left_at >= from && r->left_at < to)
			kpi_samples_add(&v, r->left_at > r->reached_at ? r->left_at - r->reached_at : 0);
	}
	kpi_dist(v.v, v.n, &d);
	s->n = d.n;
	if (d.n) {
		s->p50 = d.p50;
		kpi_percentile(v.v, v.n, 90, &s->p90);
	}
	kpi_samples_release(&v);
}

/* Whether rows[0..n) count in the period at all. */
static bool counts(const struct kpi_ms_stat *s)
{
	return s->n || s->open;
}

void kpi_ms_figures(struct kpi_ms_row *rows, size_t n, int64_t from, int64_t to, struct kpi_ms_figures *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		if (!rows[i].channel[0])
			COPY_STR(rows[i].channel, "none");
	if (n)
		qsort(rows, n, sizeof(*rows), by_name_channel);
	for (size_t i = 0, j; i < n; i = j) {
		struct kpi_ms_figure f = { 0 };
		for (j = i + 1; j < n && !strcmp(rows[j].name, rows[i].name); j++)
			;
		COPY_STR(f.name, rows[i].name);
		stat_of(&rows[i], j - i, from, to, &f.s);
		if (!counts(&f.s))
			continue;
		for (size_t a = i, b; a < j; a = b) {
			struct kpi_ms_channel c;
			for (b = a + 1; b < j && !strcmp(rows[b].channel, rows[a].channel); b++)
				;
			COPY_STR(c.channel, rows[a].channel);
			stat_of(&rows[a], b - a, from, to, &c.s);
			if (!counts(&c.s) || f.nchannels == KPI_MS_CHANNELS_MAX)
				continue;
			f.channels = wrealloc(f.channels, (f.nchannels + 1) * sizeof(*f.channels));
			f.channels[f.nchannels++] = c;
		}
		out->v = wrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = f;
	}
}

void kpi_ms_figures_release(struct kpi_ms_figures *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].channels);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
