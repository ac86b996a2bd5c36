/*
 * store_pg_orders.c - the PostgreSQL backend's projection operations
 * (store.h, struct store_order_ops): one row per order and one per package,
 * always recomputable from the log (clear + refold = rebuild), and the
 * lookups the API and the pages make on them.  Tables orders and packages
 * (schema/pg_v13.h).  The same statements as store_sqlite_orders.c, in
 * PostgreSQL's words; what both backends return for the same calls is the
 * same, cursors and canonical dumps included.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "backend.h"
#include "../core/kpi.h"
#include "../base/crypto.h"
#include "../base/banned.h"

#define LIST_LIMIT_MAX 1000
#define WEB_LIST_MAX 1000

/* Unlike SQLite, PostgreSQL rewrites the whole row on any UPDATE and adds
 * an entry to every index unless no indexed value changed (HOT), which
 * it decides by comparing values, not by the columns named: updated_at
 * (indexed) changes on nearly every write, so naming email, shipped_at and
 * delivered_at here costs nothing, while SQLite's separate "only when they
 * differ" UPDATEs would each write another version of the row (and cost a
 * round trip each). */
static const char SQL_PUT_ORDER[] =
	"INSERT INTO orders(order_no, status, updated_at, email, postal_code, json,"
	" placed_at, shipped_at, delivered_at, promised_by, conflicts)"
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT(order_no) DO UPDATE SET"
	" status = excluded.status, updated_at = excluded.updated_at, email = excluded.email,"
	" postal_code = excluded.postal_code, json = excluded.json, placed_at = excluded.placed_at,"
	" shipped_at = excluded.shipped_at, delivered_at = excluded.delivered_at,"
	" promised_by = excluded.promised_by, conflicts = excluded.conflicts";
static const char SQL_ORDER_PACKAGES[] = "SELECT tracking FROM packages WHERE order_no = $1";
static const char SQL_DEL_PACKAGE[] = "DELETE FROM packages WHERE tracking = $1 AND order_no = $2";
/* A tracking number's row belongs to the order owning it (parcel_owners,
 * docs/parcels.md): an order that only keeps the number's history (the
 * carrier reused it for another order) never takes the row from the owner,
 * whichever of the two is written last - a rebuild folds orders in another
 * order than the writer did.  A row is rewritten only when an indexed
 * column changes; updated_at (no index: a HOT update) on its own. */
static const char SQL_PUT_PACKAGE[] =
	"INSERT INTO packages AS p(tracking, order_no, carrier, status, updated_at, status_at)"
	" VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(tracking) DO UPDATE SET"
	" order_no = excluded.order_no, carrier = excluded.carrier, status = excluded.status,"
	" updated_at = excluded.updated_at, status_at = excluded.status_at"
	" WHERE NOT EXISTS (SELECT 1 FROM parcel_owners o WHERE o.tracking = excluded.tracking"
	" AND o.order_no <> excluded.order_no)"
	" AND (p.order_no IS DISTINCT FROM excluded.order_no OR p.carrier IS DISTINCT FROM excluded.carrier"
	" OR p.status IS DISTINCT FROM excluded.status OR p.status_at IS DISTINCT FROM excluded.status_at)";
static const char SQL_PUT_PACKAGE_TIME[] =
	"UPDATE packages SET updated_at = $3 WHERE tracking = $1 AND order_no = $2"
	" AND updated_at IS DISTINCT FROM $3";
static const char SQL_GET_ORDER[] = "SELECT json FROM orders WHERE order_no = $1";
/* The owner first (docs/parcels.md), else the package row. */
static const char SQL_FIND_PACKAGE[] =
	"SELECT order_no FROM (SELECT 0 AS r, order_no FROM parcel_owners WHERE tracking = $1"
	" UNION ALL SELECT 1, order_no FROM packages WHERE tracking = $1) AS t ORDER BY r LIMIT 1";
/* Keyset pagination on (updated_at, order_no): $1 updated_since, ($2,
 * $3) the cursor (exclusive), $4 the page size plus one. */
