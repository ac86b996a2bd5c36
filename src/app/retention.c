/*
 * retention.c - the raw-payload purge thread (retention.h, docs/privacy.md).
 */
#include "retention.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "../base/num.h"
#include "../base/walloc.h"
#include "../base/banned.h"

#define DAY_MS INT64_C(86400000)
#define PAUSE_MS 20

struct retention {
	struct retention_config cfg;
	struct store *st;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stopping;
};

int retention_config_set(struct retention_config *c, const char *section, const char *name, const char *value)
{
	long n;

	if (strcmp(section, "retention"))
		return 0;
	if (!strcmp(name, "raw_days") && num_parse(value, 1, 36500, &n))
		c->raw_days = (int)n;
	else if (!strcmp(name, "interval") && num_parse(value, 1, 86400, &n))
		c->interval_s = (int)n;
	else
		return -1;
	return 1;
}

int retention_raw_days(const struct retention_config *c)
{
	return c && c->raw_days > 0 ? c->raw_days : RETENTION_RAW_DAYS_DEFAULT;
}

static int interval_s(const struct retention_config *c)
{
	return c->interval_s > 0 ? c->interval_s : RETENTION_INTERVAL_S_DEFAULT;
}

/* r: the thread, whose stop ends the pass after the current batch; NULL
 * for a caller without one (it sleeps between batches instead). */
static enum werr purge(struct retention *r, struct store *st, int raw_days, int batch, int pause_ms, int64_t now,
		       int64_t *deleted)
{
	int64_t before = now - (int64_t)raw_days * DAY_MS, n = 0;
	enum werr err;

	*deleted = 0;
	for (;;) {
		/* no transaction of ours: each DELETE commits on its own */
		if ((err = store_raw_purge(st, before, batch, &n)))
			return err;
		*deleted += n;
		if (n < batch)
			return WERR_OK;
		if (r) {
			struct timespec until = clock_deadline(CLOCK_MONOTONIC, pause_ms);
			bool stop;

			pthread_mutex_lock(&r->mu);
			if (!r->stopping)
				pthread_cond_timedwait(&r->cond, &r->mu, &until);
			stop = r->stopping;
			pthread_mutex_unlock(&r->mu);
			if (stop)
				return WERR_SHUTDOWN;
		} else if (pause_ms > 0) {
			struct timespec ts = { pause_ms / 1000, (long)(pause_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
}

enum werr retention_purge(struct store *st, int raw_days, int batch, int pause_ms, int64_t now, int64_t *deleted)
{
	return purge(NULL, st, raw_days, batch > 0 ? batch : RETENTION_BATCH, pause_ms, now, deleted);
}

static void *retention_main(void *p)
{
	struct retention *r = p;

	for (;;) {
		struct timespec until;
		int64_t deleted = 0;
		enum werr err;
		bool stop;

		err = purge(r, r->st, retention_raw_days(&r->cfg), RETENTION_BATCH, PAUSE_MS, clock_wall_ms(),
			    &deleted);
		if (err && err != WERR_SHUTDOWN)
			wlog(LOG_ERROR, "retention_purge_failed", "error", werr_name(err), "detail",
			     store_errmsg(r->st), NULL);
		else if (deleted) {
			char n[24];
			snprintf(n, sizeof(n), "%lld", (long long)deleted);
			wlog(LOG_INFO, "raw_payloads_purged", "rows", n, NULL);
		}
		until = clock_deadline(CLOCK_MONOTONIC, (int64_t)interval_s(&r->cfg) * 1000);
		pthread_mutex_lock(&r->mu);
		while (!r->stopping && pthread_cond_timedwait(&r->cond, &r->mu, &until) == 0)
			;
		stop = r->stopping;
		pthread_mutex_unlock(&r->mu);
		if (stop)
			return NULL;
	}
}

enum werr retention_start(const char *url, const struct retention_config *c, struct retention **out,
			  char *errbuf, size_t errcap)
{
	struct retention *r = wcalloc(1, sizeof(*r));
	pthread_condattr_t ca;
	enum werr err;

	*out = NULL;
	r->cfg = *c;
	if ((err = store_open(url, STORE_NO_MIGRATE, &r->st, errbuf, errcap))) {
		free(r);
		return err;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->thread, NULL, retention_main, r)) {
		snprintf(errbuf, errcap, "unable to start the retention thread");
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->mu);
		store_close(r->st);
		free(r);
		return WERR_IO;
	}
	*out = r;
	return WERR_OK;
}

void retention_stop(struct retention *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mu);
	store_close(r->st);
	free(r);
}
