/*
 * store_pg_log.c - the PostgreSQL backend's log operations (store.h,
 * struct store_log_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_log_ops pg_log_ops = { 0 };
