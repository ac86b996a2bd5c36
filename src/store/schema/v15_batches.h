/* Migration 15: one index entry less per event, and (PostgreSQL) a batch's
 * visibility stamp as one row (docs/scale-out.md, "Statements per batch").
 *
 *  events_raw     dropped: it cost an index entry per event and no query
 *                 needs it (an erasure finds an order's raw payloads
 *                 through events_order, the remap of unknown codes reads
 *                 events_unknown).
 *
 * PostgreSQL only:
 *  events_received  a BRIN index instead of a B-tree: events are appended
 *                 in the order they arrive, so each range of blocks holds
 *                 a narrow span of received_at, and the KPIs' window reads
 *                 only the ranges it overlaps; a BRIN entry is written per
 *                 range of blocks, not per event.
 *  event_batches  the writer sends a batch's events to the server before
 *                 it folds their orders, before their visible_at is known
 *                 (it is taken just before COMMIT); the batch then writes
 *                 one row (first_seq, last_seq, visible_at) instead of
 *                 rewriting every event, and an event whose visible_at is
 *                 NULL takes its batch's (PG_VISIBLE_AT in pg_int.h).
 *                 SQLite writes events inside its own page cache, where
 *                 stamping them in place before COMMIT costs no round trip.
 *  raw_payloads.id  from this migration on counted by the writer under the
 *                 write lock, as events.seq and tasks.id already were (the
 *                 identity's sequence is not used): a row inserted by hand
 *                 gives its id, the highest plus one. */
#ifndef WISMO_SCHEMA_V15_BATCHES_H
#define WISMO_SCHEMA_V15_BATCHES_H
#define SCHEMA_V15_BATCHES "DROP INDEX IF EXISTS events_raw;"
#define PG_SCHEMA_V15_BATCHES \
	"DROP INDEX IF EXISTS events_raw;" \
	"DROP INDEX events_received;" \
	"CREATE INDEX events_received ON events USING brin (received_at);" \
	"CREATE TABLE event_batches (first_seq bigint PRIMARY KEY, last_seq bigint NOT NULL," \
	" visible_at bigint NOT NULL);"
#endif
