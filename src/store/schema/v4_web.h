/* Migration 4, part one: what the tracking page, the dashboard and the KPIs
 * read (docs/kpis.md).  Plain SQL, concatenated with v4_notify.h. */
#ifndef WISMO_SCHEMA_V4_WEB_H
#define WISMO_SCHEMA_V4_WEB_H
#define SCHEMA_V4_WEB SCHEMA_V4_PAGES SCHEMA_V4_KPIS
/* ---- web pages ---- */
/* settings: small values the server keeps for itself (the link secret
 * made on first use, docs/web.md); one row per name, never overwritten. */
#define SCHEMA_V4_PAGES \
	"CREATE TABLE settings (" \
	"  name TEXT PRIMARY KEY," \
	"  value TEXT NOT NULL," \
	"  created_at INTEGER NOT NULL) WITHOUT ROWID;"
/* ---- KPIs, agent view, streams ---- */
/*
 * KPIs, agent view, search and queues (docs/kpis.md):
 *  events.carrier      the carrier an event names (group_by=carrier);
 *  events.visible_at   when the event became visible to readers: set by the
 *                      writer just before the COMMIT of its batch (so it
 *                      excludes that commit's fsync); NULL for events stored
 *                      before this migration (not back-filled: unknown);
 *  orders.placed_at, shipped_at (first carrier possession of any parcel),
 *  delivered_at (when the whole order is delivered), promised_by,
 *  conflicts (open conflicts): written by put_order, back-filled here from
 *  the stored projection;
 *  packages.status_at  event time of the deciding event (the quiet queue);
 *  sync_failures       failed sync events counted per UTC day, source and
 *                      kind (signature, rejected, fetch); the rejected list
 *                      is back-filled.
 * WISMO_MS(x) turns a stored RFC 3339 string into ms since the epoch.
 */
#define WISMO_MS(x) "CAST(round((julianday(" x ") - 2440587.5) * 86400000.0) AS INTEGER)"
#define SCHEMA_V4_KPIS \
	"ALTER TABLE events ADD COLUMN carrier TEXT;" \
	"ALTER TABLE events ADD COLUMN visible_at INTEGER;" \
	"UPDATE events SET carrier = nullif(json_extract(body, '$.carrier'), '');" \
	"CREATE INDEX events_received ON events(received_at);" \
	"ALTER TABLE orders ADD COLUMN placed_at INTEGER;" \
	"ALTER TABLE orders ADD COLUMN shipped_at INTEGER;" \
	"ALTER TABLE orders ADD COLUMN delivered_at INTEGER;" \
	"ALTER TABLE orders ADD COLUMN promised_by INTEGER;" \
	"ALTER TABLE orders ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;" \
	"UPDATE orders SET" \
	"  placed_at = " WISMO_MS("json_extract(json, '$.placed_at')") "," \
	"  promised_by = " WISMO_MS("json_extract(json, '$.promised_by')") "," \
	"  conflicts = coalesce(json_array_length(json, '$.conflicts'), 0)," \
	"  shipped_at = (SELECT min(" WISMO_MS("json_extract(p.value, '$.shipped_at')") ")" \
	"    FROM json_each(orders.json, '$.packages') p)," \
	"  delivered_at = CASE WHEN status = 'delivered' THEN" \
	"    (SELECT max(" WISMO_MS("json_extract(p.value, '$.delivered_at')") ")" \
	"     FROM json_each(orders.json, '$.packages') p) END;" \
	"CREATE INDEX orders_email ON orders(email COLLATE NOCASE);" \
	"CREATE INDEX orders_shipped ON orders(shipped_at) WHERE shipped_at IS NOT NULL;" \
	"CREATE INDEX orders_delivered ON orders(delivered_at) WHERE delivered_at IS NOT NULL;" \
	"CREATE INDEX orders_conflicts ON orders(updated_at) WHERE conflicts > 0;" \
	"ALTER TABLE packages ADD COLUMN status_at INTEGER;" \
	"UPDATE packages SET status_at = (SELECT " WISMO_MS("json_extract(p.value, '$.status_at')") \
	"  FROM orders o, json_each(o.json, '$.packages') p WHERE o.order_no = packages.order_no" \
	"  AND json_extract(p.value, '$.tracking_number') = packages.tracking);" \
	"CREATE INDEX packages_quiet ON packages(status, status_at);" \
	"CREATE TABLE sync_failures (" \
	"  day TEXT NOT NULL," \
	"  source TEXT NOT NULL," \
	"  kind TEXT NOT NULL," \
	"  count INTEGER NOT NULL," \
	"  last_at INTEGER NOT NULL," \
	"  PRIMARY KEY(day, source, kind)) WITHOUT ROWID;" \
	"INSERT INTO sync_failures(day, source, kind, count, last_at)" \
	"  SELECT strftime('%Y-%m-%d', received_at / 1000, 'unixepoch'), source, 'rejected', count(*)," \
	"  max(received_at) FROM rejected GROUP BY 1, 2;"
#endif
