/*
 * store_sqlite_exceptions.c - the SQLite backend's exceptions and tasks
 * (store.h, struct store_exception_ops; tables of migration 7,
 * schema/v7_exceptions.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "../base/banned.h"

static const char SQL_EXC_DELETE[] = "DELETE FROM order_exceptions WHERE order_no = ?1";
static const char SQL_EXC_INSERT[] =
	"INSERT INTO order_exceptions(order_no, kind, package, since, reason, basis, threshold)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_CHECK_PUT[] =
	"INSERT INTO exception_checks(order_no, next_at) VALUES (?1, ?2)"
	" ON CONFLICT(order_no) DO UPDATE SET next_at = excluded.next_at";
static const char SQL_CHECK_DELETE[] = "DELETE FROM exception_checks WHERE order_no = ?1";
static const char SQL_EXC_LIST_ORDER[] =
	"SELECT order_no, kind, package, since, reason, basis, threshold FROM order_exceptions"
	" WHERE order_no = ?1 ORDER BY kind, package LIMIT ?2";
static const char SQL_EXC_LIST_ALL[] =
	"SELECT order_no, kind, package, since, reason, basis, threshold FROM order_exceptions"
	" ORDER BY since DESC, order_no, kind, package LIMIT ?1";
static const char SQL_EXC_DUE[] =
	"SELECT order_no FROM exception_checks WHERE next_at <= ?1 ORDER BY next_at LIMIT ?2";
/* A lane row is written only when it changed, and the order's rows for
 * parcels it no longer has are deleted: rewriting the same rows dirtied
 * their pages on every refold (docs/performance.md). */
static const char SQL_LANE_PACKAGES[] = "SELECT package FROM package_lanes WHERE order_no = ?1";
static const char SQL_LANE_DELETE[] = "DELETE FROM package_lanes WHERE order_no = ?1 AND package = ?2";
static const char SQL_LANE_INSERT[] =
	"INSERT INTO package_lanes(order_no, package, carrier, service, origin, destination, shipped_at,"
	" delivered_at, max_gap, first_estimate, earliest, likely, latest, level, samples, best)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
	" ON CONFLICT(order_no, package) DO UPDATE SET carrier = ?3, service = ?4, origin = ?5,"
	" destination = ?6, shipped_at = ?7, delivered_at = ?8, max_gap = ?9, first_estimate = ?10,"
	" earliest = ?11, likely = ?12, latest = ?13, level = ?14, samples = ?15, best = ?16"
	" WHERE (carrier, service, origin, destination, shipped_at, delivered_at, max_gap, first_estimate,"
	" earliest, likely, latest, level, samples, best) IS NOT (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	" ?13, ?14, ?15, ?16)";
#define LANE_COLS "carrier, service, origin, destination, shipped_at, delivered_at, max_gap, first_estimate"
static const char SQL_LANE_LIST[] =
	"SELECT order_no, package, " LANE_COLS ", earliest, likely, latest, level, samples, best FROM package_lanes"
	" WHERE order_no = ?1 ORDER BY package";
static const char SQL_LANE_SAMPLES[] =
	"SELECT " LANE_COLS " FROM package_lanes WHERE delivered_at > 0 ORDER BY delivered_at DESC LIMIT ?1";
static const char SQL_TASK_LIVE[] =
	"SELECT id FROM tasks WHERE order_no = ?1 AND kind = ?2 AND package = ?3 AND state != 'resolved'";
static const char SQL_TASK_INSERT[] =
	"INSERT INTO tasks(order_no, kind, package, team, priority, state, reason, since, opened_at, due_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8, ?9)";
#define TASK_COLS                                                                                     \
	"SELECT id, order_no, kind, package, team, priority, state, assignee, reason, since, opened_at," \
	" due_at, acked_at, resolved_at, resolution, note FROM tasks"
