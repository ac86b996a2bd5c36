/*
 * parcels.h - who owns a tracking number (docs/parcels.md).
 *
 * A tracking number belongs to one order at a time.  The first order an
 * event attaches it to owns it; carrier scans that name no order resolve
 * to the owner.  A later event attaching the same number to another order
 * is one of:
 *
 *   take    nobody owns the number yet                  -> the event's order owns it
 *   keep    the owner's own event                       -> the owner's last event time moves on
 *   reuse   the owner's last event for the parcel is    -> the event's order owns it, no
 *           older than [parcels] reuse_after_days           conflict; the old order keeps its history
 *   move    the owning source itself names another      -> the parcel moves, no conflict; the old
 *           order (a corrected fulfillment)                 order's events for it are "moved"
 *   claim   any other source (and every carrier or      -> nothing moves: the event stays on its
 *           aggregator naming another order)                order's timeline, and the claim is a
 *                                                          conflict on both orders plus a
 *                                                          parcel_claimed task
 *
 * parcel_decide() is that table: pure, no I/O, no clock.  The writer runs it
 * for every event it appends, in log order, and keeps its result in the
 * store (parcel owners and claims); a rebuild replays the whole log through
 * it in the same order, so the result is a function of the log.  The fold
 * reads the result as facts (struct parcel_fact) about the order's parcels.
 *
 * Thread-safety: none needed; no globals.
 */
#ifndef WISMO_PARCELS_H
#define WISMO_PARCELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "status.h"

/* [parcels] (docs/config.md). */
struct parcel_config {
	/* A claim by another order takes the number without a conflict when the
	 * owner's last event for the parcel is older than this (carriers reuse
	 * numbers); 0: never.  Default 90 days. */
	int64_t reuse_after_ms;
};

void parcel_config_defaults(struct parcel_config *c);
/* One INI entry of [parcels]: 1 taken, 0 not ours, -1 bad value. */
int parcel_config_set(struct parcel_config *c, const char *section, const char *name, const char *value);

/* The owner of one tracking number, as the store keeps it. */
struct parcel_owner {
	char tracking[EV_PACKAGE_MAX + 1];
	char order[EV_ORDER_MAX + 1];
	char source[EV_SOURCE_MAX + 1]; /* the source whose event attached it: the owning source */
	int64_t last_at;                /* event time of the owner's latest event for the parcel */
	enum ev_status last_status;     /* the status of that event */
};

enum parcel_decision {
	PARCEL_NONE = 0, /* the event names no parcel or no order: nothing to decide */
	PARCEL_TAKE,
	PARCEL_KEEP,
	PARCEL_REUSE,
	PARCEL_MOVE,
	PARCEL_CLAIM,
};

const char *parcel_decision_name(enum parcel_decision d);

/*
 * What an event attaching e->package to e->order does, given the current
 * owner (NULL: none).  carrier_class: the event's source is a carrier or an
 * aggregator (they never move ownership: they resolve through it).  held:
 * the event is dated too far after its receipt (status rule 8) - it may not
 * take a number by reuse.  When out is not NULL it receives the owner after
 * the event (unchanged for none and claim).
 */
enum parcel_decision parcel_decide(const struct parcel_config *cfg, const struct parcel_owner *cur,
				   const struct event *e, bool carrier_class, bool held, struct parcel_owner *out);

/* What the fold of one order must know about one of its parcels that
 * another order also names. */
enum parcel_role {
	PARCEL_CLAIMANT = 0, /* this order claims a number another order owns */
	PARCEL_CLAIMED,      /* this order owns the number; other_order claims it */
	PARCEL_MOVED_AWAY,   /* the owning source moved the number to other_order */
};

struct parcel_fact {
	char tracking[EV_PACKAGE_MAX + 1];
	enum parcel_role role;
	char other_order[EV_ORDER_MAX + 1]; /* claimant: the owner; claimed: the claimant; moved: where to */
	char claim_source[EV_SOURCE_MAX + 1]; /* claims: the claiming source; moved: the owning source */
	enum ev_status claim_status;          /* claims: the claiming event's status */
	int64_t claim_at;                     /* its event time (moved: the moving event's) */
	char claim_key[EV_KEY_MAX + 1];       /* its key */
	char owner_source[EV_SOURCE_MAX + 1]; /* claims: the owning source */
	enum ev_status owner_status;          /* claims: the status of the owner's latest event */
};

const char *parcel_role_name(enum parcel_role r);

/* The first fact of facts[0..n) about tracking with role, or NULL. */
const struct parcel_fact *parcel_fact_find(const struct parcel_fact *facts, size_t n, const char *tracking,
					   enum parcel_role role);

#endif
