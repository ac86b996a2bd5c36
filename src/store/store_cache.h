/*
 * store_cache.h - the process's lookup cache: store_get_order answered
 * from memory on a backend whose writes are announced (docs/scale-out.md,
 * "The lookup cache").
 *
 * One cache per process (lookup_cache.h), started by the wiring
 * (cli/serve.c) before any store handle is opened and stopped after the
 * last one closed.  Only the PostgreSQL backend uses it, and only while a
 * handle of the process listens to the announcements (store_listen): a
 * process without a listener, a SQLite store, or a process that never
 * started it reads the database as before.  Lookups inside a transaction
 * the caller opened never use it (their snapshot may be older than the
 * cache).
 *
 * What keeps it true (store_pg_cache.c): the names a transaction announces
 * (store_announce) are invalidated when it commits, before store_commit
 * returns; the names other processes announce are invalidated when the
 * listener hears them; the listener's connection going down empties it
 * and keeps it empty until LISTEN is active again.  So every write that
 * changes an order's projection must announce the order in its
 * transaction (or flush, for the ones that rewrite every order).
 *
 * Call start and stop from one thread, with no store handle open.
 */
#ifndef WISMO_STORE_CACHE_H
#define WISMO_STORE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "lookup_cache.h"
#include "../base/err.h"

/* bytes 0 starts nothing (the cache off).  WERR_NOMEM, or WERR_OK. */
enum werr store_cache_start(size_t bytes);
/* Frees the cache; nothing started does nothing. */
void store_cache_stop(void);
/* false when no cache is started; else its counters in *out. */
bool store_cache_stats(struct lookup_cache_stats *out);
/* The process's cache, or NULL (for the backends). */
struct lookup_cache *store_cache__get(void);

#endif
