/*
 * status.c - the shared status language: names, classes, progress and the
 * customer projection (DESIGN.md section 4).  Tables only; see status.h.
 *
 * Every table is indexed by the enum it describes, so adding a status means
 * adding one row to each table below; the static asserts catch a missed row.
 */
#include "status.h"

#include <stddef.h>
#include <string.h>

#include "../base/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ev_names[] = {
	[EV_UNKNOWN] = "unknown",
	[EV_LABEL_CREATED] = "label_created",
	[EV_IN_TRANSIT] = "in_transit",
	[EV_OUT_FOR_DELIVERY] = "out_for_delivery",
	[EV_AVAILABLE_FOR_PICKUP] = "available_for_pickup",
	[EV_DELIVERY_ATTEMPTED] = "delivery_attempted",
	[EV_DELIVERED] = "delivered",
	[EV_EXCEPTION] = "exception",
	[EV_RETURNED_TO_SENDER] = "returned_to_sender",
	[EV_CANCELLED] = "cancelled",
	[EV_PLACED] = "placed",
	[EV_CONFIRMED] = "confirmed",
	[EV_PROCESSING] = "processing",
	[EV_PICKED] = "picked",
	[EV_PACKED] = "packed",
	[EV_READY_TO_SHIP] = "ready_to_ship",
	[EV_REFUNDED] = "refunded",
	[EV_CANCEL_REQUESTED] = "cancel_requested",
	[EV_RETURN_REQUESTED] = "return_requested",
	[EV_RETURN_APPROVED] = "return_approved",
	[EV_RETURN_REJECTED] = "return_rejected",
	[EV_RETURN_LABEL_CREATED] = "return_label_created",
	[EV_RETURN_PICKUP_SCHEDULED] = "return_pickup_scheduled",
	[EV_RETURN_IN_TRANSIT] = "return_in_transit",
	[EV_RETURN_RECEIVED] = "return_received",
	[EV_RETURN_INSPECTING] = "return_inspecting",
	[EV_RETURN_DISPOSED] = "return_disposed",
	[EV_RETURN_REFUNDED] = "return_refunded",
	[EV_RETURN_REPLACED] = "return_replaced",
	[EV_RETURN_STORE_CREDIT] = "return_store_credit",
	[EV_RETURN_CLOSED] = "return_closed",
	[EV_RETURN_CANCELLED] = "return_cancelled",
	[EV_MILESTONE] = "milestone",
	[EV_APPOINTMENT_OFFERED] = "appointment_offered",
	[EV_APPOINTMENT_SCHEDULED] = "appointment_scheduled",
	[EV_APPOINTMENT_RESCHEDULED] = "appointment_rescheduled",
	[EV_APPOINTMENT_MISSED] = "appointment_missed",
	[EV_NOT_RECEIVED] = "not_received",
};
_Static_assert(ARRAY_SIZE(ev_names) == EV__COUNT, "one name per ev_status");

static const char *const ord_names[] = {
	[ORD_PLACED] = "placed",
	[ORD_CONFIRMED] = "confirmed",
	[ORD_PROCESSING] = "processing",
	[ORD_PICKED] = "picked",
	[ORD_PACKED] = "packed",
	[ORD_READY_TO_SHIP] = "ready_to_ship",
	[ORD_PARTIALLY_SHIPPED] = "partially_shipped",
	[ORD_SHIPPED] = "shipped",
	[ORD_OUT_FOR_DELIVERY] = "out_for_delivery",
	[ORD_PARTIALLY_DELIVERED] = "partially_delivered",
	[ORD_DELIVERED] = "delivered",
	[ORD_CANCELLED] = "cancelled",
};
_Static_assert(ARRAY_SIZE(ord_names) == ORD__COUNT, "one name per ord_status");

static const char *const ms_names[] = {
	[MS_ORDER] = "order",
	[MS_WAREHOUSE] = "warehouse",
	[MS_LABEL] = "label",
	[MS_CARRIER] = "carrier",
};
_Static_assert(ARRAY_SIZE(ms_names) == MS__COUNT, "one name per milestone");

const char *const status_exception_details[] = {
	"address_issue", "damaged", "lost", "delayed", "weather_delay", "customs_hold",
	"refused", "recipient_unavailable", "held_by_carrier",
	/* raised by wismo itself */
	"stalled", "not_handed_over", "late_vs_promise",
	NULL,
};

const char *ev_status_name(enum ev_status s)
{
	if ((unsigned)s >= EV__COUNT)
		return "unknown";
	return ev_names[s];
}

int ev_status_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(ev_names); i++)
		if (!strcmp(ev_names[i], name))
			return (int)i;
	return -1;
}

