/* retention.c - the raw-payload purge (contract in retention.h). */
#include "retention.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "../base/num.h"
#include "../store/store.h"
#include "../base/banned.h"

#define DAY_MS ((int64_t)24 * 3600 * 1000)

struct retention {
	int64_t keep_ms;
	char store_url[1024];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
};

void retention_config_defaults(struct retention_config *c)
{
	c->raw_days = RETENTION_RAW_DAYS_DEFAULT;
}

int retention_config_set(struct retention_config *c, const char *section, const char *name, const char *value)
{
	long n;

	if (strcmp(section, "retention"))
		return 0;
	if (strcmp(name, "raw_days") || !num_parse(value, 0, 36500, &n))
		return -1;
	c->raw_days = (int)n;
	return 1;
}

enum werr retention_purge(struct store *st, int64_t before, size_t *n)
{
	size_t got = RETENTION_BATCH;
	enum werr err = WERR_OK;

	*n = 0;
	while (!err && got == RETENTION_BATCH) {
		if ((err = store_begin(st)))
			break;
		if ((err = store_raw_purge(st, before, RETENTION_BATCH, &got))) {
			store_rollback(st);
			break;
		}
		if (!(err = store_commit(st)))
			*n += got;
	}
	return err;
}

static void *retention_main(void *p)
{
	struct retention *r = p;
	struct store *st = NULL;
	char msg[256], count[24];

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct timespec until;
		size_t n = 0;
		enum werr err;

		pthread_mutex_unlock(&r->mu);
		if (!st && store_open(r->store_url, STORE_NO_MIGRATE, &st, msg, sizeof(msg))) {
			wlog(LOG_ERROR, "retention_store_open_failed", "detail", msg, NULL);
			st = NULL;
		}
		if (st) {
			err = retention_purge(st, clock_wall_ms() - r->keep_ms, &n);
			snprintf(count, sizeof(count), "%zu", n);
			if (err)
				wlog(LOG_WARN, "raw_purge_failed", "purged", count, "detail", store_errmsg(st), NULL);
			else if (n)
				wlog(LOG_INFO, "raw_purged", "purged", count, NULL);
		}
		pthread_mutex_lock(&r->mu);
		until = clock_deadline(CLOCK_REALTIME, RETENTION_PERIOD_MS);
		while (!r->stop && pthread_cond_timedwait(&r->cond, &r->mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&r->mu);
	store_close(st);
	return NULL;
}

enum werr retention_start(const struct retention_config *c, const char *store_url, struct retention **out,
			  char *errbuf, size_t errcap)
{
	struct retention *r;

	*out = NULL;
	if (c->raw_days <= 0)
		return WERR_OK;
	if (!(r = calloc(1, sizeof(*r))))
		return WERR_NOMEM;
	r->keep_ms = (int64_t)c->raw_days * DAY_MS;
	snprintf(r->store_url, sizeof(r->store_url), "%s", store_url);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (pthread_create(&r->thread, NULL, retention_main, r)) {
		snprintf(errbuf, errcap, "unable to start the retention task");
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return WERR_INTERNAL;
	}
	*out = r;
	return WERR_OK;
}

void retention_stop(struct retention *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
