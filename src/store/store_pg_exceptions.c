/*
 * store_pg_exceptions.c - the PostgreSQL backend's exceptions and tasks
 * (store.h, struct store_exception_ops; tables order_exceptions,
 * exception_checks, package_lanes and tasks of schema/pg_v13.h), statement
 * for statement those of store_sqlite_exceptions.c.
 *
 * Orders: where SQLite's ORDER BY leaves ties, its plan reads them through
 * an index of a WITHOUT ROWID table, i.e. in primary key order; the
 * statements here name those keys so that both backends list alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../base/banned.h"

static const char SQL_EXC_DELETE[] = "DELETE FROM order_exceptions WHERE order_no = $1";
static const char SQL_EXC_INSERT[] =
	"INSERT INTO order_exceptions(order_no, kind, package, since, reason, basis, threshold)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char SQL_CHECK_PUT[] =
	"INSERT INTO exception_checks(order_no, next_at) VALUES ($1, $2)"
	" ON CONFLICT (order_no) DO UPDATE SET next_at = excluded.next_at";
static const char SQL_CHECK_DELETE[] = "DELETE FROM exception_checks WHERE order_no = $1";
static const char SQL_EXC_LIST_ORDER[] =
	"SELECT order_no, kind, package, since, reason, basis, threshold FROM order_exceptions"
	" WHERE order_no = $1 ORDER BY kind, package LIMIT $2";
static const char SQL_EXC_LIST_ALL[] =
	"SELECT order_no, kind, package, since, reason, basis, threshold FROM order_exceptions"
	" ORDER BY since DESC, order_no, kind, package LIMIT $1";
/* ties as SQLite's index (next_at, order_no) gives them */
static const char SQL_EXC_DUE[] =
	"SELECT order_no FROM exception_checks WHERE next_at <= $1 ORDER BY next_at, order_no LIMIT $2";
/* A lane row is written only when it changed, and the order's rows for
 * parcels it no longer has are deleted: rewriting the same rows dirtied
 * their pages on every refold (docs/performance.md). */
static const char SQL_LANE_PACKAGES[] = "SELECT package FROM package_lanes WHERE order_no = $1";
static const char SQL_LANE_DELETE[] = "DELETE FROM package_lanes WHERE order_no = $1 AND package = $2";
#define LANE_VALUES                                                                                           \
	"carrier, service, origin, destination, shipped_at, delivered_at, max_gap, first_estimate, earliest," \
	" likely, latest, level, samples, best"
static const char SQL_LANE_INSERT[] =
	"INSERT INTO package_lanes AS l(order_no, package, " LANE_VALUES ")"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
	" ON CONFLICT (order_no, package) DO UPDATE SET (" LANE_VALUES ") = (excluded.carrier,"
	" excluded.service, excluded.origin, excluded.destination, excluded.shipped_at, excluded.delivered_at,"
	" excluded.max_gap, excluded.first_estimate, excluded.earliest, excluded.likely, excluded.latest,"
	" excluded.level, excluded.samples, excluded.best)"
	" WHERE (l.carrier, l.service, l.origin, l.destination, l.shipped_at, l.delivered_at, l.max_gap,"
	" l.first_estimate, l.earliest, l.likely, l.latest, l.level, l.samples, l.best) IS DISTINCT FROM"
	" (excluded.carrier, excluded.service, excluded.origin, excluded.destination, excluded.shipped_at,"
	" excluded.delivered_at, excluded.max_gap, excluded.first_estimate, excluded.earliest, excluded.likely,"
	" excluded.latest, excluded.level, excluded.samples, excluded.best)";
#define LANE_COLS "carrier, service, origin, destination, shipped_at, delivered_at, max_gap, first_estimate"
static const char SQL_LANE_LIST[] =
	"SELECT order_no, package, " LANE_COLS ", earliest, likely, latest, level, samples, best FROM package_lanes"
	" WHERE order_no = $1 ORDER BY package";
/* ties as SQLite's index (delivered_at, order_no, package) read backwards
 * gives them */
static const char SQL_LANE_SAMPLES[] =
	"SELECT " LANE_COLS " FROM package_lanes WHERE delivered_at > 0"
	" ORDER BY delivered_at DESC, order_no DESC, package DESC LIMIT $1";
