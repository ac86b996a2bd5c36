/*
 * store_pg_settings.c - the PostgreSQL backend's settings operations (store.h,
 * struct store_setting_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_setting_ops pg_setting_ops = { 0 };
