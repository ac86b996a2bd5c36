/*
 * remap.h - fix an unknown code once, apply it everywhere (docs/adapters.md,
 * "Remapping").
 *
 * An event whose code no table knew is stored as `unknown` and its raw
 * payload is kept (store: unmapped_raw) whatever the retention setting.  Once
 * an operator has added the code to a table (an override table, then a
 * restart, so that the server's loaded tables know it), a remap reads each
 * such payload again with its source's adapter and today's tables.  For every
 * stored unknown event the new reading gives a status for, it appends the
 * corrected event to the log: the same fact (id, order, parcel, time), the
 * new status, and `supersedes` naming the original's key; the original stays
 * where it is (an unknown event changes nothing in the fold).  The corrected
 * events go through the writer like any others: the orders are refolded,
 * the exceptions and the messages planned as the corrected state warrants
 * (a message rule's max_age_hours keeps an old fact from sending a stale
 * message), and the payload leaves the work list in the same transaction.
 *
 * A remap is idempotent: a corrected event's key is made from the original's
 * key, so running it twice appends nothing new.  It is bounded: at most
 * max_bodies payloads per call; `more` says whether others are left.
 *
 * Thread-safety: remap_run may run on any thread with its own store handle;
 * the writer is thread-safe.
 */
#ifndef WISMO_REMAP_H
#define WISMO_REMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/err.h"

struct store;
struct writer;
struct mappings;
struct zones;
struct sources_config;

struct remap_opts {
	const char *source;     /* only this source's payloads; NULL: all */
	const char *code;       /* only payloads holding this code; NULL: all */
	bool dry_run;           /* count what would change, append nothing */
	int max_bodies;         /* payloads read in this call (<= 0: 500) */
	int64_t after;          /* start after this raw payload id (the last call's next) */
	int64_t now;            /* the time corrected events are received */
};

struct remap_result {
	int64_t bodies;         /* payloads read again */
	int64_t corrected;      /* events that get a status (appended unless dry_run) */
	int64_t still_unknown;  /* events today's tables still do not know */
	int64_t unreadable;     /* payloads their adapter no longer reads, or without an adapter */
	bool more;              /* payloads left after max_bodies */
	int64_t next;           /* the last payload read: the next call's after */
};

/* Runs one remap over st (read) and w (write).  WERR_OK with *res filled;
 * a store or writer error otherwise (what was committed stays committed). */
enum werr remap_run(struct store *st, struct writer *w, const struct mappings *maps, const struct zones *zones,
		    const struct sources_config *sources, const struct remap_opts *o, struct remap_result *res);

#endif