static const char SQL_TASK_LIVE[] =
	"SELECT id FROM tasks WHERE order_no = $1 AND kind = $2 AND package = $3 AND state != 'resolved'";
/* The SELECT above comes first, as in SQLite.  A task's id is the highest
 * plus one, read once per write transaction and counted on under the write
 * lock (the identity's sequence is not used, as the log's seq), so that the
 * INSERT needs no answer and goes with the transaction's other tasks
 * (pg_run_later); the ids are SQLite's.  The ON CONFLICT (with the
 * predicate of the partial index tasks_live, which PostgreSQL needs to
 * infer it) only keeps a race from failing the transaction. */
static const char SQL_TASK_INSERT[] =
	"INSERT INTO tasks(id, order_no, kind, package, team, priority, state, reason, since, opened_at, due_at)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
	" ON CONFLICT (order_no, kind, package) WHERE state != 'resolved' DO NOTHING";
#define TASK_COLS                                                                                     \
	"SELECT id, order_no, kind, package, team, priority, state, assignee, reason, since, opened_at," \
	" due_at, acked_at, resolved_at, resolution, note FROM tasks"
static const char SQL_TASK_GET[] = TASK_COLS " WHERE id = $1";
/* each filter is either NULL (any) or equal; "live" is any state but resolved */
#define TASK_FILTERS                                                                                    \
	"($1::text IS NULL OR ($1::text = 'live' AND state != 'resolved') OR state = $1::text)"     \
	" AND ($2::text IS NULL OR team = $2::text) AND ($3::text IS NULL OR kind = $3::text)"
static const char SQL_TASK_LIST[] = TASK_COLS " WHERE " TASK_FILTERS " ORDER BY due_at, id LIMIT $4";
/* one order's: through its index (the engine asks on every change of an
 * order's exceptions; an OR on the order would read every task) */
static const char SQL_TASK_LIST_ORDER[] =
	TASK_COLS " WHERE order_no = $4 AND " TASK_FILTERS " ORDER BY due_at, id LIMIT $5";
static const char SQL_TASK_KPIS[] =
	"SELECT kind, team, (state != 'resolved')::int, opened_at, coalesce(resolved_at, 0), due_at FROM tasks"
	" WHERE (opened_at >= $1 AND opened_at < $2) OR (resolved_at >= $1 AND resolved_at < $2)"
	" OR state != 'resolved' ORDER BY id";
static const char SQL_TASK_UPDATE[] =
	"UPDATE tasks SET state = $2, assignee = $3, priority = $4, due_at = $5, acked_at = $6,"
	" resolved_at = $7, resolution = $8, note = $9 WHERE id = $1";

static enum werr put_exceptions(struct pg_store *s, const char *order, const struct exception_row *rows, size_t n)
{
	enum werr err = WERR_OK;

	/* none stored, as refold_hint learned: nothing to clear */
	if (!pg_tx_none(s, 'x', order))
		err = pg_run(s, SQL_EXC_DELETE, "unable to clear exceptions", NULL, "S", order);
	if (!err && n)
		err = pg_tx_some(s, 'x', order);
	if (!err)
		err = pg_tx_put(s, 'X', order, NULL, 0);

	for (size_t i = 0; i < n && !err; i++) {
		const struct exception_row *r = &rows[i];
		err = pg_run_later(s, SQL_EXC_INSERT, NULL, "unable to store an exception", "SSSiSSi", order, r->kind,
				   r->package, r->since, r->reason, r->basis, r->threshold);
	}
	/* the order's rows are now exactly these: the rest of the write
	 * transaction reads them from its memory ('X', pg_int.h) */
	if (!err && n && (err = pg_tx_put(s, 'X', order, rows, n * sizeof(*rows))))
		pg_msg(s, "out of memory storing exceptions");
	else if (!err && !n && (err = pg_tx_put(s, 'x', order, "N", 1)))
		pg_msg(s, "out of memory storing exceptions");
	return err;
}

static int cmp_exc(const void *a, const void *b)
{
	const struct exception_row *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);

	return c ? c : strcmp(x->package, y->package);
}

