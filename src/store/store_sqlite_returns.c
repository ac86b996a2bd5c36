/*
 * store_sqlite_returns.c - the SQLite backend's returns projection (store.h,
 * struct store_return_ops; table returns, migration 9): one row per return
 * of an order, replaced whenever the order's row is (sq_put_returns, from
 * put_order), so clear + refold rebuilds it.
 */
#include <stdlib.h>

#include "sqlite_int.h"
#include "../base/banned.h"

#define LIMIT_MAX 1000

static const char SQL_DEL[] = "DELETE FROM returns WHERE order_no = ?1";
static const char SQL_PUT[] =
	"INSERT INTO returns(order_no, id, state, reason, disposition, requested_at, received_at, resolved_at,"
	" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
#define COLS "SELECT id, order_no, state, reason, disposition, requested_at, received_at, resolved_at, updated_at" \
	     " FROM returns"
/* each filter is NULL (any) or equal; "live": still to be resolved */
#define LIVE "state NOT IN ('refunded', 'replaced', 'store_credit', 'closed', 'rejected', 'cancelled')"
static const char SQL_LIST[] =
	COLS " WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR (?2 = 'live' AND " LIVE ") OR state = ?2)"
	" AND (?3 IS NULL OR reason = ?3) ORDER BY updated_at DESC, order_no, id LIMIT ?4";
static const char SQL_KPIS[] =
	COLS " WHERE (requested_at >= ?1 AND requested_at < ?2) OR (received_at >= ?1 AND received_at < ?2)"
	" OR (resolved_at >= ?1 AND resolved_at < ?2) OR " LIVE;

enum werr sq_put_returns(struct sqlite_store *s, const struct order_state *o)
{
	sqlite3_stmt *q = NULL;
	enum werr err;

	if ((err = sq_stmt(s, SQL_DEL, &q)) ||
	    (err = sq_step_write(s, q, sq_bind(q, "S", o->order), "unable to replace returns", NULL)))
		return err;
	for (size_t i = 0; i < o->nreturns && !err; i++) {
		const struct return_state *r = &o->returns[i];
		if ((err = sq_stmt(s, SQL_PUT, &q)))
			break;
		err = sq_step_write(s, q,
				    sq_bind(q, "SSSSSiiii", o->order, r->id, ret_step_name(r->state), r->reason,
					    r->disposition != DISP_NONE ? ret_disposition_name(r->disposition) : "",
					    r->requested_at, r->received_at, r->resolved_at, r->updated_at),
				    "unable to store a return", NULL);
	}
	return err;
}

static enum werr read_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct return_row *r = row;

	return sq_row(s, q, "fffffiiii", SQ_FIELD(r->id), SQ_FIELD(r->order), SQ_FIELD(r->state),
		      SQ_FIELD(r->reason), SQ_FIELD(r->disposition), &r->requested_at, &r->received_at,
		      &r->resolved_at, &r->updated_at);
}

static enum werr sq_ret_list(struct store *st, const struct return_query *rq, struct return_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_LIST, &q);
	int64_t limit = rq->limit < 1 ? 1 : rq->limit > LIMIT_MAX ? LIMIT_MAX : rq->limit;
	int rc = err ? 0 : sq_bind(q, "sssi", rq->id, rq->state, rq->reason, limit);

	return sq_query_rows(s, q, err, rc, sizeof(struct return_row), read_row, "unable to read returns",
			     sq_release_plain, (void **)rows, n);
}

static enum werr sq_ret_kpis(struct store *st, int64_t from, int64_t to, struct return_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_KPIS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", from, to), sizeof(struct return_row), read_row,
			     "unable to read returns for KPIs", sq_release_plain, (void **)rows, n);
}

const struct store_return_ops sq_return_ops = {
	.ret_list = sq_ret_list,
	.ret_kpis = sq_ret_kpis,
};