static const char SQL_LIST_ALL[] =
	"SELECT order_no, status, updated_at, json FROM orders"
	" WHERE updated_at >= $1 AND (updated_at, order_no) > ($2::bigint, $3::ctext)"
	" ORDER BY updated_at, order_no LIMIT $4";
static const char SQL_LIST_STATUS[] =
	"SELECT order_no, status, updated_at, json FROM orders"
	" WHERE status = $5 AND updated_at >= $1 AND (updated_at, order_no) > ($2::bigint, $3::ctext)"
	" ORDER BY updated_at, order_no LIMIT $4";
static const char SQL_CLEAR_PACKAGES[] = "DELETE FROM packages";
static const char SQL_CLEAR_ORDERS[] = "DELETE FROM orders";
static const char SQL_DUMP_ORDERS[] =
	"SELECT order_no, status, updated_at, email, postal_code, json FROM orders ORDER BY order_no";
static const char SQL_DUMP_PACKAGES[] =
	"SELECT tracking, order_no, carrier, status, updated_at FROM packages ORDER BY tracking";
static const char SQL_DUMP_EXCEPTIONS[] =
	"SELECT order_no, kind, package, since, reason, basis, threshold FROM order_exceptions"
	" ORDER BY order_no, kind, package";
static const char SQL_DUMP_CHECKS[] = "SELECT order_no, next_at FROM exception_checks ORDER BY order_no";
static const char SQL_DUMP_LANES[] =
	"SELECT order_no, package, carrier, service, origin, destination, shipped_at, delivered_at, max_gap,"
	" first_estimate, earliest, likely, latest, level, samples, best FROM package_lanes ORDER BY order_no, package";
static const char SQL_CLEAR_EXCEPTIONS[] = "DELETE FROM order_exceptions";
static const char SQL_CLEAR_LANES[] = "DELETE FROM package_lanes";
static const char SQL_CLEAR_RETURNS[] = "DELETE FROM returns";
static const char SQL_DUMP_RETURNS[] =
	"SELECT order_no, id, state, reason, disposition, requested_at, received_at, resolved_at, updated_at"
	" FROM returns ORDER BY order_no, id";
static const char SQL_CLEAR_CHECKS[] = "DELETE FROM exception_checks";
static const char SQL_CLEAR_PARCELS[] = "DELETE FROM parcel_owners";
static const char SQL_CLEAR_CLAIMS[] = "DELETE FROM parcel_claims";
static const char SQL_CLEAR_MILESTONES[] = "DELETE FROM order_milestones";
static const char SQL_DUMP_MILESTONES[] =
	"SELECT order_no, name, channel, reached_at, left_at, current FROM order_milestones ORDER BY order_no, name";
static const char SQL_DUMP_PARCELS[] =
	"SELECT tracking, order_no, source, last_at, last_status FROM parcel_owners ORDER BY tracking";
static const char SQL_DUMP_CLAIMS[] =
	"SELECT tracking, order_no, kind, other_order, source, status, at, key FROM parcel_claims"
	" ORDER BY tracking, order_no, kind";
/* One index probe on order_no and one read of a row by id whether or not
 * the order exists: an unknown order reads the newest row instead (a
 * decoy), and the first column tells the two apart.  json is not selected,
 * so the order's JSON (kilobytes to a megabyte, TOASTed out of the row) is
 * never read. */
static const char SQL_ORDER_CONTACT[] =
	"SELECT (order_no = $1)::int, email, postal_code FROM orders WHERE id = "
	"coalesce((SELECT id FROM orders WHERE order_no = $1), (SELECT max(id) FROM orders))";
/* SQLite's NOCASE folds ASCII only, as lower() does on a ctext (COLLATE
 * "C"): the parameter is a ctext too, and the comparison uses the index on
 * lower(email). */
static const char SQL_BY_EMAIL[] =
	"SELECT order_no, status, updated_at, json FROM orders WHERE lower(email) = lower($1::ctext)"
	" ORDER BY updated_at DESC, order_no LIMIT $2";
