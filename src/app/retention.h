/*
 * retention.h - the purge of raw payloads older than [retention] raw_days
 * (docs/privacy.md): a background thread, started and stopped by the wiring
 * (src/cli/serve.c), with its own read-write store handle.
 *
 * Each pass deletes the expired rows in batches of RETENTION_BATCH, each
 * batch its own short transaction with a pause between batches, so the
 * ingest writer never waits long for the database lock (SQLite has one
 * writer at a time; a batch of 500 rows takes a few milliseconds).  Events
 * keep their raw_id: the event log holds the normalized events, so a purge
 * never changes what a rebuild gives.
 *
 * Threads: retention_start/retention_stop from the wiring's thread;
 * retention_purge from any thread with its own store.  Failure: a pass that
 * fails is logged and retried at the next interval; nothing else stops.
 */
#ifndef WISMO_RETENTION_H
#define WISMO_RETENTION_H

#include <stdint.h>

#include "../base/err.h"
#include "../store/store.h"

#define RETENTION_RAW_DAYS_DEFAULT 30
#define RETENTION_INTERVAL_S_DEFAULT 3600
#define RETENTION_BATCH 500

/* [retention]; zero fields mean the defaults. */
struct retention_config {
	int raw_days;   /* raw payloads older than this are purged (1..36500) */
	int interval_s; /* seconds between passes (1..86400) */
};

/* 1 taken, 0 not ours, -1 a bad value (architecture.md, "A setting"). */
int retention_config_set(struct retention_config *c, const char *section, const char *name, const char *value);
int retention_raw_days(const struct retention_config *c);

/* One pass: deletes every raw payload received before now - raw_days, in
 * batches of batch rows (each its own transaction), pausing pause_ms
 * between batches.  *deleted counts the rows. */
enum werr retention_purge(struct store *st, int raw_days, int batch, int pause_ms, int64_t now, int64_t *deleted);

struct retention;
/* Opens its own store on url and starts the thread, whose first pass runs
 * at once.  The config is copied. */
enum werr retention_start(const char *url, const struct retention_config *c, struct retention **out,
			  char *errbuf, size_t errcap);
/* Ends the pass in progress after its current batch, joins, frees.  NULL is
 * a no-op. */
void retention_stop(struct retention *r);

#endif
