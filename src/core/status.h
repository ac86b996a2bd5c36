/*
 * status.h - the shared status language (DESIGN.md section 4).
 *
 * Pure: tables and lookups only.  Three vocabularies live here:
 *
 *  - enum ev_status: the status word an event carries.  It is the union of the
 *    order milestones a storefront or warehouse reports (placed ... ready_to_ship)
 *    and the package statuses a carrier reports (label_created ... cancelled).
 *    "cancelled" is an order cancellation on an event without a package and a
 *    voided label / cancelled shipment on an event with one.
 *  - enum pkg_status: the resolved state of one parcel (a subset of ev_status,
 *    same numbers, so a package-level ev_status casts to pkg_status).
 *  - enum ord_status: the resolved state of a whole order, rolled up.
 *
 * The customer projection maps both to five steps (Ordered, Preparing,
 * Shipped, Out for delivery, Delivered) and a short label.
 *
 * Names are the lower-case words of the API; *_from_name returns -1 for a
 * word the language does not have.
 */
#ifndef WISMO_STATUS_H
#define WISMO_STATUS_H

#include <stdbool.h>

enum ev_status {
	EV_UNKNOWN = 0,
	/* package statuses, in rough order of progress */
	EV_LABEL_CREATED,
	EV_IN_TRANSIT,
	EV_OUT_FOR_DELIVERY,
	EV_AVAILABLE_FOR_PICKUP,
	EV_DELIVERY_ATTEMPTED,
	EV_DELIVERED,
	EV_EXCEPTION,
	EV_RETURNED_TO_SENDER,
	EV_CANCELLED,
	/* order milestones (storefront, warehouse) */
	EV_PLACED,
	EV_CONFIRMED,
	EV_PROCESSING,
	EV_PICKED,
	EV_PACKED,
	EV_READY_TO_SHIP,
	/* money back to the customer (storefront); detail "full" or "partial".
	 * Kept on the timeline and in the order's "refund"; it moves no status. */
	EV_REFUNDED,
	/* the customer asked to cancel (the tracking page's "cancel and refund",
	 * or a store passing the request on); kept on the timeline and in the
	 * order's "cancel_requested_at", it moves no status: the store cancels */
	EV_CANCEL_REQUESTED,
	/* the return lifecycle (core/returns.h, docs/returns.md), one status per
	 * step, in the order of enum ret_step: EV_RETURN_REQUESTED + step.  An
	 * event of one names its return ("return_id") or a return parcel
	 * ("package"); it moves no order or parcel status: the order's returns
	 * show it. */
	EV_RETURN_REQUESTED,
	EV_RETURN_APPROVED,
	EV_RETURN_REJECTED,
	EV_RETURN_LABEL_CREATED,
	EV_RETURN_PICKUP_SCHEDULED,
	EV_RETURN_IN_TRANSIT,
	EV_RETURN_RECEIVED,
	EV_RETURN_INSPECTING,
	EV_RETURN_DISPOSED,
	EV_RETURN_REFUNDED,
	EV_RETURN_REPLACED,
	EV_RETURN_STORE_CREDIT,
	EV_RETURN_CLOSED,
	EV_RETURN_CANCELLED,
	/* one of the shop's own milestones (core/milestones.h), named in the
	 * event's "milestone"; order-level, it moves no built-in status */
	EV_MILESTONE,
	/* appointment deliveries (freight, white glove, local fleets;
	 * docs/appointments.md): about a package, they move no package
	 * status; the package keeps the latest as its appointment */
	EV_APPOINTMENT_OFFERED,
	EV_APPOINTMENT_SCHEDULED,
	EV_APPOINTMENT_RESCHEDULED,
	EV_APPOINTMENT_MISSED,
	/* the customer says a delivered order never reached them (the
	 * tracking page's "I haven't received it"); order-level, it moves no
	 * status: a support task follows (docs/appointments.md) */
	EV_NOT_RECEIVED,
	EV__COUNT
};

enum pkg_status {
	PKG_UNKNOWN = EV_UNKNOWN,
	PKG_LABEL_CREATED = EV_LABEL_CREATED,
	PKG_IN_TRANSIT = EV_IN_TRANSIT,
	PKG_OUT_FOR_DELIVERY = EV_OUT_FOR_DELIVERY,
	PKG_AVAILABLE_FOR_PICKUP = EV_AVAILABLE_FOR_PICKUP,
	PKG_DELIVERY_ATTEMPTED = EV_DELIVERY_ATTEMPTED,
	PKG_DELIVERED = EV_DELIVERED,
	PKG_EXCEPTION = EV_EXCEPTION,
	PKG_RETURNED_TO_SENDER = EV_RETURNED_TO_SENDER,
	PKG_CANCELLED = EV_CANCELLED,
	PKG__COUNT
};

