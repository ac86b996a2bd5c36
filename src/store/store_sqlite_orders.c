/*
 * store_sqlite_orders.c - the SQLite backend's projection operations
 * (store.h, struct store_order_ops): one row per order and one per package,
 * always recomputable from the log (clear + refold = rebuild), and the
 * lookups the API and the pages make on them.  Tables orders and packages
 * (migrations 1, 3 and 4).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "backend.h"
#include "../core/kpi.h"
#include "../base/crypto.h"
#include "../base/banned.h"

#define LIST_LIMIT_MAX 1000
#define WEB_LIST_MAX 1000

/* The columns of an index that rarely change (email, shipped_at,
 * delivered_at) are set only when they differ: an UPDATE that names a
 * column rewrites its index entry even with the same value, a page written
 * per order and index (docs/performance.md). */
static const char SQL_PUT_ORDER[] =
	"INSERT INTO orders(order_no, status, updated_at, email, postal_code, json,"
	" placed_at, shipped_at, delivered_at, promised_by, conflicts)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(order_no) DO UPDATE SET"
	" status = excluded.status, updated_at = excluded.updated_at,"
	" postal_code = excluded.postal_code, json = excluded.json, placed_at = excluded.placed_at,"
	" promised_by = excluded.promised_by, conflicts = excluded.conflicts";
static const char SQL_PUT_ORDER_EMAIL[] =
	"UPDATE orders SET email = ?2 WHERE order_no = ?1 AND email IS NOT ?2";
static const char SQL_PUT_ORDER_SHIPPED[] =
	"UPDATE orders SET shipped_at = ?2 WHERE order_no = ?1 AND shipped_at IS NOT ?2";
static const char SQL_PUT_ORDER_DELIVERED[] =
	"UPDATE orders SET delivered_at = ?2 WHERE order_no = ?1 AND delivered_at IS NOT ?2";
static const char SQL_ORDER_PACKAGES[] = "SELECT tracking FROM packages WHERE order_no = ?1";
static const char SQL_DEL_PACKAGE[] = "DELETE FROM packages WHERE tracking = ?1 AND order_no = ?2";
/* A tracking number's row belongs to the order owning it (parcel_owners,
 * docs/parcels.md): an order that only keeps the number's history (the
 * carrier reused it for another order) never takes the row from the owner,
 * whichever of the two is written last - a rebuild folds orders in another
 * order than the writer did.  A row is rewritten only when an indexed
 * column changes; updated_at (no index) on its own. */
static const char SQL_PUT_PACKAGE[] =
	"INSERT INTO packages(tracking, order_no, carrier, status, updated_at, status_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(tracking) DO UPDATE SET"
	" order_no = excluded.order_no, carrier = excluded.carrier, status = excluded.status,"
	" updated_at = excluded.updated_at, status_at = excluded.status_at"
	" WHERE NOT EXISTS (SELECT 1 FROM parcel_owners o WHERE o.tracking = excluded.tracking"
	" AND o.order_no <> excluded.order_no)"
	" AND (order_no IS NOT excluded.order_no OR carrier IS NOT excluded.carrier"
	" OR status IS NOT excluded.status OR status_at IS NOT excluded.status_at)";
static const char SQL_PUT_PACKAGE_TIME[] =
	"UPDATE packages SET updated_at = ?3 WHERE tracking = ?1 AND order_no = ?2 AND updated_at IS NOT ?3";
static const char SQL_GET_ORDER[] = "SELECT json FROM orders WHERE order_no = ?1";
/* The owner first (docs/parcels.md), else the package row. */
static const char SQL_FIND_PACKAGE[] =
	"SELECT order_no FROM (SELECT 0 AS r, order_no FROM parcel_owners WHERE tracking = ?1"
	" UNION ALL SELECT 1, order_no FROM packages WHERE tracking = ?1) ORDER BY r LIMIT 1";
/* Keyset pagination on (updated_at, order_no): ?1 updated_since, (?2,
 * ?3) the cursor (exclusive), ?4 the page size plus one. */
static const char SQL_LIST_ALL[] =
	"SELECT order_no, status, updated_at, json FROM orders"
	" WHERE updated_at >= ?1 AND (updated_at, order_no) > (?2, ?3)"
	" ORDER BY updated_at, order_no LIMIT ?4";
