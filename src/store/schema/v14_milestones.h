/* Migration 14: the time orders spend in each of the shop's milestones
 * (docs/kpis.md "Milestones", core/kpi_ms.h).
 *
 *  order_milestones  one row per milestone an order reached: when, when it
 *                 left it (0: not left), the order's channel, and whether
 *                 the order is in it now.  A projection kept by the
 *                 writer's hook (store/milestone_times.h), replaced on each
 *                 refold of an order that has milestone events; cleared and
 *                 refilled by `wismo rebuild`.  The KPIs read the rows that
 *                 left in a period (the index on left_at) and the current
 *                 ones (the partial index).  A database migrated from an
 *                 earlier version has no rows for its orders until they are
 *                 refolded: run `wismo rebuild`.
 *
 * The same table in both backends: SCHEMA_V14_MILESTONES for SQLite,
 * PG_SCHEMA_V14_MILESTONES (ctext and bigint, as pg_v13.h) for PostgreSQL. */
#ifndef WISMO_SCHEMA_V14_MILESTONES_H
#define WISMO_SCHEMA_V14_MILESTONES_H
#define SCHEMA_V14_MILESTONES \
	"CREATE TABLE order_milestones (" \
	"  order_no TEXT NOT NULL," \
	"  name TEXT NOT NULL," \
	"  channel TEXT NOT NULL," \
	"  reached_at INTEGER NOT NULL," \
	"  left_at INTEGER NOT NULL," \
	"  current INTEGER NOT NULL," \
	"  PRIMARY KEY (order_no, name)) WITHOUT ROWID;" \
	"CREATE INDEX order_milestones_left ON order_milestones(left_at) WHERE left_at > 0;" \
	"CREATE INDEX order_milestones_current ON order_milestones(name) WHERE current = 1;"
#define PG_SCHEMA_V14_MILESTONES \
	"CREATE TABLE order_milestones (order_no ctext NOT NULL, name ctext NOT NULL, channel ctext NOT NULL," \
	" reached_at bigint NOT NULL, left_at bigint NOT NULL, current bigint NOT NULL," \
	" PRIMARY KEY (order_no, name));" \
	"CREATE INDEX order_milestones_left ON order_milestones(left_at) WHERE left_at > 0;" \
	"CREATE INDEX order_milestones_current ON order_milestones(name) WHERE current = 1;"
#endif