static const char SQL_TASK_GET[] = TASK_COLS " WHERE id = ?1";
/* each filter is either NULL (any) or equal; "live" is any state but resolved */
#define TASK_FILTERS                                                                   \
	"(?1 IS NULL OR (?1 = 'live' AND state != 'resolved') OR state = ?1)" \
	" AND (?2 IS NULL OR team = ?2) AND (?3 IS NULL OR kind = ?3)"
static const char SQL_TASK_LIST[] = TASK_COLS " WHERE " TASK_FILTERS " ORDER BY due_at, id LIMIT ?5";
/* one order's: through its index (the engine asks on every change of an
 * order's exceptions; an OR on the order would read every task) */
static const char SQL_TASK_LIST_ORDER[] =
	TASK_COLS " WHERE order_no = ?4 AND " TASK_FILTERS " ORDER BY due_at, id LIMIT ?5";
static const char SQL_TASK_KPIS[] =
	"SELECT kind, team, state != 'resolved', opened_at, coalesce(resolved_at, 0), due_at FROM tasks"
	" WHERE (opened_at >= ?1 AND opened_at < ?2) OR (resolved_at >= ?1 AND resolved_at < ?2)"
	" OR state != 'resolved' ORDER BY id";
static const char SQL_TASK_UPDATE[] =
	"UPDATE tasks SET state = ?2, assignee = ?3, priority = ?4, due_at = ?5, acked_at = ?6,"
	" resolved_at = ?7, resolution = ?8, note = ?9 WHERE id = ?1";

static enum werr sq_exc_put(struct store *st, const char *order, const struct exception_row *rows, size_t n,
			    int64_t next_at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	bool own = false;
	enum werr err = sq_op_begin(s, &own);

	if (err)
		return err;
	if (rows && ((err = sq_stmt(s, SQL_EXC_DELETE, &q)) ||
		     (err = sq_step_write(s, q, sq_bind(q, "S", order), "unable to clear exceptions", NULL))))
		goto out;
	for (size_t i = 0; rows && i < n; i++) {
		const struct exception_row *r = &rows[i];
		if ((err = sq_stmt(s, SQL_EXC_INSERT, &q)) ||
		    (err = sq_step_write(s, q,
					 sq_bind(q, "SSSiSSi", order, r->kind, r->package, r->since, r->reason,
						 r->basis, r->threshold),
					 "unable to store an exception", NULL)))
			goto out;
	}
	if (next_at) {
		if (!(err = sq_stmt(s, SQL_CHECK_PUT, &q)))
			err = sq_step_write(s, q, sq_bind(q, "Si", order, next_at), "unable to store a check", NULL);
	} else if (!(err = sq_stmt(s, SQL_CHECK_DELETE, &q))) {
		err = sq_step_write(s, q, sq_bind(q, "S", order), "unable to clear a check", NULL);
	}
out:
	return sq_op_end(s, own, err);
}

static enum werr read_exc(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct exception_row *r = row;

	return sq_row(s, q, "fffiffi", SQ_FIELD(r->order), SQ_FIELD(r->kind), SQ_FIELD(r->package), &r->since,
		      SQ_FIELD(r->reason), SQ_FIELD(r->basis), &r->threshold);
}

static enum werr sq_exc_list(struct store *st, const char *order, int limit, struct exception_row **rows,
			     size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, order ? SQL_EXC_LIST_ORDER : SQL_EXC_LIST_ALL, &q);
	int rc = err ? 0 : order ? sq_bind(q, "Si", order, (int64_t)limit) : sq_bind(q, "i", (int64_t)limit);

	return sq_query_rows(s, q, err, rc, sizeof(struct exception_row), read_exc, "unable to read exceptions",
			     sq_release_plain, (void **)rows, n);
}

static enum werr read_order_no(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	char *r = row;

	return sq_row(s, q, "f", r, (size_t)EV_ORDER_MAX + 1);
}

static enum werr sq_exc_due(struct store *st, int64_t now, int limit, char (**orders)[EV_ORDER_MAX + 1],
			    size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_EXC_DUE, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", now, (int64_t)limit), EV_ORDER_MAX + 1,
			     read_order_no, "unable to read due checks", sq_release_plain, (void **)orders, n);
}