/* The order's rows as this write transaction wrote them, in the order
 * SQL_EXC_LIST_ORDER gives; false when it wrote none. */
static bool exc_known(struct pg_store *s, const char *order, int limit, struct exception_row **rows, size_t *n,
		      enum werr *err)
{
	const struct exception_row *known = pg_tx_get(s, 'X', order);
	size_t size = known ? pg_tx_size(s, 'X', order) : 0;

	if (!size)
		return false;
	*n = size / sizeof(**rows);
	if (limit >= 0 && *n > (size_t)limit)
		*n = (size_t)limit;
	if (!(*rows = malloc(size))) {
		*n = 0;
		*err = WERR_NOMEM;
		return true;
	}
	memcpy(*rows, known, size);
	qsort(*rows, size / sizeof(**rows), sizeof(**rows), cmp_exc);
	*err = WERR_OK;
	return true;
}

static enum werr pg_exc_put(struct store *st, const char *order, const struct exception_row *rows, size_t n,
			    int64_t next_at)
{
	struct pg_store *s = pg(st);
	bool own = false;
	enum werr err = pg_op_begin(s, true, &own);

	if (err)
		return err;
	if (rows && (err = put_exceptions(s, order, rows, n)))
		goto out;
	if (next_at && !(err = pg_tx_some(s, 'h', order)))
		err = pg_run_later(s, SQL_CHECK_PUT, order, "unable to store a check", "Si", order, next_at);
	else if (!next_at && !pg_tx_none(s, 'h', order)) /* refold_hint: none to clear */
		err = pg_run(s, SQL_CHECK_DELETE, "unable to clear a check", NULL, "S", order);
out:
	return pg_op_end(s, own, err);
}

static enum werr read_exc(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct exception_row *e = out;

	return pg_row(s, r, row, "fffiffi", PG_FIELD(e->order), PG_FIELD(e->kind), PG_FIELD(e->package), &e->since,
		      PG_FIELD(e->reason), PG_FIELD(e->basis), &e->threshold);
}

static enum werr pg_exc_list(struct store *st, const char *order, int limit, struct exception_row **rows,
			     size_t *n)
{
	struct pg_store *s = pg(st);

	enum werr err;

	*rows = NULL;
	*n = 0;
	if (order && pg_tx_none(s, 'x', order)) /* refold_hint, or written: none */
		return WERR_OK;
	if (order && exc_known(s, order, limit, rows, n, &err))
		return err;
	if (order)
		return pg_query_rows(s, SQL_EXC_LIST_ORDER, "unable to read exceptions", sizeof(**rows), read_exc,
				     pg_release_plain, (void **)rows, n, "Si", order, (int64_t)limit);
	return pg_query_rows(s, SQL_EXC_LIST_ALL, "unable to read exceptions", sizeof(**rows), read_exc,
			     pg_release_plain, (void **)rows, n, "i", (int64_t)limit);
}

static enum werr read_order_no(struct pg_store *s, const PGresult *r, int row, void *out)
{
	return pg_row(s, r, row, "f", (char *)out, (size_t)EV_ORDER_MAX + 1);
}

static enum werr pg_exc_due(struct store *st, int64_t now, int limit, char (**orders)[EV_ORDER_MAX + 1],
			    size_t *n)
{
	return pg_query_rows(pg(st), SQL_EXC_DUE, "unable to read due checks", EV_ORDER_MAX + 1, read_order_no,
			     pg_release_plain, (void **)orders, n, "ii", now, (int64_t)limit);
}

/* The id of the live task of row's (order, kind, package), *found false
 * when there is none. */
static enum werr live_task(struct pg_store *s, struct task_row *row, bool *found)
{
	return pg_query_int(s, SQL_TASK_LIVE, "unable to read tasks", &row->id, found, "SSS", row->order, row->kind,
			    row->package);
}

static enum werr pg_task_open(struct store *st, struct task_row *row, bool *exists)
{
	struct pg_store *s = pg(st);
	int64_t id = 0, next;
	bool own = false;
	enum werr err = pg_op_begin(s, true, &own);

