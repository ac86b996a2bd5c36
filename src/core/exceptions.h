/*
 * exceptions.h - what is wrong with an order now, when nothing arrives
 * (DESIGN.md section 7, docs/exceptions.md has the decision tables).
 *
 * exceptions_compute() looks at an order's folded state, the lanes' learned
 * rhythm, the shop's thresholds and `now`, and gives the order's open
 * exceptions and the time of its next check: the earliest instant at which
 * the answer could change without a new event (a threshold that will pass).
 * The caller stores both; a periodic sweep visits only the orders whose
 * next check is due.  Every time here is an event time or follows from
 * one, so the same state and the same `now` give the same answer (a rebuild
 * compares identical).
 *
 * Waits are measured in working time (core/calendar.h, the policy's
 * [calendar]), except a pickup waiting at a counter (calendar days: counters
 * open at weekends) and promises (instants).
 *
 * Pure: no clock, no I/O, no globals.
 */
#ifndef WISMO_EXCEPTIONS_H
#define WISMO_EXCEPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "lanes.h"
#include "order.h"

enum exc_kind {
	EXC_NOT_HANDED_OVER = 0, /* a label, no carrier scan after N working hours */
	EXC_STALLED,             /* with the carrier, no scan for longer than the lane's rhythm */
	EXC_NOT_SHIPPED_BY_PROMISE,
	EXC_LATE_VS_PROMISE,     /* promise passed undelivered, or the estimate is after it */
	EXC_DELIVERY_ATTEMPTED,
	EXC_ADDRESS_ISSUE,
	EXC_PICKUP_NOT_COLLECTED,/* available for pickup for more than N days */
	EXC_DAMAGED,
	EXC_LOST,
	EXC_REFUSED,
	EXC_CUSTOMS_HOLD,
	EXC_CARRIER_EXCEPTION,   /* any other carrier exception detail */
	EXC_CONFLICT_UNRESOLVED, /* a source conflict open for more than N working hours */
	EXC_CANCEL_REQUESTED,    /* the customer asked to cancel; the store has neither cancelled nor refunded */
	/* returns (docs/returns.md): the exception's "package" is the return's id */
	EXC_RETURN_APPROVAL,     /* a return request waits for a person's decision */
	EXC_RETURN_MOVING,       /* a return parcel is on its way: plan the inspection and the refund */
	EXC_RETURN_NOT_INSPECTED,/* received, not inspected after return_inspect_hours */
	EXC_RETURN_NOT_REFUNDED, /* inspected and disposed, no refund after return_refund_hours */
	/* parcels (docs/parcels.md): the exception's "package" is the tracking number */
	EXC_PARCEL_CLAIMED,      /* another order claims a parcel this order owns */
	/* the shop's own milestones (docs/milestones.md): the exception's
	 * "package" is the milestone's name */
	EXC_MILESTONE_OVERDUE,   /* the order stayed in a milestone longer than expected */
	/* appointments and proof (docs/appointments.md) */
	EXC_APPOINTMENT_MISSED,  /* a parcel's delivery appointment was missed: book a new one */
	EXC_NOT_RECEIVED,        /* the customer says a delivered order never reached them */
	EXC__COUNT
};

enum exc_team { TEAM_SUPPORT = 0, TEAM_WAREHOUSE, TEAM_OPERATIONS, TEAM_RETURNS, TEAM__COUNT };
enum exc_priority { PRIO_LOW = 0, PRIO_NORMAL, PRIO_HIGH, PRIO__COUNT };

#define EXC_CLAIMS_MAX 16

/* The shop's thresholds and routing ([exceptions], docs/config.md). */
struct exc_config {
	int64_t not_handed_over_ms;  /* working time after the label (24 h) */
	int64_t stalled_ms;          /* working time without a scan while a lane knows no rhythm (48 h) */
	int64_t stalled_floor_ms;    /* a learned rhythm is never shorter than this (24 h) */
	int64_t pickup_ms;           /* calendar time waiting at a counter (5 days) */
	int64_t conflict_ms;         /* working time a conflict may stay open (24 h) */
	int64_t return_inspect_ms;   /* working time from a return's receipt to its inspection (48 h) */
	int64_t return_refund_ms;    /* working time from a return's disposition to its refund (48 h) */
	bool enabled[EXC__COUNT];
	enum exc_team team[EXC__COUNT];
	enum exc_priority priority[EXC__COUNT];
	/* working time the owning team has to fix an exception quietly before
	 * the customer's rules may fire (stalled, not_handed_over: 24 h; 0) */
	int64_t grace_ms[EXC__COUNT];
	/* [claims]: how long after a delivery a carrier accepts a claim
	 * (calendar days), per carrier, else claim_days (30) */
	struct {
		char carrier[EV_CARRIER_MAX + 1];
		int days;
	} claims[EXC_CLAIMS_MAX];
	int nclaims;
	int claim_days;
	int sweep_seconds;           /* how often the sweep looks for due orders (60) */
	int lanes_refresh_minutes;   /* how often the lanes learn from new deliveries (60) */
};

void exc_config_defaults(struct exc_config *c);
/* One INI entry of [exceptions] or [claims]: 1 taken, 0 not ours, -1 bad value. */
int exc_config_set(struct exc_config *c, const char *section, const char *name, const char *value);

#define EXC_REASON_MAX 255

struct order_exception {
	enum exc_kind kind;
	char package[EV_PACKAGE_MAX + 1]; /* "" for an order-level exception; a return's: its id */
	int64_t since;                    /* when the exception began (the threshold passed) */
	char reason[EXC_REASON_MAX + 1];  /* plain language, for staff */
	char basis[64];                   /* stalled: the rhythm's source ("lane", "carrier", "default") */
	int64_t threshold;                /* the wait that was allowed (ms), 0 when none applies */
};

/*
 * The open exceptions of o at now (at most cap; an order has at most
 * 6 + 3 per package, and what does not fit is left out) into out,
 * their number in *n, in a fixed order (kind, then package).  *next_check
 * gets the earliest instant after now at which a threshold passes (0:
 * none; only a new event can change the answer).  stats holds what the
 * lanes know for each package of o (o->npackages entries, looked up by the
 * caller with exceptions_lane and lanes_lookup); NULL, or an entry with
 * level -1, means no rhythm is learned and the default applies.
 */
void exceptions_compute(const struct order_state *o, const struct calendar *cal, const struct exc_config *cfg,
			const struct lane_stat *stats, int64_t now, struct order_exception *out, size_t cap,
			size_t *n, int64_t *next_check);

/* The earliest time a customer may hear of an exception of kind that
 * opened at since: since plus the kind's grace in working time.  The
 * next check of exceptions_compute() includes it, so the planner looks
 * again when the grace ends. */
int64_t exc_customer_at(const struct exc_config *cfg, const struct calendar *cal, enum exc_kind kind, int64_t since);

/* The last day a carrier takes a claim for a parcel delivered at
 * delivered_at ([claims]; calendar days). */
int64_t exc_claim_until(const struct exc_config *cfg, const char *carrier, int64_t delivered_at);

/* Upper bound of exceptions_compute()'s count for o. */
size_t exceptions_max(const struct order_state *o);

const char *exc_kind_name(enum exc_kind k);
int exc_kind_from_name(const char *name);
const char *exc_team_name(enum exc_team t);
int exc_team_from_name(const char *name);
const char *exc_priority_name(enum exc_priority p);
int exc_priority_from_name(const char *name);

/* The lane of a package of o (its carrier, service, origin and the order's
 * destination). */
void exceptions_lane(const struct order_state *o, const struct package_state *p, struct lane *out);

#endif
