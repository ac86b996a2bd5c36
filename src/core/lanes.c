/*
 * lanes.c - what the shop's own delivered parcels teach about a lane
 * (lanes.h).
 *
 * The model is one sorted array of groups: each sample is counted at its
 * four levels under a key that joins the level's fields with a unit
 * separator, the entries are sorted by key, and each run of one key
 * becomes a group with its percentiles.  A lookup is a binary search per
 * level, finest first.
 */
#include "lanes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/walloc.h"
#include "../base/banned.h"

#define KEY_MAX (2 + EV_CARRIER_MAX + LANE_SERVICE_MAX + 2 * LANE_REGION_MAX + 8)

struct entry {
	const struct lane *lane; /* the sample's */
	int level;
	int64_t transit, gap;
};

struct group {
	char key[KEY_MAX];
	struct lane_stat stat;
};

struct lanes_model {
	size_t ngroups;
	struct group *groups;
};

void lane_region(const char *country, const char *region, char *out)
{
	if (!country || !country[0])
		out[0] = '\0';
	else if (region && region[0])
		snprintf(out, LANE_REGION_MAX + 1, "%.2s-%.20s", country, region);
	else
		snprintf(out, LANE_REGION_MAX + 1, "%.2s", country);
}

/* The key of a lane at a level: "L|carrier|service|origin|destination"
 * with the fields the level ignores left empty. */
static void lane_key(const struct lane *l, int level, char out[KEY_MAX])
{
	snprintf(out, KEY_MAX, "%d\x1f%s\x1f%s\x1f%s\x1f%s", level, l->carrier, level <= 2 ? l->service : "",
		 level == 0 ? l->origin : "", level <= 1 ? l->destination : "");
}

/* Orders entries as their keys would sort, without building the keys. */
static int cmp_lane(const struct entry *x, const struct entry *y)
{
	int c = x->level - y->level;
	if (!c)
		c = strcmp(x->lane->carrier, y->lane->carrier);
	if (!c && x->level <= 2)
		c = strcmp(x->lane->service, y->lane->service);
	if (!c && x->level == 0)
		c = strcmp(x->lane->origin, y->lane->origin);
	if (!c && x->level <= 1)
		c = strcmp(x->lane->destination, y->lane->destination);
	return c;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = cmp_lane(x, y);
	return c ? c : (x->transit > y->transit) - (x->transit < y->transit);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile q (0..100) of n sorted values. */
static int64_t rank(const int64_t *v, size_t n, int q)
{
	size_t i = (size_t)(((uint64_t)q * n + 99) / 100);
	return v[i ? i - 1 : 0];
}

/* A sample counts when it was delivered after the carrier took it and its
 * lane names a carrier. */
static bool usable(const struct lane_sample *s)
{
	return s->lane.carrier[0] && s->shipped_at > 0 && s->delivered_at >= s->shipped_at && s->max_gap >= 0;
}

static int cmp_group_key(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->key, ((const struct group *)b)->key);
}

enum werr lanes_model_build(const struct lane_sample *samples, size_t n, const struct calendar *cal,
			    struct lanes_model **out)
{
	struct lanes_model *m = wcalloc(1, sizeof(*m));
	struct entry *e = wmalloc((n ? n : 1) * LANES_LEVELS * sizeof(*e));
	int64_t *gaps = wmalloc((n ? n : 1) * sizeof(*gaps));
	size_t ne = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t transit;
		if (!usable(&samples[i]))
			continue;
		transit = calendar_between(cal, samples[i].shipped_at, samples[i].delivered_at);
		for (int level = 0; level < LANES_LEVELS; level++) {
			e[ne].lane = &samples[i].lane;
			e[ne].level = level;
			e[ne].transit = transit;
			e[ne++].gap = samples[i].max_gap;
		}
	}
	qsort(e, ne, sizeof(*e), cmp_entry);
	m->groups = wmalloc((ne ? ne : 1) * sizeof(*m->groups));
	for (size_t i = 0; i < ne;) {
		size_t j = i, k = 0;
		struct group *g = &m->groups[m->ngroups];
		int64_t *transit = gaps; /* reused below: first the transits, then the gaps */
		while (j < ne && !cmp_lane(&e[j], &e[i]))
			j++;
		if (j - i >= LANES_MIN_SAMPLES) {
			lane_key(e[i].lane, e[i].level, g->key);
			g->stat.level = e[i].level;
			g->stat.n = j - i;
			for (k = i; k < j; k++)
				transit[k - i] = e[k].transit; /* sorted by cmp_entry */
			g->stat.transit_p05 = rank(transit, j - i, 5);
			g->stat.transit_p50 = rank(transit, j - i, 50);
			g->stat.transit_p95 = rank(transit, j - i, 95);
			for (k = i; k < j; k++)
				gaps[k - i] = e[k].gap;
			qsort(gaps, j - i, sizeof(*gaps), cmp_i64);
			g->stat.gap_p90 = rank(gaps, j - i, 90);
			m->ngroups++;
		}
		i = j;
	}
	free(gaps);
	free(e);
	/* the keys' own order, which bsearch follows (equal to the fields' order
	 * unless a field holds a control character) */
	qsort(m->groups, m->ngroups, sizeof(*m->groups), cmp_group_key);
	*out = m;
	return WERR_OK;
}

void lanes_model_free(struct lanes_model *m)
{
	if (!m)
		return;
	free(m->groups);
	free(m);
}

size_t lanes_model_groups(const struct lanes_model *m)
{
	return m ? m->ngroups : 0;
}

static int cmp_group(const void *key, const void *g)
{
	return strcmp(key, ((const struct group *)g)->key);
}

bool lanes_lookup(const struct lanes_model *m, const struct lane *lane, struct lane_stat *out)
{
	memset(out, 0, sizeof(*out));
	out->level = -1;
	if (!m || !lane->carrier[0])
		return false;
	for (int level = 0; level < LANES_LEVELS; level++) {
		char key[KEY_MAX];
		const struct group *g;
		lane_key(lane, level, key);
		if ((g = bsearch(key, m->groups, m->ngroups, sizeof(*g), cmp_group))) {
			*out = g->stat;
			return true;
		}
	}
	return false;
}

void lanes_each_service(const struct lanes_model *m, void (*fn)(void *ctx, const char *carrier, const char *service),
			void *ctx)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->ngroups; i++) {
		char carrier[EV_CARRIER_MAX + 1], service[LANE_SERVICE_MAX + 1];
		const char *k = m->groups[i].key, *a, *b;
		size_t la, lb;
		/* level 2 groups ("2|carrier|service||") and level 3 ("3|carrier|||") */
		if (k[0] != '2' && k[0] != '3')
			continue;
		a = k + 2;
		la = strcspn(a, "\x1f");
		b = a + la + 1;
		lb = strcspn(b, "\x1f");
		snprintf(carrier, sizeof(carrier), "%.*s", (int)la, a);
		snprintf(service, sizeof(service), "%.*s", (int)lb, b);
		if (k[0] == '3' || service[0])
			fn(ctx, carrier, service);
	}
}
