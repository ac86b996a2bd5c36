/*
 * sweep.c - the periodic look at orders whose next check is due (engine.h).
 */
#include "engine.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "../base/banned.h"

struct exc_sweep {
	struct store *st;
	struct writer *w;
	const struct exc_engine *e;
	int interval_s;
	int64_t lanes_every_ms, lanes_at; /* monotonic time of the next lane refresh */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stopping, started;
};

enum werr exc_sweep_once(struct store *st, struct writer *w, int64_t now, size_t *total)
{
	enum werr err;

	*total = 0;
	for (;;) {
		char(*orders)[EV_ORDER_MAX + 1] = NULL;
		size_t n = 0;
		struct writer_job job = { 0 };

		if ((err = store_exc_due(st, now, EXC_SWEEP_BATCH, &orders, &n)) || !n) {
			free(orders);
			return err;
		}
		job.refold = (const char(*)[EV_ORDER_MAX + 1])orders;
		job.nrefold = n;
		job.received_at = now;
		err = writer_submit_wait(w, &job);
		if (!err)
			err = job.result;
		free(orders);
		if (err)
			return err;
		*total += n;
		/* a refolded order's check moved past now, or it stays due: one
		 * full batch more at most, then the next pass */
		if (n < EXC_SWEEP_BATCH || *total >= 100 * EXC_SWEEP_BATCH)
			return WERR_OK;
	}
}

/* Rebuilds the lane model when its time has come. */
static void lanes_due(struct exc_sweep *s)
{
	size_t samples = 0;
	char nbuf[24];
	enum werr err;

	if (!s->e->lanes || clock_mono_ms() < s->lanes_at)
		return;
	s->lanes_at = clock_mono_ms() + s->lanes_every_ms;
	if ((err = exc_lanes_refresh(s->e->lanes, s->st, &s->e->pol->cal, &samples))) {
		wlog(LOG_ERROR, "lanes_refresh_failed", "error", werr_name(err), NULL);
	} else {
		snprintf(nbuf, sizeof(nbuf), "%zu", samples);
		wlog(LOG_INFO, "lanes_refreshed", "samples", nbuf, NULL);
	}
}

static void *sweep_main(void *p)
{
	struct exc_sweep *s = p;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		struct timespec until;
		size_t n = 0;
		enum werr err;
		bool held = false;

		pthread_mutex_unlock(&s->mu);
		lanes_due(s); /* every node: the lane model lives in its memory */
		/* one node sweeps (the lease's holder); another takes over when it dies */
		if ((err = store_lease(s->st, "sweep", &held)))
			wlog(LOG_ERROR, "exception_sweep_lease_failed", "error", werr_name(err), NULL);
		else if (held && (err = exc_sweep_once(s->st, s->w, clock_wall_ms(), &n)) && err != WERR_SHUTDOWN)
			wlog(LOG_ERROR, "exception_sweep_failed", "error", werr_name(err), NULL);
		pthread_mutex_lock(&s->mu);
		until = clock_deadline(CLOCK_MONOTONIC, (int64_t)s->interval_s * 1000);
		while (!s->stopping && pthread_cond_timedwait(&s->cond, &s->mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

enum werr exc_sweep_start(const struct exc_engine *e, const char *store_url, struct writer *w,
			  struct exc_sweep **out, char *errbuf, size_t errcap)
{
	const struct exc_config *cfg = e->cfg;
	struct exc_sweep *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	enum werr err;

	*out = NULL;
	if (!s)
		return WERR_NOMEM;
	if ((err = store_open(store_url, STORE_NO_MIGRATE | STORE_READONLY, &s->st, errbuf, errcap))) {
		free(s);
		return err;
	}
	s->w = w;
	s->e = e;
	s->lanes_every_ms = (int64_t)(cfg->lanes_refresh_minutes > 0 ? cfg->lanes_refresh_minutes : 60) * 60000;
	s->lanes_at = clock_mono_ms(); /* at once */
	s->interval_s = cfg->sweep_seconds > 0 ? cfg->sweep_seconds : 60;
	/* the first model before anything is folded with it: an order refolded
	 * as soon as the server answers already sees its lane's rhythm */
	lanes_due(s);
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->thread, NULL, sweep_main, s)) {
		snprintf(errbuf, errcap, "unable to start the exception sweep");
		exc_sweep_stop(s);
		return WERR_NOMEM;
	}
	s->started = true;
	*out = s;
	return WERR_OK;
}

void exc_sweep_stop(struct exc_sweep *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	store_close(s->st);
	free(s);
}
