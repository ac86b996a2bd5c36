/*
 * store_sqlite_web.c - the SQLite operations behind the KPIs, the agent
 * view, search and the dashboard's queues (docs/kpis.md), on the tables and
 * columns of migration 4 (schema/v4_web.h, SCHEMA_V4_KPIS).
 *
 * Reads return plain rows; every computation (percentiles, days, rates)
 * happens in src/core/kpi.c so that it is tested without a database and the
 * same for every backend.  The only writes are the writer's visible_at
 * stamp and the failure counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "../core/kpi.h"
#include "../base/banned.h"

#define WEB_LIST_MAX 1000

/* The carrier-held package statuses (the quiet queue). */
#define HELD_STATUSES "('in_transit', 'out_for_delivery', 'available_for_pickup', 'delivery_attempted', 'exception')"

static const char SQL_MARK_VISIBLE[] =
	"UPDATE events SET visible_at = ?2 WHERE seq >= ?1 AND visible_at IS NULL";
static const char SQL_FAIL_BUMP[] =
	"INSERT INTO sync_failures(day, source, kind, count, last_at)"
	" VALUES(?5, ?1, ?2, ?3, ?4)"
	" ON CONFLICT(day, source, kind) DO UPDATE SET count = count + excluded.count,"
	" last_at = max(last_at, excluded.last_at)";
static const char SQL_FAILURES[] =
	"SELECT day, source, kind, count, last_at FROM sync_failures"
	" WHERE day >= ?1 AND day <= ?2"
	" ORDER BY day, source, kind";
static const char SQL_KPI_EVENTS[] =
	"SELECT source, coalesce(carrier, ''), status, package IS NOT NULL AND package <> '',"
	" occurred_at, received_at, coalesce(visible_at, 0)"
	" FROM events WHERE received_at >= ?1 AND received_at < ?2 ORDER BY seq";
static const char SQL_KPI_ORDERS[] =
	"SELECT order_no, updated_at, coalesce(placed_at, 0), coalesce(shipped_at, 0),"
	" coalesce(delivered_at, 0), coalesce(promised_by, 0), conflicts FROM orders"
	" WHERE (updated_at >= ?1 AND updated_at < ?2)"
	" UNION SELECT order_no, updated_at, coalesce(placed_at, 0), coalesce(shipped_at, 0),"
	" coalesce(delivered_at, 0), coalesce(promised_by, 0), conflicts FROM orders"
	" WHERE shipped_at >= ?1 AND shipped_at < ?2"
	" UNION SELECT order_no, updated_at, coalesce(placed_at, 0), coalesce(shipped_at, 0),"
	" coalesce(delivered_at, 0), coalesce(promised_by, 0), conflicts FROM orders"
	" WHERE delivered_at >= ?1 AND delivered_at < ?2";
static const char SQL_BY_EMAIL[] =
	"SELECT order_no, status, updated_at, json FROM orders WHERE email = ?1 COLLATE NOCASE"
	" ORDER BY updated_at DESC, order_no LIMIT ?2";
static const char SQL_CONFLICTS[] =
	"SELECT order_no, status, updated_at, json FROM orders WHERE conflicts > 0"
	" ORDER BY updated_at DESC, order_no LIMIT ?1";
static const char SQL_QUIET[] =
	"SELECT order_no, tracking, coalesce(carrier, ''), status, status_at FROM packages"
	" WHERE status IN " HELD_STATUSES " AND status_at IS NOT NULL AND status_at < ?1"
	" ORDER BY status_at, tracking LIMIT ?2";
static const char SQL_COUNTS[] =
	"SELECT (SELECT count(*) FROM orders WHERE conflicts > 0),"
	" (SELECT count(*) FROM unmapped),"
	" (SELECT count(*) FROM rejected),"
	" (SELECT count(*) FROM packages WHERE status IN " HELD_STATUSES
	"   AND status_at IS NOT NULL AND status_at < ?1),"
	" (SELECT coalesce(sum(count), 0) FROM sync_failures"
	"   WHERE day >= ?2)";
static const char SQL_EVENT_META[] =
	"SELECT key, coalesce(raw_id, 0), coalesce(visible_at, 0) FROM events WHERE order_no = ?1 ORDER BY seq";

void order_rows_free(struct order_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].json);
	free(rows);
}

static void release_order_rows(void *rows, size_t n)
{
	order_rows_free(rows, n);
}

static int64_t clamp_limit(int limit)
{
	return limit < 1 ? 1 : limit > WEB_LIST_MAX ? WEB_LIST_MAX : limit;
}

enum werr sqlite_mark_visible(struct store *st, int64_t first_seq, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_MARK_VISIBLE, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "ii", first_seq, at), "unable to mark events visible", NULL);
}

enum werr sqlite_sync_failure_bump(struct store *st, const char *source, const char *kind, int64_t n, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;
	char day[11];

	if (!source || !source[0] || !kind || !kind[0] || n < 1) {
		sq_msg(s, "unable to count a failure: source, kind and a positive count are required");
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, SQL_FAIL_BUMP, &q)))
		return err;
	kpi_day_name(at, day);
	return sq_step_write(s, q, sq_bind(q, "ssiis", source, kind, n, at, day), "unable to count a failure", NULL);
}

static enum werr read_failure(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct sync_failure_row *r = row;
	enum werr err;

	if ((err = sq_col_field(s, q, 0, r->day, sizeof(r->day))) ||
	    (err = sq_col_field(s, q, 1, r->source, sizeof(r->source))) ||
	    (err = sq_col_field(s, q, 2, r->kind, sizeof(r->kind))))
		return err;
	r->count = sqlite3_column_int64(q, 3);
	r->last_at = sqlite3_column_int64(q, 4);
	return WERR_OK;
}

