/* Migration 5: personal data (docs/privacy.md).
 *
 *  raw_payloads.digest  hex SHA-256 of the source, a NUL and the body: one
 *                       row per distinct body, so a replayed webhook reuses
 *                       the first delivery's row instead of storing another
 *                       copy; NULL for rows stored before this migration
 *                       (SQLite has no SHA-256 to back-fill them with, and a
 *                       unique index allows any number of NULLs);
 *  raw_received         the retention purge deletes the oldest rows first;
 *  events_raw           an erasure finds the raw payloads of an order's
 *                       events, and the purge's rows are looked up by id. */
#ifndef WISMO_SCHEMA_V5_PRIVACY_H
#define WISMO_SCHEMA_V5_PRIVACY_H
#define SCHEMA_V5_PRIVACY \
	"ALTER TABLE raw_payloads ADD COLUMN digest TEXT;" \
	"CREATE UNIQUE INDEX raw_digest ON raw_payloads(digest);" \
	"CREATE INDEX raw_received ON raw_payloads(received_at);" \
	"CREATE INDEX events_raw ON events(raw_id) WHERE raw_id IS NOT NULL;"
#endif