static enum werr sq_task_open(struct store *st, struct task_row *row, bool *exists)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	bool own = false;
	enum werr err = sq_op_begin(s, &own);
	int rc;

	*exists = false;
	if (err)
		return err;
	if ((err = sq_stmt(s, SQL_TASK_LIVE, &q)))
		goto out;
	rc = sq_step_read(s, q, sq_bind(q, "SSS", row->order, row->kind, row->package), "unable to read tasks",
			  &err);
	if (rc == SQLITE_ROW) {
		row->id = sqlite3_column_int64(q, 0);
		*exists = true;
	}
	sq_done(q);
	if (err || *exists)
		goto out;
	if ((err = sq_stmt(s, SQL_TASK_INSERT, &q)) ||
	    (err = sq_step_write(s, q,
				 sq_bind(q, "SSSSSSiii", row->order, row->kind, row->package, row->team, row->priority,
					 row->reason, row->since, row->opened_at, row->due_at),
				 "unable to open a task", NULL)))
		goto out;
	row->id = sqlite3_last_insert_rowid(s->db);
	snprintf(row->state, sizeof(row->state), "open");
out:
	return sq_op_end(s, own, err);
}

static enum werr read_task(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct task_row *r = row;

	return sq_row(s, q, "iffffffcciiiiifc", &r->id, SQ_FIELD(r->order), SQ_FIELD(r->kind), SQ_FIELD(r->package),
		      SQ_FIELD(r->team), SQ_FIELD(r->priority), SQ_FIELD(r->state), SQ_FIELD(r->assignee),
		      SQ_FIELD(r->reason), &r->since, &r->opened_at, &r->due_at, &r->acked_at, &r->resolved_at,
		      SQ_FIELD(r->resolution), SQ_FIELD(r->note));
}

static enum werr sq_task_list(struct store *st, const struct task_query *tq, struct task_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, tq->order ? SQL_TASK_LIST_ORDER : SQL_TASK_LIST, &q);
	int rc = err ? 0 : sq_bind(q, "ssssi", tq->state, tq->team, tq->kind, tq->order, (int64_t)tq->limit);

	return sq_query_rows(s, q, err, rc, sizeof(struct task_row), read_task, "unable to read tasks",
			     sq_release_plain, (void **)rows, n);
}

static enum werr read_task_kpi(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct task_kpi_row *r = row;

	r->live = sqlite3_column_int(q, 2) != 0;
	return sq_row(s, q, "ff-iii", SQ_FIELD(r->kind), SQ_FIELD(r->team), &r->opened_at, &r->resolved_at,
		      &r->due_at);
}

static enum werr sq_task_kpis(struct store *st, int64_t from, int64_t to, struct task_kpi_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_TASK_KPIS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", from, to), sizeof(struct task_kpi_row),
			     read_task_kpi, "unable to read tasks for KPIs", sq_release_plain, (void **)rows, n);
}

static enum werr sq_task_get(struct store *st, int64_t id, struct task_row *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_TASK_GET, &q);
	int rc;

	if (err)
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "i", id), "unable to read a task", &err);
	if (rc == SQLITE_ROW)
		err = read_task(s, q, out);
	else if (!err)
		err = WERR_NOT_FOUND;
	sq_done(q);
	return err;
}

static enum werr sq_task_update(struct store *st, const struct task_row *r)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	bool changed = false;
	enum werr err = sq_stmt(s, SQL_TASK_UPDATE, &q);

	if (err)
		return err;
	err = sq_step_write(s, q,
			    sq_bind(q, "iSsSiooss", r->id, r->state, r->assignee, r->priority, r->due_at, r->acked_at,
				    r->resolved_at, r->resolution, r->note),
			    "unable to update a task", &changed);
	return err ? err : changed ? WERR_OK : WERR_NOT_FOUND;
}

