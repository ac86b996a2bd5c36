/*
 * store_pg_web.c - the PostgreSQL backend's web operations (store.h,
 * struct store_kpi_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_kpi_ops pg_kpi_ops = { 0 };
