/*
 * returns.h - the return lifecycle (docs/returns.md, DESIGN.md section 7):
 * what a set of return events says about each return of an order.
 *
 * A return has an id (the source's, or wismo's for a request made on the
 * tracking page), line items, a reason and one state of:
 *
 *   requested -> approved | rejected -> label_created | pickup_scheduled
 *     -> in_transit -> received -> inspecting -> disposed (restock | refurbish
 *     | scrap | return_to_customer) -> refunded | replaced | store_credit
 *     -> closed;  cancelled
 *
 * Resolution, as for parcels, never by arrival order:
 *   1. each step has owners (source kinds, core/policy.h); an event from
 *      another kind is a claim: kept on the timeline, not applied; a
 *      generic source is applied for every step;
 *   2. the state is the furthest step among the applied events (its rank
 *      in the chain above); between steps of one rank (approved or
 *      rejected, label or pickup, refunded, replaced or store credit) the
 *      latest by event time decides, then the key;
 *   3. rejected is the state only while nothing after approval has
 *      happened (a label or a parcel means the return went ahead);
 *   4. cancelled wins over every step before the parcel was received, at
 *      any time; after a receipt it is kept but changes nothing
 *      (cancel_ignored): the goods are back, someone must decide;
 *   5. the times are the earliest applied event of their steps (requested;
 *      received: received, inspecting or disposed - the goods are back;
 *      resolved: refunded, replaced or store credit; closed); items, reason
 *      and disposition come from the latest applied event that gives them.
 *
 * Pure: no clock, no I/O.  returns_fold() is deterministic in the set of
 * its input (any order, any duplicates by key give the same answer).
 */
#ifndef WISMO_RETURNS_H
#define WISMO_RETURNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "event.h"
#include "policy.h"

#define RET_ID_MAX 64
#define RET_REASON_MAX 64
#define RET_PARCELS_MAX 4

enum ret_step {
	RET_REQUESTED = 0,
	RET_APPROVED,
	RET_REJECTED,
	RET_LABEL_CREATED,
	RET_PICKUP_SCHEDULED,
	RET_IN_TRANSIT,
	RET_RECEIVED,
	RET_INSPECTING,
	RET_DISPOSED,
	RET_REFUNDED,
	RET_REPLACED,
	RET_STORE_CREDIT,
	RET_CLOSED,
	RET_CANCELLED,
	RET__COUNT
};

enum ret_disposition {
	DISP_NONE = 0,
	DISP_RESTOCK,
	DISP_REFURBISH,
	DISP_SCRAP,
	DISP_RETURN_TO_CUSTOMER,
	DISP__COUNT
};

/* One return event, as the order's fold hands it over. */
struct return_event {
	char key[EV_KEY_MAX + 1];
	enum source_kind kind;             /* of its source */
	enum ret_step step;
	int64_t at;                        /* event time */
	char id[RET_ID_MAX + 1];
	char tracking[EV_PACKAGE_MAX + 1]; /* a return parcel, "" if none */
	char reason[RET_REASON_MAX + 1];   /* "" if not given */
	enum ret_disposition disposition;  /* DISP_NONE if not given */
	size_t nitems;
	const struct event_item *items;    /* the returned lines, if given */
	bool has_refund;                   /* a refund amount was given */
	double refund_amount;
	char currency[EV_CURRENCY_MAX + 1];
};

struct return_state {
	char id[RET_ID_MAX + 1];
	enum ret_step state;
	bool cancel_ignored;               /* rule 4: a cancellation after the receipt */
	char reason[RET_REASON_MAX + 1];
	enum ret_disposition disposition;
	int64_t requested_at, received_at, resolved_at, closed_at; /* 0: not yet */
	int64_t moving_at, disposed_at;    /* first applied in_transit, disposed; 0: not yet */
	int64_t updated_at;                /* latest applied event */
	enum ret_step resolution;          /* with resolved_at: the latest of refunded,
	                                      replaced, store_credit */
	bool has_refund;                   /* latest applied amount given, with its currency */
	double refund_amount;
	char currency[EV_CURRENCY_MAX + 1];
	size_t nparcels;
	char parcels[RET_PARCELS_MAX][EV_PACKAGE_MAX + 1]; /* sorted */
	size_t nitems;
	struct event_item *items;          /* owned */
	size_t nclaims;                    /* events kept but not applied (rule 1) */
};

