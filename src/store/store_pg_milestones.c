/*
 * store_pg_milestones.c - the PostgreSQL backend's milestone times (store.h,
 * struct store_milestone_ops; table order_milestones, migration 14,
 * schema/v14_milestones.h): the statements of store_sqlite_milestones.c in
 * PostgreSQL's words.  The writes are piped (pg_int.h): replacing an
 * order's rows waits for no answer.
 */
#include <stdlib.h>

#include "pg_int.h"
#include "../base/banned.h"

static const char SQL_DEL[] = "DELETE FROM order_milestones WHERE order_no = $1";
static const char SQL_PUT[] =
	"INSERT INTO order_milestones(order_no, name, channel, reached_at, left_at, current)"
	" VALUES ($1, $2, $3, $4, $5, $6)";
static const char SQL_KPIS[] =
	"SELECT order_no, name, channel, reached_at, left_at, current FROM order_milestones"
	" WHERE left_at > 0 AND left_at >= $1 AND left_at < $2"
	" UNION ALL SELECT order_no, name, channel, reached_at, left_at, current FROM order_milestones"
	" WHERE current = 1 AND NOT (left_at > 0 AND left_at >= $1 AND left_at < $2)";

static enum werr pg_ms_put(struct store *st, const char *order, const struct kpi_ms_row *rows, size_t n)
{
	struct pg_store *s = pg(st);
	enum werr err;

	if ((err = pg_run(s, SQL_DEL, "unable to replace milestone times", NULL, "S", order)))
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		const struct kpi_ms_row *r = &rows[i];
		err = pg_run(s, SQL_PUT, "unable to store a milestone time", NULL, "SSSiii", order, r->name, r->channel,
			     r->reached_at, r->left_at, (int64_t)r->current);
	}
	return err;
}

static enum werr read_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct kpi_ms_row *x = out;

	return pg_row(s, r, row, "fffiib", PG_FIELD(x->order), PG_FIELD(x->name), PG_FIELD(x->channel),
		      &x->reached_at, &x->left_at, &x->current);
}

static enum werr pg_ms_kpis(struct store *st, int64_t from, int64_t to, struct kpi_ms_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_KPIS, "unable to read milestone times", sizeof(struct kpi_ms_row), read_row,
			     pg_release_plain, (void **)rows, n, "ii", from, to);
}

const struct store_milestone_ops pg_milestone_ops = {
	.ms_put = pg_ms_put,
	.ms_kpis = pg_ms_kpis,
};
