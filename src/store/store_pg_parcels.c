/*
 * store_pg_parcels.c - the PostgreSQL backend's parcels operations (store.h,
 * struct store_parcel_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_parcel_ops pg_parcel_ops = { 0 };