const char *ret_step_name(enum ret_step s);
int ret_step_from_name(const char *name);
const char *ret_disposition_name(enum ret_disposition d);
int ret_disposition_from_name(const char *name);
/* Whether a source of kind owns step (rule 1; generic owns every step). */
bool ret_step_owned_by(enum ret_step step, enum source_kind kind);
/* The step's place in the chain (rule 2): 0 requested .. 7 resolved, 8 closed; cancelled -1. */
int ret_step_rank(enum ret_step s);

/* The shop's returns policy ([returns], docs/config.md): what the tracking
 * page offers and which requests approve themselves. */
#define RET_REASONS_MAX 12
#define RET_INSTRUCTIONS_MAX 512
struct returns_config {
	int window_days;                       /* days after delivery a return may start (30); 0: never */
	size_t nreasons;
	char reasons[RET_REASONS_MAX][RET_REASON_MAX + 1]; /* offered on the page, in this order */
	size_t nauto;
	char auto_reasons[RET_REASONS_MAX][RET_REASON_MAX + 1]; /* approved without a person; "*" every reason */
	bool has_auto_max;
	double auto_max_value;                 /* and only up to this order value (unknown value: a person) */
	char instructions[RET_INSTRUCTIONS_MAX + 1]; /* how to send goods back, for the page and the email */
};

void returns_config_defaults(struct returns_config *c);
/* One INI entry of [returns]: window_days, reasons (comma list),
 * auto_approve (comma list, "*" every reason, "" none), auto_approve_max_value,
 * instructions.  1 taken, 0 not ours, -1 bad value. */
int returns_config_set(struct returns_config *c, const char *section, const char *name, const char *value);
/* Whether the shop offers reason. */
bool returns_reason_offered(const struct returns_config *c, const char *reason);
/* Whether a request for reason on an order of that value (has_value false:
 * unknown) approves itself, or waits for a person (a task). */
bool returns_auto_approve(const struct returns_config *c, const char *reason, bool has_value, double value);

/* The step of a return status (EV_RETURN_REQUESTED + step), -1 for another
 * status; and back. */
int ret_step_of_status(enum ev_status s);
enum ev_status ret_step_status(enum ret_step s);

/* The return step a return parcel's package status stands for (label ->
 * label_created, moving -> in_transit, an exception only once shipped,
 * delivered -> received), -1 for none (a voided label, a parcel sent back
 * to the customer, unknown). */
int ret_step_of_parcel_status(enum ev_status s, bool shipped);

/* The customer's words for one step on a timeline ("Return requested",
 * "Return on its way", "Refund issued", ...). */
const char *ret_step_label(enum ret_step s);

/* The customer's words for a return's state ("Return requested", "Return
 * approved", "Return on its way", "Return received", "Refund issued", ...)
 * and its place among the four steps the page draws (1 requested, 2 on its
 * way, 3 received, 4 refunded; 0 for rejected and cancelled). */
const char *ret_customer_label(const struct return_state *r);
int ret_customer_step(const struct return_state *r);

/* Folds n events into one state per return id, sorted by id (*out: free
 * with returns_free).  Events without an id are ignored. */
enum werr returns_fold(const struct return_event *evs, size_t n, struct return_state **out, size_t *nout);
void returns_free(struct return_state *r, size_t n);

/* The invariants of a folded return (rules 1-5): true when they hold,
 * else false with a reason in why. */
bool returns_check(const struct return_state *r, size_t n, char *why, size_t cap);

#endif
