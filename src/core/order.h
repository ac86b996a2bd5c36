/*
 * order.h - the order aggregate and status resolution.
 *
 * An order's state is a pure function of its events: order_fold() takes all
 * events of one order, in any order, and computes the order, its packages,
 * flags, conflicts and the outcome of every event.  The result does not depend
 * on the order of the input array (events are sorted by event time, then
 * precedence, then progress, then key - never by arrival), so rebuilding from
 * the log gives the same state byte for byte.
 *
 * Resolution rules (docs/status.md has the decision tables):
 *  1. Per package, the latest event by event time decides.
 *  2. A terminal package status (delivered, returned_to_sender, cancelled)
 *     holds against non-terminal events up to policy->terminal_hold_ms after
 *     it; a later non-terminal event moves the package on.
 *  3. Attempt then out_for_delivery moves forward; exception then in_transit
 *     resumes in_transit and clears the exception (both follow from rule 1).
 *  4. Order milestones (placed ... ready_to_ship) keep the furthest one
 *     reached; a storefront "cancelled" cancels the order.
 *  5. For each package (and for the order's own milestones) and each
 *     milestone class, only events at the highest trust level present are
 *     applied; the others, every TRUST_NONE event and every summary (an
 *     aggregator's top-level status, ev->summary) are claims.  A claim
 *     that is ahead of the resolved status, or newer than the newest applied
 *     event of its package (or of the order's milestones) and different from
 *     the resolved status, is a conflict.
 *  6. unknown events create the package but never change a status.
 *  7. Roll-up: no live package -> the order milestone; live packages none of
 *     which the carrier has -> ready_to_ship (label_created never shows as
 *     shipped); some shipped -> partially_shipped; all shipped -> shipped, or
 *     out_for_delivery when one is out; some delivered -> partially_delivered;
 *     all delivered (and every ordered item in a package, when packages list
 *     items) -> delivered.
 *  8. An event dated further after its receipt than policy->future_skew_ms
 *     is held: on the timeline, changing nothing.
 *  9. Returns (core/returns.h): a package is a return parcel when any of
 *     its events says so (is_return, a return_id, a return status); it is
 *     resolved like any parcel but never counts in the roll-up, the flags or
 *     the order's delivery - its delivery is the return's receipt.  The
 *     return events, refunds naming a return and the applied events of
 *     return parcels fold into o->returns.
 * 10. Parcel ownership (core/parcels.h, docs/parcels.md): the store knows
 *     which order owns each tracking number; order_fold_parcels() takes what
 *     it knows about this order's parcels as facts.  A parcel this order
 *     claims but another owns, or one its owning source moved to another
 *     order, is not one of this order's packages: its events stay on the
 *     timeline as claims (or "moved").  A claim is a parcel conflict on both
 *     orders.
 * 11. The shop's own milestones (core/milestones.h, docs/milestones.md):
 *     per configured milestone, the events at the highest trust present
 *     (the trust of its owner's class) are applied and the rest are
 *     claims; an event naming a milestone the configuration does not know
 *     is a claim.  They move no built-in status.  The order is in the
 *     furthest milestone reached (by configured position) while its status
 *     has not moved past that milestone's "after"; ms_due is when it has
 *     lasted its expected time.
 * 12. Appointments and proof (docs/appointments.md): appointment words
 *     (offered, scheduled, rescheduled, missed) are applied to their
 *     package like carrier statuses (rule 5's trust) but move no status:
 *     the package keeps the latest as its appointment, and the latest
 *     window any applied event gave.  A delivered package keeps the proof
 *     and installation its delivering event gave.  A "not received"
 *     report is order-level (the order class's trust) and moves nothing:
 *     the order keeps the latest.
 *
 * Memory: an order_state owns its arrays; release it with order_release().
 * Thread-safety: none needed; no globals.
 */
#ifndef WISMO_ORDER_H
#define WISMO_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "event.h"
#include "milestones.h"
#include "policy.h"
#include "returns.h"
#include "status.h"

enum ev_outcome {
	OUT_APPLIED = 0, /* took part in resolution */
	OUT_CLAIM,       /* kept on the timeline, not applied */
	OUT_UNMAPPED,    /* status unknown: recorded, changes nothing */
	OUT_HELD,        /* dated beyond policy->future_skew_ms after receipt: recorded, changes nothing */
	OUT_MOVED,       /* names a parcel its owning source moved to another order (rule 10) */
};

