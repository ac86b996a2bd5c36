/*
 * store_pg_sources.c - the PostgreSQL backend's sources operations (store.h,
 * struct store_source_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_source_ops pg_source_ops = { 0 };
