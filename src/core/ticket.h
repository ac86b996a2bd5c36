/*
 * ticket.h - a customer's help-desk ticket and the order it is about
 * (docs/helpdesk.md).  Pure: no I/O, no clock.
 *
 * ticket_refs() reads the words of a ticket (its order field, tags, subject
 * and first message) for what may name an order: a number after "order",
 * "#", "no." or alone, and anything shaped like a tracking number.  The
 * caller looks each up (an order number, else a parcel's tracking number)
 * and, only when none names one, tries the requester's recent orders -
 * never guessing between several.
 *
 * ticket_cause() says, at the moment the ticket was opened, why the
 * customer may have asked: the order's data was stale, in conflict, held an
 * unmapped code, in an exception the customer was not yet told of, late
 * against the promise - or it was healthy (the customer just asked).  The
 * "link" names what to fix: the carrier, the source, the code.
 */
#ifndef WISMO_TICKET_H
#define WISMO_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exceptions.h"
#include "order.h"

#define TICKET_REFS_MAX 16
#define TICKET_REF_MAX 64

struct ticket_refs {
	size_t n;
	char ref[TICKET_REFS_MAX][TICKET_REF_MAX + 1]; /* in the order found, without repeats */
	bool from_field[TICKET_REFS_MAX];              /* the order field or a tag: trusted first */
};

/* Collects the refs of a ticket: field (the order-number field, may be
 * NULL), tags (NULL-terminated, may be NULL; "order_1001", "order-1001",
 * "1001"), then subject and body (may be NULL). */
void ticket_refs(const char *field, const char *const *tags, const char *subject, const char *body,
		 struct ticket_refs *out);

enum ticket_cause {
	CAUSE_HEALTHY = 0, /* nothing was wrong: the customer just asked */
	CAUSE_STALE,       /* no news for longer than the lane's rhythm (stalled, never handed over) */
	CAUSE_CONFLICT,    /* sources disagreed */
	CAUSE_UNMAPPED,    /* a code no table knew */
	CAUSE_EXCEPTION,   /* an exception the customer was not yet told of */
	CAUSE_LATE,        /* late against the promise */
	CAUSE__COUNT
};

const char *ticket_cause_name(enum ticket_cause c);
int ticket_cause_from_name(const char *name);

/* The cause of a ticket opened at now about o: its open exceptions x[0..nx)
 * (the engine's, with when the customer may hear of each), and nunmapped of
 * its events whose code no table knew (with that code's source in
 * unmapped_source).  First match of: conflict, unmapped, stale, late,
 * exception not yet told, healthy.  link (cap bytes) gets what to fix:
 * "carrier:ups", "source:shopify", "code:scans/xyz", "" for healthy. */
enum ticket_cause ticket_cause(const struct order_state *o, const struct order_exception *x, const int64_t *told_at,
			       size_t nx, size_t nunmapped, const char *unmapped_source, int64_t now, char *link,
			       size_t cap);

#endif
