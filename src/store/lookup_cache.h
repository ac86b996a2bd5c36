/*
 * lookup_cache.h - a bounded cache of order lookups (an order number to its
 * projection's JSON text) that is told what changed (docs/scale-out.md).
 *
 * It knows nothing of wismo: the PostgreSQL backend keeps one per process
 * (store_pg_cache.c), consults it before reading an order, fills it after,
 * and invalidates what its own commits and the other nodes' announcements
 * name.  Any thread may call any function; entries live in stripes, each
 * with its own lock, evicted least recently used first when the stripe's
 * share of the bound is used up.
 *
 * The race it is built against: a reader reads the old row, a writer
 * commits and invalidates, then the reader inserts the old row, which would
 * be served until the next change.  So an insertion is allowed only with a
 * ticket taken by the miss BEFORE the reader's read began: an invalidation
 * bumps its stripe's epoch, a change of the listener's state bumps the
 * global generation, and a ticket whose epoch or generation is no longer
 * current inserts nothing.  Whoever reads must therefore take the ticket
 * (lookup_cache_get) before its database snapshot starts, and must not read
 * inside a snapshot that started earlier.
 *
 * The cache serves nothing and keeps nothing unless at least one listener
 * is up (lookup_cache_listening): without one, other processes' changes
 * would go unheard.  The listener going down empties it.
 *
 * Failure: out of memory only means an entry is not kept.
 */
#ifndef WISMO_LOOKUP_CACHE_H
#define WISMO_LOOKUP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lookup_cache;

/* What a miss hands to the insertion that follows it (lookup_cache_put). */
struct lookup_ticket {
	bool valid; /* false: the cache was off, insert nothing */
	unsigned stripe;
	uint64_t epoch, gen;
};

struct lookup_cache_stats {
	uint64_t hits, misses;   /* lookups while usable */
	uint64_t invalidations;  /* names invalidated (own commits and heard) */
	uint64_t flushes;        /* the whole cache emptied */
	uint64_t evictions;      /* entries dropped for room */
	uint64_t refused;        /* insertions refused: the entry changed since the miss */
	size_t entries, bytes, cap;
	bool usable;             /* a listener is up */
};

/* cap: the bound in bytes (keys, JSON and bookkeeping); stripes: a power
 * of two (0: the default, 64); each stripe holds at most cap / stripes.
 * NULL when out of memory. */
struct lookup_cache *lookup_cache_new(size_t cap, unsigned stripes);
/* NULL does nothing.  No other thread may use c any more. */
void lookup_cache_free(struct lookup_cache *c);

/*
 * A hit: true, *json a malloc'd copy (the caller frees it).  A miss: false,
 * *json NULL and *t the ticket for lookup_cache_put (invalid when the
 * cache is not usable).
 */
bool lookup_cache_get(struct lookup_cache *c, const char *key, char **json, struct lookup_ticket *t);
/* Keeps a copy of key and json when t is still current; else does nothing. */
void lookup_cache_put(struct lookup_cache *c, const char *key, const char *json, const struct lookup_ticket *t);
/* key changed: drops its entry and refuses the tickets of its stripe taken before. */
void lookup_cache_invalidate(struct lookup_cache *c, const char *key);
/* Everything may have changed: empties the cache, refuses every ticket taken before. */
void lookup_cache_flush(struct lookup_cache *c);
/* A listener came up (up) or went down: both edges refuse every ticket
 * taken before; down empties the cache.  The cache is usable while more
 * listeners came up than went down. */
void lookup_cache_listening(struct lookup_cache *c, bool up);

void lookup_cache_stats(struct lookup_cache *c, struct lookup_cache_stats *out);

#endif
