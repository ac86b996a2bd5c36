/*
 * store_pg_returns.c - the PostgreSQL backend's returns operations (store.h,
 * struct store_return_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

enum werr pg_put_returns(struct pg_store *s, const struct order_state *o)
{
	(void)s;
	(void)o;
	return WERR_UNSUPPORTED;
}

const struct store_return_ops pg_return_ops = { 0 };