static const char SQL_CONFLICTS[] =
	"SELECT order_no, status, updated_at, json FROM orders WHERE conflicts > 0"
	" ORDER BY updated_at DESC, order_no LIMIT $1";

static int64_t clamp_limit(int limit)
{
	return limit < 1 ? 1 : limit > WEB_LIST_MAX ? WEB_LIST_MAX : limit;
}

/* The order's package rows: each written when it changed, the ones it no
 * longer has deleted. */
static enum werr put_packages(struct pg_store *s, const struct order_state *o)
{
	char (*rows)[EV_PACKAGE_MAX + 1] = NULL;
	size_t n = 0;
	/* none stored, as refold_hint learned: nothing to read or delete, and
	 * each row written below is either new, with this updated_at, or
	 * another order's, which the time's update does not touch */
	bool fresh = pg_tx_none(s, 'p', o->order);
	enum werr err;

	if (!fresh &&
	    (err = pg_query_rows(s, SQL_ORDER_PACKAGES, "unable to read packages", sizeof(*rows), pg_read_tracking,
				 pg_release_plain, (void **)&rows, &n, "S", o->order)))
		return err;
	for (size_t i = 0; i < n && !err; i++)
		if (!be_has_package(o, rows[i]))
			err = pg_run(s, SQL_DEL_PACKAGE, "unable to replace packages", NULL, "SS", rows[i], o->order);
	free(rows);
	for (size_t i = 0; i < o->npackages && !err; i++) {
		const struct package_state *p = &o->packages[i];

		if (!p->tracking[0])
			continue;
		if (!(err = pg_tx_some(s, 'p', o->order)))
			err = pg_run_later(s, SQL_PUT_PACKAGE, p->tracking, "unable to store package", "SSsSio",
					   p->tracking, o->order, p->carrier, pkg_status_name(p->status),
					   o->updated_at, p->status_at);
		if (!err && !fresh)
			err = pg_run(s, SQL_PUT_PACKAGE_TIME, "unable to store package", NULL, "SSi", p->tracking,
				     o->order, o->updated_at);
	}
	return err;
}

static enum werr pg_put_order(struct store *st, const struct order_state *o, const char *json)
{
	struct pg_store *s = pg(st);
	bool own = false;
	enum werr err;
	int64_t shipped, delivered;

	if (!o->order[0] || !json) {
		pg_msg(s, "unable to store order: order number and json are required");
		return WERR_INVALID;
	}
	err = pg_op_begin(s, true, &own);
	if (err)
		return err;
	kpi_order_times(o, &shipped, &delivered); /* columns of SQLite's schema/v4_web.h */
	err = pg_run_later(s, SQL_PUT_ORDER, o->order, "unable to store order", "SSissSooooi", o->order,
			   ord_status_name(o->status), o->updated_at, o->customer.email, o->customer.postal_code, json,
			   o->placed_at, shipped, delivered, o->promised_by, (int64_t)o->nconflicts);
	if (!err)
		err = put_packages(s, o);
	if (!err)
		err = pg_put_returns(s, o);
	return pg_op_end(s, own, err);
}

