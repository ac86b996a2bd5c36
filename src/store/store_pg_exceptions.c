/*
 * store_pg_exceptions.c - the PostgreSQL backend's exceptions operations (store.h,
 * struct store_exception_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_exception_ops pg_exception_ops = { 0 };