static const char SQL_LIST_STATUS[] =
	"SELECT order_no, status, updated_at, json FROM orders"
	" WHERE status = ?5 AND updated_at >= ?1 AND (updated_at, order_no) > (?2, ?3)"
	" ORDER BY updated_at, order_no LIMIT ?4";
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
/* One index probe on order_no and one rowid read whether or not the order
 * exists: an unknown order reads the newest row instead (a decoy), and the
 * first column tells the two apart.  Only columns stored before json are
 * read, so the order's JSON (kilobytes to a megabyte, on overflow pages) is
 * never touched. */
static const char SQL_ORDER_CONTACT[] =
	"SELECT order_no = ?1, email, postal_code FROM orders WHERE id = "
	"coalesce((SELECT id FROM orders WHERE order_no = ?1), (SELECT max(id) FROM orders))";
static const char SQL_BY_EMAIL[] =
	"SELECT order_no, status, updated_at, json FROM orders WHERE email = ?1 COLLATE NOCASE"
	" ORDER BY updated_at DESC, order_no LIMIT ?2";
static const char SQL_CONFLICTS[] =
	"SELECT order_no, status, updated_at, json FROM orders WHERE conflicts > 0"
	" ORDER BY updated_at DESC, order_no LIMIT ?1";

/* "order_no, status, updated_at, json": every list of orders. */
enum werr sq_read_order_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct order_row *r = row;

	return sq_row(s, q, "ffiD", SQ_FIELD(r->order), SQ_FIELD(r->status), &r->updated_at, &r->json);
}

void sq_release_order_rows(void *rows, size_t n)
{
	order_rows_free(rows, n);
}

static int64_t clamp_limit(int limit)
{
	return limit < 1 ? 1 : limit > WEB_LIST_MAX ? WEB_LIST_MAX : limit;
}

/* The order's package rows: each written when it changed, the ones it no
 * longer has deleted. */
static enum werr put_packages(struct sqlite_store *s, const struct order_state *o)
{
	char (*rows)[EV_PACKAGE_MAX + 1] = NULL;
	sqlite3_stmt *q = NULL;
	size_t n = 0;
	enum werr err;

	err = sq_stmt(s, SQL_ORDER_PACKAGES, &q);
	if ((err = sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "S", o->order), sizeof(*rows), sq_read_tracking,
				 "unable to read packages", sq_release_plain, (void **)&rows, &n)))
		return err;
	for (size_t i = 0; i < n && !err; i++)
		if (!be_has_package(o, rows[i]) && !(err = sq_stmt(s, SQL_DEL_PACKAGE, &q)))
			err = sq_step_write(s, q, sq_bind(q, "SS", rows[i], o->order), "unable to replace packages",
					    NULL);
	free(rows);
	for (size_t i = 0; i < o->npackages && !err; i++) {
		const struct package_state *p = &o->packages[i];

		if (!p->tracking[0])
			continue;
		if (!(err = sq_stmt(s, SQL_PUT_PACKAGE, &q)))
			err = sq_step_write(s, q,
					    sq_bind(q, "SSsSio", p->tracking, o->order, p->carrier,
						    pkg_status_name(p->status), o->updated_at, p->status_at),
					    "unable to store package", NULL);
		if (!err && !(err = sq_stmt(s, SQL_PUT_PACKAGE_TIME, &q)))
			err = sq_step_write(s, q, sq_bind(q, "SSi", p->tracking, o->order, o->updated_at),
					    "unable to store package", NULL);
	}
	return err;
}

