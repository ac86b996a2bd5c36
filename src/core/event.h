/*
 * event.h - the normalized event: what every source's input becomes.
 *
 * An event is immutable once accepted.  Strings are fixed-size, NUL-terminated
 * fields whose sizes are the API's limits (a longer value is rejected by the
 * validator, never truncated silently).  The only heap memory is the items
 * array, owned by the event: release it with event_release().  Copying an
 * event needs event_copy().
 *
 * Times are milliseconds since the epoch in UTC (see base/wtime.h); 0 means
 * "not given".  seq is the store's arrival number and received_at the time the
 * server received it; both are set by the ingest path, never by a source, and
 * resolution never uses seq except where noted (so arrival order never
 * decides).
 */
#ifndef WISMO_EVENT_H
#define WISMO_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "status.h"

#define EV_KEY_MAX 64
#define EV_SOURCE_MAX 64
#define EV_ID_MAX 128
#define EV_ORDER_MAX 64
#define EV_PACKAGE_MAX 64
#define EV_CARRIER_MAX 32
#define EV_DETAIL_MAX 64
#define EV_CODE_MAX 64
#define EV_DESC_MAX 256
#define EV_PLACE_MAX 64
#define EV_NAME_MAX 128
#define EV_EMAIL_MAX 254
#define EV_PHONE_MAX 32
#define EV_POSTAL_MAX 16
#define EV_SKU_MAX 64
#define EV_ITEMS_MAX 200
#define EV_SERVICE_MAX 64
#define EV_METHOD_MAX 64
#define EV_CURRENCY_MAX 3
#define EV_VALUE_MAX 1e12
#define EV_RETURN_ID_MAX 64
#define EV_REASON_MAX 64
#define EV_DISPOSITION_MAX 24
#define EV_MILESTONE_MAX 32 /* MS_NAME_MAX */
#define EV_CHANNEL_MAX 32
#define EV_URL_MAX 512

struct event_item {
	char sku[EV_SKU_MAX + 1];
	char name[EV_NAME_MAX + 1];
	int quantity;
};

struct event_location {
	char city[EV_PLACE_MAX + 1];
	char region[EV_PLACE_MAX + 1];
	char country[EV_PLACE_MAX + 1];
};

struct event_customer {
	char name[EV_NAME_MAX + 1];
	char email[EV_EMAIL_MAX + 1];
	char phone[EV_PHONE_MAX + 1];
	char postal_code[EV_POSTAL_MAX + 1];
};

/* Proof of delivery, as a carrier or a delivery partner reports it. */
struct event_proof {
	char signed_by[EV_NAME_MAX + 1]; /* who signed, "" none (staff only: may be a neighbour) */
	char url[EV_URL_MAX + 1];        /* a photo or proof-of-delivery page (https), "" none */
	char left_at[EV_PLACE_MAX + 1];  /* where it was left ("front door"), "" none */
	bool has_geo;
	double lat, lng;                 /* where the driver was, when has_geo */
};

