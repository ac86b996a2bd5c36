/*
 * backend.h - what every storage backend computes alike, in C (internal to
 * src/store: store_sqlite_<concern>.c and store_pg_<concern>.c include it).
 * Pure: no database, no I/O.  Both backends must give the same answers
 * (one conformance suite), so what needs no SQL is written once, here.
 */
#ifndef WISMO_STORE_BACKEND_H
#define WISMO_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "../base/crypto.h"

/* A raw payload's digest: hex SHA-256 of source, a NUL, and the body (the
 * NUL keeps ("ab", "c") and ("a", "bc") apart); the same in every backend,
 * so a copied database keeps deduplicating. */
void be_raw_digest(const char *source, const void *body, size_t len, char out[SHA256_HEX_LEN + 1]);

/*
 * The order list's cursor: "<updated_at>:<order number in lower-case hex>"
 * of the last row of a page, the position after which the next page starts
 * (hex keeps any byte of an order number out of the separator's way).  A
 * cursor made by one backend is valid with the other.  decode: false for
 * anything encode does not make.
 */
void be_cursor_encode(char out[160], int64_t updated_at, const char *order);
bool be_cursor_decode(const char *cur, int64_t *updated_at, char order[EV_ORDER_MAX + 1]);

/* A new outbox row starts in a state the planner may plan into (core/outbox.h). */
bool be_outbox_plannable(const char *state);
/* Whether o has a package with this tracking number. */
bool be_has_package(const struct order_state *o, const char *tracking);
/* A stored status name, EV_UNKNOWN for one this build does not know. */
enum ev_status be_status_of(const char *name);
/* Appends order to the list (once); WERR_NOMEM. */
enum werr be_add_order(char (**orders)[EV_ORDER_MAX + 1], size_t *n, const char *order);

#endif