enum werr sqlite_sync_failures(struct store *st, int64_t from, int64_t to, struct sync_failure_row **rows,
			       size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_FAILURES, &q);
	char first[11], last[11];

	/* the days that overlap [from, to): to's own day only when it is touched */
	kpi_day_name(from, first);
	kpi_day_name(to - 1, last);
	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ss", first, last), sizeof(**rows), read_failure,
			     "unable to read failure counts", sq_release_plain, (void **)rows, n);
}

static enum werr read_kpi_event(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct kpi_event_row *r = row;
	enum werr err;
	int status;

	if ((err = sq_col_field(s, q, 0, r->source, sizeof(r->source))) ||
	    (err = sq_col_field(s, q, 1, r->carrier, sizeof(r->carrier))))
		return err;
	status = ev_status_from_name(sq_col_text(q, 2));
	r->status = status < 0 ? EV_UNKNOWN : (enum ev_status)status;
	r->has_package = sqlite3_column_int(q, 3) != 0;
	r->occurred_at = sqlite3_column_int64(q, 4);
	r->received_at = sqlite3_column_int64(q, 5);
	r->visible_at = sqlite3_column_int64(q, 6);
	return WERR_OK;
}

enum werr sqlite_kpi_events(struct store *st, int64_t from, int64_t to, struct kpi_event_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_KPI_EVENTS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", from, to), sizeof(**rows), read_kpi_event,
			     "unable to read events for KPIs", sq_release_plain, (void **)rows, n);
}

static enum werr read_kpi_order(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct kpi_order_row *r = row;
	enum werr err;

	if ((err = sq_col_field(s, q, 0, r->order, sizeof(r->order))))
		return err;
	r->updated_at = sqlite3_column_int64(q, 1);
	r->placed_at = sqlite3_column_int64(q, 2);
	r->shipped_at = sqlite3_column_int64(q, 3);
	r->delivered_at = sqlite3_column_int64(q, 4);
	r->promised_by = sqlite3_column_int64(q, 5);
	r->conflicts = sqlite3_column_int(q, 6);
	return WERR_OK;
}

enum werr sqlite_kpi_orders(struct store *st, int64_t from, int64_t to, struct kpi_order_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_KPI_ORDERS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", from, to), sizeof(**rows), read_kpi_order,
			     "unable to read orders for KPIs", sq_release_plain, (void **)rows, n);
}

static enum werr read_order_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct order_row *r = row;
	enum werr err;

	if ((err = sq_col_field(s, q, 0, r->order, sizeof(r->order))) ||
	    (err = sq_col_field(s, q, 1, r->status, sizeof(r->status))))
		return err;
	r->updated_at = sqlite3_column_int64(q, 2);
	if (!(r->json = sq_col_strdup(q, 3)))
		return WERR_NOMEM;
	return WERR_OK;
}

enum werr sqlite_orders_by_email(struct store *st, const char *email, int limit, struct order_row **rows,
				 size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_BY_EMAIL, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "si", email, clamp_limit(limit)), sizeof(**rows),
			     read_order_row, "unable to search orders by email", release_order_rows, (void **)rows,
			     n);
}

enum werr sqlite_conflict_orders(struct store *st, int limit, struct order_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_CONFLICTS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "i", clamp_limit(limit)), sizeof(**rows),
			     read_order_row, "unable to list conflicts", release_order_rows, (void **)rows, n);
}

static enum werr read_quiet(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct quiet_row *r = row;
	enum werr err;
	int status;

	if ((err = sq_col_field(s, q, 0, r->order, sizeof(r->order))) ||
	    (err = sq_col_field(s, q, 1, r->tracking, sizeof(r->tracking))) ||
	    (err = sq_col_field(s, q, 2, r->carrier, sizeof(r->carrier))))
		return err;
	status = ev_status_from_name(sq_col_text(q, 3));
	r->status = status < 0 || status >= PKG__COUNT ? PKG_UNKNOWN : (enum pkg_status)status;
	r->status_at = sqlite3_column_int64(q, 4);
	return WERR_OK;
}

enum werr sqlite_quiet_packages(struct store *st, int64_t before, int limit, struct quiet_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_QUIET, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", before, clamp_limit(limit)), sizeof(**rows),
			     read_quiet, "unable to list quiet packages", sq_release_plain, (void **)rows, n);
}

enum werr sqlite_web_counts(struct store *st, int64_t quiet_before, int64_t failures_since, struct web_counts *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_COUNTS, &q);
	char since[11];
	int rc;

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	kpi_day_name(failures_since, since);
	rc = sq_bind(q, "is", quiet_before, since);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->conflicts = sqlite3_column_int64(q, 0);
		out->unmapped = sqlite3_column_int64(q, 1);
		out->rejected = sqlite3_column_int64(q, 2);
		out->quiet = sqlite3_column_int64(q, 3);
		out->failures = sqlite3_column_int64(q, 4);
	} else {
		err = sq_fail(s, rc, "unable to count the queues");
	}
	sq_done(q);
	return err;
}

static enum werr read_meta(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct event_meta *r = row;
	enum werr err;

	if ((err = sq_col_field(s, q, 0, r->key, sizeof(r->key))))
		return err;
	r->raw_id = sqlite3_column_int64(q, 1);
	r->visible_at = sqlite3_column_int64(q, 2);
	return WERR_OK;
}

enum werr sqlite_event_meta(struct store *st, const char *order, struct event_meta **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_EVENT_META, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "s", order), sizeof(**rows), read_meta,
			     "unable to read event metadata", sq_release_plain, (void **)rows, n);
}
