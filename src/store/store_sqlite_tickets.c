/*
 * store_sqlite_tickets.c - the SQLite backend's help-desk tickets (store.h,
 * struct store_ticket_ops; table help_tickets, migration 10).
 */
#include <stdlib.h>

#include "sqlite_int.h"
#include "../base/banned.h"

/* the match and the cause are the ticket's at the moment it was linked:
 * later updates change its status, and link a ticket no order matched yet */
static const char SQL_PUT[] =
	"INSERT INTO help_tickets(ticket_id, order_no, matched, status, cause, link, carrier, opened_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(ticket_id) DO UPDATE SET"
	" status = excluded.status, updated_at = excluded.updated_at,"
	" order_no = CASE WHEN order_no = '' THEN excluded.order_no ELSE order_no END,"
	" matched = CASE WHEN order_no = '' THEN excluded.matched ELSE matched END,"
	" cause = CASE WHEN order_no = '' THEN excluded.cause ELSE cause END,"
	" link = CASE WHEN order_no = '' THEN excluded.link ELSE link END,"
	" carrier = CASE WHEN order_no = '' THEN excluded.carrier ELSE carrier END";
static const char SQL_EXISTS[] = "SELECT 1 FROM help_tickets WHERE ticket_id = ?1";
#define COLS "SELECT ticket_id, order_no, matched, status, cause, link, carrier, opened_at, updated_at, noted_at" \
	     " FROM help_tickets"
static const char SQL_OWN[] = "SELECT order_no FROM tickets WHERE ticket_id = ?1 LIMIT 1";
static const char SQL_OPEN_PUT[] = "INSERT INTO page_opens(order_no, first_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
static const char SQL_OPEN_COUNTS[] =
	"SELECT count(*), count(p.order_no) FROM orders o LEFT JOIN page_opens p ON p.order_no = o.order_no"
	" WHERE o.delivered_at >= ?1 AND o.delivered_at < ?2";
static const char SQL_NOTED[] = "UPDATE help_tickets SET noted_at = ?2 WHERE ticket_id = ?1";
static const char SQL_GET[] = COLS " WHERE ticket_id = ?1";
static const char SQL_LIST[] = COLS " WHERE order_no = ?1 AND order_no <> '' ORDER BY opened_at DESC, ticket_id";
static const char SQL_KPIS[] = COLS " WHERE opened_at >= ?1 AND opened_at < ?2";

static enum werr read_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct ticket_row *r = row;

	return sq_row(s, q, "fffffffiii", SQ_FIELD(r->ticket_id), SQ_FIELD(r->order), SQ_FIELD(r->matched),
		      SQ_FIELD(r->status), SQ_FIELD(r->cause), SQ_FIELD(r->link), SQ_FIELD(r->carrier), &r->opened_at,
		      &r->updated_at, &r->noted_at);
}

static enum werr sq_tk_put(struct store *st, const struct ticket_row *r, bool *created)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	if ((err = sq_stmt(s, SQL_EXISTS, &q)))
		return err;
	rc = sq_bind(q, "S", r->ticket_id);
	rc = rc == SQLITE_OK ? sqlite3_step(q) : rc;
	sq_done(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(s, rc, "unable to read a ticket");
	*created = rc == SQLITE_DONE;
	if ((err = sq_stmt(s, SQL_PUT, &q)))
		return err;
	return sq_step_write(s, q,
			     sq_bind(q, "SSSSSSSii", r->ticket_id, r->order, r->matched, r->status, r->cause, r->link,
				     r->carrier, r->opened_at, r->updated_at),
			     "unable to store a ticket", NULL);
}

static enum werr sq_tk_get(struct store *st, const char *id, struct ticket_row *out)
{
	struct ticket_row *rows = NULL;
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	size_t n = 0;
	enum werr err = sq_stmt(s, SQL_GET, &q);

	if ((err = sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "S", id), sizeof(*rows), read_row,
				 "unable to read a ticket", sq_release_plain, (void **)&rows, &n)))
		return err;
	if (n)
		*out = rows[0];
	free(rows);
	return n ? WERR_OK : WERR_NOT_FOUND;
}

static enum werr sq_tk_own(struct store *st, const char *id, char order[EV_ORDER_MAX + 1])
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_OWN, &q);
	int rc;

	order[0] = '\0';
	if (err)
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", id), "unable to read a ticket", &err);
	if (rc == SQLITE_ROW)
		err = sq_row(s, q, "f", order, (size_t)(EV_ORDER_MAX + 1));
	else if (rc == SQLITE_DONE)
		err = WERR_NOT_FOUND;
	sq_done(q);
	return err;
}

static enum werr sq_open_put(struct store *st, const char *order, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_OPEN_PUT, &q);

	return err ? err : sq_step_write(s, q, sq_bind(q, "Si", order, at), "unable to record a page open", NULL);
}

static enum werr sq_open_counts(struct store *st, int64_t from, int64_t to, int64_t *delivered, int64_t *opened)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_OPEN_COUNTS, &q);
	int rc;

	*delivered = *opened = 0;
	if (err)
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "ii", from, to), "unable to count page opens", &err);
	if (rc == SQLITE_ROW)
		err = sq_row(s, q, "ii", delivered, opened);
	sq_done(q);
	return err;
}

static enum werr sq_tk_noted(struct store *st, const char *id, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_NOTED, &q);

	return err ? err : sq_step_write(s, q, sq_bind(q, "Si", id, at), "unable to update a ticket", NULL);
}

static enum werr sq_tk_list(struct store *st, const char *order, struct ticket_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_LIST, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "S", order), sizeof(**rows), read_row,
			     "unable to read tickets", sq_release_plain, (void **)rows, n);
}

static enum werr sq_tk_kpis(struct store *st, int64_t from, int64_t to, struct ticket_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_KPIS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", from, to), sizeof(**rows), read_row,
			     "unable to read tickets for KPIs", sq_release_plain, (void **)rows, n);
}

const struct store_ticket_ops sq_ticket_ops = {
	.tk_put = sq_tk_put,
	.tk_get = sq_tk_get,
	.tk_own = sq_tk_own,
	.open_put = sq_open_put,
	.open_counts = sq_open_counts,
	.tk_noted = sq_tk_noted,
	.tk_list = sq_tk_list,
	.tk_kpis = sq_tk_kpis,
};
