/*
 * store_sqlite_milestones.c - the SQLite backend's milestone times (store.h,
 * struct store_milestone_ops; table order_milestones, migration 14): one
 * row per milestone an order reached, replaced by the writer's hook
 * (store/milestone_times.h) whenever the order is refolded, so clear +
 * rebuild refills it.
 */
#include <stdlib.h>

#include "sqlite_int.h"
#include "../base/banned.h"

static const char SQL_DEL[] = "DELETE FROM order_milestones WHERE order_no = ?1";
static const char SQL_PUT[] =
	"INSERT INTO order_milestones(order_no, name, channel, reached_at, left_at, current)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/* the two partial indexes: left in the period, and current */
static const char SQL_KPIS[] =
	"SELECT order_no, name, channel, reached_at, left_at, current FROM order_milestones"
	" WHERE left_at > 0 AND left_at >= ?1 AND left_at < ?2"
	" UNION ALL SELECT order_no, name, channel, reached_at, left_at, current FROM order_milestones"
	" WHERE current = 1 AND NOT (left_at > 0 AND left_at >= ?1 AND left_at < ?2)";

static enum werr sq_ms_put(struct store *st, const char *order, const struct kpi_ms_row *rows, size_t n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	bool own = false;
	enum werr err;

	if ((err = sq_op_begin(s, &own)))
		return err;
	if (!(err = sq_stmt(s, SQL_DEL, &q)))
		err = sq_step_write(s, q, sq_bind(q, "S", order), "unable to replace milestone times", NULL);
	for (size_t i = 0; i < n && !err; i++) {
		const struct kpi_ms_row *r = &rows[i];
		if ((err = sq_stmt(s, SQL_PUT, &q)))
			break;
		err = sq_step_write(s, q,
				    sq_bind(q, "SSSiii", order, r->name, r->channel, r->reached_at, r->left_at,
					    (int64_t)r->current),
				    "unable to store a milestone time", NULL);
	}
	return sq_op_end(s, own, err);
}

static enum werr read_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct kpi_ms_row *r = row;
	int64_t current = 0;
	enum werr err = sq_row(s, q, "fffiii", SQ_FIELD(r->order), SQ_FIELD(r->name), SQ_FIELD(r->channel),
			       &r->reached_at, &r->left_at, &current);

	r->current = current != 0;
	return err;
}

static enum werr sq_ms_kpis(struct store *st, int64_t from, int64_t to, struct kpi_ms_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_KPIS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", from, to), sizeof(struct kpi_ms_row), read_row,
			     "unable to read milestone times", sq_release_plain, (void **)rows, n);
}

const struct store_milestone_ops sq_milestone_ops = {
	.ms_put = sq_ms_put,
	.ms_kpis = sq_ms_kpis,
};