static enum werr sq_put_order(struct store *st, const struct order_state *o, const char *json)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	bool own = false;
	enum werr err;
	int64_t shipped, delivered;

	if (!o->order[0] || !json) {
		sq_msg(s, "unable to store order: order number and json are required");
		return WERR_INVALID;
	}
	err = sq_op_begin(s, &own);
	if (err)
		return err;
	if ((err = sq_stmt(s, SQL_PUT_ORDER, &q)))
		goto out;
	kpi_order_times(o, &shipped, &delivered); /* columns of schema/v4_web.h */
	err = sq_step_write(s, q,
			    sq_bind(q, "SSissSooooi", o->order, ord_status_name(o->status), o->updated_at,
				    o->customer.email, o->customer.postal_code, json, o->placed_at, shipped, delivered,
				    o->promised_by, (int64_t)o->nconflicts),
			    "unable to store order", NULL);
	if (!err && !(err = sq_stmt(s, SQL_PUT_ORDER_EMAIL, &q)))
		err = sq_step_write(s, q, sq_bind(q, "Ss", o->order, o->customer.email), "unable to store order",
				    NULL);
	if (!err && !(err = sq_stmt(s, SQL_PUT_ORDER_SHIPPED, &q)))
		err = sq_step_write(s, q, sq_bind(q, "So", o->order, shipped), "unable to store order", NULL);
	if (!err && !(err = sq_stmt(s, SQL_PUT_ORDER_DELIVERED, &q)))
		err = sq_step_write(s, q, sq_bind(q, "So", o->order, delivered), "unable to store order", NULL);
	if (!err)
		err = put_packages(s, o);
	if (!err)
		err = sq_put_returns(s, o);
out:
	return sq_op_end(s, own, err);
}