	*exists = false;
	if (err)
		return err;
	/* an order without tasks (refold_hint) has no live one */
	if ((!pg_tx_none(s, 't', row->order) && (err = live_task(s, row, exists))) || *exists)
		goto out;
	if ((err = pg_counted(s, 'T', &id)))
		goto out;
	next = id + 1;
	if ((err = pg_tx_some(s, 't', row->order)) || (err = pg_tx_put(s, 'T', "", &next, sizeof(next))) ||
	    (err = pg_run_later(s, SQL_TASK_INSERT, NULL, "unable to open a task", "iSSSSSSSiii", id, row->order,
				row->kind, row->package, row->team, row->priority, "open", row->reason, row->since,
				row->opened_at, row->due_at)))
		goto out;
	row->id = id;
	snprintf(row->state, sizeof(row->state), "open");
out:
	return pg_op_end(s, own, err);
}

static enum werr read_task(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct task_row *t = out;

	return pg_row(s, r, row, "iffffffcciiiiifc", &t->id, PG_FIELD(t->order), PG_FIELD(t->kind),
		      PG_FIELD(t->package), PG_FIELD(t->team), PG_FIELD(t->priority), PG_FIELD(t->state),
		      PG_FIELD(t->assignee), PG_FIELD(t->reason), &t->since, &t->opened_at, &t->due_at, &t->acked_at,
		      &t->resolved_at, PG_FIELD(t->resolution), PG_FIELD(t->note));
}

/* PostgreSQL must know the type of every parameter it is given: the list
 * of every order's tasks takes no $4 (its limit is $4). */
static enum werr pg_task_list(struct store *st, const struct task_query *tq, struct task_row **rows, size_t *n)
{
	if (tq->order && pg_tx_none(pg(st), 't', tq->order)) { /* refold_hint: none */
		*rows = NULL;
		*n = 0;
		return WERR_OK;
	}
	if (tq->order)
		return pg_query_rows(pg(st), SQL_TASK_LIST_ORDER, "unable to read tasks", sizeof(**rows), read_task,
				     pg_release_plain, (void **)rows, n, "ssssi", tq->state, tq->team, tq->kind,
				     tq->order, (int64_t)tq->limit);
	return pg_query_rows(pg(st), SQL_TASK_LIST, "unable to read tasks", sizeof(**rows), read_task,
			     pg_release_plain, (void **)rows, n, "sssi", tq->state, tq->team, tq->kind,
			     (int64_t)tq->limit);
}

static enum werr read_task_kpi(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct task_kpi_row *k = out;

	return pg_row(s, r, row, "ffbiii", PG_FIELD(k->kind), PG_FIELD(k->team), &k->live, &k->opened_at,
		      &k->resolved_at, &k->due_at);
}

static enum werr pg_task_kpis(struct store *st, int64_t from, int64_t to, struct task_kpi_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_TASK_KPIS, "unable to read tasks for KPIs", sizeof(**rows), read_task_kpi,
			     pg_release_plain, (void **)rows, n, "ii", from, to);
}

static enum werr pg_task_get(struct store *st, int64_t id, struct task_row *out)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err = pg_run(s, SQL_TASK_GET, "unable to read a task", &r, "i", id);

	if (err)
		return err;
	err = PQntuples(r) ? read_task(s, r, 0, out) : WERR_NOT_FOUND;
	PQclear(r);
	return err;
}

static enum werr pg_task_update(struct store *st, const struct task_row *t)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err = pg_run(s, SQL_TASK_UPDATE, "unable to update a task", &r, "iSsSiooss", t->id, t->state,
			       t->assignee, t->priority, t->due_at, t->acked_at, t->resolved_at, t->resolution,
			       t->note);

	if (err)
		return err;
	err = pg_changes(r) ? WERR_OK : WERR_NOT_FOUND;
	PQclear(r);
	return err;
}

