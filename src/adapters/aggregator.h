/*
 * aggregator.h - what the aggregator adapters (easypost.c, aftership.c,
 * shippo.c) share: reading their JSON, mapping a code with fallbacks,
 * composing stable ids, ordering the events of one parcel.
 *
 * Private to src/adapters/ (not part of the adapter contract in adapter.h).
 * Pure and thread-safe; nothing here allocates beyond what the caller's
 * adapter_out and cJSON tree already own.
 */
#ifndef WISMO_AGGREGATOR_H
#define WISMO_AGGREGATOR_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapter.h"

/* Parses the request body as one JSON object.  On failure returns
 * WERR_INVALID with out->reason set ("body is not JSON", "body is not a JSON
 * object").  The caller frees *root with cJSON_Delete. */
enum werr agg_parse_object(const struct hook_request *rq, struct adapter_out *out, cJSON **root);

/* obj[key] when it is a string; NULL when absent, null or anything else. */
const char *agg_str(const cJSON *obj, const char *key);
/* The same with "" for NULL. */
const char *agg_strz(const cJSON *obj, const char *key);
/* obj[key] when it is an object, else NULL. */
const cJSON *agg_obj(const cJSON *obj, const char *key);

/*
 * obj[key] as text when it is a string, or a number that is an exact integer
 * below 2^53 (written without a fraction).  Returns false (and out "") when
 * absent or null; WERR-free: a number with a fraction also gives false.
 */
bool agg_scalar(const cJSON *obj, const char *key, char *out, size_t cap);

/*
 * A tracking number at obj[key] into out (EV_PACKAGE_MAX + 1 bytes): a string,
 * or a whole number (types drift: some senders write digits-only tracking
 * numbers as JSON numbers).  Absent, null or empty: "" and WERR_OK.  A
 * string longer than EV_PACKAGE_MAX, a number with a fraction, or one of
 * 2^53 or more (a double cannot hold it exactly: the digits would be
 * wrong) fail with a reason naming key.
 */
enum werr agg_tracking(const cJSON *obj, const char *key, char out[EV_PACKAGE_MAX + 1], struct adapter_out *ao);

/* Copies src into a field of cap bytes, cut at a UTF-8 boundary: for words
 * meant for people (descriptions, places), where a carrier's long text must
 * not cost the whole body. */
void agg_copy_cut(char *field, size_t cap, const char *src);
#define AGG_SET_CUT(field, src) agg_copy_cut((field), sizeof(field), (src))

/*
 * Sets ev->id to natural, or, when natural is longer than EV_ID_MAX, to
 * prefix + ":h:" + the first 40 hex digits of sha256(natural): still the
 * same for the same fact, and never a reason to refuse a body.
 */
void agg_set_id(struct event *ev, const char *prefix, const char *natural);

/*
 * Maps through table the first of codes[0..n) that the table lists (empty
 * codes are skipped), so a finer code ("failure/address_correction") can
 * fall back to a coarser one ("failure").  ev->code keeps codes[0], the
 * finest the source gave, whichever row matched.  No row at all: status
 * unknown, code codes[0] (or the first non-empty one) kept.  Returns whether
 * a row matched.
 */
bool agg_map(const struct adapter_env *env, const char *table, const char *const *codes, size_t n,
	     const char *description, struct event *ev);

/* ISO 3166 alpha-3 -> alpha-2 ("USA" -> "US", case-insensitive); anything
 * else is returned as it is. */
const char *agg_country_iso2(const char *country);

/*
 * An estimate: RFC 3339 with offset, a bare date (midnight UTC) or a local
 * time read in (country, region) via adapter_time.  Returns false when s is
 * NULL, empty or not a time.
 */
bool agg_estimate(const struct adapter_env *env, const char *s, const char *country, const char *region,
		  int64_t *ms);

/*
 * The order number in a free text field: "Order #1001", "order 1001",
 * "Order No. 1001", "#1001" -> "1001".  The number must hold a digit and may
 * hold letters, digits, '-', '_' and '.'; nothing else may follow it.  Returns
 * false (out "") for anything else ("Shippo test tracking").
 */
bool agg_order_from_text(const char *text, char *out, size_t cap);

/* A store's order number as given ("#1001" or "1001") without the '#'. */
void agg_order_number(const char *raw, char *out, size_t cap);

/* Orders out->events[from..nevents) by occurred_at, then id, so that the
 * output does not depend on the order of the source's list. */
void agg_sort_events(struct adapter_out *out, size_t from);

/* Marks out->events[from..] as a return parcel's (is_return, docs/returns.md)
 * when obj says the shipment is a return: "is_return": true, on it or on
 * its "extra" (Shippo's shipment options). */
void agg_mark_return(struct adapter_out *out, size_t from, const cJSON *obj);

/*
 * The aggregator's own summary of the parcel (EasyPost's tracker status,
 * AfterShip's tag), mapped through table by codes[0..n) as agg_map does,
 * against the newest of out->events[from..) (call after agg_sort_events):
 * when they differ, one more event says the summary - a claim (ev->summary,
 * never applied), at the newest scan's time, id prefix + ":summary:" +
 * the code - so that the order shows the disagreement as a conflict rather
 * than losing it (docs/status.md rule 5).  Nothing when they agree, when the
 * summary maps to nothing, or when there is no scan.
 */
void agg_summary(const struct adapter_env *env, const char *table, const char *const *codes, size_t n,
		 const char *prefix, struct adapter_out *out, size_t from);

/* Sets estimated_delivery = ms on the newest event of out->events[from..)
 * (call after agg_sort_events). */
void agg_estimate_on_newest(struct adapter_out *out, size_t from, int64_t ms);

#endif
