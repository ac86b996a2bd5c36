/*
 * copy.h - moves a shop's data from a SQLite store to a PostgreSQL one
 * (`wismo copy`, docs/scale-out.md "Moving from SQLite").
 *
 * The destination is opened with store_open (so it is migrated to this
 * build's schema, which both backends number alike); the source must be at
 * the same schema version (run `wismo migrate` on it first) and must not
 * be written meanwhile (stop the server).  Every table of the source
 * except schema_migrations is copied into the same-named table with the
 * same columns: the log (events, duplicates, raw payloads), keys, rules,
 * consent, the audit log, the outbox, settings (the link secret among
 * them), what sources keep, tasks, tickets, and the projections too.
 *
 * Rows go in batches of COPY_BATCH, each batch one transaction under the
 * write lock (COPY into a staging table, then INSERT ... ON CONFLICT DO
 * NOTHING), in primary-key order.  A run that stopped (killed, a lost
 * connection) is resumed by running it again: a table keyed by an integer
 * id continues after the destination's highest id, any other is read from
 * its start and its rows already there are skipped.  Identity sequences
 * are moved past the copied ids.  A table whose destination holds rows the
 * source does not have is refused: the destination must be new (or an
 * earlier run of the same copy).
 *
 * At the end every table's rows are counted on both sides; a difference is
 * an error.  The caller then checks the projections with a rebuild.
 *
 * progress (may be NULL) is called after each batch with the table, the
 * rows it holds now in the destination and the rows of the source.
 * Without the PostgreSQL backend in the build: WERR_UNSUPPORTED.
 */
#ifndef WISMO_STORE_COPY_H
#define WISMO_STORE_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define COPY_BATCH 5000

typedef void (*copy_progress_fn)(void *ctx, const char *table, int64_t done, int64_t total);

/* from: "sqlite:PATH"; to: "postgres://..." or "postgresql://...".
 * *tables and *rows (may be NULL) get what was compared at the end. */
enum werr store_copy(const char *from, const char *to, copy_progress_fn progress, void *ctx, size_t *tables,
		     int64_t *rows, char *errbuf, size_t errcap);

#endif