static enum werr sq_lane_put(struct store *st, const char *order, const struct package_lane_row *rows, size_t n)
{
	struct sqlite_store *s = sq(st);
	char (*have)[EV_PACKAGE_MAX + 1] = NULL;
	size_t nhave = 0;
	sqlite3_stmt *q;
	bool own = false;
	enum werr err = sq_op_begin(s, &own);

	if (err)
		return err;
	err = sq_stmt(s, SQL_LANE_PACKAGES, &q);
	if ((err = sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "S", order), sizeof(*have), sq_read_tracking,
				 "unable to read lane rows", sq_release_plain, (void **)&have, &nhave)))
		goto out;
	for (size_t k = 0; k < nhave && !err; k++) {
		bool keep = false;
		for (size_t i = 0; i < n && !keep; i++)
			keep = !strcmp(rows[i].package, have[k]);
		if (!keep && !(err = sq_stmt(s, SQL_LANE_DELETE, &q)))
			err = sq_step_write(s, q, sq_bind(q, "SS", order, have[k]), "unable to clear a lane row",
					    NULL);
	}
	for (size_t i = 0; i < n && !err; i++) {
		const struct lane_sample *x = &rows[i].sample;
		const struct prediction *p = &rows[i].pred;
		if ((err = sq_stmt(s, SQL_LANE_INSERT, &q)) ||
		    (err = sq_step_write(s, q,
					 sq_bind(q, "SSSSSSiiiiiiiiii", order, rows[i].package, x->lane.carrier,
						 x->lane.service, x->lane.origin, x->lane.destination, x->shipped_at,
						 x->delivered_at, x->max_gap, x->first_estimate, p->earliest,
						 p->likely, p->latest, (int64_t)p->level, (int64_t)p->n, rows[i].best),
					 "unable to store a lane row", NULL)))
			goto out;
	}
out:
	free(have);
	return sq_op_end(s, own, err);
}

static enum werr read_lane_sample(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct lane_sample *x = row;

	return sq_row(s, q, "ffffiiii", SQ_FIELD(x->lane.carrier), SQ_FIELD(x->lane.service), SQ_FIELD(x->lane.origin),
		      SQ_FIELD(x->lane.destination), &x->shipped_at, &x->delivered_at, &x->max_gap,
		      &x->first_estimate);
}

static enum werr read_lane_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct package_lane_row *r = row;
	struct lane_sample *x = &r->sample;
	int64_t level = -1, n = 0;
	enum werr err = sq_row(s, q, "ffffffiiiiiiiiii", SQ_FIELD(r->order), SQ_FIELD(r->package),
			       SQ_FIELD(x->lane.carrier), SQ_FIELD(x->lane.service), SQ_FIELD(x->lane.origin),
			       SQ_FIELD(x->lane.destination), &x->shipped_at, &x->delivered_at, &x->max_gap,
			       &x->first_estimate, &r->pred.earliest, &r->pred.likely, &r->pred.latest, &level, &n, &r->best);
	r->pred.level = (int)level;
	r->pred.n = (size_t)n;
	return err;
}

static enum werr sq_lane_list(struct store *st, const char *order, struct package_lane_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_LANE_LIST, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "S", order), sizeof(**rows), read_lane_row,
			     "unable to read lane rows", sq_release_plain, (void **)rows, n);
}

static enum werr sq_lane_samples(struct store *st, int limit, struct lane_sample **out, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_LANE_SAMPLES, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "i", (int64_t)limit), sizeof(**out),
			     read_lane_sample, "unable to read lane samples", sq_release_plain, (void **)out, n);
}

const struct store_exception_ops sq_exception_ops = {
	.lane_put = sq_lane_put,
	.lane_list = sq_lane_list,
	.lane_samples = sq_lane_samples,
	.exc_put = sq_exc_put,
	.exc_list = sq_exc_list,
	.exc_due = sq_exc_due,
	.task_open = sq_task_open,
	.task_list = sq_task_list,
	.task_get = sq_task_get,
	.task_update = sq_task_update,
	.task_kpis = sq_task_kpis,
};