const char *pkg_status_name(enum pkg_status s)
{
	if ((unsigned)s >= PKG__COUNT)
		return "unknown";
	return ev_names[s];
}

const char *ord_status_name(enum ord_status s)
{
	if ((unsigned)s >= ORD__COUNT)
		return "placed";
	return ord_names[s];
}

int ord_status_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(ord_names); i++)
		if (!strcmp(ord_names[i], name))
			return (int)i;
	return -1;
}

const char *milestone_name(enum milestone m)
{
	if ((unsigned)m >= MS__COUNT)
		return "carrier";
	return ms_names[m];
}

bool ev_status_needs_package(enum ev_status s)
{
	return (s >= EV_LABEL_CREATED && s <= EV_RETURNED_TO_SENDER) || ev_status_is_appointment(s);
}

bool ev_status_is_appointment(enum ev_status s)
{
	return s >= EV_APPOINTMENT_OFFERED && s <= EV_APPOINTMENT_MISSED;
}

bool ev_status_is_order_level(enum ev_status s)
{
	return s >= EV_PLACED && s <= EV_CANCEL_REQUESTED;
}

bool ev_status_is_return(enum ev_status s)
{
	return s >= EV_RETURN_REQUESTED && s <= EV_RETURN_CANCELLED;
}

enum milestone ev_milestone(enum ev_status s, bool has_package)
{
	switch (s) {
	case EV_PLACED:
	case EV_CONFIRMED:
	case EV_REFUNDED:
	case EV_MILESTONE: /* the fold takes the class from the milestone's owner */
	case EV_NOT_RECEIVED:
	case EV_CANCEL_REQUESTED:
		return MS_ORDER;
	case EV_RETURN_REQUESTED:
	case EV_RETURN_APPROVED:
	case EV_RETURN_REJECTED:
	case EV_RETURN_LABEL_CREATED:
	case EV_RETURN_PICKUP_SCHEDULED:
	case EV_RETURN_IN_TRANSIT:
	case EV_RETURN_RECEIVED:
	case EV_RETURN_INSPECTING:
	case EV_RETURN_DISPOSED:
	case EV_RETURN_REFUNDED:
	case EV_RETURN_REPLACED:
	case EV_RETURN_STORE_CREDIT:
	case EV_RETURN_CLOSED:
	case EV_RETURN_CANCELLED:
		/* the return's own owners decide (core/returns.h rule 1) */
		return MS_ORDER;
	case EV_PROCESSING:
	case EV_PICKED:
	case EV_PACKED:
	case EV_READY_TO_SHIP:
		return MS_WAREHOUSE;
	case EV_LABEL_CREATED:
		return MS_LABEL;
	case EV_CANCELLED:
		/* a voided label, or the whole order cancelled */
		return has_package ? MS_LABEL : MS_ORDER;
	case EV_UNKNOWN:
		return has_package ? MS_CARRIER : MS_ORDER;
	case EV_IN_TRANSIT:
	case EV_OUT_FOR_DELIVERY:
	case EV_AVAILABLE_FOR_PICKUP:
	case EV_DELIVERY_ATTEMPTED:
	case EV_DELIVERED:
	case EV_EXCEPTION:
	case EV_RETURNED_TO_SENDER:
	case EV_APPOINTMENT_OFFERED:
	case EV_APPOINTMENT_SCHEDULED:
	case EV_APPOINTMENT_RESCHEDULED:
	case EV_APPOINTMENT_MISSED:
	case EV__COUNT:
		break;
	}
	return MS_CARRIER;
}

bool pkg_status_is_terminal(enum pkg_status s)
{
	return s == PKG_DELIVERED || s == PKG_RETURNED_TO_SENDER || s == PKG_CANCELLED;
}

bool pkg_status_is_possession(enum pkg_status s)
{
	switch (s) {
	case PKG_IN_TRANSIT:
	case PKG_OUT_FOR_DELIVERY:
	case PKG_AVAILABLE_FOR_PICKUP:
	case PKG_DELIVERY_ATTEMPTED:
	case PKG_DELIVERED:
	case PKG_RETURNED_TO_SENDER:
		return true;
	default:
		/* exception: only with an earlier possession event (order.c) */
		return false;
	}
}

int pkg_status_progress(enum pkg_status s)
{
	switch (s) {
	case PKG_UNKNOWN: return 0;
	case PKG_LABEL_CREATED: return 1;
	case PKG_IN_TRANSIT:
	case PKG_EXCEPTION: return 2;
	case PKG_OUT_FOR_DELIVERY:
	case PKG_AVAILABLE_FOR_PICKUP:
	case PKG_DELIVERY_ATTEMPTED: return 3;
	case PKG_DELIVERED:
	case PKG_RETURNED_TO_SENDER:
	case PKG_CANCELLED: return 4;
	case PKG__COUNT: break;
	}
	return 0;
}

