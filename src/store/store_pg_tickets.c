/*
 * store_pg_tickets.c - the PostgreSQL backend's tickets operations (store.h,
 * struct store_ticket_ops).  SKELETON: to be written.
 */
#include "pg_int.h"
#include "../base/banned.h"

const struct store_ticket_ops pg_ticket_ops = { 0 };