/* True when e is dated further after its receipt than pol allows (held). */
bool event_too_far_ahead(const struct policy *pol, const struct event *e);

const char *ev_outcome_name(enum ev_outcome o);

/* An appointment delivery's latest word (docs/appointments.md). */
struct appointment {
	enum ev_status state;       /* EV_APPOINTMENT_*; EV_UNKNOWN: none */
	int64_t at;                 /* event time of that word */
	int64_t window_start, window_end; /* the window it gives (or the one before, when it gives none) */
	char reason[EV_DETAIL_MAX + 1];   /* missed: why ("recipient_unavailable"), "" none */
	char source[EV_SOURCE_MAX + 1];
};

struct package_state {
	char tracking[EV_PACKAGE_MAX + 1];
	char carrier[EV_CARRIER_MAX + 1];
	enum pkg_status status;
	char detail[EV_DETAIL_MAX + 1];
	bool action_required;
	int64_t status_at;          /* event time of the deciding event, 0 if none */
	char decided_by[EV_KEY_MAX + 1]; /* key of the deciding event, "" if none */
	char decided_source[EV_SOURCE_MAX + 1];
	int64_t shipped_at;         /* first carrier-possession event time, 0 if none */
	int64_t delivered_at;       /* when status is delivered, else 0 */
	int64_t estimated_delivery; /* latest estimate given, 0 if none */
	int64_t estimated_at;       /* event time of the event giving estimated_delivery */
	int64_t first_estimate;     /* earliest-given estimate (event time order), 0 if none */
	char service[EV_SERVICE_MAX + 1]; /* latest service level named, "" if none */
	int64_t label_at;           /* first applied label_created, 0 if none */
	int64_t last_scan_at;       /* latest applied carrier scan (possession or exception after it), 0 if none */
	int64_t max_gap;            /* longest working-time wait between two such scans (policy's calendar), ms */
	struct event_location origin;   /* of the first carrier-possession scan with a country */
	struct event_location location; /* of the latest applied event with a city */
	size_t nitems;
	struct event_item *items;   /* items in this parcel, if a source said */
	bool is_return;             /* a return parcel (rule 9) */
	char return_id[RET_ID_MAX + 1]; /* its return, when is_return */
	struct appointment appt;    /* rule 12: the latest appointment word, state EV_UNKNOWN if none */
	int64_t window_start, window_end; /* the latest delivery window given (appointment or ETA), 0 none */
	bool has_stops;
	int stops_away;             /* the latest "stops before yours", while out for delivery */
	struct event_proof proof;   /* rule 12: the proof the delivering event gave (or the latest
	                               applied event giving one, while not delivered) */
	bool has_installed, installed; /* delivered with installation (the delivering event says) */
};

enum conflict_kind {
	CONFLICT_STATUS = 0, /* rule 5: a claim about a status */
	CONFLICT_PARCEL,     /* rule 10: two orders name one tracking number */
};

struct conflict {
	enum conflict_kind kind;
	char package[EV_PACKAGE_MAX + 1]; /* "" for an order-level conflict */
	enum milestone milestone;         /* status conflicts only */
	char claim_order[EV_ORDER_MAX + 1]; /* parcel conflicts: the order claiming the number, */
	char owner_order[EV_ORDER_MAX + 1]; /* and the order owning it (one of them is this order) */
	char claim_source[EV_SOURCE_MAX + 1];
	enum ev_status claim_status;
	int64_t claim_at;
	char claim_key[EV_KEY_MAX + 1];
	char owner_source[EV_SOURCE_MAX + 1]; /* "" when the owner said nothing */
	enum ev_status owner_status;          /* the resolved status it contradicts (parcel: the owner's
						 latest event's for the parcel) */
};

/* A parcel the owning source moved from this order to another (rule 10). */
struct parcel_move {
	char tracking[EV_PACKAGE_MAX + 1];
	char to_order[EV_ORDER_MAX + 1];
	char source[EV_SOURCE_MAX + 1]; /* the owning source, which moved it */
	int64_t at;                     /* event time of the event that moved it */
};

