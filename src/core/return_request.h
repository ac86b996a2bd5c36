/*
 * return_request.h - a customer's or an agent's request to return goods,
 * checked against the order (docs/returns.md "Self-service").  Pure: the
 * caller passes now and the return id it chose.
 *
 * What can be returned: the items of outbound parcels delivered within the
 * shop's window ([returns] window_days after that parcel's delivery), or,
 * when no parcel lists its items, the order's items once the whole order is
 * delivered within the window; less what the order's returns already hold
 * (a rejected or cancelled return holds nothing).
 *
 * A valid request becomes a return_requested event, and, when the shop's
 * policy approves it by itself (returns_auto_approve), a return_approved
 * event at the same instant; otherwise the return waits for a person (the
 * exception engine's return_approval task).
 */
#ifndef WISMO_RETURN_REQUEST_H
#define WISMO_RETURN_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "order.h"
#include "returns.h"

#define RET_LINES_MAX 64

struct return_request {
	const char *source;           /* "tracking_page", "returns" (the API) */
	const char *id;               /* the new return's id */
	const char *reason;
	size_t nitems;
	const struct event_item *items; /* sku and quantity asked for */
};

/* The returnable lines of o at now into out (at most cap, one per sku,
 * in the order's order); their number. */
size_t returns_returnable(const struct returns_config *c, const struct order_state *o, int64_t now,
			  struct event_item *out, size_t cap);

/* Checks rq against o at now and fills evs (event_init'ed here; release
 * them) with 1 or 2 events.  Returns their number, or 0 with a stable code
 * ("invalid_field", "not_returnable", "window_closed") and a message. */
size_t returns_request_events(const struct returns_config *c, const struct order_state *o,
			      const struct return_request *rq, int64_t now, struct event evs[2], const char **code,
			      char *why, size_t cap);

#endif
