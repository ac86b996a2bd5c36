/*
 * store_pg_returns.c - the PostgreSQL backend's returns projection (store.h,
 * struct store_return_ops; table returns, schema/pg_v13.h): one row per
 * return of an order, replaced whenever the order's row is (pg_put_returns,
 * from put_order), so clear + refold rebuilds it.  The statements of
 * store_sqlite_returns.c in PostgreSQL's words.
 */
#include <stdlib.h>

#include "pg_int.h"
#include "../base/banned.h"

#define LIMIT_MAX 1000

static const char SQL_DEL[] = "DELETE FROM returns WHERE order_no = $1";
static const char SQL_PUT[] =
	"INSERT INTO returns(order_no, id, state, reason, disposition, requested_at, received_at, resolved_at,"
	" updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
#define COLS "SELECT id, order_no, state, reason, disposition, requested_at, received_at, resolved_at, updated_at" \
	     " FROM returns"
/* each filter is NULL (any) or equal; "live": still to be resolved */
#define LIVE "state NOT IN ('refunded', 'replaced', 'store_credit', 'closed', 'rejected', 'cancelled')"
static const char SQL_LIST[] =
	COLS " WHERE ($1::ctext IS NULL OR id = $1) AND ($2::ctext IS NULL OR ($2 = 'live' AND " LIVE ")"
	" OR state = $2) AND ($3::ctext IS NULL OR reason = $3) ORDER BY updated_at DESC, order_no, id LIMIT $4";
/* No order, as SQLite's: every caller tallies the rows. */
static const char SQL_KPIS[] =
	COLS " WHERE (requested_at >= $1 AND requested_at < $2) OR (received_at >= $1 AND received_at < $2)"
	" OR (resolved_at >= $1 AND resolved_at < $2) OR " LIVE;

enum werr pg_put_returns(struct pg_store *s, const struct order_state *o)
{
	enum werr err = WERR_OK;

	/* none stored, as refold_hint learned: nothing to replace */
	if (!pg_tx_none(s, 'r', o->order) && (err = pg_run(s, SQL_DEL, "unable to replace returns", NULL, "S", o->order)))
		return err;
	if (o->nreturns && (err = pg_tx_some(s, 'r', o->order)))
		return err;
	for (size_t i = 0; i < o->nreturns && !err; i++) {
		const struct return_state *r = &o->returns[i];

		err = pg_run(s, SQL_PUT, "unable to store a return", NULL, "SSSSSiiii", o->order, r->id,
			     ret_step_name(r->state), r->reason,
			     r->disposition != DISP_NONE ? ret_disposition_name(r->disposition) : "", r->requested_at,
			     r->received_at, r->resolved_at, r->updated_at);
	}
	return err;
}

static enum werr read_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct return_row *x = out;

	return pg_row(s, r, row, "fffffiiii", PG_FIELD(x->id), PG_FIELD(x->order), PG_FIELD(x->state),
		      PG_FIELD(x->reason), PG_FIELD(x->disposition), &x->requested_at, &x->received_at,
		      &x->resolved_at, &x->updated_at);
}

static enum werr pg_ret_list(struct store *st, const struct return_query *rq, struct return_row **rows, size_t *n)
{
	int64_t limit = rq->limit < 1 ? 1 : rq->limit > LIMIT_MAX ? LIMIT_MAX : rq->limit;

	return pg_query_rows(pg(st), SQL_LIST, "unable to read returns", sizeof(struct return_row), read_row,
			     pg_release_plain, (void **)rows, n, "sssi", rq->id, rq->state, rq->reason, limit);
}

static enum werr pg_ret_kpis(struct store *st, int64_t from, int64_t to, struct return_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_KPIS, "unable to read returns for KPIs", sizeof(struct return_row), read_row,
			     pg_release_plain, (void **)rows, n, "ii", from, to);
}

const struct store_return_ops pg_return_ops = {
	.ret_list = pg_ret_list,
	.ret_kpis = pg_ret_kpis,
};
