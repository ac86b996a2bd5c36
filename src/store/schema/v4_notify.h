/* Migration 4, part two: notifications (rules, outbox, consent, audit).
 * Plain SQL, concatenated after v4_web.h.
 *
 *  outbox     one planned message; key (hex sha256 of order, milestone,
 *             channel, recipient) is UNIQUE: the database itself refuses a
 *             second message for the same milestone and recipient;
 *  consent    SMS opt-in per phone number (E.164), latest decision wins;
 *  audit_log  who changed what (rules, consent, outbox decisions);
 *  tickets    the help-desk ticket opened for an order;
 *  rules      rules set through the API (JSON body); a row with body NULL
 *             is a deletion that hides a configured or default rule. */
#ifndef WISMO_SCHEMA_V4_NOTIFY_H
#define WISMO_SCHEMA_V4_NOTIFY_H
/* ---- notifications ---- */
#define SCHEMA_V4_NOTIFY \
	"CREATE TABLE outbox (" \
	"  id INTEGER PRIMARY KEY," \
	"  key TEXT NOT NULL UNIQUE," \
	"  order_no TEXT NOT NULL," \
	"  rule TEXT NOT NULL," \
	"  milestone TEXT NOT NULL," \
	"  channel TEXT NOT NULL," \
	"  recipient TEXT NOT NULL," \
	"  template TEXT NOT NULL," \
	"  locale TEXT NOT NULL," \
	"  state TEXT NOT NULL," \
	"  attempts INTEGER NOT NULL DEFAULT 0," \
	"  created_at INTEGER NOT NULL," \
	"  next_at INTEGER NOT NULL," \
	"  lease_until INTEGER," \
	"  sent_at INTEGER," \
	"  last_error TEXT," \
	"  remote_id TEXT," \
	"  view TEXT);" \
	"CREATE INDEX outbox_due ON outbox(state, next_at, id);" \
	"CREATE INDEX outbox_order ON outbox(order_no, id);" \
	"CREATE TABLE consent (" \
	"  phone TEXT PRIMARY KEY," \
	"  sms INTEGER NOT NULL," \
	"  source TEXT," \
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;" \
	"CREATE TABLE audit_log (" \
	"  id INTEGER PRIMARY KEY," \
	"  at INTEGER NOT NULL," \
	"  actor TEXT NOT NULL," \
	"  action TEXT NOT NULL," \
	"  subject TEXT," \
	"  detail TEXT);" \
	"CREATE TABLE tickets (" \
	"  order_no TEXT PRIMARY KEY," \
	"  ticket_id TEXT NOT NULL," \
	"  state TEXT NOT NULL," \
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;" \
	"CREATE TABLE rules (" \
	"  name TEXT PRIMARY KEY," \
	"  body TEXT," \
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
#endif
