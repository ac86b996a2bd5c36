/* Migration 9: the returns (docs/returns.md).
 *
 *  returns  a projection of the order fold: one row per return of an order
 *           (its id, state, reason and disposition words, and the times of
 *           its steps, 0 for not yet), written with the order's row and
 *           rebuilt with it.  Lists (GET /v1/returns), the returns queue
 *           and the KPIs read it; the return itself is in the order's JSON. */
#ifndef WISMO_SCHEMA_V9_RETURNS_H
#define WISMO_SCHEMA_V9_RETURNS_H
#define SCHEMA_V9_RETURNS \
	"CREATE TABLE returns (" \
	"  order_no TEXT NOT NULL," \
	"  id TEXT NOT NULL," \
	"  state TEXT NOT NULL," \
	"  reason TEXT NOT NULL," \
	"  disposition TEXT NOT NULL," \
	"  requested_at INTEGER NOT NULL," \
	"  received_at INTEGER NOT NULL," \
	"  resolved_at INTEGER NOT NULL," \
	"  updated_at INTEGER NOT NULL," \
	"  PRIMARY KEY (order_no, id)) WITHOUT ROWID;" \
	"CREATE INDEX returns_id ON returns(id);" \
	"CREATE INDEX returns_updated ON returns(updated_at);"
#endif