enum ord_status {
	ORD_PLACED = 0,
	ORD_CONFIRMED,
	ORD_PROCESSING,
	ORD_PICKED,
	ORD_PACKED,
	ORD_READY_TO_SHIP,
	ORD_PARTIALLY_SHIPPED,
	ORD_SHIPPED,
	ORD_OUT_FOR_DELIVERY,
	ORD_PARTIALLY_DELIVERED,
	ORD_DELIVERED,
	ORD_CANCELLED,
	ORD__COUNT
};

/* Attention flags, orthogonal to progress; a bit set. */
enum ord_flag {
	FLAG_DELAYED = 1 << 0,
	FLAG_ACTION_REQUIRED = 1 << 1,
	FLAG_EXCEPTION = 1 << 2,
	FLAG_CONFLICT = 1 << 3,
};

/* Milestone classes: who owns a status (DESIGN.md section 5). */
enum milestone {
	MS_ORDER,     /* placed, confirmed, order cancelled: storefront */
	MS_WAREHOUSE, /* processing, picked, packed, ready_to_ship: warehouse */
	MS_LABEL,     /* label_created, package cancelled: shipping software or carrier */
	MS_CARRIER,   /* in_transit ... returned_to_sender, exception, unknown */
	MS__COUNT
};

/* Customer-facing steps. */
enum cust_step {
	STEP_ORDERED = 1,
	STEP_PREPARING = 2,
	STEP_SHIPPED = 3,
	STEP_OUT_FOR_DELIVERY = 4,
	STEP_DELIVERED = 5,
};

const char *ev_status_name(enum ev_status s);
int ev_status_from_name(const char *name);
const char *pkg_status_name(enum pkg_status s);
const char *ord_status_name(enum ord_status s);
int ord_status_from_name(const char *name);
const char *milestone_name(enum milestone m);

/* True for statuses that only make sense on a package (label_created and the
 * carrier statuses, but not cancelled or unknown, which fit both). */
bool ev_status_needs_package(enum ev_status s);
/* True for order milestones (placed ... ready_to_ship, refunded). */
bool ev_status_is_order_level(enum ev_status s);
/* True for the return steps (return_requested ... return_cancelled). */
bool ev_status_is_return(enum ev_status s);
/* True for the appointment statuses (appointment_offered ... _missed). */
bool ev_status_is_appointment(enum ev_status s);

/* The milestone class of an event: depends on whether it names a package
 * (for cancelled and unknown). */
enum milestone ev_milestone(enum ev_status s, bool has_package);

/* delivered, returned_to_sender, cancelled. */
bool pkg_status_is_terminal(enum pkg_status s);
/* The carrier has (or had) the parcel: in_transit and everything after it
 * except cancelled and unknown; exception only counts when the caller knows
 * the carrier had it (see order.c). */
bool pkg_status_is_possession(enum pkg_status s);
/* A number that grows along the normal path, used for tie-breaks and to tell a
 * claim that is ahead of the owner: unknown 0, label_created 1, in_transit and
 * exception 2, out_for_delivery / available_for_pickup / attempted 3,
 * delivered, returned_to_sender, cancelled 4. */
int pkg_status_progress(enum pkg_status s);
/* placed 0 ... ready_to_ship 5; cancelled 6. */
int ev_order_progress(enum ev_status s);

/* The default action_required for a status and detail, before any explicit
 * value on the event: available_for_pickup, and exceptions whose detail is
 * address_issue, customs_hold or refused-by-recipient-with-instructions. */
bool pkg_default_action_required(enum pkg_status s, const char *detail);

/* True for exception details that mean "late": delayed, weather_delay,
 * late_vs_promise. */
bool detail_is_delay(const char *detail);

/* Known exception details (DESIGN.md section 4); others are accepted but
 * this lets callers tell.  NULL-terminated. */
extern const char *const status_exception_details[];

/* Customer projection of an order status and flags. */
enum cust_step ord_customer_step(enum ord_status s);
/* A short label for the customer: "Ordered", "Preparing", "Shipped",
 * "Partially shipped", "Out for delivery", "Partially delivered",
 * "Delivered", "Cancelled". */
const char *ord_customer_label(enum ord_status s);
/* The same for one package: "Label created" shows as Preparing, never as
 * Shipped. */
enum cust_step pkg_customer_step(enum pkg_status s);
const char *pkg_customer_label(enum pkg_status s);
const char *cust_step_name(enum cust_step s);

#endif
