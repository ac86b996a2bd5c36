/* Migration 10: the customers' help-desk tickets (docs/helpdesk.md).
 *
 *  help_tickets  one row per ticket the help desk told wismo of: the order
 *                it was matched to ("" when none or several), how it was
 *                matched, its status in the help desk, and why the customer
 *                may have asked (cause, link: core/ticket.h) at the moment it
 *                was opened, and when wismo last planned a change note on
 *                it (noted_at: the notes' spacing).  Not a projection of the event log: the help
 *                desk's word, kept like the outbox.  No subject, body or
 *                requester is kept.
 *  page_opens    the orders whose customer opened the tracking page, and when
 *                first: the self-service share of the ticket figures.
 *  tickets       (migration 4, the tickets wismo opens for its tasks) gains
 *                an index on the ticket id: the help desk's word on one of
 *                them finds its order. */
#ifndef WISMO_SCHEMA_V10_TICKETS_H
#define WISMO_SCHEMA_V10_TICKETS_H
#define SCHEMA_V10_TICKETS \
	"CREATE TABLE help_tickets (" \
	"  ticket_id TEXT PRIMARY KEY," \
	"  order_no TEXT NOT NULL," \
	"  matched TEXT NOT NULL," \
	"  status TEXT NOT NULL," \
	"  cause TEXT NOT NULL," \
	"  link TEXT NOT NULL," \
	"  carrier TEXT NOT NULL," \
	"  opened_at INTEGER NOT NULL," \
	"  updated_at INTEGER NOT NULL," \
	"  noted_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;" \
	"CREATE INDEX help_tickets_order ON help_tickets(order_no) WHERE order_no <> '';" \
	"CREATE INDEX help_tickets_opened ON help_tickets(opened_at);" \
	"CREATE INDEX tickets_ticket_id ON tickets(ticket_id);" \
	"CREATE TABLE page_opens (" \
	"  order_no TEXT PRIMARY KEY," \
	"  first_at INTEGER NOT NULL) WITHOUT ROWID;"
#endif
