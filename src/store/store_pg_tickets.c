/*
 * store_pg_tickets.c - the PostgreSQL backend's help-desk tickets (store.h,
 * struct store_ticket_ops; tables help_tickets and page_opens of
 * schema/pg_v13.h), statement for statement those of
 * store_sqlite_tickets.c.
 */
#include <stdlib.h>

#include "pg_int.h"
#include "../base/banned.h"

/* the match and the cause are the ticket's at the moment it was linked:
 * later updates change its status, and link a ticket no order matched yet */
static const char SQL_PUT[] =
	"INSERT INTO help_tickets AS t(ticket_id, order_no, matched, status, cause, link, carrier, opened_at,"
	" updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (ticket_id) DO UPDATE SET"
	" status = excluded.status, updated_at = excluded.updated_at,"
	" order_no = CASE WHEN t.order_no = '' THEN excluded.order_no ELSE t.order_no END,"
	" matched = CASE WHEN t.order_no = '' THEN excluded.matched ELSE t.matched END,"
	" cause = CASE WHEN t.order_no = '' THEN excluded.cause ELSE t.cause END,"
	" link = CASE WHEN t.order_no = '' THEN excluded.link ELSE t.link END,"
	" carrier = CASE WHEN t.order_no = '' THEN excluded.carrier ELSE t.carrier END";
static const char SQL_EXISTS[] = "SELECT 1 FROM help_tickets WHERE ticket_id = $1";
#define COLS "SELECT ticket_id, order_no, matched, status, cause, link, carrier, opened_at, updated_at, noted_at" \
	     " FROM help_tickets"
/* SQLite reads the first through its index (ticket_id, order_no) */
static const char SQL_OWN[] = "SELECT order_no FROM tickets WHERE ticket_id = $1 ORDER BY order_no LIMIT 1";
static const char SQL_OPEN_PUT[] = "INSERT INTO page_opens(order_no, first_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";
static const char SQL_OPEN_COUNTS[] =
	"SELECT count(*), count(p.order_no) FROM orders o LEFT JOIN page_opens p ON p.order_no = o.order_no"
	" WHERE o.delivered_at >= $1 AND o.delivered_at < $2";
static const char SQL_NOTED[] = "UPDATE help_tickets SET noted_at = $2 WHERE ticket_id = $1";
static const char SQL_GET[] = COLS " WHERE ticket_id = $1";
static const char SQL_LIST[] = COLS " WHERE order_no = $1 AND order_no <> '' ORDER BY opened_at DESC, ticket_id";
/* in the order SQLite's index (opened_at, ticket_id) gives */
static const char SQL_KPIS[] = COLS " WHERE opened_at >= $1 AND opened_at < $2 ORDER BY opened_at, ticket_id";

static enum werr read_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct ticket_row *t = out;

	return pg_row(s, r, row, "fffffffiii", PG_FIELD(t->ticket_id), PG_FIELD(t->order), PG_FIELD(t->matched),
		      PG_FIELD(t->status), PG_FIELD(t->cause), PG_FIELD(t->link), PG_FIELD(t->carrier), &t->opened_at,
		      &t->updated_at, &t->noted_at);
}

/* The look and the write in one transaction (under the write lock when it
 * is the operation's own): *created is true of the one write that made it. */
static enum werr pg_tk_put(struct store *st, const struct ticket_row *r, bool *created)
{
	struct pg_store *s = pg(st);
	int64_t one;
	bool own = false, found = false;
	enum werr err = pg_op_begin(s, true, &own);

	*created = false;
	if (err)
		return err;
	if ((err = pg_query_int(s, SQL_EXISTS, "unable to read a ticket", &one, &found, "S", r->ticket_id)))
		goto out;
	err = pg_run(s, SQL_PUT, "unable to store a ticket", NULL, "SSSSSSSii", r->ticket_id, r->order, r->matched,
		     r->status, r->cause, r->link, r->carrier, r->opened_at, r->updated_at);
	*created = !err && !found;
out:
	return pg_op_end(s, own, err);
}

static enum werr pg_tk_get(struct store *st, const char *id, struct ticket_row *out)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err = pg_run(s, SQL_GET, "unable to read a ticket", &r, "S", id);

	if (err)
		return err;
	err = PQntuples(r) ? read_row(s, r, 0, out) : WERR_NOT_FOUND;
	PQclear(r);
	return err;
}

static enum werr pg_tk_own(struct store *st, const char *id, char order[EV_ORDER_MAX + 1])
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	order[0] = '\0';
	if ((err = pg_run(s, SQL_OWN, "unable to read a ticket", &r, "S", id)))
		return err;
	err = PQntuples(r) ? pg_row(s, r, 0, "f", order, (size_t)(EV_ORDER_MAX + 1)) : WERR_NOT_FOUND;
	PQclear(r);
	return err;
}

static enum werr pg_open_put(struct store *st, const char *order, int64_t at)
{
	return pg_run(pg(st), SQL_OPEN_PUT, "unable to record a page open", NULL, "Si", order, at);
}

static enum werr pg_open_counts(struct store *st, int64_t from, int64_t to, int64_t *delivered, int64_t *opened)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	*delivered = *opened = 0;
	if ((err = pg_run(s, SQL_OPEN_COUNTS, "unable to count page opens", &r, "ii", from, to)))
		return err;
	if (PQntuples(r))
		err = pg_row(s, r, 0, "ii", delivered, opened);
	PQclear(r);
	return err;
}

static enum werr pg_tk_noted(struct store *st, const char *id, int64_t at)
{
	return pg_run(pg(st), SQL_NOTED, "unable to update a ticket", NULL, "Si", id, at);
}

static enum werr pg_tk_list(struct store *st, const char *order, struct ticket_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_LIST, "unable to read tickets", sizeof(**rows), read_row, pg_release_plain,
			     (void **)rows, n, "S", order);
}

static enum werr pg_tk_kpis(struct store *st, int64_t from, int64_t to, struct ticket_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_KPIS, "unable to read tickets for KPIs", sizeof(**rows), read_row,
			     pg_release_plain, (void **)rows, n, "ii", from, to);
}

const struct store_ticket_ops pg_ticket_ops = {
	.tk_put = pg_tk_put,
	.tk_get = pg_tk_get,
	.tk_own = pg_tk_own,
	.open_put = pg_open_put,
	.open_counts = pg_open_counts,
	.tk_noted = pg_tk_noted,
	.tk_list = pg_tk_list,
	.tk_kpis = pg_tk_kpis,
};
