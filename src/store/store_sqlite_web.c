/*
 * store_sqlite_web.c - the SQLite backend's KPI operations (store.h, struct
 * store_kpi_ops): the rows behind the KPIs and the agent view, the sync
 * failure counters and the sizes of the dashboard's queues (docs/kpis.md),
 * on the tables and columns of migration 4 (schema/v4_web.h).
 *
 * Reads return plain rows; every computation (percentiles, days, rates, the
 * UTC day a failure is counted under) happens in src/core/kpi.c, so that it
 * is tested without a database and the same for every backend.  The only
 * write is the failure counter.
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

/* ?5 the UTC day of ?4 (kpi_day_name) */
static const char SQL_FAIL_BUMP[] =
	"INSERT INTO sync_failures(day, source, kind, count, last_at) VALUES(?5, ?1, ?2, ?3, ?4)"
	" ON CONFLICT(day, source, kind) DO UPDATE SET count = count + excluded.count,"
	" last_at = max(last_at, excluded.last_at)";
/* ?1 and ?2 the first and last day names */
static const char SQL_FAILURES[] =
	"SELECT day, source, kind, count, last_at FROM sync_failures"
	" WHERE day >= ?1 AND day <= ?2 ORDER BY day, source, kind";
static const char SQL_KPI_EVENTS[] =
	"SELECT source, coalesce(carrier, ''), status, package IS NOT NULL AND package <> '',"
	" occurred_at, received_at, coalesce(visible_at, 0)"
	" FROM events WHERE received_at >= ?1 AND received_at < ?2 ORDER BY seq";
/* the carrier and destination only for a delivered order (the on-time
 * rate by carrier and lane): the others do not need the packages' read */
#define KPI_ORDER_COLS                                                                                       \
	"SELECT order_no, updated_at, coalesce(placed_at, 0), coalesce(shipped_at, 0),"                      \
	" coalesce(delivered_at, 0), coalesce(promised_by, 0), conflicts,"                                   \
	" CASE WHEN delivered_at IS NULL THEN '' ELSE (SELECT CASE WHEN count(DISTINCT carrier) > 1"         \
	"   THEN 'mixed' ELSE coalesce(max(carrier), '') END FROM packages p"                                 \
	"   WHERE p.order_no = orders.order_no AND coalesce(carrier, '') <> '') END,"                        \
	" CASE WHEN delivered_at IS NULL THEN '' ELSE coalesce(json_extract(json, '$.ship_to.country'), '') END" \
	" FROM orders"
static const char SQL_KPI_ORDERS[] =
	KPI_ORDER_COLS " WHERE (updated_at >= ?1 AND updated_at < ?2)"
	" UNION " KPI_ORDER_COLS " WHERE shipped_at >= ?1 AND shipped_at < ?2"
	" UNION " KPI_ORDER_COLS " WHERE delivered_at >= ?1 AND delivered_at < ?2";
static const char SQL_QUIET[] =
	"SELECT order_no, tracking, coalesce(carrier, ''), status, status_at FROM packages"
	" WHERE status IN " HELD_STATUSES " AND status_at IS NOT NULL AND status_at < ?1"
	" ORDER BY status_at, tracking LIMIT ?2";
/* ?2 the first day name of the failures counted */
static const char SQL_COUNTS[] =
	"SELECT (SELECT count(*) FROM orders WHERE conflicts > 0),"
	" (SELECT count(*) FROM unmapped),"
	" (SELECT count(*) FROM rejected),"
	" (SELECT count(*) FROM packages WHERE status IN " HELD_STATUSES
	"   AND status_at IS NOT NULL AND status_at < ?1),"
	" (SELECT coalesce(sum(count), 0) FROM sync_failures WHERE day >= ?2)";

static int64_t clamp_limit(int limit)
{
	return limit < 1 ? 1 : limit > WEB_LIST_MAX ? WEB_LIST_MAX : limit;
}

static enum werr sq_sync_failure_bump(struct store *st, const char *source, const char *kind, int64_t n,
				      int64_t at)
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

	return sq_row(s, q, "fffii", SQ_FIELD(r->day), SQ_FIELD(r->source), SQ_FIELD(r->kind), &r->count,
		      &r->last_at);
}

static enum werr sq_sync_failures(struct store *st, int64_t from, int64_t to, struct sync_failure_row **rows,
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
	int status = ev_status_from_name(sq_col_text(q, 2));

	r->status = status < 0 ? EV_UNKNOWN : (enum ev_status)status;
	r->has_package = sqlite3_column_int(q, 3) != 0;
	return sq_row(s, q, "ff--iii", SQ_FIELD(r->source), SQ_FIELD(r->carrier), &r->occurred_at, &r->received_at,
		      &r->visible_at);
}

static enum werr sq_kpi_events(struct store *st, int64_t from, int64_t to, struct kpi_event_row **rows, size_t *n)
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

	return sq_row(s, q, "fiiiiinff", SQ_FIELD(r->order), &r->updated_at, &r->placed_at, &r->shipped_at,
		      &r->delivered_at, &r->promised_by, &r->conflicts, SQ_FIELD(r->carrier), SQ_FIELD(r->dest));
}

static enum werr sq_kpi_orders(struct store *st, int64_t from, int64_t to, struct kpi_order_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_KPI_ORDERS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", from, to), sizeof(**rows), read_kpi_order,
			     "unable to read orders for KPIs", sq_release_plain, (void **)rows, n);
}

static enum werr read_quiet(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct quiet_row *r = row;
	int status = ev_status_from_name(sq_col_text(q, 3));

	r->status = status < 0 || status >= PKG__COUNT ? PKG_UNKNOWN : (enum pkg_status)status;
	return sq_row(s, q, "fff-i", SQ_FIELD(r->order), SQ_FIELD(r->tracking), SQ_FIELD(r->carrier), &r->status_at);
}

static enum werr sq_quiet_packages(struct store *st, int64_t before, int limit, struct quiet_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_QUIET, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", before, clamp_limit(limit)), sizeof(**rows),
			     read_quiet, "unable to list quiet packages", sq_release_plain, (void **)rows, n);
}

static enum werr sq_web_counts(struct store *st, int64_t quiet_before, int64_t failures_since,
			       struct web_counts *out)
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
	rc = sq_step_read(s, q, sq_bind(q, "is", quiet_before, since), "unable to count the queues", &err);
	if (rc == SQLITE_ROW)
		err = sq_row(s, q, "iiiii", &out->conflicts, &out->unmapped, &out->rejected, &out->quiet,
			     &out->failures);
	else if (rc == SQLITE_DONE)
		err = sq_fail(s, SQLITE_ERROR, "unable to count the queues");
	sq_done(q);
	return err;
}

const struct store_kpi_ops sq_kpi_ops = {
	.sync_failure_bump = sq_sync_failure_bump,
	.sync_failures = sq_sync_failures,
	.kpi_events = sq_kpi_events,
	.kpi_orders = sq_kpi_orders,
	.quiet_packages = sq_quiet_packages,
	.web_counts = sq_web_counts,
};
