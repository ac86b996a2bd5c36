/* Migration 11: who owns each tracking number (docs/parcels.md, core/parcels.h).
 *
 *  parcel_owners  one row per tracking number any event attached to an
 *                 order: the owning order, the source whose event attached
 *                 it (the owning source), and the time and status of the
 *                 owner's latest event for it (the reuse window counts from
 *                 it).  The writer's lookup of a carrier scan's order reads
 *                 it first.
 *  parcel_claims  kind 'claim': an order claiming a number another order
 *                 owns (one row per number and claiming order, its latest
 *                 claiming event); kind 'moved': an order the owning source
 *                 moved the number away from, and where to.
 *
 * Both are projections of the log, in log order: the writer writes them as it
 * appends, a rebuild clears them and replays every event that names a parcel
 * (store_rebuild).  A database migrated from an earlier version starts with
 * each number owned by the order of its first event; `wismo rebuild` then
 * replays the whole log under the rule. */
#ifndef WISMO_SCHEMA_V11_PARCELS_H
#define WISMO_SCHEMA_V11_PARCELS_H
#define SCHEMA_V11_PARCELS \
	"CREATE TABLE parcel_owners (" \
	"  tracking TEXT PRIMARY KEY," \
	"  order_no TEXT NOT NULL," \
	"  source TEXT NOT NULL," \
	"  last_at INTEGER NOT NULL," \
	"  last_status TEXT NOT NULL) WITHOUT ROWID;" \
	"CREATE INDEX parcel_owners_order ON parcel_owners(order_no);" \
	"CREATE TABLE parcel_claims (" \
	"  tracking TEXT NOT NULL," \
	"  order_no TEXT NOT NULL," \
	"  kind TEXT NOT NULL," \
	"  other_order TEXT NOT NULL," \
	"  source TEXT NOT NULL," \
	"  status TEXT NOT NULL," \
	"  at INTEGER NOT NULL," \
	"  key TEXT NOT NULL," \
	"  PRIMARY KEY(tracking, order_no, kind)) WITHOUT ROWID;" \
	"CREATE INDEX parcel_claims_order ON parcel_claims(order_no);" \
	"INSERT INTO parcel_owners(tracking, order_no, source, last_at, last_status)" \
	"  SELECT f.package, f.order_no, f.source," \
	"    (SELECT max(x.occurred_at) FROM events x WHERE x.package = f.package AND x.order_no = f.order_no)," \
	"    (SELECT x.status FROM events x WHERE x.package = f.package AND x.order_no = f.order_no" \
	"      ORDER BY x.occurred_at DESC, x.seq DESC LIMIT 1)" \
	"  FROM events f WHERE f.seq IN" \
	"    (SELECT min(seq) FROM events WHERE package <> '' GROUP BY package);"
#endif
