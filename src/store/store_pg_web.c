/*
 * store_pg_web.c - the PostgreSQL backend's KPI operations (store.h, struct
 * store_kpi_ops): the rows behind the KPIs and the agent view, the sync
 * failure counters and the sizes of the dashboard's queues (docs/kpis.md),
 * on the tables and columns of schema/pg_v13.h.  The same statements as
 * store_sqlite_web.c, in PostgreSQL's words.
 *
 * Reads return plain rows; every computation (percentiles, days, rates, the
 * UTC day a failure is counted under) happens in src/core/kpi.c, so that it
 * is tested without a database and the same for every backend: the day
 * names compared and stored here are kpi_day_name()'s, as SQLite's are.
 * The only write is the failure counter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../core/kpi.h"
#include "../base/banned.h"

#define WEB_LIST_MAX 1000

/* The carrier-held package statuses (the quiet queue). */
#define HELD_STATUSES "('in_transit', 'out_for_delivery', 'available_for_pickup', 'delivery_attempted', 'exception')"

/* $5 the UTC day of $4 (kpi_day_name) */
static const char SQL_FAIL_BUMP[] =
	"INSERT INTO sync_failures(day, source, kind, count, last_at) VALUES($5, $1, $2, $3, $4)"
	" ON CONFLICT(day, source, kind) DO UPDATE SET count = sync_failures.count + excluded.count,"
	" last_at = GREATEST(sync_failures.last_at, excluded.last_at)";
/* $1 and $2 the first and last day names */
static const char SQL_FAILURES[] =
	"SELECT day, source, kind, count, last_at FROM sync_failures"
	" WHERE day >= $1 AND day <= $2 ORDER BY day, source, kind";
static const char SQL_KPI_EVENTS[] =
	"SELECT source, coalesce(carrier, ''), status,"
	" CASE WHEN package IS NOT NULL AND package <> '' THEN 1 ELSE 0 END,"
	" occurred_at, received_at, " PG_VISIBLE_AT
	" FROM events WHERE received_at >= $1 AND received_at < $2 ORDER BY seq";
/* the carrier and destination only for a delivered order (the on-time
 * rate by carrier and lane): the others do not need the packages' read */
#define KPI_ORDER_COLS                                                                                       \
	"SELECT order_no, updated_at, coalesce(placed_at, 0), coalesce(shipped_at, 0),"                      \
	" coalesce(delivered_at, 0), coalesce(promised_by, 0), conflicts,"                                   \
	" CASE WHEN delivered_at IS NULL THEN '' ELSE (SELECT CASE WHEN count(DISTINCT carrier) > 1"         \
	"   THEN 'mixed' ELSE coalesce(max(carrier), '') END FROM packages p"                                 \
	"   WHERE p.order_no = orders.order_no AND coalesce(carrier, '') <> '') END,"                        \
	" CASE WHEN delivered_at IS NULL THEN '' ELSE coalesce(json::jsonb #>> '{ship_to,country}', '') END" \
	" FROM orders"
/* SQLite's UNION hands its rows out of a temporary index over the whole
 * row, so in order_no order (one row per order): said here in words. */
static const char SQL_KPI_ORDERS[] =
	KPI_ORDER_COLS " WHERE (updated_at >= $1 AND updated_at < $2)"
	" UNION " KPI_ORDER_COLS " WHERE shipped_at >= $1 AND shipped_at < $2"
	" UNION " KPI_ORDER_COLS " WHERE delivered_at >= $1 AND delivered_at < $2"
	" ORDER BY 1";
static const char SQL_QUIET[] =
	"SELECT order_no, tracking, coalesce(carrier, ''), status, status_at FROM packages"
	" WHERE status IN " HELD_STATUSES " AND status_at IS NOT NULL AND status_at < $1"
	" ORDER BY status_at, tracking LIMIT $2";
/* $2 the first day name of the failures counted */
static const char SQL_COUNTS[] =
	"SELECT (SELECT count(*) FROM orders WHERE conflicts > 0),"
	" (SELECT count(*) FROM unmapped),"
	" (SELECT count(*) FROM rejected),"
	" (SELECT count(*) FROM packages WHERE status IN " HELD_STATUSES
	"   AND status_at IS NOT NULL AND status_at < $1),"
	" (SELECT coalesce(sum(count), 0) FROM sync_failures WHERE day >= $2)";

static int64_t clamp_limit(int limit)
{
	return limit < 1 ? 1 : limit > WEB_LIST_MAX ? WEB_LIST_MAX : limit;
}

