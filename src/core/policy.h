/*
 * policy.h - who owns which milestone, and the knobs of status resolution.
 *
 * A source name has a kind (storefront, warehouse, shipping, carrier,
 * aggregator); the built-in adapters' names have theirs by default
 * (DESIGN.md section 5) and configuration may name more.  A name nothing
 * configures is generic.  For each (kind, milestone) the policy gives a trust
 * level:
 *
 *   TRUST_OWNER   the kind owns the milestone (carrier for in_transit, ...)
 *   TRUST_GENERIC a generic source: applied, but below every owner
 *   TRUST_RELAY   a kind that relays someone else's milestone (a storefront
 *                 passing on the carrier's status): applied only while no
 *                 owner or generic source has spoken for that milestone class
 *   TRUST_NONE    never applied: always a claim
 *
 * and a precedence (carrier > aggregator > storefront relay) that breaks ties
 * between events at the same time.
 *
 * A policy is plain data: build it with policy_init_defaults(), adjust it
 * with policy_set_kind(), then share it read-only between threads.
 */
#ifndef WISMO_POLICY_H
#define WISMO_POLICY_H

#include <stdint.h>

#include "../base/err.h"
#include "calendar.h"
#include "event.h"
#include "milestones.h"
#include "parcels.h"
#include "promise.h"
#include "status.h"

enum source_kind {
	KIND_GENERIC = 0,
	KIND_STOREFRONT,
	KIND_WAREHOUSE,
	KIND_SHIPPING,
	KIND_CARRIER,
	KIND_AGGREGATOR,
	KIND__COUNT
};

enum trust {
	TRUST_NONE = 0,
	TRUST_RELAY = 1,
	TRUST_GENERIC = 2,
	TRUST_OWNER = 3,
};

#define POLICY_MAX_SOURCES 64

struct policy {
	struct {
		char name[EV_SOURCE_MAX + 1];
		enum source_kind kind;
	} sources[POLICY_MAX_SOURCES];
	int nsources;
	enum trust trust[KIND__COUNT][MS__COUNT];
	int precedence[KIND__COUNT]; /* higher wins a tie */
	/* A terminal package status holds against non-terminal events up to this
	 * long after it (carriers' clocks and zones disagree). */
	int64_t terminal_hold_ms;
	/* An event dated more than this after it was received is held: kept on
	 * the timeline, never applied (a clock or a field gone wrong must not pin
	 * a status for good); 0: no bound.  Default 24 hours.  The API refuses
	 * such an event outright (per-event code future_time). */
	int64_t future_skew_ms;
	/* The shop's working days ([calendar], docs/exceptions.md): the fold
	 * measures a parcel's waits between scans in working time with it. */
	struct calendar cal;
	/* Promises by shipping method ([promises]): the fold fills an order's
	 * promised_ship_by / promised_by from them when its store gave none. */
	struct promise_config promises;
	/* Who owns a tracking number ([parcels], core/parcels.h): the writer
	 * decides with it as it appends, a rebuild replays the log with it. */
	struct parcel_config parcels;
	/* The shop's own milestones ([milestone NAME], core/milestones.h): the
	 * fold places and trusts them with it. */
	struct ms_config milestones;
};

void policy_init_defaults(struct policy *p);
/* One INI entry of [resolution] (terminal_hold_hours, future_skew_hours) or
 * [calendar] (business_days, holidays, utc_offset_hours; also accepted in
 * [exceptions]), docs/config.md:
 * 1 taken, 0 not ours, -1 bad value. */
int policy_config_set(struct policy *p, const char *section, const char *name, const char *value);
/* Adds or changes a source's kind.  WERR_TOO_LARGE when the table is full,
 * WERR_INVALID for a name that does not fit. */
enum werr policy_set_kind(struct policy *p, const char *source, enum source_kind kind);
enum source_kind policy_kind(const struct policy *p, const char *source);
enum trust policy_trust(const struct policy *p, const char *source, enum milestone m);
int policy_precedence(const struct policy *p, const char *source);

const char *source_kind_name(enum source_kind k);
int source_kind_from_name(const char *name);

#endif
