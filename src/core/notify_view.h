/*
 * notify_view.h - the view a notification template sees (pure: no I/O, no
 * clock).  docs/notifications.md lists the fields.
 *
 * Built from an order's state when the message is planned and stored with
 * the outbox row, so a retry renders the same text.  It holds what the
 * message needs and nothing more: the customer's FIRST name only, the order
 * number, status and customer label, dates, items, packages with carrier
 * and carrier tracking link, the tracking page link, the shop's support
 * contact, and for an exception's milestone the exception (kind, reason,
 * owning team, priority, since), and for a return's milestone the return
 * (id, words, items, reason, refund, the shop's return instructions), and
 * the shop's own milestone the order is in (name, label, date).  Never payment data, an email address or phone number, a postal
 * code or a street address (none of which the view builder reads).
 *
 * Memory: notify_view() returns a new cJSON tree (cJSON_Delete) or NULL on
 * allocation failure; strings in ctx are copied.
 */
#ifndef WISMO_NOTIFY_VIEW_H
#define WISMO_NOTIFY_VIEW_H

#include <cjson/cJSON.h>

#include "order.h"
#include "rules.h"

struct notify_view_ctx {
	const char *milestone;     /* the outbox milestone key, may be NULL */
	const char *trigger;       /* "shipped", "delayed" ..., may be NULL */
	const char *rule;          /* rule name, may be NULL */
	const char *locale;        /* NULL = "en" */
	int package;               /* index of the package the milestone is about, -1 none */
	int ret;                   /* index of the return the milestone is about, -1 none (0 in a
	                              zeroed ctx is the first return: set -1 when there is none) */
	const char *tracking_url;  /* the customer tracking page for this order, may be NULL */
	const char *shop_name;     /* may be NULL */
	const char *support_email; /* the shop's, may be NULL */
	const char *support_phone; /* the shop's, may be NULL */
	const struct rules_exception *exc; /* the exception the milestone is about, may be NULL */
	const char *return_instructions;   /* the shop's ([returns] instructions), may be NULL */
	const struct ms_config *milestones; /* the shop's own milestones' labels, may be NULL */
};

cJSON *notify_view(const struct order_state *o, const struct notify_view_ctx *ctx);

/* Adds "timeline" (and "has_timeline"): the order's events oldest first (time, source, status,
 * detail, package, carrier, city), at most the newest max of them, for a
 * team's ticket: what staff read, never a customer's personal data (the
 * event's customer object is not read).  false on allocation failure. */
bool notify_view_add_timeline(cJSON *view, const struct event *evs, size_t n, size_t max);

/* The carrier's public tracking page for a tracking number (ups, fedex,
 * usps, dhl), written into out; "" when the carrier is not known or the
 * number has characters a URL would need escaped. */
void notify_carrier_link(const char *carrier, const char *tracking, char *out, size_t cap);

#endif