int ev_order_progress(enum ev_status s)
{
	switch (s) {
	case EV_PLACED: return 0;
	case EV_CONFIRMED: return 1;
	case EV_PROCESSING: return 2;
	case EV_PICKED: return 3;
	case EV_PACKED: return 4;
	case EV_READY_TO_SHIP: return 5;
	case EV_CANCELLED: return 6;
	default: return -1; /* not an order milestone */
	}
}

bool pkg_default_action_required(enum pkg_status s, const char *detail)
{
	if (s == PKG_AVAILABLE_FOR_PICKUP)
		return true;
	if (s != PKG_EXCEPTION || !detail)
		return false;
	/* the customer must fix the address or deal with customs */
	return !strcmp(detail, "address_issue") || !strcmp(detail, "customs_hold");
}

bool detail_is_delay(const char *detail)
{
	return detail && (!strcmp(detail, "delayed") || !strcmp(detail, "weather_delay") ||
			  !strcmp(detail, "late_vs_promise"));
}

enum cust_step ord_customer_step(enum ord_status s)
{
	switch (s) {
	case ORD_PLACED:
	case ORD_CONFIRMED:
	case ORD_CANCELLED:
		return STEP_ORDERED;
	case ORD_PROCESSING:
	case ORD_PICKED:
	case ORD_PACKED:
	case ORD_READY_TO_SHIP:
		return STEP_PREPARING;
	case ORD_PARTIALLY_SHIPPED:
	case ORD_SHIPPED:
	case ORD_PARTIALLY_DELIVERED:
		return STEP_SHIPPED;
	case ORD_OUT_FOR_DELIVERY:
		return STEP_OUT_FOR_DELIVERY;
	case ORD_DELIVERED:
		return STEP_DELIVERED;
	case ORD__COUNT:
		break;
	}
	return STEP_ORDERED;
}

const char *ord_customer_label(enum ord_status s)
{
	switch (s) {
	case ORD_PLACED:
	case ORD_CONFIRMED:
		return "Ordered";
	case ORD_PROCESSING:
	case ORD_PICKED:
	case ORD_PACKED:
	case ORD_READY_TO_SHIP:
		return "Preparing";
	case ORD_PARTIALLY_SHIPPED: return "Partially shipped";
	case ORD_SHIPPED: return "Shipped";
	case ORD_OUT_FOR_DELIVERY: return "Out for delivery";
	case ORD_PARTIALLY_DELIVERED: return "Partially delivered";
	case ORD_DELIVERED: return "Delivered";
	case ORD_CANCELLED: return "Cancelled";
	case ORD__COUNT: break;
	}
	return "Ordered";
}

enum cust_step pkg_customer_step(enum pkg_status s)
{
	switch (s) {
	case PKG_IN_TRANSIT:
	case PKG_AVAILABLE_FOR_PICKUP:
	case PKG_DELIVERY_ATTEMPTED:
	case PKG_EXCEPTION:
	case PKG_RETURNED_TO_SENDER:
		return STEP_SHIPPED;
	case PKG_OUT_FOR_DELIVERY:
		return STEP_OUT_FOR_DELIVERY;
	case PKG_DELIVERED:
		return STEP_DELIVERED;
	case PKG_UNKNOWN:
	case PKG_LABEL_CREATED:
	case PKG_CANCELLED:
	case PKG__COUNT:
		break;
	}
	/* a label is not a shipment: the carrier does not have the parcel */
	return STEP_PREPARING;
}

const char *pkg_customer_label(enum pkg_status s)
{
	switch (s) {
	case PKG_UNKNOWN: return "Preparing";
	case PKG_LABEL_CREATED: return "Label created";
	case PKG_IN_TRANSIT: return "In transit";
	case PKG_OUT_FOR_DELIVERY: return "Out for delivery";
	case PKG_AVAILABLE_FOR_PICKUP: return "Ready for pickup";
	case PKG_DELIVERY_ATTEMPTED: return "Delivery attempted";
	case PKG_DELIVERED: return "Delivered";
	case PKG_EXCEPTION: return "Exception";
	case PKG_RETURNED_TO_SENDER: return "Returning to sender";
	case PKG_CANCELLED: return "Cancelled";
	case PKG__COUNT: break;
	}
	return "Preparing";
}

const char *cust_step_name(enum cust_step s)
{
	switch (s) {
	case STEP_ORDERED: return "ordered";
	case STEP_PREPARING: return "preparing";
	case STEP_SHIPPED: return "shipped";
	case STEP_OUT_FOR_DELIVERY: return "out_for_delivery";
	case STEP_DELIVERED: return "delivered";
	}
	return "ordered";
}
