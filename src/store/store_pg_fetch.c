/*
 * store_pg_fetch.c - the PostgreSQL backend's fetch operations (store.h,
 * struct store_fetch_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_fetch_ops pg_fetch_ops = { 0 };
