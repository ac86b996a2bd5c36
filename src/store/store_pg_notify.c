/*
 * store_pg_notify.c - the PostgreSQL backend's notify operations (store.h,
 * struct store_notify_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_notify_ops pg_notify_ops = { 0 };
