/*
 * store_pg_orders.c - the PostgreSQL backend's orders operations (store.h,
 * struct store_order_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_order_ops pg_order_ops = { 0 };