static enum werr sq_get_order(struct store *st, const char *order, char **json)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	*json = NULL;
	if ((err = sq_stmt(s, SQL_GET_ORDER, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", order), "unable to read order", &err);
	if (rc == SQLITE_ROW) {
		err = sq_row(s, q, "D", json);
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no order '%s'", order);
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static enum werr sq_find_package(struct store *st, const char *tracking, char order[EV_ORDER_MAX + 1])
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	order[0] = '\0';
	if ((err = sq_stmt(s, SQL_FIND_PACKAGE, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", tracking), "unable to find package", &err);
	if (rc == SQLITE_ROW) {
		err = sq_row(s, q, "f", order, (size_t)(EV_ORDER_MAX + 1));
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no package '%s'", tracking);
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static enum werr sq_list_orders(struct store *st, const struct order_query *q, struct order_page *page)
{
	struct sqlite_store *s = sq(st);
	char after_order[EV_ORDER_MAX + 1] = "";
	int64_t after_at = INT64_MIN;
	sqlite3_stmt *qs = NULL;
	struct order_row *r;
	bool by_status;
	enum werr err;
	int rc;

	memset(page, 0, sizeof(*page));
	if (q->limit < 1 || q->limit > LIST_LIMIT_MAX) {
		sq_msg(s, "invalid limit %d (expected 1 to %d)", q->limit, LIST_LIMIT_MAX);
		return WERR_INVALID;
	}
	by_status = q->status && *q->status;
	if (by_status && ord_status_from_name(q->status) < 0) {
		sq_msg(s, "unknown order status '%s'", q->status);
		return WERR_INVALID;
	}
	if (q->cursor && *q->cursor && !be_cursor_decode(q->cursor, &after_at, after_order)) {
		sq_msg(s, "invalid cursor");
		return WERR_INVALID;
	}
	page->rows = calloc((size_t)q->limit, sizeof(*page->rows));
	if (!page->rows) {
		sq_msg(s, "out of memory listing orders");
		return WERR_NOMEM;
	}
	err = sq_stmt(s, by_status ? SQL_LIST_STATUS : SQL_LIST_ALL, &qs);
	if (err)
		goto out;
	/* ?5 only in the by-status statement */
	rc = by_status ? sq_bind(qs, "iiSiS", q->updated_since ? q->updated_since : INT64_MIN, after_at, after_order,
				 (int64_t)q->limit + 1, q->status)
		       : sq_bind(qs, "iiSi", q->updated_since ? q->updated_since : INT64_MIN, after_at, after_order,
				 (int64_t)q->limit + 1);
	if (rc != SQLITE_OK) {
		err = sq_fail(s, rc, "unable to list orders");
		goto out;
	}
	while ((rc = sqlite3_step(qs)) == SQLITE_ROW) {
		if (page->n == (size_t)q->limit) {
			/* One row more than asked for: there is a next page. */
			r = &page->rows[page->n - 1];
			be_cursor_encode(page->next_cursor, r->updated_at, r->order);
			rc = SQLITE_DONE;
			break;
		}
		r = &page->rows[page->n];
		err = sq_read_order_row(s, qs, r);
		if (r->json)
			page->n++; /* counted once it owns memory, so the release frees it */
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, "unable to list orders");
out:
	sq_done(qs);
	if (err)
		order_page_release(page);
	return err;
}

static enum werr sq_clear_projections(struct store *st)
{
	struct sqlite_store *s = sq(st);
	bool own = false;
	enum werr err;

	err = sq_op_begin(s, &own);
	if (err)
		return err;
	err = sq_exec(s, SQL_CLEAR_PACKAGES, "unable to clear packages");
	if (!err)
		err = sq_exec(s, SQL_CLEAR_ORDERS, "unable to clear orders");
	if (!err)
		err = sq_exec(s, SQL_CLEAR_EXCEPTIONS, "unable to clear exceptions");
	if (!err)
		err = sq_exec(s, SQL_CLEAR_CHECKS, "unable to clear exception checks");
	if (!err)
		err = sq_exec(s, SQL_CLEAR_LANES, "unable to clear lane rows");
	if (!err)
		err = sq_exec(s, SQL_CLEAR_RETURNS, "unable to clear returns");
	if (!err)
		err = sq_exec(s, SQL_CLEAR_PARCELS, "unable to clear parcel owners");
	if (!err)
		err = sq_exec(s, SQL_CLEAR_CLAIMS, "unable to clear parcel claims");
	if (!err)
		err = sq_exec(s, SQL_CLEAR_MILESTONES, "unable to clear milestone times");
	return sq_op_end(s, own, err);
}

/* Every projection table, row by row in a canonical order, one line per row:
 * its kind, then its columns as text, tab-separated. */
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

static enum werr sq_dump_projections(struct store *st, struct buf *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = WERR_OK;
	int rc;

	for (size_t d = 0; d < sizeof(dumps) / sizeof(dumps[0]) && !err; d++) {
		if ((err = sq_stmt(s, dumps[d].sql, &q)))
			return err;
		while ((rc = sqlite3_step(q)) == SQLITE_ROW && !err) {
			err = buf_puts(out, dumps[d].kind);
			for (int c = 0; c < sqlite3_column_count(q) && !err; c++)
				err = buf_printf(out, "\t%s", sq_col_text(q, c));
			if (!err)
				err = buf_putc(out, '\n');
		}
		if (err)
			sq_msg(s, "unable to dump %s rows: %s", dumps[d].kind, werr_name(err));
		else if (rc != SQLITE_DONE)
			err = sq_fail(s, rc, "unable to dump projections");
		sq_done(q);
	}
	return err;
}

static enum werr sq_order_contact(struct store *st, const char *order, char email[EV_EMAIL_MAX + 1],
				  char postal[EV_POSTAL_MAX + 1])
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_ORDER_CONTACT, &q);
	int64_t same = 0;
	int rc;

	email[0] = postal[0] = '\0';
	if (err)
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", order), "unable to read order", &err);
	if (rc == SQLITE_ROW) {
		err = sq_row(s, q, "iff", &same, email, (size_t)(EV_EMAIL_MAX + 1), postal,
			     (size_t)(EV_POSTAL_MAX + 1));
		if (!err && !same)
			err = WERR_NOT_FOUND;
	} else if (rc == SQLITE_DONE) {
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static enum werr sq_orders_by_email(struct store *st, const char *email, int limit, struct order_row **rows,
				    size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_BY_EMAIL, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "si", email, clamp_limit(limit)), sizeof(**rows),
			     sq_read_order_row, "unable to search orders by email", sq_release_order_rows,
			     (void **)rows, n);
}

static enum werr sq_conflict_orders(struct store *st, int limit, struct order_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_CONFLICTS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "i", clamp_limit(limit)), sizeof(**rows),
			     sq_read_order_row, "unable to list conflicts", sq_release_order_rows, (void **)rows, n);
}

const struct store_order_ops sq_order_ops = {
	.put_order = sq_put_order,
	.get_order = sq_get_order,
	.find_package = sq_find_package,
	.list_orders = sq_list_orders,
	.clear_projections = sq_clear_projections,
	.dump_projections = sq_dump_projections,
	.order_contact = sq_order_contact,
	.orders_by_email = sq_orders_by_email,
	.conflict_orders = sq_conflict_orders,
};