/* One of the shop's own milestones the order reached (rule 11). */
struct ms_reached {
	char name[MS_NAME_MAX + 1];
	int64_t at;                     /* event time of its first applied event */
	int64_t left_at;                /* when the order moved on: the next milestone reached, or the
	                                   first applied event past its "after"; 0 while in it (or unknown) */
	char source[EV_SOURCE_MAX + 1]; /* who reported that event */
};

struct order_state {
	char order[EV_ORDER_MAX + 1];
	enum ord_status status;
	unsigned flags;                 /* enum ord_flag bits */
	enum ev_status milestone;       /* resolved order-level milestone */
	int64_t placed_at;              /* earliest placed event, else earliest event */
	int64_t promised_by;            /* promised delivery (latest given), 0 if none */
	int64_t promised_ship_by;       /* promised shipping (latest given), 0 if none */
	bool promise_from_policy;       /* a promise above came from [promises], not the store */
	char shipping_method[EV_METHOD_MAX + 1]; /* latest given, "" if none */
	char channel[EV_CHANNEL_MAX + 1]; /* sales channel or product line, latest given, "" if none */
	bool has_value;
	double value;                   /* latest value given (has_value), with its currency */
	char currency[EV_CURRENCY_MAX + 1];
	struct event_location ship_to;  /* latest non-empty destination */
	int64_t refunded_at;            /* latest applied refund, 0 if none */
	int64_t cancel_requested_at;    /* first applied cancellation request, 0 if none */
	int64_t not_received_at;        /* latest applied "not received" report (rule 12), 0 if none */
	char not_received_note[EV_DESC_MAX + 1]; /* the customer's own words with it, "" none */
	char refund[EV_DETAIL_MAX + 1]; /* "full" once any refund says so, else "partial" */
	int64_t last_event_at;          /* latest event time */
	int64_t updated_at;             /* latest received_at over all events */
	struct event_customer customer; /* latest non-empty value of each field */
	size_t nitems;
	struct event_item *items;       /* ordered items */
	size_t npackages;
	struct package_state *packages; /* sorted by tracking number */
	size_t nconflicts;
	struct conflict *conflicts;
	size_t nmoved;
	struct parcel_move *moved;      /* sorted by tracking number; none of them is a package here */
	size_t nreturns;
	struct return_state *returns;   /* sorted by id (rule 9) */
	size_t nms_reached;
	struct ms_reached *ms_reached;  /* the shop's milestones reached, in progress order (rule 11) */
	int ms_current;                 /* index in ms_reached the order is in, -1 none */
	int64_t ms_due;                 /* when the current one has lasted its expected time, 0 none */
	size_t nms_events;              /* events naming a shop milestone (status milestone), configured
	                                   or not, applied or not: none, and the order never reached one */
	size_t nevents;
};

void order_init(struct order_state *o);
void order_release(struct order_state *o);

/*
 * Folds n events (all with the same order number) into *out, which must be
 * initialised; its previous contents are released.  outcomes, if not NULL,
 * receives one entry per input event, indexed like events.  Returns
 * WERR_INVALID if the events name more than one order (out is then empty),
 * else WERR_OK; running out of memory ends the process (base/walloc.h).  In
 * builds with assertions the result is checked with order_check() and a
 * broken invariant aborts: it is a bug in the fold, not in the input.
 */
enum werr order_fold(const struct policy *pol, const struct event *events, size_t n,
		     struct order_state *out, enum ev_outcome *outcomes);

/* order_fold() with what the store knows of the order's parcels (rule 10):
 * nfacts facts (copied from as needed; NULL when nfacts is 0).  Facts about
 * tracking numbers no event names are ignored.  order_fold() is this with
 * none. */
enum werr order_fold_parcels(const struct policy *pol, const struct event *events, size_t n,
			     const struct parcel_fact *facts, size_t nfacts, struct order_state *out,
			     enum ev_outcome *outcomes);

/* The roll-up of rule 7 from the packages and items already in o. */
enum ord_status order_rollup(const struct order_state *o);

/*
 * Checks the invariants of a folded order (status equals the roll-up,
 * package fields agree with their status, conflicts flag set iff there are
 * conflicts, tracking numbers unique and sorted...).  Returns true when they
 * hold; otherwise false with a reason in why (if not NULL).
 */
bool order_check(const struct order_state *o, char *why, size_t whycap);

/* Finds a package by tracking number, or NULL. */
const struct package_state *order_package(const struct order_state *o, const char *tracking);

#endif
