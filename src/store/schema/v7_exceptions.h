/* Migration 7: exceptions over time and the tasks they open (docs/exceptions.md).
 *
 *  order_exceptions  a projection: the open exceptions of each order as the
 *                    engine (core/exceptions.h) computed them at its last
 *                    look, one row per (order, kind, package; "" for the
 *                    order itself); rebuilt with every other projection;
 *  exception_checks  a projection: when each order must be looked at again
 *                    though nothing arrives; the sweep reads only the due
 *                    rows of its index, never every order;
 *  tasks             workflow state, not a projection: one row per task an
 *                    exception opened, kept after it is resolved (its
 *                    history is in audit_log, subject "task:ID"); at most
 *                    one task not yet resolved per (order, kind, package). */
#ifndef WISMO_SCHEMA_V7_EXCEPTIONS_H
#define WISMO_SCHEMA_V7_EXCEPTIONS_H
#define SCHEMA_V7_EXCEPTIONS \
	"CREATE TABLE order_exceptions (" \
	"  order_no TEXT NOT NULL," \
	"  kind TEXT NOT NULL," \
	"  package TEXT NOT NULL," \
	"  since INTEGER NOT NULL," \
	"  reason TEXT NOT NULL," \
	"  basis TEXT NOT NULL," \
	"  threshold INTEGER NOT NULL," \
	"  PRIMARY KEY (order_no, kind, package)) WITHOUT ROWID;" \
	"CREATE INDEX order_exceptions_kind ON order_exceptions(kind, since);" \
	"CREATE TABLE exception_checks (" \
	"  order_no TEXT PRIMARY KEY," \
	"  next_at INTEGER NOT NULL) WITHOUT ROWID;" \
	"CREATE INDEX exception_checks_due ON exception_checks(next_at);" \
	"CREATE TABLE tasks (" \
	"  id INTEGER PRIMARY KEY," \
	"  order_no TEXT NOT NULL," \
	"  kind TEXT NOT NULL," \
	"  package TEXT NOT NULL," \
	"  team TEXT NOT NULL," \
	"  priority TEXT NOT NULL," \
	"  state TEXT NOT NULL," \
	"  assignee TEXT," \
	"  reason TEXT NOT NULL," \
	"  since INTEGER NOT NULL," \
	"  opened_at INTEGER NOT NULL," \
	"  due_at INTEGER NOT NULL," \
	"  acked_at INTEGER," \
	"  resolved_at INTEGER," \
	"  resolution TEXT," \
	"  note TEXT);" \
	"CREATE UNIQUE INDEX tasks_live ON tasks(order_no, kind, package) WHERE state != 'resolved';" \
	"CREATE INDEX tasks_queue ON tasks(state, team, due_at);" \
	"CREATE INDEX tasks_order ON tasks(order_no);"
#endif
