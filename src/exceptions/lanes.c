/*
 * lanes.c - the lane model the engine reads and the sweep refreshes
 * (engine.h, "Lanes").
 */
#include "engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/walloc.h"
#include "../base/banned.h"

struct exc_lanes {
	pthread_mutex_t mu;
	struct lanes_model *model; /* NULL until the first refresh */
};

struct exc_lanes *exc_lanes_new(void)
{
	struct exc_lanes *l = wcalloc(1, sizeof(*l));

	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void exc_lanes_free(struct exc_lanes *l)
{
	if (!l)
		return;
	lanes_model_free(l->model);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

enum werr exc_lanes_refresh(struct exc_lanes *l, struct store *st, const struct calendar *cal, size_t *nsamples)
{
	struct lane_sample *s = NULL;
	struct lanes_model *m = NULL, *old;
	size_t n = 0;
	enum werr err;

	if ((err = store_lane_samples(st, EXC_LANE_SAMPLES, &s, &n)) ||
	    (err = lanes_model_build(s, n, cal, &m))) {
		free(s);
		return err;
	}
	free(s);
	pthread_mutex_lock(&l->mu);
	old = l->model;
	l->model = m;
	pthread_mutex_unlock(&l->mu);
	lanes_model_free(old);
	if (nsamples)
		*nsamples = n;
	return WERR_OK;
}

void exc_lanes_lookup(struct exc_lanes *l, const struct order_state *o, struct lane_stat *stats)
{
	if (l)
		pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < o->npackages; i++) {
		struct lane lane;
		exceptions_lane(o, &o->packages[i], &lane);
		lanes_lookup(l ? l->model : NULL, &lane, &stats[i]);
	}
	if (l)
		pthread_mutex_unlock(&l->mu);
}

struct quote_ctx {
	const struct lanes_model *m;
	const struct lane *where;
	const struct calendar *cal;
	int64_t shipped;
	struct lane_quote *out;
	size_t cap, n;
};

static void quote_one(void *p, const char *carrier, const char *service)
{
	struct quote_ctx *c = p;
	struct lane lane = *c->where;
	struct lane_stat st;
	struct lane_quote *q;

	if ((c->where->carrier[0] && strcmp(carrier, c->where->carrier)) || c->n == c->cap)
		return;
	snprintf(lane.carrier, sizeof(lane.carrier), "%s", carrier);
	snprintf(lane.service, sizeof(lane.service), "%s", service);
	q = &c->out[c->n];
	if (!lanes_lookup(c->m, &lane, &st) || !predict_delivery(&st, c->cal, c->shipped, 0, &q->pred))
		return;
	snprintf(q->carrier, sizeof(q->carrier), "%s", carrier);
	snprintf(q->service, sizeof(q->service), "%s", service);
	c->n++;
}

size_t exc_lanes_quote(struct exc_lanes *l, const struct lane *where, const struct calendar *cal, int64_t shipped,
		       struct lane_quote *out, size_t cap)
{
	struct quote_ctx c = { NULL, where, cal, shipped, out, cap, 0 };

	if (!l)
		return 0;
	pthread_mutex_lock(&l->mu);
	c.m = l->model;
	lanes_each_service(c.m, quote_one, &c);
	pthread_mutex_unlock(&l->mu);
	return c.n;
}
