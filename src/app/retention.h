/*
 * retention.h - how long raw payloads are kept, and the background task that
 * purges older ones (docs/privacy.md).
 *
 * Raw payloads are the bodies exactly as sources sent them: they hold what
 * the projections leave out (surnames, street addresses) and are kept only
 * for audit and for replaying a fixed mapping.  Events stay: the log holds
 * the normalized events, so projections still rebuild after a purge.
 *
 * The task is a thread with its own read-write store handle.  It purges once
 * at start and then every RETENTION_PERIOD_MS, in transactions of
 * RETENTION_BATCH rows, so the group-commit writer waits at most one short
 * delete for its turn.  retention_start/stop from one thread.
 */
#ifndef WISMO_APP_RETENTION_H
#define WISMO_APP_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define RETENTION_RAW_DAYS_DEFAULT 30
#define RETENTION_PERIOD_MS (3600 * 1000)
#define RETENTION_BATCH 1000

/* [retention] (docs/config.md). */
struct retention_config {
	int raw_days; /* raw payloads older than this are purged; 0: kept for good */
};

void retention_config_defaults(struct retention_config *c);
/* One INI entry: 1 taken, 0 not ours, -1 bad value. */
int retention_config_set(struct retention_config *c, const char *section, const char *name, const char *value);

struct retention;

/* Starts the task (NULL in *out when raw_days is 0: nothing to purge). */
enum werr retention_start(const struct retention_config *c, const char *store_url, struct retention **out,
			  char *errbuf, size_t errcap);
void retention_stop(struct retention *r);

/* One pass (the thread's body; `wismo` may call it): purges every raw
 * payload received before `before` (ms); *n how many. */
struct store;
enum werr retention_purge(struct store *st, int64_t before, size_t *n);

#endif