static enum werr pg_sync_failure_bump(struct store *st, const char *source, const char *kind, int64_t n,
				      int64_t at)
{
	struct pg_store *s = pg(st);
	char day[11];

	if (!source || !source[0] || !kind || !kind[0] || n < 1) {
		pg_msg(s, "unable to count a failure: source, kind and a positive count are required");
		return WERR_INVALID;
	}
	kpi_day_name(at, day);
	return pg_run(s, SQL_FAIL_BUMP, "unable to count a failure", NULL, "ssiis", source, kind, n, at, day);
}

static enum werr read_failure(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct sync_failure_row *f = out;

	return pg_row(s, r, row, "fffii", PG_FIELD(f->day), PG_FIELD(f->source), PG_FIELD(f->kind), &f->count,
		      &f->last_at);
}

static enum werr pg_sync_failures(struct store *st, int64_t from, int64_t to, struct sync_failure_row **rows,
				  size_t *n)
{
	char first[11], last[11];

	/* the days that overlap [from, to): to's own day only when it is touched */
	kpi_day_name(from, first);
	kpi_day_name(to - 1, last);
	return pg_query_rows(pg(st), SQL_FAILURES, "unable to read failure counts", sizeof(**rows), read_failure,
			     pg_release_plain, (void **)rows, n, "ss", first, last);
}

static enum werr read_kpi_event(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct kpi_event_row *k = out;
	char status[32] = "";
	enum werr err;
	int st;

	err = pg_row(s, r, row, "ffcbiii", PG_FIELD(k->source), PG_FIELD(k->carrier), PG_FIELD(status),
		     &k->has_package, &k->occurred_at, &k->received_at, &k->visible_at);
	st = ev_status_from_name(status);
	k->status = st < 0 ? EV_UNKNOWN : (enum ev_status)st;
	return err;
}

static enum werr pg_kpi_events(struct store *st, int64_t from, int64_t to, struct kpi_event_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_KPI_EVENTS, "unable to read events for KPIs", sizeof(**rows),
			     read_kpi_event, pg_release_plain, (void **)rows, n, "ii", from, to);
}

static enum werr read_kpi_order(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct kpi_order_row *k = out;

	return pg_row(s, r, row, "fiiiiinff", PG_FIELD(k->order), &k->updated_at, &k->placed_at, &k->shipped_at,
		      &k->delivered_at, &k->promised_by, &k->conflicts, PG_FIELD(k->carrier), PG_FIELD(k->dest));
}

static enum werr pg_kpi_orders(struct store *st, int64_t from, int64_t to, struct kpi_order_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_KPI_ORDERS, "unable to read orders for KPIs", sizeof(**rows),
			     read_kpi_order, pg_release_plain, (void **)rows, n, "ii", from, to);
}

static enum werr read_quiet(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct quiet_row *q = out;
	char status[32] = "";
	enum werr err;
	int st;

	err = pg_row(s, r, row, "fffci", PG_FIELD(q->order), PG_FIELD(q->tracking), PG_FIELD(q->carrier),
		     PG_FIELD(status), &q->status_at);
	st = ev_status_from_name(status);
	q->status = st < 0 || st >= PKG__COUNT ? PKG_UNKNOWN : (enum pkg_status)st;
	return err;
}

static enum werr pg_quiet_packages(struct store *st, int64_t before, int limit, struct quiet_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_QUIET, "unable to list quiet packages", sizeof(**rows), read_quiet,
			     pg_release_plain, (void **)rows, n, "ii", before, clamp_limit(limit));
}

static enum werr pg_web_counts(struct store *st, int64_t quiet_before, int64_t failures_since,
			       struct web_counts *out)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;
	char since[11];

	memset(out, 0, sizeof(*out));
	kpi_day_name(failures_since, since);
	if ((err = pg_run(s, SQL_COUNTS, "unable to count the queues", &r, "is", quiet_before, since)))
		return err;
	if (PQntuples(r) == 1) {
		err = pg_row(s, r, 0, "iiiii", &out->conflicts, &out->unmapped, &out->rejected, &out->quiet,
			     &out->failures);
	} else {
		pg_msg(s, "unable to count the queues: no row");
		err = WERR_DB;
	}
	PQclear(r);
	return err;
}

const struct store_kpi_ops pg_kpi_ops = {
	.sync_failure_bump = pg_sync_failure_bump,
	.sync_failures = pg_sync_failures,
	.kpi_events = pg_kpi_events,
	.kpi_orders = pg_kpi_orders,
	.quiet_packages = pg_quiet_packages,
	.web_counts = pg_web_counts,
};