struct event {
	char key[EV_KEY_MAX + 1];        /* unique event key (see event_make_key) */
	char source[EV_SOURCE_MAX + 1];  /* required: who sent it */
	char id[EV_ID_MAX + 1];          /* the source's own event id, may be "" */
	char order[EV_ORDER_MAX + 1];    /* merchant's order number, required */
	char package[EV_PACKAGE_MAX + 1];/* tracking number, "" for order events */
	char ref[EV_ID_MAX + 1];         /* adapters: what the body names when it does not
	                                    name the order ("fulfillment:255858046"),
	                                    resolved by the writer (adapters/adapter.h) */
	char carrier[EV_CARRIER_MAX + 1];
	enum ev_status status;
	char milestone[EV_MILESTONE_MAX + 1]; /* status milestone: the shop's milestone's name */
	char detail[EV_DETAIL_MAX + 1];  /* e.g. exception reason, "" if none */
	char code[EV_CODE_MAX + 1];      /* the source's own status code, "" if none;
	                                    with status unknown it feeds the unmapped queue */
	char description[EV_DESC_MAX + 1]; /* the source's own words, for people */
	int action_required;             /* -1 not given, 0 false, 1 true */
	int64_t occurred_at;             /* event time (required) */
	int64_t received_at;             /* set on ingest */
	int64_t seq;                     /* store arrival number, set on ingest */
	int64_t estimated_delivery;      /* carrier's estimate, 0 if none */
	int64_t promised_by;             /* order events: promised delivery, 0 if none */
	int64_t promised_ship_by;        /* order events: promised shipping, 0 if none */
	int64_t window_start, window_end;/* package events: a delivery window (an appointment's, or a
	                                    carrier's or route's ETA window), 0 if none */
	bool has_stops;
	int stops_away;                  /* a route's stops before this one, when has_stops */
	bool has_installed;
	bool installed;                  /* delivered with installation, when has_installed */
	struct event_proof proof;        /* proof of delivery, on a delivered (or attempted) event */
	char service[EV_SERVICE_MAX + 1];/* package events: the carrier's service level */
	char shipping_method[EV_METHOD_MAX + 1]; /* order events: the method the customer chose */
	char channel[EV_CHANNEL_MAX + 1]; /* order events: the sales channel or product line the store
	                                     names ("b2b", "retail"), for the KPIs; "" none */
	bool has_value;                  /* order events: value was given */
	double value;                    /* the order's value, 0 .. EV_VALUE_MAX */
	char currency[EV_CURRENCY_MAX + 1]; /* ISO 4217 code of value, "" if not given */
	struct event_location ship_to;   /* order events: the destination (city, region, country) */
	struct event_location location;
	struct event_customer customer;  /* order events; fields may be "" */
	/* returns (core/returns.h): the return this event is about; on a return
	 * step also the reason, the disposition word and the refund amount (in
	 * "currency"); is_return marks a package event as a return parcel's */
	char return_id[EV_RETURN_ID_MAX + 1];
	char return_reason[EV_REASON_MAX + 1];
	char disposition[EV_DISPOSITION_MAX + 1];
	bool has_refund_amount;
	double refund_amount;            /* 0 .. EV_VALUE_MAX */
	bool is_return;
	char supersedes[EV_KEY_MAX + 1]; /* the key of the event this one corrects (a remap
	                                    re-read its raw payload with a newer table); "" none */
	bool summary;                    /* a source's own summary of the parcel, not a scan
	                                    (an aggregator's top-level status): never applied,
	                                    a conflict when it disagrees (order.h rule 5) */
	bool has_items;                  /* items was present (possibly empty) */
	size_t nitems;
	struct event_item *items;        /* order items, or the items in a package */
};

/* Zero the event (action_required = -1, status unknown). */
void event_init(struct event *ev);
/* Free what the event owns and zero it again. */
void event_release(struct event *ev);
/* Deep copy; dst is overwritten (not released first).  Returns WERR_OK: an
 * allocation failure ends the process (base/walloc.h). */
enum werr event_copy(struct event *dst, const struct event *src);

/* Copies src into a fixed field of size cap (including NUL).  Returns
 * WERR_TOO_LARGE without writing when it does not fit. */
enum werr event_set_str(char *field, size_t cap, const char *src);
#define EVENT_SET(field, src) event_set_str((field), sizeof(field), (src))

/*
 * The event key.  With a source id: "i:" + first 32 hex digits of
 * sha256(source NUL id).  Without: "h:" + first 32 hex of sha256(source NUL
 * order NUL package NUL status NUL occurred_at-as-decimal [NUL return_id, when
 * one is given]).  The hash itself
 * is computed by the caller (core stays free of crypto): event_key_material()
 * fills a buffer with the bytes to hash and returns its length, and
 * event_key_prefix() gives the prefix.
 */
size_t event_key_material(const struct event *ev, char *out, size_t cap);
const char *event_key_prefix(const struct event *ev);

#endif