static enum werr pg_get_order(struct store *st, const char *order, char **json)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	struct lookup_ticket t;
	enum werr err;

	/* the cache's ticket before the SELECT's snapshot (store_pg_cache.c) */
	if (pg_cache_get(s, order, json, &t))
		return WERR_OK;
	if ((err = pg_run(s, SQL_GET_ORDER, "unable to read order", &r, "S", order)))
		return err;
	if (PQntuples(r) > 0) {
		if (!(err = pg_row(s, r, 0, "D", json)))
			pg_cache_put(s, order, *json, &t);
	} else {
		pg_msg(s, "no order '%s'", order);
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

static enum werr pg_find_package(struct store *st, const char *tracking, char order[EV_ORDER_MAX + 1])
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	order[0] = '\0';
	if ((err = pg_run(s, SQL_FIND_PACKAGE, "unable to find package", &r, "S", tracking)))
		return err;
	if (PQntuples(r) > 0) {
		err = pg_row(s, r, 0, "f", order, (size_t)(EV_ORDER_MAX + 1));
	} else {
		pg_msg(s, "no package '%s'", tracking);
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

/* Reads the rows of r into page (at most limit; one more says there is a
 * next page). */
static enum werr read_page(struct pg_store *s, const PGresult *r, int limit, struct order_page *page)
{
	int rows = PQntuples(r);
	struct order_row *o;
	enum werr err = WERR_OK;

	for (int i = 0; i < rows && !err; i++) {
		if (page->n == (size_t)limit) {
			/* One row more than asked for: there is a next page. */
			o = &page->rows[page->n - 1];
			be_cursor_encode(page->next_cursor, o->updated_at, o->order);
			break;
		}
		o = &page->rows[page->n];
		err = pg_read_order_row(s, r, i, o);
		if (o->json)
			page->n++; /* counted once it owns memory, so the release frees it */
	}
	return err;
}

static enum werr pg_list_orders(struct store *st, const struct order_query *q, struct order_page *page)
{
	struct pg_store *s = pg(st);
	char after_order[EV_ORDER_MAX + 1] = "";
	int64_t after_at = INT64_MIN, since;
	PGresult *r = NULL;
	bool by_status;
	enum werr err;

	memset(page, 0, sizeof(*page));
	if (q->limit < 1 || q->limit > LIST_LIMIT_MAX) {
		pg_msg(s, "invalid limit %d (expected 1 to %d)", q->limit, LIST_LIMIT_MAX);
		return WERR_INVALID;
	}
	by_status = q->status && *q->status;
	if (by_status && ord_status_from_name(q->status) < 0) {
		pg_msg(s, "unknown order status '%s'", q->status);
		return WERR_INVALID;
	}
	if (q->cursor && *q->cursor && !be_cursor_decode(q->cursor, &after_at, after_order)) {
		pg_msg(s, "invalid cursor");
		return WERR_INVALID;
	}
	page->rows = calloc((size_t)q->limit, sizeof(*page->rows));
	if (!page->rows) {
		pg_msg(s, "out of memory listing orders");
		return WERR_NOMEM;
	}
	since = q->updated_since ? q->updated_since : INT64_MIN;
	/* $5 only in the by-status statement */
	err = by_status ? pg_run(s, SQL_LIST_STATUS, "unable to list orders", &r, "iiSiS", since, after_at,
				 after_order, (int64_t)q->limit + 1, q->status)
			: pg_run(s, SQL_LIST_ALL, "unable to list orders", &r, "iiSi", since, after_at, after_order,
				 (int64_t)q->limit + 1);
	if (!err)
		err = read_page(s, r, q->limit, page);
	PQclear(r);
	if (err)
		order_page_release(page);
	return err;
}

static enum werr pg_clear_projections(struct store *st)
{
	static const struct {
		const char *sql, *what;
	} clears[] = {
		{ SQL_CLEAR_PACKAGES, "unable to clear packages" },
		{ SQL_CLEAR_ORDERS, "unable to clear orders" },
		{ SQL_CLEAR_EXCEPTIONS, "unable to clear exceptions" },
		{ SQL_CLEAR_CHECKS, "unable to clear exception checks" },
		{ SQL_CLEAR_LANES, "unable to clear lane rows" },
		{ SQL_CLEAR_RETURNS, "unable to clear returns" },
		{ SQL_CLEAR_PARCELS, "unable to clear parcel owners" },
		{ SQL_CLEAR_CLAIMS, "unable to clear parcel claims" },
		{ SQL_CLEAR_MILESTONES, "unable to clear milestone times" },
	};
	struct pg_store *s = pg(st);
	bool own = false;
	enum werr err;

	err = pg_op_begin(s, true, &own);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(clears) / sizeof(clears[0]) && !err; i++)
		err = pg_run(s, clears[i].sql, clears[i].what, NULL, "");
	/* every order's lookup changes: this node's and the others' caches forget all */
	if (!err)
		err = pg_announce_all(s);
	pg_tx_forget(s); /* the parcel owners it remembered are gone */
	return pg_op_end(s, own, err);
}

/* Every projection table, row by row in a canonical order, one line per row:
 * its kind, then its columns as text, tab-separated (NULL as "", integers
 * in decimal: the text SQLite gives). */
static const struct {
	const char *kind, *sql;
} dumps[] = {
	{ "order", SQL_DUMP_ORDERS },
	{ "package", SQL_DUMP_PACKAGES },
	{ "exception", SQL_DUMP_EXCEPTIONS },
	{ "check", SQL_DUMP_CHECKS },
	{ "lane", SQL_DUMP_LANES },
	{ "return", SQL_DUMP_RETURNS },
	{ "parcel", SQL_DUMP_PARCELS },
	{ "parcel_claim", SQL_DUMP_CLAIMS },
	{ "milestone", SQL_DUMP_MILESTONES },
};

static enum werr dump_rows(const PGresult *r, const char *kind, struct buf *out)
{
	enum werr err = WERR_OK;

	for (int row = 0; row < PQntuples(r) && !err; row++) {
		err = buf_puts(out, kind);
		for (int c = 0; c < PQnfields(r) && !err; c++)
			err = buf_printf(out, "\t%s", PQgetvalue(r, row, c));
		if (!err)
			err = buf_putc(out, '\n');
	}
	return err;
}

static enum werr pg_dump_projections(struct store *st, struct buf *out)
{
	struct pg_store *s = pg(st);
	enum werr err = WERR_OK;
	PGresult *r = NULL;

	for (size_t d = 0; d < sizeof(dumps) / sizeof(dumps[0]) && !err; d++) {
		if ((err = pg_run(s, dumps[d].sql, "unable to dump projections", &r, "")))
			return err;
		if ((err = dump_rows(r, dumps[d].kind, out)))
			pg_msg(s, "unable to dump %s rows: %s", dumps[d].kind, werr_name(err));
		PQclear(r);
	}
	return err;
}

static enum werr pg_order_contact(struct store *st, const char *order, char email[EV_EMAIL_MAX + 1],
				  char postal[EV_POSTAL_MAX + 1])
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	int64_t same = 0;
	enum werr err;

	email[0] = postal[0] = '\0';
	if ((err = pg_run(s, SQL_ORDER_CONTACT, "unable to read order", &r, "S", order)))
		return err;
	if (PQntuples(r) > 0) {
		err = pg_row(s, r, 0, "iff", &same, email, (size_t)(EV_EMAIL_MAX + 1), postal,
			     (size_t)(EV_POSTAL_MAX + 1));
		if (!err && !same)
			err = WERR_NOT_FOUND;
	} else {
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

static enum werr pg_orders_by_email(struct store *st, const char *email, int limit, struct order_row **rows,
				    size_t *n)
{
	return pg_query_rows(pg(st), SQL_BY_EMAIL, "unable to search orders by email", sizeof(**rows),
			     pg_read_order_row, pg_release_order_rows, (void **)rows, n, "si", email,
			     clamp_limit(limit));
}

static enum werr pg_conflict_orders(struct store *st, int limit, struct order_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_CONFLICTS, "unable to list conflicts", sizeof(**rows), pg_read_order_row,
			     pg_release_order_rows, (void **)rows, n, "i", clamp_limit(limit));
}

const struct store_order_ops pg_order_ops = {
	.put_order = pg_put_order,
	.get_order = pg_get_order,
	.find_package = pg_find_package,
	.list_orders = pg_list_orders,
	.clear_projections = pg_clear_projections,
	.dump_projections = pg_dump_projections,
	.order_contact = pg_order_contact,
	.orders_by_email = pg_orders_by_email,
	.conflict_orders = pg_conflict_orders,
};
