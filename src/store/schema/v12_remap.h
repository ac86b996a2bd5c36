/* Migration 12: fix an unknown code once, apply it everywhere (docs/adapters.md "Remapping").
 *
 *  unmapped_raw   one row per (source, code, raw payload) holding an event
 *                 whose code no table knew when it arrived: the work list of
 *                 a remap, and the raw payloads the retention purge keeps
 *                 whatever their age until they are remapped.  The writer
 *                 adds a row with every unmapped event it appends; a remap
 *                 deletes it in the transaction that appends the corrected
 *                 events.
 *  events_unknown a partial index: a raw payload's unknown events, found
 *                 without reading the log;
 *  events_supersedes  a partial index: the correction of an event, if any
 *                 (a correction's body names the key it supersedes).
 *
 * A database migrated from an earlier version starts with a row for every
 * unknown event without a detail that has a raw payload. */
#ifndef WISMO_SCHEMA_V12_REMAP_H
#define WISMO_SCHEMA_V12_REMAP_H
#define SCHEMA_V12_REMAP \
	"CREATE TABLE unmapped_raw (" \
	"  source TEXT NOT NULL," \
	"  code TEXT NOT NULL," \
	"  raw_id INTEGER NOT NULL," \
	"  PRIMARY KEY(source, code, raw_id)) WITHOUT ROWID;" \
	"CREATE INDEX unmapped_raw_id ON unmapped_raw(raw_id);" \
	"CREATE INDEX events_unknown ON events(raw_id) WHERE status = 'unknown';" \
	"CREATE INDEX events_supersedes ON events(json_extract(body, '$.supersedes'))" \
	"  WHERE json_extract(body, '$.supersedes') IS NOT NULL;" \
	"INSERT OR IGNORE INTO unmapped_raw(source, code, raw_id)" \
	"  SELECT source, json_extract(body, '$.code'), raw_id FROM events" \
	"  WHERE status = 'unknown' AND raw_id IS NOT NULL AND json_extract(body, '$.code') IS NOT NULL" \
	"  AND json_extract(body, '$.detail') IS NULL;"
#endif
