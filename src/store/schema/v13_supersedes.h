/* Migration 13: the key an event corrects, as a column (docs/performance.md).
 *
 *  events.supersedes  the key of the event this one corrects (a remap's
 *                 correction; "" in the body is NULL here), copied from the
 *                 body.  Migration 12 indexed json_extract(body,
 *                 '$.supersedes'), which SQLite evaluated on every insert
 *                 (0.65 us of an event's ~20 us in the writer); the partial
 *                 index on the column costs nothing for the events that
 *                 correct nothing. */
#ifndef WISMO_SCHEMA_V13_SUPERSEDES_H
#define WISMO_SCHEMA_V13_SUPERSEDES_H
#define SCHEMA_V13_SUPERSEDES \
	"ALTER TABLE events ADD COLUMN supersedes TEXT;" \
	"UPDATE events SET supersedes = json_extract(body, '$.supersedes')" \
	"  WHERE json_extract(body, '$.supersedes') IS NOT NULL;" \
	"DROP INDEX events_supersedes;" \
	"CREATE INDEX events_supersedes ON events(supersedes) WHERE supersedes IS NOT NULL;"
#endif
