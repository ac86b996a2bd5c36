/*
 * outbox.h - the states of a planned message and the one check of who may
 * move it where (docs/notifications.md, "Outbox states").  Pure: no I/O.
 *
 * A state is stored and sent on the wire by its name ("review", "pending",
 * ...; OUTBOX_S_* below, which the store's SQL also uses), so the names
 * never change.  outbox_state_from_name() is the one parser; OUTBOX_NEW is
 * the moment before a row exists and has no name a caller can parse.
 *
 *   planner (store_outbox_put)       worker (claim, finish)       person (set_state)
 *
 *      NEW --plan--> review --approve--------------------------------> pending
 *      NEW --plan--> pending                                 review --reject--> cancelled
 *      NEW --suppress--> cancelled          (no SMS consent, reason in last_error)
 *      pending --claim--> sending --ok--> sent
 *                         sending --retry--> pending       (next_at later)
 *                         sending --give up--> dead --retry (person)--> pending
 *                         sending --claim--> sending       (lease over: a dead worker's row)
 *      pending --cancel (worker)--> cancelled              (consent gone, no ticket to solve)
 *
 * Transition table (outbox_moves in outbox.c; each row a case in
 * tests/core/test_outbox.c), with the store operation that performs it:
 *
 *   move       from      to         performed by
 *   plan       NEW       review     store_outbox_put
 *   plan       NEW       pending    store_outbox_put
 *   plan       NEW       cancelled  store_outbox_put (suppressed)
 *   claim      pending   sending    store_outbox_claim
 *   claim      sending   sending    store_outbox_claim (lease over)
 *   finish     sending   sent       store_outbox_finish
 *   finish     sending   pending    store_outbox_finish (retry later)
 *   finish     sending   dead       store_outbox_finish (gave up)
 *   approve    review    pending    store_outbox_set_state
 *   reject     review    cancelled  store_outbox_set_state
 *   retry      dead      pending    store_outbox_set_state
 *   cancel     pending   cancelled  store_outbox_set_state
 *
 * Every other (move, from, to) is illegal and outbox_move_ok() says so.
 * Invariants: sent and cancelled are final (no row leaves them); a row is
 * sending only after a claim; at most one row per key (the store's UNIQUE).
 */
#ifndef WISMO_OUTBOX_H
#define WISMO_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>

/* The stored names; string literals so SQL text can be built from them. */
#define OUTBOX_S_REVIEW    "review"
#define OUTBOX_S_PENDING   "pending"
#define OUTBOX_S_SENDING   "sending"
#define OUTBOX_S_SENT      "sent"
#define OUTBOX_S_DEAD      "dead"
#define OUTBOX_S_CANCELLED "cancelled"

enum outbox_state {
	OUTBOX_NEW = 0, /* not stored yet */
	OUTBOX_REVIEW,
	OUTBOX_PENDING,
	OUTBOX_SENDING,
	OUTBOX_SENT,
	OUTBOX_DEAD,
	OUTBOX_CANCELLED,
	OUTBOX__COUNT
};

enum outbox_move {
	OUTBOX_PLAN,
	OUTBOX_CLAIM,
	OUTBOX_FINISH,
	OUTBOX_APPROVE,
	OUTBOX_REJECT,
	OUTBOX_RETRY,
	OUTBOX_CANCEL,
	OUTBOX__MOVES
};

/* One row of the transition table. */
struct outbox_transition {
	enum outbox_move move;
	enum outbox_state from, to;
};

/* The table, in the order drawn above; *n its length. */
const struct outbox_transition *outbox_transitions(size_t *n);

/* "review" ... "cancelled"; "new" for OUTBOX_NEW; "unknown" out of range. */
const char *outbox_state_name(enum outbox_state s);
/* The state named name, or -1 (also for NULL, "" and "new"). */
int outbox_state_from_name(const char *name);
const char *outbox_move_name(enum outbox_move m);

/* The one transition check: true when the table has (m, from, to). */
bool outbox_move_ok(enum outbox_move m, enum outbox_state from, enum outbox_state to);
/* True when a person or the worker may set a stored row from `from` to `to`
 * (approve, reject, retry or cancel: what store_outbox_set_state does). */
bool outbox_set_ok(enum outbox_state from, enum outbox_state to);
/* True when some move of kind m ends in `to` (from any state). */
bool outbox_move_reaches(enum outbox_move m, enum outbox_state to);
/* True when store_outbox_set_state may be asked for `to` at all (some set
 * move ends there): a request for any other state is invalid, not a
 * conflict. */
bool outbox_set_target(enum outbox_state to);

#endif
