/*
 * store_pg_keys.c - the PostgreSQL backend's keys operations (store.h,
 * struct store_key_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_key_ops pg_key_ops = { 0 };
