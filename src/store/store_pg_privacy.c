/*
 * store_pg_privacy.c - the PostgreSQL backend's privacy operations (store.h,
 * struct store_privacy_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_privacy_ops pg_privacy_ops = { 0 };