/* Deletes the lane rows of order whose parcel is none of rows[0..n). */
static enum werr lane_drop_missing(struct pg_store *s, const char *order, const struct package_lane_row *rows,
				   size_t n)
{
	char (*have)[EV_PACKAGE_MAX + 1] = NULL;
	size_t nhave = 0;
	enum werr err;

	if (pg_tx_none(s, 'l', order)) /* refold_hint: none to drop */
		return n ? pg_tx_some(s, 'l', order) : WERR_OK;
	err = pg_query_rows(s, SQL_LANE_PACKAGES, "unable to read lane rows", sizeof(*have), pg_read_tracking,
			    pg_release_plain, (void **)&have, &nhave, "S", order);

	for (size_t k = 0; k < nhave && !err; k++) {
		bool keep = false;
		for (size_t i = 0; i < n && !keep; i++)
			keep = !strcmp(rows[i].package, have[k]);
		if (!keep)
			err = pg_run(s, SQL_LANE_DELETE, "unable to clear a lane row", NULL, "SS", order, have[k]);
	}
	free(have);
	return err;
}

static enum werr pg_lane_put(struct store *st, const char *order, const struct package_lane_row *rows, size_t n)
{
	struct pg_store *s = pg(st);
	bool own = false;
	enum werr err = pg_op_begin(s, true, &own);

	if (err)
		return err;
	err = lane_drop_missing(s, order, rows, n);
	for (size_t i = 0; i < n && !err; i++) {
		const struct lane_sample *x = &rows[i].sample;
		const struct prediction *p = &rows[i].pred;
		char key[EV_ORDER_MAX + EV_PACKAGE_MAX + 2]; /* the conflict target */
		snprintf(key, sizeof(key), "%s\x1f%s", order, rows[i].package);
		err = pg_run_later(s, SQL_LANE_INSERT, key, "unable to store a lane row", "SSSSSSiiiiiiiiii", order,
				   rows[i].package, x->lane.carrier, x->lane.service, x->lane.origin,
				   x->lane.destination, x->shipped_at, x->delivered_at, x->max_gap, x->first_estimate,
				   p->earliest, p->likely, p->latest, (int64_t)p->level, (int64_t)p->n, rows[i].best);
	}
	return pg_op_end(s, own, err);
}

static enum werr read_lane_sample(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct lane_sample *x = out;

	return pg_row(s, r, row, "ffffiiii", PG_FIELD(x->lane.carrier), PG_FIELD(x->lane.service),
		      PG_FIELD(x->lane.origin), PG_FIELD(x->lane.destination), &x->shipped_at, &x->delivered_at,
		      &x->max_gap, &x->first_estimate);
}

static enum werr read_lane_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct package_lane_row *l = out;
	struct lane_sample *x = &l->sample;
	int64_t level = -1, n = 0;
	enum werr err = pg_row(s, r, row, "ffffffiiiiiiiiii", PG_FIELD(l->order), PG_FIELD(l->package),
			       PG_FIELD(x->lane.carrier), PG_FIELD(x->lane.service), PG_FIELD(x->lane.origin),
			       PG_FIELD(x->lane.destination), &x->shipped_at, &x->delivered_at, &x->max_gap,
			       &x->first_estimate, &l->pred.earliest, &l->pred.likely, &l->pred.latest, &level, &n,
			       &l->best);

	l->pred.level = (int)level;
	l->pred.n = (size_t)n;
	return err;
}

static enum werr pg_lane_list(struct store *st, const char *order, struct package_lane_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_LANE_LIST, "unable to read lane rows", sizeof(**rows), read_lane_row,
			     pg_release_plain, (void **)rows, n, "S", order);
}

static enum werr pg_lane_samples(struct store *st, int limit, struct lane_sample **out, size_t *n)
{
	return pg_query_rows(pg(st), SQL_LANE_SAMPLES, "unable to read lane samples", sizeof(**out),
			     read_lane_sample, pg_release_plain, (void **)out, n, "i", (int64_t)limit);
}

const struct store_exception_ops pg_exception_ops = {
	.lane_put = pg_lane_put,
	.lane_list = pg_lane_list,
	.lane_samples = pg_lane_samples,
	.exc_put = pg_exc_put,
	.exc_list = pg_exc_list,
	.exc_due = pg_exc_due,
	.task_open = pg_task_open,
	.task_list = pg_task_list,
	.task_get = pg_task_get,
	.task_update = pg_task_update,
	.task_kpis = pg_task_kpis,
};
